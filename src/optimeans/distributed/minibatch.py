"""Mini-batch k-means over the blocks: one sequential sweep per pass (Sculley 2010).

Batches are cut at fixed global row positions, so the result does not depend
on the blocks. This is the streaming variant of the Dask backend; it is not the
in-memory ``method="minibatch"`` solver (whose batches are drawn at random), so
its results differ from memory's.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from .._kernels import CHUNK, lloyd_pass
from .._numba import numba_threads
from ..result import HistoryRecorder
from .tasks import top_rows as _top_rows

_local = threading.local()


def _block_weights(wb: np.ndarray | None, n: int, dtype: Any) -> np.ndarray:
    if wb is None:
        return np.ones(n, dtype=dtype)
    return np.ascontiguousarray(wb, dtype=dtype)


def _buffers(n: int, dtype: np.dtype, k: int, d: int) -> tuple[np.ndarray, ...]:
    """Per-thread scratch arrays for :func:`lloyd_pass`, reused across tasks.

    Reuse matters on Dask workers, which set ``MALLOC_TRIM_THRESHOLD_`` low: a
    fresh allocation per task would be returned to the OS and page-faulted back
    every pass.
    """
    key = (n, np.dtype(dtype).str, k, d)
    cache = getattr(_local, "cache", None)
    if cache is None or cache[0] != key:
        n_chunks = (n + CHUNK - 1) // CHUNK
        cache = (
            key,
            (
                np.empty(n, dtype=np.int64),
                np.empty(n, dtype=dtype),
                np.empty((n_chunks, k, d), dtype=np.float64),
                np.empty((n_chunks, k), dtype=np.float64),
                np.empty(n_chunks, dtype=np.float64),
                np.empty(n_chunks, dtype=np.int64),
            ),
        )
        _local.cache = cache
    return cache[1]



class _MiniBatchState:
    """What one mini-batch block step hands to the next (small, picklable).

    ``centers`` float64 (k, d); ``counts`` the weight seen per center (the
    per-center learning rate is ``1 / counts``); ``carry`` the rows of an
    unfinished batch (and their weights) waiting for the next block; ``obj`` the
    objective of the batches at their assignment; ``top`` the rows of largest
    contribution seen in this pass (for clusters that stay empty).
    """

    def __init__(self, centers: np.ndarray, counts: np.ndarray, dtype: np.dtype, k: int):
        d = centers.shape[1]
        self.centers = centers
        self.counts = counts
        self.pass_weights = np.zeros(k, dtype=np.float64)
        self.carry_x = np.empty((0, d), dtype=dtype)
        self.carry_w = np.empty(0, dtype=dtype)
        self.carry_start = 0
        self.obj = 0.0
        self.n_batches = 0
        self.top_contrib = np.empty(0, dtype=np.float64)
        self.top_index = np.empty(0, dtype=np.int64)
        self.top_rows = np.empty((0, d), dtype=dtype)


def _minibatch_update(state: _MiniBatchState, Xs: np.ndarray, ws: np.ndarray, start: int, n_threads: int | None) -> None:
    """Assign one batch to the current centers, then move each center by 1 / v_j."""
    n, d = Xs.shape
    k = state.centers.shape[0]
    labels, mind, c_sums, c_wts, c_obj, c_changed = _buffers(n, Xs.dtype, k, d)
    centers = state.centers.astype(Xs.dtype)
    with numba_threads(n_threads):
        lloyd_pass(Xs, ws, centers, labels, mind, c_sums, c_wts, c_obj, c_changed)
    S = c_sums.sum(axis=0)
    W = c_wts.sum(axis=0)
    state.obj += float(c_obj.sum())
    state.n_batches += 1
    nz = W > 0
    state.counts[nz] += W[nz]
    state.pass_weights += W
    # c_j <- c_j + (S_j - W_j c_j) / v_j: the running weighted mean of the
    # points assigned to j so far (Sculley 2010, per-center learning rate).
    state.centers[nz] += (S[nz] - W[nz, None] * state.centers[nz]) / state.counts[nz, None]
    contrib = ws.astype(np.float64) * mind.astype(np.float64)
    best = _top_rows(contrib, k)
    cat_c = np.concatenate([state.top_contrib, contrib[best]])
    cat_i = np.concatenate([state.top_index, best + start])
    cat_r = np.concatenate([state.top_rows, Xs[best]])
    keep = np.lexsort((cat_i, -cat_c))[:k]
    state.top_contrib, state.top_index, state.top_rows = cat_c[keep], cat_i[keep], cat_r[keep]


def _task_minibatch(
    Xb: np.ndarray | None,
    wb: np.ndarray | None,
    start: int,
    state: _MiniBatchState,
    batch_size: int,
    last: bool,
    n_threads: int | None,
) -> _MiniBatchState:
    """Feed one block to the mini-batch sweep; batches start at multiples of ``batch_size``."""
    Xb = np.ascontiguousarray(Xb)
    dtype = Xb.dtype
    w = _block_weights(wb, Xb.shape[0], dtype)
    if state.carry_x.shape[0]:
        Xall = np.concatenate([state.carry_x, Xb])
        wall = np.concatenate([state.carry_w, w])
        first = state.carry_start
    else:
        Xall, wall, first = Xb, w, start
    n = Xall.shape[0]
    pos = 0
    while n - pos >= batch_size or (last and pos < n):
        end = min(n, pos + batch_size)
        _minibatch_update(state, np.ascontiguousarray(Xall[pos:end]), np.ascontiguousarray(wall[pos:end]), first + pos, n_threads)
        pos = end
    state.carry_x = np.array(Xall[pos:], copy=True)
    state.carry_w = np.array(wall[pos:], copy=True)
    state.carry_start = first + pos
    return state



def run_minibatch(
    blocks: Any, centers: np.ndarray, *, max_iter: int, tol: float, n_threads: int | None, callback: Any,
    batch_size: int,
) -> dict[str, Any]:
    """Mini-batch k-means, one sequential sweep over the blocks per pass."""
    from ..solvers._common import should_stop

    hist = HistoryRecorder(time.perf_counter())
    k = centers.shape[0]
    state = _MiniBatchState(centers.astype(np.float64), np.zeros(k, dtype=np.float64), blocks.dtype, k)
    prev_obj = np.inf
    stop_reason, converged, n_iter = "max_iter", False, 0
    nb = len(blocks)
    for it in range(1, max_iter + 1):
        state.obj, state.n_batches = 0.0, 0
        state.pass_weights = np.zeros(k, dtype=np.float64)
        state.top_contrib = np.empty(0, dtype=np.float64)
        state.top_index = np.empty(0, dtype=np.int64)
        state.top_rows = np.empty((0, blocks.d), dtype=blocks.dtype)
        # one block after the other, each on the worker that holds it; the
        # state (centers, counts, an unfinished batch) travels with the sweep
        for b in range(nb):
            state = blocks.map(_task_minibatch, state, batch_size, b == nb - 1, n_threads, blocks=[b], with_start=True)[0]
        n_iter = it
        obj = state.obj
        hist.record(obj, time.perf_counter(), it)
        # clusters that attracted nothing during the pass take the rows that
        # contributed most (never NaN, never the origin)
        empty = np.flatnonzero(state.pass_weights <= 0)
        for j, r, c in zip(empty, state.top_rows, state.top_contrib):
            if c <= 0:
                break
            state.centers[j] = r
        if should_stop(callback, it, obj):
            stop_reason = "callback"
            break
        if prev_obj < np.inf and abs(prev_obj - obj) <= tol * prev_obj:
            stop_reason, converged = "tol", True
            break
        prev_obj = obj
    return {
        "centers": state.centers.astype(blocks.dtype), "n_iter": n_iter, "converged": converged,
        "stop_reason": stop_reason, "history": hist.freeze(), "extra_passes": 0,
    }

