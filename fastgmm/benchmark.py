"""``fastgmm bench``: this machine's speed, fastgmm beside scikit-learn and OpenCV in one run.

Three tables, each at 1 and 2 threads (Numba's thread count for fastgmm; OpenCV's
``setNumThreads``; scikit-learn's BLAS/OpenMP pools through ``threadpoolctl``):

* **EM iteration**: milliseconds per EM iteration of a full-covariance Gaussian mixture
  (``tol=0``, a fixed number of iterations after a k-means initialisation), fastgmm's
  ``GaussianMixture`` vs ``sklearn.mixture.GaussianMixture``;
* **segmentation**: seconds to segment an image into K colour segments (fit and label every
  pixel), :func:`fastgmm.segment` vs scikit-learn's mixture fitted on the pixels;
* **MOG2**: milliseconds per frame at 320x240 and 1920x1080 (CDnet highway frames when the
  shared data is present, a synthetic noisy scene otherwise), fastgmm vs
  ``cv2.createBackgroundSubtractorMOG2``, both writing into a preallocated mask, the two fed the
  same frames alternately.

A library that is not importable is skipped with a note.  Figures are medians of repeated runs;
ratios are theirs / ours (above 1: fastgmm is faster).  Kernels are compiled (or loaded) before
any timing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import platform
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import numpy as np

THREADS = (1, 2)


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    """Every library limited to ``n`` threads inside the block."""
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    cv2 = _optional("cv2")
    cv_previous = cv2.getNumThreads() if cv2 else None
    if cv2:
        cv2.setNumThreads(n)
    limits = contextlib.nullcontext()
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(n)
    try:
        with limits:
            yield
    finally:
        numba.set_num_threads(previous)
        if cv2:
            cv2.setNumThreads(cv_previous)


def _optional(name: str) -> Any:
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _median_seconds(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _blobs(n: int, d: int, k: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 6, (k, d))
    return (centres[rng.integers(0, k, n)] + rng.normal(0, 1, (n, d))).astype(np.float64)


def bench_em(*, quick: bool) -> list[dict[str, Any]]:
    """Milliseconds per EM iteration (full covariances)."""
    import warnings

    from .mixture import GaussianMixture

    sklearn_mixture = _optional("sklearn.mixture")
    n, d, k, iters = (20_000, 3, 5, 5) if quick else (200_000, 3, 8, 20)
    X = _blobs(n, d, k)
    rows = []
    for threads in THREADS:
        with _threads(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tol=0 never converges, on purpose
            row: dict[str, Any] = {"table": "EM iteration", "case": f"{n}x{d}, K={k}, full", "threads": threads}
            GaussianMixture(k, max_iter=2, tol=0, random_state=0).fit(X[:1000])
            # timing = fit(iters) - fit(1): per-iteration cost without the initialisation
            def ours(m: int) -> Callable[[], Any]:
                return lambda: GaussianMixture(k, max_iter=m, tol=0, random_state=0).fit(X)

            row["fastgmm_ms"] = 1000 * (_median_seconds(ours(iters + 1), 3) - _median_seconds(ours(1), 3)) / iters
            if sklearn_mixture is not None:
                def theirs(m: int) -> Callable[[], Any]:
                    return lambda: sklearn_mixture.GaussianMixture(k, max_iter=m, tol=0, random_state=0).fit(X)

                row["sklearn_ms"] = 1000 * (_median_seconds(theirs(iters + 1), 2)
                                            - _median_seconds(theirs(1), 2)) / iters
            rows.append(row)
    return rows


def _image(quick: bool) -> np.ndarray:
    from .datasets import shared_data_dir

    root = shared_data_dir()
    path = None if root is None else root / "seed" / "images" / "plant_cells_2.jpeg"
    if path is not None and path.is_file():
        import imageio.v3 as iio

        image = np.asarray(iio.imread(path))[:, :, :3]
    else:
        rng = np.random.default_rng(0)
        image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    return image[::2, ::2].copy() if quick else image


def bench_segment(*, quick: bool) -> list[dict[str, Any]]:
    """Seconds to segment an image into K colour segments."""
    import warnings

    from .segmentation import segment

    sklearn_mixture = _optional("sklearn.mixture")
    image = _image(quick)
    k = 5
    pixels = image.reshape(-1, 3).astype(np.float64)
    rows = []
    segment(image[:16, :16], 2, random_state=0)
    for threads in THREADS:
        with _threads(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row: dict[str, Any] = {"table": "segmentation", "case": f"{image.shape[1]}x{image.shape[0]}, K={k}",
                                   "threads": threads}
            row["fastgmm_s"] = _median_seconds(lambda: segment(image, k, random_state=0), 3)
            if sklearn_mixture is not None:
                def theirs() -> None:
                    sklearn_mixture.GaussianMixture(k, random_state=0).fit(pixels).predict(pixels)

                row["sklearn_s"] = _median_seconds(theirs, 1 if quick else 2)
            rows.append(row)
    return rows


def _frames(n: int, size: tuple[int, int]) -> list[np.ndarray]:
    from .datasets import shared_data_dir

    root = shared_data_dir()
    folder = None if root is None else root / "cdnet2012_baseline_highway" / "input"
    cv2 = _optional("cv2")
    if folder is not None and folder.is_dir():
        import imageio.v3 as iio

        frames = [np.asarray(iio.imread(folder / f"in{i:06d}.jpg")) for i in range(1, n + 1)]
    else:
        rng = np.random.default_rng(0)
        base = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
        frames = [np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]
    if frames[0].shape[1::-1] != size:
        if cv2 is not None:
            frames = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
        else:  # nearest-neighbour upscaling without OpenCV
            ys = np.arange(size[1]) * frames[0].shape[0] // size[1]
            xs = np.arange(size[0]) * frames[0].shape[1] // size[0]
            frames = [f[ys][:, xs] for f in frames]
    return frames


def bench_mog2(*, quick: bool) -> list[dict[str, Any]]:
    """Milliseconds per frame of MOG2, fastgmm vs OpenCV, fed the same frames alternately."""
    from .background.mog2 import BackgroundSubtractorMOG2

    cv2 = _optional("cv2")
    n, warm = (12, 4) if quick else (60, 20)
    rows = []
    for size in ((320, 240), (1920, 1080)):
        frames = _frames(n, size)
        for threads in THREADS:
            with _threads(threads):
                ours, out = BackgroundSubtractorMOG2(), np.empty(frames[0].shape[:2], np.uint8)
                theirs = cv2.createBackgroundSubtractorMOG2() if cv2 else None
                out2 = np.empty_like(out)
                times: list[list[float]] = [[], []]
                for i, f in enumerate(frames):
                    sides = [(0, lambda f=f, m=ours, o=out: m.apply(f, out=o))]
                    if theirs is not None:
                        sides.append((1, lambda f=f, m=theirs, o=out2: m.apply(f, o, -1.0)))
                    for side, call in (sides if i % 2 == 0 else sides[::-1]):
                        start = time.perf_counter()
                        call()
                        if i >= warm:
                            times[side].append(time.perf_counter() - start)
                row: dict[str, Any] = {"table": "MOG2", "case": f"{size[0]}x{size[1]}", "threads": threads,
                                       "fastgmm_ms": 1000 * float(np.median(times[0]))}
                if theirs is not None:
                    row["opencv_ms"] = 1000 * float(np.median(times[1]))
                rows.append(row)
    return rows


def _fmt(value: float | None) -> str:
    return "skipped" if value is None else f"{value:.3g}"


def _markdown(rows: list[dict[str, Any]], unit: str, other: str, other_name: str) -> str:
    lines = [f"| case | threads | fastgmm ({unit}) | {other_name} ({unit}) | {other_name} / fastgmm |",
             "| --- | --- | --- | --- | --- |"]
    for r in rows:
        ours, theirs = r.get(f"fastgmm_{unit}"), r.get(f"{other}_{unit}")
        ratio = f"{theirs / ours:.2f}x" if ours and theirs else "-"
        lines.append(f"| {r['case']} | {r['threads']} | {_fmt(ours)} | {_fmt(theirs)} | {ratio} |")
    return "\n".join(lines)


def run_benchmark(*, quick: bool = False, as_json: bool = False, out: TextIO, log: TextIO) -> dict[str, Any]:
    """Run the three benchmarks; print Markdown tables (or, with ``as_json``, one JSON document) on ``out``.

    Progress and notes go to ``log``.  Returns the results."""
    import numba

    from . import __version__

    notes = [f"{name} not importable: its column is skipped" for name, module in
             (("scikit-learn", "sklearn"), ("OpenCV", "cv2")) if importlib.util.find_spec(module) is None]
    if numba.config.NUMBA_NUM_THREADS < max(THREADS):
        notes.append(f"NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}: 2-thread rows run on fewer threads")
    for note in notes:
        print(f"note: {note}", file=log)
    results: dict[str, Any] = {
        "fastgmm": __version__, "python": platform.python_version(), "machine": platform.processor() or
        platform.machine(), "cpus": __import__("os").cpu_count(), "quick": quick, "notes": notes,
    }
    sections = (("em", "EM iteration (ms per iteration)", bench_em, "ms", "sklearn", "scikit-learn"),
                ("segment", "Image segmentation (s)", bench_segment, "s", "sklearn", "scikit-learn"),
                ("mog2", "MOG2 background subtraction (ms per frame)", bench_mog2, "ms", "opencv", "OpenCV"))
    tables = []
    for key, title, run, unit, other, other_name in sections:
        print(f"measuring {title} ...", file=log, flush=True)
        rows = run(quick=quick)
        results[key] = rows
        tables.append(f"### {title}\n\n{_markdown(rows, unit, other, other_name)}\n")
    if as_json:
        print(json.dumps(results), file=out)
    else:
        print(f"fastgmm {__version__}, Python {results['python']}, {results['cpus']} CPUs"
              + (" (quick)" if quick else "") + "\n", file=out)
        print("\n".join(tables), file=out)
    return results
