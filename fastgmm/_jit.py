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

Threading layer: Numba's default order is TBB, then OpenMP, then its own ``workqueue``.  With a
TBB library on the machine (Debian/Ubuntu's ``libtbb12``, which OpenCV's development packages pull
in, or the ``tbb`` wheel) a process that ran parallel kernels can spin forever at exit in TBB's
finaliser, in particular when the kernels ran outside the main thread (Numba issue #10556; Dask's
threaded scheduler does exactly that).  ``workqueue`` is not safe for parallel kernels launched
from several threads at once.  So unless the user chose (``NUMBA_THREADING_LAYER`` or
``NUMBA_THREADING_LAYER_PRIORITY`` in the environment), fastgmm asks for OpenMP first, then TBB,
then ``workqueue`` (:data:`THREADING_LAYER_PRIORITY`).  This must happen before the first parallel
kernel of the process runs, which importing fastgmm's kernels guarantees unless other code ran a
parallel Numba function first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numba
import numba.core.event
import numba.core.registry
import numba.extending
from llvmlite import ir as llvm_ir
from numba.core import cgutils

THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
"""fastgmm's order of preference for Numba's threading layer (see the module docstring)."""

if not {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"} & set(os.environ):
    numba.config.THREADING_LAYER_PRIORITY = list(THREADING_LAYER_PRIORITY)

GOMP_SPINCOUNT = "10000"
"""What fastgmm sets ``GOMP_SPINCOUNT`` to when neither it nor ``OMP_WAIT_POLICY`` is set: how many
rounds an idle OpenMP thread spins before it sleeps.  GNU OpenMP's default (300,000 rounds, ~ms)
keeps spinning threads on the cores beside other jobs, which took MOG2 from 0.4 to 7.6 ms a frame
with two busy processes on the 2-vCPU VM; ``OMP_WAIT_POLICY=PASSIVE`` (sleep at once) pays a
futex wake-up per parallel region instead, ~0.45 ms a frame for the adaptive model's four regions
on an idle machine.  10,000 rounds cover the microseconds of Python between the regions of one
call and let the threads sleep between frames (docs/performance.md, "OpenMP spin count")."""

if not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & set(os.environ):
    os.environ["GOMP_SPINCOUNT"] = GOMP_SPINCOUNT

PARALLEL_OPTIONS = {"prange": True, "reduction": True, "numpy": False, "setitem": False, "inplace_binop": False,
                    "comprehension": False, "stencil": False, "fusion": False}
"""Numba's ``parallel=`` options of fastgmm's parallel kernels: only explicit ``prange`` loops run in
parallel.  With ``parallel=True`` Numba also turns every ``np.zeros``/``np.empty``-and-fill, array
expression and slice assignment of the kernel into a parallel loop of its own, each compiled as a
separate gufunc (five of them in the EM pass): seconds of cold compilation for loops that are
small, serial by design (per-block accumulators are reduced in block order) or inside a ``prange``
body anyway.  Measurements: docs/performance.md, "Cold start"."""

# Numba imports its implementation registries (numba.np.linalg among them, which imports
# scipy.linalg) at the first compilation or cache load of a process: ~0.3 s that would otherwise
# land on the first call of a kernel, after `fastgmm warm-up` too.  Importing a module with
# kernels is where that belongs.
numba.core.registry.cpu_target.target_context.refresh()

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def kernel(
    *, parallel: bool = False, fastmath: bool = True, cache: bool = True, inline: str = "never",
    python_callable: bool = True,
) -> Callable[[Callable[..., Any]], Any]:
    """Return a ``numba.njit`` decorator with the project's options.

    ``inline="always"`` inlines the function into its callers at Numba-IR level (for small
    helpers called in hot loops, where LLVM's own inliner may decline and a call forces the
    caller to spill its registers).  Every call site of such a helper is compiled again, so a
    helper with several call sites, or a large one, is cheaper to compile as a function of its
    own.  ``python_callable=False`` is for those: a kernel called only from other kernels gets
    no CPython or C-callable wrapper (Numba builds and optimises both for every compiled
    function otherwise; docs/performance.md, "Cold start of the per-pixel kernels")."""
    return numba.njit(
        inline=inline,
        parallel=dict(PARALLEL_OPTIONS) if parallel else False,
        fastmath=set(FASTMATH) if fastmath else False,
        cache=cache,
        nogil=True,
        error_model="numpy",
        boundscheck=False,
        no_cpython_wrapper=not python_callable,
        no_cfunc_wrapper=not python_callable,
    )


prange = numba.prange


@numba.extending.intrinsic
def prefetch_row(typingctx: Any, array: Any, i: Any) -> Any:
    """``prefetch_row(A, i)`` in a kernel: ask the CPU to bring row ``i`` of the 2-D C-contiguous array
    ``A`` into its caches (a prefetch of the lines of ``A[i, 0]`` and ``A[i, -1]``, so a row that
    straddles two lines gets both), without waiting for it.  For rows that a later loop reads at
    scattered places: their cache misses then overlap instead of each stalling its loop iteration.
    No effect on results; ``i`` must be a valid row index."""
    sig = numba.core.types.void(array, i)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        shape = cgutils.unpack_tuple(builder, ary.shape, aryty.ndim)
        last = builder.sub(shape[1], context.get_constant(numba.core.types.intp, 1))
        i8p = llvm_ir.IntType(8).as_pointer()
        i32 = llvm_ir.IntType(32)
        fnty = llvm_ir.FunctionType(llvm_ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        for j in (context.get_constant(numba.core.types.intp, 0), last):
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1], j], wraparound=False)
            # read, highest temporal locality, data cache
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.extending.intrinsic
def static_len(typingctx: Any, tup: Any) -> Any:
    """``static_len(t)`` in a kernel: ``len(t)`` of a homogeneous tuple (such as
    ``_modes.channels_tag``), typed as that literal integer and emitted as a constant.  A kernel
    passes it to an inlined callee instead of branching on ``len(t)`` to one call per value (Numba
    types and inlines both sides of such a branch): the adaptive update's first compile fell from
    77.6 to 33.2 s with this and two helpers no longer inlined (docs/performance.md, "Cold start of
    the adaptive model")."""
    n = len(tup)
    sig = numba.core.types.literal(n)(tup)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return context.get_constant(numba.core.types.intp, n)

    return sig, codegen


