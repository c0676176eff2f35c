"""GaussianMixture and KMeans on dask arrays, on a 2-process LocalCluster: equal to the in-memory fits.

The in-memory path is itself tested against scikit-learn (test_mixture.py, test_kmeans.py), so
equality with it (rtol 1e-8 from the same explicit init) is the reference here.  Every in-memory
reference is computed before the dask fit, so the workers load the kernels the driver compiled.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")]

from dask_cluster import compile_mixture_kernels, local_cluster_client  # noqa: E402

from fastgmm import GaussianMixture, KMeans  # noqa: E402
from fastgmm.mixture import _dask  # noqa: E402

COV_TYPES = ("full", "tied", "diag", "spherical")
PARAMS = ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_")
RTOL = 1e-8


@pytest.fixture(scope="module")
def client():
    with local_cluster_client() as client:
        compile_mixture_kernels(client)
        yield client


def _blobs(n=3000, d=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 5.0, 0.0], [0.0, 6.0, 7.0]])[:, :d]
    X = np.concatenate([rng.normal(size=(n // 3, d)) * (0.5 + k) + centres[k] for k in range(3)])
    return X[rng.permutation(len(X))].astype(dtype)


def _explicit_init(X, covariance_type, K=3):
    d = X.shape[1]
    precisions = {
        "full": np.stack([np.eye(d) * (1.0 + k) for k in range(K)]),
        "tied": np.eye(d) * 0.5,
        "diag": np.ones((K, d)) * np.arange(1, K + 1)[:, None],
        "spherical": np.arange(1.0, K + 1),
    }[covariance_type]
    return dict(weights_init=np.array([0.2, 0.3, 0.5]), means_init=np.asarray(X[[0, 1, 2]], dtype=np.float64),
                precisions_init=precisions)


def _assert_same_fit(a, b, rtol=RTOL):
    for name in PARAMS:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=rtol, atol=0, err_msg=name)
        assert getattr(b, name).dtype == getattr(a, name).dtype
    np.testing.assert_allclose(b.lower_bounds_, a.lower_bounds_, rtol=rtol)
    assert (b.n_iter_, b.converged_) == (a.n_iter_, a.converged_)


# ------------------------------------------------------------------------------------------ equality floor
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_fit_equals_in_memory_from_explicit_init(client, covariance_type, dtype):
    X = _blobs(dtype=dtype)
    Xd = da.from_array(X, chunks=((700, 1300, 1000), (3,)))  # uneven row chunks
    kw = dict(covariance_type=covariance_type, max_iter=12, tol=0.0, **_explicit_init(X, covariance_type))
    with pytest.warns(Warning):  # tol=0 never converges (ConvergenceWarning), on both paths
        ref = GaussianMixture(3, **kw).fit(X)
    with pytest.warns(Warning):
        got = GaussianMixture(3, **kw).fit(Xd)
    _assert_same_fit(ref, got)


def test_weighted_fit_equals_in_memory_and_numpy_weights_are_aligned(client):
    X = _blobs()
    w = np.random.default_rng(1).integers(0, 4, len(X)).astype(np.float64)
    Xd = da.from_array(X, chunks=(1024, 3))
    kw = dict(covariance_type="full", tol=1e-6, **_explicit_init(X, "full"))
    ref = GaussianMixture(3, **kw).fit(X, sample_weight=w)
    got = GaussianMixture(3, **kw).fit(Xd, sample_weight=da.from_array(w, chunks=500))  # rechunked to X's rows
    _assert_same_fit(ref, got)
    _assert_same_fit(ref, GaussianMixture(3, **kw).fit(Xd, sample_weight=w))  # numpy weights


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_equals_in_memory_with_weights_and_empty_cluster_relocation(client, dtype):
    X = _blobs(d=2).astype(dtype)
    rtol = RTOL if dtype == np.float64 else 2 * float(np.finfo(np.float32).eps)  # centres are rounded to X's dtype
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X))
    init = np.array([[0.0, 0.0], [6.0, 5.0], [0.0, 6.0], [500.0, 500.0]])  # the last one empties at once
    Xd = da.from_array(X, chunks=(800, 2))
    ref = KMeans(4, init=init, tol=0.0).fit(X, sample_weight=w)
    got = KMeans(4, init=init, tol=0.0).fit(Xd, sample_weight=da.from_array(w, chunks=800))
    assert got.cluster_centers_.dtype == dtype
    np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=rtol)
    assert got.inertia_ == pytest.approx(ref.inertia_, rel=rtol) and got.n_iter_ == ref.n_iter_
    assert isinstance(got.labels_, da.Array)
    np.testing.assert_array_equal(got.labels_.compute(), ref.labels_)
    labels = got.predict(Xd)
    assert isinstance(labels, da.Array) and labels.dtype == np.int32
    np.testing.assert_array_equal(labels.compute(), ref.predict(X))


# ------------------------------------------------------------------------------------------ predictions
def test_predictions_are_lazy_dask_arrays_equal_to_in_memory(client):
    X = _blobs(dtype=np.float32)
    Xd = da.from_array(X, chunks=(1000, 3))
    gm = GaussianMixture(3, **_explicit_init(X, "full")).fit(X)
    outputs = {
        "predict": (gm.predict(Xd), gm.predict(X)),
        "predict_proba": (gm.predict_proba(Xd), gm.predict_proba(X)),
        "score_samples": (gm.score_samples(Xd), gm.score_samples(X)),
    }
    for name, (lazy, ref) in outputs.items():
        assert isinstance(lazy, da.Array), name
        assert lazy.shape == ref.shape and lazy.dtype == ref.dtype, name
        np.testing.assert_allclose(lazy.compute(), ref, rtol=1e-6, err_msg=name)
    score = gm.score(Xd)
    assert isinstance(score, float) and score == pytest.approx(gm.score(X), rel=1e-6)
    assert gm.bic(Xd) == pytest.approx(gm.bic(X), rel=1e-6)
    fitted = GaussianMixture(3, **_explicit_init(X, "diag"), covariance_type="diag")
    labels = fitted.fit_predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), fitted.predict(X))


# ------------------------------------------------------------------------------------------ initialisation
@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random_from_data"])
def test_init_on_small_dask_array_equals_in_memory(client, init_params):
    # the array fits in the sample budget: the sample is the whole array and no number is drawn for it
    X = _blobs()
    ref = GaussianMixture(3, init_params=init_params, random_state=3).fit(X)
    got = GaussianMixture(3, init_params=init_params, random_state=3).fit(da.from_array(X, chunks=(1000, 3)))
    _assert_same_fit(ref, got, rtol=1e-7)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random_from_data", "random"])
def test_init_on_sampled_rows_gives_a_sane_fit(client, monkeypatch, init_params):
    monkeypatch.setattr(_dask, "SAMPLE_BYTES", 500 * 3 * 8)  # 500 of the 3000 rows are sampled
    X = _blobs()
    ref = GaussianMixture(3, init_params="kmeans", random_state=0).fit(X)
    # tol=1e-6: from near-uniform random responsibilities EM moves slowly at first (in memory too)
    got = GaussianMixture(3, init_params=init_params, random_state=0, tol=1e-6, max_iter=500).fit(
        da.from_array(X, chunks=(1000, 3))
    )
    assert got.converged_
    assert got.lower_bound_ == pytest.approx(ref.lower_bound_, abs=2e-3)
    order = np.argsort(got.means_[:, 0] * 100 + got.means_[:, 1])
    np.testing.assert_allclose(got.means_[order], ref.means_[np.argsort(ref.means_[:, 0] * 100 + ref.means_[:, 1])],
                               atol=0.05)


def test_kmeans_seeding_on_dask(client, monkeypatch):
    X = _blobs()
    Xd = da.from_array(X, chunks=(1000, 3))
    for init in ("k-means++", "random"):  # whole array in the budget: same as in memory
        ref = KMeans(3, init=init, random_state=5).fit(X)
        got = KMeans(3, init=init, random_state=5).fit(Xd)
        np.testing.assert_allclose(got.cluster_centers_, ref.cluster_centers_, rtol=RTOL)
    monkeypatch.setattr(_dask, "SAMPLE_BYTES", 300 * 3 * 8)
    got = KMeans(3, random_state=5, n_init=2).fit(Xd)
    assert got.inertia_ == pytest.approx(ref.inertia_, rel=1e-3)


# ------------------------------------------------------------------------------------------ bad input
def test_bad_dask_input(client):
    X = _blobs()
    gm = GaussianMixture(3, random_state=0)
    with pytest.raises(ValueError, match="2-D"):
        gm.fit(da.from_array(X[:, 0], chunks=500))
    with pytest.raises(ValueError, match="2-D"):
        gm.fit(da.from_array(X.reshape(3000, 3, 1), chunks=500))
    with pytest.raises(TypeError, match="real numbers"):
        gm.fit(da.from_array(X.astype(str), chunks=500))
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        gm.fit(da.from_array(X, chunks=500)[da.from_array(X[:, 0] > 0, chunks=500)])
    with pytest.raises(ValueError, match="at least 3 are needed"):
        gm.fit(da.from_array(X[:2], chunks=1))
    Xd = da.from_array(X, chunks=(1000, 3))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3000,\)"):
        gm.fit(Xd, sample_weight=da.ones(2999, chunks=1000))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3000,\)"):
        KMeans(3).fit(Xd, sample_weight=np.ones(3001))
    with pytest.raises(ValueError, match="non-negative"):
        gm.fit(Xd, sample_weight=-da.ones(3000, chunks=1000))
    fitted = GaussianMixture(3, random_state=0).fit(X)
    with pytest.raises(ValueError, match="fitted with 3 features"):
        fitted.predict(da.from_array(X[:, :2], chunks=1000))


def test_nan_in_one_chunk_raises_value_error_naming_the_rows(client):
    X = _blobs()
    X[2345, 1] = np.nan
    Xd = da.from_array(X, chunks=(1000, 3))
    explicit = GaussianMixture(3, **_explicit_init(X, "full"))
    with pytest.raises(ValueError, match=r"NaN or infinity \(first at row 2345, in the chunk of rows 2000-2999\)"):
        explicit.fit(Xd)
    with pytest.raises(ValueError, match="NaN or infinity"):
        KMeans(3, init=X[:3] * 0 + np.arange(3)[:, None]).fit(Xd)
    X[2345, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        GaussianMixture(3, init_params="random", random_state=0).fit(da.from_array(X, chunks=(1000, 3)))
    fitted = GaussianMixture(3, random_state=0).fit(_blobs())
    with pytest.raises(ValueError, match="first at row 2345"):
        fitted.predict(Xd).compute()
    with pytest.raises(ValueError, match="first at row 2345"):
        KMeans(3, init=X[:3]).fit(_blobs()).predict(Xd).compute()


def test_columns_split_in_chunks_are_rechunked(client):
    X = _blobs()
    split = da.from_array(X, chunks=(1000, 1))
    checked = _dask.check_array(split)
    assert checked.chunks == ((1000, 1000, 1000), (3,))
    kw = dict(covariance_type="diag", max_iter=5, tol=0.0, **_explicit_init(X, "diag"))
    with pytest.warns(Warning):
        ref = GaussianMixture(3, **kw).fit(X)
    with pytest.warns(Warning):
        got = GaussianMixture(3, **kw).fit(split)
    _assert_same_fit(ref, got)


# ------------------------------------------------------------------------------------------ out of core
def _lazy_mixture(n_rows, d, chunk_rows):
    """A dask array whose chunks are generated on the workers (never held whole anywhere)."""

    def block(block_id=None):
        rng = np.random.default_rng(block_id[0])
        rows = min(chunk_rows, n_rows - block_id[0] * chunk_rows)
        out = rng.normal(size=(rows, d))
        out[: rows // 2] += 4.0
        return out

    n_chunks = -(-n_rows // chunk_rows)
    chunks = ((chunk_rows,) * (n_chunks - 1) + (n_rows - chunk_rows * (n_chunks - 1),), (d,))
    return da.map_blocks(block, chunks=chunks, dtype=np.float64)


def test_lazily_generated_array_is_never_gathered_on_the_driver(client):
    n_rows, d = 2_000_000, 4  # 64 MB, in 16 chunks of 4 MB
    X = _lazy_mixture(n_rows, d, 125_000)
    data_bytes = n_rows * d * 8
    gm = GaussianMixture(2, covariance_type="full", max_iter=3, tol=0.0, means_init=np.zeros((2, d)) + [[4.0], [0.0]],
                         weights_init=[0.5, 0.5], precisions_init=np.stack([np.eye(d)] * 2))
    tracemalloc.start()
    try:
        with pytest.warns(Warning):
            gm.fit(X)
        score = gm.score(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.05 * data_bytes, f"driver peak {peak / 1e6:.1f} MB for {data_bytes / 1e6:.0f} MB of data"
    np.testing.assert_allclose(np.sort(gm.means_[:, 0]), [0.0, 4.0], atol=0.01)
    assert np.isfinite(score)


# ------------------------------------------------------------------------------------------ optional import
def test_import_fastgmm_does_not_import_dask():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import fastgmm
        assert "dask" not in sys.modules, "import fastgmm imported dask"
        X = np.random.default_rng(0).normal(size=(200, 2))
        fastgmm.GaussianMixture(2, init_params="random_from_data", random_state=0).fit(X).predict(X)
        fastgmm.KMeans(2, init=X[:2]).fit(X)
        assert not [m for m in sys.modules if m == "dask" or m.startswith(("dask.", "distributed"))]
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_tasks_follow_numba_num_threads_of_the_environment(monkeypatch):
    # a worker that imported numba before its environment was set still runs tasks on that many threads
    import threading

    import numba

    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    seen = []

    def task():
        _dask._limit_numba_threads()
        seen.append(numba.get_num_threads())

    thread = threading.Thread(target=task)
    thread.start()
    thread.join()
    assert seen == [1]


def test_values_whose_squares_overflow_raise_value_error(client):
    # the rows sampled for the initialisation are checked up front, like an in-memory X ...
    X = _blobs() * 1e160
    Xd = da.from_array(X, chunks=(1000, 3))
    with pytest.raises(ValueError, match=r"squares summed over 3000 samples overflow float64 .*Rescale X"):
        GaussianMixture(3, random_state=0).fit(Xd)
    with pytest.raises(ValueError, match=r"squares summed over 3000 samples overflow float64 .*Rescale X"):
        KMeans(3, random_state=0).fit(Xd)
    # ... and without a sample (explicit initialisation), the chunk whose statistics overflow says so
    with pytest.raises(ValueError, match=r"chunk of rows \d+-\d+\): their squares summed overflow float64"):
        GaussianMixture(3, **_explicit_init(X, "full")).fit(Xd)
