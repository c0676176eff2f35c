"""The template shared by :class:`~fastgmm.GaussianMixture` and :class:`~fastgmm.BayesianGaussianMixture`.

As scikit-learn's ``mixture/_base.py``: one fit loop (``n_init`` runs, ``warm_start``, the best
lower bound kept, the convergence warning) and one inference path, with small steps the
estimators override:

* ``_check_parameters()`` - the constructor parameters (at fit time);
* ``_check_data_parameters(backend, X, w, total_weight)`` - what depends on the data (explicit
  initial parameters, priors); its result is passed to ``_initialize``;
* ``_set_from_stats(nk, sum_dx, scatter, centre, total_weight, eps)`` - parameters from
  (responsibility) statistics: the M-step, and the initialisation from responsibilities;
* ``_kernel_params(dtype)`` - the per-component terms of the E-step in the layout of
  :func:`fastgmm.mixture._em.em_pass` (means, precision factors, log constants);
* ``_em_step(backend, X, w, eps)`` - one fused E+M step returning the iteration's lower bound;
* ``_get_parameters()`` / ``_set_parameters(params)`` - the fitted state of one run.

Every pass over the data is one call of the fused kernel through the backend, so no
n_samples x n_components array is ever allocated and dask arrays are accepted throughout.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .._params import Params
from .._validate import check_is_fitted, check_option, check_random_state, check_scalar
from ._backend import backend_for
from ._parameters import COVARIANCE_TYPES
from ._sklearn import SklearnTags
from .kmeans import LLOYD_MAX_ITER, LLOYD_TOL, lloyd_iterations, scaled_tol, seed_kmeans_plusplus

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


class BaseMixture(SklearnTags, Params):
    """Fit loop and inference shared by the mixture estimators (see the module docstring)."""

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
        check_scalar(self.verbose_interval, "verbose_interval", kind=numbers.Integral, min_val=1)

    def _check_data_parameters(self, backend: Any, X: Any, w: Any, total_weight: float) -> Any:
        """Parameters checked against the data; the result is handed to :meth:`_initialize`."""
        return None

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

    # ------------------------------------------------------------------ initialisation
    def _initialize(self, backend: Any, X: Any, w: Any, total_weight: float, rng: np.random.Generator,
                    checked: Any) -> None:
        self._initialize_from_data(backend, X, w, total_weight, rng, float(np.finfo(X.dtype).eps))

    def _initialize_from_data(self, backend: Any, X: Any, w: Any, total_weight: float,
                              rng: np.random.Generator, eps: float) -> None:
        """Initial parameters from responsibilities chosen by ``init_params`` (as scikit-learn:
        ``_set_from_stats`` of those responsibilities; on a dask array, seeds come from a row
        sample: see ``_backend``)."""
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

    # ------------------------------------------------------------------ fitted state
    def _finalise_dtype(self, dtype: np.dtype) -> None:
        """Cast the Gaussian parameters to the data's dtype and derive ``precisions_``."""
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=dtype))
        pc = self.precisions_cholesky_
        if self.covariance_type == "full":
            self.precisions_ = pc @ np.swapaxes(pc, 1, 2)
        elif self.covariance_type == "tied":
            self.precisions_ = pc @ pc.T
        else:
            self.precisions_ = pc**2

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> BaseMixture:
        """Estimate the parameters (``n_init`` runs, the best lower bound kept).

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
        checked = self._check_data_parameters(backend, X, w, total_weight)
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
        best_bounds: list[float] = []
        for init in range(n_init):
            if do_init:
                self._initialize(backend, X, w, total_weight, rng, checked)
            lower_bound = -np.inf if do_init else self.lower_bound_
            lower_bounds: list[float] = []
            converged = False
            n_iter = 0
            for n_iter in range(1, self.max_iter + 1):
                prev = lower_bound
                lower_bound = self._em_step(backend, X, w, eps)
                lower_bounds.append(lower_bound)
                if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                    print(f"  init {init} iteration {n_iter}: change {lower_bound - prev:.6g}")
                if abs(lower_bound - prev) < self.tol:
                    converged = True
                    break
            if self.verbose:
                print(f"init {init}: {'converged' if converged else 'did not converge'}, lower bound {lower_bound:.6g}")
            if self.max_iter == 0:
                best, best_n_iter = self._get_parameters(), 0
            elif lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best, best_n_iter, best_bounds, best_converged = self._get_parameters(), n_iter, lower_bounds, converged
        if not best_converged and self.max_iter > 0:
            from ..exceptions import ConvergenceWarning  # imports scikit-learn when installed

            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, or increase "
                "max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self._set_parameters(best)
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
        X = backend.check_array(X, n_features=self.n_features_in_, fitted_by=type(self).__name__)
        return self._evaluate_valid(backend, X, **what)

    def _evaluate_valid(self, backend: Any, X: Any, **what: bool) -> tuple[Any, ...]:
        """Per-sample outputs of :func:`fastgmm.mixture._em.evaluate` (lazy dask arrays for dask input)."""
        means, prec, log_const, diag = self._kernel_params(X.dtype)
        return backend.evaluate(X, means, prec, log_const, diag, **what)

    def score_samples(self, X: Any) -> np.ndarray:
        """Log of the (weighted) probability of every sample, shape (n_samples,) (dask for dask input)."""
        return self._evaluate(X, logprob=True)[0]

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (computed, also for dask input)."""
        return backend_for(X).mean(self.score_samples(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every sample, shape (n_samples,) (a dask array for dask input)."""
        return self._evaluate(X, label=True)[1]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of every component for every sample, shape (n_samples, K) (dask for dask input)."""
        return self._evaluate(X, resp=True)[2]

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
