"""Numba kernels of the offline (fit-then-apply) background models.

Every kernel works on a whole stack of training frames ``(T, H, W, C)`` at once: ``prange`` runs
over image rows and each row's scratch buffers are allocated once per row, so every pixel's model
is fitted independently without a Python loop and without shared accumulators.

* :func:`rank_init` is the deterministic per-pixel start shared by the per-pixel k-means and EM:
  the pixel's T training values are ordered by their channel sum (stable sort) and component
  ``k`` of ``K`` starts at the value of rank ``round(k (T - 1) / (K - 1))`` (the darkest value, the
  brightest value and evenly spaced ranks between; the median value when ``K == 1``).
* :func:`em_pixels` fits a diagonal-covariance Gaussian mixture to every pixel (scikit-learn's EM
  for ``covariance_type="diag"``: same M-step, same ``reg_covar``, same stopping rule).
* :func:`kmeans_pixels` runs Lloyd's k-means on every pixel.
* :func:`distance_mask` is the one mask kernel of all offline models: a pixel is background when
  its scaled distance to at least one of its background centres is at most the threshold.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import kernel, prange

_LOG_2PI = math.log(2.0 * math.pi)


@kernel()
def rank_init(x: np.ndarray, n_components: int, centres: np.ndarray) -> None:
    """Write the rank-based start of ``n_components`` centres of one pixel's values ``x`` (T, C)."""
    T, C = x.shape
    s = np.empty(T)
    for t in range(T):
        acc = 0.0
        for c in range(C):
            acc += x[t, c]
        s[t] = acc
    order = np.argsort(s, kind="mergesort")
    for k in range(n_components):
        if n_components == 1:
            rank = (T - 1) // 2
        else:
            rank = int(math.floor(k * (T - 1) / (n_components - 1) + 0.5))  # noqa: RUF046 (an int in Numba too)
        for c in range(C):
            centres[k, c] = x[order[rank], c]


@kernel()
def _load_pixel(frames: np.ndarray, i: int, j: int, x: np.ndarray) -> None:
    T, _, _, C = frames.shape
    for t in range(T):
        for c in range(C):
            x[t, c] = frames[t, i, j, c]


@kernel(parallel=True)
def em_pixels(
    frames: np.ndarray,
    max_iter: int,
    tol: float,
    reg_covar: float,
    weights: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
    converged: np.ndarray,
    n_iter: np.ndarray,
) -> None:
    """Fit a K-component diagonal Gaussian mixture to every pixel's T values.

    ``weights`` (H, W, K), ``means`` and ``variances`` (H, W, K, C), ``converged`` (H, W) and
    ``n_iter`` (H, W) are outputs.  Start: :func:`rank_init` means, every component's variances
    equal to the pixel's per-channel variance plus ``reg_covar``, equal weights.  Each iteration
    computes the mean log-likelihood under the current parameters, then the M-step; EM stops when
    that value changes by less than ``tol``.  ``max_iter == 0`` leaves the start in place.
    """
    T, H, W, C = frames.shape
    K = weights.shape[2]
    eps10 = 10.0 * np.finfo(np.float64).eps
    for i in prange(H):
        x = np.empty((T, C))
        resp = np.empty((T, K))
        mu = np.empty((K, C))
        var = np.empty((K, C))
        w = np.empty(K)
        logp = np.empty(K)
        nk = np.empty(K)
        for j in range(W):
            _load_pixel(frames, i, j, x)
            rank_init(x, K, mu)
            for c in range(C):
                m = 0.0
                for t in range(T):
                    m += x[t, c]
                m /= T
                v = 0.0
                for t in range(T):
                    v += (x[t, c] - m) ** 2
                v = v / T + reg_covar
                for k in range(K):
                    var[k, c] = v
            for k in range(K):
                w[k] = 1.0 / K
            lower = -np.inf
            done = False
            it = 0
            while it < max_iter:
                it += 1
                # E-step: responsibilities and the mean log-likelihood under the current parameters
                for k in range(K):
                    acc = math.log(w[k])
                    for c in range(C):
                        acc -= 0.5 * (_LOG_2PI + math.log(var[k, c]))
                    logp[k] = acc
                total = 0.0
                for t in range(T):
                    top = -np.inf
                    for k in range(K):
                        acc = logp[k]
                        for c in range(C):
                            d = x[t, c] - mu[k, c]
                            acc -= 0.5 * d * d / var[k, c]
                        resp[t, k] = acc
                        if acc > top:  # noqa: PLR1730 (NaN-safe as written)
                            top = acc
                    ssum = 0.0
                    for k in range(K):
                        resp[t, k] = math.exp(resp[t, k] - top)
                        ssum += resp[t, k]
                    for k in range(K):
                        resp[t, k] /= ssum
                    total += top + math.log(ssum)
                prev = lower
                lower = total / T
                # M-step (as scikit-learn: nk + 10 eps, weights renormalised, reg added to variances)
                wsum = 0.0
                for k in range(K):
                    acc = 0.0
                    for t in range(T):
                        acc += resp[t, k]
                    nk[k] = acc + eps10
                    wsum += nk[k]
                for k in range(K):
                    w[k] = nk[k] / wsum
                    for c in range(C):
                        acc = 0.0
                        for t in range(T):
                            acc += resp[t, k] * x[t, c]
                        mu[k, c] = acc / nk[k]
                    for c in range(C):
                        acc = 0.0
                        for t in range(T):
                            d = x[t, c] - mu[k, c]
                            acc += resp[t, k] * d * d
                        var[k, c] = acc / nk[k] + reg_covar
                if abs(lower - prev) < tol:
                    done = True
                    break
            for k in range(K):
                weights[i, j, k] = w[k]
                for c in range(C):
                    means[i, j, k, c] = mu[k, c]
                    variances[i, j, k, c] = var[k, c]
            converged[i, j] = done
            n_iter[i, j] = it


