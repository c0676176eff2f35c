"""Background-subtraction methods by name, and the ``mog2-median`` pipeline (the default before the
adaptive mixture; ``fastgmm.DefaultSubtractor`` is the class of the ``default`` method).

Every method is built by :func:`make_method` and used through one of two shapes:

* online (``default`` -- the adaptive mixture --, ``mog2-median``, ``mog2``, ``mog``):
  ``apply(frame) -> mask`` frame by frame;
* offline (``pixelgmm``, ``average``, ``kmeans``): ``fit(frames)`` on training frames, then
  ``apply(frame) -> mask``.

:func:`subtract` runs either kind over a sequence of frames.  Masks are uint8: 0 background,
255 foreground, and for MOG2 127 shadow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_option, check_scalar
from .postprocess import MedianFilter

DEFAULT_PARAMS = {"var_threshold": 25.0}
"""MOG2 parameters of the ``mog2-median`` method (the rest are OpenCV's defaults)."""
DEFAULT_MEDIAN = 7
"""Window of the ``mog2-median`` method's binary median filter."""
DEFAULT_RESTORE = 2
"""Raw detections within this many pixels of the median-filtered foreground are kept."""


class MOG2MedianSubtractor:
    """The ``mog2-median`` method (fastgmm's default until the adaptive mixture met the CDnet
    floors): MOG2 with ``var_threshold=25``, a 7x7 binary median filter, edge restoration.

    MOG2's default threshold (16, i.e. 4 standard deviations) lets sensor noise and small
    texture motion through as speckle; a threshold of 5 standard deviations and a majority vote
    over a 7x7 window remove most of it.  The vote also rounds off object outlines, so MOG2's
    own detections within 2 pixels of the voted foreground are put back
    (:class:`~fastgmm.background.postprocess.MedianFilter` with ``restore_radius=2``).  Shadows
    (127) are background in the output, as in CDnet's scoring.

    Kernel: fastgmm.background._mog2_kernel.update (per pixel: _mog2_block), then
    fastgmm.background._median_kernel (row_counts, column_vote, column_restore).

    Parameters
    ----------
    median_size : int, default 7
        Odd window of the median filter (1 disables it).
    restore_radius : int, default 2
        Radius of the edge restoration (0 disables it).
    **mog2_params
        Passed to :class:`fastgmm.BackgroundSubtractorMOG2` (overriding ``DEFAULT_PARAMS``).
    """

    def __init__(
        self, *, median_size: int = DEFAULT_MEDIAN, restore_radius: int = DEFAULT_RESTORE, **mog2_params: Any
    ) -> None:
        from .mog2 import BackgroundSubtractorMOG2

        self.mog2 = BackgroundSubtractorMOG2(**{**DEFAULT_PARAMS, **mog2_params})
        self.median = MedianFilter(median_size, restore_radius=restore_radius)
        self._raw: np.ndarray | None = None

    def apply(self, frame: np.ndarray, learning_rate: float = -1.0, *, out: np.ndarray | None = None) -> np.ndarray:
        """Update the model with ``frame``; return the filtered 0/255 mask."""
        if self._raw is None or self._raw.shape != np.shape(frame)[:2]:
            self._raw = np.empty(np.shape(frame)[:2], dtype=np.uint8)
        self.mog2.apply(frame, learning_rate, out=self._raw)
        return self.median(self._raw, out=out)

    def background_image(self) -> np.ndarray:
        """MOG2's background image."""
        return self.mog2.background_image()


@dataclass(frozen=True)
class Method:
    """A registered method: its name, whether it learns online, and how to build it."""

    name: str
    online: bool
    description: str
    build: Callable[[], Any]


def _mog2() -> Any:
    from .mog2 import BackgroundSubtractorMOG2
    return BackgroundSubtractorMOG2()


def _mog() -> Any:
    from .mog import BackgroundSubtractorMOG
    return BackgroundSubtractorMOG()


def _adaptive() -> Any:
    from .adaptive import AdaptiveMixtureSubtractor
    return AdaptiveMixtureSubtractor()


def _pixelgmm() -> Any:
    from .pixel_gmm import PixelGMM
    return PixelGMM()


def _average() -> Any:
    from .baselines import FrameAverage
    return FrameAverage()


def _kmeans() -> Any:
    from .baselines import KMeansBackground
    return KMeansBackground()


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("default", True, "fastgmm's adaptive mixture (AdaptiveMixtureSubtractor): per-pixel feedback, "
               "conservative update, neighbour diffusion, camera-motion registration, displacement, camera gain, "
               "shadows, median + blob clean-up", _adaptive),
        Method("mog2-median", True, "MOG2 (var_threshold 25) + 7x7 median filter + edge restoration "
               "(the default before the adaptive mixture)", MOG2MedianSubtractor),
        Method("mog2", True, "Zivkovic's adaptive mixture, OpenCV MOG2 defaults", _mog2),
        Method("mog", True, "KaewTraKulPong-Bowden mixture, OpenCV bgsegm MOG defaults", _mog),
        Method("pixelgmm", False, "per-pixel EM-fitted Gaussian mixture (offline)", _pixelgmm),
        Method("average", False, "mean of the training frames (offline)", _average),
        Method("kmeans", False, "per-pixel k-means background (offline)", _kmeans),
    )
}
"""Every method by name; ``default`` is the recommended one."""


