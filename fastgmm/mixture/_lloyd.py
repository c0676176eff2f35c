"""Numba kernels for k-means: Lloyd passes, k-means++ seeding passes and hard-assignment statistics.

Conventions shared by every kernel here:

* ``X`` is a C-contiguous ``(n, d)`` float32 or float64 array; centres have X's dtype.  Squared
  distances are computed in X's dtype in difference form ``sum_j (x_j - c_j)**2`` (no
  ``|x|^2 - 2 x.c + |c|^2`` cancellation); every sum over rows is accumulated in float64.  The
  plain nearest-centre search (:func:`_tile_nearest`, at 4 features and 8 centres or more) ranks
  the centres by float32 expanded-form scores first and settles every label whose scores are
  within a rigorous rounding margin in the difference form, so labels and distances are the
  difference form's, bitwise.
* ``w`` is a float64 ``(n,)`` array of sample weights, or an EMPTY array meaning "every weight is 1"
  (which saves ``n`` floats on very large inputs).
* Rows are split into ``nb`` contiguous blocks (block ``b`` holds rows ``b*n//nb .. (b+1)*n//nb``),
  with ``nb`` depending only on ``n`` and the accumulator size.  ``prange`` runs over blocks, each
  block fills its own slot of a block-indexed accumulator and the slots are reduced serially in block
  order afterwards, so results are bitwise independent of the thread count and of scheduling.
* Within a block, rows are copied into a transposed ``(d, TILE)`` tile so that distance loops run
  along rows and vectorise (SIMD) even for d = 3.
* Every kernel is compiled with ``fastmath=False``: with reassociation allowed, LLVM vectorises
  reductions and guards the vector loop with run-time checks on array addresses, so the order of
  a sum (and its last bits) could change from call to call.  Without it each sum has one fixed
  order, and results are bitwise reproducible; the distance loops still vectorise (they are
  element-wise).
* Nothing here allocates an ``n x K`` array; the largest allocation is ``O(nb * K * d * d)``.
* Nearest centre: the lowest index among equal distances (every kernel uses ``_tile_nearest``).
"""

from __future__ import annotations

import numpy as np

from .._jit import fma, kernel, prange, prefetch_row

_MAX_BLOCKS = 256
_MIN_ROWS_PER_BLOCK = 1024
_MAX_BLOCK_FLOATS = 4_000_000  # cap on nb * (floats per block accumulator): 32 MB of float64
TILE = 512  # rows per tile: a block is processed as transposed (n_features, TILE) tiles
_NO_CENTERS = np.empty((0, 0))  # float64 centres argument when no second moments are wanted
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # smallest normal float32


