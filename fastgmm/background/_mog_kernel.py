"""bgsegm MOG (KaewTraKulPong-Bowden), one kernel module as opencv_contrib's ``bgfg_gaussmix.cpp``.

:func:`update` is the only entry point; ``BackgroundSubtractorMOG`` calls it once per frame.  All
K modes of a pixel sit in its main record (row ``p`` of ``st``), mode ``k`` at float ``k * L``.
Layout, import rule and float32 exactness: see :mod:`fastgmm.background._modes`.
"""

from __future__ import annotations

import numpy as np

from .._jit import prange
from . import _modes
from ._modes import FLT_EPSILON, U1, U2, U3, U4, pixel_value, swap_modes, u

# The float32 parameter vector ``prm`` by position (filled by BackgroundSubtractorMOG._derive and,
# per frame, ._update):
P_ALPHA = 0
"""Learning rate of this frame."""
P_BACKGROUND_RATIO = 1
P_VAR_THRESHOLD = 2
"""Squared match distance in standard deviations (2.5 ** 2)."""
P_MIN_VAR = 3
"""``noise_sigma ** 2``: the smallest variance of a mode."""
P_VAR_INIT = 4
P_WEIGHT_INIT = 5
P_SORT_KEY_INIT = 6
"""Sort key of a new mode (depends on the channel count; set per frame)."""
N_PARAMS = 7

MODE_SORT_KEY = 0
"""Position of the sort key (weight / sqrt(summed variances)) in a mode (floats)."""
MODE_WEIGHT = 1
MODE_MEAN = 2
"""Position of the first mean channel in a mode; the C variances follow the C means."""

FIXED_K = 5
"""bgsegm MOG with this many modes (the default) gets a kernel with K as a compile-time constant:
its loops over all K modes of a pixel unroll (docs/performance.md, "MOG with K = 5")."""


@_modes.exact_inline
def _mog_match(st, p, o, C, x0, x1, x2, vT):
    """bgsegm match test of the mode at float ``o``: squared distance below ``vT`` times the summed
    per-channel variances.  Returns (hit, x0 - mean0, x1 - mean1, x2 - mean2)."""
    vo = o + u(2 + C)
    d0 = x0 - st[p, o + U2]
    if C == 3:
        d1 = x1 - st[p, o + U3]
        d2 = x2 - st[p, o + U4]
        dsq = d0 * d0 + d1 * d1
        dsq = dsq + d2 * d2
        vs = st[p, vo] + st[p, vo + U1]
        vs = vs + st[p, vo + U2]
        return dsq < vT * vs, d0, d1, d2
    return d0 * d0 < vT * st[p, vo], d0, np.float32(0.0), np.float32(0.0)


@_modes.exact_inline
def _mog_update_pixel(st, p, C, K, x0, x1, x2, alpha, T, vT, min_var, var0, w0, sk0):
    """bgsegm-MOG update of pixel ``p`` (alpha > 0), as OpenCV contrib; returns the mask value."""
    L = 2 + 2 * C
    wsum = np.float32(0.0)
    k_hit = -1
    k_fg = -1
    k = 0
    while k < K:
        o = u(k * L)
        vo = o + u(2 + C)
        w = st[p, o + U1]
        wsum = wsum + w
        if w < FLT_EPSILON:
            break
        hit, d0, d1, d2 = _mog_match(st, p, o, C, x0, x1, x2, vT)
        if hit:
            wsum = wsum - w
            st[p, o + U1] = w + alpha * (np.float32(1.0) - w)
            st[p, o + U2] = st[p, o + U2] + alpha * d0
            v = st[p, vo]
            v = v + alpha * (d0 * d0 - v)
            vsum = v if v > min_var else min_var  # noqa: FURB136 (bgsegm's std::max order kept)
            st[p, vo] = vsum
            if C == 3:
                st[p, o + U3] = st[p, o + U3] + alpha * d1
                st[p, o + U4] = st[p, o + U4] + alpha * d2
                v = st[p, vo + U1]
                v = v + alpha * (d1 * d1 - v)
                v = v if v > min_var else min_var  # noqa: FURB136
                st[p, vo + U1] = v
                vsum = vsum + v
                v = st[p, vo + U2]
                v = v + alpha * (d2 * d2 - v)
                v = v if v > min_var else min_var  # noqa: FURB136
                st[p, vo + U2] = v
                vsum = vsum + v
            st[p, o] = w / np.sqrt(vsum)  # the sort key: old weight over sqrt of the summed variances
            k1 = k - 1
            while k1 >= 0:
                if st[p, u(k1 * L)] >= st[p, u((k1 + 1) * L)]:
                    break
                swap_modes(st, p, u(k1 * L), u((k1 + 1) * L), L)
                k1 -= 1
            k_hit = k1 + 1
            break
        k += 1
    if k_hit < 0:
        k = min(k, K - 1)
        k_hit = k
        o = u(k * L)
        vo = o + u(2 + C)
        wsum = wsum + (w0 - st[p, o + U1])
        st[p, o] = sk0
        st[p, o + U1] = w0
        st[p, o + U2] = x0
        st[p, vo] = var0
        if C == 3:
            st[p, o + U3] = x1
            st[p, o + U4] = x2
            st[p, vo + U1] = var0
            st[p, vo + U2] = var0
    else:
        while k < K:
            wsum = wsum + st[p, u(k * L + 1)]
            k += 1
    wscale = np.float32(1.0) / wsum
    wsum = np.float32(0.0)
    for k in range(K):
        o = u(k * L)
        w = st[p, o + U1] * wscale
        st[p, o + U1] = w
        wsum = wsum + w
        st[p, o] = st[p, o] * wscale
        if wsum > T and k_fg < 0:
            k_fg = k + 1
    return 255 if k_hit >= k_fg else 0


