"""Exceptions and warnings raised by fastgmm."""

from __future__ import annotations


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator (or a first frame) and has none.

    It derives from both ``ValueError`` and ``AttributeError``, like scikit-learn's.
    """


class ConvergenceWarning(UserWarning):
    """EM or Lloyd iterations stopped at ``max_iter`` before reaching ``tol``."""
