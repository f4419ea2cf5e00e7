"""Sparse CSR data: the prepared data object, k-means++ seeding, labels, distances, the exact objective.

Everything here takes a :class:`SparseData` (a validated canonical CSR
matrix, its row norms computed once) and dense float64 centers, and calls the
kernels of :mod:`optimeans._kernels.sparse`. Sparse data are never centered
(that would fill them in): distances use ``||x||^2 - 2 x.c + ||c||^2`` in
float64, and the objective is summed from non-negative terms, exact to
float64 rounding (see the kernel module).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._kernels.lloyd import CHUNK
from ._kernels.sparse import (
    assign_rows, cluster_objective, cluster_sums, dots_by_columns, order_by_label, row_sqnorms, sqdist_from_dots,
    sqdist_rows,
)
from ._numba import numba_threads
from ._validation import check_centers

__all__ = ["SparseData", "kmeans_plusplus_sparse", "random_points_sparse", "init_centers_sparse"]


class SparseData:
    """A canonical CSR matrix (float32 or float64) and its float64 row norms.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix, validated by :func:`optimeans._validation.check_sparse`
    """

    def __init__(self, X: Any) -> None:
        self.X = X
        self.data = X.data
        self.indices = X.indices
        self.indptr = X.indptr
        self.n, self.d = (int(v) for v in X.shape)
        self.dtype = X.data.dtype
        self.shape = (self.n, self.d)
        self.xsq = np.empty(self.n, dtype=np.float64)
        self.all_rows = np.arange(self.n, dtype=np.int64)
        self._csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if self.n <= CHUNK:
            with numba_threads(1):  # one chunk: waking the thread pool costs more than the work
                row_sqnorms(self.data, self.indptr, self.xsq)
        else:
            row_sqnorms(self.data, self.indptr, self.xsq)  # on the caller's thread count

    @property
    def nnz(self) -> int:
        return int(self.data.shape[0])

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` as a dense float64 vector."""
        out = np.zeros(self.d, dtype=np.float64)
        lo, hi = self.indptr[i], self.indptr[i + 1]
        out[self.indices[lo:hi]] = self.data[lo:hi]
        return out

    def rows_dense(self, idx: np.ndarray) -> np.ndarray:
        """Rows ``idx`` as a dense float64 array (len(idx) x d)."""
        return np.asarray(self.X[np.asarray(idx)].toarray(), dtype=np.float64)

    def sqdist(self, centers: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Squared distances (float64, len(rows) x m) of the rows to dense ``centers`` (m x d)."""
        rows = self.all_rows if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
        C = np.asarray(centers, dtype=np.float64)
        CT = np.ascontiguousarray(C.T)
        csq = np.einsum("ij,ij->i", C, C)
        out = np.empty((rows.shape[0], C.shape[0]), dtype=np.float64)
        sqdist_rows(self.data, self.indices, self.indptr, rows, self.xsq, CT, csq, out)
        return out

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The data in CSC form (``data, indices, indptr``, rows ascending per column), built once on first use.

        Costs a second copy of the stored values and their indices.
        """
        if self._csc is None:
            C = self.X.tocsc()
            if not C.has_sorted_indices:
                C.sort_indices()
            self._csc = (C.data, C.indices, C.indptr)
        return self._csc

    def sqdist_to_rows(self, idx: np.ndarray) -> np.ndarray:
        """Squared distances (float64, n x len(idx)) of every row to the rows ``idx``, the bits of :meth:`sqdist`.

        The dot products are summed down the columns of the rows' features
        (:func:`optimeans._kernels.sparse.dots_by_columns`): the work is the
        number of stored values in those columns, not a pass over the data.
        """
        idx = np.asarray(idx, dtype=np.int64)
        m = idx.shape[0]
        ptr = np.zeros(m + 1, dtype=np.int64)
        for t, i in enumerate(idx):
            ptr[t + 1] = ptr[t] + self.indptr[i + 1] - self.indptr[i]
        cand_f = np.concatenate([self.indices[self.indptr[i]: self.indptr[i + 1]] for i in idx]).astype(np.int64)
        cand_v = np.concatenate([self.data[self.indptr[i]: self.indptr[i + 1]] for i in idx]).astype(np.float64)
        dense = np.zeros((m, self.d))
        for t in range(m):
            dense[t, cand_f[ptr[t]: ptr[t + 1]]] = cand_v[ptr[t]: ptr[t + 1]]
        csq = np.einsum("ij,ij->i", dense, dense)  # the bits of sqdist's center norms
        cdata, cindices, cindptr = self.columns()
        acc = np.empty((m, self.n), dtype=np.float64)
        dots_by_columns(cdata, cindices, cindptr, ptr, cand_f, cand_v, acc)
        out = np.empty((self.n, m), dtype=np.float64)
        sqdist_from_dots(self.xsq, acc, csq, out)
        return out

    def nearest(self, centers: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Labels (int64, first index on ties) and squared distances (float64) of the nearest centers."""
        rows = self.all_rows if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
        C = np.asarray(centers, dtype=np.float64)
        CT = np.ascontiguousarray(C.T)
        csq = np.einsum("ij,ij->i", C, C)
        labels = np.empty(rows.shape[0], dtype=np.int64)
        mind = np.empty(rows.shape[0], dtype=np.float64)
        assign_rows(self.data, self.indices, self.indptr, rows, self.xsq, CT, csq, labels, mind)
        return labels, mind

    def _order(self, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        order = np.empty(self.n, dtype=np.int64)
        starts = np.empty(k + 1, dtype=np.int64)
        order_by_label(np.ascontiguousarray(labels, dtype=np.int64), k, order, starts)
        return order, starts

    def sums(self, labels: np.ndarray, k: int, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-cluster weighted sums ``S`` (k x d) and weights ``W`` (k,), float64, in row order."""
        order, starts = self._order(labels, k)
        S = np.empty((k, self.d), dtype=np.float64)
        W = np.empty(k, dtype=np.float64)
        cluster_sums(self.data, self.indices, self.indptr, w, order, starts, S, W)
        return S, W

    def cluster_objectives(self, centers: np.ndarray, labels: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Per-cluster objective (float64, k) at ``centers``, summed from non-negative terms."""
        C = np.ascontiguousarray(centers, dtype=np.float64)
        k = C.shape[0]
        order, starts = self._order(labels, k)
        Wf = np.empty_like(C)
        E = np.empty(k, dtype=np.float64)
        cluster_objective(
            self.data, self.indices, self.indptr, np.ascontiguousarray(w, dtype=np.float64), order, starts, C, Wf, E
        )
        return E

    def objective(self, centers: np.ndarray, labels: np.ndarray, w: np.ndarray) -> float:
        """``sum_i w_i ||x_i - c_{labels_i}||^2`` in float64 from non-negative terms (clusters summed in order)."""
        return float(np.sum(self.cluster_objectives(centers, labels, w)))


def _sample(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``size`` indices drawn with probability proportional to ``p`` (the rule of :mod:`optimeans.seeding`)."""
    cum = np.cumsum(p)
    u = rng.random(size) * cum[-1]
    return np.minimum(np.searchsorted(cum, u, side="right"), len(p) - 1)


def kmeans_plusplus_sparse(
    S: SparseData, n_clusters: int, sample_weight: np.ndarray, rng: np.random.Generator,
    *, n_local_trials: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ on sparse rows: the draws of :func:`optimeans.seeding.kmeans_plusplus`.

    The same random draws as the dense seeding (first center by weight, then
    ``2 + floor(ln k)`` candidates by ``w D^2``, the one lowering the
    potential most kept); distances by the sparse expansion, so the centers
    chosen can differ from the dense seeding's only where two potentials tie
    to rounding. Returns dense float64 centers (k x d) and the rows chosen.

    Notes
    -----
    Per center, O(n (2 + ln k)) plus the stored values in the columns of
    the candidates' features (at most ``nnz`` per candidate, usually far
    fewer); memory O(n (2 + ln k)) and a CSC copy of the data
    (:meth:`SparseData.columns`), shared by the restarts.
    """
    n, d = S.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    w = np.asarray(sample_weight, dtype=np.float64)
    centers = np.empty((n_clusters, d), dtype=np.float64)
    indices = np.empty(n_clusters, dtype=np.int64)
    first = int(_sample(rng, w, 1)[0])
    centers[0] = S.row(first)
    indices[0] = first
    closest = np.ascontiguousarray(S.sqdist_to_rows(indices[:1])[:, 0])
    potential = float((w * closest).sum())
    for c in range(1, n_clusters):
        if potential <= 0.0:
            idx = int(_sample(rng, w, 1)[0])
            centers[c] = S.row(idx)
            indices[c] = idx
            continue
        cands = _sample(rng, w * closest, n_local_trials)
        dist = S.sqdist_to_rows(cands)
        np.minimum(dist, closest[:, None], out=dist)
        # numpy's sum is single-threaded: the same rounding on any thread count
        pots = np.sum(w[:, None] * dist, axis=0)
        best = int(np.argmin(pots))
        centers[c] = S.row(int(cands[best]))
        indices[c] = int(cands[best])
        closest = np.ascontiguousarray(dist[:, best])
        potential = float(pots[best])
    return centers, indices


def random_points_sparse(S: SparseData, n_clusters: int, sample_weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``n_clusters`` distinct rows of positive weight, in random order (dense float64)."""
    order = rng.permutation(np.flatnonzero(sample_weight > 0))
    chosen: list[int] = []
    seen: set[bytes] = set()
    for i in order:
        lo, hi = S.indptr[i], S.indptr[i + 1]
        key = S.indices[lo:hi].tobytes() + b"|" + S.data[lo:hi].tobytes()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(i))
        if len(chosen) == n_clusters:
            break
    while len(chosen) < n_clusters:
        chosen.append(int(order[rng.integers(len(order))] if len(order) else rng.integers(S.n)))
    return S.rows_dense(np.asarray(chosen, dtype=np.int64))


def init_centers_sparse(
    S: SparseData, n_clusters: int, sample_weight: np.ndarray, init: Any, rng: np.random.Generator,
) -> np.ndarray:
    """Initial dense float64 centers for sparse data: ``"k-means++"``, ``"random"``, an array or a callable.

    A callable is called as ``init(X, n_clusters, rng)`` with the CSR matrix.
    """
    if isinstance(init, str):
        if init == "k-means++":
            return kmeans_plusplus_sparse(S, n_clusters, sample_weight, rng)[0]
        if init == "random":
            return random_points_sparse(S, n_clusters, sample_weight, rng)
        raise ValueError(f"init must be one of ('k-means++', 'random'), an array or a callable; got {init!r}")
    if callable(init):
        out = init(S.X, n_clusters, rng)
        if hasattr(out, "toarray"):
            out = out.toarray()
        return check_centers(out, n_clusters, S.d, np.float64, name="init()")
    if hasattr(init, "toarray"):
        init = init.toarray()
    return check_centers(init, n_clusters, S.d, np.float64)


def count_distinct_rows_upto(S: SparseData, k: int, w: np.ndarray) -> int:
    """Number of distinct rows of positive weight, exact when below ``k``."""
    seen: set[bytes] = set()
    for i in np.flatnonzero(w > 0):
        lo, hi = S.indptr[i], S.indptr[i + 1]
        vals = S.data[lo:hi]
        nz = vals != 0  # an explicitly stored zero is the same point as an absent one
        seen.add(S.indices[lo:hi][nz].tobytes() + b"|" + vals[nz].tobytes())
        if len(seen) >= k:
            return k
    return len(seen)
