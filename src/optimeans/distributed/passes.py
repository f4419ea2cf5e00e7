"""Lloyd's passes over the row blocks: the Dask implementation of :class:`optimeans.solvers.lloyd.Passes`.

The loop is :func:`optimeans.solvers.lloyd.lloyd_loop`, the one the in-memory
solvers run; only the passes differ. A pass packs the centers here (as the
in-memory :class:`~optimeans._kernels.lloyd.Workspace` packs them), runs
:func:`~optimeans.distributed.tasks.task_pass` on every block (one call per
worker of its block host, which runs the kernel over its blocks, see
:meth:`~optimeans.distributed.blocks.Blocks.run`) and adds the per-chunk
changes of the cluster sums into the running sums here, in global chunk
order, with :func:`~optimeans.distributed._scan.apply_sparse_record` (the
in-memory :func:`~optimeans._kernels.lloyd.apply_moves` without its
additions of zero). The sums, and so the objective, the means and every
label, are those of memory, bit for bit.

Why the changes are not added up on each worker: the running sums are updated
in place by a sequence of float64 additions, one per chunk in chunk order;
adding a worker's chunks together first would round differently from memory.
So the sums travel instead: the leading blocks (those that one call runs
one after the other, see :meth:`~optimeans.distributed.blocks.Blocks.lead_blocks`:
every block in this process or on a one-worker cluster, the first worker's
first run of blocks otherwise) get the running sums with the pass, add their
chunks' changes into them where they ran
(:func:`~optimeans.distributed._scan.add_moves`, memory's additions in
memory's order) and send back the ``k (d + 3)`` sums alone. The other blocks
send only the clusters a chunk's moves touched (``d + 3`` floats each, and a
k-bit mask per chunk where a label moved; adding the zero rows would change
no bit, see :func:`~optimeans.distributed._scan.apply_sparse_record`), which
the client adds after. On ``local_cluster(2)`` with two blocks this halves
what a pass sends (11.4 MiB as dense rows at 20,000,000 x 16, k = 16, on
the first pass) without a second round trip. Both kinds of sums travel as
one float64 array each (:func:`~optimeans.distributed._scan.sums_views`):
right after a kernel, every array to pickle and unpickle costs 10-25 us.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels.lloyd import (
    objective_from_sums, pack_centers, padded_clusters, padded_features, scans_rows, update_centers,
)
from . import tasks
from ._scan import apply_sparse_record, has_zero, sums_record, sums_views
from .blocks import Blocks


class BlockPasses:
    """:class:`optimeans.solvers.lloyd.Passes` over :class:`~optimeans.distributed.blocks.Blocks`.

    Parameters
    ----------
    blocks : the blocks, their states made (work rows kept and packed on the workers when persisted)
    k : number of clusters
    kmean, kscale : the kernel's mean (padded) and scale, as the in-memory Workspace computes them
    n_threads : Numba threads of a block task
    streams : threads that run block tasks at once on one host (0: ``n_threads``), for the prefetch rule
    """

    def __init__(
        self, blocks: Blocks, k: int, kmean: np.ndarray, kscale: float, n_threads: int, streams: int = 0,
    ) -> None:
        self.blocks, self.k, self.kmean, self.kscale, self.nt = blocks, k, kmean, kscale, n_threads
        self.streams = streams
        self.dtype = blocks.dtype
        d = blocks.d
        self.dp = padded_features(d)
        kp = padded_clusters(k)
        self.C2 = np.empty((kp, d), dtype=np.float32)
        self.cn = np.empty(kp, dtype=np.float32)
        self.C64 = np.empty((kp, self.dp), dtype=np.float64)
        self.token = 0
        if blocks.client is None and not blocks.persisted and not scans_rows(kp, d):
            # the passes run in this thread and pack each block they read (the BLAS kernel):
            # their packing buffers are faulted in now, once (the other kernels pack nothing)
            tasks.reserve_pass_buffers(int(blocks.sizes.max()), d)
        self.start_run()

    def start_run(self) -> None:
        """A new run: zero sums, labels unassigned on every block at the next pass."""
        self.token += 1
        self.step = 0
        self.n_passes = 0
        self._set_sums(sums_record(self.k, self.dp))

    def _set_sums(self, record: np.ndarray) -> None:
        """The running sums: one record (it travels as one array), ``S``, ``Q``, ``W``, ``N`` its views."""
        self.sums = record
        self.S, self.Q, self.W, self.N = sums_views(record, self.k, self.dp)

    # -- the Passes interface

    def assign(self, centers: np.ndarray, final: bool) -> int:
        cmax = pack_centers(centers, self.kmean, self.kscale, self.C2, self.cn, self.C64)
        do_sums = not final
        blocks = self.blocks
        carry = None
        lead_rows = 0
        if do_sums:
            # the leading blocks add their changes into a copy of the sums where they run
            lead = blocks.lead_blocks()
            lead_rows = int(blocks.starts[lead - 1] + blocks.sizes[lead - 1])
            carry = self.sums.copy()
        parts = blocks.run(
            tasks.task_pass, self.token, self.step, self.kmean, self.kscale, self.C2, self.cn, self.C64, cmax,
            self.k, do_sums, self.nt, carry, lead_rows, self.streams, keeps_rows=False,
        )
        self.step += 1
        self.n_passes += 1
        if not do_sums:
            return sum(p[0] for p in parts)
        k = self.k
        carried = [p[3] for p in parts if p[3] is not None]
        if len(carried) != 1:
            raise RuntimeError(f"a pass returned {len(carried)} running sums from its leading blocks, not 1")
        # into the record whose views the passes keep (taking new views cost 13-18 us a pass)
        self.sums[...] = carried[0]
        rest = [(p[1], p[2]) for p in parts if p[1] is not None]
        # block order is chunk order: the changes of the other blocks are added after those of
        # the leading ones, exactly as in memory (apply_moves, less its additions of zero); an
        # empty cluster's sums are zeroed once, after the last block's
        for i, (touched, rows) in enumerate(rest):
            apply_sparse_record(
                touched.reshape(-1, k), rows, self.S, self.Q, self.W, self.N, i == len(rest) - 1,
            )
        return int(sum(p[0] for p in parts))

    def objective(self) -> float:
        return float(objective_from_sums(self.S, self.Q, self.W, self.N, self.C64, self.kmean))

    def has_empty(self) -> bool:
        return has_zero(self.N)

    def update_centers(self, centers: np.ndarray) -> None:
        update_centers(self.S, self.W, self.N, self.kmean, centers)

    def relocate_empty(self, pass_centers: np.ndarray, centers: np.ndarray) -> None:
        """:func:`optimeans.solvers._common.relocate_empty` over the blocks (one more pass).

        Each block sends its ``m`` rows of largest contribution (``m`` the
        number of empty clusters); the first ``m`` of their union, by
        (contribution descending, global row ascending), are memory's choice.
        """
        empty = np.flatnonzero(self.W * (self.N > 0) <= 0)
        out: list[Any] = self.blocks.run(tasks.task_top, pass_centers, int(empty.size), keeps_rows=False)
        self.n_passes += 1
        contrib = np.concatenate([o[0] for o in out])
        index = np.concatenate([o[1] for o in out])
        rows = np.concatenate([o[2] for o in out])
        order = np.lexsort((index, -contrib))
        for j, i in zip(empty, order[: empty.size]):
            if contrib[i] <= 0:
                break
            centers[j] = rows[i]
