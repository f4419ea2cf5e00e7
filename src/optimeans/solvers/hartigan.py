r"""Hartigan's method: single-point transfers with the exact change of objective.

Lloyd's iteration moves a point to the nearest *current* center, ignoring
that the move itself shifts both centers. Hartigan's rule accounts for it:
moving :math:`x_i` (weight :math:`w_i`) from cluster :math:`j` to cluster
:math:`l` changes the objective by exactly

.. math::  \frac{W_l}{W_l + w_i} w_i \lVert x_i - c_l \rVert^2
         - \frac{W_j}{W_j - w_i} w_i \lVert x_i - c_j \rVert^2

(:math:`W` the cluster weights, :math:`c` their means; with unit weights the
factors are :math:`n_l/(n_l+1)` and :math:`n_j/(n_j-1)`). Every transfer with a
negative change is made, so the objective decreases strictly at each move and
the method stops after finitely many. Its fixed points are a subset of Lloyd's:
on the line {1, 2, 3, 4} with k = 2, Lloyd is stuck at {1}, {2, 3, 4}
(objective 2) while Hartigan moves 2 and reaches {1, 2}, {3, 4} (objective 1).

Used as ``method="hartigan"`` (from the initial centers' nearest-center
partition) or as ``refine="hartigan"`` after any other solver (:func:`refine`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _nocompile
from .._kernels import hartigan as _hk
from ..objective import nearest_labels
from ..result import History, HistoryRecorder, Result
from ._common import Callback, finalize, now, should_stop


def _kernels(X: np.ndarray, k: int):
    """(compute_cluster_stats, labelled_objective, hartigan_sweep): Python for small problems (same bits)."""
    impl = _nocompile if _nocompile.hartigan_small(X.shape[0], k, X.shape[1]) else _hk
    return impl.compute_cluster_stats, impl.labelled_objective, impl.hartigan_sweep


__all__ = ["run", "refine", "transfer"]

#: Relative margin a transfer must gain: moves that rounding alone makes look
#: profitable would otherwise be able to cycle.
EPS = 1e-12


def transfer(
    X: np.ndarray,
    sample_weight: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    *,
    max_iter: int = 300,
    tol: float = 0.0,
    callback: Callback | None = None,
    recorder: HistoryRecorder | None = None,
    iter_offset: int = 0,
) -> tuple[np.ndarray, np.ndarray, int, str, bool]:
    """Hartigan transfers from the partition ``labels`` until none improves.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, validated
    sample_weight : ndarray (n_samples,)
    labels : ndarray (n_samples,) of ints in ``[0, n_clusters)``; not modified
    n_clusters : int
    max_iter : int
        Sweeps over the data at most.
    tol : float
        Stop when a sweep lowers the objective by at most ``tol`` times its
        value; 0 runs until no transfer improves (a Hartigan-stable partition).
    callback, recorder, iter_offset
        Progress reporting: ``callback(iter_offset + sweep, objective)``, and
        one history record per sweep.

    Returns
    -------
    labels : int64 (n_samples,), the new partition
    centers : float64 (n_clusters, n_features), the means of its clusters
        (a cluster that was empty from the start keeps a zero center)
    n_sweeps : int
    stop_reason : str
    converged : bool
    """
    n, d = X.shape
    k = int(n_clusters)
    labels = np.array(labels, dtype=np.int64, copy=True)
    w = np.ascontiguousarray(sample_weight)
    sums = np.zeros((k, d))
    weights = np.zeros(k)
    centers = np.zeros((k, d))
    last_changed = np.zeros(k, dtype=np.int64)
    last_checked = np.full(n, -1, dtype=np.int64)
    clock = 0
    compute_cluster_stats, labelled_objective, hartigan_sweep = _kernels(X, k)
    compute_cluster_stats(X, w, labels, sums, weights, centers)
    obj = labelled_objective(X, w, labels, centers)
    stop_reason, converged, sweeps = "max_iter", False, 0
    for sweep in range(1, max_iter + 1):
        n_moves, gain, clock = hartigan_sweep(X, w, labels, sums, weights, centers, last_changed, last_checked, clock, EPS)
        sweeps = sweep
        # recompute the sums from the labels: no drift from incremental updates
        compute_cluster_stats(X, w, labels, sums, weights, centers)
        prev, obj = obj, labelled_objective(X, w, labels, centers)
        if recorder is not None:
            recorder.record(obj, now(), iter_offset + sweep, moves=n_moves)
        if n_moves == 0:
            stop_reason, converged = "labels_unchanged", True
            break
        if should_stop(callback, iter_offset + sweep, obj):
            stop_reason = "callback"
            break
        if tol > 0 and prev - obj <= tol * prev:
            stop_reason, converged = "tol", True
            break
    return labels, centers, sweeps, stop_reason, converged


def run(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Hartigan's method from the partition of the nearest initial centers.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Sweeps over the data at most.
    tol : float
        Stop when a sweep lowers the objective by at most ``tol`` times its
        value; ``tol=0`` runs to a partition no single transfer improves.
    n_threads : unused (transfers are sequential by nature)
    rng : unused (deterministic given the initial centers; rows are visited in order)
    callback : callable ``(sweep, objective) -> bool``, optional

    Returns
    -------
    Result
        ``method="hartigan"``; ``history.objective[0]`` is the objective of the
        initial partition with its means as centers, then one entry per sweep
        (``history.extra["moves"]`` the transfers made in it).
        ``stop_reason`` is ``"labels_unchanged"`` (no transfer improves),
        ``"tol"``, ``"max_iter"`` or ``"callback"``.

    Notes
    -----
    Each sweep costs O(n k d) time (less after the first: a row whose cluster
    did not change is only compared with the clusters that did, the live sets
    of Hartigan & Wong), O(k d) extra memory. The sweep is sequential, one
    thread, and visits rows in index order, so results never depend on
    ``n_threads``. The objective never increases: from the initial centers to
    their partition's means (Lloyd's center step), then at every transfer.

    References
    ----------
    Hartigan, J. A. (1975). Clustering Algorithms, ch. 4. Wiley.
    Hartigan, J. A. and Wong, M. A. (1979). Algorithm AS 136: a k-means
    clustering algorithm. Applied Statistics 28(1).
    Telgarsky, M. and Vattani, A. (2010). Hartigan's method: k-means clustering
    without Voronoi. AISTATS.

    Examples
    --------
    >>> import numpy as np
    >>> import optimeans
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> optimeans.fit(X, 2, method="hartigan", init=np.array([[1.0], [3.0]])).objective
    1.0
    """
    k = centers_init.shape[0]
    t0 = now()
    hist = HistoryRecorder(t0)
    labels0, _ = nearest_labels(X, np.ascontiguousarray(centers_init, dtype=X.dtype))
    labels, centers, sweeps, stop_reason, converged = _transfer_from(X, sample_weight, labels0, k, centers_init, hist, max_iter, tol, callback, 0)
    return finalize(
        X, sample_weight, centers.astype(X.dtype), n_iter=sweeps, converged=converged,
        stop_reason=stop_reason, history=hist.freeze(), method="hartigan",
        options={"max_iter": max_iter, "tol": tol},
    )


