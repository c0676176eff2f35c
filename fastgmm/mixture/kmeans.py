"""K-means clustering (Lloyd's algorithm) with the semantics of scikit-learn's ``KMeans(algorithm="lloyd")``.

Public pieces:

* :class:`KMeans` - the estimator.
* :func:`kmeans_plusplus` - greedy k-means++ seeding in O(n) memory (one n-length distance array).
* :func:`lloyd` - Lloyd iterations from given centres, returning centres, inertia and iteration
  count without ever materialising labels (for the Gaussian-mixture initialiser on huge inputs).

The per-cluster hard-assignment statistics used by the mixture initialiser live in
:func:`fastgmm.mixture._lloyd.hard_assignment_stats`.

:class:`KMeans` and :func:`lloyd` also take a ``dask.array.Array``: each pass over the data is
then a method of the Dask backend (:mod:`fastgmm.mixture._backend`: per-chunk kernel, summed statistics) and the
iteration loop below is the same.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._params import Params
from .._validate import (
    check_array,
    check_is_fitted,
    check_option,
    check_random_state,
    check_sample_weight,
    check_scalar,
    is_dask_array,
)
from . import _lloyd
from ._backend import backend_for
from ._lloyd import _weights_or_empty
from ._sklearn import SklearnTags, store_params

_INIT_OPTIONS = ("k-means++", "random")
ALGORITHMS = ("lloyd", "elkan")
LLOYD_MAX_ITER = 300
"""Default iteration cap of :func:`lloyd` and :class:`KMeans` (scikit-learn's)."""
LLOYD_TOL = 1e-4
"""Default relative tolerance of :func:`lloyd` and :class:`KMeans` (scikit-learn's)."""


def kmeans_plusplus(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    random_state: Any = None,
) -> np.ndarray:
    """Choose ``n_clusters`` initial centres among the rows of X by greedy k-means++.

    The first centre is drawn with probability proportional to the sample weight; each next one is
    the best (lowest resulting weighted potential) of ``2 + int(log(n_clusters))`` candidates drawn
    with probability proportional to ``weight * squared distance to the nearest chosen centre``,
    as in scikit-learn.  Random numbers come from a ``np.random.Generator``, so the draws differ from
    scikit-learn's for the same seed, but are reproducible for a given seed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data; float32 stays float32.
    n_clusters : int
        Number of centres, ``1 <= n_clusters <= n_samples``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights (default: all ones).
    random_state : None, int or numpy Generator
        Seed of the draws.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), X's dtype
        Copies of the chosen rows.  They are distinct whenever X has at least ``n_clusters``
        distinct rows with positive weight.

    Notes
    -----
    Memory: one n-length array of X's dtype (distance to the nearest centre) plus small
    per-block accumulators; candidates are evaluated in one pass without an n x trials array.
    Sampling uses ``searchsorted(cumsum(mass), u * total, side="right")`` computed blockwise, so a
    row with zero mass is never drawn while any row has positive mass.
    """
    n_clusters = check_scalar(n_clusters, "n_clusters", kind=numbers.Integral, min_val=1)
    X = check_array(X, min_samples=n_clusters)
    w = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
    return seed_kmeans_plusplus(X, n_clusters, _weights_or_empty(w), check_random_state(random_state))


def seed_kmeans_plusplus(X: np.ndarray, n_clusters: int, w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """k-means++ on validated input (``w`` float64 weights or empty for unit weights)."""
    n = X.shape[0]
    n_trials = 2 + int(np.log(n_clusters))
    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    no_dist = np.empty(0, dtype=X.dtype)
    total_weight = float(n) if w.shape[0] == 0 else float(w.sum())
    first = _lloyd.weighted_search(n, w, no_dist, np.array([rng.random() * total_weight]))[0]
    centers[0] = X[first]
    closest = np.full(n, np.inf, dtype=X.dtype)
    potential = _lloyd.update_closest(X, w, centers[:1], closest)
    for c in range(1, n_clusters):
        targets = rng.random(n_trials) * potential
        order = np.argsort(targets, kind="stable")
        candidate_ids = np.empty(n_trials, dtype=np.int64)
        candidate_ids[order] = _lloyd.weighted_search(n, w, closest, targets[order])
        candidates = np.ascontiguousarray(X[candidate_ids])
        best = int(np.argmin(_lloyd.candidate_potentials(X, w, closest, candidates, False)))
        centers[c] = candidates[best]
        potential = _lloyd.update_closest(X, w, centers[c : c + 1], closest)
    return centers


def lloyd(
    X: np.ndarray,
    sample_weight: np.ndarray | None,
    centers_init: np.ndarray,
    *,
    max_iter: int = LLOYD_MAX_ITER,
    tol: float = LLOYD_TOL,
) -> tuple[np.ndarray, float, int]:
    """Run Lloyd iterations from ``centers_init`` without materialising labels.

    Semantics are those of scikit-learn's ``KMeans(algorithm="lloyd")`` from an explicit init:
    ``tol`` is relative (multiplied by the mean per-feature variance of X, unweighted, as scikit-learn
    does), iterations stop when the total squared centre shift is ``<= `` the scaled tol (which
    includes the "labels unchanged" case, where the shift is exactly zero) or after ``max_iter``
    iterations, and empty clusters are relocated as described in :class:`KMeans`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), C-contiguous float32 or float64, or dask array
        Already validated data (no checks are made here; use :class:`KMeans` for checked input).
    sample_weight : ndarray of shape (n_samples,) float64 (dask array for dask X), or None
        Non-negative weights; ``None`` means all ones (nothing of size n_samples is allocated).
    centers_init : ndarray of shape (n_clusters, n_features)
        Initial centres (copied, converted to X's dtype).
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=1e-4
        Relative tolerance on the total squared centre shift.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), X's dtype
        Final centres.
    inertia : float
        Weighted sum of squared distances of the rows to their nearest final centre.
    n_iter : int
        Number of iterations run.
    """
    backend = backend_for(X)
    w = sample_weight if is_dask_array(sample_weight) else _weights_or_empty(sample_weight)
    centers, n_iter = lloyd_iterations(backend, X, w, centers_init, max_iter, scaled_tol(backend, X, tol))
    return centers, backend.inertia(X, w, centers), n_iter


def scaled_tol(backend: Any, X: Any, tol: float) -> float:
    """scikit-learn's absolute tolerance: ``tol * mean(var(X, axis=0))``."""
    if tol == 0:
        return 0.0
    return float(np.mean(backend.feature_variance(X))) * tol


def lloyd_iterations(
    backend: Any, X: Any, w: Any, centers_init: np.ndarray, max_iter: int, abs_tol: float,
    assign: Any = None,
) -> tuple[np.ndarray, int]:
    """Lloyd loop on validated input; return (final centres in X's dtype, iterations run).

    The passes over X are ``assign``, by default ``backend.lloyd_pass`` (``KMeans(algorithm="elkan")``
    passes ``backend.bounded_lloyd_pass(X)``: Yinyang's grouped bounds, the same sums bitwise), and
    ``backend.farthest_rows`` (see :mod:`fastgmm.mixture._backend`).
    """
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    n_clusters, n_features = centers.shape
    sums = np.empty((n_clusters, n_features))
    weights = np.empty(n_clusters)
    assign = backend.lloyd_pass if assign is None else assign
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        assign(X, w, centers, sums, weights)
        empty = np.flatnonzero(weights == 0)
        if empty.size:
            _relocate_empty_clusters(backend.farthest_rows(X, w, centers, empty.size), sums, weights, empty)
        filled = weights > 0
        new = sums.copy()
        new[filled] /= weights[filled, None]
        new_centers = new.astype(X.dtype)
        shift = float(np.sum((new_centers.astype(np.float64) - centers) ** 2))
        centers = new_centers
        if shift <= abs_tol:
            break
    return centers, n_iter


def _relocate_empty_clusters(
    farthest: tuple[np.ndarray, np.ndarray, np.ndarray],
    sums: np.ndarray,
    weights: np.ndarray,
    empty: np.ndarray,
) -> None:
    """Move each empty cluster onto one of the rows farthest from their centre, in place.

    ``farthest`` is the backend's ``farthest_rows`` of the old centres for ``len(empty)`` rows.

    As in scikit-learn's Lloyd: the ``len(empty)`` rows with the largest unweighted squared distance
    to their nearest old centre are taken, farthest first (ties: lowest row index), and the ``e``-th
    empty cluster gets the ``e``-th of those rows: that row's weight and weighted value move from its
    old cluster's sums to the empty cluster's.  (For several empty clusters scikit-learn takes the
    same set of rows, but in an unspecified order.)
    """
    for new_id, row, wi, old_id in zip(empty, *farthest):
        contribution = wi * row
        sums[old_id] -= contribution
        sums[new_id] = contribution
        weights[new_id] = wi
        weights[old_id] -= wi


class KMeans(SklearnTags, Params):
    """K-means clustering by Lloyd's algorithm, compiled with Numba.

    Same semantics as scikit-learn's ``KMeans(algorithm="lloyd")``: from the same explicit initial
    centres it returns the same centres, labels, inertia and iteration count (up to rounding).
    ``algorithm="elkan"`` skips distance computations with bounds and returns exactly what
    ``"lloyd"`` returns (bitwise).

    Kernel: fastgmm.mixture._lloyd.assigned_stats (one Lloyd pass), yinyang_pass (elkan),
    assign_inertia (labels and inertia), update_closest/candidate_potentials (k-means++).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (>= 1, <= n_samples).
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), default="k-means++"
        "k-means++": greedy k-means++ seeding (:func:`kmeans_plusplus`); "random": ``n_clusters``
        distinct rows drawn with probability proportional to the sample weight; an array: these
        centres (then a single run is made whatever ``n_init`` says).
    n_init : "auto" or int, default="auto"
        Number of runs with different seeds; the run with the lowest inertia is kept.  "auto" (as
        scikit-learn): 1 run for "k-means++" or explicit centres, 10 for "random".
    max_iter : int, default=300
        Maximum number of Lloyd iterations per run.
    tol : float, default=1e-4
        Convergence tolerance on the total squared centre shift, relative to the mean per-feature
        variance of X (unweighted, as in scikit-learn).
    random_state : None, int or numpy Generator, default=None
        Seed for the initialisation.
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        scikit-learn's names.  "lloyd" computes every row-to-centre distance in each iteration
        (vectorised over row tiles, the loops specialised for 1 to 8 features).  "elkan" skips
        distance computations with Yinyang's grouped bounds (Ding et al. 2015): per row an upper
        bound on the distance to its centre, one lower bound per group of about 10 centres and
        their minimum (``20 + 8 ceil(K / 10)`` bytes a row).  It was chosen over Hamerly's single
        lower bound, which at K=64 skips few distances (our previous "elkan"; slower than "lloyd" everywhere),
        and over Elkan's K lower bounds a row (512 MB at 1e6 rows, K=64).  While the centres move
        a lot it computes every distance, as "lloyd" does (see
        :class:`fastgmm.mixture._lloyd.YinyangPasses`); measured faster than "lloyd" at d=8,
        K=64, slower at d <= 3 or K <= 16 (docs/performance.md).  The sums are accumulated in Lloyd's
        order, so centres, labels, inertia and ``n_iter_`` are bitwise Lloyd's.  On a dask array
        both run Lloyd's passes.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Final centres, in X's dtype.
    labels_ : ndarray of shape (n_samples,), int32
        Index of the nearest final centre of every training row (a lazy dask array when X was one).
    inertia_ : float
        Weighted sum of squared distances of the training rows to their nearest centre.
    n_iter_ : int
        Iterations run by the kept run.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Notes
    -----
    Stopping: after each update the total squared centre shift is compared with the scaled tol
    (``<=`` stops); when labels did not change the shift is exactly zero, so this also covers
    scikit-learn's "strict convergence".  The final labels and inertia are always computed from
    the final centres.  A cluster that ends an assignment step with zero total weight is relocated
    like scikit-learn's Lloyd does it: it takes the row farthest from its nearest centre (with
    several empty clusters, the farthest rows in decreasing distance), and that row's weight leaves
    its old cluster.  No ``ConvergenceWarning`` is emitted.  float32 input is processed in float32 with float64
    accumulators; float64 stays float64.  Each Lloyd iteration is one parallel pass over X and
    nothing of size n_samples x n_clusters is allocated.
    """

    _ESTIMATOR_TYPE = "clusterer"
    _PRESERVES_DTYPE = ["float64", "float32"]

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | np.ndarray = "k-means++",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        algorithm: str = "lloyd",
    ) -> None:
        store_params(self, locals())  # each parameter under its own name, as scikit-learn's

    # -- fitting -------------------------------------------------------------------------------
    def _validated_init(self, X: np.ndarray) -> str | np.ndarray:
        if isinstance(self.init, str):
            return check_option(self.init, "init", _INIT_OPTIONS)
        if callable(self.init) or self.init is None:
            raise TypeError(f"init must be 'k-means++', 'random' or an array of centres; got {self.init!r}.")
        centers = check_array(self.init, name="init", dtype=X.dtype)
        if centers.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(
                f"init has shape {centers.shape}, but it must be (n_clusters, n_features) = "
                f"({self.n_clusters}, {X.shape[1]})."
            )
        return centers

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Cluster X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (float32 is kept, other numeric dtypes become float64); a dask array
            is clustered chunk by chunk (seeding on a row sample, see :mod:`fastgmm.mixture._backend`).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; integer weights are equivalent to repeating rows.

        Returns
        -------
        self : KMeans
        """
        n_clusters = check_scalar(self.n_clusters, "n_clusters", kind=numbers.Integral, min_val=1)
        if isinstance(self.n_init, str):
            check_option(self.n_init, "n_init", ("auto",))
        else:
            check_scalar(self.n_init, "n_init", kind=numbers.Integral, min_val=1)
        algorithm = check_option(self.algorithm, "algorithm", ALGORITHMS)
        max_iter = check_scalar(self.max_iter, "max_iter", kind=numbers.Integral, min_val=1)
        tol = check_scalar(self.tol, "tol", kind=numbers.Real, min_val=0)
        rng = check_random_state(self.random_state)
        backend = backend_for(X)
        X = backend.check_array(X, min_samples=n_clusters)
        w = backend.check_sample_weight(sample_weight, X)[0]
        init = self._validated_init(X)
        abs_tol = scaled_tol(backend, X, tol)

        if isinstance(init, np.ndarray):
            n_runs = 1
        elif self.n_init == "auto":
            n_runs = 10 if init == "random" else 1
        else:
            n_runs = self.n_init
        best = None
        for _ in range(n_runs):
            centers_init = self._initial_centers(backend, X, init, w, n_clusters, rng)
            # "elkan": the bounded passes keep per-row bounds, which also give the final labels cheaply
            passes = backend.bounded_lloyd_pass(X) if algorithm == "elkan" else backend.lloyd_pass
            centers, n_iter = lloyd_iterations(backend, X, w, centers_init, max_iter, abs_tol, passes)
            inertia = backend.inertia(X, w, centers) if n_runs > 1 else 0.0  # one run: from the label pass
            if best is None or inertia < best[1]:
                best = (centers, inertia, n_iter, getattr(passes, "labels_inertia", backend.labels_inertia))
        centers, _, n_iter, labels_inertia = best
        labels, self.inertia_ = labels_inertia(X, w, centers)
        self.cluster_centers_ = centers
        self.labels_ = labels
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = X.shape[1]
        return self

    @staticmethod
    def _initial_centers(
        backend: Any, X: Any, init: str | np.ndarray, w: Any, n_clusters: int, rng: np.random.Generator
    ) -> np.ndarray:
        if isinstance(init, np.ndarray):
            return init
        X, w = backend.seed_rows(X, w, rng, n_clusters)  # on Dask a row sample (the whole array when small)
        if init == "k-means++":
            return seed_kmeans_plusplus(X, n_clusters, w, rng)
        p = None if w.shape[0] == 0 else w / w.sum()
        if p is not None and np.count_nonzero(p) < n_clusters:
            raise ValueError(
                f"init='random' needs at least n_clusters={n_clusters} samples with positive weight; "
                f"sample_weight has {np.count_nonzero(p)}."
            )
        return X[rng.choice(X.shape[0], size=n_clusters, replace=False, p=p)]

    def predict(self, X: Any) -> np.ndarray:
        """Index (int32) of the nearest fitted centre for every row of X (a lazy dask array for dask input)."""
        check_is_fitted(self, "cluster_centers_")
        backend = backend_for(X)
        X = backend.check_array(X, n_features=self.n_features_in_, fitted_by=type(self).__name__)
        return backend.labels(X, self.cluster_centers_)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of X on the fitted centres: higher is better, as
        scikit-learn's ``KMeans.score`` (what ``GridSearchCV`` and ``cross_val_score`` maximise)."""
        check_is_fitted(self, "cluster_centers_")
        backend = backend_for(X)
        X = backend.check_array(X, n_features=self.n_features_in_, fitted_by=type(self).__name__)
        w = backend.check_sample_weight(sample_weight, X)[0]
        return -backend.inertia(X, w, self.cluster_centers_)

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of every row to every fitted centre, shape (n_samples, n_clusters)
        (a lazy dask array for dask input)."""
        check_is_fitted(self, "cluster_centers_")
        backend = backend_for(X)
        X = backend.check_array(X, n_features=self.n_features_in_, fitted_by=type(self).__name__)
        return backend.distances(X, self.cluster_centers_)

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return :meth:`transform` of X."""
        return self.fit(X, sample_weight=sample_weight).transform(X)
