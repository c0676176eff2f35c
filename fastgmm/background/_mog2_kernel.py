"""MOG2 (Zivkovic), one kernel module as OpenCV's ``bgfg_gaussmix2.cpp``: per-pixel block kernel and entry point.

:func:`update` is the only entry point; ``BackgroundSubtractorMOG2`` calls it once per frame.
Layout, import rule and float32 exactness: see :mod:`fastgmm.background._modes`.
"""

from __future__ import annotations

import numpy as np

from .._jit import prange
from ._modes import (
    FLT_EPSILON,
    LAY_M,
    U0,
    U1,
    U2,
    U3,
    U4,
    exact_helper,
    exact_parallel,
    mode_offset,
    next_offset,
    pixel_bases,
    pixel_value,
    swap_modes,
    u,
)

# The float32 parameter vector ``prm`` by position (filled by BackgroundSubtractorMOG2._derive and,
# per frame, ._update):
P_ALPHA = 0
"""Learning rate of this frame."""
P_PRUNE = 1
"""``-alpha * complexity_reduction_threshold``: the prior added to every weight each frame."""
P_VAR_THRESHOLD = 2
P_BACKGROUND_RATIO = 3
P_VAR_THRESHOLD_GEN = 4
P_VAR_INIT = 5
P_VAR_MIN = 6
P_VAR_MAX = 7
P_SHADOW_THRESHOLD = 8
P_DETECT_SHADOWS = 9
"""1.0 or 0.0."""
P_SHADOW_VALUE = 10
"""0..255, stored as a float."""
N_PARAMS = 11

MODE_WEIGHT = 0
"""Position of the weight in a mode (floats)."""
MODE_VARIANCE = 1
MODE_MEAN = 2
"""Position of the first mean channel in a mode."""


@exact_helper
def _mog2_shadow(fl, main, over, M, nm, C, x0, x1, x2, Tb, TB, tau):
    """Prati et al. shadow test on the updated modes of a pixel (OpenCV detectShadowGMM)."""
    L = 2 + C
    tw = np.float32(0.0)
    o = main
    for m in range(nm):
        o = o if m == 0 else next_offset(o, m, M, L, over)
        m0 = fl[U0, o + U2]
        num = x0 * m0
        den = m0 * m0
        if C == 3:
            m1 = fl[U0, o + U3]
            m2 = fl[U0, o + U4]
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
                d = a * fl[U0, o + U3] - x1
                dist2a = dist2a + d * d
                d = a * fl[U0, o + U4] - x2
                dist2a = dist2a + d * d
            if dist2a < Tb * fl[U0, o + U1] * a * a:
                return True
        tw = tw + fl[U0, o]
        if tw > TB:
            return False
    return False


@exact_helper
def _mode_distance(fl, o, C, x0, x1, x2):
    """(variance, mean - x per channel, squared distance) of the MOG2 mode at float ``o``."""
    var = fl[U0, o + U1]
    d0 = fl[U0, o + U2] - x0
    if C == 3:
        d1 = fl[U0, o + U3] - x1
        d2 = fl[U0, o + U4] - x2
        return var, d0, d1, d2, d0 * d0 + d1 * d1 + d2 * d2
    return var, d0, np.float32(0.0), np.float32(0.0), d0 * d0


@exact_helper
def _move_mode(fl, o, C, k, var, d0, d1, d2, dist2, var_min, var_max):
    """Move the mean and variance of the mode at float ``o`` towards the pixel with gain ``k``."""
    fl[U0, o + U2] = fl[U0, o + U2] - k * d0
    if C == 3:
        fl[U0, o + U3] = fl[U0, o + U3] - k * d1
        fl[U0, o + U4] = fl[U0, o + U4] - k * d2
    vnew = var + k * (dist2 - var)
    vnew = vnew if vnew > var_min else var_min  # noqa: FURB136 (OpenCV's MAX macro, operand order kept)
    vnew = vnew if vnew < var_max else var_max  # noqa: FURB136 (OpenCV's MIN macro)
    fl[U0, o + U1] = vnew


@exact_helper
def _fit_mode(fl, o, C, w, alpha, var, d0, d1, d2, dist2, var_min, var_max):
    """Update the mode at float ``o`` (decayed weight ``w``) with the pixel; returns its new weight."""
    w = w + alpha
    _move_mode(fl, o, C, alpha / w, var, d0, d1, d2, dist2, var_min, var_max)
    return w


