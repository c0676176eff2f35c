"""Camouflage made on the CDnet sequences: the default model beside OpenCV as objects fade into the background.

A stand-in for camouflage (objects the colour of what is behind them), which ``../shared/data``
does not hold.  In frames 1..``--frames``, the pixels the ground truth marks foreground (255) are
changed, everything else is kept; ``b`` is the per-pixel temporal median of every 10th frame (the
background the objects pass over), ``contrast`` 1 leaves the sequence as it is:

* ``--mode colour`` (default): the objects keep their own texture, but their mean colour in each
  frame moves towards the mean of the background under them: ``x + (1 - contrast) (mean b - mean
  x)`` (at contrast 0 the two means are equal and only the texture tells the object);
* ``--mode fade``: every object pixel moves towards the background behind it, ``b + contrast
  (x - b)`` (a semi-transparent object: it keeps the background's texture and darkens or lightens
  it, which is also what a cast shadow does).

Scored on the temporal ROI with CDnet's conventions (``cdnet_jitter.confusion``):
F and recall.

    python bench/cdnet_camouflage.py [--mode colour] [--contrast 1 0.5 0.25 0] [--frames 1000] [--no-opencv]
"""

from __future__ import annotations

import argparse

import numpy as np
from cdnet_jitter import add_common_arguments, chosen, confusion, method_names, subtractors
from cdnet_suite import OPENCV


def camouflaged(seq, last: int, contrast: float, mode: str):
    """(frames, groundtruths by number, ROIs by number) of frames 1..last, the foreground moved
    towards the background (``mode`` "colour" or "fade", see the module docstring); ground truths
    and ROIs of the frames in the temporal ROI."""
    frames = [f for _, f in seq.frames(1, last)]
    background = np.median(np.stack(frames[::10]), axis=0)
    out, gts = [], {}
    for n, f in enumerate(frames, 1):
        g = seq.groundtruth(n)
        obj = g == 255
        f = f.copy()
        x, b = f[obj].astype(np.float64), background[obj]
        if mode == "fade":
            x = b + contrast * (x - b)
        elif len(x):
            x = x + (1.0 - contrast) * (b.mean(axis=0) - x.mean(axis=0))
        f[obj] = np.clip(np.rint(x), 0, 255).astype(np.uint8)
        out.append(f)
        if seq.in_temporal_roi(n):
            gts[n] = g
    return out, gts, {n: seq.roi for n in gts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contrast", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.0])
    parser.add_argument("--mode", choices=("colour", "fade"), default="colour")
    add_common_arguments(parser)
    args = parser.parse_args()
    seqs, params = chosen(args)
    opencv = () if args.no_opencv else OPENCV
    from fastgmm.datasets import CDnetSequence

    names = method_names(params, opencv)
    print("| sequence | contrast | " + " | ".join(f"{m} F | {m} recall" for m in names) + " |")
    print("| --- " * (2 + 2 * len(names)) + "|")
    for path in seqs:
        seq = CDnetSequence(path)
        last = min(args.frames, seq.n_frames)
        for contrast in args.contrast:
            frames, gts, rois = camouflaged(seq, last, contrast, args.mode)
            row = []
            for apply in subtractors(params, opencv):
                total, _ = confusion(apply, frames, gts, rois)
                row += [f"{total.f_measure:.3f}", f"{total.recall:.3f}"]
            print(f"| {path.name} | {args.mode} {contrast:g} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
