"""Cluster helpers: a local cluster bound to 127.0.0.1, the memory a cluster offers."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Iterator

from .._validation import check_positive_int
from ._dask import _INSTALL_HINT, import_dask

__all__ = ["host_threads", "local_cluster", "memory_budget", "worker_slots"]

_import_dask = import_dask

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
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": trim}), _workers_ignore_sigint(processes):
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



def memory_budget(client: Any) -> float:
    """Bytes of memory the data may take when persisted (half of what there is)."""
    if client is not None:
        workers = _scheduler_workers(client).values()
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



def worker_slots(client: Any) -> tuple[list[str], int]:
    """The workers' addresses (sorted) and their total number of threads.

    Asked of the scheduler directly: ``client.scheduler_info()`` returns the
    client's cached identity, which a periodic refresh (asking for no
    workers) may overwrite between the fresh fetch and the read; a worker
    then seemed to have left, and a fit stopped with StateLost.
    """
    info = _scheduler_workers(client)
    workers = sorted(info)
    threads = sum(int(info[w].get("nthreads", 1) or 1) for w in workers)
    return workers, max(1, threads)


def host_threads(client: Any) -> int:
    """The most worker threads on one host: block tasks that run there at once share its memory's bandwidth
    (:func:`optimeans._kernels.lloyd.prefetch_pays` counts them)."""
    from distributed.comm.addressing import get_address_host

    per_host: dict[str, int] = {}
    for address, info in _scheduler_workers(client).items():
        host = info.get("host") or get_address_host(address)
        per_host[host] = per_host.get(host, 0) + int(info.get("nthreads", 1) or 1)
    return max(per_host.values(), default=1)


def _scheduler_workers(client: Any) -> dict:
    client = getattr(client, "client", client)  # an _OwnedClient
    try:
        return dict(client.sync(client.scheduler.identity, n_workers=-1)["workers"])
    except TypeError:  # an older scheduler without n_workers
        return dict(client.sync(client.scheduler.identity)["workers"])


@contextlib.contextmanager
def _workers_ignore_sigint(processes: bool) -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored.

    A Ctrl-C in a terminal goes to every process of the foreground group: the
    workers would die at once, each with its traceback, while this process
    still talks to them. Started while SIGINT is ignored (an ignored signal
    stays ignored in a spawned child, and neither Python nor asyncio installs
    its handler then), they leave the interrupt to this process, which closes
    the cluster in order. The price: a Ctrl-C during the few seconds the
    workers take to start is ignored.
    """
    if not processes or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
