"""Colour segmentation of an image with a Gaussian mixture over its pixel values.

A uint8 image has at most 256 (gray) or 2^24 (colour) distinct values and usually far fewer than
it has pixels, so :func:`segment` fits the mixture to the histogram of unique colours with
``sample_weight`` = their pixel counts.  That is the same likelihood as a fit on every pixel
(an integer weight counts a row that many times), at the cost of the unique colours only; the
label of every pixel is then the label of its colour, looked up through the inverse map.

With ``n_components="auto"`` the number of segments is chosen by a Dirichlet-process mixture
(:class:`fastgmm.BayesianGaussianMixture`) on the same histogram: it is given up to
``max_components`` components and switches off those the colours do not need; the segments are
the components that keep at least ``min_weight`` of the pixels.
"""

from __future__ import annotations

import colorsys
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._colours import unique_colours
from ._validate import check_frame, check_scalar
from .mixture import BayesianGaussianMixture, GaussianMixture
from .mixture._em import evaluate

AUTO_MAX_COMPONENTS = 10
AUTO_EFFECTIVE_SAMPLES = 1000.0
AUTO_MIN_WEIGHT = 0.01
AUTO_CONCENTRATION = 1e-3


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
        Segment of every pixel.
    model : GaussianMixture or BayesianGaussianMixture
        The fitted mixture (pixel values in 0..255 as features, one per channel).
    components : ndarray of int or None
        With ``n_components="auto"``: the mixture components kept as segments (segment ``i`` is
        component ``components[i]``); None when every component is a segment.
    """

    labels: np.ndarray
    model: GaussianMixture | BayesianGaussianMixture
    _channel_shape: tuple[int, ...]
    components: np.ndarray | None = None

    @property
    def n_components(self) -> int:
        """Number of segments (labels run from 0 to n_components - 1)."""
        return int(self.model.n_components if self.components is None else len(self.components))

    @property
    def segment_means(self) -> np.ndarray:
        """Mean colour of every segment, shape (n_components, channels)."""
        means = np.asarray(self.model.means_)
        return means if self.components is None else means[self.components]

    def colored(self) -> np.ndarray:
        """The image with every pixel replaced by its component's mean colour.

        Returns a uint8 array with the input's shape ((H, W), (H, W, 1) or (H, W, 3)); means are
        rounded and clipped to 0..255.
        """
        means = np.clip(np.rint(self.segment_means), 0, 255).astype(np.uint8)
        return means[self.labels].reshape(self.labels.shape + self._channel_shape)

    def palette_image(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB image with one distinct colour per label (see :func:`palette`)."""
        return palette(self.n_components)[self.labels]