@exact_helper
def _lone_mode(w0, alpha, alpha1, prune):
    """A pixel's only mode, of weight ``w0``, fits: (gain alpha / w, final weight, whether it
    survives pruning), as the general code computes them.

    Like :func:`_normalise`, a kernel of its own rather than inlined at IR level: inlined at its
    call sites it cost cold compilation and no speed (docs/performance.md, "MOG2 cold start")."""
    w = alpha1 * w0 + prune
    w = w + alpha
    k = alpha / w
    if w < -prune:
        return k, np.float32(0.0), False
    if abs(w) > FLT_EPSILON:
        return k, w * (np.float32(1.0) / w), True
    return k, w * np.float32(0.0), True


@exact_helper
def _store_weight(fl, o, w, prune, nm, total):
    """Store a mode's decayed weight at float ``o``; under the prior (``-prune``) the mode is dropped
    as OpenCV does it (weight 0, one mode fewer).  Returns (modes in use, total + stored weight)."""
    if w < -prune:
        w = np.float32(0.0)
        nm -= 1
    fl[U0, o] = w
    return nm, total + w


@exact_helper
def _normalise(fl, main, over, M, L, nm, total):
    """Divide the weights of the first ``nm`` modes by ``total`` (OpenCV: times 1/total, or 0)."""
    inv = np.float32(0.0)
    if abs(total) > FLT_EPSILON:
        inv = np.float32(1.0) / total
    o = main
    for m in range(nm):
        o = o if m == 0 else next_offset(o, m, M, L, over)
        w = fl[U0, o] * inv
        fl[U0, o] = w
        if w != w:  # noqa: PLR0124 -- never taken (NaN); an exit keeps LLVM from vectorising (_modes._NOVEC)
            break


