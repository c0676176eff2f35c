"""fastgmm.KMeans against scikit-learn's Lloyd KMeans and the naive reference in tests/naive/lloyd.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from naive.lloyd import naive_hard_assignment_stats, naive_kmeans_plusplus, naive_lloyd, sq_distances_in_dtype
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans

from fastgmm import KMeans, NotFittedError
from fastgmm.mixture._lloyd import hard_assignment_stats
from fastgmm.mixture.kmeans import kmeans_plusplus, lloyd


def blobs(n, d, k, seed, spread=1.0):
    """Gaussian blobs around k random centres (float64)."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-6, 6, size=(k, d))
    return means[rng.integers(0, k, size=n)] + spread * rng.normal(size=(n, d))


def random_init(X, k, seed):
    """k distinct rows of X, chosen independently of the code under test."""
    return X[np.random.default_rng(seed).choice(X.shape[0], size=k, replace=False)].copy()


def sk_fit(X, init, sample_weight=None, **kw):
    return SKKMeans(init.shape[0], init=init, n_init=1, algorithm="lloyd", **kw).fit(X, sample_weight=sample_weight)


def fit_no_warnings(km, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return km.fit(X, **kw)


CASES = [(400, 2, 3, 0), (2500, 3, 5, 1), (1500, 6, 8, 2), (3000, 3, 12, 3)]


@pytest.mark.parametrize("n, d, k, seed", CASES)
def test_float64_equals_sklearn(n, d, k, seed):
    X = blobs(n, d, k, seed)
    init = random_init(X, k, seed + 100)
    ours = fit_no_warnings(KMeans(k, init=init), X)
    ref = sk_fit(X, init)
    assert ours.n_iter_ > 1
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.cluster_centers_.dtype == np.float64 and ours.labels_.dtype == np.int32


@pytest.mark.parametrize("n, d, k, seed", CASES[:3])
def test_float32_close_to_sklearn(n, d, k, seed):
    X = blobs(n, d, k, seed).astype(np.float32)
    init = random_init(X, k, seed + 100)
    ours = fit_no_warnings(KMeans(k, init=init), X)
    ref = sk_fit(X, init)
    assert ours.cluster_centers_.dtype == np.float32
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-4, atol=1e-4)
    assert np.mean(ours.labels_ == ref.labels_) >= 0.999
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-4)
    assert abs(ours.n_iter_ - ref.n_iter_) <= 1


def test_max_iter_and_tol_semantics_match_sklearn():
    X = blobs(2000, 2, 6, 7, spread=2.5)
    init = random_init(X, 6, 8)
    for max_iter, tol in [(1, 1e-4), (3, 1e-4), (300, 1e-2), (300, 0.0)]:
        ours = KMeans(6, init=init, max_iter=max_iter, tol=tol).fit(X)
        ref = sk_fit(X, init, max_iter=max_iter, tol=tol)
        assert ours.n_iter_ == ref.n_iter_, (max_iter, tol)
        np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)


def test_sample_weight_equals_sklearn_and_repeated_rows():
    rng = np.random.default_rng(11)
    X = blobs(800, 3, 4, 11)
    counts = rng.integers(0, 4, size=X.shape[0])
    init = random_init(X[counts > 0], 4, 12)
    ours = fit_no_warnings(KMeans(4, init=init), X, sample_weight=counts)
    ref = sk_fit(X, init, sample_weight=counts.astype(float))
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert ours.n_iter_ == ref.n_iter_

    # integer weights == repeated rows (tol=0: the scaled tol depends on the unweighted variance)
    weighted = KMeans(4, init=init, tol=0.0).fit(X, sample_weight=counts)
    repeated = KMeans(4, init=init, tol=0.0).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-10)
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_array_equal(np.repeat(weighted.labels_, counts), repeated.labels_)


