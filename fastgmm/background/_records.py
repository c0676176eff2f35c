"""The per-pixel records of the online subtractors: dtypes, the aligned state buffer, its layout vector,
and the file format (per-pixel state assembly, save/load helpers).

In memory
---------
The model lives in numpy *structured* arrays, one record per pixel, in one cache-line aligned
buffer::

    state_    (H, W): n_modes : uint8                (modes in use; MOG2 only)
                      modes   : M x {per-mode fields}  (the first M modes)
    overflow_ (H, W): modes   : (K - M) x {per-mode fields}   (None when M == K)

    MOG2 mode: weight, variance, mean[C];  MOG mode: sort_key, weight, mean[C], variance[C]

MOG2's main record is one 64-byte cache line (``RECORD_ALIGN``): the count and as many modes as
fit (M = 3 in colour, 5 in gray); the other modes go to the pixel's packed overflow record, all
overflow records after all main records.  Most pixels use one or two modes, so the main line
holds nearly everything.  MOG keeps all K modes unpadded in its main record (its update touches
all of them every frame).  Why these layouts, and the measurements: docs/performance.md
("MOG2 state layout", "MOG records unpadded").

Kernels get the whole buffer as one row of floats plus float32/uint8 (H*W, R) views of the main
records, and the layout vector (:func:`layout_vector`, positions ``_modes.LAY_*``) that locates
mode m of pixel p.

In files
--------
:func:`per_pixel_state` reassembles one record per pixel with all K modes in order, padded to a
multiple of ``RECORD_ALIGN`` bytes: format ``FORMAT_VERSION`` = 1, whatever the in-memory layout,
so files written before the main/overflow split load unchanged.  :func:`write_file` and
:func:`read_file` store it beside a JSON header in an ``.npz``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._modes import (
    LAY_HEAD,
    LAY_L,
    LAY_M,
    LAY_MAIN_FLOATS,
    LAY_OVERFLOW_FLOATS,
    LAY_OVERFLOW_START,
    N_LAY,
)

FORMAT_VERSION = 1
CACHE_LINE = 64
RECORD_ALIGN = 64
"""Records of the file format are padded to a multiple of this many bytes; in memory each class
pads its main records to its ``_RECORD_ALIGN`` (MOG2: this, MOG: 4, i.e. unpadded)."""
COUNT_BYTES = 4
"""Bytes before the first mode of a record with a mode count (uint8 count, then padding)."""


def aligned_zeros(dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
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
        offset = COUNT_BYTES
    names.append("modes")
    formats.append((mode, (n_mixtures,)))
    offsets.append(offset)
    size = offset + mode.itemsize * n_mixtures
    if align > 1:
        size = -(-size // align) * align
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})


def memory_dtypes(mode_fields: list[tuple], n_mixtures: int, with_count: bool, split: bool,
                  align: int) -> tuple[np.dtype, np.dtype | None]:
    """(main record, overflow record or None) in memory; ``split``: the main record holds only the
    modes that fit in one cache line beside the count, the rest go to the overflow record."""
    K = n_mixtures
    mode_bytes = np.dtype(mode_fields).itemsize
    head = COUNT_BYTES if with_count else 0
    M = min(K, (CACHE_LINE - head) // mode_bytes) if split else K
    main = record_dtype(mode_fields, M, with_count, align)
    over = None if M == K else np.dtype([("modes", np.dtype(mode_fields), (K - M,))])
    return main, over


def layout_vector(main: np.dtype, over: np.dtype | None, n_pixels: int, mode_bytes: int) -> np.ndarray:
    """The int64 layout vector of the kernels (positions ``_modes.LAY_*``), all in floats."""
    lay = np.zeros(N_LAY, dtype=np.int64)
    lay[LAY_HEAD] = main.fields["modes"][1] // 4
    lay[LAY_M] = main["modes"].shape[0]
    lay[LAY_L] = mode_bytes // 4
    lay[LAY_MAIN_FLOATS] = main.itemsize // 4
    lay[LAY_OVERFLOW_START] = n_pixels * main.itemsize // 4
    lay[LAY_OVERFLOW_FLOATS] = 0 if over is None else over.itemsize // 4
    return lay


@dataclass(frozen=True)
class StateBuffer:
    """One model's state: the aligned bytes and the views the kernels and the public attributes use."""

    raw: np.ndarray
    """All records, bytes (zeroed to re-initialise the model)."""
    main: np.ndarray
    """(H, W) main records (the public ``state_``)."""
    overflow: np.ndarray | None
    """(H, W) overflow records (``overflow_``), None when every mode fits the main record."""
    flat: np.ndarray
    """(1, n) float32: the whole buffer as one row of floats."""
    st: np.ndarray
    """(H*W, R) float32: each main record as a row."""
    cnt: np.ndarray
    """(H*W, bytes) uint8: each main record as a row; column 0 is the MOG2 mode count."""
    layout: np.ndarray
    """The layout vector (:func:`layout_vector`)."""


