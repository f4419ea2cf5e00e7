r"""Provably optimal k-means for one-dimensional data.

On the line, every optimal cluster is an interval of the sorted points (a
point between two members of a cluster that belonged to another cluster could
swap with one of them and lower the objective), so the problem is a
segmentation of the sorted data into ``k`` consecutive pieces and dynamic
programming solves it exactly (Wang & Song 2011):

.. math::  D_m[t] = \min_{m \le j < t} D_{m-1}[j] + c(j, t),

with ``c(j, t)`` the weighted within-cluster sum of squares of the sorted
points ``j .. t-1``, read from prefix sums in O(1). The argmins are monotone
(the cost has the Monge property), so each layer is solved by divide and
conquer in O(n log n) instead of O(n^2) (Gronlund et al. 2017); a second
monotonicity (across layers) prunes the search further when k is large. See
:mod:`optimeans._kernels.onedim` for the kernel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels.onedim import prefix_sums, run_dp
from .._numba import numba_threads, resolve_n_threads
from .._validation import as_float_array, check_n_clusters, check_sample_weight
from ..result import HistoryRecorder, Result
from ..solvers._common import finalize, now

__all__ = ["kmeans_1d", "run"]


def _as_column(x: Any) -> np.ndarray:
    """1-D array-like or (n, 1) -> validated (n, 1) float array."""
    arr = as_float_array(x, name="x", ensure_2d=False)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2 or arr.shape[1] != 1:
        raise ValueError(
            f"x must be one-dimensional, of shape (n_samples,) or (n_samples, 1), got shape {arr.shape}; "
            "for data with several features use optimeans.exact.branch_and_bound (small n) "
            "or optimeans.lower_bound to certify a result"
        )
    if arr.shape[0] == 0:
        raise ValueError("x is empty: at least one sample is required")
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr[:, 0]))[0])
        raise ValueError(f"x contains {arr[i, 0]} at index {i}; remove or impute it first")
    return np.ascontiguousarray(arr)


def _optimal_starts(xs: np.ndarray, ws: np.ndarray, k: int, unit: bool, n_threads: int) -> np.ndarray:
    """Cluster starts of an optimal k-partition of sorted xs (k <= len(xs))."""
    n = xs.shape[0]
    if k == 1:
        return np.array([0, n], dtype=np.int64)
    W = np.empty(n + 1)
    S = np.empty(n + 1)
    prefix_sums(xs, ws, unit, W, S)
    back = np.empty((k - 2, n + 1), dtype=np.int32)
    with numba_threads(n_threads) as nt:
        # Enough independent gaps per layer for the threads to balance.
        return run_dp(W, S, k, unit, back, 1 if nt == 1 else 8 * nt)


def _solve(X: np.ndarray, w: np.ndarray, k: int, n_threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Centers (k, 1) of X's dtype, sorted, and labels (n,) int64 of an optimal partition."""
    x = X[:, 0]
    unit = bool(np.all(w == 1.0))
    if unit:
        # The partition needs the sorted values only: the labels come from the
        # centers below, so no permutation is kept.
        xs = np.sort(x).astype(np.float64, copy=False)
        ws = xs  # not read
        shift = float(xs.mean())
    else:
        pos = np.flatnonzero(w > 0)
        order = pos[np.argsort(x[pos])] if pos.size < w.shape[0] else np.argsort(x)
        xs = x[order].astype(np.float64)
        ws = w[order]
        shift = float(np.dot(ws, xs) / ws.sum())
    # Centering at the weighted mean keeps the prefix sums small, so the costs
    # lose fewer digits to cancellation. xs is our own copy.
    xs -= shift
    k_eff = min(k, xs.shape[0])
    starts = _optimal_starts(xs, ws, k_eff, unit, n_threads)
    if unit:
        wsum = np.diff(starts).astype(np.float64)
        ssum = np.add.reduceat(xs, starts[:-1])
    else:
        wsum = np.add.reduceat(ws, starts[:-1])
        ssum = np.add.reduceat(ws * xs, starts[:-1])
    centers = ssum / wsum + shift
    centers = np.maximum.accumulate(centers)  # rounding must not unsort equal means
    if k_eff < k:
        # Fewer points with positive weight than clusters: the extra centers
        # repeat the last one (they stay empty; the objective is unchanged).
        centers = np.concatenate([centers, np.full(k - k_eff, centers[-1])])
    centers = centers.astype(X.dtype)
    # Every point to its nearest center, ties to the first: the optimal
    # partition itself (its clusters are intervals and every point of an
    # optimal partition is at a nearest center), and equal points get equal
    # labels. Zero-weight points, outside the partition, take their nearest
    # center too. Midpoints as 0.5 a + 0.5 b cannot overflow.
    c64 = centers.astype(np.float64)
    mids = 0.5 * c64[:-1] + 0.5 * c64[1:]
    labels = np.searchsorted(mids, x, side="left").astype(np.int64, copy=False)
    return centers.reshape(-1, 1), labels


