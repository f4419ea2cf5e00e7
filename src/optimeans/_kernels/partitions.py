r"""Kernel that walks every partition of a tiny set into exactly k blocks.

Partitions are restricted growth strings (RGS): ``a[0] = 0`` and
``a[i] <= 1 + max(a[:i])``, each partition of {0..n-1} appearing exactly once,
in lexicographic order. For each one the kernel computes the objective, whether it is a
fixed point of Lloyd's iteration (no point strictly nearer another cluster's
mean, and no two clusters with the same mean) and whether it is stable under single-point moves: moving ``x_i``
(weight ``w_i``) from cluster ``j`` (weight ``W_j``) to ``l`` changes the
objective by

.. math::  \frac{W_l w_i}{W_l + w_i} \lVert x_i - c_l \rVert^2
         - \frac{W_j w_i}{W_j - w_i} \lVert x_i - c_j \rVert^2 ,

and a partition is Hartigan-stable when no such change is negative. A move
gains at least as much as Lloyd's reassignment of the same point, so every
Hartigan-stable partition is a Lloyd fixed point and the second test only
runs on those. Both tests treat gains below ``tol`` as ties (no move), so a
point equidistant from two centers does not break a fixed point.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit


@njit
def _evaluate(X, w, a, k, sums, wts, centers, tol):
    """(objective, lloyd_fixed, hartigan_stable) of the partition a."""
    n, d = X.shape
    for j in range(k):
        wts[j] = 0.0
        for f in range(d):
            sums[j, f] = 0.0
    for i in range(n):
        j = a[i]
        wts[j] += w[i]
        for f in range(d):
            sums[j, f] += w[i] * X[i, f]
    for j in range(k):
        for f in range(d):
            centers[j, f] = sums[j, f] / wts[j] if wts[j] > 0 else 0.0
    # The objective summed point by point (not total - sum |S_j|^2 / W_j): no
    # cancellation, so equal objectives come out equal and ties are seen.
    obj = 0.0
    for i in range(n):
        j = a[i]
        dj = 0.0
        for f in range(d):
            t = X[i, f] - centers[j, f]
            dj += t * t
        obj += w[i] * dj
    # Lloyd: is some point strictly (beyond tol) nearer another center?
    lloyd = True
    for i in range(n):
        if w[i] <= 0:
            continue
        j = a[i]
        dj = 0.0
        for f in range(d):
            t = X[i, f] - centers[j, f]
            dj += t * t
        for l in range(k):
            if l == j or wts[l] <= 0:
                continue
            dl = 0.0
            for f in range(d):
                t = X[i, f] - centers[l, f]
                dl += t * t
            if w[i] * (dj - dl) > tol:
                lloyd = False
                break
        if not lloyd:
            break
    if lloyd:
        # Two clusters with the same mean tie every one of their points; such
        # partitions are degenerate (merging the two costs nothing), not minima.
        for j in range(k):
            for l in range(j + 1, k):
                dc = 0.0
                for f in range(d):
                    t = centers[j, f] - centers[l, f]
                    dc += t * t
                if wts[j] * wts[l] / (wts[j] + wts[l]) * dc <= tol:
                    lloyd = False
    if not lloyd:
        return obj, False, False
    hartigan = True
    for i in range(n):
        j = a[i]
        wi = w[i]
        if wi <= 0 or wts[j] - wi <= 0:
            continue  # a zero weight never changes anything; a singleton cannot leave
        dj = 0.0
        for f in range(d):
            t = X[i, f] - centers[j, f]
            dj += t * t
        removal = wts[j] * wi / (wts[j] - wi) * dj
        for l in range(k):
            if l == j:
                continue
            dl = 0.0
            for f in range(d):
                t = X[i, f] - centers[l, f]
                dl += t * t
            insertion = wts[l] * wi / (wts[l] + wi) * dl
            if removal - insertion > tol:
                hartigan = False
                break
        if not hartigan:
            break
    return obj, True, hartigan


@njit
def walk_partitions(X, w, k, only_lloyd, tol, out_labels, out_obj, out_flags, counts):
    """Visit every k-block partition of the rows of X.

    Stores the partitions (all of them, or with ``only_lloyd`` the Lloyd fixed
    points) in visiting order into ``out_labels`` (m, n) int8, ``out_obj``
    (m,) and ``out_flags`` (m,) uint8 (bit 0 Lloyd, bit 1 Hartigan) while
    there is room. ``counts`` receives [partitions visited, partitions that
    qualified for storage (stored or not), Lloyd fixed points, Hartigan-stable
    ones]. Returns the least objective.
    """
    n, d = X.shape
    cap = out_obj.shape[0]
    sums = np.empty((k, d))
    wts = np.empty(k)
    centers = np.empty((k, d))
    a = np.zeros(n, dtype=np.int64)
    mx = np.zeros(n, dtype=np.int64)  # mx[i] = max(a[:i+1])
    # First RGS with exactly k blocks: 0 ... 0 1 2 ... k-1.
    for i in range(n - k + 1, n):
        a[i] = i - (n - k)
    for i in range(1, n):
        mx[i] = max(mx[i - 1], a[i])
    best = np.inf
    n_visit = 0
    n_keep = 0
    n_lloyd = 0
    n_hart = 0
    while True:
        obj, lloyd, hart = _evaluate(X, w, a, k, sums, wts, centers, tol)
        n_visit += 1
        if obj < best:
            best = obj
        if lloyd:
            n_lloyd += 1
        if hart:
            n_hart += 1
        if lloyd or not only_lloyd:
            if n_keep < cap:
                for i in range(n):
                    out_labels[n_keep, i] = a[i]
                out_obj[n_keep] = obj
                out_flags[n_keep] = (1 if lloyd else 0) | (2 if hart else 0)
            n_keep += 1
        # Next RGS: the rightmost position that can grow, then the smallest tail.
        i = n - 1
        while i >= 1:
            prev_max = mx[i - 1]
            v = a[i] + 1
            if v <= prev_max + 1 and v <= k - 1:
                new_max = max(prev_max, v)
                if n - 1 - i >= k - 1 - new_max:
                    break
            i -= 1
        if i < 1:
            break
        a[i] += 1
        mx[i] = max(mx[i - 1], a[i])
        need = k - 1 - mx[i]  # labels still to introduce, in the last positions
        for p in range(i + 1, n):
            if p >= n - need:
                a[p] = mx[i] + (p - (n - need)) + 1
            else:
                a[p] = 0
            mx[p] = max(mx[p - 1], a[p])
    counts[0] = n_visit
    counts[1] = n_keep
    counts[2] = n_lloyd
    counts[3] = n_hart
    return best
