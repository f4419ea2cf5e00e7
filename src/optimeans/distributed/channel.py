"""A direct connection from the client to a worker's block host, for the passes.

A Lloyd pass over persisted blocks is one call per worker (see
:class:`~optimeans.distributed.blocks.BlockHost`). Through Dask, that call
goes from the calling thread to the client's event loop, over Dask's comm to
the worker's event loop, into the host, and back the same way: a handful of
hand-overs between threads and event loops, each a wake-up that waits for a
core, and on a 2-core machine the other worker is computing on one of them.
On ``local_cluster(2)`` an empty call to both hosts took 1.95 ms (load 0.8),
and a 2,000,000 x 16 pass spent 5.5 ms outside the kernel (8.3 ms), against
3.1 ms on tiny data: the hand-overs cost more while the workers compute
(``benchmarks/bench_dask.py overhead``).

Here the host listens on a socket of its own, on the worker's address, in a
thread that blocks in ``recv`` and runs the pass itself; the client sends
each worker its call from the calling thread and blocks in ``recv`` for the
reply. One wake-up on each side per call, no event loop. The same idea as
LightGBM's and XGBoost's Dask interfaces, which open sockets of their own
between the workers for their collective operations. On ``local_cluster(2)``
(idle, ``benchmarks/check_dask_timeline.py 2000000 16``, medians of 17
passes, worker 0 / worker 1), the call reached the workers in 0.27 / 0.25 ms
and the replies came back in 0.34 / 0.60 ms, against 0.86 / 3.54 and 3.33 /
0.84 ms through Dask; a Lloyd iteration took 6.99 ms against 10.43 (tiny
data: 0.55 against 1.93 ms).

When it is used (:func:`usable`): on plain ``tcp://`` clusters only, where
Dask's own messages are no better protected (not over TLS, whose encryption
and certificates this channel would bypass; not on in-process workers, which
have no socket). A connection proves itself with a random token sent through
Dask first, and the host serves that one connection only. A host that cannot
listen, or a client that cannot connect (a firewall), leaves the calls on
Dask's route; the result is the same either way (``info["host_calls"]``
counts the calls of each route). ``dask.config.set({"optimeans.direct-calls": False})``
keeps every call on Dask's route.

A message is one or more objects (pieces), each pickled with protocol 5
and its arrays' memory out of band: a status byte (0 a call or its
results, 1 an exception raised on the worker), the number of pieces and of
frames, each piece's number of frames and each frame's length (8 bytes
each, little-endian), zeros up to :data:`HEAD` bytes when that is shorter
(one ``recv`` then reads the head of any message of up to 15 lengths;
right after a kernel each ``recv`` cost the client 13-16 us), then the
frames: for each piece its pickle stream,
then its arrays' bytes, sent from the arrays' own memory in one
``sendmsg`` and received into one buffer that the unpickled arrays view (no
copy on either side; each frame starts at a multiple of :data:`ALIGN`
bytes of it). A call is two pieces: the blocks to run it on, one
list per worker, and the function with its arguments, the same for every
worker and pickled once for all of them (:class:`Pickled`). A pass's
reply holds its chunks' changes of the sums, 160 to 580 KiB at 2,000,000 x
16 rows: pickled into one bytes object (in band) they took 185-300 us to
pickle, out of band 15 us.
"""

from __future__ import annotations

import collections
import copyreg
import ctypes
import hmac
import io
import os
import pickle
import select
import secrets
import socket
import struct
import threading
import time
from typing import Any, Callable

import numpy as np

#: Seconds a host waits for its client to connect (and prove itself) before it stops listening.
ACCEPT_SECONDS = 60.0
#: Seconds the client waits to connect to a host before it keeps Dask's route.
CONNECT_SECONDS = 5.0
#: Seconds between checks, while the client waits for a reply, that the worker is still there.
POLL_SECONDS = 2.0
#: Seconds a host's thread polls for the next call, yielding its core at every look, before it
#: sleeps in ``recv`` (see :func:`serve`).
SPIN_SECONDS = 0.0005

_LEN = struct.Struct("<Q")
_OK, _RAISED = b"\x00", b"\x01"
#: Most pieces handed to one ``sendmsg`` (Linux takes 1024)
_MAX_PARTS = 512
#: Every frame of a message starts at a multiple of this many bytes of the buffer it is received
#: into, so that the arrays that view it are aligned (a cache line; unaligned, every load of a
#: float64 array could straddle two lines, and NumPy marks such arrays unaligned)
ALIGN = 64
_PAD = bytes(ALIGN)
#: Bytes a message's head takes at least: the status, the numbers of pieces and of frames and
#: room for 15 lengths (a pass's call has 9, its reply 4 or 5), so that one ``recv`` reads it;
#: a message with more lengths has a longer head, read in two
HEAD = 1 + 2 * 8 + 15 * 8