def allocate(mode_fields: list[tuple], n_mixtures: int, with_count: bool, split: bool, align: int,
             H: int, W: int) -> StateBuffer:
    """A zeroed model of H x W pixels: main and overflow records in one aligned buffer."""
    main_dt, over_dt = memory_dtypes(mode_fields, n_mixtures, with_count, split, align)
    n = H * W
    n_main = n * main_dt.itemsize
    raw = aligned_zeros(np.dtype(np.uint8), (n_main + (0 if over_dt is None else n * over_dt.itemsize),))
    rows = raw[:n_main].reshape(n, main_dt.itemsize)
    return StateBuffer(
        raw=raw,
        main=raw[:n_main].view(main_dt).reshape(H, W),
        overflow=None if over_dt is None else raw[n_main:].view(over_dt).reshape(H, W),
        flat=raw.view(np.float32).reshape(1, -1),
        st=rows.view(np.float32),
        cnt=rows,
        layout=layout_vector(main_dt, over_dt, n, np.dtype(mode_fields).itemsize),
    )


def per_pixel_state(buf: StateBuffer, mode_fields: list[tuple], n_mixtures: int, with_count: bool) -> np.ndarray:
    """A copy of the model as one format-1 record per pixel, all modes in order."""
    out = np.zeros(buf.main.shape, dtype=record_dtype(mode_fields, n_mixtures, with_count))
    M = buf.main.dtype["modes"].shape[0]
    if with_count:
        out["n_modes"] = buf.main["n_modes"]
    out["modes"][..., :M] = buf.main["modes"]
    if buf.overflow is not None:
        out["modes"][..., M:] = buf.overflow["modes"]
    return out


def set_per_pixel_state(buf: StateBuffer, state: np.ndarray, with_count: bool) -> None:
    """Inverse of :func:`per_pixel_state` (into an allocated buffer)."""
    M = buf.main.dtype["modes"].shape[0]
    if with_count:
        buf.main["n_modes"] = state["n_modes"]
    buf.main["modes"] = state["modes"][..., :M]
    if buf.overflow is not None:
        buf.overflow["modes"] = state["modes"][..., M:]


META_KEYS = ("format_version", "class_name", "params", "n_frames", "frame_shape", "frame_ndim")
"""The JSON header of a file (a state dict without its ``state``)."""


def write_file(path: str | Path, header: dict[str, Any], arrays: dict[str, np.ndarray | None]) -> None:
    """Write a model to ``path`` as an ``.npz``: ``header`` (JSON-serialisable: format version,
    class name, parameters, counters) as JSON under ``meta``, and every array of ``arrays`` that is
    not None under its name."""
    content = {"meta": np.array(json.dumps(header))}
    content.update({name: value for name, value in arrays.items() if value is not None})
    with open(path, "wb") as fh:
        np.savez(fh, **content)


def read_file(path: str | Path, class_name: str, format_version: int = FORMAT_VERSION
              ) -> tuple[dict[str, Any], dict[str, np.ndarray], str]:
    """(header, arrays by name, the error prefix) of a file written by :func:`write_file` for
    ``class_name``; raises ``ValueError`` for a corrupt, foreign or other-version file."""
    bad = f"{path} is not a saved {class_name} (corrupt, truncated or foreign file)"
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"][()]))
            arrays = {name: data[name] for name in data.files if name != "meta"}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError,
            UnicodeDecodeError, TypeError) as exc:
        raise ValueError(f"{bad}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("class_name") != class_name:
        raise ValueError(f"{bad}: it holds {meta.get('class_name') if isinstance(meta, dict) else meta!r}.")
    if meta.get("format_version") != format_version:
        raise ValueError(f"{bad}: format version {meta.get('format_version')!r}, expected {format_version}.")
    return meta, arrays, bad


def check_state(bad: str, state: np.ndarray | None, shape: tuple[int, ...], ndim: int, n_frames: int,
                mode_fields: Callable[[int], list[tuple]], n_mixtures: int, with_count: bool) -> None:
    """Raise ``ValueError`` (message starting with ``bad``) unless a loaded state fits its header;
    ``mode_fields(C)`` gives the model's per-mode fields for C channels."""
    if state is None or len(shape) != 3 or shape[2] not in (1, 3) or ndim not in (2, 3) or n_frames < 1:
        raise ValueError(f"{bad}: inconsistent frame shape {shape} / frame count {n_frames}.")
    expected = record_dtype(mode_fields(shape[2]), n_mixtures, with_count)
    if state.dtype != expected or state.shape != shape[:2]:
        raise ValueError(f"{bad}: state has dtype {state.dtype} and shape {state.shape}, expected "
                         f"{expected} and {shape[:2]}.")
    modes = state["modes"]
    values = np.concatenate([np.asarray(modes[name], dtype=np.float32).ravel() for name in modes.dtype.names])
    if not np.isfinite(values).all():
        raise ValueError(f"{bad}: the state holds NaN or infinity.")
    if with_count and (state["n_modes"] > n_mixtures).any():
        raise ValueError(f"{bad}: mode counts exceed n_mixtures.")
