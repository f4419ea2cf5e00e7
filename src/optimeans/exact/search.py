r"""Global search for the k-means objective: breathing k-means, jump moves and a genetic search, polished by Hartigan moves.

Lloyd's iteration and Hartigan's transfers stop in a local minimum that
depends on the start; restarts alone explore badly (on Ruspini with k = 8, one
k-means++ start in a few hundred reaches the optimum). Breathing k-means
(Fritzke 2020) moves *centers* between regions instead:

1. *breathe in*: add ``m`` centers, each next to one of the ``m`` centers whose
   clusters have the largest error, and run Lloyd with ``k + m`` centers;
2. *breathe out*: remove the ``m`` centers of least *utility* (the rise of the
   objective if a center were deleted and its points went to their second
   nearest), never the nearest neighbour of a center removed in the same round,
   and run Lloyd (then Hartigan transfers) with ``k`` centers;
3. keep the result if it lowers the objective, else breathe with ``m - 1``;
   stop when ``m`` reaches 0.

Then *jump* moves (the J-means neighbourhood of Hansen & Mladenovic 2001) finish
the job on small data: a center of little utility is moved onto one of the
rows that cost most, followed by a local search; the first improving jump is
kept. Breathing alone stops in a near-optimal local minimum on Ruspini with
k = 8 in most runs (6158.21 or 6191.09 instead of 6149.64); with the jumps
every run tried reaches the optimum.

On medium sets that is not enough: on TSPLIB u1060 (1060 points) with
k = 50 and k = 40, breathing and jumps from three k-means++ starts stopped
0.15 to 0.38 % above the optima proven by column generation. ``method="global"``
(:func:`run`) therefore ends with a hybrid genetic search after HG-means
(Gribel & Vidal 2019), :func:`evolve`: a population of local minima, children
made by matching two parents' centers (:func:`crossover`), one center moved
(:func:`mutate`), each child improved by breathing. It reaches both proven
optima from seeds 0-2 in 8-11 s a fit (under load 2.8; ``bench_global.py tsp``).

:func:`global_search` (the incumbent of the exact solvers) runs breathing and
jumps from several greedy k-means++ starts and then the genetic search seeded
with all of them, within a time budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._kernels.hartigan import compute_cluster_stats, hartigan_sweep, labelled_objective
from .._kernels.search import center_utility, lloyd_serial, nearest_center_pairs, nearest_sq_except, seed_plusplus
from ..result import HistoryRecorder, Result
from ..solvers._common import finalize, now, should_stop

__all__ = ["global_search", "breathe", "crossover", "evolve", "jump", "local_optima", "mutate", "plusplus", "run"]

#: Relative margin of improvement that counts as progress.
_PROGRESS = 1e-10


def _hartigan(X, w, labels, k):
    """Hartigan transfers to stability; returns (centers, objective) and updates labels."""
    n, d = X.shape
    sums = np.zeros((k, d))
    weights = np.zeros(k)
    centers = np.zeros((k, d))
    compute_cluster_stats(X, w, labels, sums, weights, centers)
    last_changed = np.zeros(k, dtype=np.int64)
    last_checked = np.full(n, -1, dtype=np.int64)
    clock = 0
    for _ in range(10_000):
        moves, _, clock = hartigan_sweep(X, w, labels, sums, weights, centers, last_changed, last_checked, clock, 1e-12)
        if moves == 0:
            break
    compute_cluster_stats(X, w, labels, sums, weights, centers)
    return centers, float(labelled_objective(X, w, labels, centers))


def _local(X, w, centers, max_iter):
    """Lloyd to a fixed point, then Hartigan transfers: (centers, labels, objective)."""
    n = X.shape[0]
    k = centers.shape[0]
    labels = np.empty(n, dtype=np.int64)
    mind = np.empty(n)
    lloyd_serial(X, w, centers, labels, mind, max_iter)
    centers, obj = _hartigan(X, w, labels, k)
    return centers, labels, obj


def breathe(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers: np.ndarray,
    rng: np.random.Generator,
    *,
    m: int = 5,
    max_iter: int = 300,
    deadline: float = np.inf,
    recorder: HistoryRecorder | None = None,
    callback: Any = None,
) -> tuple[np.ndarray, np.ndarray, float, int, str]:
    """Breathing k-means from ``centers`` (float64, k x d), polished by Hartigan moves.

    Returns (centers, labels, objective, rounds, stop_reason), where
    stop_reason is ``"converged"`` (m reached 0), ``"time_limit"`` or ``"callback"``.
    """
    X = np.ascontiguousarray(X)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    k = centers.shape[0]
    n, d = X.shape
    centers, labels, obj = _local(X, w, np.array(centers, dtype=np.float64), max_iter)
    if recorder is not None:
        recorder.record(obj, now(), 0)
    m = min(m, k, n - k)
    rounds = 0
    error = np.empty(k + max(m, 0))
    utility = np.empty(k + max(m, 0))
    # the clusters' errors and sizes change only when a round is kept: a failed
    # round (at least m of them per search) reuses them
    own_error = np.empty(k)
    sizes = None
    while m > 0:
        if now() > deadline:
            return centers, labels, obj, rounds, "time_limit"
        rounds += 1
        # breathe in: m new centers beside those with the largest error
        if sizes is None:
            center_utility(X, w, centers, labels, own_error, utility[:k])
            sizes = np.bincount(labels, weights=w, minlength=k)
        top = np.argsort(-own_error, kind="stable")[:m]
        radius = np.sqrt(own_error[top] / np.maximum(sizes[top], 1e-300))
        offset = rng.normal(size=(m, d))
        offset /= np.maximum(np.linalg.norm(offset, axis=1, keepdims=True), 1e-300)
        grown = np.vstack([centers, centers[top] + 0.01 * radius[:, None] * offset])
        lab_g = np.empty(n, dtype=np.int64)
        mind = np.empty(n)
        lloyd_serial(X, w, grown, lab_g, mind, max_iter)
        # breathe out: drop the m centers of least utility, sparing the nearest
        # neighbour of each center dropped (its utility would jump)
        kk = k + m
        center_utility(X, w, grown, lab_g, error[:kk], utility[:kk])
        near = np.empty(kk, dtype=np.int64)
        nearest_center_pairs(grown, near)
        frozen = np.zeros(kk, dtype=bool)
        drop = []
        for j in np.argsort(utility[:kk], kind="stable"):
            if len(drop) == m:
                break
            if frozen[j]:
                continue
            drop.append(j)
            frozen[near[j]] = True
        if len(drop) < m:  # freezing left too few: take the next least useful
            rest = [j for j in np.argsort(utility[:kk], kind="stable") if j not in drop]
            drop.extend(rest[: m - len(drop)])
        keep = np.setdiff1d(np.arange(kk), np.asarray(drop, dtype=np.int64))
        cand_c, cand_l, cand_obj = _local(X, w, np.ascontiguousarray(grown[keep]), max_iter)
        if cand_obj < obj * (1.0 - _PROGRESS):
            centers, labels, obj = cand_c, cand_l, cand_obj
            sizes = None
        else:
            m -= 1
        if recorder is not None:
            recorder.record(obj, now(), rounds)
        if should_stop(callback, rounds, obj):
            return centers, labels, obj, rounds, "callback"
    return centers, labels, obj, rounds, "converged"


def plusplus(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ centers (float64) by one serial kernel; usable as ``fit(init=plusplus)``.

    The same rule as :func:`optimeans.seeding.kmeans_plusplus` (``2 + ln k``
    candidates per step, the one lowering the potential most), with unit
    weights, in one compiled loop: no per-candidate kernel launch, which
    matters on small data and on a busy machine.
    """
    X = np.ascontiguousarray(X)
    k = int(n_clusters)
    trials = 2 + int(np.log(k))
    centers = np.empty((k, X.shape[1]))
    seed_plusplus(X, np.ones(X.shape[0]), k, trials, rng.random(1 + (k - 1) * trials), centers)
    return centers


