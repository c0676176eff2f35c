"""Locating third-party evaluation data and reading CDnet-layout sequences."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

DATA_ENV = "FASTGMM_DATA"


def shared_data_dir() -> Path | None:
    """Return the folder of third-party evaluation data, or ``None`` when it is not present.

    Looks at ``$FASTGMM_DATA`` first, then for ``shared/data`` beside (or inside) any ancestor of
    the working directory and of this package's location.  The data is never shipped with fastgmm.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for folder in (start, *start.parents):
            for candidate in (folder / "shared" / "data", folder.parent / "shared" / "data"):
                if candidate.is_dir():
                    return candidate
    return None


class CDnetSequence:
    """Lazy reader of one sequence in CDnet's folder layout.

    The folder holds ``input/in%06d.jpg`` (frames, numbered from 1), ``groundtruth/gt%06d.png``
    (label images: 0 static, 50 shadow, 85 outside the ROI, 170 unknown, 255 motion), ``ROI.bmp``
    (255 where pixels are scored) and ``temporalROI.txt`` (first and last scored frame numbers).
    The label PNGs are palette images whose palette is the identity grey ramp; they are read as
    grayscale so that the label values come out unchanged.  Nothing but ``temporalROI.txt`` and
    the file listing is read on construction; images are read when asked for.

    Parameters
    ----------
    path : str or Path
        The sequence folder (e.g. ``.../baseline/highway``).

    Attributes
    ----------
    path : Path
    name : str
        The folder's name.
    temporal_roi : tuple of int
        (first, last) scored frame numbers, 1-based and inclusive.
    n_frames : int
        Number of input frames (``len(seq)``).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"CDnet sequence folder not found: {self.path}")
        missing = [p for p in ("input", "groundtruth", "temporalROI.txt") if not (self.path / p).exists()]
        if missing:
            raise ValueError(
                f"{self.path} is not a CDnet sequence folder: missing {', '.join(missing)} "
                "(expected input/, groundtruth/, ROI.bmp and temporalROI.txt)."
            )
        self.name = self.path.name
        numbers = sorted(int(p.stem[2:]) for p in (self.path / "input").glob("in*.jpg") if p.stem[2:].isdigit())
        if not numbers:
            raise ValueError(f"{self.path / 'input'} holds no in%06d.jpg frames.")
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"{self.path / 'input'}: frame numbers are not 1..{len(numbers)} without gaps.")
        self.n_frames = len(numbers)
        text = (self.path / "temporalROI.txt").read_text().split()
        try:
            first, last = int(text[0]), int(text[1])
        except (IndexError, ValueError):
            raise ValueError(f"{self.path / 'temporalROI.txt'} must hold two frame numbers; got {text!r}.") from None
        if not 1 <= first <= last:
            raise ValueError(f"{self.path / 'temporalROI.txt'}: bad range {first}..{last}.")
        self.temporal_roi = (first, min(last, self.n_frames))
        self._roi: np.ndarray | None = None

    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        return f"CDnetSequence({str(self.path)!r}, n_frames={self.n_frames}, temporal_roi={self.temporal_roi})"

    def _check_number(self, number: int) -> int:
        if not 1 <= number <= self.n_frames:
            raise IndexError(f"frame number {number} is outside 1..{self.n_frames} (CDnet numbers frames from 1).")
        return int(number)

    def frame(self, number: int) -> np.ndarray:
        """Input frame ``number`` (1-based) as (H, W, 3) uint8 RGB."""
        import imageio.v3 as iio

        number = self._check_number(number)
        return iio.imread(self.path / "input" / f"in{number:06d}.jpg")

    def groundtruth(self, number: int) -> np.ndarray:
        """Label image of frame ``number`` (1-based) as (H, W) uint8 with CDnet's label values."""
        number = self._check_number(number)
        return _read_labels(self.path / "groundtruth" / f"gt{number:06d}.png")

    @property
    def roi(self) -> np.ndarray:
        """(H, W) uint8 spatial ROI (255 = scored); all 255 when ``ROI.bmp`` is absent."""
        if self._roi is None:
            path = self.path / "ROI.bmp"
            if path.exists():
                self._roi = _read_labels(path)
            else:
                self._roi = np.full(self.frame(1).shape[:2], 255, dtype=np.uint8)
        return self._roi

    def in_temporal_roi(self, number: int) -> bool:
        """Whether frame ``number`` is scored."""
        return self.temporal_roi[0] <= number <= self.temporal_roi[1]

    def frames(self, start: int = 1, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(number, frame)`` for frame numbers ``start..stop`` (inclusive), read one at a time."""
        stop = self.n_frames if stop is None else stop
        for number in range(self._check_number(start), self._check_number(stop) + 1):
            yield number, self.frame(number)


def _read_labels(path: Path) -> np.ndarray:
    """A CDnet label image (grey-palette PNG or BMP) as (H, W) uint8 label values."""
    import imageio.v3 as iio

    return np.ascontiguousarray(iio.imread(path, mode="L"))
