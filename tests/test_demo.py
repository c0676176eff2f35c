"""The synthetic demo scene: ground truth consistent with the pixels."""

from __future__ import annotations

import numpy as np

from fastgmm.demo import make_scene, score_scene


def test_scene_truth_is_where_objects_are():
    scene = make_scene(height=60, width=80, n_frames=40, noise_sigma=0.0, seed=3)
    T, H, W = scene.truth.shape
    assert scene.frames.shape == (T, H, W, 3) and set(np.unique(scene.truth)) <= {0, 255}
    assert (scene.truth == 255).any(axis=(1, 2)).mean() > 0.5  # objects visible in most frames
    gain = 1.0 + 0.04 * np.sin(2 * np.pi * np.arange(T) / T)
    expected_bg = np.clip(np.rint(scene.background[None] * gain[:, None, None, None]), 0, 255)
    diff = np.abs(scene.frames.astype(float) - expected_bg).max(axis=3)
    still = (scene.truth == 0) & ~scene.waving[None]
    # without noise, static background pixels are the background times the drift gain
    assert diff[still].max() <= 1.0
    # object pixels differ from the background they cover (in most places)
    assert np.median(diff[scene.truth == 255]) > 20
    # objects move: the truth changes from frame to frame
    assert (scene.truth[1:] != scene.truth[:-1]).any(axis=(1, 2)).all()


def test_same_seed_same_scene_and_perfect_masks_score_one():
    a = make_scene(height=30, width=40, n_frames=10, seed=1)
    b = make_scene(height=30, width=40, n_frames=10, seed=1)
    np.testing.assert_array_equal(a.frames, b.frames)
    s = score_scene(a, a.truth, warmup=0)
    assert s.f_measure == 1.0 and s.pwc == 0.0


def test_run_demo_writes_every_method(tmp_path, capsys):
    from fastgmm.background.methods import METHODS
    from fastgmm.demo import WARMUP, run_demo

    results = run_demo(tmp_path / "demo", n_frames=WARMUP + 20)
    assert set(results) == set(METHODS)
    names = {p.name for p in (tmp_path / "demo").iterdir()}
    for m in METHODS:
        assert {f"masks_{m}.gif", f"background_{m}.png"} <= names
        assert 0.0 <= results[m]["f_measure"] <= 1.0 and results[m]["fps"] > 0
    assert {"input.gif", "truth.gif", "segmentation.png", "results.json"} <= names
    table = capsys.readouterr().out
    assert all(f"| {m} |" in table for m in METHODS)
    assert results["mog2"]["f_measure"] > 0.5  # the online mixture finds the objects after the warm-up
