"""Read+write streaming bandwidth of this machine with 1 and 2 Numba threads, and what it implies for
MOG2 at 1920x1080: every frame reads and writes each pixel's 64-byte main state record (plus the
frame and the mask), so the frame time cannot fall below that traffic divided by the bandwidth.

    python bench/memory_bandwidth.py
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import prange

from fastgmm._jit import kernel

PIXELS = 1920 * 1080
RECORD = 64  # bytes of MOG2's main per-pixel record (fastgmm.background._records)


@kernel(parallel=True, fastmath=False)
def _scale(a, out):  # pragma: no cover - jitted
    for r in prange(a.shape[0]):
        for j in range(a.shape[1]):
            out[r, j] = a[r, j] * np.float32(1.0001)


def main() -> None:
    a = np.ones((1080, 1920 * RECORD // 4), np.float32)  # the size of the 1080p main state: 133 MB
    out = np.empty_like(a)
    _scale(a, out)
    traffic = 2 * PIXELS * RECORD + PIXELS * 3 + PIXELS  # state read + written, frame read, mask written
    print("| threads | read+write GB/s | MOG2 1080p lower bound ms/frame |")
    print("|---|---|---|")
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        best = float("inf")
        for _ in range(7):
            t0 = time.perf_counter()
            _scale(a, out)
            best = min(best, time.perf_counter() - t0)
        gbs = 2 * a.nbytes / best / 1e9
        print(f"| {threads} | {gbs:.1f} | {traffic / (gbs * 1e9) * 1e3:.1f} |")


if __name__ == "__main__":
    main()
