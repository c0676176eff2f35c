"""First apply() of a 320x240 frame after warm_up(), each case in a fresh process (Numba cache warm).

    python bench/first_apply.py

Prints a markdown table: per model and parameters, the first apply's milliseconds in three fresh
processes (after one process that fills Numba's cache for that case) and background_image's.
"""
import subprocess
import sys

CODE = r'''
import time, numpy as np, fastgmm
cls = getattr(fastgmm, "{cls}")
m = cls(**{kw})
m.warm_up(channels={C})
f = np.random.default_rng(0).integers(0, 256, (240, 320, {C}), dtype=np.uint8)
f = f[:, :, 0] if {C} == 1 else f
t = time.perf_counter(); m.apply(f); t1 = time.perf_counter() - t
t = time.perf_counter(); m.background_image(); t2 = time.perf_counter() - t
print(f"{{t1*1e3:.1f}} {{t2*1e3:.1f}}")
'''
cases = [("BackgroundSubtractorMOG2", {}, 3), ("BackgroundSubtractorMOG2", {"n_mixtures": 3}, 1),
         ("BackgroundSubtractorMOG2", {"n_mixtures": 7}, 3), ("BackgroundSubtractorMOG", {}, 3),
         ("BackgroundSubtractorMOG", {"n_mixtures": 3}, 3), ("BackgroundSubtractorMOG", {"n_mixtures": 7}, 1),
         ("AdaptiveMixtureSubtractor", {}, 3)]
print("| model | params | channels | first apply ms (3 fresh processes) | background_image ms |")
print("|---|---|---|---|---|")
for cls, kw, C in cases:
    code = CODE.format(cls=cls, kw=kw, C=C)
    subprocess.run([sys.executable, "-c", code], capture_output=True)  # fills the cache for this case
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
            for _ in range(3)]
    print(f"| {cls} | {kw} | {C} | {', '.join(r[0] for r in runs)} | {', '.join(r[1] for r in runs)} |")
