"""fastgmm.segment: exact recovery of synthetic regions, histogram fit equal to the all-pixel fit,
gray/float inputs, colours of the result, bad input, and quality on a crop of the seed image."""

from __future__ import annotations

import numpy as np
import pytest

import fastgmm


def three_colour_image(seed: int = 0, channels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(60, 80, C) uint8 image of three noisy flat regions and its true region map."""
    rng = np.random.default_rng(seed)
    regions = np.zeros((60, 80), dtype=int)
    regions[:, 30:] = 1
    yy, xx = np.mgrid[:60, :80]
    regions[(yy - 30) ** 2 + (xx - 55) ** 2 < 15**2] = 2
    colours = np.array([[200, 40, 40], [40, 180, 60], [50, 60, 220]] if channels == 3 else [[200], [40], [120]], float)
    img = colours[regions] + rng.normal(0, 6, size=(60, 80, channels))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), regions


def assert_same_partition(labels: np.ndarray, regions: np.ndarray) -> None:
    """labels equal regions up to a renaming of the labels."""
    mapping = {}
    for r in np.unique(regions):
        found = np.unique(labels[regions == r])
        assert found.size == 1, f"region {r} split into labels {found}"
        mapping[r] = int(found[0])
    assert len(set(mapping.values())) == len(mapping), "two regions share a label"


@pytest.mark.parametrize("channels", [1, 3])
def test_recovers_regions_exactly(channels):
    img, regions = three_colour_image(channels=channels)
    result = fastgmm.segment(img, 3, random_state=0)
    assert result.labels.shape == (60, 80) and result.labels.dtype.kind == "i"
    assert_same_partition(result.labels, regions)
    assert isinstance(result, fastgmm.SegmentationResult)
    assert isinstance(result.model, fastgmm.GaussianMixture)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_histogram_fit_equals_fit_on_all_pixels(covariance_type):
    img, _ = three_colour_image(seed=4)
    pixels = img.reshape(-1, 3).astype(np.float64)
    start = dict(
        weights_init=[0.2, 0.3, 0.5],
        means_init=[[180.0, 60, 60], [60, 160, 80], [60, 80, 200]],
        precisions_init=np.stack([np.eye(3) / 400.0] * 3) if covariance_type == "full" else np.full((3, 3), 1 / 400.0),
    )
    full = fastgmm.GaussianMixture(3, covariance_type=covariance_type, **start).fit(pixels)
    result = fastgmm.segment(img, 3, covariance_type=covariance_type, **start)
    hist = result.model
    assert hist.n_iter_ == full.n_iter_
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(hist, name), getattr(full, name), rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(hist.lower_bound_, full.lower_bound_, rtol=1e-9)
    np.testing.assert_array_equal(result.labels.ravel(), full.predict(pixels))


def test_histogram_fit_equals_weighted_unique_fit():
    img, _ = three_colour_image(seed=2)
    uniques, counts = np.unique(img.reshape(-1, 3), axis=0, return_counts=True)
    ref = fastgmm.GaussianMixture(3, random_state=3).fit(uniques.astype(np.float64), sample_weight=counts)
    got = fastgmm.segment(img, 3, random_state=3).model
    np.testing.assert_allclose(got.means_, ref.means_, rtol=1e-9)
    np.testing.assert_allclose(got.weights_, ref.weights_, rtol=1e-9)


def test_gray_shapes_and_float_input():
    img, regions = three_colour_image(seed=1, channels=1)
    gray = img[:, :, 0]
    r2 = fastgmm.segment(gray, 3, random_state=0)
    r3 = fastgmm.segment(img, 3, random_state=0)
    rf = fastgmm.segment(gray.astype(np.float32), 3, random_state=0)
    assert r2.colored().shape == (60, 80) and r3.colored().shape == (60, 80, 1)
    np.testing.assert_array_equal(r2.labels, r3.labels)
    np.testing.assert_array_equal(rf.labels, r2.labels)
    np.testing.assert_allclose(rf.model.means_, r2.model.means_, rtol=1e-5)
    assert_same_partition(rf.labels, regions)
    scaled = fastgmm.segment(img / 255.0, 3, random_state=0)  # not whole numbers: fitted on np.unique rows
    assert_same_partition(scaled.labels, regions)
    np.testing.assert_allclose(scaled.model.means_ * 255.0, r3.model.means_, rtol=1e-3)


def test_colored_and_palette():
    img, regions = three_colour_image(seed=3)
    result = fastgmm.segment(img, 3, random_state=0)
    coloured = result.colored()
    assert coloured.dtype == np.uint8 and coloured.shape == img.shape
    for k in range(3):
        inside = result.labels == k
        expected = np.clip(np.rint(result.model.means_[k]), 0, 255)
        np.testing.assert_array_equal(coloured[inside], np.broadcast_to(expected, (inside.sum(), 3)))
        # the region mean colour is close to the true region colour
        np.testing.assert_allclose(result.model.means_[k], img[inside].mean(axis=0), atol=1.0)
    pal = result.palette_image()
    assert pal.shape == (60, 80, 3) and pal.dtype == np.uint8
    label_colours = {tuple(pal[result.labels == k][0]) for k in range(3)}
    assert len(label_colours) == 3
    for k in range(3):
        assert (pal[result.labels == k] == pal[result.labels == k][0]).all()


@pytest.mark.filterwarnings("ignore::fastgmm.exceptions.ConvergenceWarning")
def test_many_labels_get_distinct_colours():
    rng = np.random.default_rng(0)
    levels = np.arange(40) * 6
    img = rng.choice(levels, size=(30, 40)).astype(np.uint8)
    result = fastgmm.segment(img, 40, covariance_type="spherical", max_iter=5, random_state=0, tol=0.0)
    pal = result.palette_image()
    n_colours = len({tuple(c) for c in pal.reshape(-1, 3)})
    assert n_colours == len(np.unique(result.labels))


def test_bad_input():
    img, _ = three_colour_image()
    with pytest.raises(ValueError, match="1 or 3 channels"):
        fastgmm.segment(np.zeros((4, 4, 4), dtype=np.uint8), 2)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        fastgmm.segment(np.zeros((2, 4, 4, 3), dtype=np.uint8), 2)
    with pytest.raises(TypeError, match="dtype"):
        fastgmm.segment(img.astype(np.int16), 2)
    bad = img.astype(np.float64)
    bad[3, 4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fastgmm.segment(bad, 2)
    with pytest.raises(ValueError, match="n_components"):
        fastgmm.segment(img, 0)
    with pytest.raises(TypeError, match="n_components"):
        fastgmm.segment(img, 2.5)
    two = np.zeros((5, 5), dtype=np.uint8)
    two[2:] = 9
    with pytest.raises(ValueError, match="2 distinct colours; ask for at most 2 components"):
        fastgmm.segment(two, 3)
    with pytest.raises(ValueError, match="only 1 distinct colour"):
        fastgmm.segment(np.full((5, 5), 7, dtype=np.uint8), 1)
    with pytest.raises(ValueError, match="covariance_type"):
        fastgmm.segment(img, 2, covariance_type="banana")


def test_plant_cells_crop_matches_sklearn_quality(data_dir):
    import imageio.v3 as iio
    from sklearn.mixture import GaussianMixture

    img = iio.imread(data_dir / "seed" / "images" / "plant_cells_2.jpeg")[300:500:2, 400:700:2, :3]
    pixels = img.reshape(-1, 3).astype(np.float64)
    ours = fastgmm.segment(img, 5, random_state=0)
    ref = GaussianMixture(5, random_state=0).fit(pixels)
    assert ours.model.score(pixels) >= ref.score(pixels) - 0.01
    assert len(np.unique(ours.labels)) == 5


@pytest.mark.parametrize("channels", [3, 1])
def test_auto_finds_the_three_regions(channels):
    img, regions = three_colour_image(seed=5, channels=channels)
    result = fastgmm.segment(img, "auto", random_state=0)
    assert result.n_components == 3
    assert_same_partition(result.labels, regions)
    assert isinstance(result.model, fastgmm.BayesianGaussianMixture)
    assert result.segment_means.shape == (3, channels)
    assert result.colored().shape == img.shape
    # the kept components hold every pixel of their region; the others are switched off
    kept_weight = result.model.weights_[result.components].sum()
    assert kept_weight > 0.99


def test_auto_options_and_errors():
    img, _ = three_colour_image(seed=6)
    few = fastgmm.segment(img, "auto", random_state=0, max_components=2)
    assert few.n_components <= 2
    with pytest.raises(ValueError, match="'auto'"):
        fastgmm.segment(img, "automatic")
    with pytest.raises(ValueError, match="single colour"):
        fastgmm.segment(np.zeros((4, 4, 3), np.uint8), "auto")
    with pytest.raises(ValueError, match="min_weight"):
        fastgmm.segment(img, "auto", min_weight=1.0)


def test_auto_on_plant_cells(data_dir):
    import imageio.v3 as iio

    img = iio.imread(data_dir / "seed" / "images" / "plant_cells_2.jpeg")
    result = fastgmm.segment(img, "auto", random_state=0)
    assert 2 <= result.n_components < 10
    counts = np.bincount(result.labels.ravel(), minlength=result.n_components)
    assert np.all(counts > 0.005 * result.labels.size)  # every reported segment holds pixels
    assert result.model.converged_
