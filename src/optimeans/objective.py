r"""The mathematics of the k-means objective.

For data :math:`x_i` with weights :math:`w_i`, centers :math:`C = (c_1..c_k)`
and assignments :math:`a`,

.. math::  E(C, a) = \sum_i w_i \lVert x_i - c_{a_i} \rVert^2 .

With the assignments fixed, :math:`E` is a sum of convex quadratics, one per
cluster. Its gradient with respect to center :math:`c_j` is

.. math::  \nabla_{c_j} E = 2 (W_j c_j - S_j), \quad
           W_j = \sum_{a_i = j} w_i, \; S_j = \sum_{a_i = j} w_i x_i ,

zero exactly at the weighted mean :math:`S_j / W_j`. The Hessian is the
block-diagonal :math:`2 W_j I`, so one Newton step lands on the mean: Lloyd's
update *is* Newton's method on :math:`E` (Bottou & Bengio 1995), which is why
it converges in a handful of iterations where gradient descent crawls.

With ``labels=None`` every function uses the nearest center of each point,
i.e. :math:`\min_a E(C, a)`, the function Lloyd decreases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _nocompile
from ._kernels import CHUNK, assign_labels
from ._numba import FASTMATH_SAFE, numba_threads, pjit, prange
from ._validation import as_float_array, check_data, check_sample_weight

__all__ = [
    "objective", "gradient", "newton_step", "cluster_sums", "nearest_labels", "point_objective", "top_contributions",
]

_BLOCK = 65536


def nearest_labels(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the nearest center (first on ties) and the squared distances.

    ``X`` and ``centers`` must already be validated, of the same dtype.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.int64)
    mind = np.empty(n, dtype=X.dtype)
    C = np.ascontiguousarray(centers, dtype=X.dtype)
    if _nocompile.is_small(n, C.shape[0], X.shape[1]):
        _nocompile.assign_labels(X, C, labels, mind)  # same labels, no compilation
    elif n <= CHUNK:
        # one chunk: waking the thread pool costs more than the work (the
        # result does not depend on the thread count)
        with numba_threads(1):
            assign_labels(X, C, labels, mind)
    else:
        assign_labels(X, C, labels, mind)
    return labels, mind


def point_objective(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Squared distance of every point to its assigned center, in float64."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    for start in range(0, n, _BLOCK):
        end = min(n, start + _BLOCK)
        diff = X[start:end].astype(np.float64) - C[labels[start:end]]
        out[start:end] = np.einsum("ij,ij->i", diff, diff)
    return out


@pjit(fastmath=FASTMATH_SAFE)
def _sqdist_labels(X, C, labels, out):
    """``out[i]`` = ``||x_i - c_{labels[i]}||^2`` summed in float64 in some order (parallel over chunks).

    The differences are :func:`point_objective`'s (``float64(x) - c``, one rounding); only the
    order (and contraction) of the sum of their squares may differ, so the two values are
    within ``2 gamma_d`` of each other relative (Higham, Accuracy and Stability, 2002, eq. 3.5:
    any order of summing ``d`` nonnegative products, with or without fused multiply-adds).
    Reassociation is therefore allowed (``fastmath``): the sum vectorizes (a chain of ``d``
    dependent additions per row took 8.5 ms at 100000 x 64 on 1 thread).
    """
    n, d = X.shape
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            j = labels[i]
            s = 0.0
            for f in range(d):
                u = np.float64(X[i, f]) - C[j, f]
                s += u * u
            out[i] = s


#: From ``n d`` this large on, :func:`top_contributions` filters with :func:`_sqdist_labels`
#: (a parallel pass, no temporaries) and recomputes :func:`point_objective` on the few
#: candidates only; below, :func:`point_objective` over every row (no kernel to compile).
#: At 100000 x 64, k = 1024 the full recomputation took 15-17 ms of each relocation
#: (serial NumPy, three 33 MB temporaries per block of 65536 rows); with the filter a
#: relocation inside a ball fit takes 1.8 ms on 2 threads, 2.8-3.3 on 1 (the filter pass
#: 2.0-2.4 ms, the selection 0.3, 20 candidates for 2 empty clusters; load 1.4-1.9,
#: benchmarks/probe_ball_fit.py).
TOP_FILTER_FROM = 1 << 20


def top_order(contrib: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` largest ``contrib``, by value descending then index ascending."""
    if 0 < m < contrib.size:
        # only the m largest are needed: every entry at least the m-th largest value (ties
        # included, by index), then sorted as the full order would sort them. A full lexsort
        # took 8.7 ms of each relocation at n = 100000, this 0.3 ms.
        top = contrib[np.argpartition(contrib, contrib.size - m)[contrib.size - m:]].min()
        rows = np.flatnonzero(contrib >= top)
        return rows[np.lexsort((rows, -contrib[rows]))][:m]
    return np.lexsort((np.arange(contrib.size), -contrib))[:m]


