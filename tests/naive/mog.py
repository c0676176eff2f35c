"""Slow per-pixel reference of OpenCV contrib's bgsegm MOG (KaewTraKulPong & Bowden).

Every quantity is a numpy float32 scalar.  A pixel is a list of K modes
``[sort_key, weight, mean(list of C), var(list of C)]``, all zero at (re)initialisation.
"""

from __future__ import annotations

import numpy as np

from .online import NaiveOnline, f32

EPS = f32(np.finfo(np.float32).eps)


class NaiveMOG(NaiveOnline):
    AUTO_RATE_FACTOR = 1

    def __init__(self, *, history=200, n_mixtures=5, background_ratio=0.7, noise_sigma=0.0):
        super().__init__(history)
        self.K = n_mixtures
        self.T = f32(background_ratio)
        sigma = 15.0 if noise_sigma <= 0 else float(noise_sigma)
        self.vT = f32(2.5 * 2.5)
        self.min_var = f32(sigma * sigma)
        self.var0 = f32(15.0 * 15.0 * 4)
        self.w0 = f32(0.05)

    def _new_pixel(self, C):
        """K modes [sort_key, weight, mean, var]"""
        return [[f32(0), f32(0), [f32(0)] * C, [f32(0)] * C] for _ in range(self.K)]

    def _start_frame(self, lr, C):
        self.alpha = f32(lr)
        self.sk0 = f32(float(self.w0) / (15.0 * 2 * (1.0 if C == 1 else np.sqrt(3.0))))

    def _pixel(self, modes, pix):
        return self._update(modes, pix, self.alpha, self.sk0) if self.alpha > 0 else self._frozen(modes, pix)

    @staticmethod
    def _sq(diff):
        s = f32(0)
        for d in diff:
            s = s + d * d
        return s

    @staticmethod
    def _sum(v):
        s = f32(0)
        for x in v:
            s = s + x
        return s

    def _update(self, modes, pix, alpha, sk0):
        K = self.K
        C = len(pix)
        wsum = f32(0)
        k_hit = -1
        k_fg = -1
        k = 0
        while k < K:
            w = modes[k][1]
            wsum = wsum + w
            if w < EPS:
                break
            mu, var = modes[k][2], modes[k][3]
            diff = [pix[c] - mu[c] for c in range(C)]
            if self._sq(diff) < self.vT * self._sum(var):
                wsum = wsum - w
                modes[k][1] = w + alpha * (f32(1) - w)
                modes[k][2] = [mu[c] + alpha * diff[c] for c in range(C)]
                modes[k][3] = [max(var[c] + alpha * (diff[c] * diff[c] - var[c]), self.min_var) for c in range(C)]
                modes[k][0] = w / np.sqrt(self._sum(modes[k][3]))
                # move the mode up past every earlier mode with a smaller sort key
                hit = modes.pop(k)
                k_hit = k
                while k_hit > 0 and modes[k_hit - 1][0] < hit[0]:
                    k_hit -= 1
                modes.insert(k_hit, hit)
                break
            k += 1
        if k_hit < 0:
            k = min(k, K - 1)
            k_hit = k
            wsum = wsum + (self.w0 - modes[k][1])
            modes[k] = [sk0, self.w0, list(pix), [self.var0] * C]
        else:
            while k < K:
                wsum = wsum + modes[k][1]
                k += 1
        wscale = f32(1) / wsum
        wsum = f32(0)
        for k in range(K):
            modes[k][1] = modes[k][1] * wscale
            wsum = wsum + modes[k][1]
            modes[k][0] = modes[k][0] * wscale
            if wsum > self.T and k_fg < 0:
                k_fg = k + 1
        return 255 if k_hit >= k_fg else 0

    def _frozen(self, modes, pix):
        C = len(pix)
        k_hit = -1
        for k in range(self.K):
            if modes[k][1] < EPS:
                break
            diff = [pix[c] - modes[k][2][c] for c in range(C)]
            if self._sq(diff) < self.vT * self._sum(modes[k][3]):
                k_hit = k
                break
        k_fg = -1
        if k_hit >= 0:
            wsum = f32(0)
            for k in range(self.K):
                wsum = wsum + modes[k][1]
                if wsum > self.T:
                    k_fg = k + 1
                    break
        return 255 if (k_hit < 0 or k_hit >= k_fg) else 0

    def weights(self):
        return np.array([[m[1] for m in modes] for modes in self.pixels], dtype=np.float32)
