r"""Kernels of the anchored-ball assignment: Lloyd's labels scanning only the centers that can still win.

The bound
---------
Let ``a`` be a point's label from the previous pass and ``U = ||x - c_a||``
(the *new* center, computed exactly in float64). For any center ``j``,

.. math::  \lVert x - c_j \rVert \ge \lVert c_a - c_j \rVert - U ,

so a center with ``||c_a - c_j|| > 2U + mu`` is farther from ``x`` than
``c_a`` by more than ``mu`` (Elkan 2003, Lemma 1, with the previous label as
the anchor; Newling & Fleuret 2016 search the same ball around the assigned
center). Nothing is kept from one pass to the next but the labels: the bound
costs no memory per point and does not decay with the centers' drift.

The layout
----------
Points are ordered by label and, within a label, by ``U`` (ascending), and
packed, center by center, into blocks of ``L`` points (``L`` float32 lanes, as
in :mod:`.lloyd`), aligned at the end of the center's points: its last block
holds its ``L`` largest ``U``, its first block the remainder (filled with
copies of a point and its extra lanes ignored). A center with many points hands
its :data:`PEEL` largest ``U`` to the full scan (:func:`peel_outliers`): they
alone would set the widest ball of the last block. For each center ``a`` (in parallel over groups of
centers) the distances from ``c_a`` to every center are computed once, in
float32 over the transposed centers, eight consecutive anchors at a time
(:func:`center_tile`), and then each center's bucket: the first of ``a``'s blocks whose threshold ``2 U_b + mu`` covers it
(thresholds nested, as ``U`` grows along the blocks; rounded up to float32, so
the buckets hold a superset of the float64 test's candidates), kept as one bit
mask per block and group of ``L`` centers. The candidates are then listed in
bucket order, ascending index within a bucket, by compress stores of those
masks (:func:`store_set_lanes`); each block runs Lloyd's sixteen-center scan
(:func:`.lloyd.scan_wide_skip`, the same fast values) over the prefix of
candidates its own threshold needs. With three blocks or more, the candidates
of all blocks but the last are copied once into a contiguous panel that the
blocks share; the last block's extra candidates (often most of them: the
largest ``U`` of a cluster sets the widest ball) are scanned in place through
their indices, as a copy costs about what one block's scan of the candidate
costs.

Profile at 1000000 x 16, k = 16384, 1 thread, the pass of iteration 6 (CPU
time under load 9; 25 % of the full scan's groups; the last block of a center
scans 64 % of ``k`` at the median, its first block 4 %): distances and masks
0.4-0.6 s, listing the candidates 1.2 s with a counting sort, 0.8 s with a
loop over the set bits (not measured apart with the compress store: the whole
kernel went from 4.77 to 3.79 s, best of four, same labels), the copies 1.2 s
and the scans 1.6 s. Had every point its own prefix (its own
``2 U``), the scans would cover 13 % of the full scan instead of 25 %: the
per-block threshold is set by the block's largest ``U``.

Session 6 (a pass at the centers and from the labels a 5-iteration run returns, 1 thread, CPU time
under load 4-6): with the blocks aligned at the end and the two largest ``U``
of every center of 24 points or more peeled to the full scan, the pass scans
18.0 % of the full scan's pairs (23.8 % before) and takes 2.9-3.3 s (3.8-4.0 s
before; the full scan 6.5 s). Split with switches in the kernel (old layout):
the layout 0.2 s, the distances, masks and listing about 0.8 s, the copies
0.5 s, the scans 1.9 s; scanning every list in place through its indices (no
copy) measured no faster. A NumPy count says a cut per point (rather than per
block of 16 sorted points) would bring the pairs to 11 %; a spatial order of
the centers (k-d tree leaves of 16) does not make the candidates contiguous
(64 % of groups touched for 26 % of centers needed, in 16 dimensions).

Session 7 (this host an AMD EPYC, Zen 5: 1 MB of L2 per core, 32 MB of L3 shared; a
1000000 x 16, k = 16384 run of 6 iterations, mean of iterations 2-6, load 1.2-1.6): 1 thread
1976 / 1958 ms, 2 threads 1043 / 1046 ms (1.89x from the second thread). Timed part by
part on 1 thread, the 64 parts of the pass of iteration 2 cost 36-40 ms each when anchored
but 23 ms when made of peeled (full-scan) segments (FULL_WEIGHT = 3 overweights them; at
iteration 6 19-21 ms against 23 ms); numba's static split gave the threads 1.237 and
1.150 s. Tried and reverted, as neither paid: parts claimed one at a time by the free
thread (an atomic counter) together with the counting sort by label over 8 row ranges in
parallel: 2 threads 1060 / 1096 ms, 1 thread 2038 / 2054 ms, alternated with the figures
above; and the full scan slab after slab of 512 centers (every block of a segment over one
32 KB slab before the next, so the 1.05 MB panel is not streamed from L3 per block): the
first pass at 200000 x 16, k = 16384 took 754-789 ms of CPU on 1 thread against 753-795 ms
(the same labels), on 2 threads 399 ms wall against 395-411.

Exactness
---------
The fast values and the guard are those of :mod:`.lloyd`: a lane whose gap
between the two smallest fast values is at most ``2 eps`` is re-checked with the
canonical float64 distance, over the candidates of its block (every center that
could be nearest is among them, see below). ``mu = sqrt(2 thr)`` with ``thr`` the
largest guard threshold of the pass, so a skipped center ``j`` has
``D_j^2 - D_best^2 > mu^2 = 4 eps``: its fast value exceeds the best by more than
``2 eps``, it is neither the best nor able to make the guard pass wrongly, and its
float64 distance cannot tie the minimum. The center-center distances in float32
are compared with the thresholds inflated by their rounding bound
(``(T + 4 u c_max)^2 (1 + 2 (d + 4) u)``). Labels are therefore Lloyd's canonical
labels; the cluster sums are then brought up to date in row order within chunks
of :data:`.lloyd.CHUNK` rows, chunk after chunk (:func:`apply_label_moves`, or
:func:`apply_label_moves_split`, its clusters in ranges in parallel), the
same operations in the same order as :func:`.lloyd.lloyd_chunks` followed by
:func:`.lloyd.apply_moves`, so centers are Lloyd's bit for bit, on any number of
threads. A center so far that float32 would overflow (``cn = inf``) sends the
pass to the full scan.

References
----------
Elkan, C. (2003). Using the triangle inequality to accelerate k-means. ICML, 147-153.
Newling, J., Fleuret, F. (2016). Fast k-means with accurate bounds. ICML, 936-944.
"""

