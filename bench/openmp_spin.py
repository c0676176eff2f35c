"""OpenMP wait settings side by side: the adaptive model and MOG2 at 320x240 (ms/frame) under three
settings of GNU OpenMP's idle threads, on a quiet machine and beside ``--busy`` busy-looping processes.

    python bench/openmp_spin.py [--rounds 2] [--busy 0 2]

Settings: ``OMP_WAIT_POLICY=PASSIVE`` (sleep at once), ``GOMP_SPINCOUNT=10000`` (fastgmm's default,
fastgmm._jit.GOMP_SPINCOUNT) and ``GOMP_SPINCOUNT=300000`` (GNU OpenMP's own default).  Each
measurement is a fresh process (the setting is read when OpenMP starts): CDnet highway frames
470-669 with ``out=``, the median time of the 180 frames after 20 warm ones, 2 Numba threads.
The settings alternate within each round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

SETTINGS = {"PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"}, "spin 10000": {"GOMP_SPINCOUNT": "10000"},
            "spin 300000": {"GOMP_SPINCOUNT": "300000"}}

CHILD = """
import time, numpy as np, fastgmm
from fastgmm.datasets import CDnetSequence, shared_data_dir
seq = CDnetSequence(shared_data_dir() / "cdnet2012_baseline_highway")
frames = [f for _, f in seq.frames(470, 670)]
out = np.empty(frames[0].shape[:2], np.uint8)
res = []
for cls in (fastgmm.AdaptiveMixtureSubtractor, fastgmm.BackgroundSubtractorMOG2):
    m, ts = cls(), []
    for f in frames:
        t = time.perf_counter(); m.apply(f, out=out); ts.append(time.perf_counter() - t)
    res.append(float(np.median(ts[20:])) * 1e3)
print(*res)
"""


def measure(setting: dict[str, str]) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(setting, NUMBA_NUM_THREADS="2", FASTGMM_COMPILE_NOTICE="0")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return [float(v) for v in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| busy processes | round | setting | adaptive ms/frame | MOG2 ms/frame |")
    print("|---|---|---|---|---|")
    for busy in args.busy:
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            for r in range(args.rounds):
                for name, setting in SETTINGS.items():
                    a, m = measure(setting)
                    print(f"| {busy} | {r + 1} | {name} | {a:.2f} | {m:.2f} |", flush=True)
        finally:
            for h in hogs:
                h.kill()
                h.wait()


if __name__ == "__main__":
    main()
