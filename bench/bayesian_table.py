"""fastgmm.BayesianGaussianMixture vs scikit-learn's: per iteration and whole fit, same init, same run.

Usage::

    python bench/bayesian_table.py                       # N=1e6, d=3, K=5, full, float64
    python bench/bayesian_table.py --n 1e5 --covariance-type diag --repeat 5

Both start from the same explicit initialisation: the one-hot responsibilities of the nearest of
K data rows (scikit-learn's ``BayesianGaussianMixture`` takes no initial parameters, so both
estimators' initialisation hook is replaced by that: ``tests/naive/variational.py::one_hot_init``).

* per iteration: ``(t(max_iter=1 + m) - t(max_iter=1)) / m`` with tol=0, so initialisation and
  the final label pass cancel;
* whole fit: to the default tol (1e-3 on the lower bound), both from the same init; the table
  also gives both iteration counts and the largest relative difference of the fitted means and
  covariances.

The fits alternate in one process, ``--repeat`` times; the table gives the median and the spread
(min-max).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from naive.variational import one_hot_init  # noqa: E402  (the tests' same-init helper)


def make_data(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 4.0
    return centres[rng.integers(0, k, size=n)] + rng.standard_normal(size=(n, d))


def timed(cls: type, X: np.ndarray, **kw) -> tuple[float, object]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(**kw).fit(X)
    return time.perf_counter() - t0, model


def spread(values: list[float]) -> str:
    return f"{np.median(values):.4g} [{min(values):.4g}-{max(values):.4g}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e6)
    parser.add_argument("--d", type=int, default=3)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--covariance-type", default="full")
    parser.add_argument("--iters", type=int, default=5, help="iterations in the per-iteration difference")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, d, k = int(args.n), args.d, args.k
    X = make_data(n, d, k)
    centres = X[np.random.default_rng(1).choice(n, size=k, replace=False)].copy()
    sk_cls, ours_cls = one_hot_init(centres)
    common = dict(n_components=k, covariance_type=args.covariance_type)
    timed(ours_cls, X[:2000], **common, max_iter=2)  # compile / load the kernels outside the timing

    per_iter: dict[str, list[float]] = {"fastgmm": [], "sklearn": []}
    whole: dict[str, list[float]] = {"fastgmm": [], "sklearn": []}
    models = {}
    for _ in range(args.repeat):
        for name, cls in (("fastgmm", ours_cls), ("sklearn", sk_cls)):
            t_one, _ = timed(cls, X, **common, max_iter=1, tol=0.0)
            t_more, _ = timed(cls, X, **common, max_iter=1 + args.iters, tol=0.0)
            per_iter[name].append((t_more - t_one) / args.iters)
            t_fit, models[name] = timed(cls, X, **common)
            whole[name].append(t_fit)
    ours, sk = models["fastgmm"], models["sklearn"]
    rel = max(float(np.max(np.abs(ours.means_ - sk.means_) / np.abs(sk.means_))),
              float(np.max(np.abs(ours.covariances_ - sk.covariances_) / np.abs(sk.covariances_))))
    ratio_iter = [s / o for s, o in zip(per_iter["sklearn"], per_iter["fastgmm"])]
    ratio_fit = [s / o for s, o in zip(whole["sklearn"], whole["fastgmm"])]
    print(f"BayesianGaussianMixture N={n:.0e} d={d} K={k} {args.covariance_type} float64, same init; "
          f"median [min-max] of {args.repeat} alternating runs\n")
    print("| | fastgmm | scikit-learn | ratio (per run) |")
    print("|---|---|---|---|")
    row = f"| per iteration, s | {spread(per_iter['fastgmm'])} | {spread(per_iter['sklearn'])}"
    print(f"{row} | {spread(ratio_iter)}x |")
    print(f"| whole fit, s | {spread(whole['fastgmm'])} | {spread(whole['sklearn'])} | {spread(ratio_fit)}x |")
    print(f"| iterations to tol=1e-3 | {ours.n_iter_} | {sk.n_iter_} | |")
    print(f"| lower bound | {ours.lower_bound_:.10g} | {float(np.ravel(sk.lower_bound_)[0]):.10g} | |")
    print(f"\nlargest relative difference of means_/covariances_: {rel:.1e}")


if __name__ == "__main__":
    main()
