"""Frames per second of the adaptive mixture (model + post-processing, no decoding) beside OpenCV GSOC.

Highway frames (CDnet baseline/highway 470-569) at 320x240 and resized to 1920x1080 (cv2.resize),
colour, Numba threads ``--threads`` (default 2).  Each model first sees 20 frames; then
``--repeats`` rounds alternate the two methods (320x240: 30 frames of ours, the same 30 frames
of GSOC, in alternating order; 1920x1080: 10 frames of ours), so both see the same load on a
shared machine.  Reported: the median per-frame time over all rounds, the spread of the
per-round medians, and the best frame; ``uptime``'s load before the run.  With ``--parts``, the
320x240 rounds also time the model with one mechanism switched off at a time (and with all of them
off), in the same alternation: what each mechanism costs.

    python bench/adaptive_speed.py [--threads 2] [--repeats 10] [--parts]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

PARTS = {
    "post-processing off": dict(median_size=1, max_hole=0, min_blob=0),
    "motion off": dict(motion=False),
    "displacement off": dict(displacement=False),
    "shadows off": dict(detect_shadows=False),
    "feedback off": dict(feedback=False),
    "diffusion off": dict(diffusion=False),
}
"""The ``--parts`` variants: constructor options of the model that switch one mechanism off."""


def _timed_model(frame_shape, **options):
    """``apply`` of a new model with ``options``, writing into one preallocated mask."""
    from fastgmm.background.adaptive import AdaptiveMixtureSubtractor

    m = AdaptiveMixtureSubtractor(**options)
    out = np.empty(frame_shape[:2], np.uint8)

    def ours(f):
        m.apply(f, out=out)

    return ours


def _frames_timed(apply, frames):
    ts = []
    for f in frames:
        t0 = time.perf_counter()
        apply(f)
        ts.append(time.perf_counter() - t0)
    return ts


def main(argv=None) -> int:
    import cv2
    import numba

    from fastgmm.datasets import CDnetSequence, shared_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--parts", action="store_true",
                        help="also time the model with each mechanism switched off (320x240)")
    args = parser.parse_args(argv)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    seq = CDnetSequence(shared_data_dir() / "cdnet2012_baseline_highway")
    small = np.stack([f for _, f in seq.frames(470, 569)])
    print(f"Numba threads: {numba.get_num_threads()}, load average {os.getloadavg()[0]:.2f}")
    print("| input | method | median ms/frame | per-round medians (ms) | fps (median) | fps (best frame) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in ((320, 240), (1920, 1080)):
        frames = small if size == (320, 240) else np.stack([cv2.resize(f, size) for f in small[:60]])
        chunk = 30 if size == (320, 240) else 10
        methods = {"adaptive": (_timed_model(frames.shape[1:]), frames)}
        if size == (320, 240):
            if args.parts:
                for name, options in PARTS.items():
                    methods[f"adaptive, {name}"] = (_timed_model(frames.shape[1:], **options), frames)
                every = {k: v for options in PARTS.values() for k, v in options.items()}
                methods["adaptive, all of these off"] = (_timed_model(frames.shape[1:], **every), frames)
            g = cv2.bgsegm.createBackgroundSubtractorGSOC()
            methods["OpenCV GSOC"] = (g.apply, np.ascontiguousarray(frames[..., ::-1]))
        for apply, fr in methods.values():
            _frames_timed(apply, fr[:20])
        rounds = {name: [] for name in methods}
        start = 20
        for r in range(args.repeats):
            if start + chunk > len(frames):
                start = 20
            names = list(methods) if r % 2 == 0 else list(methods)[::-1]
            for name in names:
                apply, fr = methods[name]
                rounds[name].append(_frames_timed(apply, fr[start:start + chunk]))
            start += chunk
        for name, rs in rounds.items():
            ts = np.concatenate(rs)
            med = float(np.median(ts))
            per = [float(np.median(x)) * 1e3 for x in rs]
            print(f"| {size[0]}x{size[1]} | {name} | {med * 1e3:.2f} | {min(per):.2f} - {max(per):.2f} | "
                  f"{1 / med:.0f} | {1 / ts.min():.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
