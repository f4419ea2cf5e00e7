"""Kernels of Lloyd's iteration: assignment fused with per-chunk partial sums."""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange

#: Rows per chunk of the parallel kernels. Fixed, so the reduction order (and
#: therefore every rounding) does not depend on the number of threads.
CHUNK = 4096


@njit
def _nearest(X, i, centers):
    """Index of the nearest center to X[i] and the squared distance (X's dtype)."""
    k, d = centers.shape
    best = np.inf
    best_j = 0
    for j in range(k):
        dist = centers[j, 0] - centers[j, 0]
        for f in range(d):
            t = X[i, f] - centers[j, f]
            dist += t * t
        if dist < best:
            best = dist
            best_j = j
    return best_j, best


@pjit
def assign_labels(X, centers, labels, min_sqdist):
    """labels[i] = argmin_j ||X[i] - centers[j]||^2 (first index on ties); min_sqdist[i] its value."""
    n = X.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        for i in range(start, end):
            j, dist = _nearest(X, i, centers)
            labels[i] = j
            min_sqdist[i] = dist


@pjit
def lloyd_pass(X, sample_weight, centers, labels, min_sqdist, chunk_sums, chunk_weights, chunk_obj, chunk_changed):
    """One Lloyd pass: assign every row and accumulate per-chunk weighted sums.

    Writes ``labels``, ``min_sqdist``; for every chunk ``c``:
    ``chunk_sums[c, j] = sum w_i x_i`` and ``chunk_weights[c, j] = sum w_i`` over
    the chunk's rows assigned to ``j`` (float64), ``chunk_obj[c]`` the weighted
    sum of squared distances, ``chunk_changed[c]`` how many labels changed.
    """
    n, d = X.shape
    k = centers.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        sums = chunk_sums[c]
        wts = chunk_weights[c]
        for j in range(k):
            wts[j] = 0.0
            for f in range(d):
                sums[j, f] = 0.0
        obj = 0.0
        changed = 0
        for i in range(start, end):
            j, dist = _nearest(X, i, centers)
            if labels[i] != j:
                changed += 1
                labels[i] = j
            min_sqdist[i] = dist
            wi = sample_weight[i]
            obj += wi * dist
            wts[j] += wi
            for f in range(d):
                sums[j, f] += wi * X[i, f]
        chunk_obj[c] = obj
        chunk_changed[c] = changed


@pjit
def sqdist_to_center(X, center, out):
    """out[i] = ||X[i] - center||^2 in float64."""
    n, d = X.shape
    for i in prange(n):
        s = 0.0
        for f in range(d):
            t = np.float64(X[i, f]) - np.float64(center[f])
            s += t * t
        out[i] = s


@pjit
def update_min_sqdist(X, center, min_sqdist):
    """min_sqdist[i] = min(min_sqdist[i], ||X[i] - center||^2) in float64."""
    n, d = X.shape
    for i in prange(n):
        s = 0.0
        for f in range(d):
            t = np.float64(X[i, f]) - np.float64(center[f])
            s += t * t
        if s < min_sqdist[i]:
            min_sqdist[i] = s
