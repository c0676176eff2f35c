"""What scikit-learn's machinery asks of an estimator beyond ``get_params``/``set_params``: tags, and
scikit-learn's errors for input it refuses (what ``check_estimator`` looks for).

scikit-learn (1.6 and later) reads an estimator's capabilities from ``__sklearn_tags__``;
``Pipeline``, ``GridSearchCV``, ``cross_val_score``, ``clone`` and ``check_is_fitted`` all call it.
The tags are built only when scikit-learn asks for them, so scikit-learn stays an optional
dependency that fastgmm never imports by itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_array


class SklearnTags:
    """Mixin: ``__sklearn_tags__`` for a density estimator or a clusterer.

    ``_ESTIMATOR_TYPE`` is scikit-learn's estimator type ("density_estimator", "clusterer");
    ``_PRESERVES_DTYPE`` lists the input dtypes whose ``transform`` output keeps them (None: the
    estimator has no ``transform``).  Inputs are dense 2-D numeric arrays without NaN: sparse
    matrices are refused (the kernels read rows of a dense array).
    """

    _ESTIMATOR_TYPE = "density_estimator"
    _PRESERVES_DTYPE: list[str] | None = None

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        transformer = None if self._PRESERVES_DTYPE is None else TransformerTags(
            preserves_dtype=list(self._PRESERVES_DTYPE))
        return Tags(
            estimator_type=self._ESTIMATOR_TYPE,
            target_tags=TargetTags(required=False),
            transformer_tags=transformer,
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
        )


def feature_mismatch(n_features: int, expected: int, fitted_by: str) -> ValueError:
    """scikit-learn's error (and wording) for X with another number of features than ``fit`` saw."""
    return ValueError(
        f"X has {n_features} features, but {fitted_by} is expecting {expected} features as input "
        f"(it was fitted with {expected} features)."
    )


def check_input(X: Any, *, min_samples: int = 1, n_features: int | None = None,
                fitted_by: str = "the estimator") -> np.ndarray:
    """:func:`fastgmm._validate.check_array` with scikit-learn's errors where scikit-learn's checks expect them.

    Sparse matrices are refused (``TypeError``: the kernels read dense rows); complex data is a
    ``ValueError``; object arrays are converted to float64 (``TypeError`` when an element is not a
    number); 1-D input, empty arrays and a feature count other than ``n_features`` get
    scikit-learn's messages, with the fix spelled out.
    """
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required (fastgmm's kernels read dense rows). "
            "Use X.toarray() to convert it to a dense numpy array."
        )
    arr = np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {arr.dtype}; pass X.real or np.abs(X) instead.")
    if arr.dtype.kind == "O":
        arr = arr.astype(np.float64)  # TypeError naming the element type when one is not a number
    if arr.ndim == 1:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features): expected 2D array, got 1D array instead (shape {arr.shape}). "
            "Reshape your data either using "
            "X.reshape(-1, 1) if your data has a single feature or X.reshape(1, -1) if it contains a single sample."
        )
    for axis, what in ((1, "feature"), (0, "sample")):
        if arr.ndim == 2 and arr.shape[axis] == 0:
            raise ValueError(f"X is empty: found array with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 "
                             "is required.")
    if arr.ndim == 2 and n_features is not None and arr.shape[1] != n_features:
        raise feature_mismatch(arr.shape[1], n_features, fitted_by)
    return check_array(arr, min_samples=min_samples)


def store_params(estimator: Any, values: dict[str, Any]) -> None:
    """Store every constructor parameter of ``estimator`` under its own name; ``values`` is the
    constructor's ``locals()`` (scikit-learn's convention: ``__init__`` stores, ``fit`` checks)."""
    for name in estimator._param_names():
        setattr(estimator, name, values[name])
