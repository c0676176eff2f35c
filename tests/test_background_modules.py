"""Structure of fastgmm.background: the kernel modules' import rule, named kernel indices, the
"Kernel:" line of every public class, and the short path from apply() to the kernel."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from fastgmm.background import _median_kernel, _modes, _mog2_kernel, _mog_kernel, _offline, _records

BACKGROUND = Path(_modes.__file__).parent
KERNEL_MODULES = sorted({p.stem for p in BACKGROUND.glob("_*_kernel.py")} | {"_modes", "_offline"})
THIRD_PARTY = {"__future__", "math", "numpy"}


def test_kernel_modules_import_only_jit_and_sibling_kernel_modules():
    """The rule stated in fastgmm.background._modes: kernel modules import nothing of fastgmm but
    fastgmm._jit and sibling kernel modules (and no third-party module but numpy and math)."""
    assert {"_median_kernel", "_modes", "_mog2_kernel", "_mog_kernel", "_offline"} <= set(KERNEL_MODULES)
    for name in KERNEL_MODULES:
        tree = ast.parse((BACKGROUND / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.split(".")[0] not in THIRD_PARTY]
                assert not bad, f"{name} imports {bad}"
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    assert node.module.split(".")[0] in THIRD_PARTY, f"{name} imports from {node.module}"
                elif node.level == 2:
                    assert node.module == "_jit", f"{name} imports from ..{node.module}"
                else:
                    siblings = [a.name for a in node.names] if node.module is None else [node.module]
                    assert node.level == 1 and set(siblings) <= set(KERNEL_MODULES), f"{name} imports .{siblings}"
    assert "kernel modules" in _modes.__doc__ and "import only ``fastgmm._jit`` and sibling" in _modes.__doc__


@pytest.mark.parametrize("module", [_mog2_kernel, _mog_kernel])
def test_parameter_indices_are_distinct_and_dense(module):
    idx = {k: v for k, v in vars(module).items() if k.startswith("P_")}
    assert sorted(idx.values()) == list(range(module.N_PARAMS))


def test_layout_indices_are_distinct_and_dense():
    lay = {k: v for k, v in vars(_modes).items() if k.startswith("LAY_")}
    assert sorted(lay.values()) == list(range(_modes.N_LAY))


def test_parameter_vectors_hold_each_parameter_at_its_named_index():
    from fastgmm import BackgroundSubtractorMOG, BackgroundSubtractorMOG2

    k = _mog2_kernel
    m = BackgroundSubtractorMOG2(var_threshold=21.0, background_ratio=0.8, var_threshold_gen=7.0, var_init=13.0,
                                 var_min=3.0, var_max=70.0, shadow_threshold=0.25, detect_shadows=False,
                                 shadow_value=99)
    expected = {k.P_VAR_THRESHOLD: 21.0, k.P_BACKGROUND_RATIO: 0.8, k.P_VAR_THRESHOLD_GEN: 7.0, k.P_VAR_INIT: 13.0,
                k.P_VAR_MIN: 3.0, k.P_VAR_MAX: 70.0, k.P_SHADOW_THRESHOLD: 0.25, k.P_DETECT_SHADOWS: 0.0,
                k.P_SHADOW_VALUE: 99.0}
    for i, v in expected.items():
        assert m._prm[i] == np.float32(v)
    m.apply(np.zeros((2, 3), np.uint8), 0.5)
    assert m._prm[k.P_ALPHA] == np.float32(0.5) and m._prm[k.P_PRUNE] == np.float32(-0.5 * 0.05)
    g = BackgroundSubtractorMOG(background_ratio=0.6, noise_sigma=4.0)
    assert g._prm[_mog_kernel.P_BACKGROUND_RATIO] == np.float32(0.6)
    assert g._prm[_mog_kernel.P_MIN_VAR] == np.float32(16.0)
    assert g._prm[_mog_kernel.P_VAR_THRESHOLD] == np.float32(2.5 ** 2)


def test_layout_vector_locates_every_mode():
    """The LAY_* entries agree with the structured views: mode m of pixel p found through
    pixel_bases/mode_offset (evaluated in Python here) is the record field numpy sees."""
    from fastgmm import BackgroundSubtractorMOG2

    rng = np.random.default_rng(2)
    m = BackgroundSubtractorMOG2(n_mixtures=5)
    for _ in range(30):
        m.apply(rng.integers(0, 256, (4, 5, 3), dtype=np.uint8))
    lay, flat, full = m._buf.layout, m._buf.flat[0], m.per_pixel_state().reshape(-1)
    L, M = lay[_modes.LAY_L], lay[_modes.LAY_M]
    for p in range(20):
        main = p * lay[_modes.LAY_MAIN_FLOATS] + lay[_modes.LAY_HEAD]
        over = lay[_modes.LAY_OVERFLOW_START] + p * lay[_modes.LAY_OVERFLOW_FLOATS]
        for mode in range(5):
            o = main + mode * L if mode < M else over + (mode - M) * L
            rec = full[p]["modes"][mode]
            assert flat[o + _mog2_kernel.MODE_WEIGHT] == rec["weight"]
            assert flat[o + _mog2_kernel.MODE_VARIANCE] == rec["variance"]
            np.testing.assert_array_equal(flat[o + _mog2_kernel.MODE_MEAN:o + L], rec["mean"])


PUBLIC = [("mog2", "BackgroundSubtractorMOG2"), ("mog", "BackgroundSubtractorMOG"),
          ("methods", "MOG2MedianSubtractor"), ("postprocess", "MedianFilter"), ("pixel_gmm", "PixelGMM"),
          ("baselines", "FrameAverage"), ("baselines", "KMeansBackground")]


@pytest.mark.parametrize("module,name", PUBLIC)
def test_public_class_docstring_names_its_kernel(module, name):
    cls = getattr(importlib.import_module(f"fastgmm.background.{module}"), name)
    found = re.search(r"^\s*Kernel: (fastgmm\.background\.\w+)\.(\w+)", cls.__doc__, flags=re.MULTILINE)
    assert found, f"{name}'s docstring has no 'Kernel: fastgmm.background.<module>.<function>' line"
    kernel_module = importlib.import_module(found.group(1))
    assert found.group(1).rsplit(".", 1)[1] in KERNEL_MODULES
    assert hasattr(getattr(kernel_module, found.group(2)), "py_func"), "the named kernel is a Numba function"


def test_default_subtractor_is_the_default_methods_class():
    """``fastgmm.DefaultSubtractor`` builds what ``--method default`` runs; the previous default
    pipeline keeps its own name and registry entry."""
    import fastgmm
    from fastgmm.background.methods import get_method

    assert type(get_method("default").build()) is fastgmm.DefaultSubtractor
    assert fastgmm.DefaultSubtractor is fastgmm.AdaptiveMixtureSubtractor
    assert type(get_method("mog2-median").build()) is fastgmm.MOG2MedianSubtractor
    assert "DefaultSubtractor" in dir(fastgmm) and "MOG2MedianSubtractor" in dir(fastgmm)


@pytest.mark.parametrize("name,kernel", [("BackgroundSubtractorMOG2", _mog2_kernel),
                                         ("BackgroundSubtractorMOG", _mog_kernel)])
def test_apply_reaches_its_kernel_in_two_hops(monkeypatch, name, kernel):
    """apply() -> the model's _update() -> its kernel module's update(): no dispatch in between."""
    import fastgmm

    hops = []
    real = kernel.update

    def spy(*args):
        frame, n = sys._getframe(1), 1
        while frame.f_code.co_name != "apply":
            frame, n = frame.f_back, n + 1
        hops.append(n)
        return real(*args)

    monkeypatch.setattr(kernel, "update", spy)
    getattr(fastgmm, name)().apply(np.zeros((3, 4, 3), np.uint8))
    assert hops == [2]


def test_median_filter_and_records_modules_stay_apart():
    """postprocess keeps only the Python wrapper; the record/file helpers need no kernel beyond _modes."""
    import fastgmm.background.postprocess as post

    assert not [f for f in vars(post).values() if hasattr(f, "py_func") and f.__module__ == post.__name__]
    assert _median_kernel.row_counts.py_func.__module__ == _median_kernel.__name__
    assert _records.FORMAT_VERSION == 1
    assert inspect.getmodule(_offline.distance_mask.py_func) is _offline
