"""What scikit-learn's machinery asks of an estimator beyond ``get_params``/``set_params``.

scikit-learn (1.6 and later) reads an estimator's capabilities from ``__sklearn_tags__``;
``Pipeline``, ``GridSearchCV``, ``cross_val_score``, ``clone`` and ``check_is_fitted`` all call it.
The tags are built only when scikit-learn asks for them, so scikit-learn stays an optional
dependency that fastgmm never imports by itself.
"""

from __future__ import annotations

from typing import Any


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
