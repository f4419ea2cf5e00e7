r"""Lower bounds at any size from a partition of the data into groups (anticlustering).

For disjoint groups :math:`G_1, \dots, G_m` of the rows (or, more generally,
for weights split among groups, :math:`w = \sum_g w^{(g)}`),

.. math:: \sum_g \mathrm{OPT}_k(G_g) \le \mathrm{OPT}_k(X):

the optimal clusters of X, restricted to a group, partition it into at most k
clusters whose cost with the group's own means is at most the group's share
of the whole's cost (the mean minimizes the sum of squares), and k clusters
do no worse than fewer. Any certified lower bound of each group's optimum
therefore adds up to a certified lower bound of the whole, and the sum is
tight when every group's optimum is close to its share: groups that each look
like the whole (anticlustering; Croella, Piccialli & Sudoso 2025, who bound
each group by the root of SOS-SDP and improve the groups by swaps).

Here the groups are built from the clusters of a good solution (the result
being certified): every cluster is cut into compact cells of m rows (a k-d
split at multiples of m) and dealt over the m groups one cell per round, so
each group holds one row of every cell (a stratified sample: on 100,000
planar points in 5 clusters the sum of the groups' optima (estimated on 8
groups by the best of four global searches) falls 2.1 % below
the whole's objective at 120 rows a group, 0.7 % at 250, 0.15 % at 500,
against 3.3 %, 1.6 % and 0.3 % when the rounds are taken in order of distance
to the cluster's mean, ``order="radius"``), and inside each round the rows
are matched to the groups by a linear assignment that pulls every group's
slice mean toward the cluster's mean (a herding rule: the assignment
minimizes the sum of the slice sums' squared norms after the round). So each
group holds the same number of rows of every cluster, in every part of it,
with nearly the cluster's mean: the solution restricted to a
group is then nearly a fixed point of Lloyd's algorithm there, and its cost
nearly the group's share. Each group's optimum is bounded by a solver the
caller passes: :func:`optimeans.exact.bounds.partition_bound` uses the
Peng-Wei SDP bound with pair and triangle cuts, the value of an explicit dual
point and so valid however early its solver stops (and never less than the
group's spectral bound). Because the groups are dealt alike, the j-th row of
a cluster in one group plays the part of the j-th row of that cluster in
another: a solver that can be warm-started gets the first group's final
state carried over to every other group. (This module imports nothing else
of the package, so the bounds module can use it without an import cycle.)

Smaller groups are faster (the SDP costs O(s^3) per step for s rows, so the
total is O(n s^2)) but looser (a small sample of a cluster can be split
better than its share). :func:`choose_group_size` picks the largest size the
time budget allows.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from threadpoolctl import threadpool_limits

__all__ = ["anticluster_groups", "choose_group_size", "group_bounds", "GroupBound"]

#: ADMM steps a group typically needs (used to size the groups from a time budget).
_STEPS_PER_GROUP = 300
#: Steps a group of the cut solver typically takes before it stalls (warm-started, in chunks).
_STEPS_PER_CUT_GROUP = 200
#: Group sizes the automatic choice stays between.
_MIN_GROUP = 120
_MAX_GROUP = 600


def anticluster_groups(
    X: np.ndarray, w: np.ndarray, labels: np.ndarray, n_groups: int, rng: np.random.Generator,
    order: str = "cells", return_round: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Group (0..n_groups-1) of each row: every cluster of ``labels`` dealt evenly with matched slice means.

    Rows of a cluster are taken one cell of ``n_groups`` rows at a time
    (``order="cells"``: :func:`_cell_order`; ``"radius"``: in order of
    distance to its weighted mean, random order among equal distances); each round
    goes one row per group, the rows matched to the groups by the linear
    assignment that minimizes ``sum_g |S_g + w_p (x_p - mu)|^2`` (``S_g`` the
    group's running sum of weighted deviations), which keeps every slice mean
    close to the cluster mean. A last partial round goes to the groups that
    hold the fewest rows so far, so group sizes differ by at most one row per
    cluster. O(n d + (n / m) m^3) in the worst case of the assignment (its
    costs are nearly rank one, so much less in practice); beyond 128 groups
    each round is matched in random blocks of 128, O(n 128^2) at most.
    With ``return_round`` also the round in which each row was dealt (its
    cell's index inside its cluster).
    """
    n = X.shape[0]
    m = int(n_groups)
    group = np.empty(n, dtype=np.int64)
    # the round in which each row was dealt: rows of one cluster dealt in the
    # same round (the same cell) play the same part in every group
    rnd = np.zeros(n, dtype=np.int64)
    if m <= 1:
        group[:] = 0
        rnd[:] = np.arange(n)
        return (group, rnd) if return_round else group
    size = np.zeros(m, dtype=np.int64)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        wc = w[idx]
        mu = (wc @ X[idx]) / max(float(wc.sum()), 1e-300)
        D = (X[idx] - mu) * wc[:, None]
        if order == "cells":
            perm = _cell_order(D, m)
        elif order == "radius":
            perm = np.argsort(np.einsum("ij,ij->i", D, D), kind="stable")
        else:
            raise ValueError(f"order must be 'cells' or 'radius', got {order!r}")
        idx, D = idx[perm], D[perm]
        S = np.zeros((m, X.shape[1]))
        for start in range(0, len(idx), m):
            rows = np.arange(start, min(start + m, len(idx)))
            if len(rows) < m:
                # the groups with fewest rows so far (ties broken at random)
                cand = np.lexsort((rng.random(m), size))[: len(rows)]
            else:
                cand = np.arange(m)
            pr, gc = _match(D[rows], S[cand], rng)
            g = cand[gc]
            group[idx[rows[pr]]] = g
            rnd[idx[rows]] = start // m
            S[g] += D[rows[pr]]
            size[g] += 1
    return (group, rnd) if return_round else group


