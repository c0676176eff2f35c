"""Numba kernels for per-pixel Gaussian-mixture background models (MOG2 and bgsegm MOG).

Every pixel owns its records of the state, so a ``prange`` over blocks of pixels needs no
synchronisation.  The state (see ``_state``) is one buffer: a main record per pixel (MOG2: the
uint8 mode count, padding, then the first ``M`` modes; MOG: all its modes), then for MOG2 an
overflow record per pixel with modes ``M..K-1``.  Kernels see it as one row of floats ``fl``
(MOG2 modes, located with :func:`pixel_bases`, :func:`mode_offset` and :func:`next_offset`) and as
float32 / uint8 matrices ``st`` / ``cnt`` of the main records, one row per pixel (MOG modes at float
``m * L``; the MOG2 count in column 0 of ``cnt``).  A mode is ``L`` consecutive floats (MOG2
``[weight, variance, mean...]``, MOG ``[sort_key, weight, mean..., variance...]``), so swapping two
modes and the background image are shared by both models.  Frames arrive as (H*W, C) and masks
as (H*W,).

All arithmetic is float32, in the same order as OpenCV's C++ (the kernels are compiled without
fast-math, so nothing is reassociated or fused) -- this is what makes the masks bit-identical.
Channel counts are 1 or 3: the one parallel entry point, :func:`update`, is specialised at
compile time for one model and channel count (and, for MOG, the default mode count; see
``kernel_kind``) and calls that block kernel with them as constants, so after inlining LLVM
specialises its body.  The models' scalar parameters travel as one float32 vector
(``MOG2_PARAMS``, ``MOG_PARAMS``), filled in place by the Python wrapper.

Tried and rejected (2026-11-25, highway frames, alternated with OpenCV, 2-core AMD EPYC Zen 4): a
SIMD layout (one record per block of 16-64 pixels, fields as lane arrays, every phase a branch-free
loop over the lanes that LLVM vectorised with 8-wide AVX2/AVX-512 selects, masks bit-identical on
300 frames in 26 configurations) ran 1.5-2.1x *slower* than this scalar kernel: a block must run
every phase over the largest mode count of its lanes (3.5 modes per pixel for 64 lanes, 2.6 for
16, against 1.67 modes a pixel really has and the scalar code's exit after the first match), and
the per-block bookkeeping of ~15 vectorised loops costs about what the scalar branches do.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel, prange

_exact = kernel(parallel=False, fastmath=False)
_exact_parallel = kernel(parallel=True, fastmath=False)
_exact_inline = kernel(parallel=False, fastmath=False, inline="always")

FLT_EPSILON = np.float32(1.1920929e-07)

# _NOVEC: loops over the 1..K modes of one pixel that never exit early get vectorised by LLVM
# into masked AVX-512 gather/scatter (stride L), which on a 1-5 trip loop measured ~3x slower
# than scalar code (37 % of MOG2's time at 1080p).  Those loops carry an exit on a NaN weight,
# which cannot occur (inputs are finite), so they stay scalar; results are unchanged.


_u = np.uint64
# Indices into the state are unsigned (``_u``): Numba wraps negative signed indices around, which
# costs a shift, an and and an add per access in the per-pixel loops (and blocks unrolling).
_U0 = _u(0)
_U1 = _u(1)
_U2 = _u(2)
_U3 = _u(3)
_U4 = _u(4)


@_exact_inline
def _swap_modes(st, p, a, b, L):
    """Swap the ``L`` floats starting at offsets ``a`` and ``b`` (unsigned) of record ``p``."""
    for q in range(L):
        t = st[p, a + _u(q)]
        st[p, a + _u(q)] = st[p, b + _u(q)]
        st[p, b + _u(q)] = t


@_exact_inline
def mode_offset(m, M, L, main, over):
    """Float offset (unsigned) of mode ``m`` of a pixel in the flat state: its first ``M`` modes
    (``L`` floats each) start at float ``main`` of its main record, the others at ``over`` in its
    overflow record (see :func:`pixel_bases`)."""
    if m < M:
        return main + _u(m * L)
    return over + _u((m - M) * L)


@_exact_inline
def next_offset(o, m, M, L, over):
    """Offset of mode ``m`` given ``o``, that of mode ``m - 1`` (cheaper than :func:`mode_offset`
    in loops over the modes in order)."""
    return over if m == M else o + _u(L)


@_exact_inline
def pixel_bases(p, lay):
    """(main, over): float offsets of pixel ``p``'s first mode in its main record and in its overflow
    record.  ``lay`` is the model's ``_layout``: (head, M, L, R1, ov, R2) = float offset of the first
    mode in a record, modes per main record, floats per mode, floats per main record, start of the
    overflow region, floats per overflow record."""
    return p * _u(lay[3]) + _u(lay[0]), _u(lay[4]) + p * _u(lay[5])


@_exact_inline
def _pixel_value(frame, p, C):
    """Channels of pixel ``p`` as float32 (x0, x1, x2); x1 = x2 = 0 for a gray frame."""
    x0 = np.float32(frame[p, _U0])
    if C == 3:
        return x0, np.float32(frame[p, _U1]), np.float32(frame[p, _U2])
    return x0, np.float32(0.0), np.float32(0.0)


# ---------------------------------------------------------------------------------------- MOG2
MOG2_PARAMS = ("alpha", "prune", "var_threshold", "background_ratio", "var_threshold_gen", "var_init",
               "var_min", "var_max", "shadow_threshold", "detect_shadows", "shadow_value")
"""Order of the float32 parameter vector of the MOG2 kernel (flags and shadow value as 0/1 and 0..255)."""


@_exact
def _mog2_shadow(fl, main, over, M, nm, C, x0, x1, x2, Tb, TB, tau):
    """Prati et al. shadow test on the updated modes of a pixel (OpenCV detectShadowGMM)."""
    L = 2 + C
    tw = np.float32(0.0)
    o = main
    for m in range(nm):
        o = o if m == 0 else next_offset(o, m, M, L, over)
        m0 = fl[_U0, o + _U2]
        num = x0 * m0
        den = m0 * m0
        if C == 3:
            m1 = fl[_U0, o + _U3]
            m2 = fl[_U0, o + _U4]
            num = num + x1 * m1
            num = num + x2 * m2
            den = den + m1 * m1
            den = den + m2 * m2
        if den == np.float32(0.0):
            return False
        if num <= den and num >= tau * den:
            a = num / den
            d = a * m0 - x0
            dist2a = d * d
            if C == 3:
                d = a * fl[_U0, o + _U3] - x1
                dist2a = dist2a + d * d
                d = a * fl[_U0, o + _U4] - x2
                dist2a = dist2a + d * d
            if dist2a < Tb * fl[_U0, o + _U1] * a * a:
                return True
        tw = tw + fl[_U0, o]
        if tw > TB:
            return False
    return False


@_exact_inline
def _mode_distance(fl, o, C, x0, x1, x2):
    """(variance, mean - x per channel, squared distance) of the MOG2 mode at float ``o``."""
    var = fl[_U0, o + _U1]
    d0 = fl[_U0, o + _U2] - x0
    if C == 3:
        d1 = fl[_U0, o + _U3] - x1
        d2 = fl[_U0, o + _U4] - x2
        return var, d0, d1, d2, d0 * d0 + d1 * d1 + d2 * d2
    return var, d0, np.float32(0.0), np.float32(0.0), d0 * d0


@_exact_inline
def _move_mode(fl, o, C, k, var, d0, d1, d2, dist2, var_min, var_max):
    """Move the mean and variance of the mode at float ``o`` towards the pixel with gain ``k``."""
    fl[_U0, o + _U2] = fl[_U0, o + _U2] - k * d0
    if C == 3:
        fl[_U0, o + _U3] = fl[_U0, o + _U3] - k * d1
        fl[_U0, o + _U4] = fl[_U0, o + _U4] - k * d2
    vnew = var + k * (dist2 - var)
    vnew = vnew if vnew > var_min else var_min
    vnew = vnew if vnew < var_max else var_max
    fl[_U0, o + _U1] = vnew


@_exact_inline
def _fit_mode(fl, o, C, w, alpha, var, d0, d1, d2, dist2, var_min, var_max):
    """Update the mode at float ``o`` (decayed weight ``w``) with the pixel; returns its new weight."""
    w = w + alpha
    _move_mode(fl, o, C, alpha / w, var, d0, d1, d2, dist2, var_min, var_max)
    return w


@_exact_inline
def _lone_mode(w0, alpha, alpha1, prune):
    """A pixel's only mode, of weight ``w0``, fits: (gain alpha / w, final weight, whether it
    survives pruning), as the general code computes them."""
    w = alpha1 * w0 + prune
    w = w + alpha
    k = alpha / w
    if w < -prune:
        return k, np.float32(0.0), False
    if abs(w) > FLT_EPSILON:
        return k, w * (np.float32(1.0) / w), True
    return k, w * np.float32(0.0), True


@_exact_inline
def _store_weight(fl, o, w, prune, nm, total):
    """Store a mode's decayed weight at float ``o``; under the prior (``-prune``) the mode is dropped
    as OpenCV does it (weight 0, one mode fewer).  Returns (modes in use, total + stored weight)."""
    if w < -prune:
        w = np.float32(0.0)
        nm -= 1
    fl[_U0, o] = w
    return nm, total + w


@_exact_inline
def _normalise(fl, main, over, M, L, nm, total):
    """Divide the weights of the first ``nm`` modes by ``total`` (OpenCV: times 1/total, or 0)."""
    inv = np.float32(0.0)
    if abs(total) > FLT_EPSILON:
        inv = np.float32(1.0) / total
    o = main
    for m in range(nm):
        o = o if m == 0 else next_offset(o, m, M, L, over)
        w = fl[_U0, o] * inv
        fl[_U0, o] = w
        if w != w:  # never taken (NaN); an exit keeps LLVM from vectorising _NOVEC
            break


@_exact
def _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, C, K, prm, block):
    """MOG2 update + classification of pixels [b*block, (b+1)*block), step by step as OpenCV's
    MOG2Invoker (the per-pixel body is written inline: a call per pixel costs more than the work).
    ``prm`` holds the ``MOG2_PARAMS`` in that order; mode m of pixel p is at
    ``fl[0, mode_offset(m, ...)]`` (see :func:`pixel_bases`): weight, variance, mean[C].

    Fast path: a pixel that fits its first (heaviest) mode -- 85-95 % of the pixels of a frame once
    the model has settled -- moves no mode and creates none, so it skips the general loop's
    bookkeeping; a pixel with a single mode (85 % at 1920x1080 after 40 highway frames) runs
    straight-line code without a division (see ``w_a``, ``w_b``).  Same float32 operations in the
    same order as the general loop, so masks and state are bit-identical.  Measured 2026-11-25 (AMD EPYC
    Zen 3 VM, kernel only, highway frames 11-40 resized to 1920x1080, state restored before each run,
    variants alternated in one process): 1 thread on a cache-resident 128x128 crop, median of 200
    runs, 11.6 ns/pixel before -> 8.4 with the fast path -> 7.4 without the divisions; whole frame
    with 2 threads, median of 10 runs, 10.7 -> 8.4 -> 7.6 ns/pixel.
    """
    alpha, prune, Tb, TB, Tg = prm[0], prm[1], prm[2], prm[3], prm[4]
    var_init, var_min, var_max, tau = prm[5], prm[6], prm[7], prm[8]
    detect_shadows = prm[9] != np.float32(0.0)
    shadow_value = np.uint8(prm[10])
    M = lay[1]
    L = 2 + C  # a constant: the mode swaps unroll
    alpha1 = np.float32(1.0) - alpha
    # A lone mode's weight is always 1 or 1 - 2**-24 after normalisation (x * (1/x) rounds to one
    # of the two), so its update is worked out once here for both: two divisions fewer per pixel.
    w_a = np.float32(1.0) - np.float32(2.0 ** -24)
    w_b = np.float32(1.0)
    k_a, new_a, keep_a = _lone_mode(w_a, alpha, alpha1, prune)
    k_b, new_b, keep_b = _lone_mode(w_b, alpha, alpha1, prune)
    for ip in range(b * block, min(frame.shape[0], (b + 1) * block)):
        p = _u(ip)
        if use_known_fg and known_fg[p] != 0:
            mask[p] = 255
            continue
        x0, x1, x2 = _pixel_value(frame, p, C)
        main, over = pixel_bases(p, lay)
        nm = np.int64(cnt[p, _U0])
        fits = False
        if nm > 0:
            var, d0, d1, d2, dist2 = _mode_distance(fl, main, C, x0, x1, x2)
            fits = dist2 < Tg * var
        if fits:  # fast path (see above)
            background = np.float32(0.0) < TB and dist2 < Tb * var
            if nm == 1:
                w0 = fl[_U0, main]
                if w0 == w_a:
                    k, w, keep = k_a, new_a, keep_a
                elif w0 == w_b:
                    k, w, keep = k_b, new_b, keep_b
                else:
                    k, w, keep = _lone_mode(w0, alpha, alpha1, prune)
                _move_mode(fl, main, C, k, var, d0, d1, d2, dist2, var_min, var_max)
                fl[_U0, main] = w
                if not keep:
                    nm = 0
            else:
                w = _fit_mode(fl, main, C, alpha1 * fl[_U0, main] + prune, alpha, var, d0, d1, d2, dist2,
                              var_min, var_max)
                nm, total = _store_weight(fl, main, w, prune, nm, np.float32(0.0))
                m = 1
                o = main
                while m < nm:
                    o = next_offset(o, m, M, L, over)
                    nm, total = _store_weight(fl, o, alpha1 * fl[_U0, o] + prune, prune, nm, total)
                    m += 1
                _normalise(fl, main, over, M, L, nm, total)
        else:
            background = False
            total = np.float32(0.0)
            m = 0
            o = main
            while m < nm:
                w = alpha1 * fl[_U0, o] + prune
                o_w = o  # where the weight goes: the mode's slot after bubbling up
                if not fits:
                    if m > 0:  # mode 0's distance was computed for the fast-path test
                        var, d0, d1, d2, dist2 = _mode_distance(fl, o, C, x0, x1, x2)
                    if total < TB and dist2 < Tb * var:
                        background = True
                    if dist2 < Tg * var:
                        fits = True
                        w = _fit_mode(fl, o, C, w, alpha, var, d0, d1, d2, dist2, var_min, var_max)
                        for q in range(m, 0, -1):
                            o_up = mode_offset(q - 1, M, L, main, over)
                            if w < fl[_U0, o_up]:
                                break
                            _swap_modes(fl, _U0, o_w, o_up, L)
                            o_w = o_up
                nm, total = _store_weight(fl, o_w, w, prune, nm, total)
                m += 1
                o = next_offset(o, m, M, L, over)
            _normalise(fl, main, over, M, L, nm, total)
            if not fits and alpha > np.float32(0.0):
                if nm == K:
                    mode = K - 1
                else:
                    mode = nm
                    nm += 1
                o = mode_offset(mode, M, L, main, over)
                if nm == 1:
                    fl[_U0, o] = np.float32(1.0)
                else:
                    fl[_U0, o] = alpha
                    for q in range(nm - 1):
                        o_q = mode_offset(q, M, L, main, over)
                        w = fl[_U0, o_q] * alpha1
                        fl[_U0, o_q] = w
                        if w != w:  # never taken: see _NOVEC
                            break
                fl[_U0, o + _U1] = var_init
                fl[_U0, o + _U2] = x0
                if C == 3:
                    fl[_U0, o + _U3] = x1
                    fl[_U0, o + _U4] = x2
                for q in range(nm - 1, 0, -1):
                    o_up = mode_offset(q - 1, M, L, main, over)
                    if alpha < fl[_U0, o_up]:
                        break
                    _swap_modes(fl, _U0, o, o_up, L)
                    o = o_up
        cnt[p, _U0] = nm
        if background:
            mask[p] = 0
        elif detect_shadows and _mog2_shadow(fl, main, over, M, nm, C, x0, x1, x2, Tb, TB, tau):
            mask[p] = shadow_value
        else:
            mask[p] = 255


# ----------------------------------------------------------------------------------------- MOG
@_exact_inline
def _mog_match(st, p, o, C, x0, x1, x2, vT):
    """bgsegm match test of the mode at float ``o``: squared distance below ``vT`` times the summed
    per-channel variances.  Returns (hit, x0 - mean0, x1 - mean1, x2 - mean2)."""
    vo = o + _u(2 + C)
    d0 = x0 - st[p, o + _U2]
    if C == 3:
        d1 = x1 - st[p, o + _U3]
        d2 = x2 - st[p, o + _U4]
        dsq = d0 * d0 + d1 * d1
        dsq = dsq + d2 * d2
        vs = st[p, vo] + st[p, vo + _U1]
        vs = vs + st[p, vo + _U2]
        return dsq < vT * vs, d0, d1, d2
    return d0 * d0 < vT * st[p, vo], d0, np.float32(0.0), np.float32(0.0)


@_exact_inline
def _mog_update_pixel(st, p, C, K, x0, x1, x2, alpha, T, vT, min_var, var0, w0, sk0):
    """bgsegm-MOG update of pixel ``p`` (alpha > 0), as OpenCV contrib; returns the mask value."""
    L = 2 + 2 * C
    wsum = np.float32(0.0)
    k_hit = -1
    k_fg = -1
    k = 0
    while k < K:
        o = _u(k * L)
        vo = o + _u(2 + C)
        w = st[p, o + _U1]
        wsum = wsum + w
        if w < FLT_EPSILON:
            break
        hit, d0, d1, d2 = _mog_match(st, p, o, C, x0, x1, x2, vT)
        if hit:
            wsum = wsum - w
            st[p, o + _U1] = w + alpha * (np.float32(1.0) - w)
            st[p, o + _U2] = st[p, o + _U2] + alpha * d0
            v = st[p, vo]
            v = v + alpha * (d0 * d0 - v)
            vsum = v if v > min_var else min_var
            st[p, vo] = vsum
            if C == 3:
                st[p, o + _U3] = st[p, o + _U3] + alpha * d1
                st[p, o + _U4] = st[p, o + _U4] + alpha * d2
                v = st[p, vo + _U1]
                v = v + alpha * (d1 * d1 - v)
                v = v if v > min_var else min_var
                st[p, vo + _U1] = v
                vsum = vsum + v
                v = st[p, vo + _U2]
                v = v + alpha * (d2 * d2 - v)
                v = v if v > min_var else min_var
                st[p, vo + _U2] = v
                vsum = vsum + v
            st[p, o] = w / np.sqrt(vsum)  # the sort key: old weight over sqrt of the summed variances
            k1 = k - 1
            while k1 >= 0:
                if st[p, _u(k1 * L)] >= st[p, _u((k1 + 1) * L)]:
                    break
                _swap_modes(st, p, _u(k1 * L), _u((k1 + 1) * L), L)
                k1 -= 1
            k_hit = k1 + 1
            break
        k += 1
    if k_hit < 0:
        k = min(k, K - 1)
        k_hit = k
        o = _u(k * L)
        vo = o + _u(2 + C)
        wsum = wsum + (w0 - st[p, o + _U1])
        st[p, o] = sk0
        st[p, o + _U1] = w0
        st[p, o + _U2] = x0
        st[p, vo] = var0
        if C == 3:
            st[p, o + _U3] = x1
            st[p, o + _U4] = x2
            st[p, vo + _U1] = var0
            st[p, vo + _U2] = var0
    else:
        while k < K:
            wsum = wsum + st[p, _u(k * L + 1)]
            k += 1
    wscale = np.float32(1.0) / wsum
    wsum = np.float32(0.0)
    for k in range(K):
        o = _u(k * L)
        w = st[p, o + _U1] * wscale
        st[p, o + _U1] = w
        wsum = wsum + w
        st[p, o] = st[p, o] * wscale
        if wsum > T and k_fg < 0:
            k_fg = k + 1
    return 255 if k_hit >= k_fg else 0


@_exact_inline
def _mog_frozen_pixel(st, p, C, K, x0, x1, x2, T, vT):
    """bgsegm-MOG classification of pixel ``p`` without any update (alpha == 0)."""
    L = 2 + 2 * C
    k_hit = -1
    for k in range(K):
        o = _u(k * L)
        if st[p, o + _U1] < FLT_EPSILON:
            break
        hit, _, _, _ = _mog_match(st, p, o, C, x0, x1, x2, vT)
        if hit:
            k_hit = k
            break
    k_fg = -1
    if k_hit >= 0:
        wsum = np.float32(0.0)
        for k in range(K):
            wsum = wsum + st[p, _u(k * L + 1)]
            if wsum > T:
                k_fg = k + 1
                break
    return 255 if (k_hit < 0 or k_hit >= k_fg) else 0


MOG_PARAMS = ("alpha", "background_ratio", "var_threshold", "min_var", "var_init", "weight_init",
              "sort_key_init")
"""Order of the float32 parameter vector of the MOG kernel."""


@_exact
def _mog_block(b, frame, st, known_fg, use_known_fg, mask, C, K, prm, block):
    """bgsegm MOG on pixels [b*block, (b+1)*block); ``prm`` holds the ``MOG_PARAMS`` in that order."""
    alpha, T, vT, min_var, var0, w0, sk0 = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6]
    for ip in range(b * block, min(frame.shape[0], (b + 1) * block)):
        p = _u(ip)
        if use_known_fg and known_fg[p] != 0:
            mask[p] = 255
            continue
        x0, x1, x2 = _pixel_value(frame, p, C)
        if alpha > np.float32(0.0):
            mask[p] = _mog_update_pixel(st, p, C, K, x0, x1, x2, alpha, T, vT, min_var, var0, w0, sk0)
        else:
            mask[p] = _mog_frozen_pixel(st, p, C, K, x0, x1, x2, T, vT)


# ------------------------------------------------------------------------------------ entry point
MODEL_MOG2 = 0
MODEL_MOG = 1


MOG_FIXED_K = 5
"""bgsegm MOG with this many modes (the default) gets a kernel with K as a compile-time constant:
its loops over all K modes of a pixel unroll (1 thread, cache-resident 128x128 highway crop, median
of 100 alternated runs, 2026-11-25: 21.3 -> 17.5 ns/pixel)."""


def kernel_kind(model: int, n_channels: int, n_mixtures: int) -> tuple[int, ...]:
    """The ``kind`` argument of :func:`update`: a tuple of zeros whose *length* (part of its Numba
    type, so a compile-time constant) says which model, channel count and (MOG) whether K is
    ``MOG_FIXED_K`` to compile for."""
    code = 1 + 2 * model + (n_channels == 3)
    if model == MODEL_MOG and n_mixtures == MOG_FIXED_K:
        code += 2
    return (0,) * code


@_exact_parallel
def update(kind, frame, fl, st, cnt, lay, known_fg, use_known_fg, mask, K, prm, n_threads, block):
    """Update a model with a frame (H*W, C) and write its mask (H*W,).

    ``kind`` (:func:`kernel_kind`) selects MOG2 or MOG, C = 1 or 3 (and K = ``MOG_FIXED_K`` for
    MOG) at compile time: one entry point, but each specialisation compiles only its own block
    kernel, with C as a constant (2.5 s cold instead of 7.7 s for all four bodies in one
    function).  ``fl`` is the whole state as one row of floats (MOG2 addresses its modes with
    :func:`pixel_bases` and ``lay``), ``st`` and ``cnt`` the float32 and uint8 views of the main
    records, one row per pixel (MOG keeps all its modes there; column 0 of ``cnt`` is the MOG2 mode
    count).

    The pixels are cut into blocks of ``block`` pixels dealt to the ``n_threads`` threads in turn
    (thread t takes blocks t, t + n, t + 2n, ...): a static half-and-half split left one thread
    idle while the other finished the busier half of the image (2-thread speed-up 1.73x before,
    ~2x at 320x240 and ~1.9x at 1920x1080 after, highway frames, quiet machine).  OpenMP dynamic
    scheduling (``numba.set_parallel_chunksize``) of 1- or 4-row blocks was 8-15 % slower on a
    quiet machine, though far less hurt when another process holds a core.
    """
    code = len(kind)  # 1 MOG2 gray, 2 MOG2 colour, 3 MOG gray, 4 MOG colour, 5/6 MOG gray/colour K = 5
    nb = (frame.shape[0] + block - 1) // block
    lay = (lay[0], lay[1], lay[2], lay[3], lay[4], lay[5])
    for t in prange(n_threads):
        for b in range(t, nb, n_threads):
            if code == 2:
                _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, 3, K, prm, block)
            elif code == 1:
                _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, 1, K, prm, block)
            elif code == 6:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 3, MOG_FIXED_K, prm, block)
            elif code == 5:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 1, MOG_FIXED_K, prm, block)
            elif code == 4:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 3, K, prm, block)
            else:
                _mog_block(b, frame, st, known_fg, use_known_fg, mask, 1, K, prm, block)


# ---------------------------------------------------------------------------------- background
@_exact_parallel
def background_image(fl, lay, nmodes, w_idx, mean_idx, ratio, out):
    """Weight-average the leading modes' means until the cumulative weight exceeds ``ratio``.

    OpenCV getBackgroundImage: float32 accumulation, times 1/total (0 when total <= FLT_EPSILON),
    rounded half-to-even and saturated to uint8.  ``fl`` and ``lay`` locate the modes as for
    :func:`update`, ``nmodes`` (H*W,) gives the modes in use, ``out`` is (H*W, C) uint8.
    """
    M, L = lay[1], lay[2]
    C = out.shape[1]
    for ip in prange(out.shape[0]):
        p = _u(ip)
        main, over = pixel_bases(p, lay)
        for c in range(C):
            acc = np.float32(0.0)
            total = np.float32(0.0)
            for m in range(np.int64(nmodes[p])):
                o = mode_offset(m, M, L, main, over)
                w = fl[_U0, o + _u(w_idx)]
                acc = acc + w * fl[_U0, o + _u(mean_idx + c)]
                total = total + w
                if total > ratio:
                    break
            inv = np.float32(0.0)
            if abs(total) > FLT_EPSILON:
                inv = np.float32(1.0) / total
            v = np.rint(acc * inv)
            out[p, c] = np.uint8(min(max(v, np.float32(0.0)), np.float32(255.0)))
