"""Many videos on Dask workers: same bytes as one at a time, per-video failures, the CLI front end."""

from __future__ import annotations

import sys

import imageio.v3 as iio
import numpy as np
import pytest

pytest.importorskip("distributed")
# another cluster on this machine (e.g. a parallel test run) holds the default HTTP port: harmless
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")]

from dask_cluster import local_cluster_client  # noqa: E402

from fastgmm.cli import main  # noqa: E402
from fastgmm.distributed import VideoResult, subtract_many  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # not the default client: subtract_many and the CLI must work with the client they are given
    with local_cluster_client(as_default=False) as client:
        yield client


def _frames(seed, n=8, h=24, w=32):
    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(60, 120, (1, h, w, 3), dtype=np.uint8), n, axis=0)
    frames += rng.integers(0, 4, frames.shape, dtype=np.uint8)
    for t in range(n):
        x = (3 * t + seed) % (w - 6)
        frames[t, 8:14, x : x + 6] = 250
    return frames


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two GIFs and a folder of PNGs (three "videos"), plus a corrupt .mp4."""
    root = tmp_path_factory.mktemp("videos")
    paths = []
    for seed in (1, 2):
        path = root / f"clip{seed}.gif"
        iio.imwrite(path, _frames(seed), duration=40, loop=0)
        paths.append(path)
    folder = root / "stills"
    folder.mkdir()
    for t, frame in enumerate(_frames(3)):
        iio.imwrite(folder / f"{t}.png", frame)
    paths.append(folder)
    bad = root / "broken.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return paths, bad


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_parallel_videos_write_the_same_bytes_as_one_at_a_time(client, videos, tmp_path):
    paths, _ = videos
    for path in paths:  # one at a time, in this process (also compiles the kernels the workers load)
        assert main(["subtract", str(path), "-o", str(tmp_path / "one" / path.stem), "--background",
                     str(tmp_path / "one_bg" / f"{path.stem}.png"), "-q"]) == 0
    results = subtract_many(paths, tmp_path / "many", client=client, progress=False,
                            background_dir=tmp_path / "many_bg")
    assert list(results) == [str(p) for p in paths]
    assert all(r.ok and r.n_masks == 8 for r in results.values()), results
    one, many = _tree(tmp_path / "one"), _tree(tmp_path / "many")
    assert len(one) == 24 and many == one
    one_bg, many_bg = _tree(tmp_path / "one_bg"), _tree(tmp_path / "many_bg")
    assert sorted(one_bg) == ["clip1.png", "clip2.png", "stills.png"] and many_bg == one_bg


def test_a_failing_video_is_reported_and_the_others_complete(client, videos, tmp_path):
    paths, bad = videos
    results = subtract_many([paths[0], bad, paths[2]], tmp_path / "out", method="mog2", client=client, progress=False)
    failed = results[str(bad)]
    assert isinstance(failed, VideoResult) and not failed.ok and failed.n_masks == 0
    assert "cannot read video" in failed.error and "broken.mp4" in failed.error
    assert results[str(paths[0])].ok and results[str(paths[2])].ok
    assert len(list((tmp_path / "out" / "clip1").glob("*.png"))) == 8
    assert len(list((tmp_path / "out" / "stills").glob("*.png"))) == 8


def test_subtract_many_rejects_clashing_stems_and_bad_options(videos, tmp_path):
    paths, _ = videos
    other = tmp_path / "clip1.gif"
    other.write_bytes(paths[0].read_bytes())
    with pytest.raises(ValueError, match="would both write to"):
        subtract_many([paths[0], other], tmp_path / "o", n_workers=1)
    with pytest.raises(TypeError, match="unexpected options"):
        subtract_many(paths, tmp_path / "o", n_workers=1, colour=True)
    with pytest.raises(ValueError, match="train_fraction must be in"):
        subtract_many(paths, tmp_path / "o", n_workers=1, train_fraction=0.0)
    with pytest.raises(ValueError, match="method must be one of"):
        subtract_many(paths, tmp_path / "o", method="nope", n_workers=1)


def test_cli_several_videos_on_a_scheduler_and_on_own_workers(client, videos, tmp_path, capsys):
    paths, bad = videos
    address = client.scheduler.address
    args = ["subtract", *map(str, paths), "-o", str(tmp_path / "a"), "--scheduler", address, "-q",
            "--background", str(tmp_path / "bg")]
    assert main(args) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["clip1", "clip2", "stills"]
    for stem in ("clip1", "clip2", "stills"):
        assert iio.imread(tmp_path / "bg" / f"{stem}.png").shape == (24, 32, 3)
    assert main(["subtract", str(paths[0]), str(bad), "-o", str(tmp_path / "b"), "--workers", "1"]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("fastgmm subtract: error: ") and "broken.mp4" in errors[0]
    assert "Traceback" not in captured.err
    assert "1 of 2 videos" in captured.out
    assert len(list((tmp_path / "b" / "clip1").glob("*.png"))) == 8


def test_cli_errors_are_one_line_exit_2(videos, tmp_path, capsys, monkeypatch):
    paths, _ = videos
    many = [*map(str, paths[:2]), "-o", str(tmp_path / "o")]
    cases = [
        (["subtract", *many, "--scheduler", "tcp://127.0.0.1:9", "--timeout", "0.5"],
         "cannot reach the Dask scheduler"),
        (["subtract", *many, "--workers", "0"], "--workers must be at least 1"),
        (["subtract", *many, "--workers", "1", "--scheduler", "tcp://127.0.0.1:9"], "not both"),
        (["subtract", *many, "--background", str(tmp_path / "bg.png")], "--background must be a folder"),
        (["subtract", str(paths[0]), str(tmp_path / "missing.gif"), "-o", str(tmp_path / "o")], "missing.gif"),
    ]
    for argv, expected in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], (argv, err)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    assert main(["subtract", *many, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'fastgmm[dask]'" in err[0]


def test_a_task_that_dies_is_reported_for_its_video_only(client, videos, tmp_path, monkeypatch):
    # what a lost worker looks like from the driver: the video's future raises instead of returning
    import fastgmm.distributed as dist

    real = dist._run_one

    def flaky(source, output, options):
        if source.endswith("clip2.gif"):
            raise RuntimeError("worker lost")
        return real(source, output, options)

    monkeypatch.setattr(dist, "_run_one", flaky)  # pickled by value: the workers run this one
    paths, _ = videos
    results = subtract_many(paths, tmp_path / "out", method="mog2", client=client, progress=False)
    lost = results[str(paths[1])]
    assert not lost.ok and lost.error.startswith("task failed:") and "worker lost" in lost.error
    assert results[str(paths[0])].ok and results[str(paths[2])].ok


def test_a_worker_process_that_dies_fails_only_its_video(videos, tmp_path):
    # a real worker death: the process running clip2 exits (after the other videos are written, so
    # nothing else was running there); with allowed-failures 0 the scheduler gives up on that task
    # at once and the driver reports it as that video's error
    import dask

    import fastgmm.distributed as dist

    paths, _ = videos
    out = tmp_path / "out"
    real = dist._run_one

    def dies_on_clip2(source, output, options):
        import os
        import time
        from pathlib import Path

        if not source.endswith("clip2.gif"):
            return real(source, output, options)
        others = [Path(output).parent / name for name in ("clip1", "stills")]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(len(list(p.glob("*.png"))) == 8 for p in others):
            time.sleep(0.05)
        os._exit(1)

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with local_cluster_client(as_default=False) as client:
            original, dist._run_one = dist._run_one, dies_on_clip2
            try:
                results = subtract_many(paths, out, method="mog2", client=client, progress=False)
            finally:
                dist._run_one = original
    lost = results[str(paths[1])]
    assert not lost.ok and lost.error.startswith("task failed:") and "died" in lost.error, lost.error
    assert results[str(paths[0])].ok and results[str(paths[2])].ok
    assert len(list((out / "clip1").glob("*.png"))) == 8 and len(list((out / "stills").glob("*.png"))) == 8


def test_local_client_leaves_the_client_object_alone_and_close_client_closes_only_its_own(client):
    from fastgmm.distributed import close_client, local_client

    own = local_client(1)
    cluster = own.cluster
    assert not [name for name in vars(own) if "fastgmm" in name]  # no attribute put on a foreign object
    close_client(own)
    assert cluster.status.name == "closed"
    foreign_cluster = client.cluster
    import distributed

    other = distributed.Client(foreign_cluster, set_as_default=False)
    close_client(other)  # a client on somebody else's cluster: the cluster stays up
    assert foreign_cluster.status.name == "running"
