r"""Kernels of Lloyd's iteration: assignment fused with per-chunk partial sums.

The assignment step
-------------------
The nearest center of every point is found with the expansion

.. math::  \lVert x - c_j \rVert^2 = \lVert x' \rVert^2 + \lVert c'_j \rVert^2 - 2\, x' \cdot c'_j,
           \quad x' = s (x - m),\; c'_j = s (c_j - m) ,

where ``m`` is the mean of the data and ``s`` a power of two that brings the
largest ``|x'|`` into ``[0.5, 1)`` (exact, and immune to overflow and
underflow). ``||x'||^2`` is the same for every center and is dropped, so a
distance costs ``d`` fused multiply-adds. The data are laid out once per fit,
centered, scaled, rounded to float32 (whatever the input dtype) and
transposed in blocks of ``L`` points (``L`` = float32 lanes of a SIMD vector,
16 with AVX-512): one vector holds one feature of ``L`` points, and the kernel
keeps, per lane, the smallest and second-smallest value and the index of the
best center, for two blocks and four centers at a time, in registers
(:mod:`._simd`). No ``n x k`` matrix is ever formed.

Exactness guard
---------------
The label of a point is defined *canonically* as the first index minimizing
the squared distance computed directly, ``sum_f (x_f - c_jf)^2`` in float64
(:func:`sqdist64`), on the input data and the centers in the input dtype. Each fast float32 value
is within

.. math::  \varepsilon = (d + 4)\, u\, (\lVert x' \rVert + \max_j \lVert c'_j \rVert)^2 ,
           \quad u = 2^{-24},

of the exact ``||x' - c'_j||^2 - ||x'||^2`` (rounding of the centered data, of
``||c'||^2`` and of the ``d``-term FMA chain, Higham 2002, §3.1; the kernels use
``2d + 8`` for margin). Whenever the gap between the two smallest fast values
is at most ``2 epsilon`` (or not a number) the point is re-checked with the
canonical formula. Labels are therefore the same whatever the input dtype's
fast path, the thread count or the accelerated method that computed them;
float64 data get exact float64 labels at float32 speed.

From 512 centers in 64 features or more the fast values come instead from a
float32 matrix product (BLAS ``sgemm``) of the packed centers with a group of
points (:func:`_lloyd_chunks_gemm`): its summation order is BLAS's, and the
guard above bounds a dot product summed in any order, so the labels stay the
canonical ones.

The update step
---------------
Rows are split into fixed chunks of :data:`CHUNK`; chunks run in parallel and
each writes its own float64 partial sums ``S_j = sum w_i x_i``, ``W_j = sum
w_i`` and ``E_j = sum w_i (x_i - c_j)^2`` (lane-wise over the features; the
objective of the current centers and labels, exact in float64). The caller
reduces them in chunk order, so a seed gives bitwise the same result on 1 and
on many threads.

In the first pass of a fit no row has a label yet (``-1``) and every row
moves. A chunk whose every label is ``-1`` (:func:`unassigned`, one vector
compare per block) is labelled first and its rows are added to the chunk's
sums afterwards, in row order (:func:`add_rows`), instead of a move per row
interleaved with the scan: the same additions in the same order, so the same
bits, at about half the cost of the moves (4,194,304 x 16 float32, k = 16,
2 threads, process CPU time under load 5-6: the pass 160-187 ms against 242-341 ms; a
later pass takes 100-117 ms). Rows are labelled and added per pair of blocks,
their squared deviations transposed in registers (:func:`add_rows`): on the
same shape on a later machine (``bench_first_pass.py``, load 2.0-2.3,
alternated) the first pass took 47-52 ms (CPU 53-55 ms) against 104-109 ms
(CPU 137-150 ms) with one gather per feature and the rows added after the
whole chunk's scan.

Rows used once
--------------
Out of core a block is read from disk for one pass: packing it first (a
pass over the block that writes a packed copy, which the scan reads back)
cost as much as the scan. :func:`lloyd_rows` scans the rows as they were
read instead: per pair of blocks it puts the rows in the work space in
place and packs them into a tile that stays in L1 (:func:`pack_tile`, the
rows transposed in registers by :func:`~._simd.vpack_rows`), then runs the
same scan and finishing on the tile: the packed values, the block norms and
so the labels and sums are those of :func:`lloyd_chunks`, bit for bit. Per
256 MiB block (4,194,304 x 16 float32, k = 16, 2 threads, raw rows,
``bench_first_pass.py --block``, load 4-6) the first pass took 109 ms (CPU
70) against 191 ms (CPU 126) for packing then scanning, a later pass 83 ms
(CPU 55) against 155 ms (CPU 107). In memory the packed copy is made once
per fit and :func:`lloyd_chunks` scans it.

References
----------
Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed., SIAM.
"""

from __future__ import annotations

import math

import numpy as np

from numba import get_num_threads

from .._numba import native_threads, njit, pjit, prange
from ._simd import (
    lanes, prefetch, vadd, vadd_sqdev_rows, vchanged_mask, vfill, vfma, vget, vlanes, vload, vload_ext, vload_wide,
    vmask_not_gt, vmax, vmin, vmask_lt, vmul, vpack_rows, vreduce_max, vstore, vstore_int, vsub, vsum, vwhere_lt,
)

#: Rows per chunk of the parallel kernels. Fixed, so the reduction order (and
#: therefore every rounding) does not depend on the number of threads.
CHUNK = 4096


def prefetch_pays(changed: int, before: int, n: int, row_bytes: int, n_threads: int) -> bool:
    """Whether the next pass should prefetch the rows of ``X`` (``prefetch_rows`` of :func:`lloyd_chunks`),
    given that the last pass moved ``changed`` of ``n`` points and the one before it ``before``.

    The prefetch reads every row once more, ``n * row_bytes`` bytes a pass, to
    spare the moved points' rows a trip to memory each; the threads that
    stream at once share the memory's bandwidth. So the share of points that
    must move for it to pay grows with the size of a row and with the
    threads ``t``: ``row_bytes * (2 t - 1) / 16000`` (at most 8 threads
    counted, at most 25 %). Measured on Lloyd states of blobs data (2 cores,
    Zen 5), the share where both take the same time, against that figure:
    1 thread, 64-byte rows about 0.4 % (0.4 %); 2 threads, 32-byte rows
    0.5-0.7 % (0.6 %), 64-byte 0.5-2.7 % as the host's load varied (1.2 %),
    128-byte about 2.5 % (2.4 %), 136-byte float64 rows about 4 % (2.55 %),
    512-byte about 30 % (9.6 %); ``benchmarks/check_prefetch.py``. Away from it the wrong choice costs: at 2,000,000 x 16
    float32, 2 threads, 0.3-0.5 % of the points moving, 7.3 ms a pass with
    the prefetch against 5.9 ms without; 2.7 % moving, 7.3 against 10.0 ms;
    5.5 %, 8.3 against 13.9 ms. (The rule before, "more than 0.1 %",
    prefetched in the first case.)

    The next pass's moves are expected to be the last pass's, or, when the
    moves grew, to grow again by the same factor: late in a run they come in
    bursts (at 2,000,000 x 16: 0.48 %, 0.8 %, 2.7 %, 5.5 %, then 0.03 %), and
    a missed prefetch costs more than a needless one.
    """
    streams = min(max(int(n_threads), 1), 8)
    expect = changed * changed / before if 0 < before < changed else changed
    return expect * 16_000 > n * min(row_bytes * (2 * streams - 1), 4_000)


#: float32 lanes per vector: points per block of the packed data.
BLOCK = lanes(np.float32)
#: float64 lanes per vector: partial sums are padded to a multiple of it.
_L64 = lanes(np.float64)
#: Centers are processed four at a time; the center arrays are padded to a multiple of 4.
CENTER_GROUP = 4
#: Largest number of clusters the kernels accept (center indices travel as float32 lanes).
MAX_CLUSTERS = 1 << 24
#: Unit roundoff of the fast (float32) path.
U32 = 2.0**-24
#: A scaled center with ||c'||^2 above this is left out of the fast path (cn = inf).
_FAR = 1e30


