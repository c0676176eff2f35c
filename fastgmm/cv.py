"""OpenCV-compatible front: ``cv2``'s background-subtractor names and semantics over fastgmm's models.

A script written against OpenCV runs unchanged except its import line::

    from fastgmm import cv as cv2          # instead of: import cv2 (for the subtractors)

    mog2 = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=16, detectShadows=True)
    mog = cv2.bgsegm.createBackgroundSubtractorMOG(history=200, nmixtures=5, backgroundRatio=0.7)
    for frame in frames:                   # BGR (or gray) uint8 frames, e.g. from cv2.VideoCapture
        mask = mog2.apply(frame, learningRate=-1)
        mog2.setVarThreshold(25)           # setters apply from the next frame, as in OpenCV
    background = mog2.getBackgroundImage()

Masks and background images are identical to OpenCV's (the kernels follow ``bgfg_gaussmix2.cpp``
and ``bgfg_gaussmix.cpp`` step by step; channel order does not matter to either model).  As in
OpenCV, a frame of another size or type re-initialises the model, and ``apply`` writes into
``fgmask`` when it is a uint8 array of the frame's size.  Beyond OpenCV: :meth:`save` /
:func:`load` keep the whole model (OpenCV's ``save`` keeps only the parameters), and
:func:`createBackgroundSubtractorDefault` gives fastgmm's recommended method (the registry's
``default``).  Assigning an attribute that is not part of the object (``m.varThreshold = 100``)
raises ``AttributeError`` naming the close match (``setVarThreshold``), as ``cv2`` objects do.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._params import close_match

__all__ = ["BackgroundSubtractor", "bgsegm", "createBackgroundSubtractorDefault", "createBackgroundSubtractorMOG",
           "createBackgroundSubtractorMOG2", "load"]

MOG2_PROPERTIES = {
    "History": "history", "NMixtures": "n_mixtures", "BackgroundRatio": "background_ratio",
    "VarThreshold": "var_threshold", "VarThresholdGen": "var_threshold_gen", "VarInit": "var_init",
    "VarMin": "var_min", "VarMax": "var_max", "ComplexityReductionThreshold": "complexity_reduction_threshold",
    "DetectShadows": "detect_shadows", "ShadowValue": "shadow_value", "ShadowThreshold": "shadow_threshold",
}
"""OpenCV's get/set suffix of every ``cv2.BackgroundSubtractorMOG2`` property -> our parameter name."""
MOG_PROPERTIES = {"History": "history", "NMixtures": "n_mixtures", "BackgroundRatio": "background_ratio",
                  "NoiseSigma": "noise_sigma"}
"""The same for ``cv2.bgsegm.BackgroundSubtractorMOG``."""


