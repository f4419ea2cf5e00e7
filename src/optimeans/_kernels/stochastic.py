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
assignment (``scan_pair`` / ``scan_blocks`` of :mod:`optimeans._kernels.lloyd`) on the data packed
once per fit in blocks of ``L`` points (:func:`~optimeans._kernels.lloyd.pack_data`),
with the same exactness guard: labels are the canonical ones (first index
minimizing the float64 squared distance), whatever the thread count. An epoch
visits the packed blocks in a random order (``block_order``), so a batch reads
whole blocks, contiguous in memory, instead of gathering scattered rows.
"""

from __future__ import annotations

import numpy as np

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._numba import njit, pjit, prange
from ._simd import vadd, vfill, vget, vlanes, vload, vload_ext, vmask_not_gt, vmul, vstore, vsub
from . import lloyd as _lloyd
from .lloyd import canonical_label, guard_threshold, pack_centers, scan_blocks, sqdist64

if hasattr(_lloyd, "scan_pair"):
    # the Lloyd kernel chooses its register blocking (wider for many centers)
    from .lloyd import scan_mode, scan_pair
else:  # a Lloyd kernel with the one blocking of scan_blocks

    @njit(inline="always")
    def scan_mode(kp, d):
        """The register blocking of the scan: only two blocks x four centers here."""
        return 0

    @njit(inline="always")
    def scan_pair(mode, panel, base_a, base_b, d, C2, cn):
        """:func:`scan_blocks` (``mode`` has a single value)."""
        return scan_blocks(panel, base_a, base_b, d, C2, cn)

#: Positions per parallel task inside one mini-batch (a multiple of every block size).
#: Fixed, so that nothing depends on the number of threads (each point's label
#: is independent of the others anyway).
SUB_CHUNK = 1024

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


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the CPU to bring the cache line of ``arr.flat[idx]`` in (no effect on results, never faults)."""
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        i = context.cast(builder, args[1], sig.args[1], types.intp)
        ptr = builder.bitcast(builder.gep(ary.data, [i]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, idx), codegen


#: Blocks ahead of the scan whose packed vectors (and rows) are prefetched.
PREFETCH_AHEAD = 4


@njit(inline="always")
def _prefetch_block(X, XT, sqnorm, weights, blk, d, L, rows_too):
    """Prefetch packed block ``blk`` (its ``d`` vectors, norms, weights) and, with ``rows_too``, its rows of X."""
    base = blk * d * L
    for f in range(d):
        prefetch(XT, base + f * L)
    prefetch(sqnorm, blk * L)
    prefetch(sqnorm, blk * L + L - 1)
    if rows_too:
        prefetch(weights, blk * L)
        prefetch(weights, blk * L + L - 1)
        line = 64 // X.itemsize
        for t in range(blk * L * d, min(X.shape[0], blk * L + L) * d, line):
            prefetch(X, t)


@njit(inline="always")
def _packed_row(block_order, p, L):
    """The row of the packed data at epoch position ``p``."""
    return block_order[p // L] * L + p % L


@njit(inline="always")
def add_point(X, i, wi, j, batch_sums, batch_weights, dp):
    """``batch_sums[j * dp : j * dp + d] += wi * X[i]``, ``batch_weights[j] += wi`` (float64, SIMD)."""
    d = X.shape[1]
    L8 = vlanes(batch_sums)
    batch_weights[j] += wi
    wv = vfill(batch_sums, wi)
    for f0 in range(0, d, L8):
        o = j * dp + f0
        wx = vmul(wv, vload_ext(X, i * d + f0, min(L8, d - f0)))
        vstore(batch_sums, o, vadd(vload(batch_sums, o), wx))


@njit
def assign_span(X, weights, XT, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa, s, e, base,
                labels, dists, do_sums, batch_sums, batch_weights):
    """Assign the points at epoch positions ``s .. e - 1`` to their canonical nearest centers.

    Epoch position ``p`` is row ``P = block_order[p // L] * L + p % L`` of the
    packed data (lane ``p % L`` of block ``block_order[p // L]``; ``L`` =
    :data:`optimeans._kernels.lloyd.BLOCK`). Writes, for ``q = p - base``:
    ``labels[q]``, the canonical label of ``X[P]`` (as in Lloyd's kernel: the
    fast float32 scan, re-checked in float64 when the two best are within the
    guard), and ``dists[q]``, its squared distance (from the fast scan,
    ``(best + ||x'||^2) / scale^2`` clipped at 0, within the guard of the
    exact value; exact float64 for re-checked points). With ``do_sums`` the
    points are also added, in position order, to ``batch_sums`` and
    ``batch_weights`` (:func:`add_point`, weights ``weights[P]``) and the
    weighted sum of ``dists`` is returned (else 0). Two blocks are scanned at
    a time, and the blocks :data:`PREFETCH_AHEAD` ahead are prefetched; a
    block at either end of the span contributes only its lanes inside it.
    """
    d = X.shape[1]
    dp = C64.shape[1]
    L = vlanes(XT)
    nb = block_order.shape[0]
    g0 = s // L
    g1 = (e + L - 1) // L
    mode = scan_mode(cn.shape[0], d)
    obj = 0.0
    for g in range(g0, g1, 2):
        two = g + 1 < g1
        blk_a = block_order[g]
        blk_b = block_order[g + 1] if two else blk_a
        for t in range(g + PREFETCH_AHEAD, min(g + PREFETCH_AHEAD + 2, nb)):
            _prefetch_block(X, XT, sqnorm, weights, block_order[t], d, L, do_sums)
        ba, sa, ia, bb, sb, ib = scan_pair(mode, XT, blk_a * d * L, blk_b * d * L, d, C2, cn)
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
            for lane in range(lo, hi):
                P = blk * L + lane
                q = gg * L + lane - base
                if (recheck >> lane) & 1:
                    j = canonical_label(X, P, C64, k)
                    dq = sqdist64(X, P, C64, j)
                else:
                    j = int(vget(idx, lane))
                    dq = (np.float64(vget(best, lane)) + sqnorm[P]) * inv_scale2
                    if dq < 0.0:
                        dq = 0.0
                labels[q] = j
                dists[q] = dq
                if do_sums:
                    wi = weights[P]
                    obj += wi * dq
                    add_point(X, P, wi, j, batch_sums, batch_weights, dp)
    return obj


@pjit
def _assign_span_parallel(X, weights, XT, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                          s, e, labels, dists, batch_sums, batch_weights):
    n_sub = (e - s + SUB_CHUNK - 1) // SUB_CHUNK
    for c in prange(n_sub):
        lo = s + c * SUB_CHUNK
        hi = min(e, lo + SUB_CHUNK)
        assign_span(X, weights, XT, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax, kappa,
                    lo, hi, s, labels, dists, False, batch_sums, batch_weights)


@pjit
def packed_labels_objective(X, weights, XT, block_norm, sqnorm, C2, cn, C64, k, cmax, kappa, labels, chunk_obj):
    """Canonical labels of every row of the packed data and the weighted objective, per chunk.

    ``labels[i]`` is the canonical nearest center of ``X[i]`` (centers packed in
    ``C2``, ``cn``, ``C64`` by :func:`pack_centers`); ``chunk_obj[c]`` the sum of
    ``weights[i] * sqdist64(X, i, C64, labels[i])`` over the rows of chunk ``c``
    of :data:`SUB_CHUNK` rows, in row order (exact float64 distances; reduce in
    chunk order for a result independent of the thread count).
    """
    n = X.shape[0]
    order = np.arange(block_norm.shape[0])
    empty = np.empty(0, dtype=np.float64)
    for c in prange(chunk_obj.shape[0]):
        lo = c * SUB_CHUNK
        hi = min(n, lo + SUB_CHUNK)
        dists = np.empty(hi - lo, dtype=np.float64)
        assign_span(X, weights, XT, block_norm, sqnorm, 1.0, order, C2, cn, C64, k, cmax, kappa, lo, hi, lo,
                    labels[lo:hi], dists, False, empty, empty)
        obj = 0.0
        for i in range(lo, hi):
            obj += weights[i] * sqdist64(X, i, C64, labels[i])
        chunk_obj[c] = obj


@njit
def minibatch_steps(
    X, weights, XT, block_norm, sqnorm, mean, scale, kappa, block_order, batch_size, first_batch, last_batch,
    centers, C2, cn, C64, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work,
):
    """Mini-batch k-means steps over batches ``first_batch .. last_batch - 1``.

    Batch ``b`` is made of the epoch positions ``b * batch_size`` up to
    ``min(n, (b + 1) * batch_size)``, mapped to rows of ``X`` through
    ``block_order`` as in :func:`assign_span`; ``XT``, ``block_norm``,
    ``sqnorm`` are ``X`` packed by :func:`optimeans._kernels.lloyd.pack_data`,
    ``mean``, ``scale`` the packing's (padded) mean and scale, ``kappa`` its
    guard; ``weights`` (float64) the rows' weights. Each step (Sculley 2010,
    algorithm 1, with the per-point updates of one center summed, which gives
    the same running mean):

    1. pack the centers, assign every point of the batch to its canonical
       nearest center (in parallel when ``size * k * d >= parallel_min_work``)
       and sum the points of every center, in position order;
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
    no_improvement, since_reassign, n_steps, n_reassigned]``.
    ``batch_objective[b]`` receives each batch's weighted objective. Returns
    the number of batches processed; fewer than asked when ``no_improvement``
    reached ``max_no_improvement`` (> 0).
    """
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
        batch_sums[:] = 0.0
        batch_weights[:] = 0.0
        # Waking the worker threads costs more than assigning a small batch
        # (milliseconds on a loaded machine), so only large batches go parallel.
        if m * k * d >= parallel_min_work:
            _assign_span_parallel(X, weights, XT, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k,
                                  cmax, kappa, start, end, labels, dists, batch_sums, batch_weights)
            obj = 0.0
            for p in range(m):  # the same sums, in the same order, as the serial path
                P = _packed_row(block_order, start + p, L)
                wi = weights[P]
                obj += wi * dists[p]
                add_point(X, P, wi, labels[p], batch_sums, batch_weights, dp)
        else:
            obj = assign_span(X, weights, XT, block_norm, sqnorm, inv_scale2, block_order, C2, cn, C64, k, cmax,
                              kappa, start, end, start, labels, dists, True, batch_sums, batch_weights)
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
        if max_no_improvement > 0 and state[2] >= max_no_improvement:
            break
    return done
