"""Cold start and first calls, each in a fresh process: what a new user waits for.

    python bench/cold_start.py cold [--tree DIR ...] [--repeat N] [--functions]
    python bench/cold_start.py warm [--tree DIR ...] [--repeat N]

``cold``: with an EMPTY Numba cache (a new ``NUMBA_CACHE_DIR`` per run), the wall and CPU seconds
of ``fastgmm segment plant_cells_2.jpeg -k 5`` (the whole command), of a first
``GaussianMixture(3).fit`` on 5000 x 3 float64 and of MOG2's first ``apply`` on a 320x240 colour
frame (the call only, after the imports).  ``--functions`` also lists the CPU seconds each fastgmm
kernel took to compile (Numba's "numba:compile" events, nested compilations included in their
caller's figure).

``warm``: ``fastgmm warm-up`` fills a cache, then every first call runs in a fresh process: its
seconds (after the imports), the same call's seconds again in that process (the work itself; the
difference is what a first call costs), and whether anything compiled.

``--tree DIR`` (repeatable) runs the same on another checkout (e.g. a ``git archive`` of the
previous commit); the trees alternate within each repeat, so a busy machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "seed/images/plant_cells_2.jpeg"

CHILD = r'''
import json, os, sys, time
import numba.core.event as ev
compiled = []

class Listener(ev.Listener):
    def __init__(self):
        self.stack = []
    def on_start(self, event):
        self.stack.append(time.process_time())
    def on_end(self, event):
        start = self.stack.pop()
        func = event.data["dispatcher"].py_func
        if not self.stack or func.__module__.startswith("fastgmm"):
            compiled.append((len(self.stack), f"{func.__module__}.{func.__qualname__}", time.process_time() - start))

ev.register("numba:compile", Listener())
what = sys.argv[1]
import numpy as np
rng = np.random.default_rng(0)
frame = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
if what == "segment":
    from fastgmm.cli import main
    image, out = sys.argv[2], sys.argv[3]
    call = lambda: main(["segment", image, "-k", "5", "-o", out, "-q"])
elif what == "gmm":
    from fastgmm import GaussianMixture
    X = rng.normal(size=(5000, 3))
    call = lambda: GaussianMixture(3, random_state=0).fit(X)
elif what == "segment-call":
    from fastgmm import segment
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    call = lambda: segment(image, 3, random_state=0)
elif what == "gmm-d5":
    from fastgmm import GaussianMixture
    X = rng.normal(size=(5000, 5))
    call = lambda: GaussianMixture(3, random_state=0).fit(X)
elif what == "bgmm":
    from fastgmm import BayesianGaussianMixture
    X = rng.normal(size=(5000, 3))
    call = lambda: BayesianGaussianMixture(n_components=5, random_state=0).fit(X)
elif what == "kmeans":
    from fastgmm import KMeans
    X = rng.normal(size=(5000, 3))
    call = lambda: KMeans(3, random_state=0).fit(X)
elif what == "kmeans-elkan-d8-f32":
    from fastgmm import KMeans
    X = rng.normal(size=(5000, 8)).astype(np.float32)
    call = lambda: KMeans(64, algorithm="elkan", random_state=0).fit(X)
else:  # a background method of the registry, by name (mog2, mog, adaptive, default, ...)
    from fastgmm.background.methods import METHODS
    spec = METHODS[what]
    model = spec.build()
    call = (lambda: model.apply(frame)) if spec.online else (lambda: (model.fit([frame, frame]), model.apply(frame)))
wall, cpu = time.perf_counter(), time.process_time()
call()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
again = time.perf_counter()
if what != "segment":
    call()
print(json.dumps({"wall": wall, "cpu": cpu, "again": time.perf_counter() - again, "compiled": compiled}))
'''

WARM_CASES = ("segment-call", "gmm", "gmm-d5", "bgmm", "kmeans", "kmeans-elkan-d8-f32", "mog2", "mog", "default",
              "mog2-median")


def run(tree: Path, what: str, cache: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": cache, "FASTGMM_COMPILE_NOTICE": "0"}
    if what == "segment":  # the whole command, from the interpreter's start
        start_wall = os.times()
        proc = subprocess.run([sys.executable, "-c", CHILD, what, *args], env=env, capture_output=True, text=True,
                              check=True, cwd=tree)
        end = os.times()
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["wall"] = end.elapsed - start_wall.elapsed
        result["cpu"] = (end.children_user + end.children_system) - (start_wall.children_user
                                                                     + start_wall.children_system)
        return result
    proc = subprocess.run([sys.executable, "-c", CHILD, what, *args], env=env, capture_output=True, text=True,
                          check=True, cwd=tree)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("cold", "warm"))
    parser.add_argument("--tree", action="append", type=Path, help="other checkouts to measure alongside this one")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--functions", action="store_true", help="cold: per-kernel compile CPU seconds")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from fastgmm.datasets import shared_data_dir

    image = str(shared_data_dir() / IMAGE)
    trees = [ROOT, *(args.tree or [])]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    if args.mode == "cold":
        out = tempfile.mkdtemp()
        for what in ("segment", "gmm", "mog2"):
            for r in range(args.repeat):
                for tree in trees:
                    with tempfile.TemporaryDirectory() as cache:
                        res = run(tree, what, cache, image, os.path.join(out, "s.png"))
                    print(f"{what:8s} {tree.name:12s} run {r}: wall {res['wall']:6.2f} s  cpu {res['cpu']:6.2f} s",
                          flush=True)
                    if args.functions and r == 0:
                        for depth, name, seconds in res["compiled"]:
                            if seconds >= 0.05:
                                print(f"      {'  ' * depth}{seconds:6.2f}  {name}")
    else:
        for tree in trees:
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": cache}
                subprocess.run([sys.executable, "-m", "fastgmm.cli", "warm-up", "-q"], env=env, check=True, cwd=tree)
                for what in WARM_CASES:
                    runs = [run(tree, what, cache) for _ in range(args.repeat)]
                    names = sorted({name for res in runs for _, name, _ in res["compiled"]})
                    times = ", ".join(f"{res['wall'] * 1e3:.0f}" for res in runs)
                    again = ", ".join(f"{res['again'] * 1e3:.0f}" for res in runs)
                    print(f"{what:20s} {tree.name:12s} first call: {times} ms, second call: {again} ms"
                          f"{'  compiled: ' + ', '.join(names) if names else ''}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
