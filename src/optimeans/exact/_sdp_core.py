"""The pieces of the Peng-Wei SDP bound that every SDP solver of the package shares.

The Householder reflection that maps the weighted all-ones direction to the
first axis, the robust top-eigenpair routine, and the value of a dual point
(the certified bound itself, see :mod:`optimeans.exact.bounds` for the
derivation). They live apart from :mod:`optimeans.exact.bounds` so that the
cut-strengthened solver (:mod:`optimeans.exact.sdp_bnb`) can use them and the
bounds module can use that solver in turn, without an import cycle.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__: list[str] = []

_EPS = np.finfo(np.float64).eps


class _Householder:
    """H = I - beta v v^T with H u = -e_1, applied in O(n^2) to symmetric matrices."""

    def __init__(self, u: np.ndarray) -> None:
        v = u.copy()
        v[0] += 1.0  # u[0] > 0, so no cancellation
        self.v = v
        self.beta = 2.0 / float(v @ v)

    def sandwich(self, Y: np.ndarray) -> np.ndarray:
        """H Y H for symmetric Y (a new array)."""
        v, b = self.v, self.beta
        y = Y @ v
        c = float(v @ y)
        out = Y - b * np.outer(v, y)
        out -= b * np.outer(y, v)
        out += (b * b * c) * np.outer(v, v)
        return out


def _eigh_top(B: np.ndarray, m: int, *, eigvals_only: bool = False):
    """The m largest eigenpairs (ascending) of the symmetric B, robustly.

    LAPACK's MRRR driver (``evr``) is the fastest for a few eigenpairs but can
    fail with "Internal Error" on matrices with tight eigenvalue clusters
    (duplicate rows in the data give exactly those); the bisection driver
    (``evx``) and then the full divide-and-conquer decomposition take over.
    Eigenvalues that are not finite count as a failure too.
    """
    n = B.shape[0]
    B = 0.5 * (B + B.T)
    if m < n:
        for driver in ("evr", "evx"):
            try:
                out = scipy.linalg.eigh(
                    B, subset_by_index=[n - m, n - 1], driver=driver, check_finite=False, eigvals_only=eigvals_only
                )
            except (np.linalg.LinAlgError, ValueError):
                continue
            lam = out if eigvals_only else out[0]
            if np.all(np.isfinite(lam)):
                return out
    if eigvals_only:
        lam = np.linalg.eigvalsh(B)
        out = lam[n - m:]
    else:
        lam, Q = np.linalg.eigh(B)
        out = (lam[n - m:], Q[:, n - m:])
    if not np.all(np.isfinite(lam)):
        raise np.linalg.LinAlgError("eigenvalue computation returned non-finite values")
    return out


def _dual_value(Kt: np.ndarray, N: np.ndarray, hh: _Householder, u: np.ndarray, k: int, T: float) -> float:
    """The certified bound for the dual point N >= 0 (entrywise), with a rounding margin."""
    n = Kt.shape[0]
    B = hh.sandwich(N)
    B[1:, 1:] += Kt[1:, 1:]
    Bs = B[1:, 1:]
    Bs = 0.5 * (Bs + Bs.T)
    m = k - 1
    lam = _eigh_top(Bs, m, eigvals_only=True)
    top = float(lam.sum())
    uNu = float(u @ N @ u)
    # Backward error of the eigensolver and of forming B: a few n eps ||B||_F
    # per eigenvalue; generous constant.
    normB = float(np.linalg.norm(Bs))
    margin = 32.0 * m * n * _EPS * normB + 32.0 * n * _EPS * (abs(uNu) + T)
    return float(T - uNu - top - margin)
