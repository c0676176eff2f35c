"""A synthetic surveillance scene with exact ground truth, and the ``fastgmm demo`` runner.

:func:`make_scene` draws, with a seeded ``np.random.default_rng``:

* a smooth coloured background texture (sky-like top, ground-like bottom, fine grain);
* a region of waving texture (like foliage in wind) that moves back and forth by a few pixels
  every frame but is *background* in the ground truth;
* several moving objects (boxes and ellipses with their own colour and texture, wrapping around
  the frame) that are the foreground;
* a slow illumination drift (a global gain of +-4 %) and Gaussian sensor noise.

:func:`run_demo` runs every registered background-subtraction method on it, scores the masks
against the ground truth (frames after a warm-up), writes masks, background images and a
segmentation to a folder and prints a table.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WARMUP = 60
"""Frames at the start of the scene that are not scored (the online models are still learning)."""


@dataclass(frozen=True)
class Scene:
    """A synthetic video and its ground truth.

    Attributes
    ----------
    frames : ndarray of shape (T, H, W, 3), uint8
    truth : ndarray of shape (T, H, W), uint8
        255 where a moving object is, 0 elsewhere (the waving region is background).
    background : ndarray of shape (H, W, 3), uint8
        The background without noise, waving or drift.
    waving : ndarray of shape (H, W), bool
        Where the waving texture is.
    """

    frames: np.ndarray
    truth: np.ndarray
    background: np.ndarray
    waving: np.ndarray


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Values in [0, 1): uniform noise on a coarse grid, bilinearly interpolated to (height, width)."""
    gh, gw = height // cell + 2, width // cell + 2
    grid = rng.random((gh, gw))
    ys = np.linspace(0, gh - 1.001, height)
    xs = np.linspace(0, gw - 1.001, width)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def make_scene(
    *, height: int = 120, width: int = 160, n_frames: int = 300, n_objects: int = 4,
    noise_sigma: float = 6.0, seed: int = 0,
) -> Scene:
    """Generate the demo scene (see the module docstring); same seed, same scene."""
    rng = np.random.default_rng(seed)
    H, W, T = height, width, n_frames
    yy, xx = np.mgrid[0:H, 0:W]
    horizon = H // 3
    sky = np.array([150.0, 180.0, 215.0])
    ground = np.array([95.0, 110.0, 80.0])
    blend = np.clip((yy - horizon) / 6.0 + 0.5, 0, 1)[..., None]
    base = sky * (1 - blend) + ground * blend
    base += 40.0 * (_smooth_noise(rng, H, W, 16)[..., None] - 0.5)
    base += 12.0 * (rng.random((H, W, 1)) - 0.5)
    background = np.clip(base, 0, 255)

    # waving foliage: a high-contrast texture wider than its window, shifted by a few pixels per frame
    wy0, wy1 = max(1, H * 4 // 120), horizon + H * 12 // 120
    wx0, wx1 = W - max(4, W * 56 // 160), W - max(1, W * 6 // 160)
    waving = np.zeros((H, W), dtype=bool)
    waving[wy0:wy1, wx0:wx1] = True
    leaf_h, leaf_w = wy1 - wy0, wx1 - wx0 + 8
    leaves = _smooth_noise(rng, leaf_h, leaf_w, 3)
    leaf_colour = np.array([40.0, 90.0, 35.0]) + 70.0 * leaves[..., None]

    # objects: position, velocity, size, shape, colour
    objects = []
    for k in range(n_objects):
        h_ = int(rng.integers(max(2, H * 14 // 120), max(3, H * 26 // 120)))
        w_ = int(rng.integers(max(2, W * 20 // 160), max(3, W * 36 // 160)))
        y = float(rng.uniform(horizon + 2, H - h_ - 2)) if k % 2 == 0 else float(rng.uniform(2, H - h_ - 2))
        x = float(rng.uniform(0, W))
        speed = float(rng.uniform(0.8, 2.2)) * (1 if k % 2 == 0 else -1)
        vy = float(rng.uniform(-0.25, 0.25))
        colour = rng.choice([[200.0, 40.0, 40.0], [30.0, 30.0, 40.0], [235.0, 225.0, 60.0],
                             [40.0, 60.0, 200.0], [240.0, 240.0, 240.0]])
        objects.append((y, x, vy, speed, h_, w_, k % 2 == 1, np.asarray(colour)))

    frames = np.empty((T, H, W, 3), dtype=np.uint8)
    truth = np.zeros((T, H, W), dtype=np.uint8)
    for t in range(T):
        img = background.copy()
        shift = int(round(3.0 * np.sin(2 * np.pi * t / 9.0) + rng.normal(0.0, 1.5)))
        img[wy0:wy1, wx0:wx1] = np.roll(leaf_colour, shift, axis=1)[:, 4:4 + (wx1 - wx0)]
        fg = np.zeros((H, W), dtype=bool)
        for y, x, vy, speed, h_, w_, ellipse, colour in objects:
            cy = (y + vy * t) % (H - h_) + h_ / 2
            cx = (x + speed * t) % (W + 2 * w_) - w_ + w_ / 2
            if ellipse:
                shape = ((yy - cy) / (h_ / 2)) ** 2 + ((xx - cx) / (w_ / 2)) ** 2 <= 1.0
            else:
                shape = (np.abs(yy - cy) <= h_ / 2) & (np.abs(xx - cx) <= w_ / 2)
            stripes = 15.0 * np.sin((xx - cx) / 2.0)[..., None]
            img = np.where(shape[..., None], colour + stripes, img)
            fg |= shape
        gain = 1.0 + 0.04 * np.sin(2 * np.pi * t / T)
        img = img * gain + rng.normal(0.0, noise_sigma, img.shape)
        frames[t] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        truth[t] = fg * np.uint8(255)
    return Scene(frames, truth, np.clip(np.rint(background), 0, 255).astype(np.uint8), waving)


def score_scene(scene: Scene, masks: np.ndarray, *, warmup: int = WARMUP):
    """CDnet scores of ``masks`` (T, H, W) against the scene's truth, frames ``warmup..T-1``."""
    from .metrics import ConfusionAccumulator

    acc = ConfusionAccumulator()
    for t in range(warmup, scene.frames.shape[0]):
        acc.update(masks[t], scene.truth[t])
    return acc.scores()


def run_method(scene: Scene, method: str, *, train_fraction: float = 0.6):
    """Run one method over the scene; return (model, masks (T, H, W), seconds spent in the method)."""
    from .background.methods import subtract

    T, H, W = scene.truth.shape
    masks = np.empty((T, H, W), dtype=np.uint8)
    t0 = time.perf_counter()
    model, it = subtract(list(scene.frames), method, train_fraction=train_fraction)
    for t, mask in enumerate(it):
        masks[t] = mask
    return model, masks, time.perf_counter() - t0


def run_demo(
    output: str | Path = "fastgmm-demo", *, quiet: bool = False, seed: int = 0, n_frames: int = 300
) -> dict[str, dict]:
    """Generate the scene, run every method, write results to ``output``, print a table.

    Writes ``input.gif``, ``truth.gif``, ``masks_<method>.gif``, ``background_<method>.png``,
    ``segmentation.png`` (a 4-component colour segmentation of the first frame),
    ``segmentation_palette.png`` and ``results.json``.  Returns the per-method results.  Each
    method first runs on four frames so that frames per second leave out Numba compilation.
    """
    import imageio.v3 as iio
    from tqdm import tqdm

    from .background.methods import METHODS
    from .segmentation import segment

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    scene = make_scene(seed=seed, n_frames=n_frames)
    T = scene.frames.shape[0]
    iio.imwrite(out / "input.gif", scene.frames, duration=40, loop=0)
    iio.imwrite(out / "truth.gif", scene.truth, duration=40, loop=0)
    results: dict[str, dict] = {}
    for name in tqdm(METHODS, desc="demo", unit="method", file=sys.stderr, disable=quiet, leave=False):
        run_method(Scene(scene.frames[:4], scene.truth[:4], scene.background, scene.waving), name)  # compile
        model, masks, seconds = run_method(scene, name)
        s = score_scene(scene, masks)
        results[name] = {"f_measure": s.f_measure, "precision": s.precision, "recall": s.recall,
                         "pwc": s.pwc, "fps": T / seconds, "seconds": seconds}
        iio.imwrite(out / f"masks_{name}.gif", masks, duration=40, loop=0)
        iio.imwrite(out / f"background_{name}.png", model.background_image())
    seg = segment(scene.frames[0], 4, random_state=0)
    iio.imwrite(out / "segmentation.png", seg.colored())
    iio.imwrite(out / "segmentation_palette.png", seg.palette_image())
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if not quiet:
        H, W = scene.truth.shape[1:]
        print(f"Synthetic scene {W}x{H}, {T} frames (scored from frame {WARMUP}); results in {out}/")
        print("| method | F-measure | precision | recall | PWC | frames/s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, r in results.items():
            print(f"| {name} | {r['f_measure']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | "
                  f"{r['pwc']:.2f} | {r['fps']:.0f} |")
    return results
