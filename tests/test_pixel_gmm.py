"""PixelGMM: per-pixel EM against the naive reference and (fastgmm / scikit-learn) GaussianMixture,
recovery of known mixtures, backgrounds and masks of a synthetic scene, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from naive.pixel_gmm import diag_em, moving_blob_scene, rank_init

import fastgmm
from fastgmm.exceptions import NotFittedError


@pytest.fixture(scope="module")
def bimodal_frames() -> np.ndarray:
    """(T, 3, 4, 3) uint8 frames: every pixel draws from two colour modes with its own weights."""
    rng = np.random.default_rng(1)
    T, H, W, C = 60, 3, 4, 3
    low = rng.uniform(30, 90, size=(H, W, C))
    high = rng.uniform(150, 220, size=(H, W, C))
    share = rng.uniform(0.1, 0.9, size=(H, W))
    pick = rng.uniform(size=(T, H, W)) < share
    vals = np.where(pick[..., None], high, low) + rng.normal(0, 4, size=(T, H, W, C))
    return np.clip(np.rint(vals), 0, 255).astype(np.uint8)


def test_every_pixel_matches_naive_em(bimodal_frames):
    model = fastgmm.PixelGMM(2, tol=1e-6, reg_covar=1.0).fit(bimodal_frames)
    T, H, W, C = bimodal_frames.shape
    state = model.pixel_state_
    for i in range(H):
        for j in range(W):
            ref = diag_em(bimodal_frames[:, i, j], 2, max_iter=100, tol=1e-6, reg_covar=1.0)
            for name in ("weights", "means", "variances"):
                np.testing.assert_allclose(state[name][i, j], ref[name], rtol=1e-6, err_msg=f"{name} at {(i, j)}")
            assert state["n_iter"][i, j] == ref["n_iter"]
            assert bool(state["converged"][i, j]) == ref["converged"]


def test_start_is_documented_rank_init(bimodal_frames):
    model = fastgmm.PixelGMM(3, max_iter=0, reg_covar=2.0).fit(bimodal_frames)
    x = bimodal_frames[:, 1, 2].astype(np.float64)
    np.testing.assert_array_equal(model.pixel_state_["means"][1, 2], rank_init(x, 3))
    np.testing.assert_allclose(model.pixel_state_["variances"][1, 2], np.tile(x.var(axis=0) + 2.0, (3, 1)))
    np.testing.assert_allclose(model.pixel_state_["weights"][1, 2], np.full(3, 1 / 3))


@pytest.mark.parametrize("library", ["fastgmm", "sklearn"])
def test_pixels_match_gaussian_mixture_from_same_start(bimodal_frames, library):
    if library == "sklearn":
        from sklearn.mixture import GaussianMixture
    else:
        GaussianMixture = fastgmm.GaussianMixture
    start = fastgmm.PixelGMM(2, max_iter=0, reg_covar=1.0).fit(bimodal_frames).pixel_state_
    fitted = fastgmm.PixelGMM(2, tol=1e-5, reg_covar=1.0).fit(bimodal_frames).pixel_state_
    for i, j in [(0, 0), (1, 3), (2, 1)]:
        gm = GaussianMixture(
            2, covariance_type="diag", tol=1e-5, reg_covar=1.0, max_iter=100,
            weights_init=start["weights"][i, j], means_init=start["means"][i, j],
            precisions_init=1.0 / start["variances"][i, j],
        ).fit(bimodal_frames[:, i, j].astype(np.float64))
        np.testing.assert_allclose(fitted["weights"][i, j], gm.weights_, rtol=1e-6)
        np.testing.assert_allclose(fitted["means"][i, j], gm.means_, rtol=1e-6)
        np.testing.assert_allclose(fitted["variances"][i, j], gm.covariances_, rtol=1e-6)
        assert fitted["n_iter"][i, j] == gm.n_iter_


def test_recovers_known_bimodal_distribution():
    rng = np.random.default_rng(7)
    T, H, W = 400, 4, 5
    pick = rng.uniform(size=(T, H, W)) < 0.3
    vals = np.where(pick, rng.normal(180, 5, size=(T, H, W)), rng.normal(60, 3, size=(T, H, W)))
    model = fastgmm.PixelGMM(2, reg_covar=0.01).fit(vals)  # float64 gray frames
    state = model.pixel_state_
    order = np.argsort(state["means"][..., 0], axis=2)
    means = np.take_along_axis(state["means"][..., 0], order, axis=2)
    weights = np.take_along_axis(state["weights"], order, axis=2)
    std = np.sqrt(np.take_along_axis(state["variances"][..., 0], order, axis=2))
    assert np.all(np.abs(means[..., 0] - 60) < 1.0) and np.all(np.abs(means[..., 1] - 180) < 1.5)
    assert np.all(np.abs(weights[..., 1] - 0.3) < 0.07)
    assert np.all(np.abs(std[..., 0] - 3) < 0.6) and np.all(np.abs(std[..., 1] - 5) < 1.0)
    assert model.converged_ == 1.0
    bg = model.background_image()
    assert bg.shape == (H, W) and bg.dtype == np.uint8
    assert np.all(np.abs(bg.astype(int) - 60) <= 1)


@pytest.mark.parametrize("channels", [1, 3])
def test_background_and_masks_of_moving_blobs(channels):
    frames, true_bg, blobs = moving_blob_scene(50, 20, 30, channels, seed=channels)
    model = fastgmm.PixelGMM().fit(frames[:40])
    bg = model.background_image()
    assert bg.shape == (20, 30, channels)
    assert np.abs(bg.astype(float) - true_bg).max() <= 3.0
    for t in range(40, 50):
        mask = model.apply(frames[t])
        assert set(np.unique(mask)) <= {0, 255}
        fg = mask == 255
        assert fg[blobs[t]].all(), "every blob pixel is foreground"
        assert fg[~blobs[t]].mean() < 0.03, "few false alarms on the noisy background"


def test_constant_pixels_and_out_argument():
    frames = np.full((10, 4, 6), 77, dtype=np.uint8)
    model = fastgmm.PixelGMM(reg_covar=4.0).fit(frames)
    np.testing.assert_allclose(model.pixel_state_["variances"], 4.0)
    assert np.isfinite(model.pixel_state_["weights"]).all()
    out = np.full((4, 6), 9, dtype=np.uint8)
    frame = np.full((4, 6), 77, dtype=np.uint8)
    frame[1, 2] = 77 + 7  # 3.5 sigma away (sigma = 2)
    frame[2, 3] = 77 + 5  # 2.5 sigma: background
    result = model.apply(frame, out=out)
    assert result is out
    expected = np.zeros((4, 6), dtype=np.uint8)
    expected[1, 2] = 255
    np.testing.assert_array_equal(out, expected)


def test_background_ratio_counts_more_components():
    # every pixel is 50 in 60 % of the frames and 150 in 40 %
    values = np.array([50] * 24 + [150] * 16, dtype=np.uint8)
    frames = np.broadcast_to(values[:, None, None], (40, 2, 2)).copy()
    frame = np.array([[50, 150], [100, 150]], dtype=np.uint8)
    heaviest_only = fastgmm.PixelGMM(background_ratio=0.5).fit(frames)
    np.testing.assert_array_equal(heaviest_only.apply(frame), [[0, 255], [255, 255]])
    both = fastgmm.PixelGMM(background_ratio=0.7).fit(frames)
    np.testing.assert_array_equal(both.apply(frame), [[0, 0], [255, 0]])
    np.testing.assert_array_equal(both.background_image(), np.full((2, 2), 50))


def test_errors():
    frames, _, _ = moving_blob_scene(6, 8, 10, 3)
    model = fastgmm.PixelGMM()
    with pytest.raises(NotFittedError):
        model.apply(frames[0])
    with pytest.raises(NotFittedError):
        model.background_image()
    model.fit(frames)
    with pytest.raises(ValueError, match="shape"):
        model.apply(frames[0, :4])
    with pytest.raises(ValueError, match="channel"):
        model.apply(frames[0, :, :, 0])
    with pytest.raises(ValueError, match="out must be a uint8"):
        model.apply(frames[0], out=np.empty((8, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="at least 4 training frames"):
        fastgmm.PixelGMM(4).fit(frames[:3])
    with pytest.raises(ValueError, match="n_components"):
        fastgmm.PixelGMM(0).fit(frames)
    with pytest.raises(ValueError, match="reg_covar"):
        fastgmm.PixelGMM(reg_covar=0.0).fit(frames)
    with pytest.raises(ValueError, match="background_ratio"):
        fastgmm.PixelGMM(background_ratio=1.5).fit(frames)
    with pytest.raises(TypeError, match="dtype"):
        fastgmm.PixelGMM().fit(frames.astype(np.int16))
    bad = frames.astype(np.float32)
    bad[2, 1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fastgmm.PixelGMM().fit(bad)
