"""Initial centers: greedy k-means++, random distinct points, or a user array.

k-means++ (Arthur & Vassilvitskii 2007) picks the first center with
probability proportional to the weights and each next one with probability
proportional to ``w_i D(x_i)^2``, the weighted squared distance to the nearest
center chosen so far. The greedy variant (as in the paper's experiments and in
scikit-learn) draws ``2 + floor(ln k)`` candidates per step and keeps the one
that lowers the potential most.

The candidates' distances run through the packed float32 scan of the Lloyd
kernel, with its exactness guard: the float32 values bound every candidate's
gain, and a step whose bounds do not prove which candidate has the largest
sums the exact gains (float64, in a fixed order, of canonical float64
distances). So the centers chosen are those of the exact rule: they depend
only on the seed, never on the thread count.
"""

from __future__ import annotations

import math
import time
from typing import Any, Literal

import numpy as np

from . import _nocompile
from ._kernels.lloyd import BLOCK, guard_kappa, n_chunks, pack_data
from ._kernels import sqdist_to_center
from ._kernels.seeding import (MAX_TRIALS, PRUNE_MIN_D, PRUNE_Q, REPACK_FIRST, REPACK_SHARE, afkmc2_chains,
                               chunk_moments, greedy_kmeanspp)
from ._numba import numba_threads, resolve_n_threads
from ._validation import check_centers

__all__ = ["kmeans_plusplus", "afkmc2", "random_points", "init_centers", "resolve_init", "INIT_METHODS"]

INIT_METHODS = ("k-means++", "afkmc2", "auto", "random")
InitName = Literal["k-means++", "afkmc2", "auto", "random"]

#: Greedy k-means++ (the packing and the kernel) runs on at most one thread per this many rows
#: (at least one): a step scans the packed rows in parts of 2048 (``SCAN``), so a thread gets at
#: least two parts. Measured on this 2-core host (make_blobs, float32, medians of seeds 0-2,
#: rounds alternated in one process, load 1.0 to 1.2), 1 thread against 2: 20000 x 128, k = 100
#: 37-40 ms against 24-27 ms; 10000 x 128, k = 100 19.1 against 13.6-14.7 ms; 8192 x 16,
#: k = 100 8.0-8.3 against 5.4-6.3 ms; 20000 x 2, k = 100 13.3 against 8.0 ms; bench_seeding.py
#: at 20000 x 128, k = 100 (load 1.7 to 2.8): 0.026-0.031 s against 0.044-0.045 s. (Before the
#: moves of a step ran in one region or serially, this was 32768: 2 threads took 0.054-0.058 s
#: against 0.043-0.047 s at 20000 x 128.) The thread count changes no bit of the result; under
#: load :func:`seeding_threads_respond` decides.
SEED_ROWS_PER_THREAD = 4096

#: :func:`seeding_threads_respond`: a parallel region of the threads counts as answered when it
#: returns within this many seconds (a few microseconds with the call from Python when the threads
#: are awake; 50-100 us for the first, which wakes them) ...
SEED_REGION_LIMIT = 50e-6
#: ... the threads respond when this many regions in a row answered (under load a single region
#: sometimes answered in time: one of three seedings at 20000 x 128, k = 100 then took 1229 ms
#: against 112-250 ms on one thread, two busy loops of probe_seed_load.py and load 3.9) ...
SEED_PROBE_FAST = 3
#: ... and the probe gives up (one thread) when a region was slow after this long.
SEED_PROBE_BUDGET = 1e-3

