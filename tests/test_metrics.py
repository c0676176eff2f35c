"""CDnet metrics against a hand-counted example, and the median filter against scipy."""

from __future__ import annotations

import numpy as np
import pytest

from fastgmm.background.postprocess import MedianFilter, median_filter
from fastgmm.metrics import ConfusionAccumulator, Scores


def test_hand_counted_example():
    # 2 x 4 frame; ROI excludes the last column.
    gt = np.array([[255, 255, 0, 255],
                   [50, 85, 170, 0]], np.uint8)
    mask = np.array([[255, 127, 255, 255],
                     [255, 255, 0, 0]], np.uint8)
    roi = np.array([[255, 255, 255, 0],
                    [255, 255, 255, 0]], np.uint8)
    # By hand, column 3 out of ROI:  (0,0) gt255 det -> TP; (0,1) gt255 shadow(127) -> FN;
    # (0,2) gt0 det -> FP; (1,0) gt50 det -> FP; (1,1) gt85 ignored; (1,2) gt170 ignored.
    acc = ConfusionAccumulator(roi)
    acc.update(mask, gt)
    assert acc.counts.tolist() == [1, 2, 1, 0]  # TP, FP, FN, TN
    # a second frame: all background correctly rejected: 6 in-ROI pixels, gt 0 -> TN 6
    acc.update(np.zeros((2, 4), np.uint8), np.zeros((2, 4), np.uint8))
    s = acc.scores()
    assert (s.tp, s.fp, s.fn, s.tn) == (1, 2, 1, 6)
    assert s.recall == pytest.approx(1 / 2)
    assert s.precision == pytest.approx(1 / 3)
    assert s.specificity == pytest.approx(6 / 8)
    assert s.fpr == pytest.approx(2 / 8)
    assert s.fnr == pytest.approx(1 / 2)
    assert s.pwc == pytest.approx(100 * 3 / 10)
    assert s.f_measure == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert acc.n_frames == 2


def test_no_roi_scores_every_pixel_and_empty_ratios_are_zero():
    acc = ConfusionAccumulator()
    acc.update(np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.uint8))
    s = acc.scores()
    assert s.tn == 9 and s.precision == 0.0 and s.recall == 0.0 and s.f_measure == 0.0
    assert Scores.from_counts(0, 0, 0, 0).pwc == 0.0


def test_boolean_masks_mean_detected():
    acc = ConfusionAccumulator()
    acc.update(np.array([[True, False]]), np.array([[255, 255]], np.uint8))
    assert acc.counts.tolist() == [1, 0, 1, 0]


def test_bad_shapes_and_types():
    acc = ConfusionAccumulator()
    with pytest.raises(ValueError, match="must match"):
        acc.update(np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        acc.update(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="ROI"):
        ConfusionAccumulator(np.ones((3, 3), np.uint8)).update(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_median_filter_matches_scipy_majority(size):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(size)
    mask = rng.choice(np.array([0, 127, 255], np.uint8), size=(23, 31), p=[0.45, 0.1, 0.45])
    binary = np.where(mask == 255, 255, 0).astype(np.uint8)
    ours = median_filter(mask, size)
    ref = ndimage.median_filter(binary, size=size, mode="nearest")
    r = size // 2
    # interior pixels: the full window is inside the image, so the majority vote is scipy's median
    np.testing.assert_array_equal(ours[r:23 - r, r:31 - r], ref[r:23 - r, r:31 - r])
    assert set(np.unique(ours)) <= {0, 255}


def test_median_filter_border_votes_over_clipped_window():
    mask = np.zeros((5, 5), np.uint8)
    mask[0, 0] = mask[0, 1] = 255  # corner window (3x3 clipped to 2x2 for size 3) has 2 of 4: no majority
    assert median_filter(mask, 3)[0, 0] == 0
    mask[1, 0] = 255  # now 3 of 4
    assert median_filter(mask, 3)[0, 0] == 255


def test_median_filter_errors():
    mask = np.zeros((6, 6), np.uint8)
    with pytest.raises(ValueError, match="share memory"):
        MedianFilter(3)(mask, out=mask)
    with pytest.raises(ValueError, match="odd"):
        MedianFilter(4)
    with pytest.raises(TypeError):
        MedianFilter(3)(np.zeros((3, 3), np.float64))
    with pytest.raises(ValueError, match="restore_radius"):
        MedianFilter(3, restore_radius=-1)


def test_restore_puts_back_edges_near_objects_only():
    mask = np.zeros((20, 20), np.uint8)
    mask[4:14, 4:14] = 255      # a square: the 7x7 vote rounds off its corners
    mask[3, 8] = 255            # a one-pixel bump on its edge
    mask[18, 1] = 255           # an isolated speck far from the square
    plain = median_filter(mask, 7)
    restored = median_filter(mask, 7, restore_radius=2)
    assert plain[4, 4] == 0 and plain[3, 8] == 0     # corner and bump lost by the vote
    assert restored[4, 4] == 255 and restored[3, 8] == 255  # both within 2 px of the voted square
    assert restored[18, 1] == 0                     # the speck stays removed
    # restoration only adds input detections to the vote
    assert ((restored == 255) <= ((plain == 255) | (mask == 255))).all()
    assert ((plain == 255) <= (restored == 255)).all()
