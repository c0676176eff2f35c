"""fastgmm.BayesianGaussianMixture against scikit-learn (same initial responsibilities) and a naive VB E-step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from naive.em import full_covariances
from naive.variational import one_hot_init, variational_log_resp
from sklearn.base import clone

from fastgmm import BayesianGaussianMixture, ConvergenceWarning
from fastgmm.mixture import _special

COV_TYPES = ["full", "tied", "diag", "spherical"]
PRIOR_TYPES = ["dirichlet_process", "dirichlet_distribution"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_", "mean_precision_",
         "degrees_of_freedom_"]


def blobs(n: int, d: int, k: int, seed: int = 0, *, spread: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * spread
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return centres[labels] + rng.normal(size=(n, d)) * scales[labels]


def fit_both(X, centres, sample_weight=None, **kw):
    sk_cls, ours_cls = one_hot_init(centres)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = sk_cls(**kw).fit(X)
        ours = ours_cls(**kw).fit(X, sample_weight=sample_weight)
    return sk, ours


def assert_same(ours, sk, rtol=1e-7):
    for name in ATTRS:
        np.testing.assert_allclose(np.asarray(getattr(ours, name)), np.asarray(getattr(sk, name)), rtol=rtol,
                                   atol=1e-12, err_msg=name)
    conc_o, conc_s = ours.weight_concentration_, sk.weight_concentration_
    np.testing.assert_allclose(np.asarray(conc_o), np.asarray(conc_s), rtol=rtol)
    np.testing.assert_allclose(ours.lower_bound_, np.ravel(sk.lower_bound_)[0], rtol=rtol)
    assert ours.n_iter_ == sk.n_iter_ and ours.converged_ == sk.converged_


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_equals_sklearn_from_same_init(covariance_type, prior_type):
    X = blobs(600, 3, 4, seed=1)
    centres = X[np.random.default_rng(2).choice(len(X), 6, replace=False)]
    kw = dict(n_components=6, covariance_type=covariance_type, weight_concentration_prior_type=prior_type,
              max_iter=40, tol=1e-6)
    sk, ours = fit_both(X, centres, **kw)
    assert_same(ours, sk)
    np.testing.assert_allclose(ours.lower_bounds_, np.ravel(sk.lower_bounds_), rtol=1e-7)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.score_samples(X), sk.score_samples(X), rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_equals_sklearn_with_explicit_priors(covariance_type):
    X = blobs(400, 2, 3, seed=5)
    d = 2
    covariance_prior = {"full": np.array([[2.0, 0.3], [0.3, 1.0]]), "tied": np.array([[2.0, 0.3], [0.3, 1.0]]),
                        "diag": np.array([2.0, 0.5]), "spherical": 1.5}[covariance_type]
    centres = X[:4]
    kw = dict(n_components=4, covariance_type=covariance_type, weight_concentration_prior=0.01,
              mean_precision_prior=0.5, mean_prior=np.full(d, 0.25), degrees_of_freedom_prior=3.5,
              covariance_prior=covariance_prior, max_iter=25, tol=0.0)
    sk, ours = fit_both(X, centres, **kw)
    assert_same(ours, sk)
    assert ours.mean_prior_.tolist() == [0.25, 0.25] and ours.degrees_of_freedom_prior_ == 3.5


def test_e_step_matches_naive_variational_reference():
    X = blobs(300, 3, 3, seed=3)
    for prior_type in PRIOR_TYPES:
        for ct in COV_TYPES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m = BayesianGaussianMixture(4, covariance_type=ct, weight_concentration_prior_type=prior_type,
                                            max_iter=5, random_state=0).fit(X)
            covs = full_covariances(m.covariances_, ct, 4, 3)
            norm, log_resp = variational_log_resp(X, m.weight_concentration_, prior_type, m.means_, covs,
                                                  m.degrees_of_freedom_, m.mean_precision_)
            np.testing.assert_allclose(m.score_samples(X), norm, rtol=1e-10, err_msg=f"{prior_type} {ct}")
            np.testing.assert_allclose(m.predict_proba(X), np.exp(log_resp), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_weight_equals_repeated_rows(covariance_type):
    X = blobs(300, 2, 3, seed=7)
    counts = np.random.default_rng(8).integers(0, 4, size=len(X))
    counts[:5] = 1
    centres = X[:5]
    _, ours_cls = one_hot_init(centres)
    kw = dict(n_components=5, covariance_type=covariance_type, max_iter=20, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = ours_cls(**kw).fit(X, sample_weight=counts)
        repeated = ours_cls(**kw).fit(np.repeat(X, counts, axis=0))
    for name in ATTRS:
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), rtol=1e-9, err_msg=name)
    np.testing.assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-10)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_params_fits_and_dirichlet_process_prunes(init_params):
    X = blobs(1500, 2, 3, seed=11, spread=6.0)
    m = BayesianGaussianMixture(8, weight_concentration_prior=1e-3, init_params=init_params, max_iter=300,
                                random_state=0).fit(X)
    assert m.converged_
    kept = int(np.sum(m.weights_ > 0.02))
    assert kept == 3
    np.testing.assert_allclose(m.weights_.sum(), 1.0)


def test_float32_matches_float64():
    X = blobs(800, 3, 3, seed=12)
    m64 = BayesianGaussianMixture(3, random_state=0, max_iter=50).fit(X)
    m32 = BayesianGaussianMixture(3, random_state=0, max_iter=50).fit(X.astype(np.float32))
    assert m32.means_.dtype == np.float32
    np.testing.assert_allclose(m32.means_, m64.means_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(m32.weights_, m64.weights_, rtol=1e-4, atol=1e-5)


def test_n_init_keeps_best_and_warm_start_continues():
    X = blobs(500, 2, 4, seed=13)
    best = BayesianGaussianMixture(4, n_init=3, random_state=1, init_params="random", max_iter=200).fit(X)
    first = clone(best).set_params(n_init=1).fit(X)  # the first of best's three runs (same generator state)
    assert best.lower_bound_ >= first.lower_bound_
    # warm start: 5 + 5 iterations equal 10 iterations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ten = BayesianGaussianMixture(4, max_iter=10, tol=0.0, random_state=0).fit(X)
        warm = BayesianGaussianMixture(4, max_iter=5, tol=0.0, random_state=0, warm_start=True).fit(X)
        warm.fit(X)
    np.testing.assert_allclose(warm.means_, ten.means_, rtol=1e-12)
    np.testing.assert_allclose(warm.lower_bound_, ten.lower_bound_, rtol=1e-12)


def test_dask_array_equals_in_memory():
    da = pytest.importorskip("dask.array")
    X = blobs(3000, 3, 4, seed=14)
    w = np.random.default_rng(15).uniform(0.5, 2.0, size=len(X))
    kw = dict(n_components=5, random_state=0, max_iter=30, tol=0.0, init_params="k-means++")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mem = BayesianGaussianMixture(**kw).fit(X, sample_weight=w)
        import dask

        with dask.config.set(scheduler="synchronous"):
            lazy = BayesianGaussianMixture(**kw).fit(da.from_array(X, chunks=700), sample_weight=da.from_array(w, 700))
            proba = lazy.predict_proba(da.from_array(X, chunks=700)).compute()
    for name in ATTRS:
        np.testing.assert_allclose(getattr(lazy, name), getattr(mem, name), rtol=1e-8, err_msg=name)
    np.testing.assert_allclose(proba, mem.predict_proba(X), rtol=1e-7, atol=1e-12)


def test_invalid_priors_raise_actionable_errors():
    X = blobs(50, 3, 2, seed=16)
    with pytest.raises(ValueError, match="degrees_of_freedom_prior must be greater than n_features - 1 = 2"):
        BayesianGaussianMixture(2, degrees_of_freedom_prior=1.5).fit(X)
    with pytest.raises(ValueError, match="mean_prior must have shape"):
        BayesianGaussianMixture(2, mean_prior=[0.0, 1.0]).fit(X)
    with pytest.raises(ValueError, match="symmetric positive definite"):
        BayesianGaussianMixture(2, covariance_prior=-np.eye(3)).fit(X)
    with pytest.raises(ValueError, match="weight_concentration_prior_type"):
        BayesianGaussianMixture(2, weight_concentration_prior_type="dirichlet").fit(X)
    with pytest.raises(ValueError, match="weight_concentration_prior must be > 0"):
        BayesianGaussianMixture(2, weight_concentration_prior=0.0).fit(X)


def test_special_functions_match_scipy():
    x = np.concatenate([np.geomspace(1e-8, 1e8, 400), np.linspace(0.05, 25.0, 400)])
    np.testing.assert_allclose(_special.digamma(x), scipy.special.digamma(x), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(_special.gammaln(x), scipy.special.gammaln(x), rtol=1e-14, atol=1e-14)
    # betaln is a difference of lgamma values: its absolute error is ~ eps x lgamma(a + b) (1e-7 at a + b = 1e8)
    scale = np.abs(scipy.special.gammaln(x + x[::-1])) + 1.0
    err = np.abs(_special.betaln(x, x[::-1]) - scipy.special.betaln(x, x[::-1]))
    assert np.all(err <= 8 * np.finfo(float).eps * scale)
