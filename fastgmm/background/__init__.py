"""Online per-pixel background subtraction (MOG2, MOG and related models).

Classes are exposed lazily through the top-level :mod:`fastgmm` package; this package imports
nothing eagerly so that loading one model never compiles another's kernels.
"""
