"""The driver: ``fit`` of a dask array, the same loop as memory over blocks kept packed on the workers.

Steps, each one pass (or a chain) over the blocks:

1. validation of the raw blocks (NaN, inf, bad weights) in one chain of
   block tasks that also adds up the column sums in row order, exactly as
   ``X.mean(axis=0)`` adds them in memory, and keeps the column extremes:
   :class:`optimeans._transform.DataTransform`'s offset and scale follow
   without another read (weights that differ: one more chain for the
   weighted sums of DataTransform's 65536-row sub-blocks; one column or data
   beyond 2**960: the separate passes of old);
2. the states: each block transformed once into the work space, kept on its
   worker; then, in one more read, the kernel's mean and scale (again as in
   memory) and, on the first Lloyd pass, the packed float32 copy, kept too
   (out of core every pass transforms and packs the block it reads, in one
   kernel);
3. seeding (k-means||, random rows, or the user's centers);
4. Lloyd's iteration: :func:`optimeans.solvers.lloyd.lloyd_loop`, the loop of
   the in-memory solvers, driving :class:`~optimeans.distributed.passes.BlockPasses`:
   a pass runs the in-memory kernel on every block (one call of each worker's
   block host, a Dask actor, when the blocks are kept on the workers) and
   brings back the changes of the cluster sums of the chunks where labels
   moved, which are added here in global chunk order exactly as the in-memory
   :class:`~optimeans._kernels.lloyd.Workspace` adds them.

So from the same initial centers the iterations are those of memory, bit for
bit: labels, centers, every history objective, the number of iterations. The
final objective on the original data is the same sum in another order (per
block, then across blocks in order), equal to memory's to float64 rounding.
"""

from __future__ import annotations

import numbers
import time
from typing import Any, Literal

import numpy as np

from .._numba import native_threads
from .._plan import resolve_n_init
from .._transform import DataTransform, pow2_exponent
from .._kernels.lloyd import CHUNK, padded_features
from .._validation import (
    check_centers,
    check_nonneg_float,
    check_positive_int,
    check_random_state,
)
from ..result import History, Result
from ..solvers.lloyd import lloyd_loop
from . import _scan, tasks
from ._dask import current_client, import_dask
from .blocks import Blocks
from .cluster import host_threads, memory_budget, worker_slots
from .minibatch import run_minibatch
from .passes import BlockPasses
from .seeding import kmeans_parallel, random_rows
from .sources import scatter_inline

__all__ = ["fit", "METHODS", "DistributedResult"]

#: Methods that run on dask arrays ("auto" is Lloyd).
METHODS = ("lloyd", "minibatch")

#: Magnitude beyond which the data are pre-scaled before their sums (``optimeans._transform``).
_HUGE = 2.0**960


class DistributedResult(Result):
    """A :class:`~optimeans.Result` whose ``labels`` is a lazy dask array.

    Identical in form to the in-memory Result; ``cluster_sizes`` (and so
    ``summary()``) come from the final pass instead of re-reading the labels.
    """

    @property
    def cluster_sizes(self) -> np.ndarray:
        return np.asarray(self.info["cluster_sizes"], dtype=np.int64)


def check_input(X: Any, sample_weight: Any, client: Any) -> tuple[Any, Any]:
    """Shape, dtype and chunk checks that need no pass over the data; NumPy pieces scattered once."""
    dask, da = import_dask()
    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array here, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got a dask array of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    X = scatter_inline(X, client)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    n, d = (int(s) for s in X.shape)
    if n == 0:
        raise ValueError("X is empty: it has 0 sample(s), at least 1 required")
    if d == 0:
        raise ValueError("X has 0 features; at least one column is required")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype)
    w = None
    if sample_weight is not None:
        if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
            sample_weight = np.full(n, float(sample_weight))
        if isinstance(sample_weight, da.Array):
            w = sample_weight
        else:
            arr = np.asarray(sample_weight)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"sample_weight must be numeric, got dtype {arr.dtype}")
            if arr.ndim != 1:
                raise ValueError(f"sample_weight must be 1-D, got shape {arr.shape}")
            w = scatter_inline(da.from_array(arr, chunks=X.chunks[0][0]), client)
        if w.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D, got shape {w.shape}")
        if w.shape[0] != n:
            raise ValueError(f"sample_weight has length {w.shape[0]} but X has {n} samples")
        if w.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
        w = w.astype(np.float64)
    return X, w


