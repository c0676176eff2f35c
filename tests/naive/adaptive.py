"""Slow pure-Python reference of the adaptive mixture (fastgmm.background._adaptive_kernel / adaptive.py).

One pixel at a time, plain Python control flow, every arithmetic step on numpy float32 scalars in
the order the kernel uses (the kernel is compiled without fast-math), so masks and state must be
bit-identical.  The per-pixel model is kept as a list of modes per pixel (dicts), not the
kernel's flat record, and converted to the record layout only for comparison.  No median filter:
compare against ``AdaptiveMixtureSubtractor(median_size=1)``.
"""

from __future__ import annotations

import numpy as np

f32 = np.float32
K = 3
ST, LT = f32(1.0 / 25.0), f32(1.0 / 100.0)
R_VAR, V_INCR, V_DECR, T_INCR, T_DECR = f32(0.01), f32(1.0), f32(0.1), f32(0.5), f32(0.25)
UNSTABLE, GHOST_S, GHOST_D, SOURCE_S = f32(0.1), f32(0.995), f32(0.02), f32(0.1)
M64 = (1 << 64) - 1


def hash32(p, t):
    z = (p * 0x9E3779B97F4A7C15 + t * 0xD1B54A32D192ED03) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z = z ^ (z >> 31)
    return z & 0xFFFFFFFF


class Pixel:
    def __init__(self, x, C, var_init, t_init, inv_gain):
        self.modes = [[f32(1.0), f32(var_init), *[f32(v) * g for v, g in zip(x, inv_gain)], *[f32(0.0)] * (3 - C)]]
        self.dlt = self.dst = self.s = self.dl = f32(0.0)
        self.v, self.r, self.t = f32(10.0), f32(1.0), f32(t_init)
        self.last = list(x)