def _camel(name: str) -> str:
    """``var_threshold`` -> ``VarThreshold`` (property suffix of a parameter without an OpenCV name)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class BackgroundSubtractor:
    """A fastgmm subtractor behind OpenCV's interface (``apply``, ``getBackgroundImage``, ``getX``/``setX``).

    Build one with :func:`createBackgroundSubtractorMOG2`, :func:`bgsegm.createBackgroundSubtractorMOG`
    or :func:`createBackgroundSubtractorDefault`.  ``model`` is the wrapped fastgmm object.
    """

    __slots__ = ("_build", "_frame_key", "_name", "_properties", "model")

    def __init__(self, build: Callable[[], Any], properties: dict[str, str] | None = None, *,
                 name: str | None = None) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "model", build())
        object.__setattr__(self, "_frame_key", None)
        object.__setattr__(self, "_name", name or f"fastgmm.{type(self.model).__name__}")
        if properties is None:  # every parameter the model (or its parametrised part) has, in CamelCase
            owner = self._owner()
            properties = {_camel(n): n for n in (owner.get_params() if owner is not None else {})}
        object.__setattr__(self, "_properties", dict(properties))

    def _owner(self) -> Any:
        """The object holding the parameters: the model, or for a composite model without
        ``get_params`` (the default method) its first part that has one (e.g. its MOG2)."""
        if hasattr(self.model, "get_params"):
            return self.model
        return next((v for v in vars(self.model).values() if hasattr(v, "get_params")), None)

    # ------------------------------------------------------------------ OpenCV's methods
    def apply(self, image: np.ndarray, fgmask: np.ndarray | None = None, learningRate: float = -1) -> np.ndarray:  # noqa: N803
        """Update the model with ``image`` and return the foreground mask (OpenCV's ``apply``).

        ``learningRate`` negative: automatic; 0: no update; 1: re-initialise from this frame.
        A frame of a different size, channel count or dtype than the previous one re-initialises
        the model (as OpenCV does).  ``fgmask``, when a writeable C-contiguous uint8 array of the
        frame's size, receives the mask and is returned; otherwise a new array is returned.
        """
        image = np.asarray(image)
        key = (image.shape[:2], 1 if image.ndim == 2 else image.shape[2], image.dtype.str)
        if self._frame_key is not None and key != self._frame_key:
            self.clear()
        object.__setattr__(self, "_frame_key", key)
        out = fgmask if _fits(fgmask, image.shape[:2]) else None
        return self.model.apply(image, float(learningRate), out=out)

    def getBackgroundImage(self, backgroundImage: np.ndarray | None = None) -> np.ndarray:  # noqa: N802,N803
        """The background image, same size and channels as the frames (OpenCV's ``getBackgroundImage``).

        Before the first frame it is an empty (0, 0) array, as OpenCV's."""
        if getattr(self._owner() or self.model, "n_frames_", 1) == 0:
            return np.empty((0, 0), np.uint8)
        bg = self.model.background_image()
        if isinstance(backgroundImage, np.ndarray) and backgroundImage.shape == bg.shape \
                and backgroundImage.dtype == bg.dtype and backgroundImage.flags.writeable:
            backgroundImage[...] = bg
            return backgroundImage
        return bg

    def clear(self) -> None:
        """Forget the learned background (parameters are kept); the next frame starts a new model."""
        if hasattr(self.model, "reset"):
            self.model.reset()
        else:
            params = self.model.get_params() if hasattr(self.model, "get_params") else None
            object.__setattr__(self, "model", self._build())
            if params:
                self.model.set_params(**params)
        object.__setattr__(self, "_frame_key", None)

    def empty(self) -> bool:
        """``False``, as OpenCV's subtractors answer (``Algorithm.empty``)."""
        return False

    def getDefaultName(self) -> str:  # noqa: N802
        """OpenCV's ``Algorithm.getDefaultName`` (``BackgroundSubtractor_MOG2`` for MOG2, as OpenCV)."""
        return self._name

    # ------------------------------------------------------------------ fastgmm's persistence
    def save(self, filename: str | Path) -> None:
        """Write the whole model (parameters and learned state) to ``filename`` (an ``.npz`` file)."""
        self.model.save(filename)

    # ------------------------------------------------------------------ getX / setX
    def __getattr__(self, name: str) -> Any:
        prefix, prop = name[:3], name[3:]
        if prefix in ("get", "set") and prop in self._properties:
            param = self._properties[prop]
            if prefix == "get":
                return lambda: getattr(self._owner(), param)
            return lambda value: self._owner().set_params(**{param: value})
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}{close_match(name, self._names())}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on {self.getDefaultName()}{close_match(name, self._names())}; "
                             "parameters are set with the setX methods")

    def _names(self) -> tuple[str, ...]:
        public = [n for n in dir(type(self)) if not n.startswith("_")]
        return tuple(public + [f"{p}{s}" for s in self._properties for p in ("get", "set")])

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._names()))

    def __repr__(self) -> str:
        return f"<fastgmm.cv {self.model!r}>"


def _fits(fgmask: Any, shape: tuple[int, int]) -> bool:
    return (isinstance(fgmask, np.ndarray) and fgmask.dtype == np.uint8 and fgmask.shape == tuple(shape)
            and fgmask.flags.c_contiguous and fgmask.flags.writeable)


