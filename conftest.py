"""Shared fixtures: the third-party data folder (skips with a reason when it is absent) and the
CDnet highway frames the OpenCV-equality tests share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fastgmm.datasets import DATA_ENV, shared_data_dir


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip(f"third-party data not found: set {DATA_ENV} or place shared/data beside the repository")
    return path


@pytest.fixture(scope="session")
def highway(data_dir: Path):
    """The first 300 frames of CDnet highway as OpenCV reads them (BGR uint8, (300, 240, 320, 3))."""
    cv2 = pytest.importorskip("cv2")
    path = data_dir / "cdnet2012_baseline_highway" / "input"
    frames = [cv2.imread(str(path / f"in{i:06d}.jpg"), cv2.IMREAD_COLOR) for i in range(1, 301)]
    assert all(f is not None and f.shape == (240, 320, 3) for f in frames)
    return np.stack(frames)
