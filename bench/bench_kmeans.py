"""fastgmm.KMeans vs scikit-learn's KMeans(algorithm="lloyd"): same data, same initial centres, same
fixed number of iterations (tol=0 and a max_iter small enough that neither converges early; the
benchmark asserts both ran the same number of iterations).

pytest-benchmark (full sizes, N = 1e5 and 1e6, d = 3, K = 5)::

    pytest bench/bench_kmeans.py --benchmark-group-by=param:n

Quick smoke test (each case run once, small N)::

    FASTGMM_BENCH_QUICK=1 pytest bench/bench_kmeans.py --benchmark-disable -q

The k-means++ seeding (``kmeans_plusplus``, float32) is timed the same way.

Side-by-side ratio table without pytest (alternating runs, best of ``--repeat``)::

    python bench/bench_kmeans.py [--quick] [--repeat 3]

On a busy machine compare per-core speed instead (both libraries on one thread)::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/bench_kmeans.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

from fastgmm import KMeans
from fastgmm.mixture.kmeans import kmeans_plusplus

QUICK = bool(os.environ.get("FASTGMM_BENCH_QUICK"))
SIZES = [20_000] if QUICK else [100_000, 1_000_000]
N_FEATURES = 3
N_CLUSTERS = 5
MAX_ITER = 20


def make_data(n: int, dtype=np.float64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping blobs (so Lloyd keeps moving for MAX_ITER iterations) and k distinct data rows as init."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(0, 255, size=(N_CLUSTERS, N_FEATURES))
    X = (means[rng.integers(0, N_CLUSTERS, size=n)] + 80.0 * rng.normal(size=(n, N_FEATURES))).astype(dtype)
    init = X[rng.choice(n, size=N_CLUSTERS, replace=False)].copy()
    return X, init


def fit_ours(X, init):
    return KMeans(N_CLUSTERS, init=init, max_iter=MAX_ITER, tol=0.0).fit(X)


def fit_sklearn(X, init):
    return SKKMeans(N_CLUSTERS, init=init, n_init=1, max_iter=MAX_ITER, tol=0.0, algorithm="lloyd").fit(X)


def seed_ours(X, init):
    return kmeans_plusplus(X, N_CLUSTERS, random_state=0)


def seed_sklearn(X, init):
    return sk_kmeans_plusplus(X, N_CLUSTERS, random_state=0)[0]


IMPLEMENTATIONS = {"fastgmm": fit_ours, "sklearn": fit_sklearn}
SEEDERS = {"fastgmm": seed_ours, "sklearn": seed_sklearn}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("n", SIZES)
def test_kmeans_fit(benchmark, n, impl, dtype):
    X, init = make_data(n, np.dtype(dtype))
    fit_ours(X[:100], init)  # compile / load the kernels outside the timing
    benchmark.group = f"kmeans fit n={n} {dtype}"
    model = benchmark(IMPLEMENTATIONS[impl], X, init)
    reference = fit_sklearn(X, init) if impl == "fastgmm" else fit_ours(X, init)
    assert model.n_iter_ == reference.n_iter_
    assert np.mean(model.labels_ == reference.labels_) > 0.99


@pytest.mark.parametrize("impl", list(SEEDERS))
@pytest.mark.parametrize("n", SIZES)
def test_kmeans_plusplus(benchmark, n, impl):
    X, init = make_data(n, np.float32)
    seed_ours(X[:100], init)
    benchmark.group = f"k-means++ seeding n={n} float32"
    centers = benchmark(SEEDERS[impl], X, init)
    assert centers.shape == (N_CLUSTERS, N_FEATURES) and len(np.unique(centers, axis=0)) == N_CLUSTERS


def _seconds(fn, X, init) -> float:
    t0 = time.perf_counter()
    fn(X, init)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N only (smoke test)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [20_000] if args.quick else [100_000, 1_000_000]
    print(f"d={N_FEATURES} K={N_CLUSTERS} max_iter={MAX_ITER} tol=0, best of {args.repeat} (alternating)")
    print(f"{'n':>9} {'dtype':>8} {'fastgmm s':>10} {'sklearn s':>10} {'speed-up':>9}")
    for n in sizes:
        for dtype in (np.float64, np.float32):
            X, init = make_data(n, dtype)
            fit_ours(X[:100], init)
            t_ours = t_sk = np.inf
            for _ in range(args.repeat):
                t_ours = min(t_ours, _seconds(fit_ours, X, init))
                t_sk = min(t_sk, _seconds(fit_sklearn, X, init))
            ours, ref = fit_ours(X, init), fit_sklearn(X, init)
            agree = np.mean(ours.labels_ == ref.labels_)
            print(
                f"{n:>9} {np.dtype(dtype).name:>8} {t_ours:>10.4f} {t_sk:>10.4f} {t_sk / t_ours:>8.2f}x"
                f"  (n_iter {ours.n_iter_}/{ref.n_iter_}, labels agree {100 * agree:.3f}%)"
            )
        X, init = make_data(n, np.float32)
        seed_ours(X[:100], init)
        t_ours = t_sk = np.inf
        for _ in range(args.repeat):
            t_ours = min(t_ours, _seconds(seed_ours, X, init))
            t_sk = min(t_sk, _seconds(seed_sklearn, X, init))
        print(f"{n:>9} {'float32':>8} {t_ours:>10.4f} {t_sk:>10.4f} {t_sk / t_ours:>8.2f}x  (k-means++ seeding only)")


if __name__ == "__main__":
    main()
