r"""Certified lower bounds on the global minimum of the k-means objective.

Write the data centered at its weighted mean, :math:`X_c`, with weights
:math:`D = \mathrm{diag}(w)`, total weight :math:`W` and total scatter
:math:`T = \sum_i w_i \lVert x_i - \bar x \rVert^2`. For a partition with
indicator matrix :math:`A` (n x k), :math:`Z = D^{1/2} A (A^T D A)^{-1/2}`
has orthonormal columns and the objective is

.. math::  E = T - \langle K, M \rangle, \qquad
           K = D^{1/2} X_c X_c^T D^{1/2}, \quad M = Z Z^T .

:math:`M` is a projection of rank k, its entries are non-negative and it
fixes :math:`u = D^{1/2}\mathbf 1 / \sqrt W` (so :math:`M = uu^T + M'` with
:math:`M'u = 0`, :math:`0 \preceq M' \preceq I`, :math:`\mathrm{tr}\,M' = k-1`).
Relaxing the set of such :math:`M` gives lower bounds:

**Spectral bound** (drop :math:`M \ge 0`): the maximum of
:math:`\langle K, M'\rangle` over that set is the sum of the k-1 largest
eigenvalues of :math:`K` (Ky Fan), which are those of the d x d weighted
scatter matrix :math:`X_c^T D X_c`. So

.. math::  E \ge T - \sum_{i<k-1} \lambda_i(X_c^T D X_c),

valid for every n and costing O(n d^2) (Ding & He 2004 for unit weights; the
weighted version follows from the same identity with the :math:`D^{1/2}`
scaling above). It is zero when k - 1 >= d.

**SDP bound** (keep :math:`M \ge 0`: the relaxation of Peng & Wei 2007). Its
Lagrangian dual gives, for *every* symmetric :math:`N \ge 0` (entrywise),

.. math::  E \ge T - u^T N u - \sum_{i<k-1} \lambda_i\big(V^T (K + N) V\big),

:math:`V` an orthonormal basis of :math:`u^\perp`, because
:math:`\langle N, M\rangle \ge 0` for every feasible :math:`M`. The bound
holds whatever :math:`N` is, so it stays valid however early the solver is
stopped: the dual point needs no feasibility repair, only an accurate
eigenvalue computation (a margin for its rounding error is subtracted).
:math:`N = 0` gives the spectral bound back; the best :math:`N` gives the SDP
value. :math:`N` comes from ADMM on the primal (Boyd et al. 2011, section 3):
one step projects onto the spectral set (an eigendecomposition and a capped
simplex), the other clips to :math:`M \ge 0`, and the scaled dual of the
clipping is always a valid :math:`N \ge 0`. This is the same kind of
certificate as SOS-SDP's (Piccialli, Sudoso & Wiegele 2022), which builds a
dual-feasible point to bound the optimum when SDPNAL+ stops early.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from .._validation import (
    check_data,
    check_n_clusters,
    check_nonneg_float,
    check_positive_int,
    check_sample_weight,
)
from ._sdp_core import _EPS, _dual_value, _eigh_top, _Householder

__all__ = ["lower_bound", "certify", "Certificate", "spectral_bound", "sdp_bound", "partition_bound"]

Method = Literal["auto", "spectral", "sdp", "partition"]

#: Largest n for which ``method="auto"`` picks the SDP bound (dense n x n work).
SDP_AUTO_MAX = 1500
#: Largest n the SDP bound accepts at all.
SDP_MAX = 6000



def _prepare(X: Any, n_clusters: Any, sample_weight: Any) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Validated float64 data centered at its weighted mean, weights, k, total scatter."""
    Xv = check_data(X).astype(np.float64)
    w = check_sample_weight(sample_weight, Xv.shape[0], np.float64)
    k = check_n_clusters(n_clusters, Xv, w)
    mean = (w @ Xv) / w.sum()
    Xc = Xv - mean
    T = float(w @ np.einsum("ij,ij->i", Xc, Xc))
    return Xc, w, k, T


