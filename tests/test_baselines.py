"""FrameAverage and KMeansBackground: backgrounds against plain numpy, threshold semantics, masks of a
synthetic scene, the shared fit/apply contract and its errors (also for PixelGMM)."""

from __future__ import annotations

import numpy as np
import pytest
from naive.pixel_gmm import kmeans, moving_blob_scene

import fastgmm
from fastgmm.exceptions import NotFittedError

MODELS = [fastgmm.PixelGMM, fastgmm.FrameAverage, fastgmm.KMeansBackground]


def test_frame_average_is_the_mean():
    frames, _, _ = moving_blob_scene(12, 8, 10, 3)
    model = fastgmm.FrameAverage().fit(frames)
    np.testing.assert_allclose(model.background_, frames.mean(axis=0))
    np.testing.assert_array_equal(model.background_image(), np.rint(frames.mean(axis=0)).astype(np.uint8))


@pytest.mark.parametrize("distance, expected", [("euclidean", [0, 255, 0, 255]), ("max", [0, 0, 0, 255])])
def test_threshold_distance(distance, expected):
    frames = np.full((3, 1, 4, 3), 100, dtype=np.uint8)
    model = fastgmm.FrameAverage(20.0, distance=distance).fit(frames)
    frame = np.full((1, 4, 3), 100, dtype=np.uint8)
    frame[0, 0] = [120, 100, 100]  # 20 in one channel: background for both
    frame[0, 1] = [115, 115, 100]  # euclidean 21.2, max 15
    frame[0, 2] = [80, 100, 100]  # -20: background
    frame[0, 3] = [121, 100, 100]  # 21: foreground for both
    np.testing.assert_array_equal(model.apply(frame)[0], expected)


def test_running_average():
    frames = np.full((4, 3, 3), 100.0)
    model = fastgmm.FrameAverage(alpha=0.25).fit(frames)
    model.apply(np.full((3, 3), 200.0))
    np.testing.assert_allclose(model.background_, 125.0)
    mask = model.apply(np.full((3, 3), 200.0))  # 75 away from the updated background
    assert (mask == 255).all()
    np.testing.assert_allclose(model.background_, 143.75)
    static = fastgmm.FrameAverage().fit(frames)
    static.apply(np.full((3, 3), 200.0))
    np.testing.assert_allclose(static.background_, 100.0)


def test_kmeans_background_matches_naive():
    frames, _, _ = moving_blob_scene(30, 5, 6, 3, seed=3)
    model = fastgmm.KMeansBackground(2).fit(frames)
    for i in range(5):
        for j in range(6):
            centres, counts = kmeans(frames[:, i, j], 2)
            np.testing.assert_allclose(model.pixel_state_["centers"][i, j], centres, rtol=1e-12)
            np.testing.assert_array_equal(model.pixel_state_["counts"][i, j], counts)
            np.testing.assert_allclose(model.background_[i, j], centres[np.argmax(counts)], rtol=1e-12)


@pytest.mark.parametrize("cls", [fastgmm.FrameAverage, fastgmm.KMeansBackground])
def test_masks_of_moving_blobs(cls):
    frames, true_bg, blobs = moving_blob_scene(50, 20, 30, 3, seed=5)
    model = cls().fit(frames[:40])
    # the mean is polluted where blobs passed in training; the largest k-means cluster is not
    clean = ~blobs[:40].any(axis=0) if cls is fastgmm.FrameAverage else np.ones(blobs.shape[1:], bool)
    assert np.abs(model.background_image().astype(float) - true_bg)[clean].max() <= 3.0
    for t in range(40, 50):
        fg = model.apply(frames[t]) == 255
        assert fg[blobs[t]].all()
        assert fg[~blobs[t] & clean].mean() < 0.01


@pytest.mark.parametrize("cls", MODELS)
def test_shared_contract(cls):
    frames, _, _ = moving_blob_scene(8, 6, 7, 1, seed=2)
    gray = frames[..., 0]
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().apply(gray[0])
    model = cls().fit(list(gray))  # a list of (H, W) frames
    assert model.background_image().shape == (6, 7)
    assert cls().fit(frames).background_image().shape == (6, 7, 1)
    mask = model.apply(gray[0].astype(np.float32))
    assert mask.shape == (6, 7) and mask.dtype == np.uint8
    with pytest.raises(ValueError, match=r"fitted on frames of shape \(6, 7\)"):
        model.apply(np.zeros((6, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="threshold"):
        cls(threshold=-1.0).fit(frames)
    with pytest.raises(ValueError, match="frames must be"):
        cls().fit(np.zeros((4, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="empty"):
        cls().fit([])


def test_baseline_option_errors():
    frames = np.zeros((3, 2, 2), dtype=np.uint8)
    with pytest.raises(ValueError, match="distance"):
        fastgmm.FrameAverage(distance="manhattan").fit(frames)
    with pytest.raises(ValueError, match="alpha"):
        fastgmm.FrameAverage(alpha=2.0).fit(frames)
    with pytest.raises(ValueError, match="at least 4 training frames"):
        fastgmm.KMeansBackground(4).fit(frames)
