"""Numba kernels of the adaptive per-pixel mixture
(:class:`fastgmm.background.adaptive.AdaptiveMixtureSubtractor`).  A kernel module: it imports
nothing of fastgmm but ``_jit``.

One pass over the pixels per frame (``prange`` over blocks of rows).  Each pixel owns one float32
record (``REC`` floats) of its state and one byte in each of two label buffers; the label buffer of
the previous frame is read-only during a pass (the neighbour diffusion *pulls* a neighbour's
value when that neighbour was labelled background in the previous frame), the one of this frame
is written only at the pixel's own index.  No pixel reads another pixel's record, so the result
does not depend on how ``prange`` splits the rows.

Record of a pixel (float32)::

    K modes x [weight, variance, mean_0, mean_1, mean_2]   (sorted by decreasing weight; weight 0 = unused)
    D_LT, D_ST   running means of the normalised distance to the background modes (rates 1/100, 1/25)
    V            blink ("variation") factor v(x)
    R            distance-threshold factor R(x)
    T            update period T(x)
    S_ST         running mean of the raw foreground label (rate 1/25)
    DL_ST        running mean of the normalised frame-to-frame change (rate 1/25)

All arithmetic is float32 and compiled without fast-math, so the naive reference
(``tests/naive/adaptive.py``) reproduces it bit for bit.  Random decisions come from a hash of
(pixel index, frame counter): no RNG state, identical with any number of threads and after a
resume.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel, prange, static_len

_exact = kernel(parallel=False, fastmath=False, inline="always")
_exact_parallel = kernel(parallel=True, fastmath=False)
_exact_called = kernel(parallel=False, fastmath=False, python_callable=False)
"""For helpers of rare paths (foreground candidates only): a function of their own, not inlined into
``_pixel``, whose inlined size is what Numba's compile time grows with (docs/performance.md, "Cold
start of the adaptive model")."""

K = 3
"""Gaussian modes per pixel."""
L = 5
"""Floats per mode: weight, variance, 3 means."""
F_DLT = K * L
F_DST = F_DLT + 1
F_V = F_DLT + 2
F_R = F_DLT + 3
F_T = F_DLT + 4
F_S = F_DLT + 5
F_DL = F_DLT + 6
REC = F_DLT + 7
"""Floats per pixel record."""

PARAMS = (
    "var_threshold", "var_threshold_gen", "background_ratio", "var_init", "var_min", "var_max",
    "alpha_boot", "n_samples", "fg_rate", "shadow_tau", "shadows", "feedback", "diffusion",
    "ghost", "force_update", "t_lower", "t_upper", "t_fixed", "min_distance",
    "shadow_texture", "displacement", "inv_gain_0", "inv_gain_1", "inv_gain_2",
)
"""Order of the float32 parameter vector (flags as 0/1)."""
P_TB, P_TG, P_BR, P_VINIT, P_VMIN, P_VMAX, P_ABOOT, P_NS, P_FG, P_TAU, P_SH, P_FB, P_DIF, P_GH, \
    P_FORCE, P_TLO, P_THI, P_TFIX, P_D0, P_TEX, P_DISP, P_IG0, P_IG1, P_IG2 = range(len(PARAMS))
Q_CD2, Q_GFLOOR, Q_INVC, Q_NORM, Q_GHOST_RATE, Q_PULL_RATE = range(len(PARAMS), len(PARAMS) + 6)
"""Frame constants that :func:`constants` appends to the parameters: ``C * min_distance^2``, the
update floor ``C * min_distance^2 * var_threshold_gen / var_threshold``, ``1 / C``,
``1 / (255 C)``, the ghost rate ``1 / (n_samples t_lower)`` and the diffusion rate
``1 / n_samples`` (each the float32 prefix of the per-pixel expression it replaces, so results are
unchanged)."""

