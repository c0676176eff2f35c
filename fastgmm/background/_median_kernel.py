"""Numba kernels of the binary median filter (:mod:`fastgmm.background.postprocess`).

Separable: :func:`row_counts` counts detections (255) along each row over the window's width,
:func:`column_vote` sums those counts down each column and takes the majority of the clipped
window, so the cost per pixel does not depend on the window size.  :func:`column_restore` puts
back raw detections near the voted foreground.  A kernel module: imports only ``fastgmm._jit``.
"""

from __future__ import annotations

from .._jit import kernel, prange


@kernel(parallel=True)
def row_counts(mask, r, counts):
    """counts[i, j] = number of 255s in mask[i, j-r .. j+r] (clipped)."""
    H, W = mask.shape
    for i in prange(H):
        c = 0
        for j in range(min(r, W)):
            c += mask[i, j] == 255
        for j in range(W):
            if j + r < W:
                c += mask[i, j + r] == 255
            if j - r - 1 >= 0:
                c -= mask[i, j - r - 1] == 255
            counts[i, j] = c


@kernel(parallel=True)
def column_vote(counts, r, out):
    """out[i, j] = 255 when the window sum exceeds half the (clipped) window area."""
    H, W = counts.shape
    for i in prange(H):
        i0 = max(i - r, 0)
        i1 = min(i + r, H - 1)
        rows = i1 - i0 + 1
        for j in range(W):
            cols = min(j + r, W - 1) - max(j - r, 0) + 1
            s = 0
            for k in range(i0, i1 + 1):
                s += counts[k, j]
            out[i, j] = 255 if 2 * s > rows * cols else 0


@kernel(parallel=True)
def column_restore(counts, r, raw, out):
    """out[i, j] |= 255 where raw is 255 and the window of ``counts`` (voted pixels) is non-empty."""
    H, W = counts.shape
    for i in prange(H):
        i0 = max(i - r, 0)
        i1 = min(i + r, H - 1)
        for j in range(W):
            if out[i, j] == 255 or raw[i, j] != 255:
                continue
            s = 0
            for k in range(i0, i1 + 1):
                s += counts[k, j]
            if s > 0:
                out[i, j] = 255
