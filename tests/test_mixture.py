"""fastgmm.GaussianMixture against the naive EM reference and scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from naive.em import e_step, em, full_covariances, m_step
from sklearn.base import clone
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from fastgmm import ConvergenceWarning, GaussianMixture
from fastgmm.mixture import _em
from fastgmm.mixture._parameters import params_from_stats

COV_TYPES = ["full", "tied", "diag", "spherical"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]


def blobs(n: int, d: int, k: int, seed: int = 0, *, offset: float = 0.0, spread: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * spread
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return offset + centres[labels] + rng.normal(size=(n, d)) * scales[labels]


def explicit_init(X: np.ndarray, k: int, covariance_type: str, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    weights = rng.uniform(0.5, 1.0, size=k)
    precisions = {
        "full": np.stack([np.eye(d) * rng.uniform(0.3, 1.0) + 0.05 for _ in range(k)]),
        "tied": np.eye(d) * 0.5 + 0.05,
        "diag": rng.uniform(0.3, 1.0, size=(k, d)),
        "spherical": rng.uniform(0.3, 1.0, size=k),
    }[covariance_type]
    return dict(
        covariance_type=covariance_type,
        weights_init=weights / weights.sum(),
        means_init=X[rng.choice(len(X), size=k, replace=False)].astype(np.float64),
        precisions_init=precisions,
    )


def precisions_to_covs(init: dict, k: int, d: int) -> np.ndarray:
    p = init["precisions_init"]
    ct = init["covariance_type"]
    cov = np.linalg.inv(p) if ct in ("full", "tied") else 1.0 / p
    return full_covariances(cov, ct, k, d)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_matches_naive_em(covariance_type):
    X = blobs(60, 2, 3, seed=2)
    init = explicit_init(X, 3, covariance_type)
    gm = GaussianMixture(3, max_iter=3, tol=0.0, **init)
    with pytest.warns(ConvergenceWarning):
        gm.fit(X)
    weights, means, covs, bounds = em(
        X, init["weights_init"], init["means_init"], precisions_to_covs(init, 3, 2), covariance_type, 3, 1e-6
    )
    np.testing.assert_allclose(gm.weights_, weights, rtol=1e-10)
    np.testing.assert_allclose(gm.means_, means, rtol=1e-10)
    np.testing.assert_allclose(gm.covariances_, covs, rtol=1e-9)
    np.testing.assert_allclose(gm.lower_bounds_, bounds, rtol=1e-10)
    log_norm, resp = e_step(X, weights, means, full_covariances(covs, covariance_type, 3, 2))
    np.testing.assert_allclose(gm.score_samples(X), log_norm, rtol=1e-10)
    np.testing.assert_allclose(gm.predict_proba(X), resp, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("n, d, k", [(400, 1, 2), (1000, 3, 5), (300, 5, 3)])
def test_matches_sklearn_from_same_init(covariance_type, n, d, k):
    X = blobs(n, d, k, seed=n + d)
    init = explicit_init(X, k, covariance_type)
    kw = dict(max_iter=8, tol=0.0, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(k, **kw).fit(X)
        ref = SkGaussianMixture(k, **kw).fit(X)
    for attr in ATTRS:
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-7, atol=1e-12, err_msg=attr)
        assert getattr(ours, attr).dtype == np.float64
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-7)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-7)
    assert ours.n_iter_ == ref.n_iter_ == 8
    assert ours.converged_ == ref.converged_
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-7, atol=1e-13)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-7)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-7)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-7)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-7)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_log_likelihood_is_monotone_and_converges(covariance_type):
    X = blobs(1500, 2, 4, seed=5)
    gm = GaussianMixture(4, covariance_type=covariance_type, tol=1e-6, max_iter=300, random_state=0).fit(X)
    bounds = np.asarray(gm.lower_bounds_)
    assert gm.converged_
    assert len(bounds) == gm.n_iter_ >= 2
    assert np.all(np.diff(bounds) >= -1e-10)
    assert gm.lower_bound_ == bounds[-1]


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_sample_weight_equals_repeated_rows(covariance_type):
    X = blobs(200, 3, 3, seed=7)
    counts = np.random.default_rng(3).integers(0, 4, size=len(X))
    init = explicit_init(X, 3, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = GaussianMixture(3, max_iter=10, tol=0.0, **init).fit(X, sample_weight=counts)
        repeated = GaussianMixture(3, max_iter=10, tol=0.0, **init).fit(np.repeat(X, counts, axis=0))
    for attr in ATTRS:
        np.testing.assert_allclose(getattr(weighted, attr), getattr(repeated, attr), rtol=1e-9, atol=1e-13,
                                   err_msg=attr)
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)


def test_sample_weight_with_every_init_params():
    X = blobs(300, 2, 3, seed=8)
    w = np.random.default_rng(0).integers(0, 5, size=len(X)).astype(float)
    for init_params in ["kmeans", "k-means++", "random", "random_from_data"]:
        gm = GaussianMixture(3, init_params=init_params, max_iter=500, random_state=0)
        gm.fit(X, sample_weight=w)
        assert np.isfinite(gm.lower_bound_) and gm.weights_.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("offset", [0.0, 200.0])
@pytest.mark.parametrize("covariance_type, d", [("full", 3), ("diag", 3), ("full", 2)])
def test_float32_matches_float64(offset, covariance_type, d):
    # pixel-like data: values around ``offset`` with unit spread
    X64 = blobs(3000, d, 3, seed=9, offset=offset, spread=2.0)
    X32 = X64.astype(np.float32)
    init = explicit_init(X32.astype(np.float64), 3, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        g32 = GaussianMixture(3, max_iter=20, tol=0.0, **init).fit(X32)
        g64 = GaussianMixture(3, max_iter=20, tol=0.0, **init).fit(X32.astype(np.float64))
    for attr in ATTRS:
        assert getattr(g32, attr).dtype == np.float32
    np.testing.assert_allclose(g32.means_, g64.means_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g32.weights_, g64.weights_, rtol=1e-4)
    np.testing.assert_allclose(g32.covariances_, g64.covariances_, rtol=1e-3, atol=1e-5)
    assert g32.lower_bound_ == pytest.approx(g64.lower_bound_, rel=1e-5)
    X64_rounded = X64.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(g32.score_samples(X32), g64.score_samples(X64_rounded), rtol=1e-4)
    assert np.mean(g32.predict(X32) == g64.predict(X32.astype(np.float64))) > 0.999


def test_fit_predict_equals_fit_then_predict():
    X = blobs(800, 2, 4, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = GaussianMixture(4, max_iter=2, random_state=3).fit_predict(X)
        gm = GaussianMixture(4, max_iter=2, random_state=3).fit(X)
    np.testing.assert_array_equal(labels, gm.predict(X))


def test_max_iter_zero_only_initialises():
    X = blobs(100, 2, 2, seed=12)
    init = explicit_init(X, 2, "full")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = GaussianMixture(2, max_iter=0, **init).fit(X)
    np.testing.assert_array_equal(gm.weights_, init["weights_init"])
    np.testing.assert_array_equal(gm.means_, init["means_init"])
    np.testing.assert_allclose(gm.precisions_, init["precisions_init"], rtol=1e-12)
    np.testing.assert_allclose(gm.covariances_, np.linalg.inv(init["precisions_init"]), rtol=1e-12)
    assert gm.n_iter_ == 0 and gm.lower_bound_ == -np.inf and gm.lower_bounds_ == [] and not gm.converged_


def test_convergence_warning_when_not_converged():
    X = blobs(300, 2, 3, seed=13)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gm = GaussianMixture(3, max_iter=1, tol=0.0, random_state=0).fit(X)
    assert not gm.converged_ and gm.n_iter_ == 1


def test_n_init_keeps_the_best_run():
    X = blobs(400, 2, 5, seed=14)
    kw = dict(init_params="random_from_data", max_iter=5, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        best = GaussianMixture(5, n_init=4, random_state=np.random.default_rng(6), **kw).fit(X)
        rng = np.random.default_rng(6)  # the same stream, consumed by four single runs
        singles = [GaussianMixture(5, random_state=rng, **kw).fit(X) for _ in range(4)]
    bounds = [g.lower_bound_ for g in singles]
    assert len(set(bounds)) > 1
    winner = singles[int(np.argmax(bounds))]
    assert best.lower_bound_ == max(bounds)
    np.testing.assert_array_equal(best.means_, winner.means_)


def test_warm_start_continues_where_it_left_off():
    X = blobs(400, 2, 3, seed=15)
    init = explicit_init(X, 3, "full")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = GaussianMixture(3, max_iter=2, tol=0.0, warm_start=True, **init)
        warm.fit(X)
        warm.fit(X)
        cold = GaussianMixture(3, max_iter=4, tol=0.0, **init).fit(X)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-12)
    assert warm.lower_bound_ == pytest.approx(cold.lower_bound_, rel=1e-12)


def test_params_protocol_and_clone():
    gm = GaussianMixture(3, covariance_type="diag", tol=1e-4, random_state=5)
    params = gm.get_params()
    assert params["n_components"] == 3 and params["covariance_type"] == "diag" and params["random_state"] == 5
    copy = clone(gm)
    assert copy is not gm and copy.get_params() == params
    assert gm.set_params(max_iter=7) is gm and gm.max_iter == 7
    with pytest.raises(ValueError, match="Invalid parameter"):
        gm.set_params(bogus=1)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_draws_from_the_model(covariance_type):
    X = blobs(2000, 2, 2, seed=16, spread=8.0)
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    samples, labels = gm.sample(20000)
    assert samples.shape == (20000, 2) and labels.shape == (20000,)
    for k in range(2):
        assert np.mean(labels == k) == pytest.approx(gm.weights_[k], abs=0.02)
        np.testing.assert_allclose(samples[labels == k].mean(axis=0), gm.means_[k], atol=0.1)


def test_identical_rows_do_not_crash():
    X = np.full((50, 3), 7.0)
    gm = GaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_allclose(gm.means_, 7.0)
    assert np.all(np.linalg.eigvalsh(gm.covariances_) > 0)
    assert np.isfinite(gm.score(X))


def test_collapsing_component_is_kept_positive_definite():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(200, 2))
    means_init = np.array([[0.0, 0.0], [1e3, 1e3]])  # the second component gets no data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(2, means_init=means_init, max_iter=5, random_state=0).fit(X)
    assert np.all(np.isfinite(gm.covariances_))
    assert np.all(np.linalg.eigvalsh(gm.covariances_) > 0)
    assert np.isfinite(gm.score(X))


def test_failed_cholesky_names_reg_covar():
    X = np.full((20, 2), 3.0)
    with pytest.raises(ValueError, match="increase reg_covar"):
        GaussianMixture(1, reg_covar=0.0, random_state=0).fit(X)


def test_block_statistics_merge_over_chunks():
    X = blobs(1000, 3, 3, seed=18)
    w = np.random.default_rng(1).uniform(0, 2, size=len(X))
    gm = GaussianMixture(3, random_state=0).fit(X)
    params = gm._kernel_params(X.dtype)
    whole = _em.block_stats(X, w, *params)
    parts = _em.merge_stats(_em.block_stats(X[:337], w[:337], *params), _em.block_stats(X[337:], w[337:], *params))
    for a, b in zip(whole, parts):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # against the naive E-step: Σ w log p(x) and Σ w r (x - μ)
    log_norm, resp = e_step(X, gm.weights_, gm.means_, gm.covariances_)
    assert whole.loglik == pytest.approx(np.sum(w * log_norm), rel=1e-12)
    wr = resp * w[:, None]
    np.testing.assert_allclose(whole.nk, wr.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(whole.sum_dx, wr.T @ X - wr.sum(axis=0)[:, None] * gm.means_, atol=1e-9)
    # the M-step from the merged chunk statistics is the naive weighted M-step
    weights, means, covs, _ = params_from_stats(*parts[2:], gm.means_, "full", 1e-6, np.finfo(float).eps)
    ref = m_step(X, resp, "full", 1e-6, w)
    for ours, expected in zip((weights, means, covs), ref):
        np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_float32_weights_from_a_float32_fit_are_accepted_as_weights_init():
    X = blobs(2000, 3, 3, seed=4).astype(np.float32)
    first = GaussianMixture(3, random_state=0).fit(X)
    assert first.weights_.dtype == np.float32
    again = GaussianMixture(3, weights_init=first.weights_, means_init=first.means_,
                            precisions_init=first.precisions_).fit(X)
    np.testing.assert_allclose(again.weights_, first.weights_, rtol=1e-3)
    sk = SkGaussianMixture(3, weights_init=first.weights_, means_init=first.means_,
                           precisions_init=first.precisions_).fit(X)
    np.testing.assert_allclose(again.means_, sk.means_, rtol=1e-3)
    with pytest.raises(ValueError, match="must sum to 1"):
        GaussianMixture(3, weights_init=np.array([0.3, 0.3, 0.39], np.float32)).fit(X)


def test_read_only_inputs_compile_no_read_only_kernel(tmp_path):
    """Fitting read-only data, and predicting with an estimator whose fitted arrays are read-only
    memmaps (joblib's ``mmap_mode="r"``), hand the kernels writable arrays: Numba would otherwise
    compile each kernel again for its read-only array type (and GaussianMixture.predict once did,
    for a broadcast view of its log constants)."""
    import joblib
    from numba import types

    from fastgmm import BayesianGaussianMixture, KMeans
    from fastgmm.mixture import _lloyd

    X = blobs(300, 3, 2, 5)
    X.flags.writeable = False
    for est in (GaussianMixture(2, random_state=0), BayesianGaussianMixture(2, random_state=0),
                KMeans(2, n_init=1, random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X)
        joblib.dump(est, tmp_path / "est.pkl")
        loaded = joblib.load(tmp_path / "est.pkl", mmap_mode="r")
        loaded.predict(X)
        loaded.score(X)
        if isinstance(est, KMeans):
            loaded.transform(X)
            assert isinstance(loaded.cluster_centers_, np.memmap)
    for kernel in (_em.em_pass, _lloyd.assigned_stats, _lloyd._assign_inertia, _lloyd.distances):
        for signature in kernel.signatures:
            read_only = [t for t in signature if isinstance(t, types.Array) and not t.mutable]
            assert not read_only, f"{kernel.__name__} compiled for read-only arrays: {signature}"
