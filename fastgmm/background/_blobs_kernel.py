"""Connected-component clean-up of a 0/255 mask: fill small holes, drop small blobs.

Union-find labelling in raster order (one sequential pass to link, one to count, one to write),
so the result is deterministic.  Holes are 4-connected components of non-foreground pixels that
do not touch the image border; blobs are 8-connected components of foreground (255) pixels.
Scratch arrays (``parent``, ``area`` int32 and ``touch`` uint8, one entry per pixel) are passed in.
"""

from __future__ import annotations

from .._jit import kernel

_seq = kernel(parallel=False)
_inl = kernel(parallel=False, inline="always")


@_inl
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@_inl
def _union(parent, a, b):
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@_seq
def _components(mask, H, W, want_fg, eight, parent, area, touch):
    P = H * W
    for p in range(P):
        parent[p] = p
        area[p] = 0
        touch[p] = 0
    for i in range(H):
        for j in range(W):
            p = i * W + j
            if (mask[p] == 255) != want_fg:
                continue
            if j > 0 and (mask[p - 1] == 255) == want_fg:
                _union(parent, p, p - 1)
            if i > 0:
                if (mask[p - W] == 255) == want_fg:
                    _union(parent, p, p - W)
                if eight:
                    if j > 0 and (mask[p - W - 1] == 255) == want_fg:
                        _union(parent, p, p - W - 1)
                    if j + 1 < W and (mask[p - W + 1] == 255) == want_fg:
                        _union(parent, p, p - W + 1)
    for i in range(H):
        for j in range(W):
            p = i * W + j
            if (mask[p] == 255) != want_fg:
                continue
            r = _find(parent, p)
            area[r] += 1
            if i == 0 or j == 0 or i == H - 1 or j == W - 1:
                touch[r] = 1


@_seq
def clean(mask, H, W, max_hole, min_blob, parent, area, touch):
    """In place on a flat 0/255 mask: holes of at most ``max_hole`` pixels not touching the border
    become 255; then 8-connected foreground blobs of fewer than ``min_blob`` pixels become 0."""
    P = H * W
    if max_hole > 0:
        _components(mask, H, W, False, False, parent, area, touch)
        for p in range(P):
            if mask[p] != 255:
                r = _find(parent, p)
                if touch[r] == 0 and area[r] <= max_hole:
                    mask[p] = 255
    if min_blob > 0:
        _components(mask, H, W, True, True, parent, area, touch)
        for p in range(P):
            if mask[p] == 255:
                r = _find(parent, p)
                if area[r] < min_blob:
                    mask[p] = 0
