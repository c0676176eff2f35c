"""Markdown table: fastgmm.GaussianMixture vs scikit-learn, per EM iteration, memory and compile time.

Usage::

    python bench/mixture_table.py --quick   # a few configurations, about a minute
    python bench/mixture_table.py --quick --single-thread   # CPU-time ratio, robust on a busy machine
    python bench/mixture_table.py           # N in {1e4,1e5,1e6} x d in {1,3,8} x K in {2,5,16},
                                            # full and diag, float32 and float64 (several minutes)

Both implementations start from the same explicit parameters and are timed side by side in the
same process (best of ``--repeat`` single iterations), so the ratio is meaningful even on a
shared machine.  One "iteration" is what ``fit`` does per loop: an E-step (log-likelihood and
responsibilities) and an M-step.  Peak memory added by ``fit`` on a 1e7 x 3 float32 array and the
first-call (compile) time are measured in fresh subprocesses.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

import numpy as np

from fastgmm import GaussianMixture
from fastgmm.mixture._backend import backend_for


def make_data(n: int, d: int, k: int, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    """``n`` rows from ``k`` well-separated Gaussian blobs in ``d`` dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 4.0
    labels = rng.integers(0, k, size=n)
    X = rng.standard_normal(size=(n, d), dtype=np.float32 if dtype == np.float32 else np.float64)
    X += centres[labels].astype(X.dtype)
    return X


def explicit_init(X: np.ndarray, k: int, covariance_type: str, seed: int = 1) -> dict:
    """Starting weights, means (random rows) and unit precisions for ``covariance_type``."""
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    precisions = {
        "full": np.tile(np.eye(d), (k, 1, 1)),
        "tied": np.eye(d),
        "diag": np.ones((k, d)),
        "spherical": np.ones(k),
    }[covariance_type]
    return dict(
        covariance_type=covariance_type,
        weights_init=np.full(k, 1.0 / k),
        means_init=X[rng.choice(len(X), size=k, replace=False)].astype(np.float64),
        precisions_init=precisions,
    )


