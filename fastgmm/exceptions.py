"""Exceptions and warnings raised by fastgmm."""

from __future__ import annotations


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator (or a first frame) and has none.

    It derives from both ``ValueError`` and ``AttributeError``, like scikit-learn's.
    """


class ConvergenceWarning(UserWarning):
    """EM or Lloyd iterations stopped at ``max_iter`` before reaching ``tol``."""


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (its type name when it has none; a missing file's name
    appended when the message leaves it out): what the command line and failed Dask tasks report."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    return text
