"""Lloyd's passes over the row blocks: the Dask implementation of :class:`optimeans.solvers.lloyd.Passes`.

The loop is :func:`optimeans.solvers.lloyd.lloyd_loop`, the one the in-memory
solvers run; only the passes differ. A pass packs the centers here (as the
in-memory :class:`~optimeans._kernels.lloyd.Workspace` packs them), runs
:func:`~optimeans.distributed.tasks.task_pass` on every block (one call per
worker of its block host, which runs the kernel over its blocks, see
:meth:`~optimeans.distributed.blocks.Blocks.run`) and adds the per-chunk
changes of the cluster sums into the running sums here, in global chunk
order, with :func:`~optimeans.distributed._scan.apply_sparse_moves` (the
in-memory :func:`~optimeans._kernels.lloyd.apply_moves` without its
additions of zero). The sums, and so the objective, the means and every
label, are those of memory, bit for bit.

Why the changes come back per chunk instead of being added up on the
workers: the running sums are updated in place by a sequence of float64
additions, one per chunk in chunk order; adding a worker's chunks together
first would round differently from memory. Only the clusters a chunk's moves
touched travel (``d + 3`` floats each, and a k-bit mask per chunk where a
label moved): at 20,000,000 x 16, k = 16, every chunk sends something on the
early passes, 11.4 MiB as dense rows; adding the zero rows would change no
bit (see :func:`~optimeans.distributed._scan.apply_sparse_moves`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels.lloyd import (
    objective_from_sums, pack_centers, padded_clusters, padded_features, update_centers,
)
from . import tasks
from ._scan import apply_sparse_moves
from .blocks import Blocks


class BlockPasses:
    """:class:`optimeans.solvers.lloyd.Passes` over :class:`~optimeans.distributed.blocks.Blocks`.

    Parameters
    ----------
    blocks : the blocks, their states made (work rows kept and packed on the workers when persisted)
    k : number of clusters
    kmean, kscale : the kernel's mean (padded) and scale, as the in-memory Workspace computes them
    n_threads : Numba threads of a block task
    """

    def __init__(self, blocks: Blocks, k: int, kmean: np.ndarray, kscale: float, n_threads: int) -> None:
        self.blocks, self.k, self.kmean, self.kscale, self.nt = blocks, k, kmean, kscale, n_threads
        self.dtype = blocks.dtype
        d = blocks.d
        self.dp = padded_features(d)
        kp = padded_clusters(k)
        self.C2 = np.empty((kp, d), dtype=np.float32)
        self.cn = np.empty(kp, dtype=np.float32)
        self.C64 = np.empty((kp, self.dp), dtype=np.float64)
        self.token = 0
        self.start_run()

    def start_run(self) -> None:
        """A new run: zero sums, labels unassigned on every block at the next pass."""
        k = self.k
        self.token += 1
        self.step = 0
        self.n_passes = 0
        self.S = np.zeros(k * self.dp, dtype=np.float64)
        self.Q = np.zeros(k, dtype=np.float64)
        self.W = np.zeros(k, dtype=np.float64)
        self.N = np.zeros(k, dtype=np.int64)

    # -- the Passes interface

    def assign(self, centers: np.ndarray, final: bool) -> int:
        cmax = pack_centers(centers, self.kmean, self.kscale, self.C2, self.cn, self.C64)
        do_sums = not final
        parts = self.blocks.run(
            tasks.task_pass, self.token, self.step, self.kmean, self.kscale, self.C2, self.cn, self.C64, cmax,
            self.k, do_sums, self.nt,
        )
        self.step += 1
        self.n_passes += 1
        if not do_sums:
            return sum(p[0] for p in parts)
        k, dp = self.k, self.dp
        # block order is chunk order: the changes are added exactly as in memory
        # (apply_moves, less its additions of zero)
        apply_sparse_moves(
            np.concatenate([p[1] for p in parts]).reshape(-1, k),
            np.ascontiguousarray(np.concatenate([p[2] for p in parts])).reshape(-1, dp),
            np.concatenate([p[3] for p in parts]),
            np.concatenate([p[4] for p in parts]),
            np.concatenate([p[5] for p in parts]),
            self.S, self.Q, self.W, self.N,
        )
        return int(sum(p[0] for p in parts))

    def objective(self) -> float:
        return float(objective_from_sums(self.S, self.Q, self.W, self.N, self.C64, self.kmean))

    def has_empty(self) -> bool:
        return bool((self.N == 0).any())

    def update_centers(self, centers: np.ndarray) -> None:
        update_centers(self.S, self.W, self.N, self.kmean, centers)

    def relocate_empty(self, pass_centers: np.ndarray, centers: np.ndarray) -> None:
        """:func:`optimeans.solvers._common.relocate_empty` over the blocks (one more pass).

        Each block sends its ``m`` rows of largest contribution (``m`` the
        number of empty clusters); the first ``m`` of their union, by
        (contribution descending, global row ascending), are memory's choice.
        """
        empty = np.flatnonzero(self.W * (self.N > 0) <= 0)
        out: list[Any] = self.blocks.run(tasks.task_top, pass_centers, int(empty.size))
        self.n_passes += 1
        contrib = np.concatenate([o[0] for o in out])
        index = np.concatenate([o[1] for o in out])
        rows = np.concatenate([o[2] for o in out])
        order = np.lexsort((index, -contrib))
        for j, i in zip(empty, order[: empty.size]):
            if contrib[i] <= 0:
                break
            centers[j] = rows[i]
