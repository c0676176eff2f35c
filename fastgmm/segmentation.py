"""Colour segmentation of an image with a Gaussian mixture over its pixel values.

A uint8 image has at most 256 (gray) or 2^24 (colour) distinct values and usually far fewer than
it has pixels, so :func:`segment` fits the mixture to the histogram of unique colours with
``sample_weight`` = their pixel counts.  That is the same likelihood as a fit on every pixel
(an integer weight counts a row that many times), at the cost of the unique colours only; the
label of every pixel is then the label of its colour, looked up through the inverse map.
"""

from __future__ import annotations

import colorsys
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._colours import unique_colours
from ._validate import check_frame, check_scalar
from .mixture import GaussianMixture


def palette(n_colours: int) -> np.ndarray:
    """``n_colours`` distinct, well-separated uint8 RGB colours (n_colours, 3).

    Hues advance by the golden ratio (so neighbouring labels differ strongly); every fourth turn
    of the saturation/value pair makes later colours darker or paler.  Duplicates after rounding
    are nudged until all rows are distinct.
    """
    check_scalar(n_colours, "n_colours", kind=numbers.Integral, min_val=1, max_val=1 << 24)
    colours = np.empty((n_colours, 3), dtype=np.uint8)
    seen: set[tuple[int, int, int]] = set()
    levels = ((0.85, 0.95), (0.55, 0.75), (0.95, 0.6), (0.4, 1.0))
    for k in range(n_colours):
        sat, val = levels[(k // 7) % len(levels)]
        rgb = np.rint(np.array(colorsys.hsv_to_rgb((k * 0.6180339887) % 1.0, sat, val)) * 255).astype(int)
        step = 0
        while tuple(rgb) in seen:  # only for very large n_colours
            step += 1
            rgb = (rgb + np.array([step % 2, (step // 2) % 2, 1])) % 256
        seen.add(tuple(int(v) for v in rgb))
        colours[k] = rgb
    return colours


@dataclass(frozen=True)
class SegmentationResult:
    """The outcome of :func:`segment`.

    Attributes
    ----------
    labels : ndarray of shape (H, W), int64
        Component of every pixel.
    model : GaussianMixture
        The fitted mixture (pixel values in 0..255 as features, one per channel).
    """

    labels: np.ndarray
    model: GaussianMixture
    _channel_shape: tuple[int, ...]

    @property
    def n_components(self) -> int:
        """Number of mixture components (labels run from 0 to n_components - 1)."""
        return int(self.model.n_components)

    def colored(self) -> np.ndarray:
        """The image with every pixel replaced by its component's mean colour.

        Returns a uint8 array with the input's shape ((H, W), (H, W, 1) or (H, W, 3)); means are
        rounded and clipped to 0..255.
        """
        means = np.clip(np.rint(self.model.means_), 0, 255).astype(np.uint8)
        return means[self.labels].reshape(self.labels.shape + self._channel_shape)

    def palette_image(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB image with one distinct colour per label (see :func:`palette`)."""
        return palette(self.n_components)[self.labels]


def segment(
    image: Any, n_components: int, *, covariance_type: str = "full", random_state: Any = None, **gmm_options: Any
) -> SegmentationResult:
    """Segment an image by fitting a Gaussian mixture to its pixel values.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 1) or (H, W, 3)
        uint8, or float32/float64 with values on the 0..255 scale (other scales segment just as
        well, but :meth:`SegmentationResult.colored` clips to 0..255).
    n_components : int
        Number of segments; at most the number of distinct colours in the image.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    random_state : int, numpy Generator or None
        Seed of the mixture's initialisation.
    **gmm_options
        Any other :class:`fastgmm.GaussianMixture` parameter (``max_iter``, ``tol``, ``n_init``,
        ``init_params``, ``reg_covar``, ...).

    Returns
    -------
    SegmentationResult

    Notes
    -----
    The mixture is fitted to the image's distinct colours weighted by their pixel counts, which
    maximises the same likelihood as a fit on all pixels; labels are predicted for the distinct
    colours and mapped back to the pixels.
    """
    check_scalar(n_components, "n_components", kind=numbers.Integral, min_val=1)
    img = check_frame(image, name="image")
    H, W, C = img.shape
    uniques, counts, inverse = unique_colours(img.reshape(H * W, C))
    if uniques.shape[0] < max(2, n_components):
        raise ValueError(
            f"image has only {uniques.shape[0]} distinct colour(s) but n_components={n_components}; "
            f"ask for at most {uniques.shape[0]} components"
            + (" (and a one-colour image cannot be fitted at all)." if uniques.shape[0] < 2 else ".")
        )
    X = uniques.astype(np.float64) if uniques.dtype == np.uint8 else uniques
    model = GaussianMixture(
        n_components, covariance_type=covariance_type, random_state=random_state, **gmm_options
    ).fit(X, sample_weight=counts)
    labels = model.predict(X)[inverse].reshape(H, W)
    channel_shape = tuple(np.shape(image)[2:])
    return SegmentationResult(labels, model, channel_shape)
