"""Kernels of online (SGD) and mini-batch k-means.

Online SGD must take the points one at a time (each update moves a center the
next point may choose), so it keeps the centers twice: in float64
(``centers``, k x d), where the updates accumulate without drift, and
transposed in X's dtype (``centers_t``, d x k), where the nearest-center search
reads them. With the centers transposed the inner loop runs over the clusters,
``acc[j] += (x_f - c_jf)^2``, which the compiler vectorizes without any
reassociation of a sum (no fastmath needed) and which subtracts before
squaring (no cancellation in float32).

A mini-batch is assigned with the centers fixed, so it reuses Lloyd's SIMD
assignment (``scan_pair0`` .. ``2`` of :mod:`optimeans._kernels.lloyd`) on the data packed
once per fit in blocks of ``L`` points (:func:`~optimeans._kernels.lloyd.pack_data`),
with the same exactness guard: labels are the canonical ones (first index
minimizing the float64 squared distance), whatever the thread count. An epoch
visits the packed blocks in a random order (``block_order``), so a batch reads
whole blocks, contiguous in memory, instead of gathering scattered rows.
Within a run, :func:`assign_bounded` skips the scan of points that Hamerly
bounds, carried from step to step, prove still nearest to their previous
center; the labels are the same as with the scan. A batch is cut into chunks
(:func:`sums_chunk`) assigned and summed on their own, serially or in
parallel, and the chunks' sums are added in chunk order: the result does not
depend on the threads.

Each kernel that scans exists once per register blocking of the scan
(:func:`~optimeans._kernels.lloyd.scan_mode_of`, chosen in Python from the
number of padded centers and of features): a body written once, inlined with
``scan_pair0``, ``scan_pair1`` or ``scan_pair2``, so a first call compiles only
the blocking it uses (a kernel choosing the blocking at run time compiled all
three, about three times the compile time, for nothing).

References
----------
Sculley, D. (2010). Web-scale k-means clustering. WWW '10.
Hamerly, G. (2010). Making k-means even faster. SIAM SDM, 130-140.
Newling, J., Fleuret, F. (2016). Nested mini-batch k-means. NIPS 29.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, pjit, prange
from ._simd import (
    prefetch, vadd, vfill, vfma, vget, vlanes, vload, vload_ext, vload_wide, vmask_not_gt, vmul, vstore, vstore_int,
    vsub, vsum, vwhere_lt,
)
from .lloyd import (
    BLOCK, canonical_label, guard_threshold, pack_centers, scan_mode_of, scan_pair0, scan_pair1, scan_pair2, sqdist64,
)

#: Positions per parallel task inside one mini-batch (a multiple of every block size).
#: Fixed, so that nothing depends on the number of threads (each point's label
#: is independent of the others anyway).
SUB_CHUNK = 1024

#: Positions per parallel task of the bounded assignment of one mini-batch (a multiple of
#: every block size); the results do not depend on it (each point's label, distance and
#: bounds depend only on the point and the centers).
BOUNDED_SUB_CHUNK = 256

#: Multiply-adds (batch size x k x d) above which a batch is assigned in parallel.
PARALLEL_MIN_WORK = 1 << 25

#: Learning-rate schedules of :func:`sgd_steps`.
SCHEDULE_COUNT, SCHEDULE_CONSTANT, SCHEDULE_INVERSE = 0, 1, 2


@njit
def nearest_transposed(X, i, centers_t, acc):
    """(j, d2): the nearest center to X[i] (first on ties) and its squared distance.

    ``centers_t`` is (d, k) in X's dtype; ``acc`` a scratch array of length k.
    """
    d, k = centers_t.shape
    for j in range(k):
        acc[j] = 0.0
    for f in range(d):
        xf = X[i, f]
        for j in range(k):
            t = xf - centers_t[f, j]
            acc[j] += t * t
    best = 0
    for j in range(1, k):
        if acc[j] < acc[best]:
            best = j
    return best, acc[best]


@njit
def sgd_steps(X, sample_weight, order, start, end, centers, centers_t, counts, schedule, eta0, t_start, n_total):
    """Online k-means over the points ``order[start:end]``, one at a time.

    For each point ``x`` of weight ``w`` with nearest center ``j``:
    ``counts[j] += w`` and ``c_j += eta (x - c_j)`` with ``eta = w / counts[j]``
    (``schedule == SCHEDULE_COUNT``, MacQueen's running mean), ``eta0 * w``
    (constant) or ``eta0 * w / (1 + t / n_total)`` (inverse, ``t`` the number
    of points seen, starting at ``t_start``); ``eta`` is capped at 1. Returns
    the weighted sum of the squared distances met (each to the centers at the
    time).
    """
    d, k = centers_t.shape
    acc = np.empty(k, dtype=centers_t.dtype)
    seen = 0.0
    t = t_start
    for p in range(start, end):
        i = order[p]
        wi = np.float64(sample_weight[i])
        j, dist = nearest_transposed(X, i, centers_t, acc)
        t += 1
        if wi <= 0.0:
            continue
        seen += wi * dist
        counts[j] += wi
        if schedule == SCHEDULE_COUNT:
            eta = wi / counts[j]
        elif schedule == SCHEDULE_CONSTANT:
            eta = eta0 * wi
        else:
            eta = eta0 * wi / (1.0 + t / n_total)
        if eta > 1.0:
            eta = 1.0
        for f in range(d):
            c = centers[j, f] + eta * (np.float64(X[i, f]) - centers[j, f])
            centers[j, f] = c
            centers_t[f, j] = c
    return seen


#: Blocks ahead of the bound test of :func:`assign_bounded` whose rows are prefetched.
BOUND_AHEAD = 3

#: Blocks ahead of the scan whose packed vectors (and rows) are prefetched.
PREFETCH_AHEAD = 4


@njit(inline="always")
def _prefetch_block(XT, sqnorm, X, blk, d, L, rows_too):
    """Prefetch packed block ``blk`` (its ``d`` vectors and squared norms) and, with ``rows_too``, its rows of X."""
    base = blk * d * L
    for f in range(d):
        prefetch(XT, base + f * L)
    prefetch(sqnorm, blk * L)
    prefetch(sqnorm, blk * L + L - 1)
    if rows_too:
        line = max(1, 64 // X.itemsize)
        for t in range(blk * L * d, min(X.shape[0], blk * L + L) * d, line):
            prefetch(X, t)


@njit(inline="always")
def _packed_row(block_order, p, L):
    """The row of the packed data at epoch position ``p``."""
    return block_order[p // L] * L + p % L


@njit(inline="always")
def _assign_span(scan, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                 labels, dists, prefetch_rows):
    """Assign the points at epoch positions ``s .. e - 1`` to their canonical nearest centers.

    Epoch position ``p`` is row ``P = block_order[p // L] * L + p % L`` of the
    packed data (lane ``p % L`` of block ``block_order[p // L]``; ``L`` =
    :data:`optimeans._kernels.lloyd.BLOCK`). Writes, for ``q = p - base``:
    ``labels[q]`` (int32 or int64), the canonical label of ``X[P]`` (as in
    Lloyd's kernel: the fast float32 scan, re-checked in float64 when the two
    best are within the guard), and ``dists[q]``, its squared distance (from
    the fast scan, ``(best + ||x'||^2) / scale^2`` clipped at 0, within the
    guard of the exact value; exact float64 for re-checked points). Two
    blocks are scanned at a time, and the blocks :data:`PREFETCH_AHEAD` ahead
    are prefetched. A whole block is written with vector stores and only its
    re-checked lanes one by one; a block at either end of the span
    contributes only its lanes inside it, one by one. ``scan`` is the
    register blocking (:func:`~optimeans._kernels.lloyd.scan_pair0` .. ``2``).
    """
    d = X.shape[1]
    L = vlanes(XT)
    L8 = vlanes(dists)
    nb = block_order.shape[0]
    g0 = s // L
    g1 = (e + L - 1) // L
    lanes = np.empty(L, dtype=XT.dtype)
    inv = vfill(dists, inv_scale2)
    zero = vfill(dists, 0.0)
    for g in range(g0, g1, 2):
        two = g + 1 < g1
        blk_a = block_order[g]
        blk_b = block_order[g + 1] if two else blk_a
        for t in range(g + PREFETCH_AHEAD, min(g + PREFETCH_AHEAD + 2, nb)):
            _prefetch_block(XT, sqnorm, X, block_order[t], d, L, prefetch_rows)
        ba, sa, ia, bb, sb, ib = scan(XT, blk_a * d * L, blk_b * d * L, d, C2, cn, -1)
        for h in range(2 if two else 1):
            if h == 0:
                best, second, idx, blk = ba, sa, ia, blk_a
            else:
                best, second, idx, blk = bb, sb, ib, blk_b
            gg = g + h
            lo = max(s, gg * L) - gg * L
            hi = min(e, gg * L + L) - gg * L
            thr = guard_threshold(kappa, block_norm[blk], cmax)
            recheck = vmask_not_gt(vsub(second, best), vfill(best, thr))
            q0 = gg * L - base
            if lo == 0 and hi == L:
                vstore_int(labels, q0, idx)
                vstore(lanes, 0, best)
                for f0 in range(0, L, L8):
                    dq = vmul(vadd(vload_ext(lanes, f0, L8), vload(sqnorm, blk * L + f0)), inv)
                    vstore(dists, q0 + f0, vwhere_lt(dq, zero, zero, dq))
                todo = recheck
            else:
                todo = 0
                for lane in range(lo, hi):
                    if (recheck >> lane) & 1:
                        todo |= 1 << lane
                    else:
                        dq = (np.float64(vget(best, lane)) + sqnorm[blk * L + lane]) * inv_scale2
                        labels[q0 + lane] = int(vget(idx, lane))
                        dists[q0 + lane] = dq if dq >= 0.0 else 0.0
            while todo != 0:
                lane = 0
                while not (todo >> lane) & 1:
                    lane += 1
                todo &= todo - 1
                P = blk * L + lane
                j = canonical_label(X, P, C64, k)
                labels[q0 + lane] = j
                dists[q0 + lane] = sqdist64(X, P, C64, j)


@njit(inline="always")
def _assign_bounded(scan, X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                    s, e, labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel):
    """:func:`assign_span` for positions ``s .. e - 1`` (``base = s``), skipping points that bounds prove settled.

    Hamerly's test (Hamerly 2010) carried across mini-batch steps, as in
    nested mini-batch k-means (Newling and Fleuret 2016). For packed row
    ``P``, ``bound_label[P]`` is its label when it was last assigned (-1:
    never) and ``bound_lower[P] - drift_total`` a lower bound on its distance
    (not squared) to every other center now, where ``drift_total`` is the sum
    over all steps since the start of the run of the largest distance a center
    moved in that step (every bound is widened by the relative ``rel``). A
    point whose exact float64 distance to its previous center is below that
    bound keeps its label without a scan (it is the canonical label: every
    other center is strictly farther), and ``dists`` gets that exact squared
    distance. The other points are packed into ``panel`` (two blocks of
    :data:`BLOCK` lanes, ``2 d L`` float32; from their rows of ``X``, with
    the ``mean`` and ``scale`` of :func:`pack_data`) and scanned as in
    :func:`assign_span`, with the same exactness guard; their bounds are
    renewed from the scan (second-best fast distance minus its error bound).
    ``cand`` is scratch of at least ``e - s`` entries. Returns the number of
    points scanned.
    """
    d = X.shape[1]
    L = vlanes(panel)
    L8 = vlanes(C64)
    dp = C64.shape[1]
    up = 1.0 + rel
    n_cand = 0
    nb = block_order.shape[0]
    line = max(1, 64 // X.itemsize)
    full = d - d % L8  # features read without a mask
    m = e - s
    q0 = 0
    while q0 < m:  # one block of positions (contiguous rows) at a time
        g = (s + q0) // L
        lane0 = s + q0 - g * L
        cnt = min(L - lane0, m - q0)
        if g + BOUND_AHEAD < nb:
            # the rows (and bounds) of a block ahead: the test below reads every row, in random blocks
            ahead = block_order[g + BOUND_AHEAD] * L
            for t in range(ahead * d, min(X.shape[0], ahead + L) * d, line):
                prefetch(X, t)
            prefetch(bound_lower, ahead)
            prefetch(bound_lower, ahead + L - 1)
            prefetch(bound_label, ahead)
            prefetch(bound_label, ahead + L - 1)
        r0 = block_order[g] * L + lane0
        for t in range(cnt):
            P = r0 + t
            q = q0 + t
            a = bound_label[P]
            if a >= 0:
                stored = bound_lower[P]
                low = (stored - drift_total) - rel * (abs(stored) + drift_total)
                if low > 0.0:
                    # sqdist64(X, P, C64, a) written out, same operations (a call costs reference
                    # counting per point; whole vectors need no mask)
                    acc = vfill(C64, 0.0)
                    for f0 in range(0, full, L8):
                        diff = vsub(vload_wide(X, P * d + f0), vload(C64, a * dp + f0))
                        acc = vfma(diff, diff, acc)
                    if full < d:
                        diff = vsub(vload_ext(X, P * d + full, d - full), vload(C64, a * dp + full))
                        acc = vfma(diff, diff, acc)
                    d2 = vsum(acc)
                    if math.sqrt(d2) * up < low:
                        labels[q] = a
                        dists[q] = d2
                        continue
            cand[n_cand] = q
            n_cand += 1
        q0 += cnt
    for g in range(0, n_cand, 2 * L):
        cnt = min(2 * L, n_cand - g)
        # the candidates' packed values, recomputed from their rows (which the test above just
        # read; their packed blocks are cold), bit for bit as pack_data writes them
        for slot in range(2 * L):
            out = (slot // L) * d * L + slot % L
            if slot < cnt:
                P = _packed_row(block_order, s + cand[g + slot], L)
                for f in range(d):
                    panel[out + f * L] = np.float32((np.float64(X[P, f]) - mean[f]) * scale)
            else:
                for f in range(d):
                    panel[out + f * L] = 0.0
        ba, sa, ia, bb, sb, ib = scan(panel, 0, d * L, d, C2, cn, -1)
        for slot in range(cnt):
            q = cand[g + slot]
            P = _packed_row(block_order, s + q, L)
            if slot < L:
                best, second, jf = np.float64(vget(ba, slot)), np.float64(vget(sa, slot)), int(vget(ia, slot))
            else:
                best = np.float64(vget(bb, slot - L))
                second = np.float64(vget(sb, slot - L))
                jf = int(vget(ib, slot - L))
            # the canonical label and a lower bound on the distance to every other center
            # (optimeans._kernels.accelerated._resolve written out: a call per point costs reference counting)
            eps = 0.5 * guard_threshold(kappa, block_norm[P // L], cmax)
            if second - best > 2.0 * eps:
                j = jf
                lo = second
                dq = (best + sqnorm[P]) * inv_scale2
                dists[q] = dq if dq >= 0.0 else 0.0
            else:
                j = canonical_label(X, P, C64, k)
                lo = best
                dists[q] = sqdist64(X, P, C64, j)
            labels[q] = j
            v = lo + sqnorm[P] - eps - 4.0 * 2.0**-24 * sqnorm[P]
            lower = math.sqrt(v) / scale if (v > 0.0 and v < np.inf) else (np.inf if (k == 1) else 0.0)
            bound_label[P] = j
            bound_lower[P] = lower * (1.0 - rel) + drift_total
    return n_cand


@njit
def _assign_span0(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                  labels, dists, prefetch_rows):
    """:func:`assign_span` with :func:`~optimeans._kernels.lloyd.scan_pair0`."""
    _assign_span(scan_pair0, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                 base, labels, dists, prefetch_rows)


@njit
def _assign_bounded0(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                     labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel):
    """:func:`assign_bounded` with :func:`~optimeans._kernels.lloyd.scan_pair0`."""
    return _assign_bounded(scan_pair0, X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k,
                           cmax, kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel)


@njit
def _assign_span1(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                  labels, dists, prefetch_rows):
    """:func:`assign_span` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    _assign_span(scan_pair1, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                 base, labels, dists, prefetch_rows)


@njit
def _assign_bounded1(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                     labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel):
    """:func:`assign_bounded` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    return _assign_bounded(scan_pair1, X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k,
                           cmax, kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel)


@njit
def _assign_span2(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                  labels, dists, prefetch_rows):
    """:func:`assign_span` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    _assign_span(scan_pair2, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                 base, labels, dists, prefetch_rows)


@njit
def _assign_bounded2(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                     labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel):
    """:func:`assign_bounded` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    return _assign_bounded(scan_pair2, X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k,
                           cmax, kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel)


#: :func:`assign_span` and :func:`assign_bounded` per register blocking (index: :func:`scan_mode_of`).
_ASSIGN_SPAN = (_assign_span0, _assign_span1, _assign_span2)
_ASSIGN_BOUNDED = (_assign_bounded0, _assign_bounded1, _assign_bounded2)


def assign_span(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                labels, dists, prefetch_rows=False):
    """Assign the points at epoch positions ``s .. e - 1`` to their canonical nearest centers.

    The kernel of the register blocking that ``cn`` and ``X`` call for
    (:func:`~optimeans._kernels.lloyd.scan_mode_of`); see :func:`_assign_span`
    for the arguments and what is written.
    """
    _ASSIGN_SPAN[scan_mode_of(cn.shape[0], X.shape[1])](
        XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base, labels, dists,
        bool(prefetch_rows))


def assign_bounded(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                   labels, dists, bound_label, bound_lower, drift_total, rel, cand, panel):
    """Bounded assignment of positions ``s .. e - 1``; returns the number of points scanned.

    The kernel of the register blocking that ``cn`` and ``X`` call for
    (:func:`~optimeans._kernels.lloyd.scan_mode_of`); see :func:`_assign_bounded`.
    """
    return _ASSIGN_BOUNDED[scan_mode_of(cn.shape[0], X.shape[1])](
        X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, labels,
        dists, bound_label, bound_lower, drift_total, rel, cand, panel)


@njit(inline="always")
def _assign_bounded_sub(bounded, c, X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax,
                        kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel):
    """Task ``c`` of :func:`_assign_bounded_parallel0`: from position ``s + c * BOUNDED_SUB_CHUNK``, at most as many."""
    lo = s + c * BOUNDED_SUB_CHUNK
    hi = min(e, lo + BOUNDED_SUB_CHUNK)
    cand = np.empty(hi - lo, dtype=np.int64)
    panel = np.empty(2 * X.shape[1] * BLOCK, dtype=np.float32)
    return bounded(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, lo, hi,
                   labels[lo - s:hi - s], dists[lo - s:hi - s], bound_label, bound_lower, drift_total, rel, cand,
                   panel)


@pjit
def _assign_bounded_parallel0(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax,
                              kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel):
    """:func:`assign_bounded` in parallel, :data:`BOUNDED_SUB_CHUNK` positions per task; returns the points scanned.

    Every point's label, distance and bounds are those of the serial call
    (they depend on the point and the centers only).
    """
    n_sub = (e - s + BOUNDED_SUB_CHUNK - 1) // BOUNDED_SUB_CHUNK
    scanned = np.zeros(n_sub, dtype=np.int64)
    for c in prange(n_sub):
        scanned[c] = _assign_bounded_sub(_assign_bounded0, c, X, block_norm, sqnorm, mean, scale, inv_scale2,
                                         block_order, C2, cn, C64, k, cmax, kappa, s, e, labels, dists, bound_label,
                                         bound_lower, drift_total, rel)
    return scanned.sum()


@pjit
def _assign_bounded_parallel1(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax,
                              kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel):
    """:func:`_assign_bounded_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    n_sub = (e - s + BOUNDED_SUB_CHUNK - 1) // BOUNDED_SUB_CHUNK
    scanned = np.zeros(n_sub, dtype=np.int64)
    for c in prange(n_sub):
        scanned[c] = _assign_bounded_sub(_assign_bounded1, c, X, block_norm, sqnorm, mean, scale, inv_scale2,
                                         block_order, C2, cn, C64, k, cmax, kappa, s, e, labels, dists, bound_label,
                                         bound_lower, drift_total, rel)
    return scanned.sum()


@pjit
def _assign_bounded_parallel2(X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax,
                              kappa, s, e, labels, dists, bound_label, bound_lower, drift_total, rel):
    """:func:`_assign_bounded_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    n_sub = (e - s + BOUNDED_SUB_CHUNK - 1) // BOUNDED_SUB_CHUNK
    scanned = np.zeros(n_sub, dtype=np.int64)
    for c in prange(n_sub):
        scanned[c] = _assign_bounded_sub(_assign_bounded2, c, X, block_norm, sqnorm, mean, scale, inv_scale2,
                                         block_order, C2, cn, C64, k, cmax, kappa, s, e, labels, dists, bound_label,
                                         bound_lower, drift_total, rel)
    return scanned.sum()


@njit
def add_batch(X, weights, block_order, start, m, labels, dists, batch_sums, batch_weights):
    """Add the points at epoch positions ``start .. start + m - 1`` to the sums of their centers.

    Position ``start + q`` (row ``P`` as in :func:`assign_span`) has label
    ``labels[q]`` and squared distance ``dists[q]``: ``batch_sums[j * dp :
    j * dp + d] += w_P X[P]`` and ``batch_weights[j] += w_P`` (float64, in
    position order; ``dp = batch_sums.shape[0] // batch_weights.shape[0]``).
    Returns the weighted sum of the distances, in position order. The rows of
    the block :data:`PREFETCH_AHEAD` ahead are prefetched; the addition is
    written out in the loop (a call, even an inlined one, would increment and
    decrement the reference counts of its array arguments for every point).
    """
    d = X.shape[1]
    dp = batch_sums.shape[0] // max(1, batch_weights.shape[0])
    L = BLOCK
    L8 = vlanes(batch_sums)
    full = d - d % L8  # features read without a mask
    nb = block_order.shape[0]
    line = max(1, 64 // X.itemsize)
    n = X.shape[0]
    obj = 0.0
    q = 0
    while q < m:
        pos = start + q
        g = pos // L
        lane0 = pos - g * L
        cnt = min(L - lane0, m - q)
        if g + PREFETCH_AHEAD < nb:
            ahead = block_order[g + PREFETCH_AHEAD] * L
            for t in range(ahead * d, min(n, ahead + L) * d, line):
                prefetch(X, t)
        r0 = block_order[g] * L + lane0
        for t in range(cnt):
            i = r0 + t
            j = labels[q + t]
            wi = weights[i]
            obj += wi * dists[q + t]
            batch_weights[j] += wi
            xi = i * d
            o = j * dp
            if wi == 1.0:  # unit weights (the common case): no multiplication, same sums
                for f0 in range(0, full, L8):
                    vstore(batch_sums, o + f0, vadd(vload(batch_sums, o + f0), vload_wide(X, xi + f0)))
            else:
                wv = vfill(batch_sums, wi)
                for f0 in range(0, full, L8):
                    vstore(batch_sums, o + f0, vadd(vload(batch_sums, o + f0), vmul(wv, vload_wide(X, xi + f0))))
            if full < d:
                wx = vmul(vfill(batch_sums, wi), vload_ext(X, xi + full, d - full))
                vstore(batch_sums, o + full, vadd(vload(batch_sums, o + full), wx))
        q += cnt
    return obj


@njit(inline="always")
def _assign_span_sub(span, c, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e,
                     base, labels, dists):
    """Task ``c`` of :func:`_assign_span_parallel0`: :data:`SUB_CHUNK` positions from ``s + c * SUB_CHUNK``."""
    lo = s + c * SUB_CHUNK
    hi = min(e, lo + SUB_CHUNK)
    span(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, lo, hi, base, labels, dists,
         True)


@pjit
def _assign_span_parallel0(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                           s, e, base, labels, dists):
    """:func:`assign_span` of positions ``s .. e - 1`` (outputs at ``p - base``), :data:`SUB_CHUNK` per task."""
    for c in prange((e - s + SUB_CHUNK - 1) // SUB_CHUNK):
        _assign_span_sub(_assign_span0, c, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax,
                         kappa, s, e, base, labels, dists)


@pjit
def _assign_span_parallel1(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                           s, e, base, labels, dists):
    """:func:`_assign_span_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    for c in prange((e - s + SUB_CHUNK - 1) // SUB_CHUNK):
        _assign_span_sub(_assign_span1, c, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax,
                         kappa, s, e, base, labels, dists)


@pjit
def _assign_span_parallel2(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                           s, e, base, labels, dists):
    """:func:`_assign_span_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    for c in prange((e - s + SUB_CHUNK - 1) // SUB_CHUNK):
        _assign_span_sub(_assign_span2, c, XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax,
                         kappa, s, e, base, labels, dists)


@njit(inline="always")
def _labels_objective_chunk(span, c, X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, order):
    """Chunk ``c`` of :func:`packed_labels_objective`: its labels, and its objective returned."""
    lo = c * SUB_CHUNK
    hi = min(X.shape[0], lo + SUB_CHUNK)
    lab = np.empty(hi - lo, dtype=labels.dtype)
    dists = np.empty(hi - lo, dtype=np.float64)
    span(XT, X, block_norm, sqnorm, 1.0, order, C2, cn, C64, k, cmax, kappa, lo, hi, lo, lab, dists, False)
    obj = 0.0
    for i in range(lo, hi):
        labels[i] = lab[i - lo]
        obj += weights[i] * sqdist64(X, i, C64, lab[i - lo])
    return obj


@pjit
def _packed_labels_objective0(X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj):
    order = np.arange(block_norm.shape[0])
    for c in prange(chunk_obj.shape[0]):
        chunk_obj[c] = _labels_objective_chunk(_assign_span0, c, X, weights, XT, block_norm, sqnorm, C2, cn, C64, k,
                                               cmax, kappa, labels, order)


@pjit
def _packed_labels_objective1(X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj):
    order = np.arange(block_norm.shape[0])
    for c in prange(chunk_obj.shape[0]):
        chunk_obj[c] = _labels_objective_chunk(_assign_span1, c, X, weights, XT, block_norm, sqnorm, C2, cn, C64, k,
                                               cmax, kappa, labels, order)


@pjit
def _packed_labels_objective2(X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj):
    order = np.arange(block_norm.shape[0])
    for c in prange(chunk_obj.shape[0]):
        chunk_obj[c] = _labels_objective_chunk(_assign_span2, c, X, weights, XT, block_norm, sqnorm, C2, cn, C64, k,
                                               cmax, kappa, labels, order)


_PACKED_LABELS_OBJECTIVE = (_packed_labels_objective0, _packed_labels_objective1, _packed_labels_objective2)


def packed_labels_objective(X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj):
    """Canonical labels of every row of the packed data and the weighted objective, per chunk.

    ``labels[i]`` is the canonical nearest center of ``X[i]`` (centers packed in
    ``C2``, ``cn``, ``C64`` by :func:`pack_centers`); ``chunk_obj[c]`` the sum of
    ``weights[i] * sqdist64(X, i, C64, labels[i])`` over the rows of chunk ``c``
    of :data:`SUB_CHUNK` rows, in row order (exact float64 distances; reduce in
    chunk order for a result independent of the thread count). Chunks in
    parallel, with the kernel of the register blocking that ``cn`` and ``X``
    call for (:func:`~optimeans._kernels.lloyd.scan_mode_of`).
    """
    _PACKED_LABELS_OBJECTIVE[scan_mode_of(cn.shape[0], X.shape[1])](
        X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj)


#: A parallel-work threshold that no batch reaches (keeps calls inside a parallel loop serial).
_NEVER = 1 << 62


def sums_chunk(k: int) -> int:
    """Positions per partial batch sum for ``k`` clusters: ``max(256, 8 k)`` rounded up to 16.

    A batch is cut into chunks of this many positions; each chunk's points are
    assigned and summed on their own (in parallel when the batch is worth it)
    and the chunks' sums are then added in chunk order, so the result does not
    depend on the threads. Chunks of at least ``8 k`` points keep the extra
    reduction (``k d`` numbers per chunk) small beside the chunk's own work.
    """
    return max(256, -(-8 * k // 16) * 16)


@njit(inline="always")
def _batch_chunk(span_fn, bounded_fn, span_parallel_fn, bounded_parallel_fn, parallel, c, sub, data, packed, start, end,
                 labels, dists, bound_label, bound_lower, drift_total, rel, cand, panels, chunk_sums, chunk_weights,
                 chunk_obj, chunk_scanned, parallel_min_work):
    """Assign and sum chunk ``c`` (positions ``start + c sub`` on, at most ``sub``) of the batch ``start .. end - 1``.

    Labels and distances go to ``labels[q]``, ``dists[q]`` with ``q = p -
    start``; the chunk's weighted sums, weights and objective to row ``c`` of
    ``chunk_sums``, ``chunk_weights`` and ``chunk_obj`` (:func:`add_batch`),
    the points scanned to ``chunk_scanned[c]``. With ``bound_label``
    non-empty the assignment is :func:`assign_bounded`, else
    :func:`assign_span`; either in parallel when the chunk's ``size * k * d``
    reaches ``parallel_min_work``. ``span_fn``, ``bounded_fn``, ``span_parallel_fn``,
    ``bounded_parallel_fn`` are those kernels for one register blocking
    (``_assign_span0``, ``_assign_bounded0``, ... of the same mode). ``data``
    is ``(X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2,
    block_order)``, ``packed`` is ``(C2, cn, C64, k, cmax, kappa)``: Numba
    cannot inline a call with more than 30 arguments (Python passes them as
    ``*args``), and a kernel passed as an argument to a function that is not
    inlined makes it uncachable. ``parallel`` is a constant (``True`` or
    ``False``) at every call: with ``False`` Numba prunes the parallel branches
    before typing, so the parallel kernels are not compiled at all.
    """
    X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order = data
    C2, cn, C64, k, cmax, kappa = packed
    d = X.shape[1]
    lo = start + c * sub
    hi = min(end, lo + sub)
    q = lo - start
    work = (hi - lo) * k * d
    if bound_label.shape[0] > 0:
        if parallel and work >= parallel_min_work:
            chunk_scanned[c] = bounded_parallel_fn(
                X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, lo, hi,
                labels[q:], dists[q:], bound_label, bound_lower, drift_total, rel)
        else:
            chunk_scanned[c] = bounded_fn(
                X, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, lo, hi,
                labels[q:], dists[q:], bound_label, bound_lower, drift_total, rel, cand[q:], panels[c])
    else:
        if parallel and work >= parallel_min_work:
            span_parallel_fn(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                             lo, hi, start, labels, dists)
        else:
            span_fn(XT, X, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                    lo, hi, start, labels, dists, True)
        chunk_scanned[c] = hi - lo
    S = chunk_sums[c]
    W = chunk_weights[c]
    S[:] = 0.0
    W[:] = 0.0
    chunk_obj[c] = add_batch(X, weights, block_order, lo, hi - lo, labels[q:], dists[q:], S, W)


@pjit
def _batch_chunks_parallel0(n_sub, sub, X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2,
                            cn, C64, k, cmax, kappa, start, end, labels, dists, bound_label, bound_lower, drift_total,
                            rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned):
    """:func:`_batch_chunk` for chunks ``0 .. n_sub - 1``, one task each."""
    for c in prange(n_sub):
        _batch_chunk(_assign_span0, _assign_bounded0, _assign_span_parallel0, _assign_bounded_parallel0, False,
                     c, sub,
                     (X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order),
                     (C2, cn, C64, k, cmax, kappa), start, end, labels, dists, bound_label, bound_lower, drift_total,
                     rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned, _NEVER)


@pjit
def _batch_chunks_parallel1(n_sub, sub, X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2,
                            cn, C64, k, cmax, kappa, start, end, labels, dists, bound_label, bound_lower, drift_total,
                            rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned):
    """:func:`_batch_chunks_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    for c in prange(n_sub):
        _batch_chunk(_assign_span1, _assign_bounded1, _assign_span_parallel1, _assign_bounded_parallel1, False,
                     c, sub,
                     (X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order),
                     (C2, cn, C64, k, cmax, kappa), start, end, labels, dists, bound_label, bound_lower, drift_total,
                     rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned, _NEVER)


@pjit
def _batch_chunks_parallel2(n_sub, sub, X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order, C2,
                            cn, C64, k, cmax, kappa, start, end, labels, dists, bound_label, bound_lower, drift_total,
                            rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned):
    """:func:`_batch_chunks_parallel0` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    for c in prange(n_sub):
        _batch_chunk(_assign_span2, _assign_bounded2, _assign_span_parallel2, _assign_bounded_parallel2, False,
                     c, sub,
                     (X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order),
                     (C2, cn, C64, k, cmax, kappa), start, end, labels, dists, bound_label, bound_lower, drift_total,
                     rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned, _NEVER)


@njit(inline="always")
def _minibatch_steps(batch_parallel_fn, span_fn, bounded_fn, span_parallel_fn, bounded_parallel_fn, parallel, data,
                     work, control, scratch):
    """Mini-batch k-means steps over batches ``first_batch .. last_batch - 1``.

    Batch ``b`` is made of the epoch positions ``b * batch_size`` up to
    ``min(n, (b + 1) * batch_size)``, mapped to rows of ``X`` through
    ``block_order`` as in :func:`assign_span`; ``XT``, ``block_norm``,
    ``sqnorm`` are ``X`` packed by :func:`optimeans._kernels.lloyd.pack_data`,
    ``mean``, ``scale`` the packing's (padded) mean and scale, ``kappa`` its
    guard; ``weights`` (float64) the rows' weights. Each step (Sculley 2010,
    algorithm 1, with the per-point updates of one center summed, which gives
    the same running mean):

    1. pack the centers; cut the batch into chunks of ``sub`` positions
       (:func:`sums_chunk`), assign every point of a chunk to its canonical
       nearest center and sum the chunk's points per center in position
       order (:func:`_batch_chunk`); add the chunks' sums in chunk order. The
       chunks run in parallel when there are several and ``size * k * d >=
       parallel_min_work``; a lone chunk's assignment runs in parallel when
       its own work reaches it. Either way the result is the same;
    2. for every center ``j`` with batch weight ``B_j`` and batch mean ``m_j``:
       ``counts[j] += B_j``, ``c_j += (B_j / counts[j]) (m_j - c_j)``
       (per-center learning rate ``1 / counts[j]``);
    3. smooth the batch objective per unit weight, ``ewa = (1 - alpha) ewa +
       alpha * batch_mean``; count the steps since ``ewa`` last hit a minimum;
    4. every ``reassign_after`` points, move each starved center
       (``counts[j] < reassignment_ratio * max counts``) onto a point of the
       batch drawn with probability proportional to ``w d^2`` (from
       ``uniforms[b]``) and give it the smallest count of the others.

    ``centers`` (k x d float64) is updated in place; ``C2``, ``cn``, ``C64``
    are scratch for :func:`pack_centers`; ``labels``, ``dists`` hold at least
    ``batch_size`` entries; ``batch_sums`` is ``k * dp`` float64 (``dp =
    C64.shape[1]``). ``state`` (float64) holds ``[ewa, best_ewa,
    no_improvement, since_reassign, n_steps, n_reassigned, drift_total, n_scanned]``.
    With ``bound_label`` non-empty (``n`` entries, and ``bound_lower``), the
    batches are assigned by :func:`assign_bounded`; ``state[6]``
    then accumulates the largest center move of every step (widened by
    ``rel``) and ``state[7]`` counts the points scanned; ``prev`` (k x d),
    ``cand`` (``batch_size``) and ``panels`` (one ``2 d L`` float32 row per
    chunk) are its scratch; ``chunk_sums`` (chunks x ``k dp``),
    ``chunk_weights`` (chunks x k), ``chunk_obj`` and ``chunk_scanned`` the
    chunks' results. The arguments come in five groups (a call with more than
    30 arguments cannot be inlined): ``data = (X, weights, XT, block_norm,
    sqnorm, mean, scale, kappa, block_order)``, ``work = (batch_size,
    first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists,
    batch_sums, batch_weights)``, ``control = (state, alpha,
    max_no_improvement, reassignment_ratio, reassign_after, uniforms,
    batch_objective, parallel_min_work)``, ``scratch = (bound_label,
    bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights,
    chunk_obj, chunk_scanned)``. ``parallel`` is a constant: ``False``
    prunes every parallel branch before typing (no parallel kernel compiled).
    The kernels of one register blocking do the work
    (``batch_parallel_fn`` is ``_batch_chunks_parallel0`` for ``span_fn`` =
    ``_assign_span0`` and so on). ``batch_objective[b]`` receives each batch's weighted objective. Returns
    the number of batches processed; fewer than asked when ``no_improvement``
    reached ``max_no_improvement`` (> 0).
    """
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order = data
    batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights = work
    (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
     parallel_min_work) = control
    (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
     chunk_scanned) = scratch
    n = X.shape[0]
    d = X.shape[1]
    k = centers.shape[0]
    dp = C64.shape[1]
    L = vlanes(XT)
    inv_scale2 = 1.0 / (scale * scale)
    done = 0
    for b in range(first_batch, last_batch):
        start = b * batch_size
        end = min(n, start + batch_size)
        m = end - start
        cmax = pack_centers(centers, mean, scale, C2, cn, C64)
        bounded = bound_label.shape[0] > 0
        if bounded:
            # element by element: a 2-d slice assignment compiles a shape-mismatch error message
            # (string formatting, ~10 s of a first compile under load) for a check never failing here
            for j in range(k):
                for f in range(d):
                    prev[j, f] = centers[j, f]
        batch_sums[:] = 0.0
        batch_weights[:] = 0.0
        # Waking the worker threads can cost more than assigning a small batch
        # (milliseconds on a loaded machine): the caller chooses parallel_min_work.
        n_sub = (m + sub - 1) // sub
        if parallel and n_sub > 1 and m * k * d >= parallel_min_work:
            batch_parallel_fn(n_sub, sub, X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2,
                              block_order, C2, cn, C64, k, cmax, kappa, start, end, labels, dists, bound_label,
                              bound_lower, state[6], rel, cand, panels, chunk_sums, chunk_weights, chunk_obj,
                              chunk_scanned)
        else:
            for c in range(n_sub):
                _batch_chunk(span_fn, bounded_fn, span_parallel_fn, bounded_parallel_fn, parallel, c, sub,
                             (X, weights, XT, block_norm, sqnorm, mean, scale, inv_scale2, block_order),
                             (C2, cn, C64, k, cmax, kappa), start, end, labels, dists, bound_label, bound_lower,
                             state[6], rel, cand, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned,
                             parallel_min_work)
        obj = 0.0
        for c in range(n_sub):  # in chunk order, whatever ran them
            obj += chunk_obj[c]
            state[7] += chunk_scanned[c]
            for j in range(k):
                batch_weights[j] += chunk_weights[c, j]
            for o in range(k * dp):
                batch_sums[o] += chunk_sums[c, o]
        wsum = 0.0
        for j in range(k):
            wsum += batch_weights[j]
        for j in range(k):
            bw = batch_weights[j]
            if bw > 0.0:
                counts[j] += bw
                rate = bw / counts[j]
                for f in range(d):
                    centers[j, f] += rate * (batch_sums[j * dp + f] / bw - centers[j, f])
        batch_objective[b] = obj
        done += 1
        state[4] += 1.0
        if wsum > 0.0:
            mean_obj = obj / wsum
            if state[4] == 1.0:
                state[0] = mean_obj
            else:
                state[0] = (1.0 - alpha) * state[0] + alpha * mean_obj
            if state[0] < state[1]:
                state[1] = state[0]
                state[2] = 0.0
            else:
                state[2] += 1.0
        # reassignment of starved centers
        state[3] += m
        if reassignment_ratio > 0.0 and state[3] >= reassign_after:
            state[3] = 0.0
            cmax_count = 0.0
            for j in range(k):
                if counts[j] > cmax_count:
                    cmax_count = counts[j]
            limit = reassignment_ratio * cmax_count
            n_starved = 0
            cmin_other = np.inf
            for j in range(k):
                if counts[j] < limit:
                    n_starved += 1
                elif counts[j] < cmin_other:
                    cmin_other = counts[j]
            max_moves = max(1, m // 2)
            if n_starved > 0 and cmin_other < np.inf:
                moved = 0
                for j in range(k):
                    if counts[j] >= limit or moved >= max_moves:
                        continue
                    total = 0.0
                    for p in range(m):
                        total += weights[_packed_row(block_order, start + p, L)] * dists[p]
                    if total <= 0.0:
                        break
                    target = uniforms[b, moved] * total
                    cum = 0.0
                    pick = m - 1
                    for p in range(m):
                        cum += weights[_packed_row(block_order, start + p, L)] * dists[p]
                        if cum > target:
                            pick = p
                            break
                    i = _packed_row(block_order, start + pick, L)
                    dists[pick] = 0.0
                    for f in range(d):
                        centers[j, f] = np.float64(X[i, f])
                    counts[j] = cmin_other
                    moved += 1
                state[5] += moved
        if bounded:  # the largest move of a center in this step loosens every bound
            top = 0.0
            for j in range(k):
                t2 = 0.0
                for f in range(d):
                    t = centers[j, f] - prev[j, f]
                    t2 += t * t
                if t2 > top:
                    top = t2
            state[6] += math.sqrt(top) * (1.0 + rel)
        if max_no_improvement > 0 and state[2] >= max_no_improvement:
            break
    return done


@njit
def _minibatch_steps0(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`minibatch_steps` with :func:`~optimeans._kernels.lloyd.scan_pair0`."""
    return _minibatch_steps(
        _batch_chunks_parallel0, _assign_span0, _assign_bounded0, _assign_span_parallel0,
        _assign_bounded_parallel0, True,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


@njit
def _minibatch_steps1(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`minibatch_steps` with :func:`~optimeans._kernels.lloyd.scan_pair1`."""
    return _minibatch_steps(
        _batch_chunks_parallel1, _assign_span1, _assign_bounded1, _assign_span_parallel1,
        _assign_bounded_parallel1, True,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


@njit
def _minibatch_steps2(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`minibatch_steps` with :func:`~optimeans._kernels.lloyd.scan_pair2`."""
    return _minibatch_steps(
        _batch_chunks_parallel2, _assign_span2, _assign_bounded2, _assign_span_parallel2,
        _assign_bounded_parallel2, True,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


@njit
def _minibatch_steps_serial0(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`_minibatch_steps0` with no parallel kernel, for batches below ``parallel_min_work`` (same figures)."""
    return _minibatch_steps(
        _batch_chunks_parallel0, _assign_span0, _assign_bounded0, _assign_span_parallel0,
        _assign_bounded_parallel0, False,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


@njit
def _minibatch_steps_serial1(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`_minibatch_steps1` with no parallel kernel, for batches below ``parallel_min_work`` (same figures)."""
    return _minibatch_steps(
        _batch_chunks_parallel1, _assign_span1, _assign_bounded1, _assign_span_parallel1,
        _assign_bounded_parallel1, False,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


@njit
def _minibatch_steps_serial2(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """:func:`_minibatch_steps2` with no parallel kernel, for batches below ``parallel_min_work`` (same figures)."""
    return _minibatch_steps(
        _batch_chunks_parallel2, _assign_span2, _assign_bounded2, _assign_span_parallel2,
        _assign_bounded_parallel2, False,
        (X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order),
        (batch_size, first_batch, last_batch, centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights),
        (state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
         parallel_min_work),
        (bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj, chunk_scanned))


#: :func:`minibatch_steps` per register blocking (:func:`scan_mode_of`), with parallel kernels or without.
_MINIBATCH_STEPS = (_minibatch_steps0, _minibatch_steps1, _minibatch_steps2)
_MINIBATCH_STEPS_SERIAL = (_minibatch_steps_serial0, _minibatch_steps_serial1, _minibatch_steps_serial2)


def minibatch_kernel(batch_size: int, k: int, d: int, kp: int, parallel_min_work: int):
    """The kernel :func:`minibatch_steps` calls for these sizes (``kp`` padded centers)."""
    kernels = _MINIBATCH_STEPS_SERIAL if batch_size * k * d < parallel_min_work else _MINIBATCH_STEPS
    return kernels[scan_mode_of(kp, d)]


def minibatch_steps(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
    chunk_scanned,
):
    """Mini-batch k-means steps over batches ``first_batch .. last_batch - 1``; returns the batches processed.

    The kernel of the register blocking that ``cn`` and ``X`` call for
    (:func:`~optimeans._kernels.lloyd.scan_mode_of`), so a first call compiles
    only that one; the arguments and the steps are those of :func:`_minibatch_steps`.
    When a whole batch's work ``batch_size * k * d`` is below
    ``parallel_min_work``, no parallel kernel would ever run: a kernel whose
    parallel branches Numba pruned before typing serves, and a first call
    compiles no ``parallel=True`` kernel at all.
    """
    return minibatch_kernel(batch_size, centers.shape[0], X.shape[1], cn.shape[0], parallel_min_work)(
        X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
        centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
        state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
        parallel_min_work, bound_label, bound_lower, rel, prev, cand, sub, panels, chunk_sums, chunk_weights, chunk_obj,
        chunk_scanned)
