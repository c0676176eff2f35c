"""The online per-pixel mixture subtractors' base class: parameters, learning-rate schedule, apply(),
background_image(), warm_up() and persistence.

The state's records, its layout vector and the file format are in :mod:`._records`; the kernels in
:mod:`._mog2_kernel`, :mod:`._mog_kernel` and :mod:`._modes` (module map there).  ``apply`` validates
the frame and the learning rate, then hands the frame to the subclass's ``_update``, which calls its
model's kernel entry point directly: ``MOG2.apply -> MOG2._update -> _mog2_kernel.update``.
"""

from __future__ import annotations

import functools
import numbers
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._params import Params
from .._validate import check_frame, check_same_frame_shape
from . import _records
from ._modes import background_image as _background_image_kernel

BLOCK_ROWS = 4
"""Image rows per block of pixels that the kernels deal to the threads."""


class _InstanceOrDefault:
    """A method that runs on the instance it is called on, or, called on the class, on a new
    instance with the default parameters (``Class.warm_up()`` and ``model.warm_up()``)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.__func__ = func
        functools.update_wrapper(self, func)

    def __get__(self, obj: Any, cls: type | None = None) -> Callable[..., Any]:
        return types.MethodType(self.__func__, cls() if obj is None else obj)


def check_learning_rate(learning_rate: Any) -> float:
    """``learning_rate`` as a float: negative = automatic, 0 = frozen, 1 = re-initialise, at most 1."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a real number; got {learning_rate!r}.")
    lr = float(learning_rate)
    if lr != lr or lr > 1.0:  # noqa: PLR0124 (NaN)
        raise ValueError(
            f"learning_rate must be <= 1 (negative = automatic, 0 = frozen, 1 = re-initialise); got {lr!r}."
        )
    return lr


def check_known_foreground(known_fg: Any, H: int, W: int) -> np.ndarray:
    """A bool/uint8 (H, W) mask of pixels known to be foreground, as a C-contiguous uint8 view."""
    kf = np.asarray(known_fg)
    if kf.dtype not in (np.bool_, np.uint8):
        raise TypeError(f"known_foreground must be a bool or uint8 array; got dtype {kf.dtype}.")
    if kf.ndim == 3 and kf.shape[2] == 1:
        kf = kf[:, :, 0]
    if kf.shape != (H, W):
        raise ValueError(f"known_foreground must have shape {(H, W)} like the frame; got {kf.shape}.")
    kf = np.ascontiguousarray(kf)
    return kf.view(np.uint8)


def check_out(out: Any, H: int, W: int) -> np.ndarray:
    """The caller's mask buffer (uint8, (H, W), C-contiguous, writeable), or a new one when None."""
    if out is None:
        return np.empty((H, W), dtype=np.uint8)
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8:
        raise TypeError(f"out must be a uint8 numpy array; got {type(out).__name__} "
                        f"{getattr(out, 'dtype', '')}.")
    if out.shape != (H, W) or not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"out must be a writeable C-contiguous array of shape {(H, W)}; got shape "
                         f"{out.shape}.")
    return out


