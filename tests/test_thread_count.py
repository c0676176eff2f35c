"""The same fit with 1 and 2 Numba threads: bitwise identical (blocks depend on the data size only)."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from fastgmm import GaussianMixture, KMeans

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")


def _with_threads(n_threads: int, fit):
    before = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        return fit()
    finally:
        numba.set_num_threads(before)


def _data(n: int, d: int, dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, d)) * 3.0
    return (centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("n", [3_000, 70_000, 600_000])
@pytest.mark.parametrize("covariance_type, dtype", [("full", np.float64), ("diag", np.float32), ("tied", np.float64)])
def test_gaussian_mixture_is_identical_with_one_and_two_threads(n, covariance_type, dtype):
    X = _data(n, 3, dtype)
    w = np.random.default_rng(1).integers(1, 4, n).astype(np.float64)

    def fit():
        gm = GaussianMixture(4, covariance_type=covariance_type, n_init=2, tol=1e-6, max_iter=30, random_state=0)
        gm.fit(X, sample_weight=w)
        return gm, gm.predict(X), gm.score_samples(X[:1000])

    one, labels1, lp1 = _with_threads(1, fit)
    two, labels2, lp2 = _with_threads(2, fit)
    assert one.lower_bounds_ == two.lower_bounds_ and one.converged_ == two.converged_
    for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_array_equal(getattr(one, attr), getattr(two, attr), err_msg=attr)
    np.testing.assert_array_equal(labels1, labels2)
    np.testing.assert_array_equal(lp1, lp2)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
@pytest.mark.parametrize("n, d, k", [(5_000, 2, 5), (300_000, 3, 8)])
def test_kmeans_is_identical_with_one_and_two_threads(n, d, k, algorithm):
    X = _data(n, d, np.float64, seed=2)

    def fit():
        return KMeans(k, n_init=2, random_state=0, algorithm=algorithm).fit(X)

    one, two = _with_threads(1, fit), _with_threads(2, fit)
    np.testing.assert_array_equal(one.cluster_centers_, two.cluster_centers_)
    np.testing.assert_array_equal(one.labels_, two.labels_)
    assert one.inertia_ == two.inertia_ and one.n_iter_ == two.n_iter_
