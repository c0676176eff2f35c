"""Clean-up of foreground masks: a binary median (majority-vote) filter with optional edge restoration.

For a mask whose detected pixels are 255, the median of a ``size x size`` window of a binary
image is a majority vote: the output is 255 when more than half of the window's pixels are 255.
At the borders the window is clipped to the image and the vote is over the pixels inside it.
Other values (MOG2's shadow value 127, 0) count as not detected, so the output is 0/255.

A majority vote removes speckle but also rounds off object corners and thin parts.  With
``restore_radius = r > 0`` the input's detections that lie within ``r`` pixels (a
``(2r+1) x (2r+1)`` square) of a voted foreground pixel are put back, so outlines come from the
original mask while isolated specks far from any object stay removed.

The filter is separable (a pass along the rows, a pass down the columns), so the cost per pixel
does not depend on ``size``; the kernels are in :mod:`fastgmm.background._median_kernel`.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np

from .._validate import check_scalar
from ._median_kernel import column_restore, column_vote, row_counts

BLOCK_ROWS = 16
"""Rows per block of the column pass (each block starts its running column sums afresh)."""
SERIAL_PIXELS = 1 << 18
"""Masks of at most this many pixels are filtered on one Numba thread.  The filter runs four
parallel regions; on a machine whose cores are busy with other processes each one waits for a
descheduled worker, which cost ~1 ms a frame at 320x240 with 2 threads (the filter itself takes
~0.2 ms on one thread); at 1920x1080 one and two threads took the same time
(docs/performance.md, "Adaptive speed: exact displacement screen, unsigned indices, serial median").
The output does not depend on the thread count."""


class MedianFilter:
    """Binary median filter of foreground masks with reusable scratch memory.

    Kernel: fastgmm.background._median_kernel.row_counts then column_vote (with
    ``restore_radius``: row_counts and column_restore again), on one thread for masks of at most
    :data:`SERIAL_PIXELS` pixels.

    Parameters
    ----------
    size : int, default 5
        Odd window width and height (1 = copy the detections, as 0/255).
    restore_radius : int, default 0
        Put back the input's detections within this many pixels of the voted foreground (0: off).
    """

    def __init__(self, size: int = 5, *, restore_radius: int = 0) -> None:
        check_scalar(restore_radius, "restore_radius", kind=numbers.Integral, min_val=0)
        self.restore_radius = int(restore_radius)
        check_scalar(size, "size", kind=numbers.Integral, min_val=1)
        if size % 2 == 0:
            raise ValueError(f"size must be odd (the window is centred on the pixel); got {size}.")
        self.size = int(size)
        self._counts: np.ndarray | None = None
        self._acc: np.ndarray | None = None

    def __call__(self, mask: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Filter a (H, W) uint8 mask into ``out`` (a new array when None; must not be ``mask``)."""
        if not (isinstance(mask, np.ndarray) and mask.dtype == np.uint8 and mask.ndim == 2):
            raise TypeError(
                f"mask must be a 2-D uint8 array; got {getattr(mask, 'dtype', type(mask).__name__)} "
                f"with shape {getattr(mask, 'shape', None)}."
            )
        if out is None:
            out = np.empty_like(mask)
        elif not (isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == mask.shape):
            raise ValueError(f"out must be a uint8 array of shape {mask.shape}.")
        if self._counts is None or self._counts.shape != mask.shape:
            # a row count is at most the window's width: one byte a pixel for windows up to 255 wide
            narrow = max(self.size, 2 * self.restore_radius + 1) <= 255
            self._counts = np.empty(mask.shape, dtype=np.uint8 if narrow else np.int32)
            self._acc = np.empty(((mask.shape[0] + BLOCK_ROWS - 1) // BLOCK_ROWS, mask.shape[1]), dtype=np.int32)
        if out is mask or np.shares_memory(out, mask):
            raise ValueError("out must not share memory with mask; pass a separate array.")
        mask = np.ascontiguousarray(mask)
        threads = numba.get_num_threads()
        if threads > 1 and mask.size <= SERIAL_PIXELS:
            numba.set_num_threads(1)  # per calling thread; restored below
        try:
            row_counts(mask, self.size // 2, self._counts)
            column_vote(self._counts, self.size // 2, self._acc, out)
            if self.restore_radius:
                row_counts(out, self.restore_radius, self._counts)
                column_restore(self._counts, self.restore_radius, self._acc, mask, out)
        finally:
            numba.set_num_threads(threads)
        return out


def median_filter(mask: np.ndarray, size: int = 5, *, restore_radius: int = 0) -> np.ndarray:
    """Binary median (majority vote) of a foreground mask; see :class:`MedianFilter`."""
    return MedianFilter(size, restore_radius=restore_radius)(mask)
