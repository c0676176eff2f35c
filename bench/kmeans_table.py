"""Markdown table: fastgmm.KMeans vs scikit-learn's KMeans, lloyd and elkan, same data, same init, same run.

Usage::

    python bench/kmeans_table.py --n 1e5 1e6 --d 2 3 8 --k 5 16 64            # fixed 20 iterations (tol=0)
    python bench/kmeans_table.py --n 1e6 --d 3 8 --k 5 64 --converge          # whole fits, tol=1e-4

Every case builds overlapping Gaussian blobs and K distinct rows as the common initial centres;
the four fits (fastgmm lloyd/elkan, scikit-learn lloyd/elkan) run alternately in one process,
``--repeat`` times; the table gives the median time and the spread (min-max) of each, the
ratio of scikit-learn's faster algorithm to each of ours (medians), whether the centres
agree, and the 1-minute load average before and after the case (both libraries are timed
alternately, so load slows both, but not necessarily equally).  With ``--converge`` every fit
runs to scikit-learn's default tolerance (1e-4, relative); otherwise exactly ``--iters``
iterations (tol=0; the iteration counts are checked equal).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.cluster import KMeans as SKKMeans

from fastgmm import KMeans


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    means = rng.uniform(0, 10, size=(k, d))
    X = means[rng.integers(0, k, size=n)] + rng.standard_normal(size=(n, d))
    init = X[rng.choice(n, size=k, replace=False)].copy()
    return X, init


def fits(k: int, init: np.ndarray, max_iter: int, tol: float) -> dict:
    return {
        f"{lib} {alg}": (lambda X, cls=cls, alg=alg: cls(k, init=init, n_init=1, max_iter=max_iter, tol=tol,
                                                          algorithm=alg).fit(X))
        for lib, cls in (("fastgmm", KMeans), ("sklearn", SKKMeans))
        for alg in ("lloyd", "elkan")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, nargs="+", default=[1e5, 1e6])
    parser.add_argument("--d", type=int, nargs="+", default=[2, 3, 8])
    parser.add_argument("--k", type=int, nargs="+", default=[5, 16, 64])
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--converge", action="store_true", help="whole fits to tol=1e-4 instead of --iters")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    max_iter, tol = (300, 1e-4) if args.converge else (args.iters, 0.0)
    what = "whole fit to tol=1e-4" if args.converge else f"{args.iters} iterations (tol=0)"
    print(f"KMeans, float64, same initial centres, {what}; median [min-max] of {args.repeat} alternating runs\n")
    print("| N | d | K | n_iter | fastgmm lloyd s | fastgmm elkan s | sklearn lloyd s | sklearn elkan s "
          "| best sklearn / fastgmm lloyd | best sklearn / fastgmm elkan | max centre diff | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(v) for v in args.n):
        for d in args.d:
            for k in args.k:
                X, init = make_data(n, d, k)
                runs = fits(k, init, max_iter, tol)
                runs["fastgmm lloyd"](X[:1000])  # compile / load the kernels outside the timing
                runs["fastgmm elkan"](X[:1000])
                load_before = os.getloadavg()[0]
                times: dict[str, list[float]] = {name: [] for name in runs}
                models = {}
                for _ in range(args.repeat):
                    for name, fit in runs.items():
                        t0 = time.perf_counter()
                        models[name] = fit(X)
                        times[name].append(time.perf_counter() - t0)
                med = {name: float(np.median(t)) for name, t in times.items()}
                iters = {name: m.n_iter_ for name, m in models.items()}
                best_sk = min(med["sklearn lloyd"], med["sklearn elkan"])
                diff = max(float(np.max(np.abs(models[a].cluster_centers_ - models["sklearn lloyd"].cluster_centers_)))
                           for a in ("fastgmm lloyd", "fastgmm elkan", "sklearn elkan"))
                same = models["fastgmm lloyd"].cluster_centers_ == models["fastgmm elkan"].cluster_centers_
                assert same.all()
                cells = " | ".join(f"{med[name]:.3f} [{min(times[name]):.3f}-{max(times[name]):.3f}]" for name in runs)
                n_iter = "/".join(str(iters[name]) for name in runs)
                print(f"| {n:.0e} | {d} | {k} | {n_iter} | {cells} | {best_sk / med['fastgmm lloyd']:.1f}x "
                      f"| {best_sk / med['fastgmm elkan']:.1f}x | {diff:.1e} "
                      f"| {load_before:.1f}-{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
