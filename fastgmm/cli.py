"""The ``fastgmm`` command: segment an image, subtract backgrounds, evaluate on CDnet, run the demo.

Every sub-command reports bad input (missing file, unreadable video, folder without images,
frames of different sizes, bad option values) as one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .pipeline import one_line, progress, subtract_one

EXIT_USAGE = 2


class UsageError(ValueError):
    """A bad command-line value (reported as one line, exit code 2)."""


def _fraction(text: str) -> float:
    """argparse type of --train-fraction: a number in (0, 1]."""
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1]; got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: message``, exit code 2) instead of usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


def _cmd_segment(args: argparse.Namespace) -> int:
    import imageio.v3 as iio

    from .io import open_frames
    from .segmentation import segment

    if args.k < 1:
        raise UsageError(f"-k must be at least 1; got {args.k}.")
    reader = open_frames(args.image)
    if reader.kind not in ("image", "files"):
        raise UsageError(f"{args.image} is not a single image file.")
    _, image = next(iter(reader))
    result = segment(image, args.k, random_state=args.seed)
    out = result.palette_image() if args.palette else result.colored()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(args.output, out)
    if not args.quiet:
        counts = np.bincount(result.labels.ravel(), minlength=args.k)
        print(f"{args.output}: {args.k} segments, pixels per segment {counts.tolist()}")
    return 0


def _many_videos(args: argparse.Namespace) -> bool:
    """Whether the inputs are several videos (one output folder each) rather than one sequence."""
    from .io import IMAGE_SUFFIXES

    if args.workers is not None or args.scheduler is not None:
        return True
    return len(args.input) > 1 and not all(
        Path(p).suffix.lower() in IMAGE_SUFFIXES and not Path(p).is_dir() for p in args.input
    )


def _cmd_subtract(args: argparse.Namespace) -> int:
    if _many_videos(args):
        return _subtract_many(args)
    start = time.perf_counter()
    count = subtract_one(args.input[0] if len(args.input) == 1 else args.input, args.output, method=args.method,
                         train_fraction=args.train_fraction, fps=args.fps, background=args.background,
                         quiet=args.quiet)
    if not args.quiet:
        print(f"{count} masks ({args.method}) written to {args.output} in {time.perf_counter() - start:.1f} s")
    return 0


def _subtract_many(args: argparse.Namespace) -> int:
    """Several videos, each to OUTPUT/<stem>/, on Dask workers (--workers N local, or --scheduler)."""
    from .background.methods import get_method
    from .io import GIF_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES

    get_method(args.method)
    if args.background and Path(args.background).suffix.lower() in IMAGE_SUFFIXES:
        raise UsageError(f"with several videos --background must be a folder (one <stem>.png per video); got "
                         f"{args.background}.")
    if Path(args.output).suffix.lower() in VIDEO_SUFFIXES | GIF_SUFFIXES:
        raise UsageError(f"with several videos -o must be a folder (one sub-folder per video); got {args.output}.")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both.")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1; got {args.workers}.")
    for path in args.input:
        if not Path(path).exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
    try:
        import distributed

        from .distributed import subtract_many
    except ImportError:
        raise UsageError("several videos run on Dask, which is not installed; pip install 'fastgmm[dask]'") from None
    start = time.perf_counter()
    client = None
    if args.scheduler is not None:
        try:
            client = distributed.Client(args.scheduler, timeout=args.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"cannot reach the Dask scheduler at {args.scheduler} within {args.timeout:g} s: {exc}"
            ) from None
    n_workers = args.workers or min(len(args.input), os.cpu_count() or 1)
    try:  # without --scheduler, subtract_many starts a local cluster of n_workers and closes it
        results = subtract_many(args.input, args.output, method=args.method, client=client, n_workers=n_workers,
                                progress=not args.quiet, background_dir=args.background,
                                train_fraction=args.train_fraction, fps=args.fps)
    finally:
        if client is not None:
            client.close()
    failed = [r for r in results.values() if not r.ok]
    for r in failed:
        where = "" if r.source in r.error else f"{r.source}: "
        print(f"fastgmm subtract: error: {where}{r.error}", file=sys.stderr)
    if not args.quiet:
        done = len(results) - len(failed)
        masks = sum(r.n_masks for r in results.values())
        print(f"{done} of {len(results)} videos ({masks} masks, {args.method}) written to {args.output} "
              f"in {time.perf_counter() - start:.1f} s")
    return EXIT_USAGE if failed else 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .background.methods import evaluate_cdnet, get_method
    from .datasets import CDnetSequence

    method = get_method(args.method).name
    seq = CDnetSequence(args.sequence)
    if args.frames is not None and not 1 <= args.frames:
        raise UsageError(f"--frames must be at least 1; got {args.frames}.")
    last = seq.n_frames if args.frames is None else min(args.frames, seq.n_frames)
    result = evaluate_cdnet(seq, method, last=last, train_fraction=args.train_fraction,
                            progress=lambda it, n: progress(it, quiet=args.quiet, total=n, desc=method))
    scores = result["scores"]
    first_scored, last_scored = result["scored_frames"]
    print(f"CDnet {seq.name}: method {method}, frames 1-{last}, scored {first_scored}-{last_scored}")
    rows = [("F-measure", scores.f_measure), ("precision", scores.precision), ("recall", scores.recall),
            ("specificity", scores.specificity), ("FPR", scores.fpr), ("FNR", scores.fnr),
            ("PWC", scores.pwc)]
    print("| metric | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value:.4f} |")
    print(f"| TP / FP / FN / TN | {scores.tp} / {scores.fp} / {scores.fn} / {scores.tn} |")
    print(f"| frames per second | {result['fps']:.1f} |")
    if args.json:
        print(json.dumps({"sequence": seq.name, "method": method, **scores.as_dict(), "fps": result["fps"],
                          "n_frames": last, "scored_frames": [first_scored, last_scored]}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(args.output, quiet=args.quiet)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastgmm`` command."""
    from .background.methods import METHODS

    parser = _Parser(prog="fastgmm", description="Gaussian mixtures for images and video.")
    common = _Parser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", help="no progress bars or summaries")
    sub = parser.add_subparsers(dest="command", required=True)
    methods = ", ".join(f"{name} ({m.description})" for name, m in METHODS.items())

    p = sub.add_parser("segment", parents=[common], help="segment an image with a Gaussian mixture of its colours")
    p.add_argument("image", help="input image file")
    p.add_argument("-k", type=int, required=True, help="number of segments (>= 1)")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.add_argument("--palette", action="store_true", help="colour segments with a distinct palette "
                   "instead of their mean colour")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initialisation (default 0)")
    p.set_defaults(func=_cmd_segment)

    p = sub.add_parser("subtract", parents=[common], help="foreground masks of videos, GIFs or folders of images")
    p.add_argument("input", nargs="+", help="a video, a GIF, a folder of images or several image files (one "
                   "sequence); or several videos/GIFs/folders, each processed on its own Dask worker")
    p.add_argument("-o", "--output", required=True,
                   help="a folder (one PNG mask per frame, named after the frame) or a video/GIF file; with "
                   "several videos a folder, one sub-folder per video (named after its stem)")
    p.add_argument("--method", default="default", help=f"one of: {methods}")
    p.add_argument("--background", help="also write the final background image to this file; with several "
                   "videos a folder, one <stem>.png per video")
    p.add_argument("--train-fraction", type=_fraction, default=0.6,
                   help="offline methods fit on this leading fraction of the frames (default 0.6)")
    p.add_argument("--fps", type=float, default=25.0, help="frame rate of a video/GIF output (default 25)")
    p.add_argument("--workers", type=int, help="several videos: run them on a local Dask cluster of N worker "
                   "processes (default: one per video, at most one per core); needs fastgmm[dask]")
    p.add_argument("--scheduler", help="several videos: run them on the Dask cluster at this address "
                   "(e.g. tcp://10.0.0.5:8786); needs fastgmm[dask]")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for --scheduler to answer (default 10)")
    p.set_defaults(func=_cmd_subtract)

    p = sub.add_parser("evaluate", parents=[common], help="score a method on a CDnet sequence folder")
    p.add_argument("sequence", help="CDnet sequence folder (input/, groundtruth/, ROI.bmp, temporalROI.txt)")
    p.add_argument("--method", default="default", help=f"one of: {methods}")
    p.add_argument("--json", action="store_true", help="end with one line of JSON")
    p.add_argument("--frames", type=int, help="only run the first N frames (score the temporal ROI within them)")
    p.add_argument("--train-fraction", type=_fraction, default=0.6,
                   help="offline methods fit on this leading fraction of the frames (default 0.6)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("demo", parents=[common], help="synthetic scene: run every method and write the results")
    p.add_argument("-o", "--output", default="fastgmm-demo", help="output folder (default ./fastgmm-demo)")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastgmm`` command; returns the exit code (2 for bad input, with one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, FileNotFoundError, ValueError, TypeError, IndexError, OSError) as exc:
        print(f"fastgmm {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
