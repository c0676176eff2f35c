"""CDnet suite: fastgmm's adaptive mixture, its ablations and OpenCV's subtractors on every CDnet sequence.

Every CDnet-layout folder in the shared data directory (``fastgmm.datasets.shared_data_dir()``)
is run frame 1..N in order and scored on its temporal ROI with ``fastgmm.metrics`` (GT 255
positive, 0/50 negative, 85/170 ignored; mask 255 = detected).  Frames are decoded once and kept
in memory; frames/s count the method alone (no decoding).  Ours gets RGB, OpenCV BGR (same
pixels), with default parameters.  Numba threads: ``--threads`` (default 2).

    python bench/cdnet_suite.py                               # everything
    python bench/cdnet_suite.py --frames 800 --no-opencv      # quick
    python bench/cdnet_suite.py --sequences cdnet2012_baseline_office --methods adaptive
    python bench/cdnet_suite.py --json results.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from fastgmm.datasets import CDnetSequence, shared_data_dir
from fastgmm.metrics import ConfusionAccumulator

ABLATIONS = {
    "adaptive": {},
    "no-feedback": {"feedback": False},
    "no-diffusion": {"diffusion": False},
    "no-ghost": {"ghost": False},
    "no-conservative": {"fg_rate": 1.0},
    "no-shadows": {"detect_shadows": False},
    "no-frame_level": {"frame_level": False},
    "no-gain": {"gain": False},
    "no-displacement": {"displacement": False},
    "no-motion": {"motion": False},
    "no-blobs": {"max_hole": 0.0, "min_blob": 0.0},
    "restore_radius-2": {"restore_radius": 2},
    "no-postprocess": {"median_size": 1, "max_hole": 0.0, "min_blob": 0.0},
}
"""Our rows: the model, one row per mechanism switched off, and the previous edge restoration radius."""
OPENCV = ("cv MOG2", "cv KNN", "cv bgsegm MOG", "cv CNT", "cv GSOC")


def opencv_factory(name):
    import cv2

    return {
        "cv MOG2": cv2.createBackgroundSubtractorMOG2,
        "cv KNN": cv2.createBackgroundSubtractorKNN,
        "cv bgsegm MOG": cv2.bgsegm.createBackgroundSubtractorMOG,
        "cv CNT": cv2.bgsegm.createBackgroundSubtractorCNT,
        "cv GSOC": cv2.bgsegm.createBackgroundSubtractorGSOC,
    }[name]()


def run_ours(frames, params):
    from fastgmm.background.adaptive import AdaptiveMixtureSubtractor

    warm = AdaptiveMixtureSubtractor(**params)
    for f in frames[:3]:
        warm.apply(f)  # compile before timing
    model = AdaptiveMixtureSubtractor(**params)
    masks = np.empty(frames.shape[:3], dtype=np.uint8)
    t0 = time.perf_counter()
    for t in range(len(frames)):
        model.apply(frames[t], out=masks[t])
    return masks, time.perf_counter() - t0


def run_opencv(frames, name):
    sub = opencv_factory(name)
    bgr = np.ascontiguousarray(frames[..., ::-1])
    masks = np.empty(frames.shape[:3], dtype=np.uint8)
    t0 = time.perf_counter()
    for t in range(len(bgr)):
        masks[t] = sub.apply(bgr[t])
    return masks, time.perf_counter() - t0


def score(masks, seq, gts, first, last):
    acc = ConfusionAccumulator(seq.roi)
    for number in range(first, last + 1):
        acc.update(masks[number - 1], gts[number - first])
    return acc.scores()


def find_sequences():
    data = shared_data_dir()
    if data is None:
        return []
    out = []
    for d in sorted(data.iterdir()):
        if d.is_dir() and (d / "input").is_dir() and (d / "groundtruth").is_dir() and (d / "temporalROI.txt").exists():
            out.append(d)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    seqs = find_sequences()
    parser.add_argument("--sequences", nargs="+", default=[d.name for d in seqs])
    parser.add_argument("--methods", nargs="+", default=list(ABLATIONS) + list(OPENCV),
                        help=f"of {list(ABLATIONS) + list(OPENCV)}")
    parser.add_argument("--frames", type=int, help="run frames 1..N only")
    parser.add_argument("--no-opencv", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="extra keyword parameters for our model (exploration only)")
    args = parser.parse_args(argv)
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    extra = {}
    for kv in args.set:
        k, v = kv.split("=")
        number = v.replace(".", "", 1).lstrip("-").isdigit()
        extra[k] = int(v) if v.lstrip("-").isdigit() else float(v) if number else v == "True"
    methods = [m for m in args.methods if not (args.no_opencv and m in OPENCV)]
    by_name = {d.name: d for d in seqs}
    results = []
    table = {}
    for name in args.sequences:
        seq = CDnetSequence(by_name[name])
        n = seq.n_frames if args.frames is None else min(args.frames, seq.n_frames)
        first, last = seq.temporal_roi[0], min(seq.temporal_roi[1], n)
        if last < first:
            print(f"{name}: --frames {n} ends before the temporal ROI ({first}); skipped", file=sys.stderr)
            continue
        frames = np.stack([f for _, f in seq.frames(1, n)])
        gts = [seq.groundtruth(k) for k in range(first, last + 1)]
        H, W = frames.shape[1:3]
        print(f"\n### {name}: frames 1-{n}, scored {first}-{last}, {W}x{H}\n", flush=True)
        print("| method | F | precision | recall | PWC | frames/s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for m in methods:
            if m in ABLATIONS:
                masks, sec = run_ours(frames, {**ABLATIONS[m], **extra})
            else:
                masks, sec = run_opencv(frames, m)
            s = score(masks, seq, gts, first, last)
            fps = n / sec
            print(f"| {m} | {s.f_measure:.3f} | {s.precision:.3f} | {s.recall:.3f} | {s.pwc:.3f} | {fps:.0f} |",
                  flush=True)
            results.append({"sequence": name, "method": m, "fps": fps, "frames": n, **s.as_dict()})
            table.setdefault(m, []).append(s.f_measure)
    if len(args.sequences) > 1:
        print("\n### mean F over the sequences\n")
        print("| method | " + " | ".join(args.sequences) + " | mean |")
        print("| --- " * (len(args.sequences) + 2) + "|")
        for m, fs in table.items():
            print(f"| {m} | " + " | ".join(f"{f:.3f}" for f in fs) + f" | {np.mean(fs):.3f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"threads": args.threads, "extra": extra, "results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
