"""Our estimators inside scikit-learn's own machinery, against the installed scikit-learn."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning  # noqa: E402
from sklearn.exceptions import NotFittedError as SkNotFittedError  # noqa: E402
from sklearn.mixture import GaussianMixture as SkGaussianMixture  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from fastgmm import ConvergenceWarning, GaussianMixture, KMeans, NotFittedError  # noqa: E402


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(0.0, 1.0, (400, 2)), rng.normal((7.0, 3.0), 1.0, (400, 2))])


def test_pipeline_fit_predict_equals_the_estimator_on_scaled_data(blobs):
    pipe = make_pipeline(StandardScaler(), GaussianMixture(2, random_state=0)).fit(blobs)
    alone = GaussianMixture(2, random_state=0).fit(StandardScaler().fit_transform(blobs))
    np.testing.assert_array_equal(pipe.predict(blobs), alone.predict(StandardScaler().fit_transform(blobs)))
    assert pipe.score(blobs) == pytest.approx(alone.score(StandardScaler().fit_transform(blobs)), rel=1e-12)


def test_grid_search_over_a_pipeline_selects_what_scikit_learns_mixture_selects(blobs):
    results = {}
    for name, est in (("ours", GaussianMixture(random_state=0)), ("sklearn", SkGaussianMixture(random_state=0))):
        pipe = make_pipeline(StandardScaler(), est)
        step = pipe.steps[-1][0]
        search = GridSearchCV(pipe, {f"{step}__n_components": [1, 2, 3]}, cv=KFold(3)).fit(blobs)
        scores = search.cv_results_["mean_test_score"]
        assert np.isfinite(scores).all(), f"{name}: a fold failed silently ({scores})"
        results[name] = (search.best_params_[f"{step}__n_components"], scores)
    assert results["ours"][0] == results["sklearn"][0] == 2
    # one and two components have one optimum, which both libraries reach
    np.testing.assert_allclose(results["ours"][1][:2], results["sklearn"][1][:2], rtol=1e-6)


def test_cross_val_score_of_kmeans_equals_scikit_learns_from_the_same_init(blobs):
    init = blobs[[0, 1, 500]]
    ours = cross_val_score(KMeans(3, init=init), blobs, cv=KFold(4))
    theirs = cross_val_score(SkKMeans(3, init=init, n_init=1, algorithm="lloyd"), blobs, cv=KFold(4))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_cross_val_score_of_gaussian_mixture_equals_scikit_learns_from_the_same_init(blobs):
    kw = dict(n_components=2, means_init=[[0.0, 0.0], [7.0, 3.0]], tol=1e-8)
    ours = cross_val_score(GaussianMixture(**kw), blobs, cv=KFold(4))
    theirs = cross_val_score(SkGaussianMixture(**kw), blobs, cv=KFold(4))
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)


def test_kmeans_transform_and_score_equal_scikit_learns(blobs):
    init = blobs[[0, 500]]
    ours = KMeans(2, init=init).fit(blobs)
    theirs = SkKMeans(2, init=init, n_init=1, algorithm="lloyd").fit(blobs)
    np.testing.assert_allclose(ours.transform(blobs), theirs.transform(blobs), rtol=1e-12)
    np.testing.assert_allclose(ours.fit_transform(blobs), theirs.fit_transform(blobs), rtol=1e-12)
    assert ours.score(blobs) == pytest.approx(theirs.score(blobs), rel=1e-12)


@pytest.mark.parametrize("make", [lambda: GaussianMixture(3, tol=1e-4), lambda: KMeans(4, random_state=1)])
def test_clone_and_check_is_fitted(make, blobs):
    est = make()
    copy = clone(est)
    assert copy is not est and copy.get_params() == est.get_params()
    with pytest.raises(SkNotFittedError):
        check_is_fitted(copy)
    check_is_fitted(copy.fit(blobs))


def test_our_errors_and_warnings_are_scikit_learns():
    assert issubclass(NotFittedError, SkNotFittedError)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert issubclass(ConvergenceWarning, SkConvergenceWarning) and issubclass(ConvergenceWarning, UserWarning)
    with pytest.raises(SkNotFittedError):
        KMeans().predict(np.zeros((3, 2)))
    X = np.random.default_rng(1).normal(size=(300, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=SkConvergenceWarning)  # a filter written for scikit-learn
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)


@pytest.mark.slow
def test_import_fastgmm_and_fitting_never_import_scikit_learn():
    code = (
        "import sys, numpy as np, fastgmm\n"
        "fastgmm.GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(50, 2)))\n"
        "fastgmm.BackgroundSubtractorMOG2().apply(np.zeros((4, 4, 3), np.uint8))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "[]"
