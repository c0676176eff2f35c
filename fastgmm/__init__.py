"""fastgmm: Numba-compiled Gaussian mixtures for images and video.

Public names are imported lazily, so ``import fastgmm`` is cheap and compiles nothing;
the first use of an estimator loads its module (and its cached Numba kernels).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str | tuple[str, str]] = {
    "GaussianMixture": "fastgmm.mixture",
    "BayesianGaussianMixture": "fastgmm.mixture",
    "KMeans": "fastgmm.mixture",
    "ConvergenceWarning": "fastgmm.exceptions",
    "NotFittedError": "fastgmm.exceptions",
    "BackgroundSubtractorMOG2": "fastgmm.background.mog2",
    "BackgroundSubtractorMOG": "fastgmm.background.mog",
    "AdaptiveMixtureSubtractor": "fastgmm.background.adaptive",
    "PixelGMM": "fastgmm.background.pixel_gmm",
    "FrameAverage": "fastgmm.background.baselines",
    "KMeansBackground": "fastgmm.background.baselines",
    "DefaultSubtractor": ("fastgmm.background.adaptive", "AdaptiveMixtureSubtractor"),
    "MOG2MedianSubtractor": "fastgmm.background.methods",
    "segment": "fastgmm.segmentation",
    "SegmentationResult": "fastgmm.segmentation",
}

"""Public name -> its module, or (module, name there): ``DefaultSubtractor`` is the class of the
``default`` method (the adaptive mixture)."""

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'fastgmm' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
