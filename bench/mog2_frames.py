"""Import, a new MOG2 and 30 + N colour 320x240 frames (a noisy static scene with a moving block):
the workload whose instruction counts docs/performance.md ("MOG2 cold start") compares.

    NUMBA_NUM_THREADS=1 NUMBA_CACHE_DIR=DIR valgrind --tool=cachegrind --cache-sim=no \\
        --cachegrind-out-file=/dev/null python bench/mog2_frames.py N

With an empty DIR the first run compiles (valgrind's CPU differs from the host's, so the host's
cache is not used); per frame = (I refs with N=20 - I refs with N=0) / 20, both from a filled cache
(this includes generating the frame, the same for every version of the kernel).
"""

import sys

import numpy as np

from fastgmm import BackgroundSubtractorMOG2

n = int(sys.argv[1])
rng = np.random.default_rng(0)
bg = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
frames = []
for t in range(30 + n):
    frame = np.clip(bg.astype(int) + rng.normal(0, 4, bg.shape), 0, 255).astype(np.uint8)
    frame[50:120, (4 * t) % 250:(4 * t) % 250 + 60] = 30
    frames.append(frame)
model = BackgroundSubtractorMOG2()
for frame in frames:
    model.apply(frame)
