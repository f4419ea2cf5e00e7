"""Block tasks: plain functions of one row block, run on the workers.

A block is held on its worker as a :class:`BlockState`: the original rows and
weights, the rows in the work space of :class:`optimeans._transform.DataTransform` (the
same transform the in-memory fit applies), their packed float32 copy for the
assignment kernel (built once, on the first pass) and the labels of the
current run. A Lloyd pass is then one call of the in-memory kernel
:func:`optimeans._kernels.lloyd.lloyd_chunks` on the packed block; it returns
the per-chunk changes of the cluster sums of the chunks where labels changed,
which the client adds in global chunk order exactly as the in-memory
:class:`~optimeans._kernels.lloyd.Workspace` does. Blocks start at multiples of
:data:`~optimeans._kernels.lloyd.CHUNK` rows, so a block's chunks are the
in-memory chunks.

The states are mutated in place by the pass tasks (their labels move on). The
client therefore runs every task of a state on the worker that holds it, and
each pass checks the state's step counter: a state that was lost and rebuilt
(a worker died) is detected and reported instead of giving wrong sums.

Data that are not kept in memory (out-of-core) have states without rows: each
task gets the block read again from the source and transforms it for that one
pass; a Lloyd pass scans the rows as they are, without a packed copy
(:func:`optimeans._kernels.lloyd.lloyd_rows`), except with the BLAS kernel
(many centers in many features), which packs the block.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any, Callable

import numpy as np

from .._kernels.lloyd import (
    BLOCK, CHUNK, guard_kappa, lloyd_chunks, lloyd_rows, n_chunks, pack_data, padded_features, prefetch_pays,
    scans_rows,
)
from .._numba import numba_threads
from ..objective import point_objective
from . import _scan

#: Rows of the sub-blocks :class:`optimeans._transform.DataTransform` sums over (weighted means).
WS_BLOCK = 65536

#: Out of core, a block's labels are kept in a file mapping from this many rows on (see :func:`label_array`).
LABELS_ON_DISK_ROWS = 1 << 20


def label_array(n: int, on_disk: bool) -> np.ndarray:
    """``n`` int64 labels, in memory, or ``on_disk`` in a shared mapping of an unnamed temporary file.

    Out of core the rows are read again at every pass, but each row's label
    must stay from one pass to the next (the exact passes add the changes
    of the rows whose label changed), and a fit holds two or three copies
    (the run's labels, the copy set aside as the best of the restarts):
    8 bytes a row each, 1.5 GiB for a 12 GiB file of 16 float32 columns,
    which kept such a fit at 7.2 GiB resident. In a mapping of a file
    (``tempfile.TemporaryFile``, in ``TMPDIR``; removed from the directory at
    once, its space freed with the last view), the kernel writes the pages
    out and frees them when memory runs short, as it does with the data
    file's, so the fit's memory stays bounded by its blocks in flight.
    """
    if not on_disk or n == 0:
        return np.empty(n, dtype=np.int64)
    import mmap
    import tempfile

    try:
        with tempfile.TemporaryFile(prefix="optimeans-labels-") as fh:
            fh.truncate(n * 8)
            if hasattr(os, "posix_fallocate"):
                # the blocks reserved now: a write into a hole of a full file system would kill
                # the process (SIGBUS) where this raises, and the labels stay in memory
                os.posix_fallocate(fh.fileno(), 0, n * 8)
            mm = mmap.mmap(fh.fileno(), n * 8, access=mmap.ACCESS_WRITE)
    except OSError:  # no room in TMPDIR (or no temporary directory at all)
        return np.empty(n, dtype=np.int64)
    return np.frombuffer(mm, dtype=np.int64)


class ScratchRows(tuple):
    """``(X, w)`` of a block read into a buffer that nothing else holds: a task may overwrite ``X``.

    Out of core, the read-ahead ring hands these to tasks that keep no
    reference to the rows (:meth:`~optimeans.distributed.blocks.Blocks.run`
    with ``keeps_rows=False``); a Lloyd pass then writes the work rows over
    the rows read, instead of into a buffer of their own (less memory, and
    a third less memory traffic in the transform).
    """


class StateLost(RuntimeError):
    """A block's state is not the one the run left (a worker was lost and the block rebuilt)."""


# ------------------------------------------------------------------ checks and the work space


def task_check(Xb: np.ndarray, wb: np.ndarray | None) -> tuple:
    """Validation of a raw block: first non-finite entry, bad weights, sizes and extremes.

    Returns ``(bad_x, bad_w, total_weight, n_rows, max_abs_x, w_min, w_max)``.
    """
    Xb = np.asarray(Xb)
    bad_x = None
    finite = np.isfinite(Xb)
    if not finite.all():
        flat = int(np.flatnonzero(~finite.reshape(-1))[0])
        r, c = divmod(flat, Xb.shape[1])
        bad_x = (r, c, float(Xb[r, c]))
    bad_w, total, wmin, wmax = _check_weights(wb, Xb.shape[0])
    top = float(np.abs(Xb).max()) if (bad_x is None and Xb.size) else 0.0
    return bad_x, bad_w, total, int(Xb.shape[0]), top, wmin, wmax


def _check_weights(wb: np.ndarray | None, n: int) -> tuple:
    """``(bad_w, total, w_min, w_max)`` of a block's weights (as :func:`task_check`)."""
    bad_w = None
    wmin = wmax = 1.0
    if wb is None:
        return bad_w, float(n), wmin, wmax
    w = np.asarray(wb, dtype=np.float64)
    if not np.isfinite(w).all():
        r = int(np.flatnonzero(~np.isfinite(w))[0])
        bad_w = (r, float(w[r]), "finite")
    elif (w < 0).any():
        r = int(np.flatnonzero(w < 0)[0])
        bad_w = (r, float(w[r]), "negative")
    total = float(w.sum())
    if w.size:
        wmin, wmax = float(w.min()), float(w.max())
    return bad_w, total, wmin, wmax


def task_check_sum(Xb: np.ndarray, wb: np.ndarray | None, acc: tuple) -> tuple:
    """:func:`task_check` and :func:`task_offset` (unit weights, no pre-scaling) in one read of the block.

    ``acc = (sums, lo, hi, checks)``: the float64 column sums of the rows so
    far in row order, the column extremes, and the list of the blocks'
    :func:`task_check` tuples. Chained block after block (the sums must add
    in row order, as ``X.mean(axis=0)`` adds them in memory); after a block
    with a bad entry the chain only passes the accumulator on. For two or
    more columns (NumPy sums one column pairwise).
    """
    sums, lo, hi, checks = acc
    if any(c[0] is not None or c[1] is not None for c in checks):
        return acc
    Xb = np.ascontiguousarray(Xb)
    sums, lo, hi = sums.copy(), lo.copy(), hi.copy()
    blo = np.full(Xb.shape[1], np.inf)
    bhi = np.full(Xb.shape[1], -np.inf)
    bad = int(_scan.check_and_sum(Xb, sums, blo, bhi))
    bad_x = None
    top = 0.0
    if bad >= 0:
        r, c = divmod(bad, Xb.shape[1])
        bad_x = (r, c, float(Xb[r, c]))
    elif Xb.shape[0]:
        np.minimum(lo, blo, out=lo)
        np.maximum(hi, bhi, out=hi)
        top = float(max(np.abs(blo).max(), np.abs(bhi).max()))
    bad_w, total, wmin, wmax = _check_weights(wb, Xb.shape[0])
    return sums, lo, hi, [*checks, (bad_x, bad_w, total, int(Xb.shape[0]), top, wmin, wmax)]


def task_offset(Xb: np.ndarray, wb: np.ndarray | None, acc: np.ndarray, pre: int, wexp: int | None) -> np.ndarray:
    """Continue the column sums of :class:`optimeans._transform.DataTransform`'s offset over one block.

    ``wexp is None``: unit (or uniform) weights, and ``pre == 0``: the plain
    sequential sum of the rows in float64 (what ``X.mean(axis=0)`` adds, in the
    same order). Otherwise the sum of ``DataTransform``'s 65536-row sub-blocks
    (``blk.sum(axis=0)`` or ``(w * 2**wexp) @ blk``), added in order; the
    block starts at a multiple of 65536 rows. Chained block after block.
    """
    Xb = np.asarray(Xb)
    if pre == 0 and wexp is None:
        return np.concatenate([acc[None, :], Xb.astype(np.float64)]).sum(axis=0)
    acc = acc.copy()
    for s in range(0, Xb.shape[0], WS_BLOCK):
        blk = Xb[s:s + WS_BLOCK].astype(np.float64)
        if pre:
            blk = np.ldexp(blk, pre)
        if wexp is None:
            acc += blk.sum(axis=0)
        else:
            acc += np.ldexp(np.asarray(wb[s:s + WS_BLOCK], dtype=np.float64), wexp) @ blk
    return acc


def task_max_deviation(Xb: np.ndarray, wb: Any, off_p: np.ndarray, pre: int) -> float:
    """``max |x * 2**pre - offset|`` over the block (DataTransform's scale)."""
    Xb = np.asarray(Xb)
    if not Xb.size:
        return 0.0
    out = 0.0
    for s in range(0, Xb.shape[0], WS_BLOCK):
        blk = Xb[s:s + WS_BLOCK].astype(np.float64)
        if pre:
            blk = np.ldexp(blk, pre)
        out = max(out, float(np.abs(blk - off_p).max()))
    return out


# ------------------------------------------------------------------ the state of a block


class BlockState:
    """A row block on its worker: original rows, work-space rows, packed rows, labels.

    Parameters
    ----------
    Xb, wb : the original rows (X's dtype) and weights (float64 or None), or
        None for an out-of-core state (rows come with every task)
    start : global index of the block's first row (a multiple of CHUNK)
    n : rows
    space : the :class:`optimeans._transform.DataTransform` of the whole data
    dtype : the work dtype (X's)
    unit : whether every work weight is 1 (the kernel then skips the weights)
    """

    def __init__(self, Xb: Any, wb: Any, start: int, n: int, space: Any, dtype: Any, unit: bool) -> None:
        self.start = int(start)
        self.n = int(n)
        self.space = space
        self.dtype = np.dtype(dtype)
        self.unit = bool(unit)
        self.persisted = Xb is not None
        self.X: np.ndarray | None = None
        self.w: np.ndarray | None = None
        self.Xw: np.ndarray | None = None
        self.ww: np.ndarray | None = None
        if self.persisted:
            self.X, self.w, self.Xw, self.ww = self._work(Xb, wb)
        self.packed: tuple | None = None  # (XT, block_norm, kmean, kscale)
        #: out of core, a large block's labels (and their copies) live in a file mapping
        self.labels_on_disk = not self.persisted and self.n >= LABELS_ON_DISK_ROWS
        self.labels = label_array(self.n, self.labels_on_disk)
        self.labels.fill(-1)
        self.token = -1
        self.step = 0
        self.pending: np.ndarray | None = None
        self.best: np.ndarray | None = None
        self._scratch: tuple | None = None
        self._sparse_out: tuple | None = None
        self.prefetch = True
        self.moved = self.n  # the labels the last pass changed

    # -- rows

    def _work(self, Xb: Any, wb: Any) -> tuple:
        X = np.ascontiguousarray(Xb, dtype=self.dtype)
        w = None if wb is None else np.ascontiguousarray(wb, dtype=np.float64)
        factor = work_factor(self.space)
        if factor is None:
            Xw = np.ascontiguousarray(self.space.to_work(X, self.dtype))
        else:
            Xw = np.empty(X.shape, dtype=self.dtype)
            _scan.to_work_rows(X, self.space._offset_p, factor, Xw)
        ww = None if w is None else np.ascontiguousarray(self.space.work_weights(w), dtype=np.float64)
        return X, w, Xw, ww

    def rows(self, raw: Any) -> tuple:
        """``(X, w, Xw, ww)``: kept ones, or those of ``raw`` (out-of-core)."""
        if self.persisted:
            return self.X, self.w, self.Xw, self.ww
        if raw is None:
            raise StateLost("an out-of-core block task got no rows")
        return self._work(raw[0], raw[1])

    def work_rows(self, raw: Any) -> tuple:
        """``(Xw, ww)`` for a task that needs the work rows alone (not the original ones).

        Out of core, rows read into a buffer that nothing else holds
        (:class:`ScratchRows`) are transformed in place, as a Lloyd pass does
        (:meth:`pass_rows`): no new block of memory to fault in. Otherwise as
        :meth:`rows`.
        """
        factor = work_factor(self.space)
        if self.persisted or not isinstance(raw, ScratchRows) or factor is None:
            _, _, Xw, ww = self.rows(raw)
            return Xw, ww
        Xb, wb = raw
        X = np.ascontiguousarray(Xb, dtype=self.dtype)
        if X is not Xb or not X.flags.writeable:
            _, _, Xw, ww = self.rows(raw)
            return Xw, ww
        _scan.to_work_rows(X, self.space._offset_p, factor, X)  # each entry read, then written
        ww = None if wb is None else np.ascontiguousarray(self.space.work_weights(np.asarray(wb, dtype=np.float64)))
        return X, ww

    def weights64(self, w: np.ndarray | None) -> np.ndarray:
        return np.ones(self.n, dtype=np.float64) if w is None else w

    def kernel_weights(self, ww: np.ndarray | None) -> np.ndarray:
        if self.unit or ww is None:
            return _NONE
        return ww

    def pack(self, Xw: np.ndarray, kmean: np.ndarray, kscale: float) -> tuple:
        """The packed float32 copy of the work rows (kept when the block is persisted)."""
        p = self.packed
        # the client sends the same mean every pass: compared as bytes (np.array_equal took 10-20 us)
        if p is not None and p[3] == kscale and p[2].shape == kmean.shape and p[2].tobytes() == kmean.tobytes():
            return p
        d = Xw.shape[1]
        nb = (self.n + BLOCK - 1) // BLOCK
        XT = np.empty(max(nb * d * BLOCK, 1), dtype=np.float32)
        block_norm = np.empty(nb, dtype=np.float64)
        sqnorm = np.empty(self.n, dtype=np.float64)
        pack_data(Xw, kmean[:d], kscale, XT, block_norm, sqnorm)
        packed = (XT, block_norm, kmean, kscale)
        if self.persisted:
            self.packed = packed
        return packed

    def pass_rows(self, raw: Any, kmean: np.ndarray, kscale: float) -> tuple:
        """``(Xw, ww, XT, block_norm)`` for a Lloyd pass.

        Kept rows: the kept work rows and their packed copy (made once).
        Out of core: the rows of ``raw`` transformed and packed by one kernel
        (:func:`._scan.to_work_and_pack`, the bits of ``to_work`` then
        ``pack_data``) into buffers of this thread that the next pass reuses,
        so a pass allocates nothing of the block's size; the work rows go
        over the rows read when ``raw`` is :class:`ScratchRows`.
        """
        if self.persisted or raw is None:
            _, _, Xw, ww = self.rows(raw)
            XT, block_norm, _, _ = self.pack(Xw, kmean, kscale)
            return Xw, ww, XT, block_norm
        factor = work_factor(self.space)
        if factor is None:
            _, _, Xw, ww = self.rows(raw)
            XT, block_norm, _, _ = self.pack(Xw, kmean, kscale)
            return Xw, ww, XT, block_norm
        Xb, wb = raw
        X = np.ascontiguousarray(Xb, dtype=self.dtype)
        ww = None if wb is None else np.ascontiguousarray(self.space.work_weights(np.asarray(wb, dtype=np.float64)))
        d = X.shape[1]
        nb = (self.n + BLOCK - 1) // BLOCK
        if isinstance(raw, ScratchRows) and X is Xb and X.flags.writeable:
            Xw = X  # the kernel reads each entry before it writes it, in the same thread
        else:
            Xw = _thread_buffer("Xw", self.n * d, self.dtype).reshape(self.n, d)
        XT = _thread_buffer("XT", max(nb * d * BLOCK, 1), np.dtype(np.float32))
        block_norm = _thread_buffer("norm", nb, np.dtype(np.float64))
        _scan.to_work_and_pack(X, self.space._offset_p, factor, Xw, kmean[:d], kscale, XT, block_norm)
        return Xw, ww, XT, block_norm

    def scan_rows(self, raw: Any) -> tuple:
        """``(X, ww, to_work, factor)`` for :func:`optimeans._kernels.lloyd.lloyd_rows`, out of core.

        Rows read into a buffer that nothing else holds (:class:`ScratchRows`)
        go to the kernel as they were read, with ``to_work``: it puts them in
        the work space in place, a pair of blocks at a time, right before it
        scans them (the bits of :meth:`pass_rows`). Other rows are transformed
        first, into a buffer of this thread (or by NumPy, when the kernels of
        :mod:`._scan` cannot reproduce the transform).
        """
        factor = work_factor(self.space)
        if factor is None:
            _, _, Xw, ww = self.rows(raw)
            return Xw, ww, False, 1.0
        Xb, wb = raw
        X = np.ascontiguousarray(Xb, dtype=self.dtype)
        ww = None if wb is None else np.ascontiguousarray(self.space.work_weights(np.asarray(wb, dtype=np.float64)))
        if isinstance(raw, ScratchRows) and X is Xb and X.flags.writeable:
            return X, ww, True, factor
        Xw = _thread_buffer("Xw", X.size, self.dtype).reshape(X.shape)
        _scan.to_work_rows(X, self.space._offset_p, factor, Xw)
        return Xw, ww, False, factor

    def scratch(self, k: int, dp: int) -> tuple:
        nc = n_chunks(self.n)
        sc = self._scratch
        if sc is None or sc[0].shape != (nc, k * dp):
            sc = (
                np.empty((nc, k * dp), dtype=np.float64),
                np.empty((nc, k), dtype=np.float64),
                np.empty((nc, k), dtype=np.float64),
                np.empty((nc, k), dtype=np.int64),
                np.empty(nc, dtype=np.int64),
            )
            self._scratch = sc
        return sc

    def sparse_out(self, k: int, dp: int) -> tuple:
        """The buffers :func:`._scan.pack_touched` writes this block's sparse changes into (reused)."""
        nc = n_chunks(self.n)
        out = self._sparse_out
        if out is None or out[0].shape[0] != nc * k or out[1].shape[0] != nc * k * (dp + 3):
            out = (np.empty(nc * k, dtype=np.bool_), np.empty(nc * k * (dp + 3), dtype=np.float64))
            self._sparse_out = out
        return out

    def advance(self, token: int, step: int) -> None:
        """Check that the state is where the run left it, then move to ``step``."""
        if step == 0:
            self.labels.fill(-1)
            self.moved = self.n
        elif self.token != token or self.step != step - 1:
            raise StateLost(
                f"the block at row {self.start} lost its labels (a worker restarted?); run the fit again"
            )
        self.token, self.step = token, step


#: No weights (unit weights) and no distances to write: what the kernels read as "none" (an empty
#: array, which they never write; made once, not each pass, and writable: a read-only array is
#: another type to Numba, with kernels of its own to compile)
_NONE = np.empty(0, dtype=np.float64)

_BUFFERS = threading.local()


def _thread_buffer(name: str, size: int, dtype: np.dtype) -> np.ndarray:
    """A 1-D buffer of ``size`` items of this thread, reused by later calls (grown when too small)."""
    buf = getattr(_BUFFERS, name, None)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = np.empty(size, dtype=dtype)
        setattr(_BUFFERS, name, buf)
    return buf[:size]


def reserve_pass_buffers(rows: int, d: int) -> None:
    """Allocate and touch this thread's packing buffers for blocks of up to ``rows`` rows.

    Out of core, the first Lloyd pass would otherwise pay the page faults of
    a fresh packed block (a block's size of memory) on top of its own work;
    the fit calls this once, before its passes.
    """
    nb = (int(rows) + BLOCK - 1) // BLOCK
    _thread_buffer("XT", max(nb * d * BLOCK, 1), np.dtype(np.float32)).fill(0.0)
    _thread_buffer("norm", nb, np.dtype(np.float64)).fill(0.0)


def work_factor(space: Any) -> float | None:
    """The factor ``2**exp`` of ``space`` when the Numba kernels of :mod:`._scan` apply (no
    pre-scaling, a normal power of two), else None (the NumPy code then runs)."""
    if space._pre != 0 or not -1022 <= space._post <= 1023:
        return None
    return math.ldexp(1.0, space._post)


def task_make_state(Xb: Any, wb: Any, start: int, n: int, space: Any, dtype: Any, unit: bool, keep: bool) -> BlockState:
    """The state of a block (its rows transformed once when ``keep``)."""
    return BlockState(Xb if keep else None, wb if keep else None, start, n, space, dtype, unit)


def task_kernel_mean(state: BlockState, raw: Any, acc: np.ndarray) -> np.ndarray:
    """Continue the float64 column sums of the work rows (the kernel Workspace's mean), in row order."""
    _, _, Xw, _ = state.rows(raw)
    return np.concatenate([acc[None, :], Xw.astype(np.float64)]).sum(axis=0)


def task_kernel_stats(state: BlockState, raw: Any, acc: tuple) -> tuple:
    """:func:`task_kernel_mean` and :func:`task_work_stats` in one read (the scale comes from the extremes).

    ``acc = (sums, lo, hi, totals)``: the float64 column sums of the work rows
    in row order, their column extremes and the work weight of every block so
    far. Chained block after block. For two or more columns.
    """
    sums, lo, hi, totals = acc
    Xw, ww = state.work_rows(raw)
    sums, lo, hi = sums.copy(), lo.copy(), hi.copy()
    blo = np.full(Xw.shape[1], np.inf)
    bhi = np.full(Xw.shape[1], -np.inf)
    _scan.check_and_sum(Xw, sums, blo, bhi)
    if Xw.shape[0]:
        np.minimum(lo, blo, out=lo)
        np.maximum(hi, bhi, out=hi)
    total = float(state.n) if ww is None else float(ww.sum())
    return sums, lo, hi, [*totals, total]


def task_work_stats(state: BlockState, raw: Any, kmean: np.ndarray) -> tuple:
    """``max |x' - kmean|`` (the kernel scale), the work rows' column extremes and the work weight."""
    _, _, Xw, ww = state.rows(raw)
    d = Xw.shape[1]
    X64 = Xw.astype(np.float64)
    dev = float(np.abs(X64 - kmean[:d]).max()) if Xw.size else 0.0
    total = float(state.n) if ww is None else float(ww.sum())
    return dev, X64.min(axis=0), X64.max(axis=0), total


# ------------------------------------------------------------------ Lloyd passes


def task_pass(
    state: BlockState, raw: Any, token: int, step: int, kmean: np.ndarray, kscale: float,
    C2: np.ndarray, cn: np.ndarray, C64: np.ndarray, cmax: float, k: int, do_sums: bool, n_threads: int,
    carry: tuple | None = None, lead_rows: int = 0, streams: int = 0,
) -> tuple:
    """One assignment pass of the block at the packed centers (the in-memory kernel).

    Returns ``(changed, touched, rows, carry)``: the labels changed, and for
    the chunks where some changed, in chunk order, ``touched`` (chunks x k,
    bool: the clusters whose sums the chunk's moves changed) and those
    clusters' changes of the sums (a record of :func:`._scan.sums_views`),
    for :func:`._scan.apply_sparse_record`; with ``do_sums=False`` only
    ``changed``.

    The leading blocks (rows before ``lead_rows``, run one after the other
    with the same ``carry`` array, see
    :meth:`~optimeans.distributed.blocks.Blocks.lead_blocks`) add their
    changes into ``carry``, the record of the ``k`` running sums as they were
    before the pass, with :func:`._scan.add_moves` (memory's additions, in
    memory's order) and send nothing else; the last of them returns
    ``carry`` as its last item (otherwise None).

    ``streams``: the threads that run block tasks at once on this host (0:
    this task's), which share its memory's bandwidth; the rule for
    prefetching rows in the next pass counts them, as memory counts its
    threads (:func:`~optimeans._kernels.lloyd.prefetch_pays`).
    """
    state.advance(token, step)
    with numba_threads(n_threads) as threads:
        d = C2.shape[1]
        dp = padded_features(d)
        cS, cQ, cW, cN, cc = state.scratch(k, dp)
        if not state.persisted and raw is not None and scans_rows(cn.shape[0], d):
            # rows used once: scanned as they are, no packed copy of the block (same bits)
            X, ww, to_work, factor = state.scan_rows(raw)
            lloyd_rows(
                X, state.kernel_weights(ww), state.space._offset_p, factor, to_work, C2, cn, C64, k, cmax,
                guard_kappa(d), kmean, kscale, state.labels, cS, cQ, cW, cN, cc, do_sums, _NONE,
            )
        else:
            Xw, ww, XT, block_norm = state.pass_rows(raw, kmean, kscale)
            lloyd_chunks(
                Xw, state.kernel_weights(ww), XT, block_norm, C2, cn, C64, k, cmax, guard_kappa(d), kmean,
                state.labels, cS, cQ, cW, cN, cc, do_sums, _NONE, state.prefetch,
            )
    changed = int(_scan.total(cc))
    # prefetching rows pays while enough points move (the rule of memory); it never changes a result
    state.prefetch = prefetch_pays(changed, state.moved, state.n, d * state.dtype.itemsize, max(streams, threads))
    state.moved = changed
    if not do_sums:
        return changed, None, None, None
    if carry is not None and state.start < lead_rows:
        _scan.add_moves(cS, cQ, cW, cN, cc, *_scan.sums_views(carry, k, dp))
        last = state.start + state.n >= lead_rows
        return changed, None, None, (carry if last else None)
    # only the clusters a chunk's moves touched travel (late in a run, a few per chunk)
    touched, rows = _scan.pack_touched(cS, cQ, cW, cN, cc, *state.sparse_out(k, dp))
    return changed, touched, rows, None


def top_rows(contrib: np.ndarray, m: int) -> np.ndarray:
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


def task_top(state: BlockState, raw: Any, centers: np.ndarray, m: int) -> tuple:
    """The ``m`` rows of largest ``w_i ||x'_i - c_{a_i}||^2`` (empty-cluster relocation, as in memory)."""
    _, _, Xw, ww = state.rows(raw)
    contrib = state.weights64(ww) * point_objective(Xw, centers, state.labels)
    order = top_rows(contrib, m)
    return contrib[order], order + state.start, np.array(Xw[order], copy=True)


def task_finish(state: BlockState, raw: Any, centers_work: np.ndarray, centers: np.ndarray) -> tuple:
    """The run's objective in work units and on the original rows, cluster sizes and weights.

    The labels are set aside (``pending``) so that the best run's can be kept.
    """
    X, w, Xw, ww = state.rows(raw)
    k = centers.shape[0]
    labels = state.labels
    work = float(np.dot(state.weights64(ww), point_objective(Xw, centers_work, labels)))
    space = state.space
    w64 = state.weights64(w)
    if space.exp == 0 and space.wexp == 0:
        orig = float(np.dot(w64, point_objective(X, centers, labels)))
    else:
        orig = float(np.dot(np.ldexp(w64, space.wexp), scaled_point_objective(X, centers, labels, space.exp)))
    state.pending = label_array(labels.shape[0], state.labels_on_disk)
    state.pending[...] = labels
    return work, orig, np.bincount(labels, minlength=k), np.bincount(labels, weights=w64, minlength=k)


#: Rows per piece of :func:`scaled_point_objective` (its float64 temporaries: 3 x 65536 x d)
SCALED_ROWS = 65536


def scaled_point_objective(X: np.ndarray, centers: np.ndarray, labels: np.ndarray, exp: int) -> np.ndarray:
    """``||2^exp x_i - 2^exp c_{labels[i]}||^2`` for every row, in float64, piece by piece.

    Each row's value is computed as the whole-block expression would (the
    same float64 differences, summed by the same ``einsum``), so the values,
    and their dot product with the weights, are the same bits; the
    temporaries are a piece's, not the block's three n x d float64 arrays
    (1.5 GB for a block of 4,194,304 rows of 16 columns, out of core).
    """
    n = X.shape[0]
    out = np.empty(n, dtype=np.float64)
    C = np.ldexp(np.asarray(centers, dtype=np.float64), exp)
    for start in range(0, n, SCALED_ROWS):
        end = min(n, start + SCALED_ROWS)
        diff = np.ldexp(X[start:end].astype(np.float64), exp) - C[labels[start:end]]
        out[start:end] = np.einsum("ij,ij->i", diff, diff)
    return out


def task_promote(state: BlockState) -> None:
    """Keep the labels of the run just finished as the best so far."""
    state.best, state.pending = state.pending, None


def task_best_labels(state: BlockState) -> np.ndarray:
    return state.best


def task_set_labels(state: BlockState, labels: np.ndarray) -> None:
    """Labels computed elsewhere (refined in memory) become the block's best."""
    state.best = np.asarray(labels, dtype=np.int64)


def task_work_rows(state: BlockState, raw: Any) -> tuple:
    """The block's work rows and work weights (float64), for a step that runs in memory."""
    _, _, Xw, ww = state.rows(raw)
    return Xw, state.weights64(ww)


def task_on_rows(fn: Callable, state: BlockState, raw: Any, with_start: bool, *args: Any) -> Any:
    """``fn(Xw, w, [start,] *args)`` on the block's work rows (seeding and mini-batch tasks)."""
    _, _, Xw, ww = state.rows(raw)
    wopt = None if state.unit else ww
    if with_start:
        return fn(Xw, wopt, state.start, *args)
    return fn(Xw, wopt, *args)
