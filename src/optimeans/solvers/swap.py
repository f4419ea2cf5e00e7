r"""Split-merge swaps: move centers from where they are wasted to where they are missing.

k-means++ followed by Lloyd typically ends in a local minimum of one shape:
two centers share one true cluster while one center covers two. No
single-point move (Lloyd's or Hartigan's) can leave it; moving a *center* can.
A swap takes the center ``j`` whose cluster is cheapest to merge into its
neighbour ``l`` and gives it to the cluster ``m`` that gains most from a split:

- merging ``j`` into ``l`` (both points sets to their common mean) raises the
  objective by Ward's cost :math:`\frac{W_j W_l}{W_j + W_l} \lVert c_j - c_l \rVert^2`;
- splitting ``m`` by 2-means on its own points lowers it by
  :math:`G_m = E_m - E_m^{(2)}` (within-cluster sums of squares).

On the partition so changed (other points keep their cluster) the objective
moves by exactly ``cost - G_m``, so a swap with ``G_m > cost`` is a descent,
and swaps on disjoint clusters add up. All profitable disjoint swaps are made
at once, then the solver runs again from the new centers (warm: a few
iterations) and can only go lower; the round is kept when its final objective
is lower, and rounds repeat while they help (at most ``rounds``). It is the
center-relocation move of I-k-means-+ (Ismkhan 2018) and breathing k-means
(Fritzke 2020), but with the gain and the cost computed exactly from cluster
statistics instead of trial runs, so one round costs one pass over the data
for the statistics, a 2-means on a few clusters' points and one warm solver
run, far less than another k-means++ start.

Used by ``optimeans.fit(..., refine="swap")`` and, by default,
``refine="auto"`` (:func:`optimeans._plan.resolve_refine`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numba import njit
from ..result import History, Result
from .hartigan import _join_extra

__all__ = ["refine", "swap_centers", "split_gains", "merge_costs"]

#: Rounds of swaps at most (each one statistics pass plus one warm solver run).
ROUNDS = 3

#: 2-means iterations inside one cluster when measuring its split gain.
SPLIT_ITER = 10

#: Rows of a cluster (about) on which that 2-means runs; the gain is then
#: measured exactly on all its rows.
SPLIT_SAMPLE = 1024

#: Relative margin a swap must gain (of the objective) to be made: below it
#: rounding could make a swap look profitable.
MARGIN = 1e-9


@njit
def _stats(X, w, labels, k):  # pragma: no cover - compiled
    n, d = X.shape
    W = np.zeros(k)
    M = np.zeros((k, d))
    for i in range(n):
        j = labels[i]
        W[j] += w[i]
        for f in range(d):
            M[j, f] += w[i] * X[i, f]
    for j in range(k):
        if W[j] > 0:
            for f in range(d):
                M[j, f] /= W[j]
    E = np.zeros(k)
    for i in range(n):
        j = labels[i]
        s = 0.0
        for f in range(d):
            t = X[i, f] - M[j, f]
            s += t * t
        E[j] += w[i] * s
    return W, M, E


# ------------------------------------------------------------------ NumPy mirrors for small problems
#
# On problems small enough for the NumPy path (:func:`optimeans._nocompile.is_small`)
# the swaps must not compile anything either: these mirror the kernels above
# operation for operation (``np.add.at`` and ``np.cumsum`` add in row order,
# feature sums run feature by feature), so they give the kernels' bits.


def _stats_np(X, w, labels, k):
    n, d = X.shape
    x = X.astype(np.float64)
    W = np.zeros(k)
    np.add.at(W, labels, w)
    M = np.zeros((k, d))
    np.add.at(M, labels, w[:, None] * x)
    ok = W > 0
    M[ok] /= W[ok, None]
    s = np.zeros(n)
    for f in range(d):
        t = x[:, f] - M[labels, f]
        s += t * t
    E = np.zeros(k)
    np.add.at(E, labels, w * s)
    return W, M, E


def _group_np(labels, k):
    order = np.argsort(labels, kind="stable").astype(np.int64)
    start = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(labels, minlength=k), out=start[1:])
    return order, start


def _sq_to(x, c):
    s = np.zeros(x.shape[0])
    for f in range(x.shape[1]):
        t = x[:, f] - c[f]
        s += t * t
    return s


def _two_means_np(X, w, rows, u0, u1, n_iter, sub):
    m = rows.shape[0]
    d = X.shape[1]
    step = max(1, m // sub)
    C = np.zeros((2, d))
    sr = rows[::step]
    xs = X[sr].astype(np.float64)
    ws = w[sr]
    total = float(np.cumsum(ws)[-1])
    if not total > 0:
        return np.inf, C
    mean = np.zeros(d)
    for f in range(d):
        mean[f] = np.cumsum(ws * xs[:, f])[-1] / total
    for c in range(2):
        ref = mean.copy() if c == 0 else C[0].copy()
        dist = np.cumsum(ws * _sq_to(xs, ref))
        acc = float(dist[-1])
        if not acc > 0:
            return np.inf, C
        target = (u0 if c == 0 else u1) * acc
        above = np.flatnonzero(dist > target)
        pick = int(above[0]) if above.size else len(sr) - 1
        C[c] = xs[pick]
    side = np.full(len(sr), -1, dtype=np.int8)

    def sides_and_sums(x, wx):
        s = (_sq_to(x, C[1]) < _sq_to(x, C[0])).astype(np.int8)
        wt = np.zeros(2)
        np.add.at(wt, s, wx)
        sums = np.zeros((2, d))
        np.add.at(sums, s, wx[:, None] * x)
        return s, wt, sums

    for _ in range(n_iter):
        s, wt, sums = sides_and_sums(xs, ws)
        changed = bool((s != side).any())
        side = s
        if not (wt[0] > 0 and wt[1] > 0):
            return np.inf, C
        C = sums / wt[:, None]
        if not changed:
            break
    x = X[rows].astype(np.float64)
    wr = w[rows]
    full, wt, sums = sides_and_sums(x, wr)
    if not (wt[0] > 0 and wt[1] > 0):
        return np.inf, C
    C = sums / wt[:, None]
    acc = np.zeros(m)
    for f in range(d):
        t = x[:, f] - C[full, f]
        acc += t * t
    return float(np.cumsum(wr * acc)[-1]), C


def _small(X: np.ndarray, k: int) -> bool:
    from .._nocompile import is_small

    return is_small(X.shape[0], int(k), X.shape[1])


def cluster_stats(X: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights W, means M, within sums of squares E) of the partition, in float64.

    Summed serially in row order: the same bits on any number of threads.
    """
    stats = _stats_np if _small(X, k) else _stats
    return stats(X, w, np.asarray(labels, dtype=np.int64), int(k))