def block_rows_for(X: Any, weighted: bool, block_rows: int | None, slots: int) -> int:
    """Rows per block: a multiple of CHUNK (of 65536 with weights), at most the given or
    existing chunk size, and small enough that every worker thread gets a block."""
    n = int(X.shape[0])
    align = tasks.WS_BLOCK if weighted else CHUNK
    target = block_rows if block_rows is not None else int(max(X.chunks[0]))
    target = min(target, -(-n // max(1, slots)))
    return max(align, -(-target // align) * align)


def _validate(blocks: Blocks) -> dict[str, Any]:
    """Pass 1: NaN/inf, bad weights (errors name the global row), block weights, extremes.

    With two or more columns the same read also adds up the column sums in
    row order and keeps the column extremes (``sums``, ``lo``, ``hi``), from
    which :func:`work_space` takes the offset and the scale without reading
    the data again (one chain of block tasks, :func:`tasks.task_check_sum`).
    """
    d = blocks.d
    fused = d >= 2
    if fused:
        acc = (np.zeros(d), np.full(d, np.inf), np.full(d, -np.inf), [])
        sums, lo, hi, checks = blocks.raw_fold(tasks.task_check_sum, acc, keeps_rows=False)
    else:
        checks = blocks.raw_map(tasks.task_check, keeps_rows=False)
    for b, (bad_x, bad_w, *_) in enumerate(checks):
        if bad_x is not None:
            r, c, v = bad_x
            what = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
            raise ValueError(
                f"X contains {what} at row {int(blocks.starts[b]) + r}, column {c}; remove or impute it first"
            )
        if bad_w is not None:
            r, v, kind = bad_w
            r += int(blocks.starts[b])
            if kind == "finite":
                raise ValueError(f"sample_weight contains {v} at index {r}; weights must be finite")
            raise ValueError(f"sample_weight contains a negative value {v} at index {r}")
    totals = np.array([c[2] for c in checks], dtype=np.float64)
    if not (totals > 0).any():
        raise ValueError("sample_weight is zero for every sample; at least one weight must be positive")
    stats = {
        "totals": totals,
        "top": max(c[4] for c in checks),
        "wmin": min(c[5] for c in checks),
        "wmax": max(c[6] for c in checks),
    }
    if fused:
        stats.update(sums=sums, lo=lo, hi=hi)
    blocks.setup_passes = 1
    return stats


def work_space(blocks: Blocks, w: Any, stats: dict[str, Any]) -> Any:
    """:class:`optimeans._transform.DataTransform` of the whole data, computed block by block as memory does."""

    n, d = blocks.n, blocks.d
    top = stats["top"]
    pre = -int(np.frexp(top)[1]) if top > _HUGE else 0
    weighted = w is not None
    uniform = not weighted or stats["wmin"] == stats["wmax"]
    wexp_mean = None if uniform else pow2_exponent(stats["wmax"])
    if "sums" in stats and pre == 0 and wexp_mean is None:
        acc = stats["sums"]  # added in row order by the validation pass
    else:
        acc = blocks.raw_fold(tasks.task_offset, np.zeros(d, dtype=np.float64), pre, wexp_mean, keeps_rows=False)
        blocks.setup_passes += 1
    if wexp_mean is None:
        off_p = acc / n
    else:
        # the total of the scaled weights, summed as memory sums it (one array)
        off_p = acc / float(np.ldexp(np.asarray(w.compute(), dtype=np.float64), wexp_mean).sum())
    if "lo" in stats and pre == 0:
        maxabs_p = _scan.max_deviation(stats["lo"], stats["hi"], off_p)
    else:
        maxabs_p = max(blocks.raw_map(tasks.task_max_deviation, off_p, pre, keeps_rows=False))
        blocks.setup_passes += 1
    if pre == 0:
        exp = pow2_exponent(maxabs_p)
    else:
        exp = 0 if maxabs_p == 0.0 else pre - int(np.frexp(maxabs_p)[1])
    wexp = pow2_exponent(stats["wmax"]) if weighted else 0
    return DataTransform.from_parts(off_p, pre, exp, wexp)


def kernel_space(blocks: Blocks, space: Any) -> tuple[np.ndarray, float, np.ndarray]:
    """The packed kernel's mean (padded) and scale, as :class:`optimeans._kernels.lloyd.Workspace` sets them;
    checks the objective's range; returns the work weight of every block too."""
    import math

    d = blocks.d
    if d >= 2:
        # one read: the sums in row order and the extremes, from which the scale follows
        acc = (np.zeros(d), np.full(d, np.inf), np.full(d, -np.inf), [])
        sums, lo, hi, totals = blocks.fold(tasks.task_kernel_stats, acc, keeps_rows=False)
        kmean = np.zeros(padded_features(d), dtype=np.float64)
        kmean[:d] = sums / blocks.n
        stats = [(_scan.max_deviation(lo, hi, kmean), lo, hi, t) for t in totals]
        blocks.setup_passes += 1
    else:
        mean = blocks.fold(tasks.task_kernel_mean, np.zeros(d, dtype=np.float64), keeps_rows=False) / blocks.n
        kmean = np.zeros(padded_features(d), dtype=np.float64)
        kmean[:d] = mean
        stats = blocks.run(tasks.task_work_stats, kmean, keeps_rows=False)
        blocks.setup_passes += 2
    r = max(s[0] for s in stats)
    if r > 0.0 and math.isfinite(r):
        kscale = math.ldexp(1.0, -math.frexp(r)[1])
    else:
        kscale = 1.0
    lo = np.min([s[1] for s in stats], axis=0)
    hi = np.max([s[2] for s in stats], axis=0)
    wtot = np.array([s[3] for s in stats], dtype=np.float64)
    space.check_range(np.stack([lo, hi]), np.array([wtot.sum()]))
    return kmean, kscale, wtot


def _default_threads(n_threads: int | None, client: Any) -> int:
    """Numba threads per block task: 1 on a cluster (the blocks run side by side on the
    workers' threads), every core in this process (the blocks run one after the other)."""
    from .._numba import resolve_n_threads

    if n_threads is None and client is not None:
        return 1
    return resolve_n_threads(n_threads)


def _refuse_refine(refine: Any) -> None:
    if refine is not None and refine != "hartigan":
        raise ValueError(f"refine must be None or 'hartigan', got {refine!r}")


def fit(
    X: Any,
    n_clusters: int,
    *,
    method: str = "auto",
    init: Any = "k-means||",
    n_init: int | Literal["auto"] = "auto",
    max_iter: int = 300,
    tol: float = 1e-4,
    sample_weight: Any = None,
    random_state: int | np.random.Generator | None = None,
    n_threads: int | None = None,
    callback: Any = None,
    refine: Literal["hartigan"] | None = None,
    persist: bool | Literal["auto"] = "auto",
    block_rows: int | None = None,
    batch_size: int = 4 * CHUNK,
    oversampling_factor: float = 2.0,
    init_rounds: int = 5,
) -> Result:
    """k-means of a dask array, on the current Dask cluster.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        float32 stays float32, every other numeric type becomes float64. The
        rows are regrouped into blocks of a multiple of 4096 rows (65536 with
        sample weights), at most the size of X's row chunks, so that every
        worker thread holds at least one block.
    n_clusters : int
    method : {"auto", "lloyd", "minibatch"}, default "auto" (Lloyd)
    init : {"k-means||", "k-means++", "random"}, ndarray or callable
        ``"k-means++"`` means k-means|| here (its scalable form). An array of
        shape (n_clusters, n_features) is used as is; a callable is called as
        ``init(X_work, n_clusters, rng)`` with the work-space rows as a dask array.
    n_init : int or "auto", default "auto"
        Restarts, with the rule of :func:`optimeans.fit`: "auto" is 3 for
        k-means|| (k-means++), 10 for "random", 1 for given centers.
    max_iter, tol : as in :func:`optimeans.fit`
        For "minibatch", ``max_iter`` counts passes over the data and ``tol``
        the relative change of a pass's objective.
    sample_weight : array-like or dask array of shape (n_samples,), optional
    random_state : int, Generator or None
    n_threads : int, optional
        Numba threads inside each block task (default: 1 on a cluster, where
        the blocks run side by side; every core on Dask's local scheduler,
        where they run one after the other).
    callback : callable ``(iteration, objective) -> bool``, optional
    refine : {None, "hartigan"}, default None
        Polish every restart with Hartigan's single-point transfers, as
        :func:`optimeans.fit` does. Hartigan's moves are sequential: the work
        rows are gathered into this process for them, so the data must fit in
        its memory (otherwise a ValueError says so).
    persist : bool or "auto", default "auto"
        Keep the blocks (original, work-space and packed rows) in the workers'
        memory between passes. "auto" keeps them when three times the data
        take less than half the cluster's memory (30 % of the available memory
        on the local scheduler); otherwise every pass reads the data again
        (out-of-core).
    block_rows : int, optional
        Largest block (rounded up to a multiple of 4096 rows).
    batch_size : int, default 16384
        Rows per mini-batch ("minibatch" only).
    oversampling_factor : float, default 2.0
        k-means|| draws ``oversampling_factor * n_clusters`` points per round.
    init_rounds : int, default 5
        k-means|| rounds.

    Returns
    -------
    Result
        As in memory (centers as float64 ndarray, objective recomputed in
        float64 on the original data, history per iteration), with ``labels``
        a lazy dask array of int64 and ``info`` holding ``cluster_sizes``,
        ``cluster_weights``, ``n_blocks``, ``passes`` (``setup_passes`` of them before seeding) and the seeding's
        ``n_candidates``.

    Raises
    ------
    ImportError
        dask is not installed (with the install hint).
    ValueError
        NaN or inf in X (with its global row and column), bad weights,
        ``n_clusters`` > n_samples, a method that does not run on dask arrays
        (the message names those that do), ``refine`` on data too large to
        gather.
    TypeError
        Non-numeric X, wrong argument types.

    Notes
    -----
    Given the same initial centers, Lloyd's iterations equal the in-memory
    ones bit for bit (labels, centers, history, ``n_iter``, stop reason)
    whatever the chunking and the number of workers; the final objective is
    the same float64 sum in another order (per block). A pass is one task per
    worker (over its blocks, one per block when the data are not persisted),
    which moves ``O(k d)`` floats per chunk where labels changed to the
    client; the loop is :func:`optimeans.solvers.lloyd.lloyd_loop`, the
    in-memory one. Passes: 1 (validation; with two or more
    columns it also sums the columns and keeps their extremes), + 1 for the
    offset when the weights differ (+ 2 for the offset and the scale with one
    column or data beyond 2**960), + 1 for the kernel's mean and scale (2
    with one column) + ``init_rounds + 2`` (k-means||) + one per
    iteration (plus one when a cluster is empty) + 1 (final objective). The
    test for FewDistinctPointsWarning (which needs the distinct rows) is not
    run on dask arrays.

    References
    ----------
    Bahmani et al. (2012). Scalable k-means++. PVLDB 5(7).
    Sculley, D. (2010). Web-scale k-means clustering. WWW.
    Lloyd, S. (1982). Least squares quantization in PCM.

    Examples
    --------
    >>> import dask.array as da, optimeans
    >>> X = da.random.default_rng(0).standard_normal((100_000, 4), chunks=(25_000, 4))
    >>> result = optimeans.fit(X, 5, random_state=0)  # doctest: +SKIP
    >>> result.labels  # a dask array  # doctest: +SKIP
    """
    import_dask()

    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    name = "lloyd" if method == "auto" else method
    if name not in METHODS:
        raise ValueError(
            f"method {method!r} does not run on dask arrays; the methods that do are: auto, {', '.join(METHODS)} "
            "(or compute the array and fit it in memory)"
        )
    _refuse_refine(refine)
    if refine is not None and name != "lloyd":
        raise ValueError(f"refine='hartigan' runs after method 'lloyd' on dask arrays, not after {name!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (iteration, objective) -> bool or None, got {callback!r}")
    client = current_client()
    X, w = check_input(X, sample_weight, client)
    n, d = (int(s) for s in X.shape)
    k = check_positive_int(n_clusters, "n_clusters")
    if k > n:
        raise ValueError(f"n_clusters={k} is larger than the number of samples n_samples={n}")
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonneg_float(tol, "tol")
    batch_size = check_positive_int(batch_size, "batch_size")
    init_rounds = check_positive_int(init_rounds, "init_rounds")
    oversampling_factor = check_nonneg_float(oversampling_factor, "oversampling_factor")
    if oversampling_factor <= 0:
        raise ValueError(f"oversampling_factor must be > 0, got {oversampling_factor}")
    if block_rows is not None:
        block_rows = check_positive_int(block_rows, "block_rows")
    user_init = None
    if isinstance(init, str):
        if init not in ("k-means||", "k-means++", "random"):
            raise ValueError(f"init must be 'k-means||', 'k-means++', 'random', an array or a callable; got {init!r}")
        # k-means|| seeds like k-means++: memory's rule for this method and shape
        n_runs = resolve_n_init(n_init, "random" if init == "random" else "k-means++", name, k, d, n)
    elif callable(init):
        n_runs = resolve_n_init(n_init, init)
    else:
        user_init = check_centers(init, k, d, np.float64)
        n_runs = resolve_n_init(n_init, user_init)
    if persist not in (True, False, "auto"):
        raise ValueError(f"persist must be True, False or 'auto', got {persist!r}")
    nt = _default_threads(n_threads, client)
    slots = worker_slots(client)[1] if client is not None else 1
    rows = block_rows_for(X, w is not None, block_rows, slots)
    X = X.rechunk((rows, d))
    if w is not None:
        w = w.rechunk((X.chunks[0],))
    do_persist = persist is True or (persist == "auto" and 3 * X.nbytes <= memory_budget(client))
    t_start = time.perf_counter()

    blocks = Blocks(X, w, client, do_persist, nt)
    try:
        stats = _validate(blocks)
        space = work_space(blocks, w, stats)
        unit = w is None or (stats["wmin"] == stats["wmax"] and float(np.ldexp(stats["wmin"], space.wexp)) == 1.0)
        blocks.make_states(space, unit)
        kmean, kscale, wtot = kernel_space(blocks, space)
        t_validated = time.perf_counter()
        if user_init is not None:
            init64 = space.to_work(user_init, np.float64)
            space.check_init(init64, X.dtype, user_init)
            user_init = init64.astype(X.dtype)

        _, seed = check_random_state(random_state)
        children = np.random.SeedSequence(seed).spawn(n_runs)
        cb = callback
        if callback is not None and (space.exp or space.wexp):
            def cb(iteration: int, obj: float) -> Any:
                return callback(iteration, space.to_original_objective(obj))

        gathered: dict[str, np.ndarray] = {}
        # the block tasks that stream rows at once on one host (the prefetch rule counts them)
        streams = nt * (host_threads(client) if client is not None else 1)
        passes = BlockPasses(blocks, k, kmean, kscale, nt, streams)
        best: dict[str, Any] | None = None
        for run_seed in children:
            rng = np.random.default_rng(run_seed)
            seed_info: dict[str, Any] = {}
            if user_init is not None:
                centers0 = user_init
            elif isinstance(init, str) and init in ("k-means||", "k-means++"):
                centers0, seed_info = kmeans_parallel(
                    blocks, k, wtot, rng, oversampling_factor=oversampling_factor, init_rounds=init_rounds, n_threads=nt
                )
            elif isinstance(init, str):
                centers0 = random_rows(blocks, k, rng)
                seed_info = {"init_passes": 1}
            else:
                centers0 = check_centers(init(_work_array(blocks), k, rng), k, d, X.dtype, name="init()")
            passes.start_run()
            if name == "lloyd":
                out = lloyd_loop(passes, centers0, max_iter=max_iter, tol=tol, callback=cb)
                run = {
                    "centers": out.centers, "n_iter": out.n_iter, "converged": out.converged,
                    "stop_reason": out.stop_reason, "history": out.history, "passes": passes.n_passes,
                }
            else:
                run = run_minibatch(
                    blocks, np.array(centers0, copy=True), max_iter=max_iter, tol=tol,
                    n_threads=None if n_threads is None else nt, callback=cb, batch_size=batch_size,
                )
                run["passes"] = run["n_iter"]
                if name == "minibatch":
                    # labels of the final centers for the summary and the lazy labels
                    passes.assign(np.ascontiguousarray(run["centers"], dtype=X.dtype), True)
                    run["passes"] += 1
            centers_work = np.ascontiguousarray(run["centers"], dtype=X.dtype)
            if refine is not None and run["stop_reason"] != "callback":
                # as in memory (optimeans.fit): BLAS on one thread, so the sums have memory's bits
                with native_threads(nt, 1):
                    run = _refine_in_memory(blocks, space, run, gathered, max_iter=max_iter, tol=tol, callback=cb)
            else:
                centers = space.from_work(centers_work)
                final = blocks.run(tasks.task_finish, centers_work, centers, keeps_rows=False)
                run.update(
                    work_objective=sum_in_order(f[0] for f in final), objective=sum_in_order(f[1] for f in final),
                    sizes=np.sum([f[2] for f in final], axis=0), cluster_weights=_sum_rows([f[3] for f in final]),
                    centers=centers, labels=None,
                )
            run["seed_info"] = seed_info
            if best is None or run["work_objective"] < best["work_objective"]:
                best = run
                if run["labels"] is None:
                    blocks.run(_promote, rows=False)
            if run["stop_reason"] == "callback":
                break
        assert best is not None
        if best["labels"] is not None:
            _, da = import_dask()
            labels = da.from_array(best["labels"], chunks=(tuple(int(s) for s in blocks.sizes),))
        else:
            labels = blocks.labels()
        hist = best["history"]
        if space.exp or space.wexp:
            hist = History(space.to_original_objective(hist.objective), hist.seconds, hist.passes, dict(hist.extra))
        init_name = init if isinstance(init, str) else ("callable" if callable(init) else "array")
        seed_passes = int(best["seed_info"].get("init_passes", 0))
        info = {
            "cluster_sizes": best["sizes"],
            "cluster_weights": best["cluster_weights"],
            "n_blocks": len(blocks),
            "block_rows": rows,
            "persisted": bool(do_persist),
            "scheduler": "distributed" if client is not None else "threads",
            "passes": blocks.setup_passes + seed_passes + best["passes"] + 1,
            "seconds": time.perf_counter() - t_start,
            "validation_seconds": t_validated - t_start,
            "setup_passes": blocks.setup_passes,
            # out of core in this process: blocks read ahead, seconds reading, seconds the passes waited
            **({"read_ahead": blocks.read_ahead_stats()} if blocks.read_ahead_stats() else {}),
            # on a cluster, the workers' calls of the passes over the persisted blocks, by route
            # (a direct connection to each worker's block host, or Dask's actor call)
            **({"host_calls": dict(blocks.host_calls)} if any(blocks.host_calls.values()) else {}),
            **{k_: v for k_, v in best["seed_info"].items() if k_ != "init_passes"},
        }
        options = {"max_iter": max_iter, "tol": tol, "init": "k-means||" if init_name == "k-means++" else init_name}
        if name == "minibatch":
            options["batch_size"] = batch_size
        return DistributedResult(
            centers=best["centers"],
            labels=labels,
            objective=float(best["objective"]),
            n_iter=best["n_iter"],
            converged=best["converged"],
            stop_reason=best["stop_reason"],
            history=hist,
            method=name if refine is None else f"{name}+{refine}",
            seed=seed,
            options=options,
            n_init=n_runs,
            info=info,
        )
    finally:
        # out of core: the read-ahead thread stops with the fit
        blocks.close()


def _promote(state: Any, raw: Any) -> None:
    tasks.task_promote(state)


def sum_in_order(values: Any) -> float:
    """Float64 sum, left to right (block order)."""
    total = 0.0
    for v in values:
        total += v
    return float(total)


def _sum_rows(rows: list[np.ndarray]) -> np.ndarray:
    out = np.array(rows[0], dtype=np.float64, copy=True)
    for r in rows[1:]:
        out += r
    return out


def _work_array(blocks: Blocks) -> Any:
    """The work rows as a dask array (for a callable init)."""
    _, da = import_dask()
    parts = blocks.run(tasks.task_work_rows)
    return da.from_array(np.concatenate([p[0] for p in parts]), chunks=(tuple(int(s) for s in blocks.sizes), -1))


def _refine_in_memory(
    blocks: Blocks, space: Any, run: dict[str, Any], gathered: dict[str, np.ndarray], *,
    max_iter: int, tol: float, callback: Any,
) -> dict[str, Any]:
    """Hartigan's transfers on the gathered work rows, as :func:`optimeans.fit` runs them after Lloyd."""
    from ..solvers._common import finalize
    from ..solvers.hartigan import refine as hartigan_refine

    if not gathered:
        need = 3 * blocks.n * blocks.d * blocks.dtype.itemsize
        budget = memory_budget(None)
        if need > budget:
            raise ValueError(
                f"refine='hartigan' gathers the data into this process ({need / 2**30:.1f} GiB needed, "
                f"{budget / 2**30:.1f} GiB available); on dask arrays this large use refine=None "
                "(methods available: auto, lloyd, minibatch)"
            )
        parts = blocks.run(_gather_rows)
        gathered["X"] = np.concatenate([p[0] for p in parts])
        gathered["w"] = np.concatenate([p[1] for p in parts])
        gathered["Xw"] = np.concatenate([p[2] for p in parts])
        gathered["ww"] = np.concatenate([p[3] for p in parts])
    labels = np.concatenate(blocks.run(_labels_now, rows=False))
    Xw, ww = gathered["Xw"], gathered["ww"]
    res = finalize(
        Xw, ww, run["centers"], n_iter=run["n_iter"], converged=run["converged"], stop_reason=run["stop_reason"],
        history=run["history"], method="lloyd", options={"max_iter": max_iter, "tol": tol}, labels=labels,
        reassign=False,
    )
    res = hartigan_refine(Xw, ww, res, max_iter=max_iter, tol=tol, callback=callback)
    centers = space.from_work(res.centers)
    k = res.centers.shape[0]
    run.update(
        centers=centers, labels=res.labels, n_iter=res.n_iter, converged=res.converged, stop_reason=res.stop_reason,
        history=res.history, work_objective=res.objective,
        objective=space.objective(gathered["X"], gathered["w"], centers, res.labels),
        sizes=np.bincount(res.labels, minlength=k),
        cluster_weights=np.bincount(res.labels, weights=gathered["w"], minlength=k),
    )
    return run


def _gather_rows(state: Any, raw: Any) -> tuple:
    X, w, Xw, ww = state.rows(raw)
    return X, state.weights64(w), Xw, state.weights64(ww)


def _labels_now(state: Any, raw: Any) -> np.ndarray:
    return state.labels.copy()
