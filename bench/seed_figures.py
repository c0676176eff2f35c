"""Render the seed project's figures with fastgmm into ./seed-figures/ (git-ignored).

* plant_cells_2.jpeg segmented with K = 2 and K = 5: each pixel in its component's mean colour
  (``*_colored.png``) and in one distinct colour per label (``*_palette.png``);
* traffic.gif: the background learned from the first 60 % of the frames by PixelGMM (the seed's
  method), FrameAverage and KMeansBackground, and their foreground masks of a few later frames,
  each model also as one montage (top row: background and the frames, bottom row: the masks).

Usage::

    python bench/seed_figures.py [--out seed-figures]

Needs the third-party data (located with ``fastgmm.datasets.shared_data_dir()``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np

import fastgmm
from fastgmm.datasets import shared_data_dir

TRAIN_FRACTION = 0.6
MASK_FRAMES = (50, 60, 70, 79)


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img


def montage(top: list[np.ndarray], bottom: list[np.ndarray], gap: int = 4) -> np.ndarray:
    """Two rows of equally sized images on a white background."""
    h, w = top[0].shape[:2]
    n = max(len(top), len(bottom))
    sheet = np.full((2 * h + gap, n * w + (n - 1) * gap, 3), 255, dtype=np.uint8)
    for row, images in enumerate((top, bottom)):
        for i, img in enumerate(images):
            sheet[row * (h + gap) : row * (h + gap) + h, i * (w + gap) : i * (w + gap) + w] = _rgb(img)
    return sheet


def plant_cells(data: Path, out: Path) -> None:
    img = iio.imread(data / "seed" / "images" / "plant_cells_2.jpeg")[..., :3]
    for k in (2, 5):
        start = time.perf_counter()
        result = fastgmm.segment(img, k, random_state=0)
        print(f"plant_cells_2 K={k}: {time.perf_counter() - start:.3f} s, "
              f"mean log-likelihood {result.model.score(img.reshape(-1, 3).astype(np.float64)):.4f}")
        iio.imwrite(out / f"plant_cells_k{k}_colored.png", result.colored())
        iio.imwrite(out / f"plant_cells_k{k}_palette.png", result.palette_image())


def traffic(data: Path, out: Path) -> None:
    frames = iio.imread(data / "seed" / "videos" / "traffic.gif", index=None)[..., :3]
    n_train = int(round(TRAIN_FRACTION * len(frames)))
    models = {
        "pixelgmm": fastgmm.PixelGMM(),
        "frameaverage": fastgmm.FrameAverage(),
        "kmeans": fastgmm.KMeansBackground(),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(frames[:n_train])
        print(f"traffic.gif {type(model).__name__}: fit on {n_train} frames in {time.perf_counter() - start:.3f} s")
        background = model.background_image()
        iio.imwrite(out / f"traffic_{name}_background.png", background)
        masks = []
        for t in MASK_FRAMES:
            mask = model.apply(frames[t])
            iio.imwrite(out / f"traffic_{name}_mask_{t:03d}.png", mask)
            masks.append(mask)
        sheet = montage([background] + [frames[t] for t in MASK_FRAMES], [np.zeros_like(masks[0])] + masks)
        iio.imwrite(out / f"traffic_{name}_montage.png", sheet)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("seed-figures"))
    args = parser.parse_args(argv)
    data = shared_data_dir()
    if data is None:
        print("third-party data not found (fastgmm.datasets.shared_data_dir() is None)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    plant_cells(data, args.out)
    traffic(data, args.out)
    print(f"figures written to {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