def top_contributions(
    X: np.ndarray, centers: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray, m: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` rows of largest ``w_i ||x_i - c_{a_i}||^2`` and those values, largest first (lowest row on ties).

    The values are ``sample_weight * point_objective(X, centers, labels)`` (float64), and
    the rows those the full computation would rank first; from ``n d >=``
    :data:`TOP_FILTER_FROM` they are found without computing every value exactly. A
    parallel pass (:func:`_sqdist_labels`) gives each squared distance ``a_i`` within
    ``2 gamma_d`` (relative) of :func:`point_objective`'s ``e_i``, so
    ``lo_i = w_i (a_i (1 - r) - t) <= w_i e_i <= w_i (a_i (1 + r) + t) = hi_i`` with
    ``r = 4 (d + 1) 2^-53`` (twice the bound, to cover the bounds' own roundings; ``t``
    covers underflow; rounding ``w_i x`` is monotone in ``x``). With ``T`` the ``m``-th
    largest ``lo``, a row with ``hi_i < T`` falls below ``m`` others and cannot be
    chosen; :func:`point_objective` then runs on the rows with ``hi_i >= T`` only (row by
    row, its values do not depend on which rows it is given) and ranks them exactly.
    """
    n, d = X.shape
    m = int(min(m, n))
    if m <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    if n * d < TOP_FILTER_FROM or 4 * m >= n:
        contrib = w * point_objective(X, centers, labels)
        order = top_order(contrib, m)
        return order, contrib[order]
    C = np.ascontiguousarray(centers, dtype=np.float64)
    approx = np.empty(n, dtype=np.float64)
    _sqdist_labels(X, C, np.ascontiguousarray(labels, dtype=np.int64), approx)
    if not np.isfinite(approx).all():  # overflow: no bound to trust, every value exactly
        contrib = w * point_objective(X, centers, labels)
        order = top_order(contrib, m)
        return order, contrib[order]
    r = 4.0 * (d + 1) * 2.0**-53
    t = 1e-300
    lo = w * (approx * (1.0 - r) - t)
    hi = w * (approx * (1.0 + r) + t)
    cut = np.partition(lo, n - m)[n - m]
    cand = np.flatnonzero(hi >= cut)
    contrib = w[cand] * point_objective(X[cand], centers, labels[cand])
    order = np.lexsort((cand, -contrib))[:m]
    return cand[order], contrib[order]


def _prepare(X: Any, centers: Any, labels: Any, sample_weight: Any):
    X = check_data(X)
    C = as_float_array(centers, name="centers", ensure_2d=False).astype(np.float64, copy=False)
    if C.ndim != 2 or C.shape[1] != X.shape[1] or C.shape[0] < 1:
        raise ValueError(f"centers must have shape (n_clusters, {X.shape[1]}) with n_clusters >= 1, got {C.shape}")
    if not np.isfinite(C).all():
        bad = np.argwhere(~np.isfinite(C))[0]
        raise ValueError(f"centers contains {C[bad[0], bad[1]]} at row {bad[0]}, column {bad[1]}")
    w = check_sample_weight(sample_weight, X.shape[0], np.float64)
    if labels is None:
        labels, _ = nearest_labels(X, C.astype(X.dtype))
    else:
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],):
            raise ValueError(f"labels must have shape ({X.shape[0]},), got {labels.shape}")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= C.shape[0]):
            raise ValueError(f"labels must lie in [0, {C.shape[0] - 1}]")
        labels = labels.astype(np.int64)
    return X, C, labels, w


def objective(X: Any, centers: Any, labels: Any = None, sample_weight: Any = None) -> float:
    """The k-means objective, summed in float64.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    labels : array-like of shape (n_samples,), optional
        Assignments; the nearest center of each point when omitted.
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        ``sum_i w_i ||x_i - c_{labels_i}||^2``, each difference formed in float64.

    Examples
    --------
    >>> import numpy as np
    >>> objective(np.array([[0.0], [2.0]]), np.array([[1.0]]))
    2.0
    """
    X, C, labels, w = _prepare(X, centers, labels, sample_weight)
    return float(np.dot(w, point_objective(X, C, labels)))


def cluster_sums(X: np.ndarray, labels: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster weighted sums ``S_j`` (k x d, float64) and weights ``W_j`` (k,)."""
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    W = np.bincount(labels, weights=w, minlength=n_clusters).astype(np.float64)
    S = np.zeros((n_clusters, X.shape[1]), dtype=np.float64)
    np.add.at(S, labels, X.astype(np.float64) * w[:, None])
    return S, W


def gradient(X: Any, centers: Any, labels: Any = None, sample_weight: Any = None) -> np.ndarray:
    """Gradient of the objective with respect to the centers, ``2 (W_j c_j - S_j)``.

    Returns an array of the centers' shape, in float64. With ``labels=None`` this
    is the gradient of ``min_a E(C, a)`` wherever the assignment is unique.
    """
    X, C, labels, w = _prepare(X, centers, labels, sample_weight)
    S, W = cluster_sums(X, labels, C.shape[0], w)
    return 2.0 * (W[:, None] * C - S)


def newton_step(X: Any, centers: Any, labels: Any = None, sample_weight: Any = None) -> np.ndarray:
    """Centers after one Newton step with the exact Hessian ``2 W_j I``.

    ``c_j - H_j^{-1} g_j = S_j / W_j``: the weighted mean of cluster ``j``, which
    is Lloyd's update. A cluster with no weight has a zero Hessian block; its
    center is left where it is.
    """
    X, C, labels, w = _prepare(X, centers, labels, sample_weight)
    S, W = cluster_sums(X, labels, C.shape[0], w)
    g = 2.0 * (W[:, None] * C - S)
    out = C.copy()
    nz = W > 0
    out[nz] = C[nz] - g[nz] / (2.0 * W[nz, None])
    return out
