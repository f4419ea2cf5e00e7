r"""Branch and bound with SDP bounds strengthened by cutting planes (any dimension).

Each node of the tree is a k-means problem on *groups* of rows (a must-link
merges two groups into one weighted row: the within-group scatter becomes a
constant) with *cannot-link* pairs of groups that may not share a cluster.
Its bound is the Peng-Wei relaxation of :mod:`optimeans.exact.bounds`,

.. math:: \max \langle K, M\rangle \;\text{ s.t. }\; M \succeq 0,\ M u = u,\
          \mathrm{tr}\, M = k,\ M \ge 0,\ M_{ab} = 0 \text{ (cannot-link)},

strengthened by the inequalities every partition satisfies, written for the
unit-weight matrix :math:`Z_{ab} = M_{ab} / \sqrt{w_a w_b}`: pair
inequalities :math:`Z_{ij} \le Z_{ii}` and triangle inequalities
:math:`Z_{ij} + Z_{ik} \le Z_{ii} + Z_{jk}` (both hold with
:math:`Z_{ab} = 1/W_c` for rows of one cluster of weight :math:`W_c`, 0 across
clusters). The violated ones are added by separation every few dozen
iterations and those whose multiplier is zero dropped (Piccialli, Sudoso &
Wiegele 2022 use the same families).

The relaxation is solved by ADMM (Boyd et al. 2011) splitting
:math:`M = P`: :math:`M` on the spectral set (an eigendecomposition), :math:`P`
on the polyhedron (non-negativity, cannot-link zeros, cuts) by a few
Gauss-Seidel sweeps over the cut multipliers
(:func:`optimeans._kernels.sdp_cuts.project_cuts`). **Validity does not depend
on the solver's accuracy**: the dual point is rebuilt exactly as
:math:`N = \rho(\max(-R, 0) + \sum_c y_c A_c)` with :math:`y \ge 0` plus free
values on cannot-link entries, so :math:`\langle N, M\rangle \ge 0` for every
partition of the node, and :math:`T - u^T N u - \sum_{i<k-1}
\lambda_i(V^T (K + N) V)` (minus a rounding margin) is a lower bound on the
node's optimum however early ADMM stops. That is why the early steps may
project in float32 (the eigendecomposition is most of a step) while the bound
itself is always evaluated in float64.

Branching looks at the pairs of groups that the relaxation puts together
most fractionally (normalized :math:`M_{ab} / \sqrt{M_{aa} M_{bb}}` nearest
1/2, within ``_NEAR_FRACTIONAL`` of the most fractional) and splits the one
whose merge costs the most (ecoli k = 8: 5 nodes instead of 33), must-link
child first; nodes are explored best bound first. Incumbents come
from the caller (the global search) and from rounding each node's matrix (its
top k eigenvectors clustered by k-means, then Hartigan moves on the rows).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from .._kernels.sdp_cuts import (
    cut_matrix,
    polyhedral_update,
    project_cuts,
    rank_two_plus,
    relaxed_point,
    separate_triangles,
    symmetric_difference,
)
from ._sdp_core import _dual_value, _eigh_top, _Householder

__all__ = ["node_bound", "sdp_search"]

#: The spectral projection runs in float32 while the primal residual (in the
#: normalized units where tr K = k - 1, so alike for every data set) is above
#: this: ecoli k = 8 root, 200 steps: 20.2 -> 13.5 ms CPU per step, bound
#: 13.82408 instead of 13.82418, and the same bound to 5 digits after 1,200
#: steps. Bounds stay certified in float64 either way.
_LOW_PRECISION_UNTIL = 2e-5

#: Most cuts kept, per row of the node.
_CUTS_PER_ROW = 30

#: Branching: among the pairs at least this share as fractional as the most
#: fractional one, split the one whose merge costs the most (see _pick_pair).
_NEAR_FRACTIONAL = 0.8

#: Gauss-Seidel sweeps over the cut multipliers per ADMM step.
_SWEEPS = 3

#: The spectral projection asks for all eigenpairs once it needs more than n / this many.
_FULL_FRACTION = 8


def _shift(lam: np.ndarray, s: float) -> float:
    """tau with sum(clip(lam - tau, 0, 1)) = s, exactly (piecewise linear in tau; needs len(lam) > s).

    f(tau) is evaluated at its breakpoints (the values lam and lam - 1) from
    the sorted eigenvalues and their prefix sums, in O(n log n).
    """
    lam = np.sort(lam)
    n = lam.shape[0]
    csum = np.concatenate([[0.0], np.cumsum(lam)])
    bp = np.unique(np.concatenate([lam, lam - 1.0]))  # ascending; f decreasing from n to 0
    lo = np.searchsorted(lam, bp, side="right")  # lam[lo:] > tau
    hi = np.searchsorted(lam, bp + 1.0, side="left")  # lam[hi:] >= tau + 1 count 1 each
    f = (n - hi) + (csum[hi] - csum[lo]) - (hi - lo) * bp
    t = int(np.searchsorted(-f, -s, side="right")) - 1  # last breakpoint with f >= s
    t = min(max(t, 0), len(bp) - 2)
    f0, f1 = f[t], f[t + 1]
    if f0 == f1:
        return float(bp[t])
    return float(bp[t] + (f0 - s) / (f0 - f1) * (bp[t + 1] - bp[t]))


def _project_spectral(B: np.ndarray, s: int, m_guess: int, low: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Projection of the symmetric B onto {0 <= Z <= I, tr Z = s} (Frobenius), from its top eigenpairs.

    The eigenvalues map to ``clip(lam - tau, 0, 1)``; the top ``m`` pairs
    suffice once the smallest of them is at or below ``tau`` (``m`` grows
    until it is). Beyond an eighth of the spectrum the full divide-and-conquer
    decomposition is cheaper than the partial one (n = 335, one thread: 37 ms
    for all pairs, 42 ms for the top 40 and 80 ms for the top 110 by MRRR),
    so it is used from there on. ``low``: the eigenpairs in float32
    (:func:`_eigh_low`). Returns Z as factors (Q, z) with
    Z = Q diag(z) Q^T, and the m that sufficed.
    """
    n = B.shape[0]
    full = max(s + 2, n // _FULL_FRACTION)
    m = min(n, max(m_guess, s + 1))
    if m > full:
        m = n
    while True:
        if low:
            lam, Q = _eigh_low(B, m)
        else:
            lam, Q = _eigh_top(B, m)
        tau = _shift(lam, s) if m > s else float(lam.min()) - 1.0
        if m >= n or lam.min() <= tau:
            break
        m = min(n, 2 * m)
        if m > full:
            m = n
    z = np.clip(lam - tau, 0.0, 1.0)
    keep = z > 0
    return Q[:, keep], z[keep], m


def _eigh_low(B: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The m largest eigenpairs of the symmetric B computed in float32 (returned in float64).

    LAPACK's single-precision divide and conquer (``syevd``) takes about 0.6 of
    the double-precision time at n = 335 (NumPy's float32 ``eigh`` is no faster
    than its float64 one; SciPy's is). Used for the early ADMM steps only: the
    projection need not be exact there, and every bound comes from a dual
    point checked in float64 (:func:`optimeans.exact._sdp_core._dual_value`).
    Falls back to :func:`_eigh_top` when the float32 solver fails.
    """
    n = B.shape[0]
    B32 = B.astype(np.float32)
    B32 = 0.5 * (B32 + B32.T)
    try:
        if m < n:
            lam, Q = scipy.linalg.eigh(B32, subset_by_index=[n - m, n - 1], driver="evr", check_finite=False)
        else:
            lam, Q = scipy.linalg.eigh(B32, driver="evd", check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return _eigh_top(B, m)
    if not np.all(np.isfinite(lam)):
        return _eigh_top(B, m)
    return lam.astype(np.float64), Q.astype(np.float64)


@dataclass
class _Cuts:
    """The cuts in use, as (m, 4) entry arrays, and their multipliers.

    ``tri`` (m, 3) names each cut: ``(i, j, -1)`` the pair inequality
    :math:`Z_{ij} \\le Z_{ii}`, ``(i, j, k)`` with ``j < k`` the triangle
    :math:`Z_{ij} + Z_{ik} \\le Z_{ii} + Z_{jk}`.
    """

    ci: np.ndarray
    cj: np.ndarray
    cc: np.ndarray
    nnz: np.ndarray
    y: np.ndarray
    tri: np.ndarray

    @classmethod
    def empty(cls) -> _Cuts:
        z = np.zeros((0, 4), dtype=np.int64)
        return cls(z, z.copy(), np.zeros((0, 4)), np.zeros(0, dtype=np.int64), np.zeros(0),
                   np.zeros((0, 3), dtype=np.int64))

    @property
    def keys(self) -> list[tuple[int, ...]]:
        """The cuts' names as tuples: (i, j) a pair, (i, j, k) a triangle."""
        return [(int(a), int(b)) if c < 0 else (int(a), int(b), int(c)) for a, b, c in self.tri]

    def __len__(self) -> int:
        return len(self.y)


def _codes(tri: np.ndarray, n: int) -> np.ndarray:
    """One integer per cut name (pairs have k = -1, coded as n)."""
    k = np.where(tri[:, 2] < 0, n, tri[:, 2])
    return (tri[:, 0] * n + tri[:, 1]) * (n + 1) + k


def _rebuild(tri: np.ndarray, y: np.ndarray, winv: np.ndarray, b: np.ndarray) -> _Cuts:
    """The entry arrays of the cuts ``tri`` (see :class:`_Cuts`) for the weights behind ``winv`` and ``b``."""
    tri = np.ascontiguousarray(tri, dtype=np.int64).reshape(-1, 3)
    m = tri.shape[0]
    i, j, k = tri[:, 0], tri[:, 1], tri[:, 2]
    pair = k < 0
    kk = np.where(pair, j, k)
    ci = np.zeros((m, 4), dtype=np.int64)
    cj = np.zeros((m, 4), dtype=np.int64)
    cc = np.zeros((m, 4))
    ci[:, 0] = i
    cj[:, 0] = i
    cc[:, 0] = winv[i]
    # pair: -Z_ij; triangle: +Z_jk, -Z_ij, -Z_ik
    a1 = np.where(pair, i, j)
    ci[:, 1] = np.minimum(a1, kk)
    cj[:, 1] = np.maximum(a1, kk)
    cc[:, 1] = np.where(pair, -b[i, j], b[j, kk])
    ci[:, 2] = np.minimum(i, j)
    cj[:, 2] = np.maximum(i, j)
    cc[:, 2] = np.where(pair, 0.0, -b[i, j])
    ci[:, 3] = np.minimum(i, kk)
    cj[:, 3] = np.maximum(i, kk)
    cc[:, 3] = np.where(pair, 0.0, -b[i, kk])
    nnz = np.where(pair, 2, 4).astype(np.int64)
    return _Cuts(ci, cj, cc, nnz, np.ascontiguousarray(y, dtype=np.float64).copy(), tri)


def _separate(M: np.ndarray, w: np.ndarray, cuts: _Cuts, max_new: int, max_total: int) -> _Cuts:
    """Drop inactive cuts, add up to ``max_new`` of the most violated pair and triangle inequalities."""
    n = M.shape[0]
    sq = 1.0 / np.sqrt(w)
    b = np.outer(sq, sq)
    winv = 1.0 / w
    Z = M * b
    zd = np.diag(Z).copy()
    thr = 1e-4 * float(zd.mean()) if n else 0.0
    keep = cuts.y > 0.0
    tri_old = cuts.tri[keep]
    y_old = cuts.y[keep]
    room = min(max_new, max_total - len(y_old))
    if room <= 0:
        return _rebuild(tri_old, y_old, winv, b)
    # pairs: Z_ij > Z_ii
    V = Z - zd[:, None]
    np.fill_diagonal(V, -np.inf)
    ii, jj = np.nonzero(V > thr)
    pv = V[ii, jj]
    if len(ii) > max_new:
        top = np.argpartition(-pv, max_new - 1)[:max_new]
        ii, jj, pv = ii[top], jj[top], pv[top]
    cap = max(1, max_new)
    oi = np.zeros(cap, dtype=np.int64)
    oj = np.zeros(cap, dtype=np.int64)
    ok = np.zeros(cap, dtype=np.int64)
    ov = np.zeros(cap)
    cnt = separate_triangles(np.ascontiguousarray(Z), thr, cap, oi, oj, ok, ov)
    cand = np.concatenate([
        np.column_stack([ii, jj, np.full(len(ii), -1)]).astype(np.int64).reshape(-1, 3),
        np.column_stack([oi[:cnt], oj[:cnt], ok[:cnt]]),
    ])
    viol = np.concatenate([pv, ov[:cnt]])
    if len(cand):
        cand = cand[np.argsort(-viol, kind="stable")]
        fresh = ~np.isin(_codes(cand, n), _codes(tri_old, n))
        cand = cand[fresh][:room]
    tri = np.concatenate([tri_old, cand])
    y = np.concatenate([y_old, np.zeros(len(cand))])
    return _rebuild(tri, y, winv, b)


@dataclass
class NodeResult:
    """What :func:`node_bound` returns: a certified bound and the relaxation's matrix."""

    bound: float  # certified lower bound of the node's (grouped) optimum
    M: np.ndarray  # the last primal iterate (for branching and rounding)
    n_iter: int
    stop_reason: str
    n_cuts: int
    warm: tuple[np.ndarray, np.ndarray, float, _Cuts] | None = None
    # proof recording (keep_dual=True): the dual point that gave ``bound``, in
    # the data's units: (N, cut keys, cut multipliers); see optimeans.exact.proof
    dual: tuple[np.ndarray, list, np.ndarray] | None = None


def node_bound(
    X: np.ndarray,
    w: np.ndarray,
    k: int,
    cannot: np.ndarray,
    *,
    upper: float = np.inf,
    rtol: float = 1e-6,
    deadline: float = np.inf,
    max_iter: int = 3000,
    cuts: bool = True,
    warm: tuple[np.ndarray, np.ndarray, float, _Cuts] | None = None,
    eval_every: int = 10,
    sep_every: int = 10,
    stall: float = 0.02,
    rho0: float = 1.0,
    alpha: float = 1.6,
    trace: list | None = None,
    keep_dual: bool = False,
) -> NodeResult:
    """A certified lower bound of min k-means(X, w) over partitions in which no pair of ``cannot`` shares a cluster.

    Parameters
    ----------
    X : float64 (n, d) distinct rows; w : float64 (n,) positive weights
    k : clusters (every partition counted has exactly k non-empty clusters)
    cannot : int (m, 2) pairs of rows that must be in different clusters
    upper : stop as soon as the bound reaches ``upper * (1 - rtol)`` (the node is pruned)
    deadline : ``time.perf_counter()`` value to stop at
    cuts : add pair and triangle inequalities (False: plain Peng-Wei with the cannot-links)
    warm : the ``warm`` of a previous call on the same rows (ADMM state and cuts)
    max_iter : ADMM steps at most
    eval_every, sep_every : steps between dual evaluations, between cut separations
    stall : stop (to branch) when 150 steps closed less than this share of
        the gap left to ``upper`` (after 400 steps, 200 from a warm start)
    rho0, alpha : first penalty parameter (then balanced), over-relaxation
    trace : a list to which (step, bound, cuts, rho, primal residual, dual
        residual) is appended at every evaluation
    keep_dual : return in ``dual`` the dual point of the best bound (for a
        proof that can be checked again, :mod:`optimeans.exact.proof`)

    The bound is valid whenever the solver stops: see the module docstring.
    """
    n = X.shape[0]
    W = float(w.sum())
    mean = (w @ X) / W
    Xc = X - mean
    T = float(w @ np.einsum("ij,ij->i", Xc, Xc))
    if k == 1:
        return NodeResult(T, np.full((n, n), 0.0), 0, "optimal", 0)
    if T <= 0.0 or k >= n:
        return NodeResult(0.0, np.eye(n), 0, "optimal", 0)
    sw = np.sqrt(w)
    u = sw / math.sqrt(W)
    G = sw[:, None] * Xc
    scale = T / (k - 1)
    Ks = (G @ G.T) / scale
    hh = _Householder(u)
    Kt = hh.sandwich(Ks)
    s = k - 1
    sq = 1.0 / sw
    bmat = np.outer(sq, sq)
    winv = 1.0 / w
    can = np.zeros((n, n), dtype=np.bool_)
    if len(cannot):
        can[cannot[:, 0], cannot[:, 1]] = True
        can[cannot[:, 1], cannot[:, 0]] = True
    if warm is not None:
        P, U, rho, cutset = warm[0].copy(), warm[1].copy(), warm[2], warm[3]
        cutset = _rebuild(cutset.tri, cutset.y, winv, bmat)
    else:
        P = np.zeros((n, n))
        U = np.zeros((n, n))
        rho = rho0
        cutset = _Cuts.empty()
    uu = np.outer(u, u)
    m_guess = s + 2
    target = upper * (1.0 - rtol) if np.isfinite(upper) else np.inf
    best = 0.0
    dual = None
    hist: list[tuple[int, float]] = [(0, 0.0)]
    stop = "max_iter"
    M = np.zeros((n, n))
    max_total = _CUTS_PER_ROW * n
    max_new = 3 * n
    it = 0
    R = None
    r_primal = np.inf
    # work arrays of the ADMM step
    Ys = np.empty((n, n))
    Yt = np.empty((n, n))
    Qb = np.empty((n, n))
    Rb = np.zeros((n, n))  # R before the first step: the dual point max(-R, 0) = 0 is valid
    try:  # Ctrl-C: stop here and certify the bound of the last dual point (the loop keeps its indentation)
      for it in range(1, max_iter + 1):  # noqa: E111
        symmetric_difference(P, U, Ys)
        yv = Ys @ hh.v
        gv = hh.beta * yv - (0.5 * hh.beta * hh.beta * float(hh.v @ yv)) * hh.v
        rank_two_plus(Ys, hh.v, gv, Kt, 1.0 / rho, Yt)
        Qk, zk, m_used = _project_spectral(Yt[1:, 1:], s, m_guess, low=r_primal > _LOW_PRECISION_UNTIL)
        # next time ask for a few more pairs than this projection's rank
        # (doubling from too few costs a whole decomposition each time)
        m_guess = max(s + 2, Qk.shape[1] + 2 + Qk.shape[1] // 4)
        # M = H (e1 e1^T + [0; Qk] diag(zk) [0; Qk]^T) H, and H e1 = -u: a rank-r update of u u^T
        V = np.zeros((n, Qk.shape[1]))
        V[1:] = Qk
        V -= hh.beta * np.outer(hh.v, hh.v @ V)
        M = uu + (V * zk) @ V.T
        # over-relaxation (Boyd et al. 2011, section 3.4.3); R = Q + A^*(y)
        R = Rb
        relaxed_point(M, P, U, alpha, cutset.ci, cutset.cj, cutset.cc, cutset.nnz, cutset.y, Qb, R)
        if len(cutset):
            project_cuts(R, can, cutset.ci, cutset.cj, cutset.cc, cutset.nnz, cutset.y, _SWEEPS)
        rp2, rd2 = polyhedral_update(R, Qb, M, can, P, U)  # P = max(R, 0), U = Q - P, in place
        r_primal = math.sqrt(rp2)
        r_dual = rho * math.sqrt(rd2)
        if it % eval_every == 0 or it == max_iter:
            # the dual point, rebuilt so that it is exactly in the dual cone
            N = np.maximum(-R, 0.0)
            if len(cutset):
                N += cut_matrix(n, cutset.ci, cutset.cj, cutset.cc, cutset.nnz, cutset.y)
            N[can] = -U[can]
            N = rho * 0.5 * (N + N.T)
            val = scale * _dual_value(Kt, N, hh, u, k, T / scale)
            if math.isfinite(val) and val > best:
                best = val
                if keep_dual:  # proof recording
                    dual = _dual_record(N, cutset, rho, scale)
            hist.append((it, best))
            if trace is not None:
                trace.append((it, best, len(cutset), rho, r_primal, r_dual))
            if best >= target:
                stop = "pruned"
                break
            # stop when the last 150 iterations closed less than 2 % of what is left
            if it >= 200:
                past = next(b for i_, b in reversed(hist) if i_ <= it - 150)
                left = (upper - best) if np.isfinite(upper) else abs(best)
                if best - past <= stall * max(left, 1e-12 * abs(best)):
                    if not cuts or it >= (200 if warm is not None else 400):
                        stop = "stalled"
                        break
        if cuts and it % sep_every == 0:
            cutset = _separate(M, w, cutset, max_new, max_total)
        if time.perf_counter() >= deadline:
            stop = "time_limit"
            break
        if r_primal > 10.0 * r_dual:
            rho *= 2.0
            U /= 2.0
            cutset.y /= 2.0
        elif r_dual > 10.0 * r_primal:
            rho /= 2.0
            U *= 2.0
            cutset.y *= 2.0
    except KeyboardInterrupt:
        stop = "interrupted"
    if R is None:
        pass  # interrupted before the first step: no dual point
    elif stop in ("time_limit", "interrupted") or (it % eval_every and stop != "pruned"):
        N = np.maximum(-R, 0.0)
        if len(cutset):
            N += cut_matrix(n, cutset.ci, cutset.cj, cutset.cc, cutset.nnz, cutset.y)
        N[can] = -U[can]
        N = rho * 0.5 * (N + N.T)
        val = scale * _dual_value(Kt, N, hh, u, k, T / scale)
        if math.isfinite(val) and val > best:
            best = val
            if keep_dual:  # proof recording
                dual = _dual_record(N, cutset, rho, scale)
    return NodeResult(max(best, 0.0), M, it, stop, len(cutset), (P, U, rho, cutset), dual)


def _dual_record(N: np.ndarray, cutset: _Cuts, rho: float, scale: float) -> tuple[np.ndarray, list, np.ndarray]:
    """The dual point in the data's units: N, the cut keys and their multipliers (proof recording)."""
    return scale * N, list(cutset.keys), (scale * rho) * cutset.y.copy()


# ---------------------------------------------------------------------------
# the tree
# ---------------------------------------------------------------------------


def _groups(n: int, must: list[tuple[int, int]]) -> np.ndarray:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in must:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n)])
    _, g = np.unique(roots, return_inverse=True)
    return g.ravel().astype(np.int64)


def _grouped(X: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Group means, group weights and the within-group scatter (the node's constant)."""
    G = int(g.max()) + 1
    gw = np.bincount(g, weights=w, minlength=G)
    gx = np.stack([np.bincount(g, weights=w * X[:, f], minlength=G) for f in range(X.shape[1])], 1) / gw[:, None]
    const = float((w * ((X - gx[g]) ** 2).sum(1)).sum())
    return np.ascontiguousarray(gx), gw, const


def _sse(X: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        m = labels == c
        ww = w[m]
        mu = (ww @ X[m]) / ww.sum()
        total += float(ww @ ((X[m] - mu) ** 2).sum(1))
    return total


def _round(X, w, k, g, gx, gw, M, rng) -> tuple[np.ndarray, float] | None:
    """A partition of the rows from the node's matrix: top-k eigenvectors, k-means, Hartigan moves."""
    from ..solvers.hartigan import transfer
    from .search import local_optima

    G = gx.shape[0]
    if G < k:
        return None
    lam, Q = _eigh_top(M, min(k, G))
    F = (Q * np.maximum(lam, 0.0)) / np.sqrt(gw)[:, None]
    F = np.ascontiguousarray(F)
    best = None
    for lab_g in local_optima(F, gw, k, rng, 3):
        lab = np.ascontiguousarray(lab_g[g], dtype=np.int64)
        if len(np.unique(lab)) < k:
            continue
        lab, _, _, _, _ = transfer(X, w, lab, k, max_iter=1000, tol=0.0)
        val = _sse(X, w, lab)
        if best is None or val < best[1]:
            best = (lab, val)
    return best


def _pick_pair(M: np.ndarray, can: set[tuple[int, int]], X: np.ndarray | None = None,
               w: np.ndarray | None = None, near: float = _NEAR_FRACTIONAL) -> tuple[int, int] | None:
    """The pair of rows to branch on: the most fractional entry of the normalised matrix.

    With the rows ``X`` and weights ``w``, among the pairs whose fractionality
    is at least ``near`` times the largest the one whose merge costs the most
    (``w_i w_j / (w_i + w_j) |x_i - x_j|^2``, the must-link child's added
    constant): splitting a pair of near rows barely moves the must-link child.
    """
    d = np.sqrt(np.maximum(np.diag(M), 1e-300))
    Zn = np.clip(M / np.outer(d, d), 0.0, 1.0)
    score = np.minimum(Zn, 1.0 - Zn)
    np.fill_diagonal(score, -1.0)
    for a, b in can:
        score[a, b] = score[b, a] = -1.0
    a, b = np.unravel_index(int(np.argmax(score)), score.shape)
    if score[a, b] < 0.0:
        return None
    if X is not None and w is not None and score[a, b] > 1e-9 and near < 1.0:
        ii, jj = np.nonzero(np.triu(score >= near * score[a, b], 1))
        if len(ii) > 1:
            cost = (w[ii] * w[jj] / (w[ii] + w[jj])) * ((X[ii] - X[jj]) ** 2).sum(1)
            c = int(np.argmax(cost))  # first of the ties: deterministic
            a, b = ii[c], jj[c]
    if score[a, b] <= 1e-9:
        # the relaxation is integral but the bound has not met the incumbent:
        # split the pair that is together and the least tight
        sc = np.where(Zn > 0.5, 1.0 - Zn, -1.0)
        np.fill_diagonal(sc, -1.0)
        for x, y in can:
            sc[x, y] = sc[y, x] = -1.0
        a, b = np.unravel_index(int(np.argmax(sc)), sc.shape)
        if sc[a, b] < 0.0:
            return None
    return int(min(a, b)), int(max(a, b))


def _merge_warm(warm, g_child: np.ndarray, w_child: np.ndarray):
    """The parent's ADMM state carried to the child's merged rows.

    A partition matrix of the parent's rows maps to the child's by
    ``M' = S^T M S`` with ``S[i, c] = sqrt(w_i / w'_c)`` for parent group i
    inside child group c; P and U are carried the same way and the cuts
    renamed (those whose rows merge are dropped). Any warm start is valid:
    the bound comes from the dual point rebuilt at the child.
    """
    P, U, rho, cutset, g_parent, w_parent = warm
    Gp = w_parent.shape[0]
    Gc = w_child.shape[0]
    gmap = np.zeros(Gp, dtype=np.int64)
    gmap[g_parent] = g_child
    S = np.zeros((Gp, Gc))
    S[np.arange(Gp), gmap] = np.sqrt(w_parent / w_child[gmap])
    P2 = S.T @ P @ S
    U2 = S.T @ U @ S
    tri = cutset.tri.copy()
    if len(tri):
        tri[:, :2] = gmap[tri[:, :2]]
        has_k = tri[:, 2] >= 0
        tri[has_k, 2] = gmap[tri[has_k, 2]]
        ok = (tri[:, 0] != tri[:, 1]) & (~has_k | ((tri[:, 0] != tri[:, 2]) & (tri[:, 1] != tri[:, 2])))
        jk = np.sort(tri[has_k, 1:], axis=1)
        tri[has_k, 1:] = jk
        tri, y = tri[ok], cutset.y[ok]
        _, first = np.unique(_codes(tri, Gc), return_index=True)
        first.sort()
        tri, y = tri[first], y[first]
    else:
        y = cutset.y[:0]
    c = _Cuts.empty()
    c.tri, c.y = tri, np.asarray(y, dtype=np.float64)
    return P2, U2, rho, c


@dataclass
class _Node:
    bound: float
    must: list[tuple[int, int]]
    cannot: list[tuple[int, int]]  # pairs of rows
    warm: Any = None
    nid: int = 0  # the node's number (proof recording)


def sdp_search(
    X: np.ndarray,
    w: np.ndarray,
    k: int,
    labels: np.ndarray,
    value: float,
    *,
    deadline: float = np.inf,
    rtol: float = 1e-4,
    rng: np.random.Generator | None = None,
    cuts: bool = True,
    max_nodes: int = 100_000,
    node_callback: Any = None,
    recorder: Any = None,
    progress: Any = None,
) -> tuple[np.ndarray, float, float, bool, dict[str, Any]]:
    """Best-first branch and bound on must-link / cannot-link pairs with :func:`node_bound` bounds.

    ``X`` float64 distinct rows, ``w`` positive weights, ``labels`` / ``value``
    the incumbent. A node is closed when its bound reaches ``value * (1 - rtol)``.
    Returns (labels, value, lower bound, proven, info); ``lower`` is the least
    bound over the open nodes and the nodes closed by their bound (so at
    least ``value * (1 - rtol)`` once the tree is closed). ``node_callback(depth, node_result, const)`` sees every node
    solved (for tests).

    ``recorder`` (a :class:`optimeans.exact.proof.TreeRecorder`) is told of
    every node, its fate and its dual point, for a proof that can be checked
    again; ``progress(incumbent, lower, open_nodes, nodes)`` is called after
    every node. Ctrl-C (KeyboardInterrupt) stops the search like the deadline
    (``info["interrupted"] = True``): the best partition and the bound so far
    are returned.
    """
    from threadpoolctl import threadpool_limits

    # multithreaded BLAS on matrices this small is slower than one thread
    with threadpool_limits(1 if X.shape[0] < 1000 else None):
        return _tree(X, w, k, labels, value, deadline, rtol, rng, cuts, max_nodes, node_callback, recorder, progress)


def _tree(X, w, k, labels, value, deadline, rtol, rng, cuts, max_nodes, node_callback, recorder=None, progress=None):
    rng = np.random.default_rng(0) if rng is None else rng
    n = X.shape[0]
    best_labels, best = np.asarray(labels, dtype=np.int64).copy(), float(value)
    heap: list[tuple[float, int, _Node]] = [(0.0, 0, _Node(0.0, [], []))]
    counter = 1
    nodes = 0
    root = None
    stopped: list[float] = []
    iters = 0
    t0 = time.perf_counter()
    closed = np.inf  # least bound of the nodes closed by their bound (a leaf: its value)
    rec = recorder  # proof recording (None: off)
    interrupted = False
    node = None
    try:
      while heap and nodes < max_nodes:  # noqa: E111 (indented for the KeyboardInterrupt handler)
        pb, _, node = heapq.heappop(heap)
        if pb >= best * (1.0 - rtol):
            closed = min(closed, pb)
            if rec is not None:
                rec.leaf(node, "closed")
            continue
        if time.perf_counter() >= deadline:
            stopped.append(pb)
            if rec is not None:
                rec.leaf(node, "open")
            break
        nodes += 1
        g = _groups(n, node.must)
        G = int(g.max()) + 1
        can_g = {(min(g[a], g[b]), max(g[a], g[b])) for a, b in node.cannot}
        if any(a == b for a, b in can_g) or G < k:
            if rec is not None:
                rec.leaf(node, "infeasible")
            continue  # infeasible
        gx, gw, const = _grouped(X, w, g)
        if const >= best * (1.0 - rtol):
            closed = min(closed, max(pb, const))
            if rec is not None:
                rec.leaf(node, "closed")
            continue  # the must-links alone cost as much as the incumbent
        if G == k:
            # one partition left: every group its own cluster
            if const < best:
                best, best_labels = const, g.copy()
            closed = min(closed, const)
            if rec is not None:
                rec.leaf(node, "single")
            continue
        cannot_arr = np.array(sorted(can_g), dtype=np.int64).reshape(-1, 2)
        warm = node.warm
        if warm is not None and len(warm) == 6:
            warm = _merge_warm(warm, g, gw)
        res = node_bound(gx, gw, k, cannot_arr, upper=best - const, rtol=rtol * best / max(best - const, 1e-300),
                         deadline=deadline, cuts=cuts, warm=warm, keep_dual=rec is not None,
                         trace=None if progress is None else _NodeProgress(progress, best, closed, heap, stopped, nodes,
                                                                           pb, const))
        iters += res.n_iter
        if rec is not None:
            rec.solved(node, g, const, res)
        bound = max(pb, const + res.bound)
        if node_callback is not None:
            node_callback(node, res, const, g)
        if root is None:
            root = bound
        rounded = _round(X, w, k, g, gx, gw, res.M, rng)
        if rounded is not None and rounded[1] < best * (1.0 - 1e-12):
            best_labels, best = rounded
        if bound >= best * (1.0 - rtol):
            closed = min(closed, bound)
            if rec is not None:
                rec.leaf(node, "closed")
            node = None  # settled (for a Ctrl-C in the progress callback)
            _report(progress, best, closed, heap, stopped, nodes)
            if res.stop_reason == "interrupted":
                interrupted = True
                break
            continue
        if res.stop_reason in ("time_limit", "interrupted"):
            stopped.append(bound)
            if rec is not None:
                rec.leaf(node, "open")
            if res.stop_reason == "interrupted":
                interrupted = True
                node = None
            break
        pair_g = _pick_pair(res.M, can_g, gx, gw)
        if pair_g is None:
            stopped.append(bound)
            if rec is not None:
                rec.leaf(node, "open")
            continue
        ga, gb = pair_g
        a = int(np.flatnonzero(g == ga)[0])
        b = int(np.flatnonzero(g == gb)[0])
        # the children start from this node's ADMM state (the must-link child
        # from its image on the merged rows), kept while the open nodes'
        # states stay under 256 MB
        keep = (len(heap) + 2) * 32 * G * G <= 2**28
        warm_m = (*res.warm, g, gw) if keep else None
        child_m = _Node(bound, node.must + [(a, b)], node.cannot, warm_m, counter)
        warm = res.warm if keep else None
        child_c = _Node(bound, node.must, node.cannot + [(a, b)], warm, counter + 1)
        if rec is not None:
            rec.branch(node, (a, b), child_m, child_c)
        heapq.heappush(heap, (bound, counter, child_m))
        heapq.heappush(heap, (bound, counter + 1, child_c))
        counter += 2
        node = None  # settled: its children are open
        _report(progress, best, closed, heap, stopped, nodes)
    except KeyboardInterrupt:
        # Ctrl-C: stop as at the deadline. The node being worked on stays open
        # with its parent's bound (conservative if it was settled already).
        interrupted = True
        if node is not None:
            stopped.append(node.bound)
            if rec is not None:
                rec.interrupted(node)
    if rec is not None:
        for b_, _, nd in heap:
            rec.leaf(nd, "closed" if b_ >= best * (1.0 - rtol) else "open")
    open_bounds = [b for b, _, _ in heap if b < best * (1.0 - rtol)] + stopped
    proven = not open_bounds
    lower = min([closed, best, *open_bounds])
    info = {
        "sdp_nodes": nodes,
        "sdp_root_bound": float(root) if root is not None else None,
        "sdp_iterations": iters,
        "sdp_seconds": time.perf_counter() - t0,
        "sdp_open": len(open_bounds),
    }
    if interrupted:
        info["interrupted"] = True
    return best_labels, float(best), float(lower), proven, info


class _NodeProgress(list):
    """A ``trace`` for :func:`node_bound` that reports progress while one node is solved.

    The search's bound meanwhile is the least of the node's bound so far and
    those of the other open nodes.
    """

    def __init__(self, progress, best, closed, heap, stopped, nodes, pb, const) -> None:
        super().__init__()
        self.args = (progress, best, closed, heap, stopped, nodes)
        self.pb, self.const = pb, const

    def append(self, item) -> None:
        progress, best, closed, heap, stopped, nodes = self.args
        here = max(self.pb, self.const + max(float(item[1]), 0.0))
        _report(progress, best, min(closed, here), heap, stopped, nodes, busy=1)


def _report(progress, best, closed, heap, stopped, nodes, busy=0) -> None:
    """``progress(incumbent, certified lower bound, open nodes, nodes solved)``, if given."""
    if progress is None:
        return
    lower = min([closed, best, *stopped] + ([heap[0][0]] if heap else []))
    progress(float(best), float(lower), len(heap) + len(stopped) + busy, int(nodes))
