"""Kernels of soft k-means: responsibilities by log-sum-exp, fused with partial sums.

For a point ``x`` and centers ``c_j`` with log mixing weights ``log_pi_j`` at
temperature ``T``, the responsibilities are

    gamma_j = exp(a_j - lse),  a_j = log_pi_j - ||x - c_j||^2 / T,  lse = log sum_j exp(a_j),

computed with the maximum subtracted first, so that no exponential overflows
and the largest responsibility of every point is computed without underflow.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit, pjit, prange
from .lloyd import CHUNK


@njit
def _sqdists(X, i, centers, out):
    """out[j] = ||X[i] - centers[j]||^2 in float64; returns the nearest j."""
    k, d = centers.shape
    best = 0
    for j in range(k):
        s = 0.0
        for f in range(d):
            t = np.float64(X[i, f]) - np.float64(centers[j, f])
            s += t * t
        out[j] = s
        if s < out[best]:
            best = j
    return best


@njit
def _log_responsibilities(dist, log_pi, inv_T, out):
    """out[j] = a_j - lse (log responsibilities); returns lse."""
    k = dist.shape[0]
    m = -np.inf
    for j in range(k):
        a = log_pi[j] - dist[j] * inv_T
        out[j] = a
        if a > m:
            m = a
    s = 0.0
    for j in range(k):
        s += np.exp(out[j] - m)
    lse = m + np.log(s)
    for j in range(k):
        out[j] = out[j] - lse
    return lse


@njit(inline="always")
def _soft_chunk(c, X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard,
                chunk_soft):
    """Chunk ``c`` of :func:`soft_pass` (rows ``c * CHUNK`` on, at most ``CHUNK``)."""
    n, d = X.shape
    k = centers.shape[0]
    start = c * CHUNK
    end = min(n, start + CHUNK)
    sums = chunk_sums[c]
    wts = chunk_weights[c]
    for j in range(k):
        wts[j] = 0.0
        for f in range(d):
            sums[j, f] = 0.0
    dist = np.empty(k, dtype=np.float64)
    logr = np.empty(k, dtype=np.float64)
    lse_sum = 0.0
    hard = 0.0
    soft = 0.0
    for i in range(start, end):
        best = _sqdists(X, i, centers, dist)
        wi = np.float64(sample_weight[i])
        hard += wi * dist[best]
        lse_sum += wi * _log_responsibilities(dist, log_pi, inv_T, logr)
        gmax = 0.0
        for j in range(k):
            g = np.exp(logr[j])
            if g > gmax:
                gmax = g
            if g > 0.0:
                wg = wi * g
                wts[j] += wg
                for f in range(d):
                    sums[j, f] += wg * X[i, f]
        soft += wi * (1.0 - gmax)
    chunk_lse[c] = lse_sum
    chunk_hard[c] = hard
    chunk_soft[c] = soft


@pjit
def _soft_pass_parallel(X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard,
                        chunk_soft):
    """:func:`soft_pass`, the chunks in parallel."""
    for c in prange((X.shape[0] + CHUNK - 1) // CHUNK):
        _soft_chunk(c, X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard,
                    chunk_soft)


@njit
def _soft_pass_serial(X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard,
                      chunk_soft):
    """:func:`soft_pass`, the chunks one after the other (the same figures)."""
    for c in range((X.shape[0] + CHUNK - 1) // CHUNK):
        _soft_chunk(c, X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard,
                    chunk_soft)


def soft_pass(X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard, chunk_soft):
    """One E-step of soft k-means with the M-step's sufficient statistics.

    For every chunk ``c`` of ``CHUNK`` rows, in float64:
    ``chunk_sums[c, j] = sum w_i gamma_ij x_i``, ``chunk_weights[c, j] = sum w_i gamma_ij``,
    ``chunk_lse[c] = sum w_i lse_i`` (the free energy is ``T`` times its total),
    ``chunk_hard[c] = sum w_i min_j ||x_i - c_j||^2`` (the hard objective of the
    centers) and ``chunk_soft[c] = sum w_i (1 - max_j gamma_ij)`` (0 when every
    assignment is hard).

    Data of a single chunk goes to a serial kernel: each chunk's figures are
    the same either way, and a ``parallel=True`` kernel takes about twice as
    long to compile (measured on this kernel: 17-20 s against 8-9 s, cold, on
    a 2-core machine under a load average of 10), which a first small fit would
    pay for a loop of one iteration.
    """
    kernel = _soft_pass_serial if X.shape[0] <= CHUNK else _soft_pass_parallel
    kernel(X, sample_weight, centers, log_pi, inv_T, chunk_sums, chunk_weights, chunk_lse, chunk_hard, chunk_soft)


@pjit
def soft_responsibilities(X, centers, log_pi, inv_T, out):
    """out[i, j] = gamma_ij (float64), row-parallel."""
    n = X.shape[0]
    k = centers.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        start = c * CHUNK
        end = min(n, start + CHUNK)
        dist = np.empty(k, dtype=np.float64)
        logr = np.empty(k, dtype=np.float64)
        for i in range(start, end):
            _sqdists(X, i, centers, dist)
            _log_responsibilities(dist, log_pi, inv_T, logr)
            for j in range(k):
                out[i, j] = np.exp(logr[j])
