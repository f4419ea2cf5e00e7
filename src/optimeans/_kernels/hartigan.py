r"""Kernels of Hartigan's single-point transfers.

Moving point :math:`x_i` (weight :math:`w_i`) from cluster :math:`j` (weight
:math:`W_j`, mean :math:`c_j`) to cluster :math:`l` changes the objective by
exactly

.. math::  \Delta = \frac{W_l}{W_l + w_i} w_i \lVert x_i - c_l \rVert^2
                 - \frac{W_j}{W_j - w_i} w_i \lVert x_i - c_j \rVert^2 ,

the insertion cost minus the removal gain, when both centers follow their
means. A transfer is made when :math:`\Delta < 0` (by more than a relative
``eps``, so that rounding cannot make two moves undo each other forever).

Bookkeeping is in float64 whatever X's dtype: cluster sums ``S_j``, weights
``W_j`` and centers ``c_j = S_j / W_j``.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit


@njit
def compute_cluster_stats(X, sample_weight, labels, sums, weights, centers):
    """sums[j] = sum w_i x_i, weights[j] = sum w_i, centers[j] = sums[j] / weights[j] (float64).

    A cluster without weight keeps its previous center.
    """
    n, d = X.shape
    k = sums.shape[0]
    for j in range(k):
        weights[j] = 0.0
        for f in range(d):
            sums[j, f] = 0.0
    for i in range(n):
        j = labels[i]
        wi = np.float64(sample_weight[i])
        weights[j] += wi
        for f in range(d):
            sums[j, f] += wi * np.float64(X[i, f])
    for j in range(k):
        if weights[j] > 0.0:
            for f in range(d):
                centers[j, f] = sums[j, f] / weights[j]


@njit
def labelled_objective(X, sample_weight, labels, centers):
    """sum_i w_i ||x_i - centers[labels_i]||^2 in float64."""
    n, d = X.shape
    total = 0.0
    for i in range(n):
        j = labels[i]
        s = 0.0
        for f in range(d):
            t = np.float64(X[i, f]) - centers[j, f]
            s += t * t
        total += np.float64(sample_weight[i]) * s
    return total


@njit
def _sqdist(X, i, centers, j):
    d = X.shape[1]
    s = 0.0
    for f in range(d):
        t = np.float64(X[i, f]) - centers[j, f]
        s += t * t
    return s


@njit
def hartigan_sweep(X, sample_weight, labels, sums, weights, centers, last_changed, last_checked, clock, eps):
    """One pass of single-point transfers over the rows in order.

    Parameters (all updated in place)
    ---------------------------------
    labels : int64 (n,)
    sums, weights, centers : float64 (k, d), (k,), (k, d), consistent with labels
    last_changed : int64 (k,), the clock value when each cluster last changed
    last_checked : int64 (n,), the clock value when each row was last examined
    clock : int, the current move counter (a row examined at clock t whose own
        cluster is unchanged since then need only be tested against clusters
        that changed after t: the live-set rule of Hartigan & Wong 1979)
    eps : float, relative margin a transfer must gain

    Returns
    -------
    (n_moves, gain, clock) : moves made, total decrease of the objective, new clock
    """
    n, d = X.shape
    k = sums.shape[0]
    n_moves = 0
    gain = 0.0
    for i in range(n):
        wi = np.float64(sample_weight[i])
        if wi <= 0.0:
            continue
        j = labels[i]
        wj = weights[j]
        seen = last_checked[i]
        last_checked[i] = clock
        if wj - wi <= 0.0:
            continue  # the only weight of its cluster: leaving cannot gain
        own_fresh = last_changed[j] <= seen
        removal = wj / (wj - wi) * wi * _sqdist(X, i, centers, j)
        if removal <= 0.0:
            continue
        best = removal
        best_l = -1
        for l in range(k):
            if l == j:
                continue
            if own_fresh and last_changed[l] <= seen:
                continue  # neither cluster changed since this row was last examined
            wl = weights[l]
            if wl <= 0.0:
                cost = 0.0
            else:
                # partial distance with early exit against the best so far
                factor = wl / (wl + wi) * wi
                limit = best / factor
                s = 0.0
                for f in range(d):
                    t = np.float64(X[i, f]) - centers[l, f]
                    s += t * t
                    if s >= limit:
                        break
                cost = factor * s
            if cost < best:
                best = cost
                best_l = l
        if best_l < 0 or removal - best <= eps * removal:
            continue
        l = best_l
        # move i from j to l
        weights[j] = wj - wi
        weights[l] += wi
        for f in range(d):
            x = np.float64(X[i, f])
            sums[j, f] -= wi * x
            sums[l, f] += wi * x
        for f in range(d):
            centers[j, f] = sums[j, f] / weights[j]
            centers[l, f] = sums[l, f] / weights[l]
        labels[i] = l
        clock += 1
        last_changed[j] = clock
        last_changed[l] = clock
        last_checked[i] = clock
        n_moves += 1
        gain += removal - best
    return n_moves, gain, clock
