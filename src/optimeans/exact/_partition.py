"""Small helpers on partitions shared by the exact routes (the rows' tree, the SDP tree, column generation).

In a module of their own so that :mod:`optimeans.exact.colgen` can use them
without importing :mod:`optimeans.exact.branch_bound`, which imports it.
"""

from __future__ import annotations

import numpy as np

from .._kernels.hartigan import compute_cluster_stats, labelled_objective
from ..solvers.hartigan import transfer

#: Bounds within this relative distance of the incumbent prune: the optimum is
#: proven to within this relative tolerance (rounding in the bounds is ~1e-15).
RTOL = 1e-10


def _merge_duplicates(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of positive weight, their summed weights, and each row's index among them (-1: zero weight)."""
    keep = np.flatnonzero(w > 0)
    uniq, inverse = np.unique(X[keep], axis=0, return_inverse=True)
    wu = np.bincount(inverse.ravel(), weights=w[keep], minlength=len(uniq))
    index = np.full(X.shape[0], -1, dtype=np.int64)
    index[keep] = inverse.ravel()
    return np.ascontiguousarray(uniq, dtype=np.float64), wu, index


def _sse(X: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> float:
    sums = np.zeros((k, X.shape[1]))
    weights = np.zeros(k)
    centers = np.zeros((k, X.shape[1]))
    compute_cluster_stats(X, w, labels, sums, weights, centers)
    return float(labelled_objective(X, w, labels, centers))


def _compact(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..m-1 in order of first appearance."""
    _, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inv.ravel()].astype(np.int64)


def _polish(X: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    lab, _, _, _, _ = transfer(X, w, labels, k, max_iter=1000, tol=0.0)
    return lab, _sse(X, w, lab, k)
