"""Offline background models: the common fit/apply machinery and the two simple baselines.

All offline models learn a per-pixel background from a stack of training frames with
``fit(frames)``, then classify new frames with ``apply(frame)`` through one shared mask kernel
(:func:`fastgmm.background._offline.distance_mask`).  :class:`FrameAverage` and
:class:`KMeansBackground` are the seed project's baselines; :class:`fastgmm.PixelGMM` (its
Gaussian-mixture method) builds on the same base class.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._params import Params
from .._validate import (
    check_frame,
    check_frames,
    check_is_fitted,
    check_option,
    check_scalar,
)
from . import _offline

DISTANCES = ("euclidean", "max")


class _OfflineBackground(Params):
    """Shared state and methods of the offline models.

    Subclasses implement ``_fit(frames)`` on validated (T, H, W, C) frames and set, through
    :meth:`_set_background_model`, the per-pixel centres the mask kernel compares against.
    """

    _use_max = False

    def __setattr__(self, name: str, value: Any) -> None:
        self._check_attribute(name)  # a misspelt parameter is an AttributeError, not a new attribute
        object.__setattr__(self, name, value)

    def fit(self, frames: Any) -> _OfflineBackground:
        """Learn the background of every pixel from training frames.

        Parameters
        ----------
        frames : array-like of shape (T, H, W) or (T, H, W, C), or a list of frames
            uint8, float32 or float64 frames (floats in 0..255), C = 1 or 3.

        Returns
        -------
        self
        """
        self._check_parameters()
        first = frames[0] if isinstance(frames, (list, tuple)) and frames else None
        no_channel_axis = np.ndim(first) == 2 if first is not None else np.ndim(frames) == 3
        frames = check_frames(frames)
        self._fit(frames)
        self._gray = no_channel_axis
        self._frame_shape = frames.shape[1:]
        return self

    def _check_parameters(self) -> None:
        check_scalar(self.threshold, "threshold", min_val=0.0)

    def _set_background_model(
        self, centres: np.ndarray, inv_scale: np.ndarray | None, n_background: np.ndarray | None
    ) -> None:
        """Store what :meth:`apply` compares against: centres (H, W, M, C), their inverse scales
        (None: 1) and the number of leading centres that count as background (None: 1)."""
        H, W = centres.shape[:2]
        self._centres = np.ascontiguousarray(centres, dtype=np.float64)
        self._inv_scale = (
            np.ones_like(self._centres) if inv_scale is None else np.ascontiguousarray(inv_scale, dtype=np.float64)
        )
        self._n_background = (
            np.ones((H, W), dtype=np.int64) if n_background is None else np.ascontiguousarray(n_background, np.int64)
        )

    def apply(self, frame: Any, *, out: np.ndarray | None = None) -> np.ndarray:
        """Foreground mask of one frame: 255 where it differs from the background, else 0.

        Parameters
        ----------
        frame : ndarray of shape (H, W) or (H, W, C)
            Same size and channel count as the training frames; uint8, float32 or float64.
        out : ndarray of shape (H, W), dtype uint8, optional
            Written in place and returned.

        Returns
        -------
        mask : ndarray of shape (H, W), dtype uint8
        """
        check_is_fitted(self, "background_")
        frame = check_frame(frame)
        if frame.shape != self._frame_shape:
            H, W, C = self._frame_shape
            raise ValueError(
                f"frame has shape {frame.shape[:2]} with {frame.shape[2]} channel(s), but the model was fitted on "
                f"frames of shape {(H, W)} with {C} channel(s); fit a new model for a different video."
            )
        H, W = frame.shape[:2]
        if out is None:
            out = np.empty((H, W), dtype=np.uint8)
        elif not (isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (H, W)):
            raise ValueError(
                f"out must be a uint8 array of shape {(H, W)}; got "
                f"{getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}."
            )
        _offline.distance_mask(
            np.ascontiguousarray(frame), self._centres, self._inv_scale, self._n_background,
            float(self.threshold), self._use_max, out,
        )
        self._after_apply(frame)
        return out

    def _after_apply(self, frame: np.ndarray) -> None:
        """Hook for models that update their background after each frame (default: none)."""

    def background_image(self) -> np.ndarray:
        """The background as a uint8 image with the training frames' channels ((H, W) for gray)."""
        check_is_fitted(self, "background_")
        img = np.clip(np.rint(self.background_), 0, 255).astype(np.uint8)
        return img[:, :, 0] if self._gray else img