def new_token() -> bytes:
    return secrets.token_bytes(32)


def usable(addresses: list[str]) -> bool:
    """Whether direct calls may be used with workers at these Dask addresses (plain TCP only)."""
    import dask

    if not dask.config.get("optimeans.direct-calls", True):
        return False
    return bool(addresses) and all(str(a).startswith("tcp://") for a in addresses)


def listen(address: str) -> socket.socket | None:
    """A listening socket on the host of the Dask address ``address`` (any free port), or None."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address)
        if scheme != "tcp":
            return None
        host, _ = parse_host_port(loc)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, 0), family=family, backlog=4)
    except (OSError, ValueError, TypeError):
        return None


def serve(listener: socket.socket, token: bytes, handle: Callable[..., Any]) -> None:
    """Serve one client on ``listener`` (in a thread of the worker): ``reply = handle(*pieces)``.

    Accepts connections until one sends ``token`` (or :data:`ACCEPT_SECONDS`
    pass), stops listening, then answers that connection's calls one after
    the other until it closes. An exception raised by ``handle`` goes back
    to the client; one that cannot be pickled goes back as a RuntimeError
    with its text. The thread holds no reference to the host object (the
    host can be collected while the thread runs).

    After a reply the thread polls for the next call for
    :data:`SPIN_SECONDS` before it sleeps: the client's work between two
    passes takes 0.2-0.6 ms, and a thread that slept (on a VM, a virtual
    CPU that halted) comes back slower. On ``local_cluster(2)`` at
    2,000,000 x 16 rows (idle, 16 alternating rounds each, in-memory 7.43
    ms) a Lloyd iteration took 7.78 ms with the 2 ms poll against 8.08 ms
    without; two other series of 16 and 8 rounds gave 9.02 against 9.15
    and 9.10 against 10.14 ms. The poll yields the core at every look, so
    a thread that wants it gets it.

    Why 0.5 ms rather than 2: the worker that finishes first polls while the
    other still computes and the client takes the first reply, three
    threads that want two cores. Alternating the two in one cluster (10
    rounds of the same fit each, three series), Dask's iteration exceeded
    memory's by a median 0.43, 0.89 and 0.82 ms with 0.5 ms against 0.83,
    1.08 and 1.10 ms with 2 ms; in ``bench_dask.py memory`` (6 runs each,
    alternating) by 0.55 against 0.60 ms on average, within the noise. A
    shorter poll also leaves the core to other work sooner.
    """
    conn = None
    try:
        listener.settimeout(ACCEPT_SECONDS)
        while conn is None:
            try:
                c, _ = listener.accept()
            except OSError:
                return  # timed out (no client came) or closed
            try:
                c.settimeout(CONNECT_SECONDS)
                if hmac.compare_digest(bytes(_recv_exact(c, len(token))), token):
                    conn = c
                    break
            except OSError:
                pass
            c.close()
    finally:
        listener.close()
    try:
        conn.settimeout(None)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        poller = select.poll() if hasattr(select, "poll") else None  # not on Windows
        if poller is not None:
            poller.register(conn, select.POLLIN)
        while True:
            if poller is not None:
                _spin(poller, SPIN_SECONDS)
            try:
                _, call = receive(conn)
            except ConnectionError:
                return  # the client closed the connection: the fit is over
            try:
                status, reply = _OK, handle(*call)
                parts = _pack(status, reply)
            except BaseException as exc:  # noqa: BLE001 - handed to the client, raised there
                try:
                    parts = _pack(_RAISED, exc)
                except Exception:  # noqa: BLE001
                    parts = _pack(_RAISED, RuntimeError(f"{type(exc).__name__}: {exc}"))
            _send(conn, parts)
    except OSError:
        return  # the client went away mid-call (interrupted, or its process ended)
    finally:
        conn.close()


class Channel:
    """The client's end of one direct connection to a worker's block host."""

    def __init__(self, host: str, port: int, token: bytes) -> None:
        self.sock = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(token)
            self.sock.settimeout(POLL_SECONDS)
        except BaseException:
            self.sock.close()
            raise
        #: calls answered
        self.calls = 0

    @staticmethod
    def pack(*pieces: Any) -> list:
        """A call ready for :meth:`send`: the host runs ``handle(*pieces)``. A piece is any picklable
        object, or a :class:`Pickled` one (the part of the call that every worker gets).

        Pickle every worker's call first, then send them all: the second
        worker then starts a pickling's time earlier (0.06-0.12 ms a call
        at 2,000,000 x 16 rows, where the kernel has just pushed the
        interpreter out of the caches).
        """
        return _pack(_OK, *pieces)

    def send(self, packed: list) -> None:
        """Send a call made by :meth:`pack`."""
        self.sock.settimeout(None)
        try:
            _send(self.sock, packed)
        finally:
            self.sock.settimeout(POLL_SECONDS)

    def receive(self, still_there: Callable[[], None]) -> Any:
        """The reply to the call sent; ``still_there()`` runs every :data:`POLL_SECONDS` while waiting
        (it raises if the worker left). An exception raised on the worker is raised here."""
        status, (reply,) = receive(self.sock, still_there)
        self.calls += 1
        if status == _RAISED:
            raise reply
        return reply

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def start_server(address: str, token: bytes, handle: Callable[..., Any]) -> tuple[str, int] | None:
    """Listen on the worker at ``address`` and serve one client in a daemon thread: ``(host, port)``,
    or None when no socket can be opened there (the calls then stay on Dask's route)."""
    listener = listen(address)
    if listener is None:
        return None
    host, port = listener.getsockname()[:2]
    threading.Thread(
        target=serve, args=(listener, token, handle), name="optimeans-block-host", daemon=True
    ).start()
    return str(host), int(port)


class Pickled:
    """An object pickled once, to be a piece of several messages (:meth:`Channel.pack`).

    A pass's function and arguments are the same for every worker: pickled
    once, not once a worker (0.06 ms each at 2,000,000 x 16 rows, after the
    kernel has pushed the interpreter out of the caches).
    """

    __slots__ = ("frames",)

    def __init__(self, obj: Any) -> None:
        self.frames = _frames(obj)


def _frames(obj: Any) -> list:
    """The pickle stream of ``obj`` and its arrays' memory (not copied).

    The standard pickler first: a pass's calls and replies hold module-level
    functions, numbers and arrays, which it handles, and it took 55 us
    against 75 us for ``distributed``'s ``dumps`` on a pass's reply right
    after a kernel (which first tries the same pickler, then looks for
    objects to pickle by value). What it cannot pickle, or pickles by a
    reference to ``__main__`` that the worker cannot import (a function of
    the user's script), goes through ``distributed``'s (cloudpickle).
    """
    buffers: list = []
    try:
        out = io.BytesIO()
        _ArrayPickler(out, protocol=5, buffer_callback=buffers.append).dump(obj)
        stream = out.getvalue()
    except Exception:  # noqa: BLE001 - cloudpickle below
        stream = b"__main__"
    if b"__main__" in stream:
        from distributed.protocol.pickle import dumps

        buffers.clear()
        stream = dumps(obj, buffer_callback=buffers.append)
    return [stream, *(b.raw() for b in buffers)]


def _array(buffer: Any, dtype: str, shape: tuple) -> np.ndarray:
    """The array of :func:`_reduce_array`: a view of its buffer (the received message's memory)."""
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


def _reduce_array(a: np.ndarray) -> tuple:
    """How :class:`_ArrayPickler` pickles an array: its memory out of band, its type as a string.

    NumPy's own reduction pickles the dtype as an object, rebuilt on the other
    side by ``dtype.__setstate__``. With every cache cold (as right after a
    kernel; idle, medians of 35), a pass's reply took 44 us to pickle and 39
    us to unpickle that way, against 36 and 31 us with this one; its call 55
    and 46 us, against 48 and 39 us. Arrays this does not describe exactly
    (not C-contiguous, or of a dtype that is not plain numbers) keep NumPy's.
    """
    if a.flags.c_contiguous and a.dtype.kind in "biufc":
        return _array, (pickle.PickleBuffer(a), a.dtype.str, a.shape)
    return a.__reduce_ex__(5)


class _ArrayPickler(pickle.Pickler):
    """The standard pickler, with :func:`_reduce_array` for NumPy arrays (not their subclasses).

    The other types' reductions are looked up in ``copyreg``'s table as it is
    at the time (a chain, not a copy: a library may register one later).
    """

    dispatch_table = collections.ChainMap({np.ndarray: _reduce_array}, copyreg.dispatch_table)


def _pack(status: bytes, *pieces: Any) -> list:
    """The parts of one message: the head, then each piece's pickle stream and arrays' memory."""
    counts, frames = [], []
    for piece in pieces:
        f = piece.frames if isinstance(piece, Pickled) else _frames(piece)
        counts.append(len(f))
        frames.extend(f)
    sizes = [f.nbytes if isinstance(f, memoryview) else len(f) for f in frames]
    head = status + struct.pack(f"<{2 + len(counts) + len(sizes)}Q", len(counts), len(frames), *counts, *sizes)
    if len(head) < HEAD:
        head += bytes(HEAD - len(head))
    parts, at = [head], 0
    for frame, size in zip(frames, sizes):
        pad = -at % ALIGN
        if pad:
            parts.append(_PAD[:pad])
        parts.append(frame)
        at += pad + size
    return parts


def _offsets(sizes: tuple) -> tuple[list[int], int]:
    """Where each frame starts in a message's data (at multiples of :data:`ALIGN`), and the data's length."""
    offsets, at = [], 0
    for size in sizes:
        at += -at % ALIGN
        offsets.append(at)
        at += size
    return offsets, at


def receive(sock: socket.socket, still_there: Callable[[], None] | None = None) -> tuple[bytes, tuple]:
    """One message: ``(status, pieces)``. Its arrays view the one buffer the frames were read into."""
    head = _recv_exact(sock, HEAD, still_there)
    status = bytes(head[:1])
    if status not in (_OK, _RAISED):
        raise ConnectionError(f"a direct connection received an unknown message status {status!r}")
    n_pieces, n_frames = struct.unpack_from("<2Q", head, 1)
    n_lengths = n_pieces + n_frames
    more = 1 + (2 + n_lengths) * _LEN.size - HEAD
    if more > 0:  # more lengths than the head has room for: the rest follows it
        head = bytes(head) + bytes(_recv_exact(sock, more, still_there))
    counts_sizes = struct.unpack_from(f"<{n_lengths}Q", head, 1 + 2 * _LEN.size)
    counts, sizes = counts_sizes[:n_pieces], counts_sizes[n_pieces:]
    if sum(counts) != n_frames:
        raise ConnectionError("a direct connection received a message whose pieces do not add up to its frames")
    offsets, total = _offsets(sizes)
    data = _recv_exact(sock, total, still_there, aligned=True)
    frames = [data[at:at + size] for at, size in zip(offsets, sizes)]
    pieces, first = [], 0
    for count in counts:
        pieces.append(pickle.loads(frames[first], buffers=frames[first + 1:first + count]))
        first += count
    return status, tuple(pieces)


def _send(sock: socket.socket, parts: list) -> None:
    """``parts`` in order, in one system call when the socket takes them all (no joined copy)."""
    views = [memoryview(p).cast("B") for p in parts]
    sent = sock.sendmsg(views) if len(views) <= _MAX_PARTS and hasattr(sock, "sendmsg") else 0
    for v in views:
        if sent >= v.nbytes:
            sent -= v.nbytes
            continue
        sock.sendall(v[sent:])
        sent = 0


def _recv_exact(
    sock: socket.socket, n: int, still_there: Callable[[], None] | None = None, aligned: bool = False,
) -> memoryview:
    """Exactly ``n`` bytes (ConnectionError if the peer closes first), in a new writable buffer that
    starts at a multiple of :data:`ALIGN` bytes if ``aligned``. On a socket with a timeout,
    ``still_there()`` runs at each timeout and the wait goes on (the bytes read so far are kept)."""
    if aligned:
        buf = bytearray(n + ALIGN)
        view = memoryview(buf)
        shift = -ctypes.addressof(ctypes.c_char.from_buffer(buf)) % ALIGN
        view = view[shift:shift + n]
    else:
        view = memoryview(bytearray(n))
    got = 0
    while got < n:
        try:
            r = sock.recv_into(view[got:])
        except TimeoutError:
            if still_there is None:
                raise
            still_there()
            continue
        if r == 0:
            raise ConnectionError("the connection to the block host closed")
        got += r
    return view


def _spin(poller: select.poll, seconds: float) -> bool:
    """Poll until the registered socket has something to read (True) or ``seconds`` pass (False)."""
    end = time.perf_counter() + seconds
    while not poller.poll(0):
        if time.perf_counter() >= end:
            return False
        os.sched_yield()
    return True
