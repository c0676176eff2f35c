"""Per-pixel Gaussian mixtures fitted offline: the seed project's background method, done fast."""

from __future__ import annotations

import numbers

import numpy as np

from .._validate import check_scalar
from . import _offline
from .baselines import _OfflineBackground


class PixelGMM(_OfflineBackground):
    """An independent K-component Gaussian mixture per pixel, fitted to its training values.

    :meth:`fit` runs EM for every pixel in one parallel Numba kernel, with diagonal (per-channel)
    variances; ``reg_covar`` is added to every variance, so constant pixels keep a finite,
    positive variance.  Each pixel starts deterministically: component ``k`` at the training value
    of rank ``round(k (T - 1) / (K - 1))`` when the values are ordered by channel sum (the darkest
    and the brightest for K = 2), every variance at the pixel's per-channel variance plus
    ``reg_covar``, equal weights.  From there EM is scikit-learn's for ``covariance_type="diag"``
    (same M-step and stopping rule on the mean log-likelihood).

    The background image is the mean of each pixel's heaviest component.  :meth:`apply` marks a
    pixel as background when its Mahalanobis distance ``sqrt(sum_c (x_c - mu_c)^2 / var_c)`` to
    one of its *background components* is at most ``threshold``; the background components are
    the heaviest ones whose weights first add up to ``background_ratio`` (with the default 0.5 and
    K = 2 that is just the heaviest component).

    Kernel: fastgmm.background._offline.em_pixels (fit; per pixel: rank_init, EM) and
    fastgmm.background._offline.distance_mask (apply).

    Parameters
    ----------
    n_components : int, default=2
    max_iter : int, default=100
        EM iterations per pixel at most; 0 keeps the start (useful to inspect it).
    tol : float, default=1e-3
        A pixel's EM stops when its mean log-likelihood changes by less than this.
    reg_covar : float, default=25.0
        Added to every variance (intensity units squared: every standard deviation is at least 5
        gray levels, which absorbs 8-bit quantisation, compression and dithering noise).
    threshold : float, default=3.5
        Mahalanobis distance (in standard deviations) within which a value is background.
    background_ratio : float in (0, 1], default=0.5

    Attributes
    ----------
    pixel_state_ : structured ndarray of shape (H, W)
        Per pixel: ``weights`` (K,), ``means`` (K, C), ``variances`` (K, C), ``converged``, ``n_iter``.
    background_ : ndarray of shape (H, W, C), float64
        Mean of each pixel's heaviest component.
    converged_ : float
        Fraction of pixels whose EM reached ``tol``.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        max_iter: int = 100,
        tol: float = 1e-3,
        reg_covar: float = 25.0,
        threshold: float = 3.5,
        background_ratio: float = 0.5,
    ) -> None:
        self.n_components = n_components
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.threshold = threshold
        self.background_ratio = background_ratio

    def _check_parameters(self) -> None:
        super()._check_parameters()
        check_scalar(self.n_components, "n_components", kind=numbers.Integral, min_val=1)
        check_scalar(self.max_iter, "max_iter", kind=numbers.Integral, min_val=0)
        check_scalar(self.tol, "tol", min_val=0.0)
        check_scalar(self.reg_covar, "reg_covar", min_val=0.0, min_inclusive=False)
        check_scalar(self.background_ratio, "background_ratio", min_val=0.0, max_val=1.0, min_inclusive=False)

    def _fit(self, frames: np.ndarray) -> None:
        T, H, W, C = frames.shape
        K = self.n_components
        if T < K:
            raise ValueError(f"PixelGMM with n_components={K} needs at least {K} training frames; got {T}.")
        state = np.zeros(
            (H, W),
            dtype=[
                ("weights", np.float64, (K,)),
                ("means", np.float64, (K, C)),
                ("variances", np.float64, (K, C)),
                ("converged", np.bool_),
                ("n_iter", np.int32),
            ],
        )
        _offline.em_pixels(
            frames, int(self.max_iter), float(self.tol), float(self.reg_covar),
            state["weights"], state["means"], state["variances"], state["converged"], state["n_iter"],
        )
        self.pixel_state_ = state
        self.converged_ = float(state["converged"].mean())
        # components by decreasing weight; the leading ones up to background_ratio are background
        order = np.argsort(-state["weights"], axis=2, kind="stable")
        weights = np.take_along_axis(state["weights"], order, axis=2)
        means = np.take_along_axis(state["means"], order[..., None], axis=2)
        inv_std = 1.0 / np.sqrt(np.take_along_axis(state["variances"], order[..., None], axis=2))
        cumulative = np.cumsum(weights, axis=2)
        n_background = 1 + np.sum(cumulative[:, :, :-1] < self.background_ratio, axis=2)
        self._set_background_model(means, inv_std, n_background)
        self.background_ = means[:, :, 0, :].copy()
