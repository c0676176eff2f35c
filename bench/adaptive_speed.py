"""Frames per second of the adaptive mixture (model + post-processing, no decoding) beside OpenCV GSOC.

Highway frames (CDnet baseline/highway 470-569) at 320x240 and resized to 1920x1080 (cv2.resize),
colour, Numba threads ``--threads`` (default 2).  Each configuration runs after a 20-frame warm-up;
the median and best per-frame times over the remaining frames are reported, and GSOC's fps over
the same frames (320x240) in the same process.

    python bench/adaptive_speed.py
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv=None) -> int:
    import cv2
    import numba

    from fastgmm.background.adaptive import AdaptiveMixtureSubtractor
    from fastgmm.datasets import CDnetSequence, shared_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    seq = CDnetSequence(shared_data_dir() / "cdnet2012_baseline_highway")
    small = np.stack([f for _, f in seq.frames(470, 569)])
    print(f"Numba threads: {numba.get_num_threads()}")
    print("| input | method | median ms/frame | fps (median) | fps (best frame) |")
    print("| --- | --- | --- | --- | --- |")
    for size in ((320, 240), (1920, 1080)):
        frames = small if size == (320, 240) else np.stack([cv2.resize(f, size) for f in small[:60]])
        m = AdaptiveMixtureSubtractor()
        out = np.empty(frames.shape[1:3], np.uint8)
        for f in frames[:20]:
            m.apply(f, out=out)
        ts = []
        for f in frames[20:]:
            t0 = time.perf_counter()
            m.apply(f, out=out)
            ts.append(time.perf_counter() - t0)
        med = float(np.median(ts))
        print(f"| {size[0]}x{size[1]} | adaptive | {med * 1e3:.2f} | {1 / med:.0f} | {1 / min(ts):.0f} |", flush=True)
        if size == (320, 240):
            g = cv2.bgsegm.createBackgroundSubtractorGSOC()
            bgr = np.ascontiguousarray(frames[..., ::-1])
            ts = []
            for f in bgr:
                t0 = time.perf_counter()
                g.apply(f)
                ts.append(time.perf_counter() - t0)
            med = float(np.median(ts[20:]))
            print(f"| {size[0]}x{size[1]} | OpenCV GSOC | {med * 1e3:.2f} | {1 / med:.0f} | {1 / min(ts[20:]):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
