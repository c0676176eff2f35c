"""Global camera motion: the integer shift that registers a frame on the background image.

A camera that shakes (wind, traffic, a hand) moves the whole image by a pixel or a few between
frames; a per-pixel model then sees every edge of the scene as foreground.  :func:`shift_costs`
scores each shift ``(dy, dx)`` within ``R`` pixels by how far the shifted frame's gradients are
from the previous frame's background image's, on a grid of samples of one channel (green).  Gradients, not values: a
brightness change (camera gain, lights) changes the values everywhere, and on a smooth image
a shift along the brightness slope would "explain" it; it leaves the gradients' positions alone.
Each sample's difference is truncated, so moving objects do not dominate the sum; the sums are
integers, so the scores and the choice made from them do not depend on the thread count.  The
model (``adaptive.AdaptiveMixtureSubtractor``) classifies and learns the frame in the background's
coordinates and shifts its mask back.  A kernel module: imports only ``fastgmm._jit``.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel, prange


@kernel(parallel=True)
def shift_costs(frame, bg, H, W, ch, R, step, trunc, costs, partial, window):
    """``costs[(dy + R) * (2R + 1) + dx + R]`` = sum over the samples ``y = R, R + step, ... <
    H - R - 1`` (columns likewise) of ``min(|gx_f - gx_b| + |gy_f - gy_b|, trunc)``, where ``gx``,
    ``gy`` are the differences of channel ``ch`` to the next column and the next row, ``_f`` of
    the frame at ``(y + dy, x + dx)`` and ``_b`` of the background at ``(y, x)``.

    ``frame`` and ``bg`` are (H*W, C) uint8; ``costs`` is int64 of length (2R + 1)^2.  Each row of
    samples runs in parallel into its row of ``partial`` (int64, one row per sample row, (2R + 1)^2
    columns), with the frame's values around a sample in its row of ``window`` (int64, (2R + 2)^2
    columns); the rows are then added in order (integers: the same total for any thread count)."""
    n = 2 * R + 1
    m = n + 1
    n_rows = partial.shape[0]
    for r in prange(n_rows):
        y = R + r * step
        acc = partial[r]
        win = window[r]
        for s in range(n * n):
            acc[s] = 0
        for x in range(R, W - R - 1, step):
            p = y * W + x
            b = np.int64(bg[p, ch])
            bgx = np.int64(bg[p + 1, ch]) - b
            bgy = np.int64(bg[p + W, ch]) - b
            for a in range(m):
                base = p + (a - R) * W - R
                for k in range(m):
                    win[a * m + k] = frame[base + k, ch]
            for dy in range(n):
                for dx in range(n):
                    f = win[dy * m + dx]
                    gx = win[dy * m + dx + 1] - f - bgx
                    gy = win[(dy + 1) * m + dx] - f - bgy
                    acc[dy * n + dx] += min(abs(gx) + abs(gy), trunc)
    for s in range(n * n):
        total = 0
        for r in range(n_rows):
            total += partial[r, s]
        costs[s] = total
