"""Compile every kernel ahead of a deployment: what ``fastgmm warm-up`` runs.

fastgmm's kernels are cached on disk (``cache=True``, see :mod:`fastgmm._jit`, which also announces
a first-run compilation on stderr).  :func:`warm_up` runs every registered background method and
the mixture estimators once on tiny inputs, which compiles (or loads) every specialisation they
use (colour and gray frames, float32 and float64 data, every covariance type, and the k-means
kernels' feature counts 1..8 plus the generic loops).  The steps come in groups (:data:`GROUPS`), so
a deployment compiles only what it runs: a camera loop needs ``background``, not ``kmeans``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

#: warm-up groups and what each compiles
GROUPS = {
    "background": "every background method of the registry, colour and gray frames",
    "mixture": "GaussianMixture and BayesianGaussianMixture, 4 covariance types, float32 and float64",
    "kmeans": "KMeans (lloyd and elkan) and the mixtures' k-means init for 1..9 features, float32 and float64",
    "segmentation": "fastgmm.segment on colour and gray images",
}


def _tasks() -> list[tuple[str, str, Callable[[], Any]]]:
    """(group, what, call) for every specialisation fastgmm's models compile."""
    from .background.methods import METHODS

    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)  # large enough for every code path (registration)
    gray = colour[:, :, 0].copy()
    tasks: list[tuple[str, str, Callable[[], Any]]] = []

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
            tasks.append(("background", f"background {name} ({label})", lambda n=name, f=frame: run_method(n, f)))

    def run_mixtures() -> None:
        from .mixture import BayesianGaussianMixture, GaussianMixture

        X = rng.normal(size=(64, 3))
        for covariance_type in ("full", "tied", "diag", "spherical"):
            for dtype in (np.float64, np.float32):
                for cls in (GaussianMixture, BayesianGaussianMixture):
                    cls(2, covariance_type=covariance_type, max_iter=2, random_state=0).fit(
                        X.astype(dtype)).predict(X.astype(dtype))

    def run_kmeans(d: int) -> None:
        from .mixture import GaussianMixture, KMeans
        from .mixture._lloyd import farthest_points

        X = rng.normal(size=(64, d))
        for dtype in (np.float64, np.float32):
            Xt = X.astype(dtype)
            for algorithm in ("lloyd", "elkan"):
                km = KMeans(2, algorithm=algorithm, n_init=1, max_iter=2, random_state=0).fit(Xt)
                km.predict(Xt)
            farthest_points(Xt, km.cluster_centers_.astype(dtype), 1)  # an emptied cluster's relocation
            GaussianMixture(2, max_iter=1, random_state=0).fit(Xt)  # the k-means init's statistics

    def run_segment() -> None:
        from .segmentation import segment

        segment(colour, 2, random_state=0)
        segment(gray, 2, random_state=0)

    from .mixture._lloyd import SPECIALISED_FEATURES

    tasks.append(("mixture", "GaussianMixture and BayesianGaussianMixture", run_mixtures))
    # k-means kernels unroll their loops for feature counts up to SPECIALISED_FEATURES; one more
    # count compiles the generic loops
    for d in range(1, SPECIALISED_FEATURES + 2):
        label = f"{d} features" if d <= SPECIALISED_FEATURES else f"{d}+ features"
        tasks.append(("kmeans", f"KMeans, {label}", lambda d=d: run_kmeans(d)))
    tasks.append(("segmentation", "segmentation", run_segment))
    return tasks


def warm_up(*, only: Iterable[str] | None = None,
            report: Callable[[str, float], None] | None = None) -> list[tuple[str, float]]:
    """Compile (or load from the cache) the kernels fastgmm's models use; returns (what, seconds) per step.

    Parameters
    ----------
    only : iterable of str, optional
        Groups of :data:`GROUPS` to compile (default: all of them).
    report : callable, optional
        ``report(what, seconds)`` is called after each step.

    Run it once after installing, or in a container image build, so that no later first call
    compiles."""
    groups = set(GROUPS) if only is None else set(only)
    unknown = groups - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown warm-up group(s) {sorted(unknown)}; choose from {list(GROUPS)}")
    done = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny fits do not converge
        for group, what, call in _tasks():
            if group not in groups:
                continue
            start = time.perf_counter()
            call()
            seconds = time.perf_counter() - start
            done.append((what, seconds))
            if report is not None:
                report(what, seconds)
    return done
