"""Frame reading and writing: folders (natural order), GIF, video round trips, errors."""

from __future__ import annotations

import subprocess
import sys
import warnings
from fractions import Fraction

import imageio.v3 as iio
import numpy as np
import pytest

from fastgmm.io import LossyOutputWarning, natural_key, open_frames, open_writer


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


def _masks(n=7, h=21, w=31):
    rng = np.random.default_rng(3)
    masks = [rng.choice(np.array([0, 127, 255], np.uint8), (h, w)) for _ in range(n)]
    masks[3] = masks[2].copy()  # identical consecutive frames stay two frames
    return masks


@pytest.mark.parametrize("suffix", [".mkv", ".avi", ".mov", ".mp4", ".m4v", ".webm", ".gif"])
def test_every_output_format_round_trips_exactly(tmp_path, suffix):
    """Odd size, 0/127/255 masks, 29.97 fps: read back, the same masks, frame count and rate."""
    masks = _masks()
    path = tmp_path / f"m{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lossless formats do not warn
        with open_writer(path, fps=Fraction(30000, 1001)) as w:
            for i, m in enumerate(masks):
                w.write(str(i), m)
    reader = open_frames(path)
    got = [f for _, f in reader]
    assert len(got) == len(masks)
    for g, m in zip(got, masks):
        if g.ndim == 3:  # containers without a grey pixel format give equal RGB channels
            assert (g == g[:, :, :1]).all()
            g = g[:, :, 0]
        np.testing.assert_array_equal(g, m)
    if suffix == ".gif":  # GIF stores durations in hundredths of a second: 30/40 ms alternate
        assert abs(float(reader.fps) - 29.97) < 0.6
    else:
        assert reader.fps == Fraction(30000, 1001)
    assert not list(tmp_path.glob(".*part"))


def test_lossy_container_warns(tmp_path):
    with pytest.warns(LossyOutputWarning, match="lossily"):
        with open_writer(tmp_path / "m.mpg") as w:
            w.write("0", np.zeros((8, 8), np.uint8))
    assert (tmp_path / "m.mpg").stat().st_size > 0


def test_unsupported_output_fails_before_any_file(tmp_path):
    with pytest.raises(ValueError, match="unsupported output format '.xyz'"):
        open_writer(tmp_path / "sub" / "m.xyz")
    assert not (tmp_path / "sub").exists()
    with open_writer(tmp_path / "masks") as w:  # no suffix: a folder
        w.write("a", np.zeros((4, 4), np.uint8))
    assert (tmp_path / "masks" / "a.png").is_file()


def test_failed_video_leaves_no_file(tmp_path):
    path = tmp_path / "m.mkv"
    with pytest.raises(RuntimeError):
        with open_writer(path) as w:
            w.write("0", np.zeros((8, 8), np.uint8))
            raise RuntimeError("the model failed")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="first was"):
        with open_writer(path) as w:
            w.write("0", np.zeros((8, 8), np.uint8))
            w.write("1", np.zeros((9, 8), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_interrupted_video_is_finalised(tmp_path):
    path = tmp_path / "m.mkv"
    with pytest.raises(KeyboardInterrupt):
        with open_writer(path, fps=30) as w:
            for i in range(3):
                w.write(str(i), np.full((8, 8), 255, np.uint8))
            raise KeyboardInterrupt
    assert len(list(open_frames(path))) == 3


def test_folder_alpha_mixed_kinds_and_hidden_files(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    grey = np.full((6, 8), 90, np.uint8)
    iio.imwrite(tmp_path / "1.png", np.dstack([grey, np.full_like(grey, 255)]))  # grey + alpha
    iio.imwrite(tmp_path / "2.png", np.dstack([rgb, np.full_like(grey, 128)]))  # RGBA
    iio.imwrite(tmp_path / "3.png", rgb)
    (tmp_path / "._1.png").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    names, frames = open_frames(tmp_path).read_all()
    assert names == ["1", "2", "3"]
    assert [f.shape for f in frames] == [(6, 8)] * 3  # converted to the first frame's kind
    np.testing.assert_array_equal(frames[0], grey)
    expected = np.rint(rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    np.testing.assert_array_equal(frames[2], expected)
    (tmp_path / "1.png").unlink()  # now colour first: grey frames become RGB
    iio.imwrite(tmp_path / "4.png", grey)
    frames = open_frames(tmp_path).read_all()[1]
    assert [f.shape for f in frames] == [(6, 8, 3)] * 3
    np.testing.assert_array_equal(frames[2], np.dstack([grey] * 3))


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
    text_as_jpeg = tmp_path / "notes.jpg"
    text_as_jpeg.write_text("hi\n")
    with pytest.raises(ValueError, match="cannot read image .*no decodable image in it"):
        list(open_frames(text_as_jpeg))
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="cannot read image .*no decoder for it .an empty file") as err:
        list(open_frames(empty))
    assert "pip install" not in str(err.value)  # imageio's advice to install OpenCV does not apply
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
