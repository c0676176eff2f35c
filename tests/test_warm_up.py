"""warm_up(): on the class (default parameters) or on an instance (its own parameters), it compiles
exactly what apply() and background_image() will run, and leaves the instance's model untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastgmm import BackgroundSubtractorMOG, BackgroundSubtractorMOG2


@pytest.mark.parametrize("cls,kw", [(BackgroundSubtractorMOG2, {"n_mixtures": 4}),
                                    (BackgroundSubtractorMOG, {"n_mixtures": 3})])
def test_instance_warm_up_leaves_the_model_untouched(cls, kw):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (6, 5, 7, 3), dtype=np.uint8)
    model, twin = cls(**kw), cls(**kw)
    for f in frames[:3]:
        model.apply(f), twin.apply(f)
    before = model.per_pixel_state()
    model.warm_up()  # the frames' channel count (3) by default
    model.warm_up(channels=1, dtype=np.float64)
    np.testing.assert_array_equal(model.per_pixel_state(), before)
    assert model.n_frames_ == 3 and model.get_params() == twin.get_params()
    for f in frames[3:]:
        np.testing.assert_array_equal(model.apply(f), twin.apply(f))
    cls.warm_up(channels=1)  # on the class: a default model
    fresh = cls(**kw)
    fresh.warm_up()
    assert fresh.state_ is None and fresh.n_frames_ == 0
    with pytest.raises(ValueError, match="channels"):
        fresh.warm_up(channels=4)
    with pytest.raises(TypeError):
        fresh.warm_up(dtype=np.int16)


LOADED = textwrap.dedent("""
    import sys
    import numba
    import numpy as np
    import fastgmm

    def loaded():
        # every (kernel, signature) the process has compiled or loaded from the cache
        out = set()
        for name, module in list(sys.modules.items()):
            if name.startswith("fastgmm"):
                for value in vars(module).values():
                    if isinstance(value, numba.core.registry.CPUDispatcher):
                        out |= {(value.py_func.__qualname__, str(sig)) for sig in value.overloads}
        return out

""")

FIRST_APPLY = LOADED + textwrap.dedent("""
    cls = getattr(fastgmm, sys.argv[1])
    kw = {} if sys.argv[2] == "default" else {"n_mixtures": int(sys.argv[2])}
    rng = np.random.default_rng(0)
    for C in (1, 3):
        model = cls(**kw)
        model.warm_up(channels=C, dtype=np.uint8)
        before = loaded()
        frame = rng.integers(0, 256, (240, 320, C), dtype=np.uint8)
        model.apply(frame[..., 0] if C == 1 else frame)
        model.background_image()
        print(C, sorted(loaded() - before))
""")


@pytest.mark.slow
@pytest.mark.parametrize("name,k", [("BackgroundSubtractorMOG2", "default"), ("BackgroundSubtractorMOG", "3"),
                                    ("BackgroundSubtractorMOG", "5"), ("BackgroundSubtractorMOG", "7")])
def test_after_warm_up_the_first_apply_compiles_nothing(tmp_path, name, k):
    """In a fresh process with an empty Numba cache, instance.warm_up() then the first apply() and
    background_image() of a 320x240 frame, gray and colour, compile or load no further kernel (the
    (kernel, signature) pairs the process holds are the same before and after)."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    res = subprocess.run([sys.executable, "-c", FIRST_APPLY, name, k], capture_output=True, text=True, timeout=600,
                         check=False, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines() == ["1 []", "3 []"], res.stdout


ADAPTIVE_AFTER_WARM_UP = LOADED + textwrap.dedent("""
    from fastgmm import AdaptiveMixtureSubtractor

    C = int(sys.argv[1])
    AdaptiveMixtureSubtractor.warm_up(channels=C)
    before = loaded()
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    model = AdaptiveMixtureSubtractor()
    for t in range(12):  # a shaking camera, then a panning one: registration and a re-anchor run
        frame = np.roll(base, (t % 2, t % 3) if t < 4 else (0, t), axis=(0, 1))
        model.apply(frame if C == 3 else frame[..., 1])
    model.background_image()
    print(sorted(loaded() - before))
""")


@pytest.mark.slow
@pytest.mark.parametrize("C", [1, 3])
def test_adaptive_warm_up_covers_apply(C):
    """After ``AdaptiveMixtureSubtractor.warm_up()`` in a fresh process, frames of a real size (which
    are registered for camera motion, unlike tiny ones, and re-anchor the model when the camera
    pans) load or compile no further kernel."""
    res = subprocess.run([sys.executable, "-c", ADAPTIVE_AFTER_WARM_UP, str(C)], capture_output=True, text=True,
                         timeout=900, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]", res.stdout
