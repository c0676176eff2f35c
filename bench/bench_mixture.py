"""pytest-benchmark: fastgmm.GaussianMixture vs scikit-learn from the same explicit init.

Run with ``pytest bench/bench_mixture.py`` (add ``--benchmark-group-by=param:covariance_type`` to
see ours and scikit-learn's side by side).  For the Markdown table across sizes, run
``python bench/mixture_table.py``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from mixture_table import explicit_init, make_data, one_iteration

from fastgmm import GaussianMixture

N, D, K = 1_000_000, 3, 5
FIT_N, FIT_ITER = 100_000, 20


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return make_data(N, D, K)


@pytest.mark.parametrize("impl", ["fastgmm", "sklearn"])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_em_iteration(benchmark, data, impl, covariance_type):
    """One E+M iteration at N=1e6, d=3, K=5, float64."""
    step = one_iteration(impl, data, K, covariance_type)
    step()
    time.sleep(0.3)  # let BLAS/OpenMP worker threads of the previous test stop spinning
    benchmark.pedantic(step, rounds=5 if impl == "fastgmm" else 2, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("impl", ["fastgmm", "sklearn"])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_fit(benchmark, data, impl, covariance_type):
    """A whole fit of FIT_ITER iterations (tol=0) on 1e5 rows, from the same explicit init."""
    X = data[:FIT_N]
    init = explicit_init(X, K, covariance_type)
    if impl == "fastgmm":
        cls = GaussianMixture
    else:
        from sklearn.mixture import GaussianMixture as cls

    def fit() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(K, max_iter=FIT_ITER, tol=0.0, **init).fit(X)

    fit()
    time.sleep(0.3)
    benchmark.pedantic(fit, rounds=3, iterations=1)
