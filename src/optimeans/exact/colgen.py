r"""A certified lower bound from column generation (planar data).

k-means as set partitioning: choose k clusters :math:`S` of cost
:math:`V(S)` (weighted scatter) covering every point once. Its linear
relaxation is the strongest classical bound for the problem (du Merle et al.
2000; Aloise, Hansen & Liberti 2012) and is often exactly the optimum. Column
generation solves it over a growing set of columns; the pricing problem
``max_S lambda(S) - V(S)`` is solved exactly in the plane by
:func:`optimeans._kernels.colgen.price_plane`.

For *any* multipliers :math:`\lambda`, Lagrangian relaxation of the covering
constraints gives

.. math::  E^* \ge \sum_i \lambda_i - k \max_{S \ne \emptyset} \big(\lambda(S) - V(S)\big),

so every pricing round yields a valid bound, whatever the LP solver's
accuracy; the best one is kept. At the LP optimum it equals the LP value.
Those multipliers are the node's certificate in a proof
(:class:`optimeans.exact.proof.LPRecorder`): the checker recomputes the
maximum by one exact pricing and never solves an LP.

Dynamic constraint aggregation (the idea of CG+DCA, Sudoso & Aloise 2025, in
our own form): the restricted LP has one row per *aggregate*, a set of rows
that every column in it holds together, starting from the incumbent's
clusters, so the LP has a few dozen rows instead of n. Columns are first
priced over whole aggregates (the exact pricing on the aggregates' means);
when none prices out, or at least every ``_FULL_EVERY`` rounds, the aggregate
duals are spread over the rows and a full pricing certifies a bound; the new
columns that cut through aggregates split them, and once the aggregates reach
half the rows the LP takes one row per row (then HiGHS, through ``highspy``
when installed, restarts each round from the last basis). The restricted LP of
set partitioning is very degenerate: it sits at the incumbent's vertex while
its duals wander, so each row's dual is kept in a box (du Merle et al. 1999),
first set from the incumbent as CG+DCA does (u1060, k = 40: the root LP in
55 s instead of 171 s); a side moves out only when the LP's solution uses it,
not whenever a dual touches it as in CG+DCA (u1060, k = 20: the root LP in
106 s instead of 720 s). When the LP is not integral the tree branches on a
pair of rows (must-link / cannot-link, Ryan & Foster 1981) and each child
starts from its parent's multipliers (one LP row per group, the box around
them); a node whose restricted LP stands below the incumbent branches without
waiting for the bound to catch up with it.

The incumbent improves along the way: a restricted LP whose optimum is a 0/1
partition better than the incumbent replaces it, and now and then the
set-partitioning integer program over every column generated so far is
solved by HiGHS (``scipy.optimize.milp``) with a time limit. On u1060 (k = 50)
this found a partition 0.2 % below the global search's, equal to the LP
bound: the proof then needed no branching.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._kernels.colgen import price_plane, price_plane_columns, price_plane_columns_part
from ..solvers._common import now

__all__ = ["branch_and_price", "lp_bound"]

#: A node's column generation stops once the certified bound is within this
#: fraction of the remaining gap (upper - bound) of the restricted LP's value.
_SETTLED = 1e-3

#: ... or within this fraction once the restricted LP's value has not moved for
#: ``_STABLE_ROUNDS`` full pricings and is below the incumbent: the node then
#: cannot be pruned by its LP and must branch; the rounds after only raise the
#: certified bound towards the LP's value (dual degeneracy). u1060, k = 20: a
#: child's restricted LP reached its value at round 4 and the bound caught up
#: with it at round 49 (4 s against 47 s of the node). With this rule
#: (``bench_lp_route.py --sets u1060 --ks 20 --routes bnb --time-limit 1080
#: --incumbent-fit``) k = 20 was proven in 409 s, 23 nodes, 281 rounds (load
#: 1.0-1.8), without it in 595 s, 15 nodes, 502 rounds (load 5.0 falling to 1.1).
_SETTLED_STABLE = 0.25
_STABLE_ROUNDS = 3

#: Best sets a pricing keeps overall (partial pricing over the aggregates).
_BATCH = 50

#: Columns added per full pricing round at most: the most negative reduced
#: costs among the overall best sets and the best set at each disk of the
#: arrangement (:func:`optimeans._kernels.colgen.price_plane_columns`). On
#: u1060 (k = 50) the 50 best sets of a round were mostly variations of one
#: cluster and the LP crept (21 % gap after 93 rounds). Session 9, u1060
#: k = 10 (106 rows a cluster): a cap of 21,200 LP nonzeros a round (about
#: 200 columns) cut HiGHS's iterations a round only from ~4,000 to ~3,000 and
#: the root's bound lagged (64.14 of 65.28 after 177 s, round 50, against
#: 64.69 after 164 s, round 40, with 400; load 2.5-3.5): left out.
_MANY = 400

#: How an aggregate's dual is spread over its groups: "scatter" (each group's
#: share of the aggregate's scatter, then the rest by weight) or "center" (along
#: the best multipliers so far).
_SPREAD = "scatter"

#: Rounds of partial pricing (whole aggregates) at most between two full
#: pricings: only a full pricing certifies a bound.
_FULL_EVERY = 4

#: Whether a full pricing's best sets already in the pool but kept out of the
#: LP by the aggregation split the aggregates too (else only new columns do).
_REUSE_POOL = True

#: Aggregates are split along this many of a full pricing's new columns at
#: most. u1060, k = 50: with 3 the LP had 492 of 1061 rows after 99 rounds and
#: its value crept down with them; splitting along every new column reached
#: 1059 rows in 27 rounds, and a lower LP value in 15 rounds than in 99.
_SPLIT = 400

#: The restricted master as an integer program (HiGHS by
#: ``scipy.optimize.milp``) over every column of the pool, for a better
#: incumbent: first after this many seconds of column generation at a node...
_IP_AFTER = 30.0

#: ... then again after this many more, each for at most ``_IP_SECONDS``.
_IP_EVERY = 90.0
_IP_SECONDS = 30.0

#: Once the aggregates reach this fraction of the groups, the LP takes one row
#: per group: its rows then stay fixed and HiGHS restarts from the last basis
#: (u1060, k = 50: the aggregates were 1045-1059 of 1061 for 20 rounds, each
#: a new LP solved from scratch).
_DISAGGREGATE = 0.5

# Tried on u1060 and left out (measured worse or no better): interior-point duals
# without crossover (k = 30: 58 s of HiGHS in 4 rounds at 7,000 columns, the bound
# at -243, scaled, against the incumbent's 17.9) and Wentges smoothing with the
# weight set by the subgradient at the smoothed point (Pessoa, Sadykov, Uchoa &
# Vanderbeck 2018; k = 30, after 60 s: -0.79 against -4.42 with the fixed weight;
# neither certifies anything there).

#: Box stabilization of the restricted master's duals (du Merle, Villeneuve, Desrosiers & Hansen 1999;
#: the box of CG+DCA): each row's dual is kept in [lo, hi], first what leaving its
#: cluster of the incumbent saves and what joining the nearest other cluster costs
#: (widened by ``_BOX_SLACK``); a side the LP's solution uses moves out by the box's width.
#: u1060, k = 40, ``branch_and_bound(X, 40, time_limit=720)`` (load 2.6-3.5): proven in
#: 127 s with the box, 249 s without; the root's column generation 80 rounds and
#: 55 s (HiGHS 34 s, pricing 21 s) against 122 rounds and 171 s (HiGHS 131 s,
#: pricing 40 s), 27,710 columns in all against 45,285. The bound is the
#: Lagrangian one of the duals, so the box only steers the LP, never the proof.
_BOX = True
_BOX_SLACK = 0.05

# The box's sides: only a side the LP's *solution* uses (its artificial or
# surplus column > 0) moves out. Moving every side a dual touches (CG+DCA's
# rule) changed the costs of some 300 of 1061 rows a round in the degenerate
# master, and HiGHS's re-solve from the last basis then took ~3,300 dual simplex
# iterations with no new column at all (0 when only the used sides move).
# u1060, k = 20 (``benchmarks/bench_lp_route.py --sets u1060 --ks 20 --routes bnb
# --trace --incumbent-fit --time-limit 150``, load 1.3-3.9): touching, 41 rounds,
# HiGHS 128 of 147 s (5,000 iterations a round), the bound at a 15 % gap; using,
# the root LP closed at round 93 after 106 s (HiGHS 40 s, pricing 65 s), 0.033 %
# gap. A dual that touches its side is still an optimal dual of the restricted
# LP (the box's columns are at zero), so the rule only changes which optimal
# duals the LP returns; the bound is the Lagrangian one of the duals either way.

#: Column management: when the restricted LP holds more columns than this,
#: the nonbasic ones of largest reduced cost leave it (down to half); they stay
#: in the pool and return when a pricing finds them again. Off by default:
#: on u1060, k = 40, with 8000 the rounds were 3x faster but the certified
#: bound stayed at 3.73 (of 12.70, scaled) from round 31 to 90, where keeping
#: every column it reached 12.5 by round 88 (the dropped columns' dual cuts
#: are lost and the degenerate duals wander).
_LP_COLS = 10**9

#: A child's restricted master starts with at most this many of the pool's
#: columns, those of least reduced cost at the parent's multipliers; the
#: others are priced again at the LP's duals every round (before new columns
#: are taken) and those of negative reduced cost return (column management of
#: the children only: see ``_LP_COLS`` for the root). The bound is the
#: Lagrangian one of an exact full pricing, whatever the master holds. u1060,
#: k = 10, with every column (the children's masters at 27,000-38,000 columns,
#: ``bench_lp_route.py --sets u1060 --ks 10 --routes bnb --trace``, load 2.4-5):
#: HiGHS took 236 of a child's 296 s (22 rounds) and 152 of the next one's
#: 196 s (23 rounds), 4,000 dual simplex iterations a round at up to 5 ms each.
#: With 3000 (``--ks 20``, load 2.8-4.7): the twelve children's masters held
#: 4,800-9,400 of 22,000-38,000 columns and HiGHS took 30 of their 245 s, the
#: pricing 200 s; k = 20 proven in 343 s, 13 nodes, 319 rounds (main, idle:
#: 267 s, 11 nodes). At k = 10 with 3000 the six children took 30-228 s each
#: (HiGHS 11-91 s of them; the first one 18 rounds, 41.5 s, HiGHS 12.8 s) and
#: k = 10 was proven in 979 s, 7 nodes (load 1.5-4.1).
#: ``--set _CHILD_COLS=1000000000`` switches it off for an A/B.
_CHILD_COLS = 3000

#: A child node starts with one LP row per group (no aggregation: its parent
#: ended disaggregated) and its dual box centred on the parent's multipliers,
#: this fraction of the incumbent's box wide on each side; 0 / False: the
#: child starts like the root (from the incumbent's aggregates and box). u1060,
#: k = 40 (``bench_lp_route.py --ks 40 --routes bnb --set _CHILD_WARM=0``, load
#: 1.2-1.4): 36 s, 101 rounds, 11,558 columns against 37 s, 103 rounds, 13,448
#: columns cold, about even; not compared at k = 20 (15-23 nodes).
_CHILD_WARM = 0.25

# HiGHS's dual simplex (its default) re-solves the master from the last basis.
# Measured on the master of u1060, k = 20 at round 9 (4,160 columns, the 400 new
# ones nonbasic, box sides moved as CG+DCA does; load 4-6): dual 4,429
# iterations, primal (simplex_strategy 4, which keeps the old basis primal
# feasible) 8,469 and 1.5x the time, devex pricing 5,644, no cost perturbation
# 3,857; interior point with crossover from scratch 1.2-1.5 s against 4.7-5.5 s
# alone, but through the route 12 s a solve at 10,000 columns and the bound at
# 9.6 (of 29.5, scaled) after 25 rounds where the dual simplex had 18.6.

#: Called after every full pricing with a dict: ``round``, ``rows`` (LP rows,
#: aggregates + 1), ``groups`` (rows without aggregation), ``columns`` (in the
#: node), ``lp_cols`` (in the restricted LP), ``added`` (columns added by the
#: previous full pricing), ``added_len`` (their mean number of groups), ``lp`` (restricted LP value), ``bound`` (best
#: certified), ``seconds`` since the node started, and the seconds spent so far
#: in ``t_lp`` (HiGHS), ``t_price`` (full pricings), ``t_agg`` (partial pricing,
#: aggregation, building the LP), ``lp_iters`` (HiGHS's iterations in the
#: node's current master), ``moved`` (box sides moved out so far); values in
#: the scaled units of :func:`lp_bound`; None: silent. For profiling
#: (``benchmarks/bench_lp_route.py --trace``).
TRACE = None


def _cost(X: np.ndarray, w: np.ndarray, member: np.ndarray) -> float:
    ww = w[member]
    xs = X[member]
    c = (ww[:, None] * xs).sum(0) / ww.sum()
    return float((ww * ((xs - c) ** 2).sum(1)).sum())


class _Pool:
    """Every column generated so far, as sets of original rows, shared by all nodes."""

    def __init__(self, X: np.ndarray, w: np.ndarray) -> None:
        self.X, self.w = X, w
        self.rows: list[np.ndarray] = []
        self.cost: list[float] = []
        self.keys: set[bytes] = set()
        self.n_first = 0  # columns of the first partition (the incumbent): the first aggregation

    def add(self, member: np.ndarray) -> bool:
        key = np.packbits(member).tobytes()
        if key in self.keys or not member.any():
            return False
        self.keys.add(key)
        self.rows.append(np.flatnonzero(member))
        self.cost.append(_cost(self.X, self.w, member))
        return True


class _Incumbent:
    """The best partition known (value ``upper``, labels or None when it is the caller's) and when to look again."""

    def __init__(self, X: np.ndarray, w: np.ndarray, upper: float) -> None:
        self.X, self.w = X, w
        self.upper, self.labels, self.ip_runs, self.ip_seconds = upper, None, 0, 0.0
        self.due = _IP_AFTER  # seconds of column generation at a node before the next integer program

    def offer(self, labels: np.ndarray, k: int) -> bool:
        """Take the partition ``labels`` (of the pool's rows, in 0..k-1) if its recomputed value is better."""
        if labels.min() < 0 or labels.max() >= k:
            return False
        value = sum(_cost(self.X, self.w, labels == t) for t in range(k) if np.any(labels == t))
        if value < self.upper:
            self.upper, self.labels = value, labels
            return True
        return False

    def master_ip(self, pool: _Pool, k: int, deadline: float) -> bool:
        """Solve the set-partitioning IP over the pool's columns with a time limit; True if it found a better partition."""
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csc_matrix

        limit = min(_IP_SECONDS, deadline - now())
        if limit <= 1.0 or not pool.rows:
            return False
        t0 = now()
        n = pool.X.shape[0]
        m = len(pool.rows)
        lens = np.fromiter((len(r) for r in pool.rows), dtype=np.int64, count=m)
        indptr = np.zeros(m + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(lens + 1)
        indices = np.concatenate([np.append(r, n) for r in pool.rows])
        A = csc_matrix((np.ones(len(indices)), indices, indptr), shape=(n + 1, m))
        b = np.ones(n + 1)
        b[n] = k
        res = milp(np.asarray(pool.cost), constraints=LinearConstraint(A, b, b), integrality=np.ones(m),
                   bounds=Bounds(0, 1), options={"time_limit": limit, "disp": False})
        self.ip_runs += 1
        self.ip_seconds += now() - t0
        if res.x is None:
            return False
        chosen = np.flatnonzero(res.x > 0.5)
        labels = np.full(n, -1, dtype=np.int64)
        for t, j in enumerate(chosen):
            if np.any(labels[pool.rows[j]] >= 0):
                return False  # rounding left an overlap: not a partition
            labels[pool.rows[j]] = t
        if len(chosen) != k or np.any(labels < 0):
            return False
        return self.offer(labels, k)  # the value recomputed on the partition, not the solver's


class _Node:
    """A node of the branch-and-price tree: must-link and cannot-link pairs of rows (Ryan & Foster 1981)."""

    def __init__(
        self,
        must: tuple[tuple[int, int], ...],
        cannot: tuple[tuple[int, int], ...],
        bound: float,
        lam: np.ndarray | None = None,
        nid: int = 0,
    ) -> None:
        # lam: the parent's best multipliers spread over the rows, a warm start;
        # nid: the node's number (its id in a proof)
        self.must, self.cannot, self.bound, self.lam, self.nid = must, cannot, bound, lam, nid


def _groups(n: int, must) -> np.ndarray:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in must:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n)])
    _, g = np.unique(roots, return_inverse=True)
    return g.ravel().astype(np.int64)


