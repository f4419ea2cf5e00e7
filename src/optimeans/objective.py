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
from ._numba import numba_threads
from ._validation import as_float_array, check_data, check_sample_weight

__all__ = ["objective", "gradient", "newton_step", "cluster_sums", "nearest_labels", "point_objective"]

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
