"""Shared fixtures: the third-party data folder (skips with a reason when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastgmm.datasets import DATA_ENV, shared_data_dir


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip(f"third-party data not found: set {DATA_ENV} or place shared/data beside the repository")
    return path
