"""The one place for Numba options.

Every kernel in fastgmm is compiled through :func:`kernel`, so the choice of fast-math flags,
error model and caching is made here once.

* ``FASTMATH`` leaves out ``nnan`` and ``ninf``: log-likelihoods use ``-inf`` and NaN checks must
  survive compilation.
* ``error_model="numpy"``: division by zero gives inf/NaN instead of raising, which keeps the
  Python-exception machinery out of inner loops (inputs are validated in the Python wrappers).
* ``cache=True`` writes compiled kernels next to the module (or to ``NUMBA_CACHE_DIR``), so a new
  process reuses them instead of compiling again.  Kernels that must be bit-reproducible across
  implementations (e.g. matching OpenCV) pass ``fastmath=False``.
"""

from __future__ import annotations

from typing import Any, Callable

import numba

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(
    *, parallel: bool = False, fastmath: bool = True, cache: bool = True, inline: str = "never"
) -> Callable[[Callable[..., Any]], Any]:
    """Return a ``numba.njit`` decorator with the project's options.

    ``inline="always"`` inlines the function into its callers at Numba-IR level (for small
    helpers called in hot loops, where LLVM's own inliner may decline and a call forces the
    caller to spill its registers)."""
    return numba.njit(
        inline=inline,
        parallel=parallel,
        fastmath=set(FASTMATH) if fastmath else False,
        cache=cache,
        nogil=True,
        error_model="numpy",
        boundscheck=False,
    )


prange = numba.prange
