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
    is_sparse,
)
from ._kernels import CHUNK
from ._numba import native_threads, numba_threads, resolve_n_threads
from ._validation import check_centers
from ._plan import check_options, planned_runs, resolve_n_init, resolve_refine
from ._transform import DataTransform
from .result import History, Result
from .seeding import INIT_METHODS, init_centers

__all__ = ["fit"]

InitLike = Literal["k-means++", "afkmc2", "auto", "random"] | np.ndarray | Any


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
    refine: Literal["auto", "swap", "hartigan", "swap+hartigan"] | None = "auto",
    **options: Any,
) -> Result:
    """Cluster ``X`` into ``n_clusters`` groups by minimizing the k-means objective.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        ndarray, list of lists, pandas or polars DataFrame, or scipy.sparse
        matrix/array (any format, converted once to CSR; methods "lloyd",
        "hamerly", "elkan" and "yinyang" (these two run "hamerly") and
        "minibatch"). float32 stays float32; every other numeric type
        becomes float64.
    n_clusters : int
        Number of clusters, ``1 <= n_clusters <= n_samples``.
    method : str, default "auto"
        A solver name from :func:`optimeans.methods`; ``"auto"`` picks one by
        the data's shape and the choice is recorded in ``Result.method``.
    init : {"k-means++", "afkmc2", "auto", "random"}, ndarray or callable, default "k-means++"
        Initial centers: greedy k-means++; AFK-MC2 (Markov-chain k-means++,
        whose cost does not grow with ``n * n_clusters``); "auto" (AFK-MC2 for
        large ``n_clusters`` when it does much less arithmetic, see
        :func:`optimeans.seeding.resolve_init`, else greedy k-means++); random
        distinct points. An array of shape (n_clusters, n_features) is used as
        is (and implies one restart).
    n_init : int or "auto", default "auto"
        Restarts from independent seeds; the lowest objective wins. "auto"
        is, for k-means++, AFK-MC2 and "auto", 3 when ``n_samples *
        n_clusters * n_features < 10**6`` (fits of milliseconds), else 1
        when the refinement is ``"swap"`` (the default: one start with swaps
        ends lower than scikit-learn's default fit, in less time; measured in
        ``benchmarks/bench_fit.py --defaults``), else 2 when ``n_clusters *
        n_features >= 1024`` and 1 below (see
        :data:`optimeans._plan.TWO_STARTS_MIN_KD`); 10 for
        random; 1 for given centers; 1 for ``method="minibatch"`` (as
        scikit-learn's ``MiniBatchKMeans``); 1 for the exact solvers; for
        ``method="global"`` 3, and 1 once ``n * n_clusters >= 100000`` (its
        search explores more per second than restarts do).
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
    refine : {"auto", "swap", "hartigan", "swap+hartigan", None}, default "auto"
        Polish every restart's result; the objective can only go down and
        ``Result.method`` records both, e.g. ``"lloyd+swap"``. ``"swap"``:
        split-merge swaps of centers, each followed by a warm rerun of the
        method (:func:`optimeans.solvers.swap.refine`); ``"hartigan"``:
        Hartigan's single-point transfers
        (:func:`optimeans.solvers.hartigan.refine`); ``"swap+hartigan"``:
        swaps after every restart, then Hartigan's transfers on the best one.
        ``"auto"`` is ``"swap+hartigan"`` after the Lloyd-type methods (lloyd,
        hamerly, elkan, yinyang, kdtree, ball) from a drawn seeding when
        ``n_samples * n_clusters * n_features < 10**6``,
        ``"swap"`` after them on larger problems, else None (see
        :func:`optimeans._plan.resolve_refine`); sparse and Dask input take None.
    **options
        Solver-specific options.

    Returns
    -------
    Result
        ``centers`` are float64 whatever the input dtype; ``objective`` is
        recomputed in float64 on the original data.

    Notes
    -----
    Solvers run on centered data (see :class:`DataTransform`), in the input's
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
    if hasattr(X, "__dask_graph__") or is_sparse(X):
        # the swaps run on dense data in memory: sparse and Dask fits refine only when asked
        if isinstance(refine, str) and refine == "auto":
            refine = None
    if hasattr(X, "__dask_graph__"):
        from .distributed import fit as distributed_fit  # optional extra

        return distributed_fit(
            X, n_clusters, method=method, init=init, n_init=n_init, max_iter=max_iter, tol=tol,
            sample_weight=sample_weight, random_state=random_state, n_threads=n_threads,
            callback=callback, refine=refine, **options,
        )
    if is_sparse(X):
        from ._api_sparse import fit_sparse  # CSR kernels, dense centers

        return fit_sparse(
            X, n_clusters, method=method, init=init, n_init=n_init, max_iter=max_iter, tol=tol,
            sample_weight=sample_weight, random_state=random_state, n_threads=n_threads,
            callback=callback, refine=refine, **options,
        )
    X = check_data(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n, np.float64)
    k = check_n_clusters(n_clusters, X, w)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonneg_float(tol, "tol")
    n_runs = resolve_n_init(n_init, init)
    if isinstance(init, str) and init not in INIT_METHODS:
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    n_threads = resolve_n_threads(n_threads)
    if n <= CHUNK:
        # one chunk of rows: waking threads costs more than the work, and no
        # result depends on the thread count
        n_threads = 1
    name = solvers.resolve(method, X, k)
    solver = solvers.get(name)
    refine = resolve_refine(refine, init, name, n, k, d)
    n_runs = planned_runs(n_runs, n_init, init, name, n, k, d, refine)
    _, seed = check_random_state(random_state)
    children = np.random.SeedSequence(seed).spawn(n_runs)

    if isinstance(init, str) and init not in INIT_METHODS:
        # checked here, not only when seeding: methods that need no start must not
        # silently accept a misspelt init
        raise ValueError(f"init must be one of {INIT_METHODS}, an array or a callable; got {init!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (iteration, objective) -> bool or None, got {callback!r}")
    check_options(name, solver, options)

    # BLAS on one thread, OpenMP on n_threads, for every call of the fit (see native_threads)
    with native_threads(n_threads, None if name == "bnb" else 1):
        space = DataTransform(X, w)
        Xw = space.to_work(X, X.dtype)
        ww = space.work_weights(w)
        space.check_range(Xw, ww)
        if not isinstance(init, str) and not callable(init):
            init0 = check_centers(init, k, d, np.float64)
            init64 = space.to_work(init0, np.float64)
            space.check_init(init64, X.dtype, init0)
            init = init64.astype(X.dtype)
        options = space.options_to_work(options)
        cb = callback
        if callback is not None and (space.exp or space.wexp):
            def cb(iteration: int, obj: float) -> Any:
                return callback(iteration, space.to_original_objective(obj))

            if hasattr(callback, "bounds"):  # a proving search's progress (branch and bound), in the data's units
                def _bounds(incumbent: float, lower: float, open_nodes: Any, nodes: int) -> None:
                    callback.bounds(space.to_original_objective(incumbent), space.to_original_objective(lower),
                                    open_nodes, nodes)

                cb.bounds = _bounds  # type: ignore[attr-defined]

        with numba_threads(n_threads):
            best = _run_restarts(
                Xw, ww, k, d, name, solver, init, children, refine, max_iter, tol, n_threads, cb, options
            )
            res = _to_original(X, w, best, space)
        method_name = name if refine is None else f"{name}+{refine}"
        return res.replace(method=method_name, seed=seed, n_init=n_runs)


def _run_restarts(
    Xw: np.ndarray, ww: np.ndarray, k: int, d: int, name: str, solver: Any, init: Any,
    children: list[np.random.SeedSequence], refine: str | None, max_iter: int, tol: float,
    n_threads: int, cb: Any, options: dict[str, Any],
) -> Result:
    """Seed and run the solver once per child seed; the lowest objective wins."""
    best: Result | None = None
    for run_seed in children:
        rng = np.random.default_rng(run_seed)
        if name in solvers.INIT_FREE:
            if not isinstance(init, str):
                init_centers(Xw, k, ww, init, rng, n_threads=n_threads)  # validate the user's init
            centers0 = np.zeros((k, d), dtype=Xw.dtype)  # only its shape is read
        else:
            centers0 = init_centers(Xw, k, ww, init, rng, n_threads=n_threads)
        res = solver(
            Xw, ww, centers0, max_iter=max_iter, tol=tol, n_threads=n_threads, rng=rng,
            callback=cb, **options,
        )
        if refine in ("swap", "swap+hartigan") and res.stop_reason != "callback":
            from .solvers.swap import refine as swap_refine

            res = swap_refine(
                Xw, ww, res, solver, rng=rng, max_iter=max_iter, tol=tol, n_threads=n_threads, callback=cb,
                options=options,
            )
        if refine == "hartigan" and res.stop_reason != "callback":
            from .solvers.hartigan import refine as hartigan_refine

            res = hartigan_refine(Xw, ww, res, max_iter=max_iter, tol=tol, callback=cb)
        if best is None or res.objective < best.objective:
            best = res
        if res.stop_reason == "callback":
            break
    assert best is not None
    if refine == "swap+hartigan" and best.stop_reason != "callback":
        # the transfers polish the best start only: on the small problems that
        # take them a start's Hartigan pass cost about as much as its swaps
        from .solvers.hartigan import refine as hartigan_refine

        best = hartigan_refine(Xw, ww, best, max_iter=max_iter, tol=tol, callback=cb, merge_duplicates=True)
    return best


def _to_original(X: np.ndarray, w: np.ndarray, res: Result, space: DataTransform) -> Result:
    """Map a work-space result back: float64 centers, objective on the original X."""
    res = space.result_to_original(res)
    if "proof_record" in res.info:
        # a proof (branch and bound) is about the work-space data; its checker redoes this transform
        res.info["proof_record"]["problem"]["work_space"] = "optimeans.fit"
    centers = space.from_work(res.centers)
    obj = space.objective(X, w, centers, res.labels)
    hist = res.history
    if space.exp or space.wexp:
        hist = History(
            space.to_original_objective(hist.objective), hist.seconds, hist.passes, dict(hist.extra)
        )
    lb = res.lower_bound
    if lb is not None:
        lb = space.to_original_objective(lb)
    return res.replace(centers=centers, objective=obj, history=hist, lower_bound=lb)
