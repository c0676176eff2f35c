"""Shared machinery of the per-pixel mixture subtractors: state allocation, apply(), save/load.

State layout
------------
The model lives in numpy *structured* arrays, one record per pixel, in one cache-line aligned
buffer::

    state_    (H, W): n_modes : uint8                (modes in use; MOG2 only)
                      modes   : M x {per-mode fields}  (the first M modes)
    overflow_ (H, W): modes   : (K - M) x {per-mode fields}   (None when M == K)

    MOG2 mode: weight, variance, mean[C];  MOG mode: sort_key, weight, mean[C], variance[C]

MOG2's ``state_`` records are padded to 64 bytes (``RECORD_ALIGN``); MOG's are not padded (160
bytes for K = 5 in colour, 80 in gray, instead of 192 and 128): its update reads and writes all K
modes of every pixel every frame, as OpenCV's does, so there is no line to keep idle, and the
model takes 17 % (colour) / 37 % (gray) less memory.  Speed was indistinguishable (1920x1080
highway, 2 threads, kernel only, padded vs unpadded in separate processes on a noisy VM,
2026-11-25: medians 11.1-17.3 ns/pixel for both).  Files always hold the padded format-1
records of :meth:`PixelMixtureSubtractor.per_pixel_state`, whatever the in-memory layout.

For MOG2 the main record is exactly one cache line: the count and as many modes as fit (M = 3
modes of 20 bytes in colour, 5 of 12 bytes in gray); modes M..K-1 go to the pixel's overflow
record (packed, 40 bytes for the default K = 5 in colour), all overflow records following all
main records.  MOG keeps all its modes in
its main record.  :meth:`PixelMixtureSubtractor.per_pixel_state` reassembles one record
per pixel with all K modes in order; that is also what ``state_dict()``/``save()`` store, so files
do not depend on this in-memory split.

Why: a pixel uses 1.7 modes on average on the highway sequence (65 % one mode, 90 % at most
three), so the one-line main record holds nearly everything; the earlier layout (count + K modes
in one 128-byte record) left the second line of every record idle but still streamed in with the
first by the hardware prefetcher, which at 1920x1080 (265 MB of state) made the kernel memory
bound.  Measured on 2026-11-25 (AMD EPYC Zen 4, 2 cores shared with other jobs, highway frames,
default MOG2, colour, 1 thread, the same kernel on both layouts, state restored before each of 8-40
alternated runs, best run): at 1920x1080 17.7 ms/frame split vs 26.1 ms with 128-byte records
(27.0 ms for the kernel before this change); at 320x240 0.93 vs 0.96 ms (1.10 ms before).
Smaller main records lose to the overflow traffic they cause: 48 bytes (2 modes) 18.3 ms and 32
bytes (1 mode) 22.4 ms at 1920x1080 (64 bytes: 17.6-17.7 ms in the same runs); at 2 threads
64-byte main records 9.2 ms vs 9.4 ms for 48 bytes.
Kernels get the whole buffer as one row of floats plus float32/uint8 (H*W, R) views of the main
records (column 0 of the uint8 view is the MOG2 mode count); :func:`_pixel.pixel_bases` and
:func:`_pixel.mode_offset` locate mode m of pixel p.  Swapping two modes is a swap of ``L``
floats wherever they are.  OpenCV's own layout (weights/variances and means in two arrays) was
not kept because interleaving keeps a pixel's data in one line.
"""

from __future__ import annotations

import json
import numbers
import zipfile
from pathlib import Path
from typing import Any

import numba
import numpy as np

from .._validate import check_frame, check_same_frame_shape
from .._params import Params

FORMAT_VERSION = 1
CACHE_LINE = 64
RECORD_ALIGN = 64
"""Records of the file format are padded to a multiple of this many bytes; in memory each class
pads its main records to its ``_RECORD_ALIGN`` (MOG2: this, MOG: 4, i.e. unpadded)."""
BLOCK_ROWS = 4
"""Rows per ``prange`` iteration."""


def _aligned_zeros(dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """Zero-filled array of ``dtype`` whose data starts on a cache-line boundary."""
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.zeros(nbytes + CACHE_LINE, dtype=np.uint8)
    start = (-raw.ctypes.data) % CACHE_LINE
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def record_dtype(mode_fields: list[tuple], n_mixtures: int, with_count: bool,
                 align: int = RECORD_ALIGN) -> np.dtype:
    """Per-pixel record: optional uint8 mode count, then ``n_mixtures`` modes of float32 fields,
    padded to a multiple of ``align`` bytes (the default is the file format's)."""
    mode = np.dtype(mode_fields)
    names, formats, offsets = [], [], []
    offset = 0
    if with_count:
        names.append("n_modes")
        formats.append(np.uint8)
        offsets.append(0)
        offset = 4
    names.append("modes")
    formats.append((mode, (n_mixtures,)))
    offsets.append(offset)
    size = offset + mode.itemsize * n_mixtures
    if align > 1:
        size = -(-size // align) * align
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})