def _aggregate(cols: list[np.ndarray], G: int) -> tuple[np.ndarray, int]:
    """Dynamic constraint aggregation: groups that lie in exactly the same columns share one LP row.

    Every column is then a union of aggregates, so the restricted LP over the
    aggregates has the same columns and value as over the groups, with fewer
    rows. Returns each group's aggregate and their number.
    """
    if not cols:
        return np.zeros(G, dtype=np.int64), 1
    M = np.zeros((G, len(cols)), dtype=np.bool_)
    for j, c in enumerate(cols):
        M[c, j] = True
    packed = np.packbits(M, axis=1)
    _, agg = np.unique(packed, axis=0, return_inverse=True)
    agg = agg.ravel().astype(np.int64)
    return agg, int(agg.max()) + 1


def _price_aggregates(X, w, g, gx, gw, gconst, agg, R, mu, sigma, conf_a, conf_b, scale, add_group_set) -> int:
    """Partial pricing of DCA: the best unions of whole aggregates, by the exact planar pricing on the aggregates.

    An aggregate is priced as one weighted point at its mean, with the scatter
    inside it as a constant; an aggregate holding a cannot-link pair is left
    out. Adds the sets of negative reduced cost; returns how many.
    """
    G = gx.shape[0]
    aw = np.bincount(agg, weights=gw, minlength=R)
    ax = np.stack([np.bincount(agg, weights=gw * gx[:, f], minlength=R) for f in range(gx.shape[1])], 1) / aw[:, None]
    aconst = np.bincount(agg, weights=gconst + gw * ((gx - ax[agg]) ** 2).sum(1), minlength=R)
    lam = mu - aconst
    ca, cb = agg[conf_a], agg[conf_b]
    inside = ca == cb
    if inside.any():
        lam[ca[inside]] = -(abs(lam).sum() + 1.0)  # such an aggregate is in no column
    top_val = np.full(_BATCH, -np.inf)
    top_set = np.zeros((_BATCH, R), dtype=np.bool_)
    price_plane(np.ascontiguousarray(ax), aw, lam, np.ascontiguousarray(ca[~inside]), np.ascontiguousarray(cb[~inside]),
                top_val, top_set)
    added = 0
    for t in np.argsort(-top_val):
        if top_val[t] == -np.inf or top_val[t] - sigma >= -1e-9 * scale:
            continue
        member = top_set[t]
        if inside.any() and np.any(member[ca[inside]]):
            continue
        member_g = member[agg]
        rc = _cost(X, w, member_g[g]) - float(mu[member].sum()) - sigma
        if rc < -1e-9 * scale and add_group_set(member_g.copy()):
            added += 1
    return added


