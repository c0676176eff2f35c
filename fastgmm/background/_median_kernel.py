"""Numba kernels of the binary median filter (:mod:`fastgmm.background.postprocess`).

Separable: :func:`row_counts` counts detections (255) along each row over the window's width,
:func:`column_vote` sums those counts down each column and takes the majority of the clipped
window, :func:`column_restore` puts back raw detections near the voted foreground.  The column
sums run down blocks of rows: a running sum per column (``acc``, one row of it per block), one
row added and one removed per step, so the cost per pixel does not depend on the window size and
the loops along a row vectorise.  A kernel module: imports only ``fastgmm._jit``.
"""

from __future__ import annotations

from .._jit import kernel, prange


@kernel(parallel=True)
def row_counts(mask, r, counts):
    """counts[i, j] = number of 255s in mask[i, j-r .. j+r] (clipped): one pass along the row per
    offset of the window, each a loop without a carried dependency that vectorises."""
    H, W = mask.shape
    for i in prange(H):
        c = counts[i]
        m = mask[i]
        for j in range(W):
            c[j] = 0
        for k in range(max(-r, 1 - W), min(r, W - 1) + 1):  # offsets with a non-empty overlap
            lo = max(0, -k)
            hi = min(W, W - k)
            src = m[lo + k:hi + k]
            dst = c[lo:hi]
            for j in range(hi - lo):
                dst[j] += src[j] == 255


@kernel(inline="always")
def _slide(counts, r, acc, i, i0):
    """Make ``acc`` the column sums of counts[i-r .. i+r] (clipped): the first row of a block sums
    its window, the next ones add row i+r and remove row i-r-1."""
    H, W = counts.shape
    if i == i0:
        for j in range(W):
            acc[j] = 0
        for k in range(max(i - r, 0), min(i + r, H - 1) + 1):
            for j in range(W):
                acc[j] += counts[k, j]
        return
    if i + r < H:
        for j in range(W):
            acc[j] += counts[i + r, j]
    if i - r - 1 >= 0:
        for j in range(W):
            acc[j] -= counts[i - r - 1, j]


@kernel(parallel=True)
def column_vote(counts, r, acc, out):
    """out[i, j] = 255 when the window sum exceeds half the (clipped) window area.  ``acc``: one
    int32 row of scratch per block of rows (``acc.shape[0]`` blocks)."""
    H, W = counts.shape
    n_blocks = acc.shape[0]
    per = (H + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        i0 = b * per
        a = acc[b]
        for i in range(i0, min(H, i0 + per)):
            _slide(counts, r, a, i, i0)
            rows = min(i + r, H - 1) - max(i - r, 0) + 1
            for j in range(W):
                cols = min(j + r, W - 1) - max(j - r, 0) + 1
                out[i, j] = 255 if 2 * a[j] > rows * cols else 0


@kernel(parallel=True)
def column_restore(counts, r, acc, raw, out):
    """out[i, j] = 255 where raw is 255 and the window of ``counts`` (voted pixels) is non-empty
    (``acc`` as in :func:`column_vote`)."""
    H, W = counts.shape
    n_blocks = acc.shape[0]
    per = (H + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        i0 = b * per
        a = acc[b]
        for i in range(i0, min(H, i0 + per)):
            _slide(counts, r, a, i, i0)
            for j in range(W):
                if raw[i, j] == 255 and a[j] > 0:
                    out[i, j] = 255
