"""Slow, obviously-correct EM references for Gaussian mixtures (numpy + scipy, float64).

Parameters are plain covariances per component, whatever the covariance type; use
:func:`full_covariances` to expand a fitted model's ``covariances_`` into that form.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal


def full_covariances(covariances: np.ndarray, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """(K, d, d) covariance matrices from any covariance type's ``covariances_``."""
    c = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return c.copy()
    if covariance_type == "tied":
        return np.repeat(c[None], n_components, axis=0)
    if covariance_type == "diag":
        return np.stack([np.diag(row) for row in c])
    return np.stack([np.eye(n_features) * v for v in c])


def log_gaussian(X: np.ndarray, means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """log N(x_n | μ_k, Σ_k) for every sample and component, shape (N, K)."""
    return np.stack(
        [multivariate_normal(mean=m, cov=c).logpdf(X).reshape(len(X)) for m, c in zip(means, covs)], axis=1
    )


def e_step(X: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log p(x_n), responsibilities (N, K))."""
    weighted = log_gaussian(X, means, covs) + np.log(weights)
    log_norm = logsumexp(weighted, axis=1)
    return log_norm, np.exp(weighted - log_norm[:, None])


def m_step(
    X: np.ndarray, resp: np.ndarray, covariance_type: str, reg_covar: float, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, means, covariances in the covariance type's own shape), weighted by sample_weight."""
    sw = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    r = resp * sw[:, None]
    K, d = resp.shape[1], X.shape[1]
    nk = r.sum(axis=0) + 10 * np.finfo(np.float64).eps
    means = np.stack([(r[:, k, None] * X).sum(axis=0) / nk[k] for k in range(K)])
    full = np.empty((K, d, d))
    for k in range(K):
        diff = X - means[k]
        full[k] = sum(r[n, k] * np.outer(diff[n], diff[n]) for n in range(len(X))) / nk[k]
    if covariance_type == "full":
        covs = full + reg_covar * np.eye(d)
    elif covariance_type == "tied":
        covs = (full * nk[:, None, None]).sum(axis=0) / nk.sum() + reg_covar * np.eye(d)
    elif covariance_type == "diag":
        covs = np.stack([np.diag(c) for c in full]) + reg_covar
    else:
        covs = np.stack([np.diag(c).mean() for c in full]) + reg_covar
    return nk / nk.sum(), means, covs


def em(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covs: np.ndarray,
    covariance_type: str,
    n_iter: int,
    reg_covar: float,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """``n_iter`` EM iterations from (K, d, d) ``covs``; returns the final parameters and the
    (weighted) mean log-likelihood of every E-step."""
    sw = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    K, d = means.shape
    bounds = []
    cov_typed = covs
    for _ in range(n_iter):
        log_norm, resp = e_step(X, weights, means, covs)
        bounds.append(float((sw * log_norm).sum() / sw.sum()))
        weights, means, cov_typed = m_step(X, resp, covariance_type, reg_covar, sw)
        covs = full_covariances(cov_typed, covariance_type, K, d)
    return weights, means, cov_typed, bounds
