"""optimeans: k-means as the optimization problem it is.

>>> import optimeans
>>> X = optimeans.datasets.load("iris")
>>> result = optimeans.fit(X, 3, random_state=0)
>>> result.objective  # doctest: +SKIP
78.85144142614601
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ._api import fit
from .compare import compare  # the function shadows its module's name on purpose
from ._validation import FewDistinctPointsWarning
from .objective import gradient, newton_step, objective
from .result import History, Result

from ._version import __version__

# Imported eagerly: the function has its module's name, and a lazy lookup would
# find the module object once anything imported ``optimeans.choose_k``.
from .choose_k import choose_k

# Heavier parts load on first use, so that `import optimeans` stays fast.
_LAZY = {
    "KMeans": ("optimeans.estimator", "KMeans"),
    "datasets": ("optimeans.datasets", None),
    "load": ("optimeans.estimator", "load"),
    "GaussianMixture": ("optimeans.gmm", "GaussianMixture"),
    "exact": ("optimeans.exact", None),
    "lower_bound": ("optimeans.exact.bounds", "lower_bound"),
    "certify": ("optimeans.exact.bounds", "certify"),
    "distributed": ("optimeans.distributed", None),
    "plotting": ("optimeans.plotting", None),
    "projection": ("optimeans.projection", None),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'optimeans' has no attribute {name!r}")


def methods() -> list[str]:
    """Names accepted by ``fit(method=...)``."""
    from .solvers import available

    return available()


__all__ = [
    "fit",
    "methods",
    "objective",
    "gradient",
    "newton_step",
    "Result",
    "History",
    "KMeans",
    "load",
    "datasets",
    "compare",
    "GaussianMixture",
    "exact",
    "lower_bound",
    "certify",
    "choose_k",
    "plotting",
    "projection",
    "FewDistinctPointsWarning",
    "__version__",
]
