"""AdaptiveMixtureSubtractor: a per-pixel Gaussian mixture with SuBSENSE-style feedback,
conservative update, neighbour diffusion, shadow labelling and a frame-level reset.

The model (kernels in :mod:`fastgmm.background._adaptive_kernel`)
----------------------------------------------------------------
Every pixel keeps ``K = 3`` Gaussian modes ``(w_k, sigma_k^2, mu_k)`` (isotropic per-channel
variance, modes sorted by weight), as Stauffer & Grimson (1999) / Zivkovic (2004).  The first modes
whose cumulative weight stays below ``background_ratio`` are the background.

* **Decision.**  ``x`` is background when
  ``||x - mu_k||^2 < R(x)^2 * max(var_threshold * sigma_k^2, C * min_distance^2)`` for a background
  mode; otherwise it is a *shadow* (label 127, counted as background) when ``x = a * mu_k`` with
  ``shadow_tau <= a < 1``, a colour distortion ``||x - a mu_k||^2 < var_threshold * sigma_k^2 * a^2``
  (Prati et al. 2003, as OpenCV MOG2) and a uniform darkening (see Shadows), else foreground (255).
* **Conservative update.**  Only background pixels update their own mixture (match within
  ``var_threshold_gen * R^2 * sigma^2``: ``w += a``, mean and variance move by ``a / w``; no match:
  the weakest mode becomes ``(x, var_init, a)``), with rate ``a = 1 / (n_samples * T(x))``; the
  first frames (and frames after a global reset) use ``max(a, 1 / (2 n))`` and update every pixel
  (Zivkovic's bootstrap).  Foreground pixels update at ``fg_rate * a`` (default 0: a stopped
  object stays foreground until the diffusion below explains it).
* **Neighbour diffusion** (ViBe, Barnich & Van Droogenbroeck 2011; SuBSENSE): with probability
  ``1 / T(x)`` a pixel takes the current value of a random 8-neighbour that was a *stable*
  background pixel in the previous frame (label background and running foreground fraction < 0.1)
  and whose value is within ``min_distance`` of that neighbour's background image (the mean of the
  mode that explained it), as a sample of weight ``1 / n_samples`` (a *pull*: each pixel writes
  only its own state, so it is deterministic under threads).  A matching mode gains weight only
  (a neighbour's sample is evidence, not a measurement of this pixel's mean); otherwise the
  weakest mode becomes that value.  A ghost (revealed background) looks like its background
  neighbours and is absorbed from its rim; a stopped object does not, and stays.
* **Ghost heuristic** (SuBSENSE's GHOSTDET): a pixel that has been foreground for long (running
  mean > 0.995) without changing (running frame-to-frame change < 0.02) pulls with probability
  ``1 / t_lower`` and reinforces, at rate ``1 / (n_samples t_lower)``, a mode that already
  explains its value (one the diffusion brought); it never creates one, so a stopped object whose
  colour no neighbour's background has stays foreground.
* **Feedback** (St-Charles et al., SuBSENSE, IEEE TIP 2015, constants from its reference code):
  ``D_min`` (running means, rates 1/25 and 1/100, of the normalised distance
  ``sqrt(||x-mu||^2 / C) / 255`` to the nearest matching background mode, 1 for foreground);
  blink factor ``v`` (+1 when the post-processed mask changed between the last two frames in an
  unstable region (D_max > 0.1), else -0.1, or -0.025 after foreground); threshold factor ``R``
  (``+0.01 (v - 0.1)`` while ``R < (1 + 2 D_min)^2``, else ``-0.01 / v``, ``R >= 1``); update
  period ``T`` (``+0.5 / (v D_max)`` after a foreground frame, else ``-0.25 v / D_max``, in
  ``[t_lower, t_upper] = [2, 256]``).  Distance floor: a mode's threshold is at least
  ``C * min_distance^2 * R^2`` (``min_distance`` 10 per channel: SuBSENSE's minimum colour
  distance 30, an L1 sum over three channels).  Modes lighter than 0.05 x the update rate are
  dropped (Zivkovic 2004).
* **Shadows.**  Only where the brightness ratio (frame / previous background image, channel sums)
  varies by less than ``shadow_texture`` = 5 % (std / mean) over the 3x3 window: a cast shadow
  keeps the background's texture, a dark object replaces it.
* **Displacement.**  A pixel that no own mode explains is background when the 3x3 patch around
  it is the previous frame's background image moved by a fraction ``lam`` in [0, 1] of a pixel
  in one of the 8 directions (``b + lam (b_shifted - b)``, one least-squares ``lam`` for the
  patch; all but 2 of the 9 pixels within the pixel's threshold): camera jitter and swaying
  edges (Elgammal, Harwood & Davis 2000 test the pixel alone against its neighbours' models;
  the patch keeps an object pixel that looks like one neighbour's background foreground).
  It is no diffusion source and does not update its model.
* **Camera gain.**  The model lives in the frames' scale divided by a global gain per channel
  (automatic exposure / white balance, lights dimming): after each frame the gain becomes the
  ratio of the sums of the frame's values and of the background values over the unsaturated
  background pixels (integer sums, used from the next frame on; kept when fewer than 5 % of the
  pixels are background).  Every frame value is divided by it before the test and the update;
  :meth:`background_image` multiplies it back.
* **Camera motion.**  Before the per-pixel test, the frame is registered on the previous
  frame's background image: the integer shift ``(dy, dx)``, ``|dy|, |dx| <= MOTION_RADIUS``, with
  the least truncated L1 distance between their gradients (so that a brightness change is not
  taken for motion) over a grid of about ``MOTION_SAMPLES`` pixels of the green (or gray) channel
  (:mod:`fastgmm.background._motion_kernel`) is taken when it beats no shift by more than
  ``MOTION_MARGIN`` (3 %); the frame is then classified and learnt in the background's coordinates
  (the strip the shift uncovers takes the background's values) and the mask is shifted back
  (the strip the camera left is background).  Camera jitter of a few pixels then costs the model
  nothing, where the displacement test below covers sub-pixel and 1-pixel motion only
  (``bench/cdnet_jitter.py``; docs/performance.md, "Camera motion").  The camera is *followed*: the
  offset is searched within ``MOTION_RADIUS`` of ``(0, 0)`` and of the previous frame's offset (so
  a drift of up to 3 pixels per frame is tracked), within ``MOTION_WIDE_RADIUS`` = 8 of the
  previous offset after a frame more than ``MOTION_WIDE_FG_PERCENT`` = 20 % foreground (a camera
  knocked farther makes such a frame), and the choice must beat the previous offset by the
  margin.  With the wide search comes a coarse-to-fine one (a camera knocked up to 32 pixels):
  the same cost on the images of the ``MOTION_COARSE_FACTOR`` = 4 pixel square block means
  (rounded) of the frame and of the background image, over the shifts within
  ``MOTION_COARSE_RADIUS`` = 8 blocks (32 pixels) of the previous offset; its winner, scaled back
  to pixels, is the centre of one more window, of radius 4, scored with the others on the same
  full-resolution samples (so it too must beat the previous offset by the margin: a large object
  moving past a still camera does not).  The model is *re-anchored* when the offset, beyond
  ``MOTION_RADIUS``, has grown on
  ``MOTION_PAN`` = 3 consecutive frames (a pan) or stayed unchanged for ``MOTION_HOLD`` = 10
  frames (a bump that stays; a shake about a point does neither): its per-pixel state moves by the
  offset once, the strip it has no state for starts from the current frame as on a first frame,
  and the offset restarts from ``(0, 0)`` (``bench/cdnet_pan.py``).  A shake is *recentred*: the
  first frame fixes the model's coordinates wherever the shake had the camera, up to
  ``MOTION_RADIUS`` from its centre, and then the offsets beyond the window around ``(0, 0)`` are
  found only when the previous offset was near them; frames taken 1-2 pixels short are learnt
  misregistered and move the background image itself.  So the running mean of the offsets (time
  constant ``MOTION_CENTRE_FRAMES`` = 50 frames, restarting from ``(0, 0)`` at a pan or hold
  re-anchor) is kept, and when it is ``MOTION_CENTRE_MIN`` = 0.75 pixel or more from ``(0, 0)`` the
  model is re-anchored on the first frame whose offset is that mean rounded (the mean then loses
  that offset; ``bench/cdnet_jitter.py``).  A jump beyond the search (a
  cut, a bump farther than 32 pixels) is relearnt, or restarts the model through the frame-level
  reset when most of the frame is foreground.
* **Frame level.**  When more than ``reset_fraction`` of the pixels are foreground for
  ``reset_frames`` consecutive frames (a global change: lights, camera moved), the bootstrap
  restarts (litiv SuBSENSE: 0.8 for 5 frames).
* **Post-processing.**  A ``median_size`` binary majority vote with edge restoration
  (:class:`~fastgmm.background.postprocess.MedianFilter`), then connected components
  (:mod:`fastgmm.background._blobs_kernel`): small enclosed holes filled, small blobs dropped.

Randomness is a hash of (pixel index, frame counter), so masks are identical with any number of
threads and after :meth:`load_state_dict`.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any

import numba
import numpy as np

from .._validate import check_frame, check_same_frame_shape, check_scalar
from . import _adaptive_kernel as _k
from . import _blobs_kernel, _motion_kernel, _records
from ._modes import channels_tag
from ._online import CheckedParams, _InstanceOrDefault, check_known_foreground, check_learning_rate, check_out
from .postprocess import MedianFilter

FORMAT_VERSION = 2
"""Version of the files :meth:`AdaptiveMixtureSubtractor.save` writes."""
_ARRAYS = ("rec", "last", "labels", "bg", "fin", "inv_gain")
"""The state arrays a file holds (attributes ``_rec``, ``_last``, ...)."""
_NO_KNOWN_FG = np.zeros(1, dtype=np.uint8)
"""The known-foreground argument of the kernel when there is none (not read)."""
_FLAGS = ("detect_shadows", "feedback", "diffusion", "ghost", "frame_level", "gain", "displacement", "motion")
MOTION_RADIUS = 3
"""Largest camera shift (pixels, each axis) searched around the model's coordinates and around the
previous frame's offset."""
MOTION_WIDE_RADIUS = 8
"""Radius of the search around the previous frame's offset after a frame with more than
``MOTION_WIDE_FG_PERCENT`` % of foreground pixels (a camera bumped farther than ``MOTION_RADIUS``)."""
MOTION_WIDE_FG_PERCENT = 20
"""Foreground share (raw mask, %) of a frame above which the next frame gets the wide search."""
MOTION_COARSE_FACTOR = 4
"""Side (pixels) of the blocks whose mean values make the images of the coarse search; also the
radius of the full-resolution search around its winner (scaled back to pixels)."""
MOTION_COARSE_RADIUS = 8
"""Radius (blocks of ``MOTION_COARSE_FACTOR`` pixels) of the coarse search around the previous
offset: 32 pixels each axis."""
MOTION_COARSE_SAMPLES = 1000
"""About this many block pixels (a regular grid over the block image) score each shift of the
coarse search."""
MOTION_HOLD = 10
"""Frames an unchanged offset must last before the model is re-anchored on it (a camera bumped
that stays)."""
MOTION_PAN = 3
"""Consecutive frames whose offset is beyond ``MOTION_RADIUS`` and farther than the previous
frame's that re-anchor the model (a pan; a shake about a point does not move away steadily)."""
MOTION_CENTRE_FRAMES = 50
"""Time constant (frames) of the running mean of the camera's offsets, the centre of a shake (the
first frame fixed the model's coordinates wherever the shake had the camera).  For offsets uniform
in [-3, 3] the mean's standard deviation is then about 0.2 pixel."""
MOTION_CENTRE_MIN = 0.75
"""Distance (pixels, either axis) of that mean from ``(0, 0)`` from which the model is re-anchored
on a frame whose offset is the mean rounded (a recentre).  Above half a pixel, so that what a
recentre leaves of the mean (at most half a pixel) does not trigger another; 3.75 standard
deviations of the mean of a ±3 shake that is centred."""
MOTION_SAMPLES = 2500
"""About this many pixels (a regular grid) score each shift."""
MOTION_MIN_PIXELS = 1000
"""Frames with fewer pixels inside the search margin are not registered (too few for a reliable
score: a moving object can outweigh the scene)."""
MOTION_TRUNC = 40
"""Truncation of a sample's gradient difference (grey levels of the channel scored: green, or gray)."""
MOTION_MARGIN_PERCENT = 3
"""A shift is taken when its score is below (100 - this) % of no shift's."""
_POSITIVE = ("var_threshold", "var_threshold_gen", "var_init", "var_min", "var_max", "n_samples", "t_lower",
             "t_upper", "t_fixed")


