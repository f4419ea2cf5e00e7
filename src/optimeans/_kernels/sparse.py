r"""Kernels over sparse CSR rows with dense centers.

A CSR matrix is passed as its three arrays ``data`` (float32 or float64),
``indices`` (column of each stored value) and ``indptr`` (row ``i`` holds
``data[indptr[i]:indptr[i+1]]``). The centers are dense and are handed to the
distance kernels transposed, ``CT`` of shape ``(n_features, m)`` in float64,
so that one stored value ``x_{if}`` meets the ``m`` centers' ``f``-th
coordinates in one contiguous row of ``CT``.

Distances
---------
With ``x`` sparse and ``c`` dense,

.. math::  \lVert x - c \rVert^2 = \lVert x \rVert^2 - 2\, x \cdot c + \lVert c \rVert^2 ,

which costs ``nnz(x)`` multiply-adds per center: the only way to avoid the
``d`` terms of the direct formula. Every term is formed in float64 (whatever
the data's dtype), and a value that cancellation pushed below zero is clipped
to zero. The labels are the first index minimizing ``||c_j||^2 - 2 x . c_j``
(``||x||^2`` is the same for every center).

The objective, without cancellation
-----------------------------------
The objective of a cluster is summed from non-negative terms only: the
stored coordinates contribute ``w_i (x_{if} - c_f)^2``, and every coordinate
``f`` contributes ``c_f^2`` once for each point of the cluster that does not
store it, i.e. ``c_f^2 (W - W_f)`` with ``W`` the cluster's weight and ``W_f``
the weight of its points storing ``f``:

.. math::  \sum_{a_i = j} w_i \lVert x_i - c_j \rVert^2
           = \sum_{a_i = j} w_i \sum_{f \in nz(i)} (x_{if} - c_{jf})^2
             + \sum_f c_{jf}^2 \,(W_j - W_{jf}) .

So the objective reported is accurate to float64 rounding even when a point
sits almost on its center, where the expansion above loses every digit.

Determinism
-----------
The assignment runs over fixed chunks of ``CHUNK`` rows in parallel; each row
is independent. The cluster sums run in parallel over clusters: the rows are
first put in cluster order by a stable counting sort, and each cluster's sums
are accumulated by one thread in row order. No sum depends on the number of
threads, and the memory is ``k x d`` (not one ``k x d`` buffer per chunk,
which on text data, ``d`` in the tens of thousands, would not fit).
"""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange
from .lloyd import CHUNK

__all__ = [
    "row_sqnorms",
    "sqdist_rows",
    "assign_rows",
    "order_by_label",
    "cluster_sums",
    "cluster_objective",
    "minibatch_update",
    "assign_rows_hamerly",
    "dots_by_columns",
    "sqdist_from_dots",
    "center_sqnorms",
    "assign_rows_scaled",
    "minibatch_update_scaled",
    "renormalize_scaled",
]


@pjit
def row_sqnorms(data, indptr, out):
    """out[i] = sum of the squares of row ``i``'s stored values, in float64."""
    n = indptr.shape[0] - 1
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                v = np.float64(data[p])
                s += v * v
            out[i] = s


