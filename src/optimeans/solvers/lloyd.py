"""Lloyd's algorithm: alternating minimization of the k-means objective.

Each iteration (i) assigns every point to its nearest center, which minimizes
the objective over the labels with the centers fixed, and (ii) moves every
center to the weighted mean of its points, which minimizes it over the centers
with the labels fixed (and is the Newton step, see :mod:`optimeans.objective`).
The objective never increases, and the iteration stops at a fixed point where
no label changes.

Both steps are one fused Numba pass (:mod:`optimeans._kernels.lloyd`): the
assignment of a chunk of rows and the moves of the rows that change cluster
are computed together, chunks run in parallel, and the per-chunk changes of
the float64 cluster sums are applied in chunk order, so a seed gives bitwise
the same result on 1 and on many threads. The assignment runs a float32 fast
path with an exactness guard, so the labels are those of exact float64
distances (first index on ties) for either input dtype.

:func:`lloyd_loop` is the one loop of every Lloyd-type method and every place
the passes run: it drives a :class:`Passes` (assign and sum, the objective
from the sums, the means, relocation of empty clusters). :func:`iterate` runs
it in memory, for Lloyd and the accelerated methods
(:mod:`optimeans.solvers.accelerated`), which differ only in how they assign;
the Dask backend (:mod:`optimeans.distributed`) runs it over blocks kept on
the workers. Given the same initial centers they all take the same steps, bit
for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .._kernels.lloyd import CHUNK, Workspace
from .._nocompile import workspace
from .._numba import numba_threads
from ..result import History, HistoryRecorder, Result
from ._common import Callback, finalize, now, relocate_empty, should_stop


class Assigner(Protocol):
    """One assignment step of a Lloyd-type method over a :class:`Workspace`."""

    def __call__(self, centers: np.ndarray, final: bool) -> int:
        """Assign every point to the canonical nearest of ``centers`` (and update the sums unless ``final``);
        return the number of labels that changed."""


class Passes(Protocol):
    """Where the passes of Lloyd's loop run: the data stay behind this interface.

    :class:`MemoryPasses` runs them over a :class:`Workspace` in this process;
    :class:`optimeans.distributed.passes.BlockPasses` over row blocks kept
    packed on Dask workers, their partial sums reduced in global chunk order,
    so both give the same bits. :func:`lloyd_loop` needs nothing else.
    """

    #: dtype of the centers the passes take (the data's)
    dtype: np.dtype
    #: passes over the data so far (the history's ``passes``)
    n_passes: int

    def assign(self, centers: np.ndarray, final: bool) -> int:
        """Assign every point to its canonical nearest center; unless ``final``, bring the
        cluster sums up to date. Returns the number of labels that changed."""

    def objective(self) -> float:
        """Objective (float64) of the centers of the last pass and its labels, from the sums."""

    def has_empty(self) -> bool:
        """True when a cluster has no point after the last pass."""

    def update_centers(self, centers: np.ndarray) -> None:
        """Move every non-empty center to its cluster's mean, in place."""

    def relocate_empty(self, pass_centers: np.ndarray, centers: np.ndarray) -> None:
        """:func:`optimeans.solvers._common.relocate_empty`: each empty center onto a point that contributes
        most at ``pass_centers`` (the centers of the last pass), in place in ``centers``."""


