r"""Exact pricing of column generation for k-means in the plane.

Given multipliers :math:`\lambda_i` of the covering constraints, the pricing
problem is :math:`P = \max_{S \ne \emptyset} \lambda(S) - V(S)`, where
:math:`V(S)` is the weighted scatter of the set. Since
:math:`V(S) = \min_c \sum_{i \in S} w_i \lVert x_i - c \rVert^2`,

.. math::  P = \max_c \sum_i \big(\lambda_i - w_i \lVert x_i - c \rVert^2\big)_+ ,

and an optimal set is ``{i : c* in disk_i}`` for the centroid ``c*`` of that
set, where ``disk_i`` has center ``x_i`` and squared radius
``lambda_i / w_i``. So it is enough to evaluate the set of every cell of the
arrangement of these disks (Aloise, Hansen & Liberti 2012 use the same
geometry in the plane). Every bounded cell has on its boundary either a
vertex (two circles crossing) or a whole circle free of vertices; the kernel
takes each crossing point and one point of each circle, and every set obtained
by putting the circles through that point in or out (all circles within a
rounding margin of the point count as through it).

A grid of cells (side about the median radius) lists the disks whose
bounding box meets each cell, so a candidate point looks only at the disks of
its cell and a circle only at the circles of the cells it covers: with n
disks of which each meets about m others, a pricing costs O(n m^2) instead of
the O(n^3) of looking at every disk from every point (u1060, k = 50: about
1 s per pricing over every disk, far less over the grid).
"""

from __future__ import annotations

import numpy as np

from .._numba import njit

#: More circles than this through one point: the pricing gives up (flag) rather
#: than enumerate 2**m subsets.
MAX_AMBIGUOUS = 12


@njit
def _value(X, w, lam, idx, cnt, member):
    """lambda(S) - V(S) for S = the rows ``idx[:cnt]`` with ``member`` set, two-pass scatter in float64."""
    W = 0.0
    sx = 0.0
    sy = 0.0
    L = 0.0
    for t in range(cnt):
        i = idx[t]
        if member[i]:
            W += w[i]
            sx += w[i] * X[i, 0]
            sy += w[i] * X[i, 1]
            L += lam[i]
    if W <= 0.0:
        return -np.inf
    cx = sx / W
    cy = sy / W
    V = 0.0
    for t in range(cnt):
        i = idx[t]
        if member[i]:
            dx = X[i, 0] - cx
            dy = X[i, 1] - cy
            V += w[i] * (dx * dx + dy * dy)
    return L - V


@njit
def _offer(value, member, top_val, top_set):
    """Keep the ``len(top_val)`` best sets seen (replace the worst kept)."""
    m = top_val.shape[0]
    if m == 0:
        return
    worst = 0
    for t in range(1, m):
        if top_val[t] < top_val[worst]:
            worst = t
    if value <= top_val[worst]:
        return
    # skip a set already kept
    n = member.shape[0]
    for t in range(m):
        if top_val[t] == value:
            same = True
            for i in range(n):
                if top_set[t, i] != member[i]:
                    same = False
                    break
            if same:
                return
    top_val[worst] = value
    for i in range(n):
        top_set[worst, i] = member[i]


@njit
def _keep(value, member, idx, cnt, owner, disk_val, disk_set):
    """The best set found so far at a point of circle ``owner`` (per-disk columns)."""
    if owner < 0 or disk_val.shape[0] == 0 or value <= disk_val[owner]:
        return
    disk_val[owner] = value
    n = member.shape[0]
    for i in range(n):
        disk_set[owner, i] = False
    for t in range(cnt):
        i = idx[t]
        if member[i]:
            disk_set[owner, i] = True


