"""A group solver for the partition bound: the SDP strengthened by pair and triangle cuts.

:func:`cut_group_solver` bounds one group's k-means optimum by
:func:`optimeans.exact.sdp_bnb.node_bound` (the Peng-Wei relaxation with pair
and triangle inequalities, its bound the value of a dual point rebuilt
exactly in the dual cone, so valid however early ADMM stops). It is tighter
than the plain SDP bound (on 250-row groups of 20 overlapping clusters in
8-D: 0.992 to 0.996 of the group's share instead of 0.976 to 0.983), at a
higher cost per step. It is what
:func:`optimeans.exact.bounds.partition_bound` (and so ``certify`` beyond
1,500 rows) uses by default (``solver="cuts"``), importing it on first use.
"""

from __future__ import annotations

import time

import numpy as np

from .sdp_bnb import _Cuts, node_bound

__all__ = ["cut_group_solver"]

#: ADMM steps between the checks of a group's progress.
_CHUNK = 40
#: Stop a group when its last chunk closed less than this share of the gap left to its upper bound.
_STALL = 0.03


def cut_group_solver(X: np.ndarray, w: np.ndarray, k: int, upper: float, deadline: float,
                     max_iter: int, warm: tuple | None = None) -> tuple[float, int, int, str, tuple | None]:
    """One group's bound with cuts; see :data:`optimeans.exact.anticluster.GroupSolver`.

    ADMM runs in chunks of 40 steps, each resumed from the last one's state,
    and stops when a chunk closed less than 3 % of the gap left to ``upper``
    (a group whose bound has stopped moving gives its time to the groups
    after it), at ``deadline`` or after ``max_iter`` steps. ``warm`` is
    (state, labels of its rows, labels of these rows): the final ADMM state
    of a similar group, mapped onto these rows (:func:`map_state`), from
    which ADMM starts instead of from zero. Returns the bound, the steps, the cuts, the stop reason and the
    final state.
    """
    none = np.zeros((0, 2), dtype=np.int64)
    state = map_state(*warm) if warm is not None else None
    best = 0.0
    steps = 0
    n_cuts = 0
    stop = "max_iter"
    while steps < max_iter:
        res = node_bound(X, w, k, none, upper=upper, rtol=1e-5, deadline=deadline, cuts=True,
                         max_iter=min(_CHUNK, max_iter - steps), warm=state)
        steps += int(res.n_iter)
        n_cuts = int(res.n_cuts)
        state = res.warm if res.warm is not None else state
        gained = float(res.bound) - best
        best = max(best, float(res.bound))
        stop = str(res.stop_reason)
        if stop in ("pruned", "optimal", "interrupted", "time_limit") or time.perf_counter() >= deadline:
            if stop == "max_iter":
                stop = "time_limit"
            break
        left = upper - best if np.isfinite(upper) else abs(best)
        if steps >= 2 * _CHUNK and gained <= _STALL * max(left, 1e-12 * abs(best)):
            stop = "stalled"
            break
    return best, steps, n_cuts, stop, state


cut_group_solver.warm_start = True  # type: ignore[attr-defined]


def step_seconds(X: np.ndarray, w: np.ndarray, k: int, size: int, rng: np.random.Generator) -> tuple[int, float]:
    """(rows, seconds per step) of :func:`cut_group_solver` timed on ``size`` random rows (20 steps).

    The time per step grows as the cuts accumulate: the first 20 steps'
    average is scaled by 1.5.
    """
    idx = rng.choice(X.shape[0], size=min(size, X.shape[0]), replace=False)
    # distinct rows, as the groups are given (merged duplicates)
    Xs, inv = np.unique(X[idx], axis=0, return_inverse=True)
    ws = np.bincount(inv.ravel(), weights=w[idx], minlength=Xs.shape[0])
    Xs = Xs - (ws @ Xs) / ws.sum()
    Xs = np.ascontiguousarray(Xs / np.sqrt(max(float(ws @ (Xs * Xs).sum(1)) / ws.sum(), 1e-300)))
    t = time.perf_counter()
    res = node_bound(Xs, ws, k, np.zeros((0, 2), dtype=np.int64), rtol=1e-5, cuts=True, max_iter=20)
    return Xs.shape[0], 1.5 * (time.perf_counter() - t) / max(1, int(res.n_iter))


def map_state(state: tuple, prev_labels: np.ndarray, labels: np.ndarray) -> tuple | None:
    """The ADMM state of one group carried over to another whose rows correspond cluster by cluster.

    Rows of both groups come sorted by cluster and, inside a cluster, by
    distance to the cluster's mean (the order in which
    :func:`optimeans.exact.anticluster.anticluster_groups` deals them), so the
    j-th row of cluster c here plays the part of the j-th row of cluster c
    there (the last one when there are fewer). The matrices are taken at the
    corresponding rows; a cut keeps its multiplier when all its rows have a
    counterpart. Only a starting point: the bound is certified by the new
    group's own dual point. None when a cluster of this group has no row
    there.
    """
    P, U, rho, cuts = state
    n_prev = len(prev_labels)
    src = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        cur = np.flatnonzero(labels == c)
        prev = np.flatnonzero(prev_labels == c)
        if len(prev) == 0:
            return None
        src[cur] = prev[np.minimum(np.arange(len(cur)), len(prev) - 1)]
    inv = np.full(n_prev, -1, dtype=np.int64)
    inv[src[::-1]] = np.arange(len(src))[::-1]  # the first row that maps to each previous row
    tri = cuts.tri
    pair = tri[:, 2] < 0
    a = inv[tri[:, 0]]
    b = inv[tri[:, 1]]
    c = np.where(pair, -1, inv[np.maximum(tri[:, 2], 0)])
    ok = (a >= 0) & (b >= 0) & (pair | (c >= 0))
    # a triangle is symmetric in its last two rows: keep them in increasing order
    swap = ~pair & (c < b)
    b, c = np.where(swap, c, b), np.where(swap, b, c)
    ok &= (a != b) & (pair | ((c != b) & (c != a)))
    new_tri = np.stack([a, b, c], 1)[ok]
    y = cuts.y[ok]
    if len(new_tri):
        new_tri, first = np.unique(new_tri, axis=0, return_index=True)
        y = y[first]
    new_cuts = _Cuts.empty()
    new_cuts.tri = np.ascontiguousarray(new_tri, dtype=np.int64).reshape(-1, 3)
    new_cuts.y = np.ascontiguousarray(y, dtype=np.float64)
    return P[np.ix_(src, src)], U[np.ix_(src, src)], float(rho), new_cuts
