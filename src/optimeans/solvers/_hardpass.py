"""One full pass of hard assignment, shared by the gradient-type solvers.

A pass assigns every point to its nearest center and returns, in float64, the
objective of the centers, the per-cluster weighted sums ``S_j`` and weights
``W_j`` (from which the gradient ``2 (W_j c_j - S_j)`` follows) and how many
labels changed. It wraps the fused kernel of Lloyd's iteration and owns its
buffers, so a solver allocates them once per run.
"""

from __future__ import annotations

import numpy as np

from .._kernels import CHUNK, lloyd_pass


class HardPass:
    """Evaluate ``min_a E(C, a)`` and its gradient statistics at given centers.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    n_clusters : int

    Notes
    -----
    Memory: labels and distances O(n), plus ``ceil(n / 4096) * k * d`` float64
    partial sums. The partial sums are reduced in chunk order, so the result
    does not depend on the number of threads.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int) -> None:
        n, d = X.shape
        self.X = X
        self.w = np.ascontiguousarray(sample_weight, dtype=X.dtype)
        self.labels = np.full(n, -1, dtype=np.int64)
        self.min_sqdist = np.empty(n, dtype=X.dtype)
        n_chunks = (n + CHUNK - 1) // CHUNK
        self._sums = np.empty((n_chunks, n_clusters, d), dtype=np.float64)
        self._weights = np.empty((n_chunks, n_clusters), dtype=np.float64)
        self._obj = np.empty(n_chunks, dtype=np.float64)
        self._changed = np.empty(n_chunks, dtype=np.int64)

    def __call__(self, centers: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, int]:
        """Assign every point to ``centers``; return (objective, S, W, n_changed)."""
        c = np.ascontiguousarray(centers, dtype=self.X.dtype)
        lloyd_pass(
            self.X, self.w, c, self.labels, self.min_sqdist,
            self._sums, self._weights, self._obj, self._changed,
        )
        return (
            float(self._obj.sum()),
            self._sums.sum(axis=0),
            self._weights.sum(axis=0),
            int(self._changed.sum()),
        )


def effective_threads(n_samples: int, n_threads: int | None) -> int | None:
    """One thread when the data fit in one chunk, else ``n_threads``.

    The parallel kernels split the rows into chunks of ``CHUNK``; with a
    single chunk there is nothing to share, and waking the worker threads at
    every pass costs more than the pass itself (milliseconds on a busy
    machine). Results do not depend on the thread count either way.
    """
    return 1 if n_samples <= CHUNK else n_threads
