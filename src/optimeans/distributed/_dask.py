"""Importing Dask lazily, finding the current client (the one place that touches ``distributed``'s globals)."""

from __future__ import annotations

from typing import Any

_INSTALL_HINT = 'dask is needed for this; install it with: pip install "optimeans[dask]"'

#: Default size of a row block read from disk: large, because every task costs
#: 1 to 2 ms of scheduling.
BLOCK_BYTES = 64 * 2**20


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
