"""The fastgmm command: sub-commands in-process via main([...]), one console-script smoke test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from fastgmm.cli import main


def _write_folder(folder, names, h=24, w=32):
    folder.mkdir()
    rng = np.random.default_rng(0)
    bg = rng.integers(60, 120, (h, w, 3), dtype=np.uint8)
    for t, name in enumerate(names):
        f = bg.copy()
        x = (2 * t) % (w - 6)
        f[8:14, x:x + 6] = 250
        iio.imwrite(folder / name, f)
    return folder


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("method", ["mog2", "average", "pixelgmm", "kmeans"])
def test_subtract_names_masks_after_frames(tmp_path, method):
    names = [f"b{n:05d}.bmp" for n in (247, 9, 1000, 10)]
    src = _write_folder(tmp_path / "in", names)
    out = tmp_path / "out"
    bg = tmp_path / "bg.png"
    assert main(["subtract", str(src), "-o", str(out), "--method", method, "--background", str(bg), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(n.replace(".bmp", ".png") for n in names)
    mask = iio.imread(out / "b01000.png")
    assert mask.shape == (24, 32) and set(np.unique(mask)) <= {0, 127, 255}
    assert iio.imread(bg).shape == (24, 32, 3)


def test_subtract_video_to_gif(tmp_path):
    frames = np.random.default_rng(1).integers(80, 100, (6, 32, 48, 3), dtype=np.uint8)
    frames[3:, 10:20, 10:20] = 250
    video = tmp_path / "in.gif"
    iio.imwrite(video, frames, duration=40, loop=0)
    assert main(["subtract", str(video), "-o", str(tmp_path / "m"), "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "m").iterdir())[:2] == ["frame_000000.png", "frame_000001.png"]
    assert main(["subtract", str(video), "-o", str(tmp_path / "m.avi"), "-q", "--method", "mog"]) == 0
    assert iio.imread(tmp_path / "m.avi", plugin="pyav").shape[0] == 6
    assert main(["subtract", str(video), "-o", str(tmp_path / "m.gif"), "-q"]) == 0
    assert iio.imread(tmp_path / "m.gif").shape[1:3] == (32, 48)


def test_segment(tmp_path, capsys):
    img = np.zeros((20, 20, 3), np.uint8)
    img[:, 10:] = (200, 30, 30)
    img[5:9, 2:6] = (20, 200, 40)
    path = tmp_path / "img.png"
    iio.imwrite(path, img)
    assert main(["segment", str(path), "-k", "3", "-o", str(tmp_path / "s.png"), "--palette"]) == 0
    seg = iio.imread(tmp_path / "s.png")
    assert seg.shape == (20, 20, 3) and len(np.unique(seg.reshape(-1, 3), axis=0)) == 3
    assert "3 segments" in capsys.readouterr().out


def test_segment_k_auto_keeps_the_regions_the_colours_need(tmp_path, capsys):
    rng = np.random.default_rng(3)
    img = np.zeros((60, 60, 3), np.float64)
    img[:, :30] = (200, 40, 40)
    img[:, 30:] = (30, 60, 220)
    img[20:40, 20:40] = (40, 200, 60)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "img.png"
    iio.imwrite(path, img)
    assert main(["segment", str(path), "-k", "auto", "-o", str(tmp_path / "s.png"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["k"] == 3 and len(result["kept_components"]) == 3 and result["max_components"] == 10
    assert sorted(result["pixels_per_segment"]) == [400, 1600, 1600]  # square, two halves less their part


def test_error_paths_exit_2_with_one_line(tmp_path, capsys):
    img = tmp_path / "img.png"
    iio.imwrite(img, np.zeros((8, 8, 3), np.uint8) + np.arange(8, dtype=np.uint8)[:, None, None])
    empty = tmp_path / "empty"
    empty.mkdir()
    bad_video = tmp_path / "bad.avi"
    bad_video.write_bytes(b"\x00garbage" * 50)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    iio.imwrite(mixed / "1.png", np.zeros((8, 8), np.uint8))
    iio.imwrite(mixed / "2.png", np.zeros((9, 8), np.uint8))
    cases = [
        (["segment", str(tmp_path / "missing.png"), "-k", "2", "-o", str(tmp_path / "o.png")], "missing"),
        (["subtract", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o")], "missing.mp4"),
        (["subtract", str(bad_video), "-o", str(tmp_path / "o")], "cannot read"),
        (["subtract", str(empty), "-o", str(tmp_path / "o")], "no images"),
        (["subtract", str(mixed), "-o", str(tmp_path / "o"), "--method", "mog2"], "different sizes"),
        (["subtract", str(mixed), "-o", str(tmp_path / "o"), "--method", "average"], "different sizes"),
        (["subtract", str(img), "-o", str(tmp_path / "o.xyz")], "unsupported output format"),
        (["subtract", str(img), "-o", str(tmp_path / "o"), "--var-threshold", "-1"], "var_threshold"),
        (["subtract", str(img), "-o", str(tmp_path / "o"), "--method", "mog2", "--median", "5"],
         "mog2 has no parameter 'median_size'"),
        (["subtract", str(img), "-o", str(tmp_path / "o"), "--background", str(tmp_path / "bg.txt")],
         "--background"),
        (["segment", str(img), "-k", "9", "-o", str(tmp_path / "o.png")], "exceeds the image's 8 distinct colours"),
        (["evaluate", str(empty)], "not a CDnet"),
    ]
    for argv, expected in cases:
        assert main(argv + ["-q"]) == 2, argv
        line = _one_error_line(capsys)
        assert expected in line, (argv, line)


def test_argparse_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["segment", "img.png", "-k", "x", "-o", "o.png"])
    assert exc.value.code == 2
    assert "-k" in _one_error_line(capsys)
    with pytest.raises(SystemExit) as exc:
        main(["subtract"])
    assert exc.value.code == 2
    _one_error_line(capsys)
    with pytest.raises(SystemExit) as exc:
        main(["subtract", "v.mp4", "-o", "o", "--method", "average", "--train-fraction", "0"])
    assert exc.value.code == 2
    assert "--train-fraction: must be in (0, 1]" in _one_error_line(capsys)
    for k in ("0", "many"):
        with pytest.raises(SystemExit) as exc:
            main(["segment", "img.png", "-k", k, "-o", "o.png"])
        assert exc.value.code == 2
        assert "argument -k: must be" in _one_error_line(capsys)
    for argv in (["subtract", "v.mp4", "-o", "o", "--method", "nope"], ["evaluate", "seq", "--method", "nope"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "invalid choice: 'nope'" in _one_error_line(capsys)


def test_evaluate_json_on_tiny_cdnet_folder(tmp_path, capsys):
    seq = tmp_path / "tiny"
    (seq / "input").mkdir(parents=True)
    (seq / "groundtruth").mkdir()
    (seq / "temporalROI.txt").write_text("8 12\n")
    iio.imwrite(seq / "ROI.bmp", np.full((16, 16), 255, np.uint8))
    for n in range(1, 13):
        f = np.full((16, 16, 3), 100, np.uint8)
        gt = np.zeros((16, 16), np.uint8)
        if n >= 8:  # a box that appears in frame 8 and jumps to a new place every frame
            f[4:10, 3 * (n - 8):3 * (n - 7)] = 240
            gt[4:10, 3 * (n - 8):3 * (n - 7)] = 255
        iio.imwrite(seq / "input" / f"in{n:06d}.jpg", f, quality=95)
        iio.imwrite(seq / "groundtruth" / f"gt{n:06d}.png", gt)
    assert main(["evaluate", str(seq), "--method", "mog2", "--json", "-q"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)  # nothing but the JSON on stdout
    assert "| F | precision |" in captured.err and "| tiny | 1-12 | 8-12 |" in captured.err
    assert result["method"] == "mog2" and result["scored_frames"] == [8, 12]
    for key in ("f_measure", "precision", "recall", "pwc", "fps"):
        assert isinstance(result[key], float)
    assert result["recall"] > 0.5  # the bright box on a flat background is found
    other = tmp_path / "other"
    shutil.copytree(seq, other)
    assert main(["evaluate", str(seq), str(other), "--method", "mog2", "--json", "-q"]) == 0
    captured = capsys.readouterr()
    both = json.loads(captured.out)
    assert [r["sequence"] for r in both["sequences"]] == ["tiny", "other"]
    assert both["sequences"][0]["f_measure"] == both["sequences"][1]["f_measure"] == result["f_measure"]
    assert both["mean"]["f_measure"] == pytest.approx(result["f_measure"])
    assert "| mean of 2 |" in captured.err
    assert main(["evaluate", str(seq), str(seq), "-q"]) == 2  # the same name twice
    assert "different names" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_smoke(tmp_path):
    beside = Path(sys.executable).parent / "fastgmm"
    exe = str(beside) if beside.exists() else shutil.which("fastgmm")
    if exe is None:
        pytest.skip("the fastgmm console script is not installed in this environment")
    proc = subprocess.run([exe, "segment", str(tmp_path / "nope.png"), "-k", "2", "-o", str(tmp_path / "o.png")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "subtract" in proc.stdout


def test_evaluate_default_beats_opencv_knn_on_highway_subset(data_dir, capsys):
    """Frames 1-700 of CDnet highway (scored 470-700): the default method's F >= OpenCV KNN's."""
    cv2 = pytest.importorskip("cv2")
    from fastgmm.datasets import CDnetSequence
    from fastgmm.metrics import ConfusionAccumulator

    seq_dir = data_dir / "cdnet2012_baseline_highway"
    assert main(["evaluate", str(seq_dir), "--frames", "700", "--json", "-q"]) == 0
    ours = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ours["method"] == "default" and ours["scored_frames"] == [470, 700]
    seq = CDnetSequence(seq_dir)
    knn = cv2.createBackgroundSubtractorKNN()
    acc = ConfusionAccumulator(seq.roi)
    for number, frame in seq.frames(1, 700):
        mask = knn.apply(np.ascontiguousarray(frame[:, :, ::-1]))
        if number >= 470:
            acc.update(mask, seq.groundtruth(number))
    assert ours["f_measure"] >= acc.scores().f_measure
