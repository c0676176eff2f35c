"""Background subtraction of one input, from frames in to masks out: what ``fastgmm subtract`` does
for one sequence and what each Dask task of :func:`fastgmm.distributed.subtract_many` does for its
video.  Bad values raise ``ValueError`` (the command line turns them into its one-line errors).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np


def progress(iterable: Any, *, quiet: bool, total: int | None = None, desc: str = "") -> Any:
    """A tqdm progress bar on stderr over ``iterable`` (disabled when ``quiet``)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="frame", file=sys.stderr, disable=quiet, leave=False)


def check_train_fraction(train_fraction: float) -> float:
    """The share of frames the offline methods train on: in (0, 1]."""
    if not 0.0 < train_fraction <= 1.0:
        raise ValueError(f"train_fraction must be in (0, 1]; got {train_fraction}.")
    return train_fraction


def method_parameters(method: str) -> dict[str, Any]:
    """The parameters a registered method's model accepts, with their defaults for that method.

    Read from the registry's ``build``: the built model's ``get_params()``; for a model without
    one, the keyword parameters of ``build`` plus, when ``build`` takes ``**kwargs``, the
    parameters of the model's sub-models (e.g. the default method's MOG2)."""
    from .background.methods import get_method

    spec = get_method(method)
    model = spec.build()
    if hasattr(model, "get_params"):
        return dict(model.get_params())
    signature = inspect.signature(spec.build)
    params = {name: p.default for name, p in signature.parameters.items()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.default is not p.empty}
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        for value in vars(model).values():
            if hasattr(value, "get_params"):
                params = {**value.get_params(), **params}
    return params


def build_model(method: str, params: dict[str, Any] | None = None) -> Any:
    """A registered method's model with ``params`` set, checked by the model's own rules.

    A parameter the method does not have is a ``ValueError`` naming the method's parameters."""
    from ._params import close_match
    from .background.methods import get_method

    spec = get_method(method)
    params = dict(params or {})
    if not params:
        return spec.build()
    known = method_parameters(spec.name)
    for name in params:
        if name not in known:
            raise ValueError(f"method {spec.name} has no parameter {name!r}{close_match(name, tuple(known))}; "
                             f"its parameters: {', '.join(known) or 'none'}.")
    signature = inspect.signature(spec.build)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()) or set(params) <= set(signature.parameters):
        return spec.build(**params)
    return spec.build().set_params(**params)


def background_path(background: str | Path | None) -> Path | None:
    """Where the background image goes: an image file, or ``background.png`` in a folder (no suffix)."""
    from .io import IMAGE_SUFFIXES

    if background is None or background == "":
        return None
    path = Path(background)
    if not path.suffix:
        return path / "background.png"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"--background {path}: give an image file ({', '.join(sorted(IMAGE_SUFFIXES))}) or a "
                         "folder (no suffix).")
    return path


def _limited(pairs: Iterator[tuple[str, Any]], *, max_frames: int | None, duration: float | None,
             fps: Fraction | None, stop: threading.Event | None) -> Iterator[tuple[str, Any]]:
    """``pairs`` up to ``max_frames`` frames, ``duration`` seconds (of input at ``fps`` when known, of
    wall-clock time otherwise) or until ``stop`` is set."""
    start = time.monotonic()
    for count, pair in enumerate(pairs):
        if stop is not None and stop.is_set():
            return
        if max_frames is not None and count >= max_frames:
            return
        if duration is not None:
            elapsed = count / fps if fps else time.monotonic() - start
            if elapsed >= duration:
                return
        yield pair