def segment(
    image: Any,
    n_components: int | str,
    *,
    covariance_type: str = "full",
    random_state: Any = None,
    max_components: int = AUTO_MAX_COMPONENTS,
    min_weight: float = AUTO_MIN_WEIGHT,
    effective_samples: float = AUTO_EFFECTIVE_SAMPLES,
    **gmm_options: Any,
) -> SegmentationResult:
    """Segment an image by fitting a Gaussian mixture to its pixel values.

    Parameters
    ----------
    image : ndarray of shape (H, W), (H, W, 1) or (H, W, 3)
        uint8, or float32/float64 with values on the 0..255 scale (other scales segment just as
        well, but :meth:`SegmentationResult.colored` clips to 0..255).
    n_components : int or "auto"
        Number of segments (at most the number of distinct colours in the image), or "auto":
        a Dirichlet-process :class:`fastgmm.BayesianGaussianMixture` with ``max_components``
        components (``weight_concentration_prior=1e-3``) picks them.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    random_state : int, numpy Generator or None
        Seed of the mixture's initialisation.
    max_components, min_weight, effective_samples
        Only for "auto": the most segments; the smallest fraction of the pixels a component must
        hold to be a segment; and the total weight the colour histogram is scaled to.  Pixels of a
        photograph are far from independent samples (neighbours repeat each other, JPEG blocks),
        and at 1.5 million "independent" pixels every colour nuance earns a component; scaling the
        counts to ``effective_samples`` (default 1000) lets the prior switch off the components the
        image's colour structure does not need.
    **gmm_options
        Any other parameter of the mixture (``max_iter``, ``tol``, ``n_init``, ``init_params``,
        ``reg_covar``, ...; for "auto" also ``weight_concentration_prior``, ...).

    Returns
    -------
    SegmentationResult

    Notes
    -----
    The mixture is fitted to the image's distinct colours weighted by their pixel counts, which
    maximises the same likelihood as a fit on all pixels; labels are predicted for the distinct
    colours and mapped back to the pixels.
    """
    auto = isinstance(n_components, str)
    if auto:
        if n_components != "auto":
            raise ValueError(f"n_components must be a positive integer or 'auto'; got {n_components!r}.")
        check_scalar(max_components, "max_components", kind=numbers.Integral, min_val=1)
        check_scalar(min_weight, "min_weight", min_val=0.0, max_val=1.0, max_inclusive=False)
        check_scalar(effective_samples, "effective_samples", min_val=0.0, min_inclusive=False)
    else:
        check_scalar(n_components, "n_components", kind=numbers.Integral, min_val=1)
    img = check_frame(image, name="image")
    H, W, C = img.shape
    uniques, counts, inverse = unique_colours(img.reshape(H * W, C))
    n_colours = uniques.shape[0]
    if n_colours < 2:
        raise ValueError("image has only 1 distinct colour (a single colour): there is nothing to segment.")
    if auto:
        return _segment_auto(uniques, counts, inverse, (H, W), tuple(np.shape(image)[2:]), covariance_type,
                             random_state, max_components, min_weight, effective_samples, gmm_options)
    if n_colours < n_components:  # refused before any fitting (a mixture cannot have more components than colours)
        raise ValueError(f"n_components={n_components} exceeds the image's {n_colours} distinct colours; ask for "
                         f"at most {n_colours} components.")
    X = uniques.astype(np.float64) if uniques.dtype == np.uint8 else uniques
    model = GaussianMixture(
        n_components, covariance_type=covariance_type, random_state=random_state, **gmm_options
    ).fit(X, sample_weight=counts)
    labels = model.predict(X)[inverse].reshape(H, W)
    channel_shape = tuple(np.shape(image)[2:])
    return SegmentationResult(labels, model, channel_shape)


def _segment_auto(uniques: np.ndarray, counts: np.ndarray, inverse: np.ndarray, shape: tuple[int, int],
                  channel_shape: tuple[int, ...], covariance_type: str, random_state: Any, max_components: int,
                  min_weight: float, effective_samples: float, options: dict[str, Any]) -> SegmentationResult:
    """``segment(image, "auto")``: Dirichlet-process mixture on the scaled histogram, components kept by weight."""
    X = uniques.astype(np.float64) if uniques.dtype == np.uint8 else uniques
    options = {"weight_concentration_prior": AUTO_CONCENTRATION, "max_iter": 500, **options}
    model = BayesianGaussianMixture(
        min(max_components, X.shape[0]), covariance_type=covariance_type, random_state=random_state,
        weight_concentration_prior_type="dirichlet_process", **options,
    ).fit(X, sample_weight=counts * (effective_samples / counts.sum()))
    kept = np.flatnonzero(model.weights_ >= min_weight)
    if kept.size == 0:  # every weight below min_weight: keep the heaviest component
        kept = np.array([int(np.argmax(model.weights_))])
    means, prec, log_const, diag = model._kernel_params(X.dtype)
    colour_labels = evaluate(X, np.ascontiguousarray(means[kept]), np.ascontiguousarray(prec[kept]),
                             np.ascontiguousarray(log_const[kept]), diag, label=True)[1]
    return SegmentationResult(colour_labels[inverse].reshape(shape), model, channel_shape, kept)
