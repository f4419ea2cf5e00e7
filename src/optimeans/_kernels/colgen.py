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
rounding margin of the point count as through it). That is O(n^2) candidate
points, each evaluated in O(n): O(n^3) per pricing.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit

#: More circles than this through one point: the pricing gives up (flag) rather
#: than enumerate 2**m subsets.
MAX_AMBIGUOUS = 12


@njit
def _value(X, w, lam, member):
    """lambda(S) - V(S) for the set ``member`` (bool), two-pass scatter in float64."""
    n = X.shape[0]
    W = 0.0
    sx = 0.0
    sy = 0.0
    L = 0.0
    for i in range(n):
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
    for i in range(n):
        if member[i]:
            dx = X[i, 0] - cx
            dy = X[i, 1] - cy
            V += w[i] * (dx * dx + dy * dy)
    return L - V


@njit
def _offer(value, member, top_val, top_set):
    """Keep the ``len(top_val)`` best sets seen (replace the worst kept)."""
    m = top_val.shape[0]
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
def _evaluate(X, w, lam, member, conf_a, conf_b, viol, spare, top_val, top_set, best):
    """Value of ``member``, or with a cannot-link pair inside it, of every way of dropping one end of each."""
    nv = 0
    for t in range(conf_a.shape[0]):
        if member[conf_a[t]] and member[conf_b[t]]:
            if nv >= viol.shape[0]:
                return best, False
            viol[nv] = t
            nv += 1
    if nv == 0:
        v = _value(X, w, lam, member)
        if v > best:
            best = v
        _offer(v, member, top_val, top_set)
        return best, True
    n = X.shape[0]
    for mask in range(1 << nv):
        for i in range(n):
            spare[i] = member[i]
        for t in range(nv):
            spare[conf_a[viol[t]] if (mask >> t) & 1 else conf_b[viol[t]]] = False
        v = _value(X, w, lam, spare)
        if v > best:
            best = v
        _offer(v, spare, top_val, top_set)
    return best, True


@njit
def _candidates_at(X, w, lam, px, py, ci, cj, base, amb, member, conf_a, conf_b, viol, spare, top_val, top_set, best):
    """Evaluate every set of the cells around point (px, py) on circles ci, cj; returns (best, ok)."""
    n = X.shape[0]
    n_amb = 0
    for i in range(n):
        if lam[i] <= 0.0:
            base[i] = False
            continue
        dx = X[i, 0] - px
        dy = X[i, 1] - py
        s = lam[i] - w[i] * (dx * dx + dy * dy)
        scale = abs(lam[i]) + w[i] * (dx * dx + dy * dy)
        if i == ci or i == cj or abs(s) <= 1e-9 * scale:
            base[i] = False
            if n_amb >= MAX_AMBIGUOUS:
                return best, False
            amb[n_amb] = i
            n_amb += 1
        else:
            base[i] = s > 0.0
    for mask in range(1 << n_amb):
        for i in range(n):
            member[i] = base[i]
        for t in range(n_amb):
            if (mask >> t) & 1:
                member[amb[t]] = True
        best, ok = _evaluate(X, w, lam, member, conf_a, conf_b, viol, spare, top_val, top_set, best)
        if not ok:
            return best, False
    return best, True


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
    n = X.shape[0]
    base = np.zeros(n, dtype=np.bool_)
    amb = np.zeros(MAX_AMBIGUOUS, dtype=np.int64)
    member = np.zeros(n, dtype=np.bool_)
    spare = np.zeros(n, dtype=np.bool_)
    viol = np.zeros(MAX_AMBIGUOUS, dtype=np.int64)
    best = -np.inf
    exact = True
    # singletons (the only non-empty sets when every multiplier is <= 0)
    for i in range(n):
        for l in range(n):
            member[l] = l == i
        v = lam[i]
        if v > best:
            best = v
        _offer(v, member, top_val, top_set)
    for i in range(n):
        if lam[i] <= 0.0:
            continue
        ri = np.sqrt(lam[i] / w[i])
        # a point of circle i (for cells bounded by vertex-free circles)
        best, ok = _candidates_at(X, w, lam, X[i, 0] + ri, X[i, 1], i, -1, base, amb, member, conf_a, conf_b, viol, spare, top_val, top_set, best)
        exact = exact and ok
        # the center itself
        best, ok = _candidates_at(X, w, lam, X[i, 0], X[i, 1], -1, -1, base, amb, member, conf_a, conf_b, viol, spare, top_val, top_set, best)
        exact = exact and ok
        for j in range(i + 1, n):
            if lam[j] <= 0.0:
                continue
            rj = np.sqrt(lam[j] / w[j])
            dx = X[j, 0] - X[i, 0]
            dy = X[j, 1] - X[i, 1]
            D2 = dx * dx + dy * dy
            D = np.sqrt(D2)
            if D <= 0.0 or D > ri + rj or D < abs(ri - rj):
                continue
            a = (ri * ri - rj * rj + D2) / (2.0 * D)
            h2 = ri * ri - a * a
            h = np.sqrt(h2) if h2 > 0.0 else 0.0
            mx = X[i, 0] + a * dx / D
            my = X[i, 1] + a * dy / D
            for sgn in (-1.0, 1.0):
                px = mx - sgn * h * dy / D
                py = my + sgn * h * dx / D
                best, ok = _candidates_at(X, w, lam, px, py, i, j, base, amb, member, conf_a, conf_b, viol, spare, top_val, top_set, best)
                exact = exact and ok
                if h == 0.0:
                    break
    return best, exact
