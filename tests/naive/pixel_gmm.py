"""Slow references for the offline per-pixel background models (plain numpy, one pixel at a time)."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def rank_init(x: np.ndarray, n_components: int) -> np.ndarray:
    """Start centres (K, C): values of rank round(k (T-1)/(K-1)) when ordered by channel sum."""
    T = x.shape[0]
    order = np.argsort(x.sum(axis=1), kind="stable")
    if n_components == 1:
        ranks = [(T - 1) // 2]
    else:
        ranks = [int(np.floor(k * (T - 1) / (n_components - 1) + 0.5)) for k in range(n_components)]
    return x[order[ranks]].astype(np.float64)


def diag_em(x: np.ndarray, n_components: int, *, max_iter: int, tol: float, reg_covar: float) -> dict:
    """EM of a diagonal Gaussian mixture on one pixel's values x (T, C), from the rank start."""
    x = np.asarray(x, dtype=np.float64)
    K = n_components
    means = rank_init(x, K)
    variances = np.tile(x.var(axis=0) + reg_covar, (K, 1))
    weights = np.full(K, 1.0 / K)
    lower = -np.inf
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        log_prob = (
            -0.5 * (np.log(2 * np.pi * variances)[None] + (x[:, None, :] - means[None]) ** 2 / variances[None]).sum(-1)
            + np.log(weights)
        )
        norm = logsumexp(log_prob, axis=1)
        resp = np.exp(log_prob - norm[:, None])
        prev, lower = lower, norm.mean()
        nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
        weights = nk / nk.sum()
        means = resp.T @ x / nk[:, None]
        variances = np.stack([(resp[:, k, None] * (x - means[k]) ** 2).sum(0) / nk[k] for k in range(K)]) + reg_covar
        if abs(lower - prev) < tol:
            converged = True
            break
    return {"weights": weights, "means": means, "variances": variances, "converged": converged, "n_iter": n_iter}


def kmeans(x: np.ndarray, n_clusters: int, *, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd on one pixel's values from the rank start; returns (centres, counts)."""
    x = np.asarray(x, dtype=np.float64)
    centres = rank_init(x, n_clusters)
    labels = None
    for _ in range(max_iter):
        new = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        for k in range(n_clusters):
            if np.any(labels == k):
                centres[k] = x[labels == k].mean(axis=0)
    counts = np.bincount(labels, minlength=n_clusters)
    return centres, counts


def moving_blob_scene(
    n_frames: int, height: int, width: int, channels: int, *, seed: int = 0, noise: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """uint8 frames (T, H, W, C) of a static random background with noise and two bright moving
    squares; returns (frames, true background (H, W, C) float, blob masks (T, H, W) bool)."""
    rng = np.random.default_rng(seed)
    background = rng.uniform(40, 200, size=(height, width, channels))
    frames = background[None] + rng.normal(0.0, noise, size=(n_frames, height, width, channels))
    blobs = np.zeros((n_frames, height, width), dtype=bool)
    size = max(2, height // 5)
    for t in range(n_frames):
        for row, speed in ((height // 5, 2), (3 * height // 5, 3)):
            col = (t * speed) % (width - size)
            blobs[t, row : row + size, col : col + size] = True
    colour = np.array([250.0, 10.0, 250.0][:channels])
    frames[blobs] = colour
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8), background, blobs
