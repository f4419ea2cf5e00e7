"""Lloyd's algorithm: alternating minimization of the k-means objective.

Each iteration (i) assigns every point to its nearest center, which minimizes
the objective over the labels with the centers fixed, and (ii) moves every
center to the weighted mean of its points, which minimizes it over the centers
with the labels fixed (and is the Newton step, see :mod:`optimeans.objective`).
The objective never increases, and the iteration stops at a fixed point where
no label changes.

Both steps are one fused Numba pass: the assignment of a chunk of rows and the
chunk's partial sums are computed together, chunks run in parallel, and the
partial sums are reduced in chunk order, so a seed gives bitwise the same
result on 1 and on many threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels.lloyd import CHUNK, Workspace
from .._numba import numba_threads
from ..result import HistoryRecorder, Result
from ..objective import point_objective
from ._common import Callback, finalize, now, relocate_empty, should_stop


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
    sample_weight : ndarray (n_samples,), X's dtype or float64
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
        assignment step of iteration ``i + 1``.

    Notes
    -----
    Time O(n k d) per iteration; memory O(n) for labels and distances plus
    ``ceil(n / 4096) * k * d`` float64 partial sums.

    References
    ----------
    Lloyd, S. (1982). Least squares quantization in PCM. IEEE Trans. Inf. Theory.
    """
    n, d = X.shape
    k = centers_init.shape[0]
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    centers = np.array(centers_init, dtype=X.dtype, order="C", copy=True)
    ws = Workspace(X, k, w)

    t0 = now()
    hist = HistoryRecorder(t0)
    prev_obj = np.inf
    stop_reason = "max_iter"
    converged = False
    n_iter = 0
    # One chunk: nothing to share, and waking idle threads would cost more than the pass.
    threads = 1 if n <= CHUNK else n_threads
    with numba_threads(threads):
        for it in range(1, max_iter + 1):
            ws.set_centers(centers)
            changed = ws.assign()
            obj = ws.objective()
            n_iter = it
            hist.record(obj, now(), it)
            if changed == 0:
                stop_reason, converged = "labels_unchanged", True
                break
            if (ws.N == 0).any():
                # Distances to the centers of this pass, to pick the points that take empty clusters.
                dist = point_objective(X, centers, ws.labels)
                ws.update_centers(centers)
                relocate_empty(X, w, centers, ws.W * (ws.N > 0), ws.labels, dist)
            else:
                ws.update_centers(centers)
            if should_stop(callback, it, obj):
                stop_reason = "callback"
                break
            if prev_obj < np.inf and prev_obj - obj <= tol * prev_obj:
                stop_reason, converged = "tol", True
                break
            prev_obj = obj
        # Final assignment step, so that labels match the returned centers.
        if stop_reason != "labels_unchanged":
            ws.set_centers(centers)
            ws.assign(do_sums=False)
    return finalize(
        X,
        w,
        centers,
        n_iter=n_iter,
        converged=converged,
        stop_reason=stop_reason,
        history=hist.freeze(),
        method="lloyd",
        options={"max_iter": max_iter, "tol": tol},
        labels=ws.labels,
        reassign=False,
    )