@njit
def _evaluate(X, w, lam, idx, cnt, member, conf_a, conf_b, viol, spare, top_val, top_set, best, ci, cj,
              disk_val, disk_set):
    """Value of the set ``idx[:cnt]`` (``member`` marks it), or with a cannot-link pair inside it, of every way
    of dropping one end of each."""
    nv = 0
    for t in range(conf_a.shape[0]):
        if member[conf_a[t]] and member[conf_b[t]]:
            if nv >= viol.shape[0]:
                return best, False
            viol[nv] = t
            nv += 1
    if nv == 0:
        v = _value(X, w, lam, idx, cnt, member)
        if v > best:
            best = v
        _offer(v, member, top_val, top_set)
        _keep(v, member, idx, cnt, ci, disk_val, disk_set)
        _keep(v, member, idx, cnt, cj, disk_val, disk_set)
        return best, True
    for mask in range(1 << nv):
        for t in range(cnt):
            spare[idx[t]] = member[idx[t]]
        for t in range(nv):
            spare[conf_a[viol[t]] if (mask >> t) & 1 else conf_b[viol[t]]] = False
        v = _value(X, w, lam, idx, cnt, spare)
        if v > best:
            best = v
        _offer(v, spare, top_val, top_set)
        _keep(v, spare, idx, cnt, ci, disk_val, disk_set)
        _keep(v, spare, idx, cnt, cj, disk_val, disk_set)
    for t in range(cnt):
        spare[idx[t]] = False
    return best, True


@njit
def _candidates_at(X, w, lam, px, py, ci, cj, cell_start, cell_disk, x0, y0, h, nx, ny, base, amb, member, idx,
                   conf_a, conf_b, viol, spare, top_val, top_set, best, owner, disk_val, disk_set):
    """Evaluate every set of the cells around point (px, py) on circles ci, cj; returns (best, ok).

    Only the disks listed in the grid cell of the point can hold it.
    """
    gx = min(max(int(np.floor((px - x0) / h)), 0), nx - 1)
    gy = min(max(int(np.floor((py - y0) / h)), 0), ny - 1)
    c = gx * ny + gy
    n_amb = 0
    cnt = 0
    for t in range(cell_start[c], cell_start[c + 1]):
        i = cell_disk[t]
        dx = X[i, 0] - px
        dy = X[i, 1] - py
        s = lam[i] - w[i] * (dx * dx + dy * dy)
        scale = abs(lam[i]) + w[i] * (dx * dx + dy * dy)
        if i == ci or i == cj or abs(s) <= 1e-9 * scale:
            if n_amb >= MAX_AMBIGUOUS:
                for q in range(cnt):
                    member[idx[q]] = False
                return best, False
            amb[n_amb] = i
            n_amb += 1
        elif s > 0.0:
            idx[cnt] = i
            cnt += 1
    n_base = cnt
    for q in range(n_amb):
        idx[n_base + q] = amb[q]
    cnt = n_base + n_amb
    # in row order: a set's value is then the same bits wherever it is met (the
    # kept sets are told apart by value first)
    idx[:cnt].sort()
    ok = True
    for mask in range(1 << n_amb):
        for q in range(cnt):
            member[idx[q]] = True
        for q in range(n_amb):
            member[amb[q]] = (mask >> q) & 1 == 1
        best, ok = _evaluate(X, w, lam, idx, cnt, member, conf_a, conf_b, viol, spare, top_val, top_set, best,
                             owner, cj if owner >= 0 else -1, disk_val, disk_set)
        if not ok:
            break
    for q in range(cnt):
        member[idx[q]] = False
    return best, ok


