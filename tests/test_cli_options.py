"""The fastgmm command's model options, --version/--json/--help, faithful outputs on the seed's
traffic.gif, refusal of absurd K, warm-up, and (slow, subprocesses) Ctrl-C and the compile notice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from cli_process import interrupt_cli

from fastgmm import BackgroundSubtractorMOG2
from fastgmm.background.methods import METHODS
from fastgmm.cli import main
from fastgmm.io import open_frames

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def traffic(data_dir):
    return data_dir / "seed" / "videos" / "traffic.gif"


def _frames(path):
    return [f for _, f in open_frames(path)]


def test_version_and_help_list_methods(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    import fastgmm

    assert capsys.readouterr().out.strip() == f"fastgmm {fastgmm.__version__}"
    with pytest.raises(SystemExit):
        main(["subtract", "--help"])
    text = capsys.readouterr().out
    for name, method in METHODS.items():
        assert f"{name:10s} {method.description}" in text
    for option in ("--var-threshold", "--history", "--no-shadows", "--learning-rate", "--median", "--max-frames",
                   "--duration", "examples:"):
        assert option in text


def test_model_options_give_the_models_masks(tmp_path, traffic):
    frames = _frames(traffic)
    out = tmp_path / "masks.mkv"
    assert main(["subtract", str(traffic), "-o", str(out), "--method", "mog2", "--var-threshold", "40",
                 "--no-shadows", "--history", "50", "--learning-rate", "0.02", "-q"]) == 0
    model = BackgroundSubtractorMOG2(var_threshold=40, detect_shadows=False, history=50)
    got = _frames(out)
    assert len(got) == len(frames) == 80
    for frame, mask in zip(frames, got, strict=True):
        np.testing.assert_array_equal(mask, model.apply(frame, 0.02))


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webm", ".mkv"])
def test_outputs_are_faithful_on_traffic_gif(tmp_path, traffic, suffix):
    """80 inputs -> 80 output frames, values exactly the masks, the input's frame rate."""
    frames = _frames(traffic)
    out = tmp_path / f"masks{suffix}"
    assert main(["subtract", str(traffic), "-o", str(out), "--method", "mog2", "-q"]) == 0
    model = BackgroundSubtractorMOG2()
    reader = open_frames(out)
    got = [f if f.ndim == 2 else f[:, :, 0] for _, f in reader]
    assert len(got) == 80
    for frame, mask in zip(frames, got, strict=True):
        np.testing.assert_array_equal(mask, model.apply(frame))
    assert abs(float(reader.fps) - float(open_frames(traffic).fps)) < 0.6


def test_suffixless_paths_are_folders_and_json_is_alone_on_stdout(tmp_path, traffic, capsys):
    out, bg = tmp_path / "masks", tmp_path / "bg"
    assert main(["subtract", str(traffic), "-o", str(out), "--background", str(bg), "--max-frames", "10",
                 "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["n_masks"] == 10 and len(list(out.iterdir())) == 10
    assert iio.imread(bg / "background.png").shape == (120, 160, 3)


def test_unsupported_output_leaves_nothing(tmp_path, traffic, capsys):
    assert main(["subtract", str(traffic), "-o", str(tmp_path / "out" / "m.xyz"), "-q"]) == 2
    assert "unsupported output format" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_segment_refuses_absurd_k_up_front(data_dir, tmp_path, capsys):
    image = data_dir / "seed" / "images" / "plant_cells_2.jpeg"
    assert main(["segment", str(image), "-k", "100000", "-o", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert "exceeds the image's" in err and "distinct colours" in err
    assert not (tmp_path / "s.png").exists()


def test_warm_up_json(capsys):
    # the "kmeans" group (every feature count, ~3 min on an empty cache) is left to `fastgmm warm-up`'s users
    assert main(["warm-up", "--only", "background", "mixture", "segmentation", "--json", "-q"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["steps"]) >= {f"background {m} (colour)" for m in METHODS} | {"segmentation"}
    assert not any(step.startswith("KMeans") for step in result["steps"])


def test_warm_up_groups_are_checked(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["warm-up", "--only", "kmean"])
    assert exit_info.value.code == 2 and "invalid choice: 'kmean'" in capsys.readouterr().err
    from fastgmm._compile import warm_up

    with pytest.raises(ValueError, match="unknown warm-up group"):
        warm_up(only=["kmean"])


@pytest.mark.slow
def test_ctrl_c_stops_a_long_segmentation_with_exit_130(data_dir, tmp_path):
    image = data_dir / "seed" / "images" / "plant_cells_2.jpeg"
    code, err, stopped = interrupt_cli(["segment", str(image), "-k", "5000", "-o", str(tmp_path / "s.png")],
                                       after=6.0)
    assert code == 130 and "Traceback" not in err, err
    assert stopped < 5.0  # functional bound; the floor is 1 s


@pytest.mark.slow
def test_ctrl_c_stops_a_compilation_with_exit_130(tmp_path):
    """Ctrl-C while `fastgmm warm-up` compiles on an empty cache: exit 130 at once, one line, no traceback."""
    code, err, stopped = interrupt_cli(["warm-up"], ready="compiling kernels", after=1.0,
                                       env={"NUMBA_CACHE_DIR": str(tmp_path)})
    assert code == 130, err
    assert "Traceback" not in err and "fastgmm warm-up: interrupted" in err
    assert stopped < 5.0  # functional bound; the floor is 1 s


@pytest.mark.slow
def test_first_compilation_is_announced_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_NUM_THREADS": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    code = ("import numpy as np\nfrom fastgmm import BackgroundSubtractorMOG\n"
            "BackgroundSubtractorMOG().apply(np.zeros((4, 4), np.uint8))\n")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("compiling kernels, first run only") == 1
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0 and "compiling" not in second.stderr


@pytest.mark.slow
def test_bench_quick_json():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "fastgmm.cli", "bench", "--quick", "--json"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {r["case"] for r in result["mog2"]} == {"320x240", "1920x1080"}
    assert {r["threads"] for r in result["em"]} == {1, 2}
