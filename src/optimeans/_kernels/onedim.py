r"""Kernels of the exact one-dimensional k-means dynamic program.

Sorted points :math:`x_0 \le \dots \le x_{n-1}` with weights :math:`w_i > 0`.
Prefixes are indexed by their length ``t``: ``W[t] = sum_{i<t} w_i``,
``S[t] = sum_{i<t} w_i x_i``, ``Q[t] = sum_{i<t} w_i x_i^2``, so the cost of
one cluster made of the points ``j .. t-1`` is

.. math::  c(j, t) = (Q_t - Q_j) - (S_t - S_j)^2 / (W_t - W_j) .

``D_m[t]`` is the least cost of the first ``t`` points in ``m + 1`` clusters,
``D_m[t] = min_{m <= j < t} D_{m-1}[j] + c(j, t)``, and ``opt_m(t)`` the
leftmost minimizing ``j``. Because ``c`` satisfies the quadrangle inequality on
sorted data, the matrix ``D_{m-1}[j] + c(j, t)`` is Monge and

* ``opt_m(t)`` is non-decreasing in ``t`` (row minima are monotone), so the
  rows of a layer can be solved by divide and conquer: the middle row first,
  then each half searches only between its neighbours' argmins
  (O(n log n) evaluations per layer; Gronlund et al. 2017, section 2.2);
* ``opt_{m-1}(t) <= opt_m(t)`` (the last cluster shrinks when a cluster is
  added), a second lower bound that prunes the coarse levels of the
  recursion when m is large.

The recursion is unrolled by strides: rows ``p = s - 1 + 2 s q`` (``p = t -
t_lo``) for ``s = P, P/2, .., 1``, each row's neighbours ``p +- s`` having been
solved at a coarser stride. The rows of one stride are independent, and so
are the gaps between the rows of a coarse stride, which is how the kernel runs
in parallel; every row's argmin is computed by the same sequential scan
whatever the number of threads, so the result does not depend on it.

Only the argmins of the middle layers are kept (int32, (k - 2) x (n + 1)),
the costs of two layers at a time: n = 10^7 with k = 256 needs about 10 GiB.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange


@njit
def prefix_sums(xs, ws, W, S, Q):
    """Compensated (Kahan) prefix sums of w, w x and w x^2 into arrays of length n + 1.

    The compensation keeps the rounding error of every prefix near one ulp
    instead of letting it grow with ``t``, which matters for n in the millions.
    """
    n = xs.shape[0]
    W[0] = 0.0
    S[0] = 0.0
    Q[0] = 0.0
    cw = 0.0
    cs = 0.0
    cq = 0.0
    sw = 0.0
    ss = 0.0
    sq = 0.0
    for i in range(n):
        w = ws[i]
        x = xs[i]
        y = w - cw
        t = sw + y
        cw = (t - sw) - y
        sw = t
        y = w * x - cs
        t = ss + y
        cs = (t - ss) - y
        ss = t
        y = w * x * x - cq
        t = sq + y
        cq = (t - sq) - y
        sq = t
        W[i + 1] = sw
        S[i + 1] = ss
        Q[i + 1] = sq


@njit(inline="always")
def _between(s, w):
    """``s^2 / w``, the part of a segment's cost its mean removes; 0 for a segment
    whose weight is lost in the prefix sums (a weight of 1e-125 beside weights of 1:
    ``W[t] - W[j]`` rounds to 0, and the segment weighs nothing at this precision)."""
    if w > 0.0:
        return s * s / w
    return 0.0


@njit
def first_layer(W, S, Q, D):
    """D[t] = c(0, t): the first t points in one cluster (D[0] = 0)."""
    n = W.shape[0] - 1
    D[0] = 0.0
    for t in range(1, n + 1):
        s = S[t]
        D[t] = Q[t] - _between(s, W[t])


@njit(inline="always")
def _scan(S, W, E, inv, unit, t, lo, hi):
    """Leftmost argmin over lo <= j <= hi of E[j] - (S[t]-S[j])^2 / (W[t]-W[j]).

    ``E[j] = D_{m-1}[j] - Q[j]``; the constant ``Q[t]`` is added by the caller.
    With unit weights ``W[t] - W[j] = t - j`` and the division is a product
    with the table ``inv[d] = 1 / d``.
    """
    st = S[t]
    best = np.inf
    best_j = lo
    if unit:
        for j in range(lo, hi + 1):
            d = st - S[j]
            v = E[j] - d * d * inv[t - j]
            if v < best:
                best = v
                best_j = j
    else:
        wt = W[t]
        for j in range(lo, hi + 1):
            d = st - S[j]
            v = E[j] - _between(d, wt - W[j])
            if v < best:
                best = v
                best_j = j
    return best, best_j


@njit(inline="always")
def _solve_row(S, W, Q, E, inv, unit, m, t_lo, n_rows, p, s, argcur, argprev, Dcur):
    t = t_lo + p
    lo = m if p - s < 0 else argcur[t - s]
    if argprev[t] > lo:
        lo = argprev[t]
    hi = t - 1
    if p + s < n_rows and argcur[t + s] < hi:
        hi = argcur[t + s]
    best, j = _scan(S, W, E, inv, unit, t, lo, hi)
    argcur[t] = j
    Dcur[t] = best + Q[t]


@pjit
def dc_layer(S, W, Q, E, inv, unit, m, t_lo, t_hi, argprev, argcur, Dcur, n_gaps_target):
    """One layer: ``Dcur[t]``, ``argcur[t]`` for ``t_lo <= t <= t_hi``.

    ``argprev`` holds ``opt_{m-1}`` (or values <= m when there is none).
    The strides down to ``s_gap`` run one parallel loop per stride; below
    that, the gaps between solved rows are independent D&C problems handed to
    the threads as a whole (one parallel region instead of one per stride).
    """
    n_rows = t_hi - t_lo + 1
    P = 1
    while P * 2 <= n_rows:
        P *= 2
    s_gap = P
    while s_gap > 1 and (n_rows + s_gap - 1) // s_gap < n_gaps_target:
        s_gap //= 2
    # Strides P .. s_gap: one parallel loop per stride.
    s = P
    while s >= s_gap:
        cnt = (n_rows - s) // (2 * s) + 1 if n_rows >= s else 0
        for q in prange(cnt):
            _solve_row(S, W, Q, E, inv, unit, m, t_lo, n_rows, s - 1 + 2 * s * q, s, argcur, argprev, Dcur)
        s //= 2
    # Now every row p with (p + 1) % s_gap == 0 is solved. Gap g holds the rows
    # strictly between g * s_gap - 1 and (g + 1) * s_gap - 1; its finer strides
    # read only rows of the gap and its two solved ends, so gaps run in parallel.
    n_gaps = (n_rows + s_gap - 1) // s_gap
    for g in prange(n_gaps):
        base = g * s_gap
        end = min(base + s_gap - 1, n_rows)
        ss = s_gap // 2
        while ss >= 1:
            p = base + ss - 1
            while p < end:
                _solve_row(S, W, Q, E, inv, unit, m, t_lo, n_rows, p, ss, argcur, argprev, Dcur)
                p += 2 * ss
            ss //= 2


@njit
def last_layer(W, S, Q, Dprev, m):
    """The last layer needs one row only, t = n. Returns (D, leftmost argmin j)."""
    n = W.shape[0] - 1
    best = np.inf
    best_j = m
    for j in range(m, n):
        s = S[n] - S[j]
        v = Dprev[j] + (Q[n] - Q[j]) - _between(s, W[n] - W[j])
        if v < best:
            best = v
            best_j = j
    return best, best_j


@njit
def run_dp(W, S, Q, k, unit, back, n_gaps_target):
    """The whole DP for k >= 2 clusters; returns the cluster starts (length k + 1).

    ``back`` is an int32 array of shape (k - 2, n + 1) that receives the
    argmins of the middle layers. ``starts[c]`` is the first sorted index of
    cluster ``c``; ``starts[k] = n``. ``unit`` says every weight is 1, so
    ``W[t] = t`` exactly.
    """
    n = W.shape[0] - 1
    Dprev = np.empty(n + 1)
    Dcur = np.empty(n + 1)
    E = np.empty(n + 1)
    first_layer(W, S, Q, Dprev)
    inv = np.empty(n + 1 if unit else 1)
    if unit:
        inv[0] = np.inf
        for d in range(1, n + 1):
            inv[d] = 1.0 / d
    argcur = np.zeros(n + 1, dtype=np.int64)
    argprev = np.zeros(n + 1, dtype=np.int64)
    for m in range(1, k - 1):
        for j in range(n + 1):
            E[j] = Dprev[j] - Q[j]
        # m + 1 clusters need t >= m + 1 points; the k - 1 - m clusters after
        # them need n - t >= k - 1 - m.
        t_lo = m + 1
        t_hi = n - (k - 1 - m)
        dc_layer(S, W, Q, E, inv, unit, m, t_lo, t_hi, argprev, argcur, Dcur, n_gaps_target)
        row = back[m - 1]
        for t in range(t_lo, t_hi + 1):
            row[t] = argcur[t]
        tmp = Dprev
        Dprev = Dcur
        Dcur = tmp
        tmpa = argprev
        argprev = argcur
        argcur = tmpa
        # The next layer has one row more (t_hi + 1), which this one did not
        # solve: give it the neutral lower bound.
        if t_hi + 1 <= n:
            argprev[t_hi + 1] = 0
    _, j = last_layer(W, S, Q, Dprev, k - 1)
    starts = np.empty(k + 1, dtype=np.int64)
    starts[k] = n
    starts[k - 1] = j
    for m in range(k - 2, 0, -1):
        j = back[m - 1, j]
        starts[m] = j
    starts[0] = 0
    return starts
