r"""Kernel of the repetitive branch and bound for minimum sum-of-squares clustering.

One *stage* solves the clustering of the suffix ``X[start:]`` (rows already in
the chosen order) into ``k`` clusters by depth-first search: row ``p`` is put
into one of the clusters opened so far or opens the next one (so no partition
is visited twice under relabelling). The bound of a node where rows
``start..p`` are assigned is

.. math::  \mathrm{SSE}(\text{partial clusters}) + Z^*(X[p+1:], k),

valid because within-cluster scatter is superadditive over disjoint subsets
(:math:`V(A \cup B) \ge V(A) + V(B)`) and the rows after ``p`` can do no better
than their own optimum, computed by the earlier stages (Brusco 2006). Adding
row ``x`` (weight ``w``) to a cluster of weight ``W`` and mean ``m`` raises the
partial SSE by exactly ``W w / (W + w) ||x - m||^2``.

The search state lives in arrays, and the time is checked every ``2**14``
nodes through ``objmode``.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from .._numba import njit


@njit(nogil=False)  # objmode holds the GIL anyway; saying so silences a warning
def _now():
    with numba.objmode(t="float64"):
        t = time.perf_counter()
    return t


@njit
def _expand(X, w, p, k, used, sse, zsuf_next, sums, weights, cand, cbound, cinc, ncand, ptr, must_open):
    """Fill the candidate clusters of row ``p``, sorted by increasing bound."""
    d = X.shape[1]
    wp = w[p]
    m = 0
    if not must_open:
        for c in range(used):
            wc = weights[c]
            s = 0.0
            for f in range(d):
                t = X[p, f] - sums[c, f] / wc
                s += t * t
            inc = wc * wp / (wc + wp) * s
            # insertion sort by increase
            q = m
            while q > 0 and cinc[p, q - 1] > inc:
                cand[p, q] = cand[p, q - 1]
                cinc[p, q] = cinc[p, q - 1]
                q -= 1
            cand[p, q] = c
            cinc[p, q] = inc
            m += 1
    if used < k:
        # opening a new cluster costs nothing now: it goes first
        for q in range(m, 0, -1):
            cand[p, q] = cand[p, q - 1]
            cinc[p, q] = cinc[p, q - 1]
        cand[p, 0] = used
        cinc[p, 0] = 0.0
        m += 1
    for q in range(m):
        cbound[p, q] = sse + cinc[p, q] + zsuf_next
    ncand[p] = m
    ptr[p] = 0


@njit
def solve_stage(X, w, start, k, zsuf, upper, rtol, deadline, best_labels):
    """Optimal partition of ``X[start:]`` into ``k`` clusters, if one beats ``upper``.

    Parameters
    ----------
    X : float64 (n, d), rows in search order
    w : float64 (n,), positive weights
    start : int, first row of the suffix
    k : int
    zsuf : float64 (n + 1,), ``zsuf[q]`` the optimum of ``X[q:]`` (valid for q > start),
        ``zsuf[n] = 0``
    upper : float, the objective of a known partition of the suffix
    rtol : float, a node is pruned when its bound is at least ``best * (1 - rtol)``
    deadline : float, ``time.perf_counter()`` value at which to stop (inf: never)
    best_labels : int64 (n,), written for rows ``start..n-1`` when a better
        partition is found

    Returns
    -------
    best : float, the optimum (or ``upper`` when nothing better exists)
    found : bool, whether ``best_labels`` was written
    finished : bool, False when the deadline stopped the search
    lower : float, a lower bound on the suffix optimum (``best`` when finished)
    nodes : int, nodes expanded
    """
    n, d = X.shape
    sums = np.zeros((k, d))
    weights = np.zeros(k)
    lab = np.full(n, -1, dtype=np.int64)
    cand = np.empty((n, k), dtype=np.int64)
    cbound = np.empty((n, k))
    cinc = np.empty((n, k))
    ncand = np.zeros(n, dtype=np.int64)
    ptr = np.zeros(n, dtype=np.int64)
    sse_before = np.empty(n)
    used_before = np.empty(n, dtype=np.int64)
    saved_sum = np.empty((n, d))
    saved_w = np.empty(n)

    best = upper
    found = False
    finished = True
    nodes = 0
    used = 0
    sse = 0.0
    p = start
    _expand(X, w, p, k, used, sse, zsuf[p + 1], sums, weights, cand, cbound, cinc, ncand, ptr, False)
    while True:
        if ptr[p] < ncand[p]:
            q = ptr[p]
            if cbound[p, q] >= best * (1.0 - rtol):
                ptr[p] = ncand[p]  # sorted: every later candidate is pruned too
                continue
            ptr[p] = q + 1
            c = cand[p, q]
            # assign row p to cluster c
            sse_before[p] = sse
            used_before[p] = used
            saved_w[p] = weights[c]
            for f in range(d):
                saved_sum[p, f] = sums[c, f]
                sums[c, f] += w[p] * X[p, f]
            weights[c] += w[p]
            sse += cinc[p, q]
            if c == used:
                used += 1
            lab[p] = c
            if p == n - 1:
                if used == k and sse < best * (1.0 - rtol):
                    best = sse
                    found = True
                    for i in range(start, n):
                        best_labels[i] = lab[i]
            else:
                p += 1
                nodes += 1
                remaining = n - 1 - p  # rows after p
                must_open = remaining < k - used
                _expand(X, w, p, k, used, sse, zsuf[p + 1], sums, weights, cand, cbound, cinc, ncand, ptr, must_open)
                if (nodes & 16383) == 0 and _now() > deadline:
                    finished = False
                    break
                continue
            # leaf: undo row p and try its next candidate
            c = lab[p]
            for f in range(d):
                sums[c, f] = saved_sum[p, f]
            weights[c] = saved_w[p]
            sse = sse_before[p]
            used = used_before[p]
            lab[p] = -1
        else:
            p -= 1
            if p < start:
                break
            c = lab[p]
            for f in range(d):
                sums[c, f] = saved_sum[p, f]
            weights[c] = saved_w[p]
            sse = sse_before[p]
            used = used_before[p]
            lab[p] = -1
    lower = best
    if not finished:
        # every unexplored subtree hangs off the current path as an untried candidate,
        # and candidates are sorted, so the next one at each depth carries the least bound
        for q in range(start, p + 1):
            if ptr[q] < ncand[q] and cbound[q, ptr[q]] < lower:
                lower = cbound[q, ptr[q]]
    return best, found, finished, lower, nodes
