"""Slow, obviously-correct k-means references (plain numpy, float64, n x K distance matrices).

Semantics mirror fastgmm.mixture.kmeans (and scikit-learn's Lloyd):
* tol is relative to the mean per-feature (unweighted) variance of X; stop when the total squared
  centre shift is <= that, or after max_iter iterations;
* an empty cluster takes the row farthest from its nearest centre (several empty clusters: the
  farthest rows in decreasing distance, ties by lower index), moving that row's weight out of its
  old cluster;
* labels and inertia are computed from the final centres.
k-means++ draws the same random numbers in the same order as fastgmm.mixture.kmeans.kmeans_plusplus.
"""

from __future__ import annotations

import numpy as np


def sq_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, K) squared Euclidean distances in float64."""
    diff = X.astype(np.float64)[:, None, :] - np.asarray(centers, dtype=np.float64)[None, :, :]
    return (diff**2).sum(axis=2)


def sq_distances_in_dtype(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(n, K) squared distances in X's dtype in the difference form, features added one after the
    other (``(x_0 - c_0)**2 + (x_1 - c_1)**2 + ...``, no fused multiply-add): the values fastgmm's
    kernels compare, so ``argmin`` (first on ties) is their label bitwise."""
    diff = X[:, None, 0] - centers[None, :, 0].astype(X.dtype)
    total = diff * diff
    for j in range(1, X.shape[1]):
        diff = X[:, None, j] - centers[None, :, j].astype(X.dtype)
        total = total + diff * diff
    return total


def naive_lloyd(X, sample_weight, centers_init, *, max_iter=300, tol=1e-4):
    """Return (centers, labels, inertia, n_iter) of Lloyd's algorithm, in float64."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = np.array(centers_init, dtype=np.float64)
    K = centers.shape[0]
    abs_tol = tol * np.var(X, axis=0).mean() if tol else 0.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        d2 = sq_distances(X, centers)
        labels = d2.argmin(axis=1)
        weights = np.bincount(labels, weights=w, minlength=K).astype(np.float64)
        sums = np.zeros_like(centers)
        np.add.at(sums, labels, w[:, None] * X)
        empty = np.flatnonzero(weights == 0)
        if empty.size:
            dmin = d2[np.arange(n), labels]
            far = np.lexsort((np.arange(n), -dmin))[: empty.size]
            for new_id, row in zip(empty, far):
                old_id = labels[row]
                sums[old_id] -= w[row] * X[row]
                sums[new_id] = w[row] * X[row]
                weights[new_id] = w[row]
                weights[old_id] -= w[row]
        new = sums.copy()
        filled = weights > 0
        new[filled] /= weights[filled, None]
        shift = ((new - centers) ** 2).sum()
        centers = new
        if shift <= abs_tol:
            break
    d2 = sq_distances(X, centers)
    labels = d2.argmin(axis=1)
    inertia = float((w * d2[np.arange(n), labels]).sum())
    return centers, labels, inertia, n_iter


def naive_kmeans_plusplus(X, n_clusters, *, sample_weight=None, seed=0):
    """Greedy k-means++ with the same Generator draws as fastgmm; returns the chosen row indices."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X)
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    n_trials = 2 + int(np.log(n_clusters))
    ids = [int(np.searchsorted(np.cumsum(w), rng.random() * w.sum(), side="right"))]
    closest = sq_distances(X, X[ids[0]][None])[:, 0]
    potential = (w * closest).sum()
    for _ in range(1, n_clusters):
        targets = rng.random(n_trials) * potential
        cand = np.searchsorted(np.cumsum(w * closest), targets, side="right")
        cand = np.minimum(cand, n - 1)
        dist = np.minimum(closest[None, :], sq_distances(X, X[cand]).T)
        pots = dist @ w
        best = int(np.argmin(pots))
        ids.append(int(cand[best]))
        closest = dist[best]
        potential = pots[best]
    return np.array(ids)


def naive_hard_assignment_stats(X, sample_weight, centers):
    """(nk, sum_x, scatter centred on each centre) of the nearest-centre assignment, float64."""
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    n, d = X.shape
    K = centers.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    labels = sq_distances(X, centers).argmin(axis=1)
    nk = np.zeros(K)
    sum_x = np.zeros((K, d))
    scatter = np.zeros((K, d, d))
    for i in range(n):
        k = labels[i]
        dx = X[i] - centers[k]
        nk[k] += w[i]
        sum_x[k] += w[i] * X[i]
        scatter[k] += w[i] * np.outer(dx, dx)
    return nk, sum_x, scatter