# SuBSENSE feedback constants (St-Charles, Bilodeau, Bergevin, IEEE TIP 2015; LITIV reference code)
ST = np.float32(1.0 / 25.0)      # short-term rolling-average rate
LT = np.float32(1.0 / 100.0)     # long-term rolling-average rate
R_VAR = np.float32(0.01)         # step of R(x)
V_INCR = np.float32(1.0)         # step up of v(x) on a blink
V_DECR = np.float32(0.1)         # step down of v(x) (and its floor)
T_INCR = np.float32(0.5)         # step up of T(x) near foreground
T_DECR = np.float32(0.25)        # step down of T(x) in background
UNSTABLE = np.float32(0.1)       # D_min above which a blink counts (UNSTABLE_REG_RATIO_MIN)
GHOST_S = np.float32(0.995)      # ghost heuristic: minimum running foreground fraction (GHOSTDET_S_MIN)
SOURCE_S = np.float32(0.1)       # a background pixel diffuses only while its running foreground fraction is below this
GHOST_D = np.float32(0.02)       # ghost heuristic: maximum running frame-to-frame change (SuBSENSE's
#                                  GHOSTDET_D_MAX = 0.01 on the mean of a colour and a texture distance;
#                                  colour alone: 0.02)

MOVED_BAD = np.float32(2.0)      # displacement test: at most this many of the 9 patch pixels unexplained
PRUNE = np.float32(0.05)         # drop a mode whose weight decays below PRUNE * rate (Zivkovic 2004, c_T);
#                                  also keeps weights out of float32 denormals, which are ~100x slower
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


@_exact
def hash32(p, t):
    """A 32-bit hash of (pixel index, frame counter) (splitmix64 finaliser): the diffusion's dice."""
    z = np.uint64(p) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(t) * np.uint64(0xD1B54A32D192ED03)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return z & np.uint64(0xFFFFFFFF)


@_exact
def _dist2(rec, p, o, x0, x1, x2, C):
    d = rec[p, o + 2] - x0
    s = d * d
    if C == 3:
        d = rec[p, o + 3] - x1
        s = s + d * d
        d = rec[p, o + 4] - x2
        s = s + d * d
    return s


@_exact
def _swap(rec, p, a, b):
    for q in range(L):
        t = rec[p, a + q]
        rec[p, a + q] = rec[p, b + q]
        rec[p, b + q] = t


@_exact
def constants(prm, C):
    """The parameters (``P_*`` order) followed by the frame constants ``Q_*``, as a tuple of float32
    that the per-pixel code keeps in registers (loads from ``prm`` could not be hoisted out of the
    pixel loop: the compiler must assume a store to the record may change them)."""
    c = np.float32(C)
    cd2 = c * prm[P_D0] * prm[P_D0]
    return (prm[P_TB], prm[P_TG], prm[P_BR], prm[P_VINIT], prm[P_VMIN], prm[P_VMAX], prm[P_ABOOT], prm[P_NS],
            prm[P_FG], prm[P_TAU], prm[P_SH], prm[P_FB], prm[P_DIF], prm[P_GH], prm[P_FORCE], prm[P_TLO],
            prm[P_THI], prm[P_TFIX], prm[P_D0], prm[P_TEX], prm[P_DISP], prm[P_IG0], prm[P_IG1], prm[P_IG2],
            cd2, cd2 * prm[P_TG] / prm[P_TB], _ONE / c, np.float32(1.0 / 255.0) / c,
            _ONE / (prm[P_NS] * prm[P_TLO]), _ONE / prm[P_NS])


