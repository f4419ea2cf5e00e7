"""k-means on a Dask cluster and on data larger than memory.

The same objective and the same Numba kernels as the in-memory solvers, run
block by block: every pass over the data is one task per row block, each task
runs :func:`optimeans._kernels.lloyd_pass` (or another kernel) on its block and
returns a few small arrays (per-cluster weighted sums, weights, the objective),
and the client reduces them **in block order**. So a seed gives bitwise the same
result on any number of workers and threads, and results agree with the
in-memory solvers (and across chunkings) to rounding.

What runs where
---------------
* On the current :class:`distributed.Client` when there is one, else on Dask's
  local threaded scheduler. Nothing else is needed: ``optimeans.fit(X)`` with a
  dask array ``X`` dispatches here.
* Seeding is k-means|| (Bahmani et al. 2012): a first center drawn by weight,
  then ``init_rounds`` rounds (5 by default) that each keep every point with
  probability ``min(1, l w_i D(x_i)^2 / phi)`` with ``l = 2 k``; the candidates
  are weighted by the points they attract and reclustered into ``k`` centers by
  weighted greedy k-means++ (:func:`optimeans.seeding.kmeans_plusplus`)
  followed by weighted Lloyd on the candidates. The random choices come from a
  counter-based hash of (seed, round, global row index), so the candidates do
  not depend on how the rows are split into blocks.
* ``method="lloyd"`` (the default): Lloyd's iteration, one pass per iteration.
  The run stops when the per-cluster sums and weights repeat exactly (the
  labels did not change: the in-memory ``"labels_unchanged"``), when the
  objective decreases by at most ``tol`` relatively, or after ``max_iter``.
  Empty clusters are handled exactly as in memory
  (:func:`optimeans.solvers._common.relocate_empty`): they take the points of
  largest contribution, found by an extra pass only when a cluster is empty.
* ``method="minibatch"``: one sequential sweep over the blocks per pass,
  mini-batch k-means with per-center learning rates ``1 / v_j`` (Sculley
  2010), for data read once from disk per pass. Batches are cut at fixed global
  row positions, so the result does not depend on the blocks either.
* The objective reported is recomputed in float64 on the final centers and
  labels; the labels come back as a lazy dask array.

Data larger than memory: :func:`read` opens ``.npy`` files as memory maps (one
map per block and task, so pages are read once per pass and never held),
Parquet files or directories (selected columns), or Zarr arrays. Such arrays
are not persisted (``persist="auto"`` keeps data in cluster memory only when it
fits comfortably), so every pass streams the data from disk.
"""

from __future__ import annotations

import glob as _glob
import numbers
import os
import threading
import time
from typing import Any, Callable, Literal, Sequence

import numpy as np

from ._kernels import CHUNK, assign_labels, lloyd_pass
from ._numba import numba_threads
from ._validation import (
    check_centers,
    check_nonneg_float,
    check_positive_int,
    check_random_state,
)
from .objective import nearest_labels, point_objective
from .result import History, HistoryRecorder, Result

__all__ = ["fit", "read", "local_cluster", "METHODS"]

#: Methods this module runs ("auto" is Lloyd).
METHODS = ("lloyd", "minibatch")

_INSTALL_HINT = 'dask is needed for this; install it with: pip install "optimeans[dask]"'

#: Default size of a row block read from disk: large, because every task costs
#: 1 to 2 ms of scheduling.
BLOCK_BYTES = 64 * 2**20


def _import_dask():
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(_INSTALL_HINT) from exc
    return dask, da


