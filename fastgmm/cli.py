"""The ``fastgmm`` command: segment an image, subtract backgrounds (files, cameras, streams), evaluate
on CDnet, run the demo, compile every kernel ahead of time (``warm-up``), benchmark (``bench``).

This module does argparse and one-line errors only; :mod:`fastgmm.pipeline`,
:mod:`fastgmm._compile` and :mod:`fastgmm.benchmark` do the work.  Every sub-command reports bad
input (missing file, unreadable video, folder without images, frames of different sizes, bad
option values) as one line on stderr and exit code 2; Ctrl-C is one line and exit code 130 (see
:func:`main`); ``--json`` leaves stdout to one JSON document.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def _key_value(text: str) -> tuple[str, str]:
    """argparse type of --input-option: KEY=VALUE."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE; got {text!r}")
    return key, value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: message``, exit code 2) instead of usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


def _cmd_segment(args: argparse.Namespace) -> int:
    from .pipeline import segment_file

    result = segment_file(args.image, args.k, args.output, palette=args.palette, seed=args.seed)
    counts = np.bincount(result.labels.ravel(), minlength=result.n_components).tolist()
    kept = None if result.components is None else result.components.tolist()
    if args.json:
        print(json.dumps({"output": str(args.output), "k": result.n_components, "pixels_per_segment": counts,
                          **({} if kept is None else {"kept_components": kept,
                                                      "max_components": int(result.model.n_components)})}))
    elif not args.quiet:
        chosen = "" if kept is None else f" (chosen: components {kept} of {result.model.n_components} kept)"
        print(f"{args.output}: {result.n_components} segments{chosen}, pixels per segment {counts}")
    return 0


def _segments(text: str) -> int | str:
    """argparse type of -k: a positive integer, or 'auto'."""
    if text == "auto":
        return text
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer or 'auto'; got {text!r}") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {k}")
    return k


def _many_videos(args: argparse.Namespace) -> bool:
    """Whether the inputs are several videos (one output folder each) rather than one sequence."""
    from .io import IMAGE_SUFFIXES

    if args.workers is not None or args.scheduler is not None:
        return True
    return len(args.input) > 1 and not all(
        Path(p).suffix.lower() in IMAGE_SUFFIXES and not Path(p).is_dir() for p in args.input
    )


def _model_params(args: argparse.Namespace) -> dict[str, Any]:
    """The model parameters given on the command line (options left at None were not given)."""
    return {name: getattr(args, f"param_{name}") for name in _all_parameters()
            if getattr(args, f"param_{name}", None) is not None}


def _cmd_subtract(args: argparse.Namespace) -> int:
    if _many_videos(args):
        return _subtract_many(args)
    start = time.perf_counter()
    count = subtract_one(args.input[0] if len(args.input) == 1 else args.input, args.output, method=args.method,
                         train_fraction=args.train_fraction, fps=args.fps, background=args.background,
                         quiet=args.quiet, params=_model_params(args), learning_rate=args.learning_rate,
                         max_frames=args.max_frames, duration=args.duration, stop=args.stop,
                         input_format=args.input_format, input_options=dict(args.input_option or []))
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"output": str(args.output), "method": args.method, "n_masks": count,
                          "seconds": round(seconds, 3)}))
    elif not args.quiet:
        print(f"{count} masks ({args.method}) written to {args.output} in {seconds:.1f} s")
    return 0


def _subtract_many(args: argparse.Namespace) -> int:
    """Several videos, each to OUTPUT/<stem>/, on Dask workers (--workers N local, or --scheduler)."""
    from .background.methods import get_method
    from .io import GIF_SUFFIXES, IMAGE_SUFFIXES, VIDEO_SUFFIXES

    get_method(args.method)
    if (_model_params(args) or args.learning_rate != -1.0 or args.max_frames or args.duration or args.input_format
            or args.input_option):
        raise UsageError("model options, --learning-rate, --max-frames, --duration and --input-* apply to one "
                         "input; run several videos with the method's defaults.")
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