class MemoryPasses:
    """:class:`Passes` over a :class:`Workspace` in this process.

    ``assign(centers, final)`` is the method's assignment step (Lloyd's scan,
    or the bounded scans of the accelerated methods) over ``ws``.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, ws: Workspace, assign: Assigner) -> None:
        self.X, self.w, self.ws, self._assign = X, sample_weight, ws, assign
        self.dtype = X.dtype
        self.n_passes = 0

    def assign(self, centers: np.ndarray, final: bool) -> int:
        self.ws.set_centers(centers)
        self.n_passes += 1
        return self._assign(centers, final)

    def objective(self) -> float:
        return self.ws.objective()

    def has_empty(self) -> bool:
        return bool((self.ws.N == 0).any())

    def update_centers(self, centers: np.ndarray) -> None:
        self.ws.update_centers(centers)

    def relocate_empty(self, pass_centers: np.ndarray, centers: np.ndarray) -> None:
        ws = self.ws
        relocate_empty(self.X, self.w, centers, ws.W * (ws.N > 0), ws.labels, None, pass_centers=pass_centers)


@dataclass
class LoopOutcome:
    """What :func:`lloyd_loop` leaves: the centers and why it stopped (the labels stay with the passes)."""

    centers: np.ndarray
    n_iter: int
    converged: bool
    stop_reason: str
    history: History


def lloyd_loop(
    passes: Passes, centers_init: np.ndarray, *, max_iter: int, tol: float, callback: Callback | None,
) -> LoopOutcome:
    """The Lloyd loop: assign, record, stop or move the centers to the means (relocating empty clusters).

    Every Lloyd-type method and every place to run passes shares it, so they
    stop for the same reasons at the same iteration. When the loop did not end
    on unchanged labels, a last assignment (without sums) makes the labels
    those of the returned centers.
    """
    centers = np.array(centers_init, dtype=passes.dtype, order="C", copy=True)
    hist = HistoryRecorder(now())
    prev_obj = np.inf
    stop_reason = "max_iter"
    converged = False
    n_iter = 0
    for it in range(1, max_iter + 1):
        changed = passes.assign(centers, False)
        obj = passes.objective()
        n_iter = it
        hist.record(obj, now(), passes.n_passes)
        if changed == 0:
            stop_reason, converged = "labels_unchanged", True
            break
        if passes.has_empty():
            pass_centers = centers.copy()
            passes.update_centers(centers)
            passes.relocate_empty(pass_centers, centers)
        else:
            passes.update_centers(centers)
        if should_stop(callback, it, obj):
            stop_reason = "callback"
            break
        if prev_obj < np.inf and prev_obj - obj <= tol * prev_obj:
            stop_reason, converged = "tol", True
            break
        prev_obj = obj
    if stop_reason != "labels_unchanged":
        passes.assign(centers, True)
    return LoopOutcome(centers, n_iter, converged, stop_reason, hist.freeze())


def iterate(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    ws: Workspace,
    assign: Assigner,
    *,
    method: str,
    max_iter: int,
    tol: float,
    n_threads: int | None,
    callback: Callback | None,
    options: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
) -> Result:
    """:func:`lloyd_loop` in memory: ``assign(centers, final)`` labels every point (``ws.labels``) and keeps
    the workspace's cluster sums up to date; the Result is built from the final labels."""
    n = X.shape[0]
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    # One chunk: nothing to share, and waking idle threads would cost more than the pass.
    threads = 1 if n <= CHUNK else n_threads
    with numba_threads(threads):
        out = lloyd_loop(MemoryPasses(X, w, ws, assign), centers_init, max_iter=max_iter, tol=tol, callback=callback)
    return finalize(
        X,
        w,
        out.centers,
        n_iter=out.n_iter,
        converged=out.converged,
        stop_reason=out.stop_reason,
        history=out.history,
        method=method,
        options={"max_iter": max_iter, "tol": tol, **(options or {})},
        labels=ws.labels,
        reassign=False,
        info=info,
    )


def run(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
    n_threads: int | None = None,
    rng: np.random.Generator | None = None,
    callback: Callback | None = None,
) -> Result:
    """Run Lloyd's iteration from ``centers_init``.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C-contiguous
    sample_weight : ndarray (n_samples,), non-negative
    centers_init : ndarray (n_clusters, n_features), X's dtype
    max_iter : int
        Iteration budget.
    tol : float
        Stop when the relative decrease of the objective, ``(E_prev - E) / E_prev``,
        is at most ``tol``. ``tol=0`` runs until labels stop changing.
    n_threads : int, optional
        Numba threads; the result does not depend on it.
    rng : unused (Lloyd is deterministic given the initial centers)
    callback : callable ``(iteration, objective) -> bool``, optional
        Called after every iteration; a truthy return stops the run.

    Returns
    -------
    Result
        ``stop_reason`` is ``"labels_unchanged"``, ``"tol"``, ``"max_iter"`` or
        ``"callback"``; ``history.objective[i]`` is the objective after the
        assignment step of iteration ``i + 1`` (float64, exact). An empty
        cluster's center moves to the point that contributes most to the
        objective (:func:`optimeans.solvers._common.relocate_empty`).

    Notes
    -----
    Time O(n k d) per iteration for the assignment (float32 SIMD, about
    ``n k d / 16`` fused multiply-adds with AVX-512) plus O(d) per point that
    changes cluster; memory: a packed float32 copy of ``X`` and O(n + k d
    n / 4096) scratch. No ``n x k`` matrix is formed.

    References
    ----------
    Lloyd, S. (1982). Least squares quantization in PCM. IEEE Trans. Inf. Theory 28(2), 129-137.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans.solvers import lloyd
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> r = lloyd.run(X, np.ones(4), X[[0, 1]], max_iter=10, tol=0.0)
    >>> r.centers.ravel().tolist(), r.stop_reason
    ([0.5, 10.5], 'labels_unchanged')
    """
    ws = workspace(X, centers_init.shape[0], sample_weight)

    def assign(centers: np.ndarray, final: bool) -> int:
        return ws.assign(do_sums=not final)

    return iterate(
        X, sample_weight, centers_init, ws, assign,
        method="lloyd", max_iter=max_iter, tol=tol, n_threads=n_threads, callback=callback,
    )
