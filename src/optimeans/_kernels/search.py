"""Serial kernels of the global search: seeding, Lloyd to a fixed point, center utilities, mutation draws.

They run on one thread with no Python in the loop: the global search calls them
hundreds of times on small and medium data, where the launch cost of a
parallel kernel would dominate. Distances and sums are in float64.
Random numbers come in as arrays drawn by the caller's Generator.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit


@njit
def _sq(X, i, C, j):
    d = X.shape[1]
    s = 0.0
    for f in range(d):
        t = np.float64(X[i, f]) - C[j, f]
        s += t * t
    return s


@njit
def _pick(cum, u):
    """First index with cum[idx] > u (cum non-decreasing)."""
    lo, hi = 0, cum.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit
def seed_plusplus(X, w, k, n_trials, uniforms, centers):
    """Greedy k-means++ into ``centers`` (float64, k x d); ``uniforms`` has 1 + (k-1) n_trials draws in [0, 1)."""
    n, d = X.shape
    closest = np.empty(n)
    cand = np.empty(n)
    best_d = np.empty(n)
    cum = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc += w[i]
        cum[i] = acc
    first = _pick(cum, uniforms[0] * acc)
    for f in range(d):
        centers[0, f] = X[first, f]
    for i in range(n):
        closest[i] = _sq(X, i, centers, 0)
    u = 1
    for c in range(1, k):
        acc = 0.0
        for i in range(n):
            acc += w[i] * closest[i]
            cum[i] = acc
        best_pot = np.inf
        best_idx = -1
        for t in range(n_trials):
            draw = uniforms[u]
            u += 1
            if acc <= 0.0:
                idx = _pick(cum, draw * cum[n - 1]) if cum[n - 1] > 0 else int(draw * n)
            else:
                idx = _pick(cum, draw * acc)
            pot = 0.0
            for i in range(n):
                s = 0.0
                for f in range(d):
                    tt = np.float64(X[i, f]) - np.float64(X[idx, f])
                    s += tt * tt
                v = s if s < closest[i] else closest[i]
                cand[i] = v
                pot += w[i] * v
            if pot < best_pot:
                best_pot = pot
                best_idx = idx
                best_d[:] = cand
        for f in range(d):
            centers[c, f] = X[best_idx, f]
        closest[:] = best_d


@njit
def _full_assign(X, centers, i, ub, lb):
    """Nearest and second-nearest center of row i: returns the nearest; writes the distances (not squared)."""
    k, d = centers.shape
    b1 = np.inf
    b2 = np.inf
    j1 = 0
    for j in range(k):
        s = 0.0
        for f in range(d):
            t = np.float64(X[i, f]) - centers[j, f]
            s += t * t
        if s < b1:
            b2 = b1
            b1 = s
            j1 = j
        elif s < b2:
            b2 = s
    ub[i] = np.sqrt(b1)
    lb[i] = np.sqrt(b2)
    return j1


@njit
def lloyd_serial(X, w, centers, labels, mind, max_iter):
    """Lloyd from ``centers`` until no label changes or ``max_iter`` iterations.

    Exact Lloyd accelerated with Hamerly's bounds (an upper bound on the
    distance to the own center, a lower bound on the distance to every other
    one, both moved by the centers' drifts), so rows far from any change cost
    O(1) per iteration; the labels are those of plain Lloyd up to ties.
    Writes ``centers`` (the means of the final labels), ``labels`` and
    ``mind`` (squared distance of each row to its center). An empty cluster
    takes the row farthest from its center. Returns (iterations, objective).
    """
    n, d = X.shape
    k = centers.shape[0]
    sums = np.zeros((k, d))
    weights = np.zeros(k)
    ub = np.empty(n)
    lb = np.empty(n)
    old = np.empty((k, d))
    drift = np.zeros(k)
    half = np.zeros(k)
    it = 0
    full = True
    while it < max_iter:
        it += 1
        changed = 0
        if full:
            for j in range(k):
                weights[j] = 0.0
                for f in range(d):
                    sums[j, f] = 0.0
            for i in range(n):
                j = _full_assign(X, centers, i, ub, lb)
                if labels[i] != j:
                    changed += 1
                labels[i] = j
                weights[j] += w[i]
                for f in range(d):
                    sums[j, f] += w[i] * np.float64(X[i, f])
            full = False
        else:
            # half the distance from each center to its nearest other center
            for j in range(k):
                best = np.inf
                for l in range(k):
                    if l != j:
                        s = 0.0
                        for f in range(d):
                            t = centers[j, f] - centers[l, f]
                            s += t * t
                        if s < best:
                            best = s
                half[j] = 0.5 * np.sqrt(best)
            for i in range(n):
                a = labels[i]
                m = lb[i] if lb[i] > half[a] else half[a]
                if ub[i] <= m:
                    continue
                s = 0.0
                for f in range(d):
                    t = np.float64(X[i, f]) - centers[a, f]
                    s += t * t
                ub[i] = np.sqrt(s)
                if ub[i] <= m:
                    continue
                j = _full_assign(X, centers, i, ub, lb)
                if j != a:
                    changed += 1
                    labels[i] = j
                    weights[a] -= w[i]
                    weights[j] += w[i]
                    for f in range(d):
                        x = w[i] * np.float64(X[i, f])
                        sums[a, f] -= x
                        sums[j, f] += x
        if changed == 0 and it > 1:
            break
        for j in range(k):
            for f in range(d):
                old[j, f] = centers[j, f]
        empty = False
        for j in range(k):
            if weights[j] > 0.0:
                for f in range(d):
                    centers[j, f] = sums[j, f] / weights[j]
            else:
                empty = True
        if empty:
            # an empty cluster takes the row farthest from its center; bounds restart
            for j in range(k):
                if weights[j] <= 0.0:
                    far = -1.0
                    fi = -1
                    for i in range(n):
                        v = w[i] * ub[i] * ub[i]
                        if v > far:
                            far = v
                            fi = i
                    if far > 0.0:
                        for f in range(d):
                            centers[j, f] = X[fi, f]
                        ub[fi] = 0.0
            full = True
            continue
        m1 = 0.0
        m2 = 0.0
        j1 = -1
        for j in range(k):
            s = 0.0
            for f in range(d):
                t = centers[j, f] - old[j, f]
                s += t * t
            drift[j] = np.sqrt(s)
            if drift[j] > m1:
                m2 = m1
                m1 = drift[j]
                j1 = j
            elif drift[j] > m2:
                m2 = drift[j]
        for i in range(n):
            a = labels[i]
            ub[i] += drift[a]
            lb[i] -= m2 if a == j1 else m1
    # recompute the sums from the labels (no drift from the incremental updates),
    # the centers as their means, and the objective exactly
    for j in range(k):
        weights[j] = 0.0
        for f in range(d):
            sums[j, f] = 0.0
    for i in range(n):
        j = labels[i]
        weights[j] += w[i]
        for f in range(d):
            sums[j, f] += w[i] * np.float64(X[i, f])
    for j in range(k):
        if weights[j] > 0.0:
            for f in range(d):
                centers[j, f] = sums[j, f] / weights[j]
    obj = 0.0
    for i in range(n):
        s = _sq(X, i, centers, labels[i])
        mind[i] = s
        obj += w[i] * s
    return it, obj


@njit
def center_utility(X, w, centers, labels, error, utility):
    """Per center: ``error[j]`` its cluster's weighted SSE, ``utility[j]`` the rise of
    the objective if it were removed (each of its rows moving to its second-nearest
    center, the others staying): ``sum_{i in j} w_i (d2_i - d1_i)``."""
    n, d = X.shape
    k = centers.shape[0]
    for j in range(k):
        error[j] = 0.0
        utility[j] = 0.0
    for i in range(n):
        j = labels[i]
        d1 = _sq(X, i, centers, j)
        d2 = np.inf
        for l in range(k):
            if l != j:
                s = _sq(X, i, centers, l)
                if s < d2:
                    d2 = s
        error[j] += w[i] * d1
        if d2 < np.inf:
            utility[j] += w[i] * (d2 - d1)


@njit
def nearest_center_pairs(centers, out):
    """out[j] = index of the center nearest to center j."""
    k, d = centers.shape
    for j in range(k):
        best = np.inf
        bl = j
        for l in range(k):
            if l != j:
                s = 0.0
                for f in range(d):
                    t = centers[j, f] - centers[l, f]
                    s += t * t
                if s < best:
                    best = s
                    bl = l
        out[j] = bl


@njit
def nearest_sq_except(X, centers, skip, out):
    """out[i] = squared distance from row i to its nearest center other than ``skip``."""
    n = X.shape[0]
    k = centers.shape[0]
    for i in range(n):
        best = np.inf
        for j in range(k):
            if j != skip:
                s = _sq(X, i, centers, j)
                if s < best:
                    best = s
        out[i] = best
