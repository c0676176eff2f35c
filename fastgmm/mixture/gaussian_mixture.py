"""Gaussian mixture models fitted with EM, API and results as scikit-learn's ``GaussianMixture``.

Each EM iteration is one fused pass of :func:`fastgmm.mixture._em.em_pass` over the data: it returns the
mean log-likelihood under the current parameters (the E-step value scikit-learn reports as the
lower bound) together with the sufficient statistics of the M-step, centred on the current means.
The M-step itself works on those small arrays in float64.  Nothing of size n_samples x
n_components is ever allocated, and ``sample_weight`` lets a histogram of unique rows stand in
for the repeated rows.

A ``dask.array.Array`` is accepted wherever X is: every pass over the data goes through the
backend chosen once per call (:mod:`fastgmm.mixture._backend`: in memory, or per-chunk kernels
with tree-reduced statistics on Dask) while the EM loop and the M-step below stay the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import INIT_PARAMS, BaseMixture
from ._parameters import cholesky_upper_of_precision, kernel_params, params_from_stats, precision_shape
from ._sklearn import store_params

__all__ = ["GaussianMixture", "INIT_PARAMS"]


class GaussianMixture(BaseMixture):
    """Gaussian mixture model fitted by expectation-maximisation.

    Same parameters, attributes and results as :class:`sklearn.mixture.GaussianMixture`, plus
    ``sample_weight`` in :meth:`fit`.  float32 data is processed in float32 (with float64
    accumulators); other inputs in float64.

    Kernel: fastgmm.mixture._em.em_pass (one fused E+M statistics pass per iteration; also
    predict/score_samples/predict_proba), initialised by fastgmm.mixture._lloyd (k-means).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        One full covariance per component, one shared full covariance, one diagonal covariance per
        component, or one variance per component.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood changes by less than ``tol`` between iterations.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance to keep it positive definite.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation; 0 only initialises.
    n_init : int, default=1
        Number of initialisations; the one with the best final lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the initial responsibilities are chosen (ignored for parameters given explicitly):
        hard labels of :func:`fastgmm.kmeans.lloyd` from k-means++ seeds, one-hot on k-means++
        seeds, uniform random, or one-hot on random rows (drawn with probability proportional
        to ``sample_weight`` when given).  Random draws use a ``numpy.random.Generator``, so
        they differ from scikit-learn's for the same seed.
    weights_init, means_init, precisions_init : array-like, optional
        Explicit starting parameters: weights ``(K,)`` summing to 1, means ``(K, d)`` and
        precisions (inverse covariances) shaped ``(K, d, d)`` full, ``(d, d)`` tied, ``(K, d)``
        diag or ``(K,)`` spherical.
    random_state : int, numpy Generator or None
        Seed for the initialisation and for :meth:`sample`.
    warm_start : bool, default=False
        If True, each :meth:`fit` continues from the previous solution (``n_init`` is ignored
        after the first fit).
    verbose : int, default=0
        1 prints one line per initialisation, 2 also one every ``verbose_interval`` iterations.
    verbose_interval : int, default=10
        Iterations between two lines printed with ``verbose=2``.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        Fitted parameters (dtype of the training data when float32, else float64).
    converged_ : bool
        Whether the best initialisation reached ``tol``.
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean log-likelihood (weighted by ``sample_weight``) of the last E-step of the best run.
    lower_bounds_ : list of float
        The lower bound at every iteration of the best run.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
    ) -> None:
        store_params(self, locals())  # each parameter under its own name, as scikit-learn's

    # ------------------------------------------------------------------ validation
    def _check_data_parameters(self, backend: Any, X: Any, w: Any, total_weight: float
                               ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """The explicit initial parameters (``weights_init``, ``means_init``, ``precisions_init``), checked."""
        K, n_features = self.n_components, X.shape[1]
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = self._as_float_array(self.weights_init, "weights_init", (K,))
            if np.any(weights < 0.0) or np.any(weights > 1.0):
                raise ValueError(
                    f"weights_init must lie in [0, 1]; got min {weights.min():.5g}, max {weights.max():.5g}."
                )
            # as scikit-learn, the sum is judged in the given dtype: float32 weights from a float32 fit
            # sum to 1 within float32 rounding (e.g. 1.000000089 in float64)
            given = np.asarray(self.weights_init)
            eps = float(np.finfo(given.dtype).eps) if given.dtype.kind == "f" else 0.0
            if not abs(1.0 - weights.sum()) <= max(1e-8, 4.0 * eps) * max(1, K):
                raise ValueError(f"weights_init must sum to 1; got sum(weights_init) = {weights.sum():.10g}.")
        if self.means_init is not None:
            means = self._as_float_array(self.means_init, "means_init", (K, n_features))
        if self.precisions_init is not None:
            shape = precision_shape(self.covariance_type, K, n_features)
            precisions = self._as_float_array(self.precisions_init, "precisions_init", shape)
            if self.covariance_type in ("full", "tied"):
                mats = precisions.reshape((-1, n_features, n_features))
                if not np.allclose(mats, np.swapaxes(mats, 1, 2)) or np.any(np.linalg.eigvalsh(mats) <= 0.0):
                    raise ValueError(
                        f"precisions_init ({self.covariance_type}) must be symmetric positive definite "
                        "(the inverse of a covariance matrix)."
                    )
            elif np.any(precisions <= 0.0):
                raise ValueError(f"precisions_init ({self.covariance_type}) must be positive.")
        return weights, means, precisions

    # ------------------------------------------------------------------ parameter plumbing
    def _kernel_params(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        with np.errstate(divide="ignore"):
            log_weights = np.log(np.asarray(self.weights_, dtype=np.float64))
        return kernel_params(log_weights, self.means_, self.precisions_cholesky_, self.covariance_type, dtype)

    def _set_from_stats(self, nk: np.ndarray, sum_dx: np.ndarray, scatter: np.ndarray, centre: np.ndarray,
                        total_weight: float | None, eps: float) -> None:
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params_from_stats(
            nk, sum_dx, scatter, centre, self.covariance_type, self.reg_covar, eps, total_weight
        )

    # ------------------------------------------------------------------ initialisation
    def _get_parameters(self) -> tuple[np.ndarray, ...]:
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def _set_parameters(self, params: tuple[np.ndarray, ...]) -> None:
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params

    def _initialize(self, backend: Any, X: Any, w: Any, total_weight: float, rng: np.random.Generator,
                    inits: tuple[np.ndarray | None, ...]) -> None:
        weights_init, means_init, precisions_init = inits
        eps = float(np.finfo(X.dtype).eps)
        if weights_init is None or means_init is None or precisions_init is None:
            self._initialize_from_data(backend, X, w, total_weight, rng, eps)
        if weights_init is not None:
            self.weights_ = weights_init.copy()
        if means_init is not None:
            self.means_ = means_init.copy()
        if precisions_init is not None:
            ct = self.covariance_type
            if ct in ("full", "tied"):
                self.precisions_cholesky_ = cholesky_upper_of_precision(precisions_init)
                self.covariances_ = np.linalg.inv(precisions_init)
            else:
                self.precisions_cholesky_ = np.sqrt(precisions_init)
                self.covariances_ = 1.0 / precisions_init

    # ------------------------------------------------------------------ EM
    def _em_step(self, backend: Any, X: Any, w: Any, eps: float) -> float:
        """One fused E+M step; returns the mean log-likelihood under the parameters before it."""
        means, prec, log_const, diag = self._kernel_params(X.dtype)
        stats = backend.block_stats(X, w, means, prec, log_const, diag)
        self._set_from_stats(stats.nk, stats.sum_dx, stats.scatter, means.astype(np.float64), None, eps)
        return stats.loglik / stats.weight

    def _n_parameters(self) -> int:
        K, d = self.means_.shape
        cov_params = {
            "full": K * d * (d + 1) / 2.0,
            "diag": K * d,
            "tied": d * (d + 1) / 2.0,
            "spherical": K,
        }[self.covariance_type]
        return int(cov_params + d * K + K - 1)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        n = np.shape(X)[0]
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        n = np.shape(X)[0]
        return -2 * self.score(X) * n + 2 * self._n_parameters()
