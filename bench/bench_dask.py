"""One EM iteration on a dask array vs the same iteration in memory (pytest-benchmark).

Full size (N = 1e6 and 1e7, d = 3, K = 5, full, float64) on a 2-worker LocalCluster::

    pytest bench/bench_dask.py --benchmark-group-by=param:n

Quick smoke test (N = 2e5, each case once; it also checks that both give the same statistics)::

    FASTGMM_BENCH_QUICK=1 pytest bench/bench_dask.py --benchmark-disable -q

The ratio table with 1 and 2 workers and the out-of-core memory figure come from
``python bench/dask_table.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_table import block, lazy_array, model  # noqa: E402

from fastgmm.distributed import close_client, local_client  # noqa: E402
from fastgmm.mixture import _dask, _em  # noqa: E402
from fastgmm.mixture._backend import backend_for  # noqa: E402

QUICK = bool(os.environ.get("FASTGMM_BENCH_QUICK"))
SIZES = [200_000] if QUICK else [1_000_000, 10_000_000]
EPS = float(np.finfo(np.float64).eps)


@pytest.fixture(scope="module")
def client():
    client = local_client(2, threads_per_worker=1, numba_threads=1)
    yield client
    close_client(client)


def _data(client, n):
    chunk_rows = -(-n // 8)
    Xd = client.persist(lazy_array(n, chunk_rows))
    X = np.concatenate([block((i, 0), chunk_rows, n) for i in range(Xd.numblocks[0])])
    return X, Xd


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("where", ["memory", "dask"])
def test_em_iteration(benchmark, client, n, where):
    import dask

    X, Xd = _data(client, n)
    data = X if where == "memory" else Xd
    block_stats = _em.block_stats if where == "memory" else _dask.block_stats
    with dask.config.set(scheduler=client):
        gm = model().fit(data)
        params = gm._kernel_params(np.float64)
        stats = block_stats(data, np.empty(0), *params)
        benchmark(gm._em_step, backend_for(data), data, np.empty(0), EPS)
    reference = _em.block_stats(X, np.empty(0), *params)  # both paths give the same statistics
    np.testing.assert_allclose(stats.nk, reference.nk, rtol=1e-9)
    np.testing.assert_allclose(stats.scatter, reference.scatter, rtol=1e-9)
    assert stats.loglik == pytest.approx(reference.loglik, rel=1e-9)