def one_iteration(impl: str, X: np.ndarray, k: int, covariance_type: str) -> Callable[[], None]:
    """A callable running one EM iteration of ``impl`` ("fastgmm" or "sklearn") on ``X``.

    The model is first fitted for one iteration from :func:`explicit_init`, so both start from
    the same parameters; each call then advances it by one iteration.
    """
    init = explicit_init(X, k, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if impl == "fastgmm":
            gm = GaussianMixture(k, max_iter=1, **init).fit(X)
            eps = float(np.finfo(X.dtype).eps)
            w = np.empty(0)
            backend = backend_for(X)
            return lambda: gm._em_step(backend, X, w, eps)
        from sklearn.mixture import GaussianMixture as SkGaussianMixture

        sk = SkGaussianMixture(k, max_iter=1, **init).fit(X)

    def step() -> None:
        _, log_resp = sk._e_step(X)
        sk._m_step(X, log_resp)

    return step


def best_time(
    fn: Callable[[], None], repeat: int, min_seconds: float = 0.5, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Best of at least ``repeat`` calls (more, up to 200, until ``min_seconds`` have passed)."""
    fn()  # warm-up (compilation, caches)
    time.sleep(0.3)  # let BLAS/OpenMP worker threads of the previous run stop spinning
    times: list[float] = []
    while len(times) < repeat or (sum(times) < min_seconds and len(times) < 200):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


_MEMORY_SCRIPT = r"""
import sys, warnings
import numpy as np
from fastgmm import GaussianMixture
sys.path.insert(0, {bench_dir!r})
from mixture_table import make_data

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
warnings.simplefilter("ignore")
GaussianMixture(5, covariance_type={ct!r}, random_state=0, max_iter=3).fit(make_data(5000, 3, 5, np.float32))
X = make_data({n}, 3, 5, np.float32)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the RSS high-water mark
    reset = True
except OSError:
    reset = False
before_rss, before_hwm = status("VmRSS"), status("VmHWM")
GaussianMixture(5, covariance_type={ct!r}, random_state=0, max_iter={max_iter}, tol=0.0).fit(X)
after_hwm = status("VmHWM")
print(after_hwm - (before_rss if reset else before_hwm))
"""


def peak_memory_added(n: int = 10_000_000, covariance_type: str = "full", max_iter: int = 10) -> float:
    """MB of RSS high-water added by ``fit`` (default k-means init) on an (n, 3) float32 array."""
    script = _MEMORY_SCRIPT.format(
        bench_dir=os.path.dirname(os.path.abspath(__file__)), ct=covariance_type, n=n, max_iter=max_iter
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 2**20


_COMPILE_SCRIPT = r"""
import time, warnings
t0 = time.perf_counter()
import numpy as np
from fastgmm import GaussianMixture
X = np.random.default_rng(0).normal(size=(500, 3)).astype({dtype!r})
warnings.simplefilter("ignore")
gm = GaussianMixture(3, random_state=0, max_iter=5).fit(X)
gm.predict_proba(X)
print(time.perf_counter() - t0)
"""


def first_call_seconds(dtype: str = "float64") -> tuple[float, float]:
    """(cold, cached) seconds for import + first fit + predict_proba in a fresh process.

    Cold uses an empty ``NUMBA_CACHE_DIR`` (everything compiles), cached re-runs with it filled.
    """
    results = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", _COMPILE_SCRIPT.format(dtype=dtype)],
                capture_output=True, text=True, check=True, env=env,
            )
            results.append(float(out.stdout.strip().splitlines()[-1]))
    return results[0], results[1]


def configurations(quick: bool) -> list[tuple[int, int, int, str, type]]:
    if quick:
        sizes, dims, ks = [10_000, 1_000_000], [3], [5]
    else:
        sizes, dims, ks = [10_000, 100_000, 1_000_000], [1, 3, 8], [2, 5, 16]
    return [
        (n, d, k, ct, dtype)
        for n in sizes for d in dims for k in ks for ct in ("full", "diag") for dtype in (np.float64, np.float32)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few configurations only (about a minute)")
    parser.add_argument("--repeat", type=int, default=None, help="timed iterations per cell (best is kept)")
    parser.add_argument("--no-memory", action="store_true", help="skip the 1e7 x 3 memory measurement")
    parser.add_argument(
        "--single-thread",
        action="store_true",
        help="one Numba thread and one BLAS thread, timed in CPU time of the calling thread: a ratio "
        "that stays meaningful on a busy machine (it leaves out both sides' multi-threading)",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 5)
    clock = time.perf_counter
    if args.single_thread:
        import numba
        from threadpoolctl import threadpool_limits

        numba.set_num_threads(1)
        threadpool_limits(1)
        clock = time.thread_time

    print("| N | d | K | covariance | dtype | fastgmm ms/iter | scikit-learn ms/iter | speed-up |")
    print("|---:|---:|---:|---|---|---:|---:|---:|")
    for n, d, k, ct, dtype in configurations(args.quick):
        X = make_data(n, d, k, dtype)
        ours = best_time(one_iteration("fastgmm", X, k, ct), repeat, clock=clock)
        ref_repeat = max(1, repeat // 2) if n >= 1_000_000 else repeat
        ref = best_time(one_iteration("sklearn", X, k, ct), ref_repeat, clock=clock)
        print(
            f"| {n:.0e} | {d} | {k} | {ct} | {np.dtype(dtype).name} | {ours * 1e3:.2f} | {ref * 1e3:.1f} "
            f"| {ref / ours:.1f}x |",
            flush=True,
        )
    print()
    if not args.no_memory:
        for ct in ("full", "diag"):
            mb = peak_memory_added(covariance_type=ct)
            print(f"Peak RSS added by fit (k-means init, 10 EM iterations), 1e7 x 3 float32, {ct}: {mb:.1f} MB")
    for dtype in ("float64", "float32"):
        cold, cached = first_call_seconds(dtype)
        print(f"First call (import + fit + predict_proba), {dtype}: {cold:.1f} s cold (compiling), "
              f"{cached:.2f} s cached")


if __name__ == "__main__":
    main()