def _transfer_from(X, w, labels0, k, fallback_centers, hist, max_iter, tol, callback, offset):
    """Record the starting objective, run the transfers, keep empty clusters' centers."""
    sums = np.zeros((k, X.shape[1]))
    weights = np.zeros(k)
    centers0 = np.asarray(fallback_centers, dtype=np.float64).copy()
    compute_cluster_stats, labelled_objective, _ = _kernels(X, k)
    compute_cluster_stats(X, w, np.asarray(labels0, dtype=np.int64), sums, weights, centers0)
    hist.record(labelled_objective(X, w, np.asarray(labels0, dtype=np.int64), centers0), now(), offset, moves=0)
    labels, centers, sweeps, stop_reason, converged = transfer(
        X, w, labels0, k, max_iter=max_iter, tol=tol, callback=callback, recorder=hist, iter_offset=offset,
    )
    empty = np.bincount(labels, minlength=k) == 0
    centers[empty] = centers0[empty]
    return labels, centers, sweeps, stop_reason, converged


def refine(
    X: np.ndarray,
    sample_weight: np.ndarray,
    result: Result,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    callback: Callback | None = None,
    merge_duplicates: bool = False,
) -> Result:
    """Polish another solver's result with Hartigan transfers.

    Starts from ``result.labels``; the returned Result has ``method``
    ``"<solver>+hartigan"``, ``n_iter`` the sum of both phases, and a history
    that continues the solver's (seconds and passes offset by its last entry).
    Its objective is never above ``result.objective``.

    Parameters
    ----------
    X, sample_weight : validated data and weights, as given to the solver
    result : Result of a solver on the same data
    max_iter, tol, callback : as in :func:`run`
    merge_duplicates : bool, default False
        Identical rows move together, as one row carrying their summed
        weight. A transfer moves one row, so without this three copies of a
        point and the point with weight 3 can end in different partitions;
        with it they run the same transfers, which keeps weights equal to
        repeated rows (the rows' labels come from the solver, which gives
        identical rows the same one). ``fit``'s default refinement sets it.
        Finding the copies sorts the rows (a few ms at 20000 x 4), unless no
        two values of the first column are equal.

    Returns
    -------
    Result
    """
    k = result.centers.shape[0]
    prev = result.history
    t_off = float(prev.seconds[-1]) if len(prev) else 0.0
    p_off = float(prev.passes[-1]) if len(prev) else 0.0
    hist = HistoryRecorder(now())
    Xt, wt, labels0 = X, sample_weight, result.labels
    groups = duplicate_groups(X) if merge_duplicates else None
    if groups is not None:
        first, inverse = groups
        Xt = np.ascontiguousarray(X[first])
        wt = np.bincount(inverse, weights=sample_weight, minlength=first.size)
        labels0 = np.asarray(result.labels)[first]
    _, centers, sweeps, stop_reason, converged = _transfer_from(
        Xt, wt, labels0, k, result.centers, hist, max_iter, tol, callback, result.n_iter,
    )
    tail = hist.freeze()
    history = History(
        objective=np.concatenate([prev.objective, tail.objective[1:]]),
        seconds=np.concatenate([prev.seconds, tail.seconds[1:] + t_off]),
        passes=np.concatenate([prev.passes, tail.passes[1:] - result.n_iter + p_off]),
        extra=_join_extra(prev, tail),
    )
    out = finalize(
        X, sample_weight, centers.astype(X.dtype), n_iter=result.n_iter + sweeps,
        converged=converged, stop_reason=stop_reason, history=history,
        method=f"{result.method}+hartigan",
        options={**result.options, "refine": "hartigan", "refine_max_iter": max_iter},
        info={**result.info, "hartigan_sweeps": sweeps},
    )
    if out.objective > result.objective:
        # ties at the final reassignment can only lower the objective; this guards
        # against float32 centers rounding: never hand back something worse
        return result
    return out


