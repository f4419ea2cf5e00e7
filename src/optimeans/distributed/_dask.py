"""Importing Dask lazily, finding the current client (the one place that touches ``distributed``'s globals)."""

from __future__ import annotations

from typing import Any

_INSTALL_HINT = 'dask is needed for this; install it with: pip install "optimeans[dask]"'

#: Default size of a row block read from disk: large, because every task costs
#: 1 to 2 ms of scheduling.
BLOCK_BYTES = 64 * 2**20

#: Default size of a ``.npy`` row block when no distributed Client is current (out of
#: core on this machine, Dask's threaded scheduler): larger sequential reads, fewer
#: per-block costs. A Lloyd pass over 1 GiB read cold, idle 2-core machine
#: (benchmarks/bench_dask.py out-of-core --block-rows): 64 MiB blocks 1.58x and 1.86x
#: the time of ``cat``, 128 MiB 1.48x, 256 MiB 1.32x and 1.34x (before the read-ahead
#: across passes and a page drop that no longer throws the kernel's read-ahead
#: away; see benchmarks/README.md). On a cluster the smaller blocks keep every worker
#: busy on files of a few hundred MiB.
LOCAL_NPY_BLOCK_BYTES = 256 * 2**20


def default_block_rows(row_bytes: int, npy: bool = False) -> int:
    """Rows of a default block of rows of ``row_bytes`` bytes each (see the two sizes above)."""
    size = LOCAL_NPY_BLOCK_BYTES if (npy and current_client() is None) else BLOCK_BYTES
    return max(1, size // max(1, row_bytes))


def import_dask():
    """``(dask, dask.array)``, or an ImportError with the install hint."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(_INSTALL_HINT) from exc
    return dask, da


def current_client() -> Any:
    """The default distributed Client, or None (local threaded scheduler)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None
