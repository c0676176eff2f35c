"""BackgroundSubtractorMOG: exact agreement with the naive reference and bgsegm MOG, the
background image, invariants, persistence and bad input."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
from naive.mog import NaiveMOG
from online_helpers import apply_noise, assert_same_masks, check_known_foreground, run_beside_naive, synthetic_video

import fastgmm
from fastgmm import BackgroundSubtractorMOG
from fastgmm.exceptions import NotFittedError

cv2 = pytest.importorskip("cv2")


def opencv_mog(**kw):
    return cv2.bgsegm.createBackgroundSubtractorMOG(history=kw.get("history", 200),
                                                    nmixtures=kw.get("n_mixtures", 5),
                                                    backgroundRatio=kw.get("background_ratio", 0.7),
                                                    noiseSigma=kw.get("noise_sigma", 0.0))


@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("kw,lr", [({}, -1.0), ({"n_mixtures": 3}, 0.05), ({"background_ratio": 0.5}, 0.0),
                                   ({"n_mixtures": 2, "noise_sigma": 4.0, "history": 10}, -1.0)])
def test_matches_naive_exactly(C, kw, lr):
    ours, ref = BackgroundSubtractorMOG(**kw), NaiveMOG(**kw)
    run_beside_naive(ours, ref, C, lr, seed=20 + C)
    np.testing.assert_array_equal(ours.per_pixel_state()["modes"]["weight"].reshape(-1, ours.n_mixtures), ref.weights())


@pytest.mark.parametrize("gray", [False, True])
@pytest.mark.parametrize("lr", [-1.0, 0.01, 0.0])
def test_highway_equals_bgsegm(highway, gray, lr):  # noqa: F811
    frames = highway if lr == -1.0 else highway[:150, 60:180, 80:240]
    frames = [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) if gray else f) for f in frames]
    assert_same_masks(BackgroundSubtractorMOG(), opencv_mog(), frames, lr)  # bit for bit (see assert_same_masks)


def test_traffic_gif_and_generated_equal_bgsegm(data_dir):
    import imageio.v3 as iio

    frames = iio.imread(data_dir / "seed" / "videos" / "traffic.gif")
    frames = np.ascontiguousarray(frames[..., :3]) if frames.ndim == 4 else frames
    assert_same_masks(BackgroundSubtractorMOG(), opencv_mog(), frames, -1.0)
    rng = np.random.default_rng(21)
    video = synthetic_video(rng, 40, 50, 3, 80)
    for kw in ({}, {"n_mixtures": 3, "background_ratio": 0.9, "noise_sigma": 8.0}, {"n_mixtures": 7}):
        assert_same_masks(BackgroundSubtractorMOG(**kw), opencv_mog(**kw), video, -1.0)
        assert_same_masks(BackgroundSubtractorMOG(**kw), opencv_mog(**kw), video[..., 0], 0.01)


def test_known_foreground_leaves_model_untouched():
    check_known_foreground(BackgroundSubtractorMOG(), NaiveMOG(), seed=22, n_frames=12)


def test_background_image_definition():
    """Weight-averaged means of the leading modes up to background_ratio, computed here in numpy."""
    rng = np.random.default_rng(23)
    frames = synthetic_video(rng, 20, 24, 3, 60)
    model = BackgroundSubtractorMOG()
    for f in frames:
        model.apply(f)
    modes = model.per_pixel_state()["modes"].reshape(-1, model.n_mixtures)
    expected = np.empty((modes.shape[0], 3))
    for p, px in enumerate(modes):
        cum = np.cumsum(px["weight"].astype(np.float64))
        n = min(int(np.searchsorted(cum, model.background_ratio, side="right")) + 1, int((px["weight"] > 0).sum()))
        expected[p] = (px["weight"][:n, None] * px["mean"][:n]).sum(0) / px["weight"][:n].sum()
    got = model.background_image().reshape(-1, 3).astype(float)
    assert np.abs(got - expected).max() <= 1.0
    static = frames[0]
    still = BackgroundSubtractorMOG(history=20)
    for _ in range(40):
        still.apply(static)
    np.testing.assert_array_equal(still.background_image(), static)
    gray = BackgroundSubtractorMOG()
    gray.apply(static[..., 0])
    assert gray.background_image().shape == (20, 24)


def test_noise_keeps_state_finite_and_normalised():
    model = BackgroundSubtractorMOG(n_mixtures=4)
    apply_noise(model, np.random.default_rng(24))
    modes = model.per_pixel_state()["modes"]
    w = modes["weight"]
    assert all(np.isfinite(modes[f]).all() for f in modes.dtype.names) and (w >= 0).all()
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-4)
    assert (modes["variance"][w > 0] >= 15.0 ** 2 - 1e-3).all()


def test_save_load_and_allocation(tmp_path):
    rng = np.random.default_rng(25)
    frames = synthetic_video(rng, 24, 32, 1, 50)[..., 0]
    full = BackgroundSubtractorMOG(n_mixtures=3)
    masks = [full.apply(f) for f in frames]
    half = BackgroundSubtractorMOG(n_mixtures=3)
    for f in frames[:20]:
        half.apply(f)
    half.save(tmp_path / "mog.npz")
    loaded = BackgroundSubtractorMOG.load(tmp_path / "mog.npz")
    out = np.empty((24, 32), np.uint8)
    loaded.apply(frames[20], out=out)
    np.testing.assert_array_equal(out, masks[20])
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for t in range(21, 50):
        loaded.apply(frames[t], out=out)
        assert np.array_equal(out, masks[t])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak - base < 4096
    from fastgmm import BackgroundSubtractorMOG2

    BackgroundSubtractorMOG2().save(tmp_path / "mog2.npz")
    with pytest.raises(ValueError):
        BackgroundSubtractorMOG.load(tmp_path / "mog2.npz")


@pytest.mark.parametrize("kw,exc", [({"n_mixtures": 0}, ValueError), ({"n_mixtures": 300}, ValueError),
                                    ({"history": -3}, ValueError), ({"background_ratio": 0.0}, ValueError),
                                    ({"background_ratio": 1.2}, ValueError), ({"noise_sigma": -1.0}, ValueError),
                                    ({"history": "200"}, TypeError)])
def test_bad_parameters(kw, exc):
    with pytest.raises(exc):
        BackgroundSubtractorMOG(**kw)


def test_bad_input():
    model = BackgroundSubtractorMOG()
    with pytest.raises(NotFittedError):
        model.background_image()
    with pytest.raises(ValueError):
        model.apply(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(TypeError):
        model.apply(np.zeros((4, 4), np.int64))
    with pytest.raises(ValueError):
        model.apply(np.zeros((4, 4)), float("nan"))
    model.apply(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="reset"):
        model.apply(np.zeros((4, 5), np.uint8))
    assert fastgmm.BackgroundSubtractorMOG is BackgroundSubtractorMOG


def _format1_records(mode: list[tuple], K: int, with_count: bool) -> np.dtype:
    """File format 1, spelled out independently of the package: optional uint8 ``n_modes`` at byte
    0, ``K`` packed modes from byte 4 (0 without a count), the record padded to a multiple of 64."""
    mode_dt = np.dtype(mode)
    start = 4 if with_count else 0
    names, formats, offsets = (["n_modes"], [np.uint8], [0]) if with_count else ([], [], [])
    return np.dtype({"names": names + ["modes"], "formats": formats + [(mode_dt, (K,))],
                     "offsets": offsets + [start], "itemsize": -(-(start + K * mode_dt.itemsize) // 64) * 64})


@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("model", ["MOG", "MOG2"])
def test_a_hand_written_format_1_file_loads_and_resumes_bit_identically(tmp_path, model, C):
    """Files keep format 1 whatever the in-memory layout (MOG2: 64-byte main + overflow records,
    MOG: unpadded records): a file written by hand in that format resumes like an uninterrupted run."""
    f32 = np.float32
    if model == "MOG":
        cls, mode, count = BackgroundSubtractorMOG, [("sort_key", f32), ("weight", f32), ("mean", f32, (C,)),
                                                     ("variance", f32, (C,))], False
    else:
        cls, mode, count = fastgmm.BackgroundSubtractorMOG2, [("weight", f32), ("variance", f32),
                                                              ("mean", f32, (C,))], True
    frames = synthetic_video(np.random.default_rng(31), 9, 11, 3, 40)
    if C == 1:
        frames = frames[..., 0]
    full = cls()
    masks = [full.apply(f) for f in frames]
    half = cls()
    for f in frames[:25]:
        half.apply(f)
    if model == "MOG":  # in memory: unpadded records
        assert half.state_.dtype.itemsize == 5 * np.dtype(mode).itemsize
    state = half.per_pixel_state()
    assert state.dtype == _format1_records(mode, 5, count)
    rec = np.zeros(state.shape, _format1_records(mode, 5, count))
    for name in rec.dtype.names:
        rec[name] = state[name]
    meta = {"format_version": 1, "class_name": cls.__name__, "params": half.get_params(), "n_frames": 25,
            "frame_shape": [9, 11, C], "frame_ndim": frames.ndim - 1}
    np.savez(tmp_path / "v1.npz", meta=np.array(json.dumps(meta)), state=rec)
    loaded = cls.load(tmp_path / "v1.npz")
    for t in range(25, 40):
        np.testing.assert_array_equal(loaded.apply(frames[t]), masks[t], err_msg=f"frame {t}")
    np.testing.assert_array_equal(loaded.per_pixel_state(), full.per_pixel_state())
