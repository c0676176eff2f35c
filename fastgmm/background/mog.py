"""KaewTraKulPong-Bowden Gaussian mixture background subtractor (OpenCV contrib bgsegm MOG)."""

from __future__ import annotations

import numbers
from typing import Any

import numba
import numpy as np

from .._validate import check_scalar
from . import _mog_kernel as _k
from ._modes import FLT_EPSILON, LAY_HEAD, LAY_L
from ._online import PixelMixtureSubtractor

_VAR_THRESHOLD = 2.5 * 2.5
_DEFAULT_NOISE_SIGMA = 15.0
_INITIAL_WEIGHT = 0.05


class BackgroundSubtractorMOG(PixelMixtureSubtractor):
    """Gaussian-mixture background subtraction of KaewTraKulPong & Bowden (2001), as bgsegm MOG.

    Every pixel has ``n_mixtures`` Gaussian modes with a diagonal (per-channel) variance, sorted
    by weight / sqrt(summed variance).  A pixel matching a mode within 2.5 standard deviations
    updates it; otherwise the weakest mode is replaced.  The pixel is background when the matched
    mode is among the leading modes whose cumulative weight first exceeds ``background_ratio``.
    The float32 arithmetic follows ``opencv_contrib/modules/bgsegm/src/bgfg_gaussmix.cpp`` step by
    step (masks match ``cv2.bgsegm.createBackgroundSubtractorMOG`` with the same parameters).

    Kernel: fastgmm.background._mog_kernel.update (per pixel: _mog_block, specialised for
    K = 5; background image: fastgmm.background._modes.background_image).

    The learning rate of :meth:`apply` is ``1 / min(n_frames, history)`` when negative (so the
    first frame has rate 1), the given value otherwise; 0 classifies without updating and 1
    re-initialises the model.

    :meth:`background_image` is not in OpenCV's MOG; here it is defined as for MOG2: per pixel the
    weight-averaged mean of the leading modes (sorted order) until their cumulative weight exceeds
    ``background_ratio``, rounded to uint8.

    Parameters
    ----------
    history : int, default 200
        Length of the history for the automatic learning rate.
    n_mixtures : int, default 5
        Modes per pixel (1..255; OpenCV caps it at 8).
    background_ratio : float, default 0.7
        Cumulative weight of the modes that form the background, in (0, 1].
    noise_sigma : float, default 0
        Minimum standard deviation of a mode; 0 means OpenCV's default, 15.

    Attributes
    ----------
    n_frames_ : int
        Frames seen since the last (re)initialisation.
    state_ : structured ndarray of shape (H, W) or None
        The model: per pixel ``modes[k]`` = (sort_key, weight, mean[C], variance[C]).
    """

    _AUTO_RATE_FACTOR = 1
    _WITH_COUNT = False
    _RECORD_ALIGN = 4  # unpadded: every frame touches all K modes (see fastgmm.background._records)
    _WEIGHT_FIELD = _k.MODE_WEIGHT
    _MEAN_FIELD = _k.MODE_MEAN

    def __init__(self, *, history: int = 200, n_mixtures: int = 5, background_ratio: float = 0.7,
                 noise_sigma: float = 0.0) -> None:
        self._set_checked_params({"history": history, "n_mixtures": n_mixtures,
                                  "background_ratio": background_ratio, "noise_sigma": noise_sigma})
        super().__init__()

    @staticmethod
    def _validated(p: dict[str, Any]) -> dict[str, Any]:
        return {
            "history": int(check_scalar(p["history"], "history", kind=numbers.Integral, min_val=1)),
            "n_mixtures": int(check_scalar(p["n_mixtures"], "n_mixtures", kind=numbers.Integral, min_val=1,
                                           max_val=255)),
            "background_ratio": float(check_scalar(p["background_ratio"], "background_ratio", min_val=0.0,
                                                   max_val=1.0, min_inclusive=False)),
            "noise_sigma": float(check_scalar(p["noise_sigma"], "noise_sigma", min_val=0.0)),
        }

    def _derive(self) -> None:
        sigma = _DEFAULT_NOISE_SIGMA if self.noise_sigma <= 0 else self.noise_sigma
        w0 = float(np.float32(_INITIAL_WEIGHT))
        self._sk0 = {1: w0 / (_DEFAULT_NOISE_SIGMA * 2), 3: w0 / (_DEFAULT_NOISE_SIGMA * 2 * np.sqrt(3.0))}
        prm = np.zeros(_k.N_PARAMS, dtype=np.float32)  # P_ALPHA and P_SORT_KEY_INIT are set per frame
        prm[_k.P_BACKGROUND_RATIO] = self.background_ratio
        prm[_k.P_VAR_THRESHOLD] = _VAR_THRESHOLD
        prm[_k.P_MIN_VAR] = sigma * sigma
        prm[_k.P_VAR_INIT] = _DEFAULT_NOISE_SIGMA ** 2 * 4
        prm[_k.P_WEIGHT_INIT] = w0
        self._prm = prm

    def _mode_fields(self, n_channels: int) -> list[tuple]:
        return [("sort_key", np.float32), ("weight", np.float32), ("mean", np.float32, (n_channels,)),
                ("variance", np.float32, (n_channels,))]

    def _mode_counts(self) -> np.ndarray:
        """Modes in use: OpenCV's loops stop at the first weight below FLT_EPSILON."""
        head, L = int(self._buf.layout[LAY_HEAD]), int(self._buf.layout[LAY_L])
        w = self._buf.st[:, head + self._WEIGHT_FIELD::L][:, :self.n_mixtures]
        unused = w < FLT_EPSILON
        return np.where(unused.any(axis=1), unused.argmax(axis=1), self.n_mixtures).astype(np.int64)

    def _update(self, frame: np.ndarray, mask: np.ndarray, alpha: float, known_fg: np.ndarray,
                use_known_fg: bool) -> None:
        prm = self._prm
        prm[_k.P_ALPHA] = alpha
        prm[_k.P_SORT_KEY_INIT] = self._sk0[frame.shape[1]]
        channels, fixed_k = _k.kernel_tags(frame.shape[1], self.n_mixtures)
        _k.update(channels, fixed_k, frame, self._buf.st, known_fg, use_known_fg, mask, self.n_mixtures, prm,
                  numba.get_num_threads(), self._block)
