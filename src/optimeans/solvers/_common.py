"""What every solver shares: the final assignment step, empty clusters, callbacks."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable

import numpy as np

from .._numba import numba_threads
from ..objective import nearest_labels, point_objective, top_contributions, top_order
from ..result import History, Result
from ._hardpass import effective_threads

Callback = Callable[[int, float], Any]


def finalize(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers: np.ndarray,
    *,
    n_iter: int,
    converged: bool,
    stop_reason: str,
    history: History,
    method: str,
    options: dict[str, Any] | None = None,
    labels: np.ndarray | None = None,
    reassign: bool = True,
    info: dict[str, Any] | None = None,
    objective: float | None = None,
) -> Result:
    """Build the Result: labels that match the centers, the float64 objective.

    With ``reassign`` (the default) a last assignment step makes every label the
    nearest center; exact methods that return an optimal partition pass
    ``reassign=False`` with their labels. A solver that has just computed the
    objective of ``labels`` and the centers rounded to X's dtype, in float64
    from exact float64 squared distances, may pass it as ``objective`` (with
    ``reassign=False``) to save a pass over the data.
    """
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    if reassign or labels is None:
        labels, _ = nearest_labels(X, centers)
        objective = None
    if objective is None:
        obj = float(np.dot(sample_weight.astype(np.float64), point_objective(X, centers, labels)))
    else:
        obj = float(objective)
    return Result(
        centers=centers,
        labels=np.asarray(labels, dtype=np.int64),
        objective=obj,
        n_iter=int(n_iter),
        converged=bool(converged),
        stop_reason=stop_reason,
        history=history,
        method=method,
        options=dict(options or {}),
        info=dict(info or {}),
    )


def relocate_empty(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers: np.ndarray,
    cluster_weight: np.ndarray,
    labels: np.ndarray,
    min_sqdist: np.ndarray | None,
    *,
    pass_centers: np.ndarray | None = None,
) -> np.ndarray:
    """Move every empty center onto a point that contributes most to the objective.

    Policy: the clusters with zero weight take, in order, the points with the
    largest ``w_i ||x_i - c_{a_i}||^2`` (ties broken by the lowest row index),
    skipping points already taken. Those points then form singleton clusters at
    the next assignment, which lowers the objective by their whole contribution.
    A center never becomes NaN. Returns the indices of the empty clusters.

    ``min_sqdist`` holds every ``||x_i - c_{a_i}||^2``; or pass ``None`` and the
    centers ``c`` as ``pass_centers``: :func:`optimeans.objective.top_contributions`
    then finds the same points from :func:`optimeans.objective.point_objective`'s
    values without computing all of them exactly (at 100000 x 64 a relocation took
    15-17 ms, nearly all in that recomputation).
    """
    empty = np.flatnonzero(cluster_weight <= 0)
    if empty.size == 0:
        return empty
    if min_sqdist is None:
        rows, contrib = top_contributions(X, pass_centers, labels, sample_weight, empty.size)
    else:
        full = sample_weight.astype(np.float64) * min_sqdist.astype(np.float64)
        rows = top_order(full, min(empty.size, full.size))
        contrib = full[rows]
    for j, i, c in zip(empty, rows, contrib):
        if c <= 0:
            break  # every point sits on a center: nothing to gain, keep the center
        centers[j] = X[i]
    return empty


def should_stop(callback: Callback | None, iteration: int, objective: float) -> bool:
    """True when the user's callback returned a truthy value."""
    if callback is None:
        return False
    return bool(callback(iteration, float(objective)))


def now() -> float:
    return time.perf_counter()


def solver_threads(X: np.ndarray, n_threads: int | None) -> contextlib.AbstractContextManager:
    """The Numba thread count of a solver's passes over ``X`` (one thread for a single chunk).

    ``with solver_threads(X, n_threads): ...`` runs the block on
    :func:`optimeans.solvers._hardpass.effective_threads` threads and restores
    the previous count; the results do not depend on it.
    """
    return numba_threads(effective_threads(X.shape[0], n_threads))


def small_change(prev: float, current: float, tol: float) -> bool:
    """The convergence test of the iterative solvers: ``prev - current <= tol * |prev|``.

    True when ``current`` improved on ``prev`` (lower is better; pass
    negated values for a quantity that rises, like a free energy) by at
    most ``tol`` relative, or got worse. False while ``prev`` is not finite
    (no previous value yet).
    """
    return bool(np.isfinite(prev) and prev - current <= tol * abs(prev))