def test_empty_cluster_relocated_like_sklearn():
    X = blobs(600, 2, 3, 21)
    init = np.vstack([random_init(X, 3, 22), [[500.0, 500.0]]])  # the last centre attracts nothing
    ours = fit_no_warnings(KMeans(4, init=init), X)
    ref = sk_fit(X, init)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert ours.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_agrees_with_naive_reference_including_several_empty_clusters(dtype):
    rng = np.random.default_rng(31)
    X = blobs(700, 3, 4, 31).astype(dtype)
    w = rng.uniform(0.2, 3.0, size=X.shape[0])
    far = np.full((3, 3), 1e3) + np.arange(3)[:, None]  # three empty clusters at the first step
    init = np.vstack([random_init(X, 4, 32), far]).astype(dtype)
    ours = fit_no_warnings(KMeans(7, init=init), X, sample_weight=w)
    centers, labels, inertia, n_iter = naive_lloyd(X, w, init)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert np.isfinite(ours.cluster_centers_).all()
    np.testing.assert_allclose(ours.cluster_centers_, centers, rtol=rtol, atol=rtol)
    assert np.mean(ours.labels_ == labels) >= (1.0 if dtype == np.float64 else 0.999)
    assert ours.inertia_ == pytest.approx(inertia, rel=rtol)
    assert ours.n_iter_ == n_iter
    assert len(np.unique(ours.labels_)) == 7


def test_duplicate_points_no_nan_no_warning():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 20, axis=0)
    km = fit_no_warnings(KMeans(5, random_state=0), X)
    assert np.isfinite(km.cluster_centers_).all()
    assert km.inertia_ == pytest.approx(0.0, abs=1e-12)
    km = fit_no_warnings(KMeans(2, init="random", random_state=0), np.zeros((10, 3)))
    np.testing.assert_array_equal(km.cluster_centers_, 0.0)


def test_lloyd_function_matches_estimator_without_labels():
    X = blobs(1500, 3, 5, 41).astype(np.float32)
    init = random_init(X, 5, 42)
    w = np.random.default_rng(43).uniform(0.5, 2.0, size=X.shape[0])
    km = KMeans(5, init=init).fit(X, sample_weight=w)
    centers, inertia, n_iter = lloyd(X, w, init)
    np.testing.assert_array_equal(centers, km.cluster_centers_)
    assert inertia == km.inertia_ and n_iter == km.n_iter_
    centers1, inertia1, _ = lloyd(X, None, init, max_iter=2)
    ref = KMeans(5, init=init.tolist(), max_iter=2).fit(X)
    np.testing.assert_array_equal(centers1, ref.cluster_centers_)
    assert inertia1 == ref.inertia_
    np.testing.assert_array_equal(lloyd(X, np.ones(X.shape[0]), init, max_iter=2)[0], centers1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hard_assignment_stats_against_naive(dtype):
    rng = np.random.default_rng(51)
    X = (blobs(900, 3, 4, 51) + 100.0).astype(dtype)
    w = rng.uniform(0.0, 2.0, size=X.shape[0])
    centers = random_init(X, 4, 52).astype(np.float64)
    for weights in (w, None):
        nk, sum_x, scatter = hard_assignment_stats(X, weights, centers)
        rnk, rsum, rscatter = naive_hard_assignment_stats(X, weights, centers)
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(nk, rnk, rtol=1e-12)
        np.testing.assert_allclose(sum_x, rsum, rtol=rtol)
        np.testing.assert_allclose(scatter, rscatter, rtol=rtol, atol=rtol * np.abs(rscatter).max())
        assert nk.dtype == sum_x.dtype == scatter.dtype == np.float64
    # same nearest-centre rule as the estimator's labels
    km = KMeans(4, init=centers.astype(dtype), max_iter=1).fit(X)
    nk, _, _ = hard_assignment_stats(X, None, km.cluster_centers_)
    np.testing.assert_array_equal(nk, np.bincount(km.predict(X), minlength=4))


@pytest.mark.parametrize("weighted", [False, True])
def test_kmeans_plusplus_matches_naive_and_is_deterministic(weighted):
    X = blobs(1200, 3, 6, 61)
    w = None
    if weighted:
        w = np.random.default_rng(62).uniform(0, 1, size=X.shape[0])
        w[::3] = 0.0
    centers = kmeans_plusplus(X, 9, sample_weight=w, random_state=5)
    ids = naive_kmeans_plusplus(X, 9, sample_weight=w, seed=5)
    np.testing.assert_array_equal(centers, X[ids])
    assert len(np.unique(centers, axis=0)) == 9
    if weighted:
        assert (w[ids] > 0).all()
    np.testing.assert_array_equal(centers, kmeans_plusplus(X, 9, sample_weight=w, random_state=5))
    assert not np.array_equal(centers, kmeans_plusplus(X, 9, sample_weight=w, random_state=6))
    c32 = kmeans_plusplus(X.astype(np.float32), 9, random_state=np.random.default_rng(5))
    assert c32.dtype == np.float32 and len(np.unique(c32, axis=0)) == 9


def test_kmeans_plusplus_fit_is_good_and_n_init_keeps_best():
    X = blobs(1500, 2, 5, 71, spread=0.3)
    km = KMeans(5, random_state=0).fit(X)
    ref = SKKMeans(5, n_init=10, random_state=0).fit(X)
    assert km.inertia_ <= 1.5 * ref.inertia_
    best = KMeans(5, n_init=4, random_state=3).fit(X)
    single = KMeans(5, n_init=1, random_state=3).fit(X)
    assert best.inertia_ <= single.inertia_
    again = KMeans(5, init="random", random_state=3).fit(X)
    assert again.inertia_ == KMeans(5, init="random", random_state=3).fit(X).inertia_


def test_predict_fit_predict_and_clone():
    X = blobs(500, 2, 3, 81)
    km = KMeans(3, random_state=1, max_iter=50)
    labels = km.fit_predict(X)
    np.testing.assert_array_equal(labels, km.labels_)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.predict(X.astype(np.float32)), km.labels_)
    assert km.n_features_in_ == 2
    c = clone(km)
    assert c.get_params() == km.get_params() and not hasattr(c, "cluster_centers_")
    assert c.set_params(n_clusters=4).n_clusters == 4
    with pytest.raises(ValueError, match="Invalid parameter"):
        c.set_params(n_component=2)