def subtract_one(
    source: str | Path | list[str | Path],
    output: str | Path,
    *,
    method: str = "default",
    train_fraction: float = 0.6,
    fps: float | None = None,
    background: str | Path | None = None,
    quiet: bool = True,
    params: dict[str, Any] | None = None,
    learning_rate: float = -1.0,
    max_frames: int | None = None,
    duration: float | None = None,
    stop: threading.Event | None = None,
    input_format: str | None = None,
    input_options: dict[str, str] | None = None,
) -> int:
    """Foreground masks of one sequence written to ``output``; returns the number of masks.

    ``source`` is a video, GIF, image, folder of images, a list of image files (one sequence) or
    a live source (``/dev/videoN``, a stream URL, ``-`` for stdin); ``output`` a folder (one PNG
    per frame, named after the frame; any path without a suffix) or a video/GIF file, written at
    ``fps`` (default: the input's frame rate, 25 when it has none).  ``background`` also writes
    the model's final background image (a folder gets ``background.png``).  ``params`` are the
    model's parameters (:func:`method_parameters`), ``learning_rate`` is passed to online models'
    ``apply``.  The run stops after ``max_frames`` frames, ``duration`` seconds of input, at the
    end of the input or when ``stop`` is set; the outputs are finalised in each case (and on
    ``KeyboardInterrupt``, which is re-raised).  ``input_format``/``input_options`` go to
    :func:`fastgmm.io.open_frames` (raw or unprobeable streams).  Every option, the input and the output are
    checked before the first frame is processed.  This is what ``fastgmm subtract`` does for one
    input, and what each worker of :func:`fastgmm.distributed.subtract_many` does for its video.
    """
    import imageio.v3 as iio

    from .background.methods import get_method
    from .io import DEFAULT_FPS, open_frames, open_writer

    spec = get_method(method)
    check_train_fraction(train_fraction)
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1; got {max_frames}.")
    if duration is not None and not duration > 0:
        raise ValueError(f"duration must be positive; got {duration}.")
    if not (isinstance(learning_rate, (int, float)) and learning_rate <= 1.0):
        raise ValueError(f"learning_rate must be <= 1 (negative = automatic); got {learning_rate}.")
    if not spec.online and learning_rate != -1.0:
        raise ValueError(f"--learning-rate applies to online methods; {spec.name} is fitted offline.")
    model = build_model(spec.name, params)
    bg_path = background_path(background)
    reader = open_frames(source, input_format=input_format, input_options=input_options)
    try:
        if reader.kind == "stream" and not spec.online and max_frames is None and duration is None:
            raise ValueError(f"{spec.name} is fitted offline on all frames; on a live source give --max-frames "
                             "or --duration, or use an online method.")
        writer = open_writer(output, fps=fps if fps is not None else reader.fps or DEFAULT_FPS)
    except BaseException:
        reader.close()
        raise
    limited = _limited(iter(reader), max_frames=max_frames, duration=duration, fps=reader.fps, stop=stop)
    total = reader.n_frames if max_frames is None else min(max_frames, reader.n_frames or max_frames)
    count = 0
    with writer:
        if spec.online:
            mask = None
            for name, frame in progress(limited, quiet=quiet, total=total, desc=spec.name):
                mask = model.apply(frame, learning_rate)
                writer.write(name, mask)
                count += 1
        else:
            names, frames = [], []
            for name, frame in progress(limited, quiet=quiet, total=total, desc=f"{spec.name} reading"):
                names.append(name)
                frames.append(frame)
            if not frames:
                raise ValueError("no frames to subtract the background from.")
            model.fit(frames[:max(1, int(np.ceil(train_fraction * len(frames))))])
            for name, frame in progress(zip(names, frames), quiet=quiet, total=len(frames), desc=spec.name):
                if stop is not None and stop.is_set():
                    break
                writer.write(name, model.apply(frame))
                count += 1
    if bg_path is not None and count:
        bg_path.parent.mkdir(parents=True, exist_ok=True)
        iio.imwrite(bg_path, model.background_image())
    return count


def segment_file(image: str | Path, k: int | str, output: str | Path, *, palette: bool = False,
                 seed: int = 0) -> Any:
    """Segment the image file ``image`` into ``k`` colour segments (``"auto"``: a Dirichlet-process
    mixture chooses them) and write ``output``; returns the
    :class:`~fastgmm.segmentation.SegmentationResult`."""
    import imageio.v3 as iio

    from .io import open_frames
    from .segmentation import segment

    if k != "auto" and k < 1:
        raise ValueError(f"-k must be at least 1 or 'auto'; got {k}.")
    reader = open_frames(image)
    if reader.kind not in ("image", "files"):
        raise ValueError(f"{image} is not a single image file.")
    _, frame = next(iter(reader))
    result = segment(frame, k, random_state=seed)
    out = result.palette_image() if palette else result.colored()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(output, out)
    return result


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (its type name when it has none; a missing file's name
    appended when the message leaves it out): what the command line and failed Dask tasks report."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return text
