"""fastgmm.segment vs scikit-learn's GaussianMixture fitted on every pixel of the seed image
(plant_cells_2.jpeg, 1480 x 1015, K = 5, full covariances, random_state = 0 for both).

What is timed: the whole ``fastgmm.segment`` call (unique-colour histogram, fit, labels of all
pixels) against scikit-learn's ``fit`` alone on all pixels (its labels would cost extra), so the
ratio is conservative.  Quality: the mean log-likelihood per pixel of both fitted models on all
pixels (``score``).

pytest-benchmark (scikit-learn is run once: about a minute)::

    pytest bench/bench_segment.py

Quick smoke test (a 4x downscaled image, each case run once)::

    FASTGMM_BENCH_QUICK=1 pytest bench/bench_segment.py --benchmark-disable -q

Side-by-side ratio and log-likelihoods without pytest (ours best of ``--repeat`` runs before and
``--repeat`` after scikit-learn's fit)::

    python bench/bench_segment.py [--quick] [--repeat 5] [--components 5]

Needs the third-party data (``fastgmm.datasets.shared_data_dir()``); skips / exits without it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import imageio.v3 as iio
import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SKGaussianMixture

import fastgmm
from fastgmm.datasets import shared_data_dir

QUICK = bool(os.environ.get("FASTGMM_BENCH_QUICK"))
N_COMPONENTS = 5
SEED = 0


def load_image(quick: bool = QUICK) -> np.ndarray | None:
    """The seed's plant-cell image (RGB uint8), every 4th pixel when ``quick``; None without data."""
    root = shared_data_dir()
    if root is None:
        return None
    img = iio.imread(root / "seed" / "images" / "plant_cells_2.jpeg")[..., :3]
    return np.ascontiguousarray(img[::4, ::4]) if quick else img


def segment_ours(img: np.ndarray, k: int = N_COMPONENTS) -> fastgmm.SegmentationResult:
    return fastgmm.segment(img, k, random_state=SEED)


def fit_sklearn(img: np.ndarray, k: int = N_COMPONENTS) -> SKGaussianMixture:
    return SKGaussianMixture(k, random_state=SEED).fit(img.reshape(-1, img.shape[2]).astype(np.float64))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    img = load_image()
    if img is None:
        pytest.skip("third-party data not found (fastgmm.datasets.shared_data_dir() is None)")
    segment_ours(img[:64, :64])  # compile / load the kernels outside the timing
    return img


def test_segment_fastgmm(benchmark, image):
    benchmark.group = "segment plant_cells_2 K=5"
    result = benchmark(segment_ours, image)
    assert result.labels.shape == image.shape[:2]


def test_segment_sklearn(benchmark, image):
    benchmark.group = "segment plant_cells_2 K=5"
    model = benchmark.pedantic(fit_sklearn, args=(image,), rounds=1, iterations=1)
    pixels = image.reshape(-1, 3).astype(np.float64)
    ours = segment_ours(image).model
    assert ours.score(pixels) >= model.score(pixels) - 0.01


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4x downscaled image")
    parser.add_argument("--repeat", type=int, default=5, help="runs of fastgmm.segment (best is reported)")
    parser.add_argument("--components", type=int, default=N_COMPONENTS)
    args = parser.parse_args(argv)
    img = load_image(args.quick or QUICK)
    if img is None:
        print("third-party data not found (fastgmm.datasets.shared_data_dir() is None)")
        return 1
    k = args.components
    pixels = img.reshape(-1, 3).astype(np.float64)
    segment_ours(img[:64, :64], min(k, 2))  # compile / load kernels
    times = []

    def time_ours() -> fastgmm.SegmentationResult:
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = segment_ours(img, k)
            times.append(time.perf_counter() - start)
        return result

    time_ours()
    start = time.perf_counter()
    sk = fit_sklearn(img, k)
    sk_time = time.perf_counter() - start
    result = time_ours()  # before and after scikit-learn: a burst of load elsewhere hits both
    ours_ll, sk_ll = result.model.score(pixels), sk.score(pixels)
    n_unique = len(np.unique(pixels @ np.array([65536.0, 256.0, 1.0])))
    print(f"image {img.shape[1]}x{img.shape[0]} ({pixels.shape[0]} pixels, {n_unique} distinct colours), K={k}")
    print(f"fastgmm.segment (histogram + fit + labels): {min(times):.3f} s best of {len(times)}, "
          f"median {np.median(times):.3f} s"
          f" ({result.model.n_iter_} EM iterations)")
    print(f"scikit-learn GaussianMixture.fit on all pixels: {sk_time:.3f} s ({sk.n_iter_} EM iterations)")
    print(f"speed ratio (sklearn / fastgmm): {sk_time / min(times):.1f}x")
    print(f"mean log-likelihood per pixel: fastgmm {ours_ll:.5f}, sklearn {sk_ll:.5f}, "
          f"difference {ours_ll - sk_ll:+.5f} (floor: >= -0.01)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