def bad_fit(exc, match, X=None, **params):
    X = blobs(30, 2, 2, 0) if X is None else X
    with pytest.raises(exc, match=match):
        KMeans(**params).fit(X)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        (dict(n_clusters=0), ValueError, "n_clusters"),
        (dict(n_clusters=2.5), TypeError, "n_clusters"),
        (dict(n_clusters=31), ValueError, "at least 31"),
        (dict(n_clusters=2, n_init=0), ValueError, "n_init"),
        (dict(n_clusters=2, max_iter=0), ValueError, "max_iter"),
        (dict(n_clusters=2, tol=-1.0), ValueError, "tol"),
        (dict(n_clusters=2, tol="small"), TypeError, "tol"),
        (dict(n_clusters=2, init="kmeans"), ValueError, "init"),
        (dict(n_clusters=2, init=np.zeros((3, 2))), ValueError, "shape"),
        (dict(n_clusters=2, init=np.zeros((2, 3))), ValueError, "shape"),
        (dict(n_clusters=2, init=np.array([[0.0, np.nan], [1.0, 1.0]])), ValueError, "NaN"),
        (dict(n_clusters=2, init=len), TypeError, "init"),
        (dict(n_clusters=2, random_state="seed"), TypeError, "random_state"),
    ],
)
def test_bad_parameters(params, exc, match):
    bad_fit(exc, match, **params)


def test_bad_data():
    X = blobs(30, 2, 2, 0)
    bad_fit(ValueError, "NaN", X=np.where(np.arange(60).reshape(30, 2) == 7, np.nan, X), n_clusters=2)
    bad_fit(ValueError, "NaN or infinity", X=np.where(np.arange(60).reshape(30, 2) == 7, np.inf, X), n_clusters=2)
    bad_fit(ValueError, "2-D", X=X[:, 0], n_clusters=2)
    bad_fit(TypeError, "real numbers", X=np.array([["a", "b"]] * 5), n_clusters=2)
    with pytest.raises(ValueError, match="non-negative"):
        KMeans(2).fit(X, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="shape"):
        KMeans(2).fit(X, sample_weight=np.ones(29))
    with pytest.raises(NotFittedError):
        KMeans(2).predict(X)
    km = KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(np.ones((3, 3)))
    with pytest.raises(ValueError, match="n_clusters"):
        kmeans_plusplus(X, 0)
    with pytest.raises(ValueError, match="at least 40"):
        kmeans_plusplus(X, 40)


