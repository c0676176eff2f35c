"""Change-detection scores with CDnet's conventions.

A *detected* pixel is one whose mask value is 255 (so MOG2's shadow value 127 counts as
background).  Ground-truth labels follow CDnet 2012/2014: 255 motion (positive), 0 static and
50 hard shadow (negative), 85 outside the region of interest and 170 unknown motion (ignored).
Only pixels where the ROI image is non-zero are scored.  The formulas are CDnet's::

    recall      = TP / (TP + FN)          specificity = TN / (TN + FP)
    FPR         = FP / (FP + TN)          FNR         = FN / (TP + FN)
    PWC         = 100 (FN + FP) / (TP + FN + FP + TN)
    precision   = TP / (TP + FP)          F-measure   = 2 precision recall / (precision + recall)

A ratio whose denominator is zero (e.g. precision when nothing was detected) is reported as 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ._jit import kernel, prange


@kernel(parallel=True)
def _count_rows(mask, gt, roi, rows):
    """Per row of one frame: TP, FP, FN, TN into ``rows[i]`` (each row is one thread's slot)."""
    H, W = mask.shape
    for i in prange(H):
        tp = 0
        fp = 0
        fn = 0
        tn = 0
        for j in range(W):
            if roi[i, j] == 0:
                continue
            g = gt[i, j]
            det = mask[i, j] == 255
            if g == 255:
                if det:
                    tp += 1
                else:
                    fn += 1
            elif g == 0 or g == 50:
                if det:
                    fp += 1
                else:
                    tn += 1
        rows[i, 0] = tp
        rows[i, 1] = fp
        rows[i, 2] = fn
        rows[i, 3] = tn


def _ratio(num: int, den: int) -> float:
    return float(num) / den if den else 0.0


@dataclass(frozen=True)
class Scores:
    """CDnet's counts and rates for a set of frames (see the module docstring for formulas)."""

    tp: int
    fp: int
    fn: int
    tn: int
    recall: float
    specificity: float
    fpr: float
    fnr: float
    pwc: float
    precision: float
    f_measure: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int, tn: int) -> Scores:
        """Compute every rate from the four counts."""
        tp, fp, fn, tn = (int(v) for v in (tp, fp, fn, tn))
        recall = _ratio(tp, tp + fn)
        precision = _ratio(tp, tp + fp)
        f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        return cls(
            tp=tp, fp=fp, fn=fn, tn=tn,
            recall=recall,
            specificity=_ratio(tn, tn + fp),
            fpr=_ratio(fp, fp + tn),
            fnr=_ratio(fn, tp + fn),
            pwc=100.0 * _ratio(fn + fp, tp + fn + fp + tn),
            precision=precision,
            f_measure=f,
        )

    def as_dict(self) -> dict[str, Any]:
        """The scores as a plain dict (JSON-serialisable)."""
        return asdict(self)


class ConfusionAccumulator:
    """Accumulate CDnet confusion counts frame by frame.

    Feed ``(mask, gt)`` pairs to :meth:`update`; read :attr:`counts` or :meth:`scores` at any
    time.  The per-row scratch buffer is allocated once per frame size.

    Parameters
    ----------
    roi : ndarray of shape (H, W), optional
        Region of interest: only pixels where it is non-zero are scored (CDnet's ROI.bmp).
        ``None`` scores every pixel.

    Examples
    --------
    >>> acc = ConfusionAccumulator()
    >>> acc.update(np.array([[255, 0]], np.uint8), np.array([[255, 255]], np.uint8))
    >>> acc.scores().recall
    0.5
    """

    def __init__(self, roi: np.ndarray | None = None) -> None:
        self.roi = None if roi is None else self._check_image(roi, "roi")
        self.counts = np.zeros(4, dtype=np.int64)
        self.n_frames = 0
        self._rows: np.ndarray | None = None
        self._ones: np.ndarray | None = None

    @staticmethod
    def _check_image(arr: Any, name: str) -> np.ndarray:
        arr = np.asarray(arr)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (H, W) label image; got shape {arr.shape}.")
        if arr.dtype == np.bool_:
            return arr.astype(np.uint8) * np.uint8(255)  # True = detected / positive
        if arr.dtype != np.uint8:
            if arr.dtype.kind not in "iu" or arr.size and (arr.min() < 0 or arr.max() > 255):
                raise TypeError(f"{name} must hold integer labels in 0..255 (uint8); got dtype {arr.dtype}.")
            arr = arr.astype(np.uint8)
        return arr

    def update(self, mask: np.ndarray, gt: np.ndarray) -> None:
        """Add one frame: ``mask`` (255 = detected) against ground truth ``gt`` (CDnet labels)."""
        mask = self._check_image(mask, "mask")
        gt = self._check_image(gt, "gt")
        if mask.shape != gt.shape:
            raise ValueError(f"mask has shape {mask.shape} but gt has shape {gt.shape}; they must match.")
        H, W = mask.shape
        roi = self.roi
        if roi is None:
            if self._ones is None or self._ones.shape != (H, W):
                self._ones = np.ones((H, W), dtype=np.uint8)
            roi = self._ones
        elif roi.shape != (H, W):
            raise ValueError(f"mask has shape {mask.shape} but the ROI has shape {roi.shape}; they must match.")
        if self._rows is None or self._rows.shape[0] != H:
            self._rows = np.empty((H, 4), dtype=np.int64)
        _count_rows(mask, gt, roi, self._rows)
        self.counts += self._rows.sum(axis=0)
        self.n_frames += 1

    def scores(self) -> Scores:
        """CDnet's metrics over every frame added so far."""
        return Scores.from_counts(*self.counts)