@_modes.exact_inline
def _mog_frozen_pixel(st, p, C, K, x0, x1, x2, T, vT):
    """bgsegm-MOG classification of pixel ``p`` without any update (alpha == 0)."""
    L = 2 + 2 * C
    k_hit = -1
    for k in range(K):
        o = u(k * L)
        if st[p, o + U1] < FLT_EPSILON:
            break
        hit, _, _, _ = _mog_match(st, p, o, C, x0, x1, x2, vT)
        if hit:
            k_hit = k
            break
    k_fg = -1
    if k_hit >= 0:
        wsum = np.float32(0.0)
        for k in range(K):
            wsum = wsum + st[p, u(k * L + 1)]
            if wsum > T:
                k_fg = k + 1
                break
    return 255 if (k_hit < 0 or k_hit >= k_fg) else 0


@_modes.exact_helper
def _mog_block(b, frame, st, known_fg, use_known_fg, mask, C, K, prm, block):
    """bgsegm MOG on pixels [b*block, (b+1)*block); ``prm`` is the parameter vector (``P_*``)."""
    alpha, T, vT = prm[P_ALPHA], prm[P_BACKGROUND_RATIO], prm[P_VAR_THRESHOLD]
    min_var, var0, w0, sk0 = prm[P_MIN_VAR], prm[P_VAR_INIT], prm[P_WEIGHT_INIT], prm[P_SORT_KEY_INIT]
    for ip in range(b * block, min(frame.shape[0], (b + 1) * block)):
        p = u(ip)
        if use_known_fg and known_fg[p] != 0:
            mask[p] = 255
        elif alpha > np.float32(0.0):
            x0, x1, x2 = pixel_value(frame, p, C)
            mask[p] = _mog_update_pixel(st, p, C, K, x0, x1, x2, alpha, T, vT, min_var, var0, w0, sk0)
        else:
            x0, x1, x2 = pixel_value(frame, p, C)
            mask[p] = _mog_frozen_pixel(st, p, C, K, x0, x1, x2, T, vT)


@_modes.exact_parallel
def update(channels, fixed_k, frame, st, known_fg, use_known_fg, mask, K, prm, n_threads, block):
    """Update a MOG model with a frame (H*W, C) and write its mask (H*W,).

    ``channels`` and ``fixed_k`` (:func:`kernel_tags`) are tuples of zeros whose *lengths* are part
    of their Numba types: C, and 1 when K is ``FIXED_K`` (0 otherwise).  Numba rewrites ``len()``
    of a tuple argument into a constant and prunes the other branches, so each specialisation
    holds one block kernel with C (and K = 5) as constants, folded in by LLVM.  ``st`` is the
    float32 view of the records, one row per pixel; blocks are dealt to the threads in turn as
    in ``_mog2_kernel.update``.
    """
    nb = (frame.shape[0] + block - 1) // block
    for t in prange(n_threads):
        for b in range(t, nb, n_threads):
            if len(fixed_k) == 1:
                if len(channels) == 3:
                    _mog_block(b, frame, st, known_fg, use_known_fg, mask, 3, FIXED_K, prm, block)
                else:
                    _mog_block(b, frame, st, known_fg, use_known_fg, mask, 1, FIXED_K, prm, block)
            elif len(channels) == 3:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 3, K, prm, block)
            else:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 1, K, prm, block)


def kernel_tags(n_channels: int, n_mixtures: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ``channels`` and ``fixed_k`` arguments of :func:`update`."""
    return (0,) * n_channels, (0,) * int(n_mixtures == FIXED_K)
