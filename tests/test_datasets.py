"""CDnet reader on the real highway folder (skipped without the shared data)."""

from __future__ import annotations

import numpy as np
import pytest

from fastgmm.datasets import CDnetSequence

HIGHWAY = "cdnet2012_baseline_highway"


@pytest.fixture(scope="module")
def highway(data_dir):
    return CDnetSequence(data_dir / HIGHWAY)


def test_layout_and_temporal_roi(highway):
    assert highway.temporal_roi == (470, 1700)
    assert len(highway) == 1700
    assert highway.in_temporal_roi(470) and not highway.in_temporal_roi(469)


def test_label_values(highway):
    assert set(np.unique(highway.groundtruth(1))) == {85}  # before the temporal ROI: all "outside"
    labels = set()
    for n in (900, 1200, 1500):
        gt = highway.groundtruth(n)
        assert gt.shape == (240, 320) and gt.dtype == np.uint8
        labels |= set(np.unique(gt).tolist())
    assert labels <= {0, 50, 85, 170, 255} and {0, 255} <= labels
    assert set(np.unique(highway.roi)) == {255}


def test_frames_are_lazy(highway, monkeypatch):
    import imageio.v3 as iio

    calls = []
    real = iio.imread
    monkeypatch.setattr(iio, "imread", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    seq = CDnetSequence(highway.path)
    it = seq.frames(5, 7)
    assert calls == []  # constructing and asking for an iterator reads no image
    number, frame = next(it)
    assert number == 5 and frame.shape == (240, 320, 3) and len(calls) == 1


def test_errors(tmp_path, highway):
    with pytest.raises(FileNotFoundError):
        CDnetSequence(tmp_path / "nope")
    with pytest.raises(ValueError, match="not a CDnet sequence"):
        CDnetSequence(tmp_path)
    with pytest.raises(IndexError, match="1..1700"):
        highway.frame(0)
