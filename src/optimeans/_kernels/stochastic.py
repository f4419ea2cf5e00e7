"""Kernels of online (SGD) and mini-batch k-means.

Both keep the centers twice: in float64 (``centers``, k x d), where the
updates accumulate without drift, and transposed in X's dtype (``centers_t``,
d x k), where the nearest-center search reads them. With the centers
transposed the inner loop runs over the clusters, ``acc[j] += (x_f - c_jf)^2``,
which the compiler vectorizes without any reassociation of a sum (no fastmath
needed) and which subtracts before squaring (no cancellation in float32).

Online SGD must take the points one at a time (each update moves a center the
next point may choose). A mini-batch is assigned with the centers fixed, so
its points are processed ``L`` at a time in explicit SIMD vectors
(:func:`assign_rows`, one point per lane), with the same sums in the same
order: the labels and distances are bit for bit those of the row-by-row loop.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange
from ._simd import vadd, vfill, vget, vlanes, vload, vmin, vmul, vsub, vwhere_lt

#: Rows per parallel task inside one mini-batch. Fixed, so that nothing
#: depends on the number of threads (each row's assignment is independent anyway).
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


@njit
def _assign_panel(panel, m, centers_t, labels, dists, out0):
    """Nearest centers of the ``m`` points held lane-wise in ``panel`` (d x L).

    ``panel[f * L + q]`` is feature ``f`` of point ``q``; results go to
    ``labels[out0 + q]`` and ``dists[out0 + q]`` for ``q < m``. Four centers
    are scanned per sweep over the features, so that each panel vector loaded
    serves four accumulators, all held in registers.
    """
    d, k = centers_t.shape
    L = vlanes(panel)
    zero = vfill(panel, 0.0)
    best = vfill(panel, np.inf)
    bidx = zero
    j = 0
    while j + 4 <= k:
        a0 = zero
        a1 = zero
        a2 = zero
        a3 = zero
        for f in range(d):
            x = vload(panel, f * L)
            t0 = vsub(x, vfill(panel, centers_t[f, j]))
            t1 = vsub(x, vfill(panel, centers_t[f, j + 1]))
            t2 = vsub(x, vfill(panel, centers_t[f, j + 2]))
            t3 = vsub(x, vfill(panel, centers_t[f, j + 3]))
            a0 = vadd(a0, vmul(t0, t0))
            a1 = vadd(a1, vmul(t1, t1))
            a2 = vadd(a2, vmul(t2, t2))
            a3 = vadd(a3, vmul(t3, t3))
        # strict "<" in increasing j: the first index wins ties, as row by row
        bidx = vwhere_lt(a0, best, vfill(panel, j), bidx)
        best = vmin(a0, best)
        bidx = vwhere_lt(a1, best, vfill(panel, j + 1), bidx)
        best = vmin(a1, best)
        bidx = vwhere_lt(a2, best, vfill(panel, j + 2), bidx)
        best = vmin(a2, best)
        bidx = vwhere_lt(a3, best, vfill(panel, j + 3), bidx)
        best = vmin(a3, best)
        j += 4
    while j < k:
        a0 = zero
        for f in range(d):
            t0 = vsub(vload(panel, f * L), vfill(panel, centers_t[f, j]))
            a0 = vadd(a0, vmul(t0, t0))
        bidx = vwhere_lt(a0, best, vfill(panel, j), bidx)
        best = vmin(a0, best)
        j += 1
    for q in range(m):
        labels[out0 + q] = int(vget(bidx, q))
        dists[out0 + q] = vget(best, q)


@njit
def assign_rows(X, order, start, end, centers_t, labels, dists):
    """labels[p - start], dists[p - start]: nearest center to X[order[p]] for p in [start, end).

    The same values, bit for bit, as :func:`nearest_transposed` row by row
    (the same sum ``sum_f (x_f - c_jf)^2`` in X's dtype, in the same order;
    the first index on ties), computed for ``L`` rows at once in SIMD vectors
    (:mod:`._simd`; L = 8 float32 with AVX2): the rows of a block are copied
    feature by feature into a small panel, then every center coordinate is
    broadcast once per block.
    """
    d, k = centers_t.shape
    L = vlanes(centers_t)
    panel = np.zeros(d * L, dtype=centers_t.dtype)
    for p0 in range(start, end, L):
        m = min(L, end - p0)
        for q in range(m):
            i = order[p0 + q]
            for f in range(d):
                panel[f * L + q] = X[i, f]
        for q in range(m, L):  # unused lanes repeat the first point
            for f in range(d):
                panel[f * L + q] = panel[f * L]
        _assign_panel(panel, m, centers_t, labels, dists, p0 - start)


@pjit
def _assign_batch_parallel(X, order, start, end, centers_t, labels, dists):
    m = end - start
    n_sub = (m + SUB_CHUNK - 1) // SUB_CHUNK
    for c in prange(n_sub):
        lo = start + c * SUB_CHUNK
        hi = min(end, lo + SUB_CHUNK)
        assign_rows(X, order, lo, hi, centers_t, labels[lo - start:hi - start], dists[lo - start:hi - start])


@njit
def minibatch_steps(
    X, sample_weight, order, batch_size, first_batch, last_batch,
    centers, centers_t, counts, labels, dists, batch_sums, batch_weights,
    state, alpha, max_no_improvement, reassignment_ratio, reassign_after, uniforms, batch_objective,
    parallel_min_work,
):
    """Mini-batch k-means steps over batches ``first_batch .. last_batch - 1``.

    Batch ``b`` is ``order[b * batch_size : (b + 1) * batch_size]``. Each step
    (Sculley 2010, algorithm 1, with the per-point updates of one center
    summed, which gives the same running mean):

    1. assign every point of the batch to its nearest center (in parallel);
    2. for every center ``j`` with batch weight ``B_j`` and batch mean ``m_j``:
       ``counts[j] += B_j``, ``c_j += (B_j / counts[j]) (m_j - c_j)``
       (per-center learning rate ``1 / counts[j]``);
    3. smooth the batch objective per unit weight, ``ewa = (1 - alpha) ewa +
       alpha * batch_mean``; count the steps since ``ewa`` last hit a minimum;
    4. every ``reassign_after`` points, move each starved center
       (``counts[j] < reassignment_ratio * max counts``) onto a point of the
       batch drawn with probability proportional to ``w d^2`` (from
       ``uniforms[b]``) and give it the smallest count of the others.

    ``state`` (float64) holds ``[ewa, best_ewa, no_improvement, since_reassign,
    n_steps, n_reassigned]``. ``batch_objective[b]`` receives each batch's
    weighted objective. A batch is assigned in parallel when its
    ``size * k * d`` is at least ``parallel_min_work`` (see ``PARALLEL_MIN_WORK``).
    Returns the number of batches processed; fewer than
    asked when ``no_improvement`` reached ``max_no_improvement`` (> 0).
    """
    n = order.shape[0]
    d, k = centers_t.shape
    done = 0
    for b in range(first_batch, last_batch):
        start = b * batch_size
        end = min(n, start + batch_size)
        m = end - start
        # Waking the worker threads costs more than assigning a small batch
        # (milliseconds on a loaded machine), so only large batches go parallel.
        if m * k * d >= parallel_min_work:
            _assign_batch_parallel(X, order, start, end, centers_t, labels, dists)
        else:
            assign_rows(X, order, start, end, centers_t, labels, dists)
        for j in range(k):
            batch_weights[j] = 0.0
            for f in range(d):
                batch_sums[j, f] = 0.0
        obj = 0.0
        wsum = 0.0
        for p in range(m):
            i = order[start + p]
            wi = np.float64(sample_weight[i])
            j = labels[p]
            obj += wi * dists[p]
            wsum += wi
            batch_weights[j] += wi
            for f in range(d):
                batch_sums[j, f] += wi * np.float64(X[i, f])
        for j in range(k):
            bw = batch_weights[j]
            if bw > 0.0:
                counts[j] += bw
                rate = bw / counts[j]
                for f in range(d):
                    c = centers[j, f] + rate * (batch_sums[j, f] / bw - centers[j, f])
                    centers[j, f] = c
                    centers_t[f, j] = c
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
            cmax = 0.0
            for j in range(k):
                if counts[j] > cmax:
                    cmax = counts[j]
            limit = reassignment_ratio * cmax
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
                        total += np.float64(sample_weight[order[start + p]]) * dists[p]
                    if total <= 0.0:
                        break
                    target = uniforms[b, moved] * total
                    cum = 0.0
                    pick = m - 1
                    for p in range(m):
                        cum += np.float64(sample_weight[order[start + p]]) * dists[p]
                        if cum > target:
                            pick = p
                            break
                    i = order[start + pick]
                    dists[pick] = 0.0
                    for f in range(d):
                        c = np.float64(X[i, f])
                        centers[j, f] = c
                        centers_t[f, j] = c
                    counts[j] = cmin_other
                    moved += 1
                state[5] += moved
        if max_no_improvement > 0 and state[2] >= max_no_improvement:
            break
    return done