def get_method(name: str) -> Method:
    """The registered method called ``name`` (ValueError listing the names otherwise)."""
    return METHODS[check_option(name, "method", METHODS)]


def subtract(
    frames: Sequence[np.ndarray] | Iterable[np.ndarray],
    method: str = "default",
    *,
    train_fraction: float = 0.6,
) -> tuple[Any, Iterator[np.ndarray]]:
    """Run a method over frames; return the model and an iterator of masks (one per frame).

    Online methods read ``frames`` lazily, one frame per mask.  Offline methods need the frames
    twice, so ``frames`` is first turned into a list; the model is fitted on the first
    ``ceil(train_fraction * T)`` frames (at least one), then applied to all of them.

    Each mask is a fresh (H, W) uint8 array.
    """
    spec = get_method(method)
    check_scalar(train_fraction, "train_fraction", min_val=0.0, max_val=1.0, min_inclusive=False)
    model = spec.build()
    if spec.online:
        return model, (model.apply(f) for f in frames)
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to subtract the background from.")
    n_train = max(1, int(np.ceil(train_fraction * len(frames))))
    model.fit(frames[:n_train])
    return model, (model.apply(f) for f in frames)


def evaluate_cdnet(
    sequence: Any,
    method: str = "default",
    *,
    last: int | None = None,
    train_fraction: float = 0.6,
    progress: Callable[[Iterable, int], Iterable] | None = None,
) -> dict[str, Any]:
    """Run a method over frames ``1..last`` of a :class:`fastgmm.datasets.CDnetSequence`, in order,
    and score the frames of its temporal ROI (within ``1..last``) with CDnet's conventions.

    Returns a dict with ``scores`` (:class:`fastgmm.metrics.Scores`), ``fps`` (frames per second
    of the method alone: fitting and applying, not decoding JPEGs) and ``scored_frames``
    (first, last).  ``progress(iterable, total)`` may wrap the frame loop (e.g. a tqdm bar).
    """
    import time

    from ..metrics import ConfusionAccumulator

    spec = get_method(method)
    last = sequence.n_frames if last is None else int(last)
    first_scored = sequence.temporal_roi[0]
    last_scored = min(sequence.temporal_roi[1], last)
    if first_scored > last_scored:
        raise ValueError(
            f"frames 1-{last} contain no scored frame; the temporal ROI is {sequence.temporal_roi[0]}-"
            f"{sequence.temporal_roi[1]}."
        )
    acc = ConfusionAccumulator(sequence.roi)
    wrap = progress if progress is not None else (lambda it, n: it)
    elapsed = 0.0
    if spec.online:
        model = spec.build()
        mask = None
        for number, frame in wrap(sequence.frames(1, last), last):
            t0 = time.perf_counter()
            mask = model.apply(frame, out=mask)
            elapsed += time.perf_counter() - t0
            if number >= first_scored and number <= last_scored:
                acc.update(mask, sequence.groundtruth(number))
    else:
        frames = [f for _, f in wrap(sequence.frames(1, last), last)]
        t0 = time.perf_counter()
        model, masks = subtract(frames, spec.name, train_fraction=train_fraction)
        elapsed += time.perf_counter() - t0
        it = iter(masks)
        for number in range(1, last + 1):
            t0 = time.perf_counter()
            mask = next(it)
            elapsed += time.perf_counter() - t0
            if number >= first_scored and number <= last_scored:
                acc.update(mask, sequence.groundtruth(number))
    return {"scores": acc.scores(), "fps": last / elapsed if elapsed > 0 else float("inf"),
            "scored_frames": (first_scored, last_scored)}
