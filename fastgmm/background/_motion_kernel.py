"""Global camera motion: the integer shift that registers a frame on the background image.

A camera that shakes (wind, traffic, a hand) moves the whole image by a pixel or a few between
frames; a per-pixel model then sees every edge of the scene as foreground.  :func:`shift_costs`
scores each shift ``(dy, dx)`` within ``R`` pixels of a centre (the model's coordinates, or the
camera's last offset) by how far the shifted frame's gradients are from the previous frame's
background image's, on a grid of samples of one channel (green).  Gradients, not values: a
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
def shift_costs(frame, bg, W, ch, rows, cols, cy, cx, R, step, trunc, costs, partial, grads):
    """``costs[(dy + R) * (2R + 1) + dx + R]`` = sum over the samples ``y = rows[0], rows[0] + step,
    ... < rows[1]`` (columns likewise from ``cols``) of ``min(|gx_f - gx_b| + |gy_f - gy_b|, trunc)``,
    where ``gx``, ``gy`` are the differences of channel ``ch`` to the next column and the next row,
    ``_f`` of the frame at ``(y + cy + dy, x + cx + dx)`` and ``_b`` of the background at ``(y, x)``:
    the shifts within ``R`` of the centre ``(cy, cx)``.  The caller keeps every pixel read inside the
    image (``rows`` within ``R - cy .. H - R - 2 - cy`` and ``0 .. H - 2``, columns likewise).

    ``frame`` and ``bg`` are (H*W, C) uint8; ``costs`` is int64 of length at least (2R + 1)^2.  Each
    row of samples runs in parallel into its row of ``partial`` (int64, at least one row per sample
    row and (2R + 1)^2 columns); per sample, the differences ``gx_f - gx_b`` and ``gy_f - gy_b`` of
    every shift go into that row of ``grads`` (int32, at least 2 (2R + 1)^2 columns), so the costs
    of all shifts are one loop that vectorises.  The rows are then added in order (integers: the
    same total for any thread count)."""
    n = 2 * R + 1
    nn = n * n
    n_rows = max(0, (rows[1] - rows[0] + step - 1) // step)
    for r in prange(n_rows):
        y = rows[0] + r * step
        acc = partial[r]
        gx = grads[r, :nn]
        gy = grads[r, nn:]
        for s in range(nn):
            acc[s] = 0
        for x in range(cols[0], cols[1], step):
            p = np.uint64(y * W + x)  # unsigned (every read is inside the image): no negative-index wraparound code
            b = np.int32(bg[p, ch])
            bgx = np.int32(bg[p + np.uint64(1), ch]) - b
            bgy = np.int32(bg[p + np.uint64(W), ch]) - b
            for a in range(n):
                base = np.uint64(y * W + x + (a + cy - R) * W + cx - R)
                for k in range(n):
                    q = base + np.uint64(k)
                    f = np.int32(frame[q, ch])
                    g = np.uint64(a * n + k)
                    gx[g] = np.int32(frame[q + np.uint64(1), ch]) - f - bgx
                    gy[g] = np.int32(frame[q + np.uint64(W), ch]) - f - bgy
            for s in range(nn):
                acc[s] += min(abs(gx[s]) + abs(gy[s]), trunc)
    for s in range(nn):
        total = 0
        for r in range(n_rows):
            total += partial[r, s]
        costs[s] = total


@kernel(parallel=True)
def block_means(img, W, ch, F, Wb, out):
    """``out[i * Wb + j, 0]`` = the mean of channel ``ch`` of ``img`` over the F x F block of rows
    ``F i .. F i + F - 1`` and columns ``F j .. F j + F - 1``, rounded half up to an integer: the
    image ``F`` times smaller that the coarse search of a large camera motion scores with
    :func:`shift_costs`.  ``img`` is (H*W, C) uint8 with ``H >= F * Hb``, ``W >= F * Wb``; ``out``
    is (Hb*Wb, 1) uint8 (the rows and columns beyond the last whole block are left out).  Each
    row of blocks runs in parallel; integer sums, the same for any thread count."""
    Hb = out.shape[0] // Wb
    area = F * F
    for i in prange(Hb):
        for j in range(Wb):
            total = 0
            for y in range(F * i, F * i + F):
                p = y * W + F * j
                for x in range(F):
                    total += np.int32(img[p + x, ch])
            out[i * Wb + j, 0] = (total + area // 2) // area
