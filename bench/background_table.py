"""Frames per second of fastgmm's MOG2/MOG vs OpenCV MOG2 and bgsegm MOG, as a Markdown table.

Real frames: CDnet highway (native 320x240 and resized to 1920x1080), colour, default parameters,
automatic learning rate, ``out=`` preallocated on both sides.  For each thread count (1, 2) each
round builds a fresh model on both sides, warms both up on the first frames, then feeds them the
same frames *interleaved* -- frame i to one, frame i to the other, the order swapped every frame --
timing every ``apply``, each after a ``GAP`` pause.  Interleaving frame by frame exposes both to
the same moments of a noisy (virtual) machine; alternating whole runs did not: on a shared VM the
best-of-5 MOG2 1080p 2-thread ratio of the same code read 1.31x in one invocation and 1.50x in the
next.  The pause lets the other side's worker threads stop spinning (OpenMP and OpenCV's pool
busy-wait a while after a parallel region): without it OpenCV's 2-thread 1080p frames read ~10 %
slower and the ratio ~10 % more in our favour (1.83-1.88x vs 1.65-1.69x, measured 2026-11-25).
Reported: median ms per frame over all rounds, the ratio of the medians, and the lowest and highest
ratio of the rounds' totals.
Also measures the first-call latency of ``apply`` in fresh processes (cold: empty Numba cache;
cached: second process on the same cache).

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


def ours_apply(cls):
    """Factory: frame shape -> a fresh model's ``apply`` writing into a preallocated mask."""
    def make(shape):
        model, out = cls(), np.empty(shape, np.uint8)
        return lambda f: model.apply(f, out=out)
    return make


def opencv_apply(create, lr):
    """The same for an OpenCV subtractor (``lr``: its learning rate argument)."""
    def make(shape):
        model, out = create(), np.empty(shape, np.uint8)
        return lambda f: model.apply(f, out, lr)
    return make


def whole_run(make):
    """Runner: mean seconds per frame of one fresh model over ``frames[warm:]`` after ``warm`` frames."""
    def run(frames, warm):
        apply = make(frames[0].shape[:2])
        for f in frames[:warm]:
            apply(f)
        t = time.perf_counter()
        for f in frames[warm:]:
            apply(f)
        return (time.perf_counter() - t) / (len(frames) - warm)
    return run


INTERLEAVED = {
    "MOG2": (ours_apply(BackgroundSubtractorMOG2), opencv_apply(cv2.createBackgroundSubtractorMOG2, -1.0)),
    "MOG": (ours_apply(BackgroundSubtractorMOG), opencv_apply(cv2.bgsegm.createBackgroundSubtractorMOG, -1.0)),
}


GAP = 0.005
"""Seconds of pause before each timed ``apply`` in :func:`interleaved`."""


def interleaved(make_ours, make_theirs, frames, warm, rounds):
    """Per-frame seconds of both sides fed the same frames in turn (see the module docstring):
    (ours, theirs) as arrays of shape (rounds, len(frames) - warm)."""
    n = len(frames) - warm
    t = np.empty((2, rounds, n))
    for r in range(rounds):
        sides = (make_ours(frames[0].shape[:2]), make_theirs(frames[0].shape[:2]))
        for f in frames[:warm]:
            sides[0](f)
            sides[1](f)
        for i, f in enumerate(frames[warm:]):
            for s in ((0, 1) if (i + r) % 2 == 0 else (1, 0)):
                time.sleep(GAP)
                t0 = time.perf_counter()
                sides[s](f)
                t[s, r, i] = time.perf_counter() - t0
    return t[0], t[1]


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
    n_small, n_big, rounds, warm, warm_big = (30, 8, 2, 5, 3) if args.quick else (200, 40, 5, 20, 10)
    print(f"fastgmm vs OpenCV {cv2.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs; frames fed to "
          f"both sides in turn, {rounds} rounds (see the module docstring)\n")
    print("| model | frame | threads | ours ms/frame | OpenCV ms/frame | ours fps | OpenCV fps | speed-up | "
          "rounds: lowest - highest |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size, n, w in ((None, n_small, warm), ((1920, 1080), n_big, warm_big)):
        frames = load_frames(n, size)
        label = "x".join(map(str, frames[0].shape[1::-1]))
        for name, (ours, theirs) in INTERLEAVED.items():
            for threads in (1, 2):
                numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
                cv2.setNumThreads(threads)
                interleaved(ours, theirs, frames[: w + 2], w, 1)  # compile / warm caches outside the timing
                a, b = interleaved(ours, theirs, frames, w, rounds)
                ma, mb = np.median(a), np.median(b)
                per_round = b.sum(axis=1) / a.sum(axis=1)
                print(f"| {name} | {label} | {threads} | {ma * 1e3:.2f} | {mb * 1e3:.2f} | {1 / ma:.0f} | "
                      f"{1 / mb:.0f} | {mb / ma:.2f}x | {per_round.min():.2f}x - {per_round.max():.2f}x |", flush=True)
    print("\n| first apply() in a fresh process (320x240 colour) | import + construct s | first apply s |")
    print("|---|---|---|")
    for label, t_import, t_apply in first_call_latency():
        print(f"| {label} | {t_import:.2f} | {t_apply:.2f} |")


if __name__ == "__main__":
    main()
