"""A dynamic background pasted on the CDnet sequences: the default model beside OpenCV.

A stand-in for CDnet's ``dynamicBackground`` category (water, fountains, trees in the wind), which
``../shared/data`` does not hold.  In frames 1..``--frames``, the top-left region (``--region``:
fractions of the height and width) is replaced by a moving texture and counted as background in
the ground truth (anything it hides is hidden):

* ``water``: the region's mean colour in frame 1, plus two travelling waves of ``--amplitude`` grey
  levels each (different directions, wavelengths and speeds, each with a random phase step every
  frame), plus glints: ``--glints`` of its pixels, drawn anew every frame, ``+90`` (sun on ripples);
* ``sway``: the region's content in frame 1, moved as a whole by a random integer step in
  ``[-2, 2]^2`` every frame (leaves in the wind: motion of part of the image, which a global
  registration of the camera cannot explain).

Randomness from ``np.random.default_rng(0)``.  Scored on the temporal ROI with CDnet's conventions
(``cdnet_jitter.f_measure``); also the false-positive rate inside the region (the share of its
pixels in ROI marked foreground over the scored frames).

    python bench/cdnet_dynamic.py [--kind water sway] [--frames 1000] [--sequences highway] [--no-opencv]
"""

from __future__ import annotations

import argparse

import numpy as np
from cdnet_jitter import add_common_arguments, chosen, f_measure, method_names, subtractors
from cdnet_suite import OPENCV


def water(patch: np.ndarray, n_frames: int, amplitude: float, glints: float, rng) -> list[np.ndarray]:
    """Frames 1..n_frames of a rippling, glinting surface the shape of ``patch`` (h, w, 3) uint8."""
    h, w = patch.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = patch.reshape(-1, 3).mean(axis=0)
    waves = [(0.35, 0.10, 0.9), (-0.12, 0.27, 0.6)]  # (ky, kx, omega): direction, wavelength, speed
    phases = np.zeros(len(waves))
    out = []
    for t in range(n_frames):
        phases += rng.uniform(-0.3, 0.3, len(waves))
        level = sum(amplitude * np.sin(ky * y + kx * x - om * t + ph) for (ky, kx, om), ph in zip(waves, phases))
        level = level + 90.0 * (rng.random((h, w)) < glints)
        out.append(np.clip(base + level[..., None], 0, 255).astype(np.uint8))
    return out


def sway(patch: np.ndarray, n_frames: int, rng) -> list[np.ndarray]:
    """Frames 1..n_frames of ``patch`` moved as a whole by a random step in [-2, 2]^2 each frame
    (edge pixels repeated)."""
    padded = np.pad(patch, ((2, 2), (2, 2), (0, 0)), mode="edge")
    h, w = patch.shape[:2]
    steps = rng.integers(-2, 3, size=(n_frames, 2))
    return [padded[2 + dy:2 + dy + h, 2 + dx:2 + dx + w] for dy, dx in steps]


def pasted(seq, last: int, kind: str, region: tuple[float, float], amplitude: float, glints: float):
    """(frames, groundtruths by number, ROIs by number, region mask) of frames 1..last with the
    texture ``kind`` in the top-left region."""
    rng = np.random.default_rng(0)
    frames = [f.copy() for _, f in seq.frames(1, last)]
    H, W = frames[0].shape[:2]
    h, w = max(1, int(region[0] * H)), max(1, int(region[1] * W))
    patch = frames[0][:h, :w]
    texture = water(patch, last, amplitude, glints, rng) if kind == "water" else sway(patch, last, rng)
    for f, t in zip(frames, texture):
        f[:h, :w] = t
    inside = np.zeros((H, W), bool)
    inside[:h, :w] = True
    scored = range(seq.temporal_roi[0], min(seq.temporal_roi[1], last) + 1)
    gts = {}
    for n in scored:
        g = seq.groundtruth(n).copy()
        g[:h, :w] = 0
        gts[n] = g
    return frames, gts, {n: seq.roi for n in scored}, inside


def counting_region(apply, gts, rois, inside):
    """(``apply`` that also counts, over the frames with a ground truth, the region's pixels in ROI
    (``totals["px"]``) and those of them marked foreground (``totals["fp"]``); ``totals``)."""
    totals = {"n": 0, "fp": 0, "px": 0}

    def counted(frame):
        mask = apply(frame)
        totals["n"] += 1
        if totals["n"] in gts:
            in_roi = inside & (rois[totals["n"]] != 0)
            totals["fp"] += int(np.count_nonzero(mask[in_roi] == 255))
            totals["px"] += int(np.count_nonzero(in_roi))
        return mask

    return counted, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", nargs="+", choices=("water", "sway"), default=["water", "sway"])
    parser.add_argument("--region", type=float, nargs=2, default=(0.35, 0.45), help="height, width fractions")
    parser.add_argument("--amplitude", type=float, default=20.0, help="grey levels of each wave (water)")
    parser.add_argument("--glints", type=float, default=0.01, help="fraction of glinting pixels (water)")
    add_common_arguments(parser)
    args = parser.parse_args()
    seqs, params = chosen(args)
    opencv = () if args.no_opencv else OPENCV
    from fastgmm.datasets import CDnetSequence

    names = method_names(params, opencv)
    print("| sequence | background | " + " | ".join(f"{m} F | {m} FPR in region" for m in names) + " |")
    print("| --- " * (2 + 2 * len(names)) + "|")
    for path in seqs:
        seq = CDnetSequence(path)
        last = min(args.frames, seq.n_frames)
        for kind in args.kind:
            frames, gts, rois, inside = pasted(seq, last, kind, tuple(args.region), args.amplitude, args.glints)
            row = []
            for apply in subtractors(params, opencv):
                counted, totals = counting_region(apply, gts, rois, inside)
                f, _ = f_measure(counted, frames, gts, rois)
                row += [f"{f:.3f}", f"{totals['fp'] / max(totals['px'], 1):.4f}"]
            print(f"| {path.name} | {kind} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
