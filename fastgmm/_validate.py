"""Input checks shared by every public class.

Each function either returns a clean array / value or raises ``TypeError`` (wrong kind of thing)
or ``ValueError`` (right kind, wrong value) with a message that says what was wrong and how to fix it.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

_FLOATS = (np.float32, np.float64)


def is_dask_array(X: Any) -> bool:
    """True when ``X`` is a ``dask.array.Array`` (never imports dask: no dask module, no dask array)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)


def kernel_array(a: Any, dtype: Any) -> np.ndarray:
    """``a`` as a C-contiguous, writable array of ``dtype``: ``a`` itself when it already is one, else a copy.

    The kernels are compiled for writable arrays.  Numba types a read-only array (a memmap opened
    with mode ``"r"``, a broadcast view, the arrays of an estimator loaded with joblib's
    ``mmap_mode``) apart from a writable one and would compile every kernel it meets a second time
    for it (5-7 s of CPU for the EM pass alone; docs/performance.md, "Read-only twins of the batch
    kernels").  The price is one copy of a read-only input; for data larger than memory, use a
    dask array (its chunks are copied one at a time).
    """
    return np.require(np.asarray(a), dtype=dtype, requirements=["C", "W"])


def _is_numeric_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "biuf"


def check_array(
    X: Any,
    *,
    name: str = "X",
    min_samples: int = 1,
    n_features: int | None = None,
    dtype: np.dtype | type | None = None,
) -> np.ndarray:
    """Validate a 2-D sample matrix and return it as a C-contiguous float array.

    float32 stays float32 and float64 stays float64 (unless ``dtype`` forces one); every other
    numeric dtype (bool, ints) becomes float64.  Rejects non-numeric data, rank other than 2,
    empty arrays, NaN/inf, fewer than ``min_samples`` rows and a column count other than
    ``n_features``.
    """
    if isinstance(X, np.ndarray):
        arr = X
    else:
        try:
            arr = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a numeric array-like; got {type(X).__name__}: {exc}") from None
    if not _is_numeric_dtype(arr.dtype):
        raise TypeError(
            f"{name} must contain real numbers; got dtype {arr.dtype}. Convert it with "
            f"np.asarray({name}, dtype=float) first."
        )
    if arr.ndim != 2:
        hint = " Reshape 1-D data with X.reshape(-1, 1)." if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}.{hint}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one sample and one feature.")
    if dtype is None:
        dtype = arr.dtype if arr.dtype in _FLOATS else np.float64
    arr = kernel_array(arr, dtype)
    check_scale(arr, arr.shape, name=name)
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} samples but at least {min_samples} are needed "
            f"(one per component/cluster); use fewer components or more data."
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the estimator was fitted with {n_features} features."
        )
    return arr


def check_scale(values: np.ndarray, shape: tuple[int, int], *, name: str = "X") -> None:
    """Reject NaN/inf in ``values`` and magnitudes whose squares, summed over an array of ``shape``
    (``values`` may be a sample of its rows), overflow ``values``' dtype."""
    low, high = float(values.min()), float(values.max())  # NaN propagates; no array-sized temporary
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} contains NaN or infinity; remove or impute those rows first.")
    limit = math.sqrt(float(np.finfo(values.dtype).max) / (shape[0] * shape[1])) / 2.0
    if max(-low, high) > limit:
        raise ValueError(
            f"{name} has values up to {max(-low, high):.3g} in magnitude: their squares summed over "
            f"{shape[0]} samples overflow {values.dtype} (limit {limit:.3g} here). Rescale {name} first, "
            f"e.g. divide it by its largest absolute value."
        )


def check_sample_weight(sample_weight: Any, n_samples: int, *, dtype: Any = np.float64) -> np.ndarray:
    """Return non-negative finite weights of length ``n_samples`` (ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    sw = np.asarray(sample_weight)
    if not _is_numeric_dtype(sw.dtype):
        raise TypeError(f"sample_weight must be numeric; got dtype {sw.dtype}.")
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},) to match X; got shape {sw.shape}.")
    sw = kernel_array(sw, dtype)
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (sw < 0).any():
        raise ValueError("sample_weight must be non-negative; found negative weights.")
    if not (sw > 0).any():
        raise ValueError("sample_weight is zero everywhere; at least one sample needs a positive weight.")
    return sw


def check_scalar(
    value: Any,
    name: str,
    *,
    kind: type | tuple[type, ...] = numbers.Real,
    min_val: float | None = None,
    max_val: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> Any:
    """Check a scalar parameter's type and range (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(getattr(k, "__name__", str(k)) for k in kinds)
        raise TypeError(f"{name} must be {names}; got {value!r} of type {type(value).__name__}.")
    if isinstance(value, numbers.Real) and not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    if min_val is not None and (value < min_val or (not min_inclusive and value == min_val)):
        op = ">=" if min_inclusive else ">"
        raise ValueError(f"{name} must be {op} {min_val}; got {value!r}.")
    if max_val is not None and (value > max_val or (not max_inclusive and value == max_val)):
        op = "<=" if max_inclusive else "<"
        raise ValueError(f"{name} must be {op} {max_val}; got {value!r}.")
    return value


