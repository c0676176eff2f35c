"""Live sources: a generated video streamed by the test over a loopback TCP socket and through stdin
gives the same masks as the same frames read from a file; Ctrl-C on a live stream exits 130 with
the output finalised."""

from __future__ import annotations

import socket
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from cli_process import interrupt_cli

from fastgmm.io import open_frames
from fastgmm.pipeline import subtract_one

av = pytest.importorskip("av")


def make_video(path: Path, n: int = 40, *, fps: int = 25) -> None:
    """A lossless (FFV1 in NUT) video of a box moving over a noisy background."""
    rng = np.random.default_rng(0)
    base = rng.integers(40, 200, (48, 64, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="nut") as c:
        s = c.add_stream("ffv1", rate=Fraction(fps))
        s.width, s.height, s.pix_fmt = 64, 48, "bgr0"
        for t in range(n):
            f = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
            f[10:24, (2 * t) % 50:(2 * t) % 50 + 12] = 250
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)


def serve_once(data: bytes, *, chunk: int = 1 << 16, delay: float = 0.0, limit: float = 60.0) -> int:
    """Serve ``data`` to the first client on 127.0.0.1 (one connection, bounded in time); return the port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(limit)

    def run():
        try:
            conn, _ = server.accept()
            with conn:
                end = time.monotonic() + limit
                for i in range(0, len(data), chunk):
                    if time.monotonic() > end:
                        break
                    conn.sendall(data[i:i + chunk])
                    time.sleep(delay)
        except OSError:
            pass
        finally:
            server.close()

    threading.Thread(target=run, daemon=True).start()
    return server.getsockname()[1]


def masks_of(path: Path) -> list[np.ndarray]:
    return [f for _, f in open_frames(path)]


@pytest.fixture()
def video(tmp_path):
    path = tmp_path / "in.nut"
    make_video(path)
    return path


def test_tcp_stream_gives_the_file_masks(tmp_path, video):
    n_file = subtract_one(video, tmp_path / "file.mkv", method="mog2")
    port = serve_once(video.read_bytes())
    n_live = subtract_one(f"tcp://127.0.0.1:{port}", tmp_path / "live.mkv", method="mog2")
    assert n_file == n_live == 40
    for a, b in zip(masks_of(tmp_path / "file.mkv"), masks_of(tmp_path / "live.mkv"), strict=True):
        np.testing.assert_array_equal(a, b)
    assert open_frames(tmp_path / "live.mkv").fps == 25


def test_stdin_stream_and_max_frames(tmp_path, video, monkeypatch):
    subtract_one(video, tmp_path / "file", method="default")
    with open(video, "rb") as fh:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": fh})())
        n = subtract_one("-", tmp_path / "stdin", method="default", max_frames=25)
    assert n == 25
    for name in [f"frame_{t:06d}.png" for t in range(25)]:
        np.testing.assert_array_equal(masks_of(tmp_path / "stdin" / name)[0], masks_of(tmp_path / "file" / name)[0])
    assert not (tmp_path / "stdin" / "frame_000025.png").exists()


def test_raw_frames_on_stdin(tmp_path, video, monkeypatch):
    """Uncontainerised RGB frames on stdin, described by demuxer options, give the file's masks."""
    frames = [f for _, f in open_frames(video)]
    raw = tmp_path / "frames.rgb"
    raw.write_bytes(b"".join(f.tobytes() for f in frames))
    subtract_one(video, tmp_path / "file.mkv", method="mog2")
    with open(raw, "rb") as fh:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": fh})())
        n = subtract_one("-", tmp_path / "raw.mkv", method="mog2", input_format="rawvideo",
                         input_options={"video_size": "64x48", "pixel_format": "rgb24", "framerate": "25"})
    assert n == len(frames)
    for a, b in zip(masks_of(tmp_path / "file.mkv"), masks_of(tmp_path / "raw.mkv"), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="videos and live sources only"):
        open_frames(tmp_path, input_format="rawvideo")


def test_unreachable_stream_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens
    with pytest.raises(ValueError, match="cannot read stream tcp://127.0.0.1") as err:
        subtract_one(f"tcp://127.0.0.1:{port}", tmp_path / "o.mkv", method="mog2")
    assert "Connection refused" in str(err.value) and "Errno" not in str(err.value)  # the reason, not a code
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("signals", [1, 2])  # 2: Ctrl-C twice must not cut the finalisation short
def test_ctrl_c_on_a_live_stream_exits_130_with_the_output_finalised(tmp_path, signals):
    src = tmp_path / "long.nut"
    make_video(src, n=400)
    port = serve_once(src.read_bytes(), chunk=4096, delay=0.05)
    out = tmp_path / "live.mkv"
    code, err, stopped = interrupt_cli(["subtract", f"tcp://127.0.0.1:{port}", "-o", str(out), "--method", "mog2"],
                                       ready=r"mog2: [1-9]\d*frame", after=1.0,  # a second into the frames
                                       signals=signals)
    assert code == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert stopped < 5.0  # functional bound (the floor is 1 s; the machine is shared)
    n = len(masks_of(out))
    assert 0 < n < 400
