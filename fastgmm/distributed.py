"""Many videos on a Dask cluster, and a local cluster for numba work.

:func:`subtract_many` sends each video (a video file, a GIF or a folder of images) to a Dask
worker as one task: the video's frames are read, modelled and written in order by that one
worker (a background model's state is sequential), into ``out_dir/<stem>/`` exactly as
``fastgmm subtract <video> -o out_dir/<stem>`` writes them (both call
:func:`fastgmm.pipeline.subtract_one`).  A video that fails gives a :class:`VideoResult` with the
error text; the other videos are not affected.

:func:`local_client` starts a ``distributed.LocalCluster`` of worker processes bound to
127.0.0.1 with Numba's thread count split between them (Dask's own threads do not include
Numba's), and returns a client; closing the client closes the cluster.

This module needs the ``dask`` extra (``pip install 'fastgmm[dask]'``); importing it does not
import dask.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pipeline import one_line

_OWN_CLUSTERS: weakref.WeakSet = weakref.WeakSet()
"""The LocalClusters started by :func:`local_client` (and not yet closed)."""
DASK_MISSING = "Dask is not installed; install it with: pip install 'fastgmm[dask]'"


@dataclass(frozen=True)
class VideoResult:
    """What happened to one video.

    Attributes
    ----------
    source : str
        The input path as given.
    output : str
        The folder its masks were (or would have been) written to.
    n_masks : int
        Masks written (0 on failure).
    seconds : float
        Wall time of the task on its worker (0 when it never ran).
    error : str or None
        One-line error text, or None when the video was processed.
    """

    source: str
    output: str
    n_masks: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the video was processed without error."""
        return self.error is None


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ImportError(DASK_MISSING) from None
    return distributed


def local_client(
    n_workers: int, *, threads_per_worker: int = 1, numba_threads: int | None = None, timeout: float = 60.0
) -> Any:
    """A ``distributed.Client`` on a new LocalCluster of ``n_workers`` processes on 127.0.0.1.

    Each worker runs ``threads_per_worker`` Dask threads and ``numba_threads`` Numba threads
    (default: the machine's cores divided among the workers' threads, at least 1), so parallel
    kernels do not oversubscribe the cores.  No dashboard is started.  Close it with
    :func:`close_client`, which also closes the cluster.
    """
    distributed = _import_distributed()
    if numba_threads is None:
        numba_threads = max(1, (os.cpu_count() or 1) // max(1, n_workers * threads_per_worker))
    # env= reaches the workers' environment only (Dask's pre-spawn-environ would also change this
    # process's); the tasks of fastgmm._dask apply it even where numba was imported before it
    cluster = distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True, host="127.0.0.1",
        dashboard_address=None, env={"NUMBA_NUM_THREADS": str(numba_threads)}, timeout=timeout,
        silence_logs=logging.ERROR,
    )
    try:
        client = distributed.Client(cluster, timeout=timeout, set_as_default=False)
    except BaseException:
        cluster.close()
        raise
    _OWN_CLUSTERS.add(cluster)  # closed with the client (see close_client)
    return client


def close_client(client: Any) -> None:
    """Close a client from :func:`local_client` and its cluster (other clients' clusters stay up)."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None and cluster in _OWN_CLUSTERS:
        _OWN_CLUSTERS.discard(cluster)
        cluster.close()


def video_stem(path: str | os.PathLike) -> str:
    """The output folder name of one video: the folder's name, or the file name without its suffix."""
    p = Path(path)
    return p.name if p.is_dir() else p.stem


def _run_one(source: str, output: str, options: dict[str, Any]) -> VideoResult:
    """One video on a worker: never raises, a failure becomes the result's error text."""
    from .pipeline import subtract_one

    start = time.perf_counter()
    try:
        n_masks = subtract_one(source, output, **options)
    except Exception as exc:  # noqa: BLE001 - every per-video failure is reported, none is fatal
        return VideoResult(source, output, 0, time.perf_counter() - start, one_line(exc))
    return VideoResult(source, output, n_masks, time.perf_counter() - start)


def subtract_many(
    paths: Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    method: str = "default",
    client: Any = None,
    n_workers: int | None = None,
    progress: bool = True,
    background_dir: str | os.PathLike | None = None,
    **options: Any,
) -> dict[str, VideoResult]:
    """Background-subtract several videos in parallel on Dask workers, one task per video.

    Parameters
    ----------
    paths : iterable of paths
        Videos, GIFs or folders of images; their stems (see :func:`video_stem`) must differ.
    out_dir : path
        Each video's masks go to ``out_dir/<stem>/`` (one PNG per frame, named after the frame).
    method : str, default "default"
        Background method (see :data:`fastgmm.background.methods.METHODS`).
    client : distributed.Client, optional
        Where to run; by default a LocalCluster of ``n_workers`` processes is started
        (:func:`local_client`) and closed afterwards; without ``n_workers`` either, the
        default ``distributed.Client`` (e.g. one created by the caller) is used.
    n_workers : int, optional
        Worker processes of the local cluster started when ``client`` is None.
    progress : bool, default True
        Show one tqdm bar over the videos (on stderr).
    background_dir : path, optional
        Also write each video's final background image to ``background_dir/<stem>.png``.
    **options
        ``train_fraction`` and ``fps`` of :func:`fastgmm.pipeline.subtract_one`.

    Returns
    -------
    dict
        ``{path as given: VideoResult}`` in input order; failed videos have ``error`` set.
    """
    from tqdm import tqdm

    from .background.methods import get_method
    from .pipeline import check_train_fraction

    distributed = _import_distributed()
    get_method(method)
    unknown = set(options) - {"train_fraction", "fps"}
    if unknown:
        raise TypeError(f"subtract_many got unexpected options {sorted(unknown)}; allowed: train_fraction, fps.")
    check_train_fraction(options.get("train_fraction", 0.6))
    sources = [str(p) for p in paths]
    if not sources:
        raise ValueError("no videos given.")
    stems: dict[str, str] = {}
    for src in sources:
        stem = video_stem(src)
        if stem in stems:
            raise ValueError(f"{stems[stem]} and {src} would both write to {Path(out_dir) / stem}; rename one.")
        stems[stem] = src
    if n_workers is not None and n_workers < 1:
        raise ValueError(f"n_workers must be at least 1; got {n_workers}.")
    own = client is None and n_workers is not None
    if own:
        client = local_client(n_workers)
    elif client is None:
        client = distributed.get_client()
    task_options = {"method": method, **options}
    results: dict[str, VideoResult] = {}
    try:
        futures = {}
        for src in sources:
            output = str(Path(out_dir) / video_stem(src))
            own_options = task_options
            if background_dir is not None:
                own_options = {**task_options, "background": str(Path(background_dir) / f"{video_stem(src)}.png")}
            future = client.submit(_run_one, src, output, own_options, pure=False)
            futures[future] = (src, output)
        bar = tqdm(total=len(sources), desc="videos", unit="video", disable=not progress, leave=False)
        with bar:
            for future in distributed.as_completed(futures, loop=client.loop):  # client need not be the default
                src, output = futures[future]
                try:
                    results[src] = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails only its video
                    results[src] = VideoResult(src, output, error=f"task failed: {one_line(exc)}")
                bar.update(1)
    finally:
        if own:
            close_client(client)
    return {src: results[src] for src in sources}
