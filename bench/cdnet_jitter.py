"""Synthetic camera jitter on the CDnet sequences: the default model beside OpenCV under random translations.

A stand-in for CDnet's ``cameraJitter`` category, which ``../shared/data`` does not hold: frame n
(its ground truth and ROI with it) is cropped by ``--amplitude`` pixels on every side at a random
integer offset (dy, dx) in [-amplitude, amplitude]^2 (seeded ``np.random.default_rng(0)``), so the
camera appears to shake by up to that many pixels from frame to frame.  Frames 1..``--frames`` in
order, scored on the temporal ROI within them with CDnet's conventions (``bench/cdnet_suite.py``'s
scorer).  F-measure only: speed is ``bench/adaptive_speed.py``'s job.

    python bench/cdnet_jitter.py [--amplitude 0 1 2] [--frames 1000] [--sequences highway office]
    python bench/cdnet_jitter.py --amplitude 2 --sequences highway --ours '{"feedback": false}' --no-opencv
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from cdnet_suite import OPENCV, find_sequences, opencv_factory

from fastgmm import DefaultSubtractor
from fastgmm.metrics import ConfusionAccumulator


def jittered(seq, last: int, amplitude: int):
    """(frames, groundtruths by number, ROIs by number) of frames 1..last, each shifted at random."""
    shifts = np.random.default_rng(0).integers(-amplitude, amplitude + 1, size=(last + 1, 2))

    def crop(a, n):
        dy, dx = shifts[n]
        H, W = a.shape[:2]
        return np.ascontiguousarray(a[amplitude + dy:H - amplitude + dy, amplitude + dx:W - amplitude + dx])

    return cropped(seq, last, crop)


def cropped(seq, last: int, crop):
    """(frames, groundtruths by number, ROIs by number) of frames 1..last, each array ``a`` of frame
    ``n`` as ``crop(a, n)`` (the ground truth and the ROI moved with the camera)."""
    scored = range(seq.temporal_roi[0], min(seq.temporal_roi[1], last) + 1)
    frames = [crop(f, n) for n, f in seq.frames(1, last)]
    return frames, {n: crop(seq.groundtruth(n), n) for n in scored}, {n: crop(seq.roi, n) for n in scored}


def confusion(apply, frames, gts, rois, window=()):
    """(scores over the frames that have a ground truth, scores over those of them in ``window``
    (frame numbers; None when empty)), as ``fastgmm.metrics.ConfusionAccumulator.scores``."""
    acc, part = ConfusionAccumulator(), ConfusionAccumulator()
    for n, frame in enumerate(frames, 1):
        mask = apply(frame)
        if n in gts:
            for a in (acc, part) if n in window else (acc,):
                a.roi = rois[n]  # the ROI moves with the camera
                a.update(mask, gts[n])
    return acc.scores(), part.scores() if window else None


def f_measure(apply, frames, gts, rois, window=()) -> tuple[float, float]:
    """F of :func:`confusion`'s two scores (NaN for an empty ``window``)."""
    total, part = confusion(apply, frames, gts, rois, window)
    return total.f_measure, part.f_measure if window else float("nan")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this bench shares with ``cdnet_pan.py``: frames, sequences, ours' parameters, OpenCV."""
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--sequences", nargs="+", default=None, help="name fragments, e.g. highway office")
    parser.add_argument("--ours", default="{}", help="JSON of DefaultSubtractor parameters (ablations)")
    parser.add_argument("--no-opencv", action="store_true")


def subtractors(params: dict, opencv) -> list:
    """New ``apply`` callables: the default model with ``params``, then each OpenCV subtractor named
    in ``opencv`` (keys of ``cdnet_suite.OPENCV``), fed the frames as BGR."""
    subs = [DefaultSubtractor(**params).apply]
    for name in opencv:
        sub = opencv_factory(name)
        subs.append(lambda f, s=sub: s.apply(np.ascontiguousarray(f[..., ::-1])))
    return subs


def method_names(params: dict, opencv) -> list[str]:
    """Column names of :func:`subtractors`' methods."""
    return ["fastgmm default" + (f" {params}" if params else "")] + list(opencv)


def chosen(args: argparse.Namespace) -> tuple[list, dict]:
    """(the CDnet sequence folders ``--sequences`` names, the parameters of ``--ours``)."""
    seqs = [s for s in find_sequences() if args.sequences is None or any(k in s.name for k in args.sequences)]
    return seqs, json.loads(args.ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amplitude", type=int, nargs="+", default=[0, 1, 2])
    add_common_arguments(parser)
    args = parser.parse_args()
    seqs, params = chosen(args)
    opencv = () if args.no_opencv else OPENCV
    from fastgmm.datasets import CDnetSequence

    print(f"| sequence | jitter (px) | fastgmm default {params or ''} | " + " | ".join(opencv) + " |")
    print("| --- " * (3 + len(opencv)) + "|")
    for path in seqs:
        seq = CDnetSequence(path)
        last = min(args.frames, seq.n_frames)
        for amp in args.amplitude:
            frames, gts, rois = jittered(seq, last, amp)
            row = [f_measure(apply, frames, gts, rois)[0] for apply in subtractors(params, opencv)]
            print(f"| {path.name} | ±{amp} | " + " | ".join(f"{v:.3f}" for v in row) + " |", flush=True)


if __name__ == "__main__":
    main()
