"""Numba kernels for Gaussian-mixture EM: one fused pass over the data per iteration.

A single parallel kernel, :func:`em_pass`, serves every covariance type and every use:

* the E-step log-likelihood and the M-step sufficient statistics of one EM iteration
  (``Σ w r``, ``Σ w r (x-μ)``, ``Σ w r (x-μ)(x-μ)ᵀ`` or only its diagonal), centred on the
  component means the pass was evaluated with (Chan-style: the caller shifts them onto the new
  means, which keeps float32 data far from the origin accurate);
* per-sample outputs for ``score_samples`` (log p(x)), ``predict`` (argmax) and
  ``predict_proba`` (responsibilities), written straight into caller-provided arrays.

Rows are processed in tiles of ``TILE`` rows: the tile is transposed once into a small
feature-major buffer so every inner loop runs over the rows of the tile (contiguous, SIMD
friendly), the log-sum-exp is done in two passes over the components per row, and per-component
constants (log weight + log det - d/2 log 2π) are precomputed by the caller.  No N×K array is
ever allocated; per-block accumulators (one block per ``prange`` iteration) are summed by the
caller in block order.  The blocks depend on the problem's size only (:func:`n_blocks_for`), so
results are bitwise identical whatever the number of threads.

Full and tied covariances are passed as upper-triangular precision Cholesky factors ``P``
(shape ``(K, d, d)``, ``Σ⁻¹ = P Pᵀ``); diagonal and spherical ones as ``(K, d, d)`` arrays whose
diagonal holds the per-feature precision Cholesky values, with ``diag=True``.

:func:`block_stats` and :func:`merge_stats` are the reusable pieces: the statistics of one block
of rows (e.g. one Dask chunk) for given parameters, and the sum of two such results.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.extending import intrinsic

from .._jit import kernel, prange

TILE = 256

MODE_STATS = 1
MODE_LOGPROB = 2
MODE_LABEL = 4
MODE_RESP = 8


@intrinsic
def _bits_to_float(typingctx, bits):  # pragma: no cover - compiled
    """Reinterpret an int64 as a float64 (a no-op LLVM bitcast, so loops using it vectorise)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float_to_bits(typingctx, value):  # pragma: no cover - compiled
    """Reinterpret a float64 as an int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 0.693145751953125
_LN2_LO = 1.4286068203094173e-06
_EXP_MIN = -708.0
# Taylor coefficients of e^r, highest degree first: 1/13!, 1/12!, ..., 1/2!, 1/1!, 1/0!
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, -1, -1))
# 2 atanh(z) / (2 z) = sum z^(2k) / (2k + 1): 1/23, 1/21, ..., 1/3, 1
_ATANH_SERIES = tuple(1.0 / k for k in range(23, 0, -2))


@kernel(inline="always")
def _horner(coefficients, x):  # pragma: no cover - jitted
    """Polynomial with ``coefficients`` (highest degree first) at ``x`` by Horner's rule."""
    p = coefficients[0]
    for i in range(1, len(coefficients)):
        p = p * x + coefficients[i]
    return p


@kernel(inline="always")
def _exp(x):  # pragma: no cover - jitted
    """exp(x) for x <= ~0 to ~1 ulp, branch-free so the loops calling it vectorise.

    Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Taylor series of degree 13 for e^r
    (truncation error < 5e-18) and 2^n built from its exponent bits; 0 below -708.
    """
    xc = max(x, _EXP_MIN)
    n = math.floor(xc * _LOG2E + 0.5)
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = _horner(_EXP_TAYLOR, r)
    scale = _bits_to_float((np.int64(n) + 1023) << 52)
    return p * scale if x >= _EXP_MIN else 0.0


@kernel(inline="always")
def _log(x):  # pragma: no cover - jitted
    """log(x) for finite x > 0 (normal numbers), branch-free so the loops calling it vectorise.

    x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(z), z = (m-1)/(m+1), |z| < 0.172,
    by its odd series to z^23 (truncation error < 1e-18).
    """
    bits = _float_to_bits(x)
    e = (bits >> 52) - 1023
    m = _bits_to_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > 1.4142135623730951
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    z = (m - 1.0) / (m + 1.0)
    p = _horner(_ATANH_SERIES, z * z)
    fe = np.float64(e)
    return fe * _LN2_HI + (fe * _LN2_LO + 2.0 * z * p)


