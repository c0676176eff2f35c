"""A camera bumped once, or panning, simulated on the CDnet sequences: the default model beside OpenCV.

A stand-in for CDnet's ``PTZ`` category and for a camera knocked out of place, which
``../shared/data`` does not hold: frame n (its ground truth and ROI with it) is cropped by a
window that moves with the "camera".

* ``bump N``: the window is at (0, 0) of the frame, then from frame ``--at`` on (default: the
  middle of the scored frames) at (N, N) and stays there (crop H - N by W - N).
* ``pan S``: the window moves horizontally at S pixels per frame, back and forth over
  ``--travel`` pixels (a patrolling PTZ camera; crop H by W - travel), from frame 1.

Frames 1..``--frames`` in order, scored on the temporal ROI within them with CDnet's conventions
(``cdnet_jitter.f_measure``); "after" is the F of the 100 scored frames from the bump on (bump
only).  F-measure only.

    python bench/cdnet_pan.py [--bump 0 4 7] [--pan 1 2] [--frames 1000] [--sequences highway]
    python bench/cdnet_pan.py --bump 7 --no-opencv
"""

from __future__ import annotations

import argparse

import numpy as np
from cdnet_jitter import add_common_arguments, chosen, cropped, f_measure, method_names, subtractors
from cdnet_suite import OPENCV


def windows(last: int, mode: str, amount: int, at: int, travel: int) -> tuple[np.ndarray, int, int]:
    """(offsets (last + 1, 2) of the window's top-left corner by frame number, rows and columns cut)."""
    n = np.arange(last + 1)
    offsets = np.zeros((last + 1, 2), int)
    if mode == "bump":
        offsets[n >= at] = amount
        return offsets, amount, amount
    phase = (n * amount) % (2 * travel)
    offsets[:, 1] = np.minimum(phase, 2 * travel - phase)  # a triangle wave: there and back
    return offsets, 0, travel


def moved(seq, last: int, mode: str, amount: int, at: int, travel: int):
    """(frames, groundtruths by number, ROIs by number) of frames 1..last, each cropped by its window."""
    offsets, cut_y, cut_x = windows(last, mode, amount, at, travel)

    def crop(a, n):
        oy, ox = offsets[n]
        H, W = a.shape[:2]
        return np.ascontiguousarray(a[oy:oy + H - cut_y, ox:ox + W - cut_x])

    return cropped(seq, last, crop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bump", type=int, nargs="*", default=[0, 4, 7], help="bump sizes (pixels, each axis)")
    parser.add_argument("--pan", type=int, nargs="*", default=[1, 2], help="pan speeds (pixels per frame)")
    parser.add_argument("--at", type=int, default=None, help="frame of the bump (default: mid scored range)")
    parser.add_argument("--travel", type=int, default=40, help="pan range (pixels)")
    add_common_arguments(parser)
    args = parser.parse_args()
    seqs, params = chosen(args)
    opencv = () if args.no_opencv else ("cv MOG2", "cv GSOC")
    assert set(opencv) <= set(OPENCV)
    from fastgmm.datasets import CDnetSequence

    names = method_names(params, opencv)
    print("| sequence | camera | " + " | ".join(f"{m} | {m} after" for m in names) + " |")
    print("| --- " * (2 + 2 * len(names)) + "|")
    for path in seqs:
        seq = CDnetSequence(path)
        last = min(args.frames, seq.n_frames)
        first, end = seq.temporal_roi[0], min(seq.temporal_roi[1], last)
        at = (first + end) // 2 if args.at is None else args.at
        runs = [("bump", b) for b in args.bump] + [("pan", s) for s in args.pan]
        for mode, amount in runs:
            frames, gts, rois = moved(seq, last, mode, amount, at, args.travel)
            after = {n: g for n, g in gts.items() if at <= n < at + 100} if mode == "bump" else {}
            row = []
            for apply in subtractors(params, opencv):
                total, window = f_measure(apply, frames, gts, rois, after)
                row += [f"{total:.3f}", f"{window:.3f}" if after else "-"]
            label = f"bump {amount} px at {at}" if mode == "bump" else f"pan {amount} px/frame over {args.travel}"
            print(f"| {path.name} | {label} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
