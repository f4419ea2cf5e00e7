r"""Exact k-means for small sets: repetitive branch and bound (Brusco 2006).

The search assigns the rows one at a time, in a fixed order, to a cluster
already opened or to a new one. A node's bound is the scatter of the clusters
built so far plus the optimum of the rows not yet assigned, clustered on their
own: a valid bound because within-cluster scatter is superadditive over
disjoint subsets. Those optima come from solving the same problem on the last
``m`` rows for ``m = k + 1, ..., n`` in turn (hence *repetitive*): each stage
supplies the bounds of the next, and the last stage is the whole set.

Every stage starts from a good partition (the restriction of a strong
heuristic solution of the whole set, or the previous stage's optimum extended
by one row, polished by Hartigan transfers) and only looks for strictly better
ones, so most nodes are pruned near the root.

Identical rows are merged into one weighted row first (an optimal partition
never separates identical points), and rows of zero weight are left out of the
search and assigned to their nearest center at the end.

On small planar sets (k >= 4, at most ``LP_PLANE_MAX`` = 100 distinct rows),
and on large ones with small clusters (at least ``LP_PLANE_LARGE`` = 1000
distinct rows, at most ``LP_ROWS_PER_CLUSTER`` = 110 a cluster), a second certificate is tried when a short enumeration does not finish: the
bound of the set-partitioning linear relaxation, by column generation with
exact geometric pricing (:mod:`optimeans.exact.colgen`). It is tight on most
classic small planar sets (Ruspini for every k up to 10 but 8), and then
proves the optimum exactly in seconds where enumeration would take minutes;
when it is not tight, enumeration resumes where it stopped.

Everywhere else (three or more dimensions, other planar sets, planar k < 4)
the search after the short enumeration is a second tree, :mod:`optimeans.exact.sdp_bnb`: Peng-Wei
SDP bounds strengthened by pair and triangle inequalities, each made valid by
an explicit dual point, with must-link / cannot-link branching. It proves the
optimum to within ``gap_tol`` (default 1e-4, relative); when it stops at the
time limit, the reported bound is the least bound of its open nodes, never
less than its root bound.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from .._kernels.branch_bound import solve_stage
from .._kernels.hartigan import compute_cluster_stats, labelled_objective
from .._validation import check_data, check_n_clusters, check_positive_int, check_random_state, check_sample_weight
from ..result import HistoryRecorder, Result
from ..solvers._common import finalize, now
from ..solvers.hartigan import transfer
from ._partition import RTOL, _compact, _merge_duplicates, _polish, _sse

__all__ = ["branch_and_bound", "run"]


#: Share of the time limit the heuristic may use beyond its first start.
HEURISTIC_SHARE = 0.05

#: Seconds of enumeration tried before the LP bound (at most a tenth of the time limit).
ENUM_FIRST = 5.0

#: Local searches whose clusters seed the column generation (on Ruspini, k = 10:
#: 32 rounds instead of 126).
LP_SEED_STARTS = 100

#: Relative gap at which the SDP tree closes a node (see ``gap_tol``).
SDP_GAP_TOL = 1e-4

#: Most distinct rows the SDP tree takes on (dense n x n matrices, O(n^3) per step).
SDP_BNB_MAX = 2000

#: Most distinct planar rows for which ``lp="auto"`` chooses column generation
#: (k >= 4); larger planar sets go to the SDP tree (but see
#: ``LP_ROWS_PER_CLUSTER``). Measured with 30-40 s limits
#: (load 5-6): on Ruspini (75) and german_towns (59) both routes prove k = 4..10
#: in seconds and the LP's proofs are exact (1e-10, the SDP tree's 1e-4); on
#: ch150 the SDP tree is ahead, and on pr299, ali535 and gr666 the LP leaves
#: gaps of 15-100 % where the SDP tree proves the optimum.
LP_PLANE_MAX = 100

#: Larger planar sets go to column generation too when they have at most
#: ``LP_ROWS_PER_CLUSTER`` distinct rows per cluster and at least
#: ``LP_PLANE_LARGE`` distinct rows: there the set-partitioning LP is nearly
#: tight and the SDP tree's nodes are slow. Measured on u1060 (4-minute
#: limits, load 9-11): the LP route's certified gap is 8.5 % at k = 50 and
#: 10.4 % at k = 40 where the SDP root stays at 74.6 % (k = 50); at k = 20 it is
#: 44 % against the SDP root's 32 %, and at k = 10 the SDP root reaches 2.3 %.
#: pr299, fl417, ali535 and gr666 (k <= 10, 30 or more rows a cluster) stay
#: with the SDP tree, which proves them (they have fewer than ``LP_PLANE_LARGE`` rows).
#: With the box stabilization of :mod:`optimeans.exact.colgen` the LP route
#: proved u1060 k = 30 (35.3 rows a cluster) at its root in 185 s (load 1.4,
#: ``benchmarks/bench_lp_route.py --sets u1060 --ks 30 --routes lp``), hence 36
#: (it was 27: k = 30 went to the SDP tree). At k = 20 (53 a cluster) the
#: default ``branch_and_bound`` by the LP route ends its root at a 0.040 % gap
#: (720 s of column generation, HiGHS 524 s, 45,700 columns) and stops there
#: after 1200 s, unproven (3 nodes, 265 rounds, 58,800 columns, load 1-2,
#: ``--sets u1060 --ks 20 --routes bnb --time-limit 1200``), where the SDP
#: tree's root was at 32 % after 240 s: hence 54 (u1060 k = 20..29 change
#: route; larger sets already take the LP, beyond ``SDP_BNB_MAX``). Session 8:
#: with the box's sides moved only where the LP uses them, warm children and
#: early branching, k = 20 is proven in 409 s (23 nodes, 281 rounds; load
#: 1.0-1.8; with the incumbent of ``fit(method="global")``, ``--incumbent-fit``).
#: Session 9: at k = 10 (106 rows a cluster) the LP route ended its root at a
#: 0.016 % gap after 581 s (95 rounds, HiGHS 413 s, pricing 144 s; load
#: 2.6-3.3, ``--sets u1060 --ks 10 --routes bnb --trace``) where the SDP tree
#: stood at 0.214 % after 495 s: hence 110 (u1060 k = 10..19 change route).
#: With the two-part pricing and the children's column management of
#: :mod:`optimeans.exact.colgen`, ``branch_and_bound(X, 10)`` on u1060 proved
#: the optimum in 979 s (7 nodes, 336 rounds; root 492 s; load 1.5-4.1).
LP_ROWS_PER_CLUSTER = 110
LP_PLANE_LARGE = 1000

#: n x n float64 matrices the SDP route holds at its peak: 21 measured inside
#: one node's ADMM (tracemalloc, n = 300 and 600), plus the node's matrix and
#: state kept by the tree; the open nodes' warm starts are capped at 256 MB.
SDP_MATRICES = 24

#: Share of the machine's memory the SDP route may plan to use.
SDP_MEMORY_SHARE = 0.75


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or a smaller cgroup limit."""
    import os

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return int(total)


