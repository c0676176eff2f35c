"""Zivkovic's adaptive Gaussian mixture background subtractor (OpenCV's MOG2), Numba-compiled.

The per-pixel records are described in :mod:`fastgmm.background._records`; the kernel is
:mod:`fastgmm.background._mog2_kernel`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numba
import numpy as np

from .._validate import check_scalar
from . import _mog2_kernel as _k
from ._modes import channels_tag
from ._online import PixelMixtureSubtractor


class BackgroundSubtractorMOG2(PixelMixtureSubtractor):
    """Adaptive Gaussian-mixture background subtraction (Zivkovic 2004/2006), as OpenCV's MOG2.

    Each pixel keeps up to ``n_mixtures`` isotropic Gaussian modes sorted by weight; the number of
    modes adapts per pixel (modes whose weight falls under the complexity-reduction prior are
    dropped, a new mode is created when no mode is within ``var_threshold_gen`` squared
    Mahalanobis distance).  A pixel is background when it lies within ``var_threshold`` of one
    of the modes whose cumulative weight is below ``background_ratio``; other pixels are tested
    for being a shadow (Prati et al. 2003) when ``detect_shadows`` is set.  The float32
    arithmetic follows OpenCV's ``bgfg_gaussmix2.cpp`` step by step, so masks are identical to
    ``cv2.createBackgroundSubtractorMOG2`` given the same parameters and frames.

    Kernel: fastgmm.background._mog2_kernel.update (per pixel: _mog2_block; background image:
    fastgmm.background._modes.background_image).

    The learning rate of :meth:`apply` is ``1 / min(2 * n_frames, history)`` when negative
    (the first frame counts, so the first rate is 1/2), the given value otherwise; 0 freezes the
    model (no new modes) and 1 re-initialises it from the frame.

    Parameters
    ----------
    history : int, default 500
        Length of the history for the automatic learning rate.
    var_threshold : float, default 16
        Squared Mahalanobis distance under which a pixel matches a background mode.
    detect_shadows : bool, default True
        Mark shadows with ``shadow_value`` instead of 255.
    n_mixtures : int, default 5
        Maximum number of modes per pixel (1..255).
    background_ratio : float, default 0.9
        Cumulative weight of the modes that form the background.
    var_threshold_gen : float, default 9
        Squared Mahalanobis distance under which a pixel updates a mode instead of making a new one.
    var_init, var_min, var_max : float, default 15, 4, 75
        Initial, minimum and maximum variance of a mode.
    complexity_reduction_threshold : float, default 0.05
        Prior weight subtracted per sample; drives unused modes out.
    shadow_value : int, default 127
        Mask value of shadow pixels.
    shadow_threshold : float, default 0.5
        How much darker than the background a shadow may be (``tau``).

    Attributes
    ----------
    n_frames_ : int
        Frames seen since the last (re)initialisation.
    state_ : structured ndarray of shape (H, W) or None
        The model's main records: per pixel ``n_modes`` and its first modes ``modes[k]`` =
        (weight, variance, mean[C]) (3 in colour, up to 5 in gray; see ``fastgmm.background._records``).
    overflow_ : structured ndarray of shape (H, W) or None
        The other modes of each pixel (None when they all fit in ``state_``).
        :meth:`per_pixel_state` returns both merged, all ``n_mixtures`` modes in order.
    """

    _AUTO_RATE_FACTOR = 2
    _WITH_COUNT = True
    _SPLIT = True
    _WEIGHT_FIELD = _k.MODE_WEIGHT
    _MEAN_FIELD = _k.MODE_MEAN

    def __init__(
        self,
        *,
        history: int = 500,
        var_threshold: float = 16.0,
        detect_shadows: bool = True,
        n_mixtures: int = 5,
        background_ratio: float = 0.9,
        var_threshold_gen: float = 9.0,
        var_init: float = 15.0,
        var_min: float = 4.0,
        var_max: float = 75.0,
        complexity_reduction_threshold: float = 0.05,
        shadow_value: int = 127,
        shadow_threshold: float = 0.5,
    ) -> None:
        self._set_checked_params({
            "history": history, "var_threshold": var_threshold, "detect_shadows": detect_shadows,
            "n_mixtures": n_mixtures, "background_ratio": background_ratio, "var_threshold_gen": var_threshold_gen,
            "var_init": var_init, "var_min": var_min, "var_max": var_max,
            "complexity_reduction_threshold": complexity_reduction_threshold, "shadow_value": shadow_value,
            "shadow_threshold": shadow_threshold,
        })
        super().__init__()

    @staticmethod
    def _validated(p: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(p["detect_shadows"], (bool, np.bool_)):
            raise TypeError(f"detect_shadows must be a bool; got {p['detect_shadows']!r}.")
        v = {
            "history": int(check_scalar(p["history"], "history", kind=numbers.Integral, min_val=1)),
            "var_threshold": float(check_scalar(p["var_threshold"], "var_threshold", min_val=0.0)),
            "detect_shadows": bool(p["detect_shadows"]),
            "n_mixtures": int(check_scalar(p["n_mixtures"], "n_mixtures", kind=numbers.Integral, min_val=1,
                                           max_val=255)),
            "background_ratio": float(check_scalar(p["background_ratio"], "background_ratio", min_val=0.0,
                                                   max_val=1.0)),
            "var_threshold_gen": float(check_scalar(p["var_threshold_gen"], "var_threshold_gen", min_val=0.0)),
            "var_init": float(check_scalar(p["var_init"], "var_init", min_val=0.0)),
            "var_min": float(check_scalar(p["var_min"], "var_min", min_val=0.0)),
            "var_max": float(check_scalar(p["var_max"], "var_max", min_val=0.0)),
            "complexity_reduction_threshold": float(check_scalar(
                p["complexity_reduction_threshold"], "complexity_reduction_threshold", min_val=0.0)),
            "shadow_value": int(check_scalar(p["shadow_value"], "shadow_value", kind=numbers.Integral, min_val=0,
                                             max_val=255)),
            "shadow_threshold": float(check_scalar(p["shadow_threshold"], "shadow_threshold", min_val=0.0,
                                                   max_val=1.0)),
        }
        if v["var_min"] > v["var_max"]:
            raise ValueError(f"var_min ({v['var_min']}) must not exceed var_max ({v['var_max']}).")
        return v

    def _derive(self) -> None:
        prm = np.zeros(_k.N_PARAMS, dtype=np.float32)  # P_ALPHA and P_PRUNE are set per frame
        prm[_k.P_VAR_THRESHOLD] = self.var_threshold
        prm[_k.P_BACKGROUND_RATIO] = self.background_ratio
        prm[_k.P_VAR_THRESHOLD_GEN] = self.var_threshold_gen
        prm[_k.P_VAR_INIT] = self.var_init
        prm[_k.P_VAR_MIN] = self.var_min
        prm[_k.P_VAR_MAX] = self.var_max
        prm[_k.P_SHADOW_THRESHOLD] = self.shadow_threshold
        prm[_k.P_DETECT_SHADOWS] = float(self.detect_shadows)
        prm[_k.P_SHADOW_VALUE] = self.shadow_value
        self._prm = prm
        self._ct = float(np.float32(self.complexity_reduction_threshold))

    def _mode_fields(self, n_channels: int) -> list[tuple]:
        return [("weight", np.float32), ("variance", np.float32), ("mean", np.float32, (n_channels,))]

    def _update(self, frame: np.ndarray, mask: np.ndarray, alpha: float, known_fg: np.ndarray,
                use_known_fg: bool) -> None:
        prm = self._prm
        prm[_k.P_ALPHA] = alpha
        prm[_k.P_PRUNE] = -alpha * self._ct
        b = self._buf
        _k.update(channels_tag(frame.shape[1]), frame, b.flat, b.cnt, b.layout, known_fg, use_known_fg, mask,
                  self.n_mixtures, prm, numba.get_num_threads(), self._block)
