"""Run the fastgmm command in a subprocess and interrupt it as Ctrl-C would (SIGINT)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def interrupt_cli(argv: list[str], *, after: float, ready: str | None = None, ready_timeout: float = 300.0,
                  env: dict[str, str] | None = None, signals: int = 1) -> tuple[int, str, float]:
    """Start ``python -m fastgmm.cli ARGV`` (one Numba thread), send SIGINT ``after`` seconds after
    its stderr first matches the regular expression ``ready`` (after the start when ``ready`` is
    None); return (exit code, stderr, seconds from the signal to the exit).  ``env``: variables set
    on top of this process's environment.  ``signals``: how many SIGINTs, 10 ms apart (an impatient
    user; ``timeout -s INT`` also signals twice, the command and then its process group).

    Waiting for ``ready`` (e.g. the progress bar's first frames) keeps the test about Ctrl-C in
    the middle of the work, however long the start-up takes on a loaded machine."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_NUM_THREADS": "1", **(env or {})}
    # A terminal's Ctrl-C reaches a process that does not ignore SIGINT; but a test run started in the
    # background of a non-interactive shell (`pytest &`, as a CI script may be) ignores SIGINT, and
    # Python keeps an ignored SIGINT ignored in its children.  So the child reinstates Python's own
    # handler before running the command, as the interpreter does at the start of a terminal session.
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv[0] = 'fastgmm'; runpy.run_module('fastgmm.cli', run_name='__main__', alter_sys=True)")
    proc = subprocess.Popen([sys.executable, "-c", start, *argv], env=env, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    seen = threading.Event()

    def read() -> None:  # char by char: progress bars end their lines with \r
        while char := proc.stderr.read(1):
            err.append(char)
            if ready is not None and not seen.is_set() and char in "\r\n" and re.search(ready, "".join(err)):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if ready is not None:
        deadline = time.monotonic() + ready_timeout
        while not seen.wait(0.05):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(err)
    time.sleep(after)
    assert proc.poll() is None, "".join(err)
    sent = time.monotonic()
    for k in range(signals):
        if k:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    stopped = time.monotonic() - sent
    reader.join(timeout=10)
    print(f"{argv[0]}: stopped {stopped:.3f} s after SIGINT")
    return proc.returncode, "".join(err), stopped