def kmeans_1d(
    x: Any,
    n_clusters: int,
    sample_weight: Any = None,
    *,
    n_threads: int | None = None,
) -> Result:
    """The globally optimal k-means partition of one-dimensional data.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, 1)
        The data; float32 stays float32 in the returned centers, every other
        numeric type becomes float64. The dynamic program itself always runs
        in float64.
    n_clusters : int
        ``1 <= n_clusters <= n_samples``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights. Points of weight zero do not influence the
        partition and are labelled with their nearest center.
    n_threads : int, optional
        Threads of the kernel (default: all cores). The result does not
        depend on it.

    Returns
    -------
    Result
        ``centers`` of shape (n_clusters, 1) in increasing order, ``labels``
        (every cluster an interval of the sorted data), ``objective``
        recomputed in float64, ``proven_optimal=True``,
        ``stop_reason="optimal"``, ``method="exact"``.

    Raises
    ------
    ValueError
        ``x`` with more than one column (use
        :func:`optimeans.exact.branch_and_bound` for small sets in several
        dimensions), NaN or inf, empty ``x``, ``n_clusters`` out of range, bad
        weights.
    TypeError
        Non-numeric input.

    Notes
    -----
    Time O(n log n) for sorting plus O(k n log n) for the dynamic program
    (divide and conquer per layer, fewer evaluations for large k thanks to
    the monotonicity across layers; a block of 15 rows whose bounding argmins
    are at most 3 apart tries those few candidates on every row instead), plus O(n log k) for the labels (binary search
    between the sorted centers). Memory: the argmins of ``k - 2`` layers as
    int32, ``4 (k - 2) (n + 1)`` bytes, plus about ``70 n`` bytes; n = 10^7
    with k = 256 peaked at 10.3 GiB (resident, whole process). Optimality holds up to floating-point
    rounding of the prefix sums (compensated, and taken around the weighted
    mean): two partitions whose objectives differ by a few ulps may be
    confused, never two that differ by more.

    References
    ----------
    Wang, H. & Song, M. (2011). Ckmeans.1d.dp: optimal k-means clustering in
    one dimension by dynamic programming. The R Journal 3(2), 29-33.
    Gronlund, A., Larsen, K. G., Mathiasen, A., Nielsen, J. S., Schneider, S.
    & Song, M. (2017). Fast exact k-means, k-medians and Bregman divergence
    clustering in 1D. arXiv:1701.07204, section 2.

    Examples
    --------
    >>> from optimeans.exact import kmeans_1d
    >>> r = kmeans_1d([1.0, 2.0, 3.0, 4.0], 2)
    >>> r.centers.ravel().tolist(), r.objective, r.proven_optimal
    ([1.5, 3.5], 1.0, True)
    """
    X = _as_column(x)
    w = check_sample_weight(sample_weight, X.shape[0], np.float64)
    k = check_n_clusters(n_clusters, X, w)
    return _run(X, w, k, resolve_n_threads(n_threads), callback=None)


def _run(X: np.ndarray, w: np.ndarray, k: int, n_threads: int, callback: Any) -> Result:
    t0 = now()
    rec = HistoryRecorder(t0)
    centers, labels = _solve(X, w, k, n_threads)
    # the labels already put every point at its nearest center (first on ties)
    res = finalize(
        X, w, centers, n_iter=1, converged=True, stop_reason="optimal", history=rec.freeze(),
        method="exact", labels=labels, reassign=False,
        info={"algorithm": "dynamic programming, divide and conquer per layer, banded blocks", "seconds": now() - t0},
    )
    rec.record(res.objective, now(), passes=float(k))
    if callback is not None:
        callback(1, res.objective)
    return res.replace(history=rec.freeze(), proven_optimal=True)


def run(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: Any = None,
    callback: Any = None,
    **options: Any,
) -> Result:
    """Solver entry point of ``method="exact"`` (one-dimensional data only).

    ``centers_init``, ``max_iter``, ``tol`` and ``rng`` are ignored: the
    dynamic program needs no starting point and always finishes.

    Raises
    ------
    ValueError
        When X has more than one feature, or an unknown option is given.
    """
    if options:
        raise ValueError(f"method='exact' takes no options, got {', '.join(sorted(options))}")
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(
            f"method='exact' solves one-dimensional data only (X has {X.shape[1]} features); "
            "for small sets in several dimensions use optimeans.exact.branch_and_bound, "
            "and optimeans.certify(X, result) bounds the gap of any result"
        )
    k = int(centers_init.shape[0])
    return _run(X, sample_weight, k, resolve_n_threads(n_threads), callback)