class PixelMixtureSubtractor(Params):
    """Base class: validation, state handling, learning-rate schedule and persistence.

    Subclasses define ``_AUTO_RATE_FACTOR`` (2 for MOG2,
    1 for MOG), ``_MODEL`` (the ``_pixel.MODEL_*`` kernel), ``_WEIGHT_FIELD``/``_MEAN_FIELD``
    (positions in a mode), ``_mode_fields(C)``, ``_WITH_COUNT``, ``_RECORD_ALIGN`` (in-memory
    padding of the main records), ``_validated(params)`` (the constructor's checks, returning the
    normalised values), ``_derive()`` (the float32 parameter vector ``_prm`` in the kernel's order,
    from the attributes) and ``_set_rate(alpha)``, which writes the per-frame entries.  Parameters
    set after construction (``model.var_threshold = 25`` or :meth:`set_params`) are validated the
    same way and apply from the next frame.
    """

    _AUTO_RATE_FACTOR = 1
    _MODEL = -1
    _WITH_COUNT = True
    _SPLIT = False
    _RECORD_ALIGN = RECORD_ALIGN
    _WEIGHT_FIELD = 0
    _MEAN_FIELD = 2

    def __init__(self) -> None:
        self.reset()

    # ------------------------------------------------------------------ parameters
    @staticmethod
    def _validated(params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _derive(self) -> None:
        raise NotImplementedError

    def _set_checked_params(self, params: dict[str, Any]) -> None:
        """Check ``params`` with the constructor's rules (merged with the current values) and store them.

        ``n_mixtures`` sizes the state, so it can change only before the first frame or after
        :meth:`reset`; the other parameters apply from the next frame."""
        if ("n_mixtures" in params and getattr(self, "state_", None) is not None
                and params["n_mixtures"] != self.n_mixtures):
            raise ValueError("n_mixtures sizes the model's state and cannot change once frames have been seen; "
                             "call reset() first (or make a new subtractor).")
        current = self.get_params() if "_prm" in self.__dict__ else {}
        for name, value in self._validated({**current, **params}).items():
            object.__setattr__(self, name, value)
        self._derive()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._param_names() and "_prm" in self.__dict__:
            self.set_params(**{name: value})  # validated, and the kernel's parameter vector follows
        else:
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget the model; the next frame starts a new one (and may have another shape)."""
        self.n_frames_ = 0
        self.state_: np.ndarray | None = None
        self.overflow_: np.ndarray | None = None
        self._frame_shape: tuple[int, int, int] | None = None
        self._frame_ndim = 3
        self._raw: np.ndarray | None = None
        self._flat: np.ndarray | None = None
        self._st: np.ndarray | None = None
        self._cnt: np.ndarray | None = None
        self._layout: np.ndarray | None = None
        self._stage: dict[Any, np.ndarray] = {}

    def _mode_fields(self, n_channels: int) -> list[tuple]:
        raise NotImplementedError

    def _dtypes(self, n_channels: int) -> tuple[np.dtype, np.dtype | None]:
        """(main record, overflow record or None) for frames of ``n_channels`` channels."""
        K = self.n_mixtures
        fields = self._mode_fields(n_channels)
        head = 4 if self._WITH_COUNT else 0
        M = min(K, (CACHE_LINE - head) // np.dtype(fields).itemsize) if self._SPLIT else K
        main = record_dtype(fields, M, self._WITH_COUNT, self._RECORD_ALIGN)
        over = None if M == K else np.dtype([("modes", np.dtype(fields), (K - M,))])
        return main, over

    def _allocate(self, shape: tuple[int, int, int], ndim: int) -> None:
        """Zeroed model for frames of ``shape``: main and overflow records in one aligned buffer."""
        H, W, C = shape
        main_dt, over_dt = self._dtypes(C)
        n = H * W
        n_main = n * main_dt.itemsize
        raw = _aligned_zeros(np.dtype(np.uint8), (n_main + (0 if over_dt is None else n * over_dt.itemsize),))
        self._raw = raw
        self.state_ = raw[:n_main].view(main_dt).reshape(H, W)
        self.overflow_ = None if over_dt is None else raw[n_main:].view(over_dt).reshape(H, W)
        flat = raw[:n_main].reshape(n, main_dt.itemsize)
        self._flat = raw.view(np.float32).reshape(1, -1)  # the whole state as one row of floats
        self._st = flat.view(np.float32)  # (H*W, R) floats of each main record
        self._cnt = flat  # (H*W, bytes); column 0 is the MOG2 mode count
        L = np.dtype(self._mode_fields(C)).itemsize // 4
        # where mode m of pixel p starts, in floats of _flat (see _pixel.mode_offset)
        self._layout = np.array([main_dt.fields["modes"][1] // 4, main_dt["modes"].shape[0], L,
                                 main_dt.itemsize // 4, n_main // 4,
                                 0 if over_dt is None else over_dt.itemsize // 4], dtype=np.int64)
        self._frame_shape = shape
        self._frame_ndim = ndim

    def per_pixel_state(self) -> np.ndarray:
        """A copy of the model as one record per pixel, all modes in order: structured (H, W) with
        ``n_modes`` (MOG2) and ``modes[K]`` of the per-mode fields (the layout of format 1)."""
        if self.state_ is None:
            from ..exceptions import NotFittedError  # imports scikit-learn when installed: only when raising

            raise NotFittedError(f"This {type(self).__name__} has seen no frame yet.")
        out = np.zeros(self.state_.shape, dtype=record_dtype(self._mode_fields(self._frame_shape[2]),
                                                              self.n_mixtures, self._WITH_COUNT))
        M = self.state_.dtype["modes"].shape[0]
        if self._WITH_COUNT:
            out["n_modes"] = self.state_["n_modes"]
        out["modes"][..., :M] = self.state_["modes"]
        if self.overflow_ is not None:
            out["modes"][..., M:] = self.overflow_["modes"]
        return out

    def _set_per_pixel_state(self, state: np.ndarray) -> None:
        """Inverse of :meth:`per_pixel_state` (into the allocated model)."""
        M = self.state_.dtype["modes"].shape[0]
        if self._WITH_COUNT:
            self.state_["n_modes"] = state["n_modes"]
        self.state_["modes"] = state["modes"][..., :M]
        if self.overflow_ is not None:
            self.overflow_["modes"] = state["modes"][..., M:]

    @classmethod
    def warm_up(cls, *, channels: int = 3, dtype: type = np.uint8) -> None:
        """Compile (or load from Numba's cache) the kernel for one channel count and frame dtype.

        Only this specialisation is compiled, so calling it once at start-up moves the
        compilation out of the first :meth:`apply` on real video.
        """
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
        cls().apply(np.zeros((2, 2, channels), dtype=dtype))

    # ------------------------------------------------------------------ apply
    def _check_learning_rate(self, learning_rate: Any) -> float:
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise TypeError(f"learning_rate must be a real number; got {learning_rate!r}.")
        lr = float(learning_rate)
        if lr != lr or lr > 1.0:
            raise ValueError(
                f"learning_rate must be <= 1 (negative = automatic, 0 = frozen, 1 = re-initialise); got {lr!r}."
            )
        return lr

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
        lr = self._check_learning_rate(learning_rate)
        if self._frame_shape is not None:
            check_same_frame_shape(f, self._frame_shape)
        H, W = f.shape[:2]
        if known_foreground is None:
            kf = self._dummy_known_fg()
            use_kf = False
        else:
            kf = self._check_known_fg(known_foreground, H, W)
            use_kf = True
        mask = self._check_out(out, H, W)
        if self._frame_shape is None:
            self._allocate(f.shape, np.ndim(frame))
        f = self._staged(f, "frame")
        if self.n_frames_ == 0 or lr >= 1.0:
            self._raw[...] = 0
            self.n_frames_ = 0
        self.n_frames_ += 1
        n = self.n_frames_
        alpha = lr if (lr >= 0.0 and n > 1) else 1.0 / min(self._AUTO_RATE_FACTOR * n, self.history)
        self._run(f.reshape(H * W, f.shape[2]), mask.reshape(H * W), alpha, kf.reshape(-1), use_kf)
        return mask

    def _dummy_known_fg(self) -> np.ndarray:
        kf = self._stage.get("no_known_fg")
        if kf is None:
            kf = np.zeros((1, 1), dtype=np.uint8)
            self._stage["no_known_fg"] = kf
        return kf

    @staticmethod
    def _check_known_fg(known_fg: Any, H: int, W: int) -> np.ndarray:
        kf = np.asarray(known_fg)
        if kf.dtype not in (np.bool_, np.uint8):
            raise TypeError(f"known_foreground must be a bool or uint8 array; got dtype {kf.dtype}.")
        if kf.ndim == 3 and kf.shape[2] == 1:
            kf = kf[:, :, 0]
        if kf.shape != (H, W):
            raise ValueError(f"known_foreground must have shape {(H, W)} like the frame; got {kf.shape}.")
        kf = np.ascontiguousarray(kf)
        return kf.view(np.uint8)

    @staticmethod
    def _check_out(out: Any, H: int, W: int) -> np.ndarray:
        if out is None:
            return np.empty((H, W), dtype=np.uint8)
        if not isinstance(out, np.ndarray) or out.dtype != np.uint8:
            raise TypeError(f"out must be a uint8 numpy array; got {type(out).__name__} "
                            f"{getattr(out, 'dtype', '')}.")
        if out.shape != (H, W) or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(f"out must be a writeable C-contiguous array of shape {(H, W)}; got shape "
                             f"{out.shape}.")
        return out

    def _set_rate(self, alpha: float) -> None:
        raise NotImplementedError

    def _run(self, frame: np.ndarray, mask: np.ndarray, alpha: float, known_fg: np.ndarray,
             use_known_fg: bool) -> None:
        from ._pixel import kernel_kind, update

        self._set_rate(alpha)
        update(kernel_kind(self._MODEL, frame.shape[1], self.n_mixtures), frame, self._flat, self._st, self._cnt,
               self._layout, known_fg, use_known_fg, mask, self.n_mixtures, self._prm, numba.get_num_threads(),
               BLOCK_ROWS * self._frame_shape[1])

    # ------------------------------------------------------------ background
    def _mode_counts(self) -> np.ndarray:
        """Modes in use per pixel, (H*W,)."""
        return self._cnt[:, 0]

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
        from ._pixel import background_image

        H, W, C = self._frame_shape
        out = np.empty((H, W, C), dtype=np.uint8)
        background_image(self._flat, self._layout, self._mode_counts(), self._WEIGHT_FIELD, self._MEAN_FIELD,
                         np.float32(self.background_ratio), out.reshape(H * W, C))
        return out[:, :, 0] if self._frame_ndim == 2 else out

    # ------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this model elsewhere (copies, not views).

        ``state`` is :meth:`per_pixel_state` (one record per pixel, all modes in order), so saved
        files do not depend on the in-memory layout: files written before the main/overflow split
        (same format version) load unchanged."""
        return {
            "format_version": FORMAT_VERSION,
            "class_name": type(self).__name__,
            "params": self.get_params(),
            "n_frames": self.n_frames_,
            "frame_shape": None if self._frame_shape is None else tuple(self._frame_shape),
            "frame_ndim": self._frame_ndim,
            "state": None if self.state_ is None else self.per_pixel_state(),
        }

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as an ``.npz`` file (written as given, no suffix added)."""
        sd = self.state_dict()
        meta = {k: sd[k] for k in ("format_version", "class_name", "params", "n_frames",
                                   "frame_shape", "frame_ndim")}
        arrays = {"meta": np.array(json.dumps(meta))}
        if sd["state"] is not None:
            arrays["state"] = sd["state"]
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path):
        """Read a model written by :meth:`save`; raises ``ValueError`` for a corrupt or foreign file."""
        bad = f"{path} is not a saved {cls.__name__} (corrupt, truncated or foreign file)"
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"][()]))
                state = data["state"] if "state" in data.files else None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError,
                UnicodeDecodeError, TypeError) as exc:
            raise ValueError(f"{bad}: {exc}") from None
        if not isinstance(meta, dict) or meta.get("class_name") != cls.__name__:
            raise ValueError(f"{bad}: it holds {meta.get('class_name') if isinstance(meta, dict) else meta!r}.")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{bad}: format version {meta.get('format_version')!r}, expected {FORMAT_VERSION}.")
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
        if state is None or len(shape) != 3 or shape[2] not in (1, 3) or ndim not in (2, 3) or n_frames < 1:
            raise ValueError(f"{bad}: inconsistent frame shape {shape} / frame count {n_frames}.")
        expected = record_dtype(model._mode_fields(shape[2]), model.n_mixtures, model._WITH_COUNT)
        if state.dtype != expected or state.shape != shape[:2]:
            raise ValueError(f"{bad}: state has dtype {state.dtype} and shape {state.shape}, expected "
                             f"{expected} and {shape[:2]}.")
        values = _float_values(state)
        if not np.isfinite(values).all():
            raise ValueError(f"{bad}: the state holds NaN or infinity.")
        if model._WITH_COUNT and (state["n_modes"] > model.n_mixtures).any():
            raise ValueError(f"{bad}: mode counts exceed n_mixtures.")
        model._allocate(shape, ndim)
        model._set_per_pixel_state(state)
        model.n_frames_ = n_frames
        return model


def _float_values(state: np.ndarray) -> np.ndarray:
    """All float fields of the modes, flattened (for the finiteness check of a loaded file)."""
    modes = state["modes"]
    return np.concatenate([np.asarray(modes[name], dtype=np.float32).ravel()
                           for name in modes.dtype.names])
