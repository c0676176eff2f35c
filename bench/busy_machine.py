"""MOG2 at 320x240 on a quiet machine and beside one busy-looping process: ours with 2 and 1 Numba
threads vs OpenCV with 2 threads (ms/frame; median, min and max of alternated runs).

    python bench/busy_machine.py [--rounds 5]

Shows what a camera loop sees when another process keeps a core busy: a parallel kernel waits for
both of its threads at the end of every frame.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import cv2
import numba
import numpy as np
from background_table import load_frames, opencv_apply, ours_apply, whole_run

from fastgmm import BackgroundSubtractorMOG2

WARM = 20
_ours = whole_run(ours_apply(BackgroundSubtractorMOG2))
_opencv = whole_run(opencv_apply(cv2.createBackgroundSubtractorMOG2, -1.0))


def ours(frames, threads: int) -> float:
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return _ours(frames, WARM) * 1e3


def opencv(frames, threads: int) -> float:
    cv2.setNumThreads(threads)
    return _opencv(frames, WARM) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frames = load_frames(150, None)
    ours(frames, 2), ours(frames, 1)  # compile
    runs = {"ours, 2 threads": lambda: ours(frames, 2), "ours, 1 thread": lambda: ours(frames, 1),
            "OpenCV, 2 threads": lambda: opencv(frames, 2)}
    print("| busy processes | implementation | median ms/frame | min | max |")
    print("|---|---|---|---|---|")
    for busy in (0, 1):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            time.sleep(0.5)
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.rounds):
                for name, run in runs.items():
                    times[name].append(run())
        finally:
            for hog in hogs:
                hog.kill()
        for name, t in times.items():
            print(f"| {busy} | {name} | {np.median(t):.2f} | {min(t):.2f} | {max(t):.2f} |", flush=True)


if __name__ == "__main__":
    main()
