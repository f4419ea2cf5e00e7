"""Global search (provisional core used by branch and bound)."""

from __future__ import annotations

import numpy as np

from ..objective import nearest_labels
from ..seeding import kmeans_plusplus
from ..solvers.hartigan import transfer
from .._kernels.hartigan import compute_cluster_stats, labelled_objective


def global_search(X, w, k, rng, n_starts=20):
    best, best_val = None, np.inf
    for _ in range(n_starts):
        c, _ = kmeans_plusplus(X, k, w, rng)
        lab, _ = nearest_labels(X, c)
        lab, cen, *_ = transfer(X, w, lab, k, max_iter=1000, tol=0.0)
        val = labelled_objective(X, w, lab, cen)
        if val < best_val:
            best, best_val = lab, val
    return best, best_val