@numba.extending.intrinsic
def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``fma(a, b, c)`` in a kernel: ``a * b + c`` rounded once (``llvm.fma``: one ``vfmadd`` instruction,
    vectorised with the loop), for three floats of the same type.  Kernels compiled with
    ``fastmath=False`` never contract ``a * b + c`` themselves, so a fused multiply-add is written out
    where it is wanted and nowhere else."""
    if not (isinstance(a, numba.core.types.Float) and a == b == c):
        return None
    sig = a(a, b, c)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ty = context.get_value_type(signature.return_type)
        fn = cgutils.get_or_insert_function(builder.module, llvm_ir.FunctionType(ty, [ty, ty, ty]),
                                            f"llvm.fma.f{signature.return_type.bitwidth}")
        return builder.call(fn, args)

    return sig, codegen


COMPILE_NOTICE = ("fastgmm: compiling kernels, first run only (cached afterwards; `fastgmm warm-up` compiles them "
                  "all ahead of time)...")
"""Printed on stderr at the first compilation of a fastgmm kernel in a process (FASTGMM_COMPILE_NOTICE=0: never)."""


class CompileNotice(numba.core.event.Listener):
    """Numba event listener: prints :data:`COMPILE_NOTICE` once, when a fastgmm kernel starts compiling.

    Loading a kernel from Numba's cache is not a compilation and prints nothing, so a warmed-up
    installation stays silent."""

    def __init__(self) -> None:
        self.shown = False

    def on_start(self, event: numba.core.event.Event) -> None:
        if self.shown:
            return
        dispatcher = (event.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", None) or ""
        if module.startswith("fastgmm") and os.environ.get("FASTGMM_COMPILE_NOTICE", "1") != "0":
            self.shown = True
            print(COMPILE_NOTICE, file=sys.stderr, flush=True)

    def on_end(self, event: numba.core.event.Event) -> None:
        pass


compile_notice = CompileNotice()
numba.core.event.register("numba:compile", compile_notice)