@_exact
def mix_update(rec, p, x0, x1, x2, C, a, Tg, floor, cs, create=True, move=True):
    """Add observation x with rate ``a`` to pixel p's mixture (Stauffer-Grimson / Zivkovic update).

    The first mode (in weight order) within ``max(Tg * var, floor)`` takes it (``Tg =
    var_threshold_gen * R^2``, ``floor = C * min_distance^2 * R^2 * var_threshold_gen /
    var_threshold``): w += a (after every weight decays by 1 - a), mean and per-channel variance
    move by a / w.  Without a match, the weakest mode is replaced by (x, var_init, weight a) --
    unless ``create`` is False, then nothing changes.  With ``move`` False a matched mode gains
    weight only (a neighbour's sample is evidence that the mode is background, not a measurement
    of this pixel's mean or variance).  Weights are renormalised to sum 1 and the touched mode
    bubbles up to keep the weight order.  ``cs``: :func:`constants`."""
    if not create:
        found = False
        for m in range(K):
            o = m * L
            if rec[p, o] <= _ZERO:
                break
            if _dist2(rec, p, o, x0, x1, x2, C) < max(Tg * rec[p, o + 1], floor):
                found = True
                break
        if not found:
            return
    match = -1
    for m in range(K):
        o = m * L
        w = rec[p, o]
        if w <= _ZERO:
            break
        if match < 0:
            d2 = _dist2(rec, p, o, x0, x1, x2, C)
            if d2 < max(Tg * rec[p, o + 1], floor):
                match = m
                w = w * (_ONE - a) + a
                rec[p, o] = w
                if not move:
                    continue
                k = a / w
                rec[p, o + 2] = rec[p, o + 2] + k * (x0 - rec[p, o + 2])
                if C == 3:
                    rec[p, o + 3] = rec[p, o + 3] + k * (x1 - rec[p, o + 3])
                    rec[p, o + 4] = rec[p, o + 4] + k * (x2 - rec[p, o + 4])
                v = rec[p, o + 1] + k * (d2 * cs[Q_INVC] - rec[p, o + 1])
                v = min(max(v, cs[P_VMIN]), cs[P_VMAX])
                rec[p, o + 1] = v
                continue
        w = w * (_ONE - a)
        if w < a * PRUNE:
            w = _ZERO              # Zivkovic's complexity reduction: a mode this light is dropped
        rec[p, o] = w
    if match < 0:
        # replace the weakest (or first unused) mode
        m = K - 1
        for q in range(K):
            if rec[p, q * L] <= _ZERO:
                m = q
                break
        o = m * L
        rec[p, o] = a
        rec[p, o + 1] = cs[P_VINIT]
        rec[p, o + 2] = x0
        rec[p, o + 3] = x1
        rec[p, o + 4] = x2
        match = m
    tot = _ZERO
    for m in range(K):
        tot = tot + rec[p, m * L]
    if tot > _ZERO:
        inv = _ONE / tot
        for m in range(K):
            rec[p, m * L] = rec[p, m * L] * inv
    m = match
    while m > 0 and rec[p, m * L] > rec[p, (m - 1) * L]:
        _swap(rec, p, m * L, (m - 1) * L)
        m -= 1


@_exact_called
def _ratio_spread(frame, bgp, i, j, H, W, C):
    """Relative spread (std / mean) over the 3x3 window of the brightness ratio
    (sum_c x + 3) / (sum_c b + 3) between the frame and the previous frame's background image: a cast
    shadow darkens the background uniformly and keeps its texture (small spread); a dark object
    replaces it (large spread)."""
    s = _ZERO
    s2 = _ZERO
    n = _ZERO
    for di in range(-1, 2):
        ii = i + di
        if ii < 0 or ii >= H:
            continue
        for dj in range(-1, 2):
            jj = j + dj
            if jj < 0 or jj >= W:
                continue
            q = ii * W + jj
            xs = np.float32(3.0)
            bs = np.float32(3.0)
            for c in range(C):
                xs = xs + np.float32(frame[q, c])
                bs = bs + np.float32(bgp[q, c])
            r = xs / bs
            s = s + r
            s2 = s2 + r * r
            n = n + _ONE
    mu = s / n
    var = max(s2 / n - mu * mu, _ZERO)
    return np.float32(np.sqrt(var)) / mu


