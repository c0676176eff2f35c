"""Variational Bayesian Gaussian mixtures, API and results as scikit-learn's ``BayesianGaussianMixture``.

The loop, the initialisations and inference are :class:`fastgmm.mixture._base.BaseMixture`'s,
shared with :class:`~fastgmm.GaussianMixture`.  What differs is small and lives on the
parameter arrays:

* E-step: the variational responsibilities are ``r_nk ∝ exp(E[log π_k] + E[log N(x_n | μ_k, Λ_k)])``.
  Everything in that exponent but the quadratic form ``-½ (x - m_k)ᵀ P_k P_kᵀ (x - m_k)`` is a
  per-component constant - the expected log weight (digamma of the concentrations), and
  ``½ E[log det Λ_k] - d/2 log ν_k - d / (2 β_k)`` (digamma of the degrees of freedom) - so it is
  folded into the ``log_const`` of the same fused kernel :func:`fastgmm.mixture._em.em_pass`
  that EM uses, with ``P_k`` the precision Cholesky factor of ``covariances_`` (no N×K array).
* Lower bound: scikit-learn's needs ``Σ_n Σ_k r log r``; with ``lp_nk`` the kernel's per-component
  log terms and ``L_n = log Σ_k exp lp_nk`` it equals ``Σ_k log_const_k N_k - ½ Σ_k tr(Λ_k S_k) - Σ_n L_n``,
  all of which the kernel's statistics already hold (``S_k`` is the scatter centred on the means
  the pass used).
* M-step: the Dirichlet (process) concentrations, the Gaussian-Wishart posteriors from the same
  statistics EM uses (:func:`fastgmm.mixture._parameters.gaussian_stats`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import check_option, check_scalar
from ._base import BaseMixture
from ._parameters import gaussian_stats, kernel_params, log_det_cholesky, precision_cholesky
from ._sklearn import store_params
from ._special import betaln, digamma, gammaln

__all__ = ["BayesianGaussianMixture", "WEIGHT_PRIOR_TYPES"]

WEIGHT_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")


class BayesianGaussianMixture(BaseMixture):
    """Variational Bayesian estimation of a Gaussian mixture.

    Same parameters, attributes and results as :class:`sklearn.mixture.BayesianGaussianMixture`
    (from the same initial responsibilities), plus ``sample_weight`` in :meth:`fit` and dask
    arrays as input.  With ``weight_concentration_prior_type="dirichlet_process"`` and a small
    ``weight_concentration_prior`` the fit switches off the components the data does not need
    (their ``weights_`` go to ~0), which is how it picks the number of components.

    Kernel: fastgmm.mixture._em.em_pass, as GaussianMixture's, with the variational log terms
    folded into its per-component constants.

    Parameters
    ----------
    n_components : int, default=1
        Upper bound on the number of components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol, reg_covar, max_iter, n_init, init_params, random_state, warm_start, verbose, verbose_interval
        As :class:`~fastgmm.GaussianMixture` (``tol`` applies to the change of the lower bound).
    weight_concentration_prior_type : {"dirichlet_process", "dirichlet_distribution"}, default="dirichlet_process"
        Stick-breaking (Dirichlet process) or finite Dirichlet prior on the weights.
    weight_concentration_prior : float > 0, optional
        Concentration of the weight prior (default ``1 / n_components``); smaller keeps fewer components.
    mean_precision_prior : float > 0, optional
        Precision prior of the means (default 1.0).
    mean_prior : array-like of shape (n_features,), optional
        Prior mean (default: the (weighted) mean of X).
    degrees_of_freedom_prior : float > n_features - 1, optional
        Degrees of freedom of the Wishart prior (default n_features).
    covariance_prior : float or array-like, optional
        Covariance prior: (d, d) for full/tied, (d,) for diag, a float for spherical (default:
        the (weighted, ddof=1) covariance of X in that layout).

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        Expected parameters (dtype of the training data when float32, else float64).
    weight_concentration_ : ndarray or tuple of two ndarrays
        Posterior Dirichlet concentrations, or the two Beta parameter arrays of the stick breaking.
    mean_precision_ : ndarray of shape (n_components,)
    degrees_of_freedom_ : ndarray of shape (n_components,) (a float for tied)
    weight_concentration_prior_, mean_precision_prior_, mean_prior_, degrees_of_freedom_prior_, covariance_prior_
        The priors used (defaults resolved).
    converged_, n_iter_, lower_bound_, lower_bounds_, n_features_in_
        As scikit-learn (``lower_bound_`` is the variational lower bound, summed over the samples).
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3, reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1, init_params: str = "kmeans",
        weight_concentration_prior_type: str = "dirichlet_process",
        weight_concentration_prior: float | None = None,
        mean_precision_prior: float | None = None,
        mean_prior: Any = None,
        degrees_of_freedom_prior: float | None = None,
        covariance_prior: Any = None,
        random_state: Any = None, warm_start: bool = False, verbose: int = 0, verbose_interval: int = 10,
    ) -> None:
        store_params(self, locals())  # each parameter under its own name, as scikit-learn's

    # ------------------------------------------------------------------ validation
    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_option(self.weight_concentration_prior_type, "weight_concentration_prior_type", WEIGHT_PRIOR_TYPES)
        for name in ("weight_concentration_prior", "mean_precision_prior", "degrees_of_freedom_prior"):
            value = getattr(self, name)
            if value is not None:
                check_scalar(value, name, min_val=0.0, min_inclusive=False)

    def _check_data_parameters(self, backend: Any, X: Any, w: Any, total_weight: float) -> None:
        """Resolve the priors (defaults from the data's weighted mean and ddof=1 covariance)."""
        K, d = self.n_components, X.shape[1]
        ct = self.covariance_type
        self.weight_concentration_prior_ = (1.0 / K if self.weight_concentration_prior is None
                                            else float(self.weight_concentration_prior))
        self.mean_precision_prior_ = 1.0 if self.mean_precision_prior is None else float(self.mean_precision_prior)
        if self.degrees_of_freedom_prior is None:
            self.degrees_of_freedom_prior_ = float(d)
        elif self.degrees_of_freedom_prior > d - 1.0:
            self.degrees_of_freedom_prior_ = float(self.degrees_of_freedom_prior)
        else:
            raise ValueError(
                f"degrees_of_freedom_prior must be greater than n_features - 1 = {d - 1}; "
                f"got {self.degrees_of_freedom_prior!r}."
            )
        mean = backend.average(X, w)
        given = self.mean_prior
        self.mean_prior_ = mean if given is None else self._as_float_array(given, "mean_prior", (d,))
        if self.covariance_prior is None:
            _, _, scatter = backend.hard_assignment_stats(X, w, mean[None])
            cov = scatter[0] / (total_weight - 1.0 if total_weight > 1.0 else total_weight)  # as np.cov (ddof=1)
            self.covariance_prior_ = {"full": cov, "tied": cov, "diag": np.diag(cov).copy(),
                                      "spherical": float(np.diag(cov).mean())}[ct]
        elif ct in ("full", "tied"):
            prior = self._as_float_array(self.covariance_prior, f"{ct} covariance_prior", (d, d))
            if not np.allclose(prior, prior.T) or np.any(np.linalg.eigvalsh(prior) <= 0.0):
                raise ValueError(f"{ct} covariance_prior must be symmetric positive definite.")
            self.covariance_prior_ = prior
        elif ct == "diag":
            prior = self._as_float_array(self.covariance_prior, "diag covariance_prior", (d,))
            if np.any(prior <= 0.0):
                raise ValueError("diag covariance_prior must be positive.")
            self.covariance_prior_ = prior
        else:
            self.covariance_prior_ = float(check_scalar(self.covariance_prior, "spherical covariance_prior",
                                                        min_val=0.0, min_inclusive=False))

    # ------------------------------------------------------------------ M-step (and initialisation)
    def _set_from_stats(self, nk: np.ndarray, sum_dx: np.ndarray, scatter: np.ndarray, centre: np.ndarray,
                        total_weight: float | None, eps: float) -> None:
        ct = self.covariance_type
        nk, xk, sk = gaussian_stats(nk, sum_dx, scatter, centre, ct, self.reg_covar, eps)
        K = self.n_components
        # weights: posterior concentrations
        if self.weight_concentration_prior_type == "dirichlet_process":
            tail = np.hstack((np.cumsum(nk[::-1])[-2::-1], 0))  # Σ_{j>k} N_j
            self.weight_concentration_ = (1.0 + nk, self.weight_concentration_prior_ + tail)
        else:
            self.weight_concentration_ = self.weight_concentration_prior_ + nk
        # means
        beta0, m0 = self.mean_precision_prior_, self.mean_prior_
        self.mean_precision_ = beta0 + nk
        self.means_ = (beta0 * m0 + nk[:, None] * xk) / self.mean_precision_[:, None]
        # precisions: Wishart posteriors (covariances_ is W⁻¹ / ν, the expected covariance)
        diff = xk - m0
        shrink = beta0 / self.mean_precision_
        if ct == "full":
            self.degrees_of_freedom_ = self.degrees_of_freedom_prior_ + nk
            cov = (self.covariance_prior_ + nk[:, None, None] * sk
                   + (nk * shrink)[:, None, None] * diff[:, :, None] * diff[:, None, :])
            cov /= self.degrees_of_freedom_[:, None, None]
        elif ct == "tied":
            self.degrees_of_freedom_ = self.degrees_of_freedom_prior_ + nk.sum() / K
            cov = (self.covariance_prior_ + sk * nk.sum() / K
                   + beta0 / K * np.dot((nk / self.mean_precision_) * diff.T, diff))
            cov /= self.degrees_of_freedom_
        elif ct == "diag":
            self.degrees_of_freedom_ = self.degrees_of_freedom_prior_ + nk
            cov = self.covariance_prior_ + nk[:, None] * (sk + shrink[:, None] * np.square(diff))
            cov /= self.degrees_of_freedom_[:, None]
        else:
            self.degrees_of_freedom_ = self.degrees_of_freedom_prior_ + nk
            cov = self.covariance_prior_ + nk * (sk + shrink * np.mean(np.square(diff), axis=1))
            cov /= self.degrees_of_freedom_
        self.covariances_ = cov
        self.precisions_cholesky_ = precision_cholesky(cov, ct)

    # ------------------------------------------------------------------ E-step terms
    def _log_weights(self) -> np.ndarray:
        """E[log π_k] under the posterior concentrations."""
        if self.weight_concentration_prior_type == "dirichlet_process":
            a, b = self.weight_concentration_
            digamma_sum = digamma(a + b)
            digamma_b = digamma(b)
            return digamma(a) - digamma_sum + np.hstack((0.0, np.cumsum(digamma_b - digamma_sum)[:-1]))
        c = np.asarray(self.weight_concentration_, dtype=np.float64)
        return digamma(c) - digamma(np.sum(c))

    def _kernel_params(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        d = self.means_.shape[1]
        dof = np.asarray(self.degrees_of_freedom_, dtype=np.float64)
        log_lambda = d * math.log(2.0) + digamma(0.5 * (dof.reshape(1, -1) - np.arange(d)[:, None])).sum(axis=0)
        extra = -0.5 * d * np.log(dof) + 0.5 * (log_lambda - d / np.asarray(self.mean_precision_, dtype=np.float64))
        return kernel_params(self._log_weights() + extra, self.means_, self.precisions_cholesky_,
                             self.covariance_type, dtype)

    # ------------------------------------------------------------------ lower bound
    def _lower_bound_of_parameters(self) -> float:
        """The lower bound without its responsibility-entropy term (scikit-learn's ``_compute_lower_bound``)."""
        d = self.means_.shape[1]
        dof = np.asarray(self.degrees_of_freedom_, dtype=np.float64)
        log_det = log_det_cholesky(self.precisions_cholesky_, self.covariance_type, d) - 0.5 * d * np.log(dof)
        log_wishart = -(dof * log_det + dof * d * 0.5 * math.log(2.0)
                        + gammaln(0.5 * (dof.reshape(1, -1) - np.arange(d)[:, None])).sum(axis=0))
        log_wishart = self.n_components * float(log_wishart[0]) if self.covariance_type == "tied" else log_wishart.sum()
        if self.weight_concentration_prior_type == "dirichlet_process":
            log_norm_weight = -np.sum(betaln(*self.weight_concentration_))
        else:
            c = np.asarray(self.weight_concentration_, dtype=np.float64)
            log_norm_weight = gammaln(c.sum())[0] - gammaln(c).sum()
        return float(-log_wishart - log_norm_weight - 0.5 * d * np.sum(np.log(self.mean_precision_)))

    def _em_step(self, backend: Any, X: Any, w: Any, eps: float) -> float:
        """One fused variational E+M step; returns the lower bound after the M-step (as scikit-learn)."""
        means, prec, log_const, diag = self._kernel_params(X.dtype)
        stats = backend.block_stats(X, w, means, prec, log_const, diag)
        # Σ_n w_n Σ_k r_nk log r_nk from the statistics (see the module docstring)
        p = prec.astype(np.float64)
        if diag:
            quad = np.sum(np.diagonal(p, axis1=1, axis2=2) ** 2 * stats.scatter)
        else:
            quad = np.sum((p @ np.swapaxes(p, 1, 2)) * stats.scatter)
        neg_entropy = float(log_const @ stats.nk) - 0.5 * float(quad) - stats.loglik
        self._set_from_stats(stats.nk, stats.sum_dx, stats.scatter, means.astype(np.float64), None, eps)
        return self._lower_bound_of_parameters() - neg_entropy

    # ------------------------------------------------------------------ fitted state
    def _get_parameters(self) -> tuple[Any, ...]:
        return (self.weight_concentration_, self.mean_precision_, self.means_, self.degrees_of_freedom_,
                self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, params: tuple[Any, ...]) -> None:
        (self.weight_concentration_, self.mean_precision_, self.means_, self.degrees_of_freedom_,
         self.covariances_, self.precisions_cholesky_) = params
        if self.weight_concentration_prior_type == "dirichlet_process":
            a, b = self.weight_concentration_
            weights = a / (a + b) * np.hstack((1.0, np.cumprod((b / (a + b))[:-1])))
        else:
            weights = np.asarray(self.weight_concentration_, dtype=np.float64)
        self.weights_ = weights / np.sum(weights)

