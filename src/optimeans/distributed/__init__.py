"""k-means on a Dask cluster and on data larger than memory.

The same solver loop, work-space transform and kernels as the in-memory fit,
with the passes run block by block on the workers. ``optimeans.fit(X)`` with a
dask array ``X`` dispatches here; it runs on the current
:class:`distributed.Client` when there is one, else on Dask's local threaded
scheduler.

The parts, one module each (no module imports the package itself, so there
is no import cycle):

``sources``
    :func:`read`: ``.npy`` files as memory maps, Parquet files or directories
    (selected columns), Zarr arrays, NumPy arrays (scattered once to the
    cluster), as dask arrays of row blocks.
``cluster``
    :func:`local_cluster` (workers bound to 127.0.0.1) and the memory a
    cluster offers.
``tasks``
    The block tasks and :class:`~optimeans.distributed.tasks.BlockState`, a
    block kept on its worker in the work space and packed once for the kernel.
``blocks``
    Where the tasks run (a cluster or this process) and how results come back
    (in block order).
``channel``
    A direct connection from the client to each worker's block host, for the
    calls of the passes on plain TCP clusters.
``readahead``
    Out of core in this process: a thread reads the blocks ahead of the
    passes, across their ends, into a ring of reused buffers.
``seeding``
    k-means|| (Bahmani et al. 2012) and random rows, independent of the blocks.
``passes``
    :class:`~optimeans.distributed.passes.BlockPasses`: Lloyd's passes over
    the blocks, driven by the in-memory loop
    :func:`optimeans.solvers.lloyd.lloyd_loop`.
``minibatch``
    Streaming mini-batch k-means, one sweep over the blocks per pass.
``solver``
    :func:`fit`: validation, the work space, restarts.

From the same initial centers Lloyd on a dask array equals the in-memory Lloyd
bit for bit (labels, centers, history, iterations); the final objective is the
same float64 sum in block order (equal to rounding). See :func:`fit`.

Scripts that start worker processes (``local_cluster``, ``LocalCluster``) must
guard their entry point::

    if __name__ == "__main__":
        main()

because each worker process imports the main module again.
"""

from __future__ import annotations

from .cluster import local_cluster
from .seeding import kmeans_parallel
from .solver import METHODS, DistributedResult, fit
from .sources import expand_paths, read

__all__ = ["fit", "read", "local_cluster", "METHODS", "DistributedResult", "kmeans_parallel", "expand_paths"]
