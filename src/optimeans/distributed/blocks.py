"""Where the block tasks run: on a Dask cluster, or in this process.

:class:`Blocks` holds one reference per row block to its rows and to its
:class:`~optimeans.distributed.tasks.BlockState`, and runs tasks on the blocks:

* with a ``distributed.Client``, each block lives on one worker (block ``b`` on
  worker ``b mod n_workers``), its tasks are pinned there (a state is
  mutated in place and must not be copied: no work stealing; a worker that
  leaves is reported, not waited for), and the results are gathered in
  block order; a fold (a chain of tasks, block after block) runs on the
  cluster without coming back to the client. A pass over persisted blocks
  (:meth:`Blocks.run`) is not a task: each worker holds a
  :class:`BlockHost` (a Dask actor), and one call of it runs the pass over
  the worker's blocks, the call going from the client to the worker and
  back without the scheduler (a task costs three hops more: client to
  scheduler to worker to scheduler to client, then the fetch of the result),
  as one pickled bytes object each way: on a plain TCP cluster over a
  connection of its own to the host, from the calling thread to a thread
  of the host (:mod:`~optimeans.distributed.channel`), else through Dask's
  actor call, run on the worker's event loop when the worker has its own
  and the call is short (:meth:`BlockHost.call`);
* without a client, persisted blocks are plain objects of this process and the
  tasks are called one block after the other, each on every core (the same
  speed as the in-memory fit); out-of-core blocks are read by a thread of
  :class:`~optimeans.distributed.readahead.ReadAhead`, a few blocks ahead of
  the one being computed on, across the ends of the passes, into a ring of
  reused buffers.

Either way, the results come back in block order and are reduced in that
order, so the same data give the same bits on any number of workers.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import channel, tasks
from ._dask import import_dask
from .readahead import ReadAhead


def _pair(x: Any, w: Any) -> tuple:
    return x, w


def _raw_call(fn: Callable, raw: tuple, *args: Any) -> Any:
    return fn(raw[0], raw[1], *args)


def _state_call(fn: Callable, state: Any, raw: Any, *args: Any) -> Any:
    return fn(state, raw, *args)


class Blocks:
    """Row blocks of a validated dask array, kept on the workers or read on demand.

    Parameters
    ----------
    X : dask array (n, d), rows chunked into blocks that start at multiples of CHUNK
    w : dask array (n,) float64 or None
    client : distributed.Client or None
    persist : keep the blocks in memory (on the workers, or in this process)
    n_threads : Numba threads of a block task
    """

    def __init__(self, X: Any, w: Any, client: Any, persist: bool, n_threads: int) -> None:
        dask, _ = import_dask()
        self.dask = dask
        self.client = client
        self.persisted = bool(persist)
        self.n_threads = int(n_threads)
        self.n, self.d = (int(s) for s in X.shape)
        self.dtype = np.dtype(X.dtype)
        self.sizes = np.asarray(X.chunks[0], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        xd = list(X.to_delayed().ravel())
        wd = list(w.to_delayed().ravel()) if w is not None else [None] * len(xd)
        pairs = [dask.delayed(_pair, pure=True)(x, wb) for x, wb in zip(xd, wd)]
        self.homes: list[Any] = [None] * len(pairs)
        if client is not None:
            from .cluster import worker_slots

            workers, _ = worker_slots(client)
            if workers:
                self.homes = [[workers[b % len(workers)]] for b in range(len(pairs))]
        if not self.persisted:
            self.raw: list[Any] = pairs
        elif client is None:
            self.raw = list(dask.compute(*pairs, scheduler="threads"))
        else:
            from distributed import wait

            self.raw = [
                client.compute(p, workers=h, allow_other_workers=h is not None) for p, h in zip(pairs, self.homes)
            ]
            wait(self.raw)
        self.states: list[Any] = [None] * len(pairs)
        #: passes over the data before seeding (set by the driver)
        self.setup_passes = 0
        self._host_actors: dict[str, Any] = {}
        self._host_futures: dict[str, Any] = {}
        #: direct connections to the hosts (None: not tried yet; False: not usable, Dask's route)
        self._channels: dict[str, channel.Channel] | None | bool = None
        self._token = b""
        #: worker calls of the passes, by route: over a direct connection, or Dask's actor call
        self.host_calls = {"direct": 0, "dask": 0}
        self._ahead: ReadAhead | None = None
        #: out of core in this process, one entry per pass over the blocks read: the seconds it
        #: waited for the reader and the seconds it computed on the blocks (see read_ahead_stats)
        self._pass_wait: list[float] = []
        self._pass_compute: list[float] = []

    def read_ahead_stats(self) -> dict[str, Any] | None:
        """Out of core in this process: the reader's blocks read, its seconds reading, the seconds
        the passes waited for a block (see :class:`~optimeans.distributed.readahead.ReadAhead`),
        and for every pass that read blocks, in order, the seconds it waited and computed.

        Where a pass's time goes: a pass that waits most of its time is bound by
        the disk, one that computes most of it by the cores. Out of core on the
        2-core test machine (1 GiB, 4 blocks, k = 16, load 1.7), with the rows
        scanned without a packed copy the first Lloyd pass computed 0.20-0.25 s
        and waited 0.16-0.28 s, a later pass computed 0.13-0.15 s and waited
        0.23 s: the passes wait for the reader, which read a 256 MiB block in
        0.12 s (0.056 s of its CPU) where ``cat`` reads one in 0.075 s. Asking
        the kernel to read the whole block at once (``POSIX_FADV_WILLNEED``
        before the copy) did not change that (first passes 1.28-2.11x cold
        ``cat`` against 1.22-1.70x, later 1.14-1.25x against 1.18-1.27x).
        Read through the page cache, the reader's CPU time varied from fit to
        fit (1.0-1.6 s a fit of 5 passes, 0.1-0.5 s a pass) and a pass that
        waited on it reached 1.5-2.2x ``cat``; read with ``O_DIRECT`` (a file
        larger than half the available memory, :func:`.sources._read_npy`)
        it took 0.08-0.17 s a fit and every Lloyd pass stayed within 1.06x
        ``cat`` (6 runs of 3 fits, load 1-2).
        """
        a = self._ahead
        if a is None:
            return None
        return {
            "reads": a.reads, "read_seconds": a.read_seconds, "read_cpu_seconds": a.read_cpu_seconds,
            "wait_seconds": a.wait_seconds,
            "pass_wait_seconds": list(self._pass_wait), "pass_compute_seconds": list(self._pass_compute),
        }

    def close(self) -> None:
        """Stop the read-ahead thread (out of core in this process) and close the direct connections to
        the hosts (their threads end); the blocks stay usable."""
        self._close_channels()
        if self._ahead is not None:
            self._ahead.close()
            # the reader holds this object (its read function): no cycle keeps the ring's memory alive
            self._ahead = None

    def __len__(self) -> int:
        return len(self.raw)

    # -- running tasks on the blocks

    def _submit(self, b: int, fn: Callable, head: tuple, *rest: Any, pinned: bool = True) -> Any:
        """``fn(*head, raw_b, *rest)`` on block ``b``'s worker (a future).

        ``pinned``: the task must run on the block's worker, never elsewhere
        (Dask's work stealing would otherwise move a task to an idle worker and
        copy the block's state there, where its labels would move on while the
        home copy stays behind). Tasks on the raw rows only may move.
        """
        client = self.client
        raw = self.raw[b]
        h = self.homes[b]
        if raw is not None and not self.persisted:
            # read on the block's worker: its state is there, the rows need not travel
            raw = client.compute(raw, workers=h, allow_other_workers=True)
        loose = h is None or not pinned
        return client.submit(fn, *head, raw, *rest, workers=h, allow_other_workers=loose, pure=False)

    def _gather(self, futs: Any) -> Any:
        """The results of pinned tasks (see :meth:`_wait`)."""
        self._wait(futs)
        return self.client.gather(futs)

    def _wait(self, futs: Any) -> None:
        """Wait for pinned tasks; a block's worker that left is reported, not waited for.

        A task pinned to a worker that is gone would wait for it forever.
        """
        from distributed import wait

        flat = futs if isinstance(futs, list) else [futs]
        while True:
            try:
                wait(flat, timeout=2.0)
                break
            except TimeoutError:
                self._raise_if_gone(flat)

    def _local_raw(self, b: int) -> Any:
        raw = self.raw[b]
        if not self.persisted:
            # in the calling thread (the reader's), so that a .npy block is read into its ring buffer
            (raw,) = self.dask.compute(raw, scheduler="sync")
        return raw

    def _local_raws(self, idx: Sequence[int], keeps_rows: bool = True) -> Iterator[Any]:
        """The rows of the blocks ``idx`` in order; out of core, read ahead by a thread while the
        caller works (:class:`~optimeans.distributed.readahead.ReadAhead`).

        ``keeps_rows=False`` promises that the caller holds no reference to a
        block's rows once it asks for the next one (nor after the loop), so
        their buffer is read into again; otherwise each block gets new memory.
        """
        if self.persisted:
            for b in idx:
                yield self.raw[b]
            return
        if self._ahead is None:
            self._ahead = ReadAhead(self._local_raw, len(self), int(self.sizes.max()) * self.d)
        ahead = self._ahead
        wait0 = ahead.wait_seconds
        compute = 0.0
        i = len(self._pass_wait)
        self._pass_wait.append(0.0)
        self._pass_compute.append(0.0)
        for b in idx:
            raw, buf = ahead.take(b)
            if not keeps_rows and buf.used and np.may_share_memory(raw[0], buf.array):
                raw = tasks.ScratchRows(raw)  # the caller's alone: a task may write over the rows
            t0 = time.perf_counter()
            try:
                yield raw
            finally:
                compute += time.perf_counter() - t0
                self._pass_wait[i] = ahead.wait_seconds - wait0
                self._pass_compute[i] = compute
                del raw
                ahead.give_back(buf, reuse=not keeps_rows)

    def raw_map(self, fn: Callable, *args: Any, keeps_rows: bool = True) -> list:
        """``fn(X_b, w_b, *args)`` on the original rows of every block, in block order.

        ``keeps_rows=False``: the results hold no reference to the rows (out of
        core, their memory is read into again; see :meth:`_local_raws`).
        """
        if self.client is None:
            return [fn(*raw, *args) for raw in self._local_raws(range(len(self)), keeps_rows)]
        futs = [self._submit(b, _raw_call, (fn,), *args, pinned=False) for b in range(len(self))]
        return self.client.gather(futs)

    def raw_fold(self, fn: Callable, acc: Any, *args: Any, keeps_rows: bool = True) -> Any:
        """``acc = fn(X_b, w_b, acc, *args)`` block after block (a chain on the cluster); ``keeps_rows``
        as in :meth:`raw_map`."""
        if self.client is None:
            for raw in self._local_raws(range(len(self)), keeps_rows):
                acc = fn(*raw, acc, *args)
            return acc
        for b in range(len(self)):
            acc = self._submit(b, _raw_call, (fn,), acc, *args, pinned=False)
        return acc.result()

    def make_states(self, space: Any, unit: bool) -> None:
        """Build every block's state (the work rows kept when persisted); the raw rows are released."""
        keep = self.persisted
        if self.client is None:
            for b in range(len(self)):
                x, wb = self._local_raw(b) if keep else (None, None)
                self.states[b] = tasks.task_make_state(
                    x, wb, int(self.starts[b]), int(self.sizes[b]), space, self.dtype, unit, keep
                )
        else:
            futs = []
            for b in range(len(self)):
                args = (int(self.starts[b]), int(self.sizes[b]), space, self.dtype, unit, keep)
                if keep:
                    futs.append(self._submit(b, _raw_call, (tasks.task_make_state,), *args))
                else:
                    h = self.homes[b]
                    futs.append(self.client.submit(
                        tasks.task_make_state, None, None, *args, workers=h, allow_other_workers=h is None, pure=False
                    ))
            self._wait(futs)
            self.states = futs
        if keep:
            # the states hold the rows now; the separate references would only pin a copy
            self.raw = [None] * len(self)

    def lead_blocks(self) -> int:
        """How many first blocks :meth:`run` calls one after the other, in block order, in one process
        with the same argument objects (so that they can hand a mutable argument on).

        In this process: every block. Persisted on a cluster: the blocks
        before the first one held by another worker (one host call runs
        them). Otherwise one task per block, each with its own copy of the
        arguments: block 0 only.
        """
        if self.client is None:
            return len(self)
        if not self.persisted or any(h is None for h in self.homes):
            return 1
        first = self.homes[0][0]
        lead = 1
        while lead < len(self) and self.homes[lead][0] == first:
            lead += 1
        return lead

    def run(
        self, fn: Callable, *args: Any, blocks: Sequence[int] | None = None, rows: bool = True,
        keeps_rows: bool = True,
    ) -> list:
        """``fn(state_b, raw_b, *args)`` for every block (or those listed), results in block order.

        ``rows=False``: ``fn`` needs only the state (``raw_b`` is None), so
        out of core no block is read for it. ``keeps_rows=False``: neither
        the results nor the states hold a reference to ``raw_b`` after ``fn``
        returns (out of core, the rows' memory is read into again).

        On a cluster with the blocks persisted, one call of each worker's
        :class:`BlockHost` runs ``fn`` over that worker's blocks, one after the
        other: a pass costs one client-worker round trip per worker (sent
        together), whatever the number of blocks, and no scheduling (a task
        per worker cost 2.4x the round trip of an actor call here, a task per
        block more). Out of core, one task per block, so that a worker reads
        one block at a time.
        """
        idx = list(range(len(self)) if blocks is None else blocks)
        if self.client is None:
            if self.persisted or not rows:
                return [fn(self.states[b], None, *args) for b in idx]
            # the rows first: zip then asks the reader for the end, so the last block is given back
            return [fn(self.states[b], raw, *args) for raw, b in zip(self._local_raws(idx, keeps_rows), idx)]
        if not self.persisted and not rows:
            futs = [
                self.client.submit(
                    _state_call, fn, self.states[b], None, *args, workers=self.homes[b],
                    allow_other_workers=self.homes[b] is None, pure=False,
                )
                for b in idx
            ]
            return self._gather(futs)
        if not self.persisted or any(self.homes[b] is None for b in idx):
            futs = [self._submit(b, _state_call, (fn, self.states[b]), *args) for b in idx]
            return self._gather(futs)
        groups: dict[str, list[int]] = {}
        for b in idx:
            groups.setdefault(self.homes[b][0], []).append(b)
        results = self._call_hosts(fn, groups, args)
        out: dict[int, Any] = {}
        for bs, res in zip(groups.values(), results):
            out.update(zip(bs, res))
        return [out[b] for b in idx]

    # -- the hosts: one actor per worker runs the passes over its persisted blocks

    def _hosts(self, workers: Sequence[str]) -> dict[str, Any]:
        """The :class:`BlockHost` actor of each worker (made on first use, pinned to its worker)."""
        hosts = self._host_actors
        new = [w for w in workers if w not in hosts]
        if new:
            futs = [
                self.client.submit(BlockHost, workers=[w], allow_other_workers=False, actor=True, pure=False)
                for w in new
            ]
            self._wait(futs)
            for w, f in zip(new, futs):
                # the future keeps the actor alive; the proxy makes the calls
                self._host_futures[w] = f
                hosts[w] = f.result()
        return {w: hosts[w] for w in workers}

    def _call_hosts(self, fn: Callable, groups: dict[str, list[int]], args: tuple) -> list:
        """``[fn(state_b, None, *args) for b in blocks]`` on each worker's host, results per worker.

        The calls go out together and are awaited in worker order. A worker
        that left (or whose host cannot be reached) is reported as
        :class:`~optimeans.distributed.tasks.StateLost`; a call is never waited
        for without checking, every 2 s, that its worker is still there.
        """
        from distributed.protocol.pickle import dumps, loads

        try:
            hosts = self._hosts(list(groups))
            direct = self._direct(hosts)
            if direct:
                try:
                    work = channel.Pickled((fn, args))  # the same for every worker: pickled once
                    packed = {w: direct[w].pack([self.states[b].key for b in bs], work) for w, bs in groups.items()}
                    for w, call in packed.items():
                        direct[w].send(call)
                    replies = [direct[w].receive(self._raise_if_gone) for w in groups]
                except BaseException:
                    # a reply not read (another worker raised, or Ctrl-C): the streams are out of step
                    self._close_channels(disable=True)
                    raise
                self.host_calls["direct"] += len(groups)
                return replies
            blob = dumps((fn, args))
            calls = [hosts[w].call([self.states[b].key for b in bs], blob) for w, bs in groups.items()]
            self.host_calls["dask"] += len(groups)
            return [loads(r) for r in self._actor_results(calls)]
        except tasks.StateLost:
            raise
        except Exception as exc:
            self._raise_if_gone()
            # a host that cannot be reached, or whose actor Dask reports lost: its worker died (the
            # scheduler may not know yet); its blocks' states went with it
            if isinstance(exc, OSError) or "Actor was lost" in str(exc):
                raise tasks.StateLost(
                    f"a Dask worker holding blocks of the data cannot be reached ({exc}); run the fit again"
                ) from exc
            raise

    def _direct(self, hosts: dict[str, Any]) -> dict[str, channel.Channel] | None:
        """Direct connections to these hosts (opened on first use), or None: Dask's route.

        Tried once per worker: a host that cannot listen, or a connection that
        cannot be made, turns them off for these blocks (the calls go through
        Dask, with the same results).
        """
        if self._channels is False:
            return None
        if self._channels is None:
            if not channel.usable(list(hosts)):
                self._channels = False
                return None
            self._channels, self._token = {}, channel.new_token()
        chans = self._channels
        new = [w for w in hosts if w not in chans]
        if new:
            try:
                where = [f.result() for f in [hosts[w].open_channel(self._token) for w in new]]
                if not all(where):
                    raise OSError("a block host could not listen on its worker's address")
                for w, (host, port) in zip(new, where):
                    chans[w] = channel.Channel(host, port, self._token)
            except Exception:  # noqa: BLE001 - no direct route: the calls go through Dask
                self._close_channels(disable=True)
                return None
        return {w: chans[w] for w in hosts}

    def _close_channels(self, disable: bool = False) -> None:
        """Close the direct connections (their host threads end); ``disable``: keep to Dask's route."""
        chans = self._channels
        if isinstance(chans, dict):
            for c in chans.values():
                c.close()
        self._channels = False if disable else None

    def _actor_results(self, calls: list) -> list:
        """The results of actor calls, awaited together on the client's event loop (one hand-over)."""
        while True:
            try:
                return self.client.sync(_await_all, calls, callback_timeout=2.0)
            except TimeoutError:
                self._raise_if_gone()

    def _raise_if_gone(self, futs: Any = None) -> None:
        """StateLost if a worker holding blocks has left the cluster (cancelling ``futs``)."""
        from .cluster import worker_slots

        homes = {h[0] for h in self.homes if h is not None}
        alive, _ = worker_slots(self.client)
        gone = sorted(homes - set(alive))
        if gone:
            if futs is not None:
                self.client.cancel(futs)
            raise tasks.StateLost(
                f"the Dask worker {gone[0]} holding blocks of the data left the cluster; run the fit again"
            ) from None

    def fold(self, fn: Callable, acc: Any, *args: Any, keeps_rows: bool = True) -> Any:
        """``acc = fn(state_b, raw_b, acc, *args)`` block after block; ``keeps_rows`` as in :meth:`run`."""
        if self.client is None:
            if self.persisted:
                for b in range(len(self)):
                    acc = fn(self.states[b], None, acc, *args)
                return acc
            for raw, b in zip(self._local_raws(range(len(self)), keeps_rows), range(len(self))):
                acc = fn(self.states[b], raw, acc, *args)
            return acc
        for b in range(len(self)):
            acc = self._submit(b, _state_call, (fn, self.states[b]), acc, *args)
        return self._gather(acc)

    def map(self, fn: Callable, *args: Any, blocks: Sequence[int] | None = None, with_start: bool = False) -> list:
        """``fn(X'_b, w'_b, [start_b,] *args)`` on the work rows of every block (seeding tasks)."""
        return self.run(_rows_call, fn, with_start, *args, blocks=blocks)

    def labels(self) -> Any:
        """The best run's labels as a lazy dask array (they stay on the workers until computed)."""
        _, da = import_dask()
        if self.client is None:
            # each block's array as it is, one chunk each: no copy of n int64 labels (1.5 GiB for a
            # 12 GiB file of 16 float32 columns) beside the blocks' own until the caller computes
            # them (da.from_array copies what it is given; out of core the blocks' labels are file
            # mappings, see tasks.label_array)
            import uuid

            name = f"optimeans-labels-{uuid.uuid4().hex}"
            graph = {(name, b): st.best for b, st in enumerate(self.states)}
            return da.Array(graph, name, chunks=(tuple(int(s) for s in self.sizes),), dtype=np.int64)
        pieces = []
        for b, st in enumerate(self.states):
            h = self.homes[b]
            fut = self.client.submit(tasks.task_best_labels, st, workers=h, allow_other_workers=h is None, pure=False)
            pieces.append(da.from_delayed(self.dask.delayed(fut), shape=(int(self.sizes[b]),), dtype=np.int64))
        return da.concatenate(pieces)


