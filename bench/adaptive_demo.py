"""fastgmm's synthetic demo scene: the default method (the adaptive mixture) beside ``mog2-median``.

Scores masks with ``fastgmm.demo.score_scene`` (frames after the warm-up) and compares each
method's final background image with the scene's true background (mean absolute grey-level
error, grey = mean of the three channels), next to the per-pixel temporal median of all frames.

    python bench/adaptive_demo.py
"""

from __future__ import annotations

import sys

import numpy as np

from fastgmm.demo import make_scene, run_method, score_scene


def grey_error(img, truth):
    return float(np.abs(img.astype(float).mean(-1) - truth.astype(float).mean(-1)).mean())


def main() -> int:
    scene = make_scene()
    print("| method | F | precision | recall | background error (grey levels) |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("mog2-median", "default"):
        model, masks, _ = run_method(scene, name)
        s = score_scene(scene, masks)
        print(f"| {name} | {s.f_measure:.3f} | {s.precision:.3f} | {s.recall:.3f} | "
              f"{grey_error(model.background_image(), scene.background):.2f} |")
    med = np.median(scene.frames, axis=0)
    print(f"| temporal median of the frames | | | | {grey_error(med, scene.background):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