from __future__ import annotations

import numpy as np

from llvmlite import ir
import numba
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._numba import njit, pjit, prange
from ._simd import (
    vadd, vfill, vfma, vget, vlanes, vload, vload_ext, vload_part, vmask_lt, vmask_not_gt, vmin, vmul, vstore,
    vstore_part, vsub,
)
from ._simd import _element_ptr, _splat, lanes, prefetch
from .lloyd import (
    CHUNK, U32, _track, canonical_label, data_scale, guard_kappa, move_point, objective_from_sums, pack_centers,
    padded_features, guard_threshold, scan_wide_skip, sqdist64, update_centers,
)


#: float32 lanes of this machine's vectors (the blocks' width, :func:`._simd.vlanes`)
LANES32 = lanes(np.float32)


@intrinsic
def store_set_lanes(typingctx, out, pos, base, bits):
    """``out[pos:]`` = ``base + l`` for every lane ``l`` whose bit is set in ``bits``, ascending; returns their number.

    ``out`` is int32. One compress of :data:`LANES32` int32 indices and a population count: no
    branch per set bit. With AVX-512 the compress is done in a register (``vpcompressd``) and
    all :data:`LANES32` lanes are stored (an in-memory compress store is about twice as slow
    on this machine's cores): ``out[pos + count : pos + LANES32]`` is overwritten with
    unspecified values, so ``out`` needs ``LANES32`` elements of slack past the last listing.
    Elsewhere, ``llvm.masked.compressstore`` writes exactly ``count`` elements.
    """
    n = LANES32

    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        i64 = ir.IntType(64)
        vty = ir.VectorType(i32, n)
        ptr = _element_ptr(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        b = builder.trunc(context.cast(builder, args[2], sig.args[2], types.int64), i32)
        m = builder.and_(context.cast(builder, args[3], sig.args[3], types.int64), ir.Constant(i64, (1 << n) - 1))
        vals = builder.add(ir.Constant(vty, list(range(n))), _splat(builder, vty, b))
        mask = builder.bitcast(builder.trunc(m, ir.IntType(n)), ir.VectorType(ir.IntType(1), n))
        if n == 16:  # AVX-512: compress in a register, store the whole vector
            fnty = ir.FunctionType(vty, [vty, vty, mask.type])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.avx512.mask.compress.v16i32")
            packed = builder.call(fn, [vals, ir.Constant(vty, ir.Undefined), mask])
            builder.store(packed, builder.bitcast(ptr, vty.as_pointer()), align=4)
        else:
            fnty = ir.FunctionType(ir.VoidType(), [vty, ptr.type, mask.type])
            fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.masked.compressstore.v{n}i32")
            builder.call(fn, [vals, ptr, mask])
        pc = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i64, [i64]), "llvm.ctpop.i64")
        return builder.call(pc, [m])

    return types.int64(out, pos, base, bits), codegen


@pjit
def scaled_rows(X, mean, scale, Xs):
    """``Xs[i, f]`` = the packed (float32) value of ``X[i, f]``, as :func:`.lloyd.pack_data` computes it."""
    n, d = X.shape
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            for f in range(d):
                Xs[i, f] = np.float32((np.float64(X[i, f]) - mean[f]) * scale)


@pjit
def point_sqnorms(X, mean, scale, out):
    """``out[i] = ||x'_i||^2`` of the packed (float32) point, as :func:`.lloyd.pack_data` sums it."""
    n, d = X.shape
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = 0.0
            for f in range(d):
                v = np.float32((np.float64(X[i, f]) - mean[f]) * scale)
                s += np.float64(v) * np.float64(v)
            out[i] = s


@pjit
def anchor_distances(X, C64, labels, scale, U):
    """``U[i] = scale * ||x_i - c_{labels[i]}||`` (float64, :func:`.lloyd.sqdist64`), rounded up by 1e-12."""
    n = X.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            U[i] = np.sqrt(sqdist64(X, i, C64, labels[i])) * scale * (1.0 + 1e-12)


@njit
def order_by_label(labels, U, k, perm, seg_start):
    """``perm``: points by label (counting sort), by ``U`` within a label; ``seg_start[a]``: first position of ``a``."""
    n = labels.shape[0]
    cnt = np.zeros(k + 1, dtype=np.int64)
    for i in range(n):
        cnt[labels[i] + 1] += 1
    for a in range(k):
        cnt[a + 1] += cnt[a]
    seg_start[:] = cnt
    pos = cnt[:k].copy()
    for i in range(n):
        a = labels[i]
        perm[pos[a]] = i
        pos[a] += 1
    _sort_segments(perm, U, seg_start)


@pjit
def _sort_segments(perm, U, seg_start):
    k = seg_start.shape[0] - 1
    for a in prange(k):
        s = seg_start[a]
        e = seg_start[a + 1]
        m = e - s
        if m <= 1:
            continue
        if m <= 32:  # insertion sort: most segments hold tens of points
            for t in range(s + 1, e):
                p = perm[t]
                u = U[p]
                q = t - 1
                while q >= s and U[perm[q]] > u:
                    perm[q + 1] = perm[q]
                    q -= 1
                perm[q + 1] = p
        else:
            seg = perm[s:e].copy()
            vals = np.empty(m, dtype=np.float64)
            for t in range(m):
                vals[t] = U[seg[t]]
            o = np.argsort(vals, kind="mergesort")
            for t in range(m):
                perm[s + t] = seg[o[t]]


