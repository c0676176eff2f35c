"""Float64 parameter maths of Gaussian mixtures: precision Cholesky factors, the kernels' parameter
layout, and the M-step from sufficient statistics.

Everything here works on small arrays (K x d x d at most) on the driver; the passes over the data
are in :mod:`fastgmm.mixture._em` and :mod:`fastgmm.mixture._lloyd`.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import kernel_array

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_INIT_CHUNK = 1 << 16

_CHOLESKY_ERROR = (
    "Fitting the mixture model failed because some components have ill-defined empirical covariance "
    "(for instance caused by singleton or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


def precision_shape(covariance_type: str, n_components: int, n_features: int) -> tuple[int, ...]:
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]


def cholesky_upper_of_precision(precisions: np.ndarray) -> np.ndarray:
    """Upper-triangular U with ``precisions = U Uᵀ`` (works on stacks of matrices)."""
    flipped = precisions[..., ::-1, ::-1]
    return np.linalg.cholesky(flipped)[..., ::-1, ::-1].copy()


def precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Precision Cholesky factors (upper triangular for full/tied) from covariances."""
    if covariance_type in ("full", "tied"):
        try:
            chol = np.linalg.cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError(_CHOLESKY_ERROR) from None
        eye = np.broadcast_to(np.eye(covariances.shape[-1]), covariances.shape)
        # inverse of the lower factor, transposed: upper triangular (rounding noise below removed)
        return np.triu(np.swapaxes(np.linalg.solve(chol, eye), -1, -2))
    if np.any(covariances <= 0.0):
        raise ValueError(_CHOLESKY_ERROR)
    return 1.0 / np.sqrt(covariances)


def log_det_cholesky(precisions_cholesky: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray:
    """log det of the precision Cholesky factors: (K,) per component, a scalar for tied."""
    pc = np.asarray(precisions_cholesky, dtype=np.float64)
    if covariance_type == "full":
        return np.log(np.diagonal(pc, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diag(pc)).sum()
    if covariance_type == "diag":
        return np.log(pc).sum(axis=1)
    return n_features * np.log(pc)


def kernel_params(
    log_weights: np.ndarray, means: np.ndarray, precisions_cholesky: np.ndarray, covariance_type: str,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(means, prec (K, d, d), log_const (K,), diag)`` in the layout :mod:`fastgmm.mixture._em` expects.

    ``log_const[k] = log_weights[k] + log det P_k - d/2 log 2π``, where ``log_weights`` holds every
    per-component term of the E-step but the Gaussian's own (log of the EM weights; for the
    variational E-step, the expected log weights and precision terms).  Diagonal/spherical
    precision Cholesky values go on the diagonal of ``prec``, a tied factor is repeated for every
    component.
    """
    K, d = np.shape(means)
    pc = np.asarray(precisions_cholesky, dtype=np.float64)
    if covariance_type == "full":
        prec = pc
    elif covariance_type == "tied":
        prec = np.broadcast_to(pc, (K, d, d))
    else:
        values = pc if covariance_type == "diag" else np.repeat(pc[:, None], d, axis=1)
        prec = np.zeros((K, d, d))
        prec[:, np.arange(d), np.arange(d)] = values
    log_const = (np.asarray(log_weights, dtype=np.float64) + log_det_cholesky(pc, covariance_type, d)
                 - 0.5 * d * math.log(2 * math.pi))
    return (
        kernel_array(means, dtype),
        kernel_array(prec, dtype),
        kernel_array(np.broadcast_to(log_const, (K,)), np.float64),
        covariance_type in ("diag", "spherical"),
    )


def gaussian_stats(
    nk: np.ndarray, sum_dx: np.ndarray, scatter: np.ndarray, centre: np.ndarray, covariance_type: str, reg_covar: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's ``_estimate_gaussian_parameters`` from statistics: ``(nk + 10 eps, means, covariances)``.

    ``nk`` (K,) = Σ w r, ``sum_dx`` (K, d) = Σ w r (x - c) and ``scatter`` = Σ w r (x - c)(x - c)ᵀ,
    shape (K, d, d), or its diagonal (K, d) for diag/spherical, all centred on ``centre`` (K, d);
    e.g. the merged :class:`fastgmm.mixture._em.Stats` of all blocks.  Covariances are in the
    layout of ``covariance_type`` with ``reg_covar`` added to their diagonal.
    """
    n_raw = nk
    nk = nk + 10.0 * eps
    delta = sum_dx / nk[:, None]
    means = centre + delta
    d = means.shape[1]
    if covariance_type in ("full", "tied"):
        sd = sum_dx[:, :, None] * delta[:, None, :]
        around = scatter - sd - np.swapaxes(sd, 1, 2) + n_raw[:, None, None] * delta[:, :, None] * delta[:, None, :]
        cov = around / nk[:, None, None] if covariance_type == "full" else around.sum(axis=0) / nk.sum()
        cov[..., np.arange(d), np.arange(d)] += reg_covar
    else:
        around = scatter - 2.0 * sum_dx * delta + n_raw[:, None] * delta * delta
        cov = around / nk[:, None] + reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


def params_from_stats(
    nk: np.ndarray,
    sum_dx: np.ndarray,
    scatter: np.ndarray,
    centre: np.ndarray,
    covariance_type: str,
    reg_covar: float,
    eps: float,
    total_weight: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """EM's M-step: ``(weights, means, covariances, precisions_cholesky)`` (float64) from statistics.

    The statistics are those of :func:`gaussian_stats`.  As scikit-learn, ``10 eps`` is added to
    ``nk``; the weights are normalised to 1 (M-step) unless ``total_weight`` is given, which they
    are then divided by (initialisation from responsibilities).
    """
    nk, means, cov = gaussian_stats(nk, sum_dx, scatter, centre, covariance_type, reg_covar, eps)
    weights = nk / (nk.sum() if total_weight is None else total_weight)
    return weights, means, cov, precision_cholesky(cov, covariance_type)


def random_resp_stats(
    X: np.ndarray, weights: np.ndarray | None, centre: np.ndarray, n_components: int, diag: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Statistics ``(nk, sum_dx, scatter)`` of uniform random responsibilities, centred on ``centre`` (d,).

    Drawn and reduced ``_INIT_CHUNK`` rows at a time (never an n_samples x K array); ``scatter``
    is (K, d) when ``diag`` else (K, d, d), as :func:`params_from_stats` expects.
    """
    K, d = n_components, X.shape[1]
    nk = np.zeros(K)
    sum_dx = np.zeros((K, d))
    scatter = np.zeros((K, d) if diag else (K, d, d))
    for start in range(0, X.shape[0], _INIT_CHUNK):
        dx = X[start : start + _INIT_CHUNK].astype(np.float64) - centre
        resp = rng.uniform(size=(dx.shape[0], K))
        resp /= resp.sum(axis=1, keepdims=True)
        if weights is not None:
            resp *= weights[start : start + _INIT_CHUNK, None]
        nk += resp.sum(axis=0)
        sum_dx += resp.T @ dx
        if diag:
            scatter += resp.T @ (dx * dx)
        else:
            scatter += np.einsum("nk,ni,nj->kij", resp, dx, dx, optimize=True)
    return nk, sum_dx, scatter