class CheckedParams(Params):
    """Parameters checked on construction, by :meth:`set_params` and on attribute assignment alike.

    Subclasses implement ``_validated(params)`` (the checks, returning the normalised values) and
    ``_derive()`` (what the kernels need, from the attributes), and may refuse a change in
    ``_check_change(params)``.  Assigning anything that is not a parameter, a private or a fitted
    attribute raises ``AttributeError`` with the close match.
    """

    @staticmethod
    def _validated(params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _derive(self) -> None:
        raise NotImplementedError

    def _check_change(self, params: dict[str, Any]) -> None:
        """Raise ``ValueError`` for a change that cannot be made now (default: none)."""

    def _set_checked_params(self, params: dict[str, Any]) -> None:
        """Check ``params`` with the constructor's rules (merged with the current values) and store
        them; they apply from the next frame."""
        self._check_change(params)
        current = self.get_params() if "_prm" in self.__dict__ else {}
        for name, value in self._validated({**current, **params}).items():
            object.__setattr__(self, name, value)
        self._derive()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._param_names() and "_prm" in self.__dict__:
            self.set_params(**{name: value})  # validated, and the kernel's parameter vector follows
        else:
            self._check_attribute(name)  # a typo (m.varThreshold = 100) is an AttributeError, not a new attribute
            object.__setattr__(self, name, value)


class PixelMixtureSubtractor(CheckedParams):
    """Base class: validation, state handling, learning-rate schedule and persistence.

    Subclasses define ``_AUTO_RATE_FACTOR`` (2 for MOG2, 1 for MOG), ``_WITH_COUNT`` (records start
    with a mode count), ``_SPLIT`` (main + overflow records), ``_RECORD_ALIGN`` (in-memory padding
    of the main records), ``_WEIGHT_FIELD``/``_MEAN_FIELD`` (positions in a mode),
    ``_mode_fields(C)``, ``_validated(params)`` (the constructor's checks, returning the
    normalised values), ``_derive()`` (the float32 parameter vector ``_prm`` of their kernel, from
    the attributes) and ``_update(frame, mask, alpha, known_fg, use_known_fg)``, which writes the
    per-frame entries of ``_prm`` and calls their kernel.  Parameters set after construction
    (``model.var_threshold = 25`` or :meth:`set_params`) are validated the same way and apply
    from the next frame.
    """

    _AUTO_RATE_FACTOR = 1
    _WITH_COUNT = True
    _SPLIT = False
    _RECORD_ALIGN = _records.RECORD_ALIGN
    _WEIGHT_FIELD = 0
    _MEAN_FIELD = 2

    def __init__(self) -> None:
        self.reset()

    # ------------------------------------------------------------------ parameters
    def _check_change(self, params: dict[str, Any]) -> None:
        """``n_mixtures`` sizes the state: it can change only before the first frame or after reset()."""
        if ("n_mixtures" in params and getattr(self, "state_", None) is not None
                and params["n_mixtures"] != self.n_mixtures):
            raise ValueError("n_mixtures sizes the model's state and cannot change once frames have been seen; "
                             "call reset() first (or make a new subtractor).")

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget the model; the next frame starts a new one (and may have another shape)."""
        self.n_frames_ = 0
        self.state_: np.ndarray | None = None
        self.overflow_: np.ndarray | None = None
        self._frame_shape: tuple[int, int, int] | None = None
        self._frame_ndim = 3
        self._buf: _records.StateBuffer | None = None
        self._block = 0
        self._stage: dict[Any, np.ndarray] = {}

    def _mode_fields(self, n_channels: int) -> list[tuple]:
        raise NotImplementedError

    def _allocate(self, shape: tuple[int, int, int], ndim: int) -> None:
        """Zeroed model for frames of ``shape`` (see :func:`._records.allocate`)."""
        H, W, C = shape
        self._buf = _records.allocate(self._mode_fields(C), self.n_mixtures, self._WITH_COUNT, self._SPLIT,
                                      self._RECORD_ALIGN, H, W)
        self.state_ = self._buf.main
        self.overflow_ = self._buf.overflow
        self._block = BLOCK_ROWS * W
        self._frame_shape = shape
        self._frame_ndim = ndim

    def per_pixel_state(self) -> np.ndarray:
        """A copy of the model as one record per pixel, all modes in order: structured (H, W) with
        ``n_modes`` (MOG2) and ``modes[K]`` of the per-mode fields (the layout of format 1)."""
        if self._buf is None:
            from ..exceptions import NotFittedError  # imports scikit-learn when installed: only when raising

            raise NotFittedError(f"This {type(self).__name__} has seen no frame yet.")
        return _records.per_pixel_state(self._buf, self._mode_fields(self._frame_shape[2]), self.n_mixtures,
                                        self._WITH_COUNT)

    def _set_per_pixel_state(self, state: np.ndarray) -> None:
        """Inverse of :meth:`per_pixel_state` (into the allocated model)."""
        _records.set_per_pixel_state(self._buf, state, self._WITH_COUNT)

    @_InstanceOrDefault
    def warm_up(self, *, channels: int | None = None, dtype: type = np.uint8) -> None:
        """Compile (or load from Numba's cache) what :meth:`apply` and :meth:`background_image` of this
        model will run on frames of ``channels`` channels and ``dtype``, leaving the model untouched.

        ``Model.warm_up()`` does it for the default parameters, ``model.warm_up()`` for the
        model's own (e.g. bgsegm MOG's kernel for K = 5 is not the one for other K).  ``channels``
        defaults to that of the frames seen so far, else 3.  Only these specialisations are
        compiled, so calling it once at start-up moves the compilation out of the first apply on
        real video.
        """
        if channels is None:
            channels = 3 if self._frame_shape is None else self._frame_shape[2]
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
        scratch = type(self)(**self.get_params())
        scratch.apply(np.zeros((2, 2, channels), dtype=dtype))
        scratch.background_image()

    # ------------------------------------------------------------------ apply
    def _staged(self, arr: np.ndarray, key: str) -> np.ndarray:
        """``arr`` as a C-contiguous array, copying into a reused buffer when its strides are odd."""
        if arr.flags.c_contiguous:
            return arr
        buf = self._stage.get((key, arr.dtype.str))
        if buf is None or buf.shape != arr.shape:
            buf = np.empty(arr.shape, dtype=arr.dtype)
            self._stage[(key, arr.dtype.str)] = buf
        np.copyto(buf, arr)
        return buf

    def apply(
        self,
        frame: np.ndarray,
        learning_rate: float = -1.0,
        *,
        known_foreground: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Update the model with ``frame`` and return its foreground mask.

        Parameters
        ----------
        frame : ndarray
            (H, W), (H, W, 1) or (H, W, 3); uint8, or float32/float64 with values in [0, 255];
            any strides.  The first frame fixes the shape and channel count until :meth:`reset`.
        learning_rate : float, default -1
            Negative: automatic (see the class docstring); 0: the model is not updated;
            1: re-initialise the model from this frame; in between: the update rate.
        known_foreground : ndarray of bool or uint8, shape (H, W), optional
            Nonzero pixels are reported as foreground (255) and their models are left untouched.
        out : ndarray of uint8, shape (H, W), C-contiguous, optional
            Receives the mask; nothing is allocated per frame when it is given.

        Returns
        -------
        mask : ndarray of uint8, shape (H, W)
            0 background, 255 foreground (MOG2: ``shadow_value`` for shadows).
        """
        f = check_frame(frame)
        lr = check_learning_rate(learning_rate)
        if self._frame_shape is not None:
            check_same_frame_shape(f, self._frame_shape)
        H, W = f.shape[:2]
        if known_foreground is None:
            kf = self._dummy_known_fg()
            use_kf = False
        else:
            kf = check_known_foreground(known_foreground, H, W)
            use_kf = True
        mask = check_out(out, H, W)
        fresh = self._frame_shape is None
        if fresh:
            self._allocate(f.shape, np.ndim(frame))  # zeroed
        f = self._staged(f, "frame")
        if (self.n_frames_ == 0 and not fresh) or lr >= 1.0:
            self._buf.raw[...] = 0
            self.n_frames_ = 0
        self.n_frames_ += 1
        n = self.n_frames_
        alpha = lr if (lr >= 0.0 and n > 1) else 1.0 / min(self._AUTO_RATE_FACTOR * n, self.history)
        self._update(f.reshape(H * W, f.shape[2]), mask.reshape(H * W), alpha, kf.reshape(-1), use_kf)
        return mask

    def _dummy_known_fg(self) -> np.ndarray:
        kf = self._stage.get("no_known_fg")
        if kf is None:
            kf = np.zeros((1, 1), dtype=np.uint8)
            self._stage["no_known_fg"] = kf
        return kf

    def _update(self, frame: np.ndarray, mask: np.ndarray, alpha: float, known_fg: np.ndarray,
                use_known_fg: bool) -> None:
        """Run the model's kernel on ``frame`` (H*W, C) with learning rate ``alpha``, mask into ``mask``."""
        raise NotImplementedError

    # ------------------------------------------------------------ background
    def _mode_counts(self) -> np.ndarray:
        """Modes in use per pixel, (H*W,)."""
        return self._buf.cnt[:, 0]

    def background_image(self) -> np.ndarray:
        """The background as an image: uint8, same shape and channels as the frames.

        Per pixel, the means of the modes (in their sorted order) are weight-averaged until the
        cumulative weight exceeds ``background_ratio`` (OpenCV ``getBackgroundImage``), then rounded
        half-to-even and clipped to 0..255.
        """
        if self.state_ is None or self.n_frames_ == 0:
            from ..exceptions import NotFittedError  # imports scikit-learn when installed: only when raising

            raise NotFittedError(
                f"This {type(self).__name__} has seen no frame yet; call apply(frame) before background_image()."
            )
        H, W, C = self._frame_shape
        out = np.empty((H, W, C), dtype=np.uint8)
        b = self._buf
        _background_image_kernel(b.flat, b.layout, self._mode_counts(), self._WEIGHT_FIELD, self._MEAN_FIELD,
                                 np.float32(self.background_ratio), out.reshape(H * W, C))
        return out[:, :, 0] if self._frame_ndim == 2 else out

    # ------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this model elsewhere (copies, not views).

        ``state`` is :meth:`per_pixel_state` (one record per pixel, all modes in order), so saved
        files do not depend on the in-memory layout: files written before the main/overflow split
        (same format version) load unchanged."""
        return {
            "format_version": _records.FORMAT_VERSION,
            "class_name": type(self).__name__,
            "params": self.get_params(),
            "n_frames": self.n_frames_,
            "frame_shape": None if self._frame_shape is None else tuple(self._frame_shape),
            "frame_ndim": self._frame_ndim,
            "state": None if self._buf is None else self.per_pixel_state(),
        }

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as an ``.npz`` file (written as given, no suffix added)."""
        sd = self.state_dict()
        _records.write_file(path, {k: sd[k] for k in _records.META_KEYS}, {"state": sd["state"]})

    @classmethod
    def load(cls, path: str | Path):
        """Read a model written by :meth:`save`; raises ``ValueError`` for a corrupt or foreign file."""
        meta, arrays, bad = _records.read_file(path, cls.__name__)
        state = arrays.get("state")
        try:
            model = cls(**meta["params"])
            n_frames = int(meta["n_frames"])
            shape, ndim = meta["frame_shape"], int(meta["frame_ndim"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{bad}: {exc}") from None
        if shape is None:
            if state is not None or n_frames != 0:
                raise ValueError(f"{bad}: state without a frame shape.")
            return model
        shape = tuple(int(s) for s in shape)
        _records.check_state(bad, state, shape, ndim, n_frames, model._mode_fields, model.n_mixtures,
                             model._WITH_COUNT)
        model._allocate(shape, ndim)
        model._set_per_pixel_state(state)
        model.n_frames_ = n_frames
        return model
