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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._kernels.colgen import price_plane
from ..solvers._common import now

__all__ = ["lp_bound"]

#: A node's column generation stops once the certified bound is within this
#: fraction of the remaining gap (upper - bound) of the restricted LP's value.
_SETTLED = 1e-3

#: Columns added per pricing round at most.
_BATCH = 50


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

    def add(self, member: np.ndarray) -> bool:
        key = np.packbits(member).tobytes()
        if key in self.keys or not member.any():
            return False
        self.keys.add(key)
        self.rows.append(np.flatnonzero(member))
        self.cost.append(_cost(self.X, self.w, member))
        return True


class _Node:
    """A node of the branch-and-price tree: must-link and cannot-link pairs of rows (Ryan & Foster 1981)."""

    def __init__(
        self,
        must: tuple[tuple[int, int], ...],
        cannot: tuple[tuple[int, int], ...],
        bound: float,
        lam: np.ndarray | None = None,
    ) -> None:
        # lam: the parent's best multipliers spread over the rows, a warm start
        self.must, self.cannot, self.bound, self.lam = must, cannot, bound, lam


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


def _solve_node(pool, node, k, upper, deadline, rtol, max_rounds, smoothing):
    """Column generation at one node.

    Returns (bound, status, pair, partition, rounds, multipliers per row):
    ``status`` is "pruned"
    (bound within ``rtol`` of ``upper``), "integral" (the LP optimum is a
    partition; ``partition`` holds its labels), "fractional" (branch on the
    rows ``pair``), "infeasible" or "stopped" (deadline or round limit).
    """
    from scipy.optimize import linprog
    from scipy.sparse import csc_matrix

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
        return np.inf, "infeasible", None, None, 0, None
    if G < k:
        return np.inf, "infeasible", None, None, 0, None
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
        top_val = np.full(_BATCH, -np.inf)
        top_set = np.zeros((_BATCH, G), dtype=np.bool_)
        value, exact = price_plane(gxc, gw, lam - gconst, conf_a, conf_b, top_val, top_set)
        return value, top_val, top_set, exact

    def certify(lam, value, exact):
        nonlocal best, center, spread
        if not exact:
            return
        lb = float(lam.sum() - k * value)
        lb -= 1e-12 * (abs(lam).sum() + k * abs(value))  # rounding of the sums above
        if lb > best:
            best, center = lb, lam.copy()
            spread = (lam / gsize)[g]

    def add_columns(top_val, top_set, lam_lp, sigma):
        added = 0
        for t in np.argsort(-top_val):
            if top_val[t] == -np.inf:
                continue
            member = top_set[t]
            rows_member = member[g]
            rc = _cost(X, w, rows_member) - lam_lp[member].sum() - sigma
            if rc < -1e-9 * scale and add_group_set(member.copy()):
                added += 1
        return added

    if node.lam is not None:
        # the parent's multipliers stay valid here and only price out fewer sets
        lam0 = np.bincount(g, weights=node.lam, minlength=G)
        value, _, _, exact = price(lam0)
        certify(lam0, value, exact)
        if best >= upper - rtol * scale:
            return best, "pruned", None, None, 0, spread
    res = None
    status = "stopped"
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        m = len(cols)
        # real columns, then an artificial column per group and one for the cardinality row
        indptr = np.zeros(m + G + 2, dtype=np.int64)
        lens = [len(c) + 1 for c in cols] + [1] * (G + 1)
        indptr[1:] = np.cumsum(lens)
        indices = np.concatenate([np.append(c, G) for c in cols] + [np.arange(G + 1)]) if m else np.arange(G + 1)
        A = csc_matrix((np.ones(len(indices)), indices, indptr), shape=(G + 1, m + G + 1))
        b = np.ones(G + 1)
        b[G] = k
        c = np.concatenate([np.asarray(costs), np.full(G + 1, big)])
        res = linprog(
            c, A_eq=A, b_eq=b, bounds=(0, None), method="highs-ds",
            options={"dual_feasibility_tolerance": 1e-10, "primal_feasibility_tolerance": 1e-10, "presolve": False},
        )
        if res.status != 0:
            return best, "stopped", None, None, rounds, spread
        duals = np.asarray(res.eqlin.marginals, dtype=np.float64)
        lam_lp, sigma = duals[:G].copy(), float(duals[G])
        lam = lam_lp if center is None else smoothing * center + (1.0 - smoothing) * lam_lp
        value, top_val, top_set, exact = price(lam)
        certify(lam, value, exact)
        if best >= upper - rtol * scale:
            return best, "pruned", None, None, rounds, spread
        if float(res.fun) - best <= _SETTLED * (upper - best) and _fractional(res.x[: len(cols)], cols, G) is not None:
            # the restricted LP's value is (nearly) certified: it is the node's LP
            # bound, and more columns would only shuffle its degenerate duals
            status = "converged"
            break
        added = add_columns(top_val, top_set, lam_lp, sigma)
        if added == 0 and center is not None:
            value, top_val, top_set, exact = price(lam_lp)
            certify(lam_lp, value, exact)
            if best >= upper - rtol * scale:
                return best, "pruned", None, None, rounds, spread
            added = add_columns(top_val, top_set, lam_lp, sigma)
        if added == 0:
            status = "converged"
            break
        if now() > deadline:
            return best, "stopped", None, None, rounds, spread
    if status != "converged":
        return best, "stopped", None, None, rounds, spread
    y = res.x[: len(cols)]
    if np.any(res.x[len(cols):] > 1e-9):
        return best, "stopped", None, None, rounds, spread  # artificial columns still in use: no certificate to branch on
    gpair = _fractional(y, cols, G)
    if gpair is None:
        labels_g = np.full(G, -1, dtype=np.int64)
        for t, j in enumerate(np.flatnonzero(y > 0.5)):
            labels_g[cols[j]] = t
        return best, "integral", None, labels_g[g], rounds, spread
    ga, gb = gpair
    pair = (int(np.flatnonzero(g == ga)[0]), int(np.flatnonzero(g == gb)[0]))
    return best, "fractional", pair, None, rounds, spread


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

    Returns
    -------
    bound : float, a valid lower bound (``-inf`` if none could be certified);
        at least ``upper * (1 - rtol)`` when the tree was closed
    info : dict with ``rounds``, ``columns``, ``nodes``, ``lp_value`` (root
        bound), ``closed`` (tree finished), ``seconds``, ``better``: labels of a
        partition better than ``upper`` found as an integral LP optimum, or None
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
    for labels in partitions:
        for j in np.unique(labels):
            pool.add(labels == j)
    heap: list[tuple[float, int, _Node]] = [(-np.inf, 0, _Node((), (), -np.inf))]
    counter = 1
    rounds = 0
    nodes = 0
    root = -np.inf
    better = None
    stopped_bound = np.inf  # bound of a node left unfinished
    closed = False
    while heap:
        if nodes >= max_nodes or now() > deadline:
            break
        parent_bound, _, node = heapq.heappop(heap)
        if parent_bound >= upper - rtol * max(abs(upper), 1e-300):
            continue
        nodes += 1
        bound, status, pair, part, r, spread = _solve_node(pool, node, k, upper, deadline, rtol, max_rounds, smoothing)
        rounds += r
        bound = max(bound, parent_bound)
        if nodes == 1:
            root = bound
        if status == "integral":
            value = sum(_cost(X, w, part == t) for t in range(k))
            if value < upper:
                upper, better = value, part
            continue
        if status in ("pruned", "infeasible"):
            continue
        if status == "stopped":
            stopped_bound = min(stopped_bound, bound)
            break
        a, b = pair
        heapq.heappush(heap, (bound, counter, _Node(node.must + ((a, b),), node.cannot, bound, spread)))
        heapq.heappush(heap, (bound, counter + 1, _Node(node.must, node.cannot + ((a, b),), bound, spread)))
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
    }
    return float(min(lower, upper) * s2), info