@njit
def _price(X, w, lam, conf_a, conf_b, top_val, top_set, disk_val, disk_set, part=0, parts=1):
    # part, parts: only the circles i = part, part + parts, ... are looked at (the singletons in part 0),
    # so that ``parts`` calls, one per thread, together cover every candidate point once
    n = X.shape[0]
    base = np.zeros(n, dtype=np.bool_)
    amb = np.zeros(MAX_AMBIGUOUS, dtype=np.int64)
    member = np.zeros(n, dtype=np.bool_)
    spare = np.zeros(n, dtype=np.bool_)
    idx = np.zeros(n, dtype=np.int64)
    viol = np.zeros(MAX_AMBIGUOUS, dtype=np.int64)
    best = -np.inf
    exact = True
    # singletons (the only non-empty sets when every multiplier is <= 0)
    for i in range(n if part == 0 else 0):
        v = lam[i]
        if v > best:
            best = v
        if top_val.shape[0] > 0 and v > top_val.min():
            member[i] = True
            _offer(v, member, top_val, top_set)
            member[i] = False
    # radii and the grid
    r = np.zeros(n)
    n_pos = 0
    for i in range(n):
        if lam[i] > 0.0:
            r[i] = np.sqrt(lam[i] / w[i])
            n_pos += 1
    if n_pos == 0:
        return best, exact
    radii = np.empty(n_pos)
    x0, y0, x1, y1 = np.inf, np.inf, -np.inf, -np.inf
    q = 0
    for i in range(n):
        if lam[i] > 0.0:
            radii[q] = r[i]
            q += 1
            x0 = min(x0, X[i, 0] - r[i])
            x1 = max(x1, X[i, 0] + r[i])
            y0 = min(y0, X[i, 1] - r[i])
            y1 = max(y1, X[i, 1] + r[i])
    span = max(x1 - x0, y1 - y0)
    side = int(np.sqrt(4.0 * n_pos)) + 1  # at most about 4 n cells
    h = max(np.median(radii), span / side, 1e-300)
    nx = min(int((x1 - x0) / h) + 1, side + 1)
    ny = min(int((y1 - y0) / h) + 1, side + 1)
    h = max(h, (x1 - x0) / nx, (y1 - y0) / ny) * (1.0 + 1e-12)
    # a disk is listed in every cell its bounding box (widened by a rounding margin) meets
    lo_x = np.zeros(n, dtype=np.int64)
    hi_x = np.zeros(n, dtype=np.int64)
    lo_y = np.zeros(n, dtype=np.int64)
    hi_y = np.zeros(n, dtype=np.int64)
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for i in range(n):
        if lam[i] <= 0.0:
            continue
        m = 1e-7 * (r[i] + h)
        lo_x[i] = min(max(int(np.floor((X[i, 0] - r[i] - m - x0) / h)), 0), nx - 1)
        hi_x[i] = min(max(int(np.floor((X[i, 0] + r[i] + m - x0) / h)), 0), nx - 1)
        lo_y[i] = min(max(int(np.floor((X[i, 1] - r[i] - m - y0) / h)), 0), ny - 1)
        hi_y[i] = min(max(int(np.floor((X[i, 1] + r[i] + m - y0) / h)), 0), ny - 1)
        for a in range(lo_x[i], hi_x[i] + 1):
            for b in range(lo_y[i], hi_y[i] + 1):
                counts[a * ny + b + 1] += 1
    cell_start = np.cumsum(counts)
    fill = cell_start[:-1].copy()
    cell_disk = np.empty(cell_start[-1], dtype=np.int64)
    for i in range(n):
        if lam[i] <= 0.0:
            continue
        for a in range(lo_x[i], hi_x[i] + 1):
            for b in range(lo_y[i], hi_y[i] + 1):
                cell_disk[fill[a * ny + b]] = i
                fill[a * ny + b] += 1
    stamp = np.full(n, -1, dtype=np.int64)
    for i in range(part, n, parts):
        if lam[i] <= 0.0:
            continue
        ri = r[i]
        # a point of circle i (for cells bounded by vertex-free circles)
        best, ok = _candidates_at(X, w, lam, X[i, 0] + ri, X[i, 1], i, -1, cell_start, cell_disk, x0, y0, h, nx, ny,
                                  base, amb, member, idx, conf_a, conf_b, viol, spare, top_val, top_set, best, i,
                                  disk_val, disk_set)
        exact = exact and ok
        # the center itself
        best, ok = _candidates_at(X, w, lam, X[i, 0], X[i, 1], -1, -1, cell_start, cell_disk, x0, y0, h, nx, ny,
                                  base, amb, member, idx, conf_a, conf_b, viol, spare, top_val, top_set, best, i,
                                  disk_val, disk_set)
        exact = exact and ok
        # the crossings of circle i with the circles j > i of the cells it covers
        for a in range(lo_x[i], hi_x[i] + 1):
            for b in range(lo_y[i], hi_y[i] + 1):
                c = a * ny + b
                for t in range(cell_start[c], cell_start[c + 1]):
                    j = cell_disk[t]
                    if j <= i or stamp[j] == i:
                        continue
                    stamp[j] = i
                    rj = r[j]
                    dx = X[j, 0] - X[i, 0]
                    dy = X[j, 1] - X[i, 1]
                    D2 = dx * dx + dy * dy
                    D = np.sqrt(D2)
                    if D <= 0.0 or D > ri + rj or D < abs(ri - rj):
                        continue
                    aa = (ri * ri - rj * rj + D2) / (2.0 * D)
                    h2 = ri * ri - aa * aa
                    hh = np.sqrt(h2) if h2 > 0.0 else 0.0
                    mx = X[i, 0] + aa * dx / D
                    my = X[i, 1] + aa * dy / D
                    for sgn in (-1.0, 1.0):
                        px = mx - sgn * hh * dy / D
                        py = my + sgn * hh * dx / D
                        best, ok = _candidates_at(X, w, lam, px, py, i, j, cell_start, cell_disk, x0, y0, h, nx, ny,
                                                  base, amb, member, idx, conf_a, conf_b, viol, spare, top_val,
                                                  top_set, best, i, disk_val, disk_set)
                        exact = exact and ok
                        if hh == 0.0:
                            break
    return best, exact


