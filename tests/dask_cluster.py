"""The LocalCluster fixture of the Dask test modules (2 worker processes, 1 thread each, 127.0.0.1).

Module-scoped: the cluster's background threads must not outlive the module, since other test
modules measure their own allocations with tracemalloc.
"""

from __future__ import annotations

import pytest

TIMEOUT = 60  # seconds for the cluster and workers to start, for a worker to connect, and to close


@pytest.fixture(scope="module")
def client():
    """A ``distributed.Client`` on a fresh LocalCluster; dask's default scheduler while the module runs."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        env={"NUMBA_NUM_THREADS": "1"}, timeout=TIMEOUT, silence_logs=40,
    )
    try:
        with distributed.Client(cluster, timeout=TIMEOUT) as client:
            yield client
    finally:
        cluster.close(timeout=TIMEOUT)