@pjit
def sqdist_rows(data, indices, indptr, rows, xsq, CT, csq, out):
    """out[t, j] = ||x_{rows[t]} - c_j||^2 (float64, clipped at 0) for the ``m`` centers of ``CT`` (d x m)."""
    nr = rows.shape[0]
    m = CT.shape[1]
    for c in prange((nr + CHUNK - 1) // CHUNK):
        acc = np.empty(m, dtype=np.float64)
        for t in range(c * CHUNK, min(nr, (c + 1) * CHUNK)):
            i = rows[t]
            for j in range(m):
                acc[j] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                v = np.float64(data[p])
                f = indices[p]
                for j in range(m):
                    acc[j] += v * CT[f, j]
            for j in range(m):
                s = xsq[i] - 2.0 * acc[j] + csq[j]
                out[t, j] = s if s > 0.0 else 0.0


@pjit
def assign_rows(data, indices, indptr, rows, xsq, CT, csq, labels, mind):
    """Nearest of the ``k`` centers of ``CT`` (d x k) for every row in ``rows``.

    Writes ``labels[t]`` (first index on ties of ``||c_j||^2 - 2 x . c_j``)
    and ``mind[t]`` (the squared distance, float64, clipped at 0) for
    ``t``-th row ``rows[t]``. Returns nothing; rows are independent.
    """
    nr = rows.shape[0]
    k = CT.shape[1]
    for c in prange((nr + CHUNK - 1) // CHUNK):
        acc = np.empty(k, dtype=np.float64)
        for t in range(c * CHUNK, min(nr, (c + 1) * CHUNK)):
            i = rows[t]
            for j in range(k):
                acc[j] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                v = np.float64(data[p])
                f = indices[p]
                for j in range(k):
                    acc[j] += v * CT[f, j]
            best = 0
            bestv = csq[0] - 2.0 * acc[0]
            for j in range(1, k):
                val = csq[j] - 2.0 * acc[j]
                if val < bestv:
                    bestv = val
                    best = j
            labels[t] = best
            s = xsq[i] + bestv
            mind[t] = s if s > 0.0 else 0.0


@njit
def order_by_label(labels, k, order, starts):
    """Stable counting sort: ``order[starts[j]:starts[j+1]]`` are the rows of cluster ``j``, ascending."""
    n = labels.shape[0]
    for j in range(k + 1):
        starts[j] = 0
    for i in range(n):
        starts[labels[i] + 1] += 1
    for j in range(k):
        starts[j + 1] += starts[j]
    pos = starts[:k].copy()
    for i in range(n):
        j = labels[i]
        order[pos[j]] = i
        pos[j] += 1


@pjit
def cluster_sums(data, indices, indptr, w, order, starts, S, W):
    """Per-cluster sums ``S[j] = sum w_i x_i`` (k x d, float64) and weights ``W[j]``.

    One thread per cluster, its rows in ascending order (``order``,
    ``starts`` from :func:`order_by_label`): bitwise the same on any number
    of threads.
    """
    k, d = S.shape
    for j in prange(k):
        for f in range(d):
            S[j, f] = 0.0
        wsum = 0.0
        for t in range(starts[j], starts[j + 1]):
            i = order[t]
            wi = w[i]
            wsum += wi
            for p in range(indptr[i], indptr[i + 1]):
                S[j, indices[p]] += wi * np.float64(data[p])
        W[j] = wsum


@pjit
def cluster_objective(data, indices, indptr, w, order, starts, C, Wf, E):
    """Exact objective ``E[j]`` of every cluster at centers ``C`` (k x d, float64), from non-negative terms.

    ``Wf`` is k x d float64 scratch (``Wf[j, f]``: the weight of cluster
    ``j``'s rows storing feature ``f``); see the module notes for the
    formula. One thread per cluster, rows in ascending order.
    """
    k, d = C.shape
    for j in prange(k):
        for f in range(d):
            Wf[j, f] = 0.0
        wsum = 0.0
        e = 0.0
        for t in range(starts[j], starts[j + 1]):
            i = order[t]
            wi = w[i]
            wsum += wi
            for p in range(indptr[i], indptr[i + 1]):
                f = indices[p]
                diff = np.float64(data[p]) - C[j, f]
                e += wi * (diff * diff)
                Wf[j, f] += wi
        rest = 0.0
        for f in range(d):
            miss = wsum - Wf[j, f]
            if miss > 0.0:
                rest += C[j, f] * C[j, f] * miss
        E[j] = e + rest


@njit
def center_sqnorms(CT, csq):
    """csq[j] = ||CT[:, j]||^2 in float64, summed over the features in order."""
    d, k = CT.shape
    for j in range(k):
        csq[j] = 0.0
    for f in range(d):
        for j in range(k):
            csq[j] += CT[f, j] * CT[f, j]


@njit
def minibatch_update(data, indices, indptr, rows, w, labels, CT, counts):
    """One mini-batch step on transposed centers ``CT`` (d x k, float64), in place.

    Every center ``j`` that received batch weight ``B_j`` moves to
    ``(counts_j c_j + sum_{batch, a=j} w_i x_i) / (counts_j + B_j)`` (the
    running weighted mean, Sculley's per-center learning rate); ``counts``
    grows by ``B``. Serial, in batch order: deterministic.
    """
    d, k = CT.shape
    B = np.zeros(k, dtype=np.float64)
    for t in range(rows.shape[0]):
        B[labels[t]] += w[rows[t]]
    keep = np.ones(k, dtype=np.float64)
    inv = np.zeros(k, dtype=np.float64)
    touched = False
    for j in range(k):
        if B[j] > 0.0:
            total = counts[j] + B[j]
            keep[j] = counts[j] / total
            inv[j] = 1.0 / total
            touched = True
    if not touched:
        return
    for f in range(d):
        for j in range(k):
            CT[f, j] *= keep[j]
    for t in range(rows.shape[0]):
        i = rows[t]
        j = labels[t]
        a = w[i] * inv[j]
        if a != 0.0:
            for p in range(indptr[i], indptr[i + 1]):
                CT[indices[p], j] += a * np.float64(data[p])
    for j in range(k):
        counts[j] += B[j]


@pjit
def assign_rows_scaled(data, indices, indptr, rows, xsq, V, scale, csq, labels, mind):
    """:func:`assign_rows` for lazily scaled centers ``c_j = scale[j] * V[:, j]`` (``V`` d x k, float64).

    ``csq[j]`` is ``||c_j||^2``. The dot product ``x . v_j`` is summed as in
    :func:`assign_rows` and multiplied by ``scale[j]`` once (with ``scale``
    all ones, the bits of :func:`assign_rows`). Rows are independent.
    """
    nr = rows.shape[0]
    k = V.shape[1]
    for c in prange((nr + CHUNK - 1) // CHUNK):
        acc = np.empty(k, dtype=np.float64)
        for t in range(c * CHUNK, min(nr, (c + 1) * CHUNK)):
            i = rows[t]
            for j in range(k):
                acc[j] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                v = np.float64(data[p])
                f = indices[p]
                for j in range(k):
                    acc[j] += v * V[f, j]
            best = 0
            bestv = csq[0] - 2.0 * (scale[0] * acc[0])
            for j in range(1, k):
                val = csq[j] - 2.0 * (scale[j] * acc[j])
                if val < bestv:
                    bestv = val
                    best = j
            labels[t] = best
            s = xsq[i] + bestv
            mind[t] = s if s > 0.0 else 0.0


@njit
def minibatch_update_scaled(data, indices, indptr, rows, w, labels, V, scale, vsq, counts):
    """:func:`minibatch_update` on lazily scaled centers ``c_j = scale[j] * V[:, j]``, in place.

    The step ``c_j <- (counts_j c_j + sum_{batch, a=j} w_i x_i) / (counts_j +
    B_j)`` multiplies ``scale[j]`` by ``counts_j / (counts_j + B_j)`` and adds
    the batch rows to ``V[:, j]`` divided by the new scale, so it touches the
    batch's stored values and one scalar per center instead of all ``k d``
    coordinates. ``vsq[j] = ||V[:, j]||^2`` is kept up to date from the
    changes of the coordinates written (each change ``new - old`` adds
    ``(new - old)(new + old)``, summed per center and added once per step),
    in float64; a center whose count was 0 becomes the batch mean (its
    column zeroed first, scale 1). Serial, in batch order: deterministic.
    :func:`renormalize_scaled` folds the scales back and recomputes the
    norms exactly.
    """
    d, k = V.shape
    B = np.zeros(k, dtype=np.float64)
    for t in range(rows.shape[0]):
        B[labels[t]] += w[rows[t]]
    coef = np.zeros(k, dtype=np.float64)
    dq = np.zeros(k, dtype=np.float64)
    for j in range(k):
        if B[j] > 0.0:
            total = counts[j] + B[j]
            if counts[j] > 0.0:
                scale[j] *= counts[j] / total
            else:
                for f in range(d):
                    V[f, j] = 0.0
                scale[j] = 1.0
                vsq[j] = 0.0
            coef[j] = 1.0 / (total * scale[j])
    for t in range(rows.shape[0]):
        i = rows[t]
        j = labels[t]
        a = w[i] * coef[j]
        if a != 0.0:
            q = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                f = indices[p]
                old = V[f, j]
                new = old + a * np.float64(data[p])
                V[f, j] = new
                q += (new - old) * (new + old)
            dq[j] += q
    for j in range(k):
        if B[j] > 0.0:
            s = vsq[j] + dq[j]
            vsq[j] = s if s > 0.0 else 0.0
            counts[j] += B[j]


@njit
def renormalize_scaled(V, scale, vsq):
    """Fold the scales into ``V`` (``V[:, j] *= scale[j]``, ``scale[j] = 1``) and recompute ``vsq`` exactly.

    ``vsq[j]`` is summed over the features in order (:func:`center_sqnorms`'s
    bits). Serial: deterministic.
    """
    d, k = V.shape
    for j in range(k):
        vsq[j] = 0.0
    for f in range(d):
        for j in range(k):
            x = V[f, j] * scale[j]
            V[f, j] = x
            vsq[j] += x * x
    for j in range(k):
        scale[j] = 1.0


@pjit
def assign_rows_hamerly(data, indices, indptr, xsq, CT, csq, labels, lower, drift_other, half_sep, gamma, cmax, mind, scanned):
    """Lloyd's labels (:func:`assign_rows`) with Hamerly's test skipping the scan of most points.

    A point keeps its label ``a`` when a bound proves that the scan would
    pick it again: its distance ``u`` to ``c_a`` (one sparse dot, O(nnz(x)))
    plus the rounding margin ``sqrt(2 E)`` is below ``max(half_sep[a],
    lower[i])``, where ``lower[i]`` bounds the distance to every other center
    from below (carried across iterations, decreased by the other centers'
    drift ``drift_other[a]``) and ``half_sep[a]`` is half the distance from
    ``c_a`` to the nearest other center. ``E = gamma_i (||x|| + cmax)^2``
    bounds the error of every squared distance of the expansion
    (``gamma_i = (d + nnz(x) + 8) 2^-52``), so the margin makes the skipped
    label exactly the one the scan's rounded values would give (first index
    on ties included); scanned points get bitwise the values of
    :func:`assign_rows`. ``labels[i] < 0`` forces a scan. ``mind[i]`` is the
    expansion's squared distance to the final center, as in
    :func:`assign_rows`; ``scanned[c]`` counts the scans of chunk ``c``.
    """
    n = indptr.shape[0] - 1
    k = CT.shape[1]
    d = CT.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        acc = np.empty(k, dtype=np.float64)
        cnt = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            lo = indptr[i]
            hi = indptr[i + 1]
            a = labels[i]
            if a >= 0 and k > 1:
                l_i = lower[i] - drift_other[a]
                own = 0.0
                for p in range(lo, hi):
                    own += np.float64(data[p]) * CT[indices[p], a]
                val = csq[a] - 2.0 * own
                s = xsq[i] + val
                d2 = s if s > 0.0 else 0.0
                root = np.sqrt(xsq[i]) + cmax
                err = gamma * (d + (hi - lo) + 8) * root * root
                u = np.sqrt(d2) + np.sqrt(err)
                m = half_sep[a] if half_sep[a] > l_i else l_i
                if (u + np.sqrt(2.0 * err)) * (1.0 + 1e-12) < m:
                    lower[i] = l_i
                    mind[i] = d2
                    continue
            cnt += 1
            for j in range(k):
                acc[j] = 0.0
            for p in range(lo, hi):
                v = np.float64(data[p])
                f = indices[p]
                for j in range(k):
                    acc[j] += v * CT[f, j]
            best = 0
            bestv = csq[0] - 2.0 * acc[0]
            second = np.inf
            for j in range(1, k):
                val = csq[j] - 2.0 * acc[j]
                if val < bestv:
                    second = bestv
                    bestv = val
                    best = j
                elif val < second:
                    second = val
            labels[i] = best
            s = xsq[i] + bestv
            mind[i] = s if s > 0.0 else 0.0
            if k > 1:
                root = np.sqrt(xsq[i]) + cmax
                err = gamma * (d + (hi - lo) + 8) * root * root
                s2 = xsq[i] + second
                lb = np.sqrt(s2 if s2 > 0.0 else 0.0) - np.sqrt(err)
                lower[i] = lb * (1.0 - 1e-12) if lb > 0.0 else 0.0
            else:
                lower[i] = np.inf
        scanned[c] = cnt


@pjit
def dots_by_columns(cdata, cindices, cindptr, cand_ptr, cand_f, cand_v, acc):
    """acc[t, i] = x_i . y_t for every row ``x_i`` and ``m`` sparse rows ``y_t`` (k-means++ candidates).

    ``cdata, cindices, cindptr`` are the data in CSC form (row indices
    ascending in each column); candidate ``t`` stores the features
    ``cand_f[cand_ptr[t]:cand_ptr[t+1]]`` (ascending) with the float64
    values ``cand_v``. Only the columns of the candidates' features are
    read, so a candidate costs the number of stored values in those columns
    instead of a pass over all the data. Each ``acc[t, i]`` adds the
    products ``x_{if} y_{tf}`` in ascending ``f`` from 0.0: the bits of the
    row-wise sum of :func:`sqdist_rows` (whose other products are exact
    zeros). Parallel over candidates, each written by one thread.
    """
    m, n = acc.shape
    for t in prange(m):
        for i in range(n):
            acc[t, i] = 0.0
        for q in range(cand_ptr[t], cand_ptr[t + 1]):
            f = cand_f[q]
            y = cand_v[q]
            for p in range(cindptr[f], cindptr[f + 1]):
                acc[t, cindices[p]] += np.float64(cdata[p]) * y


@pjit
def sqdist_from_dots(xsq, acc, csq, out):
    """out[i, t] = xsq[i] - 2 acc[t, i] + csq[t] (float64, clipped at 0), in parallel over chunks of rows."""
    m, n = acc.shape
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            for t in range(m):
                s = xsq[i] - 2.0 * acc[t, i] + csq[t]
                out[i, t] = s if s > 0.0 else 0.0
