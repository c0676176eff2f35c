"""scikit-learn's ``check_estimator`` on fastgmm's batch estimators: every check passes.

What the estimators do not support is declared through ``__sklearn_tags__``
(:mod:`fastgmm.mixture._sklearn`: sparse input is refused with scikit-learn's error, because the
kernels read dense rows; NaN is refused).  One check is an expected failure, for the same
reason scikit-learn lists it for its own KMeans (``sklearn.utils._test_common.instance_generator``):
``check_sample_weight_equivalence_on_dense_data`` shuffles the weighted rows, and k-means++
draws its seeds by position, so the weighted and the repeated fits start from different
centres.  From the same initial centres, weights equal repeated rows
(``test_kmeans.py::test_sample_weight_equals_repeated_rows``).
"""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("sklearn", minversion="1.6")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastgmm import BayesianGaussianMixture, GaussianMixture, KMeans  # noqa: E402

EXPECTED_FAILED = {
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": (
            "k-means++ seeds are drawn by row position and the check shuffles the weighted rows; "
            "scikit-learn expects the same failure of its own KMeans"
        ),
    },
}


@parametrize_with_checks(
    [GaussianMixture(n_init=2, max_iter=5), BayesianGaussianMixture(n_init=2, max_iter=5),
     KMeans(n_clusters=2, n_init=2, max_iter=5)],
    expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the 5-iteration fits (as scikit-learn's own run)
        check(estimator)
