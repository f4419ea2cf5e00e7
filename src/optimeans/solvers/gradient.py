r"""Full-batch gradient descent and Newton's method on the k-means objective.

Both minimize :math:`f(C) = \min_a E(C, a)`, the objective with every point
assigned to its nearest center; the assignments are recomputed at every step.
Where the assignment is unique, :math:`f` is smooth with gradient and Hessian

.. math::  \nabla_{c_j} f = 2 (W_j c_j - S_j), \qquad \nabla^2_{c_j} f = 2 W_j I ,

(:math:`W_j` the weight of cluster :math:`j`, :math:`S_j` its weighted sum),
block diagonal across clusters.

* ``"newton"`` takes the step :math:`c_j \leftarrow c_j - (2 W_j)^{-1} \nabla_{c_j} f`,
  which lands exactly on the cluster mean :math:`S_j / W_j`: Newton's method with
  the exact Hessian *is* Lloyd's iteration (Bottou & Bengio 1995). It is
  computed here from the gradient and the Hessian, not by calling Lloyd, and
  the tests check that both produce the same centers at every iteration.
* ``"gd"`` takes a step of the same length for every cluster along the
  gradient of the mean objective :math:`f / W` (``W`` the total weight):
  :math:`c_j \leftarrow c_j - \eta\, 2 (W_j / W)(c_j - S_j / W_j)`, with
  :math:`\eta` fixed or found by a backtracking (Armijo) line search. One
  learning rate must suit every cluster although their curvatures
  :math:`2 W_j` differ; that is why it needs many more passes than Newton.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..result import HistoryRecorder, Result
from ._common import Callback, finalize, now, relocate_empty, should_stop, small_change, solver_threads
from ._hardpass import HardPass

__all__ = ["run_gd", "run_newton"]


def _relocate(hp: HardPass, centers: np.ndarray, W: np.ndarray) -> bool:
    """Move the centers of empty clusters as Lloyd does; True when any moved."""
    if not (W <= 0).any():
        return False
    moved = centers.copy()
    empty = relocate_empty(hp.X, hp.w, moved, W, hp.labels, hp.min_sqdist)
    if empty.size and not np.array_equal(moved, centers):
        centers[...] = moved
        return True
    return False


def run_newton(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    damping: float = 1.0,
) -> Result:
    """Newton's method with the exact per-cluster Hessian ``2 W_j I``.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Iteration budget (one pass over the data per iteration).
    tol : float
        Stop when the relative decrease of the objective is at most ``tol``.
    n_threads : int, optional
        Numba threads; the result does not depend on it.
    rng : unused (deterministic given the initial centers)
    callback : callable ``(iteration, objective) -> bool``, optional
    damping : float in (0, 2), default 1.0
        Step length as a fraction of the Newton step. 1 is the exact Newton
        step (Lloyd's update); smaller values give damped Newton.

    Returns
    -------
    Result
        With ``damping=1`` the same centers, labels and iteration count as
        ``method="lloyd"`` (to rounding).

    Raises
    ------
    ValueError
        ``damping`` outside (0, 2).

    Notes
    -----
    Time O(n k d) per iteration: one assignment pass gives the gradient and the
    Hessian of every block; inverting the Hessian is a division by ``2 W_j``.
    Memory as Lloyd's. A cluster with no weight has a zero Hessian block; its
    center is moved onto a far point, as Lloyd does.

    References
    ----------
    Bottou, L. and Bengio, Y. (1995). Convergence properties of the k-means
    algorithms. NIPS 7, section 3 (k-means as a Newton optimizer).

    Examples
    --------
    >>> import optimeans
    >>> r = optimeans.fit(optimeans.datasets.load("iris"), 3, method="newton", random_state=0)
    >>> round(r.objective, 4)
    78.8514
    """
    damping = _check_open_interval(damping, "damping", 0.0, 2.0)
    hp = HardPass(X, sample_weight, centers_init.shape[0])
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    hist = HistoryRecorder(now())
    prev_obj = np.inf
    stop_reason, converged, n_iter = "max_iter", False, 0
    with solver_threads(X, n_threads):
        for it in range(1, max_iter + 1):
            obj, S, W, changed = hp(centers)
            n_iter = it
            hist.record(obj, now(), it)
            # with the full step, unchanged labels mean the centers are the
            # means already: a fixed point. A damped step is still moving.
            if changed == 0 and damping == 1.0:
                stop_reason, converged = "labels_unchanged", True
                break
            C = centers.astype(np.float64)
            grad = 2.0 * (W[:, None] * C - S)
            hess = 2.0 * W
            nz = hess > 0
            new = C.copy()
            new[nz] = C[nz] - damping * grad[nz] / hess[nz, None]
            new_centers = new.astype(X.dtype)
            if (W <= 0).any():
                relocate_empty(X, hp.w, new_centers, W, hp.labels, hp.min_sqdist)
            centers = new_centers
            if should_stop(callback, it, obj):
                stop_reason = "callback"
                break
            if small_change(prev_obj, obj, tol):
                stop_reason, converged = "tol", True
                break
            prev_obj = obj
    return finalize(
        X, hp.w, centers, n_iter=n_iter, converged=converged, stop_reason=stop_reason,
        history=hist.freeze(), method="newton",
        options={"max_iter": max_iter, "tol": tol, "damping": damping},
    )


def run_gd(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
    step: float | str = "backtracking",
    armijo: float = 1e-4,
    shrink: float = 0.5,
    max_backtracks: int = 40,
) -> Result:
    """Full-batch gradient descent on the centers.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,)
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Budget of accepted steps.
    tol : float
        Stop when the relative decrease of the objective over one accepted step
        is at most ``tol``.
    n_threads : int, optional
        Numba threads; the result does not depend on it.
    rng : unused (deterministic given the initial centers)
    callback : callable ``(iteration, objective) -> bool``, optional
    step : "backtracking" or float > 0, default "backtracking"
        A fixed learning rate ``eta`` on the gradient of the mean objective
        ``f / W``: center ``j`` moves the fraction ``2 eta W_j / W`` of the way
        to its cluster mean (stable for ``eta < W / max_j W_j``). With
        ``"backtracking"`` each step starts from twice the last accepted
        ``eta`` (1 at first) and is shrunk until the Armijo condition
        ``f(C - eta g) <= f(C) - armijo * eta * ||g||^2`` holds.
    armijo : float in (0, 1), default 1e-4
        Sufficient-decrease constant of the line search.
    shrink : float in (0, 1), default 0.5
        Factor applied to ``eta`` after a rejected trial.
    max_backtracks : int, default 40
        Rejected trials after which the run stops (no descent possible at the
        working precision; ``stop_reason="tol"``).

    Returns
    -------
    Result
        ``history.passes`` counts every evaluation of the objective, rejected
        trials of the line search included.

    Raises
    ------
    ValueError
        ``step`` neither "backtracking" nor a positive number, ``armijo`` or
        ``shrink`` outside (0, 1).

    Notes
    -----
    Time O(n k d) per evaluation (one pass gives the objective and the
    gradient). Memory as Lloyd's. Gradient descent converges linearly, at a
    rate set by the ratio of the largest to the smallest cluster weight; Newton
    (:func:`run_newton`) removes that ratio.

    References
    ----------
    Bottou, L. and Bengio, Y. (1995). Convergence properties of the k-means
    algorithms. NIPS 7, section 2 (batch gradient descent).
    Nocedal, J. and Wright, S. (2006). Numerical Optimization, 2nd ed.,
    algorithm 3.1 (backtracking line search).

    Examples
    --------
    >>> import optimeans
    >>> r = optimeans.fit(optimeans.datasets.load("iris"), 3, method="gd", tol=1e-8, random_state=0)
    >>> round(r.objective, 2)
    78.86
    """
    if isinstance(step, str):
        if step != "backtracking":
            raise ValueError(f"step must be 'backtracking' or a positive number, got {step!r}")
        eta = 1.0
        search = True
    else:
        eta = _check_open_interval(step, "step", 0.0, np.inf)
        search = False
    armijo = _check_open_interval(armijo, "armijo", 0.0, 1.0)
    shrink = _check_open_interval(shrink, "shrink", 0.0, 1.0)
    if isinstance(max_backtracks, bool) or not isinstance(max_backtracks, numbers.Integral) or max_backtracks < 1:
        raise ValueError(f"max_backtracks must be a positive integer, got {max_backtracks!r}")

    hp = HardPass(X, sample_weight, centers_init.shape[0])
    total_w = float(np.sum(sample_weight, dtype=np.float64))
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    hist = HistoryRecorder(now())
    passes = 0
    stop_reason, converged, n_iter = "max_iter", False, 0
    with solver_threads(X, n_threads):
        obj, S, W, _ = hp(centers)
        passes += 1
        if _relocate(hp, centers, W):
            obj, S, W, _ = hp(centers)
            passes += 1
        hist.record(obj, now(), passes)
        for it in range(1, max_iter + 1):
            C = centers.astype(np.float64)
            g = 2.0 * (W[:, None] * C - S) / total_w  # gradient of f / W
            gnorm2 = float(np.sum(g * g))
            if gnorm2 == 0.0:
                stop_reason, converged = "tol", True
                break
            f0 = obj / total_w
            if search:
                eta = min(2.0 * eta, 1e12)
                for _ in range(max_backtracks):
                    trial = (C - eta * g).astype(X.dtype)
                    t_obj, t_S, t_W, _ = hp(trial)
                    passes += 1
                    if t_obj / total_w <= f0 - armijo * eta * gnorm2:
                        break
                    eta *= shrink
                else:
                    stop_reason, converged = "tol", True  # no descent at working precision
                    break
            else:
                trial = (C - eta * g).astype(X.dtype)
                t_obj, t_S, t_W, _ = hp(trial)
                passes += 1
            centers = trial
            obj, S, W = t_obj, t_S, t_W
            if _relocate(hp, centers, W):
                obj, S, W, _ = hp(centers)
                passes += 1
            n_iter = it
            hist.record(obj, now(), passes)
            if should_stop(callback, it, obj):
                stop_reason = "callback"
                break
            if not np.isfinite(obj):
                raise FloatingPointError(
                    f"gradient descent diverged (objective {obj}); use a smaller step than {eta}"
                )
            prev = f0 * total_w
            if abs(prev - obj) <= tol * prev:
                stop_reason, converged = "tol", True
                break
    return finalize(
        X, hp.w, centers, n_iter=n_iter, converged=converged, stop_reason=stop_reason,
        history=hist.freeze(), method="gd",
        options={
            "max_iter": max_iter, "tol": tol, "step": "backtracking" if search else eta,
            "armijo": armijo, "shrink": shrink, "max_backtracks": max_backtracks,
        },
        info={"passes": passes, "last_step": eta},
    )


def _check_open_interval(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not (low < v < high):
        hi = "inf" if high == np.inf else f"{high:g}"
        raise ValueError(f"{name} must lie in ({low:g}, {hi}), got {value!r}")
    return v
