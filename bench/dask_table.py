"""Markdown table: one EM iteration in memory vs on a Dask LocalCluster, and out-of-core driver memory.

Usage::

    python bench/dask_table.py                 # 1e7 x 3, K=5 full; 2 GB lazily generated array
    python bench/dask_table.py --rows 2000000 --big-gb 0   # quick look, no out-of-core part

One "iteration" is what ``fit`` does per loop (``GaussianMixture._em_step``: E-step statistics of
every row, M-step on the driver), from the same explicit parameters on the same data.  The data
is generated chunk by chunk; the dask runs keep it persisted on the workers (``X.persist()``),
the in-memory runs hold the same rows in one numpy array.  Configurations:

* in memory with 1 and 2 Numba threads;
* a LocalCluster of 1 worker and one of 2 workers (processes on 127.0.0.1, 1 Dask thread and
  1 Numba thread each).

Both clusters live through the whole run and the four configurations are timed in turn, round
after round (best of ``--repeat``), so a busy machine slows them alike; the ratios are the result.

``--videos`` demo-scene videos (folders of PNG frames, 320x240) are background-subtracted one
at a time in this process (``fastgmm.pipeline.subtract_one``, what ``fastgmm subtract VIDEO`` runs)
with 1 and with 2 Numba threads, and with ``subtract_many`` on the 2-worker cluster (1 Numba
thread per worker), best of 2 each.

The out-of-core part fits (explicit init, ``--big-iter`` iterations) a lazily generated array of
``--big-gb`` GB on the 2-worker cluster: chunks are generated on the workers at every pass and
never reach the driver.  The driver's peak memory is reported two ways: Python's tracemalloc peak
(numpy buffers included) and the growth of its resident set size sampled every 5 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np

K = 5
CENTRES = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0], [5.0, 5.0, 5.0]])


def block(block_id: tuple[int, int], chunk_rows: int, n_rows: int, d: int = 3) -> np.ndarray:
    """Rows ``block_id[0] * chunk_rows ...`` of the data set: 5 blobs, seeded by the block index."""
    rows = min(chunk_rows, n_rows - block_id[0] * chunk_rows)
    rng = np.random.default_rng(block_id[0])
    X = rng.standard_normal((rows, d))
    X += CENTRES[rng.integers(0, K, rows), :d]
    return X


def lazy_array(n_rows: int, chunk_rows: int):
    """The data set as a dask array whose chunks are generated where they are computed."""
    import dask.array as da

    n_chunks = -(-n_rows // chunk_rows)
    chunks = ((chunk_rows,) * (n_chunks - 1) + (n_rows - chunk_rows * (n_chunks - 1),), (3,))
    return da.map_blocks(lambda block_id=None: block(block_id, chunk_rows, n_rows), chunks=chunks, dtype=np.float64)


def model(max_iter: int = 0):
    """A model initialised from fixed explicit parameters (``max_iter=0``: initialisation only)."""
    from fastgmm import GaussianMixture

    return GaussianMixture(
        K, covariance_type="full", max_iter=max_iter, tol=0.0, weights_init=np.full(K, 1.0 / K),
        means_init=CENTRES + 0.5, precisions_init=np.tile(np.eye(3), (K, 1, 1)),
    )


def best_time(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


class RssPeak:
    """Peak growth of this process's resident set size, sampled in a thread."""

    def __init__(self, interval: float = 0.005) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self.base = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.base


def out_of_core(client, gigabytes: float, n_iter: int, chunk_rows: int) -> dict:
    """Fit a lazily generated array of ``gigabytes`` GB on ``client``; driver memory and time."""
    import dask

    n_rows = int(gigabytes * 1e9 / 24)
    X = lazy_array(n_rows, chunk_rows)
    gm = model(max_iter=n_iter)
    with dask.config.set(scheduler=client), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        with RssPeak() as rss:
            t0 = time.perf_counter()
            gm.fit(X)
            seconds = time.perf_counter() - t0
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"bytes": X.nbytes, "rows": n_rows, "chunks": X.numblocks[0], "traced": traced, "rss": rss.growth,
            "seconds": seconds, "n_iter": gm.n_iter_, "means": gm.means_}


