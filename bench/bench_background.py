"""pytest-benchmark: fastgmm MOG2/MOG vs OpenCV MOG2 and bgsegm MOG on CDnet highway frames.

    pytest bench/bench_background.py --benchmark-group-by=param:size,param:threads

Each benchmark applies a block of real frames (colour, default parameters, automatic learning
rate, preallocated ``out``) to a model warmed up on earlier frames; ours and OpenCV's share the
parameter grid (size 320x240 native and 1920x1080 resized; 1 and 2 threads), so the report
puts them side by side.  For alternated A/B timings and the first-call latency use
``bench/background_table.py``.
"""

from __future__ import annotations

import cv2
import numba
import numpy as np
import pytest

from fastgmm import BackgroundSubtractorMOG, BackgroundSubtractorMOG2
from fastgmm.datasets import shared_data_dir

SIZES = {"320x240": None, "1920x1080": (1920, 1080)}
WARM = 10
BLOCK = 10


@pytest.fixture(scope="module", params=list(SIZES))
def frames(request):
    root = shared_data_dir()
    if root is None:
        pytest.skip("CDnet highway frames not found (fastgmm.datasets.shared_data_dir() is None)")
    path = root / "cdnet2012_baseline_highway" / "input"
    fr = [cv2.imread(str(path / f"in{i:06d}.jpg")) for i in range(1, WARM + BLOCK + 1)]
    size = SIZES[request.param]
    if size is not None:
        fr = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in fr]
    return request.param, fr


def make(impl):
    return {
        "fastgmm-MOG2": lambda: BackgroundSubtractorMOG2(),
        "opencv-MOG2": lambda: cv2.createBackgroundSubtractorMOG2(),
        "fastgmm-MOG": lambda: BackgroundSubtractorMOG(),
        "opencv-MOG": lambda: cv2.bgsegm.createBackgroundSubtractorMOG(),
    }[impl]()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", ["fastgmm-MOG2", "opencv-MOG2", "fastgmm-MOG", "opencv-MOG"])
def test_apply_block(benchmark, frames, impl, threads):
    size, fr = frames
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    cv2.setNumThreads(threads)
    ours = impl.startswith("fastgmm")
    out = np.empty(fr[0].shape[:2], np.uint8)

    def apply(model, f):
        if ours:
            model.apply(f, out=out)
        else:
            model.apply(f, out, -1.0)

    def setup():
        model = make(impl)
        for f in fr[:WARM]:
            apply(model, f)
        return (model,), {}

    def run(model):
        for f in fr[WARM:]:
            apply(model, f)

    benchmark.extra_info.update(size=size, threads=threads, frames=BLOCK)
    benchmark.pedantic(run, setup=setup, rounds=5, iterations=1)
