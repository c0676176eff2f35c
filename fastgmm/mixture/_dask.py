"""The Dask backend of :class:`~fastgmm.GaussianMixture` and :class:`~fastgmm.KMeans`.

:class:`DaskBackend` implements the interface of :mod:`fastgmm.mixture._backend` (where what it
promises is spelled out) on a ``dask.array.Array``.  Every pass maps one of the in-memory kernels
over the row chunks and reduces the small per-chunk results in a tree (``FAN_IN`` results per
node) with ``dask.compute``, so it runs on whatever scheduler is active (a
``distributed.Client`` when one exists, else dask's default).  Only parameters (K x d x d at
most) travel to the tasks and only statistics travel back:

* EM: :func:`fastgmm.mixture._em.block_stats` per chunk, merged with
  :func:`fastgmm.mixture._em.merge_stats`; the M-step runs on the driver.
* Lloyd: :func:`fastgmm.mixture._lloyd.lloyd_pass` per chunk, sums and weights added.
* Predictions are lazy: ``map_blocks`` over :func:`fastgmm.mixture._em.evaluate` or
  :func:`fastgmm.mixture._lloyd.assign_inertia`.

Row-level initialisation works on :meth:`DaskBackend.seed_rows`: a seeded uniform subset of at
most ``SAMPLE_BYTES`` of rows (kept in their original order) gathered to the driver; when the
whole array fits in that budget the "sample" is the whole array, without a random draw.
Row-weighted draws are then weighted within the sample only.

NaN and infinity are detected lazily inside the tasks: a chunk whose statistics are not finite
is checked and raises ``ValueError`` naming its rows.  Nothing here imports dask until a dask
array is actually used.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validate import check_scale, is_dask_array, kernel_array
from . import _em, _lloyd
from ._parameters import random_resp_stats as _random_resp_stats_in_memory
from ._sklearn import feature_mismatch

FAN_IN = 8
"""Per-chunk results merged by one task of the reduction tree."""
SAMPLE_BYTES = 4 << 20
"""Size bound of the row sample gathered to the driver for seeding (at least n_clusters rows)."""

_FLOATS = (np.float32, np.float64)


# ---------------------------------------------------------------------------------------------- validation
def check_array(X: Any, *, name: str = "X", min_samples: int = 1, n_features: int | None = None,
                fitted_by: str = "the estimator") -> Any:
    """Validate a 2-D dask array; return it as float32/float64 with all columns in one chunk.

    Same rules and messages as :func:`fastgmm._validate.check_array`, except that NaN/inf are
    found later, by the tasks that read the chunks.
    """
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must contain real numbers; got dtype {X.dtype}. Convert it with {name}.astype(float).")
    if X.ndim != 2:
        hint = " Reshape 1-D data with X.reshape(-1, 1)." if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got shape {X.shape}.{hint}")
    if any(math.isnan(size) for size in X.shape):
        raise ValueError(f"{name} has unknown chunk sizes (shape {X.shape}); call {name}.compute_chunk_sizes() first.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}); it needs at least one sample and one feature.")
    if X.dtype not in _FLOATS:
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if X.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {X.shape[0]} samples but at least {min_samples} are needed "
            f"(one per component/cluster); use fewer components or more data."
        )
    if n_features is not None and X.shape[1] != n_features:
        raise feature_mismatch(X.shape[1], n_features, fitted_by)
    return X


def check_sample_weight(sample_weight: Any, X: Any) -> tuple[Any, float, int]:
    """Validate weights for the dask array ``X``: ``(weights, total weight, positive count)``.

    ``weights`` is a float64 dask array chunked like X's rows, or an empty numpy array for
    ``None`` (unit weights).  A numpy array is wrapped; a dask array is rechunked to X's rows.
    One pass over the weights checks them (finite, non-negative, not all zero).
    """
    import dask
    import dask.array as da

    n = X.shape[0]
    if sample_weight is None:
        return np.empty(0), float(n), n
    sw = sample_weight if is_dask_array(sample_weight) else np.asarray(sample_weight)
    if sw.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric; got dtype {sw.dtype}.")
    if sw.ndim == 0 and not is_dask_array(sw):
        sw = np.full(n, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n:
        raise ValueError(f"sample_weight must have shape ({n},) to match X; got shape {sw.shape}.")
    if is_dask_array(sw):
        sw = sw.astype(np.float64).rechunk((X.chunks[0],))
    else:
        sw = da.from_array(np.ascontiguousarray(sw, dtype=np.float64), chunks=(X.chunks[0],))
    finite, non_negative, total, positive = dask.compute(
        da.isfinite(sw).all(), (sw >= 0).all(), sw.sum(), (sw > 0).sum()
    )
    if not finite:
        raise ValueError("sample_weight contains NaN or infinity.")
    if not non_negative:
        raise ValueError("sample_weight must be non-negative; found negative weights.")
    if not positive:
        raise ValueError("sample_weight is zero everywhere; at least one sample needs a positive weight.")
    return sw, float(total), int(positive)


# ---------------------------------------------------------------------------------------------- chunk plumbing
def _raise_if_not_finite(x: np.ndarray, start: int) -> None:
    """Raise the in-memory path's NaN/inf message, naming the rows of the chunk."""
    if not np.isfinite(x).all():
        bad = start + int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise ValueError(
            f"X contains NaN or infinity (first at row {bad}, in the chunk of rows {start}-{start + x.shape[0] - 1}); "
            "remove or impute those rows first."
        )


