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
being certified): every cluster is dealt over the m groups in rounds of m
rows taken in order of distance to its mean, and inside each round the rows
are matched to the groups by a linear assignment that pulls every group's
slice mean toward the cluster's mean (a herding rule: the assignment
minimizes the sum of the slice sums' squared norms after the round). So each
group holds the same number of rows of every cluster, at every distance from
its center, with nearly the cluster's mean: the solution restricted to a
group is then nearly a fixed point of Lloyd's algorithm there, and its cost
nearly the group's share. Each group's optimum is bounded by a solver the
caller passes: :func:`optimeans.exact.bounds.partition_bound` uses the
Peng-Wei SDP bound, the value of an explicit dual point and so valid however
early its solver stops. (This module imports nothing else of the package,
so the bounds module can use it without an import cycle.)

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
#: Group sizes the automatic choice stays between.
_MIN_GROUP = 120
_MAX_GROUP = 600


def anticluster_groups(
    X: np.ndarray, w: np.ndarray, labels: np.ndarray, n_groups: int, rng: np.random.Generator
) -> np.ndarray:
    """Group (0..n_groups-1) of each row: every cluster of ``labels`` dealt evenly with matched slice means.

    Rows of a cluster are taken in order of distance to its (weighted) mean,
    ``n_groups`` at a time (random order among equal distances); each round
    goes one row per group, the rows matched to the groups by the linear
    assignment that minimizes ``sum_g |S_g + w_p (x_p - mu)|^2`` (``S_g`` the
    group's running sum of weighted deviations), which keeps every slice mean
    close to the cluster mean. A last partial round goes to the groups that
    hold the fewest rows so far, so group sizes differ by at most one row per
    cluster. O(n d + (n / m) m^3) in the worst case of the assignment, in
    practice much less (its costs are nearly rank one).
    """
    n = X.shape[0]
    m = int(n_groups)
    group = np.empty(n, dtype=np.int64)
    if m <= 1:
        group[:] = 0
        return group
    size = np.zeros(m, dtype=np.int64)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        wc = w[idx]
        mu = (wc @ X[idx]) / max(float(wc.sum()), 1e-300)
        D = (X[idx] - mu) * wc[:, None]
        order = np.argsort(np.einsum("ij,ij->i", D, D), kind="stable")
        idx, D = idx[order], D[order]
        S = np.zeros((m, X.shape[1]))
        for start in range(0, len(idx), m):
            rows = np.arange(start, min(start + m, len(idx)))
            if len(rows) < m:
                # the groups with fewest rows so far (ties broken at random)
                cand = np.lexsort((rng.random(m), size))[: len(rows)]
            else:
                cand = np.arange(m)
            # |S_g + D_p|^2 = |S_g|^2 + 2 S_g.D_p + |D_p|^2: only the cross term depends on the match
            cost = D[rows] @ S[cand].T
            pr, gc = linear_sum_assignment(cost)
            g = cand[gc]
            group[idx[rows[pr]]] = g
            S[g] += D[rows[pr]]
            size[g] += 1
    return group


def choose_group_size(n: int, k: int, time_limit: float | None, n_threads: int = 1) -> int:
    """The largest group size whose SDP bounds fit in ``time_limit`` seconds (estimated).

    One ADMM step on s rows costs about one symmetric eigendecomposition of
    order s, timed here on a small random matrix and scaled by s^3; the n / s
    groups take about ``300`` steps each, shared among ``n_threads``. The
    result stays between 120 rows (or ``8 k``) and 600 rows, and at most n.
    """
    lo = max(_MIN_GROUP, 8 * k)
    if time_limit is None:
        return int(min(n, max(lo, 400)))
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
    budget = 0.8 * time_limit * max(1, n_threads)
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_samples": self.n_samples,
            "bound": self.bound,
            "upper": self.upper,
            "n_iter": self.n_iter,
            "n_cuts": self.n_cuts,
            "stop_reason": self.stop_reason,
            "seconds": self.seconds,
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


def _merge(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = w > 0
    Xk, wk = X[keep], w[keep]
    uniq, inv = np.unique(Xk, axis=0, return_inverse=True)
    if uniq.shape[0] == Xk.shape[0]:
        return np.ascontiguousarray(Xk), wk
    return np.ascontiguousarray(uniq), np.bincount(inv.ravel(), weights=wk, minlength=uniq.shape[0])


#: A group solver: (X centered and scaled, w, k, upper, deadline, max_iter) -> (bound, n_iter, n_cuts, stop_reason).
GroupSolver = Callable[[np.ndarray, np.ndarray, int, float, float, int], tuple[float, int, int, str]]


def _one_group(X, w, labels, k, deadline, solve: GroupSolver, max_iter) -> GroupBound:
    t0 = time.perf_counter()
    upper = _restricted_cost(X, w, labels)
    Xu, wu = _merge(X, w)
    if Xu.shape[0] <= k:
        # k clusters or more rows than distinct points: the group can cost 0
        return GroupBound(X.shape[0], 0.0, upper, 0, 0, "optimal", time.perf_counter() - t0)
    # work in the group's own units (centered, unit mean scatter) so that
    # the rounding margins and ADMM's penalty see well-scaled numbers; the
    # bound scales back exactly (k-means values scale with the square)
    mean = (wu @ Xu) / wu.sum()
    Xs = Xu - mean
    scale = math.sqrt(max(float(wu @ (Xs * Xs).sum(1)) / wu.sum(), 1e-300))
    Xs = np.ascontiguousarray(Xs / scale)
    up_s = upper / scale**2
    b, n_iter, n_cuts, stop = solve(Xs, wu, k, up_s if up_s > 0 else np.inf, deadline, max_iter)
    bound = float(b) * scale**2
    if not math.isfinite(bound) or bound < 0.0:
        bound = 0.0
    return GroupBound(X.shape[0], bound, upper, int(n_iter), int(n_cuts), str(stop), time.perf_counter() - t0)


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
    """
    t0 = time.perf_counter()
    m = int(group.max()) + 1 if len(group) else 0
    members = [np.flatnonzero(group == g) for g in range(m)]
    out: list[GroupBound | None] = [None] * m
    next_g = [0]
    lock = threading.Lock()

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
            out[g] = _one_group(X[rows], w[rows], labels[rows], k, deadline, solve, max_iter)

    with threadpool_limits(1):
        if n_threads <= 1:
            worker()
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as ex:
                futs = [ex.submit(worker) for _ in range(n_threads)]
                for f in futs:
                    f.result()
    return [o for o in out if o is not None]