def sdp_row_limit(memory: int | None = None) -> int:
    """Most distinct rows the SDP route can hold in ``memory`` bytes (default: this machine's).

    ``SDP_MATRICES`` dense n x n float64 matrices plus 256 MB of warm starts
    must fit in ``SDP_MEMORY_SHARE`` of the memory. On a 24 GiB machine: 9,800.
    """
    memory = machine_memory() if memory is None else int(memory)
    budget = SDP_MEMORY_SHARE * memory - 2**28
    return max(0, int(math.isqrt(max(0, int(budget / (8 * SDP_MATRICES))))))


def check_sdp_size(m: int, memory: int | None = None) -> None:
    """Refuse, before allocating, an SDP route over ``m`` distinct rows that would not fit in memory."""
    limit = sdp_row_limit(memory)
    if m > limit:
        need = 8 * SDP_MATRICES * m * m + 2**28
        mem = machine_memory() if memory is None else int(memory)
        raise ValueError(
            f"the SDP route over n = {m} distinct rows needs about {need / 2**30:.1f} GiB "
            f"({SDP_MATRICES} dense n x n float64 matrices); this machine ({mem / 2**30:.1f} GiB) allows "
            f"n <= {limit}. Use sdp=False, or a certificate that scales "
            "(optimeans.certify with method='partition')"
        )

Order = Literal["clusters", "farthest", "natural", "centroid"]