def _cell_order(D: np.ndarray, m: int) -> np.ndarray:
    """Rows in an order whose consecutive runs of ``m`` rows are compact cells of the cluster (a k-d split).

    The rows are split at a multiple of ``m`` near the median of their widest
    coordinate, recursively, down to cells of ``m`` rows (the last one
    smaller): each round of the dealing then gives every group one row of
    the same small cell, a stratified sample of the cluster whose empirical
    distribution (not only its mean) follows the cluster's. O(n d log(n / m)).
    """
    out = np.empty(D.shape[0], dtype=np.int64)
    pos = 0
    stack = [np.arange(D.shape[0])]
    while stack:
        rows = stack.pop()
        if len(rows) <= m:
            out[pos:pos + len(rows)] = rows
            pos += len(rows)
            continue
        P = D[rows]
        j = int(np.argmax(P.max(0) - P.min(0)))
        cut = m * max(1, int(round(len(rows) / (2.0 * m))))
        if cut >= len(rows):
            cut = m * ((len(rows) - 1) // m)
        part = np.argsort(P[:, j], kind="stable")
        # the lower part first: it holds a multiple of m rows, so only the last cell can be short
        stack.append(rows[part[cut:]])
        stack.append(rows[part[:cut]])
    return out


#: Above this many groups a round is matched in blocks of this many rows and groups.
_MATCH_BLOCK = 128


def _match(D: np.ndarray, S: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rows of D matched to rows of S (as many or more) minimizing the sum of the cross terms D_p . S_g.

    |S_g + D_p|^2 = |S_g|^2 + 2 S_g.D_p + |D_p|^2: only the cross term
    depends on the match. The exact assignment costs O(m^3) for m groups
    (minutes at 100,000 rows in 800 groups); beyond 128 groups the rows and
    the groups are split at random into blocks of 128 matched exactly inside
    each block, O(m 128^2), which keeps the slice means nearly as close.
    """
    p, m = D.shape[0], S.shape[0]
    if m <= _MATCH_BLOCK:
        return linear_sum_assignment(D @ S.T)
    rows = rng.permutation(p)
    cols = rng.permutation(m)[:p]
    pr_all, gc_all = [], []
    for b in range(0, p, _MATCH_BLOCK):
        r, c = rows[b:b + _MATCH_BLOCK], cols[b:b + _MATCH_BLOCK]
        pr, gc = linear_sum_assignment(D[r] @ S[c].T)
        pr_all.append(r[pr])
        gc_all.append(c[gc])
    return np.concatenate(pr_all), np.concatenate(gc_all)


def choose_group_size(n: int, k: int, time_limit: float | None, n_threads: int = 1,
                      step_cost: tuple[int, float] | None = None) -> int:
    """The largest group size whose bounds fit in ``time_limit`` seconds (estimated).

    ``step_cost = (s0, seconds)``: one step of the group solver measured on
    s0 rows; a step on s rows is taken to cost ``seconds * (s / s0)^2`` (the
    n x n updates and the cuts, whose number grows with the rows, dominate
    the eigendecomposition at these sizes) and a group ``200`` steps. Without
    it, one ADMM step of the plain SDP is taken to cost about 2.5 symmetric
    eigendecompositions of order s, timed here on a small random matrix and
    scaled by s^3, and a group ``300`` steps. The n / s groups share
    ``n_threads`` threads. The result stays between 120 rows (or ``8 k``)
    and 600 rows, and at most n.
    """
    lo = max(_MIN_GROUP, 8 * k)
    if time_limit is None:
        return int(min(n, max(lo, 400)))
    budget = 0.8 * time_limit * max(1, n_threads)
    if step_cost is not None:
        s0, sec = step_cost
        # (n / s) * steps * sec * (s / s0)^2 = budget
        s = budget * s0 * s0 / (n * _STEPS_PER_CUT_GROUP * max(sec, 1e-9))
        return int(min(n, max(lo, min(_MAX_GROUP, int(s)))))
    s0 = 160
    A = np.random.default_rng(0).normal(size=(s0, s0))
    A = A + A.T
    with threadpool_limits(1):
        np.linalg.eigh(A)  # warm
        t = time.perf_counter()
        for _ in range(3):
            np.linalg.eigh(A)
        a = (time.perf_counter() - t) / 3.0 / s0**3
    # ADMM step ~ 2.5 eigendecompositions' worth of work (the projection and
    # the n^2 updates), evaluations every 10 steps
    per_step = 2.5 * a
    s = math.sqrt(budget / (n * _STEPS_PER_GROUP * per_step))
    return int(min(n, max(lo, min(_MAX_GROUP, int(s)))))


@dataclass
class GroupBound:
    """The bound of one group: rows, certified bound, the cost of the solution restricted to it."""

    n_samples: int
    bound: float
    upper: float  # cost of the certified solution's clusters inside the group (own means): >= its optimum
    n_iter: int
    n_cuts: int
    stop_reason: str
    seconds: float
    #: cost of the group's partition reached from those clusters by Hartigan moves (<= upper, >= its optimum)
    local: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_samples": self.n_samples,
            "bound": self.bound,
            "upper": self.upper,
            "n_iter": self.n_iter,
            "n_cuts": self.n_cuts,
            "stop_reason": self.stop_reason,
            "seconds": self.seconds,
            "local": self.local,
        }


def _restricted_cost(X: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        sel = labels == c
        ww = w[sel]
        W = float(ww.sum())
        if W <= 0.0:
            continue
        mu = (ww @ X[sel]) / W
        total += float(ww @ ((X[sel] - mu) ** 2).sum(1))
    return total


def _local_cost(X: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    """Cost of the Hartigan-stable partition reached from ``labels`` inside a group: an upper bound on its optimum.

    With the group's bound it splits the gap: whole objective minus the sum
    of these is (at most) the loss of the grouping, the sum of these minus
    the bounds (at least) the loss of the group solver.
    """
    from ._partition import _compact, _polish  # imported here: the package imports this module first

    lab = _compact(labels)
    m = int(lab.max()) + 1 if len(lab) else 0
    if m <= 1 or len(lab) <= m:
        return _restricted_cost(X, w, labels)
    _, cost = _polish(np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(w, dtype=np.float64), lab, m)
    return float(cost)


def _merge(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = w > 0
    Xk, wk = X[keep], w[keep]
    uniq, inv = np.unique(Xk, axis=0, return_inverse=True)
    if uniq.shape[0] == Xk.shape[0]:
        return np.ascontiguousarray(Xk), wk
    return np.ascontiguousarray(uniq), np.bincount(inv.ravel(), weights=wk, minlength=uniq.shape[0])


def _spectral_group(Xs: np.ndarray, w: np.ndarray, k: int) -> float:
    """T minus the k-1 largest eigenvalues of the weighted scatter (Ding & He 2004), less a rounding margin."""
    Xc = Xs - (w @ Xs) / w.sum()
    T = float(w @ np.einsum("ij,ij->i", Xc, Xc))
    if k <= 1:
        return T
    lam = np.linalg.eigvalsh(Xc.T @ (w[:, None] * Xc))
    top = float(np.sort(lam)[::-1][: k - 1].sum())
    margin = 8.0 * (k - 1) * Xs.shape[1] * np.finfo(np.float64).eps * max(float(np.abs(lam).max(initial=0.0)), T)
    value = T - top - margin
    return value if math.isfinite(value) and value > 0.0 else 0.0


#: A group solver: (X centered and scaled, w, k, upper, deadline, max_iter) -> (bound, n_iter, n_cuts, stop_reason).
#: A solver with the attribute ``warm_start = True`` also takes ``warm=``
#: (None, or the final state of another group, the labels of that group's rows
#: and the labels of these rows, both sorted by cluster) and returns its final
#: state as a fifth item.
GroupSolver = Callable[[np.ndarray, np.ndarray, int, float, float, int], tuple[float, int, int, str]]


def _one_group(X, w, labels, k, deadline, solve: GroupSolver, max_iter, warm=None):
    """The bound of one group (rows sorted by cluster) and, for a warm-start solver, its final state or None.

    ``warm``: (state, labels of that state's rows) of another group, for a
    solver with ``warm_start`` (see :func:`optimeans.exact.group_cuts.map_state`).
    """
    t0 = time.perf_counter()
    upper = _restricted_cost(X, w, labels)
    local = min(upper, _local_cost(X, w, labels))
    Xu, wu = _merge(X, w)
    if Xu.shape[0] <= k:
        # k clusters or more rows than distinct points: the group can cost 0
        return GroupBound(X.shape[0], 0.0, upper, 0, 0, "optimal", time.perf_counter() - t0, local), None
    # rows merged (duplicates): their order and labels no longer match, no warm start
    same_rows = Xu.shape[0] == X.shape[0]
    # work in the group's own units (centered, unit mean scatter) so that
    # the rounding margins and ADMM's penalty see well-scaled numbers; the
    # bound scales back exactly (k-means values scale with the square)
    mean = (wu @ Xu) / wu.sum()
    Xs = Xu - mean
    scale = math.sqrt(max(float(wu @ (Xs * Xs).sum(1)) / wu.sum(), 1e-300))
    Xs = np.ascontiguousarray(Xs / scale)
    # the best partition known of the group: the solver stops once its bound meets it
    up_s = local / scale**2
    up_s = up_s if up_s > 0 else np.inf
    state = None
    if getattr(solve, "warm_start", False):
        # the solver maps the other group's state onto these rows itself
        start = (warm[0], warm[1], labels) if (warm is not None and same_rows) else None
        b, n_iter, n_cuts, stop, state = solve(Xs, wu, k, up_s, deadline, max_iter, warm=start)
        state = (state, labels) if (state is not None and same_rows) else None
    else:
        b, n_iter, n_cuts, stop = solve(Xs, wu, k, up_s, deadline, max_iter)
    bound = float(b) * scale**2
    if not math.isfinite(bound) or bound < 0.0:
        bound = 0.0
    # the group's spectral bound is valid too and costs O(s d^2): the floor
    # when the solver was stopped after a few steps (it is 0 when k - 1 >= d)
    bound = max(bound, _spectral_group(Xs, wu, k) * scale**2)
    gb = GroupBound(X.shape[0], bound, upper, int(n_iter), int(n_cuts), str(stop), time.perf_counter() - t0, local)
    return gb, state


def group_bounds(
    X: np.ndarray,
    w: np.ndarray,
    labels: np.ndarray,
    k: int,
    group: np.ndarray,
    *,
    time_limit: float | None,
    solve: GroupSolver,
    max_iter: int = 3000,
    n_threads: int = 1,
    rank: np.ndarray | None = None,
) -> list[GroupBound]:
    """A certified lower bound of every group's k-means optimum (in group order).

    ``solve`` bounds one group (given centered rows in units of their mean
    scatter, weights, k, an upper bound on the group's optimum, a
    ``time.perf_counter()`` deadline and a step limit); it must return a
    certified bound whenever it stops.

    Groups are solved ``n_threads`` at a time (one BLAS thread each; the SDP
    kernels release the GIL); each gets the time left divided by the groups
    left, so a group that finishes early leaves its time to the others. The
    results do not depend on the thread count except through the deadlines.

    ``rank`` orders each cluster's rows inside a group for the warm start's
    row correspondence: the dealing round from :func:`anticluster_groups`
    (``return_round=True``), so that rows of one cell correspond (on 150-row
    groups of 100,000 planar points the warm-started groups then stall
    after 200 to 280 steps instead of 320 to 400, at the same bounds); by
    default the distance to the cluster's mean.
    """
    t0 = time.perf_counter()
    m = int(group.max()) + 1 if len(group) else 0
    # each group's rows sorted by cluster, then by ``rank`` (the round in
    # which the row was dealt, :func:`anticluster_groups` with
    # ``return_round``; by default the distance to the cluster's mean), so
    # that the rows of two groups correspond one to one (what a warm start maps)
    if rank is None:
        rank = np.zeros(len(labels))
        for c in np.unique(labels):
            sel = labels == c
            mu = (w[sel] @ X[sel]) / max(float(w[sel].sum()), 1e-300)
            rank[sel] = ((X[sel] - mu) ** 2).sum(1)
    order = np.lexsort((rank, labels, group))
    bounds_at = np.searchsorted(group[order], np.arange(m + 1))
    members = [order[bounds_at[g]:bounds_at[g + 1]] for g in range(m)]
    out: list[GroupBound | None] = [None] * m
    next_g = [1 if getattr(solve, "warm_start", False) else 0]
    lock = threading.Lock()
    ref: list[Any] = [None]

    def worker() -> None:
        while True:
            with lock:
                g = next_g[0]
                if g >= m:
                    return
                next_g[0] += 1
                if time_limit is None:
                    deadline = np.inf
                else:
                    left = time_limit - (time.perf_counter() - t0)
                    # this group's share of what is left, counting the groups in flight
                    deadline = time.perf_counter() + max(0.0, left) * n_threads / max(1, m - g)
            rows = members[g]
            out[g], _ = _one_group(X[rows], w[rows], labels[rows], k, deadline, solve, max_iter, warm=ref[0])

    with threadpool_limits(1):
        if next_g[0] == 1 and m:
            # a warm-start solver: the first group cold, alone (its share of
            # the time), then every other group starts from its final state
            # (the same start whatever the thread count)
            rows = members[0]
            deadline = np.inf if time_limit is None else t0 + time_limit / m
            out[0], ref[0] = _one_group(X[rows], w[rows], labels[rows], k, deadline, solve, max_iter)
        if n_threads <= 1:
            worker()
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as ex:
                futs = [ex.submit(worker) for _ in range(n_threads)]
                for f in futs:
                    f.result()
    return [o for o in out if o is not None]