def test_weighted_search_is_searchsorted_right():
    from fastgmm.mixture._lloyd import weighted_search

    rng = np.random.default_rng(91)
    w = rng.uniform(0, 1, size=500)
    w[rng.integers(0, 500, size=100)] = 0.0
    closest = rng.uniform(0, 2, size=500)
    cum = np.cumsum(w * closest)
    targets = np.sort(np.concatenate([rng.uniform(0, cum[-1], size=20), [0.0, cum[5]]]))
    np.testing.assert_array_equal(
        weighted_search(500, w, closest, targets), np.searchsorted(cum, targets, side="right")
    )
    last_positive = np.flatnonzero(w * closest > 0)[-1]
    assert weighted_search(500, w, closest, np.array([cum[-1] * 2]))[0] == last_positive
    np.testing.assert_array_equal(weighted_search(4, np.empty(0), np.empty(0), np.array([0.0, 2.5, 9.0])), [0, 2, 3])


def test_farthest_points_order_and_ties():
    from fastgmm.mixture._lloyd import farthest_points

    X = np.array([[0.0], [3.0], [-3.0], [1.0], [3.0], [10.0], [9.5]])
    centers = np.array([[0.0], [10.0]])
    rows, labels = farthest_points(X, centers, 4)
    # distances to the nearest centre: 0, 9, 9, 1, 9, 0, 0.25 -> rows 1, 2, 4 (tied, by index), then 3
    np.testing.assert_array_equal(rows, [1, 2, 4, 3])
    np.testing.assert_array_equal(labels, [0, 0, 0, 0])


def test_results_are_bitwise_reproducible():
    """Sums have one fixed order: no dependence on memory addresses or on storing labels."""
    from fastgmm.mixture._lloyd import assign_inertia

    X = blobs(1500, 2, 5, 71, spread=0.3)
    centers = KMeans(5, init="random", random_state=3).fit(X).cluster_centers_
    values = set()
    keep = []
    for size in np.random.default_rng(0).integers(1, 400, size=200):
        keep = keep[-20:] + [np.empty(size)]  # move the kernels' buffers around the heap
        values.add(assign_inertia(X, np.empty(0), centers, np.empty(X.shape[0], dtype=np.int32)))
        values.add(assign_inertia(X, np.empty(0), centers, np.empty(0, dtype=np.int32)))
    assert len(values) == 1
    assert lloyd(X, None, centers)[1] == KMeans(5, init=centers).fit(X).inertia_


def tie_rows(d, k, offset, dtype, seed):
    """Rows exactly between two centres and rows a few units in the last place off that: ties and
    near-ties of the difference form, ``offset`` away from the origin; with ``k`` centres (pairs
    ``c_a = b + e``, ``c_b = b - e`` around small integer points ``b``)."""
    rng = np.random.default_rng(seed)
    half = k // 2
    base = rng.integers(-6, 7, size=(half, d)).astype(np.float64)
    e = rng.integers(1, 3, size=(half, d)).astype(np.float64)
    centers = (np.concatenate([base + e, base - e]) + offset).astype(dtype)
    X = (np.repeat(base, 80, axis=0) + offset).astype(dtype)
    steps = rng.integers(-3, 4, size=X.shape) * (rng.random(X.shape[0]) < 0.75)[:, None]
    X = X + steps * np.spacing(np.abs(X))  # 1/4 of the rows exact ties, the others nudged by a few ulps
    return np.ascontiguousarray(X, dtype=dtype), centers


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d, k, offset", [(8, 16, 0.0), (8, 16, 3e3), (5, 8, 1e2), (11, 12, 50.0)])
def test_expanded_search_gives_the_difference_form_labels_on_ties(d, k, offset, dtype):
    """The float32 expanded-form ranking must settle every tie and near-tie exactly: labels, distances
    (through the inertia) and the elkan full pass as the difference form in X's dtype."""
    from fastgmm.mixture._lloyd import YinyangPasses, assign_inertia, features_tag, labelled_inertia

    X, centers = tie_rows(d, k, offset, dtype, 7 + d)
    dist = sq_distances_in_dtype(X, centers)
    expected = dist.argmin(axis=1)
    ties = (dist == dist.min(axis=1, keepdims=True)).sum(axis=1) > 1
    assert 0.1 < ties.mean() < 0.5  # the data has exact ties, and rows that are not
    labels = np.empty(X.shape[0], dtype=np.int32)
    inertia = assign_inertia(X, np.empty(0), centers, labels)
    np.testing.assert_array_equal(labels, expected)
    assert inertia == labelled_inertia(X, np.empty(0), centers, expected.astype(np.int32), features_tag(d))
    yinyang_labels, _ = YinyangPasses(X).labels_inertia(X, np.empty(0), centers)
    np.testing.assert_array_equal(yinyang_labels, expected)
    nk, sum_x, _ = hard_assignment_stats(X, None, centers)
    np.testing.assert_array_equal(nk, np.bincount(expected, minlength=k))


