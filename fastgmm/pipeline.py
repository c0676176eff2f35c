"""Background subtraction of one input, from frames in to masks out: what ``fastgmm subtract`` does
for one sequence and what each Dask task of :func:`fastgmm.distributed.subtract_many` does for its
video.  Bad values raise ``ValueError`` (the command line turns them into its one-line errors).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def progress(iterable: Any, *, quiet: bool, total: int | None = None, desc: str = "") -> Any:
    """A tqdm progress bar on stderr over ``iterable`` (disabled when ``quiet``)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="frame", file=sys.stderr, disable=quiet, leave=False)


def check_train_fraction(train_fraction: float) -> float:
    """The share of frames the offline methods train on: in (0, 1]."""
    if not 0.0 < train_fraction <= 1.0:
        raise ValueError(f"train_fraction must be in (0, 1]; got {train_fraction}.")
    return train_fraction


def subtract_one(
    source: str | Path | list[str | Path],
    output: str | Path,
    *,
    method: str = "default",
    train_fraction: float = 0.6,
    fps: float = 25.0,
    background: str | Path | None = None,
    quiet: bool = True,
) -> int:
    """Foreground masks of one sequence written to ``output``; returns the number of masks.

    ``source`` is a video, GIF, image, folder of images or a list of image files (one
    sequence); ``output`` a folder (one PNG per frame, named after the frame) or a video/GIF
    file.  ``background`` also writes the model's final background image.  This is what
    ``fastgmm subtract`` does for one input, and what each worker of
    :func:`fastgmm.distributed.subtract_many` does for its video.
    """
    import imageio.v3 as iio

    from .background.methods import get_method, subtract
    from .io import open_frames, open_writer

    spec = get_method(method)
    check_train_fraction(train_fraction)
    reader = open_frames(source)
    if spec.online:
        pairs = iter(reader)
        names: list[str] = []

        def frames():
            for name, frame in pairs:
                names.append(name)
                yield frame

        model, masks = subtract(frames(), spec.name)
        named = ((names[i], m) for i, m in enumerate(masks))
        total = reader.n_frames
    else:
        names, frame_list = reader.read_all()
        model, masks = subtract(frame_list, spec.name, train_fraction=train_fraction)
        named = zip(names, masks)
        total = len(names)
    count = 0
    with open_writer(output, fps=fps) as writer:
        for name, mask in progress(named, quiet=quiet, total=total, desc=spec.name):
            writer.write(name, mask)
            count += 1
    if background:
        Path(background).parent.mkdir(parents=True, exist_ok=True)
        iio.imwrite(background, model.background_image())
    return count


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (its type name when it has none; a missing file's name
    appended when the message leaves it out): what the command line and failed Dask tasks report."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return text