#: A cluster with at least :data:`PEEL_MIN` points hands its :data:`PEEL` points of largest ``U``
#: to the full scan (segments of :data:`PEEL_SEGMENT` points, anchor ``-1``): those points set
#: the widest ball of the cluster's last block, which the block's other lanes then scan for
#: nothing. At 1000000 x 16, k = 16384, iteration 6 (a NumPy count over 400 clusters), the
#: pairs computed fall from 20.7 % to 19.0 % of the full scan's, the peeled ones at the full
#: scan's speed (contiguous centers, no list, no copy).
PEEL = 2
PEEL_MIN = 24
PEEL_SEGMENT = 256


@njit
def peel_outliers(perm, seg_start, peel, min_size, seg_size, perm_out):
    """Move the last ``peel`` points of every segment of at least ``min_size`` into segments of their own.

    ``perm_out``: the kept points of segment ``a`` at the same relative place (``a``'s
    segment shrunk), then the peeled points (segment after segment), cut into segments
    of ``seg_size``. Returns the new starts: ``k`` segments, then the peeled ones.
    """
    k = seg_start.shape[0] - 1
    n = perm.shape[0]
    n_out = 0
    for a in range(k):
        if seg_start[a + 1] - seg_start[a] >= min_size:
            n_out += peel
    n_kept = n - n_out
    n_os = (n_out + seg_size - 1) // seg_size
    new_start = np.empty(k + n_os + 1, dtype=np.int64)
    q = 0
    o = n_kept
    for a in range(k):
        s = seg_start[a]
        e = seg_start[a + 1]
        e2 = e - peel if e - s >= min_size else e
        for t in range(e2, e):
            perm_out[o] = perm[t]
            o += 1
        new_start[a] = q
        for t in range(s, e2):
            perm_out[q] = perm[t]
            q += 1
    for t in range(n_os + 1):
        new_start[k + t] = min(n_kept + t * seg_size, n)
    return new_start