def _order(X: np.ndarray, w: np.ndarray, how: str, labels: np.ndarray) -> np.ndarray:
    """The order in which rows are branched on (``labels``: a good partition of X)."""
    n = X.shape[0]
    if how == "clusters":
        # round robin over the clusters of a good partition, each cluster's rows
        # from the farthest from its mean inward: the first rows spread over
        # every cluster and the suffixes stay balanced
        queues = []
        for j in np.unique(labels):
            idx = np.flatnonzero(labels == j)
            mean = (w[idx, None] * X[idx]).sum(0) / w[idx].sum()
            dist = ((X[idx] - mean) ** 2).sum(1)
            queues.append(idx[np.argsort(-dist, kind="stable")])
        out = np.empty(n, dtype=np.int64)
        pos = 0
        for t in range(max(len(q) for q in queues)):
            for q in queues:
                if t < len(q):
                    out[pos] = q[t]
                    pos += 1
        return out
    if how == "natural":
        return np.arange(n)
    centroid = (w[:, None] * X).sum(0) / w.sum()
    far = ((X - centroid) ** 2).sum(1)
    if how == "centroid":
        return np.argsort(-far, kind="stable")
    if how == "farthest":
        # farthest-first traversal: the rows branched on first are spread out,
        # so that putting two of them together costs much early in the tree
        order = np.empty(n, dtype=np.int64)
        taken = np.zeros(n, dtype=bool)
        first = int(np.argmax(far))
        order[0] = first
        taken[first] = True
        mind = ((X - X[first]) ** 2).sum(1)
        for t in range(1, n):
            cand = np.where(taken, -1.0, mind)
            nxt = int(np.argmax(cand))
            order[t] = nxt
            taken[nxt] = True
            np.minimum(mind, ((X - X[nxt]) ** 2).sum(1), out=mind)
        return order
    raise ValueError(f"order must be 'clusters', 'farthest', 'centroid' or 'natural', got {how!r}")


def _heuristic(X: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, n_starts: int, seconds: float | None) -> np.ndarray:
    """A strong partition of the whole set: the global search of :mod:`optimeans.exact.search`."""
    from .search import global_search

    labels, _ = global_search(X, w, k, rng, n_starts=n_starts, time_limit=seconds)
    return labels


