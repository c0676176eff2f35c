"""Exceptions and warnings raised by fastgmm.

When scikit-learn is importable they derive from its own (``sklearn.exceptions.NotFittedError``
and ``ConvergenceWarning``), so ``except``-clauses and warning filters written for scikit-learn
apply to fastgmm's estimators too; otherwise from ``ValueError`` + ``AttributeError`` and
``UserWarning``, as scikit-learn's do.  Importing scikit-learn takes about a second, so fastgmm
imports this module only when it raises or warns (``import fastgmm`` never imports scikit-learn).
"""

from __future__ import annotations

try:  # any failure (not installed, broken install) leaves scikit-learn out
    from sklearn.exceptions import ConvergenceWarning as _ConvergenceBase
    from sklearn.exceptions import NotFittedError as _NotFittedBase

    _NOT_FITTED_BASES: tuple[type, ...] = (_NotFittedBase,)
    _CONVERGENCE_BASES: tuple[type, ...] = (_ConvergenceBase,)
except Exception:  # noqa: BLE001
    _NOT_FITTED_BASES = (ValueError, AttributeError)
    _CONVERGENCE_BASES = (UserWarning,)


class NotFittedError(*_NOT_FITTED_BASES):
    """Raised when a method needs a fitted estimator (or a first frame) and has none.

    A ``ValueError`` and an ``AttributeError``, and scikit-learn's ``NotFittedError`` when it is
    installed.
    """


class ConvergenceWarning(*_CONVERGENCE_BASES):
    """EM or Lloyd iterations stopped at ``max_iter`` before reaching ``tol``.

    A ``UserWarning``, and scikit-learn's ``ConvergenceWarning`` when it is installed.
    """
