"""Slow, obviously-correct variational E-step of a Bayesian Gaussian mixture (numpy + scipy, N x K arrays).

Written from Bishop, *Pattern Recognition and Machine Learning*, §10.2 (eq. 10.64-10.66) and the
stick-breaking expectation of Blei & Jordan (2006), with full covariance matrices for every
covariance type (expand them with :func:`naive.em.full_covariances`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, logsumexp
from sklearn.mixture import BayesianGaussianMixture as SkBGMM

from fastgmm import BayesianGaussianMixture


def expected_log_weights(concentration, prior_type: str) -> np.ndarray:
    """E[log π_k]: Dirichlet, or stick breaking with Beta(a_k, b_k) sticks."""
    if prior_type == "dirichlet_process":
        a, b = concentration
        e_log_v = digamma(a) - digamma(a + b)
        e_log_1mv = digamma(b) - digamma(a + b)
        return e_log_v + np.concatenate(([0.0], np.cumsum(e_log_1mv)[:-1]))
    c = np.asarray(concentration, dtype=float)
    return digamma(c) - digamma(c.sum())


def variational_log_resp(X, concentration, prior_type, means, covs_expected, dof, beta
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``(log Σ_k ρ_nk, log r_nk)`` where ``log ρ_nk = E[log π_k] + ½ E[log|Λ_k|] - d/2 log 2π
    - ½ E[(x - μ_k)ᵀ Λ_k (x - μ_k)]``, with ``Λ_k ~ Wishart(W_k, ν_k)``, ``covs_expected[k] = (ν_k W_k)⁻¹``
    and ``μ_k ~ N(m_k, (β_k Λ_k)⁻¹)``."""
    n, d = X.shape
    K = means.shape[0]
    dof = np.broadcast_to(np.asarray(dof, dtype=float), (K,))
    log_rho = np.empty((n, K))
    log_w = expected_log_weights(concentration, prior_type)
    for k in range(K):
        W = np.linalg.inv(covs_expected[k]) / dof[k]
        e_log_det = sum(digamma(0.5 * (dof[k] - i)) for i in range(d)) + d * np.log(2.0) + np.linalg.slogdet(W)[1]
        diff = X - means[k]
        e_quad = d / beta[k] + dof[k] * np.einsum("ni,ij,nj->n", diff, W, diff)
        log_rho[:, k] = log_w[k] + 0.5 * e_log_det - 0.5 * d * np.log(2 * np.pi) - 0.5 * e_quad
    norm = logsumexp(log_rho, axis=1)
    return norm, log_rho - norm[:, None]


def one_hot_init(centres: np.ndarray) -> tuple[type, type]:
    """``(scikit-learn subclass, fastgmm subclass)`` of BayesianGaussianMixture that both start from the
    one-hot responsibilities of the nearest of ``centres`` (ties to the lowest index) - the same explicit
    initialisation for both, since scikit-learn's BayesianGaussianMixture takes no initial parameters."""

    class SkFromCentres(SkBGMM):
        def _initialize_parameters(self, X, random_state, xp=None):
            labels = np.empty(len(X), dtype=np.int64)
            for start in range(0, len(X), 1 << 16):  # chunks: the (n, K, d) differences of all rows are large
                part = X[start : start + (1 << 16)]
                labels[start : start + len(part)] = ((part[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
            resp = np.zeros((len(X), self.n_components))
            resp[np.arange(len(X)), labels] = 1.0
            self._initialize(X, resp)

    class OursFromCentres(BayesianGaussianMixture):
        def _initialize_from_data(self, backend, X, w, total_weight, rng, eps):
            nk, sum_x, scatter = backend.hard_assignment_stats(X, w, centres)
            if self.covariance_type in ("diag", "spherical"):
                scatter = np.diagonal(scatter, axis1=1, axis2=2).copy()
            self._set_from_stats(nk, sum_x - nk[:, None] * centres, scatter, centres, total_weight, eps)

    return SkFromCentres, OursFromCentres