async def _await_all(calls: list) -> list:
    return [await call for call in calls]


class BlockHost:
    """A Dask actor on one worker: runs a function over block states the worker holds.

    The states are the results of the pinned state tasks, kept in the worker's
    memory (``worker.data``); the host takes them from there by key, so the
    tasks that do not go through it (folds, labels) see the same objects. A
    key the worker does not hold (the state was lost, or a call reached the
    wrong worker) is reported, never recomputed.
    """

    #: A call runs on the worker's event loop when the previous one took less than this (seconds).
    INLINE_SECONDS = 0.25

    def __init__(self) -> None:
        from distributed import Worker, get_worker

        worker = get_worker()
        self.address = worker.address
        self._data = worker.data
        self._executor = worker.executors["actor"]
        # the loop is this worker's alone (its own process): in-process workers share one
        # loop, where passes run on it would run one after the other
        self._own_loop = len(Worker._instances) == 1
        self._last = float("inf")
        #: calls run on the event loop (the others ran in Dask's actor thread or came directly)
        self.calls_on_loop = 0
        self._direct_calls = [0]

    @property
    def calls_direct(self) -> int:
        """Calls that came over a direct connection (:meth:`open_channel`)."""
        return self._direct_calls[0]

    def open_channel(self, token: bytes) -> tuple[str, int] | None:
        """Listen for one direct connection from the client (see :mod:`~optimeans.distributed.channel`):
        ``(host, port)``, or None if no socket can be opened on this worker's address.

        The connection's calls run in a thread of their own that blocks on the
        socket, not on the worker's event loop (which stays free for Dask's
        heartbeats however long a pass takes) nor in Dask's actor thread.
        """
        data, address, counter = self._data, self.address, self._direct_calls
        # the states this connection ran on, held weakly: the worker's ``data`` (Dask's spill
        # buffer) took 0.04 ms a lookup after a pass's kernel, where every cache is cold
        held: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

        def handle(keys: list, work: tuple) -> list:
            fn, args = work
            out = _run_states(data, address, fn, keys, args, held)
            counter[0] += 1
            return out

        return channel.start_server(self.address, token, handle)

    async def call(self, keys: list, blob: bytes) -> bytes:
        """:meth:`run_pickled`, on the worker's event loop when it is short, else in a thread.

        Why on the loop: Dask runs an actor's method in a thread of its own,
        two hand-overs between threads per call (the loop to the thread and
        back), each a wake-up that waits for a core while the other worker
        computes. On ``local_cluster(2)`` (load 1.9, 2 x 17 passes,
        ``benchmarks/check_dask_timeline.py``) the tiny pass took 2.60 /
        3.01 ms on the loop against 5.07 / 4.15 ms in the thread, the
        2,000,000 x 16 pass 16.35 / 15.53 against 19.19 / 15.71 ms. A call
        that took :attr:`INLINE_SECONDS` or more last time (and the first
        one, which packs the blocks) runs in the thread: a loop blocked for
        seconds misses the worker's heartbeats and Dask warns about it.
        """
        if self._own_loop and self._last < self.INLINE_SECONDS:
            self.calls_on_loop += 1
            return self.run_pickled(keys, blob)
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(self._executor, self.run_pickled, keys, blob)

    def run_pickled(self, keys: list, blob: bytes) -> bytes:
        """:meth:`run` of a pickled ``(fn, args)``, its results pickled: the route of a pass.

        Why pickled here rather than handed to Dask: Dask frames every NumPy
        array of an actor call's arguments and results one by one (a header
        and a frame each, both ways); a Lloyd pass sends about ten small
        arrays and gets about six back. An empty round trip to both hosts
        of ``local_cluster(2)`` took 1.43 ms (load 1.0); with a pass's
        arguments and results framed by Dask 2.85 ms, as one pickled bytes
        object each way 1.42 ms (``benchmarks/check_dask_host_call.py``).
        """
        from distributed.protocol.pickle import dumps, loads

        t = time.perf_counter()
        fn, args = loads(blob)
        out = dumps(self.run(fn, keys, args))
        self._last = time.perf_counter() - t
        return out

    def run(self, fn: Callable, keys: list, args: tuple) -> list:
        """``[fn(state, None, *args) for state in the states of keys]``, in order."""
        return _run_states(self._data, self.address, fn, keys, args)


def _run_states(
    data: Any, address: str, fn: Callable, keys: list, args: tuple, held: weakref.WeakValueDictionary | None = None,
) -> list:
    """``[fn(state, None, *args) for state in the states of keys]``, taken from a worker's ``data``.

    A key the worker does not hold is reported (StateLost), never recomputed.
    ``held`` keeps the states found, weakly: a state that Dask lets go of
    (released, or spilled to disk) leaves it with the last reference, and is
    looked up in ``data`` again.
    """
    out = []
    for key in keys:
        state = None if held is None else held.get(key)
        if state is None:
            try:
                state = data[key]
            except KeyError:
                raise tasks.StateLost(
                    f"the Dask worker {address} does not hold the block state {key!r}; run the fit again"
                ) from None
            if held is not None:
                try:
                    held[key] = state
                except TypeError:
                    pass  # an object without weak references (not a block state): looked up each time
        out.append(fn(state, None, *args))
    return out


def _rows_call(state: Any, raw: Any, fn: Callable, with_start: bool, *args: Any) -> Any:
    return tasks.task_on_rows(fn, state, raw, with_start, *args)