def createBackgroundSubtractorMOG2(history: int = 500, varThreshold: float = 16,  # noqa: N802,N803
                                   detectShadows: bool = True) -> BackgroundSubtractor:  # noqa: N803
    """``cv2.createBackgroundSubtractorMOG2`` over :class:`fastgmm.BackgroundSubtractorMOG2` (same masks)."""
    from .background.mog2 import BackgroundSubtractorMOG2

    params = {"history": history, "var_threshold": varThreshold, "detect_shadows": bool(detectShadows)}
    BackgroundSubtractorMOG2(**params)  # checked now, as OpenCV's constructor does
    return BackgroundSubtractor(lambda: BackgroundSubtractorMOG2(**params), MOG2_PROPERTIES,
                                name="BackgroundSubtractor_MOG2")


def createBackgroundSubtractorMOG(history: int = 200, nmixtures: int = 5, backgroundRatio: float = 0.7,  # noqa: N802,N803
                                  noiseSigma: float = 0) -> BackgroundSubtractor:  # noqa: N803
    """``cv2.bgsegm.createBackgroundSubtractorMOG`` over :class:`fastgmm.BackgroundSubtractorMOG` (same masks)."""
    from .background.mog import BackgroundSubtractorMOG

    # OpenCV's constructor replaces a non-positive noiseSigma by its default, 15 (getNoiseSigma shows 15)
    sigma = 15.0 if isinstance(noiseSigma, (int, float)) and not isinstance(noiseSigma, bool) and noiseSigma <= 0 \
        else noiseSigma
    params = {"history": history, "n_mixtures": nmixtures, "background_ratio": backgroundRatio,
              "noise_sigma": sigma}
    BackgroundSubtractorMOG(**params)
    return BackgroundSubtractor(lambda: BackgroundSubtractorMOG(**params), MOG_PROPERTIES,
                                name="BackgroundSubtractor_MOG")


def createBackgroundSubtractorDefault() -> BackgroundSubtractor:  # noqa: N802
    """fastgmm's recommended method (the registry's ``default``) behind the same interface.

    Its ``getX``/``setX`` pairs are the model's parameters under CamelCase names (today the
    adaptive mixture's, e.g. ``getVarThreshold()`` gives 25; for a composite model without
    ``get_params``, those of its first part that has them)."""
    from .background.methods import get_method

    return BackgroundSubtractor(get_method("default").build)


def load(filename: str | Path) -> BackgroundSubtractor:
    """A subtractor written by :meth:`BackgroundSubtractor.save` (MOG2 or MOG), ready to continue."""
    import json

    from .background.mog import BackgroundSubtractorMOG
    from .background.mog2 import BackgroundSubtractorMOG2

    classes = {c.__name__: (c, p) for c, p in ((BackgroundSubtractorMOG2, MOG2_PROPERTIES),
                                               (BackgroundSubtractorMOG, MOG_PROPERTIES))}
    try:
        with np.load(filename, allow_pickle=False) as data:
            name = json.loads(str(data["meta"][()])).get("class_name")
    except Exception as exc:  # noqa: BLE001 - any failure is "not a saved subtractor"
        raise ValueError(f"{filename} is not a saved fastgmm subtractor: {exc}") from None
    if name not in classes:
        raise ValueError(f"{filename} holds a {name!r}, not one of {', '.join(classes)}.")
    cls, props = classes[name]
    model = cls.load(filename)
    params = model.get_params()
    wrapper = BackgroundSubtractor(lambda: cls(**params), props)
    object.__setattr__(wrapper, "model", model)  # the first frame must match the saved model's shape
    return wrapper


bgsegm = types.SimpleNamespace(createBackgroundSubtractorMOG=createBackgroundSubtractorMOG)
"""``cv2.bgsegm`` stand-in: ``bgsegm.createBackgroundSubtractorMOG(...)``."""