@kernel(inline="always")
def _tile_log_prob3(xt, m, means, prec, log_const, lp):  # pragma: no cover - jitted
    """:func:`_tile_log_prob` for three features (colour pixels): one fused loop per component."""
    for k in range(means.shape[0]):
        m0, m1, m2 = means[k, 0], means[k, 1], means[k, 2]
        p00, p01, p02 = prec[k, 0, 0], prec[k, 0, 1], prec[k, 0, 2]
        p11, p12, p22 = prec[k, 1, 1], prec[k, 1, 2], prec[k, 2, 2]
        cst = log_const[k]
        for t in range(m):
            a0 = xt[0, t] - m0
            a1 = xt[1, t] - m1
            a2 = xt[2, t] - m2
            y0 = a0 * p00
            y1 = a0 * p01 + a1 * p11
            y2 = a0 * p02 + a1 * p12 + a2 * p22
            lp[k, t] = cst - 0.5 * (y0 * y0 + y1 * y1 + y2 * y2)


@kernel(inline="always")
def _tile_log_prob(xt, m, means, prec, log_const, diag, diff, y, lp):  # pragma: no cover - jitted
    """lp[k, t] = log w_k + log N(x_t | μ_k, Σ_k) for the ``m`` rows held in ``xt`` (d, TILE)."""
    K, d = means.shape
    if d == 3:
        _tile_log_prob3(xt, m, means, prec, log_const, lp)
        return
    for k in range(K):
        for t in range(m):
            lp[k, t] = 0.0
        if diag:
            for i in range(d):
                mu = means[k, i]
                c = prec[k, i, i]
                for t in range(m):
                    v = (xt[i, t] - mu) * c
                    lp[k, t] += v * v
        else:
            for i in range(d):
                mu = means[k, i]
                for t in range(m):
                    diff[i, t] = xt[i, t] - mu
            for j in range(d):
                c = prec[k, 0, j]
                for t in range(m):
                    y[t] = diff[0, t] * c
                for i in range(1, j + 1):
                    c = prec[k, i, j]
                    for t in range(m):
                        y[t] += diff[i, t] * c
                for t in range(m):
                    lp[k, t] += y[t] * y[t]
        cst = log_const[k]
        for t in range(m):
            lp[k, t] = cst - 0.5 * lp[k, t]


@kernel(inline="always")
def _tile_stats3(xt, m, means, wr, nk, sx, sxx):  # pragma: no cover - jitted
    """Add Σ wr, Σ wr·a and the lower triangle of Σ wr·a aᵀ (a = x - μ_k) for three features."""
    for k in range(means.shape[0]):
        m0, m1, m2 = means[k, 0], means[k, 1], means[k, 2]
        s = s0 = s1 = s2 = s00 = s10 = s11 = s20 = s21 = s22 = 0.0
        for t in range(m):
            r = wr[k, t]
            a0 = xt[0, t] - m0
            a1 = xt[1, t] - m1
            a2 = xt[2, t] - m2
            r0 = r * a0
            r1 = r * a1
            r2 = r * a2
            s += r
            s0 += r0
            s1 += r1
            s2 += r2
            s00 += r0 * a0
            s10 += r1 * a0
            s11 += r1 * a1
            s20 += r2 * a0
            s21 += r2 * a1
            s22 += r2 * a2
        nk[k] += s
        sx[k, 0] += s0
        sx[k, 1] += s1
        sx[k, 2] += s2
        sxx[k, 0, 0] += s00
        sxx[k, 1, 0] += s10
        sxx[k, 1, 1] += s11
        sxx[k, 2, 0] += s20
        sxx[k, 2, 1] += s21
        sxx[k, 2, 2] += s22


