"""Helpers shared by the online-subtractor tests (MOG2, MOG): generated video, OpenCV-equality and
naive-reference loops.  Fixtures live in conftest.py; this module holds plain functions."""

from __future__ import annotations

import tracemalloc

import numpy as np


def synthetic_video(rng, H, W, C, T, *, noise=6.0, p_object=0.08):
    """A static textured scene with sensor noise, a moving bright box, flicker and darkened
    (shadow-like) patches; uint8 frames (T, H, W, C)."""
    base = rng.integers(20, 236, (H, W, C)).astype(np.float64)
    frames = np.empty((T, H, W, C), np.uint8)
    for t in range(T):
        f = base + rng.normal(0.0, noise, base.shape)
        x0 = (t * 3) % W
        f[H // 4:H // 2, x0:x0 + max(2, W // 6)] = 240.0
        f[H // 2:, (t * 2) % W:(t * 2) % W + 3] *= 0.6
        f[rng.random((H, W)) < p_object] = rng.integers(0, 256)
        frames[t] = np.clip(f, 0, 255).astype(np.uint8)
    return frames


def schedule(lr, t):
    """Learning rate of frame t: 0 is used only after a warm-up so the frozen model is not empty."""
    return -1.0 if (lr == 0 and t < 30) else lr


def assert_same_masks(ours, theirs, frames, lr):
    """Every mask equals OpenCV's, bit for bit, frame by frame (learning rate ``schedule(lr, t)``).

    No tolerance: with OpenCV 5.1 (opencv-contrib-python-headless) every configuration tested here
    -- MOG2 and bgsegm MOG, gray and colour, uint8/float32/float64 frames, automatic, fixed,
    frozen and re-initialising learning rates, K = 3/5/7 -- gives identical masks and background
    images; earlier versions of these tests accepted 0.1-0.5 % of differing pixels without a cause."""
    for t, f in enumerate(frames):
        np.testing.assert_array_equal(ours.apply(f, schedule(lr, t)), theirs.apply(f, learningRate=schedule(lr, t)),
                                      err_msg=f"frame {t}")


def run_beside_naive(ours, ref, C, lr, *, seed):
    """Feed a small synthetic video to a model and its naive reference; masks equal at every frame."""
    frames = synthetic_video(np.random.default_rng(seed), 6, 7, C, 45, noise=10.0, p_object=0.15)
    for t, f in enumerate(frames):
        frame = f[:, :, 0] if C == 1 else f
        np.testing.assert_array_equal(ours.apply(frame, schedule(lr, t)), ref.apply(frame, schedule(lr, t)),
                                      err_msg=f"frame {t}")


def check_known_foreground(ours, ref, *, seed, n_frames):
    """After 10 frames, a frame with known foreground: masks equal to the reference's, 255 there
    and those pixels' state untouched.  Returns (frames, kf, state before that frame)."""
    rng = np.random.default_rng(seed)
    frames = synthetic_video(rng, 5, 6, 3, n_frames)
    kf = rng.random((5, 6)) < 0.3
    for f in frames[:10]:
        ours.apply(f), ref.apply(f)
    before = ours.per_pixel_state()
    mask = ours.apply(frames[10], known_foreground=kf)
    np.testing.assert_array_equal(mask, ref.apply(frames[10], known_foreground=kf))
    assert (mask[kf] == 255).all()
    np.testing.assert_array_equal(ours.per_pixel_state()[kf], before[kf])
    return frames, kf, before


def apply_noise(model, rng, n_frames=3000):
    """Thousands of frames of uniform noise (12x16 colour) through ``out=``; returns ``out``."""
    out = np.empty((12, 16), np.uint8)
    for _ in range(n_frames):
        model.apply(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), out=out)
    return out


def bytes_allocated_by_apply(model, frames, *, warm: int = 5) -> tuple[int, int]:
    """(peak, retained) bytes Python allocated while ``model.apply(frame, out=out)`` ran over
    ``frames[warm:]`` (the first ``warm`` frames allocate the state and are not counted)."""
    out = np.empty(frames.shape[1:3], np.uint8)
    for f in frames[:warm]:
        model.apply(f, out=out)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for f in frames[warm:]:
        model.apply(f, out=out)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base, current - base