def _raise_not_finite_stats(x: np.ndarray, start: int) -> None:
    """A chunk's statistics are not finite: its NaN/inf, else its values' squares overflow."""
    _raise_if_not_finite(x, start)
    raise ValueError(
        f"X has values up to {float(np.abs(x).max()):.3g} in magnitude (chunk of rows {start}-"
        f"{start + x.shape[0] - 1}): their squares summed overflow {x.dtype}. Rescale X first, e.g. divide it "
        "by its largest absolute value."
    )


def _limit_numba_threads() -> None:
    """Run this task's kernels on at most ``$NUMBA_NUM_THREADS`` threads, as the environment says now.

    Numba reads the variable once, when it is imported; a worker process may have imported it
    before its environment was set (a spawned process first re-imports the caller's ``__main__``),
    and would then run every task on all the machine's cores.
    """
    value = os.environ.get("NUMBA_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        import numba

        wanted = min(int(value), numba.config.NUMBA_NUM_THREADS)
        if numba.get_num_threads() != wanted:
            numba.set_num_threads(wanted)


def _run_chunk(func: Callable[..., Any], x: np.ndarray, w: np.ndarray | None, start: int, *args: Any) -> Any:
    """Call ``func(x, w, start, *args)`` on one chunk with kernel-ready arrays (runs in a task)."""
    _limit_numba_threads()
    x = kernel_array(x, x.dtype if x.dtype in _FLOATS else np.float64)
    w = np.empty(0) if w is None else kernel_array(w, np.float64)
    return func(x, w, start, *args)


def _add(a: Any, b: Any) -> Any:
    """Element-wise sum of two per-chunk results (tuples of arrays/floats, or numbers)."""
    if not isinstance(a, tuple):
        return a + b
    summed = [x + y for x, y in zip(a, b)]
    return type(a)(*summed) if hasattr(a, "_fields") else tuple(summed)


def _merge_all(merge: Callable[[Any, Any], Any], *parts: Any) -> Any:
    return functools.reduce(merge, parts)


def map_reduce(
    func: Callable[..., Any], X: Any, w: Any, *args: Any,
    merge: Callable[[Any, Any], Any] = _add, per_chunk: list[Any] | None = None,
) -> Any:
    """``merge`` of ``func(x, w, start, *args[, per_chunk[i]])`` over the row chunks of X, computed.

    ``w`` is a dask array chunked like X's rows, or anything else for "no weights"; the results
    are merged ``FAN_IN`` at a time in a tree of tasks and the root is computed with
    ``dask.compute`` (the active scheduler).
    """
    import dask

    xs = X.to_delayed().ravel()
    ws = w.to_delayed().ravel() if is_dask_array(w) else [None] * len(xs)
    starts = np.concatenate(([0], np.cumsum(X.chunks[0])[:-1])).tolist()
    extra = [()] * len(xs) if per_chunk is None else [(item,) for item in per_chunk]
    run = dask.delayed(_run_chunk, pure=True)
    parts = [run(func, x, wc, start, *args, *more) for x, wc, start, more in zip(xs, ws, starts, extra)]
    node = dask.delayed(_merge_all, pure=True)
    while len(parts) > 1:
        parts = [node(merge, *parts[i : i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
    return dask.compute(parts[0])[0]


# ---------------------------------------------------------------------------------------------- EM
def _em_chunk(x, w, start, means, prec, log_const, diag):
    stats = _em.block_stats(x, w, kernel_array(means, x.dtype), kernel_array(prec, x.dtype),
                            kernel_array(log_const, np.float64), diag)
    if not math.isfinite(stats.loglik):
        _raise_not_finite_stats(x, start)
    return stats


def block_stats(X: Any, w: Any, means: np.ndarray, prec: np.ndarray, log_const: np.ndarray, diag: bool) -> _em.Stats:
    """:func:`fastgmm.mixture._em.block_stats` of a whole dask array: per chunk, merged in a tree."""
    return map_reduce(_em_chunk, X, w, means, prec, log_const, diag, merge=_em.merge_stats)


def _first_row(block_info: dict | None) -> int:
    """Index of a ``map_blocks`` block's first row in the whole array."""
    return int(block_info[0]["array-location"][0][0]) if block_info else 0


def _evaluate_chunk(x, means, prec, log_const, diag, what, block_info=None):
    _limit_numba_threads()
    x = kernel_array(x, x.dtype)
    _raise_if_not_finite(x, _first_row(block_info))
    out = _em.evaluate(x, kernel_array(means, x.dtype), kernel_array(prec, x.dtype),
                       kernel_array(log_const, np.float64), diag, **{what: True})
    return out[("logprob", "label", "resp").index(what)]


def evaluate(
    X: Any, means: np.ndarray, prec: np.ndarray, log_const: np.ndarray, diag: bool, *,
    logprob: bool = False, label: bool = False, resp: bool = False,
) -> tuple[Any, Any, Any]:
    """:func:`fastgmm.mixture._em.evaluate` as lazy dask arrays (one ``map_blocks`` per requested output)."""
    K = means.shape[0]
    out: list[Any] = [None, None, None]
    for i, (what, wanted) in enumerate((("logprob", logprob), ("label", label), ("resp", resp))):
        if not wanted:
            continue
        # meta given: dask need not call the kernel on the driver to learn the output type
        if what == "resp":
            out[i] = X.map_blocks(_evaluate_chunk, means, prec, log_const, diag, what,
                                  chunks=(X.chunks[0], (K,)), meta=np.empty((0, 0), X.dtype))
        else:
            out[i] = X.map_blocks(_evaluate_chunk, means, prec, log_const, diag, what, drop_axis=1,
                                  meta=np.empty(0, np.int64 if what == "label" else X.dtype))
    return tuple(out)


def mean(values: Any) -> float:
    """Mean of a 1-D dask array, in float64, computed."""
    return float(values.mean(dtype=np.float64).compute())


# ---------------------------------------------------------------------------------------------- initialisation
def seed_rows(X: Any, w: Any, rng: np.random.Generator, min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded uniform sample of rows (original order) and their weights, gathered to the driver.

    At most ``SAMPLE_BYTES`` of rows (but at least ``min_rows``); the whole array, without
    drawing any random number, when it fits.  Weights are an empty array for unit weights.
    """
    import dask

    n, d = X.shape
    n_rows = min(n, max(min_rows, SAMPLE_BYTES // (d * X.dtype.itemsize)))
    if n_rows == n:
        parts = (X, w) if is_dask_array(w) else (X,)
    else:
        idx = np.sort(rng.choice(n, size=n_rows, replace=False))
        parts = (X[idx], w[idx]) if is_dask_array(w) else (X[idx],)
    got = dask.compute(*parts)
    xs = np.ascontiguousarray(got[0])
    ws = np.ascontiguousarray(got[1], dtype=np.float64) if len(got) > 1 else np.empty(0)
    check_scale(xs, X.shape)  # the rows outside the sample: by the passes (_raise_not_finite_stats)
    return xs, ws


def _weighted_sum_chunk(x, w, start):
    if w.shape[0]:
        return w @ x.astype(np.float64), float(w.sum())
    return x.sum(axis=0, dtype=np.float64), float(x.shape[0])


def average(X: Any, w: Any) -> np.ndarray:
    """Weighted column means (float64) of a dask array; NaN/inf in X raise ``ValueError``."""
    total, weight = map_reduce(_weighted_sum_chunk, X, w)
    avg = total / weight
    if not np.isfinite(avg).all():
        raise ValueError("X contains NaN or infinity; remove or impute those rows first.")
    return avg


def _random_chunk(x, w, start, centre, n_components, diag, seed):
    rng = np.random.default_rng(seed)
    return _random_resp_stats_in_memory(x, w if w.shape[0] else None, centre, n_components, diag, rng)


def random_resp_stats(
    X: Any, weights: Any, centre: np.ndarray, n_components: int, diag: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fastgmm.mixture._parameters.random_resp_stats` over a dask array, one seeded generator per chunk."""
    seeds = rng.integers(0, 2**63 - 1, size=len(X.chunks[0])).tolist()
    return map_reduce(_random_chunk, X, weights, centre, n_components, diag, per_chunk=seeds)


def _hard_chunk(x, w, start, centers):
    return _lloyd.hard_assignment_stats(x, w if w.shape[0] else None, centers)


def hard_assignment_stats(
    X: Any, sample_weight: Any, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fastgmm.mixture._lloyd.hard_assignment_stats` of a dask array (per chunk, summed)."""
    return map_reduce(_hard_chunk, X, sample_weight, np.asarray(centers))


# ---------------------------------------------------------------------------------------------- Lloyd
def _lloyd_chunk(x, w, start, centers):
    K, d = centers.shape
    sums = np.empty((K, d))
    weights = np.empty(K)
    _lloyd.lloyd_pass(x, w, kernel_array(centers, x.dtype), sums, weights)
    if not np.isfinite(sums).all():
        _raise_not_finite_stats(x, start)
    return sums, weights


def lloyd_pass(X: Any, w: Any, centers: np.ndarray, sums: np.ndarray, weights: np.ndarray) -> None:
    """:func:`fastgmm.mixture._lloyd.lloyd_pass` over a dask array: fills ``sums`` and ``weights``."""
    sums[:], weights[:] = map_reduce(_lloyd_chunk, X, w, centers)


def _inertia_chunk(x, w, start, centers):
    return _lloyd.assign_inertia(x, w, kernel_array(centers, x.dtype), np.empty(0, dtype=np.int32))


def inertia(X: Any, w: Any, centers: np.ndarray) -> float:
    """Weighted sum of squared distances to the nearest centre (:func:`fastgmm.mixture._lloyd.assign_inertia`)."""
    return float(map_reduce(_inertia_chunk, X, w, centers))


def _labels_chunk(x, centers, block_info=None):
    _limit_numba_threads()
    x = kernel_array(x, x.dtype)
    _raise_if_not_finite(x, _first_row(block_info))
    labels = np.empty(x.shape[0], dtype=np.int32)
    _lloyd.assign_inertia(x, np.empty(0), kernel_array(centers, x.dtype), labels)
    return labels


def labels(X: Any, centers: np.ndarray) -> Any:
    """Nearest-centre index (int32) of every row, as a lazy dask array."""
    return X.map_blocks(_labels_chunk, np.asarray(centers), drop_axis=1, meta=np.empty(0, np.int32))


def labels_inertia(X: Any, w: Any, centers: np.ndarray) -> tuple[Any, float]:
    """Lazy labels and the computed inertia (two passes on Dask: the labels stay lazy)."""
    return labels(X, centers), inertia(X, w, centers)


def _distances_chunk(x, centers):
    _limit_numba_threads()
    x = kernel_array(x, x.dtype)
    out = np.empty((x.shape[0], centers.shape[0]), dtype=x.dtype)
    _lloyd.distances(x, kernel_array(centers, x.dtype), out)
    return out


def distances(X: Any, centers: np.ndarray) -> Any:
    """Euclidean distance of every row to every centre, as a lazy (n, K) dask array."""
    return X.map_blocks(_distances_chunk, np.asarray(centers), chunks=(X.chunks[0], (centers.shape[0],)),
                        meta=np.empty((0, 0), X.dtype))


def _farthest_chunk(x, w, start, centers, m_far):
    m = min(m_far, x.shape[0])
    c = kernel_array(centers, x.dtype)
    idx, lab = _lloyd.farthest_points(x, c, m)
    diff = x[idx] - c[lab]
    dist = diff[:, 0] * diff[:, 0]
    for j in range(1, x.shape[1]):  # the kernels' order of operations, so ties compare equal
        dist += diff[:, j] * diff[:, j]
    row_w = w[idx] if w.shape[0] else np.ones(m)
    return [(float(dd), start + int(i), x[i].astype(np.float64), float(wi), int(k))
            for dd, i, wi, k in zip(dist, idx, row_w, lab)]


def _merge_farthest(m_far: int, a: list, b: list) -> list:
    return sorted(a + b, key=lambda item: (-item[0], item[1]))[:m_far]


def farthest_rows(X: Any, w: Any, centers: np.ndarray, m_far: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``m_far`` rows farthest from their nearest centre (as the in-memory backend's)."""
    found = map_reduce(_farthest_chunk, X, w, centers, m_far, merge=functools.partial(_merge_farthest, m_far))
    rows = np.array([item[2] for item in found])
    return rows, np.array([item[3] for item in found]), np.array([item[4] for item in found], dtype=np.int64)


def _moments_chunk(x, w, start, shift):
    dx = x.astype(np.float64) - shift
    return dx.sum(axis=0), (dx * dx).sum(axis=0), float(x.shape[0])


def feature_variance(X: Any) -> np.ndarray:
    """Population variance of every column (float64), in two passes like the in-memory kernel."""
    total, _, n = map_reduce(_moments_chunk, X, None, np.zeros(X.shape[1]))
    mean_ = total / n
    shifted, squares, n = map_reduce(_moments_chunk, X, None, mean_)
    return squares / n - (shifted / n) ** 2


class DaskBackend:
    """The :mod:`fastgmm.mixture._backend` interface on a dask array (module functions above)."""

    check_array = staticmethod(check_array)
    check_sample_weight = staticmethod(check_sample_weight)
    block_stats = staticmethod(block_stats)
    evaluate = staticmethod(evaluate)
    mean = staticmethod(mean)
    seed_rows = staticmethod(seed_rows)
    average = staticmethod(average)
    random_resp_stats = staticmethod(random_resp_stats)
    hard_assignment_stats = staticmethod(hard_assignment_stats)
    lloyd_pass = staticmethod(lloyd_pass)

    @staticmethod
    def bounded_lloyd_pass(X: Any) -> Any:
        """Dask keeps no per-row state between passes: plain Lloyd passes (the same results)."""
        return lloyd_pass

    feature_variance = staticmethod(feature_variance)
    inertia = staticmethod(inertia)
    labels = staticmethod(labels)
    labels_inertia = staticmethod(labels_inertia)
    distances = staticmethod(distances)
    farthest_rows = staticmethod(farthest_rows)