@kernel()
def _em_block(X, w, means, prec, log_const, diag, mode, start, stop, out_logprob, out_label, out_resp, nk, sx,
              sxx):  # pragma: no cover - jitted
    """Rows ``start .. stop`` of :func:`em_pass`: adds this block's statistics into ``nk`` (K,),
    ``sx`` (K, d) and ``sxx`` (K, d, d) and writes the per-row outputs; returns (loglik, weight).

    A serial kernel of its own, called once per block from :func:`em_pass`'s ``prange``: Numba's
    parfor passes then see a loop of one call instead of this body, which more than halves the
    cold compilation of the pass (docs/performance.md, "Cold start").
    """
    d = X.shape[1]
    K = means.shape[0]
    has_w = w.shape[0] > 0
    want_stats = (mode & MODE_STATS) != 0
    want_lp = (mode & MODE_LOGPROB) != 0
    want_label = (mode & MODE_LABEL) != 0
    want_resp = (mode & MODE_RESP) != 0
    xt = np.empty((d, TILE), X.dtype)
    diff = np.empty((d, TILE), X.dtype)
    y = np.empty(TILE, X.dtype)
    lp = np.empty((K, TILE))
    wt = np.empty(TILE)
    mx = np.empty(TILE)
    ssum = np.empty(TILE)
    best = np.empty(TILE, np.int64)
    ll_b = 0.0
    w_b = 0.0
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        for t in range(m):
            for i in range(d):
                xt[i, t] = X[t0 + t, i]
        if has_w:
            for t in range(m):
                wt[t] = w[t0 + t]
        else:
            for t in range(m):
                wt[t] = 1.0
        _tile_log_prob(xt, m, means, prec, log_const, diag, diff, y, lp)
        # log-sum-exp over components in two passes (max, then sum of exp), rows innermost;
        # lp becomes w * responsibility
        for t in range(m):
            mx[t] = lp[0, t]
            best[t] = 0
        for k in range(1, K):
            for t in range(m):
                v = lp[k, t]
                if v > mx[t]:
                    mx[t] = v
                    best[t] = k
        for t in range(m):
            ssum[t] = 0.0
        for k in range(K):
            for t in range(m):
                e = _exp(lp[k, t] - mx[t])
                lp[k, t] = e
                ssum[t] += e
        for t in range(m):
            mx[t] = mx[t] + _log(ssum[t])
            ssum[t] = 1.0 / ssum[t]
        if want_lp:
            for t in range(m):
                out_logprob[t0 + t] = mx[t]
        if want_label:
            for t in range(m):
                out_label[t0 + t] = best[t]
        if want_resp:
            for t in range(m):
                for k in range(K):
                    out_resp[t0 + t, k] = lp[k, t] * ssum[t]
        if want_stats:
            for t in range(m):
                ll_b += wt[t] * mx[t]
                w_b += wt[t]
                ssum[t] *= wt[t]
            for k in range(K):
                for t in range(m):
                    lp[k, t] *= ssum[t]
        if not want_stats:
            continue
        if d == 3:
            _tile_stats3(xt, m, means, lp, nk, sx, sxx)
            continue
        for k in range(K):
            acc = 0.0
            for t in range(m):
                acc += lp[k, t]
            nk[k] += acc
            for i in range(d):
                mu = means[k, i]
                acc = 0.0
                acc2 = 0.0
                for t in range(m):
                    a = xt[i, t] - mu
                    diff[i, t] = a
                    r = lp[k, t] * a
                    acc += r
                    acc2 += r * a
                sx[k, i] += acc
                sxx[k, i, i] += acc2
                if not diag:
                    for j in range(i):
                        acc = 0.0
                        for t in range(m):
                            acc += lp[k, t] * diff[i, t] * diff[j, t]
                        sxx[k, i, j] += acc
    return ll_b, w_b


