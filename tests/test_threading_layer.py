"""Numba's threading layer: fastgmm prefers OpenMP over TBB (a process can hang at exit in TBB's
finaliser) unless the user chose, and processes that fit from a worker thread exit promptly."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FIT_FROM_A_THREAD = """
import threading, numpy as np, numba, fastgmm
X = np.random.default_rng(0).normal(size=(20000, 3))
def work():
    fastgmm.GaussianMixture(3, random_state=0, max_iter=5, tol=0.0).fit(X)
    fastgmm.BackgroundSubtractorMOG2().apply(np.zeros((24, 32, 3), np.uint8))
t = threading.Thread(target=work)
t.start()
t.join()
print(numba.threading_layer(), flush=True)
"""


def _env_with_tbb() -> dict[str, str]:
    """The environment in which Numba can load TBB (the ``tbb`` wheel of the test extra, or the system's)."""
    env = dict(os.environ)
    for name in ("NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"):
        env.pop(name, None)
    wheel_lib = Path(sys.prefix) / "lib"
    if (wheel_lib / "libtbb.so.12").exists():
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(wheel_lib), env.get("LD_LIBRARY_PATH")]))
    elif ctypes.util.find_library("tbb") is None:
        pytest.skip("no TBB library on this machine (pip install tbb, or the system's libtbb12)")
    probe = subprocess.run([sys.executable, "-c", "import numba.np.ufunc.tbbpool"], env=env, capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"Numba cannot load TBB here: {probe.stderr.decode().strip().splitlines()[-1:]}")
    return env


def _run(env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", FIT_FROM_A_THREAD], env=env, capture_output=True, text=True,
                             timeout=60)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, "timed out"
    return time.perf_counter() - start, out.returncode, out.stdout.strip() or out.stderr[-300:]


N_PROCESSES = int(os.environ.get("FASTGMM_EXIT_RUNS", "16"))
"""Processes of the exit test (16 in the suite; README's figure is from FASTGMM_EXIT_RUNS=50)."""


def test_processes_fitting_from_a_worker_thread_exit_promptly_beside_tbb():
    env = _env_with_tbb()
    _run(env)  # fills Numba's cache, so the timed runs measure start-up, work and exit
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: _run(env), range(N_PROCESSES)))
    slow = [r for r in runs if r[1] != 0 or r[0] >= 10.0]
    assert not slow, f"{len(slow)} of {N_PROCESSES} processes failed or took >= 10 s: {slow[:3]}"
    assert {r[2] for r in runs} == {"omp"}, "fastgmm should have chosen OpenMP over TBB"


def test_a_threading_layer_chosen_by_the_user_is_respected():
    env = _env_with_tbb()
    env["NUMBA_THREADING_LAYER"] = "tbb"
    seconds, code, layer = _run(env)
    assert code == 0 and layer == "tbb"


def _policy_after_import(**env_vars: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_vars)
    code = ("import os, fastgmm; fastgmm.BackgroundSubtractorMOG2; "
            "print(os.environ.get('OMP_WAIT_POLICY', '<unset>'), os.environ.get('GOMP_SPINCOUNT', '<unset>'))")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_openmp_threads_spin_briefly_unless_the_user_chose():
    """Idle OpenMP threads spin 10,000 rounds, then sleep (neither GNU OpenMP's long default spin,
    which takes the cores from other jobs, nor an immediate sleep, which pays a wake-up per parallel
    region; see fastgmm._jit) from the first import of a kernel on; a policy or spin count set by
    the user is left alone."""
    assert _policy_after_import() == "<unset> 10000"
    assert _policy_after_import(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE <unset>"
    assert _policy_after_import(GOMP_SPINCOUNT="300000") == "<unset> 300000"
