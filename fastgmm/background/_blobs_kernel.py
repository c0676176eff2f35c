"""Connected-component clean-up of a 0/255 mask: fill small holes, drop small blobs.

Union-find over *runs* (maximal horizontal segments of one class in a row) rather than pixels:
one pass collects the runs of each row, one links the runs of adjacent rows that touch (a merge
of the two sorted run lists), then areas and border contacts are summed at the roots and the
runs of the components to change are rewritten.  A mask that is mostly background has a few runs
per row, so the work is about one read of the mask.  Sequential and deterministic.  Holes are
4-connected components of non-foreground pixels that do not touch the image border; blobs are
8-connected components of foreground (255) pixels.  Scratch arrays are passed in: ``parent``,
``area`` (int32) and ``touch`` (uint8) with one entry per run, ``runs`` (int32, (n, 2): start
and end column of each run, at most ``H * ((W + 1) // 2)`` runs) and ``row0`` (int32, H + 1:
first run of each row).
"""

from __future__ import annotations

import numpy as np

from .._jit import kernel

_seq = kernel(parallel=False)
_helper = kernel(parallel=False, python_callable=False)
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


@_helper
def _components(mask, H, W, want_fg, eight, parent, area, touch, runs, row0):
    """Label the runs of pixels whose (mask == 255) equals ``want_fg``; returns the number of runs.
    Afterwards ``area`` and ``touch`` of each component's root (its first run) hold the
    component's pixel count and whether it touches the border."""
    n = 0
    for i in range(H):
        row0[i] = n
        base = np.uint64(i * W)  # unsigned indices: no negative-index wraparound code per pixel read
        j = 0
        while j < W:
            if (mask[base + np.uint64(j)] == 255) != want_fg:
                j += 1
                continue
            s = j
            while j < W and (mask[base + np.uint64(j)] == 255) == want_fg:
                j += 1
            runs[n, 0] = s
            runs[n, 1] = j
            parent[n] = n
            area[n] = j - s
            touch[n] = 1 if (i == 0 or i == H - 1 or s == 0 or j == W) else 0
            n += 1
    row0[H] = n
    ext = 1 if eight else 0  # 8-connected: runs that touch diagonally are linked too
    for i in range(1, H):
        a = row0[i - 1]
        b = row0[i]
        while a < row0[i] and b < row0[i + 1]:
            if runs[a, 1] + ext <= runs[b, 0]:
                a += 1
            elif runs[b, 1] + ext <= runs[a, 0]:
                b += 1
            else:
                _union(parent, a, b)
                if runs[a, 1] < runs[b, 1]:
                    a += 1
                else:
                    b += 1
    for r in range(n):
        root = _find(parent, r)
        if root != r:  # a root is its component's first run, so area[r] is still r's own length
            area[root] += area[r]
            touch[root] |= touch[r]
    return n


@_seq
def clean(mask, H, W, max_hole, min_blob, parent, area, touch, runs, row0):
    """In place on a flat 0/255 mask: holes of at most ``max_hole`` pixels not touching the border
    become 255; then 8-connected foreground blobs of fewer than ``min_blob`` pixels become 0."""
    if max_hole > 0:
        _components(mask, H, W, False, False, parent, area, touch, runs, row0)
        for i in range(H):
            for r in range(row0[i], row0[i + 1]):
                root = _find(parent, r)
                if touch[root] == 0 and area[root] <= max_hole:
                    for j in range(runs[r, 0], runs[r, 1]):
                        mask[i * W + j] = 255
    if min_blob > 0:
        _components(mask, H, W, True, True, parent, area, touch, runs, row0)
        for i in range(H):
            for r in range(row0[i], row0[i + 1]):
                if area[_find(parent, r)] < min_blob:
                    for j in range(runs[r, 0], runs[r, 1]):
                        mask[i * W + j] = 0