@kernel(parallel=True)
def em_pass(X, w, means, prec, log_const, diag, mode, out_logprob, out_label, out_resp, ll, wsum, nk, sx,
            sxx):  # pragma: no cover - jitted
    """One pass over ``X``; see the module docstring.

    Parameters: ``X`` (N, d) float32/float64; ``w`` (N,) float64 sample weights or an empty
    array for unit weights; ``means`` (K, d) and ``prec`` (K, d, d) in X's dtype; ``log_const``
    (K,) float64; ``diag`` bool; ``mode`` a bit set of MODE_*; outputs (N,), (N,) int64 and
    (N, K), or empty arrays when their mode bit is not set.

    The rows are cut into ``n_blocks = ll.shape[0]`` blocks; block ``b`` adds its log-likelihood
    and weight into ``ll[b]`` and ``wsum[b]``, and its ``nk`` (K,), ``sum_dx`` (K, d) and
    ``scatter`` (K, d, d) into ``nk[b]``, ``sx[b]``, ``sxx[b]`` (float64 zeros from the caller,
    which keeps allocations out of the parallel kernel).  ``scatter`` holds the lower triangle
    (only the diagonal is guaranteed when ``diag``); ``sum_dx`` and ``scatter`` are centred on
    ``means``.
    """
    n = X.shape[0]
    n_blocks = ll.shape[0]
    rows = (n + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * rows
        ll_b, w_b = _em_block(X, w, means, prec, log_const, diag, mode, start, min(n, start + rows), out_logprob,
                              out_label, out_resp, nk[b], sx[b], sxx[b])
        ll[b] = ll_b
        wsum[b] = w_b


def _pass(X: np.ndarray, w: np.ndarray, means: np.ndarray, prec: np.ndarray, log_const: np.ndarray, diag: bool,
          mode: int, out_logprob: np.ndarray, out_label: np.ndarray, out_resp: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`em_pass` over ``n_blocks_for`` blocks; returns the per-block ``(loglik, weight, nk, sum_dx, scatter)``."""
    K, d = means.shape
    nb = n_blocks_for(X.shape[0], K, d)
    ll, wsum, nk, sx, sxx = np.zeros(nb), np.zeros(nb), np.zeros((nb, K)), np.zeros((nb, K, d)), np.zeros((nb, K, d, d))
    em_pass(X, w, means, prec, log_const, diag, mode, out_logprob, out_label, out_resp, ll, wsum, nk, sx, sxx)
    return ll, wsum, nk, sx, sxx


class Stats(NamedTuple):
    """Sufficient statistics of one E-step, centred on the means they were computed with.

    ``loglik`` is ``Σ w log p(x)``, ``weight`` is ``Σ w``, ``nk`` (K,) is ``Σ w r``, ``sum_dx``
    (K, d) is ``Σ w r (x - μ)`` and ``scatter`` is ``Σ w r (x - μ)(x - μ)ᵀ``: (K, d, d) for
    full/tied, its diagonal (K, d) for diagonal/spherical models.  All float64.
    """

    loglik: float
    weight: float
    nk: np.ndarray
    sum_dx: np.ndarray
    scatter: np.ndarray


_MIN_ROWS_PER_BLOCK = 8 * TILE
_MAX_BLOCKS = 256
_MAX_BLOCK_FLOATS = 4_000_000  # cap on blocks x accumulator floats per block: 32 MB of float64


def n_blocks_for(n_samples: int, n_components: int, n_features: int) -> int:
    """Row blocks of one pass: a function of the problem's size only, never of the thread count.

    Each block accumulates its own statistics and the blocks are summed in block order, so
    results are bitwise the same with any number of threads (blocks of at least ``8 * TILE`` rows,
    at most ``_MAX_BLOCKS`` of them, and at most ``_MAX_BLOCK_FLOATS`` accumulator floats in all).
    """
    per_block = 2 + n_components * (1 + n_features + n_features * n_features)
    nb = min(-(-n_samples // _MIN_ROWS_PER_BLOCK), _MAX_BLOCKS, max(1, _MAX_BLOCK_FLOATS // per_block))
    return max(1, nb)


def block_stats(
    X: np.ndarray, w: np.ndarray, means: np.ndarray, prec: np.ndarray, log_const: np.ndarray, diag: bool
) -> Stats:
    """E-step statistics of the rows ``X`` with weights ``w`` (empty for unit weights)."""
    K = means.shape[0]
    ll, ws, nk, sx, sxx = _pass(X, w, means, prec, log_const, diag, MODE_STATS, np.empty(0, X.dtype),
                                np.empty(0, np.int64), np.empty((0, K), X.dtype))
    scatter = sxx.sum(axis=0)
    if diag:
        scatter = np.diagonal(scatter, axis1=1, axis2=2).copy()
    else:
        lower = np.tril(scatter, -1)
        scatter = np.tril(scatter) + lower.transpose(0, 2, 1)
    return Stats(float(ll.sum()), float(ws.sum()), nk.sum(axis=0), sx.sum(axis=0), scatter)


def merge_stats(a: Stats, b: Stats) -> Stats:
    """Statistics of the union of two blocks (both computed with the same parameters)."""
    return Stats(a.loglik + b.loglik, a.weight + b.weight, a.nk + b.nk, a.sum_dx + b.sum_dx, a.scatter + b.scatter)


def evaluate(
    X: np.ndarray,
    means: np.ndarray,
    prec: np.ndarray,
    log_const: np.ndarray,
    diag: bool,
    *,
    logprob: bool = False,
    label: bool = False,
    resp: bool = False,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Per-sample log p(x), argmax component and/or responsibilities, each only if asked for."""
    n = X.shape[0]
    K = means.shape[0]
    mode = (MODE_LOGPROB if logprob else 0) | (MODE_LABEL if label else 0) | (MODE_RESP if resp else 0)
    out_lp = np.empty(n if logprob else 0, X.dtype)
    out_label = np.empty(n if label else 0, np.int64)
    out_resp = np.empty((n if resp else 0, K), X.dtype)
    _pass(X, np.empty(0), means, prec, log_const, diag, mode, out_lp, out_label, out_resp)
    return (out_lp if logprob else None, out_label if label else None, out_resp if resp else None)
