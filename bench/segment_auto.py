"""``segment(image, "auto")`` on the seed's plant-cell image: time (warm), the components it kept, and
a side-by-side figure with K=2 and K=5.

Usage::

    python bench/segment_auto.py [--repeat 5] [--figure docs/segment_auto.png]

The timing is the median [min-max] of ``--repeat`` warm calls (one call first, to load the
kernels), each doing the whole job: unique colours, the Dirichlet-process fit, labels of every pixel.
"""

from __future__ import annotations

import argparse
import time

import imageio.v3 as iio
import numpy as np

from fastgmm import segment
from fastgmm.datasets import shared_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--figure", default=None, help="write original | auto | K=2 | K=5 side by side (PNG)")
    args = parser.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("seed data not found (see fastgmm.datasets.shared_data_dir)")
    img = iio.imread(data / "seed" / "images" / "plant_cells_2.jpeg")
    segment(img, "auto", random_state=0)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = segment(img, "auto", random_state=0)
        times.append(time.perf_counter() - t0)
    model = result.model
    print(f"plant_cells_2.jpeg {img.shape[1]}x{img.shape[0]}: segment(image, 'auto') "
          f"{np.median(times):.3f} s [{min(times):.3f}-{max(times):.3f}] warm, median of {args.repeat}")
    print(f"kept {result.n_components} of {model.n_components} components after {model.n_iter_} iterations "
          f"(converged: {model.converged_})")
    counts = np.bincount(result.labels.ravel(), minlength=result.n_components)
    print("| segment | component | weight | mean colour (RGB) | pixels |")
    print("|---|---|---|---|---|")
    for i, k in enumerate(result.components):
        colour = ", ".join(f"{v:.0f}" for v in model.means_[k])
        print(f"| {i} | {k} | {model.weights_[k]:.3f} | {colour} | {counts[i]} |")
    if args.figure:
        panels = [img, result.colored()] + [segment(img, k, random_state=0).colored() for k in (2, 5)]
        gap = np.full((img.shape[0], 8, 3), 255, np.uint8)
        row = np.concatenate([p for panel in panels for p in (panel, gap)][:-1], axis=1)
        iio.imwrite(args.figure, row[::2, ::2])
        print(f"wrote {args.figure}: original | auto (K={result.n_components}) | K=2 | K=5")


if __name__ == "__main__":
    main()
