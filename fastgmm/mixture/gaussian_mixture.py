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
import numbers
import warnings
from typing import Any

import numpy as np

from .._params import Params
from .._validate import check_is_fitted, check_option, check_random_state, check_scalar
from ._backend import backend_for
from ._parameters import (
    COVARIANCE_TYPES,
    cholesky_upper_of_precision,
    kernel_params,
    params_from_stats,
    precision_shape,
)
from ._sklearn import SklearnTags
from .kmeans import LLOYD_MAX_ITER, LLOYD_TOL, lloyd_iterations, scaled_tol, seed_kmeans_plusplus

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


class GaussianMixture(SklearnTags, Params):
    """Gaussian mixture model fitted by expectation-maximisation.

    Same parameters, attributes and results as :class:`sklearn.mixture.GaussianMixture`, plus
    ``sample_weight`` in :meth:`fit`.  float32 data is processed in float32 (with float64
    accumulators); other inputs in float64.

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
        1 prints one line per initialisation, 2 also one per iteration.

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
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_parameters(self) -> None:
        check_scalar(self.n_components, "n_components", kind=numbers.Integral, min_val=1)
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_scalar(self.tol, "tol", min_val=0.0)
        check_scalar(self.reg_covar, "reg_covar", min_val=0.0)
        check_scalar(self.max_iter, "max_iter", kind=numbers.Integral, min_val=0)
        check_scalar(self.n_init, "n_init", kind=numbers.Integral, min_val=1)
        check_option(self.init_params, "init_params", INIT_PARAMS)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False; got {self.warm_start!r}.")
        check_scalar(self.verbose, "verbose", kind=numbers.Integral, min_val=0)

    def _check_init_arrays(self, n_features: int) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        K = self.n_components
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

    @staticmethod
    def _as_float_array(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}.")
        arr = np.array(arr, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {arr.shape}.")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity.")
        return arr

    # ------------------------------------------------------------------ parameter plumbing
    def _kernel_params(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        return kernel_params(self.weights_, self.means_, self.precisions_cholesky_, self.covariance_type, dtype)

    def _set_from_stats(self, nk: np.ndarray, sum_dx: np.ndarray, scatter: np.ndarray, centre: np.ndarray,
                        total_weight: float | None, eps: float) -> None:
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params_from_stats(
            nk, sum_dx, scatter, centre, self.covariance_type, self.reg_covar, eps, total_weight
        )

    def _finalise_dtype(self, dtype: np.dtype) -> None:
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=dtype))
        pc = self.precisions_cholesky_
        if self.covariance_type == "full":
            self.precisions_ = pc @ np.swapaxes(pc, 1, 2)
        elif self.covariance_type == "tied":
            self.precisions_ = pc @ pc.T
        else:
            self.precisions_ = pc**2

    # ------------------------------------------------------------------ initialisation
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

    def _initialize_from_data(self, backend: Any, X: Any, w: Any, total_weight: float,
                              rng: np.random.Generator, eps: float) -> None:
        """Initial parameters from X (on a dask array, seeds come from a row sample: see ``_backend``)."""
        K, d = self.n_components, X.shape[1]
        diag = self.covariance_type in ("diag", "spherical")
        if self.init_params == "random":  # uniform random responsibilities, drawn and reduced chunk by chunk
            centre = np.tile(backend.average(X, w), (K, 1))
            nk, sum_dx, scatter = backend.random_resp_stats(X, w, centre[0], K, diag, rng)
        else:
            rows, row_w = backend.seed_rows(X, w, rng, K)  # the rows seeds are drawn from
            if self.init_params == "random_from_data":
                p = None if row_w.shape[0] == 0 else row_w / row_w.sum()
                idx = rng.choice(rows.shape[0], size=K, replace=False, p=p)
                centre = rows[idx].astype(np.float64)
                nk = np.ones(K) if row_w.shape[0] == 0 else row_w[idx].astype(np.float64)
            else:
                centre = seed_kmeans_plusplus(rows, K, row_w, rng).astype(np.float64)
                nk = np.ones(K)
            sum_dx = np.zeros((K, d))
            scatter = np.zeros((K, d) if diag else (K, d, d))
            if self.init_params == "kmeans":  # as scikit-learn's KMeans(n_init=1): Lloyd from the seeds
                centre = np.asarray(lloyd_iterations(backend, X, w, centre, LLOYD_MAX_ITER,
                                                     scaled_tol(backend, X, LLOYD_TOL))[0], dtype=np.float64)
                nk, sum_x, scatter = backend.hard_assignment_stats(X, w, centre)
                sum_dx = sum_x - nk[:, None] * centre
                if diag:
                    scatter = np.diagonal(scatter, axis1=1, axis2=2).copy()
        self._set_from_stats(nk, sum_dx, scatter, centre, total_weight, eps)

    # ------------------------------------------------------------------ EM
    def _em_step(self, backend: Any, X: Any, w: Any, eps: float) -> float:
        """One fused E+M step; returns the mean log-likelihood under the parameters before it."""
        means, prec, log_const, diag = self._kernel_params(X.dtype)
        stats = backend.block_stats(X, w, means, prec, log_const, diag)
        self._set_from_stats(stats.nk, stats.sum_dx, stats.scatter, means.astype(np.float64), None, eps)
        return stats.loglik / stats.weight

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> GaussianMixture:
        """Estimate the parameters with EM (``n_init`` runs, the best lower bound kept).

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            A ``dask.array.Array`` is fitted chunk by chunk (rows never gathered to the driver);
            see :mod:`fastgmm.mixture._backend` for what initialisation does differently on it.
        y : ignored
        sample_weight : array-like or dask array of shape (n_samples,), optional
            Non-negative weights; an integer weight gives the same fit as repeating the row.

        Returns
        -------
        self
        """
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the most probable component of every sample (as ``fit(X).predict(X)``)."""
        backend, X = self._fit(X, sample_weight)
        return self._evaluate_valid(backend, X, label=True)[1]

    def _fit(self, X: Any, sample_weight: Any) -> Any:
        self._check_parameters()
        backend = backend_for(X)
        X = backend.check_array(X, min_samples=max(2, self.n_components))
        w, total_weight, positive = backend.check_sample_weight(sample_weight, X)
        n, d = X.shape
        inits = self._check_init_arrays(d)
        if positive < self.n_components:
            raise ValueError(
                f"sample_weight has {positive} positive entries but n_components={self.n_components}; "
                "every component needs at least one sample with positive weight."
            )
        eps = float(np.finfo(X.dtype).eps)
        do_init = not (self.warm_start and getattr(self, "converged_", None) is not None)
        if not do_init and self.means_.shape[1] != d:
            raise ValueError(f"X has {d} features, but the warm-started model was fitted with {self.means_.shape[1]}.")
        n_init = self.n_init if do_init else 1
        rng = check_random_state(self.random_state)
        best = None
        max_lower_bound = -np.inf
        best_converged = False
        for init in range(n_init):
            if do_init:
                self._initialize(backend, X, w, total_weight, rng, inits)
            lower_bound = -np.inf if do_init else self.lower_bound_
            lower_bounds: list[float] = []
            converged = False
            n_iter = 0
            for n_iter in range(1, self.max_iter + 1):
                prev = lower_bound
                lower_bound = self._em_step(backend, X, w, eps)
                lower_bounds.append(lower_bound)
                if self.verbose >= 2:
                    print(f"  init {init} iteration {n_iter}: change {lower_bound - prev:.6g}")
                if abs(lower_bound - prev) < self.tol:
                    converged = True
                    break
            if self.verbose:
                print(f"init {init}: {'converged' if converged else 'did not converge'}, lower bound {lower_bound:.6g}")
            params = (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
            if self.max_iter == 0:
                best, best_n_iter = params, 0
            elif lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best, best_n_iter, best_bounds, best_converged = params, n_iter, lower_bounds, converged
        if self.max_iter == 0:
            best_bounds = []
        if not best_converged and self.max_iter > 0:
            from ..exceptions import ConvergenceWarning  # imports scikit-learn when installed

            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, or increase "
                "max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = best
        self._finalise_dtype(X.dtype)
        self.converged_ = best_converged
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_bounds
        self.n_features_in_ = d
        return backend, X

    # ------------------------------------------------------------------ inference
    def _evaluate(self, X: Any, **what: bool) -> tuple[Any, ...]:
        check_is_fitted(self, "means_")
        backend = backend_for(X)
        return self._evaluate_valid(backend, backend.check_array(X, n_features=self.n_features_in_), **what)

    def _evaluate_valid(self, backend: Any, X: Any, **what: bool) -> tuple[Any, ...]:
        """Per-sample outputs of :func:`fastgmm.mixture._em.evaluate` (lazy dask arrays for dask input)."""
        means, prec, log_const, diag = self._kernel_params(X.dtype)
        return backend.evaluate(X, means, prec, log_const, diag, **what)

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-likelihood ``log p(x)`` of every sample, shape (n_samples,) (a dask array for dask input)."""
        return self._evaluate(X, logprob=True)[0]

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood of the samples (computed, also for dask input)."""
        return backend_for(X).mean(self.score_samples(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every sample, shape (n_samples,) (a dask array for dask input)."""
        return self._evaluate(X, label=True)[1]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of every component for every sample, shape (n_samples, K) (dask for dask input)."""
        return self._evaluate(X, resp=True)[2]

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

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Component of each sample (samples are grouped by component).
        """
        check_is_fitted(self, "means_")
        check_scalar(n_samples, "n_samples", kind=numbers.Integral, min_val=1)
        rng = check_random_state(self.random_state)
        weights = np.asarray(self.weights_, dtype=np.float64)
        counts = rng.multinomial(n_samples, weights / weights.sum())
        K, d = self.means_.shape
        cov = np.asarray(self.covariances_, dtype=np.float64)
        parts = []
        for k in range(K):
            if self.covariance_type == "full":
                c = cov[k]
            elif self.covariance_type == "tied":
                c = cov
            elif self.covariance_type == "diag":
                c = np.diag(cov[k])
            else:
                c = np.eye(d) * cov[k]
            parts.append(rng.multivariate_normal(self.means_[k], c, int(counts[k])))
        labels = np.repeat(np.arange(K), counts)
        return np.vstack(parts), labels
