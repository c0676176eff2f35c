"""Frame reading and writing: folders (natural order), GIF, video round trips, errors."""

from __future__ import annotations

import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from fastgmm.io import natural_key, open_frames, open_writer


def _frames(n, h=16, w=24):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_natural_key_orders_numbers_by_value():
    names = ["10.png", "2.png", "1.png", "b10.bmp", "b2.bmp", "a.png"]
    assert sorted(names, key=natural_key) == ["1.png", "2.png", "10.png", "a.png", "b2.bmp", "b10.bmp"]


def test_folder_is_read_in_numeric_order_with_stems(tmp_path):
    frames = _frames(3)
    for name, f in zip(["10", "2", "1"], frames):
        iio.imwrite(tmp_path / f"{name}.png", f)
    (tmp_path / "notes.txt").write_text("not an image")
    reader = open_frames(tmp_path)
    assert reader.kind == "folder" and reader.n_frames == 3
    got = list(reader)
    assert [n for n, _ in got] == ["1", "2", "10"]
    np.testing.assert_array_equal(got[2][1], frames[0])  # 10.png


def test_gif_and_video_round_trip(tmp_path):
    masks = [np.full((32, 48), v, np.uint8) for v in (0, 255, 0, 255)]
    for suffix in ("gif", "mp4", "avi"):
        path = tmp_path / f"m.{suffix}"
        with open_writer(path, fps=10) as w:
            for i, m in enumerate(masks):
                w.write(str(i), m)
        got = list(open_frames(path))
        assert [n for n, _ in got] == [f"frame_{i:06d}" for i in range(4)]
        means = [float(f.mean()) for _, f in got]
        assert means[0] < 30 and means[1] > 225, (suffix, means)


def test_odd_sized_video_is_padded(tmp_path):
    with open_writer(tmp_path / "odd.mp4") as w:
        for i in range(3):
            w.write(str(i), np.zeros((21, 31), np.uint8))
    frames = [f for _, f in open_frames(tmp_path / "odd.mp4")]
    assert len(frames) == 3 and frames[0].shape == (22, 32, 3)


def test_folder_writer_names_files(tmp_path):
    with open_writer(tmp_path / "out") as w:
        w.write("b00247", np.zeros((4, 4), np.uint8))
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b00247.png"]


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_frames(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match="holds no images"):
        open_frames(tmp_path)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video at all" * 10)
    with pytest.raises(ValueError, match="cannot read video"):
        list(open_frames(bad))
    iio.imwrite(tmp_path / "1.png", np.zeros((8, 8), np.uint8))
    iio.imwrite(tmp_path / "2.png", np.zeros((8, 9), np.uint8))
    with pytest.raises(ValueError, match="different sizes"):
        list(open_frames(tmp_path))


@pytest.mark.slow
def test_hostile_avi_does_not_crash_the_process(data_dir):
    """bgslibrary's demo.avi aborts OpenCV's decoder; ours must read it or raise a clean error."""
    path = data_dir / "bgslibrary_dataset" / "demo.avi"
    code = (
        "import sys\nfrom fastgmm.io import open_frames\n"
        "try:\n    n = sum(1 for _ in open_frames(sys.argv[1]))\n    print('frames', n)\n"
        "except ValueError as e:\n    print('error', e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.startswith(("frames", "error"))
