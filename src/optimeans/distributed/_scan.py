"""Numba kernels of the block tasks: one read of a block does what NumPy did in several.

Out of core every pass reads each block from disk again, so the work done
per element decides whether a pass runs at the speed of the disk. These
kernels read a block once and give the same bits as the NumPy code they
replace (each docstring names it):

* :func:`check_and_sum` -- validation (first non-finite entry), the column
  sums in row order (float64, what ``X.mean(axis=0, dtype=np.float64)`` adds
  for two or more columns) and the column extremes;
* :func:`to_work_rows` -- :meth:`optimeans._transform.DataTransform.to_work`
  for data without pre-scaling;
* :func:`to_work_and_pack` -- the same, fused with the float32 packing of
  :func:`optimeans._kernels.lloyd.pack_data` (the norms per row, which the
  pass does not use, are not written).

Why the column extremes are enough for the two scales (no pass of their
own): rounding is monotone, so ``max_i |fl(x_if - m_f)|`` is reached at the
column's largest or smallest ``x_if``; :func:`max_deviation` evaluates it
there, with the same float64 operations as a scan of every row.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, pjit, prange
from .._kernels._simd import vlanes

#: Rows handled per parallel step of :func:`to_work_rows`.
_ROWS = 4096
#: Packed blocks (of SIMD-width rows) per parallel step of :func:`to_work_and_pack`.
_GROUP = 64


@njit
def check_and_sum(X, acc, lo, hi):
    """Continue the float64 column sums ``acc`` over ``X`` row by row; column extremes into ``lo``/``hi``.

    Returns the flat index of the first non-finite entry (then the sums and
    extremes are incomplete), or -1. ``acc[f]`` gets ``float64(X[i, f])``
    added for ``i`` in order: the sequential sum NumPy computes for
    ``X.sum(axis=0, dtype=np.float64)`` on a C-ordered array of two or more
    columns.
    """
    n, d = X.shape
    for i in range(n):
        ok = True
        for f in range(d):
            v = np.float64(X[i, f])
            if not math.isfinite(v):
                ok = False
            acc[f] += v
            if v < lo[f]:
                lo[f] = v
            if v > hi[f]:
                hi[f] = v
        if not ok:
            for f in range(d):
                if not math.isfinite(np.float64(X[i, f])):
                    return i * d + f
    return -1


def max_deviation(lo: np.ndarray, hi: np.ndarray, m: np.ndarray) -> float:
    """``max_{i,f} |fl(x_if - m_f)|`` from the column extremes (float64, as a scan of every row gives)."""
    d = lo.shape[0]
    if d == 0:
        return 0.0
    return float(max(np.max(hi - m[:d]), np.max(m[:d] - lo)))


@pjit
def to_work_rows(X, offset, factor, out):
    """``out = dtype((float64(X) - offset) * factor)``, ``factor`` an exact power of two (or 1).

    :meth:`optimeans._transform.DataTransform.to_work` without pre-scaling:
    ``np.ldexp(v, e)`` and ``v * 2.0**e`` are the same correctly rounded
    product when ``2.0**e`` is a normal float64 (the caller checks).
    """
    n, d = X.shape
    for c in prange((n + _ROWS - 1) // _ROWS):
        for i in range(c * _ROWS, min(n, (c + 1) * _ROWS)):
            for f in range(d):
                out[i, f] = (np.float64(X[i, f]) - offset[f]) * factor


@pjit
def to_work_and_pack(X, offset, factor, Xw, kmean, kscale, XT, block_norm):
    """:func:`to_work_rows` into ``Xw`` and :func:`optimeans._kernels.lloyd.pack_data` of ``Xw``, in one read.

    ``Xw`` may be ``X`` itself (same dtype): each entry is read before it is
    written, by the same thread. ``XT`` and ``block_norm`` as ``pack_data``
    writes them (same operations in the same order, so the same bits).
    """
    n, d = X.shape
    L = vlanes(XT)
    nb = block_norm.shape[0]
    for g in prange((nb + _GROUP - 1) // _GROUP):
        v = np.empty(d, dtype=np.float32)
        for b in range(g * _GROUP, min(nb, (g + 1) * _GROUP)):
            r = 0.0
            for l in range(L):
                i = b * L + l
                s = 0.0
                if i < n:
                    # three loops over the row: the first two vectorise (a third less time
                    # than one loop doing all, 1 thread, 1M x 16 float32)
                    for f in range(d):
                        Xw[i, f] = (np.float64(X[i, f]) - offset[f]) * factor
                    for f in range(d):
                        v[f] = np.float32((np.float64(Xw[i, f]) - kmean[f]) * kscale)
                    for f in range(d):
                        XT[(b * d + f) * L + l] = v[f]
                        s += np.float64(v[f]) * np.float64(v[f])
                else:
                    for f in range(d):
                        XT[(b * d + f) * L + l] = 0.0
                if s > r:
                    r = s
            block_norm[b] = math.sqrt(r) * (1.0 + 1e-6)


@njit
def add_moves(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, S, Q, W, N):
    """:func:`optimeans._kernels.lloyd.apply_moves` without its last step (the zeroing of empty clusters).

    The same float64 additions in the same order, so a run of blocks can add
    its chunks' changes where they were computed and hand the running sums on;
    whoever adds the last chunk zeroes the empty clusters
    (:func:`apply_sparse_record` does). Returns nothing.
    """
    k = W.shape[0]
    for c in range(chunk_S.shape[0]):
        if chunk_changed[c] == 0:
            continue
        for t in range(S.shape[0]):
            S[t] += chunk_S[c, t]
        for j in range(k):
            Q[j] += chunk_Q[c, j]
            W[j] += chunk_W[c, j]
            N[j] += chunk_N[c, j]


def sums_record(m: int, dp: int) -> np.ndarray:
    """Zero sums of ``m`` clusters as one record (see :func:`sums_views`)."""
    return np.zeros(m * (dp + 3), dtype=np.float64)


def sums_views(record: np.ndarray, m: int, dp: int) -> tuple:
    """``(S, Q, W, N)``, views of a record of the sums of ``m`` clusters.

    ``S`` is the first ``m * dp`` entries (cluster after cluster), then ``Q``
    and ``W`` (``m`` each), then ``N``: its ``m`` int64 entries are kept bit
    for bit in the record's last ``m`` float64 slots. Sums travel between the
    client and the workers as this one array: one array to pickle and
    unpickle rather than four, each 10-25 us right after a kernel has pushed
    the interpreter out of the caches.
    """
    a = m * dp
    return record[:a], record[a:a + m], record[a + m:a + 2 * m], record[a + 2 * m:a + 3 * m].view(np.int64)


#: :func:`sums_views` for compiled code (the Python one stays plain: a Numba call from Python costs more
#: than the slicing, right after a kernel)
_sums_views = njit(sums_views)


@njit
def pack_touched(chunk_S, chunk_Q, chunk_W, chunk_N, chunk_changed, touched_out, rows_out):
    """The sparse form of the changed chunks' sums in one read: ``(touched, rows)``.

    ``touched`` marks, for each chunk with ``chunk_changed != 0``, the
    clusters whose sums some move changed (any entry non-zero); ``rows`` is
    a record (:func:`sums_views`) of the touched clusters' sums, gathered in
    chunk order, then cluster order (what
    ``cS[idx].reshape(m, k, dp)[touched]`` and the like give), without the
    temporary copies of the dense rows.

    Both are written at the start of the buffers ``touched_out`` (bool, at
    least ``n_chunks * k``) and ``rows_out`` (float64, at least ``n_chunks *
    k * (dp + 3)``) and returned as views of them, valid until the next call:
    a block's buffers are reused pass after pass. Allocated afresh, the rows
    of a 1,000,000-row block (165 KiB while 0.3-0.8 % of the points move, at
    16 features and k = 16) cost 46 page faults a pass.
    """
    nc, k = chunk_W.shape
    dp = chunk_S.shape[1] // k
    if touched_out.shape[0] < nc * k or rows_out.shape[0] < nc * k * (dp + 3):
        raise ValueError("pack_touched: the output buffers are too small")
    m = 0
    for c in range(nc):
        if chunk_changed[c] != 0:
            m += 1
    touched = touched_out[: m * k].reshape((m, k))
    r = 0
    i = 0
    for c in range(nc):
        if chunk_changed[c] == 0:
            continue
        for j in range(k):
            t = chunk_N[c, j] != 0 or chunk_W[c, j] != 0 or chunk_Q[c, j] != 0
            if not t:
                for f in range(dp):
                    if chunk_S[c, j * dp + f] != 0:
                        t = True
                        break
            touched[i, j] = t
            if t:
                r += 1
        i += 1
    rows = rows_out[: r * (dp + 3)]
    rows_S, rows_Q, rows_W, rows_N = _sums_views(rows, r, dp)
    r = 0
    i = 0
    for c in range(nc):
        if chunk_changed[c] == 0:
            continue
        for j in range(k):
            if touched[i, j]:
                for f in range(dp):
                    rows_S[r * dp + f] = chunk_S[c, j * dp + f]
                rows_Q[r] = chunk_Q[c, j]
                rows_W[r] = chunk_W[c, j]
                rows_N[r] = chunk_N[c, j]
                r += 1
        i += 1
    return touched, rows


@njit
def apply_sparse_record(touched, rows, S, Q, W, N, last):
    """Memory's :func:`~optimeans._kernels.lloyd.apply_moves` for one block's reply, ``rows`` the
    record :func:`pack_touched` made: the same additions, less those of zero (:func:`_add_sparse`).

    Several blocks' replies are applied one after the other, in block order;
    ``last``: this is the last of them, after which a cluster left with no
    point gets exactly zero sums (as ``apply_moves`` does once, after all its
    additions). The views of the record are taken here,
    compiled: from Python, four views of an array cost 8-13 us right after
    a kernel.
    """
    k = touched.shape[1]
    dp = S.shape[0] // k
    r = rows.shape[0] // (dp + 3)
    rS, rQ, rW, rN = _sums_views(rows, r, dp)
    _add_sparse(touched, rS.reshape((r, dp)), rQ, rW, rN, S, Q, W, N)
    if last:
        _zero_empty(S, Q, W, N)


@njit
def total(counts):
    """``int(counts.sum())``: the labels a pass changed. The NumPy reduction took 10-25 us right after a
    kernel, when every cache is cold, against a few for this call."""
    t = 0
    for c in range(counts.shape[0]):
        t += counts[c]
    return t


@njit
def has_zero(N):
    """Whether some count is zero (an empty cluster): ``not N.all()``, which took 24-33 us right after a
    kernel (the ufunc's reduction machinery), against a few for this call."""
    for j in range(N.shape[0]):
        if N[j] == 0:
            return True
    return False


@njit
def _add_sparse(touched, rows_S, rows_Q, rows_W, rows_N, S, Q, W, N):
    """:func:`optimeans._kernels.lloyd.apply_moves`'s additions from the non-zero cluster rows only.

    ``touched`` (m, k) marks, chunk by chunk in global chunk order, the
    clusters whose sums changed; ``rows_*`` hold their changes in that order.
    The same additions in the same order as the dense version, less the
    additions of zero, which change nothing: the running sums start at +0.0
    and a float64 sum is -0.0 only when both terms are, so ``s + 0.0 == s``
    bit for bit at every step.
    """
    m, k = touched.shape
    dp = S.shape[0] // k
    r = 0
    for c in range(m):
        for j in range(k):
            if touched[c, j]:
                for f in range(dp):
                    S[j * dp + f] += rows_S[r, f]
                Q[j] += rows_Q[r]
                W[j] += rows_W[r]
                N[j] += rows_N[r]
                r += 1


@njit
def _zero_empty(S, Q, W, N):
    """Exactly zero sums for a cluster left with no point (no rounding residue), as memory's apply_moves."""
    k = W.shape[0]
    dp = S.shape[0] // k
    for j in range(k):
        if N[j] == 0:
            W[j] = 0.0
            Q[j] = 0.0
            for f in range(dp):
                S[j * dp + f] = 0.0
