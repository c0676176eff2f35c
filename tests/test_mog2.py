"""BackgroundSubtractorMOG2: exact agreement with the naive reference and OpenCV, invariants,
persistence, allocation-free apply, Numba cache safety and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from naive.mog2 import NaiveMOG2
from online_helpers import (
    apply_noise,
    assert_same_masks,
    bytes_allocated_by_apply,
    check_known_foreground,
    run_beside_naive,
    synthetic_video,
)

import fastgmm
from fastgmm import BackgroundSubtractorMOG2
from fastgmm.exceptions import NotFittedError

cv2 = pytest.importorskip("cv2")


def opencv_mog2(**kw):
    m = cv2.createBackgroundSubtractorMOG2(history=kw.get("history", 500),
                                           varThreshold=kw.get("var_threshold", 16.0),
                                           detectShadows=kw.get("detect_shadows", True))
    m.setNMixtures(kw.get("n_mixtures", 5))
    return m


# ------------------------------------------------------------------ naive reference, exact
@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("kw,lr", [({}, -1.0), ({"detect_shadows": False}, 0.01), ({"n_mixtures": 3}, 0.0),
                                   ({"n_mixtures": 2, "complexity_reduction_threshold": 0.3}, 0.05),
                                   # prunes even a lone mode the pixel fits (the kernel's fast path)
                                   ({"complexity_reduction_threshold": 3.0}, 0.3)])
def test_matches_naive_exactly(C, kw, lr):
    ours, ref = BackgroundSubtractorMOG2(**kw), NaiveMOG2(**kw)
    run_beside_naive(ours, ref, C, lr, seed=1 + C)
    state = ours.per_pixel_state()
    np.testing.assert_array_equal(state["n_modes"].ravel(), [p[0] for p in ref.pixels])
    w = state["modes"]["weight"].reshape(-1, ours.n_mixtures)
    w = np.where(np.arange(ours.n_mixtures) < state["n_modes"].reshape(-1, 1), w, 0)
    np.testing.assert_array_equal(w, ref.weights())
    bg = ours.background_image()
    np.testing.assert_array_equal(bg.reshape(6, 7, C), ref.background_image((6, 7, C)))


def test_known_foreground_matches_naive_and_leaves_model_untouched():
    ours, ref = BackgroundSubtractorMOG2(), NaiveMOG2()
    frames, kf, before = check_known_foreground(ours, ref, seed=5, n_frames=25)
    assert not np.array_equal(ours.per_pixel_state()[~kf], before[~kf])
    np.testing.assert_array_equal(ours.apply(frames[11], known_foreground=kf.astype(np.uint8)),
                                  ref.apply(frames[11], known_foreground=kf))


# ------------------------------------------------------------------------------ OpenCV
@pytest.mark.parametrize("gray", [False, True])
def test_highway_default_equals_opencv(highway, gray):
    frames = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in highway] if gray else highway
    ours, theirs = BackgroundSubtractorMOG2(), opencv_mog2()
    assert_same_masks(ours, theirs, frames, -1.0)
    np.testing.assert_array_equal(ours.background_image(), theirs.getBackgroundImage())


@pytest.mark.parametrize("gray", [False, True])
@pytest.mark.parametrize("shadows", [True, False])
@pytest.mark.parametrize("lr", [-1.0, 0.01, 0.0])
@pytest.mark.parametrize("n_mixtures", [3, 5])
def test_highway_configurations_equal_opencv(highway, gray, shadows, lr, n_mixtures):
    crop = highway[:120, 100:220, 60:220]  # fewer frames and pixels: the matrix is 24 runs
    frames = [np.ascontiguousarray(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) if gray else f) for f in crop]
    kw = {"detect_shadows": shadows, "n_mixtures": n_mixtures}
    assert_same_masks(BackgroundSubtractorMOG2(**kw), opencv_mog2(**kw), frames, lr)


def test_traffic_gif_equals_opencv(data_dir):
    import imageio.v3 as iio

    frames = iio.imread(data_dir / "seed" / "videos" / "traffic.gif")
    frames = np.ascontiguousarray(frames[..., :3]) if frames.ndim == 4 else frames
    for shadows in (True, False):
        ours, theirs = BackgroundSubtractorMOG2(detect_shadows=shadows), opencv_mog2(detect_shadows=shadows)
        assert_same_masks(ours, theirs, frames, -1.0)
        np.testing.assert_array_equal(ours.background_image(), theirs.getBackgroundImage())


@pytest.mark.parametrize("C", [1, 3])
@pytest.mark.parametrize("lr", [-1.0, 0.01, 0.0])
def test_generated_sequences_equal_opencv(C, lr):
    rng = np.random.default_rng(11 + C)
    frames = synthetic_video(rng, 40, 50, C, 80)
    frames = frames[..., 0] if C == 1 else frames
    for kw in ({}, {"detect_shadows": False, "n_mixtures": 3}):
        assert_same_masks(BackgroundSubtractorMOG2(**kw), opencv_mog2(**kw), frames, lr)


def test_non_default_parameters_equal_opencv():
    rng = np.random.default_rng(3)
    frames = synthetic_video(rng, 30, 40, 3, 60)
    kw = dict(history=50, var_threshold=25.0, background_ratio=0.7, var_threshold_gen=6.0, var_init=30.0,
              var_min=2.0, var_max=90.0, complexity_reduction_threshold=0.1, shadow_value=90,
              shadow_threshold=0.6)
    theirs = opencv_mog2(history=50, var_threshold=25.0)
    theirs.setBackgroundRatio(0.7), theirs.setVarThresholdGen(6.0), theirs.setVarInit(30.0)
    theirs.setVarMin(2.0), theirs.setVarMax(90.0), theirs.setComplexityReductionThreshold(0.1)
    theirs.setShadowValue(90), theirs.setShadowThreshold(0.6)
    assert_same_masks(BackgroundSubtractorMOG2(**kw), theirs, frames, -1.0)


def test_float_frames_and_odd_strides():
    rng = np.random.default_rng(4)
    frames = synthetic_video(rng, 30, 40, 3, 40)
    f32 = (frames.astype(np.float32) + rng.random(frames.shape, dtype=np.float32)).clip(0, 255)
    ours, theirs = BackgroundSubtractorMOG2(), opencv_mog2()
    for f in f32:
        np.testing.assert_array_equal(ours.apply(f), theirs.apply(f))
    f64 = (frames + rng.random(frames.shape)).clip(0, 255)  # OpenCV takes float64 frames too
    ours, theirs = BackgroundSubtractorMOG2(), opencv_mog2()
    assert_same_masks(ours, theirs, f64, -1.0)
    a64, a32 = BackgroundSubtractorMOG2(), BackgroundSubtractorMOG2()
    for f in f32:  # float64 frames are rounded to float32 first, as OpenCV converts them
        np.testing.assert_array_equal(a64.apply(f.astype(np.float64)), a32.apply(f))
    flipped, plain = BackgroundSubtractorMOG2(), BackgroundSubtractorMOG2()
    for f in frames:  # reversed channels and a column step: any strides work
        np.testing.assert_array_equal(flipped.apply(f[:, ::-1, ::-1]), plain.apply(f[:, ::-1, ::-1].copy()))
    g3, g2 = BackgroundSubtractorMOG2(), BackgroundSubtractorMOG2()
    for f in frames:
        np.testing.assert_array_equal(g3.apply(f[:, :, 1:2]), g2.apply(f[:, :, 1]))
    assert g3.background_image().shape == (30, 40, 1) and g2.background_image().shape == (30, 40)


def test_known_foreground_equals_opencv():
    rng = np.random.default_rng(8)
    frames = synthetic_video(rng, 30, 40, 3, 40)
    ours, theirs = BackgroundSubtractorMOG2(), opencv_mog2()
    for t, f in enumerate(frames):
        kf = (rng.random((30, 40)) < 0.2).astype(np.uint8) * 255
        np.testing.assert_array_equal(ours.apply(f, known_foreground=kf), theirs.apply(f, knownForegroundMask=kf),
                                      err_msg=str(t))


def test_learning_rate_one_reinitialises():
    rng = np.random.default_rng(9)
    frames = synthetic_video(rng, 20, 20, 3, 30)
    a, b, c = BackgroundSubtractorMOG2(), BackgroundSubtractorMOG2(), opencv_mog2()
    for f in frames[:20]:
        a.apply(f), c.apply(f)
    np.testing.assert_array_equal(a.apply(frames[20], 1.0), b.apply(frames[20]))
    np.testing.assert_array_equal(a.per_pixel_state(), b.per_pixel_state())
    assert a.n_frames_ == 1
    c.apply(frames[20], learningRate=1.0)
    for f in frames[21:]:
        np.testing.assert_array_equal(a.apply(f), c.apply(f))


# --------------------------------------------------------------------------- invariants
def check_invariants(model, *, normalised=True):
    """Finite state, 1..K modes, weights sorted and summing to 1, variances within bounds.

    OpenCV's replacement of the weakest mode (all K in use) leaves the weights summing to
    1 - (1 - alpha) * w_replaced until the next frame renormalises them; ``normalised=False``
    then only checks that the sum is in (0, 1]."""
    state = model.per_pixel_state()
    n = state["n_modes"]
    w = state["modes"]["weight"]
    used = np.arange(model.n_mixtures) < n[..., None]
    assert all(np.isfinite(state["modes"][f]).all() for f in state["modes"].dtype.names)
    assert (n >= 1).all() and (n <= model.n_mixtures).all()
    sums = np.where(used, w, 0).sum(-1)
    if normalised:
        np.testing.assert_allclose(sums, 1.0, atol=1e-4)
    else:
        assert (sums > 0).all() and (sums <= 1 + 1e-4).all()
    wu = np.where(used, w, -1)
    assert (np.diff(wu, axis=-1)[used[..., 1:]] <= 0).all(), "modes must be sorted by weight"
    v = state["modes"]["variance"][used]
    assert (v >= model.var_min).all() and (v <= model.var_max).all()


def test_noise_keeps_state_finite_and_normalised():
    rng = np.random.default_rng(10)
    model = BackgroundSubtractorMOG2(n_mixtures=4)
    out = apply_noise(model, rng)
    check_invariants(model, normalised=False)
    for t in range(200):
        frame = rng.random((12, 16, 3)) * 255.0
        model.apply(frame, 0.3, out=out)
    check_invariants(model, normalised=False)
    model.apply(frame, 0.3, out=out)  # every pixel matches the mode it just created: renormalised
    check_invariants(model)


def test_static_scene_becomes_background():
    rng = np.random.default_rng(12)
    frames = synthetic_video(rng, 30, 40, 3, 120)
    model = BackgroundSubtractorMOG2(history=50)
    for f in frames:
        model.apply(f)
    check_invariants(model, normalised=False)
    static = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    for _ in range(150):  # (1 - 1/50)^150 < 0.1: the new scene's mode carries > 90 % of the weight
        mask = model.apply(static)
    assert (mask == 0).all()
    check_invariants(model)
    assert np.abs(model.background_image().astype(int) - static).max() <= 1


# -------------------------------------------------------------------------- persistence
def test_save_load_continues_bit_identically(tmp_path):
    rng = np.random.default_rng(13)
    frames = synthetic_video(rng, 24, 32, 3, 60)
    full = BackgroundSubtractorMOG2(n_mixtures=4, history=40)
    masks = [full.apply(f) for f in frames]
    half = BackgroundSubtractorMOG2(n_mixtures=4, history=40)
    for f in frames[:25]:
        half.apply(f)
    half.save(tmp_path / "m.npz")
    loaded = BackgroundSubtractorMOG2.load(tmp_path / "m.npz")
    assert loaded.get_params() == half.get_params() and loaded.n_frames_ == 25
    for t in range(25, 60):
        np.testing.assert_array_equal(loaded.apply(frames[t]), masks[t])
    np.save(tmp_path / "frames.npy", frames)
    np.save(tmp_path / "masks.npy", np.stack(masks))
    script = textwrap.dedent(f"""
        import numpy as np
        from fastgmm import BackgroundSubtractorMOG2
        frames = np.load({str(tmp_path / 'frames.npy')!r}); masks = np.load({str(tmp_path / 'masks.npy')!r})
        m = BackgroundSubtractorMOG2.load({str(tmp_path / 'm.npz')!r})
        print(all(np.array_equal(m.apply(frames[t]), masks[t]) for t in range(25, 60)))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"