def _current_client() -> Any:
    """The default distributed Client, or None (local threaded scheduler)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


class DistributedResult(Result):
    """A :class:`~optimeans.Result` whose ``labels`` is a lazy dask array.

    Identical in form to the in-memory Result; ``cluster_sizes`` (and so
    ``summary()``) come from the final pass instead of re-reading the labels.
    """

    @property
    def cluster_sizes(self) -> np.ndarray:
        return np.asarray(self.info["cluster_sizes"], dtype=np.int64)


# --------------------------------------------------------------------------
# Block tasks: plain functions of one block, run on the workers.
# --------------------------------------------------------------------------

_local = threading.local()


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


def _as_block(Xb: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.ascontiguousarray(Xb, dtype=dtype)


def _block_weights(wb: np.ndarray | None, n: int, dtype: Any) -> np.ndarray:
    if wb is None:
        return np.ones(n, dtype=dtype)
    return np.ascontiguousarray(wb, dtype=dtype)


def _task_check(Xb: np.ndarray, wb: np.ndarray | None) -> tuple:
    """Validation pass: first non-finite entry, bad weights, total weight, column stats."""
    bad_x = None
    finite = np.isfinite(Xb)
    if not finite.all():
        flat = int(np.flatnonzero(~finite.reshape(-1))[0])
        r, c = divmod(flat, Xb.shape[1])
        bad_x = (r, c, float(Xb[r, c]))
    bad_w = None
    if wb is None:
        total = float(Xb.shape[0])
    else:
        w = np.asarray(wb, dtype=np.float64)
        if not np.isfinite(w).all():
            r = int(np.flatnonzero(~np.isfinite(w))[0])
            bad_w = (r, float(w[r]), "finite")
        elif (w < 0).any():
            r = int(np.flatnonzero(w < 0)[0])
            bad_w = (r, float(w[r]), "negative")
        total = float(w.sum())
    if bad_x is None and Xb.shape[0]:
        col_sum = Xb.sum(axis=0, dtype=np.float64)
        col_min = Xb.min(axis=0).astype(np.float64)
        col_max = Xb.max(axis=0).astype(np.float64)
    else:
        col_sum = col_min = col_max = None
    return bad_x, bad_w, total, int(Xb.shape[0]), col_sum, col_min, col_max


def _to_work(Xb: np.ndarray, offset: np.ndarray, scale: float, dtype: Any) -> np.ndarray:
    """``(X_b - offset) * scale`` in ``dtype``, as :class:`optimeans._api.WorkSpace` does."""
    blk = np.asarray(Xb, dtype=np.float64) - offset
    if scale != 1.0:
        blk *= scale
    return blk.astype(dtype)


def _task_pick(Xb: np.ndarray, wb: np.ndarray | None, u: float) -> np.ndarray:
    """The row where the cumulative weight of the block first exceeds ``u``."""
    w = _block_weights(wb, Xb.shape[0], np.float64)
    cum = np.cumsum(w)
    i = int(np.searchsorted(cum, u, side="right"))
    i = min(i, Xb.shape[0] - 1)
    while w[i] <= 0 and i > 0:  # never pick a zero-weight row
        i -= 1
    return np.array(Xb[i], copy=True)


def _uniform(key: int, start: int, n: int) -> np.ndarray:
    """Uniform numbers in (0, 1) for global rows ``start .. start + n - 1``.

    SplitMix64 of ``key + row * golden``: a counter-based generator, so the
    number of a row depends on the seed and the row's index only, never on the
    blocks the rows are split into.
    """
    z = np.arange(start, start + n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z += np.uint64(key)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 2.0**53)


def _min_sqdist(Xb: np.ndarray, centers: np.ndarray, n_threads: int) -> np.ndarray:
    labels = np.empty(Xb.shape[0], dtype=np.int64)
    mind = np.empty(Xb.shape[0], dtype=Xb.dtype)
    with numba_threads(n_threads):
        assign_labels(Xb, centers, labels, mind)
    return mind


def _task_sample(
    Xb: np.ndarray,
    wb: np.ndarray | None,
    start: int,
    centers: np.ndarray,
    l: float,
    key: int,
    max_rows: int,
    threshold: float | None,
    n_threads: int,
) -> tuple:
    """One k-means|| round on a block.

    Returns the block's potential ``psi_b = sum w_i D_i^2`` (float64) and the
    rows whose score ``s_i = l w_i D_i^2 / u_i`` could exceed the total
    potential: with ``threshold=None`` the ``max_rows`` highest scores above
    ``psi_b`` (a lower bound of the total), otherwise every score above
    ``threshold``. Row ``i`` is a k-means|| sample iff ``s_i > psi``, i.e.
    ``u_i < l w_i D_i^2 / psi``.
    """
    Xb = np.ascontiguousarray(Xb)
    n = Xb.shape[0]
    w = _block_weights(wb, n, np.float64)
    d2 = _min_sqdist(Xb, centers, n_threads).astype(np.float64)
    wd = w * d2
    psi_b = float(wd.sum())
    score = l * wd / _uniform(key, start, n)
    cut = psi_b if threshold is None else threshold
    idx = np.flatnonzero(score > cut)
    if threshold is None and idx.size > max_rows:
        top = np.argpartition(-score[idx], max_rows - 1)[:max_rows]
        idx = np.sort(idx[top])
    return psi_b, score[idx], idx + start, np.array(Xb[idx], copy=True)


def _task_smallest_u(Xb: np.ndarray, wb: np.ndarray | None, start: int, key: int, m: int) -> tuple:
    """The ``m`` rows of positive weight with the smallest hash numbers (random init)."""
    n = Xb.shape[0]
    w = _block_weights(wb, n, np.float64)
    u = _uniform(key, start, n)
    u[w <= 0] = np.inf
    m = min(m, n)
    if m == 0:
        return u[:0], np.arange(start, start), np.array(Xb[:0], copy=True)
    idx = np.argpartition(u, m - 1)[:m]
    idx = idx[np.isfinite(u[idx])]
    return u[idx], idx + start, np.array(Xb[idx], copy=True)


def _task_count(Xb: np.ndarray, wb: np.ndarray | None, centers: np.ndarray, n_threads: int) -> np.ndarray:
    """Weight attracted by each center (k-means|| candidate weights), float64."""
    Xb = np.ascontiguousarray(Xb)
    labels = np.empty(Xb.shape[0], dtype=np.int64)
    mind = np.empty(Xb.shape[0], dtype=Xb.dtype)
    with numba_threads(n_threads):
        assign_labels(Xb, centers, labels, mind)
    w = _block_weights(wb, Xb.shape[0], np.float64)
    return np.bincount(labels, weights=w, minlength=centers.shape[0])


def _task_lloyd(Xb: np.ndarray, wb: np.ndarray | None, centers: np.ndarray, n_threads: int) -> tuple:
    """One Lloyd pass over a block: per-cluster sums (k, d), weights (k,), objective."""
    Xb = np.ascontiguousarray(Xb)
    n, d = Xb.shape
    k = centers.shape[0]
    w = _block_weights(wb, n, Xb.dtype)  # as lloyd.run: the weights in X's dtype
    labels, mind, c_sums, c_wts, c_obj, c_changed = _buffers(n, Xb.dtype, k, d)
    with numba_threads(n_threads):
        lloyd_pass(Xb, w, centers, labels, mind, c_sums, c_wts, c_obj, c_changed)
    return c_sums.sum(axis=0), c_wts.sum(axis=0), float(c_obj.sum())


def _top_rows(contrib: np.ndarray, m: int) -> np.ndarray:
    """Indices of the ``m`` largest values, ordered by (value descending, index ascending).

    Exactly ``np.lexsort((arange, -contrib))[:m]`` in O(n) time for m << n.
    """
    n = contrib.shape[0]
    m = min(m, n)
    if m == 0:
        return np.empty(0, dtype=np.int64)
    if 4 * m >= n:
        return np.lexsort((np.arange(n), -contrib))[:m]
    cut = contrib[np.argpartition(-contrib, m - 1)[:m]].min()
    cand = np.flatnonzero(contrib >= cut)  # every tie at the cut, so the lowest indices win
    return cand[np.lexsort((cand, -contrib[cand]))][:m]


def _task_top(Xb: np.ndarray, wb: np.ndarray | None, start: int, centers: np.ndarray, m: int, n_threads: int) -> tuple:
    """The ``m`` rows with the largest ``w_i ||x_i - c_{a_i}||^2`` (for empty clusters)."""
    Xb = np.ascontiguousarray(Xb)
    n = Xb.shape[0]
    mind = _min_sqdist(Xb, centers, n_threads)
    contrib = _block_weights(wb, n, Xb.dtype).astype(np.float64) * mind.astype(np.float64)
    order = _top_rows(contrib, m)
    return contrib[order], order + start, np.array(Xb[order], copy=True)


def _task_final(
    Xb: np.ndarray, wb: np.ndarray | None, centers_work: np.ndarray, centers: np.ndarray,
    offset: np.ndarray, scale: float, n_threads: int,
) -> tuple:
    """Final assignment (in work space) and the exact objective on the original block.

    Returns the float64 objective ``sum w_i ||x_i - c_{a_i}||^2`` with the
    original rows and float64 centers, the size and the weight of every cluster.
    """
    Xb = np.asarray(Xb)
    k = centers.shape[0]
    Xw = _to_work(Xb, offset, scale, centers_work.dtype)
    with numba_threads(n_threads):
        labels, _ = nearest_labels(Xw, centers_work)
    w = _block_weights(wb, Xb.shape[0], np.float64)
    obj = float(np.dot(w, point_objective(Xb, centers, labels)))
    return obj, np.bincount(labels, minlength=k), np.bincount(labels, weights=w, minlength=k)


def _labels_block(Xb: np.ndarray, centers_work: np.ndarray, offset: np.ndarray, scale: float, n_threads: int) -> np.ndarray:
    Xw = _to_work(Xb, offset, scale, centers_work.dtype)
    with numba_threads(n_threads):
        return nearest_labels(Xw, centers_work)[0]


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


# --------------------------------------------------------------------------
# Reading data that may not fit in memory.
# --------------------------------------------------------------------------


def _read_npy(path: str, offset: int, start: int, stop: int, n_features: int, src: str, dtype: str) -> np.ndarray:
    """Rows ``start:stop`` of a C-order ``.npy`` file, through a memory map of just those rows.

    The map lives only for the task: the rows are copied out (and converted)
    and the map is closed, so the process never holds more than the block.
    """
    itemsize = np.dtype(src).itemsize
    mm = np.memmap(path, dtype=np.dtype(src), mode="r", offset=offset + start * n_features * itemsize, shape=(stop - start, n_features))
    try:
        return np.array(mm, dtype=np.dtype(dtype), copy=True)
    finally:
        mm._mmap.close()  # type: ignore[attr-defined]
        del mm


def _read_parquet(path: str, row_groups: list[int], columns: list[str], dtype: str) -> np.ndarray:
    """Selected columns of some row groups of a Parquet file, as one float array (nulls -> NaN)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_groups(row_groups, columns=columns)
    out = np.empty((table.num_rows, len(columns)), dtype=np.dtype(dtype))
    for j, name in enumerate(columns):
        col = table.column(name).cast(pa.float64() if np.dtype(dtype) == np.float64 else pa.float32())
        out[:, j] = col.to_numpy(zero_copy_only=False)
    return out


