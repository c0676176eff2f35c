"""Slow per-pixel reference of OpenCV's MOG2 (bgfg_gaussmix2.cpp), one Python object per pixel.

Every quantity is a numpy float32 scalar, so the arithmetic rounds exactly like OpenCV's float code.
Modes are Python lists ``[weight, variance, mean(list of C)]`` kept in the per-pixel list in
sorted order; the count of modes in use is tracked separately because OpenCV only shrinks the
count when it prunes (the slot contents beyond the count stay as garbage).
"""

from __future__ import annotations

import numpy as np

from .online import NaiveOnline, f32


class NaiveMOG2(NaiveOnline):
    AUTO_RATE_FACTOR = 2

    def __init__(self, *, history=500, var_threshold=16.0, detect_shadows=True, n_mixtures=5,
                 background_ratio=0.9, var_threshold_gen=9.0, var_init=15.0, var_min=4.0,
                 var_max=75.0, complexity_reduction_threshold=0.05, shadow_value=127,
                 shadow_threshold=0.5):
        super().__init__(history)
        self.Tb = f32(var_threshold)
        self.TB = f32(background_ratio)
        self.Tg = f32(var_threshold_gen)
        self.var_init = f32(var_init)
        self.var_min = f32(var_min)
        self.var_max = f32(var_max)
        self.cT = f32(complexity_reduction_threshold)
        self.tau = f32(shadow_threshold)
        self.K = n_mixtures
        self.detect_shadows = detect_shadows
        self.shadow_value = shadow_value

    def _new_pixel(self, C):
        """[n_used, modes]"""
        return [0, [[f32(0), f32(0), [f32(0)] * C] for _ in range(self.K)]]

    def _start_frame(self, lr, C):
        self.alpha = f32(lr)
        self.prune = f32(-lr * float(self.cT))

    def _pixel(self, px, data):
        alpha, prune = self.alpha, self.prune
        modes = px[1]
        alpha1 = f32(1) - alpha
        background = False
        fits = False
        nmodes = px[0]
        total = f32(0)
        mode = 0
        while mode < nmodes:
            weight = alpha1 * modes[mode][0] + prune
            swap_count = 0
            if not fits:
                var = modes[mode][1]
                diff = [modes[mode][2][c] - data[c] for c in range(len(data))]
                dist2 = f32(0)
                for d in diff:
                    dist2 = dist2 + d * d
                if total < self.TB and dist2 < self.Tb * var:
                    background = True
                if dist2 < self.Tg * var:
                    fits = True
                    weight = weight + alpha
                    k = alpha / weight
                    modes[mode][2] = [modes[mode][2][c] - k * diff[c] for c in range(len(data))]
                    varnew = var + k * (dist2 - var)
                    varnew = max(varnew, self.var_min)
                    varnew = min(varnew, self.var_max)
                    modes[mode][1] = varnew
                    i = mode
                    while i > 0:
                        if weight < modes[i - 1][0]:
                            break
                        swap_count += 1
                        modes[i], modes[i - 1] = modes[i - 1], modes[i]
                        i -= 1
            if weight < -prune:
                weight = f32(0)
                nmodes -= 1
            modes[mode - swap_count][0] = weight
            total = total + weight
            mode += 1
        inv = f32(0)
        if abs(total) > f32(np.finfo(np.float32).eps):
            inv = f32(1) / total
        for m in range(nmodes):
            modes[m][0] = modes[m][0] * inv
        if not fits and alpha > 0:
            if nmodes == self.K:
                mode = self.K - 1
            else:
                mode = nmodes
                nmodes += 1
            if nmodes == 1:
                modes[mode][0] = f32(1)
            else:
                modes[mode][0] = alpha
                for i in range(nmodes - 1):
                    modes[i][0] = modes[i][0] * alpha1
            modes[mode][2] = list(data)
            modes[mode][1] = self.var_init
            i = nmodes - 1
            while i > 0:
                if alpha < modes[i - 1][0]:
                    break
                modes[i], modes[i - 1] = modes[i - 1], modes[i]
                i -= 1
        px[0] = nmodes
        if background:
            return 0
        if self.detect_shadows and self._shadow(modes[:nmodes], data):
            return self.shadow_value
        return 255

    def _shadow(self, modes, data):
        tw = f32(0)
        for w, var, mean in modes:
            num = f32(0)
            den = f32(0)
            for c in range(len(data)):
                num = num + data[c] * mean[c]
                den = den + mean[c] * mean[c]
            if den == 0:
                return False
            if num <= den and num >= self.tau * den:
                a = num / den
                dist2a = f32(0)
                for c in range(len(data)):
                    dd = a * mean[c] - data[c]
                    dist2a = dist2a + dd * dd
                if dist2a < self.Tb * var * a * a:
                    return True
            tw = tw + w
            if tw > self.TB:
                return False
        return False

    def weights(self):
        """(n_pixels, K) weights with unused slots as 0."""
        return np.array([[m[0] if k < n else 0 for k, m in enumerate(modes)] for n, modes in self.pixels],
                        dtype=np.float32)

    def background_image(self, shape):
        H, W, C = shape
        out = np.zeros((H * W, C), np.uint8)
        for p, (n, modes) in enumerate(self.pixels):
            acc = [f32(0)] * C
            total = f32(0)
            for w, var, mean in modes[:n]:
                acc = [acc[c] + w * mean[c] for c in range(C)]
                total = total + w
                if total > self.TB:
                    break
            inv = f32(1) / total if abs(total) > f32(np.finfo(np.float32).eps) else f32(0)
            out[p] = [min(max(np.rint(a * inv), 0), 255) for a in acc]
        return out.reshape(H, W, C)