#: A full pricing over at least this many groups is split into ``_PRICE_PARTS``
#: calls (circles ``i = p mod _PRICE_PARTS``), run on as many threads as the
#: machine has cores (at most ``_PRICE_PARTS``); the parts and their merge do
#: not depend on the threads, so neither do the columns nor the bound. The
#: pricing was 65 of the 106 s of the u1060 k = 20 root (session 8) and 144 of
#: the 581 s of the k = 10 root; one pricing of u1060 (1060 disks, random
#: multipliers) took 0.65-0.88 s in two parts against 0.85-1.22 s in one on the
#: shared 2-core machine (load 3: the other core was busy). The k = 20 root
#: with it: 41.6 s of pricing in 66 rounds (load 2.8-3.6).
#: ``--set _PRICE_PARTS=1`` switches it off for an A/B.
_PRICE_PARTS = 2
_PRICE_SPLIT_MIN = 200
_PRICE_POOL: Any = None


def _reduced_costs(costs, cols, idx, lam):
    """``costs[j] - sum(lam[cols[j]])`` for each column ``j`` of ``idx`` (every column holds at least one group)."""
    lens = np.fromiter((len(cols[j]) for j in idx), dtype=np.int64, count=len(idx))
    starts = np.zeros(len(idx), dtype=np.int64)
    starts[1:] = np.cumsum(lens)[:-1]
    return np.asarray(costs)[idx] - np.add.reduceat(lam[np.concatenate([cols[j] for j in idx])], starts)


def _price_columns(gx, gw, lam, conf_a, conf_b):
    """The exact full pricing (:func:`optimeans._kernels.colgen.price_plane_columns`), in parts on threads.

    Returns (``top_val``, ``top_set``, ``disk_val``, ``disk_set``, value, exact):
    the ``_BATCH`` best sets, the best set at each disk, the pricing's maximum
    and whether it is exact.
    """
    import os

    global _PRICE_POOL
    G = gx.shape[0]
    parts = _PRICE_PARTS if G >= _PRICE_SPLIT_MIN else 1
    bufs = [(np.full(_BATCH, -np.inf), np.zeros((_BATCH, G), dtype=np.bool_), np.full(G, -np.inf),
             np.zeros((G, G), dtype=np.bool_)) for _ in range(parts)]
    if parts == 1:
        value, exact = price_plane_columns(gx, gw, lam, conf_a, conf_b, *bufs[0])
        return (*bufs[0], value, exact)

    def one(p):
        return price_plane_columns_part(gx, gw, lam, conf_a, conf_b, *bufs[p], p, parts)

    threads = min(parts, os.cpu_count() or 1)
    if threads > 1:
        if _PRICE_POOL is None or _PRICE_POOL._max_workers < threads:
            from concurrent.futures import ThreadPoolExecutor

            _PRICE_POOL = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="optimeans-pricing")
        out = list(_PRICE_POOL.map(one, range(parts)))
    else:
        out = [one(p) for p in range(parts)]
    value = max(v for v, _ in out)
    exact = all(e for _, e in out)
    # merge, in part order: the _BATCH best sets of the union, and each disk's best set (part order on ties)
    tv = np.concatenate([b[0] for b in bufs])
    ts = np.concatenate([b[1] for b in bufs])
    _, first = np.unique(np.packbits(ts, axis=1), axis=0, return_index=True)  # a set kept by two parts counts once
    first = np.sort(first)
    top = first[np.argsort(-tv[first], kind="stable")[:_BATCH]]
    disk_val, disk_set = bufs[0][2].copy(), bufs[0][3].copy()
    for b in bufs[1:]:
        better = b[2] > disk_val
        disk_val[better] = b[2][better]
        disk_set[better] = b[3][better]
    return tv[top], ts[top], disk_val, disk_set, value, exact