class NaiveAdaptive:
    def __init__(self, **kw):
        d = dict(var_threshold=25.0, var_threshold_gen=9.0, background_ratio=0.9, var_init=15.0, var_min=4.0,
                 var_max=75.0, n_samples=50.0, fg_rate=0.0, shadow_tau=0.5, t_lower=2.0, t_upper=256.0,
                 t_fixed=16.0, min_distance=10.0, shadow_texture=0.05, boot_frames=50, reset_fraction=0.8,
                 reset_frames=5, detect_shadows=True, feedback=True, diffusion=True, ghost=True, frame_level=True,
                 gain=True, displacement=True, motion=True)
        d.update(kw)
        exact = ("boot_frames", "reset_frames", "reset_fraction", "detect_shadows", "feedback", "diffusion", "ghost",
                 "frame_level", "gain", "displacement", "motion")
        for k, v in d.items():
            setattr(self, k, v if k in exact else f32(v))
        self.px = None
        self.shift = (0, 0)
        self.offset, self.held, self.pan, self.fg = (0, 0), 0, 0, 0
        self.centre = (0.0, 0.0)

    # ------------------------------------------------------------------ mixture update
    def mix_update(self, px, x, C, a, R2, create=True, move=True):
        Tg = self.var_threshold_gen * R2
        inv_c = f32(1.0) / f32(C)
        floor = f32(C) * self.min_distance * self.min_distance * self.var_threshold_gen / self.var_threshold * R2
        modes = px.modes
        if not create and not any(self.dist2(md, x, C) < max(Tg * md[1], floor) for md in modes):
            return
        match = -1
        for m, md in enumerate(modes):
            if match < 0:
                d2 = self.dist2(md, x, C)
                if d2 < max(Tg * md[1], floor):
                    match = m
                    md[0] = md[0] * (f32(1.0) - a) + a
                    if not move:
                        continue
                    k = a / md[0]
                    for c in range(C):
                        md[2 + c] = md[2 + c] + k * (x[c] - md[2 + c])
                    md[1] = min(max(md[1] + k * (d2 * inv_c - md[1]), self.var_min), self.var_max)
                    continue
            md[0] = md[0] * (f32(1.0) - a)
            if md[0] < a * f32(0.05):
                md[0] = f32(0.0)
        if match < 0:
            new = [a, self.var_init, *x, *[f32(0.0)] * (3 - C)]
            free = [m for m, md in enumerate(modes) if md[0] <= 0]
            if free:
                match = free[0]
                modes[match] = new
            elif len(modes) < K:
                modes.append(new)
                match = len(modes) - 1
            else:
                modes[-1] = new
                match = K - 1
        tot = f32(0.0)
        for md in modes:
            tot = tot + md[0]
        for md in modes:
            md[0] = md[0] * (f32(1.0) / tot)
        m = match
        while m > 0 and modes[m][0] > modes[m - 1][0]:
            modes[m], modes[m - 1] = modes[m - 1], modes[m]
            m -= 1
        # a mode whose weight underflowed to 0 is unused in the kernel's layout
        px.modes = [md for md in modes if md[0] > 0]

    @staticmethod
    def dist2(md, x, C):
        s = f32(0.0)
        for c in range(C):
            d = md[2 + c] - x[c]
            s = d * d if c == 0 else s + d * d
        return s

    def ratio_spread(self, frame, bgp, i, j):
        H, W, C = frame.shape
        vals = []
        for ii in range(max(i - 1, 0), min(i + 2, H)):
            for jj in range(max(j - 1, 0), min(j + 2, W)):
                xs, bs = f32(3.0), f32(3.0)
                for c in range(C):
                    xs = xs + f32(frame[ii, jj, c])
                    bs = bs + f32(bgp[ii, jj, c])
                vals.append(xs / bs)
        s = s2 = n = f32(0.0)
        for r in vals:
            s, s2, n = s + r, s2 + r * r, n + f32(1.0)
        mu = s / n
        return f32(np.sqrt(max(s2 / n - mu * mu, f32(0.0)))) / mu

    def shifted(self, frame, bgp, i, j, di, dj, thr):
        """Unexplained pixels of the 3x3 patch under the background moved by lam in [0, 1] of (di, dj)."""
        H, W, C = frame.shape
        patch = [(i + k // 3 - 1, j + k % 3 - 1) for k in range(9)]
        patch = [(a, b) for a, b in patch if 0 <= a < H and 0 <= b < W and 0 <= a + di < H and 0 <= b + dj < W]
        if not (0 <= i + di < H and 0 <= j + dj < W):
            return 9
        num = den = f32(0.0)
        for a, b in patch:
            for c in range(C):
                b0 = f32(bgp[a, b, c])
                e = f32(bgp[a + di, b + dj, c]) - b0
                num = num + (f32(frame[a, b, c]) * self.inv_gain[c] - b0) * e
                den = den + e * e
        lam = min(max(num / den, f32(0.0)), f32(1.0)) if den > 0 else f32(0.0)
        bad = 0
        for a, b in patch:
            d2 = f32(0.0)
            for c in range(C):
                b0 = f32(bgp[a, b, c])
                d = f32(frame[a, b, c]) * self.inv_gain[c] - (b0 + lam * (f32(bgp[a + di, b + dj, c]) - b0))
                d2 = d2 + d * d
            bad += d2 >= thr
        return bad

    # ------------------------------------------------------------------ one frame
    def apply(self, frame, known_foreground=None):
        frame = np.asarray(frame)
        if frame.ndim == 2:
            frame = frame[:, :, None]
        H, W, C = frame.shape
        if self.px is None:
            ones = [f32(1.0)] * C
            self.px = [[Pixel(frame[i, j], C, self.var_init, self.t_lower, ones) for j in range(W)] for i in range(H)]
            self.lab = np.zeros((H, W), np.uint8)
            self.bg = frame.copy()
            self.n, self.boot, self.busy = 1, 1, 0
            self.fin1 = np.zeros((H, W), np.uint8)
            self.fin2 = np.zeros((H, W), np.uint8)
            self.inv_gain = [f32(1.0)] * C
            self.follow((0, 0), frame)
            return np.zeros((H, W), np.uint8)
        self.boot += 1
        self.n += 1
        dy, dx = self.camera_shift(frame) if self.motion else (0, 0)
        known_fg_frame, unregistered = known_foreground, frame
        self.shift = (dy, dx)
        if (dy, dx) != (0, 0):
            # the frame in the background's coordinates; where it has no pixel, the background
            reg = self.bg.copy()
            kf = None if known_foreground is None else np.zeros((H, W), bool)
            for i in range(H):
                for j in range(W):
                    if 0 <= i + dy < H and 0 <= j + dx < W:
                        reg[i, j] = frame[i + dy, j + dx]
                        if kf is not None:
                            kf[i, j] = known_foreground[i + dy, j + dx]
            frame, known_foreground = reg, kf
        force = self.boot <= self.boot_frames
        a_boot = f32(1.0 / (2.0 * self.boot)) if force else f32(0.0)
        lab_prev, bg_prev = self.lab, self.bg
        lab = np.zeros((H, W), np.uint8)
        bgc = np.zeros_like(self.bg)
        mask = np.zeros((H, W), np.uint8)
        self.own_bg = np.zeros((H, W), bool)  # explained by the pixel's own background modes
        for i in range(H):
            for j in range(W):
                if known_foreground is not None and known_foreground[i, j]:
                    # foreground, not a diffusion source, background value kept, model untouched
                    mask[i, j] = lab[i, j] = 255
                    bgc[i, j] = bg_prev[i, j]
                    continue
                mask[i, j] = self.pixel(frame, i, j, lab_prev, lab, bg_prev, bgc, force, a_boot)
        self.lab, self.bg = lab, bgc
        if self.gain:
            # the camera's gain: frame / background summed over the unsaturated background pixels
            use = self.own_bg & (frame < 255).all(-1) & (bgc < 255).all(-1)
            if use.sum() >= (H * W + 19) // 20:
                for c in range(C):
                    sx = int(frame[..., c][use].astype(np.int64).sum())
                    sb = int(bgc[..., c][use].astype(np.int64).sum())
                    if sx > 0 and sb > 0:
                        self.inv_gain[c] = f32(sb / sx)
        self.fin2, self.fin1 = self.fin1, mask.copy()
        self.fg = int((mask == 255).sum())
        if self.frame_level:
            self.busy = self.busy + 1 if self.fg > float(self.reset_fraction) * H * W else 0
            if self.busy >= self.reset_frames:
                self.boot = self.busy = 0
        out = mask
        if (dy, dx) != (0, 0):  # back to the frame's coordinates; where the background has no pixel, 0
            out = np.zeros_like(mask)
            for i in range(H):
                for j in range(W):
                    if 0 <= i - dy < H and 0 <= j - dx < W:
                        out[i, j] = mask[i - dy, j - dx]
                    if known_fg_frame is not None and known_fg_frame[i, j]:
                        out[i, j] = 255
        self.follow((dy, dx), unregistered)
        return out

    def follow(self, shift, frame, R=3, hold=10, pan=3, centre_frames=50, centre_min=0.75):
        """Keep the camera's offset; re-anchor when it was beyond R and farther than the previous
        frame's on ``pan`` consecutive frames, unchanged for ``hold`` frames (both restart the
        running mean below from (0, 0)), or equal to the running mean (rate 1 / ``centre_frames``)
        of the offsets rounded, when that mean is ``centre_min`` or more from (0, 0) on an axis
        (the mean then loses the offset)."""
        d = max(abs(shift[0]), abs(shift[1]))
        self.pan = self.pan + 1 if d > R and d > max(abs(self.offset[0]), abs(self.offset[1])) else 0
        self.held = self.held + 1 if shift == self.offset else 1
        self.offset = shift
        self.centre = tuple(c + (1.0 / centre_frames) * (s - c) for c, s in zip(self.centre, shift))
        centred = (max(abs(c) for c in self.centre) >= centre_min
                   and shift == tuple(round(c) for c in self.centre))
        moved = self.pan >= pan or self.held >= hold
        if shift != (0, 0) and (moved or centred):
            centre = (0.0, 0.0) if moved else tuple(c - s for c, s in zip(self.centre, shift))
            self.reanchor(frame)
            self.centre = centre

    def reanchor(self, frame):
        """Every pixel (y, x) takes the state of (y - dy, x - dx) (the frame's (y, x) was matched with
        it); where that is outside, a new pixel
        from the frame's (y, x) (one mode at the value over the gain, labelled background)."""
        dy, dx = self.offset
        H, W, C = frame.shape
        px = [[None] * W for _ in range(H)]
        lab, bg = np.zeros_like(self.lab), np.zeros_like(self.bg)
        fin1, fin2 = np.zeros_like(self.fin1), np.zeros_like(self.fin2)
        for i in range(H):
            for j in range(W):
                if 0 <= i - dy < H and 0 <= j - dx < W:
                    px[i][j] = self.px[i - dy][j - dx]
                    lab[i, j], bg[i, j] = self.lab[i - dy, j - dx], self.bg[i - dy, j - dx]
                    fin1[i, j], fin2[i, j] = self.fin1[i - dy, j - dx], self.fin2[i - dy, j - dx]
                else:
                    px[i][j] = Pixel(frame[i, j], C, self.var_init, self.t_lower, self.inv_gain)
                    bg[i, j] = [np.uint8(min(max(v + f32(0.5), f32(0.0)), f32(255.0)))
                                for v in px[i][j].modes[0][2:2 + C]]
        self.px, self.lab, self.bg, self.fin1, self.fin2 = px, lab, bg, fin1, fin2
        self.offset, self.held, self.pan, self.centre = (0, 0), 0, 0, (0.0, 0.0)

    def camera_shift(self, frame, R=3, wide_r=8, wide_fg=20, samples=2500, trunc=40, margin=3, min_pixels=1000,
                     F=4, coarse_r=8, coarse_samples=1000):
        """The offset (dy, dx) whose frame pixel (y + dy, x + dx) best matches the previous
        background's (y, x): truncated L1 of the middle channel's differences to the next column
        and row, on a grid, over the shifts within R of (0, 0) and of the previous offset (within
        ``wide_r`` of it after a frame more than ``wide_fg`` % foreground, and then also within F of F
        times the best shift within ``coarse_r`` of the previous offset // F on the images of the
        F x F block means, on a grid of about ``coarse_samples`` of them), every shift scored on the
        samples at which all of them read inside the frame; the first best (windows in that order,
        each in (dy, dx) order) is taken when it beats the previous offset by more than ``margin``
        percent."""
        H, W, C = frame.shape
        oy, ox = self.offset
        windows = [(0, 0, R)] if self.offset == (0, 0) else [(0, 0, R), (oy, ox, R)]

        def region(ws, H=H, W=W):
            ys = range(max(max(0, r - cy) for cy, _, r in ws), min(min(H - 1, H - r - 1 - cy) for cy, _, r in ws))
            xs = range(max(max(0, r - cx) for _, cx, r in ws), min(min(W - 1, W - r - 1 - cx) for _, cx, r in ws))
            return ys, xs

        def area(ws, H=H, W=W):
            ys, xs = region(ws, H, W)
            return len(ys) * len(xs)

        def cost(fs, bs, ys, xs, step, dy, dx):  # every sample (y, x) of the grid at once
            y = np.arange(ys.start, ys.stop, step)[:, None]
            x = np.arange(xs.start, xs.stop, step)[None, :]
            gx = (fs[y + dy, x + dx + 1] - fs[y + dy, x + dx]) - (bs[y, x + 1] - bs[y, x])
            gy = (fs[y + dy + 1, x + dx] - fs[y + dy, x + dx]) - (bs[y + 1, x] - bs[y, x])
            return int(np.minimum(np.abs(gx) + np.abs(gy), trunc).sum())

        fs = frame[:, :, C // 2].astype(np.int64)
        bs = self.bg[:, :, C // 2].astype(np.int64)
        if 100 * self.fg > wide_fg * H * W:
            wide = windows[:-1] + [(oy, ox, wide_r)]
            Hb, Wb = H // F, W // F
            cy, cx = oy // F, ox // F
            if area([(cy, cx, coarse_r)], Hb, Wb) * F * F >= min_pixels:
                def blocks(a):  # rounded means of the F x F blocks
                    out = np.zeros((Hb, Wb), np.int64)
                    for i in range(Hb):
                        for j in range(Wb):
                            out[i, j] = (int(a[F * i:F * i + F, F * j:F * j + F].sum()) + F * F // 2) // (F * F)
                    return out

                fb, bb = blocks(fs), blocks(bs)
                ys, xs = region([(cy, cx, coarse_r)], Hb, Wb)
                step = max(1, round((Hb * Wb / coarse_samples) ** 0.5))
                best, best_cost = None, None
                for dy in range(cy - coarse_r, cy + coarse_r + 1):
                    for dx in range(cx - coarse_r, cx + coarse_r + 1):
                        c = cost(fb, bb, ys, xs, step, dy, dx)
                        if best_cost is None or c < best_cost:
                            best, best_cost = (dy, dx), c
                coarse = wide[:-1] + [(F * best[0], F * best[1], F), wide[-1]]
                if area(coarse) >= min_pixels:
                    wide = coarse
            if area(wide) >= min_pixels:
                windows = wide
        ys, xs = region(windows)
        if len(ys) * len(xs) < min_pixels:
            return (0, 0)
        step = max(1, round((max(1, (H - 2 * R - 1) * (W - 2 * R - 1)) / samples) ** 0.5))
        best, best_cost = None, None
        for cy, cx, r in windows:
            for dy in range(cy - r, cy + r + 1):
                for dx in range(cx - r, cx + r + 1):
                    c = cost(fs, bs, ys, xs, step, dy, dx)
                    if best_cost is None or c < best_cost:
                        best, best_cost = (dy, dx), c
        if 100 * best_cost >= (100 - margin) * cost(fs, bs, ys, xs, step, oy, ox):
            return self.offset
        return best

    def pixel(self, frame, i, j, lab_prev, lab_cur, bg_prev, bgc, force, a_boot):
        H, W, C = frame.shape
        px = self.px[i][j]
        x = [f32(v) * self.inv_gain[c] for c, v in enumerate(frame[i, j])]
        ld = f32(0.0)
        for c in range(C):
            d = abs(f32(frame[i, j, c]) - f32(px.last[c]))
            ld = d if c == 0 else ld + d
        px.last = list(frame[i, j])
        ld = ld * (f32(1.0 / 255.0) / f32(C))
        px.dl = px.dl * (f32(1.0) - ST) + ld * ST
        R = px.r if self.feedback else f32(1.0)
        R2 = R * R
        Tb = self.var_threshold * R2
        floor = f32(C) * self.min_distance * self.min_distance * R2
        cum, bg, dmin2 = f32(0.0), False, f32(3.4e38)
        best = px.modes[0]
        for md in px.modes:
            if cum >= self.background_ratio:
                break
            d2 = self.dist2(md, x, C)
            if d2 < max(Tb * md[1], floor):
                bg = True
                if d2 < dmin2:
                    dmin2, best = d2, md
            cum = cum + md[0]
        moved = False
        if not bg and self.displacement:
            thr = max(Tb * px.modes[0][1], floor)
            for k in range(9):
                if k != 4 and self.shifted(frame, bg_prev, i, j, k // 3 - 1, k % 3 - 1, thr) <= 2:
                    moved, dmin2 = True, f32(0.0)
                    break
        shadow = False
        if not bg and not moved and self.detect_shadows:
            cum = f32(0.0)
            for md in px.modes:
                if cum >= self.background_ratio:
                    break
                num = den = f32(0.0)
                for c in range(C):
                    num = x[c] * md[2 + c] if c == 0 else num + x[c] * md[2 + c]
                    den = md[2 + c] * md[2 + c] if c == 0 else den + md[2 + c] * md[2 + c]
                if den > 0 and num < den and num >= self.shadow_tau * den:
                    a = num / den
                    dd = f32(0.0)
                    for c in range(C):
                        d = a * md[2 + c] - x[c]
                        dd = d * d if c == 0 else dd + d * d
                    if dd < self.var_threshold * md[1] * a * a:
                        shadow = (self.shadow_texture <= 0
                                  or self.ratio_spread(frame, bg_prev, i, j) < self.shadow_texture)
                        break
                cum = cum + md[0]
        bv = list(best[2:5])
        self.own_bg[i, j] = bg
        fg = not bg and not shadow and not moved
        lab = 0 if bg else (2 if shadow else 255)
        if (bg and px.s >= SOURCE_S) or moved:
            lab = 1
        lab_cur[i, j] = lab
        ghostlike = self.ghost and px.s > GHOST_S and px.dl < GHOST_D
        T = px.t if self.feedback else self.t_fixed
        alpha = max(f32(1.0) / (self.n_samples * T), a_boot)
        if alpha > 0:
            if bg or force:
                self.mix_update(px, x, C, alpha, R2)
            elif fg and self.fg_rate > 0:
                self.mix_update(px, x, C, alpha * self.fg_rate, R2)
            elif fg and ghostlike:
                self.mix_update(px, x, C, f32(1.0) / (self.n_samples * self.t_lower), R2, create=False)
        if self.diffusion:
            p = i * W + j
            h = hash32(p, self.n)
            period = T
            if ghostlike:
                period = self.t_lower
            u = f32(h & 0xFFFF) * f32(1.0 / 65536.0)
            if u * period < 1:
                k = (h >> 16) & 7
                k = k + (k >= 4)
                ni, nj = i + k // 3 - 1, j + k % 3 - 1
                if 0 <= ni < H and 0 <= nj < W and lab_prev[ni, nj] == 0:
                    y = [f32(v) * self.inv_gain[c] for c, v in enumerate(frame[ni, nj])]
                    e = f32(0.0)
                    for c in range(C):
                        d = y[c] - f32(bg_prev[ni, nj, c])
                        e = d * d if c == 0 else e + d * d
                    if e < f32(C) * self.min_distance * self.min_distance:
                        self.mix_update(px, y, C, f32(1.0) / self.n_samples, R2, move=False)
        for c in range(C):
            bgc[i, j, c] = np.uint8(min(max(bv[c] + f32(0.5), f32(0.0)), f32(255.0)))
        dn = f32(1.0)
        if bg or moved:
            dn = min(f32(np.sqrt(dmin2 * (f32(1.0) / f32(C)))) * f32(1.0 / 255.0), f32(1.0))
        px.dlt = px.dlt * (f32(1.0) - LT) + dn * LT
        px.dst = px.dst * (f32(1.0) - ST) + dn * ST
        px.s = px.s * (f32(1.0) - ST) + (f32(1.0) if fg else f32(0.0)) * ST
        if self.feedback:
            prev_fg = self.fin1[i, j] == 255
            blink = prev_fg != (self.fin2[i, j] == 255)
            dmax = max(px.dlt, px.dst, f32(1e-3))
            dmn = min(px.dlt, px.dst)
            if prev_fg or (dmn < UNSTABLE and fg):
                px.t = px.t + T_INCR / (dmax * px.v)
            else:
                px.t = px.t - T_DECR * px.v / dmax
            px.t = min(max(px.t, self.t_lower), self.t_upper)
            if dmax > UNSTABLE and blink:
                px.v = px.v + V_INCR
            else:
                px.v = max(px.v - (V_DECR * f32(0.25) if prev_fg else V_DECR), V_DECR)
            tgt = f32(1.0) + dmn * f32(2.0)
            if px.r < tgt * tgt:
                px.r = px.r + R_VAR * (px.v - V_DECR)
            else:
                px.r = max(px.r - R_VAR / px.v, f32(1.0))
        return 0 if bg or moved else (127 if shadow else 255)

    def records(self):
        """The state in the kernel's record layout: (H*W, 22) float32."""
        H, W = len(self.px), len(self.px[0])
        out = np.zeros((H * W, K * 5 + 7), np.float32)
        for i in range(H):
            for j in range(W):
                px = self.px[i][j]
                r = out[i * W + j]
                for m, md in enumerate(px.modes):
                    r[m * 5:m * 5 + 5] = md
                r[15:] = [px.dlt, px.dst, px.v, px.r, px.t, px.s, px.dl]
        return out