@_exact_called
def _shifted(frame, bgp, i, j, di, dj, H, W, C, cs, thr):
    """Number of pixels of the 3x3 patch at (i, j) that the background (previous frame's values)
    moved by a fraction ``lam`` of a pixel in direction (di, dj) does not explain: value (over the
    gain) farther than ``thr`` (squared) from ``b + lam * (b_shifted - b)``, with one ``lam`` in
    [0, 1] for the patch (least squares).  Pixels whose shifted counterpart is outside the image
    are skipped; 9 when the centre's is.  Stops counting above ``MOVED_BAD``.

    The patch pixels that count (inside the image, and so is their counterpart) form a rectangle
    of rows ``i0..i1 - 1`` and columns ``j0..j1 - 1``, computed once; both passes walk it in the
    patch's row-major order, so the sums are those of a per-pixel test of the 9.

    A screen runs first and returns as soon as more than ``MOVED_BAD`` pixels are unexplained
    whatever ``lam``: per channel, ``b + lam * (b_shifted - b)`` lies between ``b`` and
    ``b_shifted`` (both integers, and float32 rounding is monotone), so the value's distance to
    that interval, squared and summed in the test's order, is at most the test's ``d2`` for every
    ``lam``.  The screen decides only directions the test rejects, so the count it returns is
    also above ``MOVED_BAD``; an object pixel usually fails it within its first few pixels,
    without the least-squares pass."""
    if i + di < 0 or i + di >= H or j + dj < 0 or j + dj >= W:
        return np.float32(9.0)
    i0 = max(i - 1, max(0, -di))
    i1 = min(i + 2, min(H, H - di))
    j0 = max(j - 1, max(0, -dj))
    j1 = min(j + 2, min(W, W - dj))
    off = np.uint64(di * W + dj)  # unsigned indices: no negative-index wraparound code (off wraps modulo 2^64)
    bad = _unexplained(frame, bgp, i0, i1, j0, j1, W, off, C, cs, thr, _ZERO, True)
    if bad > MOVED_BAD:
        return bad
    num = _ZERO
    den = _ZERO
    for ii in range(i0, i1):
        for jj in range(j0, j1):
            q = np.uint64(ii * W + jj)
            for c in range(C):
                b0 = np.float32(bgp[q, c])
                e = np.float32(bgp[q + off, c]) - b0
                num = num + (np.float32(frame[q, c]) * cs[P_IG0 + c] - b0) * e
                den = den + e * e
    lam = _ZERO
    if den > _ZERO:
        lam = min(max(num / den, _ZERO), _ONE)
    return _unexplained(frame, bgp, i0, i1, j0, j1, W, off, C, cs, thr, lam, False)


@_exact
def _unexplained(frame, bgp, i0, i1, j0, j1, W, off, C, cs, thr, lam, screen):
    """Pixels of the rectangle ``i0..i1 - 1`` x ``j0..j1 - 1`` (row-major) whose value over the gain
    is at least ``thr`` (squared distance) from the background moved by ``lam`` towards its
    counterpart at ``+ off`` -- or, with ``screen``, from the interval between the two background
    values (a lower bound for every ``lam``); stops counting above ``MOVED_BAD`` (the caller only
    asks whether the count is at most that)."""
    bad = _ZERO
    for ii in range(i0, i1):
        for jj in range(j0, j1):
            q = np.uint64(ii * W + jj)
            d2 = _ZERO
            for c in range(C):
                b0 = np.float32(bgp[q, c])
                b1 = np.float32(bgp[q + off, c])
                x = np.float32(frame[q, c]) * cs[P_IG0 + c]
                if screen:
                    d = max(max(x - max(b0, b1), min(b0, b1) - x), _ZERO)
                else:
                    d = x - (b0 + lam * (b1 - b0))
                d2 = d2 + d * d
            if d2 >= thr:
                bad = bad + _ONE
                if bad > MOVED_BAD:
                    return bad
    return bad


