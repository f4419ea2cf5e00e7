"""One full pass of hard assignment, shared by the gradient-type solvers.

A pass assigns every point to its nearest center and returns, in float64, the
objective of the centers, the per-cluster weighted sums ``S_j`` and weights
``W_j`` (from which the gradient ``2 (W_j c_j - S_j)`` follows) and how many
labels changed. It runs Lloyd's assignment kernel over a workspace that the
solver builds once per run.
"""

from __future__ import annotations

import numpy as np

from .._kernels import CHUNK
from .._nocompile import workspace
from ..objective import point_objective


class HardPass:
    """Evaluate ``min_a E(C, a)`` and its gradient statistics at given centers.

    Holds a :class:`optimeans._kernels.lloyd.Workspace` (the data packed once
    for the SIMD assignment kernel, the running cluster sums), so that a pass
    allocates nothing and the labels are Lloyd's canonical ones.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    n_clusters : int

    Notes
    -----
    Memory: the workspace (half a float64 copy of X, labels, per-chunk sums).
    Sums are reduced in chunk order, so nothing depends on the thread count.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int) -> None:
        self.X = X
        self.w = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.ws = workspace(X, n_clusters, self.w)
        self._d = X.shape[1]
        self._centers: np.ndarray | None = None

    @property
    def labels(self) -> np.ndarray:
        """Labels of the last pass."""
        return self.ws.labels

    @property
    def min_sqdist(self) -> np.ndarray:
        """Squared distance of every point to its center at the last pass (float64)."""
        return point_objective(self.X, self._centers, self.ws.labels)

    def __call__(self, centers: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, int]:
        """Assign every point to ``centers``; return (objective, S, W, n_changed).

        ``S`` (k x d) and ``W`` (k,) are the weighted sums and weights of the
        clusters in float64.
        """
        c = np.ascontiguousarray(centers, dtype=self.X.dtype)
        self._centers = c
        ws = self.ws
        ws.set_centers(c)
        changed = ws.assign(do_sums=True)
        obj = ws.objective()
        W = ws.W.copy()
        d = self._d
        S = ws.S.reshape(ws.k, ws.dp)[:, :d] + W[:, None] * ws.mean[:d]
        return obj, S, W, changed


def effective_threads(n_samples: int, n_threads: int | None) -> int | None:
    """One thread when the data fit in one chunk, else ``n_threads``.

    The parallel kernels split the rows into chunks of ``CHUNK``; with a
    single chunk there is nothing to share, and waking the worker threads at
    every pass costs more than the pass itself (milliseconds on a busy
    machine). Results do not depend on the thread count either way.
    """
    return 1 if n_samples <= CHUNK else n_threads
