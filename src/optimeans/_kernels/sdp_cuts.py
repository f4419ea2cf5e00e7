r"""Kernels of the cutting-plane SDP bound: projection onto the cut polyhedron, separation.

A cut is a linear inequality :math:`\langle A_c, M\rangle \ge 0` valid for every
partition matrix :math:`M`, stored as at most four entries ``(i, j, coef)``
with ``i <= j``: :math:`\langle A_c, M\rangle = \sum_e \mathrm{coef}_e M_{i_e j_e}`
(an off-diagonal entry stands for both :math:`M_{ij}` and :math:`M_{ji}`, each
with half the coefficient, so :math:`A_c` is symmetric).

:func:`project_cuts` works on ``R = Q + A^*(y)``: for multipliers
:math:`y \ge 0` the point :math:`P = \max(R, 0)` (zero on cannot-link
entries) is the projection of ``Q`` onto the polyhedron when ``y`` is the
optimal dual; Gauss-Seidel sweeps over the cuts (Hildreth's method) improve
``y``. Whatever ``y`` is, :math:`P - Q = \max(-R, 0) + A^*(y)` off the
cannot-link entries, a point of the polyhedron's dual cone: that is what makes
the bound valid however few sweeps run.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit


@njit
def project_cuts(R, cannot, ci, cj, cc, nnz, y, sweeps):
    """Gauss-Seidel sweeps on the cut multipliers ``y`` (>= 0), updating ``R`` in place.

    R : (n, n) float64 symmetric, ``Q + A^*(y)`` on entry and on exit.
    cannot : (n, n) bool, entries fixed at 0 (cannot-link).
    ci, cj, cc : (m, 4) entry rows, columns (i <= j) and coefficients; nnz : (m,).
    Returns the largest violation ``-<A_c, max(R, 0)>`` seen in the last sweep.
    """
    m = y.shape[0]
    worst = 0.0
    for _ in range(sweeps):
        worst = 0.0
        for c in range(m):
            v = 0.0
            nrm = 0.0
            for e in range(nnz[c]):
                i = ci[c, e]
                j = cj[c, e]
                a = cc[c, e]
                if not cannot[i, j]:
                    r = R[i, j]
                    if r > 0.0:
                        v += a * r
                if i == j:
                    nrm += a * a
                else:
                    nrm += 0.5 * a * a
            if -v > worst:
                worst = -v
            if v >= 0.0 and y[c] == 0.0:
                continue
            delta = -v / nrm
            if y[c] + delta < 0.0:
                delta = -y[c]
            if delta == 0.0:
                continue
            y[c] += delta
            for e in range(nnz[c]):
                i = ci[c, e]
                j = cj[c, e]
                a = cc[c, e]
                if i == j:
                    R[i, i] += a * delta
                else:
                    R[i, j] += 0.5 * a * delta
                    R[j, i] += 0.5 * a * delta
    return worst


@njit
def cut_matrix(n, ci, cj, cc, nnz, y):
    """The symmetric matrix ``A^*(y) = sum_c y_c A_c``."""
    out = np.zeros((n, n))
    add_cut_matrix(ci, cj, cc, nnz, y, out)
    return out


@njit
def add_cut_matrix(ci, cj, cc, nnz, y, out):
    """``out += A^*(y)``, in place (cut by cut, entry by entry: the order fixes the bits)."""
    for c in range(y.shape[0]):
        if y[c] == 0.0:
            continue
        for e in range(nnz[c]):
            i = ci[c, e]
            j = cj[c, e]
            a = cc[c, e] * y[c]
            if i == j:
                out[i, i] += a
            else:
                out[i, j] += 0.5 * a
                out[j, i] += 0.5 * a


@njit
def _heap_push(hi, hj, hk, hv, count, i, j, k, v):
    """Add (i, j, k, v) to the min-heap of ``count`` entries on ``hv``."""
    pos = count
    while pos > 0:
        parent = (pos - 1) // 2
        if hv[parent] <= v:
            break
        hi[pos], hj[pos], hk[pos], hv[pos] = hi[parent], hj[parent], hk[parent], hv[parent]
        pos = parent
    hi[pos], hj[pos], hk[pos], hv[pos] = i, j, k, v


@njit
def _heap_replace_top(hi, hj, hk, hv, count, i, j, k, v):
    """Replace the least entry of the full min-heap by (i, j, k, v)."""
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= count:
            break
        if child + 1 < count and hv[child + 1] < hv[child]:
            child += 1
        if hv[child] >= v:
            break
        hi[pos], hj[pos], hk[pos], hv[pos] = hi[child], hj[child], hk[child], hv[child]
        pos = child
    hi[pos], hj[pos], hk[pos], hv[pos] = i, j, k, v


@njit
def separate_triangles(Z, threshold, cap, out_i, out_j, out_k, out_v):
    """Triangle inequalities ``Z_ij + Z_ik <= Z_ii + Z_jk`` violated by more than ``threshold``.

    ``Z`` is the relaxation's matrix in unit-weight form (``M_ij / sqrt(w_i w_j)``).
    Writes at most ``cap`` violated triples (anchor i, j < k) to the out arrays,
    keeping the largest violations (the out arrays are a min-heap on ``out_v``
    while they fill, the least violation replaced once full); returns the count.
    Only triples with both ``Z_ij`` and ``Z_ik`` above ``threshold`` are
    examined (the anchor's neighbours): with ``Z_ik <= threshold`` the
    triangle is violated only where the pair inequality ``Z_ij <= Z_ii`` is,
    and pairs are separated on their own.

    The anchor's neighbours are scanned in decreasing ``Z_ij``: a triple's
    violation is at most ``Z_ij + Z_ik - Z_ii - zmin`` (``zmin`` the least
    entry of ``Z``, or 0), so once the heap is full the scan of a row stops
    at the first partner too small to beat the least violation kept. The
    result is the same set of violations (ties aside) as the full scan of
    every neighbour pair; at n = 506, k = 2, a near-dense relaxation has
    about 5e7 such triples, 0.7 s for the full scan.
    """
    n = Z.shape[0]
    count = 0
    zmin = 0.0
    for i in range(n):
        for j in range(n):
            if Z[i, j] < zmin:
                zmin = Z[i, j]
    nb = np.empty(n, dtype=np.int64)
    zv = np.empty(n)
    for i in range(n):
        zii = Z[i, i]
        deg = 0
        for j in range(n):
            if j != i and Z[i, j] > threshold:
                zv[deg] = -Z[i, j]
                nb[deg] = j
                deg += 1
        order = np.argsort(zv[:deg], kind="mergesort")  # decreasing Z_ij, ties by index
        srt = nb[:deg][order]
        for a in range(deg):
            j = srt[a]
            zij = Z[i, j]
            # the best partner of j is the next neighbour: nothing later in this row beats the heap
            floor = out_v[0] if count >= cap else threshold
            if a + 1 < deg and zij + Z[i, srt[a + 1]] - zii - zmin <= floor:
                break
            for b in range(a + 1, deg):
                k = srt[b]
                zik = Z[i, k]
                floor = out_v[0] if count >= cap else threshold
                if zij + zik - zii - zmin <= floor:
                    break
                v = zij + zik - zii - Z[j, k]
                if v <= threshold:
                    continue
                jj = j if j < k else k
                kk = k if j < k else j
                if count < cap:
                    _heap_push(out_i, out_j, out_k, out_v, count, i, jj, kk, v)
                    count += 1
                elif v > out_v[0]:
                    _heap_replace_top(out_i, out_j, out_k, out_v, cap, i, jj, kk, v)
    return count


# ---------------------------------------------------------------------------
# the element-wise parts of one ADMM step, fused (each was several NumPy
# passes over n x n arrays: 20 % of a step at n = 336)
# ---------------------------------------------------------------------------


@njit
def symmetric_difference(P, U, out):
    """``out = ((P - U) + (P - U)^T) / 2``."""
    n = P.shape[0]
    for i in range(n):
        for j in range(i, n):
            v = 0.5 * ((P[i, j] - U[i, j]) + (P[j, i] - U[j, i]))
            out[i, j] = v
            out[j, i] = v


@njit
def rank_two_plus(Y, v, g, K, c, out):
    """``out = Y - v g^T - g v^T + c K`` (the Householder sandwich of Y plus the scaled cost)."""
    n = Y.shape[0]
    for i in range(n):
        vi = v[i]
        gi = g[i]
        for j in range(n):
            out[i, j] = Y[i, j] - vi * g[j] - gi * v[j] + c * K[i, j]


@njit
def relaxed_point(M, P, U, alpha, ci, cj, cc, nnz, y, Q, R):
    """``Q = alpha M + (1 - alpha) P + U`` and ``R = Q + sum_c y_c A_c`` (over-relaxed ADMM step)."""
    n = M.shape[0]
    beta = 1.0 - alpha
    for i in range(n):
        for j in range(n):
            q = alpha * M[i, j] + beta * P[i, j] + U[i, j]
            Q[i, j] = q
            R[i, j] = q
    add_cut_matrix(ci, cj, cc, nnz, y, R)


@njit
def polyhedral_update(R, Q, M, cannot, P, U):
    """``P = max(R, 0)`` (0 on cannot-link entries) in place, ``U = Q - P``.

    Returns the squared Frobenius norms of ``M - P`` (primal residual) and of
    the change of ``P`` (dual residual, before the factor rho).
    """
    n = R.shape[0]
    rp = 0.0
    rd = 0.0
    for i in range(n):
        for j in range(n):
            p = R[i, j]
            if p < 0.0 or cannot[i, j]:
                p = 0.0
            d = p - P[i, j]
            rd += d * d
            P[i, j] = p
            U[i, j] = Q[i, j] - p
            e = M[i, j] - p
            rp += e * e
    return rp, rd