@exact_helper
def _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, C, K, prm, block):
    """MOG2 update + classification of pixels [b*block, (b+1)*block), step by step as OpenCV's
    MOG2Invoker (the per-pixel body is written inline: a call per pixel costs more than the work).
    ``prm`` is the parameter vector (``P_*``); mode m of pixel p is at ``fl[0, mode_offset(m, ...)]``
    (see ``_modes.pixel_bases``): weight, variance, mean[C].

    Fast path: a pixel that fits its first (heaviest) mode -- most pixels once the model has
    settled -- moves no mode and creates none, so it skips the general loop's bookkeeping; a
    pixel with a single mode runs straight-line code without a division (see ``w_a``, ``w_b``).
    Same float32 operations in the same order as the general loop, so masks and state are
    bit-identical; measurements in docs/performance.md ("MOG2 fast path").
    """
    alpha, prune = prm[P_ALPHA], prm[P_PRUNE]
    Tb, TB, Tg = prm[P_VAR_THRESHOLD], prm[P_BACKGROUND_RATIO], prm[P_VAR_THRESHOLD_GEN]
    var_init, var_min, var_max = prm[P_VAR_INIT], prm[P_VAR_MIN], prm[P_VAR_MAX]
    tau = prm[P_SHADOW_THRESHOLD]
    detect_shadows = prm[P_DETECT_SHADOWS] != np.float32(0.0)
    shadow_value = np.uint8(prm[P_SHADOW_VALUE])
    M = lay[LAY_M]
    L = 2 + C  # a constant: the mode swaps unroll
    alpha1 = np.float32(1.0) - alpha
    # A lone mode's weight is always 1 or 1 - 2**-24 after normalisation (x * (1/x) rounds to one
    # of the two), so its update is worked out once here for both: two divisions fewer per pixel.
    w_a = np.float32(1.0) - np.float32(2.0 ** -24)
    w_b = np.float32(1.0)
    k_a, new_a, keep_a = _lone_mode(w_a, alpha, alpha1, prune)
    k_b, new_b, keep_b = _lone_mode(w_b, alpha, alpha1, prune)
    for ip in range(b * block, min(frame.shape[0], (b + 1) * block)):
        p = u(ip)
        if use_known_fg and known_fg[p] != 0:
            mask[p] = 255
            continue
        x0, x1, x2 = pixel_value(frame, p, C)
        main, over = pixel_bases(p, lay)
        nm = np.int64(cnt[p, U0])
        fits = False
        if nm > 0:
            var, d0, d1, d2, dist2 = _mode_distance(fl, main, C, x0, x1, x2)
            fits = dist2 < Tg * var
        if fits:  # fast path (see above)
            background = np.float32(0.0) < TB and dist2 < Tb * var
            if nm == 1:
                w0 = fl[U0, main]
                if w0 == w_a:
                    k, w, keep = k_a, new_a, keep_a
                elif w0 == w_b:
                    k, w, keep = k_b, new_b, keep_b
                else:
                    k, w, keep = _lone_mode(w0, alpha, alpha1, prune)
                _move_mode(fl, main, C, k, var, d0, d1, d2, dist2, var_min, var_max)
                fl[U0, main] = w
                if not keep:
                    nm = 0
            else:
                w = _fit_mode(fl, main, C, alpha1 * fl[U0, main] + prune, alpha, var, d0, d1, d2, dist2,
                              var_min, var_max)
                nm, total = _store_weight(fl, main, w, prune, nm, np.float32(0.0))
                m = 1
                o = main
                while m < nm:
                    o = next_offset(o, m, M, L, over)
                    nm, total = _store_weight(fl, o, alpha1 * fl[U0, o] + prune, prune, nm, total)
                    m += 1
                _normalise(fl, main, over, M, L, nm, total)
        else:
            background = False
            total = np.float32(0.0)
            m = 0
            o = main
            while m < nm:
                w = alpha1 * fl[U0, o] + prune
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
                            if w < fl[U0, o_up]:
                                break
                            swap_modes(fl, U0, o_w, o_up, L)
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
                    fl[U0, o] = np.float32(1.0)
                else:
                    fl[U0, o] = alpha
                    for q in range(nm - 1):
                        o_q = mode_offset(q, M, L, main, over)
                        w = fl[U0, o_q] * alpha1
                        fl[U0, o_q] = w
                        if w != w:  # noqa: PLR0124 -- never taken: see _modes._NOVEC
                            break
                fl[U0, o + U1] = var_init
                fl[U0, o + U2] = x0
                if C == 3:
                    fl[U0, o + U3] = x1
                    fl[U0, o + U4] = x2
                for q in range(nm - 1, 0, -1):
                    o_up = mode_offset(q - 1, M, L, main, over)
                    if alpha < fl[U0, o_up]:
                        break
                    swap_modes(fl, U0, o, o_up, L)
                    o = o_up
        cnt[p, U0] = nm
        if background:
            mask[p] = 0
        elif detect_shadows and _mog2_shadow(fl, main, over, M, nm, C, x0, x1, x2, Tb, TB, tau):
            mask[p] = shadow_value
        else:
            mask[p] = 255


@exact_parallel
def update(channels, frame, fl, cnt, lay, known_fg, use_known_fg, mask, K, prm, n_threads, block):
    """Update a MOG2 model with a frame (H*W, C) and write its mask (H*W,).

    ``channels`` is a tuple of C zeros (:func:`._modes.channels_tag`): its *length* is part of its Numba
    type, and Numba rewrites ``len()`` of a tuple argument into a constant and prunes the other
    branch, so each specialisation holds one block kernel with C as a constant, which LLVM folds
    into its body (the mode swaps unroll).  ``fl`` is the whole state as one row of floats,
    ``cnt`` the uint8 view of the main records (column 0: the mode count), ``lay`` the layout
    vector (``_modes.LAY_*``), ``prm`` the parameters (``P_*``).

    The pixels are cut into blocks of ``block`` pixels dealt to the ``n_threads`` threads in turn
    (thread t takes blocks t, t + n, t + 2n, ...): a static half-and-half split left one thread
    idle while the other finished the busier half (docs/performance.md, "Scheduling").
    """
    nb = (frame.shape[0] + block - 1) // block
    lay = (lay[0], lay[1], lay[2], lay[3], lay[4], lay[5])  # a fixed-size tuple: kept in registers
    for t in prange(n_threads):
        for b in range(t, nb, n_threads):
            if len(channels) == 3:
                _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, 3, K, prm, block)
            else:
                _mog2_block(b, frame, fl, cnt, lay, known_fg, use_known_fg, mask, 1, K, prm, block)