def test_state_dict_and_unfitted_save(tmp_path):
    model = BackgroundSubtractorMOG2(history=7)
    model.save(tmp_path / "empty.npz")
    again = BackgroundSubtractorMOG2.load(tmp_path / "empty.npz")
    assert again.history == 7 and again.state_ is None
    sd = model.state_dict()
    assert sd["state"] is None and sd["params"]["history"] == 7 and sd["format_version"] == 1


def test_load_rejects_corrupt_truncated_and_foreign_files(tmp_path):
    rng = np.random.default_rng(14)
    model = BackgroundSubtractorMOG2()
    model.apply(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    good = tmp_path / "good.npz"
    model.save(good)
    blob = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(blob[: len(blob) // 2])
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    np.savez(tmp_path / "foreign.npz", a=np.arange(3))
    from fastgmm import BackgroundSubtractorMOG

    BackgroundSubtractorMOG().save(tmp_path / "mog.npz")
    meta = json.loads(str(np.load(good)["meta"][()]))
    state = np.load(good)["state"]
    bad_state = state.copy()
    bad_state["modes"]["weight"][0, 0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", meta=np.array(json.dumps(meta)), state=bad_state)
    np.savez(tmp_path / "shape.npz", meta=np.array(json.dumps(meta)), state=state[:4])
    meta_v = dict(meta, format_version=99)
    np.savez(tmp_path / "version.npz", meta=np.array(json.dumps(meta_v)), state=state)
    for name in ("trunc", "junk", "foreign", "mog", "nan", "shape", "version"):
        with pytest.raises(ValueError):
            BackgroundSubtractorMOG2.load(tmp_path / f"{name}.npz")
    with pytest.raises(ValueError):
        BackgroundSubtractorMOG2.load(tmp_path / "missing.npz")


def test_state_layout_main_and_overflow_records():
    """Colour MOG2: the count and the first three modes fill one 64-byte main record per pixel, the
    other modes sit in overflow records after all main records, in the same buffer; per_pixel_state()
    reassembles them in mode order and writing it back changes nothing."""
    rng = np.random.default_rng(17)
    frames = synthetic_video(rng, 6, 5, 3, 30)
    model = BackgroundSubtractorMOG2(n_mixtures=5)
    for f in frames:
        model.apply(f)
    main, over = model.state_, model.overflow_
    assert main.shape == over.shape == (6, 5) and main.dtype.itemsize == 64
    assert main.dtype["modes"].shape == (3,) and over.dtype["modes"].shape == (2,)
    assert main.ctypes.data % 64 == 0 and over.ctypes.data == main.ctypes.data + main.nbytes
    full = model.per_pixel_state()
    assert full["modes"].shape == (6, 5, 5) and (full["n_modes"] > 3).any()
    np.testing.assert_array_equal(full["modes"][..., :3], main["modes"])
    np.testing.assert_array_equal(full["modes"][..., 3:], over["modes"])
    model._set_per_pixel_state(full)
    np.testing.assert_array_equal(model.per_pixel_state(), full)
    gray = BackgroundSubtractorMOG2(n_mixtures=5)
    gray.apply(frames[0][..., 0])
    assert gray.overflow_ is None and gray.state_.dtype.itemsize == 64


@pytest.mark.parametrize("K", [1, 7])
def test_few_and_many_modes_match_naive_and_resume(tmp_path, K):
    """No overflow (K=1) and a large one (K=7: 3 main + 4 overflow modes); save/load in between."""
    rng = np.random.default_rng(18)
    frames = synthetic_video(rng, 5, 6, 3, 40, noise=12.0, p_object=0.2)
    ours, ref = BackgroundSubtractorMOG2(n_mixtures=K, history=20), NaiveMOG2(n_mixtures=K, history=20)
    for t, f in enumerate(frames):
        if t == 20:
            ours.save(tmp_path / "m.npz")
            ours = BackgroundSubtractorMOG2.load(tmp_path / "m.npz")
        np.testing.assert_array_equal(ours.apply(f), ref.apply(f), err_msg=f"frame {t}")
    assert ours.per_pixel_state()["n_modes"].max() == K
    np.testing.assert_array_equal(ours.background_image(), ref.background_image((5, 6, 3)))


# ---------------------------------------------------------------- allocation and caching
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_apply_with_out_allocates_nothing_per_frame(dtype):
    rng = np.random.default_rng(15)
    frames = rng.integers(0, 256, (40, 60, 80, 3), dtype=np.uint8).astype(dtype)  # float frames: NaN check too
    peak, retained = bytes_allocated_by_apply(BackgroundSubtractorMOG2(), frames)
    assert peak < 4096, f"apply(out=...) allocated {peak} bytes"  # a mask alone is 4800
    assert retained < 1024


def test_concurrent_fresh_processes_share_the_cache_safely(tmp_path):
    """Two fresh processes compiling into one empty cache dir at once both succeed with identical
    masks; a third process then loads every kernel from that cache (hits, no compilation)."""
    script = textwrap.dedent("""
        import sys, numpy as np
        from fastgmm import BackgroundSubtractorMOG2
        from fastgmm.background import _mog2_kernel
        rng = np.random.default_rng(0)
        m = BackgroundSubtractorMOG2()
        masks = [m.apply(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)) for _ in range(5)]
        np.save(sys.argv[1], np.stack(masks))
        st = _mog2_kernel.update.stats
        print(sum(st.cache_hits.values()), sum(st.cache_misses.values()))
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / f"m{i}.npy")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (so, se) in zip(procs, outs):
        assert p.returncode == 0, se
    np.testing.assert_array_equal(np.load(tmp_path / "m0.npy"), np.load(tmp_path / "m1.npy"))
    res = subprocess.run([sys.executable, "-c", script, str(tmp_path / "m2.npy")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    hits, misses = map(int, res.stdout.split())
    assert hits >= 1 and misses == 0
    np.testing.assert_array_equal(np.load(tmp_path / "m2.npy"), np.load(tmp_path / "m0.npy"))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw,exc", [
    ({"n_mixtures": 0}, ValueError), ({"n_mixtures": 256}, ValueError), ({"n_mixtures": 2.5}, TypeError),
    ({"history": 0}, ValueError), ({"var_threshold": -1.0}, ValueError), ({"var_threshold_gen": -1.0}, ValueError),
    ({"var_init": -1.0}, ValueError), ({"var_min": -1.0}, ValueError), ({"var_max": -2.0}, ValueError),
    ({"var_min": 10.0, "var_max": 5.0}, ValueError), ({"background_ratio": 1.5}, ValueError),
    ({"complexity_reduction_threshold": -0.1}, ValueError), ({"shadow_value": 300}, ValueError),
    ({"shadow_threshold": 2.0}, ValueError), ({"detect_shadows": "yes"}, TypeError),
    ({"var_threshold": float("nan")}, ValueError),
])
def test_bad_constructor_parameters(kw, exc):
    with pytest.raises(exc):
        BackgroundSubtractorMOG2(**kw)


def test_bad_frames_and_arguments():
    rng = np.random.default_rng(16)
    good = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    model = BackgroundSubtractorMOG2()
    with pytest.raises(NotFittedError):
        model.background_image()
    for frame, exc in [(np.zeros((6,), np.uint8), ValueError), (np.zeros((2, 6, 8, 3), np.uint8), ValueError),
                       (np.zeros((0, 8), np.uint8), ValueError), (np.zeros((6, 8, 2), np.uint8), ValueError),
                       (np.zeros((6, 8, 4), np.uint8), ValueError), (np.zeros((6, 8), np.int32), TypeError),
                       (np.array([["a"]]), TypeError), (np.full((6, 8), np.nan, np.float32), ValueError),
                       (np.full((6, 8), np.inf), ValueError), (None, TypeError)]:
        with pytest.raises(exc):
            model.apply(frame)
    assert model.n_frames_ == 0 and model.state_ is None
    for lr in (float("nan"), 1.5):
        with pytest.raises(ValueError):
            model.apply(good, lr)
    with pytest.raises(TypeError):
        model.apply(good, "fast")
    model.apply(good)
    with pytest.raises(ValueError, match="reset"):
        model.apply(good[:, :4])
    with pytest.raises(ValueError, match="reset"):
        model.apply(good[:, :, 0])
    with pytest.raises(ValueError):
        model.apply(good, known_foreground=np.zeros((6, 7), bool))
    with pytest.raises(TypeError):
        model.apply(good, known_foreground=np.zeros((6, 8), np.float32))
    with pytest.raises(ValueError):
        model.apply(good, out=np.empty((6, 7), np.uint8))
    with pytest.raises(TypeError):
        model.apply(good, out=np.empty((6, 8), np.int16))
    with pytest.raises(ValueError):
        model.apply(good, out=np.empty((8, 6), np.uint8).T)
    assert model.n_frames_ == 1
    model.reset()
    model.apply(good[:, :4, 0])  # a new shape after reset() is fine
    assert model.background_image().shape == (6, 4)


def test_warm_up_compiles_only_the_requested_specialisation():
    script = textwrap.dedent("""
        import sys
        import numba
        import numpy as np
        from fastgmm import BackgroundSubtractorMOG2
        from fastgmm.background import _mog2_kernel
        from fastgmm.background._modes import channels_tag
        BackgroundSubtractorMOG2.warm_up(channels=1, dtype=np.float32)
        (sig,) = _mog2_kernel.update.signatures
        print(sig[0] == numba.typeof(channels_tag(1)), sig[1].dtype,
              "fastgmm.background._mog_kernel" in sys.modules)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["True", "float32", "False"]
    with pytest.raises(ValueError):
        BackgroundSubtractorMOG2.warm_up(channels=2)


def test_exported_from_package():
    assert fastgmm.BackgroundSubtractorMOG2 is BackgroundSubtractorMOG2


def test_float_frame_far_outside_the_pixel_range_is_rejected():
    model = BackgroundSubtractorMOG2()
    with pytest.raises(ValueError, match="far outside 0..255"):
        model.apply(np.full((6, 8, 3), 1e308))


# ---------------------------------------------------------------- parameters changed mid-stream
def test_parameters_set_mid_stream_apply_from_the_next_frame_as_opencv_setters():
    rng = np.random.default_rng(21)
    frames = synthetic_video(rng, 24, 32, 3, 60)
    ours = BackgroundSubtractorMOG2()
    ref = cv2.createBackgroundSubtractorMOG2()
    for t, f in enumerate(frames):
        if t == 20:
            ours.var_threshold = 30.0  # attribute assignment ...
            ref.setVarThreshold(30.0)
        if t == 40:
            ours.set_params(detect_shadows=False, background_ratio=0.7)  # ... or set_params
            ref.setDetectShadows(False)
            ref.setBackgroundRatio(0.7)
        np.testing.assert_array_equal(ours.apply(f), ref.apply(f), err_msg=f"frame {t}")  # the same pixels
    assert ours.get_params()["var_threshold"] == 30.0 and ours.detect_shadows is False


def test_bad_parameters_set_after_construction_are_rejected_and_leave_the_model_unchanged():
    model = BackgroundSubtractorMOG2()
    model.apply(np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match="var_min"):
        model.var_min = 100.0  # above var_max
    with pytest.raises(ValueError, match="var_threshold"):
        model.var_threshold = -1.0
    with pytest.raises(ValueError, match="reset"):
        model.n_mixtures = 3
    with pytest.raises(ValueError, match="Invalid parameter .varThreshold. .*did you mean .var_threshold."):
        model.set_params(varThreshold=20)
    assert model.get_params() == BackgroundSubtractorMOG2().get_params()
    model.reset()
    model.n_mixtures = 3  # allowed again before the next frame
    assert model.apply(np.zeros((4, 5, 3), np.uint8)).shape == (4, 5)
    assert model.per_pixel_state()["modes"].shape[-1] == 3