def duplicate_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows that are equal, feature by feature: ``(first, inverse)`` with ``X[first]`` the distinct rows and ``X[first][inverse] == X``; None when all rows differ.

    ``first`` is in lexicographic order of the rows, so two data sets with the
    same distinct rows give the same ``X[first]`` whatever their row order
    and multiplicities.
    """
    n = X.shape[0]
    if n < 2 or X.shape[1] == 0:
        return None
    col = np.sort(X[:, 0])
    if not (col[1:] == col[:-1]).any():  # no two rows share their first value
        return None
    order = np.lexsort(X.T[::-1])
    Xs = X[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (Xs[1:] != Xs[:-1]).any(axis=1)
    if new.all():
        return None
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _join_extra(prev: History, tail: History) -> dict[str, np.ndarray]:
    """Series of either phase, NaN where the other phase did not record them."""
    n_prev, n_tail = len(prev), len(tail) - 1
    out = {}
    for key in sorted(set(prev.extra) | set(tail.extra)):
        head = prev.extra.get(key)
        head = np.full(n_prev, np.nan) if head is None or len(head) != n_prev else np.asarray(head, dtype=np.float64)
        rest = tail.extra.get(key)
        rest = np.full(n_tail, np.nan) if rest is None else np.asarray(rest, dtype=np.float64)[1:]
        out[key] = np.concatenate([head, rest])
    return out
