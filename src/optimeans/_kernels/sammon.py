"""Kernels of Sammon's mapping: stress, gradient and diagonal Hessian.

With ``D`` the input distances (``D[i, j] = d*_ij``) and ``Y`` the (n, m)
embedding with distances ``d_ij``, Sammon's stress is
``E = (1/c) sum_{i<j} (d*_ij - d_ij)^2 / d*_ij`` with ``c = sum_{i<j} d*_ij``.
The caller passes ``Dinv = 1 / D`` off the diagonal and **0 on the diagonal**:
the diagonal term then vanishes without a branch in the inner loop.

Each row's gradient and Hessian diagonal depend only on that row's pairs, so
rows run in parallel with no reduction across threads; the stress comes back
as one partial per row, summed by the caller in row order, so results do not
depend on the number of threads. ``FASTMATH_SAFE`` (reassociation, no
``nnan``/``ninf``) lets the inner loops vectorize; the only guard is a
``max`` with a positive floor, which it keeps.
"""

from __future__ import annotations

import numpy as np

from .._numba import FASTMATH_SAFE, pjit, prange

#: Embedding distances below this are treated as this (coincident images).
D_FLOOR = 1e-12


@pjit(fastmath=FASTMATH_SAFE)
def sammon_row_stress(D, Dinv, Y, out):
    """``out[i] = sum_{j != i} (D[i,j] - d_ij)^2 / D[i,j]`` (each pair counted from both ends)."""
    n, m = Y.shape
    for i in prange(n):
        s = 0.0
        for j in range(n):
            sq = 0.0
            for q in range(m):
                t = Y[i, q] - Y[j, q]
                sq += t * t
            d = max(np.sqrt(sq), D_FLOOR)
            e = D[i, j] - d
            s += e * e * Dinv[i, j]
        out[i] = s


@pjit(fastmath=FASTMATH_SAFE)
def sammon_derivatives(D, Dinv, Y, scale, grad, hess, row_stress):
    """Gradient and Hessian diagonal of Sammon's stress (Sammon 1969, eq. 3-5).

    ``scale`` is ``-2 / c``. Writes, for every row ``p`` and coordinate ``q``::

        grad[p, q] = scale * sum_j (d*_pj - d_pj) / (d*_pj d_pj) * (y_pq - y_jq)
        hess[p, q] = scale * sum_j 1 / (d*_pj d_pj) * [(d*_pj - d_pj)
                         - (y_pq - y_jq)^2 / d_pj * (1 + (d*_pj - d_pj) / d_pj)]

    and ``row_stress`` as :func:`sammon_row_stress` does.
    """
    n, m = Y.shape
    for p in prange(n):
        g = np.zeros(m)
        h = np.zeros(m)
        s = 0.0
        for j in range(n):
            sq = 0.0
            for q in range(m):
                t = Y[p, q] - Y[j, q]
                sq += t * t
            d = max(np.sqrt(sq), D_FLOOR)
            invd = 1.0 / d
            di = Dinv[p, j]
            diff = D[p, j] - d
            s += diff * diff * di
            inv = di * invd
            corr = invd * (1.0 + diff * invd)
            for q in range(m):
                y = Y[p, q] - Y[j, q]
                g[q] += diff * inv * y
                h[q] += inv * (diff - y * y * corr)
        for q in range(m):
            grad[p, q] = scale * g[q]
            hess[p, q] = scale * h[q]
        row_stress[p] = s


# Two-dimensional maps (the plots) are the common case: with the coordinates in
# scalars the inner loop vectorizes, about twice as fast as the general kernels.


@pjit(fastmath=FASTMATH_SAFE)
def sammon_row_stress_2d(D, Dinv, Y, out):
    """:func:`sammon_row_stress` for ``Y.shape[1] == 2``."""
    n = Y.shape[0]
    for i in prange(n):
        s = 0.0
        y0 = Y[i, 0]
        y1 = Y[i, 1]
        for j in range(n):
            a = y0 - Y[j, 0]
            b = y1 - Y[j, 1]
            d = max(np.sqrt(a * a + b * b), D_FLOOR)
            e = D[i, j] - d
            s += e * e * Dinv[i, j]
        out[i] = s


@pjit(fastmath=FASTMATH_SAFE)
def sammon_derivatives_2d(D, Dinv, Y, scale, grad, hess, row_stress):
    """:func:`sammon_derivatives` for ``Y.shape[1] == 2``."""
    n = Y.shape[0]
    for p in prange(n):
        g0 = 0.0
        g1 = 0.0
        h0 = 0.0
        h1 = 0.0
        s = 0.0
        y0 = Y[p, 0]
        y1 = Y[p, 1]
        for j in range(n):
            a = y0 - Y[j, 0]
            b = y1 - Y[j, 1]
            d = max(np.sqrt(a * a + b * b), D_FLOOR)
            invd = 1.0 / d
            di = Dinv[p, j]
            diff = D[p, j] - d
            s += diff * diff * di
            inv = di * invd
            corr = invd * (1.0 + diff * invd)
            g0 += diff * inv * a
            g1 += diff * inv * b
            h0 += inv * (diff - a * a * corr)
            h1 += inv * (diff - b * b * corr)
        grad[p, 0] = scale * g0
        grad[p, 1] = scale * g1
        hess[p, 0] = scale * h0
        hess[p, 1] = scale * h1
        row_stress[p] = s