def _top_sum(eigvals: np.ndarray, m: int) -> float:
    """Sum of the m largest values (m may be 0)."""
    if m <= 0:
        return 0.0
    return float(np.sort(eigvals)[::-1][:m].sum())


def spectral_bound(X: Any, n_clusters: int, *, sample_weight: Any = None) -> float:
    """The spectral lower bound ``T - sum of the k-1 largest eigenvalues of the scatter``.

    See :func:`lower_bound` (``method="spectral"``).
    """
    Xc, w, k, T = _prepare(X, n_clusters, sample_weight)
    return _spectral(Xc, w, k, T)


def _spectral(Xc: np.ndarray, w: np.ndarray, k: int, T: float) -> float:
    if k == 1:
        return T
    C = Xc.T @ (w[:, None] * Xc)
    lam = np.linalg.eigvalsh(C)
    top = _top_sum(lam, k - 1)
    # eigvalsh is backward stable: each eigenvalue within a few d eps ||C||.
    margin = 8.0 * (k - 1) * Xc.shape[1] * _EPS * max(float(np.abs(lam).max(initial=0.0)), T)
    return float(max(0.0, T - top - margin))


# ---------------------------------------------------------------------------
# SDP bound
# ---------------------------------------------------------------------------


def _capped_simplex_shift(lam: np.ndarray, s: float) -> float:
    """tau with sum(clip(lam - tau, 0, 1)) = s, by bisection (lam any order)."""
    lo = float(lam.min()) - 1.0
    hi = float(lam.max())
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if np.clip(lam - mid, 0.0, 1.0).sum() > s:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


#: From this n on, the SDP bound first estimates what one ADMM step costs.
_COST_CHECK_N = 800


