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

The layers carry ``E_m[t] = D_m[t] - Q_t`` (``Q_t = sum_{i<t} w_i x_i^2``
is a constant of row ``t``'s minimisation, so it is never formed):
``E_m[t] = min_j E_{m-1}[j] - (S_t - S_j)^2 / (W_t - W_j)``.

The recursion is unrolled by strides: rows ``p = s - 1 + 2 s q`` (``p = t -
t_lo``) for ``s = P, P/2, ..``, each row's neighbours ``p +- s`` having been
solved at a coarser stride. The rows of one stride are independent, and so
are the gaps between the rows of a coarse stride, which is how the kernel runs
in parallel. The strides stop at blocks of ``BLOCK`` rows: most blocks lie
between two rows with (nearly) the same argmin, and those are solved by
trying the few candidates against every row in a branch-free loop
(:func:`_band`) instead of by ``log2(BLOCK)`` strides of one- or
two-element scans, whose loop overhead dominated the time. Which rows are
scanned, banded or bounded depends on the row indices only, never on the
number of threads, so neither does the result.

Only the argmins of the middle layers are kept (int32, (k - 2) x (n + 1),
written in place, the previous layer's row serving as the lower bound), the
values of two layers at a time: n = 10^7 with k = 256 needs about 10 GiB.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange


@njit
def prefix_sums(xs, ws, unit, W, S):
    """Compensated (Kahan) prefix sums of w and w x into arrays of length n + 1.

    With ``unit`` every weight is 1 (``ws`` is not read) and ``W[t] = t``
    exactly. The compensation keeps the rounding error of every prefix near
    one ulp instead of letting it grow with ``t``, which matters for n in the
    millions. (The sums of ``w x^2`` are not needed: ``Q[t]`` is a constant
    of row ``t``'s minimisation.)
    """
    n = xs.shape[0]
    W[0] = 0.0
    S[0] = 0.0
    cw = 0.0
    cs = 0.0
    sw = 0.0
    ss = 0.0
    for i in range(n):
        w = 1.0 if unit else ws[i]
        if unit:
            sw = i + 1.0
        else:
            y = w - cw
            t = sw + y
            cw = (t - sw) - y
            sw = t
        y = w * xs[i] - cs
        t = ss + y
        cs = (t - ss) - y
        ss = t
        W[i + 1] = sw
        S[i + 1] = ss


@njit(inline="always")
def _between(s, w):
    """``s^2 / w``, the part of a segment's cost its mean removes; 0 for a segment
    whose weight is lost in the prefix sums (a weight of 1e-125 beside weights of 1:
    ``W[t] - W[j]`` rounds to 0, and the segment weighs nothing at this precision)."""
    if w > 0.0:
        return s * s / w
    return 0.0


@njit
def first_layer(W, S, E):
    """E[t] = c(0, t) - Q[t] = -S[t]^2 / W[t]: the first t points in one cluster."""
    n = W.shape[0] - 1
    E[0] = 0.0
    for t in range(1, n + 1):
        E[t] = -_between(S[t], W[t])


#: Scans longer than this run over slices (see :func:`_scan`).
LONG_SCAN = 32


@njit(inline="always")
def _scan(S, W, E, inv, unit, t, lo, hi):
    """Leftmost argmin over lo <= j <= hi of E[j] - (S[t]-S[j])^2 / (W[t]-W[j]).

    ``E[j] = D_{m-1}[j] - Q[j]``; the minimum is ``D_m[t] - Q[t]``. With unit
    weights ``W[t] - W[j] = t - j`` and the division is a product with the
    table ``inv[d] = 1 / d``. Long scans index slices from 0 (no index that
    could be negative, so no wrap-around test per element: ~20 % faster);
    short ones skip the cost of making the slices. Both compute the same
    values.
    """
    st = S[t]
    best = np.inf
    best_j = lo
    L = hi + 1 - lo
    if L > LONG_SCAN:
        Sv = S[lo:hi + 1]
        Ev = E[lo:hi + 1]
        if unit:
            Iv = inv[t - hi:t - lo + 1]  # Iv[L - 1 - i] = inv[t - (lo + i)]
            for i in range(L):
                d = st - Sv[i]
                v = Ev[i] - d * d * Iv[L - 1 - i]
                if v < best:
                    best = v
                    best_j = i
        else:
            wt = W[t]
            Wv = W[lo:hi + 1]
            for i in range(L):
                v = Ev[i] - _between(st - Sv[i], wt - Wv[i])
                if v < best:
                    best = v
                    best_j = i
        return best, lo + best_j
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
            v = E[j] - _between(st - S[j], wt - W[j])
            if v < best:
                best = v
                best_j = j
    return best, best_j


@njit(inline="always")
def _solve_row(S, W, E, inv, unit, m, t_lo, n_rows, p, s, argcur, argprev, Ecur):
    t = t_lo + p
    lo = m if p - s < 0 else argcur[t - s]
    hi = t - 1
    if p + s < n_rows and argcur[t + s] < hi:
        hi = argcur[t + s]
    # opt_{m-1}(t) <= opt_m(t) in exact arithmetic; should rounding ever put
    # it past the in-layer bound, the in-layer bound wins (never an empty range)
    if hi >= argprev[t] > lo:
        lo = argprev[t]
    best, j = _scan(S, W, E, inv, unit, t, lo, hi)
    argcur[t] = j
    Ecur[t] = best


@njit(inline="always")
def _band(S, W, E, inv, unit, t_a, t_b, j_a, j_b, argcur, Ecur):
    """Rows ``t_a .. t_b`` whose argmins all lie in ``j_a .. j_b``: every
    candidate against every row (``j < t``), candidate-major.

    Each value is computed as in :func:`_scan` and the leftmost least one is
    kept, which is the argmin over the whole band (a superset of the range the
    divide and conquer would search). The inner loop runs over rows with no
    branch and over slices (no index that could be negative), so it compiles
    to SIMD instructions.
    """
    for t in range(t_a, t_b + 1):
        Ecur[t] = np.inf
        argcur[t] = j_a
    for j in range(j_a, j_b + 1):
        ej = E[j]
        sj = S[j]
        first = t_a if t_a > j else j + 1
        L = t_b + 1 - first
        if L <= 0:
            continue
        Sv = S[first:t_b + 1]
        Ev = Ecur[first:t_b + 1]
        Av = argcur[first:t_b + 1]
        if unit:
            Iv = inv[first - j:t_b + 1 - j]
            for i in range(L):
                d = Sv[i] - sj
                v = ej - d * d * Iv[i]
                e = Ev[i]
                better = v < e
                Ev[i] = v if better else e
                Av[i] = j if better else Av[i]
        else:
            wj = W[j]
            Wv = W[first:t_b + 1]
            for i in range(L):
                v = ej - _between(Sv[i] - sj, Wv[i] - wj)
                e = Ev[i]
                better = v < e
                Ev[i] = v if better else e
                Av[i] = j if better else Av[i]


#: Inside a gap the strides stop at ``BLOCK`` rows; each block of ``BLOCK - 1``
#: rows between two solved rows is finished on its own, by :func:`_band` when
#: the two argmins are fewer than ``BAND`` apart (most blocks: the argmins of
#: neighbouring rows are nearly always equal), else by the finer strides.
BLOCK = 16
BAND = 4
#: Strides of at least this many rows are solved breadth first, one parallel
#: loop per stride; below it, gap by gap. ``s_gap`` never goes below it, so
#: every block meets the same rule whatever the number of threads, and so the
#: answer does not depend on the threads.
MIN_GAP = 256


@njit(inline="always")
def _solve_gap(S, W, E, inv, unit, m, t_lo, n_rows, base, s_gap, argprev, argcur, Ecur):
    """Rows ``base .. base + s_gap - 2`` (those below ``n_rows``), whose two
    ends ``base - 1`` and ``base + s_gap - 1`` are solved (or absent)."""
    end = min(base + s_gap - 1, n_rows)
    F = BLOCK if s_gap >= BLOCK else s_gap
    s = s_gap // 2
    while s >= F:
        p = base + s - 1
        while p < end:
            _solve_row(S, W, E, inv, unit, m, t_lo, n_rows, p, s, argcur, argprev, Ecur)
            p += 2 * s
        s //= 2
    for b in range(base, end, F):
        b_end = min(b + F - 1, n_rows)
        if b >= 1 and b + F - 1 < n_rows:
            j_a = argcur[t_lo + b - 1]
            j_b = argcur[t_lo + b + F - 1]
            if j_b - j_a < BAND:
                _band(S, W, E, inv, unit, t_lo + b, t_lo + b_end - 1, j_a, j_b, argcur, Ecur)
                continue
        s = F // 2
        while s >= 1:
            p = b + s - 1
            while p < b_end:
                _solve_row(S, W, E, inv, unit, m, t_lo, n_rows, p, s, argcur, argprev, Ecur)
                p += 2 * s
            s //= 2


@pjit
def dc_layer(S, W, E, inv, unit, m, t_lo, t_hi, argprev, argcur, Ecur, n_gaps_target):
    """One layer: ``Ecur[t] = D_m[t] - Q[t]`` and ``argcur[t]`` for ``t_lo <= t <= t_hi``.

    ``E`` holds ``D_{m-1} - Q``, ``argprev`` holds ``opt_{m-1}`` (or values
    <= m when there is none). The strides down to ``s_gap`` run one parallel
    loop per stride; below that, the gaps between solved rows are independent
    problems handed to the threads as a whole (:func:`_solve_gap`).
    """
    n_rows = t_hi - t_lo + 1
    P = 1
    while P * 2 <= n_rows:
        P *= 2
    s_gap = P
    while s_gap > MIN_GAP and (n_rows + s_gap - 1) // s_gap < n_gaps_target:
        s_gap //= 2
    # Strides P .. s_gap: one parallel loop per stride.
    s = P
    while s >= s_gap:
        cnt = (n_rows - s) // (2 * s) + 1 if n_rows >= s else 0
        for q in prange(cnt):
            _solve_row(S, W, E, inv, unit, m, t_lo, n_rows, s - 1 + 2 * s * q, s, argcur, argprev, Ecur)
        s //= 2
    # Now every row p with (p + 1) % s_gap == 0 is solved. Gap g holds the rows
    # strictly between g * s_gap - 1 and (g + 1) * s_gap - 1; its finer strides
    # read only rows of the gap and its two solved ends, so gaps run in parallel.
    n_gaps = (n_rows + s_gap - 1) // s_gap
    for g in prange(n_gaps):
        _solve_gap(S, W, E, inv, unit, m, t_lo, n_rows, g * s_gap, s_gap, argprev, argcur, Ecur)


@njit
def run_dp(W, S, k, unit, back, n_gaps_target):
    """The whole DP for k >= 2 clusters; returns the cluster starts (length k + 1).

    ``back`` is an int32 array of shape (k - 2, n + 1) that receives the
    argmins of the middle layers. ``starts[c]`` is the first sorted index of
    cluster ``c``; ``starts[k] = n``. ``unit`` says every weight is 1, so
    ``W[t] = t`` exactly. The layers carry ``D_m - Q`` rather than ``D_m``:
    the ``Q[t]`` of a row is a constant of its minimisation, so it is never
    added and subtracted again.
    """
    n = W.shape[0] - 1
    Eprev = np.empty(n + 1)
    Ecur = np.empty(n + 1)
    first_layer(W, S, Eprev)
    inv = np.empty(n + 1 if unit else 1)
    if unit:
        inv[0] = np.inf
        for d in range(1, n + 1):
            inv[d] = 1.0 / d
    no_bound = np.zeros(n + 1, dtype=back.dtype)
    for m in range(1, k - 1):
        # m + 1 clusters need t >= m + 1 points; the k - 1 - m clusters after
        # them need n - t >= k - 1 - m.
        t_lo = m + 1
        t_hi = n - (k - 1 - m)
        argprev = no_bound if m == 1 else back[m - 2]
        argcur = back[m - 1]
        dc_layer(S, W, Eprev, inv, unit, m, t_lo, t_hi, argprev, argcur, Ecur, n_gaps_target)
        # The next layer has one row more (t_hi + 1), which this one did not
        # solve: give it the neutral lower bound.
        if t_hi + 1 <= n:
            argcur[t_hi + 1] = 0
        tmp = Eprev
        Eprev = Ecur
        Ecur = tmp
    # The last layer needs one row only, t = n.
    _, j = _scan(S, W, Eprev, inv, unit, n, k - 1, n - 1)
    starts = np.empty(k + 1, dtype=np.int64)
    starts[k] = n
    starts[k - 1] = j
    for m in range(k - 2, 0, -1):
        j = back[m - 1, j]
        starts[m] = j
    starts[0] = 0
    return starts