#: Chain length of AFK-MC2 (the value of Bachem et al. 2016's experiments).
AFKMC2_CHAIN = 200
#: ``init="auto"``: AFK-MC2 only from this many clusters on ...
AUTO_AFKMC2_MIN_CLUSTERS = 1000
#: ... and when greedy k-means++ would do at least this many times its arithmetic.
#: Measured again after the grouped candidate scan (benchmarks/bench_seeding.py, make_blobs,
#: float32, 1 thread, seeds 0 and 1, Lloyd after seeding; load average 14 to 18, so the
#: times are loaded figures): at 100000 x 64, k = 1024 (ratio 8.7) AFK-MC2 seeds in 4.8 s
#: against 14.0 s but ends Lloyd at 1.418e7 against 6.899e6 (2.05x higher); at
#: 250000 x 2, k = 6000 (ratio 4.5) 10.8 s against 30.9 s, ending at 3272 against 3214
#: (1.8 % higher). Greedy k-means++ chooses the same rows as before the faster scan, so its
#: objectives are unchanged. AFK-MC2 approximates plain k-means++, which greedy k-means++
#: beats by about 2x on separated clusters, and issue 14 asks for an objective no higher
#: than scikit-learn's (greedy): "auto" keeps greedy on every benchmark shape and takes
#: AFK-MC2 only where greedy seeding would cost far more than the fit.
AUTO_AFKMC2_WORK_RATIO = 50.0