def _eigh_seconds(A: np.ndarray) -> float:
    """Estimated seconds of a full eigendecomposition of A: one of a quarter-size block, times 64."""
    m = max(2, A.shape[0] // 4)
    t = time.perf_counter()
    np.linalg.eigvalsh(A[:m, :m])
    return 64.0 * (time.perf_counter() - t)


def _project_spectral(B: np.ndarray, s: int, m_guess: int) -> tuple[np.ndarray, int]:
    """Projection of the symmetric B onto {0 <= Z <= I, tr Z = s} (Frobenius).

    The projection keeps B's eigenvectors and maps its eigenvalues to
    ``clip(lam - tau, 0, 1)``. Only eigenpairs above the shift ``tau`` matter,
    so the top ``m`` are computed, ``m`` doubling until the smallest of them
    is at or below the shift found from them (then every eigenvalue not
    computed is below it too and maps to 0). Returns (Z, the m that sufficed).
    """
    n = B.shape[0]
    m = min(n, max(m_guess, s + 1))
    while True:
        lam, Q = _eigh_top(B, m)
        tau = _capped_simplex_shift(lam, s)
        if m >= n or lam.min() <= tau:
            break
        m = min(n, 2 * m)
        if m > n // 4:
            # a partial decomposition of more than a quarter of the spectrum
            # costs about as much as the full one: take it at once (the first
            # ADMM step on low-rank data otherwise doubled m to n in eight
            # calls, 150 s at n = 2000 on a busy machine)
            m = n
    z = np.clip(lam - tau, 0.0, 1.0)
    keep = z > 0
    Qk = Q[:, keep]
    return (Qk * z[keep]) @ Qk.T, m


def _best_at(history: list[tuple[int, float, float]], iteration: int) -> float:
    """The best certified bound known at ``iteration`` (history is in order)."""
    value = history[0][1]
    for it, b, _ in history:
        if it > iteration:
            break
        value = b
    return value


@dataclass
class _SDPState:
    bound: float
    n_iter: int
    seconds: float
    stop_reason: str
    primal: float  # the objective implied by the ADMM primal iterate (not a bound)
    history: list[tuple[int, float, float]] = field(default_factory=list)


def _sdp(
    Xc: np.ndarray,
    w: np.ndarray,
    k: int,
    T: float,
    *,
    max_iter: int,
    time_limit: float | None,
    tol: float,
    target: float | None,
    eval_every: int,
) -> _SDPState:
    t0 = time.perf_counter()
    n = Xc.shape[0]
    spectral = _spectral(Xc, w, k, T)
    if k == 1 or k >= n or T <= 0.0:
        # k = 1: the optimum is T itself; k = n or all points equal: it is 0.
        val = T if k == 1 else 0.0
        return _SDPState(val, 0, time.perf_counter() - t0, "optimal", val)
    sw = np.sqrt(w)
    u = sw / math.sqrt(float(w.sum()))
    G = sw[:, None] * Xc
    K = G @ G.T
    # Scale so that rho ~ 1 is sensible whatever the data's units.
    scale = T / (k - 1) if T > 0 else 1.0
    Ks = K / scale
    hh = _Householder(u)
    Kt = hh.sandwich(Ks)  # first row/column ~ 0 since K u = 0
    s = k - 1
    best = spectral
    history: list[tuple[int, float, float]] = [(0, spectral, 0.0)]
    # ADMM state: M (spectral set), P >= 0, U scaled dual of M = P.
    P = np.zeros((n, n))
    U = np.zeros((n, n))
    rho = 1.0
    m_guess = s + 8
    E1 = np.zeros((n, n))
    E1[0, 0] = 1.0
    stop = "max_iter"
    primal = float("nan")
    it = 0
    if time_limit is not None and n >= _COST_CHECK_N:
        # One step and one evaluation cost about three n x n eigendecompositions.
        # If they cannot fit in the time left, stop now with the spectral bound
        # rather than overrun the limit (a busy machine at n = 2000: minutes).
        est = 3.0 * _eigh_seconds(Kt)
        if time.perf_counter() - t0 + est > time_limit:
            return _SDPState(max(best, 0.0), 0, time.perf_counter() - t0, "time_limit", primal, history)
    t_iter = 0.0  # seconds of the slowest ADMM step so far
    t_eval = 0.0  # seconds of the slowest dual evaluation so far
    for it in range(1, max_iter + 1):
        ti = time.perf_counter()
        # M-step: project P - U + K/rho onto uu^T + {V Z V^T : 0<=Z<=I, tr Z = k-1}.
        Y = P - U
        Yt = hh.sandwich(0.5 * (Y + Y.T))
        Yt += Kt / rho
        Z, m_used = _project_spectral(Yt[1:, 1:], s, m_guess)
        m_guess = max(s + 8, m_used // 2 if m_used > 2 * (s + 8) else m_used)
        Mt = E1.copy()
        Mt[1:, 1:] = Z
        M = hh.sandwich(Mt)
        # P-step and dual update.
        P_old = P
        P = np.maximum(M + U, 0.0)
        U = U + M - P  # = min(M + U_old, 0) <= 0 exactly
        r_primal = float(np.linalg.norm(M - P))
        r_dual = rho * float(np.linalg.norm(P - P_old))
        t_iter = max(t_iter, time.perf_counter() - ti)
        # Stop *before* the time limit: when one more step and its evaluation
        # would overrun it, evaluate this step's dual point and stop (at
        # n = 2000 a step takes seconds, and checking only after it overran
        # the limit by several of them).
        last = time_limit is not None and time.perf_counter() - t0 + 2.0 * (t_iter + t_eval) >= time_limit
        if it % eval_every == 0 or it == max_iter or last:
            te = time.perf_counter()
            N = -rho * U  # >= 0 entrywise
            val = scale * _dual_value(Kt, N, hh, u, k, T / scale)
            t_eval = max(t_eval, time.perf_counter() - te)
            primal = T - scale * float(np.vdot(Ks, M))
            if math.isfinite(val) and val > best:
                best = val
            history.append((it, best, time.perf_counter() - t0))
            if target is not None and best >= target - tol * max(abs(target), 1e-300):
                stop = "target"
                break
            if abs(primal - best) <= tol * max(abs(primal), abs(best), 1e-300) and r_primal <= 10.0 * max(tol, 1e-9) * math.sqrt(k):
                stop = "converged"
                break
            # ADMM's tail is slow: stop when 100 iterations gained <= tol (relative).
            if it >= 100 and best - _best_at(history, it - 100) <= tol * abs(best):
                stop = "converged"
                break
        if last:
            stop = "time_limit"
            break
        # Residual balancing (Boyd et al. 2011, section 3.4.1); U is scaled.
        if r_primal > 10.0 * r_dual:
            rho *= 2.0
            U /= 2.0
        elif r_dual > 10.0 * r_primal:
            rho /= 2.0
            U *= 2.0
    return _SDPState(max(best, 0.0), it, time.perf_counter() - t0, stop, primal, history)


def sdp_bound(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    max_iter: int = 2000,
    time_limit: float | None = 60.0,
    tol: float = 1e-6,
    target: float | None = None,
    n_threads: int | None = None,
) -> tuple[float, dict[str, Any]]:
    """The Peng-Wei SDP lower bound and a record of how it was computed.

    See :func:`lower_bound` (``method="sdp"``) for the parameters. Returns
    ``(bound, info)`` with ``info`` holding ``n_iter``, ``seconds``,
    ``stop_reason`` ("converged", "target", "time_limit", "max_iter" or
    "optimal"), ``spectral`` (the spectral bound) and ``sdp_primal`` (the
    objective value of the relaxation at the last primal iterate, an
    estimate of the SDP value, not a bound).
    """
    Xc, w, k, T = _prepare(X, n_clusters, sample_weight)
    return _sdp_checked(
        Xc, w, k, T, max_iter=max_iter, time_limit=time_limit, tol=tol, target=target, n_threads=n_threads
    )


def _sdp_checked(Xc, w, k, T, *, max_iter, time_limit, tol, target, n_threads=None) -> tuple[float, dict[str, Any]]:
    n = Xc.shape[0]
    if n > SDP_MAX:
        raise ValueError(
            f"the SDP bound works on dense {n} x {n} matrices; n_samples={n} is above {SDP_MAX}: "
            "use method='spectral'"
        )
    max_iter = check_positive_int(max_iter, "max_iter")
    if time_limit is not None:
        time_limit = check_nonneg_float(time_limit, "time_limit")
    tol = check_nonneg_float(tol, "tol")
    if target is not None:
        target = float(target)
    # Identical rows are merged into one row of their summed weight: an
    # optimal partition never needs to separate them, so the optimum (and the
    # relaxation's bound on it) is the same, the SDP smaller, and the spectra
    # free of the exactly repeated eigenvalues that trouble LAPACK.
    Xc, w = _merge_rows(Xc, w)
    n = Xc.shape[0]
    if n <= k:
        info = {"n_iter": 0, "seconds": 0.0, "stop_reason": "optimal", "spectral": 0.0, "sdp_primal": 0.0,
                "history": [], "n_distinct": n}
        return 0.0, info
    # Multithreaded BLAS on small matrices is slower than one thread (and
    # dramatically so on a busy machine): one thread below n = 1000.
    with threadpool_limits(1 if n < 1000 else n_threads):
        st = _sdp(Xc, w, k, T, max_iter=max_iter, time_limit=time_limit, tol=tol, target=target, eval_every=5)
    info = {
        "n_iter": st.n_iter,
        "seconds": st.seconds,
        "stop_reason": st.stop_reason,
        "spectral": _spectral(Xc, w, k, T),
        "sdp_primal": st.primal,
        "history": st.history,
        "n_distinct": n,
    }
    return float(st.bound), info


def _merge_rows(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of positive weight and their summed weights (unchanged when all are distinct)."""
    keep = w > 0
    Xk, wk = X[keep], w[keep]
    uniq, inverse = np.unique(Xk, axis=0, return_inverse=True)
    if uniq.shape[0] == Xk.shape[0] and keep.all():
        return X, w
    wu = np.bincount(inverse.ravel(), weights=wk, minlength=uniq.shape[0])
    return np.ascontiguousarray(uniq), wu


def _group_sdp(X: np.ndarray, w: np.ndarray, k: int, upper: float, deadline: float,
               max_iter: int) -> tuple[float, int, int, str]:
    """One group's Peng-Wei bound (rows distinct, centered): stops at ``deadline`` or when it meets ``upper``."""
    T = float(w @ np.einsum("ij,ij->i", X, X))
    left = None if not math.isfinite(deadline) else max(0.0, deadline - time.perf_counter())
    st = _sdp(X, w, k, T, max_iter=max_iter, time_limit=left, tol=1e-5,
              target=upper if math.isfinite(upper) else None, eval_every=5)
    return float(st.bound), int(st.n_iter), 0, st.stop_reason


def _group_solver(solver: Any) -> tuple[Any, str]:
    """The group solver for ``solver`` ("cuts", "sdp" or a callable) and its name for the record."""
    if callable(solver):
        return solver, getattr(solver, "__name__", "custom")
    if solver is None or solver == "cuts":
        # imported here: sdp_bnb's kernels compile on first use, and a plain
        # lower_bound(method="spectral") should not pay for importing them
        from .group_cuts import cut_group_solver

        return cut_group_solver, "sdp+cuts"
    if solver == "sdp":
        return _group_sdp, "sdp"
    raise ValueError(f"solver must be 'cuts', 'sdp' or a callable, got {solver!r}")


def partition_bound(
    X: Any,
    n_clusters: int,
    labels: Any = None,
    *,
    sample_weight: Any = None,
    group_size: int | None = None,
    time_limit: float | None = 60.0,
    max_iter: int = 3000,
    n_threads: int | None = None,
    random_state: int = 0,
    solver: Any = "cuts",
) -> tuple[float, dict[str, Any]]:
    r"""A lower bound for any n: the sum of certified bounds of the groups of a partition of the rows.

    For disjoint groups :math:`G_1, \dots, G_m` of the rows,
    :math:`\sum_g \mathrm{OPT}(G_g) \le \mathrm{OPT}(X)`: the optimal
    clusters of X, restricted to a group, form a partition of it into at most
    k clusters whose cost (with the group's own means) is at most its share
    of the whole's cost, and k clusters do no worse than fewer. So the sum of
    certified lower bounds of the groups is a certified lower bound of the
    whole (Croella, Piccialli & Sudoso 2025 build such bounds on
    anticlustering partitions). The groups deal every cluster of ``labels``
    (a good partition, e.g. the result being certified; k-means++ labels by
    default) evenly over the groups with matched slice means
    (:func:`optimeans.exact.anticluster.anticluster_groups`), and each
    group's bound is by default the Peng-Wei SDP bound strengthened by pair
    and triangle cuts (:func:`optimeans.exact.group_cuts.cut_group_solver`),
    valid through an explicit dual point however early its solver stops,
    and never below the group's spectral bound. The first group is solved
    cold; every other group starts from its ADMM state mapped onto its own
    rows (groups correspond row by row: same clusters, same distances), and
    stops when its bound stops moving, leaving its time to the groups after.

    Parameters
    ----------
    X, n_clusters, labels, sample_weight
        The data, k, the partition the groups are built from.
    group_size : int, optional
        Rows per group. Default: the largest size (120 rows or 8 k, to 600)
        whose bounds fit ``time_limit`` by a timing estimate
        (:func:`optimeans.exact.anticluster.choose_group_size`; for the cut
        solver 20 of its steps are timed on 150 rows of the data first);
        400 without a time limit. Larger groups give tighter bounds and cost more
        (O(n s^2) in all for groups of s rows).
    time_limit : float or None
        Seconds for all the groups (each gets the time left divided by the
        groups left).
    max_iter : int
        ADMM steps at most per group.
    n_threads : int, optional
        Groups solved at a time (default: the CPU count, at most 8); each
        uses one BLAS thread.
    random_state : int
        Seeds the labels (when not given) and the order of equal distances.
    solver : {"cuts", "sdp"}, callable or None, default "cuts" (also for None)
        Bounds one group. ``"cuts"``: the Peng-Wei SDP strengthened by pair
        and triangle inequalities
        (:func:`optimeans.exact.group_cuts.cut_group_solver`; slower per
        step, tighter: on 20,000 points in 20 overlapping clusters 4.5 %
        instead of 7.4 % in the same time). ``"sdp"``: the plain Peng-Wei
        bound. A callable: a :data:`optimeans.exact.anticluster.GroupSolver`.
        Every group's bound is at least its spectral bound.

    Returns
    -------
    (bound, info)
        ``info`` holds ``n_groups``, ``group_size``, ``seconds``,
        ``solver`` ("sdp+cuts", "sdp" or the callable's name),
        ``restricted`` (the sum over groups of the cost of ``labels`` inside
        each group with the group's own means: what the bound could reach
        with exact group optima no better than their share), ``local`` (the
        sum of the groups' partitions after Hartigan moves from those
        clusters: the objective minus ``local`` is at most the loss of the
        grouping, ``local`` minus the bound at least the loss of the group
        solver), and ``groups``, one dict per group (``n_samples``,
        ``bound``, ``upper``, ``local``, ``n_iter``, ``n_cuts``,
        ``stop_reason``, ``seconds``).
    """
    import os

    from .anticluster import anticluster_groups, choose_group_size, group_bounds

    t0 = time.perf_counter()
    Xv = check_data(X).astype(np.float64)
    n = Xv.shape[0]
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, Xv, w)
    if time_limit is not None:
        time_limit = check_nonneg_float(time_limit, "time_limit")
    max_iter = check_positive_int(max_iter, "max_iter")
    if n_threads is None:
        n_threads = max(1, min(os.cpu_count() or 1, 8))
    n_threads = check_positive_int(n_threads, "n_threads")
    solve, solver_name = _group_solver(solver)
    rng = np.random.default_rng(random_state)
    if labels is None:
        from .._api import fit

        labels = fit(Xv, k, sample_weight=w, random_state=random_state).labels
    labels = np.asarray(labels).ravel()
    if labels.shape[0] != n:
        raise ValueError(f"labels has {labels.shape[0]} entries but X has {n} samples")
    if group_size is None:
        step_cost = None
        if time_limit is not None and getattr(solve, "warm_start", False) and n > 150:
            from .group_cuts import step_seconds

            # the cut solver's step, timed on this data and this machine as loaded now
            with threadpool_limits(1):
                step_cost = step_seconds(Xv, w, k, 150, np.random.default_rng(random_state))
        group_size = choose_group_size(n, k, time_limit, n_threads, step_cost=step_cost)
    group_size = check_positive_int(group_size, "group_size")
    m = max(1, n // max(group_size, k + 1))
    group, rnd = anticluster_groups(Xv, w, labels, m, rng, return_round=True)
    left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    # rows dealt from the same cell correspond across groups (warm starts map them)
    gbs = group_bounds(Xv, w, labels, k, group, time_limit=left, solve=solve, max_iter=max_iter,
                       n_threads=min(n_threads, m), rank=rnd)
    total = float(math.fsum(g.bound for g in gbs))
    info = {
        "n_groups": m,
        "group_size": int(-(-n // m)),
        "seconds": time.perf_counter() - t0,
        "restricted": float(math.fsum(g.upper for g in gbs)),
        "local": float(math.fsum(g.local for g in gbs)),
        "solver": solver_name,
        "groups": [g.to_dict() for g in gbs],
    }
    return total, info


def lower_bound(
    X: Any,
    n_clusters: int,
    method: Method = "spectral",
    *,
    sample_weight: Any = None,
    max_iter: int = 2000,
    time_limit: float | None = 60.0,
    tol: float = 1e-6,
    n_threads: int | None = None,
) -> float:
    """A certified lower bound on the global minimum of the k-means objective.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    method : {"spectral", "sdp", "partition", "auto"}, default "spectral"
        ``"spectral"``: total scatter minus the k-1 largest eigenvalues of
        the (weighted) scatter matrix; any n, O(n d^2), zero when
        ``n_clusters - 1 >= n_features``. ``"sdp"``: the Peng-Wei
        semidefinite relaxation, never weaker than the spectral bound and
        often equal to the optimum on well-separated data; dense n x n work,
        O(n^3) per iteration, for n up to a few thousand. ``"partition"``:
        any n, the sum of the SDP bounds (with pair and triangle cuts) of
        groups of a few hundred rows that each look like the whole
        (:func:`partition_bound`; ``time_limit`` is shared among them, the
        group size chosen from it). ``"auto"``: SDP up to n = 1500,
        partition beyond.
    sample_weight : array-like of shape (n_samples,), optional
    max_iter : int, default 2000
        SDP (and each group of the partition bound): ADMM iterations at most.
    time_limit : float or None, default 60
        SDP and partition: seconds at most. The bound is valid whenever it stops.
    tol : float, default 1e-6
        SDP only: stop when the certified bound is within ``tol`` (relative)
        of the relaxation's primal value.
    n_threads : int, optional
        SDP: BLAS threads for n >= 1000 (smaller problems use one).
        Partition: groups solved at a time (default: the CPU count).

    Returns
    -------
    float
        A value ``<=`` the objective of every partition of X into
        ``n_clusters`` clusters (with these weights), up to the rounding of
        the input itself: a safety margin for the eigenvalue computation is
        subtracted.

    Raises
    ------
    ValueError
        Unknown ``method``; ``method="sdp"`` with more than 6000 samples;
        the usual data errors.

    Notes
    -----
    The SDP bound is the dual value of an explicit dual point, not the
    solver's estimate, so it is a certificate however early the solver
    stops (see the module docstring for the derivation). Memory: a few
    n x n float64 matrices (n = 2000: about 200 MB).

    References
    ----------
    Ding, C. & He, X. (2004). K-means clustering via principal component
    analysis. ICML.
    Peng, J. & Wei, Y. (2007). Approximating k-means-type clustering via
    semidefinite programming. SIAM J. Optim. 18(1), 186-205.
    Piccialli, V., Sudoso, A. M. & Wiegele, A. (2022). SOS-SDP: an exact
    solver for minimum sum-of-squares clustering. INFORMS J. Computing 34(4).
    Boyd, S. et al. (2011). Distributed optimization and statistical
    learning via the alternating direction method of multipliers.

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.load("ruspini")
    >>> lb = optimeans.lower_bound(X, 4, method="sdp")
    >>> lb <= 12881.051236147
    True
    """
    Xc, w, k, T = _prepare(X, n_clusters, sample_weight)
    method = _resolve_method(method, Xc.shape[0])
    if method == "spectral":
        return _spectral(Xc, w, k, T)
    if method == "partition":
        value, _ = partition_bound(Xc, k, None, sample_weight=w, time_limit=time_limit, max_iter=max_iter,
                                   n_threads=n_threads)
        return float(max(value, _spectral(Xc, w, k, T)))
    value, _ = _sdp_checked(
        Xc, w, k, T, max_iter=max_iter, time_limit=time_limit, tol=tol, target=None, n_threads=n_threads
    )
    return float(value)


def _resolve_method(method: Any, n: int) -> str:
    if method not in ("auto", "spectral", "sdp", "partition"):
        raise ValueError(f"method must be 'spectral', 'sdp', 'partition' or 'auto', got {method!r}")
    if method == "auto":
        return "sdp" if n <= SDP_AUTO_MAX else "partition"
    return method


@dataclass(frozen=True)
class Certificate:
    """How far a result can be from the global minimum.

    Attributes
    ----------
    lower_bound : float
        Certified: no partition has a lower objective.
    objective : float
        The result's objective.
    gap : float
        ``(objective - lower_bound) / objective`` (0 when both are 0): the
        result is within ``100 * gap`` percent of the global minimum.
    method : str
        "spectral", "sdp" or "partition".
    seconds : float
    info : dict
        Details of the bound's computation (iterations, stop reason...;
        for "partition" the number and size of the groups and, under
        ``"groups"``, each group's bound, the cost of the result inside it,
        its ADMM steps, cuts, stop reason and seconds).
    """

    lower_bound: float
    objective: float
    gap: float
    method: str
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lower_bound": self.lower_bound,
            "objective": self.objective,
            "gap": self.gap,
            "method": self.method,
            "seconds": self.seconds,
        }

    def __str__(self) -> str:
        how = self.method
        if self.method == "partition" and "solver" in self.info:
            how += f": {self.info['n_groups']} groups of {self.info['group_size']} rows, {self.info['solver']} bounds"
        return (
            f"objective {self.objective:.10g} >= lower bound {self.lower_bound:.10g} "
            f"({how}): within {100 * self.gap:.4g} % of the global minimum"
        )


def _relative_gap(objective: float, bound: float) -> float:
    if objective <= 0.0:
        return 0.0
    return max(0.0, (objective - bound) / objective)


def certify(
    X: Any,
    result: Any,
    method: Method = "auto",
    *,
    sample_weight: Any = None,
    max_iter: int = 2000,
    time_limit: float | None = 60.0,
    tol: float = 1e-6,
    n_threads: int | None = None,
) -> Certificate:
    """Bound the distance of a result from the global minimum.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data the result was computed on.
    result : Result or float
        A :class:`optimeans.Result` (its ``n_clusters`` and ``objective`` are
        used) or, with ``n_clusters`` taken from ``result[1]``, a pair
        ``(objective, n_clusters)``.
    method : {"auto", "spectral", "sdp", "partition"}, default "auto"
        As in :func:`lower_bound`; "auto" uses the SDP bound up to n = 1500
        and the partition bound beyond, its groups built from the result's
        labels (anticlustering).
        The SDP solver stops as soon as its certified bound meets the
        objective (the result is then proven optimal).
    sample_weight : array-like, optional
        The weights the result was computed with.
    max_iter, time_limit, tol, n_threads
        As in :func:`lower_bound`.

    Returns
    -------
    Certificate
        ``lower_bound``, ``objective``, ``gap``. Use
        ``result.replace(lower_bound=c.lower_bound, gap=c.gap)`` to attach it
        to the result.

    Raises
    ------
    ValueError, TypeError
        As :func:`lower_bound`; a result whose labels do not match X.

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.load("ruspini")
    >>> r = optimeans.fit(X, 4, random_state=0)
    >>> c = optimeans.certify(X, r, method="sdp")
    >>> c.gap < 1e-4
    True
    """
    t0 = time.perf_counter()
    if isinstance(result, tuple):
        if len(result) != 2:
            raise TypeError("result must be a Result or a pair (objective, n_clusters)")
        objective, n_clusters = float(result[0]), result[1]
    else:
        objective = float(getattr(result, "objective"))
        n_clusters = int(getattr(result, "n_clusters"))
        labels = getattr(result, "labels", None)
        n_rows = np.shape(X)[0] if hasattr(X, "shape") else len(X)
        if labels is not None and np.shape(labels)[0] != n_rows:
            raise ValueError(f"result has {np.shape(labels)[0]} labels but X has {n_rows} samples")
    Xc, w, k, T = _prepare(X, n_clusters, sample_weight)
    method = _resolve_method(method, Xc.shape[0])
    info: dict[str, Any] = {}
    if method == "spectral":
        bound = _spectral(Xc, w, k, T)
    elif method == "partition":
        labels = None if isinstance(result, tuple) else getattr(result, "labels", None)
        bound, info = partition_bound(
            Xc, k, labels, sample_weight=w, time_limit=time_limit, max_iter=max_iter, n_threads=n_threads
        )
        bound = max(bound, _spectral(Xc, w, k, T))
    else:
        bound, info = _sdp_checked(
            Xc, w, k, T, max_iter=max_iter, time_limit=time_limit, tol=tol, target=objective,
            n_threads=n_threads,
        )
        info = {key: v for key, v in info.items() if key != "history"}
    # A bound above the objective can only be rounding (or a result computed
    # on other data or weights); never report a negative gap.
    if bound > objective * (1.0 + 1e-9) + 1e-12:
        raise ValueError(
            f"lower bound {bound!r} exceeds the result's objective {objective!r}: "
            "was the result computed on this X with these sample weights?"
        )
    bound = min(bound, objective)
    return Certificate(
        lower_bound=float(bound),
        objective=objective,
        gap=float(_relative_gap(objective, bound)),
        method=method,
        seconds=time.perf_counter() - t0,
        info=info,
    )