def _expand_paths(source: Any) -> list[str]:
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if os.path.isdir(text):
            if _is_zarr(text):
                return [text]
            found = sorted(
                p for p in _glob.glob(os.path.join(text, "*"))
                if p.lower().endswith((".parquet", ".pq", ".npy"))
            )
            if not found:
                raise ValueError(f"directory {text!r} holds no .parquet, .pq or .npy file")
            return found
        if any(ch in text for ch in "*?["):
            found = sorted(_glob.glob(text))
            if not found:
                raise ValueError(f"no file matches {text!r}")
            return found
        if not os.path.exists(text):
            raise ValueError(f"no such file: {text!r}")
        return [text]
    paths: list[str] = []
    for item in source:
        paths.extend(_expand_paths(item))
    if not paths:
        raise ValueError("no input file given")
    return paths


def _is_zarr(path: str) -> bool:
    return path.rstrip("/").endswith(".zarr") or any(
        os.path.exists(os.path.join(path, name)) for name in (".zarray", "zarr.json")
    )


def _npy_array(paths: list[str], dtype: Any, block_rows: int | None) -> Any:
    dask, da = _import_dask()
    pieces = []
    n_features = None
    for path in paths:
        with open(path, "rb") as fh:
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, src = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, fortran, src = np.lib.format.read_array_header_2_0(fh)
            except ValueError as exc:
                raise ValueError(f"{path!r} is not a valid .npy file: {exc}") from None
            offset = fh.tell()
        if len(shape) != 2:
            raise ValueError(f"{path!r} holds an array of shape {shape}; a 2-D (n_samples, n_features) array is required")
        if fortran:
            raise ValueError(f"{path!r} is stored in Fortran order; save it in C order (np.ascontiguousarray) to stream it by rows")
        if src.kind not in "biuf":
            raise TypeError(f"{path!r} holds dtype {src}; a numeric array is required")
        n, d = int(shape[0]), int(shape[1])
        if n_features is not None and d != n_features:
            raise ValueError(f"{path!r} has {d} columns but the first file has {n_features}")
        n_features = d
        target = np.dtype(dtype) if dtype is not None else (np.dtype(np.float32) if src == np.float32 else np.dtype(np.float64))
        rows = block_rows or max(1, BLOCK_BYTES // max(1, d * target.itemsize))
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            task = dask.delayed(_read_npy, pure=True)(path, offset, start, stop, d, src.str, target.str)
            pieces.append(da.from_delayed(task, shape=(stop - start, d), dtype=target))
    if not pieces:
        raise ValueError(f"{paths[0]!r} holds no rows")
    return da.concatenate(pieces, axis=0)


def _parquet_array(paths: list[str], columns: Sequence[str] | None, dtype: Any, block_rows: int | None) -> Any:
    dask, da = _import_dask()
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pat
    except ImportError as exc:
        raise ImportError('reading Parquet needs pyarrow; install it with: pip install "optimeans[parquet]"') from exc
    pieces = []
    chosen: list[str] | None = None
    all_float32 = True
    plans = []
    for path in paths:
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises its own error types
            raise ValueError(f"{path!r} is not a readable Parquet file: {exc}") from None
        schema = pf.schema_arrow
        names = list(schema.names)
        cols = list(columns) if columns is not None else names
        missing = [c for c in cols if c not in names]
        if missing:
            raise ValueError(f"{path!r} has no column(s) {', '.join(repr(m) for m in missing)}; it has {', '.join(names)}")
        bad = [c for c in cols if not (pat.is_integer(schema.field(c).type) or pat.is_floating(schema.field(c).type) or pat.is_boolean(schema.field(c).type))]
        if bad:
            raise TypeError(f"{path!r} has non-numeric column(s) {', '.join(repr(b) for b in bad)}; select numeric columns with columns=")
        if chosen is None:
            chosen = cols
        all_float32 &= all(pat.is_float32(schema.field(c).type) for c in cols)
        plans.append((path, pf.metadata))
    assert chosen is not None
    if not chosen:
        raise ValueError("no column selected")
    target = np.dtype(dtype) if dtype is not None else np.dtype(np.float32 if all_float32 else np.float64)
    d = len(chosen)
    rows_target = block_rows or max(1, BLOCK_BYTES // (d * target.itemsize))
    for path, meta in plans:
        group: list[int] = []
        rows = 0
        for rg in range(meta.num_row_groups):
            group.append(rg)
            rows += meta.row_group(rg).num_rows
            if rows >= rows_target or rg == meta.num_row_groups - 1:
                if rows:
                    task = dask.delayed(_read_parquet, pure=True)(path, group, chosen, target.str)
                    pieces.append(da.from_delayed(task, shape=(rows, d), dtype=target))
                group, rows = [], 0
    if not pieces:
        raise ValueError(f"the Parquet input {paths[0]!r} holds no rows")
    return da.concatenate(pieces, axis=0)


def read(
    source: Any,
    *,
    columns: Sequence[str] | str | None = None,
    dtype: Any = None,
    block_rows: int | None = None,
) -> Any:
    """Open data as a dask array of row blocks, without reading it.

    Parameters
    ----------
    source : str, path, list of paths, ndarray or dask array
        A ``.npy`` file (opened as memory maps, one per block), a Parquet file
        (``.parquet`` / ``.pq``), a directory of such files, a glob pattern
        (``"data/*.parquet"``), a Zarr array (``.zarr`` directory; needs the
        ``zarr`` package), a list of any of these (rows concatenated in the
        order given, files of a directory or glob in sorted order), or an
        array.
    columns : list of str or comma-separated str, optional
        Parquet columns to read (default: all, which must then be numeric).
    dtype : float32 or float64, optional
        Default: float32 when the stored data is float32, float64 otherwise.
    block_rows : int, optional
        Rows per block. Default: about 64 MiB per block (a Parquet block is a
        run of whole row groups).

    Returns
    -------
    dask.array.Array of shape (n_samples, n_features)
        Lazy: every computation reads the blocks it needs from disk again.

    Raises
    ------
    ImportError
        dask (``pip install "optimeans[dask]"``), pyarrow or zarr missing.
    ValueError
        No matching file, a missing column, a non-2-D or Fortran-order ``.npy``,
        files with different numbers of columns.
    TypeError
        Non-numeric columns or data.

    Notes
    -----
    Only metadata is read here (the ``.npy`` headers, the Parquet footers).
    A block task opens its own memory map or Parquet reader, so the blocks can
    be read by any worker that sees the same file system.

    Examples
    --------
    >>> X = read("data/*.parquet", columns="a,b,c")  # doctest: +SKIP
    >>> optimeans.fit(X, 50)  # doctest: +SKIP
    """
    dask, da = _import_dask()
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    if dtype is not None and np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if block_rows is not None:
        block_rows = check_positive_int(block_rows, "block_rows")
    if isinstance(source, da.Array) or isinstance(source, np.ndarray):
        arr = source if isinstance(source, da.Array) else da.from_array(source, chunks=(block_rows or max(1, BLOCK_BYTES // max(1, source.itemsize * (source.shape[1] if source.ndim == 2 else 1))), -1))
        if columns is not None:
            raise ValueError("columns= selects Parquet columns; index the array instead")
        if dtype is not None:
            arr = arr.astype(dtype)
        if block_rows is not None:
            arr = arr.rechunk((block_rows,) + arr.shape[1:])
        return arr
    paths = _expand_paths(source)
    kinds = {("zarr" if os.path.isdir(p) and _is_zarr(p) else os.path.splitext(p)[1].lower()) for p in paths}
    if kinds <= {".parquet", ".pq"}:
        return _parquet_array(paths, columns, dtype, block_rows)
    if columns is not None:
        raise ValueError("columns= applies to Parquet input only")
    if kinds == {".npy"}:
        return _npy_array(paths, dtype, block_rows)
    if kinds == {"zarr"}:
        try:
            import zarr  # noqa: F401
        except ImportError as exc:
            raise ImportError("reading Zarr needs the zarr package; install it with: pip install zarr") from exc
        arrays = [da.from_zarr(p) for p in paths]
        arr = arrays[0] if len(arrays) == 1 else da.concatenate(arrays, axis=0)
        if arr.ndim != 2:
            raise ValueError(f"the Zarr array has shape {arr.shape}; a 2-D (n_samples, n_features) array is required")
        if dtype is not None:
            arr = arr.astype(dtype)
        if block_rows is not None:
            arr = arr.rechunk((block_rows, -1))
        return arr
    raise ValueError(
        f"cannot read {', '.join(sorted(kinds))} input; use .npy, .parquet/.pq or .zarr files (one kind at a time)"
    )


def local_cluster(
    n_workers: int = 2,
    *,
    threads_per_worker: int = 1,
    processes: bool = True,
    dashboard: bool = False,
    memory_limit: str | int | None = "auto",
):
    """Start a Dask cluster on this machine, reachable from this machine only.

    Parameters
    ----------
    n_workers : int, default 2
    threads_per_worker : int, default 1
    processes : bool, default True
        Worker processes bound to 127.0.0.1 (``host="127.0.0.1"``); False runs
        the workers as threads of this process (in-process transport, no port).
    dashboard : bool, default False
        Serve the dashboard on 127.0.0.1 on a free port (needs bokeh); off by
        default. Every server of the cluster (scheduler, workers, their HTTP
        endpoints) listens on 127.0.0.1 only; Dask's defaults would listen on
        every interface.
    memory_limit : str, int or None, default "auto"

    Returns
    -------
    distributed.Client
        Connected to the new cluster; ``client.close()`` followed by
        ``client.cluster.close()`` stops it (``with local_cluster(...) as c:``
        does both).

    Notes
    -----
    Dask starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, which
    returns freed memory to the OS at once and made NumPy kernels 1.8x slower
    here; the workers started here use 256 MiB.
    """
    dask, _ = _import_dask()
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    n_workers = check_positive_int(n_workers, "n_workers")
    threads_per_worker = check_positive_int(threads_per_worker, "threads_per_worker")
    kwargs: dict[str, Any] = {
        "n_workers": n_workers,
        "threads_per_worker": threads_per_worker,
        "processes": bool(processes),
        "memory_limit": memory_limit,
        # The scheduler serves HTTP (health, metrics) even without the
        # dashboard, on every interface unless told otherwise; keep it, and
        # the dashboard when asked for, on the loopback interface.
        "dashboard_address": "127.0.0.1:0",
        "scheduler_kwargs": {"dashboard": bool(dashboard)},
    }
    if processes:
        kwargs["host"] = "127.0.0.1"
    else:
        # host= with processes=False fails to start (the workers talk in
        # process); their HTTP servers would bind the machine's address
        kwargs["worker_dashboard_address"] = "127.0.0.1:0"
    # The nanny takes the variable from os.environ first (where an earlier
    # cluster may have left 65536) and writes it back there: set both, restore.
    trim = str(256 * 2**20)
    previous = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    os.environ["MALLOC_TRIM_THRESHOLD_"] = trim
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": trim}):
            cluster = LocalCluster(**kwargs)
    finally:
        if previous is None:
            os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        else:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = previous
    try:
        client = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return _OwnedClient(client, cluster)


class _OwnedClient:
    """A Client that also closes the cluster it started (usable as a context manager)."""

    def __init__(self, client: Any, cluster: Any):
        self.client = client
        self.cluster = cluster

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self.cluster.close()

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --------------------------------------------------------------------------
# The client side.
# --------------------------------------------------------------------------


class _Blocks:
    """A validated dask array split into row blocks, and how to run a task per block."""

    def __init__(self, X: Any, w: Any):
        dask, _ = _import_dask()
        self.dask = dask
        self.X = X
        self.w = w
        self.n, self.d = (int(s) for s in X.shape)
        self.dtype = np.dtype(X.dtype)
        sizes = np.asarray(X.chunks[0], dtype=np.int64)
        self.sizes = sizes
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.xd = list(X.to_delayed().ravel())
        self.wd = list(w.to_delayed().ravel()) if w is not None else [None] * len(self.xd)

    def __len__(self) -> int:
        return len(self.xd)

    def map(self, fn: Callable, *args: Any, blocks: Sequence[int] | None = None, with_start: bool = False) -> list:
        """``fn(X_b, w_b, [start_b,] *args)`` for every block, results in block order."""
        delayed = self.dask.delayed
        idx = range(len(self)) if blocks is None else blocks
        tasks = []
        for b in idx:
            head = (self.xd[b], self.wd[b], int(self.starts[b])) if with_start else (self.xd[b], self.wd[b])
            # pure=False: fresh keys every pass, so a pass never waits on the
            # release of the previous pass's results under the same key
            tasks.append(delayed(fn, pure=False)(*head, *args))
        return list(self.dask.compute(*tasks))


def _check_dask_input(X: Any, sample_weight: Any, block_rows: int | None) -> tuple[Any, Any]:
    """Shape, dtype and chunk checks that need no pass over the data."""
    dask, da = _import_dask()
    if not isinstance(X, da.Array):
        raise TypeError(f"X must be a dask array here, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got a dask array of shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    n, d = (int(s) for s in X.shape)
    if n == 0:
        raise ValueError("X is empty: it has 0 sample(s), at least 1 required")
    if d == 0:
        raise ValueError("X has 0 features; at least one column is required")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype)
    if block_rows is not None:
        X = X.rechunk((check_positive_int(block_rows, "block_rows"), d))
    elif len(X.chunks[1]) != 1:
        X = X.rechunk({1: d})
    if 0 in X.chunks[0]:  # empty blocks would only cost tasks (and vanish on persist)
        X = X.rechunk((tuple(c for c in X.chunks[0] if c), (d,)))
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
            w = da.from_array(arr, chunks=-1)
        if w.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D, got shape {w.shape}")
        if w.shape[0] != n:
            raise ValueError(f"sample_weight has length {w.shape[0]} but X has {n} samples")
        if w.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
        w = w.astype(np.float64).rechunk((X.chunks[0],))
    return X, w


def _memory_budget(client: Any) -> float:
    """Bytes of memory the data may take when persisted (half of what there is)."""
    if client is not None:
        try:
            workers = client.scheduler_info(n_workers=-1)["workers"].values()
        except TypeError:
            workers = client.scheduler_info()["workers"].values()
        total = float(sum(wk.get("memory_limit", 0) or 0 for wk in workers))
        if total > 0:
            return 0.5 * total
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return 0.3 * float(line.split()[1]) * 1024
    except OSError:
        pass
    return 0.3 * float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _persist(X: Any, w: Any, client: Any) -> tuple[Any, Any]:
    """Keep the blocks in cluster memory, spread evenly over the workers.

    ``persist`` alone can leave most blocks on one worker (the one that read
    them first), which then does most of every pass; here block ``b`` is
    computed on worker ``b mod n_workers`` (workers sorted by address) and
    pinned there, so every pass is balanced and its tasks run where their
    block lives.
    """
    dask, da = _import_dask()
    if client is None:
        return dask.persist(X, w) if w is not None else (X.persist(), None)
    from distributed import wait

    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        return client.persist(X), (client.persist(w) if w is not None else None)

    def pinned(arr: Any) -> Any:
        parts = list(arr.to_delayed().ravel())
        futs = [client.compute(p, workers=[workers[b % len(workers)]], allow_other_workers=False) for b, p in enumerate(parts)]
        wait(futs)
        pieces = []
        for fut, rows in zip(futs, arr.chunks[0]):
            shape = (rows,) + tuple(int(s) for s in arr.shape[1:])
            pieces.append(da.from_delayed(dask.delayed(fut), shape=shape, dtype=arr.dtype))
        return da.concatenate(pieces, axis=0)

    return pinned(X), (pinned(w) if w is not None else None)


def _validate_pass(blocks: _Blocks) -> tuple[np.ndarray, np.ndarray, float]:
    """One pass: NaN/inf in X, bad weights; the weight of every block and the work space.

    Returns the block weights (float64), and the column means and power-of-two
    scale of :class:`optimeans._api.WorkSpace`, from block sums and column
    extremes (``max_i |x_if - m_f|`` is attained at a column's min or max).
    """
    checks = blocks.map(_task_check)
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
    col_sum = np.zeros(blocks.d, dtype=np.float64)
    col_min = np.full(blocks.d, np.inf)
    col_max = np.full(blocks.d, -np.inf)
    for c in checks:
        if c[4] is not None:
            col_sum += c[4]
            col_min = np.minimum(col_min, c[5])
            col_max = np.maximum(col_max, c[6])
    offset = col_sum / blocks.n
    maxabs = float(np.max(np.maximum(col_max - offset, offset - col_min)))
    # the rule of WorkSpace: rescale (by an exact power of two) only to guard
    # float32's range, leave ordinary magnitudes alone
    exp = 0 if maxabs == 0.0 else -int(np.frexp(maxabs)[1])
    scale = float(np.ldexp(1.0, exp)) if (maxabs > 2.0**40 or 0.0 < maxabs < 2.0**-40) else 1.0
    return totals, offset, scale


def _first_center(blocks: _Blocks, totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A row drawn with probability proportional to its weight."""
    cum = np.cumsum(totals)
    u = float(rng.random()) * cum[-1]
    b = int(min(np.searchsorted(cum, u, side="right"), len(cum) - 1))
    while totals[b] <= 0:
        b -= 1
    offset = u - (cum[b - 1] if b > 0 else 0.0)
    return blocks.map(_task_pick, offset, blocks=[b])[0].astype(blocks.dtype)


def kmeans_parallel(
    blocks: _Blocks,
    n_clusters: int,
    totals: np.ndarray,
    rng: np.random.Generator,
    *,
    oversampling_factor: float = 2.0,
    init_rounds: int = 5,
    n_threads: int = 1,
) -> tuple[np.ndarray, dict[str, Any]]:
    """k-means|| seeding over the blocks (Bahmani et al. 2012, Algorithm 2).

    Parameters
    ----------
    blocks : the validated data
    n_clusters : int
    totals : ndarray (n_blocks,), the weight of every block
    rng : numpy Generator (the first center, the hash keys, the reclustering)
    oversampling_factor : float, default 2.0
        ``l = oversampling_factor * n_clusters`` points expected per round.
    init_rounds : int, default 5
    n_threads : int
        Numba threads per task.

    Returns
    -------
    centers : ndarray (n_clusters, n_features), X's dtype
    info : dict with the number of candidates and passes.

    Notes
    -----
    ``init_rounds + 2`` passes over the data (the first center is read from one
    block); round ``r`` costs O(n d |C_r|) with ``|C_r| ~ 1 + r l``. A block
    returns its rows whose score could exceed the total potential (at most
    ``4 l + 64`` of them); the rare block that had more is asked again with the
    exact threshold, so the sample is exactly Bahmani's.

    References
    ----------
    Bahmani, B., Moseley, B., Vattani, A., Kumar, R. and Vassilvitskii, S.
    (2012). Scalable k-means++. PVLDB 5(7), Algorithm 2.
    """
    from .seeding import kmeans_plusplus
    from .solvers import lloyd

    l = float(oversampling_factor) * n_clusters
    max_rows = int(4 * l + 64)
    cands = [_first_center(blocks, totals, rng)[None, :]]
    passes = 0
    psi_hist = []
    for _ in range(init_rounds):
        C = np.ascontiguousarray(np.concatenate(cands), dtype=blocks.dtype)
        key = int(rng.integers(0, 2**63 - 1))
        out = blocks.map(_task_sample, C, l, key, max_rows, None, n_threads, with_start=True)
        passes += 1
        psi = 0.0
        for o in out:
            psi += o[0]
        psi_hist.append(psi)
        if psi <= 0.0:
            break  # every point sits on a candidate
        redo = [b for b, o in enumerate(out) if len(o[1]) == max_rows and o[1].min() > psi]
        if redo:
            again = blocks.map(_task_sample, C, l, key, max_rows, psi, n_threads, with_start=True, blocks=redo)
            for b, o in zip(redo, again):
                out[b] = o
        new = [o[3][o[1] > psi] for o in out]
        cands.extend(r for r in new if len(r))
    C = np.ascontiguousarray(np.concatenate(cands), dtype=blocks.dtype)
    weights = None
    for part in blocks.map(_task_count, C, n_threads):
        weights = part if weights is None else weights + part
    passes += 1
    assert weights is not None
    # recluster the weighted candidates in memory: greedy k-means++, then Lloyd
    keep = weights > 0
    Cp, wp = np.ascontiguousarray(C[keep]), weights[keep]
    if Cp.shape[0] <= n_clusters:
        centers = np.concatenate([Cp, Cp[rng.integers(0, Cp.shape[0], n_clusters - Cp.shape[0])]])
    else:
        centers0, _ = kmeans_plusplus(Cp, n_clusters, wp, rng)
        centers = lloyd.run(Cp, wp, centers0, max_iter=100, tol=0.0).centers
    info = {"n_candidates": int(C.shape[0]), "init_passes": passes + 1, "init_potential": psi_hist}
    return np.ascontiguousarray(centers, dtype=blocks.dtype), info


def _random_init(blocks: _Blocks, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """``n_clusters`` distinct rows of positive weight, uniformly at random."""
    key = int(rng.integers(0, 2**63 - 1))
    m = 2 * n_clusters + 8
    out = blocks.map(_task_smallest_u, key, m, with_start=True)
    u = np.concatenate([o[0] for o in out])
    rows = np.concatenate([o[2] for o in out])
    chosen: list[np.ndarray] = []
    seen: set[bytes] = set()
    for i in np.argsort(u, kind="stable"):
        kb = rows[i].tobytes()
        if kb in seen:
            continue
        seen.add(kb)
        chosen.append(rows[i])
        if len(chosen) == n_clusters:
            break
    while len(chosen) < n_clusters:
        chosen.append(rows[int(rng.integers(len(rows)))])
    return np.ascontiguousarray(np.stack(chosen), dtype=blocks.dtype)


def _relocate(blocks: _Blocks, centers_old: np.ndarray, new_centers: np.ndarray, weights: np.ndarray, n_threads: int) -> int:
    """The in-memory empty-cluster policy, over the blocks (one extra pass)."""
    empty = np.flatnonzero(weights <= 0)
    if empty.size == 0:
        return 0
    out = blocks.map(_task_top, centers_old, int(empty.size), n_threads, with_start=True)
    contrib = np.concatenate([o[0] for o in out])
    index = np.concatenate([o[1] for o in out])
    rows = np.concatenate([o[2] for o in out])
    order = np.lexsort((index, -contrib))
    for j, i in zip(empty, order[: empty.size]):
        if contrib[i] <= 0:
            break
        new_centers[j] = rows[i]
    return 1


def _lloyd(blocks: _Blocks, centers: np.ndarray, *, max_iter: int, tol: float, n_threads: int, callback: Any) -> dict[str, Any]:
    from .solvers._common import should_stop

    hist = HistoryRecorder(time.perf_counter())
    prev_obj = np.inf
    prev_stats: tuple[np.ndarray, np.ndarray] | None = None
    stop_reason, converged, n_iter, extra_passes = "max_iter", False, 0, 0
    for it in range(1, max_iter + 1):
        parts = blocks.map(_task_lloyd, centers, n_threads)
        n_iter = it
        sums = parts[0][0].copy()
        weights = parts[0][1].copy()
        obj = parts[0][2]
        for s, w, o in parts[1:]:  # block order, never completion order
            sums += s
            weights += w
            obj += o
        hist.record(obj, time.perf_counter(), it + extra_passes)
        # Equal per-cluster sums and weights mean the labels did not change:
        # the in-memory "labels_unchanged" test, without storing the labels.
        if prev_stats is not None and np.array_equal(sums, prev_stats[0]) and np.array_equal(weights, prev_stats[1]):
            stop_reason, converged = "labels_unchanged", True
            break
        prev_stats = (sums, weights)
        nz = weights > 0
        new_centers = centers.copy()
        new_centers[nz] = (sums[nz] / weights[nz, None]).astype(centers.dtype)
        extra_passes += _relocate(blocks, centers, new_centers, weights, n_threads)
        centers = new_centers
        if should_stop(callback, it, obj):
            stop_reason = "callback"
            break
        if prev_obj < np.inf and prev_obj - obj <= tol * prev_obj:
            stop_reason, converged = "tol", True
            break
        prev_obj = obj
    return {
        "centers": centers, "n_iter": n_iter, "converged": converged, "stop_reason": stop_reason,
        "history": hist.freeze(), "extra_passes": extra_passes,
    }


def _minibatch(
    blocks: _Blocks, centers: np.ndarray, *, max_iter: int, tol: float, n_threads: int | None, callback: Any,
    batch_size: int, client: Any,
) -> dict[str, Any]:
    """Mini-batch k-means, one sequential sweep over the blocks per pass."""
    from .solvers._common import should_stop

    dask = blocks.dask
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
        # A chain of tasks, each waiting for the previous state; with a
        # cluster, the next block's read overlaps the current step. Submitting
        # one block at a time on the local scheduler keeps memory to a block.
        if client is not None:
            from distributed import wait

            prev = None
            cur: Any = state
            for b in range(nb):
                xb = client.compute(blocks.xd[b])
                wb = client.compute(blocks.wd[b]) if blocks.wd[b] is not None else None
                cur = client.submit(
                    _task_minibatch, xb, wb, int(blocks.starts[b]), cur, batch_size, b == nb - 1, n_threads, pure=False
                )
                if prev is not None:
                    wait(prev)  # at most two blocks in flight: the one stepping, the next one loading
                prev = cur
            state = cur.result()
        else:
            for b in range(nb):
                (state,) = dask.compute(
                    dask.delayed(_task_minibatch, pure=False)(
                        blocks.xd[b], blocks.wd[b], int(blocks.starts[b]), state, batch_size, b == nb - 1, n_threads
                    )
                )
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


def _default_threads(n_threads: int | None, client: Any) -> int:
    """Numba threads per block task.

    The parallelism comes from running blocks concurrently (worker threads, or
    the local threaded scheduler's pool), so each task runs one thread unless
    asked otherwise.
    """
    if n_threads is None:
        return 1
    from ._numba import resolve_n_threads

    return resolve_n_threads(n_threads)  # -1: every core, as in memory


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
        float32 stays float32, every other numeric type becomes float64. Row
        chunks are the blocks of every pass (make them large: tens of MiB).
    n_clusters : int
    method : {"auto", "lloyd", "minibatch"}, default "auto" (Lloyd)
    init : {"k-means||", "k-means++", "random"}, ndarray or callable
        ``"k-means++"`` means k-means|| here (its scalable form). An array of
        shape (n_clusters, n_features) is used as is; a callable is called as
        ``init(X, n_clusters, rng)``.
    n_init : int or "auto", default "auto"
        Restarts (each costs its own seeding and iterations); "auto" is 1 (the
        k-means|| seeding is good enough to need none), 3 for "random".
    max_iter, tol : as in :func:`optimeans.fit`
        For "minibatch", ``max_iter`` counts passes over the data and ``tol``
        the relative change of a pass's objective.
    sample_weight : array-like or dask array of shape (n_samples,), optional
    random_state : int, Generator or None
    n_threads : int, optional
        Numba threads inside each block task (default 1: the blocks run in
        parallel on the workers' threads; for "minibatch", whose blocks run
        one after the other, every core of the worker).
    callback : callable ``(iteration, objective) -> bool``, optional
    persist : bool or "auto", default "auto"
        Keep the blocks in the workers' memory (spread evenly over the workers)
        between passes. "auto" persists when the data takes less than half the
        cluster's memory (30 % of the available memory on the local scheduler);
        otherwise every pass reads the data again (out-of-core).
    block_rows : int, optional
        Rechunk X into blocks of this many rows.
    batch_size : int, default 16384
        Rows per mini-batch ("minibatch" only).
    oversampling_factor : float, default 2.0
        k-means|| draws ``oversampling_factor * n_clusters`` points per round.
    init_rounds : int, default 5
        k-means|| rounds.

    Returns
    -------
    Result
        As in memory (centers as ndarray, float64 objective recomputed on the
        final centers and labels, history per pass), with ``labels`` a lazy
        dask array of int64 and ``info`` holding ``cluster_sizes``,
        ``cluster_weights``, ``n_blocks``, ``passes`` and the seeding's
        ``n_candidates``.

    Raises
    ------
    ImportError
        dask is not installed (with the install hint).
    ValueError
        NaN or inf in X (with its global row and column), bad weights,
        ``n_clusters`` > n_samples, unknown method or init.
    TypeError
        Non-numeric X, wrong argument types.

    Notes
    -----
    Every pass is one task per block and moves O(k d) floats per block to the
    client: time O(n k d / workers) per pass, client memory O(k d n_blocks).
    Passes: 1 (validation) + ``init_rounds + 2`` (k-means||) + one per Lloyd
    iteration (plus one when a cluster is empty) + 1 (final objective).
    Given the same initial centers, the result equals the in-memory Lloyd's to
    rounding (partial sums are added per block here, per 4096-row chunk in
    memory), whatever the chunking, and is bitwise reproducible for a given
    chunking on any number of workers. The test for FewDistinctPointsWarning
    (which needs the distinct rows) is not run on dask arrays.

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
    dask, da = _import_dask()
    from ._api import resolve_n_init

    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {method!r}")
    name = "lloyd" if method == "auto" else method
    if name not in METHODS:
        raise ValueError(
            f"method {method!r} does not run on dask arrays; choose one of auto, {', '.join(METHODS)} "
            "(or compute the array and fit it in memory)"
        )
    X, w = _check_dask_input(X, sample_weight, block_rows)
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
    if isinstance(init, str):
        if init not in ("k-means||", "k-means++", "random"):
            raise ValueError(f"init must be 'k-means||', 'k-means++', 'random', an array or a callable; got {init!r}")
        n_runs = (1 if init != "random" else 3) if n_init == "auto" else resolve_n_init(n_init, init)
    elif callable(init):
        n_runs = resolve_n_init(n_init, init)
    else:
        init = check_centers(init, k, d, np.float64)
        n_runs = 1
    if persist not in (True, False, "auto"):
        raise ValueError(f"persist must be True, False or 'auto', got {persist!r}")
    nt = _default_threads(n_threads, None)
    client = _current_client()
    t_start = time.perf_counter()
    # Validation pass over the original data; it also yields the work space
    # (column means, power-of-two scale) the in-memory fit runs in.
    source = _Blocks(X, w)
    totals, offset, scale = _validate_pass(source)
    t_validated = time.perf_counter()
    factor = 1.0 / (scale * scale)
    Xw = X.map_blocks(_to_work, offset, scale, X.dtype, dtype=X.dtype)
    do_persist = persist is True or (persist == "auto" and X.nbytes <= _memory_budget(client))
    if do_persist:
        Xw, w_work = _persist(Xw, w, client)
    else:
        w_work = w
    blocks = _Blocks(Xw, w_work)
    _, seed = check_random_state(random_state)
    children = np.random.SeedSequence(seed).spawn(n_runs)
    cb = callback
    if callback is not None and factor != 1.0:
        def cb(iteration: int, obj: float) -> Any:
            return callback(iteration, obj * factor)

    best: dict[str, Any] | None = None
    for run_seed in children:
        rng = np.random.default_rng(run_seed)
        seed_info: dict[str, Any] = {}
        if isinstance(init, str) and init in ("k-means||", "k-means++"):
            centers0, seed_info = kmeans_parallel(
                blocks, k, totals, rng, oversampling_factor=oversampling_factor, init_rounds=init_rounds, n_threads=nt
            )
        elif isinstance(init, str):
            centers0 = _random_init(blocks, k, rng)
            seed_info = {"init_passes": 1}
        elif callable(init):
            centers0 = check_centers(init(Xw, k, rng), k, d, X.dtype, name="init()")
        else:
            centers0 = _to_work(init, offset, scale, X.dtype)
        if name == "lloyd":
            run = _lloyd(blocks, np.array(centers0, copy=True), max_iter=max_iter, tol=tol, n_threads=nt, callback=cb)
        else:
            # the blocks of a sweep run one after the other, so by default a
            # step uses every core of the machine it runs on (None)
            run = _minibatch(
                blocks, np.array(centers0, copy=True), max_iter=max_iter, tol=tol,
                n_threads=None if n_threads is None else nt, callback=cb,
                batch_size=batch_size, client=client,
            )
        centers_work = np.ascontiguousarray(run["centers"], dtype=X.dtype)
        centers = centers_work.astype(np.float64)
        if scale != 1.0:
            centers /= scale
        centers += offset
        final = source.map(_task_final, centers_work, centers, offset, scale, nt)
        obj = final[0][0]
        sizes = final[0][1].copy()
        cw = final[0][2].copy()
        for o, s_, c in final[1:]:
            obj += o
            sizes += s_
            cw += c
        run.update(
            objective=float(obj), sizes=sizes, cluster_weights=cw, seed_info=seed_info,
            centers=centers, centers_work=centers_work,
        )
        if best is None or run["objective"] < best["objective"]:
            best = run
        if run["stop_reason"] == "callback":
            break
    assert best is not None
    labels = X.map_blocks(_labels_block, best["centers_work"], offset, scale, nt, dtype=np.int64, drop_axis=1)
    hist = best["history"]
    if factor != 1.0:
        hist = History(hist.objective * factor, hist.seconds, hist.passes, dict(hist.extra))
    init_name = init if isinstance(init, str) else ("callable" if callable(init) else "array")
    seed_passes = int(best["seed_info"].get("init_passes", 0))
    info = {
        "cluster_sizes": best["sizes"],
        "cluster_weights": best["cluster_weights"],
        "n_blocks": len(blocks),
        "persisted": bool(do_persist),
        "scheduler": "distributed" if client is not None else "threads",
        "passes": 1 + seed_passes + best["n_iter"] + best["extra_passes"] + 1,
        "seconds": time.perf_counter() - t_start,
        "validation_seconds": t_validated - t_start,
        **{k_: v for k_, v in best["seed_info"].items() if k_ != "init_passes"},
    }
    options = {"max_iter": max_iter, "tol": tol, "init": "k-means||" if init_name == "k-means++" else init_name}
    if name == "minibatch":
        options["batch_size"] = batch_size
    return DistributedResult(
        centers=best["centers"],
        labels=labels,
        objective=best["objective"],
        n_iter=best["n_iter"],
        converged=best["converged"],
        stop_reason=best["stop_reason"],
        history=hist,
        method=name,
        seed=seed,
        options=options,
        n_init=n_runs,
        info=info,
    )
