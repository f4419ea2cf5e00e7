r"""Greedy k-means++ at the speed of the Lloyd kernel.

Each step of greedy k-means++ draws ``m`` candidate points with probability
proportional to ``p_i = w_i D_i`` (``D_i`` the canonical squared distance,
:func:`.lloyd.sqdist64`, to the nearest chosen center) and keeps the candidate
``t`` of largest *gain*

.. math::  G_t = \sum_i w_i \max(0, D_i - \lVert x_i - x_t \rVert^2) ,

the drop of the potential ``sum_i w_i D_i`` if ``t`` were added (largest gain
is smallest potential). Only the points that the candidate brings closer
contribute, a fraction of order ``1/k`` of them, so the sum is over few rows.

The scan
--------
The candidates' distances run through the packed float32 blocks of the Lloyd
kernel (:func:`.lloyd.pack_data`): one vector holds one feature of ``L``
points; from :data:`WIDE_D` features on, two blocks and a group of up to eight candidates stay in registers
(groups of eight, six, four or two: :func:`_scan_pair`, one pass over the
pair's features per group, so ``m = 6`` (k near 100) or ``m = 8`` (k near
1000) read each block once per step) and the next pair is prefetched during the
first group (below, groups of four, inline); a distance costs ``d`` fused multiply-adds. A point is *flagged* for candidate
``t`` unless the fast value proves that the candidate is not strictly closer
than ``D_i``: with the bound ``epsilon`` of the Lloyd guard
(:mod:`.lloyd`, "Exactness guard"), the fast value ``F`` satisfies
``F + ||x'||^2 >= ||x' - c'||^2 - epsilon``, so ``F > lim_i`` with

.. math::  \mathrm{lim}_i = s^2 D_i (1 + \gamma) - \lVert x'_i \rVert^2 + 2\varepsilon_b ,

(rounded up to float32; ``s`` the power-of-two scale of the packed data,
``gamma`` covering the float64 rounding of :func:`.lloyd.sqdist64`,
``epsilon_b`` the guard of the block with the largest data norm as the
candidate's norm: candidates are data points) proves that the canonical
distance is at least ``D_i``; unflagged points contribute nothing.

Deciding
--------
The gains themselves are defined with canonical float64 distances, but the
step only needs to know which candidate has the largest. A flagged pair's
fast value gives its distance ``(F + ||x'_i||^2) / s^2`` within
``delta_i = 2 kappa r_b^2 / s^2 + 4 gamma (D_i + |value|)`` (twice the
guard of the Lloyd kernel, in data units), so its term ``w_i max(0, D_i - s_it)``
lies between the terms of the value moved by ``-delta_i`` and ``+delta_i``.
Summed per chunk, these give a lower and an upper bound on every gain; when
the largest lower bound exceeds every other candidate's upper bound (with a
relative margin for the float64 rounding of the sums, ``(n + 64) 2^-50``),
that candidate is the one the rule chooses, and the only canonical
distances computed are those of the rows it may bring closer (to update
``D``). Otherwise (near-equal gains: the same point drawn twice or under two
rows, symmetric data, small late gains) the exact gains of the candidates that
can still win are summed from the recorded pairs, in the order below. Either
way the choice is the rule's, whatever the fast path did.

Pruning
-------
From :data:`PRUNE_MIN_D` features on, each row also keeps ``owner[i]``, the
chosen center ``c`` whose canonical distance is ``D_i``. By the triangle
inequality (Elkan 2003, Lemma 1; used for k-means++ by Raff 2021), a candidate
``t`` with ``||t - c|| >= 2 sqrt(D_i)`` is at least ``sqrt(D_i)`` from the row,
so it cannot bring the row strictly closer. Per step the canonical distances
of the candidates to the chosen centers (``m`` times the centers so far) give
``reach[c] = q min_t ||t - c||^2``, and a block whose rows all have
``D_i <= reach[owner[i]]`` is not read (12 bytes a row instead of ``4 d``).
With ``q = PRUNE_Q = (1 - 2^-20) / 4``: writing ``g = (d + 8) 2^-52`` for the
relative error of a canonical distance (far below ``2^-22`` for ``d < 2^28``),
the true distances satisfy ``D <= ||t - c||^2 (1 - eta) / 4`` with ``eta``
above ``2^-21``, hence ``||x - t||^2 >= D (1 + eta)^2`` and the canonical
distance of the pair is at least the canonical ``D_i``: the row would have added
nothing to any gain (its term is ``max(0, D_i - s) = 0``) and would not move.
So the pruning changes no bit of the choices or of ``D``; it only spares reading
blocks. It pays only where rows of a block share their nearest center, and the
candidates are far from most of them: data stored cluster by cluster, or late
steps; in random row order a block of :data:`.lloyd.BLOCK` rows rarely has all
its rows out of reach (3 to 6 % of the blocks of the benchmark shapes). A step
that prunes little makes the next ones skip the test (:data:`PRUNE_RETRY_SHARE`).

Re-packing
----------
Pruning needs blocks whose rows all sit near one chosen center. In random row
order nearly every block holds a row of a cluster not yet seeded (large ``D``,
in reach of the candidates), so the test skips few blocks (1.4 % at
20000 x 128, k = 100, make_blobs). With pruning on, from step ``repack_first``
on, once the rows moved since the last re-pack (or since the start) number
``repack_share * n``, the packed rows are permuted (:func:`_repack`): ordered by
nearest chosen center, then by ``D`` (:func:`_repack_order`), so that the rows
near a center fill whole blocks (41 % of the blocks skipped at that shape).
Packed position ``p`` then holds row ``perm[p]``. The scan, the pruning test,
the flags and the moves use per-position arrays (``D``, owner, weight, squared
norm, limit); the sampling keeps ``D`` in row order (its tree of sums is in row
order and must stay so), and the exact gains scatter the recorded bits back to
row order before summing per chunk in row order. A row's packed values do not
depend on its place and the guards are recomputed per block: the choices and
every bit of ``D`` are those of the kernel that never re-packs. A re-pack
rewrites the packed data from ``X`` (about 2 ms at 20000 x 128, 10 ms at
100000 x 64 under load, against 0.4 and 1 ms for a step), hence the trigger
(:data:`REPACK_SHARE`).

Order of the sums (the rule a reference implementation must follow)
------------------------------------------------------------------
* Gains: rows are cut into chunks of :data:`.lloyd.CHUNK`; per chunk and
  candidate the positive terms ``w_i (D_i - s_it)`` are added in row order
  (starting from 0.0), then the chunk gains are added in chunk order. The
  chosen candidate is the first of largest gain.
* Sampling: ``p_i = w_i * D_i`` (one float64 product). Sub-blocks of
  :data:`SUB` rows hold their total (row order), a chunk its sub-block totals
  (in order), the potential is the sum of the chunk totals (in order). A draw
  ``u = r * potential`` (``r`` uniform in [0, 1)) descends the three levels:
  at each, the first entry whose running sum exceeds ``u`` (falling back to the
  last positive entry), and ``u`` minus the running sum before it goes down.

Chunks run in parallel and write their own partial results, reduced in chunk
order: the chosen points do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, pjit, prange
from .lloyd import CHUNK, pack_centers, sqdist64
from ._simd import lanes, prefetch, vfill, vfma, vget, vlanes, vload, vmask_not_gt, vmin, vsub

#: Rows per sub-block of the sampling tree (divides :data:`CHUNK`).
SUB = 64
#: Most candidates per step (one bit each in an int64 mask).
MAX_TRIALS = 63
#: From this many features on, the candidates of a block pair go through :func:`_scan_pair`
#: (groups of up to eight, the next pair prefetched); below, inline groups of four. Measured
#: (1 thread, interleaved with the previous kernel, under load 13 to 19): at 20000 x 128,
#: m = 6, 0.140 against 0.160 s thread CPU; at 60000 x 2, k = 3000 (m = 10) the per-pair call
#: cost 1.92 against 0.75 s, hence the inline path for small ``d``.
WIDE_D = 16
#: When a step's flagged rows (all candidates) times (padded features + :data:`SUB`) is at most
#: this, the chosen candidate's rows are moved on one thread: a parallel region costs more to start
#: and join than these few canonical distances and sub-block totals (2730 rows at 128 features,
#: about 80 of the 99 steps at 20000 x 128, k = 100 (rows that some candidate brings strictly
#: closer, counted in NumPy); 7281 rows at 2 features). The chunks are
#: independent: the same bits either way.
SERIAL_APPLY_WORK = 1 << 19
#: Rows per part of the candidates' scan: a chunk is scanned as ``CHUNK // SCAN`` parts in
#: parallel, so that 2 threads share 20000 rows as 10240 and 9760 (five chunks: 12288 and 7712).
#: The parts' bounds are bounds whatever the order of their sums; the exact gains and the moves
#: still run per chunk, over its parts' rows in row order.
SCAN = CHUNK // 2
#: ``prune_q`` of :func:`greedy_kmeanspp`: a quarter (Elkan's lemma) shrunk by ``2^-20``, far
#: more than the float64 rounding of the canonical distances it compares (module docstring, "Pruning").
PRUNE_Q = 0.25 * (1.0 - 2.0**-20)
#: From this many features on, greedy k-means++ prunes blocks. Below, testing a block's 16 rows
#: costs more than scanning it: at 250000 x 2, k = 6000 (make_blobs, seed 0, 1 thread, load 4.4
#: to 5.8) pruning skipped 80.1 % of the blocks but took 6.3 to 6.8 s CPU against 3.9 to 4.5 s.
PRUNE_MIN_D = WIDE_D
#: A step that prunes fewer than ``1 / PRUNE_RETRY_SHARE`` of the blocks makes the next
#: 1, 2, 4, ... (at most :data:`PRUNE_MAX_WAIT`) steps skip the test. Measured (1 thread,
#: thread CPU, alternated with the unpruned kernel, load 3.4 to 6.2): at 100000 x 64, k = 1024 in
#: random row order the test skips about 5 % of the blocks, and testing on every step (share 32)
#: took 2.0 to 2.5 s against 1.8 to 2.1 s; with share 8, 1.7 to 2.2 s against 1.9 to 2.8 s.
PRUNE_RETRY_SHARE = 8
PRUNE_MAX_WAIT = 32
#: The blocks are re-packed by nearest chosen center (module docstring, "Re-packing"), from step
#: ``repack_first`` of :func:`greedy_kmeanspp` on, once the rows moved since the last re-pack number
#: this share of ``n`` (a row that moves twice counts twice). Measured (make_blobs, float32, 1 thread,
#: process CPU time, median of seeds 0-2, alternated in one process, load 2.3 to 2.8): at
#: 100000 x 64, k = 1024, no re-pack 1265 ms (4.4 % of the blocks skipped), share 1 959 ms
#: (4 to 5 re-packs, 32.8 %), 1/2 992 ms (38.7 %), 1/4 1060 ms (41.7 %); at 20000 x 128,
#: k = 100, no re-pack 48.4 ms, share 1 (from step 12) 43.5 ms (2 re-packs, 36.2 %), 3/4 45.6 ms,
#: 1/2 46.4 ms (41.2 %), and 1/8 56.7 ms, 1/16 75.8 ms (13 and 23 re-packs): a re-pack costs
#: about four steps there.
REPACK_SHARE = 1.0
#: ``repack_first`` of :func:`kmeans_plusplus` (from :data:`PRUNE_MIN_D` features on): the first
#: steps move most rows and find few to prune.
REPACK_FIRST = 8
#: :func:`_repack` asks for the row this many rows ahead (the rows of ``X`` are read in a random
#: order that the hardware prefetcher cannot follow; measured 1.2 to 1.4 against 1.9 to 6.7 ms
#: for the gather of 20000 x 128 float32, cold cache, under load).
PREFETCH_ROWS = 8
#: From this many features on, the moves (:func:`_apply_part`) prefetch the row of ``X`` a few
#: moves ahead (:data:`PREFETCH_ROWS`): the moved rows are sparse in ``X`` (scattered once re-packed),
#: and each move waited for its row (about 85000 moves of 512 bytes at 20000 x 128, k = 100, seed 0).
#: Measured (make_blobs, float32, 1 thread, process CPU time, median of 7 runs, alternated with the
#: kernel without it in separate processes, load 2.6 to 2.7): 37.3 / 38.5 / 38.7 ms against
#: 42.6 / 40.0 / 41.3 ms. Below, the rows are a few bytes and ``X`` stays in cache.
PREFETCH_MIN_D = WIDE_D
#: float64 lanes per vector (AFK-MC2 proposals per block).
_L8 = lanes(np.float64)


@njit(inline="always")
def _roundup32(v):
    """A float32 at least ``v`` (round to nearest of ``v`` nudged up by more than half an ulp)."""
    return np.float32(v + abs(v) * 2.0**-22 + 1e-44)


@njit(inline="always")
def _row_limit(closest_i, scale2, gamma, sqnorm_i, thr):
    return _roundup32(closest_i * scale2 * (1.0 + gamma) - sqnorm_i + thr)


@njit(inline="always")
def _sub_total(w, closest, use_closest, i0, i1):
    s = 0.0
    for i in range(i0, i1):
        s += w[i] * closest[i] if use_closest else w[i]
    return s


@njit(inline="always")
def _chunk_total(sub_tot, c, nsub):
    s = 0.0
    for b in range(c * (CHUNK // SUB), min(nsub, (c + 1) * (CHUNK // SUB))):
        s += sub_tot[b]
    return s


@njit
def _pick(tot, lo, hi, u):
    """First ``j`` in ``[lo, hi)`` whose running sum of ``tot`` exceeds ``u`` (else the last positive); ``u`` left."""
    cum = 0.0
    last = -1
    last_cum = 0.0
    for j in range(lo, hi):
        v = tot[j]
        nxt = cum + v
        if v > 0.0:
            if nxt > u:
                return j, u - cum
            last = j
            last_cum = cum
        cum = nxt
    return last, u - last_cum


@njit
def sample_row(u, w, closest, use_closest, sub_tot, chunk_tot):
    """The row drawn by ``u`` (in ``[0, potential)``) through the three-level tree (module docstring)."""
    n = w.shape[0]
    c, u = _pick(chunk_tot, 0, chunk_tot.shape[0], u)
    nsub = sub_tot.shape[0]
    b, u = _pick(sub_tot, c * (CHUNK // SUB), min(nsub, (c + 1) * (CHUNK // SUB)), u)
    cum = 0.0
    last = -1
    for i in range(b * SUB, min(n, (b + 1) * SUB)):
        v = w[i] * closest[i] if use_closest else w[i]
        nxt = cum + v
        if v > 0.0:
            if nxt > u:
                return i
            last = i
        cum = nxt
    return last


@njit(inline="always")
def _pf(panel, pf, f, L, d):
    """Prefetch feature ``f`` of the two blocks at ``pf`` (the next pair; nothing when ``pf < 0``)."""
    if pf >= 0:
        prefetch(panel, pf + f * L)
        prefetch(panel, pf + (d + f) * L)


@njit(inline="always")
def _scan8(panel, base_a, base_b, d, C2, cn, j, pf):
    """Fast values ``cn_t + x' . C2_t`` of candidates ``j .. j+7`` for two blocks (sixteen vectors).

    Each value is the same chain of FMAs over the features in order as in
    :func:`_scan2` / :func:`_scan4` / :func:`_scan6`: the grouping changes no bit.
    ``pf`` (or -1) is the base of the next block pair, prefetched feature by feature.
    """
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    a2 = vfill(panel, cn[j + 2])
    a3 = vfill(panel, cn[j + 3])
    a4 = vfill(panel, cn[j + 4])
    a5 = vfill(panel, cn[j + 5])
    a6 = vfill(panel, cn[j + 6])
    a7 = vfill(panel, cn[j + 7])
    b0 = a0
    b1 = a1
    b2 = a2
    b3 = a3
    b4 = a4
    b5 = a5
    b6 = a6
    b7 = a7
    for f in range(d):
        _pf(panel, pf, f, L, d)
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
        c = vfill(panel, C2[j + 2, f])
        a2 = vfma(xa, c, a2)
        b2 = vfma(xb, c, b2)
        c = vfill(panel, C2[j + 3, f])
        a3 = vfma(xa, c, a3)
        b3 = vfma(xb, c, b3)
        c = vfill(panel, C2[j + 4, f])
        a4 = vfma(xa, c, a4)
        b4 = vfma(xb, c, b4)
        c = vfill(panel, C2[j + 5, f])
        a5 = vfma(xa, c, a5)
        b5 = vfma(xb, c, b5)
        c = vfill(panel, C2[j + 6, f])
        a6 = vfma(xa, c, a6)
        b6 = vfma(xb, c, b6)
        c = vfill(panel, C2[j + 7, f])
        a7 = vfma(xa, c, a7)
        b7 = vfma(xb, c, b7)
    return (a0, a1, a2, a3, a4, a5, a6, a7), (b0, b1, b2, b3, b4, b5, b6, b7)


@njit(inline="always")
def _scan6(panel, base_a, base_b, d, C2, cn, j, pf):
    """As :func:`_scan8` for candidates ``j .. j+5`` (twelve vectors)."""
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    a2 = vfill(panel, cn[j + 2])
    a3 = vfill(panel, cn[j + 3])
    a4 = vfill(panel, cn[j + 4])
    a5 = vfill(panel, cn[j + 5])
    b0 = a0
    b1 = a1
    b2 = a2
    b3 = a3
    b4 = a4
    b5 = a5
    for f in range(d):
        _pf(panel, pf, f, L, d)
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
        c = vfill(panel, C2[j + 2, f])
        a2 = vfma(xa, c, a2)
        b2 = vfma(xb, c, b2)
        c = vfill(panel, C2[j + 3, f])
        a3 = vfma(xa, c, a3)
        b3 = vfma(xb, c, b3)
        c = vfill(panel, C2[j + 4, f])
        a4 = vfma(xa, c, a4)
        b4 = vfma(xb, c, b4)
        c = vfill(panel, C2[j + 5, f])
        a5 = vfma(xa, c, a5)
        b5 = vfma(xb, c, b5)
    return (a0, a1, a2, a3, a4, a5), (b0, b1, b2, b3, b4, b5)


@njit(inline="always")
def _scan4(panel, base_a, base_b, d, C2, cn, j, pf):
    """As :func:`_scan8` for candidates ``j .. j+3`` (eight vectors)."""
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    a2 = vfill(panel, cn[j + 2])
    a3 = vfill(panel, cn[j + 3])
    b0 = a0
    b1 = a1
    b2 = a2
    b3 = a3
    for f in range(d):
        _pf(panel, pf, f, L, d)
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
        c = vfill(panel, C2[j + 2, f])
        a2 = vfma(xa, c, a2)
        b2 = vfma(xb, c, b2)
        c = vfill(panel, C2[j + 3, f])
        a3 = vfma(xa, c, a3)
        b3 = vfma(xb, c, b3)
    return (a0, a1, a2, a3), (b0, b1, b2, b3)


@njit(inline="always")
def _scan2(panel, base_a, base_b, d, C2, cn, j, pf):
    """As :func:`_scan8` for candidates ``j, j+1`` (four vectors)."""
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    b0 = a0
    b1 = a1
    for f in range(d):
        _pf(panel, pf, f, L, d)
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
    return (a0, a1), (b0, b1)


@njit(inline="always")
def _scan4_flat(panel, base_a, base_b, d, C2, cn, j):
    """Fast values of candidates ``j .. j+3`` for two blocks as a flat tuple (the path for small ``d``)."""
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    a2 = vfill(panel, cn[j + 2])
    a3 = vfill(panel, cn[j + 3])
    b0 = a0
    b1 = a1
    b2 = a2
    b3 = a3
    for f in range(d):
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
        c = vfill(panel, C2[j + 2, f])
        a2 = vfma(xa, c, a2)
        b2 = vfma(xb, c, b2)
        c = vfill(panel, C2[j + 3, f])
        a3 = vfma(xa, c, a3)
        b3 = vfma(xb, c, b3)
    return a0, a1, a2, a3, b0, b1, b2, b3


@njit(inline="always")
def _scan2_flat(panel, base_a, base_b, d, C2, cn, j):
    """As :func:`_scan4_flat` for candidates ``j, j+1`` (four vectors): the last group when ``m % 4`` is 1 or 2."""
    L = vlanes(panel)
    a0 = vfill(panel, cn[j])
    a1 = vfill(panel, cn[j + 1])
    b0 = a0
    b1 = a1
    for f in range(d):
        xa = vload(panel, base_a + f * L)
        xb = vload(panel, base_b + f * L)
        c = vfill(panel, C2[j, f])
        a0 = vfma(xa, c, a0)
        b0 = vfma(xb, c, b0)
        c = vfill(panel, C2[j + 1, f])
        a1 = vfma(xa, c, a1)
        b1 = vfma(xb, c, b1)
    return a0, a1, b0, b1


@njit(inline="always")
def _any_close(v, lim):
    """True if some lane of some vector of the tuple ``v`` is not above ``lim``."""
    low = v[0]
    for t in v:
        low = vmin(low, t)
    return vmask_not_gt(low, lim) != 0


@njit(inline="always")
def _masks4(v, q, lim):
    """The lane masks of vectors ``q .. q+3`` of the tuple ``v`` (0 past its end)."""
    z = np.int64(0)
    n = len(v)
    m0 = vmask_not_gt(v[q], lim) if q < n else z
    m1 = vmask_not_gt(v[q + 1], lim) if q + 1 < n else z
    m2 = vmask_not_gt(v[q + 2], lim) if q + 2 < n else z
    m3 = vmask_not_gt(v[q + 3], lim) if q + 3 < n else z
    return (m0, m1, m2, m3)


@njit(inline="always")
def _vals4(v, q):
    """Vectors ``q .. q+3`` of the tuple ``v`` (``v[q]`` repeated past its end, where the masks are 0)."""
    n = len(v)
    return (v[q], v[q + 1] if q + 1 < n else v[q], v[q + 2] if q + 2 < n else v[q],
            v[q + 3] if q + 3 < n else v[q])


@njit(inline="always")
def _group(vv, X, w, closest, sqnorm, m, j, b, nb2, la, lb, n, glo, ghi, bits, L, inv_s2, dla, dlb, gamma4):
    """Flag the rows of blocks ``b`` (and ``b + 1`` if ``nb2 == 2``) for the group of candidates from ``j``.

    ``vv`` holds the fast values (two tuples, one per block). One comparison per
    block for the common case: no candidate comes close to any point. Returns
    the bits of the blocks with a flagged point.
    """
    va, vb = vv
    hit = 0
    if _any_close(va, la):
        for q in range(0, len(va), 4):
            _flag_block(w, closest, sqnorm, m, j + q, b * L, n, _masks4(va, q, la), _vals4(va, q),
                        glo, ghi, bits, 0, L, inv_s2, dla, gamma4)
        hit |= 1
    if nb2 == 2 and _any_close(vb, lb):
        for q in range(0, len(vb), 4):
            _flag_block(w, closest, sqnorm, m, j + q, (b + 1) * L, n, _masks4(vb, q, lb), _vals4(vb, q),
                        glo, ghi, bits, 1, L, inv_s2, dlb, gamma4)
        hit |= 2
    return hit


@njit(inline="never")
def _flag_block(w, closest, sqnorm, m, j, i0, n, masks, vals, glo, ghi, bits, h, L, inv_s2, dl, gamma4):
    """Bounds on the gains from the flagged (row, candidate) pairs of one block; bits of the pairs that may gain.

    The fast value ``F`` of a flagged pair gives the distance ``(F + ||x'||^2) / s^2`` within
    ``dl + gamma4 (D_i + |value|)`` of the canonical one (``dl`` the block's guard in data
    units); the pair adds its smallest and largest possible term to ``glo`` and ``ghi``,
    and sets its bit when the largest is positive (the candidate may bring the row closer).
    """
    for t in range(4):
        tt = j + t
        if tt >= m:
            break
        mk = masks[t]
        if mk == 0:
            continue
        v = vals[t]
        for l in range(L):
            if (mk >> l) & 1:
                i = i0 + l
                if i >= n:
                    break
                ci = closest[i]
                est = (np.float64(vget(v, l)) + sqnorm[i]) * inv_s2
                e = dl + gamma4 * (ci + abs(est))
                hi = ci - est + e
                if hi > 0.0:
                    ghi[tt] += w[i] * hi
                    lo = ci - est - e
                    if lo > 0.0:
                        glo[tt] += w[i] * lo
                    bits[h * L + l] |= np.int64(1) << tt


@njit
def _scan_pair(X, w, closest, sqnorm, XT, C2, cn, m, b, nb2, la, lb, pf, glo, ghi, bits, inv_s2, dla, dlb, gamma4):
    """All ``m`` candidates over the block pair ``b, b + 1`` (one block if ``nb2 == 1``).

    Groups of eight, six, four or two candidates (the last one padded), each one
    pass over the pair's features. Returns bit ``h`` set when block ``b + h`` has
    a flagged point. (A function of its own: the tuples of vectors stay out of
    the parallel loop's analysis.)
    """
    n, d = X.shape
    L = vlanes(XT)
    base_a = b * d * L
    base_b = (b + nb2 - 1) * d * L
    hit = 0
    j = 0
    while j < m:
        r = m - j
        if r >= 7:
            hit |= _group(_scan8(XT, base_a, base_b, d, C2, cn, j, pf),
                          X, w, closest, sqnorm, m, j, b, nb2, la, lb, n, glo, ghi, bits, L, inv_s2, dla, dlb, gamma4)
            j += 8
        elif r >= 5:
            hit |= _group(_scan6(XT, base_a, base_b, d, C2, cn, j, pf),
                          X, w, closest, sqnorm, m, j, b, nb2, la, lb, n, glo, ghi, bits, L, inv_s2, dla, dlb, gamma4)
            j += 6
        elif r >= 3:
            hit |= _group(_scan4(XT, base_a, base_b, d, C2, cn, j, pf),
                          X, w, closest, sqnorm, m, j, b, nb2, la, lb, n, glo, ghi, bits, L, inv_s2, dla, dlb, gamma4)
            j += 4
        else:
            hit |= _group(_scan2(XT, base_a, base_b, d, C2, cn, j, pf),
                          X, w, closest, sqnorm, m, j, b, nb2, la, lb, n, glo, ghi, bits, L, inv_s2, dla, dlb, gamma4)
            j += 2
        pf = -1
    return hit


@njit(inline="always")
def _candidate_chunk(X, w, XT, lim, closest, sqnorm, block_dl, C2, cn, m, c, chunk_lo, chunk_hi,
                     rows, row_bits, counts, bits, inv_s2, gamma4, prune, owner, reach, skipped):
    """Bounds on the gains of the ``m`` candidates over part ``c`` (:data:`SCAN` rows); records the rows they may bring closer.

    With ``prune``, a block whose rows all satisfy ``closest[i] <= reach[owner[i]]``
    (no candidate can bring them strictly closer: :func:`_block_out_of_reach`) is not
    read; ``skipped[c]`` counts those blocks.
    """
    n, d = X.shape
    L = vlanes(XT)
    nb_all = XT.shape[0] // (d * L)
    glo = chunk_lo[c]
    ghi = chunk_hi[c]
    for t in range(m):
        glo[t] = 0.0
        ghi[t] = 0.0
    start = c * SCAN
    end = min(n, start + SCAN)
    b_first = start // L
    b_end = (end + L - 1) // L
    cnt = 0
    nskip = 0
    for b0 in range(b_first, b_end, 2):
        b = b0
        nb2 = 2 if b + 1 < b_end else 1
        if prune:
            out_a = _block_out_of_reach(closest, owner, reach, b * L, n, L)
            out_b = nb2 == 2 and _block_out_of_reach(closest, owner, reach, (b + 1) * L, n, L)
            if out_a and (nb2 == 1 or out_b):
                nskip += nb2
                continue
            if out_a:
                b += 1  # only the second block of the pair
                nb2 = 1
                nskip += 1
            elif out_b:
                nb2 = 1  # only the first
                nskip += 1
        la = vload(lim, b * L)
        lb = vload(lim, (b + nb2 - 1) * L)
        dla = block_dl[b]
        dlb = block_dl[b + nb2 - 1]
        if d >= WIDE_D:
            # the next pair, prefetched during the first group: the scan streams the packed data once per step
            pf = (b0 + 2) * d * L if b0 + 3 < nb_all else -1
            hit = _scan_pair(X, w, closest, sqnorm, XT, C2, cn, m, b, nb2, la, lb, pf, glo, ghi, bits,
                             inv_s2, dla, dlb, gamma4)
        else:
            # few features: groups of four inline, no call per pair (the per-pair overhead dominates)
            base_a = b * d * L
            base_b = (b + nb2 - 1) * d * L
            hit = 0  # bit h: block b + h has a flagged point
            for j in range(0, m, 4):
                if m - j <= 2:
                    # a last group of one or two candidates: half the work of a padded group of four
                    a0, a1, b0, b1 = _scan2_flat(XT, base_a, base_b, d, C2, cn, j)
                    if vmask_not_gt(vmin(a0, a1), la) != 0:
                        ma = (vmask_not_gt(a0, la), vmask_not_gt(a1, la), np.int64(0), np.int64(0))
                        _flag_block(w, closest, sqnorm, m, j, b * L, n, ma, (a0, a1, a0, a0),
                                    glo, ghi, bits, 0, L, inv_s2, dla, gamma4)
                        hit |= 1
                    if nb2 == 2 and vmask_not_gt(vmin(b0, b1), lb) != 0:
                        mb = (vmask_not_gt(b0, lb), vmask_not_gt(b1, lb), np.int64(0), np.int64(0))
                        _flag_block(w, closest, sqnorm, m, j, (b + 1) * L, n, mb, (b0, b1, b0, b0),
                                    glo, ghi, bits, 1, L, inv_s2, dlb, gamma4)
                        hit |= 2
                    continue
                a0, a1, a2, a3, b0, b1, b2, b3 = _scan4_flat(XT, base_a, base_b, d, C2, cn, j)
                # one comparison per block for the common case: no candidate comes close to any point
                if vmask_not_gt(vmin(vmin(a0, a1), vmin(a2, a3)), la) != 0:
                    ma = (vmask_not_gt(a0, la), vmask_not_gt(a1, la), vmask_not_gt(a2, la), vmask_not_gt(a3, la))
                    _flag_block(w, closest, sqnorm, m, j, b * L, n, ma, (a0, a1, a2, a3),
                                glo, ghi, bits, 0, L, inv_s2, dla, gamma4)
                    hit |= 1
                if nb2 == 2 and vmask_not_gt(vmin(vmin(b0, b1), vmin(b2, b3)), lb) != 0:
                    mb = (vmask_not_gt(b0, lb), vmask_not_gt(b1, lb), vmask_not_gt(b2, lb), vmask_not_gt(b3, lb))
                    _flag_block(w, closest, sqnorm, m, j, (b + 1) * L, n, mb, (b0, b1, b2, b3),
                                glo, ghi, bits, 1, L, inv_s2, dlb, gamma4)
                    hit |= 2
        if hit == 0:
            continue  # the common case late in the seeding: no point of the pair comes closer
        for q in range(nb2 * L):
            if bits[q] != 0:
                rows[start + cnt] = b * L + q
                row_bits[start + cnt] = bits[q]
                bits[q] = 0
                cnt += 1
    counts[c] = cnt
    skipped[c] = nskip


@njit(inline="always")
def _block_out_of_reach(closest, owner, reach, i0, n, L):
    """True when no row of the block at ``i0`` can be brought strictly closer by any candidate.

    ``reach[j]`` is a lower bound on a quarter of the squared distance from
    center ``j`` to the nearest candidate, shrunk by a relative margin: a row
    whose nearest center is ``j`` and with ``D_i <= reach[j]`` keeps its
    canonical ``D_i`` (Elkan's lemma; module docstring, "Pruning").
    """
    for i in range(i0, min(n, i0 + L)):
        if not closest[i] <= reach[owner[i]]:
            return False
    return True


@njit(inline="always")
def _exact_chunk(X, w, closest, C64, m, c, rows, row_bits, counts, want, gain):
    """The exact gains over chunk ``c`` of the candidates whose bit is set in ``want`` (0 for the others).

    Canonical distances of the recorded pairs: rows are recorded in row order
    and every row a candidate brings strictly closer has its bit, so this is the
    sum of the rule (module docstring).
    """
    for t in range(m):
        gain[t] = 0.0
    for u in range(c * (CHUNK // SCAN), min(counts.shape[0], (c + 1) * (CHUNK // SCAN))):
        start = u * SCAN
        for e in range(counts[u]):
            i = rows[start + e]
            rb = row_bits[start + e] & want
            if rb == 0:
                continue
            ci = closest[i]
            for t in range(m):
                if (rb >> t) & 1:
                    s = sqdist64(X, i, C64, t)
                    if s < ci:
                        gain[t] += w[i] * (ci - s)


@njit
def _contenders(lo, hi, cand, m, rel):
    """Bits of the candidates that may have the largest gain (the first draw of a row only)."""
    mx = 0.0
    for t in range(m):
        if lo[t] > mx:
            mx = lo[t]
    low = mx * (1.0 - rel)
    want = np.int64(0)
    for t in range(m):
        if hi[t] * (1.0 + rel) < low:
            continue  # its gain is below another's: never the first of the largest
        dup = False
        for u in range(t):
            if cand[u] == cand[t]:
                dup = True  # the same gain bit for bit as the earlier draw, which wins the tie
        if not dup:
            want |= np.int64(1) << t
    return want


@njit
def _decided(lo, hi, cand, m, rel):
    """The candidate the bounds prove to have the largest gain (first of equals), else -1.

    ``lo``/``hi`` bound each exact gain up to the float64 rounding of the sums,
    covered by the relative margin ``rel``. The same row drawn twice has the same
    gain bit for bit: only its first draw counts.
    """
    b = 0
    for t in range(1, m):
        if lo[t] > lo[b]:
            b = t
    low = lo[b] * (1.0 - rel)
    if not low > 0.0:
        return -1
    for t in range(m):
        if t == b or cand[t] == cand[b]:
            continue
        if not hi[t] * (1.0 + rel) < low:
            return -1
    return b


@njit(inline="always")
def _exact_chunk_scattered(X, w, closest, C64, m, c, ebits, gain):
    """:func:`_exact_chunk` once the blocks are re-packed: the recorded bits scattered to ``ebits``
    (original row order), so the chunk's rows are visited in row order, as the rule sums them."""
    n = X.shape[0]
    for t in range(m):
        gain[t] = 0.0
    for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
        rb = ebits[i]
        if rb == 0:
            continue
        ebits[i] = 0
        ci = closest[i]
        for t in range(m):
            if (rb >> t) & 1:
                s = sqdist64(X, i, C64, t)
                if s < ci:
                    gain[t] += w[i] * (ci - s)


@njit(inline="always")
def _apply_part(X, closest, cp, perm, lim, sqnorm, block_norm, C64, best, u, rows, row_bits, counts,
                scale2, gamma, kappa, rmax, owner, step, dirty, chunk_dirty, X_flat, pf_rows):
    """Move the rows of scan part ``u`` that the chosen candidate brings closer; returns their number.

    ``rows`` holds packed positions ``p`` (row ``perm[p]``): ``D`` is written in
    both orders, the row's sub-block and chunk are marked for :func:`_refresh_chunk`.
    Two threads may mark the same flag: both store 1.
    """
    L = vlanes(lim)
    start = u * SCAN
    moved = 0
    cnt = counts[u]
    d = X.shape[1]
    line = max(1, 64 // X.itemsize)  # elements of X per cache line
    for e in range(cnt):
        if pf_rows and e + PREFETCH_ROWS < cnt and (row_bits[start + e + PREFETCH_ROWS] >> best) & 1:
            # the row a few moves ahead: scattered over X once re-packed, sparse before (latency)
            ia = perm[rows[start + e + PREFETCH_ROWS]] * d
            for f in range(0, d, line):
                prefetch(X_flat, ia + f)
        if (row_bits[start + e] >> best) & 1:
            p = rows[start + e]
            i = perm[p]
            s = sqdist64(X, i, C64, best)
            if not s < cp[p]:
                continue  # flagged by the bounds, but the canonical distance is not smaller
            moved += 1
            cp[p] = s
            closest[i] = s
            owner[p] = step
            r = block_norm[p // L] + rmax
            lim[p] = _row_limit(s, scale2, gamma, sqnorm[p], 2.0 * kappa * r * r)
            dirty[i // SUB] = 1
            chunk_dirty[i // CHUNK] = 1
    return moved


@njit(inline="always")
def _refresh_chunk(w, closest, sub_tot, chunk_tot, dirty, chunk_dirty, c):
    """Recompute the marked sub-block totals of chunk ``c`` (row order) and its total."""
    if chunk_dirty[c] == 0:
        return
    chunk_dirty[c] = 0
    n = w.shape[0]
    nsub = sub_tot.shape[0]
    for b in range(c * (CHUNK // SUB), min(nsub, (c + 1) * (CHUNK // SUB))):
        if dirty[b] != 0:
            dirty[b] = 0
            sub_tot[b] = _sub_total(w, closest, True, b * SUB, min(n, (b + 1) * SUB))
    chunk_tot[c] = _chunk_total(sub_tot, c, nsub)


@njit
def _repack_order(owner, cp, n, n_owners):
    """Packed positions ordered by nearest chosen center, then by ``D`` (ascending).

    A counting sort by owner, then a sort of each owner's rows by ``D``: the rows
    near their center come first and fill blocks that the pruning can skip; the
    far rows of a cluster not yet seeded (similar ``D``) stay together.
    """
    start = np.zeros(n_owners + 1, dtype=np.int64)
    for p in range(n):
        start[owner[p] + 1] += 1
    for j in range(n_owners):
        start[j + 1] += start[j]
    order = np.empty(n, dtype=np.int64)
    fill = start[:n_owners].copy()
    for p in range(n):
        o = owner[p]
        order[fill[o]] = p
        fill[o] += 1
    for o in range(n_owners):
        lo = start[o]
        hi = start[o + 1]
        if hi - lo > 1:
            seg = order[lo:hi].copy()
            key = np.empty(hi - lo, dtype=np.float64)
            for e in range(hi - lo):
                key[e] = cp[seg[e]]
            srt = np.argsort(key, kind="mergesort")
            for e in range(hi - lo):
                order[lo + e] = seg[srt[e]]
    return order


@pjit
def _repack(X, mean, scale, order, perm, cp, owner, wp, sqnorm, XT, block_norm, block_dl, lim,
            kappa, rmax, scale2, gamma):
    """Permute the packed blocks to ``order`` (positions of the current packing) in place.

    The rows are packed again from ``X`` (the same float32 values as
    :func:`.lloyd.pack_data`: a row's packed value does not depend on its place), and the
    per-position arrays (row map, ``D``, owner, weight, squared norm) follow; the block
    norms, guards and row limits are recomputed for the new blocks. The largest block
    norm ``rmax`` is the largest row norm: it does not change.
    """
    n, d = X.shape
    L = vlanes(XT)
    nb = block_norm.shape[0]
    X_flat = X.reshape(n * d)
    perm2 = np.empty(n, dtype=np.int64)
    cp2 = np.empty(n, dtype=np.float64)
    own2 = np.empty(n, dtype=np.int32)
    w2 = np.empty(n, dtype=np.float64)
    sq2 = np.empty(n, dtype=np.float64)
    for q in prange(n):
        p = order[q]
        perm2[q] = perm[p]
        cp2[q] = cp[p]
        own2[q] = owner[p]
        w2[q] = wp[p]
        sq2[q] = sqnorm[p]
    for q in prange(n):
        perm[q] = perm2[q]
        cp[q] = cp2[q]
        owner[q] = own2[q]
        wp[q] = w2[q]
        sqnorm[q] = sq2[q]
    inv_s2 = 1.0 / scale2
    for g in prange((nb + 63) // 64):
        # a block's rows converted feature by feature (a loop the compiler vectorizes), then transposed
        tile = np.empty((L, d), dtype=np.float32)
        for b in range(g * 64, min(nb, g * 64 + 64)):
            r = 0.0
            for l in range(L):
                q = b * L + l
                if q + PREFETCH_ROWS < n:
                    # the rows are scattered over X: ask for one a few rows ahead (latency, not bandwidth)
                    ia = perm[q + PREFETCH_ROWS] * d
                    for f in range(0, d, 16):
                        prefetch(X_flat, ia + f)
                if q < n:
                    i = perm[q]
                    for f in range(d):
                        tile[l, f] = np.float32((np.float64(X[i, f]) - mean[f]) * scale)
                    if sqnorm[q] > r:
                        r = sqnorm[q]
                else:
                    for f in range(d):
                        tile[l, f] = 0.0
            for f in range(d):
                for l in range(L):
                    XT[(b * d + f) * L + l] = tile[l, f]
            block_norm[b] = math.sqrt(r) * (1.0 + 1e-6)
            rb = block_norm[b] + rmax
            block_dl[b] = 2.0 * kappa * rb * rb * inv_s2
            for l in range(L):
                q = b * L + l
                if q < n:
                    lim[q] = _row_limit(cp[q], scale2, gamma, sqnorm[q], 2.0 * kappa * rb * rb)


# ------------------------------------------------------------------ the mean and scale of the packing


@pjit
def chunk_moments(X, sums, lows, highs):
    """Per chunk of :data:`.lloyd.CHUNK` rows and feature: the float64 sum (row order), min and max.

    One pass over ``X`` for the mean and :func:`.lloyd.data_scale`'s largest
    deviation (``max |x - m| = max(high - m, m - low)`` per feature: rounding is
    monotone, so the same float64 value). Reduced by the caller in chunk order.
    """
    n, d = X.shape
    for c in prange(sums.shape[0]):
        s = sums[c]
        lo = lows[c]
        hi = highs[c]
        for f in range(d):
            s[f] = 0.0
            lo[f] = np.inf
            hi[f] = -np.inf
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            for f in range(d):
                v = np.float64(X[i, f])
                s[f] += v
                lo[f] = min(lo[f], v)
                hi[f] = max(hi[f], v)


@pjit
def greedy_kmeanspp(X, w, XT, block_norm, sqnorm, scale, kappa, mean, first_r, uniforms, indices, stats,
                    prune_q=0.0, repack_first=0, repack_share=REPACK_SHARE):
    """Greedy k-means++ (module docstring); writes the chosen rows to ``indices``, returns the potential.

    Parameters
    ----------
    X : (n, d) float32/float64, the data
    w : (n,) float64 weights (positive total)
    XT, block_norm, sqnorm : the packed data (:func:`.lloyd.pack_data` with ``mean``, ``scale``)
    scale : float, the power-of-two scale of the packing; kappa : :func:`.lloyd.guard_kappa`
    mean : (d,) float64, the mean used by the packing
    first_r : float in [0, 1), the draw of the first center (by weight)
    uniforms : (k - 1, m) float64 in [0, 1): the draws of step ``c`` are ``uniforms[c - 1]``;
        when the potential is 0 (every point on a chosen center) the step's point is drawn by
        weight with ``uniforms[c - 1, 0]``
    indices : (k,) int64, output
    stats : (2,) to (4,) int64, output: the steps decided by the bounds, the steps that summed
        exact gains (with a third entry, the blocks the pruning did not read; with a fourth, the
        re-packs)
    prune_q : float, ``reach[j] = prune_q * min_t ||t - c_j||^2`` (canonical distances) when
        positive (module docstring, "Pruning": :data:`PRUNE_Q` is proven safe); 0 scans every block
    repack_first, repack_share : with pruning and ``repack_first > 0``, re-pack the blocks by
        nearest chosen center after a step ``>= repack_first`` when the rows moved since the last
        re-pack number at least ``repack_share * n`` (module docstring, "Re-packing"); 0 never.
        ``XT``, ``block_norm`` and ``sqnorm`` are then permuted in place (work arrays).

    Notes
    -----
    O(k m n d) fast multiply-adds, O(1) per flagged (row, candidate) pair, O(d)
    float64 per pair that the chosen candidate may bring closer (and per flagged
    pair in the steps the bounds leave undecided), O(n / CHUNK + SUB) per draw;
    memory O(n) besides the packed data (a few more arrays of ``n`` once re-packed); a re-pack
    O(n d + n log n).
    """
    n, d = X.shape
    k = indices.shape[0]
    m = uniforms.shape[1]
    mp = (m + 7) // 8 * 8  # the groups of :func:`_candidate_chunk` read up to 8 padded rows
    L = vlanes(XT)
    nb = block_norm.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    nsub = (n + SUB - 1) // SUB
    dp = (d + 7) // 8 * 8
    scale2 = scale * scale
    gamma = (d + 8.0) * 2.0**-52
    inv_s2 = 1.0 / scale2  # exact: a power of two
    gamma4 = 4.0 * gamma
    rel = (n + 64.0) * 2.0**-50  # the float64 rounding of the gain sums, with margin
    rmax = 0.0
    for b in range(nb):
        if block_norm[b] > rmax:
            rmax = block_norm[b]
    # per block, the guard of the fast values in data units (module docstring, "Deciding")
    block_dl = np.empty(nb, dtype=np.float64)
    for b in range(nb):
        r = block_norm[b] + rmax
        block_dl[b] = 2.0 * kappa * r * r * inv_s2
    for e in range(stats.shape[0]):
        stats[e] = 0
    prune = prune_q > 0.0
    prune_next = 1
    prune_wait = 1

    # the by-weight tree (first center; steps where the potential is 0)
    wsub = np.empty(nsub, dtype=np.float64)
    wchunk = np.empty(nc, dtype=np.float64)
    for c in prange(nc):
        for b in range(c * (CHUNK // SUB), min(nsub, (c + 1) * (CHUNK // SUB))):
            wsub[b] = _sub_total(w, w, False, b * SUB, min(n, (b + 1) * SUB))
        wchunk[c] = _chunk_total(wsub, c, nsub)
    wtotal = 0.0
    for c in range(nc):
        wtotal += wchunk[c]
    first = sample_row(first_r * wtotal, w, w, False, wsub, wchunk)
    indices[0] = first

    closest = np.empty(n, dtype=np.float64)
    owner = np.zeros(n, dtype=np.int32)  # per packed position: the chosen center (step) whose distance is D
    # the packed order: position p holds row perm[p]; cp and wp are D and w in that order (the same
    # arrays as closest and w until the first re-pack), closest stays in row order for the sampling
    perm = np.arange(n)
    cp = closest
    wp = w
    repacked = False
    repack_from = repack_first if prune and repack_first > 0 else k
    moved_since = 0  # rows moved since the last re-pack
    ebits = np.zeros(n if repack_from < k else 1, dtype=np.int64)
    dirty = np.zeros(nsub, dtype=np.uint8)
    chunk_dirty = np.zeros(nc, dtype=np.uint8)
    chosenT = np.zeros((d, k if prune else 1), dtype=np.float64)  # the chosen centers, feature-major
    reach = np.empty(k if prune else 1, dtype=np.float64)
    acc = np.empty(k if prune else 1, dtype=np.float64)
    lim = np.full(nb * L, -np.inf, dtype=np.float32)
    sub_tot = np.empty(nsub, dtype=np.float64)
    chunk_tot = np.empty(nc, dtype=np.float64)
    first64 = np.zeros((1, dp), dtype=np.float64)
    for f in range(d):
        first64[0, f] = X[first, f]
        chosenT[f, 0] = X[first, f]
    for c in prange(nc):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = sqdist64(X, i, first64, 0)
            closest[i] = s
            r = block_norm[i // L] + rmax
            lim[i] = _row_limit(s, scale2, gamma, sqnorm[i], 2.0 * kappa * r * r)
        for b in range(c * (CHUNK // SUB), min(nsub, (c + 1) * (CHUNK // SUB))):
            sub_tot[b] = _sub_total(w, closest, True, b * SUB, min(n, (b + 1) * SUB))
        chunk_tot[c] = _chunk_total(sub_tot, c, nsub)

    X_flat = X.reshape(n * d)
    pf_rows = d >= PREFETCH_MIN_D
    cand = np.empty(m, dtype=np.int64)
    cent = np.empty((m, d), dtype=X.dtype)
    C2 = np.empty((mp, d), dtype=np.float32)
    cn = np.empty(mp, dtype=np.float32)
    C64 = np.empty((mp, dp), dtype=np.float64)
    ns = (n + SCAN - 1) // SCAN  # parts of the scan (at least nc)
    chunk_lo = np.empty((ns, m), dtype=np.float64)
    chunk_hi = np.empty((ns, m), dtype=np.float64)
    rows = np.empty(n, dtype=np.int64)
    row_bits = np.empty(n, dtype=np.int64)
    counts = np.zeros(ns, dtype=np.int64)
    moved = np.zeros(ns, dtype=np.int64)
    skipped = np.zeros(ns, dtype=np.int64)
    gains = np.empty(m, dtype=np.float64)
    gains_hi = np.empty(m, dtype=np.float64)
    potential = 0.0
    for c in range(nc):
        potential += chunk_tot[c]
    for step in range(1, k):
        if not potential > 0.0:
            indices[step] = sample_row(uniforms[step - 1, 0] * wtotal, w, w, False, wsub, wchunk)
            if prune:
                for f in range(d):
                    chosenT[f, step] = X[indices[step], f]
            continue
        for t in range(m):
            cand[t] = sample_row(uniforms[step - 1, t] * potential, w, closest, True, sub_tot, chunk_tot)
            for f in range(d):
                cent[t, f] = X[cand[t], f]
        pack_centers(cent, mean, scale, C2, cn, C64)
        # the steps that test the blocks: after a step that pruned less than 1/PRUNE_RETRY_SHARE
        # of the blocks, the next 1, 2, 4, ... steps read every block (the test and the
        # distances to the centers cost O(m k d + n) a step; the choices are the same either way)
        prune_now = prune and step >= prune_next
        if prune_now:
            # a quarter of each center's squared distance to the nearest candidate, shrunk; the
            # distances in float64 feature by feature over the centers (a loop the compiler
            # vectorizes): relative error below (d + 2) 2^-53, as a canonical distance's
            for j in range(step):
                reach[j] = np.inf
            for t in range(m):
                r = cand[t]
                for j in range(step):
                    acc[j] = 0.0
                for f in range(d):
                    xf = np.float64(X[r, f])
                    row = chosenT[f]
                    for j in range(step):
                        v = row[j] - xf
                        acc[j] += v * v
                for j in range(step):
                    if acc[j] < reach[j]:
                        reach[j] = acc[j]
            for j in range(step):
                reach[j] *= prune_q
        for c in prange(ns):
            bits = np.zeros(2 * L, dtype=np.int64)
            _candidate_chunk(X, wp, XT, lim, cp, sqnorm, block_dl, C2, cn, m, c, chunk_lo, chunk_hi,
                             rows, row_bits, counts, bits, inv_s2, gamma4, prune_now, owner, reach, skipped)
        if prune_now:
            nskip = 0
            for c in range(ns):
                nskip += skipped[c]
            if stats.shape[0] > 2:
                stats[2] += nskip
            if nskip * PRUNE_RETRY_SHARE < nb:
                prune_next = step + prune_wait
                prune_wait = min(2 * prune_wait, PRUNE_MAX_WAIT)
            else:
                prune_wait = 1
        for t in range(m):
            gains[t] = 0.0
            gains_hi[t] = 0.0
        for c in range(ns):
            for t in range(m):
                gains[t] += chunk_lo[c, t]
                gains_hi[t] += chunk_hi[c, t]
        best = _decided(gains, gains_hi, cand, m, rel)
        if best >= 0:
            stats[0] += 1
        else:
            # the bounds overlap (near-equal gains, the same point drawn under two rows, no gain):
            # the exact gains of the rule from the recorded pairs
            # of the candidates whose bounds reach the largest lower bound
            stats[1] += 1
            want = _contenders(gains, gains_hi, cand, m, rel)
            if repacked:
                for u in range(ns):
                    for e in range(counts[u]):
                        ebits[perm[rows[u * SCAN + e]]] = row_bits[u * SCAN + e] & want
                for c in prange(nc):
                    _exact_chunk_scattered(X, w, closest, C64, m, c, ebits, chunk_lo[c])
            else:
                for c in prange(nc):
                    _exact_chunk(X, w, closest, C64, m, c, rows, row_bits, counts, want, chunk_lo[c])
            for t in range(m):
                gains[t] = 0.0
            for c in range(nc):
                for t in range(m):
                    gains[t] += chunk_lo[c, t]
            best = -1
            for t in range(m):
                if (want >> t) & 1 and (best < 0 or gains[t] > gains[best]):
                    best = t
        indices[step] = cand[best]
        if prune:
            for f in range(d):
                chosenT[f, step] = C64[best, f]
        flagged = 0
        for c in range(ns):
            flagged += counts[c]
        if flagged * (dp + SUB) <= SERIAL_APPLY_WORK:
            # few rows to move (most steps after the first few): no parallel region to start and join
            for u in range(ns):
                moved[u] = _apply_part(X, closest, cp, perm, lim, sqnorm, block_norm, C64, best, u, rows, row_bits,
                                       counts, scale2, gamma, kappa, rmax, owner, step, dirty, chunk_dirty, X_flat,
                                       pf_rows)
            for c in range(nc):
                _refresh_chunk(w, closest, sub_tot, chunk_tot, dirty, chunk_dirty, c)
        elif not repacked:
            # rows still in row order: the parts of chunk c (2c and 2c + 1) hold only its rows, so one
            # parallel region moves and refreshes chunk by chunk (two regions a step cost 250000 x 2,
            # k = 6000 on 2 threads 1.08-1.38 s against 0.89-1.14 s, idle)
            for c in prange(nc):
                for u in range(c * (CHUNK // SCAN), min(ns, (c + 1) * (CHUNK // SCAN))):
                    moved[u] = _apply_part(X, closest, cp, perm, lim, sqnorm, block_norm, C64, best, u, rows,
                                           row_bits, counts, scale2, gamma, kappa, rmax, owner, step, dirty,
                                           chunk_dirty, X_flat, pf_rows)
                _refresh_chunk(w, closest, sub_tot, chunk_tot, dirty, chunk_dirty, c)
        else:
            for u in prange(ns):
                moved[u] = _apply_part(X, closest, cp, perm, lim, sqnorm, block_norm, C64, best, u, rows, row_bits,
                                       counts, scale2, gamma, kappa, rmax, owner, step, dirty, chunk_dirty, X_flat,
                                       pf_rows)
            for c in prange(nc):
                _refresh_chunk(w, closest, sub_tot, chunk_tot, dirty, chunk_dirty, c)
        for u in range(ns):
            moved_since += moved[u]
        if step >= repack_from and moved_since >= repack_share * n and step + 1 < k:
            # re-pack the blocks by nearest chosen center (module docstring, "Re-packing")
            if not repacked:
                cp = closest.copy()
                wp = w.copy()
                repacked = True
            order = _repack_order(owner, cp, n, step + 1)
            _repack(X, mean, scale, order, perm, cp, owner, wp, sqnorm, XT, block_norm, block_dl, lim,
                    kappa, rmax, scale2, gamma)
            if stats.shape[0] > 3:
                stats[3] += 1
            moved_since = 0
            prune_next = step + 1  # test the new blocks on the next step
            prune_wait = 1
        potential = 0.0
        for c in range(nc):
            potential += chunk_tot[c]
    return potential


# ------------------------------------------------------------------ AFK-MC2

@njit(inline="always")
def _block_min_sqdist(Pt, base, d, C, n_centers):
    """Lane-wise ``min_j sum_f (p_f - c_jf)^2`` for the lanes of proposals at ``Pt[base:]`` (float64).

    Features summed in order with fused multiply-adds for each center, centers
    compared in order (two at a time): one value per (proposal, set of
    centers), whatever the thread that computes it.
    """
    L8 = vlanes(Pt)
    best = vfill(Pt, np.inf)
    j = 0
    while j + 1 < n_centers:
        a0 = vfill(Pt, 0.0)
        a1 = vfill(Pt, 0.0)
        for f in range(d):
            x = vload(Pt, base + f * L8)
            t0 = vsub(x, vfill(Pt, C[j, f]))
            t1 = vsub(x, vfill(Pt, C[j + 1, f]))
            a0 = vfma(t0, t0, a0)
            a1 = vfma(t1, t1, a1)
        best = vmin(best, a0)
        best = vmin(best, a1)
        j += 2
    if j < n_centers:
        a0 = vfill(Pt, 0.0)
        for f in range(d):
            t0 = vsub(vload(Pt, base + f * L8), vfill(Pt, C[j, f]))
            a0 = vfma(t0, t0, a0)
        best = vmin(best, a0)
    return best


@pjit
def afkmc2_chains(X, w, q, proposals, accept_u, indices):
    """AFK-MC2 (Bachem et al. 2016, Algorithm 1) from pre-drawn proposals.

    Parameters
    ----------
    X : (n, d) float32/float64; w : (n,) float64 weights
    q : (n,) float64, the proposal distribution the rows of ``proposals`` were drawn from
    proposals : (k - 1, m) int64, the chain of step ``s`` runs over ``proposals[s - 1]``
    accept_u : (k - 1, m - 1) float64 uniforms in [0, 1)
    indices : (k,) int64, ``indices[0]`` the first center on entry; the others are written

    Notes
    -----
    Step ``s`` computes the squared distance of its ``m`` proposals to the ``s``
    centers chosen so far (blocks of float64 lanes of proposals in parallel,
    no reduction across threads) and walks the Metropolis-Hastings chain whose target is
    ``w_x D(x)^2``: ``y`` replaces the state ``x`` when
    ``u w_x D(x)^2 q(y) < w_y D(y)^2 q(x)``. O(m k^2 d / 2) time, O(k d + m) memory:
    independent of ``n`` once ``q`` is known.
    """
    d = X.shape[1]
    k = indices.shape[0]
    m = proposals.shape[1]
    C = np.empty((k, d), dtype=np.float64)
    for f in range(d):
        C[0, f] = X[indices[0], f]
    L8 = _L8
    nblk = (m + L8 - 1) // L8
    Pt = np.zeros(nblk * d * L8, dtype=np.float64)
    dist = np.empty(m, dtype=np.float64)
    for step in range(1, k):
        for t in range(m):
            r = proposals[step - 1, t]
            for f in range(d):
                Pt[((t // L8) * d + f) * L8 + t % L8] = X[r, f]
        for blk in prange(nblk):
            best = _block_min_sqdist(Pt, blk * d * L8, d, C, step)
            for l in range(min(L8, m - blk * L8)):
                dist[blk * L8 + l] = vget(best, l)
        x = proposals[step - 1, 0]
        dx = dist[0]
        for t in range(1, m):
            y = proposals[step - 1, t]
            dy = dist[t]
            if accept_u[step - 1, t - 1] * (w[x] * dx * q[y]) < w[y] * dy * q[x]:
                x = y
                dx = dy
        indices[step] = x
        for f in range(d):
            C[step, f] = X[x, f]