def _solve_node(pool, node, k, upper, deadline, rtol, max_rounds, smoothing, aggregate=True, inc=None,
                report=None):
    """Column generation at one node.

    Returns (bound, status, pair, partition, rounds, multipliers per row,
    groups, multipliers per group that certify ``bound`` or None, LP rows of
    the last restricted LP): ``status`` is "pruned"
    (bound within ``rtol`` of ``upper``), "integral" (the LP optimum is a
    partition; ``partition`` holds its labels), "fractional" (branch on the
    rows ``pair``), "infeasible" or "stopped" (deadline or round limit).

    With ``aggregate``, the restricted LP has one row per aggregate of groups
    that every column so far holds together (:func:`_aggregate`); its duals
    are spread over the groups of each aggregate (along the best multipliers
    so far, else in proportion to weight) before pricing, and a priced column
    that splits an aggregate disaggregates it at the next round. The bound of
    any multipliers is valid, so the certificate does not depend on the split.

    With ``inc`` (:class:`_Incumbent`), the pool's columns are solved as an
    integer program now and then (``_IP_AFTER``, ``_IP_EVERY``) while the
    restricted LP is below the incumbent; a better partition lowers ``upper``.

    ``report(bound)``, when given, is called after every full pricing with the
    node's best certified bound so far (the command line's progress line).
    """

    t_node = now()
    X, w = pool.X, pool.w
    n = X.shape[0]
    g = _groups(n, node.must)
    G = int(g.max()) + 1
    gw = np.bincount(g, weights=w, minlength=G)
    gx = np.stack([np.bincount(g, weights=w * X[:, f], minlength=G) for f in range(X.shape[1])], 1) / gw[:, None]
    gconst = np.bincount(g, weights=w * ((X - gx[g]) ** 2).sum(1), minlength=G)
    gsize = np.bincount(g, minlength=G)
    conf = np.array([(g[a], g[b]) for a, b in node.cannot], dtype=np.int64).reshape(-1, 2)
    if len(conf) and np.any(conf[:, 0] == conf[:, 1]):
        return np.inf, "infeasible", None, None, 0, None, g, None, 0
    if G < k:
        return np.inf, "infeasible", None, None, 0, None, g, None, 0
    conf_a = np.ascontiguousarray(conf[:, 0])
    conf_b = np.ascontiguousarray(conf[:, 1])
    gxc = np.ascontiguousarray(gx)
    scale = max(abs(upper), 1e-300)
    big = 10.0 * scale + 1.0

    def group_set(rows: np.ndarray) -> np.ndarray | None:
        cnt = np.bincount(g[rows], minlength=G)
        used = cnt > 0
        if np.any(cnt[used] != gsize[used]):
            return None
        member = used
        if len(conf) and np.any(member[conf_a] & member[conf_b]):
            return None
        return np.flatnonzero(member)

    cols: list[np.ndarray] = []
    costs: list[float] = []
    origin: list[int] = []
    for c, rows in enumerate(pool.rows):
        gs = group_set(rows)
        if gs is not None:
            cols.append(gs)
            costs.append(pool.cost[c])
            origin.append(c)

    def add_group_set(member_g: np.ndarray) -> bool:
        rows_member = member_g[g]
        if not pool.add(rows_member):
            return False
        cols.append(np.flatnonzero(member_g))
        costs.append(pool.cost[-1])
        origin.append(len(pool.cost) - 1)
        return True

    best, center = -np.inf, None
    spread = None  # the best multipliers, per row (for the children)

    def price(lam):
        top_val, top_set, disk_val, disk_set, value, exact = _price_columns(gxc, gw, lam - gconst, conf_a, conf_b)
        keep = disk_val > -np.inf
        return value, np.concatenate([top_val, disk_val[keep]]), np.concatenate([top_set, disk_set[keep]]), exact

    def certify(lam, value, exact):
        nonlocal best, center, spread
        if not exact:
            return
        lb = float(lam.sum() - k * value)
        lb -= 1e-12 * (abs(lam).sum() + k * abs(value))  # rounding of the sums above
        if lb > best:
            best, center = lb, lam.copy()
            spread = (lam / gsize)[g]

    def reprice_dropped(lam_lp, sigma):
        """Columns out of the master (``dropped``) of negative reduced cost at the LP's duals: back in, most negative
        first, at most ``_MANY``; returns (reduced cost, set of groups) of each."""
        if not dropped:
            return []
        keys = list(dropped)
        idx = np.fromiter(dropped.values(), dtype=np.int64, count=len(keys))
        rc = _reduced_costs(costs, cols, idx, lam_lp) - sigma
        neg = np.flatnonzero(rc < -1e-9 * scale)
        back = []
        for t in neg[np.argsort(rc[neg], kind="stable")][:_MANY]:
            del dropped[keys[t]]
            readd.append(int(idx[t]))
            back.append((float(rc[t]), _members(cols[idx[t]], G)))
        return back

    def add_columns(top_val, top_set, lam_lp, sigma):
        # (reduced cost, set of groups) of each column added: first the columns kept out of the master that price
        # out again, then new ones
        added = reprice_dropped(lam_lp, sigma)
        # the distinct sets found, by their reduced cost at the LP's duals
        cand = np.flatnonzero(top_val > -np.inf)
        if len(cand) == 0:
            return added
        _, first = np.unique(np.packbits(top_set[cand], axis=1), axis=0, return_index=True)
        cand = cand[np.sort(first)]
        rcs = np.array([_cost(X, w, top_set[t][g]) - lam_lp[top_set[t]].sum() - sigma for t in cand])
        for t, rc in sorted(zip(cand.tolist(), rcs.tolist()), key=lambda p: p[1]):
            if rc >= -1e-9 * scale or len(added) >= _MANY:
                break
            member = top_set[t]
            # a new column, or one in the pool that the aggregation keeps out of the LP
            if add_group_set(member.copy()) or (_REUSE_POOL and not _whole(member, agg, R)):
                added.append((rc, member.copy()))
            elif dropped:
                # a column the master dropped prices out again: back into the LP
                j = dropped.pop(np.packbits(member).tobytes(), None)
                if j is not None:
                    readd.append(j)
                    added.append((rc, member.copy()))
        return added

    if node.lam is not None:
        # the parent's multipliers stay valid here and only price out fewer sets
        lam0 = np.bincount(g, weights=node.lam, minlength=G)
        value, _, _, exact = price(lam0)
        certify(lam0, value, exact)
        if best >= upper - rtol * scale:
            return best, "pruned", None, None, 0, spread, g, center, 0
    res = None
    status = "stopped"
    rounds = 0
    warm = node.lam is not None and _CHILD_WARM
    if aggregate and not warm:
        # DCA: start from the aggregates of the first partition's clusters (the incumbent)
        agg, R = _aggregate([cols[j] for j in range(len(cols)) if origin[j] < pool.n_first], G)
    else:
        agg, R = np.arange(G, dtype=np.int64), G
    lp_cols: list[np.ndarray] = []
    lp_keep: list[int] = []
    gbox = _group_box(pool, inc, g, gx, gw, gconst, k, big) if _BOX else None
    if warm and gbox is not None:
        # a child: the box around the parent's multipliers, a fraction of the incumbent's box wide
        half = _CHILD_WARM * np.maximum(gbox[1] - gbox[0], 0.0)
        gbox = (lam0 - half, lam0 + half)
    partial = 0  # rounds of partial pricing since the last full one
    clock = {"t_lp": 0.0, "t_price": 0.0, "t_agg": 0.0, "moved": 0}
    n_added = 0
    len_added = 0.0  # mean rows (groups) of the columns the last full pricing added (for TRACE)
    alpha = smoothing
    master = None
    lp_seen: list[float] = []  # the restricted LP's value at each full pricing
    version = 0  # of the aggregation: the master is rebuilt when it changes
    dropped: dict[bytes, int] = {}  # columns the master dropped (column management), by their packed groups
    readd: list[int] = []  # dropped columns that priced out again
    for rounds in range(1, max_rounds + 1):
        # the restricted LP over the columns that keep every aggregate whole
        t_mark = now()
        if master is None or master.version != version:
            keep, rcols = _whole_columns(cols, agg, R)
            master = _Master(k, R, big, version, None if gbox is None else (
                np.bincount(agg, weights=gbox[0], minlength=R), np.bincount(agg, weights=gbox[1], minlength=R)))
            lp_keep = []
            checked = 0
            dropped.clear()
            if warm and rounds == 1 and len(keep) > _CHILD_COLS:
                # a child's master starts with the columns of least reduced cost at the parent's multipliers; the
                # others wait in ``dropped`` and return when their reduced cost at the LP's duals turns negative
                keep_a = np.asarray(keep, dtype=np.int64)
                rc0 = _reduced_costs(costs, cols, keep_a, lam0)
                first = np.zeros(len(keep_a), dtype=np.bool_)
                first[np.argsort(rc0, kind="stable")[:_CHILD_COLS]] = True
                for j in keep_a[~first]:
                    dropped[np.packbits(_members(cols[j], G)).tobytes()] = int(j)
                keep = keep_a[first].tolist()
                rcols = [c for c, f in zip(rcols, first) if f]
        else:
            keep, rcols = _whole_columns(cols[checked:], agg, R)
            keep = [checked + j for j in keep]
            if readd:
                back, rback = _whole_columns([cols[j] for j in readd], agg, R)
                keep, rcols = keep + [readd[j] for j in back], rcols + rback
        readd.clear()
        master.add(rcols, [costs[j] for j in keep])
        lp_keep.extend(keep)
        checked = len(cols)
        lp_cols = [cols[j] for j in lp_keep]
        m = len(lp_cols)
        t_lp = now()
        clock["t_agg"] += t_lp - t_mark
        res = master.solve()
        if res is not None and m > _LP_COLS:
            # column management: the nonbasic columns of largest reduced cost leave the LP (not the pool)
            out = master.drop(m - _LP_COLS // 2)
            if len(out):
                keep_mask = np.ones(m, dtype=np.bool_)
                keep_mask[out] = False
                for j in out:
                    dropped[np.packbits(_members(cols[lp_keep[j]], G)).tobytes()] = lp_keep[j]
                lp_keep = [j for j, kept in zip(lp_keep, keep_mask) if kept]
                lp_cols = [cols[j] for j in lp_keep]
                res.x = np.concatenate([res.x[:m][keep_mask], res.x[m:]])
                m = len(lp_cols)
        t_mark = now()
        clock["t_lp"] += t_mark - t_lp
        if res is None:
            return best, "stopped", None, None, rounds, spread, g, center, R + 1
        duals = res.duals
        mu, sigma = duals[:R], float(duals[R])
        # the box binds: a row's artificial or surplus column in use (then the LP's value is below the restricted LP's)
        boxed = gbox is not None and bool(np.any(res.x[m:m + R] > 1e-9) or np.any(res.x[m + R + 1:] > 1e-9))
        if gbox is not None:
            # a side the LP's solution uses (its artificial or surplus column > 0) moves out by the box's
            # width (see _BOX); a dual that only touches its side is still an optimal dual of the restricted LP
            at_hi, at_lo = res.x[m:m + R] > 1e-9, res.x[m + R + 1:m + 2 * R + 1] > 1e-9
            clock["moved"] += int(at_lo.sum() + at_hi.sum())
            if at_lo.any() or at_hi.any():
                width = np.maximum(gbox[1] - gbox[0], 1e-3 * scale / G)  # a box of no width still moves
                gbox[0][at_lo[agg]] -= width[at_lo[agg]]
                gbox[1][at_hi[agg]] += width[at_hi[agg]]
                master.set_box(np.bincount(agg, weights=gbox[0], minlength=R),
                               np.bincount(agg, weights=gbox[1], minlength=R))
        if inc is not None and float(res.fun) < upper - rtol * scale and not np.any(res.x[m:] > 1e-9):
            labels_g = _integral(res.x[:m], lp_cols, G)
            if labels_g is not None and inc.offer(labels_g[g], k):
                upper = inc.upper
        if (R < G and partial < _FULL_EVERY
                and _price_aggregates(X, w, g, gx, gw, gconst, agg, R, mu, sigma, conf_a, conf_b, scale,
                                      add_group_set)):
            # columns that keep the aggregates whole still price out: no need to split them yet
            partial += 1
            clock["t_agg"] += now() - t_mark
            if now() > deadline:
                return best, "stopped", None, None, rounds, spread, g, center, R + 1
            continue
        if R == G:
            lam_lp = mu[agg].copy() if aggregate else mu.copy()
        else:
            # spread each aggregate's dual over its groups: each group gets its
            # share of the aggregate's scatter (what it costs where it is), and
            # the rest of the dual in proportion to weight
            lam_lp = _spread(mu, agg, R, gx, gw, gconst) if (_SPREAD == "scatter" or center is None) else \
                center + (mu - np.bincount(agg, weights=center, minlength=R))[agg] * (
                    gw / np.bincount(agg, weights=gw, minlength=R)[agg])
        partial = 0
        clock["t_agg"] += now() - t_mark
        t_mark = now()
        lam = lam_lp if center is None else alpha * center + (1.0 - alpha) * lam_lp
        value, top_val, top_set, exact = price(lam)
        certify(lam, value, exact)
        clock["t_price"] += now() - t_mark
        if (inc is not None and now() - t_node >= inc.due and float(res.fun) < upper - rtol * scale
                and inc.master_ip(pool, k, deadline)):
            upper = inc.upper
        if inc is not None and now() - t_node >= inc.due:
            inc.due = now() - t_node + _IP_EVERY
        if TRACE is not None:
            TRACE(dict(round=rounds, rows=R + 1, groups=G, columns=len(cols), lp_cols=m, added=n_added, added_len=len_added,
                       lp=float(res.fun), bound=best, seconds=now() - t_node, upper=upper,
                       lp_iters=master.iterations, **clock))
        if report is not None:
            report(best)
        if best >= upper - rtol * scale:
            return best, "pruned", None, None, rounds, spread, g, center, R + 1
        lp_seen.append(float(res.fun))
        stable = (len(lp_seen) > _STABLE_ROUNDS and float(res.fun) < upper - rtol * scale
                  and lp_seen[-1 - _STABLE_ROUNDS] - lp_seen[-1] <= 1e-9 * scale)
        if (not boxed and float(res.fun) - best <= (_SETTLED_STABLE if stable else _SETTLED) * (upper - best)
                and _fractional(res.x[:m], lp_cols, G) is not None):
            # the restricted LP's value is (nearly) certified: it is the node's LP
            # bound, and more columns would only shuffle its degenerate duals
            status = "converged"
            break
        t_mark = now()
        added = add_columns(top_val, top_set, lam_lp, sigma)
        if not added and center is not None:
            value, top_val, top_set, exact = price(lam_lp)
            certify(lam_lp, value, exact)
            if best >= upper - rtol * scale:
                return best, "pruned", None, None, rounds, spread, g, center, R + 1
            added = add_columns(top_val, top_set, lam_lp, sigma)
        clock["t_price"] += now() - t_mark
        n_added = len(added)
        len_added = float(np.mean([gsize[mem].sum() for _, mem in added])) if added else 0.0
        if not added:
            if R < G and np.any(res.x[m:] > 1e-9):
                agg, R = np.arange(G, dtype=np.int64), G  # an aggregate no column covers: disaggregate all
                version += 1
                continue
            if boxed:
                continue  # the LP's optimum is the boxed one: solve again in the wider box
            status = "converged"
            break
        if R < G:
            # disaggregate: split the aggregates along the few best new columns that do not keep them whole
            for _, member in sorted(added, key=lambda t: t[0])[:_SPLIT]:
                agg, R = _refine(agg, member)
            if R >= _DISAGGREGATE * G:
                # few rows left to gain: one row per group keeps the master's basis from round to round
                agg, R = np.arange(G, dtype=np.int64), G
            version += 1
        if now() > deadline:
            return best, "stopped", None, None, rounds, spread, g, center, R + 1
    if status != "converged":
        return best, "stopped", None, None, rounds, spread, g, center, R + 1
    m = len(lp_cols)
    y = res.x[:m]
    if np.any(res.x[m:] > 1e-9):
        # artificial columns still in use: no certificate to branch on
        return best, "stopped", None, None, rounds, spread, g, center, R + 1
    gpair = _fractional(y, lp_cols, G)
    if gpair is None:
        labels_g = np.full(G, -1, dtype=np.int64)
        for t, j in enumerate(np.flatnonzero(y > 0.5)):
            labels_g[lp_cols[j]] = t
        return best, "integral", None, labels_g[g], rounds, spread, g, center, R + 1
    ga, gb = gpair
    pair = (int(np.flatnonzero(g == ga)[0]), int(np.flatnonzero(g == gb)[0]))
    return best, "fractional", pair, None, rounds, spread, g, center, R + 1


class _LPResult:
    """What a solve of the restricted LP gives: value, primal values (columns, then artificials), row duals."""

    def __init__(self, fun: float, x: np.ndarray, duals: np.ndarray) -> None:
        self.fun, self.x, self.duals = fun, x, duals


_HIGHS_QUIET = False  # whether the first Highs of the process (the one that prints a banner) was made


def _new_highs(highspy: Any) -> Any:
    """A ``highspy.Highs``; the first one of the process prints a banner on stdout, which goes to /dev/null
    (the CLI's stdout may be data)."""
    global _HIGHS_QUIET
    if _HIGHS_QUIET:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _HIGHS_QUIET = True
    return h


#: From this many rows of the restricted master on, a run without ``highspy`` says how to get it once.
HIGHSPY_HINT_ROWS = 500
_HINTED = False


def _hint_highspy(rows: int) -> None:
    """Once per process: the LP is solved from scratch every round; ``optimeans[lp]`` keeps it in HiGHS."""
    global _HINTED
    if _HINTED or rows < HIGHSPY_HINT_ROWS:
        return
    _HINTED = True
    warnings.warn(
        f"column generation over {rows} rows without highspy: scipy's linprog solves the whole restricted LP "
        "again every round; install the extra (pip install \"optimeans[lp]\") to keep it in HiGHS between rounds "
        "(u1060, k = 50: 4-8 s a round from scratch at 14,000 columns)",
        RuntimeWarning,
        stacklevel=4,
    )


class _Master:
    """The restricted master LP over aggregates: min c y, one row per aggregate (= 1) and a cardinality row (= k).

    Every row has an artificial column of cost ``big``, so the LP is always
    feasible. With ``highspy`` installed, the model is kept between rounds:
    columns are appended and HiGHS starts from the last optimal basis (on
    u1060, k = 50, scipy's ``linprog`` from scratch took 4-8 s a round at
    14,000 columns); without it, ``scipy.optimize.linprog`` solves the whole LP
    each round. ``version`` is the aggregation the rows stand for.
    """

    def __init__(self, k: int, R: int, big: float, version: int,
                 box: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.k, self.R, self.big, self.version = k, R, big, version
        self.costs: list[float] = []
        self.cols: list[np.ndarray] = []
        self.iterations = 0  # simplex iterations of every solve (for TRACE)
        self.cold_starts = 0  # solves that failed from the last basis and were run again from scratch
        # box stabilization (du Merle et al. 1999): row i's artificial costs hi[i] and a surplus column of
        # cost -lo[i] is added, so the LP's duals stay in [lo, hi]; the fixed columns come first in the model
        self.box = None if box is None else (np.asarray(box[0], dtype=np.float64), np.asarray(box[1], dtype=np.float64))
        self.nfix = R + 1 + (R if box is not None else 0)
        try:
            import highspy
        except ImportError:
            self.h = None
            _hint_highspy(R)
            return
        h = _new_highs(highspy)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        b = np.ones(R + 1)
        b[R] = k
        h.addRows(R + 1, b, b, 0, np.zeros(R + 1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        idx = np.arange(R + 1, dtype=np.int32)
        h.addCols(R + 1, self._fixed_costs()[:R + 1], np.zeros(R + 1), np.full(R + 1, highspy.kHighsInf), R + 1, idx,
                  idx, np.ones(R + 1))
        if self.box is not None:
            idx = np.arange(R, dtype=np.int32)
            h.addCols(R, self._fixed_costs()[R + 1:], np.zeros(R), np.full(R, highspy.kHighsInf), R, idx, idx,
                      -np.ones(R))
        self.h, self.inf, self.ok = h, highspy.kHighsInf, highspy.HighsModelStatus.kOptimal
        self._basic = highspy.HighsBasisStatus.kBasic

    def _fixed_costs(self) -> np.ndarray:
        """Costs of the fixed columns: the R + 1 artificials, then (with a box) the R surplus columns."""
        art = np.full(self.R + 1, self.big)
        if self.box is None:
            return art
        art[:self.R] = self.box[1]
        return np.concatenate([art, -self.box[0]])

    def set_box(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """New dual box: only costs change, so HiGHS restarts from the last basis."""
        self.box = (np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))
        if self.h is not None:
            R = self.R
            idx = np.concatenate([np.arange(R), np.arange(R + 1, 2 * R + 1)]).astype(np.int32)
            c = self._fixed_costs()
            self.h.changeColsCost(len(idx), idx, np.concatenate([c[:R], c[R + 1:]]))

    def add(self, rcols: list[np.ndarray], costs: list[float]) -> None:
        """Append columns (each the ascending aggregates it covers) with their costs."""
        if not rcols:
            return
        self.cols.extend(rcols)
        self.costs.extend(costs)
        if self.h is None:
            return
        m = len(rcols)
        lens = np.fromiter((len(c) + 1 for c in rcols), dtype=np.int64, count=m)
        starts = np.zeros(m, dtype=np.int32)
        starts[1:] = np.cumsum(lens)[:-1]
        index = np.concatenate([np.append(c, self.R) for c in rcols]).astype(np.int32)
        self.h.addCols(m, np.asarray(costs, dtype=np.float64), np.zeros(m), np.full(m, self.inf), len(index), starts,
                       index, np.ones(len(index)))

    def drop(self, count: int) -> np.ndarray:
        """Remove up to ``count`` nonbasic real columns of largest reduced cost; their positions (ascending).

        The basis stays valid (only nonbasic columns leave). Only with highspy.
        """
        if self.h is None or count <= 0:
            return np.zeros(0, dtype=np.int64)
        F = self.nfix
        rc = np.asarray(self.h.getSolution().col_dual, dtype=np.float64)[F:]
        status = self.h.getBasis().col_status
        basic = np.array([status[F + j] == self._basic for j in range(len(rc))], dtype=np.bool_)
        rc[basic] = -np.inf
        order = np.argsort(-rc, kind="stable")[:count]
        out = np.sort(order[rc[order] > 0.0])
        if len(out) == 0:
            return out
        self._delete(out)
        return out

    def _delete(self, out: np.ndarray) -> None:
        self.h.deleteCols(len(out), (out + self.nfix).astype(np.int32))
        keep = np.ones(len(self.cols), dtype=np.bool_)
        keep[out] = False
        self.cols = [c for c, kept in zip(self.cols, keep) if kept]
        self.costs = [c for c, kept in zip(self.costs, keep) if kept]

    def _run(self) -> None:
        """One HiGHS solve; its iterations are added to :attr:`iterations`."""
        self.h.run()
        info = self.h.getInfo()
        self.iterations += int(info.simplex_iteration_count + info.ipm_iteration_count
                               + info.crossover_iteration_count)

    def solve(self) -> _LPResult | None:
        """The LP's optimum: (value, x of the real then the artificial columns, duals of the rows); None on failure."""
        R, m = self.R, len(self.cols)
        if self.h is not None:
            self._run()
            if self.h.getModelStatus() != self.ok:
                # A warm start can end in HiGHS's "unknown" status where a cold
                # start solves the same LP (u1060, k = 50, through optimeans.fit:
                # after 8 simplex iterations from the last basis, one dual
                # infeasibility of 1e-5 left, while from scratch it is optimal in
                # 1,711 iterations, 0.3 s). Giving up there ended the LP route
                # at round 12 with no useful bound and the search at a 99.3 % gap.
                self.cold_starts += 1
                self.h.clearSolver()
                self._run()
                if self.h.getModelStatus() != self.ok:
                    return None
            sol = self.h.getSolution()
            x = np.asarray(sol.col_value, dtype=np.float64)
            # the artificial (and surplus) columns come first in the model
            F = self.nfix
            return _LPResult(float(self.h.getInfo().objective_function_value), np.concatenate([x[F:], x[:F]]),
                             np.asarray(sol.row_dual, dtype=np.float64))
        from scipy.optimize import linprog
        from scipy.sparse import csc_matrix

        F = self.nfix
        indptr = np.zeros(m + F + 1, dtype=np.int64)
        lens = [len(cj) + 1 for cj in self.cols] + [1] * F
        indptr[1:] = np.cumsum(lens)
        indices = np.concatenate([np.append(cj, R) for cj in self.cols] + [np.arange(R + 1), np.arange(F - R - 1)])
        data = np.ones(len(indices))
        data[len(indices) - (F - R - 1):] = -1.0  # the surplus columns of the box
        A = csc_matrix((data, indices, indptr), shape=(R + 1, m + F))
        b = np.ones(R + 1)
        b[R] = self.k
        c = np.concatenate([np.asarray(self.costs, dtype=np.float64), self._fixed_costs()])
        res = linprog(
            c, A_eq=A, b_eq=b, bounds=(0, None), method="highs-ds",
            options={"dual_feasibility_tolerance": 1e-10, "primal_feasibility_tolerance": 1e-10, "presolve": False},
        )
        if res.status != 0:
            return None
        return _LPResult(float(res.fun), np.asarray(res.x, dtype=np.float64),
                         np.asarray(res.eqlin.marginals, dtype=np.float64))


def _group_box(pool, inc, g, gx, gw, gconst, k, big):
    """The initial dual box of each group, from the incumbent (CG+DCA's estimate): [what leaving its cluster
    saves, what joining the nearest other cluster costs], widened by ``_BOX_SLACK``; None without an incumbent."""
    n, G = g.shape[0], gx.shape[0]
    if inc is not None and inc.labels is not None:
        rowlab = np.asarray(inc.labels, dtype=np.int64)
    elif pool.n_first:
        rowlab = np.full(n, -1, dtype=np.int64)
        for t, rows in enumerate(pool.rows[:pool.n_first]):
            rowlab[rows] = t
        if np.any(rowlab < 0):
            return None
    else:
        return None
    first = np.full(G, n, dtype=np.int64)
    np.minimum.at(first, g, np.arange(n))
    lab = rowlab[first]
    kk = int(lab.max()) + 1
    W = np.bincount(lab, weights=gw, minlength=kk)
    used = W > 0
    C = np.zeros((kk, gx.shape[1]))
    for f in range(gx.shape[1]):
        C[used, f] = np.bincount(lab, weights=gw * gx[:, f], minlength=kk)[used] / W[used]
    d2 = ((gx[:, None, :] - C[None, :, :]) ** 2).sum(2)
    d2[:, ~used] = np.inf
    rows = np.arange(G)
    rest = W[lab] - gw
    lo = gconst + np.where(rest > 0, gw * W[lab] / np.where(rest > 0, rest, 1.0) * d2[rows, lab], 0.0)
    d2[rows, lab] = np.inf
    j2 = np.argmin(d2, 1)
    near = d2[rows, j2]
    hi = np.where(np.isfinite(near), gconst + gw * W[j2] / (W[j2] + gw) * np.where(np.isfinite(near), near, 0.0), big)
    lo, hi = lo * (1.0 - _BOX_SLACK), hi * (1.0 + _BOX_SLACK)
    lo = np.where(hi < lo, 0.0, lo)
    return lo, hi


def _spread(mu, agg, R, gx, gw, gconst):
    """Multipliers of the groups that sum to each aggregate's dual ``mu``: scatter share plus a weighted rest."""
    aw = np.bincount(agg, weights=gw, minlength=R)
    ax = np.stack([np.bincount(agg, weights=gw * gx[:, f], minlength=R) for f in range(gx.shape[1])], 1) / aw[:, None]
    own = gconst + gw * ((gx - ax[agg]) ** 2).sum(1)
    rest = mu - np.bincount(agg, weights=own, minlength=R)
    return own + rest[agg] * gw / aw[agg]


def _whole(member: np.ndarray, agg: np.ndarray, R: int) -> bool:
    """Whether the set of groups ``member`` is a union of whole aggregates."""
    inside = np.bincount(agg, weights=member.astype(np.float64), minlength=R)
    return bool(np.all((inside == 0) | (inside == np.bincount(agg, minlength=R))))


def _whole_columns(cols: list[np.ndarray], agg: np.ndarray, R: int) -> tuple[list[int], list[np.ndarray]]:
    """The columns (arrays of groups) that are unions of whole aggregates, and the aggregates of each (ascending).

    One sort of all the (column, aggregate) pairs instead of two ``np.unique``
    and a ``bincount`` per column and round (ali535 k = 10: 13 % of the
    route's time in 400,000 small ``np.unique`` calls).
    """
    if not cols:
        return [], []
    lens = np.fromiter((len(c) for c in cols), dtype=np.int64, count=len(cols))
    cid = np.repeat(np.arange(len(cols), dtype=np.int64), lens)
    keys = cid * R + agg[np.concatenate(cols)]
    uniq, cnt = np.unique(keys, return_counts=True)
    ucol, uagg = uniq // R, uniq % R
    broken = np.zeros(len(cols), dtype=np.bool_)
    broken[ucol[cnt != np.bincount(agg, minlength=R)[uagg]]] = True
    keep = np.flatnonzero(~broken)
    lo = np.searchsorted(ucol, keep, side="left")
    hi = np.searchsorted(ucol, keep, side="right")
    return keep.tolist(), [uagg[a:b] for a, b in zip(lo, hi)]


def _refine(agg: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, int]:
    """Split every aggregate into its groups inside ``member`` (bool per group) and outside it."""
    _, out = np.unique(2 * agg + member.astype(np.int64), return_inverse=True)
    out = out.ravel().astype(np.int64)
    return out, int(out.max()) + 1


def _members(col: np.ndarray, G: int) -> np.ndarray:
    member = np.zeros(G, dtype=np.bool_)
    member[col] = True
    return member


def _integral(y: np.ndarray, cols: list[np.ndarray], G: int) -> np.ndarray | None:
    """Labels of the groups when the LP solution ``y`` is a 0/1 partition of them, else None."""
    if np.any(np.minimum(y, 1.0 - y) > 1e-9):
        return None
    labels = np.full(G, -1, dtype=np.int64)
    for t, j in enumerate(np.flatnonzero(y > 0.5)):
        if np.any(labels[cols[j]] >= 0):
            return None
        labels[cols[j]] = t
    return None if np.any(labels < 0) else labels


def _fractional(y: np.ndarray, cols: list[np.ndarray], G: int) -> tuple[int, int] | None:
    """The pair of groups the LP solution ``y`` puts together most fractionally (None: integral)."""
    together = np.zeros((G, G))
    for j in np.flatnonzero(y > 1e-9):
        s = cols[j]
        together[np.ix_(s, s)] += y[j]
    frac = np.minimum(together, 1.0 - together)
    np.fill_diagonal(frac, 0.0)
    if frac.max() <= 1e-7:
        return None
    ga, gb = np.unravel_index(int(np.argmax(frac)), frac.shape)
    return int(ga), int(gb)


def lp_bound(
    X: np.ndarray,
    w: np.ndarray,
    k: int,
    partitions: list[np.ndarray],
    upper: float,
    *,
    deadline: float = np.inf,
    rtol: float = 1e-10,
    max_rounds: int = 500,
    smoothing: float = 0.8,
    max_nodes: int = 200,
    aggregate: bool = True,
    recorder: Any = None,
    progress: Any = None,
) -> tuple[float, dict[str, Any]]:
    """Lower bound of the k-means optimum of planar data by branch and price.

    Column generation solves the LP relaxation at each node; while the bound
    stays below ``upper``, the tree branches on a pair of rows that the LP
    puts together fractionally (same cluster / different clusters).

    Parameters
    ----------
    X : float64 (n, 2), distinct rows; w : float64 (n,), positive weights
    k : int
    partitions : label arrays of good partitions (their clusters seed the LP)
    upper : objective of the best known partition
    deadline : ``time.perf_counter()`` value to stop at
    rtol : a node is closed when its bound is within ``rtol`` of ``upper``
    max_rounds, smoothing : column generation rounds per node, Wentges smoothing
    max_nodes : nodes of the branch-and-price tree at most
    aggregate : dynamic constraint aggregation of the restricted LP (see
        :func:`_solve_node`); False gives every group its own LP row
    recorder : :class:`optimeans.exact.proof.LPRecorder`, optional
        Receives the tree (every node, its branching pair and side, how it
        ended) and, for each node, the multipliers that certify its bound, in
        the units of the data given: :func:`optimeans.exact.verify` rechecks
        each by one exact pricing, without solving an LP.
    progress : callable, optional
        ``progress(incumbent, lower_bound, open_nodes, nodes)`` after every full
        pricing, in the units of the data given: the best partition's value and
        the tree's certified bound at that moment (the least of the open nodes'
        bounds and the current node's), which may be ``-inf`` before the first
        certificate.

    Returns
    -------
    bound : float, a valid lower bound (``-inf`` if none could be certified);
        at least ``upper * (1 - rtol)`` when the tree was closed
    info : dict with ``rounds``, ``columns``, ``nodes``, ``lp_value`` (root
        bound), ``closed`` (tree finished), ``seconds``, ``better``: labels of a
        partition better than ``upper`` found as an integral LP optimum or by
        the integer program over the pool's columns, or None; ``ip_runs``,
        ``ip_seconds``: those integer programs;
        ``lp_rows``: the most rows a restricted LP had (aggregation keeps it
        below the number of rows of X)
    """
    import heapq

    t0 = now()
    X = np.ascontiguousarray(X - (w[:, None] * X).sum(0) / w.sum())  # translation keeps every V(S)
    # Work in units where the weighted RMS distance to the mean is 1: every
    # V(S), multiplier and bound scales by s**2, while HiGHS's tolerances and
    # the pricing's are absolute (on raw coordinates in the thousands, such as
    # pr299 or fl417, the LP otherwise stalls and leaves a negative bound).
    s2 = float((w * (X * X).sum(1)).sum() / w.sum())
    if not (s2 > 0.0 and np.isfinite(s2)):
        s2 = 1.0
    X = X / math.sqrt(s2)
    upper = upper / s2
    n = X.shape[0]
    pool = _Pool(X, w)
    inc = _Incumbent(X, w, upper)
    for t, labels in enumerate(partitions):
        for j in np.unique(labels):
            pool.add(labels == j)
        if t == 0:
            pool.n_first = len(pool.rows)
    heap: list[tuple[float, int, _Node]] = [(-np.inf, 0, _Node((), (), -np.inf))]
    counter = 1
    rounds = 0
    nodes = 0
    root = -np.inf
    better = None
    stopped_bound = np.inf  # bound of a node left unfinished
    closed = False
    lp_rows = 0
    parent_bound = -np.inf

    def report(node_bound: float) -> None:
        # the current node's bound (at least its parent's) and the open nodes' least bound
        low = max(node_bound, parent_bound)
        if heap:
            low = min(low, heap[0][0])
        progress(inc.upper * s2, low * s2, len(heap) + 1, nodes)

    while heap:
        if nodes >= max_nodes or now() > deadline:
            break
        parent_bound, _, node = heapq.heappop(heap)
        if parent_bound >= upper - rtol * max(abs(upper), 1e-300):
            if recorder is not None:
                recorder.leaf(node, "pruned")  # by an ancestor's certificate
            continue
        nodes += 1
        bound, status, pair, part, r, spread, g, center, rows = _solve_node(
            pool, node, k, upper, deadline, rtol, max_rounds, smoothing, aggregate, inc,
            None if progress is None else report)
        if inc.upper < upper:
            upper, better = inc.upper, inc.labels
        rounds += r
        lp_rows = max(lp_rows, rows)
        if recorder is not None and center is not None:
            recorder.certified(node, g, center * s2, bound * s2)
        bound = max(bound, parent_bound)
        if nodes == 1:
            root = bound
        if recorder is not None and status != "fractional":
            recorder.leaf(node, "open" if status == "stopped" else status)
        if status == "integral":
            value = sum(_cost(X, w, part == t) for t in range(k))
            if value < upper:
                upper, better = value, part
                inc.upper, inc.labels = value, part
            continue
        if status in ("pruned", "infeasible"):
            continue
        if status == "stopped":
            stopped_bound = min(stopped_bound, bound)
            break
        a, b = pair
        must = _Node(node.must + ((a, b),), node.cannot, bound, spread, counter)
        cannot = _Node(node.must, node.cannot + ((a, b),), bound, spread, counter + 1)
        if recorder is not None:
            recorder.branch(node, (a, b), must, cannot)
        heapq.heappush(heap, (bound, counter, must))
        heapq.heappush(heap, (bound, counter + 1, cannot))
        counter += 2
    else:
        closed = stopped_bound == np.inf
    open_bounds = [b for b, _, _ in heap]
    if closed:
        lower = upper * (1.0 - rtol) if upper >= 0 else upper * (1.0 + rtol)
    else:
        lower = min(open_bounds + [stopped_bound])
        if nodes == 0:
            lower = -np.inf
    info = {
        "rounds": rounds,
        "columns": len(pool.rows),
        "nodes": nodes,
        "lp_value": root * s2,
        "closed": closed,
        "seconds": now() - t0,
        "better": better,
        "lp_rows": lp_rows,
        "ip_runs": inc.ip_runs,
        "ip_seconds": inc.ip_seconds,
    }
    return float(min(lower, upper) * s2), info


def branch_and_price(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    time_limit: float | None = 60.0,
    random_state: int | np.random.Generator | None = 0,
    n_starts: int = 5,
    n_seeds: int = 100,
    max_nodes: int = 200,
    aggregate: bool = True,
    proof: bool = False,
) -> Any:
    r"""Prove the k-means optimum of planar data by column generation alone (the LP route).

    The incumbent comes from the global search; the clusters of ``n_seeds``
    local optima seed the LP; :func:`lp_bound` then solves the LP relaxation
    with dynamic constraint aggregation at every node of a branch-and-price
    tree (must-link / cannot-link on a pair of rows the LP holds
    fractionally) until the bound meets the incumbent.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
    n_clusters : int, any k >= 1
    sample_weight : array-like of shape (n_samples,), optional
    time_limit : float or None, default 60
    random_state : seed of the heuristic incumbent and the seeding local optima
    n_starts : restarts of the global search
    n_seeds : local searches whose clusters seed the LP
    max_nodes : nodes of the branch-and-price tree at most
    aggregate : dynamic constraint aggregation (False: one LP row per row of X)
    proof : record the tree and each node's multipliers in
        ``info["proof_record"]`` (:func:`optimeans.exact.verify` checks it
        with one exact pricing per certificate)

    Returns
    -------
    Result
        ``method="lp"``; ``proven_optimal`` when the tree closed, else the
        certified ``lower_bound`` and ``gap``; ``info`` holds ``lp_nodes``,
        ``lp_rounds``, ``lp_columns``, ``lp_rows``, ``lp_value`` (root LP),
        ``lp_seconds``.

    Raises
    ------
    ValueError
        Data that are not two-dimensional, bad ``n_clusters`` or time limit.

    Notes
    -----
    :func:`optimeans.exact.branch_and_bound` uses the same bound after a short
    enumeration (``lp=True``); this function is the route on its own, for
    measuring it and for proofs of it.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans.exact.colgen import branch_and_price
    >>> X = np.random.default_rng(0).normal(size=(25, 2))
    >>> r = branch_and_price(X, 3, time_limit=None)
    >>> bool(r.proven_optimal)
    True
    """
    from .._kernels.hartigan import compute_cluster_stats
    from .._validation import check_data, check_n_clusters, check_positive_int, check_random_state, check_sample_weight
    from ..result import HistoryRecorder
    from ..solvers._common import finalize
    from ._partition import RTOL, _compact, _merge_duplicates, _polish
    from .search import global_search, local_optima

    X = check_data(X)
    n, d = X.shape
    if d != 2:
        raise ValueError(f"X must have 2 columns (column generation prices exactly in the plane), got {d}")
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    n_starts = check_positive_int(n_starts, "n_starts")
    n_seeds = check_positive_int(n_seeds, "n_seeds")
    max_nodes = check_positive_int(max_nodes, "max_nodes")
    rng, seed = check_random_state(random_state)
    t0 = now()
    deadline = np.inf if time_limit is None else t0 + float(time_limit)
    Xu, wu, index = _merge_duplicates(np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64))
    m = Xu.shape[0]
    hist = HistoryRecorder(t0)
    info: dict[str, Any] = {"n_distinct": int(m)}
    recorder = None
    if proof:
        from .proof_record import LPRecorder

        rows = np.flatnonzero(index >= 0)
        rep = np.full(m, n, dtype=np.int64)
        np.minimum.at(rep, index[rows], rows)
        recorder = LPRecorder(np.arange(m), rep)
    if m <= k:
        labels_u = np.arange(m, dtype=np.int64)
        best, lower, closed = 0.0, 0.0, True
    else:
        budget = None if time_limit is None else 0.05 * float(time_limit)
        heur, _ = global_search(Xu, wu, k, rng, n_starts=n_starts, time_limit=budget)
        labels_u, best = _polish(Xu, wu, _compact(heur), k)
        # the seeding local searches take at most a tenth of the time limit (in batches of 10)
        starts = [labels_u]
        seed_deadline = np.inf if time_limit is None else t0 + 0.1 * float(time_limit)
        while len(starts) <= n_seeds and now() < seed_deadline:
            batch = local_optima(Xu, wu, k, rng, min(10, n_seeds + 1 - len(starts)))
            starts.extend(batch)
            if not batch:
                break
        lower, lp_info = lp_bound(Xu, wu, k, starts, best, deadline=deadline, rtol=RTOL, max_nodes=max_nodes,
                                  aggregate=aggregate, recorder=recorder)
        if lp_info["better"] is not None:
            labels_u, best = _polish(Xu, wu, _compact(lp_info["better"]), k)
        closed = bool(lp_info["closed"])
        info.update(lp_bound=float(lower), lp_value=lp_info["lp_value"], lp_rounds=lp_info["rounds"],
                    lp_columns=lp_info["columns"], lp_nodes=lp_info["nodes"], lp_rows=lp_info["lp_rows"],
                    lp_seconds=lp_info["seconds"])
    hist.record(best, now(), 1)
    kk = int(labels_u.max()) + 1 if m else 1
    sums, weights, cu = np.zeros((kk, d)), np.zeros(kk), np.zeros((kk, d))
    compute_cluster_stats(Xu, wu, labels_u, sums, weights, cu)
    centers = np.repeat(Xu[:1], k, axis=0) if m else np.zeros((k, d))
    centers[:kk] = cu
    labels = np.empty(n, dtype=np.int64)
    pos = index >= 0
    labels[pos] = labels_u[index[pos]]
    if (~pos).any():
        dist = ((X[~pos, None, :].astype(np.float64) - cu[None, :, :]) ** 2).sum(2)
        labels[~pos] = dist.argmin(1)
    res = finalize(
        X, w, centers.astype(X.dtype), n_iter=int(info.get("lp_nodes", 0)), converged=closed,
        stop_reason="optimal" if closed else "time_limit", history=hist.freeze(), method="lp",
        options={"time_limit": time_limit, "n_starts": n_starts, "n_seeds": n_seeds, "aggregate": aggregate},
        labels=labels, reassign=False, info=info,
    )
    # no certificate yet (-inf): the trivial bound 0 stands, the gap is a number
    lb = min(max(float(lower), 0.0), res.objective) if m > k else res.objective
    gap = 0.0 if res.objective <= 0 else max(0.0, (res.objective - lb) / res.objective)
    proven = bool(closed or gap <= RTOL)
    res = res.replace(proven_optimal=proven, lower_bound=lb, gap=gap, seed=seed)
    if proof:
        from .proof_record import make_proof

        parts = {"lp": max(float(lower), 0.0)} if m > k else {"trivial": 0.0}
        res.info["proof_record"] = make_proof(np.asarray(X, dtype=np.float64), w, k, res, parts,
                                              "lp" if proven else None, None, RTOL, now() - t0, info,
                                              lp_recorder=recorder if m > k else None)
    return res
