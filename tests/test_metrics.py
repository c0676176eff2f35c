"""CDnet metrics against a hand-counted example."""

from __future__ import annotations

import numpy as np
import pytest

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
