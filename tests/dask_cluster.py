"""The LocalCluster of the Dask test modules (2 worker processes, 1 thread each, 127.0.0.1).

:func:`local_cluster_client` is used by module-scoped fixtures: the cluster's background threads
must not outlive the module, since other test modules measure their allocations with tracemalloc.

With a cold Numba cache most of the Dask tests' time is compilation.  The workers and the driver
share Numba's on-disk cache, so :func:`compile_mixture_kernels` splits the kernels the tests use
between the two workers, compiled in parallel; the driver (and each worker) then loads them.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

TIMEOUT = 60  # seconds for the cluster and workers to start, for a worker to connect, and to close


@contextlib.contextmanager
def local_cluster_client(*, as_default: bool = True) -> Iterator:
    """A ``distributed.Client`` on a fresh LocalCluster (dask's default scheduler inside the block if
    ``as_default``)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        env={"NUMBA_NUM_THREADS": "1"}, timeout=TIMEOUT, silence_logs=40,
    )
    try:
        with distributed.Client(cluster, timeout=TIMEOUT, set_as_default=as_default) as client:
            assert set(client.run(_numba_threads).values()) == {1}
            yield client
    finally:
        cluster.close(timeout=TIMEOUT)


def _numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def _compile_em() -> None:
    from fastgmm import GaussianMixture

    X = np.random.default_rng(0).normal(size=(64, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (np.float64, np.float32):
            gm = GaussianMixture(2, init_params="random_from_data", max_iter=1, random_state=0).fit(X.astype(dtype))
            gm.predict_proba(X.astype(dtype))


def _compile_lloyd() -> None:
    from fastgmm import GaussianMixture, KMeans

    X = np.random.default_rng(0).normal(size=(64, 3))
    GaussianMixture(2, init_params="kmeans", max_iter=0, random_state=0).fit(X)  # k-means++, Lloyd, hard stats
    KMeans(2, init=np.array([[0.0, 0.0, 0.0], [99.0, 99.0, 99.0]])).fit(X).predict(X)  # empty-cluster relocation


def compile_mixture_kernels(client) -> None:
    """Compile (or load) the EM kernels on one worker and the k-means kernels on the other, in parallel."""
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.submit(func, workers=[addr], pure=False) for func, addr in zip((_compile_em, _compile_lloyd),
                                                                                      workers * 2)]
    client.gather(futures)