@njit
def price_plane(X, w, lam, conf_a, conf_b, top_val, top_set):
    """Exact pricing for 2-D data.

    Parameters
    ----------
    X : float64 (n, 2); w : float64 (n,) positive; lam : float64 (n,)
    conf_a, conf_b : int64 (c,), pairs of rows no set may hold together
        (cannot-link branching); the best set of a cell holding such a pair
        drops one end of it
    top_val : float64 (m,), filled with -inf by the caller; top_set : bool (m, n)
        receive the ``m`` best sets found

    Returns
    -------
    best : float, ``max_S lambda(S) - V(S)`` over non-empty sets
    exact : bool, False when a point had more than ``MAX_AMBIGUOUS`` circles
        through it or a set broke more than ``MAX_AMBIGUOUS`` cannot-link
        pairs (then ``best`` may be below the true maximum)
    """
    return _price(X, w, lam, conf_a, conf_b, top_val, top_set, np.zeros(0), np.zeros((0, 0), dtype=np.bool_))


@njit
def price_plane_columns(X, w, lam, conf_a, conf_b, top_val, top_set, disk_val, disk_set):
    """:func:`price_plane`, and for every disk the best set found at a point of its circle or its center.

    ``disk_val`` : float64 (n,), filled with -inf by the caller; ``disk_set`` :
    bool (n, n). Row ``i`` receives the best set among the cells around the
    points of circle ``i`` (its crossings with the other circles, one more
    point of it) and around ``x_i``: many distinct sets of high value spread
    over the plane, where the ``m`` best overall are often variations of one.
    """
    return _price(X, w, lam, conf_a, conf_b, top_val, top_set, disk_val, disk_set)


@njit
def price_plane_columns_part(X, w, lam, conf_a, conf_b, top_val, top_set, disk_val, disk_set, part, parts):
    """:func:`price_plane_columns` over the candidate points of the circles ``i = part (mod parts)`` only.

    The ``parts`` calls ``part = 0 .. parts - 1`` together look at every
    candidate point once: the maximum of their ``best`` is the exact pricing
    value (exact when every call is), and merging their kept sets gives the
    columns of one whole pricing. The kernel holds no GIL, so the calls run in
    parallel from Python threads, each with its own ``top_*`` and ``disk_*``
    buffers (``disk_set`` rows of other parts' circles are written too: a
    crossing of circles ``i`` and ``j`` is kept for both).
    """
    return _price(X, w, lam, conf_a, conf_b, top_val, top_set, disk_val, disk_set, part, parts)