@_exact
def _pixel(frame, rec, last, lab_prev, lab_cur, mask, bgp, bgc, fin1, fin2, p, i, j, H, W, C, cs, t):
    # the model lives in the frames' scale divided by the camera's global gain (per channel)
    x0 = np.float32(frame[p, 0]) * cs[P_IG0]
    x1 = _ZERO
    x2 = _ZERO
    ld = abs(np.float32(frame[p, 0]) - np.float32(last[p, 0]))
    if C == 3:
        x1 = np.float32(frame[p, 1]) * cs[P_IG1]
        x2 = np.float32(frame[p, 2]) * cs[P_IG2]
        ld = ld + abs(np.float32(frame[p, 1]) - np.float32(last[p, 1])) \
            + abs(np.float32(frame[p, 2]) - np.float32(last[p, 2]))
    ld = ld * cs[Q_NORM]
    dl = rec[p, F_DL] * (_ONE - ST) + ld * ST
    rec[p, F_DL] = dl
    s_run = rec[p, F_S]

    feedback = cs[P_FB] != _ZERO
    Rf = rec[p, F_R] if feedback else _ONE
    R2 = Rf * Rf
    Tb = cs[P_TB] * R2
    TB = cs[P_BR]
    floor = cs[Q_CD2] * R2

    # ---- classify: background if x is within Tb*R^2*var of a background mode
    cum = _ZERO
    bg = False
    dmin2 = np.float32(3.4e38)
    best = 0
    for m in range(K):
        o = m * L
        w = rec[p, o]
        if w <= _ZERO or cum >= TB:
            break
        d2 = _dist2(rec, p, o, x0, x1, x2, C)
        if d2 < max(Tb * rec[p, o + 1], floor):
            bg = True
            if d2 < dmin2:
                dmin2 = d2
                best = o
        cum = cum + w

    moved = False
    if not bg and cs[P_DISP] != _ZERO:
        # small motion of the background (camera jitter, swaying edges): the 3x3 patch around the
        # pixel is the background moved by up to one pixel in one of the 8 directions (all but
        # MOVED_BAD of its pixels), so an object pixel that happens to look like a neighbour's
        # background is not taken for a moved background (Elgammal et al. 2000 test the pixel
        # alone, then the whole blob)
        thr = max(Tb * rec[p, 1], floor)
        for k in range(9):
            if k != 4 and _shifted(frame, bgp, i, j, k // 3 - 1, k % 3 - 1, H, W, C, cs, thr) <= MOVED_BAD:
                moved = True
                dmin2 = _ZERO
                break

    shadow = False
    if not bg and not moved and cs[P_SH] != _ZERO:
        # Prati et al. 2003 / Horprasert: x = a * mean with tau <= a < 1 and small colour distortion
        cum = _ZERO
        tau = cs[P_TAU]
        for m in range(K):
            o = m * L
            w = rec[p, o]
            if w <= _ZERO or cum >= TB:
                break
            mu0 = rec[p, o + 2]
            num = x0 * mu0
            den = mu0 * mu0
            if C == 3:
                mu1 = rec[p, o + 3]
                mu2 = rec[p, o + 4]
                num = num + x1 * mu1 + x2 * mu2
                den = den + mu1 * mu1 + mu2 * mu2
            if den > _ZERO and num < den and num >= tau * den:
                a = num / den
                d = a * mu0 - x0
                dd = d * d
                if C == 3:
                    d = a * rec[p, o + 3] - x1
                    dd = dd + d * d
                    d = a * rec[p, o + 4] - x2
                    dd = dd + d * d
                if dd < cs[P_TB] * rec[p, o + 1] * a * a:
                    shadow = cs[P_TEX] <= _ZERO or _ratio_spread(frame, bgp, i, j, H, W, C) < cs[P_TEX]
                    break
            cum = cum + w

    bv0 = rec[p, best + 2]
    bv1 = rec[p, best + 3]
    bv2 = rec[p, best + 4]
    fg = not bg and not shadow and not moved

    # ---- update periods and rates
    T = rec[p, F_T] if feedback else cs[P_TFIX]
    alpha = _ONE / (cs[P_NS] * T)
    alpha = max(alpha, cs[P_ABOOT])
    Tg = cs[P_TG] * R2
    gfloor = cs[Q_GFLOOR] * R2

    ghostlike = cs[P_GH] != _ZERO and s_run > GHOST_S and dl < GHOST_D
    # own update: background pixels always; foreground at fg_rate * alpha (0 = conservative)
    # (one call site, the rate and ``create`` as values: each call site of the IR-inlined
    # mix_update is compiled again; docs/performance.md, "Cold start of the per-pixel kernels")
    own, rate, create = False, alpha, True
    if alpha <= _ZERO:
        pass                       # frozen (learning_rate 0)
    elif bg or cs[P_FORCE] != _ZERO:
        own = True
    elif fg and cs[P_FG] > _ZERO:
        own, rate = True, alpha * cs[P_FG]
    elif fg and ghostlike:
        # foreground for long and unchanging: reinforce a mode that already explains x (one brought
        # by the diffusion from background neighbours: a ghost), never create one (a stopped object)
        own, rate, create = True, cs[Q_GHOST_RATE], False
    if own:
        mix_update(rec, p, x0, x1, x2, C, rate, Tg, gfloor, cs, create)

    # ---- neighbour diffusion (ViBe/SuBSENSE spatial propagation, in pull form): with probability
    # 1/T (1/T_lower in a ghost-like region: foreground for long and unchanging) take the value of a
    # random 8-neighbour q that was background in the previous frame as a sample of weight
    # 1/n_samples.  Here only the dice: the caller runs the pull (:func:`_pull`) after the row's
    # pixels, which changes no result (the pull touches only this pixel's modes, which nothing
    # below reads) and keeps the coin toss out of the branches of the pixel loop.
    pull = False
    q = -1
    if cs[P_DIF] != _ZERO:
        h = hash32(p, t)
        period = T
        if ghostlike:
            period = cs[P_TLO]
        u = np.float32(h & np.uint64(0xFFFF)) * np.float32(1.0 / 65536.0)
        pull = u * period < _ONE
        k = np.int64((h >> np.uint64(16)) & np.uint64(7))
        k = k + (k >= 4)            # 0..8 without the centre 4
        ni = i + k // 3 - 1
        nj = j + k % 3 - 1
        if ni >= 0 and ni < H and nj >= 0 and nj < W:
            q = ni * W + nj

    # ---- SuBSENSE feedback: D_min, blink factor v, threshold factor R, update period T
    dn = _ONE
    if bg or moved:
        dn = min(np.float32(np.sqrt(dmin2 * cs[Q_INVC])) * np.float32(1.0 / 255.0), _ONE)
    dlt = rec[p, F_DLT] * (_ONE - LT) + dn * LT
    dst = rec[p, F_DST] * (_ONE - ST) + dn * ST
    rec[p, F_DLT] = dlt
    rec[p, F_DST] = dst
    fgv = _ONE if fg else _ZERO
    rec[p, F_S] = s_run * (_ONE - ST) + fgv * ST
    if feedback:
        # SuBSENSE reads the post-processed masks: last frame's (fin1) and the blink between the last two
        prev_fg = fin1[p] == 255
        blink = prev_fg != (fin2[p] == 255)
        dmax = max(max(dlt, dst), np.float32(1e-3))
        dmn = min(dlt, dst)
        v = rec[p, F_V]
        if prev_fg or (dmn < UNSTABLE and fg):
            T = T + T_INCR / (dmax * v)
        else:
            T = T - T_DECR * v / dmax
        T = min(max(T, cs[P_TLO]), cs[P_THI])
        rec[p, F_T] = T
        if dmax > UNSTABLE and blink:
            v = v + V_INCR
        else:
            v = v - (V_DECR * np.float32(0.25) if prev_fg else V_DECR)
            v = max(v, V_DECR)
        rec[p, F_V] = v
        Rv = Rf
        tgt = _ONE + dmn * np.float32(2.0)
        if Rv < tgt * tgt:
            Rv = Rv + R_VAR * (v - V_DECR)
        else:
            Rv = max(Rv - R_VAR / v, _ONE)
        rec[p, F_R] = Rv

    # ---- the pixel's bytes, written last (a byte store could alias the record for the compiler and
    # force it to reload the record's fields): last value, labels, and this frame's background value,
    # read by neighbours next frame: the mean of the background mode that explained x (before this
    # frame's update), else of the strongest mode
    lab = np.uint8(0) if bg else (np.uint8(2) if shadow else np.uint8(255))
    if (bg and s_run >= SOURCE_S) or moved:
        lab = np.uint8(1)          # background, but not (yet) a diffusion source
    lab_cur[p] = lab
    mask[p] = np.uint8(0) if bg or moved else (np.uint8(127) if shadow else np.uint8(255))
    last[p, 0] = frame[p, 0]
    bgc[p, 0] = np.uint8(min(max(bv0 + np.float32(0.5), _ZERO), np.float32(255.0)))
    if C == 3:
        last[p, 1] = frame[p, 1]
        last[p, 2] = frame[p, 2]
        bgc[p, 1] = np.uint8(min(max(bv1 + np.float32(0.5), _ZERO), np.float32(255.0)))
        bgc[p, 2] = np.uint8(min(max(bv2 + np.float32(0.5), _ZERO), np.float32(255.0)))
    return bg, pull, q, R2


@_exact
def _pull(frame, rec, lab_prev, bgp, p, q, C, cs, R2):
    """The diffusion's sample for pixel p from neighbour q (drawn by :func:`_pixel`): taken when q
    was labelled background in the previous frame and its value is its background (within
    ``min_distance`` of its background value of the previous frame); a matching mode gains weight
    only, else the weakest mode becomes the value."""
    if q < 0 or lab_prev[q] != 0:
        return
    y0 = np.float32(frame[q, 0]) * cs[P_IG0]
    y1 = _ZERO
    y2 = _ZERO
    d = y0 - np.float32(bgp[q, 0])
    e = d * d
    if C == 3:
        y1 = np.float32(frame[q, 1]) * cs[P_IG1]
        y2 = np.float32(frame[q, 2]) * cs[P_IG2]
        d = y1 - np.float32(bgp[q, 1])
        e = e + d * d
        d = y2 - np.float32(bgp[q, 2])
        e = e + d * d
    if e < cs[Q_CD2]:
        mix_update(rec, p, y0, y1, y2, C, cs[Q_PULL_RATE], cs[P_TG] * R2, cs[Q_GFLOOR] * R2, cs, True, False)


@_exact
def _block(b, rows, frame, rec, last, lab_prev, lab_cur, mask, bgp, bgc, fin1, fin2, known_fg, use_known_fg, H, W,
           channels, cs, t, pull_j, pull_q, pull_r2, sums):
    """The rows of block b: per row, every pixel (:func:`_pixel`), then the row's diffusion pulls;
    the block's gain statistics and foreground count into ``sums[b]``."""
    C = static_len(channels)
    for f in range(2 * C + 2):
        sums[b, f] = 0
    nfg = 0
    sj = pull_j[b]
    sq = pull_q[b]
    sr = pull_r2[b]
    for i in range(b * rows, min(H, (b + 1) * rows)):
        n = np.uint64(0)  # unsigned, as p: the list stores below carry no negative-index wraparound code
        for j in range(W):
            p = np.uint64(i * W + j)   # unsigned: no negative-index wraparound code per array access
            if use_known_fg and known_fg[p] != 0:
                mask[p] = np.uint8(255)
                lab_cur[p] = np.uint8(255)
                for c in range(C):
                    bgc[p, c] = bgp[p, c]
                nfg += 1
                continue
            bg, pull, q, R2 = _pixel(frame, rec, last, lab_prev, lab_cur, mask, bgp, bgc, fin1, fin2, p, i, j, H, W,
                                     C, cs, t)
            if bg:
                sat = False
                for c in range(C):
                    sat = sat or frame[p, c] == 255 or bgc[p, c] == 255
                if not sat:
                    for c in range(C):
                        sums[b, c] += frame[p, c]
                        sums[b, C + c] += bgc[p, c]
                    sums[b, 2 * C] += 1
            nfg += mask[p] == 255
            sj[n] = j
            sq[n] = q
            sr[n] = R2
            n += np.uint64(pull)
        for s in range(n):
            _pull(frame, rec, lab_prev, bgp, np.uint64(i * W + sj[s]), sq[s], C, cs, sr[s])
    sums[b, 2 * C + 1] = nfg


@_exact_parallel
def update(channels, frame, rec, last, labels, bgs, fins, src, mask, known_fg, use_known_fg, H, W, prm, t, pull_j,
           pull_q, pull_r2, sums):
    """One frame: classify every pixel into ``mask`` / ``lab_cur`` and update its record.

    ``channels`` is a tuple of C zeros (:func:`._modes.channels_tag`), whose length
    (``_jit.static_len``) is a literal in :func:`_block`: each specialisation compiles the block
    body for its own C only, with C a compile-time constant.  With ``use_known_fg``, a pixel whose
    ``known_fg`` entry is nonzero is foreground (255, label 255: not a diffusion source), keeps last
    frame's background value and leaves its record and last value untouched.

    The rows are cut into ``sums.shape[0]`` blocks (a number that does not depend on the thread
    count), one ``prange`` iteration each; the caller sets Numba's parallel chunk size to 1, so the
    threads take blocks as they become free (a thread that wakes late from its OpenMP sleep does not
    hold up a fixed half of the frame).  Each block writes only its own pixels, sums row and pull
    rows, so the result does not depend on which thread ran it.
    ``pull_j``, ``pull_q`` (int32) and ``pull_r2`` (float32), one row of W per block, list a row's
    pixels that drew a diffusion pull (column, neighbour index, R^2); the pulls run after the row.
    ``sums`` (one row per block) receives the gain statistics of the block: per channel the sum of
    the frame's values and of the background values over the unsaturated background pixels, and
    their count (integers, so the total does not depend on the order of the blocks); then the
    block's number of foreground (255) pixels of ``mask`` (no separate pass to count them).

    Double buffers (index ``src`` is this frame's): ``labels`` (labels of this frame and the
    previous one), ``bgs`` (background values), ``fins`` (post-processed masks: ``fins[src]`` is
    the previous frame's, ``fins[src ^ 1]`` the one before)."""
    lab_prev = labels[src ^ 1]
    lab_cur = labels[src]
    bgp = bgs[src ^ 1]
    bgc = bgs[src]
    fin1 = fins[src]
    fin2 = fins[src ^ 1]
    n_blocks = sums.shape[0]
    rows = (H + n_blocks - 1) // n_blocks
    cs = constants(prm, static_len(channels))
    for b in prange(n_blocks):
        _block(b, rows, frame, rec, last, lab_prev, lab_cur, mask, bgp, bgc, fin1, fin2, known_fg,
               use_known_fg, H, W, channels, cs, t, pull_j, pull_q, pull_r2, sums)


@kernel(parallel=False, fastmath=False)
def track_gain(sums, C, min_count, inv_gain):
    """The camera's global gain per channel, relative to the model: ``inv_gain[c]`` becomes the
    ratio (background values / frame values) summed over the unsaturated background pixels of
    ``update``'s ``sums``, when at least ``min_count`` pixels were background (else it is kept)."""
    n = 0
    for b in range(sums.shape[0]):
        n += sums[b, 2 * C]
    if n < min_count or n == 0:
        return
    for c in range(C):
        sx = 0
        sb = 0
        for b in range(sums.shape[0]):
            sx += sums[b, c]
            sb += sums[b, C + c]
        if sx > 0 and sb > 0:
            inv_gain[c] = np.float32(np.float64(sb) / np.float64(sx))


@_exact
def _new_pixel(frame, rec, last, bgp, p, C, var_init, t_init, inv_gain):
    """Pixel p starts from the frame's value: one mode (weight 1, ``var_init``, mean = the value over
    the gain), the feedback state at SuBSENSE's initial values (D_min 0, R = 1, v = 10, T =
    ``t_init``, running foreground fraction and change 0), last value and background value the
    frame's."""
    for f in range(REC):
        rec[p, f] = _ZERO
    rec[p, 0] = _ONE
    rec[p, 1] = var_init
    for c in range(C):
        x = np.float32(frame[p, c]) * inv_gain[c]
        rec[p, 2 + c] = x
        last[p, c] = frame[p, c]
        bgp[p, c] = np.uint8(min(max(x + np.float32(0.5), _ZERO), np.float32(255.0)))
    rec[p, F_V] = np.float32(10.0)
    rec[p, F_R] = _ONE
    rec[p, F_T] = t_init


@_exact_parallel
def initialise(frame, rec, last, lab_prev, bgp, prm, t_init, inv_gain):
    """First frame: every pixel new (:func:`_new_pixel`); labels background."""
    P = frame.shape[0]
    C = frame.shape[1]
    for p in prange(P):
        _new_pixel(frame, rec, last, bgp, p, C, prm[P_VINIT], t_init, inv_gain)
        lab_prev[p] = 0


@_exact_parallel
def initialise_rect(frame, rec, last, labels, bgs, fins, prm, t_init, inv_gain, W, rows, cols):
    """The pixels of rows ``rows[0]..rows[1] - 1`` and columns ``cols[0]..cols[1] - 1`` new
    (:func:`_new_pixel`; both background buffers the frame's value), labelled background and not
    foreground in both buffers: the strip a re-anchored model has no state for."""
    C = frame.shape[1]
    for i in prange(rows[0], rows[1]):
        for j in range(cols[0], cols[1]):
            p = i * W + j
            _new_pixel(frame, rec, last, bgs[0], p, C, prm[P_VINIT], t_init, inv_gain)
            for c in range(C):
                bgs[1, p, c] = bgs[0, p, c]
            labels[0, p] = 0
            labels[1, p] = 0
            fins[0, p] = 0
            fins[1, p] = 0


@_exact_parallel
def background(rec, C, inv_gain, out):
    """The mean of the strongest mode (the most probable background value), times the camera's
    gain (``1 / inv_gain``), rounded."""
    P = rec.shape[0]
    for p in prange(P):
        for c in range(C):
            out[p, c] = np.uint8(min(max(rec[p, 2 + c] / inv_gain[c] + np.float32(0.5), _ZERO), np.float32(255.0)))
