"""Frames per second of fastgmm's MOG2/MOG vs OpenCV MOG2 and bgsegm MOG, as a Markdown table.

Real frames: CDnet highway (native 320x240 and resized to 1920x1080), colour, default parameters,
automatic learning rate, ``out=`` preallocated on both sides.  For each thread count (1, 2) the
two implementations run alternately A B A B ... on the same frames, each run on a fresh model
after a warm-up, and the best run of each is reported with the ratio.  Also measures the
first-call latency of ``apply`` in fresh processes (cold: empty Numba cache; cached: second
process on the same cache).

    python bench/background_table.py            # full table
    python bench/background_table.py --quick    # smoke test: few frames and rounds
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numba
import numpy as np

from fastgmm import BackgroundSubtractorMOG, BackgroundSubtractorMOG2
from fastgmm.datasets import shared_data_dir


def load_frames(n: int, size: tuple[int, int] | None) -> list[np.ndarray]:
    root = shared_data_dir()
    if root is None:
        rng = np.random.default_rng(0)
        base = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
        frames = [np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]
    else:
        path = root / "cdnet2012_baseline_highway" / "input"
        frames = [cv2.imread(str(path / f"in{i:06d}.jpg")) for i in range(1, n + 1)]
    if size is not None:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
    return frames


def ours_runner(cls):
    def run(frames, warm):
        model, out = cls(), np.empty(frames[0].shape[:2], np.uint8)
        for f in frames[:warm]:
            model.apply(f, out=out)
        t = time.perf_counter()
        for f in frames[warm:]:
            model.apply(f, out=out)
        return (time.perf_counter() - t) / (len(frames) - warm)
    return run


def opencv_runner(make, lr):
    def run(frames, warm):
        model, out = make(), np.empty(frames[0].shape[:2], np.uint8)
        for f in frames[:warm]:
            model.apply(f, out, lr)
        t = time.perf_counter()
        for f in frames[warm:]:
            model.apply(f, out, lr)
        return (time.perf_counter() - t) / (len(frames) - warm)
    return run


PAIRS = {
    "MOG2": (ours_runner(BackgroundSubtractorMOG2), opencv_runner(cv2.createBackgroundSubtractorMOG2, -1.0)),
    # bgsegm MOG's C++ default learning rate is 0; pass -1 (automatic) as ours does
    "MOG": (ours_runner(BackgroundSubtractorMOG), opencv_runner(cv2.bgsegm.createBackgroundSubtractorMOG, -1.0)),
}


def alternate(ours, theirs, frames, warm, rounds):
    a, b = [], []
    for _ in range(rounds):
        a.append(ours(frames, warm))
        b.append(theirs(frames, warm))
    return min(a), min(b)


FIRST_CALL = """
import time, numpy as np
t0 = time.perf_counter()
from fastgmm import BackgroundSubtractorMOG2
frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
m = BackgroundSubtractorMOG2()
t1 = time.perf_counter()
m.apply(frame)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def first_call_latency() -> list[tuple[str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold (empty cache)", "cached"):
            out = subprocess.run([sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True,
                                 check=True).stdout.split()
            rows.append((label, float(out[0]), float(out[1])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few frames and rounds (smoke test)")
    args = parser.parse_args()
    n_small, n_big, rounds, warm = (30, 8, 2, 5) if args.quick else (200, 40, 5, 20)
    if args.quick:
        warm_big = 3
    else:
        warm_big = 10
    print(f"fastgmm vs OpenCV {cv2.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs "
          f"(alternated runs, best of {rounds}; timings are only comparable within a row)\n")
    print("| model | frame | threads | ours ms/frame | OpenCV ms/frame | ours fps | OpenCV fps | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for size, n, w in ((None, n_small, warm), ((1920, 1080), n_big, warm_big)):
        frames = load_frames(n, size)
        label = "x".join(map(str, frames[0].shape[1::-1]))
        for name, (ours, theirs) in PAIRS.items():
            for threads in (1, 2):
                numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
                cv2.setNumThreads(threads)
                ours(frames[: w + 2], w)  # compile / warm caches outside the timing
                a, b = alternate(ours, theirs, frames, w, rounds)
                print(f"| {name} | {label} | {threads} | {a * 1e3:.2f} | {b * 1e3:.2f} | {1 / a:.0f} | "
                      f"{1 / b:.0f} | {b / a:.2f}x |", flush=True)
    print("\n| first apply() in a fresh process (320x240 colour) | import + construct s | first apply s |")
    print("|---|---|---|")
    for label, t_import, t_apply in first_call_latency():
        print(f"| {label} | {t_import:.2f} | {t_apply:.2f} |")


if __name__ == "__main__":
    main()