def padded_features(d: int) -> int:
    """Row length of the float64 partial sums and centers (a multiple of the float64 lanes)."""
    return -(-d // _L64) * _L64


def padded_clusters(k: int) -> int:
    """Rows of the packed centers: a multiple of 16, 8 or :data:`CENTER_GROUP` (4).

    Wider groups keep more accumulators in registers (:func:`scan_mode`); the
    padding is chosen so that padded (never chosen) centers stay a small
    fraction of the work: 16 when ``k`` is a multiple of 16 or at least 128,
    8 from 16 clusters on, else 4.
    """
    if k % 16 == 0 or k >= 128:
        m = 16
    elif k >= 16:
        m = 8
    else:
        m = CENTER_GROUP
    return -(-k // m) * m


def scan_mode_of(kp, d):
    """Register blocking of the scan for ``kp`` padded centers and ``d`` features.

    0: two blocks x four centers (:func:`scan_blocks`, the last ``k % 4``
    centers one at a time), used below 16 clusters; 1: two blocks x eight
    centers (:func:`scan_blocks8`); 2: one block x sixteen centers
    (:func:`scan_wide`). Measured on a 1-thread AVX-512 host (Zen 4, whose
    measured register-only FMA peak is 115 GFLOP/s float32), full assignment
    pass, best of several: at d = 32, k = 64 the sixteen-center scan takes
    8.6 ms per 200000 points against 9.9 ms for two x four; at d = 128, k = 256
    63.0 against 64.8 ms per 100000 points (92 % of that peak). At d = 8 the
    scan-only microbenchmark favoured two x eight (3.9 against 4.4 ms per
    million points), within the noise once the rest of the pass is included.
    At d = 2, k = 10 scanning the last two centers singly instead of a padded
    group of four takes 0.089 against 0.104 ms per 50000 points. The labels
    and every fast value are the same whatever the mode: each distance is the
    same chain of FMAs over the features in order.
    """
    if kp % 16 == 0 and d >= 16:
        return 2
    if kp % 8 == 0 and kp >= 16:
        return 1
    return 0


#: :func:`scan_mode_of` for the kernels.
scan_mode = njit(inline="always")(scan_mode_of)


def n_chunks(n: int) -> int:
    """Number of chunks of :data:`CHUNK` rows."""
    return (n + CHUNK - 1) // CHUNK


def guard_kappa(d: int) -> float:
    """``(2d + 8) u``: the relative size of the exactness guard (module docstring)."""
    return (2.0 * d + 8.0) * U32


# ------------------------------------------------------------------ packing


@pjit
def _max_abs_deviation(X, mean, out):
    """out[c] = max |X[i, f] - mean[f]| over chunk c (float64)."""
    n, d = X.shape
    for c in prange(out.shape[0]):
        r = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            for f in range(d):
                v = abs(np.float64(X[i, f]) - mean[f])
                if v > r:
                    r = v
        out[c] = r


def data_scale(X: np.ndarray, mean: np.ndarray) -> float:
    """The power of two ``s`` with ``s * max|x - m|`` in ``[0.5, 1)`` (1 for constant data)."""
    out = np.empty(n_chunks(X.shape[0]), dtype=np.float64)
    _max_abs_deviation(X, mean, out)
    r = float(out.max()) if out.size else 0.0
    if not (r > 0.0 and math.isfinite(r)):
        return 1.0
    _, e = math.frexp(r)  # r = f * 2**e, f in [0.5, 1)
    return math.ldexp(1.0, -e)


@pjit
def pack_data(X, mean, scale, XT, block_norm, sqnorm):
    """Center, scale and transpose ``X`` into float32 blocks of :data:`BLOCK` points.

    ``XT[(b * d + f) * L + l] = float32(scale * (X[b * L + l, f] - mean[f]))``
    (rows past ``n`` are 0), ``block_norm[b]`` is the largest ``||x'||`` of
    block ``b`` (rounded up) and ``sqnorm[i] = ||x'_i||^2`` (float64 sum of the
    float32 values).
    """
    n, d = X.shape
    L = vlanes(XT)
    for b in prange(block_norm.shape[0]):
        r = 0.0
        for l in range(L):
            i = b * L + l
            s = 0.0
            if i < n:
                for f in range(d):
                    v = np.float32((np.float64(X[i, f]) - mean[f]) * scale)
                    XT[(b * d + f) * L + l] = v
                    s += np.float64(v) * np.float64(v)
                sqnorm[i] = s
            else:
                for f in range(d):
                    XT[(b * d + f) * L + l] = 0.0
            if s > r:
                r = s
        block_norm[b] = math.sqrt(r) * (1.0 + 1e-6)


@njit
def pack_centers(centers, mean, scale, C2, cn, C64):
    """Centers in the kernels' layouts; returns ``max_j ||c'_j||`` (scaled units).

    ``C2[j, f] = -2 c'_jf`` and ``cn[j] = ||c'_j||^2`` in float32 with
    ``c' = scale (c - mean)``; padded rows (and centers so far away that
    float32 could overflow) get ``C2 = 0``, ``cn = inf`` and are never chosen by
    the fast path. ``C64[j, f] = c_jf`` in float64, padded with zeros.
    """
    k, d = centers.shape
    kp = cn.shape[0]
    dp = C64.shape[1]
    cmax = 0.0
    for j in range(kp):
        s = 0.0
        if j < k:
            for f in range(d):
                v = (np.float64(centers[j, f]) - mean[f]) * scale
                s += v * v
        if j < k and s <= _FAR:
            for f in range(d):
                v = (np.float64(centers[j, f]) - mean[f]) * scale
                C2[j, f] = -2.0 * v
            cn[j] = s
            if s > cmax:
                cmax = s
        else:
            for f in range(d):
                C2[j, f] = 0.0
            cn[j] = np.inf
        for f in range(dp):
            C64[j, f] = np.float64(centers[j, f]) if (j < k and f < d) else 0.0
    return math.sqrt(cmax) * (1.0 + 1e-6)


# ------------------------------------------------------------------ assignment


@njit(inline="always")
def _track(acc, jv, best, second, idx):
    """Fold the distances ``acc`` to center ``jv`` into the lane-wise best / second / index."""
    second = vmin(second, vmax(best, acc))
    idx = vwhere_lt(acc, best, jv, idx)
    best = vmin(best, acc)
    return best, second, idx


@njit(inline="always")
def scan_blocks(panel, base_a, base_b, d, C2, cn):
    """Lane-wise smallest and second-smallest fast distance, and the best center, of two blocks.

    ``base_a`` and ``base_b`` are the offsets of two blocks in ``panel`` (they may
    be equal). Returns ``(best_a, second_a, index_a, best_b, second_b, index_b)``,
    vectors of panel's dtype (indices as floats). Distances omit ``||x'||^2``.
    """
    L = vlanes(panel)
    zero = vfill(panel, 0.0)
    inf = vfill(panel, np.inf)
    ba = inf
    sa = inf
    ia = zero
    bb = inf
    sb = inf
    ib = zero
    for j in range(0, cn.shape[0], 4):
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
        jv = vfill(panel, j)
        ba, sa, ia = _track(a0, jv, ba, sa, ia)
        bb, sb, ib = _track(b0, jv, bb, sb, ib)
        jv = vfill(panel, j + 1)
        ba, sa, ia = _track(a1, jv, ba, sa, ia)
        bb, sb, ib = _track(b1, jv, bb, sb, ib)
        jv = vfill(panel, j + 2)
        ba, sa, ia = _track(a2, jv, ba, sa, ia)
        bb, sb, ib = _track(b2, jv, bb, sb, ib)
        jv = vfill(panel, j + 3)
        ba, sa, ia = _track(a3, jv, ba, sa, ia)
        bb, sb, ib = _track(b3, jv, bb, sb, ib)
    return ba, sa, ia, bb, sb, ib


@njit(inline="always")
def scan_blocks8(panel, base_a, base_b, d, C2, cn):
    """As :func:`scan_blocks`, eight centers at a time (``cn.shape[0]`` a multiple of 8)."""
    L = vlanes(panel)
    inf = vfill(panel, np.inf)
    zero = vfill(panel, 0.0)
    ba = inf
    sa = inf
    ia = zero
    bb = inf
    sb = inf
    ib = zero
    for j in range(0, cn.shape[0], 8):
        a0 = vfill(panel, cn[j + 0])
        b0 = a0
        a1 = vfill(panel, cn[j + 1])
        b1 = a1
        a2 = vfill(panel, cn[j + 2])
        b2 = a2
        a3 = vfill(panel, cn[j + 3])
        b3 = a3
        a4 = vfill(panel, cn[j + 4])
        b4 = a4
        a5 = vfill(panel, cn[j + 5])
        b5 = a5
        a6 = vfill(panel, cn[j + 6])
        b6 = a6
        a7 = vfill(panel, cn[j + 7])
        b7 = a7
        for f in range(d):
            xa = vload(panel, base_a + f * L)
            xb = vload(panel, base_b + f * L)
            c = vfill(panel, C2[j + 0, f])
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
        jv = vfill(panel, j + 0)
        ba, sa, ia = _track(a0, jv, ba, sa, ia)
        bb, sb, ib = _track(b0, jv, bb, sb, ib)
        jv = vfill(panel, j + 1)
        ba, sa, ia = _track(a1, jv, ba, sa, ia)
        bb, sb, ib = _track(b1, jv, bb, sb, ib)
        jv = vfill(panel, j + 2)
        ba, sa, ia = _track(a2, jv, ba, sa, ia)
        bb, sb, ib = _track(b2, jv, bb, sb, ib)
        jv = vfill(panel, j + 3)
        ba, sa, ia = _track(a3, jv, ba, sa, ia)
        bb, sb, ib = _track(b3, jv, bb, sb, ib)
        jv = vfill(panel, j + 4)
        ba, sa, ia = _track(a4, jv, ba, sa, ia)
        bb, sb, ib = _track(b4, jv, bb, sb, ib)
        jv = vfill(panel, j + 5)
        ba, sa, ia = _track(a5, jv, ba, sa, ia)
        bb, sb, ib = _track(b5, jv, bb, sb, ib)
        jv = vfill(panel, j + 6)
        ba, sa, ia = _track(a6, jv, ba, sa, ia)
        bb, sb, ib = _track(b6, jv, bb, sb, ib)
        jv = vfill(panel, j + 7)
        ba, sa, ia = _track(a7, jv, ba, sa, ia)
        bb, sb, ib = _track(b7, jv, bb, sb, ib)
    return ba, sa, ia, bb, sb, ib


@njit(inline="always")
def scan_wide(panel, base, d, C2, cn):
    """As :func:`scan_blocks` for one block at ``base``, sixteen centers at a time.

    Returns ``(best, second, index)``.
    """
    L = vlanes(panel)
    inf = vfill(panel, np.inf)
    zero = vfill(panel, 0.0)
    ba = inf
    sa = inf
    ia = zero
    for j in range(0, cn.shape[0], 16):
        a0 = vfill(panel, cn[j + 0])
        a1 = vfill(panel, cn[j + 1])
        a2 = vfill(panel, cn[j + 2])
        a3 = vfill(panel, cn[j + 3])
        a4 = vfill(panel, cn[j + 4])
        a5 = vfill(panel, cn[j + 5])
        a6 = vfill(panel, cn[j + 6])
        a7 = vfill(panel, cn[j + 7])
        a8 = vfill(panel, cn[j + 8])
        a9 = vfill(panel, cn[j + 9])
        a10 = vfill(panel, cn[j + 10])
        a11 = vfill(panel, cn[j + 11])
        a12 = vfill(panel, cn[j + 12])
        a13 = vfill(panel, cn[j + 13])
        a14 = vfill(panel, cn[j + 14])
        a15 = vfill(panel, cn[j + 15])
        for f in range(d):
            xa = vload(panel, base + f * L)
            c = vfill(panel, C2[j + 0, f])
            a0 = vfma(xa, c, a0)
            c = vfill(panel, C2[j + 1, f])
            a1 = vfma(xa, c, a1)
            c = vfill(panel, C2[j + 2, f])
            a2 = vfma(xa, c, a2)
            c = vfill(panel, C2[j + 3, f])
            a3 = vfma(xa, c, a3)
            c = vfill(panel, C2[j + 4, f])
            a4 = vfma(xa, c, a4)
            c = vfill(panel, C2[j + 5, f])
            a5 = vfma(xa, c, a5)
            c = vfill(panel, C2[j + 6, f])
            a6 = vfma(xa, c, a6)
            c = vfill(panel, C2[j + 7, f])
            a7 = vfma(xa, c, a7)
            c = vfill(panel, C2[j + 8, f])
            a8 = vfma(xa, c, a8)
            c = vfill(panel, C2[j + 9, f])
            a9 = vfma(xa, c, a9)
            c = vfill(panel, C2[j + 10, f])
            a10 = vfma(xa, c, a10)
            c = vfill(panel, C2[j + 11, f])
            a11 = vfma(xa, c, a11)
            c = vfill(panel, C2[j + 12, f])
            a12 = vfma(xa, c, a12)
            c = vfill(panel, C2[j + 13, f])
            a13 = vfma(xa, c, a13)
            c = vfill(panel, C2[j + 14, f])
            a14 = vfma(xa, c, a14)
            c = vfill(panel, C2[j + 15, f])
            a15 = vfma(xa, c, a15)
        jv = vfill(panel, j + 0)
        ba, sa, ia = _track(a0, jv, ba, sa, ia)
        jv = vfill(panel, j + 1)
        ba, sa, ia = _track(a1, jv, ba, sa, ia)
        jv = vfill(panel, j + 2)
        ba, sa, ia = _track(a2, jv, ba, sa, ia)
        jv = vfill(panel, j + 3)
        ba, sa, ia = _track(a3, jv, ba, sa, ia)
        jv = vfill(panel, j + 4)
        ba, sa, ia = _track(a4, jv, ba, sa, ia)
        jv = vfill(panel, j + 5)
        ba, sa, ia = _track(a5, jv, ba, sa, ia)
        jv = vfill(panel, j + 6)
        ba, sa, ia = _track(a6, jv, ba, sa, ia)
        jv = vfill(panel, j + 7)
        ba, sa, ia = _track(a7, jv, ba, sa, ia)
        jv = vfill(panel, j + 8)
        ba, sa, ia = _track(a8, jv, ba, sa, ia)
        jv = vfill(panel, j + 9)
        ba, sa, ia = _track(a9, jv, ba, sa, ia)
        jv = vfill(panel, j + 10)
        ba, sa, ia = _track(a10, jv, ba, sa, ia)
        jv = vfill(panel, j + 11)
        ba, sa, ia = _track(a11, jv, ba, sa, ia)
        jv = vfill(panel, j + 12)
        ba, sa, ia = _track(a12, jv, ba, sa, ia)
        jv = vfill(panel, j + 13)
        ba, sa, ia = _track(a13, jv, ba, sa, ia)
        jv = vfill(panel, j + 14)
        ba, sa, ia = _track(a14, jv, ba, sa, ia)
        jv = vfill(panel, j + 15)
        ba, sa, ia = _track(a15, jv, ba, sa, ia)
    return ba, sa, ia


@njit(inline="always")
def scan_wide_skip(panel, base, d, C2, cn, j0, j1, ba, sa, ia):
    """Continue :func:`scan_wide` (the same values) over centers ``j0 .. j1 - 1`` (multiples of 16),
    folding a group of sixteen centers only when it can matter.

    After the FMAs of a group, the lane-wise minimum of its sixteen distances
    (a tree of fifteen ``min``) is compared with the running second smallest: when no
    lane has a distance below it, no center of the group can change the best, the second or
    the index (a distance equal to the second leaves all three as they are), and the
    per-center folding (five vector operations per center) is skipped. Past the first few
    hundred centers almost every group is skipped. Distances are never ``NaN`` here
    (finite data, ``cn = inf`` with ``C2 = 0`` for far centers); a ``NaN`` minimum would
    fold the group anyway (:func:`~._simd.vmask_lt`).
    """
    L = vlanes(panel)
    for j in range(j0, j1, 16):
        a0 = vfill(panel, cn[j + 0])
        a1 = vfill(panel, cn[j + 1])
        a2 = vfill(panel, cn[j + 2])
        a3 = vfill(panel, cn[j + 3])
        a4 = vfill(panel, cn[j + 4])
        a5 = vfill(panel, cn[j + 5])
        a6 = vfill(panel, cn[j + 6])
        a7 = vfill(panel, cn[j + 7])
        a8 = vfill(panel, cn[j + 8])
        a9 = vfill(panel, cn[j + 9])
        a10 = vfill(panel, cn[j + 10])
        a11 = vfill(panel, cn[j + 11])
        a12 = vfill(panel, cn[j + 12])
        a13 = vfill(panel, cn[j + 13])
        a14 = vfill(panel, cn[j + 14])
        a15 = vfill(panel, cn[j + 15])
        for f in range(d):
            xa = vload(panel, base + f * L)
            a0 = vfma(xa, vfill(panel, C2[j + 0, f]), a0)
            a1 = vfma(xa, vfill(panel, C2[j + 1, f]), a1)
            a2 = vfma(xa, vfill(panel, C2[j + 2, f]), a2)
            a3 = vfma(xa, vfill(panel, C2[j + 3, f]), a3)
            a4 = vfma(xa, vfill(panel, C2[j + 4, f]), a4)
            a5 = vfma(xa, vfill(panel, C2[j + 5, f]), a5)
            a6 = vfma(xa, vfill(panel, C2[j + 6, f]), a6)
            a7 = vfma(xa, vfill(panel, C2[j + 7, f]), a7)
            a8 = vfma(xa, vfill(panel, C2[j + 8, f]), a8)
            a9 = vfma(xa, vfill(panel, C2[j + 9, f]), a9)
            a10 = vfma(xa, vfill(panel, C2[j + 10, f]), a10)
            a11 = vfma(xa, vfill(panel, C2[j + 11, f]), a11)
            a12 = vfma(xa, vfill(panel, C2[j + 12, f]), a12)
            a13 = vfma(xa, vfill(panel, C2[j + 13, f]), a13)
            a14 = vfma(xa, vfill(panel, C2[j + 14, f]), a14)
            a15 = vfma(xa, vfill(panel, C2[j + 15, f]), a15)
        m0 = vmin(vmin(a0, a1), vmin(a2, a3))
        m1 = vmin(vmin(a4, a5), vmin(a6, a7))
        m2 = vmin(vmin(a8, a9), vmin(a10, a11))
        m3 = vmin(vmin(a12, a13), vmin(a14, a15))
        if vmask_lt(vmin(vmin(m0, m1), vmin(m2, m3)), sa) == 0:
            continue
        ba, sa, ia = _track(a0, vfill(panel, j + 0), ba, sa, ia)
        ba, sa, ia = _track(a1, vfill(panel, j + 1), ba, sa, ia)
        ba, sa, ia = _track(a2, vfill(panel, j + 2), ba, sa, ia)
        ba, sa, ia = _track(a3, vfill(panel, j + 3), ba, sa, ia)
        ba, sa, ia = _track(a4, vfill(panel, j + 4), ba, sa, ia)
        ba, sa, ia = _track(a5, vfill(panel, j + 5), ba, sa, ia)
        ba, sa, ia = _track(a6, vfill(panel, j + 6), ba, sa, ia)
        ba, sa, ia = _track(a7, vfill(panel, j + 7), ba, sa, ia)
        ba, sa, ia = _track(a8, vfill(panel, j + 8), ba, sa, ia)
        ba, sa, ia = _track(a9, vfill(panel, j + 9), ba, sa, ia)
        ba, sa, ia = _track(a10, vfill(panel, j + 10), ba, sa, ia)
        ba, sa, ia = _track(a11, vfill(panel, j + 11), ba, sa, ia)
        ba, sa, ia = _track(a12, vfill(panel, j + 12), ba, sa, ia)
        ba, sa, ia = _track(a13, vfill(panel, j + 13), ba, sa, ia)
        ba, sa, ia = _track(a14, vfill(panel, j + 14), ba, sa, ia)
        ba, sa, ia = _track(a15, vfill(panel, j + 15), ba, sa, ia)
    return ba, sa, ia


@njit(inline="always")
def scan_tail(panel, base_a, base_b, d, C2, cn, j0, k, ba, sa, ia, bb, sb, ib):
    """Continue a two-block scan with centers ``j0 .. k - 1``, one at a time (skips padded centers)."""
    L = vlanes(panel)
    for j in range(j0, k):
        a0 = vfill(panel, cn[j])
        b0 = a0
        for f in range(d):
            c = vfill(panel, C2[j, f])
            a0 = vfma(vload(panel, base_a + f * L), c, a0)
            b0 = vfma(vload(panel, base_b + f * L), c, b0)
        jv = vfill(panel, j)
        ba, sa, ia = _track(a0, jv, ba, sa, ia)
        bb, sb, ib = _track(b0, jv, bb, sb, ib)
    return ba, sa, ia, bb, sb, ib


@njit(inline="always")
def scan_pair0(panel, base_a, base_b, d, C2, cn, k=-1):
    """Mode 0 of :func:`scan_pair`: two blocks x four centers, then the last ``k % 4`` singly."""
    if k > 0 and k % 4 != 0:
        k4 = k - k % 4
        ba, sa, ia, bb, sb, ib = scan_blocks(panel, base_a, base_b, d, C2[:k4], cn[:k4])
        return scan_tail(panel, base_a, base_b, d, C2, cn, k4, k, ba, sa, ia, bb, sb, ib)
    return scan_blocks(panel, base_a, base_b, d, C2, cn)


@njit(inline="always")
def scan_pair1(panel, base_a, base_b, d, C2, cn, k=-1):
    """Mode 1 of :func:`scan_pair`: two blocks x eight centers."""
    return scan_blocks8(panel, base_a, base_b, d, C2, cn)


@njit(inline="always")
def scan_pair2(panel, base_a, base_b, d, C2, cn, k=-1):
    """Mode 2 of :func:`scan_pair`: one block x sixteen centers, twice."""
    ba, sa, ia = scan_wide(panel, base_a, d, C2, cn)
    if base_b == base_a:
        return ba, sa, ia, ba, sa, ia
    bb, sb, ib = scan_wide(panel, base_b, d, C2, cn)
    return ba, sa, ia, bb, sb, ib


@njit(inline="always")
def scan_pair3(panel, base_a, base_b, d, C2, cn, k=-1):
    """:func:`scan_pair2` with :func:`scan_wide_skip`: one block x sixteen centers, twice, folding only groups that matter."""
    inf = vfill(panel, np.inf)
    zero = vfill(panel, 0.0)
    ba, sa, ia = scan_wide_skip(panel, base_a, d, C2, cn, 0, cn.shape[0], inf, inf, zero)
    if base_b == base_a:
        return ba, sa, ia, ba, sa, ia
    bb, sb, ib = scan_wide_skip(panel, base_b, d, C2, cn, 0, cn.shape[0], inf, inf, zero)
    return ba, sa, ia, bb, sb, ib


@njit(inline="always")
def scan_pair(mode, panel, base_a, base_b, d, C2, cn, k=-1):
    """:func:`scan_blocks` with the register blocking ``mode`` of :func:`scan_mode` (same values).

    With the number ``k`` of real centers, mode 0 scans the last ``k % 4`` of
    them one at a time (:func:`scan_tail`) instead of as a group padded with
    never-chosen centers: at k = 10 that is 10 distances per point instead of
    12. Without it (``k = -1``) every padded center is scanned.

    A kernel that calls this compiles all three register blockings (the mode is
    known only at run time); :func:`lloyd_chunks` instead picks a kernel
    compiled with one of :func:`scan_pair0`, :func:`scan_pair1`,
    :func:`scan_pair2`, so a first call compiles only the blocking it needs.
    """
    if mode == 2:
        return scan_pair2(panel, base_a, base_b, d, C2, cn, k)
    if mode == 1:
        return scan_pair1(panel, base_a, base_b, d, C2, cn, k)
    return scan_pair0(panel, base_a, base_b, d, C2, cn, k)


@njit
def sqdist64(X, i, C64, j):
    """``||x_i - c_j||^2`` in float64: the canonical distance.

    Differences and squares in float64, accumulated lane-wise over blocks of
    the float64 lanes and summed by a fixed halving tree (so one formula, one
    rounding, everywhere it is used). ``C64`` rows are padded with zeros.
    """
    d = X.shape[1]
    L8 = vlanes(C64)
    dp = C64.shape[1]
    acc = vfill(C64, 0.0)
    for f0 in range(0, d, L8):
        diff = vsub(vload_ext(X, i * d + f0, min(L8, d - f0)), vload(C64, j * dp + f0))
        acc = vfma(diff, diff, acc)
    return vsum(acc)


@njit
def canonical_label(X, i, C64, k):
    """The canonical nearest center of row ``i``: the first index minimizing :func:`sqdist64`."""
    best = np.inf
    best_j = 0
    for j in range(k):
        s = sqdist64(X, i, C64, j)
        if s < best:
            best = s
            best_j = j
    return best_j


@njit(inline="always")
def move_point(X, w, i, old, new, mean, S, Q, W, N):
    """Move row ``i`` from cluster ``old`` (``-1``: none) to ``new`` in the float64 partial sums.

    With ``x' = x_i - mean`` and weight ``w_i`` (an empty ``w`` means unit
    weights): ``S[j*dp : j*dp + d] += w_i x'``, ``Q[j] += w_i ||x'||^2``,
    ``W[j] += w_i``, ``N[j] += 1`` for ``j = new``, the opposite for ``old``
    (``dp = S.shape[0] // W.shape[0]``, ``mean`` padded to ``dp`` with zeros).
    """
    d = X.shape[1]
    dp = mean.shape[0]
    L8 = vlanes(S)
    wi = 1.0 if w.shape[0] == 0 else np.float64(w[i])
    qi = 0.0
    for f in range(d):
        t = np.float64(X[i, f]) - mean[f]
        qi += t * t
    W[new] += wi
    Q[new] += wi * qi
    N[new] += 1
    if old >= 0:
        W[old] -= wi
        Q[old] -= wi * qi
        N[old] -= 1
    wv = vfill(S, wi)
    for f0 in range(0, d, L8):
        wx = vmul(wv, vsub(vload_ext(X, i * d + f0, min(L8, d - f0)), vload(mean, f0)))
        o = new * dp + f0
        vstore(S, o, vadd(vload(S, o), wx))
        if old >= 0:
            o = old * dp + f0
            vstore(S, o, vsub(vload(S, o), wx))


@njit(inline="always")
def guard_threshold(kappa, block_norm, cmax):
    """``2 epsilon`` of the module docstring for a block whose largest ``||x'||`` is ``block_norm``."""
    r = block_norm + cmax
    return 2.0 * kappa * r * r


@njit(inline="always")
def _finish_block(X, w, b, end, best, second, idx, thr, C64, k, mean, labels, S, Q, W, N, do_sums, dist_out):
    """Labels of block ``b`` from the scan (re-checking close calls); moves of changed points.

    The move is :func:`move_point` written out in place (same operations, same
    order, so the same bits): a call, even an inlined one, increments and
    decrements the reference count of each of its ten array arguments, which
    cost ~70 ns per moved point, more than the move itself.
    """
    L = vlanes(best)
    gap = vsub(second, best)
    recheck = vmask_not_gt(gap, vfill(gap, thr))
    i0 = b * L
    m = min(L, end - i0)
    changed = 0
    if recheck == 0 and m == L:
        todo = vchanged_mask(labels, i0, idx)
    else:
        todo = (1 << m) - 1
    if todo != 0:
        d = X.shape[1]
        dp = mean.shape[0]
        L8 = vlanes(S)
        for l in range(m):
            if (todo >> l) & 1:
                i = i0 + l
                if (recheck >> l) & 1:
                    j = canonical_label(X, i, C64, k)
                else:
                    j = int(vget(idx, l))
                old = labels[i]
                if old != j:
                    if do_sums:
                        wi = 1.0 if w.shape[0] == 0 else np.float64(w[i])
                        qi = 0.0
                        for f in range(d):
                            t = np.float64(X[i, f]) - mean[f]
                            qi += t * t
                        W[j] += wi
                        Q[j] += wi * qi
                        N[j] += 1
                        if old >= 0:
                            W[old] -= wi
                            Q[old] -= wi * qi
                            N[old] -= 1
                        wv = vfill(S, wi)
                        for f0 in range(0, d, L8):
                            wx = vmul(wv, vsub(vload_ext(X, i * d + f0, min(L8, d - f0)), vload(mean, f0)))
                            o = j * dp + f0
                            vstore(S, o, vadd(vload(S, o), wx))
                            if old >= 0:
                                o = old * dp + f0
                                vstore(S, o, vsub(vload(S, o), wx))
                    labels[i] = j
                    changed += 1
    if dist_out.shape[0] > 0:
        for l in range(m):
            dist_out[i0 + l] = sqdist64(X, i0 + l, C64, labels[i0 + l])
    return changed


# ------------------------------------------------------------------ the first pass


@njit(inline="always")
def unassigned(labels, start, end, like):
    """Whether every label of rows ``start .. end - 1`` is ``-1`` (rows never assigned: a first pass).

    ``start`` is a multiple of the float32 lanes; one vector compare per block
    of them (``like`` is any float32 array: it only gives the vector type).
    A pass over assigned rows stops at the first block.
    """
    L = vlanes(like)
    minus = vfill(like, -1.0)
    i = start
    while i + L <= end:
        if vchanged_mask(labels, i, minus) != 0:
            return False
        i += L
    while i < end:
        if labels[i] != -1:
            return False
        i += 1
    return True


@njit(inline="always")
def _label_block(X, b, end, best, second, idx, thr, C64, k, labels, dist_out):
    """The labels :func:`_finish_block` gives block ``b`` (close calls re-checked), for rows that had none.

    No comparison with the old labels and no move: :func:`add_rows` adds the
    rows to their clusters afterwards.
    """
    L = vlanes(best)
    gap = vsub(second, best)
    recheck = vmask_not_gt(gap, vfill(gap, thr))
    i0 = b * L
    m = min(L, end - i0)
    if recheck == 0 and m == L:
        vstore_int(labels, i0, idx)
    else:
        for l in range(m):
            if (recheck >> l) & 1:
                labels[i0 + l] = canonical_label(X, i0 + l, C64, k)
            else:
                labels[i0 + l] = int(vget(idx, l))
    if dist_out.shape[0] > 0:
        for l in range(m):
            dist_out[i0 + l] = sqdist64(X, i0 + l, C64, labels[i0 + l])


@njit(inline="always")
def add_rows(X, w, start, end, mean, labels, S, Q, W, N):
    """Add rows ``start .. end - 1``, in order, to the sums of their clusters ``labels[i]``.

    ``S``, ``Q``, ``W``, ``N`` are a chunk's sums, zero at the chunk's start
    (rows of a chunk may be added in several calls, in order). The result is
    that of the moves :func:`move_point` makes from no cluster (``old =
    -1``), the same operations in the same order on every sum, so the same
    bits; only the work is arranged differently:

    * ``||x_i - m||^2`` (a chain of ``d`` float64 additions per row, the bulk
      of a move) is summed for ``lanes(float64)`` consecutive rows at once,
      one row per lane: the rows are loaded whole and their squared
      deviations transposed in registers (:func:`~._simd.vadd_sqdev_rows`),
      so each lane adds the same terms in the same order as the scalar loop;
    * unit weights skip the multiplications by 1 (exact) and the additions of
      1.0 to ``W``: from zero, adding 1.0 ``N_j`` times gives exactly
      ``N_j`` (every partial sum is an integer below ``2**53``), which
      :func:`counts_as_weights` writes once the chunk's rows are all added.
    """
    d = X.shape[1]
    dp = mean.shape[0]
    L8 = vlanes(S)
    unit = w.shape[0] == 0
    i = start
    while i < end:
        g = min(L8, end - i)
        qv = vfill(S, 0.0)
        if g == L8:
            for f0 in range(0, d, L8):
                qv = vadd_sqdev_rows(X, i * d + f0, d, min(L8, d - f0), vload(mean, f0), qv)
        for h in range(g):
            r = i + h
            if g == L8:
                qi = vget(qv, h)
            else:
                qi = 0.0
                for f in range(d):
                    t = np.float64(X[r, f]) - mean[f]
                    qi += t * t
            j = labels[r]
            if unit:
                Q[j] += qi
            else:
                wi = np.float64(w[r])
                W[j] += wi
                Q[j] += wi * qi
            N[j] += 1
            for f0 in range(0, d, L8):
                if f0 + L8 <= d:
                    x = vload_wide(X, r * d + f0)
                else:
                    x = vload_ext(X, r * d + f0, d - f0)
                wx = vsub(x, vload(mean, f0))
                if not unit:
                    wx = vmul(vfill(S, np.float64(w[r])), wx)
                o = j * dp + f0
                vstore(S, o, vadd(vload(S, o), wx))
        i += g


@njit(inline="always")
def counts_as_weights(w, W, N):
    """After :func:`add_rows` with unit weights (``w`` empty): ``W[j] = N[j]``, the sum of ``N[j]`` ones."""
    if w.shape[0] == 0:
        for j in range(W.shape[0]):
            W[j] = np.float64(N[j])


@njit(inline="always")
def _first_chunk(
    scan, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, start, end, S, Q, W, N, do_sums, dist_out,
):
    """:func:`_lloyd_chunk` for a chunk whose rows have no label yet (every row moves).

    Per pair of blocks, the scan labels the rows (:func:`_label_block`), then,
    with ``do_sums``, :func:`add_rows` adds them to the chunk's sums, pair
    after pair, so in row order: the additions of the moves, in their order,
    without the per-point bookkeeping of a move (the comparison with the old
    label, the subtraction from it). The rows of ``X`` of the next pair are
    prefetched before each scan, so that their trip from memory overlaps the
    scan instead of stalling the additions. Returns the rows labelled.
    """
    d = X.shape[1]
    L = vlanes(XT)
    b_first = start // L
    b_end = (end + L - 1) // L
    if do_sums:
        _prefetch_rows(X, start, min(end, start + 2 * L))
    for b in range(b_first, b_end, 2):
        n_blocks = 2 if b + 1 < b_end else 1
        if do_sums:
            _prefetch_rows(X, min(end, (b + 2) * L), min(end, (b + 4) * L))
        ba, sa, ia, bb, sb, ib = scan(XT, b * d * L, (b + n_blocks - 1) * d * L, d, C2, cn, k)
        for h in range(n_blocks):
            if h == 0:
                best, second, idx = ba, sa, ia
            else:
                best, second, idx = bb, sb, ib
            thr = guard_threshold(kappa, block_norm[b + h], cmax)
            _label_block(X, b + h, end, best, second, idx, thr, C64, k, labels, dist_out)
        if do_sums:
            add_rows(X, w, b * L, min(end, (b + n_blocks) * L), mean, labels, S, Q, W, N)
    if do_sums:
        counts_as_weights(w, W, N)
    return end - start


@njit(inline="never")
def _prefetch_rows(X, r0, r1):
    """Prefetch rows ``r0 .. r1 - 1`` of ``X``.

    A call of its own: written inside the scan loop, even when switched off, it
    changed the register allocation of the scan and slowed it by 7-9 % at
    d = 32..128.
    """
    d = X.shape[1]
    line = max(1, 64 // X.itemsize)  # elements per cache line
    for e in range(r0 * d, r1 * d, line):
        prefetch(X, e)


@njit(inline="always")
def chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums):
    """Chunk ``c``'s rows of the per-chunk cluster sums, zeroed when this pass computes them."""
    S = chunk_S[c]
    Q = chunk_Q[c]
    W = chunk_W[c]
    N = chunk_N[c]
    if do_sums:
        S[:] = 0.0
        Q[:] = 0.0
        W[:] = 0.0
        N[:] = 0
    return S, Q, W, N


@njit(inline="always")
def _lloyd_chunk(
    scan, c, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    do_sums, dist_out, prefetch_rows,
):
    """Chunk ``c`` of :func:`lloyd_chunks` with the scan ``scan`` (one of :func:`scan_pair0` .. ``2``).

    Returns the number of labels that changed in the chunk.
    """
    n, d = X.shape
    L = vlanes(XT)
    start = c * CHUNK
    end = min(n, start + CHUNK)
    S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
    if unassigned(labels, start, end, XT):
        return _first_chunk(
            scan, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, start, end, S, Q, W, N, do_sums,
            dist_out,
        )
    changed = 0
    b_first = start // L
    b_end = (end + L - 1) // L
    for b in range(b_first, b_end, 2):
        n_blocks = 2 if b + 1 < b_end else 1
        ba, sa, ia, bb, sb, ib = scan(XT, b * d * L, (b + n_blocks - 1) * d * L, d, C2, cn, k)
        for h in range(n_blocks):  # one copy of the finishing code for both blocks
            if h == 0:
                best, second, idx = ba, sa, ia
            else:
                best, second, idx = bb, sb, ib
            thr = guard_threshold(kappa, block_norm[b + h], cmax)
            changed += _finish_block(
                X, w, b + h, end, best, second, idx, thr, C64, k, mean, labels, S, Q, W, N, do_sums, dist_out
            )
        if prefetch_rows:
            _prefetch_rows(X, min(n, (b + 4) * L), min(n, (b + 6) * L))
    return changed


@pjit
def _lloyd_chunks0(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk(
            scan_pair0, c, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q,
            chunk_W, chunk_N, do_sums, dist_out, prefetch_rows,
        )


@pjit
def _lloyd_chunks1(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk(
            scan_pair1, c, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q,
            chunk_W, chunk_N, do_sums, dist_out, prefetch_rows,
        )


@pjit
def _lloyd_chunks2(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk(
            scan_pair2, c, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q,
            chunk_W, chunk_N, do_sums, dist_out, prefetch_rows,
        )


@pjit
def _lloyd_chunks3(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk(
            scan_pair3, c, X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q,
            chunk_W, chunk_N, do_sums, dist_out, prefetch_rows,
        )


# ------------------------------------------------------------------ scanning rows without a packed copy


@njit(inline="always")
def work_rows(X, r0, r1, offset, factor):
    """Rows ``r0 .. r1 - 1`` of ``X`` into the work space in place: ``X[i, f] = (float64(X[i, f]) - offset[f]) * factor``.

    The operations of :func:`optimeans.distributed._scan.to_work_rows` (so its
    bits), on a few rows that the scan reads right after, while they are in cache.
    """
    d = X.shape[1]
    for i in range(r0, r1):
        for f in range(d):
            X[i, f] = (np.float64(X[i, f]) - offset[f]) * factor


@njit(inline="always")
def pack_tile(X, b, n_blocks, end, mean, scale, tile):
    """Blocks ``b`` and ``b + 1`` (``n_blocks`` of them) of ``X`` packed into ``tile``; their largest ``||x'||``.

    ``tile[(h * d + f) * L + l]`` is what :func:`pack_data` writes at
    ``XT[((b + h) * d + f) * L + l]`` (rows past ``end`` are 0), the rows
    transposed in registers (:func:`~._simd.vpack_rows`); the two norms are
    :func:`pack_data`'s ``block_norm`` (the same float64 sums of squares, in
    feature order, lane by lane). Returns ``(norm_a, norm_b)``; ``norm_b`` is
    0 when ``n_blocks`` is 1.
    """
    d = X.shape[1]
    L = vlanes(tile)
    L8 = vlanes(mean)
    na = 0.0
    nb = 0.0
    for h in range(n_blocks):
        i0 = (b + h) * L
        m = min(L, end - i0)
        for f0 in range(0, d, L):
            vpack_rows(tile, (h * d + f0) * L, X, i0 * d + f0, d, m, min(L, d - f0), mean, f0, scale)
        s_lo = vfill(mean, 0.0)
        s_hi = s_lo
        for f in range(d):
            x = vload_wide(tile, (h * d + f) * L)
            s_lo = vadd(s_lo, vmul(x, x))
            x = vload_wide(tile, (h * d + f) * L + L8)
            s_hi = vadd(s_hi, vmul(x, x))
        r = math.sqrt(vreduce_max(vmax(s_lo, s_hi))) * (1.0 + 1e-6)
        if h == 0:
            na = r
        else:
            nb = r
    return na, nb


@njit(inline="always")
def _lloyd_chunk_rows(
    scan, c, X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q,
    chunk_W, chunk_N, do_sums, dist_out,
):
    """Chunk ``c`` of :func:`lloyd_rows`: :func:`_lloyd_chunk` (or :func:`_first_chunk`) on rows packed
    pair of blocks by pair of blocks into a tile of this chunk (:func:`pack_tile`), with ``to_work`` the
    rows first put in the work space in place (:func:`work_rows`). Returns the labels changed.
    """
    n, d = X.shape
    L = BLOCK
    start = c * CHUNK
    end = min(n, start + CHUNK)
    S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
    tile = np.empty(2 * d * L, dtype=np.float32)
    first = unassigned(labels, start, end, tile)
    changed = 0
    b_first = start // L
    b_end = (end + L - 1) // L
    for b in range(b_first, b_end, 2):
        n_blocks = 2 if b + 1 < b_end else 1
        r1 = min(end, (b + n_blocks) * L)
        if to_work:
            work_rows(X, b * L, r1, offset, factor)
        na, nb = pack_tile(X, b, n_blocks, end, mean, scale, tile)
        ba, sa, ia, bb, sb, ib = scan(tile, 0, (n_blocks - 1) * d * L, d, C2, cn, k)
        for h in range(n_blocks):
            if h == 0:
                best, second, idx, norm = ba, sa, ia, na
            else:
                best, second, idx, norm = bb, sb, ib, nb
            thr = guard_threshold(kappa, norm, cmax)
            if first:
                _label_block(X, b + h, end, best, second, idx, thr, C64, k, labels, dist_out)
            else:
                changed += _finish_block(
                    X, w, b + h, end, best, second, idx, thr, C64, k, mean, labels, S, Q, W, N, do_sums, dist_out
                )
        if first and do_sums:
            add_rows(X, w, b * L, r1, mean, labels, S, Q, W, N)
    if first:
        if do_sums:
            counts_as_weights(w, W, N)
        changed = end - start
    return changed


@pjit
def _lloyd_rows0(
    X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q, chunk_W,
    chunk_N, chunk_changed, do_sums, dist_out,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk_rows(
            scan_pair0, c, X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels,
            chunk_S, chunk_Q, chunk_W, chunk_N, do_sums, dist_out,
        )


@pjit
def _lloyd_rows1(
    X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q, chunk_W,
    chunk_N, chunk_changed, do_sums, dist_out,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk_rows(
            scan_pair1, c, X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels,
            chunk_S, chunk_Q, chunk_W, chunk_N, do_sums, dist_out,
        )


@pjit
def _lloyd_rows2(
    X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q, chunk_W,
    chunk_N, chunk_changed, do_sums, dist_out,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk_rows(
            scan_pair2, c, X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels,
            chunk_S, chunk_Q, chunk_W, chunk_N, do_sums, dist_out,
        )


@pjit
def _lloyd_rows3(
    X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q, chunk_W,
    chunk_N, chunk_changed, do_sums, dist_out,
):
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        chunk_changed[c] = _lloyd_chunk_rows(
            scan_pair3, c, X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels,
            chunk_S, chunk_Q, chunk_W, chunk_N, do_sums, dist_out,
        )


_LLOYD_ROWS = {_lloyd_chunks0: _lloyd_rows0, _lloyd_chunks1: _lloyd_rows1, _lloyd_chunks2: _lloyd_rows2,
               _lloyd_chunks3: _lloyd_rows3}


def scans_rows(kp: int, d: int) -> bool:
    """Whether :func:`lloyd_rows` serves ``kp`` padded centers in ``d`` features (every kernel but the BLAS one)."""
    return lloyd_kernel_of(kp, d) in _LLOYD_ROWS


def lloyd_rows(
    X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q, chunk_W,
    chunk_N, chunk_changed, do_sums, dist_out,
):
    """:func:`lloyd_chunks` on the rows of ``X`` as they are, without a packed copy: labels and sums bit for bit.

    For rows used once (a block read from disk for one pass): :func:`lloyd_chunks`
    needs the packed copy of :func:`pack_data`, written to memory and read back,
    a pass over the block of its own; here each chunk packs two blocks of
    :data:`BLOCK` rows at a time into a tile (:func:`pack_tile`) that the
    scan reads at once from the L1 cache. The tile, the block norms and the
    scan are those of the packed path, value for value, so the labels, the
    re-checks and the sums are its own.

    Parameters
    ----------
    X : (n, d) float32/float64, C-contiguous; with ``to_work`` the raw rows,
        put in the work space in place (``(X - offset) * factor``, offset
        (d,) float64, factor a power of two) pair of blocks by pair of blocks,
        otherwise the work rows
    scale : float, the kernel's scale (that of :func:`pack_data`); ``mean``
        the kernel's mean padded to ``dp``
    Others as :func:`lloyd_chunks` (``XT`` and ``block_norm`` are not needed).

    Only ``kp``, ``d`` for which :func:`scans_rows` holds (the register-blocked
    scans; the BLAS kernel packs its own panels).
    """
    kernel = _LLOYD_ROWS[lloyd_kernel_of(cn.shape[0], X.shape[1])]
    kernel(
        X, w, offset, factor, to_work, C2, cn, C64, k, cmax, kappa, mean, scale, labels, chunk_S, chunk_Q,
        chunk_W, chunk_N, chunk_changed, do_sums, dist_out,
    )


#: Points per BLAS product of :func:`_lloyd_chunks_gemm` (a divisor of :data:`CHUNK`).
GEMM_ROWS = 256
#: Centers per BLAS product (a slab of the packed centers): the ``GEMM_SLAB x GEMM_ROWS``
#: float32 products (1 MB) stay in the core's L2 while the per-point minima are read off.
GEMM_SLAB = 1024


@njit
def gemm_rows(kp: int) -> int:
    """Points per matrix product of :func:`_lloyd_chunks_gemm` (:data:`GEMM_ROWS`).

    The BLAS kernel reuses each packed center over all the points of a product:
    the more points, the fewer passes over the centers. sgemm alone, 1 thread,
    CPU time under load 5 (2 cores shared): 4096 x 128 centers against 50000
    points in products of 64 points (the earlier rule, which kept the whole
    ``kp x R`` product within 1 MB) 607 ms, 32 points 815, 256 points in slabs of
    1024 centers 427; 1024 x 64 against 100000 points: 124 (R = 128), 114 (256).
    """
    return GEMM_ROWS


@njit
def gemm_slab(kp: int) -> int:
    """Centers per matrix product of :func:`_lloyd_chunks_gemm`: all ``kp`` up to :data:`GEMM_SLAB`."""
    return min(kp, GEMM_SLAB)


@njit(inline="always")
def _fill_panel_gemm(XT, b0, n_blocks, d, panel):
    """``panel[f, h * L + l]`` = feature ``f`` of point ``l`` of block ``b0 + h`` (zero past ``n_blocks``).

    The packed blocks (``d x L`` each, :func:`pack_data`) side by side: the
    ``d x R`` right-hand factor of the chunk's matrix product.
    """
    L = vlanes(XT)
    R = panel.shape[1]
    for h in range(R // L):
        for f in range(d):
            if h < n_blocks:
                vstore(panel, f * R + h * L, vload(XT, ((b0 + h) * d + f) * L))
            else:
                vstore(panel, f * R + h * L, vfill(XT, 0.0))


@njit(inline="always")
def _track_products(G, h, cn, L, j0, j1, tb, ts, ti):
    """Fold centers ``j0 .. j1 - 1`` (rows ``0 .. j1 - j0 - 1`` of the slab's products ``G``) into
    the best / second / index lanes of block ``h``, kept in ``tb``, ``ts``, ``ti`` between slabs.

    Fast value ``G[j - j0] + cn[j]``; the centers are folded in increasing order, slab
    after slab, as the single product over all centers would fold them.
    """
    R = G.shape[1]
    if j0 == 0:
        best = vfill(cn, np.inf)
        second = best
        idx = vfill(cn, 0.0)
    else:
        best = vload(tb, h * L)
        second = vload(ts, h * L)
        idx = vload(ti, h * L)
    for j in range(j0, j1):
        acc = vadd(vload(G, (j - j0) * R + h * L), vfill(cn, cn[j]))
        best, second, idx = _track(acc, vfill(cn, j), best, second, idx)
    vstore(tb, h * L, best)
    vstore(ts, h * L, second)
    vstore(ti, h * L, idx)


@pjit
def _lloyd_chunks_gemm(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows,
):
    """:func:`lloyd_chunks` whose fast values come from float32 matrix products (BLAS ``sgemm``).

    Per group of ``R = gemm_rows(kp)`` points and slab of ``gemm_slab(kp)``
    centers: ``G = C2[slab] @ panel`` (``panel`` the ``d x R`` packed points),
    then, per block of ``L`` points, the best / second / index lanes of the
    register-blocked scans are carried on from ``G[j] + cn[j]`` over the slab's
    centers; after the last slab, the same finishing (:func:`_finish_block`).
    The product's summation order is BLAS's own, so its values differ from the
    scans' in the last bits; the guard bounds the error of a dot product summed
    in *any* order (``gamma_d |x'| . |c2_j|``, Higham 2002, §3.1, within the
    ``(2d + 8) u`` of :func:`guard_kappa`), so the labels, and every sum, are
    those of the scans, bit for bit. Each thread calls a single-threaded BLAS
    (:func:`lloyd_chunks` holds BLAS to one thread around this kernel).

    Memory: ``(slab + d) R`` float32 per chunk in flight (about 1 MB), never ``n x k``.
    """
    n, d = X.shape
    L = vlanes(XT)
    kp = cn.shape[0]
    R = gemm_rows(kp)
    Ks = gemm_slab(kp)
    for c in prange((n + CHUNK - 1) // CHUNK):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        S, Q, W, N = chunk_sums(c, chunk_S, chunk_Q, chunk_W, chunk_N, do_sums)
        panel = np.empty((d, R), dtype=np.float32)
        G = np.empty((Ks, R), dtype=np.float32)
        tb = np.empty(R, dtype=np.float32)
        ts = np.empty(R, dtype=np.float32)
        ti = np.empty(R, dtype=np.float32)
        first = unassigned(labels, start, end, XT)
        changed = 0
        b_first = start // L
        b_end = (end + L - 1) // L
        for b0 in range(b_first, b_end, R // L):
            n_blocks = min(R // L, b_end - b0)
            _fill_panel_gemm(XT, b0, n_blocks, d, panel)
            for j0 in range(0, kp, Ks):
                j1 = min(kp, j0 + Ks)
                np.dot(C2[j0:j1], panel, G[: j1 - j0])
                for h in range(n_blocks):
                    _track_products(G, h, cn, L, j0, j1, tb, ts, ti)
            for h in range(n_blocks):
                best = vload(tb, h * L)
                second = vload(ts, h * L)
                idx = vload(ti, h * L)
                thr = guard_threshold(kappa, block_norm[b0 + h], cmax)
                if first:
                    _label_block(X, b0 + h, end, best, second, idx, thr, C64, k, labels, dist_out)
                else:
                    changed += _finish_block(
                        X, w, b0 + h, end, best, second, idx, thr, C64, k, mean, labels, S, Q, W, N, do_sums,
                        dist_out,
                    )
        if first:
            # a first pass: the rows are added to their clusters after the scan (as in _first_chunk)
            if do_sums:
                add_rows(X, w, start, end, mean, labels, S, Q, W, N)
                counts_as_weights(w, W, N)
            changed = end - start
        chunk_changed[c] = changed


#: The kernel of each register blocking (:func:`scan_mode`): each compiles only its own scan.
_LLOYD_CHUNKS = (_lloyd_chunks0, _lloyd_chunks1, _lloyd_chunks2)

#: From this many padded centers on, and in :data:`SKIP_FEATURES` features or fewer, the
#: sixteen-center blocking (mode 2) folds only the groups that can change a point's two
#: smallest distances (:func:`scan_wide_skip`). One assignment pass, 1 thread, CPU time
#: under load 12-16 (2 cores shared), 4-6 interleaved rounds: 200000x16 k=16384 median 2102 ms
#: against 2463 without skipping (faster in every round), 50000x16 k=16384 548 against 620;
#: but 50000x128 k=4096 881 against 768 (slower in every round), hence the feature limit.
SKIP_FROM = 256
SKIP_FEATURES = 32

#: From this many padded centers on, in at least :data:`GEMM_FEATURES` features, the fast
#: values come from BLAS (:func:`_lloyd_chunks_gemm`). One assignment pass, 1 thread, CPU
#: time, best of 5-6 alternated rounds under load 4-10 (2 cores shared; OpenBLAS uses
#: AVX-512 on this Sapphire Rapids host): 50000x128 k=4096 519 ms against 613 for the
#: register-blocked scan; 50000x64 k=4096 357 against 476; 50000x96 k=4096 434 against 420
#: and 100000x64 k=1024 126 against 122 (equal within the noise). The BLAS product alone
#: (sgemm of the same sizes, NumPy) takes 619 ms at 50000x128 k=4096, so the per-point
#: best / second tracking costs little beside it. On a host whose BLAS is held to AVX2 the
#: product lost to the scan (benchmarks/README.md, "GEMM path").
GEMM_FROM = 512
GEMM_FEATURES = 64


def lloyd_kernel_of(kp: int, d: int):
    """The chunk kernel :func:`lloyd_chunks` runs for ``kp`` padded centers in ``d`` features."""
    if kp >= GEMM_FROM and d >= GEMM_FEATURES:
        return _lloyd_chunks_gemm
    mode = scan_mode_of(kp, d)
    if mode == 2 and kp >= SKIP_FROM and d <= SKIP_FEATURES:
        return _lloyd_chunks3
    return _LLOYD_CHUNKS[mode]


def lloyd_chunks(
    X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
    chunk_changed, do_sums, dist_out, prefetch_rows=False,
):
    """Assign every row to its canonical nearest center; with ``do_sums`` record the moves.

    Parameters
    ----------
    X : (n, d) float32/float64, the input data (for the exact re-checks and the sums)
    w : (n,) weights, or (0,) for unit weights (unused unless ``do_sums``)
    XT, block_norm : the packed data, from :func:`pack_data`
    C2, cn, C64 : from :func:`pack_centers`, ``k`` real centers, ``cmax`` its return value
    kappa : :func:`guard_kappa`
    mean : (dp,) float64, the data mean padded with zeros
    labels : (n,) int32 or int64, updated in place (``-1``: not assigned yet)
    chunk_S : (n_chunks, k * dp); chunk_Q, chunk_W : (n_chunks, k) float64; chunk_N : (n_chunks, k) int64:
        overwritten with the change of the partial sums (see :func:`move_point`) caused by
        the points of each chunk that changed label
    chunk_changed : (n_chunks,) int64, labels changed per chunk
    dist_out : (n,) or (0,) float64: when non-empty, the exact squared distance to the chosen center
    prefetch_rows : bool
        Prefetch the rows of ``X`` two pairs of blocks ahead of the scan. Worth it when many
        points move (their rows are read, scattered, right after the scan, and each miss would
        cost a trip to memory); a waste of bandwidth when few do.

    Notes
    -----
    O(n k d) time for the assignment plus O(d) per point that changes label;
    chunks of :data:`CHUNK` rows in parallel. A chunk whose rows are all
    unassigned (``-1``) takes the first-pass path (:func:`_first_chunk`), with
    the same results bit for bit.

    Only the kernel of the register blocking that ``k`` and ``d`` call for
    (:func:`lloyd_kernel_of`) is compiled, on its first use.
    """
    kernel = lloyd_kernel_of(cn.shape[0], X.shape[1])
    args = (
        X, w, XT, block_norm, C2, cn, C64, k, cmax, kappa, mean, labels, chunk_S, chunk_Q, chunk_W, chunk_N,
        chunk_changed, do_sums, dist_out, prefetch_rows,
    )
    if kernel is _lloyd_chunks_gemm:
        # each Numba thread calls BLAS: one BLAS thread each, whoever the caller
        # (a multi-threaded BLAS under a parallel loop oversubscribes the cores: 15x slower, measured)
        with native_threads(get_num_threads(), blas=1):
            kernel(*args)
    else:
        kernel(*args)


@njit
def apply_moves(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N):
    """Add the per-chunk changes to the running sums in chunk order; return the labels changed.

    A cluster left with no point gets exactly zero sums (no rounding residue).
    """
    changed = 0
    k = W.shape[0]
    dp = S.shape[0] // k
    for c in range(chunk_S.shape[0]):
        if chunk_changed[c] == 0:
            continue
        changed += chunk_changed[c]
        for t in range(S.shape[0]):
            S[t] += chunk_S[c, t]
        for j in range(k):
            Q[j] += chunk_Q[c, j]
            W[j] += chunk_W[c, j]
            N[j] += chunk_N[c, j]
    _clear_empty(S, Q, W, N)
    return changed


@njit(inline="always")
def _clear_empty(S, Q, W, N):
    k = W.shape[0]
    dp = S.shape[0] // k
    for j in range(k):
        if N[j] == 0:
            W[j] = 0.0
            Q[j] = 0.0
            for f in range(dp):
                S[j * dp + f] = 0.0


@pjit
def _apply_moves_parallel(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N):
    """:func:`apply_moves` with the ``k x dp`` sums split into slices added in parallel.

    Each entry still gets the chunks' changes in chunk order: the same bits.
    """
    changed = 0
    k = W.shape[0]
    nc = chunk_S.shape[0]
    for c in range(nc):
        changed += chunk_changed[c]
    step = 1 << 14
    for b in prange((S.shape[0] + step - 1) // step):
        t1 = min(S.shape[0], (b + 1) * step)
        for c in range(nc):
            if chunk_changed[c] != 0:
                for t in range(b * step, t1):
                    S[t] += chunk_S[c, t]
    for c in range(nc):
        if chunk_changed[c] != 0:
            for j in range(k):
                Q[j] += chunk_Q[c, j]
                W[j] += chunk_W[c, j]
                N[j] += chunk_N[c, j]
    _clear_empty(S, Q, W, N)
    return changed


#: From this many float64 additions (chunks x k x dp) on, :func:`add_moves` adds the sums in
#: parallel: at 50000 x 128, k = 4096 (6.8 million) the serial loop took 6.8 ms (CPU, load 7),
#: a serial step of every iteration; below, starting the threads would cost more than it saves.
PARALLEL_MOVES = 1 << 21


def add_moves(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N) -> int:
    """:func:`apply_moves`, its additions in parallel when they are many (:data:`PARALLEL_MOVES`); same bits."""
    if chunk_S.size >= PARALLEL_MOVES:
        return int(_apply_moves_parallel(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N))
    return int(apply_moves(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N))


@njit
def objective_from_sums(S, Q, W, N, C64, mean):
    """``sum_j Q_j - 2 c'_j . S_j + W_j ||c'_j||^2`` with ``c'_j = c_j - mean`` (each term clipped at 0).

    With centered sums ``S_j = sum w_i (x_i - m)`` and ``Q_j = sum w_i ||x_i - m||^2``
    this is ``sum_j sum_{i in j} w_i ||x_i - c_j||^2``, the objective of the
    centers ``C64`` and the labels of the sums.
    """
    k = W.shape[0]
    dp = S.shape[0] // k
    d = C64.shape[1]
    obj = 0.0
    for j in range(k):
        if N[j] == 0:
            continue
        cross = 0.0
        cc = 0.0
        for f in range(d):
            cf = C64[j, f] - mean[f]
            cross += cf * S[j * dp + f]
            cc += cf * cf
        obj += max(Q[j] - 2.0 * cross + W[j] * cc, 0.0)
    return obj


@njit
def update_centers(S, W, N, mean, centers):
    """``centers[j] = mean + S_j / W_j`` (in the centers' dtype) where cluster ``j`` has points.

    Returns the number of empty clusters (their centers are left unchanged).
    """
    k, d = centers.shape
    dp = S.shape[0] // k
    empty = 0
    for j in range(k):
        if N[j] > 0 and W[j] > 0:
            for f in range(d):
                centers[j, f] = mean[f] + S[j * dp + f] / W[j]
        else:
            empty += 1
    return empty


@pjit
def chunk_sums_raw(X, w, labels, chunk_sums, chunk_weights):
    """Per-chunk ``sum w_i x_i`` (n_chunks, k, d) and ``sum w_i`` (n_chunks, k), float64, rows in order."""
    n, d = X.shape
    for c in prange(chunk_sums.shape[0]):
        chunk_sums[c] = 0.0
        chunk_weights[c] = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            j = labels[i]
            wi = np.float64(w[i])
            chunk_weights[c, j] += wi
            for f in range(d):
                chunk_sums[c, j, f] += wi * np.float64(X[i, f])


@njit
def chunk_objectives(w, dist, out):
    """out[c] = sum of ``w_i dist_i`` over the rows of chunk ``c`` (float64, rows in order)."""
    n = dist.shape[0]
    for c in range(out.shape[0]):
        s = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s += np.float64(w[i]) * np.float64(dist[i])
        out[c] = s


# ------------------------------------------------------------------ convenience


class Workspace:
    """State of one run of the Lloyd-type kernels over a fixed data set.

    Holds the packed copy of the data (built once), the packed centers, the
    running float64 sums of every cluster (updated by the points that change
    label) and the per-chunk scratch, so an iteration allocates nothing.

    Parameters
    ----------
    X : (n, d) float32/float64, C-contiguous
    n_clusters : int
    sample_weight : (n,) float64, optional (None: unit weights)

    Notes
    -----
    Memory: the packed data (``n d`` float32, half a float64 ``X``), ``n``
    labels, ``n`` float64 norms and ``ceil(n / CHUNK) * k * (dp + 3)`` float64 scratch. The sums are
    kept in float64 relative to the data mean; a pass costs O(n k d) for the
    assignment plus O(d) per point that changes label.

    Why the rows are centred here although :class:`optimeans._transform.DataTransform`
    has already centred them (the same question for the scale): the two do
    different jobs on different numbers.

    * ``DataTransform`` works on the user's values in float64 *before* they
      are rounded to the work dtype: its offset is what keeps float32 rows
      that sit far from the origin accurate, for every solver (not only this
      kernel), and its power of two is 1 for ordinary magnitudes. It is
      applied once per fit, at the boundary.
    * The mean ``m`` and scale ``s`` here are the origin of the float64
      cluster sums (``S_j = sum w_i (x_i - m)``) and of the float32 packing
      (``s (x - m)`` in ``[-1, 1]``, which the exactness guard and the
      overflow-free packing rely on). The kernel cannot assume its input is
      centred: the solvers' public ``run`` functions take raw rows, and the
      Lloyd run on the k-means|| candidates (a weighted subset of the work
      rows) gives it rows whose mean is not 0. On transformed rows ``m`` is the float64 mean of the rounded
      work rows (unweighted: ``DataTransform`` uses the weighted mean), close
      to 0 but not 0, and ``s`` is a power of two, so the second centring
      costs one read of the rows (and the scale one more) per Workspace, not
      accuracy. Using ``m = 0`` on transformed rows would save that read but
      change every Lloyd-type result in its last bits, and the NumPy twin
      :class:`optimeans._nocompile.SmallWorkspace` and the Dask backend
      (which computes ``m`` and ``s`` block by block, :func:`optimeans.distributed.solver.kernel_space`)
      would have to change with it; the read is a setup cost, not a cost per
      iteration.
    """

    def __init__(self, X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None) -> None:
        n, d = X.shape
        k = int(n_clusters)
        if k >= MAX_CLUSTERS:
            raise ValueError(f"n_clusters must be below {MAX_CLUSTERS}, got {k}")
        self.X = X
        self.k = k
        self.dp = padded_features(d)
        mean = X.mean(axis=0, dtype=np.float64)
        self.scale = data_scale(X, mean)
        self.mean = np.zeros(self.dp, dtype=np.float64)
        self.mean[:d] = mean
        if sample_weight is None or bool(np.all(sample_weight == 1.0)):
            # Unit weights travel as an empty array: the kernels skip loading them (same bits).
            self.w = np.empty(0, dtype=np.float64)
        else:
            self.w = np.ascontiguousarray(sample_weight, dtype=np.float64)
        nb = (n + BLOCK - 1) // BLOCK
        self.XT = np.empty(max(nb * d * BLOCK, 1), dtype=np.float32)
        self.block_norm = np.empty(nb, dtype=np.float64)
        self.sqnorm = np.empty(n, dtype=np.float64)
        pack_data(X, mean, self.scale, self.XT, self.block_norm, self.sqnorm)
        self.kappa = guard_kappa(d)
        kp = padded_clusters(k)
        self.C2 = np.empty((kp, d), dtype=np.float32)
        self.cn = np.empty(kp, dtype=np.float32)
        self.C64 = np.empty((kp, self.dp), dtype=np.float64)
        nc = n_chunks(n)
        self.chunk_S = np.empty((nc, k * self.dp), dtype=np.float64)
        self.chunk_Q = np.empty((nc, k), dtype=np.float64)
        self.chunk_W = np.empty((nc, k), dtype=np.float64)
        self.chunk_N = np.empty((nc, k), dtype=np.int64)
        self.chunk_changed = np.empty(nc, dtype=np.int64)
        self.labels = np.full(n, -1, dtype=np.int64)
        self.S = np.zeros(k * self.dp, dtype=np.float64)
        self.Q = np.zeros(k, dtype=np.float64)
        self.W = np.zeros(k, dtype=np.float64)
        self.N = np.zeros(k, dtype=np.int64)
        self.no_dist = np.empty(0, dtype=np.float64)
        self.cmax = 0.0
        # Prefetch the rows of X during the scan while enough points move (prefetch_pays; at
        # 1000000x8x16, 1 thread, a pass with 10 % of the points moving took 9.7 ms with the
        # prefetch, 15-18 ms without; with no point moving 4.7 and 4.8 ms). The first pass moves all.
        self.prefetch_rows = True
        self.moved = n  # the points the last pass moved

    def set_centers(self, centers: np.ndarray) -> None:
        """Pack ``centers`` (k, d) for the next pass."""
        self.cmax = pack_centers(centers, self.mean, self.scale, self.C2, self.cn, self.C64)

    def assign(self, do_sums: bool = True, dist_out: np.ndarray | None = None) -> int:
        """One pass at the packed centers: ``self.labels`` in place, the sums follow. Returns labels changed."""
        lloyd_chunks(
            self.X, self.w, self.XT, self.block_norm, self.C2, self.cn, self.C64, self.k, self.cmax, self.kappa,
            self.mean, self.labels, self.chunk_S, self.chunk_Q, self.chunk_W, self.chunk_N, self.chunk_changed,
            do_sums, self.no_dist if dist_out is None else dist_out, self.prefetch_rows,
        )
        if do_sums:
            changed = add_moves(self.chunk_S, self.chunk_Q, self.chunk_W, self.chunk_N, self.chunk_changed,
                                self.S, self.Q, self.W, self.N)
        else:
            changed = int(self.chunk_changed.sum())
        self.prefetch_rows = prefetch_pays(changed, self.moved, self.X.shape[0], self.X.shape[1] * self.X.itemsize,
                                           get_num_threads())
        self.moved = changed
        return changed

    def objective(self) -> float:
        """The objective of the packed centers and the current labels (float64)."""
        return float(objective_from_sums(self.S, self.Q, self.W, self.N, self.C64, self.mean))

    def update_centers(self, centers: np.ndarray) -> int:
        """Move every non-empty center to its cluster's mean (in place); returns the number of empty clusters."""
        return int(update_centers(self.S, self.W, self.N, self.mean, centers))


def assign_labels(X, centers, labels, min_sqdist):
    """``labels[i]`` = the canonical nearest center of ``X[i]``, ``min_sqdist[i]`` its squared distance.

    Canonical: the first index minimizing ``sum_f (x_f - c_f)^2`` in float64
    (see the module docstring). ``min_sqdist`` has X's dtype (the float64
    value rounded). Runs on the current Numba thread count.
    """
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    ws = Workspace(X, centers.shape[0])
    ws.set_centers(centers)
    dist = np.empty(X.shape[0], dtype=np.float64)
    ws.assign(do_sums=False, dist_out=dist)
    labels[...] = ws.labels
    min_sqdist[...] = dist


def lloyd_pass(X, sample_weight, centers, labels, min_sqdist, chunk_sums, chunk_weights, chunk_obj, chunk_changed):
    """One Lloyd pass: assign every row and compute per-chunk weighted sums.

    Writes ``labels``, ``min_sqdist``; for every chunk ``c``:
    ``chunk_sums[c, j] = sum w_i x_i`` and ``chunk_weights[c, j] = sum w_i`` over
    the chunk's rows assigned to ``j`` (float64), ``chunk_obj[c]`` the weighted
    sum of squared distances, ``chunk_changed[c]`` how many labels changed.
    Reducing them in chunk order gives a result independent of the thread count.
    Solvers that iterate should hold a :class:`Workspace` instead (this packs
    the data at every call).
    """
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    ws = Workspace(X, centers.shape[0])
    ws.set_centers(centers)
    ws.labels[...] = labels
    dist = np.empty(X.shape[0], dtype=np.float64)
    ws.assign(do_sums=False, dist_out=dist)
    chunk_changed[...] = ws.chunk_changed
    labels[...] = ws.labels
    min_sqdist[...] = dist
    w = np.ascontiguousarray(sample_weight)
    chunk_sums_raw(X, w, labels, chunk_sums, chunk_weights)
    chunk_objectives(w, dist, chunk_obj)


@njit
def _padded_rows(X, rows, dp):
    """``X[rows]`` in float64, each row padded with zeros to ``dp`` entries (for :func:`sqdist64`)."""
    out = np.zeros((rows.shape[0], dp), dtype=np.float64)
    for t in range(rows.shape[0]):
        for f in range(X.shape[1]):
            out[t, f] = X[rows[t], f]
    return out


@njit
def _padded_center(center, dp):
    out = np.zeros((1, dp), dtype=np.float64)
    for f in range(center.shape[0]):
        out[0, f] = center[f]
    return out


@pjit
def sqdist_to_center(X, center, out):
    """out[i] = ||X[i] - center||^2 in float64 (:func:`sqdist64`)."""
    n = X.shape[0]
    cp = _padded_center(center, (X.shape[1] + _L64 - 1) // _L64 * _L64)
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            out[i] = sqdist64(X, i, cp, 0)


@pjit
def update_min_sqdist(X, center, min_sqdist):
    """min_sqdist[i] = min(min_sqdist[i], ||X[i] - center||^2) in float64 (:func:`sqdist64`)."""
    n = X.shape[0]
    cp = _padded_center(center, (X.shape[1] + _L64 - 1) // _L64 * _L64)
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = sqdist64(X, i, cp, 0)
            if s < min_sqdist[i]:
                min_sqdist[i] = s


@pjit
def candidate_potentials(X, w, closest, candidates, chunk_pot):
    """k-means++ candidates: ``chunk_pot[t, c] = sum_i w_i min(closest_i, ||x_i - x_{cand_t}||^2)`` over chunk ``c``.

    One pass over the rows for all the candidates, distances as in
    :func:`update_min_sqdist`, sums per chunk in row order; reduce ``chunk_pot``
    along its last axis for the potentials (independent of the thread count).
    """
    n = X.shape[0]
    m = candidates.shape[0]
    cp = _padded_rows(X, candidates, (X.shape[1] + _L64 - 1) // _L64 * _L64)
    for c in prange(chunk_pot.shape[1]):
        acc = np.zeros(m, dtype=np.float64)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            wi = np.float64(w[i])
            ci = closest[i]
            for t in range(m):
                s = sqdist64(X, i, cp, t)
                acc[t] += wi * (s if s < ci else ci)
        for t in range(m):
            chunk_pot[t, c] = acc[t]