def branch_and_bound(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    time_limit: float | None = 60.0,
    order: Order = "clusters",
    random_state: int | np.random.Generator | None = 0,
    n_starts: int = 5,
    lp: bool | Literal["auto"] = "auto",
    sdp: bool | Literal["auto"] = "auto",
    gap_tol: float = SDP_GAP_TOL,
    proof: bool = False,
    progress: Any = None,
) -> Result:
    r"""Prove the global minimum of the k-means objective on a small set.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : array-like of shape (n_samples,), optional
    time_limit : float or None, default 60
        Seconds before the search stops; the best partition found is then
        returned with ``proven_optimal=False``, a certified ``lower_bound`` and
        the relative ``gap``. ``None`` searches until done.
    order : {"clusters", "farthest", "centroid", "natural"}, default "clusters"
        Order in which rows are branched on: round robin over the clusters of
        the heuristic partition (each from its outermost row inward),
        farthest-first traversal from the row farthest from the centroid,
        decreasing distance to the centroid, or as given.
    random_state : int, Generator or None, default 0
        Seed of the heuristic that supplies the first incumbent (the proof does
        not depend on it, only the running time).
    n_starts : int, default 5
        Restarts of that heuristic (those after the first stop once 5 % of
        ``time_limit`` has passed) (:func:`optimeans.exact.search.global_search`).
    lp : bool or "auto", default "auto"
        For two-dimensional data, try the column-generation bound when a short
        enumeration (``ENUM_FIRST`` = 5 s, at most a tenth of ``time_limit``)
        does not finish. ``"auto"`` does so for ``n_clusters >= 4`` on at most
        ``LP_PLANE_MAX`` = 100 distinct rows, on at least ``LP_PLANE_LARGE`` =
        1000 with at most ``LP_ROWS_PER_CLUSTER`` = 110 a cluster (u1060 with
        k >= 10), or on more rows than the SDP tree takes, or with
        ``sdp=False``: with few large clusters the LP
        relaxation is often loose (the optkmeans sets with k = 2 have gaps
        near 10 %) while enumeration is at its strongest, and on larger
        planar sets the SDP tree proves what the LP leaves at gaps of 15-100 %
        (pr299, ali535, gr666).

    sdp : bool or "auto", default "auto"
        When a short enumeration (as for ``lp``) does not finish, run the
        branch and bound of :mod:`optimeans.exact.sdp_bnb`: Peng-Wei SDP
        bounds strengthened by pair and triangle inequalities, must-link /
        cannot-link branching. ``"auto"`` does so in two or more dimensions
        unless ``lp`` chose column generation (see above), for at most
        ``SDP_BNB_MAX`` distinct rows (and what the machine's memory holds).
    gap_tol : float, default 1e-4
        The SDP tree closes a node when its bound is within this relative
        distance of the incumbent: a result it proves is optimal to within
        ``gap_tol`` (``info["proof"] == "sdp"``, ``gap <= gap_tol``). A
        first-order SDP solver cannot close exact ties; enumeration and the
        LP prove to 1e-10.
    proof : bool, default False
        Record what proves the result in ``info["proof_record"]``: a
        JSON-ready dict (:mod:`optimeans.exact.proof`) with the labels, the
        bounds and, for the SDP tree, every node and the dual points its
        leaves rest on. :func:`optimeans.exact.verify` checks it again without
        searching; :func:`optimeans.exact.proof.save_proof` writes it.
    progress : callable, optional
        ``progress(incumbent, lower_bound, open_nodes, nodes)`` after the
        heuristic, each enumeration stage, each full pricing of the LP route
        and each node of the SDP tree (``open_nodes`` is None outside the
        trees). ``lower_bound`` is the best certified bound at that moment:
        the LP tree's (the least bound of its open nodes and the node being
        solved) as it improves, never below the enumeration's. Never prints itself.

    Returns
    -------
    Result
        ``method="bnb"``. When optimality is proven, ``proven_optimal=True``,
        ``stop_reason="optimal"`` and ``gap <= RTOL = 1e-10``: enumeration
        gives ``lower_bound == objective``, the LP bound a value within that
        relative tolerance. Otherwise ``stop_reason="time_limit"``, with the
        best partition found and the best certified bound. ``info`` holds
        ``proof`` ("enumeration", "lp" or "sdp"), ``nodes`` and ``stage_seconds`` per
        enumeration stage, ``order``, and the LP's ``lp_bound``, ``lp_value``,
        ``lp_rounds``, ``lp_columns``, ``lp_seconds`` when it ran.

    Raises
    ------
    ValueError
        Bad data or ``n_clusters`` (see :func:`optimeans.fit`), negative time
        limit; ``sdp=True`` on more distinct rows than the machine's memory
        holds (:func:`sdp_row_limit`; checked before anything is allocated).

    Notes
    -----
    Worst case exponential, O(k^n); in practice fast when the clusters are
    well separated or ``k`` small. The LP bound costs O(n^3) per pricing
    round (a few hundred rounds at most) plus the LP solves (scipy's HiGHS).
    Memory O(n k + n d) for the enumeration, O(n x columns) for the LP.
    Identical rows are merged first. Single-threaded but for the LP route's
    exact pricing over 200 or more rows (two parts, on two threads when the
    machine has two cores; the parts do not depend on the threads); the result
    is deterministic given ``random_state`` (only the running time, and which
    certificate finishes first, depend on the machine).

    References
    ----------
    Brusco, M. J. (2006). A repetitive branch-and-bound procedure for minimum
    within-cluster sums of squares partitioning. Psychometrika 71(2), 347-363.
    du Merle, O., Hansen, P., Jaumard, B. and Mladenovic, N. (2000). An interior
    point algorithm for minimum sum-of-squares clustering. SIAM J. Sci. Comput. 21(4).
    Aloise, D., Hansen, P. and Liberti, L. (2012). An improved column generation
    algorithm for minimum sum-of-squares clustering. Math. Program. 131.
    Wentges, P. (1997). Weighted Dantzig-Wolfe decomposition for linear mixed-
    integer programming. Int. Trans. Oper. Res. 4(2) (dual smoothing).

    Examples
    --------
    >>> import optimeans
    >>> from optimeans.exact import branch_and_bound
    >>> r = branch_and_bound(optimeans.datasets.load("ruspini"), 4)
    >>> r.proven_optimal, round(r.objective, 6)
    (True, 12881.051236)
    """
    X = check_data(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    _check_route(lp, "lp")
    _check_route(sdp, "sdp")
    if isinstance(gap_tol, bool) or not isinstance(gap_tol, (int, float)) or not 0.0 <= gap_tol < 1.0:
        raise ValueError(f"gap_tol must be a number in [0, 1), got {gap_tol!r}")
    n_starts = check_positive_int(n_starts, "n_starts")
    rng, seed = check_random_state(random_state)
    t0 = now()
    deadline = np.inf if time_limit is None else t0 + float(time_limit)

    Xu, wu, index = _merge_duplicates(X, w)
    m = Xu.shape[0]
    use_lp, use_sdp = _routes(lp, sdp, d, k, m)
    if use_sdp and m > k and (sdp is True or isinstance(sdp, np.bool_)):
        check_sdp_size(m)  # asked for: refused when it cannot fit
    hist = HistoryRecorder(t0)
    info: dict[str, Any] = {"order": order, "n_distinct": int(m)}
    rep = None
    if proof:
        # the data row that stands for each distinct row: its first occurrence
        rows = np.flatnonzero(index >= 0)
        rep = np.full(m, X.shape[0], dtype=np.int64)
        np.minimum.at(rep, index[rows], rows)
    if m <= k:
        labels_u = np.arange(m, dtype=np.int64)
        best_val, lower, finished = 0.0, 0.0, True
        info.update(nodes=[], stage_seconds=[], proof="trivial")
    else:
        best_labels_u, best_val, lower, finished = _search(
            Xu, wu, k, rng, n_starts, order, deadline, info, use_lp=use_lp, use_sdp=use_sdp,
            gap_tol=float(gap_tol), rep=rep, progress=progress,
        )
        labels_u = best_labels_u
    hist.record(best_val, now(), 1)

    kk = int(labels_u.max()) + 1 if m else 1
    centers = np.zeros((k, d))
    sums = np.zeros((kk, d))
    weights = np.zeros(kk)
    cu = np.zeros((kk, d))
    compute_cluster_stats(Xu, wu, labels_u, sums, weights, cu)
    centers[:kk] = cu
    if kk < k:
        # fewer distinct points than clusters: the spare centers repeat a point
        centers[kk:] = Xu[0] if m else 0.0
    labels = np.empty(n, dtype=np.int64)
    pos = index >= 0
    labels[pos] = labels_u[index[pos]]
    if (~pos).any():
        dist = ((X[~pos, None, :].astype(np.float64) - centers[None, :kk, :]) ** 2).sum(2)
        labels[~pos] = dist.argmin(1)
    recorder = info.pop("_recorder", None)
    lp_recorder = info.pop("_lp_recorder", None)
    parts = info.pop("_bound_parts", {"trivial": 0.0})
    stop = "optimal" if finished else ("interrupted" if info.get("interrupted") else "time_limit")
    res = finalize(
        X, w, centers.astype(X.dtype), n_iter=len(info.get("nodes", [])), converged=finished,
        stop_reason=stop, history=hist.freeze(), method="bnb",
        options={"time_limit": time_limit, "order": order, "n_starts": n_starts},
        labels=labels, reassign=False, info=info,
    )
    lb = min(float(lower), res.objective)
    gap = 0.0 if res.objective <= 0 else max(0.0, (res.objective - lb) / res.objective)
    res = res.replace(proven_optimal=finished, lower_bound=lb, gap=gap, seed=seed)
    if proof:
        from .proof_record import make_proof

        rtol = float(gap_tol) if info.get("proof") == "sdp" else RTOL
        record = make_proof(np.asarray(X, dtype=np.float64), w, k, res, parts, info.get("proof"), recorder, rtol,
                            now() - t0, info, lp_recorder=lp_recorder)
        res.info["proof_record"] = record
    return res


class _Stages:
    """The repetitive branch and bound over suffixes, resumable after a deadline.

    Stage ``start`` proves the optimum ``zsuf[start]`` of rows ``start..m-1``
    (in search order); completed stages are kept when a deadline interrupts
    the search, and the interrupted stage starts again on the next call.
    """

    def __init__(self, Xo: np.ndarray, wo: np.ndarray, k: int, heur: np.ndarray) -> None:
        m = Xo.shape[0]
        self.Xo, self.wo, self.k, self.heur = Xo, wo, k, heur
        self.zsuf = np.zeros(m + 1)
        self.stage_labels = np.zeros(m, dtype=np.int64)  # optimal labels of the last solved suffix
        # suffixes of at most k rows: every row its own cluster, optimum 0
        self.stage_labels[m - k:] = np.arange(k)
        self.next_start = m - k - 1
        self.lower = 0.0  # certified bound on the whole problem from the stages so far
        self.nodes: list[int] = []
        self.seconds: list[float] = []
        self.partial: tuple[np.ndarray, float] | None = None  # a full partition from an interrupted last stage
        self.on_stage: Any = None  # called with no argument after each completed stage (progress)

    @property
    def finished(self) -> bool:
        return self.next_start < 0

    def run(self, deadline: float) -> bool:
        Xo, wo, k, m = self.Xo, self.wo, self.k, self.Xo.shape[0]
        work = np.zeros(m, dtype=np.int64)
        while self.next_start >= 0:
            start = self.next_start
            ts = now()
            if ts > deadline:
                self.lower = max(self.lower, float(self.zsuf[start + 1]))
                return False
            sub = slice(start, m)
            ext = self.stage_labels[sub].copy()
            ext[0] = _cheapest(Xo[sub], wo[sub], ext, k)
            ub_labels, ub = None, np.inf
            for lab in (ext, _compact(self.heur[sub])):
                lab, val = _polish(Xo[sub], wo[sub], lab, k)
                if val < ub:
                    ub_labels, ub = lab, val
            val, found, done, low, n_nodes = solve_stage(Xo, wo, start, k, self.zsuf, ub, RTOL, deadline, work)
            self.nodes.append(int(n_nodes))
            self.seconds.append(now() - ts)
            if not done:
                # suffix optima bound the whole problem from below
                self.lower = max(self.lower, float(self.zsuf[start + 1]), float(low))
                if start == 0 and found:
                    self.partial = (work.copy(), _sse(Xo, wo, work, k))
                return False
            self.stage_labels[sub] = work[sub] if found else ub_labels
            self.zsuf[start] = val if found else ub
            self.lower = max(self.lower, float(self.zsuf[start]))
            self.next_start = start - 1
            if self.on_stage is not None:
                self.on_stage()
        return True


def _check_route(value: Any, name: str) -> None:
    if isinstance(value, str) and value == "auto":
        return
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True, False or 'auto', got {value!r}")


def _routes(lp: Any, sdp: Any, d: int, k: int, m: int) -> tuple[bool, bool]:
    """(use the LP bound, use the SDP tree) for ``m`` distinct rows in ``d`` dimensions.

    Explicit choices are followed (the LP only in the plane, the SDP tree from
    two dimensions on). ``"auto"``: the LP for planar data with ``k >= 4`` and
    at most ``LP_PLANE_MAX`` distinct rows, or at least ``LP_PLANE_LARGE``
    rows and at most ``LP_ROWS_PER_CLUSTER`` a cluster, or more rows than the
    SDP tree takes (or ``sdp=False``); the SDP tree otherwise, in two or more
    dimensions, when it takes ``m`` rows (``SDP_BNB_MAX``, the machine's memory)
    and the LP was not chosen for ``k >= 4``.
    """
    sdp_fits = m <= min(SDP_BNB_MAX, sdp_row_limit())
    sdp_asked = None if isinstance(sdp, str) else bool(sdp)
    if isinstance(lp, str):
        many_clusters = m >= LP_PLANE_LARGE and m <= LP_ROWS_PER_CLUSTER * k
        use_lp = (d == 2 and k >= 4 and sdp_asked is not True
                  and (m <= LP_PLANE_MAX or many_clusters or not sdp_fits or sdp_asked is False))
    else:
        use_lp = bool(lp) and d == 2
    if isinstance(sdp, str):
        use_sdp = sdp_fits and (d >= 3 or (d == 2 and not (use_lp and k >= 4)))
    else:
        use_sdp = bool(sdp) and d >= 2
    return use_lp, use_sdp


def _search(Xu, wu, k, rng, n_starts, order, deadline, info, use_lp, use_sdp=False, gap_tol=SDP_GAP_TOL, rep=None,
            progress=None):
    """Heuristic, then enumeration, the LP bound (in the plane) and the SDP tree.

    Returns (labels of Xu, value, lower bound, proven). With ``rep`` (the
    data row of each distinct row) the SDP tree is recorded for a proof
    (``info["_recorder"]``); ``info["_bound_parts"]`` names each bound. Ctrl-C
    after the heuristic stops the search with what it has
    (``info["interrupted"]``).
    """
    m = Xu.shape[0]
    budget = None if deadline == np.inf else HEURISTIC_SHARE * max(0.0, deadline - now())
    heur = _heuristic(Xu, wu, k, rng, n_starts, budget)
    perm = _order(Xu, wu, order, heur)
    Xo = np.ascontiguousarray(Xu[perm])
    wo = np.ascontiguousarray(wu[perm])
    heur, heur_val = _polish(Xo, wo, _compact(heur[perm]), k)
    stages = _Stages(Xo, wo, k, heur)
    try:
        return _bound_search(Xu, wu, k, rng, deadline, info, use_lp, use_sdp, gap_tol, rep, progress, perm, Xo, wo,
                             heur, heur_val, stages, m)
    except KeyboardInterrupt:
        # the heuristic's partition and the bounds of the completed stages stand
        info["interrupted"] = True
        info.update(nodes=stages.nodes, stage_seconds=stages.seconds)
        info["_bound_parts"] = {"enumeration": float(stages.lower)}
        labels_u = np.empty(m, dtype=np.int64)
        labels_u[perm] = _compact(heur)
        return labels_u, float(heur_val), float(min(stages.lower, heur_val)), False


def _bound_search(Xu, wu, k, rng, deadline, info, use_lp, use_sdp, gap_tol, rep, progress, perm, Xo, wo, heur,
                  heur_val, stages, m):
    """The bounding part of :func:`_search` (after the heuristic)."""
    def report(open_nodes=None, nodes=0, lower=None):
        if progress is not None:
            progress(float(heur_val), float(stages.lower if lower is None else lower), open_nodes, nodes)

    report()
    stages.on_stage = report
    lp_lower = -np.inf
    lp_closed = False  # the LP route's tree closed on the incumbent (a proof, whatever the last bits of the bound)
    t0 = now()
    if use_lp:
        # a short enumeration first: it settles easy cases faster than the LP
        first = t0 + min(ENUM_FIRST, max(0.0, deadline - t0) * 0.1)
        stages.run(min(first, deadline))
        if not stages.finished and now() < deadline:
            from .colgen import lp_bound

            from .search import local_optima

            starts = [heur, *local_optima(Xo, wo, k, rng, LP_SEED_STARTS)]
            lp_rec = None
            if rep is not None:
                from .proof_record import LPRecorder

                lp_rec = info["_lp_recorder"] = LPRecorder(perm, rep)

            def lp_progress(inc, low, open_nodes, nodes):
                # the LP tree's bound as it improves, never below what the enumeration proved
                progress(min(inc, heur_val), max(low, stages.lower), open_nodes, nodes)

            lp_lower, lp_info = lp_bound(Xo, wo, k, starts, heur_val, deadline=deadline, rtol=RTOL,
                                         recorder=lp_rec, progress=lp_progress if progress is not None else None)
            info.update(lp_bound=float(lp_lower), lp_value=lp_info["lp_value"], lp_rounds=lp_info["rounds"],
                        lp_columns=lp_info["columns"], lp_nodes=lp_info["nodes"], lp_seconds=lp_info["seconds"])
            lp_closed = bool(lp_info["closed"])
            if lp_info["better"] is not None:
                # an integral LP optimum or the master IP's partition below the heuristic's value
                heur = _compact(lp_info["better"])
                heur_val = _sse(Xo, wo, heur, k)
            report(open_nodes=None, lower=max(stages.lower, lp_lower))
    # the closed tree's bound is the incumbent's value * (1 - RTOL) in the LP's scaled units; the value
    # recomputed here may differ in its last bits (u1060, k = 50: the gap 1.00e-10 read as unproven, and
    # the enumeration then ran to the time limit)
    proven_by_lp = lp_closed or lp_lower >= heur_val * (1.0 - RTOL)
    sdp_lower, proven_by_sdp = -np.inf, False
    if use_sdp and not stages.finished and not proven_by_lp:
        first = t0 + min(ENUM_FIRST, max(0.0, deadline - t0) * 0.1)
        stages.run(min(first, deadline))
        if not stages.finished and now() < deadline:
            from .sdp_bnb import sdp_search

            recorder = None
            if rep is not None:
                from .proof_record import TreeRecorder

                recorder = info["_recorder"] = TreeRecorder(perm, rep, max_bytes=machine_memory() // 10)
            others = max(stages.lower, lp_lower)

            def tree_progress(inc, low, open_nodes, nodes):
                progress(inc, max(low, others), open_nodes, nodes)

            lab_s, val_s, sdp_lower, proven_by_sdp, sinfo = sdp_search(
                Xo, wo, k, heur, heur_val, deadline=deadline, rtol=gap_tol, rng=rng, recorder=recorder,
                progress=tree_progress if progress is not None else None,
            )
            info.update(sinfo)
            if val_s < heur_val:
                heur, heur_val = _compact(lab_s), val_s
    if not proven_by_lp and not proven_by_sdp and not stages.finished and not info.get("interrupted"):
        try:
            stages.run(deadline)
        except KeyboardInterrupt:
            info["interrupted"] = True
    info.update(nodes=stages.nodes, stage_seconds=stages.seconds)
    parts = {"enumeration": float(stages.zsuf[0]) if stages.finished else float(stages.lower)}
    if lp_lower > -np.inf:
        parts["lp"] = float(lp_lower)
    if sdp_lower > -np.inf:
        parts["sdp"] = float(sdp_lower)
    info["_bound_parts"] = parts
    if stages.finished:
        best_full, best_val, lower, proven = stages.stage_labels, float(stages.zsuf[0]), float(stages.zsuf[0]), True
        info["proof"] = "enumeration"
    else:
        best_full, best_val = heur, heur_val
        if stages.partial is not None and stages.partial[1] < best_val:
            best_full, best_val = stages.partial
        lower = max(stages.lower, lp_lower, sdp_lower)
        proven = lower >= best_val * (1.0 - RTOL) or (proven_by_lp and best_val <= heur_val)
        if proven:
            info["proof"] = "lp" if lp_lower >= sdp_lower else "sdp"
        elif proven_by_sdp and sdp_lower >= best_val * (1.0 - gap_tol) * (1.0 - 1e-12):
            proven = True
            info["proof"] = "sdp"
            info["gap_tol"] = gap_tol
    labels_u = np.empty(m, dtype=np.int64)
    labels_u[perm] = _compact(best_full)
    return labels_u, float(best_val), float(min(lower, best_val)), proven


def _cheapest(X: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> int:
    """Cluster whose insertion cost for row 0 (given rows 1.. labelled) is least."""
    rest = labels[1:]
    best, best_c = np.inf, 0
    for c in range(k):
        mask = rest == c
        if not mask.any():
            return c  # an empty cluster takes it for free
        wc = w[1:][mask].sum()
        mean = (w[1:][mask, None] * X[1:][mask]).sum(0) / wc
        cost = wc * w[0] / (wc + w[0]) * float(((X[0] - mean) ** 2).sum())
        if cost < best:
            best, best_c = cost, c
    return best_c


def run(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Any = None,
    time_limit: float | None = 60.0,
    order: Order = "clusters",
    lp: bool | Literal["auto"] = "auto",
    sdp: bool | Literal["auto"] = "auto",
    gap_tol: float = SDP_GAP_TOL,
    proof: bool = False,
) -> Result:
    """Solver-registry entry ``method="bnb"``: :func:`branch_and_bound` on ``X``.

    ``centers_init``, ``max_iter``, ``tol`` and ``n_threads`` do not apply (the
    search proves the optimum whatever the start); ``rng`` seeds the heuristic
    incumbent. Every restart of ``fit`` gives the same optimum, so use ``n_init=1``.
    A ``callback`` with a ``bounds`` method (the command line's progress line)
    is given the incumbent, the bound and the open nodes as the search runs.
    """
    seed = None if rng is None else int(rng.integers(2**63 - 1))
    res = branch_and_bound(
        X, centers_init.shape[0], sample_weight=sample_weight, time_limit=time_limit,
        order=order, random_state=seed, lp=lp, sdp=sdp, gap_tol=gap_tol, proof=proof,
        progress=getattr(callback, "bounds", None),
    )
    if callback is not None:
        callback(1, res.objective)
    return res