def pack_for_seeding(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The packed float32 blocks of the Lloyd kernel: ``(XT, block_norm, sqnorm, mean, scale)``.

    The mean and the scale (:func:`.lloyd.data_scale`'s rule) come from one pass
    (:func:`.chunk_moments`, sums reduced in chunk order: 2.1 against 8.0 ms for
    ``X.mean`` and ``data_scale`` at 20000 x 128 float32, 1 thread, under load 7).
    """
    n, d = X.shape
    nc = n_chunks(n)
    sums = np.empty((nc, d), dtype=np.float64)
    lows = np.empty((nc, d), dtype=np.float64)
    highs = np.empty((nc, d), dtype=np.float64)
    chunk_moments(X, sums, lows, highs)
    total = np.zeros(d, dtype=np.float64)
    for c in range(nc):  # chunk order: the same mean on any number of threads
        total += sums[c]
    mean = total / n
    r = float(np.maximum(highs.max(axis=0) - mean, mean - lows.min(axis=0)).max())
    scale = math.ldexp(1.0, -math.frexp(r)[1]) if r > 0.0 and math.isfinite(r) else 1.0
    nb = (n + BLOCK - 1) // BLOCK
    XT = np.empty(max(nb * d * BLOCK, 1), dtype=np.float32)
    block_norm = np.empty(nb, dtype=np.float64)
    sqnorm = np.empty(n, dtype=np.float64)
    pack_data(X, mean, scale, XT, block_norm, sqnorm)
    return XT, block_norm, sqnorm, mean, scale


def kmeans_plusplus(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    rng: np.random.Generator,
    *,
    n_local_trials: int | None = None,
    n_threads: int | None = None,
    stats: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, validated
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), validated (non-negative, positive total)
    rng : numpy Generator
    n_local_trials : int, optional
        Candidates per step, 1 to 63; ``2 + floor(ln k)`` by default, 1 for plain k-means++.
    n_threads : int, optional
        Numba threads (the result does not depend on it); at most one per
        :data:`SEED_ROWS_PER_THREAD` rows (:func:`seeding_threads`).
    stats : ndarray of shape (2,), (3,) or (4,), int64, optional
        Filled (compiled path only) with the number of steps whose choice the float32 bounds
        decided and of steps that summed the exact gains; a third entry receives the number of
        blocks of :data:`.lloyd.BLOCK` rows that the triangle-inequality pruning did not read,
        a fourth the number of times the blocks were re-packed by nearest center.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), X's dtype
    indices : ndarray of shape (n_clusters,), the rows chosen

    Raises
    ------
    ValueError
        If ``n_local_trials`` is not in ``[1, 63]``.

    Notes
    -----
    The candidates' distances run through the packed, blocked float32 scan of
    the Lloyd kernel; the choice is that of the exact gains, float64 sums of
    canonical distances (:mod:`optimeans._kernels.seeding` states the rule,
    including the order of every sum), computed only where the float32 bounds
    on the gains do not already decide it. ``rng`` gives ``1 + (k - 1) m`` uniforms, the
    same stream as one ``rng.random(m)`` per step. O(k m n d) multiply-adds
    (``m`` candidates per step, all scanned in one pass over the packed data),
    plus float64 work on the points each candidate brings closer; O(n) extra
    memory besides the packed copy of the data (``n d`` float32). Each step
    reads the packed data once, so once ``4 n d`` bytes outgrow the caches a
    step is bound by memory bandwidth (``m`` multiply-adds per float loaded,
    against ``k`` in a Lloyd pass). From 16 features on, a block of rows that
    no candidate can bring closer by the triangle inequality (every row's
    nearest center at least twice its distance from each candidate, with a
    margin for rounding) is not read; this changes no choice and pays on data
    whose rows come cluster by cluster. Rows in any other order are re-packed
    by nearest chosen center a few times (once as many rows as ``n`` have
    moved), so that blocks hold the rows of one center (at 100000 x 64,
    k = 1024: 33 % of the blocks skipped instead of 4 %, 24 % less time). Once every remaining point
    coincides with a chosen center (fewer distinct points than clusters), the
    remaining centers repeat points drawn by weight.

    References
    ----------
    Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of
    careful seeding. SODA, section 5 (greedy variant).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> centers, idx = kmeans_plusplus(X, 3, np.ones(100), np.random.default_rng(0))
    >>> centers.shape
    (3, 2)
    """
    n, d = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    n_local_trials = int(n_local_trials)
    if not 1 <= n_local_trials <= MAX_TRIALS:
        raise ValueError(f"n_local_trials must be between 1 and {MAX_TRIALS}, got {n_local_trials}")
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    first_r = float(rng.random())
    uniforms = rng.random((n_clusters - 1) * n_local_trials).reshape(n_clusters - 1, n_local_trials)
    indices = np.empty(n_clusters, dtype=np.int64)
    if _nocompile.is_small(n, n_clusters, d):
        # small problems (those whose Lloyd passes run in NumPy too): the same rule and
        # the same bits in NumPy, nothing to compile; NumPy takes about 1 ns per unit of
        # pass_cost(n, 1 + (k - 1) m, d) here, at most a few milliseconds, where compiling
        # the seeding kernels takes 20 s on a fresh install
        _nocompile.greedy_kmeanspp(X, w, first_r, uniforms, indices)
        return np.ascontiguousarray(X[indices]), indices
    n_run = seeding_threads(n, n_threads)
    if n_run > 1 and not seeding_threads_respond(n_run, X):
        n_run = 1
    with numba_threads(n_run):
        XT, block_norm, sqnorm, mean, scale = pack_for_seeding(X)
        greedy_kmeanspp(X, w, XT, block_norm, sqnorm, scale, guard_kappa(d), mean, first_r, uniforms, indices,
                        stats if stats is not None else np.zeros(2, dtype=np.int64),
                        PRUNE_Q if d >= PRUNE_MIN_D else 0.0, REPACK_FIRST if d >= PRUNE_MIN_D else 0, REPACK_SHARE)
    return np.ascontiguousarray(X[indices]), indices


def seeding_threads(n_samples: int, n_threads: int | None) -> int:
    """The threads greedy k-means++'s kernel runs on: ``n_threads`` resolved, at most
    ``n_samples // SEED_ROWS_PER_THREAD``, at least 1 (:data:`SEED_ROWS_PER_THREAD`)."""
    return max(1, min(resolve_n_threads(n_threads), n_samples // SEED_ROWS_PER_THREAD))


def seeding_threads_respond(n_threads: int, X: np.ndarray) -> bool:
    """True when :data:`SEED_PROBE_FAST` parallel regions of ``n_threads`` threads in a row each return within :data:`SEED_REGION_LIMIT`.

    Greedy k-means++ opens one to three parallel regions per step (about 100 at
    k = 100), and each waits for every thread: when a core is busy with another
    process, a waiting thread costs a scheduler time slice per region. Measured
    (20000 x 128, k = 100, seeds 0-2, 2 threads forced against 1 thread; load from
    other processes 4.6, then with one and two busy loops of this probe's own): a
    region took 1.5, 24 and 35 ms (median) instead of about a microsecond, and the
    seeding 113-614 ms against 73-122 ms on one thread, 881-2274 against 183-205,
    2969-3745 against 281-319. So the seeding tries a few empty regions first
    (60-200 us at load 2, where the first region wakes sleeping threads; at most about
    :data:`SEED_PROBE_BUDGET` plus one slow region under load) and runs on one thread
    unless :data:`SEED_PROBE_FAST` of them in a row answered in time. A check at the
    start only: load that comes later still slows the regions.
    The thread count changes no bit of the result.

    The region is :func:`.chunk_moments` over the first row of ``X`` (validated,
    contiguous) in ``n_threads`` chunks, one of them empty: the kernel that packing
    ``X`` runs anyway, so nothing more to compile (``optimeans warmup`` covers it).
    """
    head = X[:1]
    sums = np.empty((n_threads, X.shape[1]), dtype=np.float64)
    lows = np.empty_like(sums)
    highs = np.empty_like(sums)
    with numba_threads(n_threads):
        start = time.perf_counter()
        fast = 0
        while True:
            t = time.perf_counter()
            chunk_moments(head, sums, lows, highs)
            now = time.perf_counter()
            fast = fast + 1 if now - t <= SEED_REGION_LIMIT else 0
            if fast >= SEED_PROBE_FAST:
                return True
            if fast == 0 and now - start >= SEED_PROBE_BUDGET:
                return False  # (past the budget, a run of fast regions may still finish: at most 2 more)


def afkmc2(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    rng: np.random.Generator,
    *,
    chain_length: int = AFKMC2_CHAIN,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """AFK-MC2 seeding: k-means++ approximated by short Markov chains.

    The first center is drawn by weight; every next one is the last state of
    a Metropolis-Hastings chain of ``chain_length`` proposals drawn from
    ``q(x) = 1/2 w_x D_1(x)^2 / sum w D_1^2 + 1/2 w_x / sum w`` (``D_1`` the
    distance to the first center), whose target is the k-means++ distribution
    ``w_x D(x)^2``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, validated
    n_clusters : int
    sample_weight : ndarray of shape (n_samples,), validated (positive total)
    rng : numpy Generator
    chain_length : int, default 200
    n_threads : int, optional (the result does not depend on it)

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features), X's dtype
    indices : ndarray of shape (n_clusters,), the rows chosen

    Notes
    -----
    One pass over the data (``D_1``, ``q``), then O(chain_length k^2 d / 2)
    float64 operations independent of ``n_samples``: cheaper than greedy
    k-means++ (O((2 + ln k) n k d)) when ``n`` is large compared with
    ``chain_length k / (2 (2 + ln k))``. O(n + k d + chain_length k) memory.
    Every distance is computed by one thread in a fixed order, so the result
    does not depend on the thread count.

    References
    ----------
    Bachem, O., Lucic, M., Hassani, S. H. and Krause, A. (2016). Fast and
    provably good seedings for k-means. NIPS, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(1000, 2))
    >>> centers, idx = afkmc2(X, 4, np.ones(1000), np.random.default_rng(0))
    >>> centers.shape
    (4, 2)
    """
    n = X.shape[0]
    m = int(chain_length)
    if m < 1:
        raise ValueError(f"chain_length must be a positive integer, got {chain_length!r}")
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    wcum = np.cumsum(w)
    last = int(np.flatnonzero(w > 0)[-1])
    first = min(int(np.searchsorted(wcum, rng.random() * wcum[-1], side="right")), last)
    indices = np.empty(n_clusters, dtype=np.int64)
    indices[0] = first
    with numba_threads(n_threads):
        d1 = np.empty(n, dtype=np.float64)
        sqdist_to_center(X, X[first], d1)
        wd = w * d1
        tot = float(np.cumsum(wd)[-1])
        q = 0.5 * wd / tot + 0.5 * w / wcum[-1] if tot > 0.0 else w / wcum[-1]
        qcum = np.cumsum(q)
        u = rng.random((n_clusters - 1) * m) * qcum[-1]
        proposals = np.minimum(np.searchsorted(qcum, u, side="right"), last).reshape(n_clusters - 1, m)
        accept_u = rng.random((n_clusters - 1) * (m - 1)).reshape(n_clusters - 1, m - 1)
        afkmc2_chains(X, w, q, np.ascontiguousarray(proposals, dtype=np.int64), accept_u, indices)
    return np.ascontiguousarray(X[indices]), indices


def resolve_init(init: str, n_samples: int, n_clusters: int) -> str:
    """The seeding ``init="auto"`` stands for: ``"afkmc2"`` or ``"k-means++"``.

    AFK-MC2 when ``n_clusters >= AUTO_AFKMC2_MIN_CLUSTERS`` and greedy
    k-means++'s arithmetic, ``(2 + ln k) n k`` per feature, is at least
    ``AUTO_AFKMC2_WORK_RATIO`` times AFK-MC2's, ``chain_length k^2 / 2``;
    greedy k-means++ otherwise (it reaches lower objectives: see
    :data:`AUTO_AFKMC2_WORK_RATIO`). Any other name is returned unchanged.
    """
    if init != "auto":
        return init
    k = n_clusters
    work_ratio = (2 + np.log(k)) * n_samples * k / (AFKMC2_CHAIN * k * k / 2)
    if k >= AUTO_AFKMC2_MIN_CLUSTERS and work_ratio >= AUTO_AFKMC2_WORK_RATIO:
        return "afkmc2"
    return "k-means++"


def random_points(X: np.ndarray, n_clusters: int, sample_weight: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_clusters`` distinct points chosen uniformly among rows of positive weight.

    Rows are visited in a random order and a row equal to one already chosen is
    skipped; when there are fewer distinct points than clusters the rest repeat.
    """
    n = X.shape[0]
    order = rng.permutation(np.flatnonzero(sample_weight > 0))
    chosen: list[int] = []
    seen: set[bytes] = set()
    for i in order:
        key = X[i].tobytes()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(i))
        if len(chosen) == n_clusters:
            break
    while len(chosen) < n_clusters:
        chosen.append(int(order[rng.integers(len(order))] if len(order) else rng.integers(n)))
    idx = np.asarray(chosen, dtype=np.int64)
    return np.ascontiguousarray(X[idx]), idx


def init_centers(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    init: Any,
    rng: np.random.Generator,
    *,
    n_threads: int | None = None,
) -> np.ndarray:
    """Initial centers from an init name, a user array, or a callable.

    A callable is called as ``init(X, n_clusters, rng)`` and must return an
    array of shape (n_clusters, n_features).
    """
    if isinstance(init, str):
        init = resolve_init(init, X.shape[0], n_clusters)
        if init == "afkmc2":
            return afkmc2(X, n_clusters, sample_weight, rng, n_threads=n_threads)[0]
        if init == "k-means++":
            return kmeans_plusplus(X, n_clusters, sample_weight, rng, n_threads=n_threads)[0]
        if init == "random":
            return random_points(X, n_clusters, sample_weight, rng)[0]
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    if callable(init):
        return check_centers(init(X, n_clusters, rng), n_clusters, X.shape[1], X.dtype, name="init()")
    return check_centers(init, n_clusters, X.shape[1], X.dtype)
