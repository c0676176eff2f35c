"""The parameter protocol shared by every public model: ``get_params``, ``set_params`` and ``repr``.

A model's parameters are the keyword parameters of its ``__init__``, each stored as an attribute
of the same name (scikit-learn's convention, so ``sklearn.base.clone`` works).  Models that check
their parameters when they are constructed (the background subtractors) override
:meth:`Params._set_checked_params`, so ``set_params`` and attribute assignment are checked the
same way; the batch estimators check at ``fit`` time, as scikit-learn's do.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any

import numpy as np


def _folded(name: str) -> str:
    """``varThreshold``, ``var_threshold`` and ``setVarThreshold`` all fold to ``varthreshold``."""
    folded = name.replace("_", "").lower()
    return folded[3:] if folded[:3] in ("get", "set") and len(folded) > 3 else folded


def close_match(name: str, names: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest of ``names``, or an empty string.

    Spelling conventions are ignored first (``varThreshold`` finds ``var_threshold`` and
    ``setVarThreshold``), then :func:`difflib.get_close_matches` decides."""
    same = [n for n in names if _folded(n) == _folded(name)]
    if same:
        setter = [n for n in same if n.startswith("set")]
        return f" (did you mean {(setter or same)[0]!r}?)"
    found = difflib.get_close_matches(name, names, n=1)
    if not found:  # a misspelt parameter against the getX/setX names: compare the bare, folded words
        bare: dict[str, str] = {}
        for n in sorted(names, key=lambda n: not n.startswith("set")):  # setters first
            bare.setdefault(_folded(n), n)
        found = [bare[f] for f in difflib.get_close_matches(_folded(name), list(bare), n=1)]
    return f" (did you mean {found[0]!r}?)" if found else ""




def _same(value: Any, default: Any) -> bool:
    """Whether a parameter still holds its default (arrays and odd types count as changed)."""
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray) or type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


@functools.cache
def _param_names(init: Any) -> tuple[str, ...]:
    """Names of the named parameters of ``init`` (cached: attribute assignment consults it per frame)."""
    signature = inspect.signature(init)
    return tuple(
        name for name, p in signature.parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


class Params:
    """Mixin: parameters are the keyword arguments of ``__init__``, stored under their own names."""

    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        return _param_names(cls.__init__)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters as a dict (``deep`` is accepted for scikit-learn and ignored)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any):
        """Set constructor parameters by name and return ``self``; an unknown name raises ``ValueError``."""
        names = self._param_names()
        for name in params:
            if name not in names:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}{close_match(name, names)}; "
                    f"valid parameters: {', '.join(names)}."
                )
        self._set_checked_params(params)
        return self

    def _check_attribute(self, name: str) -> None:
        """Raise ``AttributeError`` unless ``name`` may be assigned on this model.

        Allowed: parameters, private names (``_x``), fitted attributes (``x_``, scikit-learn's
        convention) and attributes the object or its class already has.  Anything else is a typo
        or another library's spelling (``m.varThreshold = 100``) that would otherwise create a new
        attribute and change nothing; the error names the close match.  A model's ``__setattr__``
        calls this before storing a non-parameter attribute.
        """
        if name.startswith("_") or name.endswith("_") or name in self._param_names() or name in self.__dict__ \
                or hasattr(type(self), name):
            return
        known = tuple(self._param_names()) + tuple(n for n in dir(self) if not n.startswith("_"))
        raise AttributeError(
            f"{type(self).__name__} has no parameter or attribute {name!r}{close_match(name, known)}; "
            f"parameters: {', '.join(self._param_names())}."
        )

    def _set_checked_params(self, params: dict[str, Any]) -> None:
        """Store ``params`` (known names); models that check parameters on construction override this."""
        for name, value in params.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        shown = []
        for name, value in self.get_params().items():
            default = signature.parameters[name].default
            if not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"