ELKAN_CASES = [(3000, 3, 5, 41, np.float64, 0.0), (3000, 8, 64, 42, np.float64, 0.0),
               (4000, 2, 16, 43, np.float32, 0.0), (2000, 3, 7, 44, np.float64, 1e6),
               (1500, 1, 3, 45, np.float64, 0.0), (2000, 5, 1, 46, np.float64, 0.0)]


@pytest.mark.parametrize("n, d, k, seed, dtype, offset", ELKAN_CASES)
@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_elkan_is_bitwise_lloyd_and_equals_sklearn(n, d, k, seed, dtype, offset, tol):
    X = (offset + blobs(n, d, k, seed)).astype(dtype)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, size=n)
    init = random_init(X, k, seed + 100)
    lloyd_fit = fit_no_warnings(KMeans(k, init=init, tol=tol, algorithm="lloyd"), X, sample_weight=w)
    elkan_fit = fit_no_warnings(KMeans(k, init=init, tol=tol, algorithm="elkan"), X, sample_weight=w)
    np.testing.assert_array_equal(elkan_fit.cluster_centers_, lloyd_fit.cluster_centers_)
    np.testing.assert_array_equal(elkan_fit.labels_, lloyd_fit.labels_)
    assert elkan_fit.inertia_ == lloyd_fit.inertia_ and elkan_fit.n_iter_ == lloyd_fit.n_iter_
    if dtype == np.float64:
        ref = sk_fit(X, init, sample_weight=w, tol=tol)
        np.testing.assert_array_equal(elkan_fit.labels_, ref.labels_)
        np.testing.assert_allclose(elkan_fit.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-9)
        assert elkan_fit.n_iter_ == ref.n_iter_


def test_elkan_with_several_runs_is_bitwise_lloyd():
    """n_init > 1: the labels and inertia come from the kept run's bounded passes."""
    X = blobs(3000, 8, 20, 52)
    lloyd_fit, elkan_fit = (KMeans(20, n_init=3, random_state=0, algorithm=a).fit(X) for a in ("lloyd", "elkan"))
    np.testing.assert_array_equal(elkan_fit.cluster_centers_, lloyd_fit.cluster_centers_)
    np.testing.assert_array_equal(elkan_fit.labels_, lloyd_fit.labels_)
    assert elkan_fit.inertia_ == lloyd_fit.inertia_ and elkan_fit.n_iter_ == lloyd_fit.n_iter_


def test_elkan_with_empty_clusters_equals_naive_reference():
    X = blobs(700, 3, 4, 47)
    far = np.full((3, 3), 1e3) + np.arange(3)[:, None]
    init = np.vstack([random_init(X, 4, 48), far])
    ours = fit_no_warnings(KMeans(7, init=init, algorithm="elkan"), X)
    centers, labels, inertia, n_iter = naive_lloyd(X, None, init)
    np.testing.assert_allclose(ours.cluster_centers_, centers, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours.labels_, labels)
    assert ours.n_iter_ == n_iter