_SCORE_COLUMNS = (("F", "f_measure"), ("precision", "precision"), ("recall", "recall"),
                  ("specificity", "specificity"), ("PWC", "pwc"))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .background.methods import evaluate_cdnet, get_method
    from .datasets import CDnetSequence

    method = get_method(args.method).name
    if args.frames is not None and not 1 <= args.frames:
        raise UsageError(f"--frames must be at least 1; got {args.frames}.")
    sequences = [CDnetSequence(path) for path in args.sequence]  # every folder checked before any run
    names = [seq.name for seq in sequences]
    if len(set(names)) != len(names):
        raise UsageError(f"the sequence folders must have different names; got {', '.join(names)}.")
    table = sys.stderr if args.json else sys.stdout
    results = []
    for seq in sequences:
        last = seq.n_frames if args.frames is None else min(args.frames, seq.n_frames)
        result = evaluate_cdnet(seq, method, last=last, train_fraction=args.train_fraction,
                                progress=lambda it, n, name=seq.name: progress(it, quiet=args.quiet, total=n,
                                                                               desc=f"{method} {name}"))
        scores = result["scores"]
        results.append({"sequence": seq.name, "method": method, **scores.as_dict(), "fps": result["fps"],
                        "n_frames": last, "scored_frames": list(result["scored_frames"])})
    header = " | ".join(title for title, _ in _SCORE_COLUMNS)
    print(f"CDnet, method {method}\n| sequence | frames | scored | {header} | TP / FP / FN / TN | fps |\n"
          f"| --- | --- | --- |{' --- |' * len(_SCORE_COLUMNS)} --- | --- |", file=table)
    for r in results:
        values = " | ".join(f"{r[key]:.4f}" for _, key in _SCORE_COLUMNS)
        print(f"| {r['sequence']} | 1-{r['n_frames']} | {r['scored_frames'][0]}-{r['scored_frames'][1]} | {values} | "
              f"{r['tp']} / {r['fp']} / {r['fn']} / {r['tn']} | {r['fps']:.1f} |", file=table)
    mean = {key: float(np.mean([r[key] for r in results])) for _, key in _SCORE_COLUMNS + (("fps", "fps"),)}
    if len(results) > 1:
        values = " | ".join(f"{mean[key]:.4f}" for _, key in _SCORE_COLUMNS)
        print(f"| mean of {len(results)} | | | {values} | | {mean['fps']:.1f} |", file=table)
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else
                         {"method": method, "sequences": results, "mean": mean}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(args.output, quiet=args.quiet)
    return 0


def _cmd_warm_up(args: argparse.Namespace) -> int:
    from ._compile import warm_up

    def report(what: str, seconds: float) -> None:
        if not args.quiet:
            print(f"  {what}: {seconds:.2f} s", file=sys.stderr, flush=True)

    start = time.perf_counter()
    steps = warm_up(only=args.only, report=report)
    total = time.perf_counter() - start
    if args.json:
        print(json.dumps({"seconds": round(total, 3), "steps": {what: round(t, 3) for what, t in steps}}))
    elif not args.quiet:
        what = "every kernel" if args.only is None else f"the {', '.join(args.only)} kernels"
        print(f"{what} compiled or loaded from the cache in {total:.1f} s")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from .benchmark import run_benchmark

    run_benchmark(quick=args.quick, as_json=args.json, out=sys.stdout, log=sys.stderr)
    return 0


@functools.cache
def _all_parameters() -> dict[str, tuple[Any, tuple[str, ...]]]:
    """Every parameter of the registered methods: name -> (a default, the methods that have it)."""
    from .background.methods import METHODS
    from .pipeline import method_parameters

    found: dict[str, tuple[Any, list[str]]] = {}
    for name in METHODS:
        for param, default in method_parameters(name).items():
            found.setdefault(param, (default, []))[1].append(name)
    return {param: (default, tuple(methods)) for param, (default, methods) in found.items()}