def many_videos(client, n_videos: int, n_frames: int) -> dict:
    """Seconds for ``n_videos`` demo videos one at a time here vs ``subtract_many`` on ``client``."""
    import tempfile
    from pathlib import Path

    import imageio.v3 as iio
    import numba

    from fastgmm.demo import make_scene
    from fastgmm.distributed import subtract_many
    from fastgmm.pipeline import subtract_one

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for v in range(n_videos):
            folder = root / f"video{v}"
            folder.mkdir()
            for t, frame in enumerate(make_scene(height=240, width=320, n_frames=n_frames, seed=v).frames):
                iio.imwrite(folder / f"{t:05d}.png", frame)
            paths.append(folder)
        subtract_one(paths[0], root / "warm", quiet=True)  # compile / load the kernels here
        subtract_many(paths[:2], root / "warm-many", client=client, progress=False)
        serial = {1: np.inf, 2: np.inf}
        parallel = np.inf
        for r in range(2):
            for threads in serial:
                numba.set_num_threads(threads)
                t0 = time.perf_counter()
                for p in paths:
                    subtract_one(p, root / f"one{r}-{threads}" / p.name, quiet=True)
                serial[threads] = min(serial[threads], time.perf_counter() - t0)
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
            t0 = time.perf_counter()
            results = subtract_many(paths, root / f"many{r}", client=client, progress=False)
            parallel = min(parallel, time.perf_counter() - t0)
            assert all(res.ok for res in results.values()), results
    return {"videos": n_videos, "frames": n_frames, "serial": serial, "parallel": parallel}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the timing data (default 1e7)")
    parser.add_argument("--chunk-rows", type=int, default=1_250_000, help="rows per chunk (default 1.25e6)")
    parser.add_argument("--repeat", type=int, default=15, help="rounds; each timing is the best round (default 15)")
    parser.add_argument("--big-gb", type=float, default=2.2, help="size of the out-of-core array, GB (0: skip)")
    parser.add_argument("--big-iter", type=int, default=3, help="EM iterations on it (default 3)")
    parser.add_argument("--videos", type=int, default=4, help="videos for the many-videos row (0: skip)")
    parser.add_argument("--video-frames", type=int, default=150, help="frames per video (default 150)")
    args = parser.parse_args()

    import dask
    import numba
    from distributed import futures_of, wait

    from fastgmm.distributed import close_client, local_client
    from fastgmm.mixture._backend import backend_for

    logging.getLogger("distributed").setLevel(logging.ERROR)  # two clusters: silence_logs alone is undone
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; numpy {np.__version__}, "
          f"numba {numba.__version__}, dask {dask.__version__}", file=sys.stderr)
    clients = {n: local_client(n, threads_per_worker=1, numba_threads=1) for n in (1, 2)}
    try:
        big = None
        if args.big_gb > 0:  # first, while the driver holds no data of its own
            big = out_of_core(clients[2], args.big_gb, args.big_iter, args.chunk_rows)

        Xd = lazy_array(args.rows, args.chunk_rows)
        persisted = {n: c.persist(Xd) for n, c in clients.items()}
        X = np.concatenate([block((i, 0), args.chunk_rows, args.rows) for i in range(Xd.numblocks[0])])
        eps = float(np.finfo(np.float64).eps)
        no_w = np.empty(0)
        steps = {}
        for threads in (1, 2):
            gm = model().fit(X)

            def step(gm=gm, threads=threads):
                numba.set_num_threads(threads)
                gm._em_step(backend_for(X), X, no_w, eps)

            steps[f"memory-{threads}"] = step
        for n, c in clients.items():
            c.wait_for_workers(n)
            with c.as_current():
                wait(futures_of(persisted[n]))
            gm = model()
            with dask.config.set(scheduler=c):
                gm.fit(persisted[n])

            def step(gm=gm, data=persisted[n], c=c):
                with dask.config.set(scheduler=c):
                    gm._em_step(backend_for(data), data, no_w, eps)

            steps[f"dask-{n}"] = step
        for fn in steps.values():  # warm-up (compilation, first transfers)
            fn()
        times = {name: np.inf for name in steps}
        for _ in range(args.repeat):
            for name, fn in steps.items():
                times[name] = min(times[name], best_time(fn, 1))
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        videos = many_videos(clients[2], args.videos, args.video_frames) if args.videos > 0 else None
    finally:
        for c in clients.values():
            close_client(c)

    n = args.rows
    print(f"\nOne EM iteration, N={n:.0e}, d=3, K=5, full, float64 (chunks of {args.chunk_rows} rows; "
          f"best of {args.repeat} rounds)\n")
    print("| configuration | seconds / iteration | vs in memory, same cores | speed-up 1 -> 2 |")
    print("| --- | --- | --- | --- |")
    print(f"| in memory, 1 Numba thread | {times['memory-1']:.3f} | 1 | |")
    speedup = times['memory-1'] / times['memory-2']
    print(f"| in memory, 2 Numba threads | {times['memory-2']:.3f} | 1 | {speedup:.2f}× |")
    print(f"| LocalCluster, 1 worker × 1 thread | {times['dask-1']:.3f} | "
          f"{times['dask-1'] / times['memory-1']:.2f}× slower | |")
    print(f"| LocalCluster, 2 workers × 1 thread | {times['dask-2']:.3f} | "
          f"{times['dask-2'] / times['memory-2']:.2f}× slower | {times['dask-1'] / times['dask-2']:.2f}× |")
    if videos is not None:
        serial = videos["serial"]
        print(f"\n{videos['videos']} videos of {videos['frames']} frames (320×240, default method): one at a time "
              f"{serial[1]:.1f} s with 1 Numba thread, {serial[2]:.1f} s with 2; subtract_many on 2 workers "
              f"{videos['parallel']:.1f} s "
              f"({serial[1] / videos['parallel']:.2f}× / {serial[2] / videos['parallel']:.2f}×)")
    if big is not None:
        print(f"\nOut of core: {big['bytes'] / 1e9:.2f} GB lazily generated ({big['rows']:.3g} rows × 3 float64, "
              f"{big['chunks']} chunks), {big['n_iter']} EM iterations on 2 workers in {big['seconds']:.1f} s\n")
        print("| driver peak memory | MB | share of the data |")
        print("| --- | --- | --- |")
        print(f"| tracemalloc peak | {big['traced'] / 1e6:.1f} | {100 * big['traced'] / big['bytes']:.2f} % |")
        print(f"| resident set growth | {big['rss'] / 1e6:.1f} | {100 * big['rss'] / big['bytes']:.2f} % |")


if __name__ == "__main__":
    main()
