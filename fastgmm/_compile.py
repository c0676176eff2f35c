"""Compile every kernel ahead of a deployment: what ``fastgmm warm-up`` runs.

fastgmm's kernels are cached on disk (``cache=True``, see :mod:`fastgmm._jit`, which also announces
a first-run compilation on stderr).  :func:`warm_up` runs every registered background method and
the mixture estimators once on tiny inputs, which compiles (or loads) every specialisation they
use (colour and gray frames, float32 and float64 data, every covariance type).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _tasks() -> list[tuple[str, Callable[[], Any]]]:
    """(what, call) for every specialisation fastgmm's models compile."""
    from .background.methods import METHODS

    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    gray = colour[:, :, 0].copy()
    tasks: list[tuple[str, Callable[[], Any]]] = []

    def run_method(name: str, frame: np.ndarray) -> None:
        spec = METHODS[name]
        model = spec.build()
        if spec.online:
            model.apply(frame)
            model.apply(frame, 0.01)
        else:
            model.fit([frame, frame])
            model.apply(frame)
        if hasattr(model, "background_image"):
            model.background_image()

    for name in METHODS:
        for label, frame in (("colour", colour), ("gray", gray)):
            tasks.append((f"background {name} ({label})", lambda n=name, f=frame: run_method(n, f)))

    def run_mixture() -> None:
        from .mixture import GaussianMixture, KMeans

        X = rng.normal(size=(64, 3))
        for covariance_type in ("full", "tied", "diag", "spherical"):
            for dtype in (np.float64, np.float32):
                GaussianMixture(2, covariance_type=covariance_type, max_iter=2, random_state=0).fit(
                    X.astype(dtype)).predict(X.astype(dtype))
        for dtype in (np.float64, np.float32):
            KMeans(2, max_iter=2, random_state=0).fit(X.astype(dtype)).predict(X.astype(dtype))

    def run_segment() -> None:
        from .segmentation import segment

        segment(colour, 2, random_state=0)
        segment(gray, 2, random_state=0)

    tasks.append(("GaussianMixture and KMeans", run_mixture))
    tasks.append(("segmentation", run_segment))
    return tasks


def warm_up(*, report: Callable[[str, float], None] | None = None) -> list[tuple[str, float]]:
    """Compile (or load from the cache) every kernel fastgmm's models use; returns (what, seconds) per step.

    ``report(what, seconds)`` is called after each step.  Run it once after installing, or in a
    container image build, so that no later first call compiles."""
    import warnings

    done = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny fits do not converge
        for what, call in _tasks():
            start = time.perf_counter()
            call()
            seconds = time.perf_counter() - start
            done.append((what, seconds))
            if report is not None:
                report(what, seconds)
    return done
