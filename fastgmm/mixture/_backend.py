"""Where the passes over the data run: in memory (numpy) or on Dask, behind one interface.

The estimators (:class:`~fastgmm.GaussianMixture`, :class:`~fastgmm.KMeans`) choose a backend
once per call with :func:`backend_for` and then only talk to it; their loops (EM iterations,
Lloyd iterations, M-steps, centre updates) are the same for both.

What every backend promises
---------------------------
* Arrays: ``X`` is (n, d) float32/float64, validated by ``check_array``; ``w`` is the float64
  sample weights, or an empty numpy array meaning "every weight is 1" (nothing of size n).
* Results: every pass returns what :mod:`fastgmm.mixture._em` / :mod:`fastgmm.mixture._lloyd`
  would return on the whole array, up to the order of floating-point sums: statistics, centres
  and log-likelihoods equal the in-memory ones to rounding, labels and the chosen farthest rows
  are the same.  Per-sample outputs (``evaluate``, ``labels``) are numpy arrays in memory and
  lazy dask arrays on Dask.
* Initialisation from individual rows (k-means++ seeding, ``random_from_data``, KMeans'
  ``random``) runs in memory on ``seed_rows(X, w, rng, k)``: the whole array in memory; on Dask
  a seeded sample of at most ``SAMPLE_BYTES`` (see :mod:`fastgmm.mixture._dask`), which is the
  whole array when it fits, so that seeds equal the in-memory ones for the same
  ``random_state``.  GaussianMixture's ``random`` responsibilities are drawn per chunk on Dask
  (one generator per chunk), so they differ from the in-memory draws.
* Errors: NaN/inf in X is a ``ValueError``; in memory it is found by ``check_array``, on Dask by
  the tasks that read the chunks (the message names the rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_sample_weight, is_dask_array, kernel_array
from . import _em, _lloyd
from ._parameters import random_resp_stats
from ._sklearn import check_input


def backend_for(X: Any) -> Any:
    """The backend for ``X``: :class:`fastgmm.mixture._dask.DaskBackend` for a dask array, else
    :class:`InMemoryBackend`."""
    if is_dask_array(X):
        from ._dask import DaskBackend

        return DaskBackend()
    return InMemoryBackend()


class InMemoryBackend:
    """Passes over a numpy array: the kernels of :mod:`~fastgmm.mixture._em` and
    :mod:`~fastgmm.mixture._lloyd` called on the whole array."""

    # ------------------------------------------------------------------ validation
    @staticmethod
    def check_array(X: Any, *, min_samples: int = 1, n_features: int | None = None,
                    fitted_by: str = "the estimator") -> np.ndarray:
        return check_input(X, min_samples=min_samples, n_features=n_features, fitted_by=fitted_by)

    @staticmethod
    def check_sample_weight(sample_weight: Any, X: np.ndarray) -> tuple[np.ndarray, float, int]:
        """``(w, total weight, number of positive weights)``; ``w`` empty for unit weights."""
        n = X.shape[0]
        if sample_weight is None:
            return np.empty(0), float(n), n
        w = check_sample_weight(sample_weight, n)
        return w, float(w.sum()), int(np.count_nonzero(w))

    # ------------------------------------------------------------------ EM
    block_stats = staticmethod(_em.block_stats)
    evaluate = staticmethod(_em.evaluate)

    @staticmethod
    def mean(values: np.ndarray) -> float:
        return float(np.mean(values, dtype=np.float64))

    # ------------------------------------------------------------------ initialisation
    @staticmethod
    def seed_rows(X: np.ndarray, w: np.ndarray, rng: np.random.Generator, min_rows: int
                  ) -> tuple[np.ndarray, np.ndarray]:
        return X, w

    @staticmethod
    def average(X: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.average(X, axis=0, weights=w if w.shape[0] else None).astype(np.float64)

    @staticmethod
    def random_resp_stats(X: np.ndarray, w: np.ndarray, centre: np.ndarray, n_components: int, diag: bool,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return random_resp_stats(X, w if w.shape[0] else None, centre, n_components, diag, rng)

    @staticmethod
    def hard_assignment_stats(X: np.ndarray, w: np.ndarray, centers: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _lloyd.hard_assignment_stats(X, w if w.shape[0] else None, centers)

    # ------------------------------------------------------------------ Lloyd
    lloyd_pass = staticmethod(_lloyd.lloyd_pass)

    @staticmethod
    def bounded_lloyd_pass(X: np.ndarray) -> Any:
        """A stateful pass with the signature of ``lloyd_pass`` that skips distance computations with
        Yinyang's grouped bounds (``KMeans(algorithm="elkan")``); same sums, bitwise."""
        return _lloyd.YinyangPasses(X)
    feature_variance = staticmethod(_lloyd.feature_variance)

    @staticmethod
    def inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray) -> float:
        return float(_lloyd.assign_inertia(X, w, kernel_array(centers, X.dtype), np.empty(0, dtype=np.int32)))

    @staticmethod
    def labels_inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """``labels(X, centers)`` and ``inertia(X, w, centers)`` in one pass (the same values)."""
        labels = np.empty(X.shape[0], dtype=np.int32)
        inertia = _lloyd.assign_inertia(X, w, kernel_array(centers, X.dtype), labels)
        return labels, float(inertia)

    @staticmethod
    def labels(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
        labels = np.empty(X.shape[0], dtype=np.int32)
        _lloyd.assign_inertia(X, np.empty(0), kernel_array(centers, X.dtype), labels)
        return labels

    @staticmethod
    def distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
        """Euclidean distance of every row to every centre, (n, K) in X's dtype."""
        out = np.empty((X.shape[0], centers.shape[0]), dtype=X.dtype)
        _lloyd.distances(X, kernel_array(centers, X.dtype), out)
        return out

    @staticmethod
    def farthest_rows(X: np.ndarray, w: np.ndarray, centers: np.ndarray, m_far: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``m_far`` rows farthest from their nearest centre: (rows float64, their weights, their
        labels), in the order of :func:`fastgmm.mixture._lloyd.farthest_points` (decreasing distance,
        lowest row first)."""
        far, far_labels = _lloyd.farthest_points(X, centers, m_far)
        row_weights = np.ones(m_far) if w.shape[0] == 0 else w[far].astype(np.float64)
        return X[far].astype(np.float64), row_weights, far_labels
