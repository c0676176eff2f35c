"""fastgmm.GaussianMixture rejects bad input with clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from fastgmm import GaussianMixture, NotFittedError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 2))


@pytest.mark.parametrize(
    "data, error, match",
    [
        (np.arange(10.0), ValueError, "2-D"),
        (np.zeros((0, 2)), ValueError, "empty"),
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]), ValueError, "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 4.0]]), ValueError, "NaN or infinity"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "real numbers"),
        (X[:2], ValueError, "at least 3"),
    ],
)
def test_bad_X(data, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(3).fit(data)


@pytest.mark.parametrize("scale, dtype", [(1e160, np.float64), (1e300, np.float64), (1e18, np.float32)])
def test_values_whose_squares_overflow_are_an_error_not_nan(scale, dtype):
    # before: NaN means (GaussianMixture) and an infinite inertia (KMeans), with only RuntimeWarnings
    from fastgmm import KMeans

    big = (X * scale).astype(dtype)
    for est in (GaussianMixture(3, random_state=0), KMeans(3, random_state=0)):
        with pytest.raises(ValueError, match="squares summed over 40 samples overflow .*Rescale X"):
            est.fit(big)
    fitted = GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="overflow"):
        fitted.predict(big.astype(np.float64) * 1e150 if dtype == np.float32 else big)


def test_large_but_safe_values_fit_like_scaled_ones():
    # 1e100 is far below the limit: the fit is the unit-scale fit, scaled (reg_covar 0: it does not scale)
    a = GaussianMixture(2, random_state=0, reg_covar=0.0).fit(X)
    b = GaussianMixture(2, random_state=0, reg_covar=0.0).fit(X * 1e100)
    np.testing.assert_allclose(b.means_, a.means_ * 1e100, rtol=1e-6)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(n_components=0), ValueError, "n_components"),
        (dict(n_components=1.5), TypeError, "n_components"),
        (dict(covariance_type="banana"), ValueError, "covariance_type"),
        (dict(init_params="kmeans+++"), ValueError, "init_params"),
        (dict(reg_covar=-1e-6), ValueError, "reg_covar"),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(n_init=0), ValueError, "n_init"),
    ],
)
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(**{"n_components": 2, **params}).fit(X)


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(len(X)), "non-negative"),
        (np.zeros(len(X)), "zero everywhere"),
        (np.ones(len(X) - 1), "shape"),
        (np.r_[1.0, np.zeros(len(X) - 1)], "positive entries"),
    ],
)
def test_bad_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2).fit(X, sample_weight=weights)


@pytest.mark.parametrize(
    "covariance_type, params, match",
    [
        ("full", dict(weights_init=[0.5, 0.4]), "sum to 1"),
        ("full", dict(weights_init=[1.5, -0.5]), r"\[0, 1\]"),
        ("full", dict(weights_init=[1.0]), "shape"),
        ("full", dict(means_init=np.zeros((2, 3))), "means_init must have shape"),
        ("full", dict(precisions_init=np.ones((2, 2))), "precisions_init must have shape"),
        ("full", dict(precisions_init=np.stack([np.eye(2), -np.eye(2)])), "positive definite"),
        ("tied", dict(precisions_init=np.array([[1.0, 2.0], [2.0, 1.0]])), "positive definite"),
        ("diag", dict(precisions_init=np.array([[1.0, 0.0], [1.0, 1.0]])), "positive"),
        ("spherical", dict(precisions_init=np.ones((2, 2))), "shape"),
    ],
)
def test_bad_init_arrays(covariance_type, params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2, covariance_type=covariance_type, **params).fit(X)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic"])
def test_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(GaussianMixture(2), method)(X)


def test_sample_needs_fit_and_positive_count():
    with pytest.raises(NotFittedError):
        GaussianMixture(2).sample(3)
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_samples"):
        gm.sample(0)


def test_feature_count_must_match_fit():
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="fitted with 2 features"):
        gm.predict(np.zeros((5, 3)))
