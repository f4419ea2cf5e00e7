"""Exact answers and certificates: is this the global minimum?

* :func:`kmeans_1d` -- the optimal partition of one-dimensional data (dynamic
  programming, any n).
* :func:`enumerate_partitions` -- every partition of a tiny set, with its
  objective, and which of them are Lloyd fixed points or stable under
  single-point (Hartigan) moves: the whole landscape of local minima.
* :func:`lower_bound` -- a certified lower bound on the global minimum
  (spectral for any n, Peng-Wei SDP for n up to a few thousand), and
  :func:`certify`, which turns it into the gap of a result.
* :func:`branch_and_bound` -- proves the optimum: enumeration for small sets,
  column generation on small planar sets (k >= 4, at most 100 distinct rows)
  and on large ones with small clusters (at least 1000 distinct rows, at most
  27 a cluster), and elsewhere a tree whose bounds are the Peng-Wei SDP strengthened by pair
  and triangle inequalities (:mod:`optimeans.exact.sdp_bnb`).
* :func:`verify` -- checks a saved proof of a branch-and-bound result (its
  labels, every certificate's bound, that the search tree is complete)
  without searching again (:mod:`optimeans.exact.proof`).

Modules load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "kmeans_1d": "optimeans.exact.onedim",
    "enumerate_partitions": "optimeans.exact.enumerate",
    "Landscape": "optimeans.exact.enumerate",
    "lower_bound": "optimeans.exact.bounds",
    "certify": "optimeans.exact.bounds",
    "partition_bound": "optimeans.exact.bounds",
    "Certificate": "optimeans.exact.bounds",
    "branch_and_bound": "optimeans.exact.branch_bound",
    "verify": "optimeans.exact.proof",
    "save_proof": "optimeans.exact.proof",
    "load_proof": "optimeans.exact.proof",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optimeans.exact' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
