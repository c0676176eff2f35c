"""The frame loop shared by the per-pixel online references (``naive.mog2``, ``naive.mog``).

A subclass supplies ``history``, ``AUTO_RATE_FACTOR`` (OpenCV's automatic rate is
``1 / min(factor * n_frames, history)``: 2 for MOG2, 1 for MOG), ``_new_pixel(C)`` (the zeroed
model of one pixel), ``_start_frame(lr, C)`` (per-frame constants from the learning rate) and
``_pixel(model, data) -> mask value`` for one pixel given its float32 channel values.
"""

from __future__ import annotations

import numpy as np

f32 = np.float32


class NaiveOnline:
    AUTO_RATE_FACTOR = 1

    def __init__(self, history):
        self.history = history
        self.n_frames = 0
        self.pixels = None

    def apply(self, frame, learning_rate=-1.0, known_foreground=None):
        frame = np.asarray(frame)
        if frame.ndim == 2:
            frame = frame[:, :, None]
        H, W, C = frame.shape
        if self.n_frames == 0 or learning_rate >= 1:
            self.pixels = [self._new_pixel(C) for _ in range(H * W)]
            self.n_frames = 0
        self.n_frames += 1
        if learning_rate >= 0 and self.n_frames > 1:
            lr = float(learning_rate)
        else:
            lr = 1.0 / min(self.AUTO_RATE_FACTOR * self.n_frames, self.history)
        self._start_frame(lr, C)
        mask = np.zeros((H, W), np.uint8)
        for y in range(H):
            for x in range(W):
                if known_foreground is not None and known_foreground[y, x]:
                    mask[y, x] = 255
                else:
                    mask[y, x] = self._pixel(self.pixels[y * W + x], [f32(v) for v in frame[y, x]])
        return mask

    def _new_pixel(self, C):
        raise NotImplementedError

    def _start_frame(self, lr, C):
        raise NotImplementedError

    def _pixel(self, model, data):
        raise NotImplementedError