def check_option(value: Any, name: str, options: Iterable[str]) -> str:
    """Check that a string parameter is one of ``options``."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}.")
    return value


def check_random_state(seed: Any) -> np.random.Generator:
    """Turn ``None``, an int, a ``Generator`` or a ``RandomState`` into a ``np.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (numbers.Integral, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**31 - 1))
    raise TypeError(f"random_state must be None, an int or a numpy Generator; got {seed!r}.")


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`~fastgmm.exceptions.NotFittedError` unless ``estimator`` has ``attribute``."""
    if getattr(estimator, attribute, None) is None:
        from .exceptions import NotFittedError  # imports scikit-learn when installed: only when raising

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet; call 'fit' with appropriate "
            "arguments before using this method."
        )


def check_frame(frame: Any, *, name: str = "frame") -> np.ndarray:
    """Validate one video frame and return it as an (H, W, C) view, C in {1, 3}.

    Accepts uint8, float32 and float64 (floats expected in [0, 255]), gray (H, W), (H, W, 1) or
    colour (H, W, 3), with any strides; no copy is made.  Rejects other dtypes, ranks, channel
    counts, empty frames and NaN/inf in float frames.
    """
    if not isinstance(frame, np.ndarray):
        if frame is None:
            raise TypeError(f"{name} is None; pass a numpy array (did the video reader run out of frames?).")
        frame = np.asarray(frame)
    if frame.dtype not in (np.uint8, np.float32, np.float64):
        raise TypeError(
            f"{name} must have dtype uint8, float32 or float64 (values in 0..255); got {frame.dtype}. "
            "Convert with frame.astype(np.float32) or scale to uint8."
        )
    if frame.ndim == 2:
        frame = frame[:, :, None]
    elif frame.ndim != 3:
        raise ValueError(f"{name} must be (H, W) gray or (H, W, C) with C = 1 or 3; got shape {frame.shape}.")
    if frame.shape[2] not in (1, 3):
        raise ValueError(
            f"{name} must have 1 or 3 channels; got {frame.shape[2]} (shape {frame.shape}). "
            "Drop alpha with frame[..., :3] or convert to gray."
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {frame.shape}).")
    if frame.dtype != np.uint8:
        # the sum is finite when every value is finite and in range (0..255 cannot overflow it), and unlike
        # np.isfinite(frame).all() it allocates nothing of the frame's size (this runs every frame)
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.sum(frame)
        if not np.isfinite(total):
            if not np.isfinite(frame).all():
                raise ValueError(f"{name} contains NaN or infinity; float frames must be finite, in 0..255.")
            raise ValueError(f"{name} has values far outside 0..255 (their sum overflows); scale it to 0..255.")
    return frame


def check_same_frame_shape(frame: np.ndarray, expected: tuple[int, ...], *, name: str = "frame") -> None:
    """Raise if a (H, W, C) frame differs from the shape the model was initialised with."""
    if frame.shape != tuple(expected):
        raise ValueError(
            f"{name} has shape {frame.shape[:2]} with {frame.shape[2]} channel(s), but the model was "
            f"initialised with {tuple(expected[:2])} and {expected[2]} channel(s). Call reset() to start a "
            "new model for a different video."
        )


def check_frames(frames: Any, *, name: str = "frames") -> np.ndarray:
    """Validate a stack of training frames (T, H, W) or (T, H, W, C); return (T, H, W, C)."""
    if isinstance(frames, (list, tuple)):
        if len(frames) == 0:
            raise ValueError(f"{name} is empty; pass at least one frame.")
        first = check_frame(frames[0], name=f"{name}[0]")
        out = np.empty((len(frames),) + first.shape, dtype=first.dtype)
        for t, f in enumerate(frames):
            f = check_frame(f, name=f"{name}[{t}]")
            check_same_frame_shape(f, first.shape, name=f"{name}[{t}]")
            out[t] = f
        return out
    arr = np.asarray(frames)
    if arr.ndim not in (3, 4):
        raise ValueError(f"{name} must be (T, H, W) or (T, H, W, C); got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; pass at least one frame.")
    if arr.ndim == 3:
        arr = arr[..., None]
    check_frame(arr[0], name=f"{name}[0]")
    if arr.dtype != np.uint8 and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; float frames must be finite, in 0..255.")
    return arr