@kernel(parallel=True)
def kmeans_pixels(
    frames: np.ndarray, max_iter: int, centres: np.ndarray, counts: np.ndarray, n_iter: np.ndarray
) -> None:
    """Lloyd's k-means on every pixel's T values (Euclidean over channels).

    ``centres`` (H, W, k, C), ``counts`` (H, W, k) and ``n_iter`` (H, W) are outputs.  Start:
    :func:`rank_init`.  Iterates until no assignment changes (or ``max_iter``); a cluster that
    loses all its values keeps its centre.  Ties go to the lower cluster index.
    """
    T, H, W, C = frames.shape
    K = centres.shape[2]
    for i in prange(H):
        x = np.empty((T, C))
        mu = np.empty((K, C))
        sums = np.empty((K, C))
        cnt = np.empty(K, dtype=np.int64)
        label = np.empty(T, dtype=np.int64)
        for j in range(W):
            _load_pixel(frames, i, j, x)
            rank_init(x, K, mu)
            for t in range(T):
                label[t] = -1
            it = 0
            while it < max_iter:
                it += 1
                changed = False
                for k in range(K):
                    cnt[k] = 0
                    for c in range(C):
                        sums[k, c] = 0.0
                for t in range(T):
                    best = 0
                    best_d = np.inf
                    for k in range(K):
                        d2 = 0.0
                        for c in range(C):
                            d = x[t, c] - mu[k, c]
                            d2 += d * d
                        if d2 < best_d:
                            best_d = d2
                            best = k
                    if best != label[t]:
                        changed = True
                        label[t] = best
                    cnt[best] += 1
                    for c in range(C):
                        sums[best, c] += x[t, c]
                if not changed:
                    break
                for k in range(K):
                    if cnt[k] > 0:
                        for c in range(C):
                            mu[k, c] = sums[k, c] / cnt[k]
            for k in range(K):
                counts[i, j, k] = cnt[k]
                for c in range(C):
                    centres[i, j, k, c] = mu[k, c]
            n_iter[i, j] = it


@kernel(parallel=True)
def distance_mask(
    frame: np.ndarray,
    centres: np.ndarray,
    inv_scale: np.ndarray,
    n_background: np.ndarray,
    threshold: float,
    use_max: bool,
    out: np.ndarray,
) -> None:
    """Foreground mask (0 / 255) of one (H, W, C) frame against per-pixel background centres.

    For each of the pixel's first ``n_background[i, j]`` centres (``centres`` (H, W, M, C)) the
    distance is ``sqrt(sum_c ((x_c - mu_c) * s_c)^2)`` (or ``max_c |x_c - mu_c| * s_c`` when
    ``use_max``) with ``s = inv_scale``; the pixel is background (0) when some distance is at most
    ``threshold``, otherwise foreground (255).
    """
    H, W, C = frame.shape
    thr2 = threshold * threshold
    for i in prange(H):
        for j in range(W):
            value = 255
            for m in range(n_background[i, j]):
                d2 = 0.0
                for c in range(C):
                    d = (frame[i, j, c] - centres[i, j, m, c]) * inv_scale[i, j, m, c]
                    if use_max:
                        d2 = max(d2, d * d)
                    else:
                        d2 += d * d
                if d2 <= thr2:
                    value = 0
                    break
            out[i, j] = value
