"""Slow, obviously correct reference implementations that the tests compare the kernels against.

``naive.em``: numpy/scipy Gaussian-mixture log-densities, E- and M-steps;
``naive.lloyd``: plain Lloyd k-means; ``naive.mog2`` / ``naive.mog``: per-pixel online mixtures
written as straight Python loops over one pixel at a time.
"""