def merge_costs(W: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every cluster j: Ward's cost of merging it into its cheapest partner, and that partner.

    Empty clusters cost 0 (their center is free) and are nobody's partner. Computed in row blocks of the
    k x k table (float64; one BLAS product per block, which :func:`optimeans.fit`
    runs on one BLAS thread: the same bits on any ``n_threads``).
    """
    k = W.shape[0]
    cost = np.full(k, np.inf)
    partner = np.full(k, -1, dtype=np.int64)
    if k < 2:
        return cost, partner
    sq = np.einsum("ij,ij->i", M, M)
    empty = W <= 0
    block = max(1, (1 << 22) // k)
    for a in range(0, k, block):
        b = min(k, a + block)
        D = sq[a:b, None] + sq[None, :] - 2.0 * (M[a:b] @ M.T)
        np.maximum(D, 0.0, out=D)
        Wa = W[a:b, None]
        C = Wa * W[None, :] / np.maximum(Wa + W[None, :], 1e-300) * D
        C[np.arange(b - a), np.arange(a, b)] = np.inf
        C[:, empty] = np.inf  # an empty cluster is no partner (its center is free already)
        partner[a:b] = np.argmin(C, axis=1)
        cost[a:b] = C[np.arange(b - a), partner[a:b]]
    cost[W <= 0] = 0.0
    return cost, partner


@njit
def _group(labels, k):  # pragma: no cover - compiled
    """Row indices grouped by label (a counting sort, rows in increasing order) and each group's start."""
    n = labels.shape[0]
    start = np.zeros(k + 1, dtype=np.int64)
    for i in range(n):
        start[labels[i] + 1] += 1
    for j in range(k):
        start[j + 1] += start[j]
    fill = start[:k].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        j = labels[i]
        order[fill[j]] = i
        fill[j] += 1
    return order, start


@njit(inline="always")
def _nearer(X, i, C):  # pragma: no cover - compiled
    """1 when row ``i`` is strictly nearer ``C[1]`` than ``C[0]`` (float64 sums in feature order), else 0."""
    d0 = 0.0
    d1 = 0.0
    for f in range(X.shape[1]):
        t0 = X[i, f] - C[0, f]
        t1 = X[i, f] - C[1, f]
        d0 += t0 * t0
        d1 += t1 * t1
    return 1 if d1 < d0 else 0


@njit
def _two_means(X, w, rows, u0, u1, n_iter, sub):  # pragma: no cover - compiled
    """Split the rows ``rows`` of X in two; returns (the split's sum of squares, its two means).

    The two centers are found by 2-means on at most about ``sub`` of the rows
    (every ``step``-th), seeded by k-means++ from their mean with the uniforms
    ``u0`` and ``u1``; then every row goes to the nearer of them, and the sum
    of squares is that of this partition to its own means: exact, whatever the
    subsample. The sum is inf when a side is empty. Serial, float64 sums in
    row order.
    """
    m = rows.shape[0]
    d = X.shape[1]
    step = max(1, m // sub)
    ms = (m + step - 1) // step
    C = np.zeros((2, d))
    mean = np.zeros(d)
    total = 0.0
    for r in range(0, m, step):
        i = rows[r]
        total += w[i]
        for f in range(d):
            mean[f] += w[i] * X[i, f]
    if not total > 0:
        return np.inf, C
    for f in range(d):
        mean[f] /= total
    # k-means++ inside the cluster: a by D^2 from the mean, b by D^2 from a
    dist = np.empty(ms)
    for c in range(2):
        ref = mean.copy() if c == 0 else C[0].copy()
        acc = 0.0
        for q in range(ms):
            i = rows[q * step]
            s = 0.0
            for f in range(d):
                t = X[i, f] - ref[f]
                s += t * t
            acc += w[i] * s
            dist[q] = acc
        if not acc > 0:
            return np.inf, C
        target = (u0 if c == 0 else u1) * acc
        pick = ms - 1
        for q in range(ms):
            if dist[q] > target:
                pick = q
                break
        for f in range(d):
            C[c, f] = X[rows[pick * step], f]
    sums = np.zeros((2, d))
    wt = np.zeros(2)
    side = np.full(ms, -1, dtype=np.int8)
    for _ in range(n_iter):
        changed = False
        sums[:] = 0.0
        wt[:] = 0.0
        for q in range(ms):
            i = rows[q * step]
            s = _nearer(X, i, C)
            if s != side[q]:
                changed = True
                side[q] = s
            wt[s] += w[i]
            for f in range(d):
                sums[s, f] += w[i] * X[i, f]
        if not (wt[0] > 0 and wt[1] > 0):
            return np.inf, C
        for c in range(2):
            for f in range(d):
                C[c, f] = sums[c, f] / wt[c]
        if not changed:
            break
    # every row to the nearer center, then the partition's means and sum of squares
    full = np.empty(m, dtype=np.int8)
    sums[:] = 0.0
    wt[:] = 0.0
    for r in range(m):
        i = rows[r]
        s = _nearer(X, i, C)
        full[r] = s
        wt[s] += w[i]
        for f in range(d):
            sums[s, f] += w[i] * X[i, f]
    if not (wt[0] > 0 and wt[1] > 0):
        return np.inf, C
    for c in range(2):
        for f in range(d):
            C[c, f] = sums[c, f] / wt[c]
    sse = 0.0
    for r in range(m):
        i = rows[r]
        s = full[r]
        acc = 0.0
        for f in range(d):
            t = X[i, f] - C[s, f]
            acc += t * t
        sse += w[i] * acc
    return sse, C


def split_gains(
    X: np.ndarray, w: np.ndarray, labels: np.ndarray, E: np.ndarray, candidates: np.ndarray, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Gain of splitting each candidate cluster in two (see :func:`_two_means`), and the two centers."""
    small = _small(X, E.shape[0])
    order, start = (_group_np if small else _group)(np.asarray(labels, dtype=np.int64), E.shape[0])
    two_means = _two_means_np if small else _two_means
    gains = np.zeros(len(candidates))
    halves = np.zeros((len(candidates), 2, X.shape[1]))
    u = rng.random((len(candidates), 2))
    for i, m in enumerate(candidates):
        rows = order[start[m]:start[m + 1]]
        if len(rows) < 2:
            continue
        sse, C = two_means(X, w, rows, u[i, 0], u[i, 1], SPLIT_ITER, SPLIT_SAMPLE)
        gains[i] = E[m] - sse
        halves[i] = C
    return gains, halves


def swap_centers(
    X: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int, rng: np.random.Generator,
) -> tuple[np.ndarray | None, float, int]:
    """New centers (float64) after every profitable disjoint swap, the predicted gain, and the swap count.

    Returns ``(None, 0.0, 0)`` when no swap gains more than :data:`MARGIN` of the objective.
    """
    W, M, E = cluster_stats(X, w, labels, k)
    total = float(E.sum())
    if k < 3 or total <= 0:
        return None, 0.0, 0
    cost, partner = merge_costs(W, M)
    # split candidates: the clusters with the largest sums of squares; a cluster
    # covering two true ones is among them
    n_cand = min(k, 2 + k // 8)
    candidates = np.argsort(-E, kind="stable")[:n_cand]
    gains, halves = split_gains(X, w, labels, E, candidates, rng)
    merges = np.argsort(cost, kind="stable")
    used = np.zeros(k, dtype=bool)
    centers = M.copy()
    gained, swaps, next_merge = 0.0, 0, 0
    for i in np.argsort(-gains, kind="stable"):
        m = int(candidates[i])
        if gains[i] <= MARGIN * total or used[m]:
            continue
        # the cheapest merge left whose two clusters are free and differ from m
        pick = -1
        for t in range(next_merge, k):
            j = int(merges[t])
            l = int(partner[j])
            if used[j] or used[l] or j == m or l == m:
                continue
            pick = t
            break
        if pick < 0:
            break
        j, l = int(merges[pick]), int(partner[merges[pick]])
        if gains[i] - cost[j] <= MARGIN * total:
            break  # merges only get dearer and gains smaller from here
        # j's points go to l (their common mean), j takes one half of m, m the other
        if W[j] + W[l] > 0:
            centers[l] = (W[j] * M[j] + W[l] * M[l]) / (W[j] + W[l])
        centers[j], centers[m] = halves[i, 0], halves[i, 1]
        used[[j, l, m]] = True
        gained += float(gains[i] - cost[j])
        swaps += 1
        if pick == next_merge:
            next_merge += 1
    if swaps == 0:
        return None, 0.0, 0
    return centers, gained, swaps


def refine(
    X: np.ndarray,
    sample_weight: np.ndarray,
    result: Result,
    solver: Any,
    *,
    rng: np.random.Generator,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int = 1,
    callback: Any = None,
    options: dict[str, Any] | None = None,
    rounds: int = ROUNDS,
) -> Result:
    """Rounds of split-merge swaps after ``solver`` produced ``result``; never worse than ``result``.

    Each round swaps centers (:func:`swap_centers`) and reruns ``solver`` (a
    registered solver function, the one that made ``result``) from the new
    centers; the round is kept only if its objective is lower. The returned
    Result has ``method`` ``"<solver>+swap"``, ``n_iter`` the iterations of
    every run kept, ``info["swaps"]`` the swaps made and ``info["swap_rounds"]``
    the rounds tried, and a history continuing the solver's.
    """
    options = options or {}
    k = result.centers.shape[0]
    best = result
    history = result.history
    n_iter, swaps_total, tried = result.n_iter, 0, 0
    for _ in range(rounds):
        # max_iter bounds the iterations of the whole fit: the reruns spend what is left
        left = max_iter - n_iter
        if best.stop_reason == "callback" or left <= 0:
            break
        centers, _, swaps = swap_centers(X, sample_weight, best.labels, k, rng)
        tried += 1
        if centers is None:
            break
        res = solver(
            X, sample_weight, centers.astype(X.dtype), max_iter=left, tol=tol, n_threads=n_threads,
            rng=rng, callback=callback, **options,
        )
        if not res.objective < best.objective:
            break
        history = _continue(history, res.history, n_iter)
        n_iter += res.n_iter
        swaps_total += swaps
        best = res
    return best.replace(
        n_iter=n_iter, history=history, method=f"{result.method}+swap",
        options={**result.options, "refine": "swap"},
        info={**best.info, "swaps": swaps_total, "swap_rounds": tried},
    )


def _continue(prev: History, tail: History, n_iter: int) -> History:
    """``tail`` appended to ``prev``, its seconds and passes offset by prev's last entry."""
    if len(tail) == 0:
        return prev
    t_off = float(prev.seconds[-1]) if len(prev) else 0.0
    p_off = float(prev.passes[-1]) if len(prev) else 0.0
    return History(
        objective=np.concatenate([prev.objective, tail.objective[1:]]),
        seconds=np.concatenate([prev.seconds, tail.seconds[1:] + t_off]),
        passes=np.concatenate([prev.passes, tail.passes[1:] + p_off]),
        extra=_join_extra(prev, tail),
    )
