"""Numba helpers shared by the per-pixel mixture kernels: where a pixel's modes are, and the background image.

Module map of the online subtractors (one kernel module per algorithm, as OpenCV's
``bgfg_gaussmix2.cpp``)::

    mog2.py, mog.py        public classes: parameters -> float32 vector, one call into their kernel
    _online.py             PixelMixtureSubtractor: validation, learning-rate schedule, apply()
    _records.py            record dtypes, the aligned state buffer, its layout vector, file format
    _modes.py              this module: mode addressing, swap, pixel value, background image
    _mog2_kernel.py        MOG2 block kernel and its parallel entry point ``update``
    _mog_kernel.py         bgsegm MOG block kernel and its parallel entry point ``update``
    _median_kernel.py      the binary median filter of ``postprocess``

Import rule: kernel modules (``_*_kernel.py``, ``_modes.py``, ``_offline.py``; the post-processing
kernels are ``_median_kernel.py``) import only ``fastgmm._jit`` and sibling kernel modules of
fastgmm, and of other packages only numpy and math (``tests/test_background_modules.py`` checks
it).  Python-side modules may import kernel modules; importing one compiles nothing.

State layout (built by ``_records``): one buffer holding a main record per pixel (MOG2: the uint8
mode count, padding, then the first ``M`` modes; MOG: all its modes), then, for MOG2 only, an
overflow record per pixel with modes ``M..K-1``.  Kernels see it as one row of floats ``fl``
(modes located with :func:`pixel_bases`, :func:`mode_offset` and :func:`next_offset`) and as
float32 / uint8 matrices ``st`` / ``cnt`` of the main records, one row per pixel.  A mode is ``L``
consecutive floats (MOG2 ``[weight, variance, mean...]``, MOG ``[sort_key, weight, mean...,
variance...]``), so swapping two modes and the background image serve both models.  Frames
arrive as (H*W, C), masks as (H*W,).

All arithmetic is float32 in the order of OpenCV's C++, compiled without fast-math (nothing is
reassociated or fused): that is what makes the masks bit-identical to OpenCV's.  Module-level
integer constants (``LAY_*`` here, ``P_*`` in the model kernels) are frozen into the compiled code
by Numba, so indexing by name costs nothing over a literal.
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel, prange

exact = kernel(parallel=False, fastmath=False)
"""Decorator of the serial kernels: no fast-math (OpenCV's float32 order)."""
exact_parallel = kernel(parallel=True, fastmath=False)
"""Decorator of the parallel entry points."""
exact_inline = kernel(parallel=False, fastmath=False, inline="always")
"""Decorator of small helpers inlined at Numba-IR level into the per-pixel loops."""
exact_helper = kernel(parallel=False, fastmath=False, python_callable=False)
"""Decorator of the serial kernels called only from other kernels (block kernels, helpers with
several call sites): compiled once, without Python wrappers."""

FLT_EPSILON = np.float32(1.1920929e-07)

# The layout vector ``lay`` (int64, built by ``_records.layout_vector``) by position:
LAY_HEAD = 0
"""Float offset of the first mode in a main record (1 for MOG2's count word, 0 for MOG)."""
LAY_M = 1
"""Modes held by a main record (the others are in the pixel's overflow record)."""
LAY_L = 2
"""Floats per mode."""
LAY_MAIN_FLOATS = 3
"""Floats per main record (including padding)."""
LAY_OVERFLOW_START = 4
"""Float offset, in the whole buffer, of the first overflow record (all follow all main records)."""
LAY_OVERFLOW_FLOATS = 5
"""Floats per overflow record (0 when there is none)."""
N_LAY = 6

# _NOVEC: loops over the 1..K modes of one pixel that never exit early get vectorised by LLVM
# into masked AVX-512 gather/scatter (stride L), which on a 1-5 trip loop measured ~3x slower
# than scalar code (docs/performance.md).  Those loops carry an exit on a NaN weight, which
# cannot occur (inputs are finite), so they stay scalar; results are unchanged.

u = np.uint64
# Indices into the state are unsigned (``u``): Numba wraps negative signed indices around, which
# costs a shift, an and and an add per access in the per-pixel loops (and blocks unrolling).
U0 = u(0)
U1 = u(1)
U2 = u(2)
U3 = u(3)
U4 = u(4)


@exact_inline
def swap_modes(st, p, a, b, L):
    """Swap the ``L`` floats starting at offsets ``a`` and ``b`` (unsigned) of record ``p``."""
    for q in range(L):
        t = st[p, a + u(q)]
        st[p, a + u(q)] = st[p, b + u(q)]
        st[p, b + u(q)] = t


@exact_inline
def mode_offset(m, M, L, main, over):
    """Float offset (unsigned) of mode ``m`` of a pixel in the flat state: its first ``M`` modes
    (``L`` floats each) start at float ``main`` of its main record, the others at ``over`` in its
    overflow record (see :func:`pixel_bases`)."""
    if m < M:
        return main + u(m * L)
    return over + u((m - M) * L)


@exact_inline
def next_offset(o, m, M, L, over):
    """Offset of mode ``m`` given ``o``, that of mode ``m - 1`` (cheaper than :func:`mode_offset`
    in loops over the modes in order)."""
    return over if m == M else o + u(L)


@exact_inline
def pixel_bases(p, lay):
    """(main, over): float offsets of pixel ``p``'s first mode in its main record and in its overflow
    record, from the layout vector ``lay`` (the ``LAY_*`` positions)."""
    return (p * u(lay[LAY_MAIN_FLOATS]) + u(lay[LAY_HEAD]),
            u(lay[LAY_OVERFLOW_START]) + p * u(lay[LAY_OVERFLOW_FLOATS]))


@exact_inline
def pixel_value(frame, p, C):
    """Channels of pixel ``p`` as float32 (x0, x1, x2); x1 = x2 = 0 for a gray frame."""
    x0 = np.float32(frame[p, U0])
    if C == 3:
        return x0, np.float32(frame[p, U1]), np.float32(frame[p, U2])
    return x0, np.float32(0.0), np.float32(0.0)


@exact_parallel
def background_image(fl, lay, nmodes, w_idx, mean_idx, ratio, out):
    """Weight-average the leading modes' means until the cumulative weight exceeds ``ratio``.

    OpenCV getBackgroundImage: float32 accumulation, times 1/total (0 when total <= FLT_EPSILON),
    rounded half-to-even and saturated to uint8.  ``fl`` and ``lay`` locate the modes as for the
    models' ``update``, ``nmodes`` (H*W,) gives the modes in use, ``w_idx`` / ``mean_idx`` the
    weight's and the first mean's position in a mode, ``out`` is (H*W, C) uint8.
    """
    M, L = lay[LAY_M], lay[LAY_L]
    C = out.shape[1]
    for ip in prange(out.shape[0]):
        p = u(ip)
        main, over = pixel_bases(p, lay)
        for c in range(C):
            acc = np.float32(0.0)
            total = np.float32(0.0)
            for m in range(np.int64(nmodes[p])):
                o = mode_offset(m, M, L, main, over)
                w = fl[U0, o + u(w_idx)]
                acc = acc + w * fl[U0, o + u(mean_idx + c)]
                total = total + w
                if total > ratio:
                    break
            inv = np.float32(0.0)
            if abs(total) > FLT_EPSILON:
                inv = np.float32(1.0) / total
            v = np.rint(acc * inv)
            out[p, c] = np.uint8(min(max(v, np.float32(0.0)), np.float32(255.0)))


def channels_tag(n_channels: int) -> tuple[int, ...]:
    """The ``channels`` argument of the MOG2 and adaptive ``update`` kernels for frames of
    ``n_channels`` (1 or 3) channels: a tuple of that many zeros, whose length Numba types as a
    compile-time constant, so each channel count gets its own specialisation."""
    return (0,) * n_channels
