"""``optimeans.fit``: validation, seeding, restarts, dispatch to a solver."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from . import solvers
from ._validation import (
    check_data,
    check_n_clusters,
    check_nonneg_float,
    check_positive_int,
    check_random_state,
    check_sample_weight,
)
from ._numba import resolve_n_threads
from ._validation import check_centers
from .objective import point_objective
from .result import History, Result
from .seeding import init_centers

__all__ = ["fit", "resolve_n_init", "WorkSpace"]

_BLOCK = 65536


class WorkSpace:
    """The affine change of coordinates solvers run in: ``(X - offset) * scale``.

    ``offset`` is the float64 column mean and ``scale`` an exact power of two
    that brings the largest centered magnitude near 1. Centering keeps float32
    accurate when the data sit far from the origin (values around 1e6 with unit
    spread: a center rounded to float32 there is off by 0.06, which changes the
    objective by 1e-3 relative); the power of two keeps squared distances of
    1e30 or 1e-30 inside float32's range. Both are undone on the result:
    centers come back in float64 and the objective is recomputed on the
    original data. Distances are translation invariant and a power-of-two
    scale is exact, so the partition is the one of the original data.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.offset = X.mean(axis=0, dtype=np.float64)
        n = X.shape[0]
        maxabs = 0.0
        for start in range(0, n, _BLOCK):
            blk = X[start : start + _BLOCK].astype(np.float64) - self.offset
            maxabs = max(maxabs, float(np.abs(blk).max()))
        exp = 0 if maxabs == 0.0 else -int(np.frexp(maxabs)[1])
        # leave ordinary magnitudes alone: the scale only guards the float range
        self.scale = float(np.ldexp(1.0, exp)) if (maxabs > 2.0**40 or 0.0 < maxabs < 2.0**-40) else 1.0

    def to_work(self, A: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
        out = np.empty(A.shape, dtype=dtype)
        for start in range(0, A.shape[0], _BLOCK):
            blk = A[start : start + _BLOCK].astype(np.float64) - self.offset
            if self.scale != 1.0:
                blk *= self.scale
            out[start : start + _BLOCK] = blk
        return out

    def from_work(self, C: np.ndarray) -> np.ndarray:
        C = np.asarray(C, dtype=np.float64)
        if self.scale != 1.0:
            C = C / self.scale
        return C + self.offset

    def objective_factor(self) -> float:
        """Multiply an objective computed in work space by this to get the original one."""
        return 1.0 / (self.scale * self.scale)

InitLike = Literal["k-means++", "random"] | np.ndarray | Any


def resolve_n_init(n_init: Any, init: Any) -> int:
    """``"auto"`` is 3 restarts for k-means++, 10 for random, 1 for given centers."""
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(f"n_init must be a positive integer or 'auto', got {n_init!r}")
        if isinstance(init, str):
            return 3 if init == "k-means++" else 10
        return 1
    return check_positive_int(n_init, "n_init")


def fit(
    X: Any,
    n_clusters: int,
    *,
    method: str = "auto",
    init: InitLike = "k-means++",
    n_init: int | Literal["auto"] = "auto",
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: Any = None,
    random_state: int | np.random.Generator | None = None,
    n_threads: int | None = None,
    callback: Any = None,
    **options: Any,
) -> Result:
    """Cluster ``X`` into ``n_clusters`` groups by minimizing the k-means objective.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        ndarray, list of lists, pandas or polars DataFrame. float32 stays
        float32; every other numeric type becomes float64.
    n_clusters : int
        Number of clusters, ``1 <= n_clusters <= n_samples``.
    method : str, default "auto"
        A solver name from :func:`optimeans.methods`; ``"auto"`` picks one by
        the data's shape and the choice is recorded in ``Result.method``.
    init : {"k-means++", "random"}, ndarray or callable, default "k-means++"
        Initial centers. An array of shape (n_clusters, n_features) is used as
        is (and implies one restart).
    n_init : int or "auto", default "auto"
        Restarts from independent seeds; the lowest objective wins. "auto" is 3
        for k-means++, 10 for random, 1 for given centers.
    max_iter : int, default 300
    tol : float, default 1e-4
        Relative decrease of the objective below which a run stops.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights, not all zero.
    random_state : int, Generator or None
        Seed of every random choice. The same seed gives bitwise the same
        result on any number of threads. ``None`` draws a seed and records it
        in ``Result.seed``.
    n_threads : int, optional
        Threads for the kernels (default: all cores).
    callback : callable ``(iteration, objective) -> bool``, optional
        Called after each iteration; returning True stops the run, and the
        partial result is returned with ``stop_reason="callback"``.
    **options
        Solver-specific options.

    Returns
    -------
    Result
        ``centers`` are float64 whatever the input dtype; ``objective`` is
        recomputed in float64 on the original data.

    Notes
    -----
    Solvers run on centered data (see :class:`WorkSpace`), in the input's
    dtype. That costs one copy of ``X`` and makes float32 accurate for data
    far from the origin.

    Raises
    ------
    ValueError
        NaN or inf in X (with the first offending row and column), empty X,
        1-D X, ``n_clusters`` < 1 or > n_samples, bad weights.
    TypeError
        Non-numeric data or arguments of the wrong type.

    Warns
    -----
    FewDistinctPointsWarning
        Fewer distinct points than clusters (the result is still valid).

    Examples
    --------
    >>> import optimeans
    >>> X = optimeans.datasets.load("iris")
    >>> result = optimeans.fit(X, 3, random_state=0)
    >>> round(result.objective, 4)
    78.8514
    """
    if hasattr(X, "__dask_graph__"):
        from .distributed import fit as distributed_fit  # optional extra

        return distributed_fit(
            X, n_clusters, method=method, init=init, n_init=n_init, max_iter=max_iter, tol=tol,
            sample_weight=sample_weight, random_state=random_state, n_threads=n_threads,
            callback=callback, **options,
        )
    X = check_data(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonneg_float(tol, "tol")
    n_runs = resolve_n_init(n_init, init)
    n_threads = resolve_n_threads(n_threads)
    name = solvers.resolve(method, X, k)
    solver = solvers.get(name)
    _, seed = check_random_state(random_state)
    children = np.random.SeedSequence(seed).spawn(n_runs)

    space = WorkSpace(X)
    Xw = space.to_work(X, X.dtype)
    if not isinstance(init, str) and not callable(init):
        init = space.to_work(np.asarray(check_centers(init, k, d, np.float64)), X.dtype)
    factor = space.objective_factor()
    cb = callback
    if callback is not None and factor != 1.0:
        def cb(iteration: int, obj: float) -> Any:
            return callback(iteration, obj * factor)

    best: Result | None = None
    for run_seed in children:
        rng = np.random.default_rng(run_seed)
        centers0 = init_centers(Xw, k, w, init, rng, n_threads=n_threads)
        res = solver(
            Xw, w, centers0, max_iter=max_iter, tol=tol, n_threads=n_threads, rng=rng,
            callback=cb, **options,
        )
        if best is None or res.objective < best.objective:
            best = res
        if res.stop_reason == "callback":
            break
    assert best is not None
    return _to_original(X, w, best, space).replace(method=name, seed=seed, n_init=n_runs)


def _to_original(X: np.ndarray, w: np.ndarray, res: Result, space: WorkSpace) -> Result:
    """Map a work-space result back: float64 centers, objective on the original X."""
    centers = space.from_work(res.centers)
    obj = float(np.dot(w, point_objective(X, centers, res.labels)))
    hist = res.history
    factor = space.objective_factor()
    if factor != 1.0:
        hist = History(hist.objective * factor, hist.seconds, hist.passes, dict(hist.extra))
    lb = res.lower_bound
    if lb is not None:
        lb = lb * factor
    return res.replace(centers=centers, objective=obj, history=hist, lower_bound=lb)
