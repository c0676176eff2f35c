"""Session set-up shared by every test module.

The second core: a cold Numba cache makes compilation most of the suite's time (docs/performance.md,
"Cold start of the adaptive model"), and pytest compiles in one process on one core.  So a
background process, at low priority, runs fastgmm's warm-up (every kernel specialisation the
models use, written to the on-disk cache) while the tests run; a test that reaches a kernel the
warm-up has already written loads it instead of compiling it.  The k-means group goes first: its
feature-count specialisations are the largest share (73-118 s of warm-up each on a loaded 2-vCPU
VM; the first also compiles the EM kernels through GaussianMixture's k-means initialisation), and
``test_adaptive``, the first module, compiles the background models itself; measured per task in
docs/performance.md, "Read-only twins of the batch kernels".  Numba's
cache is safe for concurrent writers (``test_mog2.py::test_concurrent_fresh_processes_share_the_cache_safely``).
The warm-up changes no result, only when compilation happens; ``FASTGMM_TEST_PREWARM=0`` turns it off.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PREWARM_ORDER = ["kmeans", "mixture", "segmentation", "background"]
"""Warm-up groups in the order the background process compiles them."""

_SCRIPT = ("import os, sys; os.nice(10); from fastgmm._compile import warm_up\n"
           "for group in sys.argv[1:]: warm_up(only=[group])")


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("FASTGMM_TEST_PREWARM", "1") == "0":
        return
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "FASTGMM_COMPILE_NOTICE": "0"}
    session.config._fastgmm_prewarm = subprocess.Popen(  # type: ignore[attr-defined]
        [sys.executable, "-c", _SCRIPT, *PREWARM_ORDER], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pytest_sessionfinish(session: pytest.Session) -> None:
    proc = getattr(session.config, "_fastgmm_prewarm", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()
