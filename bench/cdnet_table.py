"""Markdown table of CDnet baseline/highway scores: every fastgmm method beside OpenCV MOG2 and KNN.

Every method runs over the same frames in order (1..N) and is scored on the temporal ROI with
fastgmm.metrics (CDnet's conventions: mask value 255 = detected).  OpenCV gets BGR frames, ours
RGB (same pixels).  Frames per second count the method alone (fit + apply, not JPEG decoding),
measured one method after the other in the same run (Numba kernels compiled beforehand on three
frames); on a busy machine compare ratios.

    python bench/cdnet_table.py                  # full sequence (frames 1-1700, scored 470-1700)
    python bench/cdnet_table.py --frames 700     # quick smoke run (scored 470-700)
    python bench/cdnet_table.py --methods default mog2 --no-opencv
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from cdnet_suite import run_opencv  # the same OpenCV runner as the suite (bench/ is on sys.path)

from fastgmm.background.methods import METHODS, subtract
from fastgmm.datasets import CDnetSequence, shared_data_dir
from fastgmm.metrics import ConfusionAccumulator


def _score(masks, seq, first, last):
    acc = ConfusionAccumulator(seq.roi)
    for number in range(first, last + 1):
        acc.update(masks[number - 1], seq.groundtruth(number))
    return acc.scores()


def run_fastgmm(frames, method, train_fraction):
    for _ in subtract(list(frames[:3]), method, train_fraction=train_fraction)[1]:
        pass  # compile the kernels before timing
    masks = np.empty(frames.shape[:3], dtype=np.uint8)
    t0 = time.perf_counter()
    _, it = subtract(list(frames) if not METHODS[method].online else frames, method, train_fraction=train_fraction)
    for t, mask in enumerate(it):
        masks[t] = mask
    return masks, time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, help="run frames 1..N only (default: all)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--no-opencv", action="store_true")
    parser.add_argument("--train-fraction", type=float, default=0.6)
    args = parser.parse_args(argv)
    data = shared_data_dir()
    if data is None or not (data / "cdnet2012_baseline_highway").is_dir():
        print("CDnet highway not found (set FASTGMM_DATA); nothing to do.", file=sys.stderr)
        return 0
    seq = CDnetSequence(data / "cdnet2012_baseline_highway")
    n = seq.n_frames if args.frames is None else min(args.frames, seq.n_frames)
    first, last = seq.temporal_roi[0], min(seq.temporal_roi[1], n)
    frames = np.stack([f for _, f in seq.frames(1, n)])
    runs = [(f"fastgmm {m}", lambda m=m: run_fastgmm(frames, m, args.train_fraction)) for m in args.methods]
    if not args.no_opencv:
        runs += [(f"OpenCV {name}", lambda name=name: run_opencv(frames, f"cv {name}")) for name in ("MOG2", "KNN")]
    print(f"CDnet baseline/highway, frames 1-{n} run in order, scored {first}-{last} "
          f"({frames.shape[2]}x{frames.shape[1]} RGB); fps = method time only")
    print()
    print("| method | F-measure | precision | recall | PWC | frames/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, run in runs:
        masks, seconds = run()
        s = _score(masks, seq, first, last)
        print(f"| {label} | {s.f_measure:.4f} | {s.precision:.4f} | {s.recall:.4f} | {s.pwc:.3f} | "
              f"{n / seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
