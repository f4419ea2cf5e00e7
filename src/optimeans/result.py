"""The one result type every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class History:
    """Per-iteration record of a run.

    ``objective[i]``, ``seconds[i]`` and ``passes[i]`` describe the state after
    iteration ``i`` (index 0 is the initial state when a solver records it).
    ``seconds`` is wall time since the solver started; ``passes`` counts full
    passes over the data (a mini-batch step counts as batch_size / n_samples).
    ``extra`` holds solver-specific series (for example the free energy of soft
    k-means) keyed by name, each the same length as ``objective``.
    """

    objective: np.ndarray
    seconds: np.ndarray
    passes: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.objective)

    def to_dict(self) -> dict[str, list[float]]:
        out = {
            "objective": [float(v) for v in self.objective],
            "seconds": [float(v) for v in self.seconds],
            "passes": [float(v) for v in self.passes],
        }
        for key, val in self.extra.items():
            out[key] = [float(v) for v in np.asarray(val)]
        return out


class HistoryRecorder:
    """Collects (objective, seconds, passes) while a solver runs; solvers own one."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.objective: list[float] = []
        self.seconds: list[float] = []
        self.passes: list[float] = []
        self.extra: dict[str, list[float]] = {}

    def record(self, objective: float, now: float, passes: float, **extra: float) -> None:
        self.objective.append(float(objective))
        self.seconds.append(float(now - self.t0))
        self.passes.append(float(passes))
        for key, val in extra.items():
            self.extra.setdefault(key, []).append(float(val))

    def freeze(self) -> History:
        return History(
            objective=np.asarray(self.objective, dtype=np.float64),
            seconds=np.asarray(self.seconds, dtype=np.float64),
            passes=np.asarray(self.passes, dtype=np.float64),
            extra={k: np.asarray(v, dtype=np.float64) for k, v in self.extra.items()},
        )


#: Why a run stopped.
STOP_REASONS = (
    "labels_unchanged",  # an assignment pass changed no label
    "tol",  # relative decrease of the objective <= tol (or centers moved <= tol)
    "max_iter",  # the iteration budget ran out
    "callback",  # the user's callback asked to stop
    "time_limit",  # a time budget ran out
    "optimal",  # an exact method proved optimality
    "interrupted",  # KeyboardInterrupt
)


@dataclass(frozen=True)
class Result:
    """What every solver returns.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        Final centers, in the dtype of the input data.
    labels : ndarray of shape (n_samples,), int64
        Index of the nearest center of each sample (labels match centers).
    objective : float
        ``sum_i w_i ||x_i - c_{labels_i}||^2`` recomputed in float64 on the final
        centers and labels.
    n_iter : int
        Iterations run (of the best restart).
    converged : bool
        Whether a convergence criterion (not the budget) stopped the run.
    stop_reason : str
        One of :data:`STOP_REASONS`.
    history : History
        Objective, elapsed seconds and passes over the data per iteration.
    method : str
        The solver that ran (``"auto"`` is resolved before it is recorded).
    seed : int or None
        The integer seed the run's random generator was derived from.
    options : dict
        The options the solver ran with.
    n_init : int
        Restarts run; the best is returned.
    lower_bound, gap : float or None
        A certified lower bound on the global minimum, and the relative gap
        ``(objective - lower_bound) / objective``, when asked for.
    proven_optimal : bool
        True when an exact method proved this is a global minimum.
    info : dict
        Solver-specific extras (for example ``free_energy`` or ``responsibilities``).
    """

    centers: np.ndarray
    labels: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    stop_reason: str
    history: History
    method: str
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    n_init: int = 1
    lower_bound: float | None = None
    gap: float | None = None
    proven_optimal: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        return int(self.centers.shape[0])

    @property
    def cluster_sizes(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.n_clusters)

    def replace(self, **changes: Any) -> "Result":
        """A copy with some fields changed (the dataclass is frozen)."""
        return replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary the CLI prints."""
        out: dict[str, Any] = {
            "method": self.method,
            "n_clusters": self.n_clusters,
            "n_samples": int(self.labels.shape[0]),
            "objective": float(self.objective),
            "n_iter": int(self.n_iter),
            "converged": bool(self.converged),
            "stop_reason": self.stop_reason,
            "n_init": int(self.n_init),
            "seed": self.seed,
            "cluster_sizes": [int(v) for v in self.cluster_sizes],
        }
        if self.lower_bound is not None:
            out["lower_bound"] = float(self.lower_bound)
            out["gap"] = None if self.gap is None else float(self.gap)
        if self.proven_optimal:
            out["proven_optimal"] = True
        return out
