"""Run the fastgmm command in a subprocess and interrupt it as Ctrl-C would (SIGINT)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def interrupt_cli(argv: list[str], *, after: float) -> tuple[int, str, float]:
    """Start ``python -m fastgmm.cli ARGV`` (one Numba thread), send SIGINT after ``after`` seconds;
    return (exit code, stderr, seconds from the signal to the exit)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "fastgmm.cli", *argv], env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    assert proc.poll() is None, proc.stderr.read()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    stopped = time.monotonic() - sent
    print(f"{argv[0]}: stopped {stopped:.3f} s after SIGINT")
    return proc.returncode, proc.stderr.read(), stopped