_ALIASES = {"detect_shadows": ("--no-shadows",), "median_size": ("--median",)}
"""Short spellings of some parameter options (besides ``--detect-shadows/--no-detect-shadows`` etc.)."""


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """One option per model parameter of the registered methods (checked by the model's constructor)."""
    group = p.add_argument_group("model parameters (each applies to the methods listed; default: the method's)")
    for param, (default, methods) in sorted(_all_parameters().items()):
        flag = "--" + param.replace("_", "-")
        where = f"({', '.join(methods)}; default {default!r})" if len(methods) == 1 else f"({', '.join(methods)})"
        dest = f"param_{param}"
        if isinstance(default, bool):
            group.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None,
                               help=f"{where}")
            for alias in _ALIASES.get(param, ()):
                group.add_argument(alias, dest=dest, action="store_false", help=f"same as --no-{flag[2:]}")
            continue
        kind = int if isinstance(default, int) else float if isinstance(default, float) else str
        group.add_argument(flag, *_ALIASES.get(param, ()), dest=dest, type=kind, default=None, metavar=param.upper(),
                           help=where)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastgmm`` command."""
    from . import __version__
    from .background.methods import METHODS

    parser = _Parser(prog="fastgmm", description="Gaussian mixtures for images and video.",
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog="examples:\n"
                     "  fastgmm segment cells.jpeg -k 5 -o segments.png\n"
                     "  fastgmm subtract traffic.gif -o masks.mkv --method mog2 --var-threshold 25\n"
                     "  fastgmm subtract rtsp://camera/stream -o masks/ --duration 60\n"
                     "  fastgmm warm-up\n"
                     "run 'fastgmm COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"fastgmm {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", help="no progress bars or summaries")
    common.add_argument("--json", action="store_true", help="write only JSON on stdout (progress and tables on "
                        "stderr)")
    background = _Parser(add_help=False)  # what subtract and evaluate share
    background.add_argument("--method", default="default", choices=list(METHODS), metavar="METHOD",
                            help="background model (default: default); see the list below")
    background.add_argument("--train-fraction", type=_fraction, default=0.6,
                            help="offline methods fit on this leading fraction of the frames (default 0.6)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    methods = "methods:\n" + "\n".join(f"  {name:10s} {m.description}" for name, m in METHODS.items())

    p = sub.add_parser("segment", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="segment an image with a Gaussian mixture of its colours",
                       epilog="examples:\n  fastgmm segment cells.jpeg -k 5 -o segments.png\n"
                       "  fastgmm segment photo.png -k 8 -o palette.png --palette --seed 3")
    p.add_argument("image", help="input image file")
    p.add_argument("-k", type=_segments, required=True,
                   help="number of segments (1 .. the image's distinct colours), or 'auto': a Dirichlet-process "
                   "mixture of at most 10 components keeps those the colours need")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.add_argument("--palette", action="store_true", help="colour segments with a distinct palette "
                   "instead of their mean colour")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initialisation (default 0)")
    p.set_defaults(func=_cmd_segment)

    p = sub.add_parser("subtract", parents=[common, background], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="foreground masks of videos, GIFs, folders of images, cameras or streams",
                       epilog=methods + "\n\nexamples:\n"
                       "  fastgmm subtract traffic.gif -o masks.mkv            # lossless video, input's fps\n"
                       "  fastgmm subtract frames/ -o masks --background bg.png  # one PNG per frame\n"
                       "  fastgmm subtract video.mp4 -o m.mkv --method mog2 --var-threshold 40 --no-shadows\n"
                       "  fastgmm subtract /dev/video0 -o cam.mkv --duration 30 --learning-rate 0.005\n"
                       "  ffmpeg -i in.mp4 -f nut - | fastgmm subtract - -o masks.mkv\n"
                       "  cat frames.rgb | fastgmm subtract - -o m.mkv --input-format rawvideo \\\n"
                       "      --input-option video_size=320x240 --input-option pixel_format=rgb24\n"
                       "  fastgmm subtract a.mp4 b.mp4 -o out/ --workers 2        # several videos on Dask")
    p.add_argument("input", nargs="+", help="a video, a GIF, a folder of images, several image files (one "
                   "sequence), a camera (/dev/videoN), a stream URL (rtsp://, http(s)://, udp://, tcp://) or - "
                   "(a stream on stdin); or several videos/GIFs/folders, each processed on its own Dask worker")
    p.add_argument("-o", "--output", required=True,
                   help="a folder (any path without a suffix: one PNG mask per frame, named after the frame) or "
                   "a video/GIF file (.mkv/.avi FFV1, .mov PNG, .mp4 lossless H.264, .webm lossless VP9, .gif; "
                   "one frame per input frame); with several videos a folder, one sub-folder per video")
    p.add_argument("--background", help="also write the final background image to this file (a path without a "
                   "suffix: background.png in that folder); with several videos a folder, one <stem>.png per video")
    p.add_argument("--learning-rate", type=float, default=-1.0,
                   help="online methods: model update rate per frame (negative: automatic, 0: frozen; default -1)")
    p.add_argument("--max-frames", type=int, help="stop after N frames")
    p.add_argument("--duration", type=float, help="stop after this many seconds of input (wall-clock time for "
                   "a source without a frame rate)")
    p.add_argument("--input-format", help="FFmpeg demuxer of a source it cannot probe (rawvideo, mjpeg, h264, "
                   "v4l2, ...)")
    p.add_argument("--input-option", type=_key_value, action="append", metavar="KEY=VALUE",
                   help="demuxer option, repeatable (raw frames: video_size=320x240 pixel_format=rgb24 "
                   "framerate=30; cameras: video_size, framerate, input_format)")
    p.add_argument("--fps", type=float, help="frame rate of a video/GIF output (default: the input's, else 25)")
    p.add_argument("--workers", type=int, help="several videos: run them on a local Dask cluster of N worker "
                   "processes (default: one per video, at most one per core); needs fastgmm[dask]")
    p.add_argument("--scheduler", help="several videos: run them on the Dask cluster at this address "
                   "(e.g. tcp://10.0.0.5:8786); needs fastgmm[dask]")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for --scheduler to answer (default 10)")
    _add_model_options(p)
    p.set_defaults(func=_cmd_subtract)

    p = sub.add_parser("evaluate", parents=[common, background], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="score a method on CDnet sequence folders (each, and their mean)",
                       epilog=methods + "\n\nexamples:\n  fastgmm evaluate data/cdnet2012_baseline_highway\n"
                       "  fastgmm evaluate data/cdnet2012_baseline_*\n"
                       "  fastgmm evaluate data/highway --method mog2 --frames 700 --json | python -m json.tool")
    p.add_argument("sequence", nargs="+",
                   help="CDnet sequence folder(s) (input/, groundtruth/, ROI.bmp, temporalROI.txt)")
    p.add_argument("--frames", type=int, help="only run the first N frames (score the temporal ROI within them)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("demo", parents=[common], help="synthetic scene: run every method and write the results",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example:\n  fastgmm demo -o demo-output")
    p.add_argument("-o", "--output", default="fastgmm-demo", help="output folder (default ./fastgmm-demo)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("warm-up", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="compile every kernel now (e.g. in a container build) so no later first call waits",
                       epilog="examples:\n  NUMBA_CACHE_DIR=/opt/cache fastgmm warm-up\n"
                              "  fastgmm warm-up --only background      # a camera loop's kernels only")
    from ._compile import GROUPS

    p.add_argument("--only", nargs="+", choices=list(GROUPS), metavar="GROUP",
                   help="compile only these groups (default all): "
                        + "; ".join(f"{name}: {what}" for name, what in GROUPS.items()))
    p.set_defaults(func=_cmd_warm_up)

    p = sub.add_parser("bench", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="measure this machine: fastgmm against scikit-learn and OpenCV side by side",
                       epilog="examples:\n  fastgmm bench --quick\n  fastgmm bench --json > bench.json")
    p.add_argument("--quick", action="store_true", help="small sizes and few repeats (under a minute)")
    p.set_defaults(func=_cmd_bench)
    return parser


EXIT_INTERRUPTED = 130
STOP_GRACE = 0.5
"""Seconds a command that finalises its outputs on a stop (``subtract``) gets after Ctrl-C before the
process exits; the others exit at once (they have nothing to finalise)."""


def _run(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except (UsageError, FileNotFoundError, ValueError, TypeError, IndexError, OSError) as exc:
        print(f"fastgmm {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    print(f"fastgmm: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastgmm`` command; returns the exit code (2 for bad input, with one line on stderr).

    The command runs in a worker thread while the main thread waits for it, so Ctrl-C is seen at
    once even while a Numba kernel runs or compiles (kernels release the GIL, LLVM calls too): the
    command is asked to stop (``subtract``'s frame loop finalises its outputs within
    :data:`STOP_GRACE` seconds), and the process exits with code 130 and one line on stderr, however
    long the kernel still running in the worker thread would have taken (the process ends it).
    Several videos on Dask run in the main thread.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.stop = threading.Event()
    warnings.showwarning = _show_warning
    if args.command == "subtract" and _many_videos(args):  # Dask's clusters want the main thread
        try:
            return _run(args)
        except KeyboardInterrupt:
            print(f"fastgmm {args.command}: interrupted", file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED
    result: list[int] = []
    done = threading.Event()  # not Thread.join: an interrupted join marks a running thread as stopped (3.11)

    def work() -> None:
        try:
            result.append(_run(args))
        finally:
            done.set()

    # Ctrl-C sets an event instead of raising KeyboardInterrupt in this thread: a second one (an
    # impatient user; `timeout -s INT` signals the command and then its process group) then cannot cut
    # the outputs' finalisation short or end in a traceback.  The wait for it is bounded anyway.
    interrupted = threading.Event()
    catch = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) not in (
        signal.SIG_IGN, None)  # an ignored SIGINT (a background job) stays ignored
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set()) if catch else None
    threading.Thread(target=work, name=f"fastgmm {args.command}", daemon=True).start()
    while not done.wait(0.05) and not interrupted.is_set():
        pass
    if interrupted.is_set() and not done.is_set():
        args.stop.set()
        if args.command == "subtract":
            done.wait(STOP_GRACE)
        print(f"fastgmm {args.command}: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)  # a kernel may still be running in the worker thread
    if catch:
        signal.signal(signal.SIGINT, previous)
    if not result:  # the worker died of an unexpected exception (already printed by threading)
        return 1
    return result[0]


if __name__ == "__main__":
    sys.exit(main())
