"""The batch mixture engine: estimators, their float64 parameter maths, EM and Lloyd kernels, and
the in-memory and Dask backends behind one interface.

Modules
-------
* :mod:`._base` - :class:`BaseMixture`, the fit loop, initialisation and inference both mixtures share.
* :mod:`.gaussian_mixture` - :class:`GaussianMixture` (EM, scikit-learn's API and results).
* :mod:`.bayesian_mixture` - :class:`BayesianGaussianMixture` (variational, scikit-learn's API and results).
* :mod:`.kmeans` - :class:`KMeans`, :func:`kmeans_plusplus`, :func:`lloyd`.
* :mod:`._parameters` - M-step and precision maths on the small parameter arrays (float64);
  :mod:`._special` - digamma/gammaln for the variational terms (no SciPy).
* :mod:`._em`, :mod:`._lloyd` - the Numba kernels (they import nothing of fastgmm but ``_jit``).
* :mod:`._backend` - the backend interface and the in-memory backend; :mod:`._dask` - the Dask one.

Data flows one way: estimators -> backend -> kernels.
"""

from __future__ import annotations

from .bayesian_mixture import BayesianGaussianMixture
from .gaussian_mixture import GaussianMixture
from .kmeans import KMeans, kmeans_plusplus, lloyd

__all__ = ["BayesianGaussianMixture", "GaussianMixture", "KMeans", "kmeans_plusplus", "lloyd"]
