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
between the workers for their collective operations.

When it is used (:func:`usable`): on plain ``tcp://`` clusters only, where
Dask's own messages are no better protected (not over TLS, whose encryption
and certificates this channel would bypass; not on in-process workers, which
have no socket). A connection proves itself with a random token sent through
Dask first, and the host serves that one connection only. A host that cannot
listen, or a client that cannot connect (a firewall), leaves the calls on
Dask's route; the result is the same either way (``info["pass_route"]`` says
which route ran). ``dask.config.set({"optimeans.direct-calls": False})``
keeps every call on Dask's route.

Messages are frames: 8 bytes of length (little-endian), then the bytes.
A call is two frames (the pickled block keys, the pickled function and
arguments, the same bytes for every worker); a reply is one status byte
(0 results, 1 an exception raised on the worker) and one frame.
"""

from __future__ import annotations

import hmac
import secrets
import socket
import struct
import threading
from typing import Callable

#: Seconds a host waits for its client to connect (and prove itself) before it stops listening.
ACCEPT_SECONDS = 60.0
#: Seconds the client waits to connect to a host before it keeps Dask's route.
CONNECT_SECONDS = 5.0
#: Seconds between checks, while the client waits for a reply, that the worker is still there.
POLL_SECONDS = 2.0

_LEN = struct.Struct("<Q")
_OK, _RAISED = b"\x00", b"\x01"


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


def serve(listener: socket.socket, token: bytes, handle: Callable[[list, bytearray], bytes]) -> None:
    """Serve one client on ``listener`` (in a thread of the worker): ``reply = handle(keys, blob)``.

    Accepts connections until one sends ``token`` (or :data:`ACCEPT_SECONDS`
    pass), stops listening, then answers that connection's calls one after
    the other until it closes. An exception raised by ``handle`` goes back
    to the client (pickled); one that cannot be pickled goes back as a
    RuntimeError with its text. The thread holds no reference to the host
    object (the host can be collected while the thread runs).
    """
    from distributed.protocol.pickle import dumps, loads

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
        while True:
            try:
                keys = _recv_frame(conn)
            except ConnectionError:
                return  # the client closed the connection: the fit is over
            blob = _recv_frame(conn)
            try:
                status, body = _OK, handle(loads(keys), blob)
            except BaseException as exc:  # noqa: BLE001 - handed to the client, raised there
                try:
                    status, body = _RAISED, dumps(exc)
                except Exception:  # noqa: BLE001
                    status, body = _RAISED, dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
            _send(conn, status + _LEN.pack(len(body)), body)
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

    def send(self, keys: bytes, blob: bytes) -> None:
        """Send one call (pickled keys, pickled function and arguments)."""
        self.sock.settimeout(None)
        try:
            self.sock.sendall(_LEN.pack(len(keys)) + keys + _LEN.pack(len(blob)) + blob)
        finally:
            self.sock.settimeout(POLL_SECONDS)

    def receive(self, still_there: Callable[[], None]) -> bytearray:
        """The reply to the call sent; ``still_there()`` runs every :data:`POLL_SECONDS` while waiting
        (it raises if the worker left). An exception raised on the worker is raised here."""
        from distributed.protocol.pickle import loads

        status = bytes(_recv_exact(self.sock, 1, still_there))
        body = _recv_frame(self.sock, still_there)
        self.calls += 1
        if status == _RAISED:
            raise loads(body)
        if status != _OK:
            raise ConnectionError(f"a block host sent an unknown reply status {status!r}")
        return body

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def start_server(address: str, token: bytes, handle: Callable[[list, bytearray], bytes]) -> tuple[str, int] | None:
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


def _recv_exact(sock: socket.socket, n: int, still_there: Callable[[], None] | None = None) -> bytearray:
    """Exactly ``n`` bytes (ConnectionError if the peer closes first). On a socket with a timeout,
    ``still_there()`` runs at each timeout and the wait goes on (the bytes read so far are kept)."""
    buf = bytearray(n)
    view = memoryview(buf)
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
    return buf


def _recv_frame(sock: socket.socket, still_there: Callable[[], None] | None = None) -> bytearray:
    (n,) = _LEN.unpack(_recv_exact(sock, _LEN.size, still_there))
    return _recv_exact(sock, n, still_there)


def _send(sock: socket.socket, head: bytes, body: bytes) -> None:
    """``head`` then ``body`` in one system call when the socket takes them (no joined copy)."""
    sent = sock.sendmsg([head, body])
    if sent < len(head) + len(body):
        sock.sendall(b"".join([head, body])[sent:])