def test_n_init_auto_as_sklearn():
    X = blobs(500, 2, 4, 49)
    assert KMeans().n_init == "auto"
    # "auto": one k-means++ run (the first run of n_init=3 with the same seed), ten "random" runs
    one = KMeans(4, random_state=0).fit(X)
    first = KMeans(4, random_state=0, n_init=1).fit(X)
    np.testing.assert_array_equal(one.cluster_centers_, first.cluster_centers_)
    ten = KMeans(4, init="random", random_state=0).fit(X)
    explicit_ten = KMeans(4, init="random", random_state=0, n_init=10).fit(X)
    np.testing.assert_array_equal(ten.cluster_centers_, explicit_ten.cluster_centers_)
    with pytest.raises(ValueError, match="n_init"):
        KMeans(2, n_init="warm").fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(2, algorithm="full").fit(X)


def test_transform_score_fit_transform_equal_sklearn():
    X = blobs(400, 3, 5, 50)
    init = random_init(X, 5, 51)
    ours = KMeans(5, init=init, algorithm="elkan").fit(X)
    ref = sk_fit(X, init)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-10)
    np.testing.assert_allclose(KMeans(5, init=init).fit_transform(X), ref.transform(X), rtol=1e-10)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)


@pytest.mark.parametrize("fraction", [0.0, np.inf])
@pytest.mark.parametrize("n, d, k, dtype", [(3000, 8, 40, np.float64), (2500, 10, 23, np.float64),
                                             (2500, 3, 17, np.float32)])
def test_yinyang_passes_equal_lloyd_passes_bitwise(monkeypatch, fraction, n, d, k, dtype):
    """Every pass, bounded (fraction inf: plain, full, then bounded passes only) or cycling through
    plain, full and bounded passes (fraction 0: every bounded pass starts probing again), gives
    lloyd_pass's sums bitwise; d=10 runs the loops not specialised by d."""
    from fastgmm.mixture import _lloyd

    monkeypatch.setattr(_lloyd.YinyangPasses, "FULL_PASS_FRACTION", fraction)
    monkeypatch.setattr(_lloyd.YinyangPasses, "PROBE_FRACTION", np.inf)  # full once the probe has bounds
    X = blobs(n, d, k, 60 + d, spread=1.5).astype(dtype)
    w = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    centers = random_init(X, k, 61)
    passes = _lloyd.YinyangPasses(X)
    for _ in range(12):
        sums, weights = np.empty((k, d)), np.empty(k)
        ref_sums, ref_weights = np.empty((k, d)), np.empty(k)
        passes(X, w, centers, sums, weights)
        _lloyd.lloyd_pass(X, w, centers, ref_sums, ref_weights)
        np.testing.assert_array_equal(sums, ref_sums)
        np.testing.assert_array_equal(weights, ref_weights)
        filled = weights > 0
        centers = centers.copy()
        centers[filled] = (sums[filled] / weights[filled, None]).astype(dtype)
    labels = np.empty(n, dtype=np.int32)
    _lloyd.assign_inertia(X, w, centers, labels)
    passes(X, w, centers, sums, weights)
    np.testing.assert_array_equal(passes.labels, labels)


def test_bounds_rounded_to_float32_stay_bounds():
    """The elkan passes store bounds in float32: upper bounds rounded up, lower bounds down, over the
    whole float64 range (subnormal, beyond float32's range, infinite), at most 2**-22 apart."""
    from fastgmm.mixture._lloyd import _down32, _up32

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20_000) * 10.0 ** rng.integers(-50, 45, 20_000),
                        [0.0, 1e-46, -1e-46, 1e-40, -1e-40, 3.5e38, -3.5e38, 1e300, -1e300, np.inf, -np.inf, 1.0]])
    up = np.array([_up32(v) for v in x])
    down = np.array([_down32(v) for v in x])
    for bound in (up, down):  # float32 values (returned to Python as floats)
        np.testing.assert_array_equal(bound.astype(np.float32).astype(np.float64), bound)
    assert np.all(up >= x) and np.all(down <= x)
    normal = (np.abs(x) > 1e-37) & (np.abs(x) < 3e38)
    assert np.all(up[normal] - x[normal] <= 2.0 ** -22 * np.abs(x[normal]))
    assert np.all(x[normal] - down[normal] <= 2.0 ** -22 * np.abs(x[normal]))
