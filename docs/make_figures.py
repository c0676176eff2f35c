"""Regenerate the small README figures under docs/ from the synthetic demo scene (no third-party data).

    python docs/make_figures.py

Writes, for frame 200 of :func:`fastgmm.demo.make_scene` (seed 0):

* ``demo_masks.png``: left to right: input frame, ground truth, then the masks of every method of
  the registry in its order (white = foreground, gray = MOG2 shadow);
* ``demo_backgrounds.png``: the clean background, then the background images of default and average;
* ``demo_segmentation.png``: input frame, its 4-component segmentation (mean colours), and the palette view.
"""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np

from fastgmm.background.methods import METHODS
from fastgmm.demo import make_scene, run_method
from fastgmm.segmentation import segment

FRAME = 200
GAP = 3
BACKGROUNDS = ("default", "average")


def _rgb(img: np.ndarray) -> np.ndarray:
    return np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img


def strip(images: list[np.ndarray]) -> np.ndarray:
    """Images side by side with a white gap between them."""
    h = images[0].shape[0]
    gap = np.full((h, GAP, 3), 255, np.uint8)
    parts = []
    for img in images:
        parts += [_rgb(img), gap]
    return np.concatenate(parts[:-1], axis=1)


def main() -> None:
    out = Path(__file__).resolve().parent
    scene = make_scene(seed=0)
    frame = scene.frames[FRAME]
    masks, backgrounds = [], []
    for name in METHODS:
        model, m, _ = run_method(scene, name)
        masks.append(m[FRAME])
        backgrounds.append(model.background_image())
    iio.imwrite(out / "demo_masks.png", strip([frame, scene.truth[FRAME], *masks]), optimize=True)
    shown = [backgrounds[list(METHODS).index(name)] for name in BACKGROUNDS]
    iio.imwrite(out / "demo_backgrounds.png", strip([scene.background, *shown]), optimize=True)
    seg = segment(frame, 4, random_state=0)
    iio.imwrite(out / "demo_segmentation.png", strip([frame, seg.colored(), seg.palette_image()]), optimize=True)
    for p in sorted(out.glob("demo_*.png")):
        print(f"{p.name}: {p.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