@kernel(fastmath=False)
def _n_blocks(n, floats_per_block):
    """Number of row blocks for ``n`` rows, each needing ``floats_per_block`` accumulator slots."""
    nb = (n + _MIN_ROWS_PER_BLOCK - 1) // _MIN_ROWS_PER_BLOCK
    nb = min(nb, _MAX_BLOCKS)
    nb = min(nb, max(1, _MAX_BLOCK_FLOATS // max(1, floats_per_block)))
    return max(1, nb)


@kernel(fastmath=False)
def _tile_buffers(X):
    """Per-block scratch of the tiled kernels: the transposed tile ``xt`` (d, TILE), squared distances
    ``dist`` and ``bestd`` (TILE,) in X's dtype, and nearest-centre indices ``best`` (TILE,)."""
    return (np.empty((X.shape[1], TILE), dtype=X.dtype), np.empty(TILE, dtype=X.dtype),
            np.empty(TILE, dtype=X.dtype), np.empty(TILE, dtype=np.int64))


@kernel(fastmath=False)
def _insert_top(top_d, top_i, top_l, dd, i, label):
    """Insert (distance ``dd``, row ``i``, ``label``) into the decreasing top list if it beats its last
    entry; equal distances keep the earlier entry first."""
    last = top_d.shape[0] - 1
    if not dd > top_d[last]:
        return
    p = last
    while p > 0 and top_d[p - 1] < dd:
        top_d[p] = top_d[p - 1]
        top_i[p] = top_i[p - 1]
        top_l[p] = top_l[p - 1]
        p -= 1
    top_d[p] = dd
    top_i[p] = i
    top_l[p] = label


@kernel(fastmath=False)
def _load_tile(X, start, m, xt):
    """Copy rows ``start .. start+m`` of X into the transposed tile ``xt`` ((d, TILE), X's dtype)."""
    d = X.shape[1]
    for r in range(m):
        for j in range(d):
            xt[j, r] = X[start + r, j]


@kernel(fastmath=False)
def _tile_sqdist(xt, m, centers, k, dist):
    """``dist[r] = |x_r - centers[k]|^2`` for the first ``m`` rows of a tile, in the tile's dtype.

    The loops run along the tile's rows, so they vectorise whatever the number of features.
    """
    d = xt.shape[0]
    c = centers[k, 0]
    for r in range(m):
        t = xt[0, r] - c
        dist[r] = t * t
    for j in range(1, d):
        c = centers[k, j]
        for r in range(m):
            t = xt[j, r] - c
            dist[r] += t * t


@kernel(fastmath=False, inline="always")
def _sqdist_d(xt, r, centers, k, D):
    """``|x_r - centers[k]|^2`` for tile row ``r``, features summed in order (as :func:`_tile_sqdist`)."""
    t = xt[0, r] - centers[k, 0]
    dd = t * t
    for j in range(1, D):
        t = xt[j, r] - centers[k, j]
        dd += t * t
    return dd


@kernel(fastmath=False, inline="always")
def _closer(dd, k, bestd, best):
    """``(dd, k)`` if ``dd < bestd`` else ``(bestd, best)``: ties keep the earlier (lower) centre."""
    better = dd < bestd
    return (dd if better else bestd), (k if better else best)


@kernel(fastmath=False, inline="always")
def _two_smallest(dd, k, c1, c2, k1):
    """Add distance ``dd`` of centre ``k`` to the smallest distance ``c1`` (of centre ``k1``, the
    earlier on ties) and the second smallest ``c2``; return the new ``(c1, c2, k1)``."""
    below = dd < c1
    return (dd if below else c1), (c1 if below else min(c2, dd)), (k if below else k1)


SPECIALISED_FEATURES = 8  # feature counts up to this get loops unrolled at compile time


def features_tag(d: int) -> tuple[int, ...]:
    """The ``ftag`` argument of the kernels that search nearest centres, for ``d`` features: a tuple
    of ``d`` zeros when ``d <= SPECIALISED_FEATURES`` (Numba types its length as a compile-time
    constant, so the feature loops unroll and a call compiles the specialisation of its own feature
    count only), else an empty tuple (loops over ``X.shape[1]``)."""
    return (0,) * d if d <= SPECIALISED_FEATURES else ()


@kernel(fastmath=False, inline="always")
def _n_features(X, ftag):
    """The feature count: ``len(ftag)`` (a compile-time constant) unless ``ftag`` is empty, then X's."""
    return len(ftag) if len(ftag) != 0 else X.shape[1]


EXPANDED_MIN_FEATURES = 4
"""Nearest-centre searches at this many features or more (and :data:`EXPANDED_MIN_CENTRES` centres or
more) rank the centres by the expanded form first (:func:`_group_two_largest`), then settle the
labels exactly (:func:`_settle_labels`); fewer features: the difference form only."""
EXPANDED_MIN_CENTRES = 8
"""Fewest centres for the expanded-form search (see :data:`EXPANDED_MIN_FEATURES`)."""
_AMBIGUOUS_TILE = TILE // 4
"""A tile with more rows than this that the expanded form cannot settle is searched again whole in the
difference form (vectorised) rather than row by row."""
_SCORE_LIMIT = float(np.finfo(np.float32).max) / 4.0
"""Rows with ``|x - s|^2 + max_k |c_k - s|^2`` at or above this are settled in the difference form: no
partial sum of a float32 score can overflow below it."""


@kernel(fastmath=False)
def _centre_terms(centers):
    """The expanded form's view of the centres: ``shift`` (d,) float64, their mean; ``cs`` (K, d)
    float32, the centres minus the shift; ``half`` (K,) float32, ``|cs_k|^2 / 2`` (summed in float64,
    then rounded); ``cmax``, ``max_k |cs_k|^2`` (float64)."""
    K, d = centers.shape
    shift = np.zeros(d)
    for k in range(K):
        for j in range(d):
            shift[j] += centers[k, j]
    shift /= K
    cs = np.empty((K, d), dtype=np.float32)
    half = np.empty(K, dtype=np.float32)
    cmax = 0.0
    for k in range(K):
        s = 0.0
        for j in range(d):
            cs[k, j] = np.float32(centers[k, j] - shift[j])
            s += np.float64(cs[k, j]) * np.float64(cs[k, j])
        half[k] = np.float32(0.5 * s)
        cmax = max(cmax, s)
    return shift, cs, half, cmax


@kernel(fastmath=False)
def _score_buffers(d):
    """Per-block scratch of the expanded form: the shifted float32 tile ``xs`` (d, TILE), the largest
    and second largest scores ``p1``, ``p2`` (TILE,) float32 and the centre of the largest ``k1``
    (TILE,) int32 (32-bit lanes throughout, so the search runs on eight lanes)."""
    return (np.empty((d, TILE), dtype=np.float32), np.empty(TILE, dtype=np.float32),
            np.empty(TILE, dtype=np.float32), np.empty(TILE, dtype=np.int32))


@kernel(fastmath=False, inline="always")
def _load_shifted(X, start, m, shift, xs, D):
    """Rows ``start .. start+m`` of X minus ``shift`` (float64), rounded to float32, into the transposed
    tile ``xs``."""
    for r in range(m):
        for j in range(D):
            xs[j, r] = np.float32(X[start + r, j] - shift[j])


@kernel(fastmath=False, inline="always")
def _score_d(xs, r, cs, half, k, D):
    """``xs_r . cs_k - |cs_k|^2 / 2`` by fused multiply-adds in float32 (the expanded form, on the shifted
    rows and centres: ``|x_r - c_k|^2 = |xs_r|^2 - 2 score`` up to rounding, so the largest score
    is the nearest centre)."""
    p = fma(xs[0, r], cs[k, 0], -half[k])
    for j in range(1, D):
        p = fma(xs[j, r], cs[k, j], p)
    return p


@kernel(fastmath=False, inline="always")
def _two_largest(p, k, p1, p2, k1):
    """Add score ``p`` of centre ``k`` to the largest score ``p1`` (of centre ``k1``) and the second
    largest ``p2``; return the new ``(p1, p2, k1)``."""
    above = p > p1
    return (p if above else p1), (p1 if above else max(p2, p)), (k if above else k1)


@kernel(fastmath=False, python_callable=False)
def _group_two_largest(xs, m, cs, half, p1, p2, k1, ftag):
    """For the first ``m`` rows of the shifted float32 tile ``xs``, the largest score (:func:`_score_d`)
    ``p1`` over all centres, its centre ``k1`` and the second largest ``p2``.  In blocks of four
    centres, so that each tile load feeds four scores.  ``ftag``: :func:`features_tag`."""
    D = _n_features(cs, ftag)
    K = cs.shape[0]
    for r in range(m):
        p1[r] = -np.inf
        p2[r] = -np.inf
        k1[r] = -1
    rest = K // 4 * 4
    for q in range(0, rest, 4):
        ka, kb, kc, kd = np.int32(q), np.int32(q + 1), np.int32(q + 2), np.int32(q + 3)
        for r in range(m):
            s0 = _score_d(xs, r, cs, half, ka, D)
            s1 = _score_d(xs, r, cs, half, kb, D)
            s2 = _score_d(xs, r, cs, half, kc, D)
            s3 = _score_d(xs, r, cs, half, kd, D)
            a1, a2, ak = _two_largest(s0, ka, p1[r], p2[r], k1[r])
            a1, a2, ak = _two_largest(s1, kb, a1, a2, ak)
            a1, a2, ak = _two_largest(s2, kc, a1, a2, ak)
            a1, a2, ak = _two_largest(s3, kd, a1, a2, ak)
            p1[r] = a1
            p2[r] = a2
            k1[r] = ak
    for q in range(rest, K):
        k = np.int32(q)
        for r in range(m):
            a1, a2, ak = _two_largest(_score_d(xs, r, cs, half, k, D), k, p1[r], p2[r], k1[r])
            p1[r] = a1
            p2[r] = a2
            k1[r] = ak


_U32 = 2.0 ** -24
"""float32's unit roundoff."""


@kernel(fastmath=False, inline="always")
def _row_margin(xs, r, cmax, D):
    """``(|xs_r|^2, M)`` for row ``r`` of the shifted tile (float64): ``M`` bounds, in squared distance,
    how far the scores can be from the difference form computed in X's dtype (:func:`_sqdist_d`).

    With ``u`` float32's unit roundoff, ``g = (D + 3) u``, ``C = cmax`` and ``x2 = |xs_r|^2``: a score
    (times -2) is within ``g (3 |cs_k|^2 + x2)`` of ``|x - c_k|^2 - |x - s|^2`` (the roundings of
    ``x - s`` and ``c_k - s`` to float32, ``D`` of the fused sum, bounded by ``|cs_k|^2 / 2 +
    |xs||cs_k|``, and that of ``|cs_k|^2 / 2``), a difference-form distance within ``g`` times
    itself, itself at most ``2 x2 + 2 C``.  So a centre whose computed distance is not above that of
    the largest score's centre has a score within ``g (10 C + 6 x2)`` of the largest (in squared
    distance), and ``x2 - 2 p_k - g (7 C + 5 x2)`` is not above its computed distance.  ``M`` is
    over twice the larger of those, plus a multiple of float32's smallest normal number for
    underflow."""
    x2 = 0.0
    for j in range(D):
        x2 += np.float64(xs[j, r]) * np.float64(xs[j, r])
    return x2, 4.0 * (D + 4) * _U32 * (5.0 * cmax + 4.0 * x2) + 8.0 * (D + 4) * _FLOAT32_TINY


@kernel(fastmath=False, inline="always")
def _row_nearest(X, i, centers, D):
    """``(|x_i - c_k|^2, k)`` of row ``i``'s nearest centre in the difference form, the lowest index on
    ties: the comparisons of :func:`_tile_exact`, one row at a time."""
    bd = _row_sqdist(X, i, centers, 0, D)
    bk = 0
    for k in range(1, centers.shape[0]):
        bd, bk = _closer(_row_sqdist(X, i, centers, k, D), k, bd, bk)
    return bd, bk


@kernel(fastmath=False, python_callable=False)
def _tile_exact(xt, m, centers, bestd, best, ftag):
    """Each tile row's nearest centre ``best`` (lowest index on ties) and its squared distance
    ``bestd``, every distance in the difference form (:func:`_sqdist_d`): Lloyd's labels.  ``ftag``:
    :func:`features_tag`."""
    D = _n_features(centers, ftag)
    K = centers.shape[0]
    for r in range(m):
        bestd[r] = _sqdist_d(xt, r, centers, 0, D)
        best[r] = 0
    rest = 1 + (K - 1) // 4 * 4  # centres 1 .. rest in blocks of 4: each tile load feeds four distances
    for k in range(1, rest, 4):
        for r in range(m):
            d0 = _sqdist_d(xt, r, centers, k, D)
            d1 = _sqdist_d(xt, r, centers, k + 1, D)
            d2 = _sqdist_d(xt, r, centers, k + 2, D)
            d3 = _sqdist_d(xt, r, centers, k + 3, D)
            bd, bk = _closer(d0, k, bestd[r], best[r])
            bd, bk = _closer(d1, k + 1, bd, bk)
            bd, bk = _closer(d2, k + 2, bd, bk)
            bestd[r], best[r] = _closer(d3, k + 3, bd, bk)
    for k in range(rest, K):
        for r in range(m):
            bestd[r], best[r] = _closer(_sqdist_d(xt, r, centers, k, D), k, bestd[r], best[r])


@kernel(fastmath=False, python_callable=False)
def _settle_labels(X, start, m, xt, xs, centers, cmax, p1, p2, k1, best, bestd, ftag):
    """From the largest and second largest scores ``p1``, ``p2`` (centre ``k1`` for ``p1``) of rows
    ``start .. start+m`` (shifted float32 tile ``xs``), set ``best`` to exactly the labels
    :func:`_tile_exact` gives.

    A row whose ``p1`` exceeds ``p2`` by more than the margin (:func:`_row_margin`) has one candidate,
    ``k1``.  The others (ties and near-ties; rows far from the centres' mean; terms large enough
    for a score to overflow) get :func:`_row_nearest`, or, when there are more than
    :data:`_AMBIGUOUS_TILE` of them, the tile is loaded into ``xt`` and searched whole by
    :func:`_tile_exact`.  ``bestd`` is scratch; ``ftag``: :func:`features_tag`."""
    D = _n_features(X, ftag)
    na = 0
    for r in range(m):
        x2, margin = _row_margin(xs, r, cmax, D)
        sure = (x2 + cmax < _SCORE_LIMIT) & (2.0 * (np.float64(p1[r]) - np.float64(p2[r])) > margin)
        best[r] = k1[r] if sure else -1
        na += 0 if sure else 1
    if na > _AMBIGUOUS_TILE:
        _load_tile(X, start, m, xt)
        _tile_exact(xt, m, centers, bestd, best, ftag)
    elif na > 0:
        for r in range(m):
            if best[r] < 0:
                bestd[r], best[r] = _row_nearest(X, start + r, centers, D)


@kernel(fastmath=False)
def _tile_nearest(X, start, m, centers, terms, xt, sb, bestd, best, w, acc_n, acc_s, ftag):
    """Load rows ``start .. start+m`` of X into the transposed tile ``xt`` and find each row's nearest
    centre ``best`` (lowest index on ties) and its squared distance ``bestd`` (X's dtype; only when
    ``acc_n`` is empty: the callers that accumulate do not use it): the difference form's
    (:func:`_tile_exact`) labels and distances, bitwise.

    With :data:`EXPANDED_MIN_FEATURES` features or more and :data:`EXPANDED_MIN_CENTRES` centres or
    more, the centres are ranked by float32 scores (:func:`_group_two_largest`: a fused
    multiply-add per feature on twice as many lanes, against a subtraction, a multiplication and
    an addition; ``terms``: :func:`_centre_terms` of ``centers``, ``sb``: :func:`_score_buffers`),
    the labels settled exactly (:func:`_settle_labels`) and the distances to them computed.

    If ``acc_n`` is not empty, add each row's weight ``w_i`` (1 when ``w`` is empty) to
    ``acc_n[best]`` and ``w_i x_i`` to ``acc_s[best]``, row after row.

    ``ftag``: :func:`features_tag`.  Where the feature count is a compile-time constant the feature
    loops unroll and each row's distance stays in a register (one vectorised pass over the tile per
    centre); the distances are the same expressions either way."""
    D = _n_features(X, ftag)
    K = centers.shape[0]
    shift, cs, half, cmax = terms
    xs, p1, p2, k1 = sb
    if D >= EXPANDED_MIN_FEATURES and K >= EXPANDED_MIN_CENTRES:
        _load_shifted(X, start, m, shift, xs, D)
        _group_two_largest(xs, m, cs, half, p1, p2, k1, ftag)
        _settle_labels(X, start, m, xt, xs, centers, cmax, p1, p2, k1, best, bestd, ftag)
        for r in range(m if acc_n.shape[0] == 0 else 0):
            bestd[r] = _row_sqdist(X, start + r, centers, best[r], D)
    else:
        for r in range(m):
            for j in range(D):
                xt[j, r] = X[start + r, j]
        _tile_exact(xt, m, centers, bestd, best, ftag)
    if acc_n.shape[0] != 0:
        unit = w.shape[0] == 0
        for r in range(m):
            k = best[r]
            wi = 1.0 if unit else w[start + r]
            acc_n[k] += wi
            for j in range(D):
                acc_s[k, j] += wi * X[start + r, j]


@kernel(fastmath=False, inline="always")
def _store_block(bn, bs, b, acc_n, acc_s):
    """Copy one block's accumulators into row ``b`` of the per-block arrays, element by element (a
    slice assignment would compile Numba's shape-mismatch error path: seconds of cold start)."""
    for k in range(acc_n.shape[0]):
        bn[b, k] = acc_n[k]
        for j in range(acc_s.shape[1]):
            bs[b, k, j] = acc_s[k, j]


@kernel(fastmath=False)
def _sum_blocks(bn, bs, nk, sum_x):
    """``nk = Σ_b bn[b]`` and ``sum_x = Σ_b bs[b]``, added in block order (so bitwise independent of threads)."""
    nk[:] = 0.0
    sum_x[:] = 0.0
    for b in range(bn.shape[0]):
        for k in range(bn.shape[1]):
            nk[k] += bn[b, k]
            for j in range(bs.shape[2]):
                sum_x[k, j] += bs[b, k, j]


@kernel(parallel=True, fastmath=False)
def assigned_stats(X, w, centers, centers64, nk, sum_x, scatter, ftag):
    """Assign each row to its nearest centre and accumulate per-cluster statistics (no labels kept).

    Overwrites ``nk`` ((K,) float64) with the total weight of the rows assigned to each centre and
    ``sum_x`` ((K, d) float64) with their weighted sum.  When ``scatter`` has K rows ((K, d, d)
    float64) it also gets ``sum w (x - c)(x - c)^T`` centred on ``centers64`` (the centres in
    float64); pass a (0, d, d) array to skip the second moments (a Lloyd pass).  ``ftag``:
    :func:`features_tag` of X's feature count (as in every kernel that takes it).
    """
    n, d = X.shape
    K = centers.shape[0]
    unit = w.shape[0] == 0
    second = scatter.shape[0] != 0
    Ks = K if second else 0
    nb = _n_blocks(n, K * (1 + d) + Ks * d * d)
    terms = _centre_terms(centers)
    bn = np.zeros((nb, K))
    bs = np.zeros((nb, K, d))
    bss = np.zeros((nb, Ks, d, d))
    for b in prange(nb):
        xt, _, bestd, best = _tile_buffers(X)
        sb = _score_buffers(d)
        diff = np.empty(d)
        # thread-local accumulators, copied out once: no false sharing between neighbouring blocks
        acc_n = np.zeros(K)
        acc_s = np.zeros((K, d))
        acc_ss = np.zeros((Ks, d, d))
        stop = (b + 1) * n // nb
        for start in range(b * n // nb, stop, TILE):
            m = min(TILE, stop - start)
            _tile_nearest(X, start, m, centers, terms, xt, sb, bestd, best, w, acc_n, acc_s, ftag)
            for r in range(m if second else 0):
                k = best[r]
                wi = 1.0 if unit else w[start + r]
                for j in range(d):
                    diff[j] = np.float64(X[start + r, j]) - centers64[k, j]
                for j in range(d):
                    wdj = wi * diff[j]
                    for l in range(j, d):
                        acc_ss[k, j, l] += wdj * diff[l]
        _store_block(bn, bs, b, acc_n, acc_s)
        for k in range(Ks):
            for j in range(d):
                for l in range(d):
                    bss[b, k, j, l] = acc_ss[k, j, l]
    _sum_blocks(bn, bs, nk, sum_x)
    scatter[:] = 0.0
    for b in range(nb):
        for k in range(Ks):
            for j in range(d):
                for l in range(j, d):
                    scatter[k, j, l] += bss[b, k, j, l]
    for k in range(Ks):
        for j in range(d):
            for l in range(j + 1, d):
                scatter[k, l, j] = scatter[k, j, l]


def lloyd_pass(X: np.ndarray, w: np.ndarray, centers: np.ndarray, sums: np.ndarray, weights: np.ndarray) -> None:
    """One Lloyd pass: ``weights`` (K,) and ``sums`` (K, d) of the rows nearest to each centre (in place)."""
    assigned_stats(X, w, centers, _NO_CENTERS, weights, sums, np.empty((0, X.shape[1], X.shape[1])),
                   features_tag(X.shape[1]))


@kernel(parallel=True, fastmath=False)
def _assign_inertia(X, w, centers, labels, ftag):
    """Return the inertia ``sum_i w_i min_k |x_i - c_k|^2`` (float64).

    If ``labels`` has ``n`` entries, the index of each row's nearest centre is written into it;
    pass an empty array to skip labels.  ``ftag``: :func:`features_tag`.
    """
    n, d = X.shape
    unit = w.shape[0] == 0
    store = labels.shape[0] == n
    nb = _n_blocks(n, 1)
    terms = _centre_terms(centers)
    part = np.zeros(nb)
    for b in prange(nb):
        xt, _, bestd, best = _tile_buffers(X)
        sb = _score_buffers(d)
        no_w, no_s = np.empty(0), np.empty((0, 0))  # nothing accumulated
        s = 0.0
        stop = (b + 1) * n // nb
        for start in range(b * n // nb, stop, TILE):
            m = min(TILE, stop - start)
            _tile_nearest(X, start, m, centers, terms, xt, sb, bestd, best, no_w, no_w, no_s, ftag)
            for r in range(m):
                if store:
                    labels[start + r] = best[r]
                wi = 1.0 if unit else w[start + r]
                s += wi * bestd[r]
        part[b] = s
    total = 0.0
    for b in range(nb):
        total += part[b]
    return total


@kernel(fastmath=False, inline="always")
def _row_sqdist(X, i, centers, k, D):
    """``|x_i - centers[k]|^2`` in X's dtype, summed over the ``D`` features in the order of :func:`_sqdist_d`."""
    t = X[i, 0] - centers[k, 0]
    dd = t * t
    for j in range(1, D):
        t = X[i, j] - centers[k, j]
        dd += t * t
    return dd


@kernel(fastmath=False)
def labelled_inertia(X, w, centers, labels, ftag):
    """``sum_i w_i |x_i - centers[labels[i]]|^2`` (float64), summed in the blocks and order of
    :func:`_assign_inertia`: with its labels, bitwise its inertia.  ``ftag``: :func:`features_tag`."""
    n = X.shape[0]
    D = _n_features(X, ftag)
    unit = w.shape[0] == 0
    nb = _n_blocks(n, 1)
    total = 0.0
    for b in range(nb):
        s = 0.0
        for i in range(b * n // nb, (b + 1) * n // nb):
            wi = 1.0 if unit else w[i]
            s += wi * _row_sqdist(X, i, centers, labels[i], D)
        total += s
    return total


def assign_inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """:func:`_assign_inertia` for X's feature count."""
    return _assign_inertia(X, w, centers, labels, features_tag(X.shape[1]))


@kernel(parallel=True, fastmath=False)
def _farthest_points(X, centers, m_far, ftag):
    """Indices and nearest-centre labels of the ``m_far`` rows farthest from their nearest centre.

    Distances are unweighted; order is by decreasing distance, ties by increasing row index.
    Requires ``1 <= m_far <= n``.  ``ftag``: :func:`features_tag`.
    """
    n, d = X.shape
    nb = _n_blocks(n, 3 * m_far)
    terms = _centre_terms(centers)
    bd = np.full((nb, m_far), -1.0)
    bi = np.full((nb, m_far), -1, dtype=np.int64)
    bl = np.full((nb, m_far), -1, dtype=np.int64)
    for b in prange(nb):
        xt, _, bestd, best = _tile_buffers(X)
        sb = _score_buffers(d)
        no_w, no_s = np.empty(0), np.empty((0, 0))  # nothing accumulated
        top_d, top_i, top_l = bd[b], bi[b], bl[b]
        stop = (b + 1) * n // nb
        for start in range(b * n // nb, stop, TILE):
            m = min(TILE, stop - start)
            _tile_nearest(X, start, m, centers, terms, xt, sb, bestd, best, no_w, no_w, no_s, ftag)
            for r in range(m):
                _insert_top(top_d, top_i, top_l, np.float64(bestd[r]), start + r, best[r])
    topd = np.full(m_far, -1.0)
    topi = np.full(m_far, -1, dtype=np.int64)
    topl = np.full(m_far, -1, dtype=np.int64)
    for b in range(nb):
        for q in range(m_far):
            if bi[b, q] >= 0:
                _insert_top(topd, topi, topl, bd[b, q], bi[b, q], bl[b, q])
    return topi, topl


def farthest_points(X: np.ndarray, centers: np.ndarray, m_far: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_farthest_points` for X's feature count."""
    return _farthest_points(X, centers, m_far, features_tag(X.shape[1]))


@kernel(parallel=True, fastmath=False)
def distances(X, centers, out):
    """``out[i, k] = |x_i - centers[k]|`` (Euclidean, X's dtype) for every row and centre."""
    n = X.shape[0]
    K = centers.shape[0]
    nt = (n + TILE - 1) // TILE
    for b in prange(nt):
        xt, dist, _, _ = _tile_buffers(X)
        start = b * TILE
        m = min(TILE, n - start)
        _load_tile(X, start, m, xt)
        for k in range(K):
            _tile_sqdist(xt, m, centers, k, dist)
            for r in range(m):
                out[start + r, k] = np.sqrt(dist[r])


@kernel(fastmath=False)
def _column_sum(X, lo, hi, j, mean):
    """``sum_{lo <= i < hi} X[i, j]`` (``mean`` empty), else ``sum (X[i, j] - mean[j])**2``, float64.

    Four interleaved partial sums (rows ``i % 4``) added as ``(s0 + s1) + (s2 + s3)``: a fixed
    order that does not wait on one addition per row."""
    centred = mean.shape[0] != 0
    c = mean[j] if centred else 0.0
    s0 = s1 = s2 = s3 = 0.0
    i = lo
    while i + 4 <= hi:
        t0 = X[i, j] - c
        t1 = X[i + 1, j] - c
        t2 = X[i + 2, j] - c
        t3 = X[i + 3, j] - c
        if centred:
            t0 *= t0
            t1 *= t1
            t2 *= t2
            t3 *= t3
        s0 += t0
        s1 += t1
        s2 += t2
        s3 += t3
        i += 4
    while i < hi:
        t0 = X[i, j] - c
        s0 += t0 * t0 if centred else t0
        i += 1
    return (s0 + s1) + (s2 + s3)


@kernel(parallel=True, fastmath=False)
def _column_sums(X, mean):
    """Per column, :func:`_column_sum` over row blocks, added in block order."""
    n, d = X.shape
    nb = _n_blocks(n, d)
    part = np.empty((nb, d))
    for b in prange(nb):
        for j in range(d):
            part[b, j] = _column_sum(X, b * n // nb, (b + 1) * n // nb, j, mean)
    total = np.zeros(d)
    for b in range(nb):
        total += part[b]
    return total


@kernel(fastmath=False)
def feature_variance(X):
    """Population variance of every column (float64, two parallel passes: mean, then squared deviations)."""
    n = X.shape[0]
    mean = _column_sums(X, np.zeros(0)) / n
    return _column_sums(X, mean) / n


@kernel(parallel=True, fastmath=False)
def candidate_potentials(X, w, closest, candidates, update):
    """For each candidate row ``c`` of ``candidates`` return ``sum_i w_i min(closest[i], |x_i - c|^2)``.

    One pass over X for all candidates.  ``update`` (one candidate only): also set ``closest[i]``
    to that minimum, in place (the k-means++ step that adds the candidate to the centres);
    otherwise ``closest`` is not modified.
    """
    n, d = X.shape
    t_count = candidates.shape[0]
    unit = w.shape[0] == 0
    nb = _n_blocks(n, t_count)
    part = np.zeros((nb, t_count))
    for b in prange(nb):
        xt, dist, _, _ = _tile_buffers(X)
        stop = (b + 1) * n // nb
        for start in range(b * n // nb, stop, TILE):
            m = min(TILE, stop - start)
            _load_tile(X, start, m, xt)
            for c in range(t_count):
                _tile_sqdist(xt, m, candidates, c, dist)
                s = 0.0
                for r in range(m):
                    i = start + r
                    wi = 1.0 if unit else w[i]
                    nearest = min(dist[r], closest[i])
                    if update:
                        closest[i] = nearest
                    s += wi * nearest
                part[b, c] += s
    pots = np.zeros(t_count)
    for b in range(nb):
        for c in range(t_count):
            pots[c] += part[b, c]
    return pots


def update_closest(X: np.ndarray, w: np.ndarray, center: np.ndarray, closest: np.ndarray) -> float:
    """``closest[i] = min(closest[i], |x_i - center[0]|^2)`` in place; return ``sum_i w_i closest[i]``.

    ``center`` has shape (1, d); the kernel is :func:`candidate_potentials`'s (one parallel kernel
    less to compile)."""
    return float(candidate_potentials(X, w, closest, center, True)[0])


@kernel(fastmath=False)
def weighted_search(n, w, closest, targets):
    """Inverse-CDF sampling without materialising the cumulative sum (one serial scan).

    Over ``n`` rows, with mass ``m_i = w_i * closest[i]`` (``closest`` empty: ``m_i = w_i``;
    ``w`` empty: ``w_i = 1``) and ``S_i = m_0 + ... + m_i``, return for each target (ascending) the
    first ``i`` with ``S_i > target``, i.e. ``np.searchsorted(S, targets, side="right")``.  Targets
    past the total (rounding) get the last row with positive mass, or ``n - 1`` when no row has any.
    """
    unit_w = w.shape[0] == 0
    unit_c = closest.shape[0] == 0
    t_count = targets.shape[0]
    out = np.empty(t_count, dtype=np.int64)
    ti = 0
    s = 0.0
    last = n - 1
    for i in range(n):
        mi = 1.0 if unit_w else w[i]
        if not unit_c:
            mi *= closest[i]
        s += mi
        while ti < t_count and s > targets[ti]:
            out[ti] = i
            ti += 1
        if ti == t_count:
            break
    if ti < t_count:
        for i in range(n - 1, -1, -1):
            mi = 1.0 if unit_w else w[i]
            if not unit_c:
                mi *= closest[i]
            if mi > 0:
                last = i
                break
        for q in range(ti, t_count):
            out[q] = last
    return out


def hard_assignment_stats(
    X: np.ndarray, sample_weight: np.ndarray | None, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-cluster sufficient statistics of the hard (nearest-centre) assignment, without labels.

    Each row is assigned to its nearest centre (squared Euclidean distance, ties to the lowest
    index), exactly as :func:`fastgmm.kmeans.lloyd` / ``KMeans.predict`` would.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), C-contiguous float32 or float64
        Already validated data (no checks are made here).
    sample_weight : ndarray of shape (n_samples,) float64, or None
        Non-negative weights; ``None`` means all ones (nothing is allocated).
    centers : ndarray of shape (n_clusters, n_features)
        Centres; rounded to X's dtype for the nearest-centre search, used in float64 for centring.

    Returns
    -------
    nk : ndarray of shape (n_clusters,), float64
        Total weight assigned to each centre (0 for a centre nothing is nearest to).
    sum_x : ndarray of shape (n_clusters, n_features), float64
        ``sum_i w_i x_i`` over the rows assigned to each centre (NOT centred).
    scatter : ndarray of shape (n_clusters, n_features, n_features), float64
        ``sum_i w_i (x_i - c_k)(x_i - c_k)^T`` over the rows assigned to centre ``c_k``, i.e.
        centred on the centre passed in (not on the cluster mean), which keeps float32 data
        accurate.  With ``m_k = sum_x[k] / nk[k]`` the weighted covariance of cluster ``k`` is
        ``scatter[k] / nk[k] - outer(m_k - c_k, m_k - c_k)``.  Symmetric.

    Notes
    -----
    Memory: O(blocks * n_clusters * n_features**2) float64 accumulators, nothing of size n_samples.
    """
    centers64 = np.ascontiguousarray(centers, dtype=np.float64)
    w = _weights_or_empty(sample_weight)
    K, d = centers64.shape
    nk = np.empty(K)
    sum_x = np.empty((K, d))
    scatter = np.empty((K, d, d))
    assigned_stats(X, w, centers64.astype(X.dtype), centers64, nk, sum_x, scatter, features_tag(d))
    return nk, sum_x, scatter


def _weights_or_empty(sample_weight: np.ndarray | None) -> np.ndarray:
    """The kernels' weight argument: float64 weights, or an empty array for unit weights."""
    if sample_weight is None:
        return np.empty(0)
    return np.ascontiguousarray(sample_weight, dtype=np.float64)


# ---------------------------------------------------------------------------------------------- bounded Lloyd
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@kernel(fastmath=False, inline="always")
def _up32(x):
    """A float32 not below the float64 ``x`` and within 2**-22 of it, relative (or 2**-147 absolute):
    an upper bound stored in float32 stays one.

    ``|x| 2**-23`` is at least the float32 spacing at ``x`` (``2**-148`` in the subnormal range), so
    rounding ``x`` plus that margin to the nearest float32 cannot land below ``x``; a finite ``x``
    below float32's range gives its lowest finite value, not -inf."""
    if np.isinf(x):
        return np.float32(x)
    f = np.float32(x + (abs(x) * 2.0 ** -23 + 2.0 ** -148))
    return f if f != -np.inf else np.float32(-_FLOAT32_MAX)


@kernel(fastmath=False, inline="always")
def _down32(x):
    """A float32 not above the float64 ``x``, as :func:`_up32` the other way: a lower bound stored in
    float32 stays one."""
    if np.isinf(x):
        return np.float32(x)
    f = np.float32(x - (abs(x) * 2.0 ** -23 + 2.0 ** -148))
    return f if f != np.inf else np.float32(_FLOAT32_MAX)


@kernel(fastmath=False, inline="always")
def _group_two_smallest(xt, m, centers, members, q0, q1, c1, c2, k1, D):
    """For the first ``m`` rows of the transposed tile ``xt``, the smallest squared distance ``c1`` to
    the centres ``members[q0:q1]`` (ascending), its centre ``k1`` (the lowest on ties; -1 if none is
    below inf) and the second smallest ``c2``: the values a row-by-row scan in centre order gives.

    The centres go in blocks of four, so that each tile load feeds four distances."""
    for r in range(m):
        c1[r] = np.inf
        c2[r] = np.inf
        k1[r] = -1
    rest = q0 + (q1 - q0) // 4 * 4
    for q in range(q0, rest, 4):
        ka, kb, kc, kd = members[q], members[q + 1], members[q + 2], members[q + 3]
        for r in range(m):
            d0 = _sqdist_d(xt, r, centers, ka, D)
            d1 = _sqdist_d(xt, r, centers, kb, D)
            d2 = _sqdist_d(xt, r, centers, kc, D)
            d3 = _sqdist_d(xt, r, centers, kd, D)
            a1, a2, ak = _two_smallest(d0, ka, c1[r], c2[r], k1[r])
            a1, a2, ak = _two_smallest(d1, kb, a1, a2, ak)
            a1, a2, ak = _two_smallest(d2, kc, a1, a2, ak)
            a1, a2, ak = _two_smallest(d3, kd, a1, a2, ak)
            c1[r] = a1
            c2[r] = a2
            k1[r] = ak
    for q in range(rest, q1):
        k = members[q]
        for r in range(m):
            a1, a2, ak = _two_smallest(_sqdist_d(xt, r, centers, k, D), k, c1[r], c2[r], k1[r])
            c1[r] = a1
            c2[r] = a2
            k1[r] = ak


@kernel(fastmath=False, inline="always")
def _yinyang_tiles_d(X, w, centers, members, group_start, labels, upper, lower, glob, lo, hi, acc_n, acc_s, D):
    """Rows ``lo .. hi`` of :func:`yinyang_pass` with every distance computed, over transposed tiles as in
    :func:`_tile_nearest` (same distances, same labels); sets exact bounds and accumulates in row order.

    The centres are visited group by group (:func:`_group_two_smallest`); the label is then the
    lowest index among the groups' smallest distances, i.e. Lloyd's."""
    G = lower.shape[1]
    unit = w.shape[0] == 0
    xt = np.empty((D, TILE), dtype=X.dtype)
    bestd = np.empty(TILE, dtype=X.dtype)
    best = np.empty(TILE, dtype=np.int64)
    c1 = np.empty((G, TILE), dtype=X.dtype)  # per group: smallest and second smallest squared distance
    c2 = np.empty((G, TILE), dtype=X.dtype)
    k1 = np.empty((G, TILE), dtype=np.int64)
    for start in range(lo, hi, TILE):
        m = min(TILE, hi - start)
        for r in range(m):
            for j in range(D):
                xt[j, r] = X[start + r, j]
            bestd[r] = np.inf
            best[r] = 0
        for g in range(G):
            g1, g2, gk1 = c1[g], c2[g], k1[g]
            _group_two_smallest(xt, m, centers, members, group_start[g], group_start[g + 1], g1, g2, gk1, D)
            for r in range(m):
                # ties between groups: the lowest index (none when the group's distances are all inf)
                better = (g1[r] < bestd[r]) | ((g1[r] == bestd[r]) & (gk1[r] >= 0) & (gk1[r] < best[r]))
                bestd[r] = g1[r] if better else bestd[r]
                best[r] = gk1[r] if better else best[r]
        for r in range(m):
            i = start + r
            a = best[r]
            labels[i] = a
            upper[i] = _up32(np.sqrt(np.float64(bestd[r])))
            glb = np.inf
            for g in range(G):
                lower[i, g] = _down32(np.sqrt(np.float64(c2[g, r] if k1[g, r] == a else c1[g, r])))
                glb = min(glb, lower[i, g])
            glob[i] = glb
            wi = 1.0 if unit else w[i]
            acc_n[a] += wi
            for j in range(D):
                acc_s[a, j] += wi * xt[j, r]


@kernel(fastmath=False, inline="always")
def _yinyang_bounded_d(X, centers, members, group_start, group_of, drift, group_drift, glob_drift, rho, slack,
                       labels, upper, lower, glob, lo, hi, dirty, D):
    """Rows ``lo .. hi`` of :func:`yinyang_pass` with the bounds, tile by tile; mark in ``dirty`` (K,)
    the old and new label of every row whose label changes; return the number of distances computed.

    Per tile, in stages, each over the rows the previous one left (gathered, so that the loads of
    their scattered bounds and rows do not wait on one another): the global test (upper bound
    against global lower bound: 20 bytes read, nothing written for the rows it keeps); the group
    test (against every group's lower bound, which also tightens the global bound); the exact
    distance to the label (the tightened upper bound), tested again; then the rows still left are
    searched group by group: for each group, the rows whose bound does not exclude it are
    gathered into a transposed tile and their distances to the group's centres are computed
    vectorised over those rows, in centre order, as a row-by-row search would (same distances,
    same comparisons, same labels)."""
    G = group_start.shape[0] - 1
    lo_margin = 1.0 - rho
    hi_margin = 1.0 + rho
    computed = 0
    cand = np.empty(TILE, dtype=np.int64)      # rows left after the global test (rows of X)
    cub = np.empty(TILE)                       # their upper bound
    cglb = np.empty(TILE)                      # their smallest group lower bound
    left = np.empty(TILE, dtype=np.int64)      # candidates left after the group test
    srow = np.empty(TILE, dtype=np.int64)      # rows searched (rows of X)
    sbest = np.empty(TILE, dtype=np.int64)     # per searched row: best centre so far, its squared
    sbestd = np.empty(TILE, dtype=X.dtype)     # distance and distance (the running upper bound),
    sub = np.empty(TILE)                       # and the exact distance to its old label
    sua = np.empty(TILE)
    searched = np.empty((G, TILE), dtype=np.bool_)
    c1 = np.empty((G, TILE), dtype=X.dtype)    # per searched group and row: smallest and second
    c2 = np.empty((G, TILE), dtype=X.dtype)    # smallest squared distance, centre of the smallest
    k1 = np.empty((G, TILE), dtype=np.int64)
    gidx = np.empty(TILE, dtype=np.int64)      # rows searched in the current group
    xg = np.empty((D, TILE), dtype=X.dtype)
    g1 = np.empty(TILE, dtype=X.dtype)
    g2 = np.empty(TILE, dtype=X.dtype)
    gk1 = np.empty(TILE, dtype=np.int64)
    for start in range(lo, hi, TILE):
        stop = min(start + TILE, hi)
        nc = 0
        for i in range(start, stop):
            ub = upper[i] + drift[labels[i]]
            cand[nc] = i
            cub[nc] = ub
            nc += 0 if ub * hi_margin + slack < (glob[i] - glob_drift) * lo_margin else 1
        for c in range(nc):
            prefetch_row(lower, cand[c])
        nl = 0
        for c in range(nc):
            i = cand[c]
            glb = np.inf
            for g in range(G):
                glb = min(glb, lower[i, g] - group_drift[g])
            glob[i] = _down32(glb + glob_drift)
            cglb[c] = glb
            left[nl] = c
            nl += 0 if cub[c] * hi_margin + slack < glb * lo_margin else 1
        computed += nl
        for t in range(nl):
            prefetch_row(X, cand[left[t]])
        ns = 0
        for t in range(nl):
            c = left[t]
            i = cand[c]
            a = labels[i]
            dd = _row_sqdist(X, i, centers, a, D)
            ub = np.sqrt(np.float64(dd))
            upper[i] = _up32(ub - drift[a])
            srow[ns] = i
            sbest[ns] = a
            sbestd[ns] = dd
            sub[ns] = ub
            sua[ns] = ub
            ns += 0 if ub * hi_margin + slack < cglb[c] * lo_margin else 1
        for g in range(G):
            ng = 0
            for s in range(ns):
                searched[g, s] = not sub[s] * hi_margin + slack < (lower[srow[s], g] - group_drift[g]) * lo_margin
                gidx[ng] = s
                ng += 1 if searched[g, s] else 0
            if ng == 0:
                continue
            for t in range(ng):
                s = gidx[t]
                for j in range(D):
                    xg[j, t] = X[srow[s], j]
            _group_two_smallest(xg, ng, centers, members, group_start[g], group_start[g + 1], g1, g2, gk1, D)
            computed += ng * (group_start[g + 1] - group_start[g])
            for t in range(ng):
                s = gidx[t]
                # the group's members ascend, so gk1 is its lowest index at the smallest distance
                if g1[t] < sbestd[s] or (g1[t] == sbestd[s] and gk1[t] < sbest[s]):
                    sbestd[s] = g1[t]
                    sbest[s] = gk1[t]
                    sub[s] = np.sqrt(np.float64(g1[t]))
                c1[g, s] = g1[t]
                c2[g, s] = g2[t]
                k1[g, s] = gk1[t]
        for s in range(ns):
            i = srow[s]
            a = labels[i]
            b = sbest[s]
            glb = np.inf
            for g in range(G):
                if searched[g, s]:
                    lg = np.sqrt(np.float64(c2[g, s] if k1[g, s] == b else c1[g, s]))
                    lower[i, g] = _down32(lg + group_drift[g])
                elif b != a and g == group_of[a]:
                    lg = min(lower[i, g] - group_drift[g], sua[s])
                    lower[i, g] = _down32(lg + group_drift[g])
                else:
                    lg = lower[i, g] - group_drift[g]
                glb = min(glb, lg)
            glob[i] = _down32(glb + glob_drift)
            upper[i] = _up32(sub[s] - drift[b])
            if b != a:
                labels[i] = b
                dirty[a] = True
                dirty[b] = True
    return computed


@kernel(fastmath=False, inline="always")
def _accumulate_dirty(X, w, labels, lo, hi, dirty, acc_n, acc_s, D):
    """Recompute, for the clusters marked in ``dirty``, the weight and weighted sum of rows ``lo .. hi``
    (by their ``labels``) in ``acc_n`` and ``acc_s``, in row order from zero as :func:`_tile_nearest`
    accumulates them; the other clusters' entries are kept (their rows did not change)."""
    unit = w.shape[0] == 0
    any_dirty = False
    for k in range(acc_n.shape[0]):
        if dirty[k]:
            any_dirty = True
            acc_n[k] = 0.0
            for j in range(D):
                acc_s[k, j] = 0.0
    if not any_dirty:
        return
    rows = np.empty(TILE, dtype=np.int64)
    for start in range(lo, hi, TILE):
        # gathered first (no branch) and prefetched, so that the scattered rows' cache misses overlap
        nr = 0
        for i in range(start, min(start + TILE, hi)):
            rows[nr] = i
            nr += 1 if dirty[labels[i]] else 0
        for t in range(nr):
            prefetch_row(X, rows[t])
        for t in range(nr):
            i = rows[t]
            a = labels[i]
            wi = 1.0 if unit else w[i]
            acc_n[a] += wi
            for j in range(D):
                acc_s[a, j] += wi * X[i, j]


@kernel(fastmath=False)
def _yinyang_rows(X, w, centers, members, group_start, group_of, drift, group_drift, glob_drift, rho, slack, full,
                  labels, upper, lower, glob, lo, hi, acc_n, acc_s, ftag):
    """Rows ``lo .. hi`` of :func:`yinyang_pass`: update their labels and bounds and this block's
    accumulators ``acc_n``, ``acc_s``; return the number of distances computed (``ftag``: as
    :func:`_tile_nearest`)."""
    D = _n_features(X, ftag)
    if full:
        acc_n[:] = 0.0
        acc_s[:] = 0.0
        _yinyang_tiles_d(X, w, centers, members, group_start, labels, upper, lower, glob, lo, hi, acc_n, acc_s, D)
        return (hi - lo) * centers.shape[0]
    dirty = np.zeros(centers.shape[0], dtype=np.bool_)
    computed = _yinyang_bounded_d(X, centers, members, group_start, group_of, drift, group_drift, glob_drift,
                                  rho, slack, labels, upper, lower, glob, lo, hi, dirty, D)
    _accumulate_dirty(X, w, labels, lo, hi, dirty, acc_n, acc_s, D)
    return computed


@kernel(parallel=True, fastmath=False)
def yinyang_pass(X, w, centers, members, group_start, group_of, drift, group_drift, glob_drift, rho, slack, full,
                 labels, upper, lower, glob, bn, bs, nk, sum_x, ftag):
    """One Lloyd pass with Yinyang's grouped bounds: same ``nk`` and ``sum_x`` as :func:`lloyd_pass`, bitwise.

    The centres are split into G groups: group ``g`` is ``members[group_start[g]:group_start[g+1]]``
    and ``group_of[k]`` is the group of centre ``k``.  Per row: ``labels`` (int32), an upper bound
    on the distance to its centre, a lower bound on the distance to every centre of group ``g``
    other than the label, and a global lower bound (at most the smallest group bound), float32,
    computed in float64 and rounded outwards (upper bounds up, lower bounds down), so they stay
    bounds and a row's bounds take 12 + 4 G bytes.
    The bounds are stored relative to the centres' movement since the last full pass, so that a
    row whose bounds keep it is not written: the upper bound is ``upper[i] + drift[label]``, group
    ``g``'s lower bound ``lower[i, g] - group_drift[g]`` and the global one ``glob[i] -
    glob_drift``, where ``drift`` (K,) is how far each centre moved since the last full pass,
    summed over the passes, ``group_drift`` (G,) the sum of each group's largest move and
    ``glob_drift`` the sum of the largest moves of all.  ``bn`` (nb, K) and ``bs`` (nb, K, d) hold the
    per-block weights and sums of the previous pass (row blocks of :func:`assigned_stats`).

    ``full``: every distance is computed (over row tiles, as :func:`assigned_stats`), the bounds
    are set exactly (the drifts must then be zero) and every block is accumulated.  Otherwise a
    row keeps its label without another distance when its upper bound is below its global lower
    bound, else below every group's lower bound (after tightening the upper bound to the exact
    distance if needed); otherwise the distances to the centres of each group whose lower bound is
    not above the best distance found so far are computed, the other groups are skipped.  Every
    comparison that skips uses the margins ``rho`` and ``slack`` (``a (1 + rho) + slack < b (1 -
    rho)``), which cover the rounding of the computed distances and bounds (``rho``, relative) and
    of the drifts (``slack``), so a skipped centre is strictly farther than the chosen one.  The
    distances computed are computed exactly as :func:`_tile_nearest` computes them, and the label
    is the lowest index among the smallest of them: Lloyd's label.  In a block, only the clusters
    that gained or lost a row are summed again, over the block's rows in row order: so every block
    sum is the one :func:`assigned_stats` makes, and the blocks are added in its order.  Returns
    the number of distances computed.  ``ftag``: :func:`features_tag`.
    """
    n = X.shape[0]
    nb = bn.shape[0]
    computed = np.zeros(nb, dtype=np.int64)
    for b in prange(nb):
        computed[b] = _yinyang_rows(X, w, centers, members, group_start, group_of, drift, group_drift, glob_drift,
                                    rho, slack, full, labels, upper, lower, glob, b * n // nb, (b + 1) * n // nb,
                                    bn[b], bs[b], ftag)
    _sum_blocks(bn, bs, nk, sum_x)
    return computed.sum()


class YinyangPasses:
    """Lloyd passes with Yinyang's grouped bounds over one array: call it as :func:`lloyd_pass`.

    Keeps the per-row state between calls (label, upper bound, global lower bound and one lower
    bound per group of centres: ``12 + 4 G`` bytes a row), the per-block sums of the previous
    pass and the centres of the previous call, so each call knows how far every centre moved.  The
    sums and weights it returns are bitwise those of :func:`lloyd_pass` for the same centres, so a
    Lloyd loop gives identical centres, iteration counts, labels and inertia with either.

    Groups: ``G = ceil(K / CENTRES_PER_GROUP)`` groups made at the first full pass by a few Lloyd
    iterations over that pass's centres themselves (Ding et al., "Yinyang K-means", ICML 2015);
    they are kept for the whole fit.  With ``G = 1`` this is Hamerly's algorithm.

    Pass choice: a "full" pass computes every distance over row tiles (vectorised like Lloyd's
    pass) and sets exact bounds; a "bounded" pass skips with the bounds; a "plain" pass is
    :func:`lloyd_pass` (no bounds kept).  While the centres still move a lot, bounds skip little
    and a bounded pass costs more than a plain one (measured at 1e6 x 8, K=64: a bounded pass
    that computes 20 % of the distances costs 1.4 plain passes, a full pass 1.6-1.8), so the
    passes are plain until a probe predicts that the bounds pay: every ``PROBE_STRIDE``-th row
    is kept in a small array with bounds of its own, set exactly by a full pass at every plain
    pass; the next plain pass first makes a bounded pass over those rows, and when it computed
    at most ``PROBE_FRACTION`` of their distances, the pass over X is full instead of plain,
    and the following ones are bounded.  A bounded pass that computed more than
    ``FULL_PASS_FRACTION`` of all row-to-centre distances (centres that moved a lot at once)
    starts probing again.  Every kind of pass gives the same labels and sums, so the choice
    changes only the time.
    """

    CENTRES_PER_GROUP = 10
    FULL_PASS_FRACTION = 0.35
    PROBE_FRACTION = 0.05
    PROBE_STRIDE = 32
    _GROUPING_ITERATIONS = 5
    _ITERATION_ROUNDING = 1e-12  # bounds drift by float64 additions: ~1e-16 relative per iteration

    def __init__(self, X: np.ndarray) -> None:
        n, d = X.shape
        self.n = n
        self.labels = np.zeros(n, dtype=np.int32)
        self.upper = np.empty(n, dtype=np.float32)
        self.glob = np.empty(n, dtype=np.float32)
        self.lower = np.empty((n, 0), dtype=np.float32)
        self.previous: np.ndarray | None = None
        self.bounded = False  # the bounds are set and pay: the next pass is bounded
        self.probe: YinyangPasses | None = None  # every PROBE_STRIDE-th row, with bounds of its own
        self.probe_rows = np.empty((0, d), dtype=X.dtype)
        self.probe_w = np.empty(0)
        # relative rounding of a distance computed in X's dtype (difference form), plus bound drift
        self.rho = 4.0 * (d + 2) * float(np.finfo(X.dtype).eps) + self._ITERATION_ROUNDING

    def _make_groups(self, c64: np.ndarray) -> None:
        """Group the centres: k-means on the centres, seeded with evenly spaced ones; empty groups dropped."""
        K = c64.shape[0]
        G = -(-K // self.CENTRES_PER_GROUP)
        group_of = np.arange(K) * G // K
        for _ in range(self._GROUPING_ITERATIONS):
            means = np.array([c64[group_of == g].mean(axis=0) for g in np.unique(group_of)])
            group_of = ((c64[:, None, :] - means[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        _, group_of = np.unique(group_of, return_inverse=True)
        self.group_of = group_of.astype(np.int64)
        self.members = np.argsort(self.group_of, kind="stable").astype(np.int64)
        self.group_start = np.searchsorted(self.group_of[self.members], np.arange(self.group_of.max() + 2))
        self.lower = np.empty((self.n, self.group_start.shape[0] - 1), dtype=np.float32)

    def __call__(self, X: np.ndarray, w: np.ndarray, centers: np.ndarray, sums: np.ndarray,
                 weights: np.ndarray) -> None:
        if self.bounded:
            computed = self._pass(X, w, centers, sums, weights, False)
            if computed > self.FULL_PASS_FRACTION * self.n * centers.shape[0]:
                self.bounded = False
                self.probe = None
        elif self._probe_fraction(X, w, centers) <= self.PROBE_FRACTION:
            self._pass(X, w, centers, sums, weights, True)
            self.bounded = True
        else:
            lloyd_pass(X, w, centers, sums, weights)

    def _probe_fraction(self, X: np.ndarray, w: np.ndarray, centers: np.ndarray) -> float:
        """Fraction of the distances that a bounded pass over the probe rows computed for ``centers``
        with the exact bounds of the previous call (inf when there were none); then a full pass
        sets their bounds for ``centers``."""
        K, d = centers.shape
        if self.probe_rows.shape[0] == 0:  # gathered once: X and w are the same on every call of a fit
            self.probe_rows = np.ascontiguousarray(X[::self.PROBE_STRIDE])
            self.probe_w = np.ascontiguousarray(w[::self.PROBE_STRIDE])
        rows, w_rows = self.probe_rows, self.probe_w
        sums, weights = np.empty((K, d)), np.empty(K)
        if self.probe is None:
            self.probe = YinyangPasses(rows)
            fraction = np.inf
        else:
            fraction = self.probe._pass(rows, w_rows, centers, sums, weights, False) / (rows.shape[0] * K)
        self.probe._pass(rows, w_rows, centers, sums, weights, True)
        return fraction

    def _pass(self, X: np.ndarray, w: np.ndarray, centers: np.ndarray, sums: np.ndarray, weights: np.ndarray,
              full: bool) -> int:
        """One full or bounded pass (:func:`yinyang_pass`); return the number of distances computed."""
        c64 = centers.astype(np.float64)
        K, d = c64.shape
        if self.previous is None:
            self._make_groups(c64)
            nb = _n_blocks(self.n, K * (1 + d))  # the blocks of assigned_stats
            self.block_weights = np.empty((nb, K))
            self.block_sums = np.empty((nb, K, d))
            self.drift = np.zeros(K)
            self.group_drift = np.zeros(self.group_start.shape[0] - 1)
            self.glob_drift = 0.0
        if full:
            self.drift[:] = 0.0
            self.group_drift[:] = 0.0
            self.glob_drift = 0.0
            self.drift_passes = 0
        else:
            self.drift_passes += 1
            shift = np.sqrt(((c64 - self.previous) ** 2).sum(axis=1))
            self.drift += shift
            self.group_drift += np.maximum.reduceat(shift[self.members], self.group_start[:-1])
            self.glob_drift += float(shift.max())
        computed = yinyang_pass(X, w, centers, self.members, self.group_start, self.group_of, self.drift,
                                self.group_drift, self.glob_drift, self.rho, self._slack(), full, self.labels,
                                self.upper, self.lower, self.glob, self.block_weights, self.block_sums, weights,
                                sums, features_tag(d))
        self.previous = c64
        return int(computed)

    def _slack(self) -> float:
        """Absolute margin of the bound tests for the rounding of the drifts: each is a float64 sum of
        ``drift_passes`` terms, added to and subtracted from the stored bounds (a few roundings
        relative to the drift, at most ``glob_drift``, plus one per term)."""
        return (4.0 * self.rho + 2.0 * self.drift_passes * float(np.finfo(np.float64).eps)) * self.glob_drift

    def labels_inertia(self, X: np.ndarray, w: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Nearest-centre labels (int32, this object's array) and inertia for ``centers``: one more
        pass, then the inertia from the labels; both bitwise those of :func:`assign_inertia`."""
        K, d = centers.shape
        self._pass(X, w, centers, np.empty((K, d)), np.empty(K), not self.bounded)
        return self.labels, float(labelled_inertia(X, w, centers, self.labels, features_tag(d)))
