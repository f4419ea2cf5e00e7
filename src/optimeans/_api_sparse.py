"""``optimeans.fit`` on scipy.sparse input: validation, seeding, restarts, the sparse solvers.

:func:`optimeans.fit` hands any scipy.sparse matrix or array here. The data
are converted once to a canonical CSR matrix (float32 stays float32, other
dtypes become float64) and are never centered or copied again; the centers
are dense float64. Lloyd, Hamerly (also for "elkan" and "yinyang") and
mini-batch take sparse input; every other method is refused with the list
of those that do.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import solvers
from ._kernels.lloyd import CHUNK
from ._numba import numba_threads, resolve_n_threads
from ._sparse import SparseData, count_distinct_rows_upto, init_centers_sparse
from ._validation import (
    FewDistinctPointsWarning,
    check_centers,
    check_nonneg_float,
    check_positive_int,
    check_random_state,
    check_sample_weight,
    check_sparse,
)
from .result import Result
from .seeding import INIT_METHODS

__all__ = ["fit_sparse", "sparse_methods"]


def sparse_methods() -> list[str]:
    """Method names that take sparse input (``"auto"`` is Lloyd)."""
    from .solvers.sparse import SPARSE_METHODS

    return ["auto", *SPARSE_METHODS]


def _sparse_solver(method: Any) -> tuple[str, Any]:
    from .solvers import sparse as sparse_solvers

    name = solvers.resolve(method) if method != "auto" else "lloyd"  # unknown names: the usual message
    if name not in sparse_solvers.SPARSE_METHODS:
        raise ValueError(
            f"method {name!r} does not take sparse input; methods that do: "
            f"{', '.join(sparse_methods())} (or pass X.toarray() to use {name!r})"
        )
    return name, getattr(sparse_solvers, sparse_solvers.SPARSE_METHODS[name])


def _check_n_clusters(n_clusters: Any, S: SparseData, w: np.ndarray) -> int:
    """:func:`optimeans._validation.check_n_clusters` for sparse rows."""
    k = check_positive_int(n_clusters, "n_clusters")
    if k > S.n:
        raise ValueError(f"n_clusters={k} is larger than the number of samples n_samples={S.n}")
    if k > 1:
        n_distinct = count_distinct_rows_upto(S, k, w)
        if n_distinct < k:
            warnings.warn(
                f"X has only {n_distinct} distinct point(s) with positive weight, fewer than "
                f"n_clusters={k}; some centers will coincide",
                FewDistinctPointsWarning,
                stacklevel=4,
            )
    return k


#: Sparse data are not centered or rescaled (that would fill them in): the
#: squared norms and dot products of the expansion must stay normal float64
#: numbers, so the largest magnitude must lie in [2**-400, 2**400].
_SPARSE_RANGE = (2.0**-400, 2.0**400)


def _check_magnitude(X: Any) -> None:
    """Refuse sparse data whose squares would overflow or underflow float64 (naming the value)."""
    if X.nnz == 0:
        return
    a = np.abs(X.data)
    p = int(np.argmax(a))
    top = float(a[p])
    lo, hi = _SPARSE_RANGE
    if top == 0.0 or lo <= top <= hi:
        return
    r = int(np.searchsorted(X.indptr, p, side="right") - 1)
    raise ValueError(
        f"X's largest magnitude {top:.3g} (row {r}, column {int(X.indices[p])}) is outside "
        f"[{lo:.3g}, {hi:.3g}], where the sparse kernels' squares stay exact; multiply X by a "
        "constant first"
    )


def fit_sparse(
    X: Any,
    n_clusters: int,
    *,
    method: str = "auto",
    init: Any = "k-means++",
    n_init: Any = "auto",
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: Any = None,
    random_state: Any = None,
    n_threads: int | None = None,
    callback: Any = None,
    refine: str | None = None,
    **options: Any,
) -> Result:
    """:func:`optimeans.fit` for a scipy.sparse ``X`` (same parameters and result).

    ``Result.centers`` are dense float64; the objective is exact in float64
    (summed from non-negative terms, see :mod:`optimeans._kernels.sparse`);
    ``info["sparse"]`` is True. ``"hamerly"`` skips the scans its bounds
    make unnecessary and gives Lloyd's result bit for bit; ``"elkan"`` and
    ``"yinyang"`` run it too (``Result.method`` is ``"hamerly"`` and
    ``info["requested_method"]`` the name asked for).

    Raises
    ------
    ValueError
        A method that does not take sparse input (the message lists those
        that do), ``refine``, NaN or inf in X (row and column), and the
        checks of :func:`optimeans.fit`.
    """
    from ._plan import check_options, planned_runs, resolve_n_init

    X = check_sparse(X)
    name, solver = _sparse_solver(method)
    if refine is not None:
        raise ValueError(f"refine={refine!r} does not take sparse input; pass X.toarray() or refine=None")
    _check_magnitude(X)
    with numba_threads(1 if X.shape[0] <= CHUNK else resolve_n_threads(n_threads)):
        S = SparseData(X)
    w = check_sample_weight(sample_weight, S.n, np.float64)
    k = _check_n_clusters(n_clusters, S, w)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonneg_float(tol, "tol")
    n_runs = planned_runs(resolve_n_init(n_init, init), n_init, init, name, S.n, k, S.d)
    if isinstance(init, str) and init not in INIT_METHODS:
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (iteration, objective) -> bool or None, got {callback!r}")
    check_options(name, solver, options)
    n_threads = 1 if S.n <= CHUNK else resolve_n_threads(n_threads)
    if not isinstance(init, str) and not callable(init):
        init = check_centers(init.toarray() if hasattr(init, "toarray") else init, k, S.d, np.float64)
    _, seed = check_random_state(random_state)
    children = np.random.SeedSequence(seed).spawn(n_runs)
    best: Result | None = None
    with numba_threads(n_threads):
        for run_seed in children:
            rng = np.random.default_rng(run_seed)
            centers0 = init_centers_sparse(S, k, w, init, rng)
            res = solver(
                S, w, centers0, max_iter=max_iter, tol=tol, n_threads=n_threads, rng=rng,
                callback=callback, **options,
            )
            if best is None or res.objective < best.objective:
                best = res
            if res.stop_reason == "callback":
                break
    assert best is not None
    info = dict(best.info)
    if name != best.method:
        info["requested_method"] = name
    return best.replace(seed=seed, n_init=n_runs, info=info)