@pjit
def pack_segments(Xs, sqnorm, U, perm, seg_start, seg_block, XT, lane_pt, block_norm, block_u):
    """Pack the points of each segment (positions ``seg_start[s] ..`` of ``perm``) into blocks ``seg_block[s] ..``.

    The blocks are aligned at the segment's *end*: its last ``L`` positions fill its last
    block, and the first block holds the remainder (its leading lanes are fillers). With the
    points ordered by ``U``, each block's largest ``U`` (which sets its ball) is then as small
    as the block size allows: at 1000000 x 16, k = 16384, the anchored scan covers 20.7 %
    of the full scan's center-point pairs instead of 25.1 % (a NumPy count over 400 clusters
    at iteration 6).

    ``Xs``: the scaled rows (:func:`scaled_rows`); ``XT`` as :func:`.lloyd.pack_data`; ``lane_pt[b * L + l]`` is the row of lane ``l``
    (``-1`` for a filler lane, which repeats the segment's first point: its ``U`` and norm
    are those of a point of the segment, no larger than its block's);
    ``block_norm[b]`` the largest ``||x'||`` of the block (rounded up as ``pack_data``),
    ``block_u[b]`` its largest ``U`` (``U`` may be empty: then 0).
    """
    d = Xs.shape[1]
    L = vlanes(XT)
    n_seg = seg_start.shape[0] - 1
    for c in prange((n_seg + PACK_SEGMENTS - 1) // PACK_SEGMENTS):
        rows = np.empty(L, dtype=np.int64)
        for s in range(c * PACK_SEGMENTS, min(n_seg, (c + 1) * PACK_SEGMENTS)):
            p0 = seg_start[s]
            p1 = seg_start[s + 1]
            for b in range(seg_block[s], seg_block[s + 1]):
                r = 0.0
                ub = 0.0
                q0 = p1 - (seg_block[s + 1] - b) * L  # aligned at the segment's end: the first block is the partial one
                # the rows of the block PACK_AHEAD blocks on (positions of perm, read in an order
                # the hardware prefetcher cannot follow): at 100000 x 64, k = 1024 the pack took
                # 10.7 ms instead of 15.4 on 1 thread, 5.1 instead of 7.7 on 2 (one block ahead
                # 10.9 / 5.2, four 10.9 / 5.2; load 1.8, /tmp variants, the same output)
                for q in range(max(q0, p0) + PACK_AHEAD * L, min(q0 + (PACK_AHEAD + 1) * L, perm.shape[0])):
                    for f in range(0, d, 16):
                        prefetch(Xs, perm[q] * d + f)
                for l in range(L):
                    q = q0 + l
                    if q >= p0:
                        i = perm[q]
                        lane_pt[b * L + l] = i
                    else:
                        i = perm[p0]
                        lane_pt[b * L + l] = -1
                    rows[l] = i
                    if sqnorm[i] > r:
                        r = sqnorm[i]
                    if U.shape[0] > 0 and U[i] > ub:
                        ub = U[i]
                # feature by feature, copies of the scaled rows: L contiguous stores per feature. At
                # 100000 x 64, k = 1024, 1 thread: 4.2 ms, against 13.9 ms converting X here and 10.7 ms
                # copying point by point (benchmarks/probe_pack_variants.py, load 1.8); a pass 54.7 / 54.6 ms
                # against 56.9 / 56.4 (bench_large_k 'iter', alternated, load 1.3)
                o = b * d * L
                for f in range(d):
                    for l in range(L):
                        XT[o + f * L + l] = Xs[rows[l], f]
                block_norm[b] = np.sqrt(r) * (1.0 + 1e-6)
                block_u[b] = ub


#: segments per parallel iteration of :func:`pack_segments`
PACK_SEGMENTS = 16
#: :func:`pack_segments` prefetches the rows of the block this many blocks ahead
PACK_AHEAD = 2


@njit(inline="always")
def _canonical_among(X, i, C64, cmap, m, k):
    """The canonical nearest center of row ``i`` among ``cmap[:m]`` (padded entries ``>= k`` skipped): least
    :func:`.lloyd.sqdist64`, the smallest index on ties (the first index, as :func:`.lloyd.canonical_label`)."""
    best = np.inf
    best_j = -1
    for t in range(m):
        j = cmap[t]
        if j >= k:
            continue
        s = sqdist64(X, i, C64, j)
        if s < best or (s == best and j < best_j):
            best = s
            best_j = j
    return best_j


@njit(inline="always")
def scan_indexed(panel, base, d, C2, cn, cmap, j0, j1, ba, sa, ia):
    """:func:`.lloyd.scan_wide_skip` over the centers ``cmap[j0 .. j1 - 1]`` (multiples of sixteen).

    The same fast value per center (the same FMA chain); the index kept is the center's
    position in ``cmap``.
    """
    L = vlanes(panel)
    for t in range(j0, j1, 16):
        j0 = cmap[t + 0]
        j1_ = cmap[t + 1]
        j2 = cmap[t + 2]
        j3 = cmap[t + 3]
        j4 = cmap[t + 4]
        j5 = cmap[t + 5]
        j6 = cmap[t + 6]
        j7 = cmap[t + 7]
        j8 = cmap[t + 8]
        j9 = cmap[t + 9]
        j10 = cmap[t + 10]
        j11 = cmap[t + 11]
        j12 = cmap[t + 12]
        j13 = cmap[t + 13]
        j14 = cmap[t + 14]
        j15 = cmap[t + 15]
        a0 = vfill(panel, cn[j0])
        a1 = vfill(panel, cn[j1_])
        a2 = vfill(panel, cn[j2])
        a3 = vfill(panel, cn[j3])
        a4 = vfill(panel, cn[j4])
        a5 = vfill(panel, cn[j5])
        a6 = vfill(panel, cn[j6])
        a7 = vfill(panel, cn[j7])
        a8 = vfill(panel, cn[j8])
        a9 = vfill(panel, cn[j9])
        a10 = vfill(panel, cn[j10])
        a11 = vfill(panel, cn[j11])
        a12 = vfill(panel, cn[j12])
        a13 = vfill(panel, cn[j13])
        a14 = vfill(panel, cn[j14])
        a15 = vfill(panel, cn[j15])
        for f in range(d):
            xa = vload(panel, base + f * L)
            a0 = vfma(xa, vfill(panel, C2[j0, f]), a0)
            a1 = vfma(xa, vfill(panel, C2[j1_, f]), a1)
            a2 = vfma(xa, vfill(panel, C2[j2, f]), a2)
            a3 = vfma(xa, vfill(panel, C2[j3, f]), a3)
            a4 = vfma(xa, vfill(panel, C2[j4, f]), a4)
            a5 = vfma(xa, vfill(panel, C2[j5, f]), a5)
            a6 = vfma(xa, vfill(panel, C2[j6, f]), a6)
            a7 = vfma(xa, vfill(panel, C2[j7, f]), a7)
            a8 = vfma(xa, vfill(panel, C2[j8, f]), a8)
            a9 = vfma(xa, vfill(panel, C2[j9, f]), a9)
            a10 = vfma(xa, vfill(panel, C2[j10, f]), a10)
            a11 = vfma(xa, vfill(panel, C2[j11, f]), a11)
            a12 = vfma(xa, vfill(panel, C2[j12, f]), a12)
            a13 = vfma(xa, vfill(panel, C2[j13, f]), a13)
            a14 = vfma(xa, vfill(panel, C2[j14, f]), a14)
            a15 = vfma(xa, vfill(panel, C2[j15, f]), a15)
        m0 = vmin(vmin(a0, a1), vmin(a2, a3))
        m1 = vmin(vmin(a4, a5), vmin(a6, a7))
        m2 = vmin(vmin(a8, a9), vmin(a10, a11))
        m3 = vmin(vmin(a12, a13), vmin(a14, a15))
        if vmask_lt(vmin(vmin(m0, m1), vmin(m2, m3)), sa) == 0:
            continue
        ba, sa, ia = _track(a0, vfill(panel, t + 0), ba, sa, ia)
        ba, sa, ia = _track(a1, vfill(panel, t + 1), ba, sa, ia)
        ba, sa, ia = _track(a2, vfill(panel, t + 2), ba, sa, ia)
        ba, sa, ia = _track(a3, vfill(panel, t + 3), ba, sa, ia)
        ba, sa, ia = _track(a4, vfill(panel, t + 4), ba, sa, ia)
        ba, sa, ia = _track(a5, vfill(panel, t + 5), ba, sa, ia)
        ba, sa, ia = _track(a6, vfill(panel, t + 6), ba, sa, ia)
        ba, sa, ia = _track(a7, vfill(panel, t + 7), ba, sa, ia)
        ba, sa, ia = _track(a8, vfill(panel, t + 8), ba, sa, ia)
        ba, sa, ia = _track(a9, vfill(panel, t + 9), ba, sa, ia)
        ba, sa, ia = _track(a10, vfill(panel, t + 10), ba, sa, ia)
        ba, sa, ia = _track(a11, vfill(panel, t + 11), ba, sa, ia)
        ba, sa, ia = _track(a12, vfill(panel, t + 12), ba, sa, ia)
        ba, sa, ia = _track(a13, vfill(panel, t + 13), ba, sa, ia)
        ba, sa, ia = _track(a14, vfill(panel, t + 14), ba, sa, ia)
        ba, sa, ia = _track(a15, vfill(panel, t + 15), ba, sa, ia)
    return ba, sa, ia


@njit(inline="always")
def _copy_center(C2, cn, j, d, Cg, cng, pos):
    """Row ``pos`` of the gathered candidates: center ``j`` (its packed row, ``cn`` and index)."""
    L = vlanes(C2)
    for f0 in range(0, d, L):
        r = min(L, d - f0)
        vstore_part(Cg, pos * d + f0, vload_part(C2, j * d + f0, r), r)
    cng[pos] = cn[j]


#: Anchors whose distances to every center are computed together (:func:`center_tile`).
TILE = 8


@njit
def center_tile(CT, kq, d, a0, cnt, Dt):
    """``Dt[r * kq + j]`` = the float32 ``||c'_{a0 + r} - c'_j||^2`` for ``r < cnt`` (rows up to :data:`TILE`).

    The same operations per pair as one anchor at a time (``c'_j - c'_a`` summed by FMA over
    the features in order; the same bits), but :data:`TILE` anchors share each load of the
    centers and their FMA chains are independent: one anchor at a time waited on the FMA's
    latency (one chain per group of sixteen centers), which made the center distances about
    150 ms of the 355 ms pass at 50000 x 128, k = 4096 on 1 thread (k^2 d / 16 chained FMAs).
    Rows ``cnt ..`` repeat the last anchor's row.
    """
    L = vlanes(CT)
    ng = kq // L
    i0 = a0
    i1 = a0 + min(1, cnt - 1)
    i2 = a0 + min(2, cnt - 1)
    i3 = a0 + min(3, cnt - 1)
    i4 = a0 + min(4, cnt - 1)
    i5 = a0 + min(5, cnt - 1)
    i6 = a0 + min(6, cnt - 1)
    i7 = a0 + min(7, cnt - 1)
    for g in range(ng):
        j0 = g * L
        acc0 = vfill(CT, 0.0)
        acc1 = acc0
        acc2 = acc0
        acc3 = acc0
        acc4 = acc0
        acc5 = acc0
        acc6 = acc0
        acc7 = acc0
        for f in range(d):
            o = f * kq
            v = vload(CT, o + j0)
            t0 = vsub(v, vfill(CT, CT[o + i0]))
            acc0 = vfma(t0, t0, acc0)
            t1 = vsub(v, vfill(CT, CT[o + i1]))
            acc1 = vfma(t1, t1, acc1)
            t2 = vsub(v, vfill(CT, CT[o + i2]))
            acc2 = vfma(t2, t2, acc2)
            t3 = vsub(v, vfill(CT, CT[o + i3]))
            acc3 = vfma(t3, t3, acc3)
            t4 = vsub(v, vfill(CT, CT[o + i4]))
            acc4 = vfma(t4, t4, acc4)
            t5 = vsub(v, vfill(CT, CT[o + i5]))
            acc5 = vfma(t5, t5, acc5)
            t6 = vsub(v, vfill(CT, CT[o + i6]))
            acc6 = vfma(t6, t6, acc6)
            t7 = vsub(v, vfill(CT, CT[o + i7]))
            acc7 = vfma(t7, t7, acc7)
        vstore(Dt, 0 * kq + j0, acc0)
        vstore(Dt, 1 * kq + j0, acc1)
        vstore(Dt, 2 * kq + j0, acc2)
        vstore(Dt, 3 * kq + j0, acc3)
        vstore(Dt, 4 * kq + j0, acc4)
        vstore(Dt, 5 * kq + j0, acc5)
        vstore(Dt, 6 * kq + j0, acc6)
        vstore(Dt, 7 * kq + j0, acc7)


#: From this many blocks of points per center on, the candidate centers are copied into a
#: contiguous panel (one vector copy per candidate, shared by the blocks) and scanned as
#: Lloyd's panel; below, they are scanned in place through their indices.
GATHER_BLOCKS = 3


@pjit
def assign_segments(
    X, XT, lane_pt, block_norm, block_u, seg_block, seg_anchor, part_seg, C2, cn, CT, C64, k, kappa, cmax, mu,
    eta, rho, newlab, counts,
):
    """Canonical labels of every packed point into ``newlab`` (by row), segment by segment.

    A segment with anchor ``-1`` scans every center; otherwise only the centers within
    the ball of each block (module docstring). ``part_seg[p] .. part_seg[p + 1]`` are
    the segments of part ``p`` (parts run in parallel). ``counts[p]`` receives the
    number of (padded) center groups of sixteen scanned per block in part ``p``.

    ``C2``, ``cn``, ``C64`` as :func:`.lloyd.pack_centers` with rows padded to a multiple
    of sixteen (at least one padded row, ``cn = inf``); ``CT`` (d * kq,) float32, ``CT[f * kq + j] = c'_jf``.
    """
    d = X.shape[1]
    L = vlanes(XT)
    kq = cn.shape[0]
    n_parts = part_seg.shape[0] - 1
    for p in prange(n_parts):
        cmap = np.empty(kq + 32, dtype=np.int32)  # 16 of slack for store_set_lanes
        Cg = np.empty((kq + 16, d), dtype=np.float32)
        cng = np.empty(kq + 16, dtype=np.float32)
        max_m = 1
        for s in range(part_seg[p], part_seg[p + 1]):
            max_m = max(max_m, seg_block[s + 1] - seg_block[s])
        T2 = np.empty(max_m, dtype=np.float64)
        T32 = np.empty(max_m, dtype=np.float32)
        ends = np.zeros(max_m + 2, dtype=np.int64)
        ng = kq // L
        Mk = np.empty((max_m, ng), dtype=np.int64)
        inf = vfill(XT, np.inf)
        zero = vfill(XT, 0.0)
        Dt = np.empty(TILE * kq, dtype=np.float32)  # distances from TILE consecutive anchors to every center
        tile0 = -2 * TILE
        tile_n = 0
        n_groups = 0
        for s in range(part_seg[p], part_seg[p + 1]):
            b0 = seg_block[s]
            b1 = seg_block[s + 1]
            if b1 == b0:
                continue
            a = seg_anchor[s]
            if a < 0:
                for b in range(b0, b1):
                    ba, sa, ia = scan_wide_skip(XT, b * d * L, d, C2, cn, 0, kq, inf, inf, zero)
                    n_groups += kq // 16
                    thr = guard_threshold(kappa, block_norm[b], cmax)
                    recheck = vmask_not_gt(vsub(sa, ba), vfill(sa, thr))
                    for l in range(L):
                        i = lane_pt[b * L + l]
                        if i < 0:
                            continue
                        if (recheck >> l) & 1:
                            newlab[i] = canonical_label(X, i, C64, k)
                        else:
                            newlab[i] = int(vget(ia, l))
                continue
            m = b1 - b0
            for t in range(m):
                T = (2.0 * block_u[b0 + t] + mu) * (1.0 + 1e-12) + eta
                T2[t] = T * T * (1.0 + rho)
                if t > 0 and T2[t] < T2[t - 1]:
                    T2[t] = T2[t - 1]
            # distances from c_a to every center (float32, lanes over the centers) and, in the same
            # vector loop, per block the bit mask of the centers within its threshold (rounded up to
            # float32, times 1 + 1e-6, more than float32's half ulp: a superset of the float64 test)
            for t in range(m):
                T32[t] = np.float32(T2[t] * (1.0 + 1e-6))
            if a < tile0 or a >= tile0 + tile_n:
                tile0 = a
                cnt = 1  # the anchors of the next segments of this part, while consecutive
                while cnt < TILE and s + cnt < part_seg[p + 1] and seg_anchor[s + cnt] == a + cnt:
                    cnt += 1
                center_tile(CT, kq, d, a, cnt, Dt)
                tile_n = cnt
            r = (a - tile0) * kq
            for g in range(ng):
                acc = vload(Dt, r + g * L)
                for t in range(m):
                    Mk[t, g] = vmask_not_gt(acc, vfill(XT, T32[t]))
            for g in range(k // L, ng):  # the padded rows (index >= k) are never candidates
                keep = (np.int64(1) << max(0, k - g * L)) - 1 if g * L < k else np.int64(0)
                for t in range(m):
                    Mk[t, g] &= keep
            # the candidates in bucket order (bucket t: first needed by block t, the thresholds being
            # nested), ascending index within a bucket: the order of a stable counting sort, written
            # sixteen centers at a time by a compress store (a counting sort's scatter waits on its own
            # stores when neighbours share a bucket, as most do here; a loop over the set bits
            # mispredicts its exit once per group)
            pos = 0
            for t in range(m):
                for g in range(ng):
                    bits = Mk[t, g]
                    if t > 0:
                        bits &= ~Mk[t - 1, g]
                    pos += store_set_lanes(cmap, pos, g * L, bits)
                ends[t] = pos
            n_cand = ends[m - 1]
            gather = m >= GATHER_BLOCKS
            total = n_cand
            top = (total + 15) // 16 * 16
            for pos in range(total, top):
                cmap[pos] = kq - 1
            # the candidates of all blocks but the last are copied once into a contiguous panel,
            # shared by the blocks; those only the last block needs are scanned in place (a copy
            # costs about what a scan of the candidate by one block costs)
            top_g = (ends[m - 2] + 15) // 16 * 16 if gather else 0
            for pos in range(top_g):
                _copy_center(C2, cn, cmap[pos], d, Cg, cng, pos)
            for t in range(m):
                b = b0 + t
                j1 = (ends[t] + 15) // 16 * 16
                jg = min(j1, top_g)
                ba, sa, ia = scan_wide_skip(XT, b * d * L, d, Cg, cng, 0, jg, inf, inf, zero)
                ba, sa, ia = scan_indexed(XT, b * d * L, d, C2, cn, cmap, jg, j1, ba, sa, ia)
                n_groups += j1 // 16
                thr = guard_threshold(kappa, block_norm[b], cmax)
                recheck = vmask_not_gt(vsub(sa, ba), vfill(sa, thr))
                for l in range(L):
                    i = lane_pt[b * L + l]
                    if i < 0:
                        continue
                    if (recheck >> l) & 1:
                        newlab[i] = _canonical_among(X, i, C64, cmap, j1, k)
                    else:
                        newlab[i] = cmap[int(vget(ia, l))]
        counts[p] = n_groups


@njit
def apply_label_moves(X, w, labels, newlab, mean, S, Q, W, N, P, Pq, Pw, Pn, touched, tlist, do_sums):
    """Move every row whose label changes from ``labels`` to ``newlab``; returns the number moved.

    With ``do_sums``, the cluster sums follow: per chunk of :data:`.lloyd.CHUNK` rows, the
    moves of its rows in row order into zeroed partials of the clusters it touches (the
    operations of :func:`.lloyd._finish_block`), then the partials added to ``S, Q, W, N``
    chunk after chunk, and finally clusters left empty zeroed (as :func:`.lloyd.apply_moves`):
    the same bits as Lloyd's pass. ``labels`` is set to ``newlab``.
    """
    n, d = X.shape
    dp = mean.shape[0]
    k = W.shape[0]
    changed = 0
    for c in range((n + CHUNK - 1) // CHUNK):
        nt = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            old = labels[i]
            j = newlab[i]
            if old == j:
                continue
            changed += 1
            labels[i] = j
            if not do_sums:
                continue
            for cl in (j, old):
                if cl >= 0 and touched[cl] == 0:
                    touched[cl] = 1
                    tlist[nt] = cl
                    nt += 1
                    Pq[cl] = 0.0
                    Pw[cl] = 0.0
                    Pn[cl] = 0
                    for f in range(dp):
                        P[cl * dp + f] = 0.0
            move_point(X, w, i, old, j, mean, P, Pq, Pw, Pn)
        for t in range(nt):
            cl = tlist[t]
            touched[cl] = 0
            for f in range(dp):
                S[cl * dp + f] += P[cl * dp + f]
            Q[cl] += Pq[cl]
            W[cl] += Pw[cl]
            N[cl] += Pn[cl]
    if do_sums:
        for j in range(k):
            if N[j] == 0:
                W[j] = 0.0
                Q[j] = 0.0
                for f in range(dp):
                    S[j * dp + f] = 0.0
    return changed


#: Clusters per part of :func:`apply_label_moves_split` at least (fewer parts for small k).
SPLIT_MIN_CLUSTERS = 64


@pjit
def apply_label_moves_split(X, w, labels, newlab, mean, S, Q, W, N, P, Pq, Pw, Pn, touched, tlist, do_sums, n_parts):
    """:func:`apply_label_moves` with the clusters split into ranges updated in parallel; the same bits.

    Every cluster's sums see the same operations in the same order as in the serial loop
    (its moves in row order into its partial, chunk by chunk, the partial then added): the
    operations on one cluster never involve another, so a thread that owns clusters
    ``lo .. hi - 1`` walks all the rows and applies only the halves of the moves (the
    addition to the new cluster, the subtraction from the old) that fall in its range.
    ``tlist[lo:hi]`` lists its touched clusters; ``n_parts`` ranges (the threads), at most
    ``k //`` :data:`SPLIT_MIN_CLUSTERS`. The serial loop was 2.2-2.3 ms of a 36 ms
    pass at 100000 x 64, k = 1024 on 2 threads (benchmarks/probe_ball_phases.py, load 2.4).
    """
    n, d = X.shape
    dp = mean.shape[0]
    L8 = vlanes(S)
    k = W.shape[0]
    n_parts = max(1, min(n_parts, k // SPLIT_MIN_CLUSTERS))
    n_chunks = (n + CHUNK - 1) // CHUNK
    if do_sums:
        for t in prange(n_parts):
            lo = k * t // n_parts
            hi = k * (t + 1) // n_parts
            for c in range(n_chunks):
                nt = 0
                for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                    old = labels[i]
                    j = newlab[i]
                    if old == j:
                        continue
                    to_new = j >= lo and j < hi
                    from_old = old >= lo and old < hi
                    if not (to_new or from_old):
                        continue
                    for cl in (j, old):
                        if cl >= lo and cl < hi and touched[cl] == 0:
                            touched[cl] = 1
                            tlist[lo + nt] = cl
                            nt += 1
                            Pq[cl] = 0.0
                            Pw[cl] = 0.0
                            Pn[cl] = 0
                            for f in range(dp):
                                P[cl * dp + f] = 0.0
                    # move_point's operations, split by cluster
                    wi = 1.0 if w.shape[0] == 0 else np.float64(w[i])
                    qi = 0.0
                    for f in range(d):
                        u = np.float64(X[i, f]) - mean[f]
                        qi += u * u
                    if to_new:
                        Pw[j] += wi
                        Pq[j] += wi * qi
                        Pn[j] += 1
                    if from_old:
                        Pw[old] -= wi
                        Pq[old] -= wi * qi
                        Pn[old] -= 1
                    wv = vfill(P, wi)
                    for f0 in range(0, d, L8):
                        wx = vmul(wv, vsub(vload_ext(X, i * d + f0, min(L8, d - f0)), vload(mean, f0)))
                        if to_new:
                            o = j * dp + f0
                            vstore(P, o, vadd(vload(P, o), wx))
                        if from_old:
                            o = old * dp + f0
                            vstore(P, o, vsub(vload(P, o), wx))
                for u in range(nt):
                    cl = tlist[lo + u]
                    touched[cl] = 0
                    for f in range(dp):
                        S[cl * dp + f] += P[cl * dp + f]
                    Q[cl] += Pq[cl]
                    W[cl] += Pw[cl]
                    N[cl] += Pn[cl]
            for j in range(lo, hi):
                if N[j] == 0:
                    W[j] = 0.0
                    Q[j] = 0.0
                    for f in range(dp):
                        S[j * dp + f] = 0.0
    changed = 0
    for c in prange(n_chunks):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if labels[i] != newlab[i]:
                labels[i] = newlab[i]
                changed += 1
    return changed


# ------------------------------------------------------------------ workspace


#: the cost of a block's full scan in blocks of the anchored scan (which covers 20-50 % of the
#: centers, and lists and copies them), for the split of the pass into parts
FULL_WEIGHT = 3


class BallWorkspace:
    """State of a run of the anchored-ball assignment (the interface of :class:`.lloyd.Workspace`).

    Memory: a packed float32 copy of the data in label order (``(n + L k) d``
    float32) and the scaled rows it is copied from (``n d`` float32), per point its label, the next label, ``U`` and ``||x'||^2`` (float64)
    and its position; the float64 cluster sums (``k (dp + 3)``) and one set of
    partials of the same size; per part in flight ``(k + 16) (d + 4)`` words.
    Never ``n x k``, and no per-chunk copy of the sums.
    """

    def __init__(self, X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None = None) -> None:
        n, d = X.shape
        k = int(n_clusters)
        self.X = X
        self.k = k
        self.dp = padded_features(d)
        mean = X.mean(axis=0, dtype=np.float64)
        self.scale = data_scale(X, mean)
        self.mean = np.zeros(self.dp, dtype=np.float64)
        self.mean[:d] = mean
        if sample_weight is None or bool(np.all(sample_weight == 1.0)):
            self.w = np.empty(0, dtype=np.float64)
        else:
            self.w = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.L = int(LANES32)
        L = self.L
        self.sqnorm = np.empty(n, dtype=np.float64)
        point_sqnorms(X, mean, self.scale, self.sqnorm)
        self.Xs = np.empty((n, d), dtype=np.float32)  # the packed values, row by row: each pass's pack copies them
        scaled_rows(X, mean, self.scale, self.Xs)
        self.kappa = guard_kappa(d)
        kq = (k + 15) // 16 * 16 + 16  # at least one padded (never chosen) center
        self.C2 = np.empty((kq, d), dtype=np.float32)
        self.cn = np.empty(kq, dtype=np.float32)
        self.C64 = np.empty((kq, self.dp), dtype=np.float64)
        self.CT = np.empty(d * kq, dtype=np.float32)
        nb_max = n // L + k + n // CHUNK + k // PEEL_SEGMENT * PEEL + 4
        self.XT = np.empty(nb_max * d * L, dtype=np.float32)
        self.lane_pt = np.empty(nb_max * L, dtype=np.int64)
        self.block_norm = np.empty(nb_max, dtype=np.float64)
        self.block_u = np.empty(nb_max, dtype=np.float64)
        self.labels = np.full(n, -1, dtype=np.int64)
        self.newlab = np.empty(n, dtype=np.int64)
        self.U = np.empty(n, dtype=np.float64)
        self.perm = np.empty(n, dtype=np.int64)
        self.S = np.zeros(k * self.dp, dtype=np.float64)
        self.Q = np.zeros(k, dtype=np.float64)
        self.W = np.zeros(k, dtype=np.float64)
        self.N = np.zeros(k, dtype=np.int64)
        self.P = np.zeros(k * self.dp, dtype=np.float64)
        self.Pq = np.zeros(k, dtype=np.float64)
        self.Pw = np.zeros(k, dtype=np.float64)
        self.Pn = np.zeros(k, dtype=np.int64)
        self.touched = np.zeros(k, dtype=np.int64)
        self.tlist = np.empty(k, dtype=np.int64)
        self.cmax = 0.0
        self.bn_max = float(np.sqrt(self.sqnorm.max())) * (1.0 + 1e-6) if n else 0.0
        #: center groups of sixteen scanned per point in the last pass (over k / 16 for a full scan)
        self.scanned_fraction = 1.0

    def set_centers(self, centers: np.ndarray) -> None:
        """Pack ``centers`` (k, d) for the next pass."""
        self.cmax = pack_centers(centers, self.mean, self.scale, self.C2, self.cn, self.C64)
        # c' = -C2 / 2 exactly (C2 holds -2 c' rounded once: the factor 2 is exact)
        self.CT[:] = (self.C2.T * np.float32(-0.5)).ravel()

    def _layout(self, anchored: bool):
        n = self.X.shape[0]
        L = self.L
        if anchored:
            anchor_distances(self.X, self.C64, self.labels, self.scale, self.U)
            seg_start = np.empty(self.k + 1, dtype=np.int64)
            order_by_label(self.labels, self.U, self.k, self.newlab, seg_start)  # newlab: scratch here
            seg_start = peel_outliers(self.newlab, seg_start, PEEL, PEEL_MIN, PEEL_SEGMENT, self.perm)
            seg_anchor = np.full(seg_start.shape[0] - 1, -1, dtype=np.int64)
            seg_anchor[: self.k] = np.arange(self.k)
            U = self.U
        else:
            self.perm[:] = np.arange(n)
            seg_start = np.append(np.arange(0, n, CHUNK, dtype=np.int64), n)
            seg_anchor = np.full(seg_start.shape[0] - 1, -1, dtype=np.int64)
            U = np.empty(0, dtype=np.float64)
        sizes = np.diff(seg_start)
        seg_block = np.zeros(seg_start.shape[0], dtype=np.int64)
        np.cumsum((sizes + L - 1) // L, out=seg_block[1:])
        pack_segments(self.Xs, self.sqnorm, U, self.perm, seg_start,
                      seg_block, self.XT, self.lane_pt, self.block_norm, self.block_u)
        # parts of about equal work (several per thread, for balance): a block of the full scan
        # weighs FULL_WEIGHT blocks of the anchored scan
        weight = np.zeros(seg_block.shape[0], dtype=np.int64)
        np.cumsum(np.diff(seg_block) * np.where(seg_anchor < 0, FULL_WEIGHT, 1), out=weight[1:])
        n_parts = max(1, min(seg_anchor.shape[0], 64))
        targets = weight[-1] * np.arange(1, n_parts) // n_parts
        cuts = np.searchsorted(weight, targets, side="left")
        part_seg = np.unique(np.concatenate(([0], cuts, [seg_anchor.shape[0]]))).astype(np.int64)
        return seg_block, seg_anchor, part_seg

    def assign(self, do_sums: bool = True) -> int:
        """One pass at the packed centers: ``self.labels`` in place, the sums follow. Returns labels changed."""
        n, d = self.X.shape
        if n == 0:
            return 0
        far = bool(np.isinf(self.cn[: self.k]).any())
        anchored = not far and bool(self.labels.min() >= 0)
        seg_block, seg_anchor, part_seg = self._layout(anchored)
        thr_g = guard_threshold(self.kappa, self.bn_max, self.cmax)
        mu = float(np.sqrt(2.0 * thr_g)) * (1.0 + 1e-6)
        eta = 4.0 * U32 * self.cmax + 1e-30
        rho = 2.0 * (d + 4) * U32
        counts = np.zeros(part_seg.shape[0] - 1, dtype=np.int64)
        assign_segments(self.X, self.XT, self.lane_pt, self.block_norm, self.block_u, seg_block, seg_anchor,
                        part_seg, self.C2, self.cn, self.CT, self.C64, self.k, self.kappa, self.cmax, mu, eta, rho,
                        self.newlab, counts)
        self.scanned_fraction = float(counts.sum()) / max(1.0, seg_block[-1] * (self.cn.shape[0] // 16))
        return int(apply_label_moves_split(self.X, self.w, self.labels, self.newlab, self.mean, self.S, self.Q, self.W,
                                     self.N, self.P, self.Pq, self.Pw, self.Pn, self.touched, self.tlist, do_sums,
                                           numba.get_num_threads()))

    def objective(self) -> float:
        """The objective of the packed centers and the current labels (float64)."""
        return float(objective_from_sums(self.S, self.Q, self.W, self.N, self.C64, self.mean))

    def update_centers(self, centers: np.ndarray) -> int:
        """Move every non-empty center to its cluster's mean (in place); returns the number of empty clusters."""
        return int(update_centers(self.S, self.W, self.N, self.mean, centers))

