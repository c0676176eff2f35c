"""Distinct colours of an image and their pixel counts: the histogram :func:`fastgmm.segment` fits.

A kernel module: it imports nothing of fastgmm but ``_jit``.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel


@kernel()
def _colour_ids(pixels: np.ndarray, table: np.ndarray, inverse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct rows of uint8 ``pixels`` (N, C), C in {1, 3}, in order of first appearance.

    Returns (first (U,): the row where each colour first appears, counts (U,) int64) and writes
    into ``inverse`` (N,) every pixel's colour number.  ``table`` (256^C int32 zeros, from
    ``np.zeros`` so that the operating system hands out its zero pages lazily) gives each colour
    an id at its first appearance; it is indexed in Morton (bit-interleaved) order, so similar
    colours share memory pages and only the pages of the image's colour range are ever touched.
    """
    N, C = pixels.shape
    spread = np.zeros(256, dtype=np.int64)  # bit b of v moves to bit C * b
    for v in range(256):
        for bit in range(8):
            spread[v] |= ((v >> bit) & 1) << (C * bit)
    # table entries: 0 = colour not seen yet, else its id + 1
    first = np.empty(min(N, 1 << (8 * C)), dtype=np.int64)
    counts = np.zeros(first.shape[0], dtype=np.int64)
    n_unique = 0
    for n in range(N):
        key = 0
        for c in range(C):
            key |= spread[pixels[n, c]] << (C - 1 - c)
        ident = table[key] - 1
        if ident < 0:
            ident = n_unique
            table[key] = ident + 1
            first[ident] = n
            n_unique += 1
        counts[ident] += 1
        inverse[n] = ident
    return first[:n_unique], counts[:n_unique]


def _colour_histogram(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of C-contiguous uint8 ``pixels`` (N, C) in lexicographic order: (uniques, counts, inverse).

    The kernel numbers the colours in order of appearance; the few distinct colours are then
    sorted by numpy (the keys are distinct, so any sort gives the same order) and the numbers
    renumbered.  Sorting outside the kernel keeps Numba's quicksort (a second of compilation on a
    cold cache) out of ``segment``'s first run.
    """
    inverse = np.empty(pixels.shape[0], dtype=np.int64)
    table = np.zeros(1 << (8 * pixels.shape[1]), dtype=np.int32)
    first, counts = _colour_ids(pixels, table, inverse)
    uniques = pixels[first]
    keys = np.zeros(first.shape[0], dtype=np.int64)
    for c in range(pixels.shape[1]):
        keys = (keys << 8) | uniques[:, c]
    order = np.argsort(keys)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return uniques[order], counts[order], rank[inverse]


def unique_colours(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct colours of a pixel matrix (N, C): ``(uniques, counts, inverse)``.

    ``uniques[inverse]`` reconstructs ``pixels``.  uint8 input (and float input holding only whole
    numbers in 0..255, returned as uint8 uniques) goes through a lookup-table kernel; other float
    input through :func:`numpy.unique` on rows.
    """
    if pixels.dtype != np.uint8 and pixels.min() >= 0 and pixels.max() <= 255 and np.all(pixels == np.rint(pixels)):
        pixels = pixels.astype(np.uint8)  # whole numbers in 0..255: the same colours as uint8
    if pixels.dtype == np.uint8:
        return _colour_histogram(np.ascontiguousarray(pixels))
    uniques, inverse, counts = np.unique(pixels, axis=0, return_inverse=True, return_counts=True)
    return uniques, counts, inverse.reshape(-1)