def _check_distance(distance: str) -> bool:
    """Validate ``distance`` and return whether it is the per-channel maximum."""
    return check_option(distance, "distance", DISTANCES) == "max"


class FrameAverage(_OfflineBackground):
    """Background = mean of the training frames, optionally updated as a running average.

    A pixel is foreground when its distance to the background exceeds ``threshold`` (in
    intensity units 0..255): the Euclidean norm of the channel differences, or with
    ``distance="max"`` the largest absolute channel difference.

    Kernel: fastgmm.background._offline.distance_mask (apply; fit is a numpy mean).

    Parameters
    ----------
    threshold : float, default=30.0
        Largest distance from the background that still counts as background.
    alpha : float in [0, 1], default=0.0
        After each :meth:`apply` the background becomes ``(1 - alpha) * background + alpha * frame``
        (all pixels); 0 keeps the training mean.
    distance : {"euclidean", "max"}, default="euclidean"

    Attributes
    ----------
    background_ : ndarray of shape (H, W, C), float64
        The current background.
    """

    def __init__(self, threshold: float = 30.0, *, alpha: float = 0.0, distance: str = "euclidean") -> None:
        self.threshold = threshold
        self.alpha = alpha
        self.distance = distance

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_scalar(self.alpha, "alpha", min_val=0.0, max_val=1.0)
        self._use_max = _check_distance(self.distance)

    def _fit(self, frames: np.ndarray) -> None:
        mean = frames.mean(axis=0, dtype=np.float64)
        self._set_background_model(mean[:, :, None, :], None, None)
        self.background_ = self._centres[:, :, 0, :]  # a view: the running average updates both

    def _after_apply(self, frame: np.ndarray) -> None:
        if self.alpha > 0.0:
            self.background_ *= 1.0 - self.alpha
            self.background_ += self.alpha * frame


class KMeansBackground(_OfflineBackground):
    """The seed's k-means method: per pixel, k-means over its training values; the background is
    the centre of the largest cluster.

    Every pixel's Lloyd iterations run in one parallel Numba kernel, from a deterministic start
    (the pixel's darkest and brightest training values, by channel sum, and evenly spaced ranks
    between).  A pixel is foreground when its distance to the background exceeds ``threshold``
    (intensity units; Euclidean over channels or, with ``distance="max"``, the largest channel
    difference).

    Kernel: fastgmm.background._offline.kmeans_pixels (fit; per pixel: rank_init, Lloyd) and
    fastgmm.background._offline.distance_mask (apply).

    Parameters
    ----------
    n_clusters : int, default=2
    threshold : float, default=30.0
    max_iter : int, default=100
        Lloyd iterations per pixel at most (they stop when no assignment changes).
    distance : {"euclidean", "max"}, default="euclidean"

    Attributes
    ----------
    pixel_state_ : structured ndarray of shape (H, W)
        Per pixel: ``centers`` (n_clusters, C), ``counts`` (n_clusters,), ``n_iter``.
    background_ : ndarray of shape (H, W, C), float64
        Centre of each pixel's largest cluster (the lower index on ties).
    """

    def __init__(
        self, n_clusters: int = 2, *, threshold: float = 30.0, max_iter: int = 100, distance: str = "euclidean"
    ) -> None:
        self.n_clusters = n_clusters
        self.threshold = threshold
        self.max_iter = max_iter
        self.distance = distance

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_scalar(self.n_clusters, "n_clusters", kind=numbers.Integral, min_val=1)
        check_scalar(self.max_iter, "max_iter", kind=numbers.Integral, min_val=1)
        self._use_max = _check_distance(self.distance)

    def _fit(self, frames: np.ndarray) -> None:
        T, H, W, C = frames.shape
        K = self.n_clusters
        if T < K:
            raise ValueError(f"k-means with n_clusters={K} needs at least {K} training frames; got {T}.")
        state = np.zeros(
            (H, W), dtype=[("centers", np.float64, (K, C)), ("counts", np.int64, (K,)), ("n_iter", np.int32)]
        )
        _offline.kmeans_pixels(frames, int(self.max_iter), state["centers"], state["counts"], state["n_iter"])
        largest = np.argmax(state["counts"], axis=2)
        background = np.take_along_axis(state["centers"], largest[:, :, None, None], axis=2)
        self.pixel_state_ = state
        self._set_background_model(background, None, None)
        self.background_ = self._centres[:, :, 0, :]
