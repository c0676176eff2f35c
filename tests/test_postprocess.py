"""Post-processing of foreground masks: the binary median filter (majority vote) against scipy, its
border rule, edge restoration and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fastgmm.background.postprocess import MedianFilter, median_filter


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


def test_median_filter_matches_clipped_window_vote_on_narrow_masks():
    # windows wider or taller than the mask (the row pass skips offsets with no overlap); a window over
    # 255 wide (int32 row counts instead of bytes)
    rng = np.random.default_rng(7)
    for H, W, size in [(1, 1, 7), (2, 9, 7), (9, 2, 7), (3, 4, 9), (5, 6, 15), (4, 300, 301)]:
        mask = rng.choice(np.array([0, 127, 255], np.uint8), size=(H, W))
        r = size // 2
        ref = np.zeros((H, W), np.uint8)
        for i in range(H):
            for j in range(W):
                win = mask[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
                ref[i, j] = 255 if 2 * (win == 255).sum() > win.size else 0
        np.testing.assert_array_equal(median_filter(mask, size), ref)


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


def test_small_masks_on_one_thread_same_result_and_thread_count_restored(monkeypatch):
    import numba

    from fastgmm.background import postprocess

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    rng = np.random.default_rng(3)
    mask = np.where(rng.random((40, 50)) < 0.4, 255, 0).astype(np.uint8)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        serial = MedianFilter(5, restore_radius=1)(mask)  # 2000 pixels <= SERIAL_PIXELS: one thread
        assert numba.get_num_threads() == 2
        monkeypatch.setattr(postprocess, "SERIAL_PIXELS", 0)
        parallel = MedianFilter(5, restore_radius=1)(mask)
        np.testing.assert_array_equal(serial, parallel)
        assert numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(before)