def jump_budget(n_samples: int, n_clusters: int) -> int:
    """Default ``max_failures`` of :func:`jump`: 400 on small problems, fewer as ``n k`` grows.

    A failed jump costs a full local search, O(n k d) per iteration; the budget
    keeps the jump phase at about ``2e6 / (n k)`` local searches, so it adds
    little to the breathing phase on large data (where breathing alone already
    does the work) and runs to completion on the classic small sets. The cap
    was 200: on iris with k = 10 (proven optimum 25.834055) that left seeds
    0, 4, 8 and 10 of 0..11 above the optimum, 400 none (1.6 times the time).
    """
    return int(min(400, 2e6 // max(1, n_samples * n_clusters)))


def jump(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers: np.ndarray,
    labels: np.ndarray,
    objective: float,
    *,
    n_candidates: int | None = None,
    max_failures: int = 200,
    max_iter: int = 300,
    deadline: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Jump moves (J-means, Hansen & Mladenovic 2001): move one center onto a data point, search locally.

    Centers are tried from the least useful up, each against the
    ``n_candidates`` rows that contribute most to the objective (default:
    enough rows for one scan to use the whole ``max_failures`` budget, at
    least 10; with few centers, ten rows are too few: on optkmeans' linux3
    prefix of 145 points with k = 2, ten rows per center left 14 of 20 seeds
    in a local minimum, the full budget none); the first
    move whose local search (Lloyd, then Hartigan) lowers the objective is
    kept and the scan starts again. Stops after ``max_failures`` local
    searches in a row without improvement, or when a whole scan fails.
    Returns (centers, labels, objective, improvements).
    """
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    k = centers.shape[0]
    if n_candidates is None:
        n_candidates = max(10, -(-int(max_failures) // k))
    error = np.empty(k)
    utility = np.empty(k)
    failures = 0
    improvements = 0
    while failures < max_failures and now() <= deadline:
        center_utility(X, w, centers, labels, error, utility)
        diff = X.astype(np.float64) - centers[labels]
        contrib = w * np.einsum("ij,ij->i", diff, diff)
        cands = np.argsort(-contrib, kind="stable")[:n_candidates]
        cands = cands[contrib[cands] > 0]
        improved = False
        for j in np.argsort(utility, kind="stable"):
            for i in cands:
                trial = centers.copy()
                trial[j] = X[i]
                c2, l2, o2 = _local(X, w, trial, max_iter)
                if o2 < objective * (1.0 - _PROGRESS):
                    centers, labels, objective = c2, l2, o2
                    improved = True
                    improvements += 1
                    failures = 0
                    break
                failures += 1
                if failures >= max_failures:
                    break
            if improved or failures >= max_failures:
                break
        if not improved:
            break
    return centers, labels, objective, improvements


def crossover(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Child of two center sets (k x d each): match them, take one center of each pair at random.

    The matching is the minimum-cost bipartite matching of the centers under
    squared Euclidean distance (``scipy.optimize.linear_sum_assignment``), so
    a pair holds the two parents' centers of "the same" region; the child takes
    either with probability 1/2 (the crossover of Gribel & Vidal 2019, Sec. 3.2).
    Rows follow ``a``'s order. O(k^2 d + k^3) time.

    Its edge over mutating a copy of one parent is small where measured (one
    search per seed, seeds 0-7, proven optimum reached): u1060 k = 50 8 of 8
    against 7 of 8, k = 40 7 against 8; u2152 k = 40 (seeds 0-5) mean
    33654617 against 33656736, best 33653557.96 twice in both.
    """
    from scipy.optimize import linear_sum_assignment

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)  # k x k x d: small where evolve runs
    rows, cols = linear_sum_assignment(cost)
    take_a = rng.random(a.shape[0]) < 0.5
    return np.where(take_a[:, None], a[rows], b[cols])


def mutate(X: np.ndarray, sample_weight: np.ndarray, centers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``centers`` with one center, drawn uniformly, moved onto a data row drawn by k-means++.

    The row is drawn with probability proportional to ``w_i`` times its squared
    distance to the nearest *other* center, so the moved center lands where the
    others leave error. Without this step the population converges early: in
    a prototype of :func:`evolve` (300 generations without progress), u1060
    with k = 50 ended 0.001-0.07 % above the proven optimum from each of
    seeds 0-5 without mutation, and at it from five of the six with it.
    """
    k = centers.shape[0]
    j = int(rng.integers(k))
    d2 = np.empty(X.shape[0])
    nearest_sq_except(X, centers, j, d2)
    cum = np.cumsum(sample_weight * d2)
    out = np.array(centers, dtype=np.float64)
    if cum[-1] > 0.0:
        i = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
        out[j] = X[min(i, X.shape[0] - 1)]
    return out


def population_budget(n_samples: int, n_clusters: int) -> int:
    """Default ``max_stall`` of :func:`evolve`: generations without progress, ``c k`` with ``c`` from 4 (n <= 560) to 8 (n >= 1120), at most 300, fewer as ``n k`` grows; 0 below k = 10 and from ``n k = 1e5``.

    A generation costs one breathing search (at least ``2 m + 1`` local
    searches of O(n k d) per iteration). On u1060 (n = 1060) single searches
    need about 300: with k = 40, 7 of seeds 0-7 reached the proven optimum
    with 300, 6 with 240; with k = 50, 100 left one of seeds 0-2 0.002 %
    above it. A child changes one center by mutation, so fewer centers need
    fewer generations: ``c k``. Smaller sets need fewer per cluster: single
    searches (``n_init=1``, seeds 0-7) on 300 uniform points with k = 25,
    glass with k = 20 and breast cancer with k = 10 and 20 reached the best
    value in every seed with ``3 k`` generations (``2 k`` missed it once on
    the uniform points and on breast cancer k = 20), so ``c = n / 140``,
    clipped to [4, 8], keeps a third more than that on small sets and gives
    u1060 its 300 (``7.57 k``, k >= 40). At ``c = 8`` everywhere the
    population made ``method="global"`` 3-8 times slower on the classic
    sets, whose optima breathing and jumps already reach in at least one of
    the three restarts of ``fit`` (seeds 0-4). The product
    ``max_stall * n * k`` stays below ``1.6e7`` (160 generations just below
    ``n k = 1e5``).

    From ``n k = 1e5`` on (where ``fit`` runs a single search,
    :data:`optimeans._plan.GLOBAL_ONE_SEARCH`) it is skipped (0): on 20000
    blobs with k = 50 (``bench_global.py blobs --ks 50``) 16 generations took
    the fit from 0.14 to 1.58 s (scikit-learn's ``n_init=10``: 0.27-0.33 s)
    for an objective 3e-6 lower.

    Below k = 10 it is skipped too: there breathing and jumps alone reach
    every proven optimum tried (Ruspini, iris, German towns, Bavaria, glass,
    breast cancer, optkmeans' sets with k = 2, 3), and 40 generations at
    k = 5 cost 4.3 s on 8269 points in three dimensions (the determinism
    tests' blobs) against well under a second without them.
    """
    if n_clusters < 10 or n_samples * n_clusters >= 100_000:
        return 0
    per_cluster = min(8.0, max(4.0, n_samples / 140.0))
    return int(min(300, per_cluster * n_clusters, 1.6e7 // (n_samples * n_clusters)))


def evolve(
    X: np.ndarray,
    sample_weight: np.ndarray,
    first: tuple[np.ndarray, np.ndarray, float],
    rng: np.random.Generator,
    *,
    population: int = 10,
    max_stall: int = 300,
    m: int = 5,
    max_iter: int = 300,
    deadline: float = np.inf,
    recorder: HistoryRecorder | None = None,
    callback: Any = None,
    first_round: int = 0,
    others: Sequence[tuple[np.ndarray, np.ndarray, float]] = (),
) -> tuple[np.ndarray, np.ndarray, float, int, str]:
    """Hybrid genetic search (after HG-means, Gribel & Vidal 2019) seeded with the solution ``first``.

    The population holds ``population`` local minima: ``first`` (centers,
    labels, objective), the solutions ``others`` whose objectives differ from
    those already held (at most ``population - 1`` of them, in order), and
    greedy k-means++ starts polished by Lloyd and Hartigan for the places
    left. Each generation picks two parents by
    binary tournaments on the objective, builds a child by :func:`crossover`,
    moves one of its centers by :func:`mutate`, and improves it by
    :func:`breathe` (with ``m`` centers; a plain local search instead of
    breathing left u1060 k = 50 at +0.08 to +0.11 %). A child whose objective
    differs from every member's joins; once ``2 * population`` members are
    held, the best ``population`` survive. Stops after ``max_stall``
    generations without a lower best, after ``10 * max_stall`` generations,
    at ``deadline`` or when ``callback`` says so.

    Returns (centers, labels, objective, generations, stop_reason) of the
    best member; stop_reason is ``"converged"``, ``"time_limit"`` or
    ``"callback"``.
    """
    w = sample_weight
    k = first[0].shape[0]
    d = X.shape[1]
    trials = 2 + int(np.log(k))
    members = [first]
    for other in others:
        if len(members) < population and all(abs(other[2] - mem[2]) > 1e-12 * other[2] for mem in members):
            members.append(other)
    while len(members) < population:
        if now() > deadline:
            break
        start = np.empty((k, d))
        seed_plusplus(X, w, k, trials, rng.random(1 + (k - 1) * trials), start)
        members.append(_local(X, w, start, max_iter))
    best = min(members, key=lambda mem: mem[2])
    stall = generations = 0
    why = "converged"
    while stall < max_stall and generations < 10 * max_stall:
        if now() > deadline:
            why = "time_limit"
            break
        generations += 1
        pick = rng.integers(len(members), size=4)
        a = members[min(pick[:2], key=lambda t: members[t][2])]
        b = members[min(pick[2:], key=lambda t: members[t][2])]
        child = mutate(X, w, crossover(a[0], b[0], rng), rng)
        c, lab, obj, _, _ = breathe(X, w, child, rng, m=m, max_iter=max_iter, deadline=deadline)
        if all(abs(obj - mem[2]) > 1e-12 * obj for mem in members):
            members.append((c, lab, obj))
            if len(members) >= 2 * population:
                members.sort(key=lambda mem: mem[2])
                del members[population:]
        if obj < best[2] * (1.0 - _PROGRESS):
            best = (c, lab, obj)
            stall = 0
        else:
            stall += 1
        if recorder is not None:
            recorder.record(best[2], now(), first_round + generations)
        if should_stop(callback, first_round + generations, best[2]):
            why = "callback"
            break
    return best[0], best[1], best[2], generations, why


def local_optima(
    X: np.ndarray, sample_weight: np.ndarray, n_clusters: int, rng: np.random.Generator, count: int, *, max_iter: int = 300
) -> list[np.ndarray]:
    """Distinct partitions reached by Lloyd then Hartigan from ``count`` greedy k-means++ starts.

    Their clusters are good first columns for column generation
    (:mod:`optimeans.exact.colgen`): varied and close to optimal.
    """
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    n, d = X.shape
    k = int(n_clusters)
    trials = 2 + int(np.log(k))
    out, seen = [], set()
    for _ in range(count):
        centers = np.empty((k, d))
        seed_plusplus(X, w, k, trials, rng.random(1 + (k - 1) * trials), centers)
        _, labels, _ = _local(X, w, centers, max_iter)
        key = labels.tobytes()
        if key not in seen:
            seen.add(key)
            out.append(labels)
    return out


def global_search(
    X: np.ndarray,
    sample_weight: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    *,
    n_starts: int = 10,
    m: int = 5,
    time_limit: float | None = None,
    max_iter: int = 300,
    population: int = 10,
    max_stall: int | None = None,
) -> tuple[np.ndarray, float]:
    """The incumbent of the exact solvers: breathing and jumps from ``n_starts`` k-means++ starts, then the genetic search.

    ``X`` validated (float32/float64, C-contiguous), ``sample_weight`` float64.
    Returns (labels, objective). The first start always runs to its end; later
    starts, and :func:`evolve` (seeded with the best start, the other starts
    as members, ``max_stall`` generations without progress, default
    :func:`population_budget`), only while ``time_limit`` seconds have not
    passed; the genetic search stops at that deadline with its best member.

    The genetic search is what ``method="global"`` adds to breathing and
    jumps; without it the LP route's incumbent on u1060 with k = 20 was
    791853734.8, 0.0075 % above the value the population reaches, for the
    whole of a 1210 s run.
    """
    t0 = now()
    deadline = np.inf if time_limit is None else t0 + time_limit
    n, d = X.shape
    k = int(n_clusters)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    trials = 2 + int(np.log(k))
    found = []
    for s in range(n_starts):
        if s > 0 and now() > deadline:
            break
        centers = np.empty((k, d))
        seed_plusplus(X, w, k, trials, rng.random(1 + (k - 1) * trials), centers)
        limit = deadline if s else np.inf
        cen, labels, obj, _, _ = breathe(X, w, centers, rng, m=m, max_iter=max_iter, deadline=limit)
        found.append(jump(X, w, cen, labels, obj, max_failures=jump_budget(n, k), max_iter=max_iter, deadline=limit)[:3])
    best = min(range(len(found)), key=lambda s: found[s][2])  # the first of equal values
    stall = population_budget(n, k) if max_stall is None else int(max_stall)
    if population > 1 and stall > 0 and now() <= deadline:
        others = [found[s] for s in range(len(found)) if s != best]
        _, labels, obj, _, _ = evolve(X, w, found[best], rng, population=population, max_stall=stall, m=m,
                                      max_iter=max_iter, deadline=deadline, others=others)
        return labels, obj
    return found[best][1], found[best][2]


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
    time_limit: float | None = None,
    m: int = 5,
    max_jumps: int | None = None,
    population: int = 10,
    max_stall: int | None = None,
) -> Result:
    """``method="global"``: breathing k-means from ``centers_init``, jump moves, then a hybrid genetic search.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features)
        The start (``fit`` gives greedy k-means++ centers; each restart of
        ``fit`` is one breathing search).
    max_iter : int
        Lloyd iterations per local search.
    tol : unused (every local search runs to a fixed point: the search compares
        objectives of local minima)
    n_threads : unused (serial kernels; the result never depends on it)
    rng : Generator
        Offsets of the centers added when breathing in.
    callback : callable ``(round, objective) -> bool``, optional
    time_limit : float, optional
        Seconds for this search; the best solution so far is returned with
        ``stop_reason="time_limit"``.
    m : int, default 5
        Centers added and removed in the first breathing round (Fritzke's ``m``).
    max_jumps : int, optional
        Failed jump moves in a row after which the jump phase stops
        (default :func:`jump_budget`: 400 on small data, fewer on large).
    population : int, default 10
        Members of the population of :func:`evolve` (the breathing and
        jumping search's result and ``population - 1`` polished k-means++
        starts); 1 skips the genetic search.
    max_stall : int, optional
        Generations without a lower objective after which the genetic search
        stops (default :func:`population_budget`: 4 to 8 times ``n_clusters``
        as ``n`` grows from 560 to 1120, up to 300, fewer as
        ``n * n_clusters`` grows; 0, i.e. no genetic search, below 10
        clusters and from ``n * n_clusters = 100000`` on).

    Returns
    -------
    Result
        ``method="global"``, ``n_iter`` the breathing rounds, ``history`` the
        best objective after each round (after the jump phase, and after each
        generation), ``stop_reason`` ``"labels_unchanged"`` when the search
        ends by itself; ``info["jumps"]`` the improving jumps,
        ``info["generations"]`` the generations of the genetic search.

    Notes
    -----
    Each round costs two local searches (Lloyd to a fixed point, O(n k d) per
    iteration, then Hartigan sweeps, also O(n k d)); the rounds number about
    ``m`` plus the number of improvements. The jump phase costs up to
    ``max_jumps`` more local searches, each generation one breathing search
    (between ``max_stall`` and ``10 * max_stall`` generations). Memory
    O(population * (n + k d)). Serial kernels: the result depends on the seed
    only, never on ``n_threads``.

    Breathing and jumps alone stop in near-optimal minima on medium sets: on
    TSPLIB u1060 (1060 points) with k = 50, seeds 0-2 of ``fit`` ended 0.21
    to 0.38 % above the optimum proven by column generation, with k = 40
    0.15 to 0.33 %; the population search reaches both optima (8-11 s a
    fit under load 2.8). A larger jump budget instead (``population=1``,
    ``max_jumps=2000``) reached the k = 40 optimum but left k = 50 seeds 1
    and 2 at +0.11 %, in about the same time (4-10 s a fit).

    References
    ----------
    Fritzke, B. (2020). Breathing k-means. arXiv:2006.15666.
    Hansen, P. and Mladenovic, N. (2001). J-Means: a new local search heuristic
    for minimum sum of squares clustering. Pattern Recognition 34(2).
    Gribel, D. and Vidal, T. (2019). HG-means: a scalable hybrid genetic
    algorithm for minimum sum-of-squares clustering. Pattern Recognition 88.
    Hartigan, J. A. and Wong, M. A. (1979). Algorithm AS 136.

    Examples
    --------
    >>> import optimeans
    >>> r = optimeans.fit(optimeans.datasets.load("ruspini"), 8, method="global", random_state=0)
    >>> round(r.objective, 6)
    6149.639019
    """
    if rng is None:
        rng = np.random.default_rng(0)
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    for name, value, low in (("m", m, 1), ("population", population, 1), ("max_stall", max_stall, 0)):
        if value is None and name == "max_stall":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            kind = "positive" if low else "non-negative"
            raise ValueError(f"{name} must be a {kind} integer, got {value!r}")
    t0 = now()
    hist = HistoryRecorder(t0)
    deadline = np.inf if time_limit is None else t0 + float(time_limit)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    centers, labels, obj, rounds, why = breathe(
        X, w, np.asarray(centers_init, dtype=np.float64), rng, m=int(m), max_iter=max_iter,
        deadline=deadline, recorder=hist, callback=callback,
    )
    jumps = 0
    if why == "converged":
        budget = jump_budget(X.shape[0], centers.shape[0]) if max_jumps is None else int(max_jumps)
        centers, labels, obj, jumps = jump(X, w, centers, labels, obj, max_failures=budget, max_iter=max_iter, deadline=deadline)
        hist.record(obj, now(), rounds + 1)
        if now() > deadline:
            why = "time_limit"
    generations = 0
    stall = population_budget(X.shape[0], centers.shape[0]) if max_stall is None else int(max_stall)
    if why == "converged" and population > 1 and stall > 0:
        centers, labels, obj, generations, why = evolve(
            X, w, (centers, labels, obj), rng, population=int(population), max_stall=stall, m=int(m),
            max_iter=max_iter, deadline=deadline, recorder=hist, callback=callback, first_round=rounds + 1,
        )
    stop = {"converged": "labels_unchanged"}.get(why, why)
    return finalize(
        X, sample_weight, centers.astype(X.dtype), n_iter=rounds, converged=why == "converged",
        stop_reason=stop, history=hist.freeze(), method="global",
        options={"max_iter": max_iter, "time_limit": time_limit, "m": int(m), "max_jumps": max_jumps,
                 "population": int(population), "max_stall": max_stall},
        labels=labels, reassign=True, info={"jumps": jumps, "generations": generations},  # nearest-center labels: never a higher objective, canonical ties
    )