class AdaptiveMixtureSubtractor(CheckedParams):
    """Adaptive per-pixel Gaussian-mixture background subtractor (see the module docstring).

    Same contract as :class:`fastgmm.BackgroundSubtractorMOG2`: ``apply(frame, learning_rate=-1,
    *, known_foreground=None, out=None)`` frame by frame (nothing allocated per frame with ``out=``),
    :meth:`background_image`, :meth:`reset`, :meth:`warm_up`, ``set_params`` and attribute
    assignment checked like the constructor, :meth:`save`/:meth:`load` that resume bit-identically.
    Masks are identical with any number of Numba threads.

    Kernel: fastgmm.background._adaptive_kernel.update (per pixel: _pixel; first frame: initialise;
    background image: background), then fastgmm.background._median_kernel (majority vote) and,
    when enabled, fastgmm.background._blobs_kernel.clean.

    Parameters (keyword-only; sources in brackets)
    ----------
    var_threshold : float, default 25
        Squared Mahalanobis distance (channel-summed squared distance over the per-channel
        variance) for background: 5 sigma, the value of fastgmm's default MOG2 pipeline
        (``methods.DEFAULT_PARAMS``) rather than OpenCV's 16.  Chosen jointly on the three CDnet
        baseline sequences among 16 / 25 / 36 / MOG2-equivalent 16*C (mean F 0.883 / 0.894 / 0.900 /
        0.888); 25 for its precedent in the package, not the best of the four.
    var_threshold_gen : float, default 9
        Squared distance for a sample to update an existing mode (3 sigma) [MOG2 varThresholdGen].
    background_ratio : float, default 0.9
        Cumulative weight of the background modes [MOG2 backgroundRatio; Stauffer-Grimson T].
    var_init, var_min, var_max : float, default 15, 4, 75
        Variance of a new mode and clamps [MOG2].
    n_samples : float, default 50
        Equivalent sample-set size: one update has weight 1/n_samples [SuBSENSE N = 50].
    fg_rate : float, default 0
        Rate of foreground pixels' own update relative to background's (0 = conservative) [SuBSENSE].
    shadow_tau : float, default 0.5
        Darkest shadow brightness ratio [MOG2 / Prati et al.].
    t_lower, t_upper : float, default 2, 256
        Bounds of the update period T(x) [SuBSENSE].
    boot_frames : int, default 50
        Frames of bootstrap (all pixels update, rate >= 1/(2n)) after the first frame or a reset;
        50 frames bring 1/(2n) down to 1/(n_samples * t_lower) = 0.01.
    reset_fraction, reset_frames : float, int, default 0.8, 5
        Frame-level reset trigger [litiv SuBSENSE MODEL_RESET_MIN_FINAL_FG_RATIO / _FRAME_COUNT].
    median_size, restore_radius : int, default 7, 1
        Post-processing: majority vote, then the raw detections within ``restore_radius`` of the
        voted foreground are put back (2, the MOG2 pipeline's value, also puts back the halo of
        blended pixels around moving objects: CDnet F 0.951 / 0.910 / 0.939 with 1, 0.949 /
        0.906 / 0.949 with 0, before the blob clean-up).
    max_hole, min_blob : float, default 1/200, 1/2000
        Holes (4-connected background regions not touching the border) of at most
        ``max_hole * H * W`` pixels are filled and 8-connected foreground blobs smaller than
        ``min_blob * H * W`` removed (0 disables; fractions of the frame so the rule does not
        depend on resolution).  A sequential pass (:mod:`fastgmm.background._blobs_kernel`).
    detect_shadows, feedback, diffusion, ghost, frame_level, gain, displacement, motion : bool, default True
        Switch mechanisms off (ablations).  Without feedback R = 1 and T = ``t_fixed`` (16, ViBe's
        subsampling factor).

    Attributes
    ----------
    n_frames_ : int
        Frames seen since the model was (re)initialised.
    camera_shift_ : tuple of int
        ``(dy, dx)`` of the last frame's registration: its pixel ``(y + dy, x + dx)`` was matched
        with the background's ``(y, x)``; ``(0, 0)`` when it was not moved (or ``motion`` is off).
        :meth:`raw_mask` is in the background's coordinates.  The offset is searched around the
        model's coordinates and around the previous frame's offset (so a camera that drifts is
        followed); when it has grown beyond ``MOTION_RADIUS`` on ``MOTION_PAN`` frames in a row,
        stayed unchanged for ``MOTION_HOLD`` frames, or equals the rounded running mean of the offsets
        (a shake's centre) when that is ``MOTION_CENTRE_MIN`` from ``(0, 0)``, the model is
        re-anchored: its state moves by the offset once, and the next frame's offset is counted from
        there (see "Camera motion" in the module docstring).
    """

    def __init__(
        self, *, var_threshold: float = 25.0, var_threshold_gen: float = 9.0, background_ratio: float = 0.9,
        var_init: float = 15.0, var_min: float = 4.0, var_max: float = 75.0, n_samples: float = 50.0,
        fg_rate: float = 0.0, shadow_tau: float = 0.5, t_lower: float = 2.0, t_upper: float = 256.0,
        t_fixed: float = 16.0, min_distance: float = 10.0, shadow_texture: float = 0.05, boot_frames: int = 50,
        reset_fraction: float = 0.8, reset_frames: int = 5, median_size: int = 7, restore_radius: int = 1,
        max_hole: float = 1 / 200, min_blob: float = 1 / 2000, detect_shadows: bool = True, feedback: bool = True,
        diffusion: bool = True, ghost: bool = True, frame_level: bool = True, gain: bool = True,
        displacement: bool = True, motion: bool = True,
    ) -> None:
        self._set_checked_params({name: value for name, value in locals().items() if name != "self"})
        self.reset()

    # ------------------------------------------------------------------ parameters
    @staticmethod
    def _validated(p: dict[str, Any]) -> dict[str, Any]:
        v: dict[str, Any] = {}
        for name in _FLAGS:
            if not isinstance(p[name], (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {p[name]!r}.")
            v[name] = bool(p[name])
        for name in _POSITIVE:
            v[name] = float(check_scalar(p[name], name, min_val=0.0, min_inclusive=False))
        for name in ("fg_rate", "min_distance", "shadow_texture", "max_hole", "min_blob"):
            v[name] = float(check_scalar(p[name], name, min_val=0.0))
        for name in ("background_ratio", "shadow_tau", "reset_fraction"):
            v[name] = float(check_scalar(p[name], name, min_val=0.0, max_val=1.0))
        for name in ("boot_frames", "reset_frames", "restore_radius"):
            v[name] = int(check_scalar(p[name], name, kind=numbers.Integral, min_val=0))
        v["median_size"] = int(check_scalar(p["median_size"], "median_size", kind=numbers.Integral, min_val=1))
        if v["median_size"] % 2 == 0:
            raise ValueError(f"median_size must be odd (1 disables the filter); got {v['median_size']}.")
        if v["var_min"] > v["var_max"]:
            raise ValueError(f"var_min ({v['var_min']}) must not exceed var_max ({v['var_max']}).")
        if v["t_lower"] > v["t_upper"]:
            raise ValueError(f"t_lower ({v['t_lower']}) must not exceed t_upper ({v['t_upper']}).")
        return v

    def _derive(self) -> None:
        """The kernel's float32 parameter vector (``_adaptive_kernel.PARAMS`` order) from the
        attributes; :meth:`apply` writes the per-frame entries (rate, bootstrap, frozen model)."""
        if "_prm" not in self.__dict__:
            object.__setattr__(self, "_prm", np.zeros(len(_k.PARAMS), dtype=np.float32))
        values = (self.var_threshold, self.var_threshold_gen, self.background_ratio, self.var_init,
                  self.var_min, self.var_max, 0.0, self.n_samples, self.fg_rate, self.shadow_tau,
                  self.detect_shadows, self.feedback, self.diffusion, self.ghost, False, self.t_lower,
                  self.t_upper, self.t_fixed, self.min_distance, self.shadow_texture, self.displacement)
        self._prm[:_k.P_IG0] = values
        self._prm[_k.P_IG0:] = 1.0  # the inverse gains: per frame
        self._median = (MedianFilter(self.median_size, restore_radius=self.restore_radius)
                        if self.median_size > 1 else None)

    def _frame_params(self, force: bool, alpha_boot: float, lr: float) -> np.ndarray:
        """The parameter vector with this frame's entries: bootstrap (every pixel updates, rate at
        least ``alpha_boot``), a fixed rate ``lr >= 0`` (0 freezes the model and its diffusion), and
        the camera's inverse gain."""
        p = self._prm
        if self._inv_gain is not None:
            p[_k.P_IG0:_k.P_IG0 + self._inv_gain.shape[0]] = self._inv_gain
        p[_k.P_FORCE] = force
        p[_k.P_ABOOT] = alpha_boot if lr < 0.0 else lr
        p[_k.P_NS] = self.n_samples if lr < 0.0 else np.inf
        p[_k.P_DIF] = self.diffusion and lr != 0.0
        return p

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget the model; the next frame starts a new one (and may have another shape)."""
        self._rec: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        self._bg: np.ndarray | None = None
        self._fin: np.ndarray | None = None
        self._inv_gain: np.ndarray | None = None
        self._raw: np.ndarray | None = None
        self._u8: np.ndarray | None = None
        self._float: np.ndarray | None = None
        self._frame_shape: tuple[int, int, int] | None = None
        self._frame_ndim = 3
        self.n_frames_ = 0  # frames seen since the (re)initialisation: the frame counter of the hash
        self.camera_shift_ = (0, 0)
        self._offset = (0, 0)  # the camera's offset from the model's coordinates (the last frame's registration)
        self._held = 0      # consecutive frames at that offset
        self._pan = 0       # consecutive frames whose offset, beyond MOTION_RADIUS, grew
        self._centre = (0.0, 0.0)  # running mean of the offsets (MOTION_CENTRE_FRAMES)
        self._fg = 0        # foreground (255) pixels of the last raw mask: a large share widens the search
        self._boot = 0      # frames since the (re)start of the bootstrap
        self._busy = 0      # consecutive frames above reset_fraction

    def _allocate(self, shape: tuple[int, int, int], ndim: int) -> None:
        H, W, C = shape
        self._frame_shape = shape
        self._frame_ndim = ndim
        self._rec = np.zeros((H * W, _k.REC), dtype=np.float32)
        self._last = np.zeros((H * W, C), dtype=np.uint8)
        self._labels = np.zeros((2, H * W), dtype=np.uint8)
        self._bg = np.zeros((2, H * W, C), dtype=np.uint8)
        self._fin = np.zeros((2, H * W), dtype=np.uint8)
        self._inv_gain = np.ones(C, dtype=np.float32)
        n_blocks = min(64, max(1, H // 4))  # blocks of rows of the update (independent of the thread count)
        self._sums = np.zeros((n_blocks, 2 * C + 2), dtype=np.int64)
        self._parent = np.zeros(H * W, dtype=np.int32)
        self._area = np.zeros(H * W, dtype=np.int32)
        self._touch = np.zeros(H * W, dtype=np.uint8)
        self._runs = np.zeros((H * ((W + 1) // 2), 2), dtype=np.int32)
        self._row0 = np.zeros(H + 1, dtype=np.int32)
        self._raw = np.zeros((H, W), dtype=np.uint8)
        self._raw_flat = self._raw.reshape(H * W)
        self._pull_j = np.zeros((n_blocks, W), dtype=np.int32)
        self._pull_q = np.zeros((n_blocks, W), dtype=np.int32)
        self._pull_r2 = np.zeros((n_blocks, W), dtype=np.float32)
        self._channels = channels_tag(C)
        self._u8 = np.zeros((H, W, C), dtype=np.uint8)
        # camera motion: scores, the registered frame / known foreground, the mask before shifting back
        n = 2 * MOTION_RADIUS + 1
        inner = max(1, (H - n) * (W - n))
        self._motion_step = max(1, round((inner / MOTION_SAMPLES) ** 0.5))
        F = MOTION_COARSE_FACTOR
        self._coarse_f = np.zeros(((H // F) * (W // F), 1), dtype=np.uint8)  # block means of the frame
        self._coarse_bg = np.zeros_like(self._coarse_f)  # and of the background image
        self._coarse_step = max(1, round(((H // F) * (W // F) / MOTION_COARSE_SAMPLES) ** 0.5))
        n = 2 * max(MOTION_WIDE_RADIUS, MOTION_COARSE_RADIUS) + 1
        self._costs = np.zeros(n * n, dtype=np.int64)
        sample_rows = max(len(range(0, H - 1, self._motion_step)), len(range(0, H // F - 1, self._coarse_step)))
        self._cost_rows = np.zeros((sample_rows, n * n), dtype=np.int64)
        self._cost_grads = np.zeros((sample_rows, 2 * n * n), dtype=np.int32)
        self._reg = np.zeros((H, W, C), dtype=np.uint8)
        self._reg_kf = np.zeros((H, W), dtype=np.uint8)
        self._reg_kf_bool = np.zeros((H, W), dtype=bool)
        self._reg_mask = np.zeros((H, W), dtype=np.uint8)

    @_InstanceOrDefault
    def warm_up(self, *, channels: int | None = None, dtype: type = np.uint8) -> None:
        """Compile (or load from Numba's cache) what :meth:`apply` and :meth:`background_image` run,
        on a scratch copy with this model's parameters (the model itself is untouched);
        ``Class.warm_up()`` uses the defaults.  ``channels`` defaults to the frames seen, else 3."""
        if channels is None:
            channels = 3 if self._frame_shape is None else self._frame_shape[2]
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
        scratch = type(self)(**self.get_params())
        # the first frame initialises, the second updates; large enough to be registered for camera
        # motion (MOTION_MIN_PIXELS), so that kernel is compiled too
        H, W, F = 40, 48, MOTION_COARSE_FACTOR
        frame = np.zeros((H, W, channels), dtype=dtype)
        for _ in range(2):
            scratch.apply(frame)
        scratch._offset = (1, 1)  # and re-anchored once (a camera that moves), for initialise_rect
        scratch._reanchor(scratch._u8)
        # the block means of the coarse search (the frame is too small to run it)
        _motion_kernel.block_means(scratch._u8.reshape(H * W, channels), W, channels // 2, F, W // F, scratch._coarse_f)
        scratch.background_image()

    # ------------------------------------------------------------------ apply
    def apply(self, frame: np.ndarray, learning_rate: float = -1.0, *, known_foreground: np.ndarray | None = None,
              out: np.ndarray | None = None) -> np.ndarray:
        """Update the model with ``frame`` and return its foreground mask.

        Parameters
        ----------
        frame : ndarray
            (H, W), (H, W, 1) or (H, W, 3); uint8, or float32/float64 in [0, 255] (rounded to
            uint8); any strides.  The first frame fixes the shape until :meth:`reset`.
        learning_rate : float, default -1
            Negative: the per-pixel adaptive rate; 0: the model is frozen (no update, no
            diffusion); 1: re-initialise the model from this frame; in between: every background
            pixel learns at this rate for this frame.
        known_foreground : ndarray of bool or uint8, shape (H, W), optional
            Nonzero pixels are foreground (255) and their models are left untouched (from the
            second frame; the first frame initialises every pixel).
        out : ndarray of uint8, shape (H, W), C-contiguous, optional
            Receives the mask; nothing is allocated per frame when it is given.

        Returns
        -------
        mask : ndarray of uint8, shape (H, W)
            0 background (shadows included), 255 foreground, after post-processing
            (:meth:`raw_mask` has the mask before it, with shadows as 127).
        """
        f = check_frame(frame)
        lr = check_learning_rate(learning_rate)
        if self._frame_shape is not None:
            check_same_frame_shape(f, self._frame_shape)
        H, W, C = f.shape
        mask = check_out(out, H, W)
        kf = _NO_KNOWN_FG if known_foreground is None else check_known_foreground(known_foreground, H, W).reshape(-1)
        if f.dtype != np.uint8:
            if self._u8 is None:
                self._u8 = np.empty(f.shape, dtype=np.uint8)
            if self._float is None or self._float.dtype != f.dtype or self._float.shape != f.shape:
                self._float = np.empty(f.shape, dtype=f.dtype)
            np.clip(f, 0.0, 255.0, out=self._float)  # a uint8 cast of values outside 0..255 would wrap
            np.rint(self._float, out=self._float)
            np.copyto(self._u8, self._float, casting="unsafe")
            f = self._u8
        elif not f.flags.c_contiguous:
            if self._u8 is None:
                self._u8 = np.empty(f.shape, dtype=np.uint8)
            np.copyto(self._u8, f)
            f = self._u8
        unregistered = f
        shift = (0, 0)
        if self.motion and self._rec is not None and lr < 1.0:
            shift = self._camera_shift(f)
            if shift != (0, 0):
                bg = self._bg[(self.n_frames_ - 1) & 1].reshape(H, W, C)
                f = _shift_into(self._reg, f, shift, bg)
                if known_foreground is not None:
                    known_2d = kf.reshape(H, W)
                    kf = _shift_into(self._reg_kf, known_2d, shift, 0).reshape(-1)
        self.camera_shift_ = shift
        target = mask if shift == (0, 0) else self._reg_mask
        flat = f.reshape(H * W, C)
        if self._rec is None or lr >= 1.0:
            ndim = np.ndim(frame)
            self.reset()
            self._allocate((H, W, C), ndim)
            _k.initialise(flat, self._rec, self._last, self._labels[0], self._bg[0],
                          self._frame_params(True, 1.0, -1.0), np.float32(self.t_lower), self._inv_gain)
            self.n_frames_ = 1
            self._boot = 1
        else:
            self._boot += 1
            self.n_frames_ += 1
            boot = self._boot <= self.boot_frames
            prm = self._frame_params(boot, 1.0 / (2.0 * self._boot) if boot else 0.0, lr)
            src = (self.n_frames_ - 1) & 1
            chunk = numba.set_parallel_chunksize(1)  # blocks handed out one at a time (see _k.update)
            try:
                _k.update(self._channels, flat, self._rec, self._last, self._labels, self._bg, self._fin, src,
                          self._raw_flat, kf, known_foreground is not None, H, W, prm, self.n_frames_, self._pull_j,
                          self._pull_q, self._pull_r2, self._sums)
            finally:
                numba.set_parallel_chunksize(chunk)
            if self.gain and lr != 0.0:
                _k.track_gain(self._sums, C, (H * W + 19) // 20, self._inv_gain)
            self._fg = int(self._sums[:, 2 * C + 1].sum())  # counted by the update
            if self.frame_level:
                self._busy = self._busy + 1 if self._fg > self.reset_fraction * H * W else 0
                if self._busy >= self.reset_frames:
                    self._boot = 0
                    self._busy = 0
        if self._median is None:
            target[...] = self._raw
        else:
            self._median(self._raw, out=target)
        if self.max_hole > 0 or self.min_blob > 0:
            _blobs_kernel.clean(target.reshape(H * W), H, W, int(self.max_hole * H * W),
                                int(np.ceil(self.min_blob * H * W)), self._parent, self._area, self._touch,
                                self._runs, self._row0)
        self._fin[self.n_frames_ & 1] = target.reshape(H * W)  # read by the feedback of the next two frames
        if target is not mask:  # back to the frame's coordinates
            _shift_into(mask, target, (-shift[0], -shift[1]), 0)
            if known_foreground is not None:  # also those the shift took out of the model's view
                np.not_equal(known_2d, 0, out=self._reg_kf_bool)
                np.copyto(mask, 255, where=self._reg_kf_bool)
        self._follow(shift, unregistered)
        return mask

    def _follow(self, shift: tuple[int, int], f: np.ndarray) -> None:
        """Keep the camera's offset ``shift`` (this frame's registration; ``f`` the frame, (H, W, C)
        uint8 in its own coordinates) and re-anchor the model on it when it has moved away beyond
        ``MOTION_RADIUS`` on ``MOTION_PAN`` consecutive frames (a pan) or stayed unchanged for
        ``MOTION_HOLD`` frames (a bump that stays); both restart the running mean of the offsets.
        A shake about a point does neither (its offsets jump about); it is recentred: re-anchored on
        a frame whose offset is the running mean rounded, once the mean is ``MOTION_CENTRE_MIN``
        from ``(0, 0)`` (the mean keeps its estimate, less that offset)."""
        distance = max(abs(shift[0]), abs(shift[1]))
        grew = distance > MOTION_RADIUS and distance > max(abs(self._offset[0]), abs(self._offset[1]))
        self._pan = self._pan + 1 if grew else 0
        self._held = self._held + 1 if shift == self._offset else 1
        self._offset = shift
        a = 1.0 / MOTION_CENTRE_FRAMES
        self._centre = (self._centre[0] + a * (shift[0] - self._centre[0]),
                        self._centre[1] + a * (shift[1] - self._centre[1]))
        cy, cx = self._centre
        centred = max(abs(cy), abs(cx)) >= MOTION_CENTRE_MIN and shift == (round(cy), round(cx))
        moved = self._pan >= MOTION_PAN or self._held >= MOTION_HOLD
        if shift != (0, 0) and (moved or centred):
            self._reanchor(f)  # restarts the running mean
            if not moved:  # a recentre keeps the estimate, less the offset it moved by
                self._centre = (cy - shift[0], cx - shift[1])

    def _reanchor(self, f: np.ndarray) -> None:
        """Move the model's per-pixel state (records, last values, the label, background-value and
        mask double buffers) by the camera's offset ``(dy, dx)``, so that the model's ``(y, x)`` is
        frame ``f``'s ``(y, x)`` (it was the model's ``(y - dy, x - dx)``); the strip no state
        covers starts from ``f`` as a new pixel does on the first frame
        (``_adaptive_kernel.initialise_rect``: one mode at the value over the current gain, feedback
        state R = 1, v = 10, T = t_lower, D_min and the running means 0, labelled background, not
        foreground in the post-processed masks); the offset becomes ``(0, 0)``.  Once per re-anchor:
        numpy copies each overlapping source before moving it."""
        H, W, C = self._frame_shape
        shift = (-self._offset[0], -self._offset[1])
        views = [self._rec.reshape(H, W, _k.REC), self._last.reshape(H, W, C)]
        for b in range(2):
            views += [self._labels[b].reshape(H, W), self._bg[b].reshape(H, W, C), self._fin[b].reshape(H, W)]
        for v in views:
            _shift_into(v, v, shift, 0)
        for rows, cols in _strips(H, W, shift):
            if rows[1] > rows[0] and cols[1] > cols[0]:
                _k.initialise_rect(f.reshape(H * W, C), self._rec, self._last, self._labels, self._bg, self._fin,
                                   self._prm, np.float32(self.t_lower), self._inv_gain, W, rows, cols)
        self._offset = (0, 0)
        self._held = self._pan = 0
        self._centre = (0.0, 0.0)

    def _camera_shift(self, f: np.ndarray) -> tuple[int, int]:
        """The registration of frame ``f`` (H, W, C uint8) on the previous background image (see
        "Camera motion" in the module docstring): the offset ``(dy, dx)`` of least cost within
        ``MOTION_RADIUS`` of ``(0, 0)`` and of the previous frame's offset (``MOTION_WIDE_RADIUS``
        after a frame with much foreground, and then also within ``MOTION_COARSE_FACTOR`` of the
        coarse search's winner, :meth:`_coarse_centre`), taken when it beats the previous offset
        by ``MOTION_MARGIN_PERCENT``; else the previous offset.  Every candidate is scored on the
        same samples, so the costs compare across windows; the window around the previous offset
        is scored last."""
        H, W, C = f.shape
        oy, ox = self._offset
        R = MOTION_RADIUS
        windows = [(0, 0, R)] if self._offset == (0, 0) else [(0, 0, R), (oy, ox, R)]
        if 100 * self._fg > MOTION_WIDE_FG_PERCENT * H * W:
            wide = windows[:-1] + [(oy, ox, MOTION_WIDE_RADIUS)]
            centre = self._coarse_centre(f)
            if centre is not None:
                coarse = wide[:-1] + [(*centre, MOTION_COARSE_FACTOR), wide[-1]]
                if _sample_area(H, W, coarse) >= MOTION_MIN_PIXELS:
                    wide = coarse
            if _sample_area(H, W, wide) >= MOTION_MIN_PIXELS:
                windows = wide
        if _sample_area(H, W, windows) < MOTION_MIN_PIXELS:
            return (0, 0)
        rows = _sample_range(H, [(cy, r) for cy, _, r in windows])
        cols = _sample_range(W, [(cx, r) for _, cx, r in windows])
        bg = self._bg[(self.n_frames_ - 1) & 1]
        best_cost, best = -1, (0, 0)
        for cy, cx, r in windows:
            n = 2 * r + 1
            _motion_kernel.shift_costs(f.reshape(H * W, C), bg, W, C // 2, rows, cols, cy, cx, r, self._motion_step,
                                       MOTION_TRUNC, self._costs, self._cost_rows, self._cost_grads)
            k = int(np.argmin(self._costs[:n * n]))  # the first of equal scores
            if best_cost < 0 or self._costs[k] < best_cost:
                best_cost, best = int(self._costs[k]), (cy + k // n - r, cx + k % n - r)
        previous = int(self._costs[n * n // 2])  # the last window is centred on the previous offset
        if 100 * best_cost >= (100 - MOTION_MARGIN_PERCENT) * previous:
            return self._offset
        return best

    def _coarse_centre(self, f: np.ndarray) -> tuple[int, int] | None:
        """The coarse search for a camera knocked far (frame ``f``, (H, W, C) uint8): the images of
        the ``MOTION_COARSE_FACTOR``-pixel block means of the frame's and of the previous background
        image's scored channel (``_motion_kernel.block_means``), the shift of least cost
        (``_motion_kernel.shift_costs`` on them, the first of equal scores) within
        ``MOTION_COARSE_RADIUS`` blocks of the previous offset (floor-divided into blocks), returned
        in pixels; ``None`` when the block images are too small (fewer than ``MOTION_MIN_PIXELS``
        pixels under the samples' region)."""
        H, W, C = f.shape
        F, r = MOTION_COARSE_FACTOR, MOTION_COARSE_RADIUS
        Hb, Wb = H // F, W // F
        cy, cx = self._offset[0] // F, self._offset[1] // F
        if _sample_area(Hb, Wb, [(cy, cx, r)]) * F * F < MOTION_MIN_PIXELS:
            return None
        _motion_kernel.block_means(f.reshape(H * W, C), W, C // 2, F, Wb, self._coarse_f)
        _motion_kernel.block_means(self._bg[(self.n_frames_ - 1) & 1], W, C // 2, F, Wb, self._coarse_bg)
        _motion_kernel.shift_costs(self._coarse_f, self._coarse_bg, Wb, 0, _sample_range(Hb, [(cy, r)]),
                                   _sample_range(Wb, [(cx, r)]), cy, cx, r, self._coarse_step, MOTION_TRUNC,
                                   self._costs, self._cost_rows, self._cost_grads)
        n = 2 * r + 1
        k = int(np.argmin(self._costs[:n * n]))
        return F * (cy + k // n - r), F * (cx + k % n - r)

    def raw_mask(self) -> np.ndarray:
        """The last mask before post-processing: 0 background, 127 shadow, 255 foreground (in the
        background's coordinates: shifted by :attr:`camera_shift_` from the frame's)."""
        self._check_seen()
        return self._raw

    def _check_seen(self) -> None:
        if self._rec is None:
            from ..exceptions import NotFittedError  # imports scikit-learn when installed: only when raising

            raise NotFittedError(f"This {type(self).__name__} has seen no frame yet; call apply(frame) first.")

    def background_image(self) -> np.ndarray:
        """The background as a uint8 image with the frames' shape: per pixel the mean of the
        strongest mode (the most probable value; a stopped object, which never updates its
        pixels' modes, does not pollute it, and passing traffic has its own lighter modes), times
        the camera's current gain.  On ``fastgmm demo``'s scene its mean grey-level error is below
        the per-pixel temporal median's (``bench/adaptive_demo.py``)."""
        self._check_seen()
        H, W, C = self._frame_shape
        img = np.empty((H * W, C), dtype=np.uint8)
        _k.background(self._rec, C, self._inv_gain, img)
        return img.reshape(H, W) if self._frame_ndim == 2 else img.reshape(H, W, C)

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this model elsewhere: a JSON-able header and the state
        arrays (copies)."""
        header = {"format_version": FORMAT_VERSION, "class_name": type(self).__name__, "params": self.get_params(),
                  "n_frames": self.n_frames_, "boot": self._boot, "busy": self._busy,
                  "camera_shift": list(self.camera_shift_), "offset": list(self._offset), "held": self._held,
                  "pan": self._pan, "centre": list(self._centre), "fg": self._fg,
                  "frame_shape": None if self._frame_shape is None else list(self._frame_shape),
                  "frame_ndim": self._frame_ndim}
        arrays = {name: None if getattr(self, f"_{name}") is None else getattr(self, f"_{name}").copy()
                  for name in _ARRAYS}
        return {"header": header, "arrays": arrays}

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as an ``.npz`` file (written as given, no suffix added)."""
        sd = self.state_dict()
        _records.write_file(path, sd["header"], sd["arrays"])

    @classmethod
    def load(cls, path: str | Path) -> AdaptiveMixtureSubtractor:
        """Read a model written by :meth:`save`; the masks that follow equal the saved model's.
        Raises ``ValueError`` for a corrupt, foreign or inconsistent file."""
        meta, arrays, bad = _records.read_file(path, cls.__name__, FORMAT_VERSION)
        try:
            model = cls(**meta["params"])
            n_frames, boot, busy = int(meta["n_frames"]), int(meta["boot"]), int(meta["busy"])
            # the camera's offset (absent from files of before the re-anchoring: no offset kept)
            camera = [tuple(int(v) for v in meta.get(key, (0, 0))) for key in ("camera_shift", "offset")]
            held, pan, fg = (int(meta.get(key, 0)) for key in ("held", "pan", "fg"))
            centre = tuple(float(v) for v in meta.get("centre", (0.0, 0.0)))
            shape, ndim = meta["frame_shape"], int(meta["frame_ndim"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{bad}: {exc}") from None
        if shape is None:
            if arrays or n_frames != 0:
                raise ValueError(f"{bad}: state without a frame shape.")
            return model
        shape = tuple(int(s) for s in shape)
        if len(shape) != 3 or shape[2] not in (1, 3) or min(shape) < 1 or ndim not in (2, 3) or n_frames < 1:
            raise ValueError(f"{bad}: inconsistent frame shape {shape} / frame count {n_frames}.")
        model._allocate(shape, ndim)
        for name in _ARRAYS:
            target = getattr(model, f"_{name}")
            got = arrays.get(name)
            if got is None or got.shape != target.shape or got.dtype != target.dtype:
                raise ValueError(f"{bad}: array {name!r} is missing or has the wrong shape or dtype.")
            target[...] = got
        if not np.isfinite(model._rec).all():
            raise ValueError(f"{bad}: the state holds NaN or infinity.")
        if any(len(v) != 2 for v in camera) or len(centre) != 2 or not np.isfinite(centre).all():
            raise ValueError(f"{bad}: camera offset {camera} or centre {centre} is not (dy, dx).")
        model.n_frames_, model._boot, model._busy = n_frames, boot, busy
        (model.camera_shift_, model._offset), model._held, model._pan, model._fg = camera, held, pan, fg
        model._centre = centre
        return model


def _shift_into(dst: np.ndarray, src: np.ndarray, shift: tuple[int, int], fill: np.ndarray | int) -> np.ndarray:
    """``dst[y, x] = src[y + dy, x + dx]`` where that is inside ``src``, else ``fill[y, x]`` (an
    array of ``dst``'s shape) or the scalar ``fill``; returns ``dst``.  Copies only the strips."""
    dy, dx = shift
    H, W = dst.shape[:2]
    y0, y1, x0, x1 = _inside(H, W, shift)
    dst[y0:y1, x0:x1] = src[y0 + dy:y1 + dy, x0 + dx:x1 + dx]
    for rows, cols in _strips(H, W, shift):
        rows, cols = slice(*rows), slice(*cols)
        dst[rows, cols] = fill if np.isscalar(fill) else fill[rows, cols]
    return dst


def _strips(H: int, W: int, shift: tuple[int, int]) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """The rectangles ``((row0, row1), (col0, col1))`` of an (H, W) image whose pixel ``(y + dy,
    x + dx)`` is outside it: rows above and below (full width), then columns left and right."""
    y0, y1, x0, x1 = _inside(H, W, shift)
    return (((0, y0), (0, W)), ((y1, H), (0, W)), ((y0, y1), (0, x0)), ((y0, y1), (x1, W)))


def _inside(H: int, W: int, shift: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the rows ``y0..y1 - 1`` and columns ``x0..x1 - 1`` of an (H, W) image whose
    pixel ``(y + dy, x + dx)`` is inside it."""
    dy, dx = shift
    return max(0, -dy), min(H, H - dy), max(0, -dx), min(W, W - dx)


def _sample_range(n: int, centres: list[tuple[int, int]]) -> tuple[int, int]:
    """The sample positions ``lo..hi - 1`` along an axis of ``n`` pixels at which every shift
    within ``r`` of each centre ``(c, r)`` reads inside the image (``_motion_kernel.shift_costs``):
    ``R .. n - R - 2`` for the one centre ``(0, R)``."""
    lo = max(max(0, r - c) for c, r in centres)
    hi = min(min(n - 1, n - r - 1 - c) for c, r in centres)
    return lo, max(lo, hi)


def _sample_area(H: int, W: int, windows: list[tuple[int, int, int]]) -> int:
    """Pixels of the region the windows ``(cy, cx, r)`` are scored on."""
    rows = _sample_range(H, [(cy, r) for cy, _, r in windows])
    cols = _sample_range(W, [(cx, r) for _, cx, r in windows])
    return (rows[1] - rows[0]) * (cols[1] - cols[0])
