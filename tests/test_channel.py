"""The direct connection from the client to a worker's block host (no Dask cluster needed)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import numpy as np
import pytest

pytest.importorskip("distributed")

from optimeans.distributed import blocks, channel, tasks  # noqa: E402


def _scaled(state, raw, factor):
    return state * factor


def _server(data, token, address="tcp://127.0.0.1:0"):
    def handle(keys, work):
        fn, args = work
        return blocks._run_states(data, address, fn, keys, args)

    where = channel.start_server(address, token, handle)
    assert where is not None and where[0] == "127.0.0.1"
    return where


@pytest.fixture
def pair():
    """Two connected sockets, closed after the test."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def _through(pair, *pieces):
    """``(status, pieces)`` as received at the other end of ``pair`` (read by a thread of its own)."""
    a, b = pair
    got = []
    reader = threading.Thread(target=lambda: got.append(channel.receive(b)))
    reader.start()
    channel._send(a, channel._pack(channel._OK, *pieces))
    reader.join(10)
    return got[0]


@contextlib.contextmanager
def _connected(data):
    """A client's connection to a host serving ``data`` (closed at the end)."""
    token = channel.new_token()
    host, port = _server(data, token)
    c = channel.Channel(host, port, token)
    try:
        yield c
    finally:
        c.close()


def _threads():
    return [t for t in threading.enumerate() if t.name == "optimeans-block-host"]


def _wait_no_threads(before, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(_threads()) > before:
        time.sleep(0.01)
    return len(_threads()) - before


def test_calls_run_in_order_and_the_thread_ends_with_the_connection():
    before = len(_threads())
    data = {"a": np.arange(3.0), "b": np.arange(4.0)}
    with _connected(data) as c:
        for factor in (2.0, 3.0):
            c.send(c.pack(["b", "a"], (_scaled, (factor,))))
            out = c.receive(lambda: None)
            assert len(out) == 2
            np.testing.assert_array_equal(out[0], np.arange(4.0) * factor)
            np.testing.assert_array_equal(out[1], np.arange(3.0) * factor)
        assert c.calls == 2
        # a reply larger than the socket's buffers (sent in several pieces) arrives whole
        data["big"] = np.arange(3_000_000.0)
        c.send(c.pack(["big"], (_scaled, (1.0,))))
        np.testing.assert_array_equal(c.receive(lambda: None)[0], data["big"])
    # the host's thread served that connection only, and ends when it closes
    assert _wait_no_threads(before) == 0


def test_an_error_on_the_worker_is_raised_on_the_client():
    with _connected({"a": 1.0}) as c:
        c.send(c.pack(["missing"], (_scaled, (2.0,))))
        with pytest.raises(tasks.StateLost, match="does not hold the block state 'missing'"):
            c.receive(lambda: None)
        # the connection is still in step: the next call is answered
        c.send(c.pack(["a"], (_scaled, (2.0,))))
        assert c.receive(lambda: None) == [2.0]


def test_a_connection_without_the_token_is_refused():
    token = channel.new_token()
    host, port = _server({"a": 5.0}, token)
    # a stranger (a port scanner, another client) is dropped without being answered ...
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"x" * len(token))
        s.settimeout(5)
        assert s.recv(1) == b""
    # ... and the host still waits for its client
    c = channel.Channel(host, port, token)
    try:
        c.send(c.pack(["a"], (_scaled, (1.0,))))
        assert c.receive(lambda: None) == [5.0]
    finally:
        c.close()


def test_waiting_checks_that_the_worker_is_still_there(monkeypatch):
    # a reply that takes longer than the poll interval: the client checks in between, and a check
    # that raises (the worker left the cluster) ends the wait
    monkeypatch.setattr(channel, "POLL_SECONDS", 0.05)
    checks = []
    with _connected({"a": 0.2}) as c:
        c.send(c.pack(["a"], (_sleep, ())))
        assert c.receive(lambda: checks.append(1)) == [0.2]
        assert len(checks) >= 2
        c.send(c.pack(["a"], (_sleep, ())))

        def gone():
            raise tasks.StateLost("the worker left")

        with pytest.raises(tasks.StateLost, match="the worker left"):
            c.receive(gone)


def _sleep(state, raw):
    time.sleep(state)
    return state


def test_only_plain_tcp_workers_get_direct_calls():
    import dask

    assert channel.usable(["tcp://127.0.0.1:1", "tcp://10.0.0.2:2"])
    assert not channel.usable(["tls://127.0.0.1:1"])  # TLS: the channel would bypass its encryption
    assert not channel.usable(["tcp://127.0.0.1:1", "inproc://10.0.0.2/1/2"])
    assert not channel.usable([])
    with dask.config.set({"optimeans.direct-calls": False}):
        assert not channel.usable(["tcp://127.0.0.1:1"])
    assert channel.listen("inproc://127.0.0.1/1/1") is None
    assert channel.listen("tcp://192.0.2.1:1") is None  # not an address of this machine


def test_a_send_that_the_socket_takes_in_pieces_arrives_whole(pair):
    a, b = pair
    a.settimeout(5)  # a socket with a timeout sends what its buffer takes, then returns
    body = np.random.default_rng(0).bytes(8_000_000)
    got = []
    reader = threading.Thread(target=lambda: got.append(bytes(channel._recv_exact(b, 8 + len(body)))))
    reader.start()
    channel._send(a, [b"headhead", memoryview(body)])
    reader.join(10)
    assert got and got[0] == b"headhead" + body


def test_arrays_travel_out_of_band_whole_and_writable(pair):
    # a message's arrays are sent from their own memory and arrive as views of the received buffer:
    # every dtype, a non-contiguous array (pickled in band), and more arrays than one sendmsg takes
    rng = np.random.default_rng(1)
    obj = {
        "f64": rng.random((300, 7)), "bool": rng.random((50, 16)) > 0.5, "i64": np.arange(-5, 1000),
        "f32_strided": rng.random((40, 40)).astype(np.float32)[:, ::3], "scalars": (3, 2.5, None, "x"),
        "many": [np.full(3, i, dtype=np.int32) for i in range(channel._MAX_PARTS + 40)],
    }
    status, (back,) = _through(pair, obj)
    assert status == channel._OK
    for key in ("f64", "bool", "i64", "f32_strided"):
        assert back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key], obj[key])
        back[key][...] = 0  # writable, and not the sender's memory
    for key in ("f64", "i64"):  # out of band: each starts on a cache line of the buffer
        assert back[key].flags.aligned and back[key].ctypes.data % channel.ALIGN == 0
    assert all(x.ctypes.data % channel.ALIGN == 0 for x in back["many"])
    assert obj["f64"].any() and obj["i64"].any()
    assert back["scalars"] == (3, 2.5, None, "x")
    assert [int(x[0]) for x in back["many"]] == list(range(channel._MAX_PARTS + 40))


def test_every_kind_of_array_comes_back_as_it_went(pair):
    # plain numeric arrays go by the channel's own reduction (dtype as a string, memory out of
    # band); the others (F order, records, object arrays, subclasses) by NumPy's
    rng = np.random.default_rng(4)
    arrays = [
        rng.random((5, 3)).astype(">f8"),  # big-endian
        np.array(2.5),  # 0-d
        np.zeros((0, 16)),  # empty, 2-d
        np.asfortranarray(rng.random((4, 6))),
        np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
        np.array(["x", None, 3], dtype=object),
        np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False]),
        (rng.random(7) * 1j).astype(np.complex64),
        np.arange(12, dtype=np.uint16).reshape(3, 4)[:, ::2],  # not contiguous
    ]
    _, (back,) = _through(pair, arrays)
    for x, y in zip(arrays, back):
        assert type(y) is type(x) and y.dtype == x.dtype and y.shape == x.shape
        assert y.flags.f_contiguous == x.flags.f_contiguous
        if x.dtype.kind == "O":
            assert list(y) == list(x)
        else:
            np.testing.assert_array_equal(y, x)
    assert back[6].mask.tolist() == [False, True, False]
    assert back[0].dtype.byteorder == ">"
    assert back[0].base is not None and back[0].flags.writeable  # a view of the received memory
    # a plain array's type travels as a string, not as a pickled dtype object
    stream = channel._frames(np.zeros(3))[0]
    assert b"_array" in stream and b"<f8" in stream and b"dtype" not in stream


def test_states_are_looked_up_once_and_let_go_with_the_workers_data():
    import gc
    import weakref

    class Counting(dict):
        lookups = 0

        def __getitem__(self, key):
            Counting.lookups += 1
            return super().__getitem__(key)

    data = Counting(a=np.arange(3.0), b=np.arange(4.0), f=2.0)
    held = weakref.WeakValueDictionary()
    for factor in (1.0, 2.0, 3.0):
        out = blocks._run_states(data, "tcp://w", _scaled, ["a", "b", "f"], (factor,), held)
        np.testing.assert_array_equal(out[1], np.arange(4.0) * factor)
        assert out[2] == 2.0 * factor
    assert Counting.lookups == 2 + 3  # the arrays once, the float (no weak reference) every time
    # Dask lets the state go (released or spilled): the next call looks in the data again
    del data["a"]
    gc.collect()
    with pytest.raises(tasks.StateLost, match="does not hold the block state 'a'"):
        blocks._run_states(data, "tcp://w", _scaled, ["a"], (1.0,), held)
    data["a"] = np.arange(5.0)  # a new state under the same key is the one used
    np.testing.assert_array_equal(blocks._run_states(data, "tcp://w", _scaled, ["a"], (1.0,), held)[0], np.arange(5.0))


def test_a_piece_pickled_once_travels_in_several_messages(pair):
    # a pass's function and arguments are pickled once for every worker: each message carries the
    # same frames after a piece of its own, and each end unpickles its own copy
    a, b = pair
    shared = channel.Pickled((_scaled, (np.arange(5.0), 2.0)))
    got = []
    reader = threading.Thread(target=lambda: got.extend(channel.receive(b) for _ in range(2)))
    reader.start()
    for keys in (["x"], ["y", "z"]):
        channel._send(a, channel._pack(channel._OK, keys, shared))
    reader.join(10)
    assert [pieces[0] for _, pieces in got] == [["x"], ["y", "z"]]
    (fn1, (arr1, f1)), (fn2, (arr2, f2)) = (pieces[1] for _, pieces in got)
    assert fn1 is _scaled and fn2 is _scaled and f1 == f2 == 2.0
    np.testing.assert_array_equal(arr1, np.arange(5.0))
    arr1[0] = 7.0  # two copies, not one array shared by the two messages
    assert arr2[0] == 0.0


def test_a_function_of_the_users_script_travels_by_value(pair):
    # the standard pickler cannot send a function of __main__ (the worker has another __main__):
    # such a piece goes through cloudpickle, by value
    ns = {}
    exec("def triple(x):\n    return 3 * x\n", {"__name__": "__main__"}, ns)
    triple = ns["triple"]
    assert triple.__module__ == "__main__"
    a, b = pair
    channel._send(a, channel._pack(channel._OK, (triple, np.arange(3.0))))
    status, ((fn, x),) = channel.receive(b)
    assert fn is not triple
    np.testing.assert_array_equal(fn(x), [0.0, 3.0, 6.0])


def test_a_message_whose_pieces_do_not_add_up_is_refused(pair):
    import struct

    a, b = pair
    # 1 piece of 3 frames announced, but only 2 frames
    head = channel._OK + struct.pack("<5Q", 1, 2, 3, 1, 1)
    a.sendall(head + bytes(channel.HEAD - len(head)) + b"xy")
    with pytest.raises(ConnectionError, match="pieces"):
        channel.receive(b)


def test_a_message_with_more_lengths_than_the_head_holds(pair):
    # 40 arrays: 42 lengths, more than the 15 of the fixed head; and a short one after it
    arrays = [np.arange(i + 1, dtype=np.float64) for i in range(40)]
    assert len(channel._pack(channel._OK, arrays)[0]) == 1 + (2 + 1 + 41) * 8 > channel.HEAD
    _, (got,) = _through(pair, arrays)
    assert len(got) == 40 and all(np.array_equal(x, y) for x, y in zip(got, arrays))
    _, (small,) = _through(pair, (1, 2))
    assert small == (1, 2)


def test_the_poll_before_sleeping_sees_a_call_and_gives_up_in_time(pair):
    import select

    a, b = pair
    poller = select.poll()
    poller.register(b, select.POLLIN)
    t = time.perf_counter()
    assert channel._spin(poller, 0.05) is False  # nothing came: it gives up after its time
    assert 0.05 <= time.perf_counter() - t < 5
    a.sendall(b"x")
    t = time.perf_counter()
    assert channel._spin(poller, 5.0) is True  # something to read: it returns at once
    assert time.perf_counter() - t < 4


def test_without_sendmsg_or_poll_the_channel_still_works(monkeypatch, pair):
    # Windows has neither socket.sendmsg nor select.poll: the pieces go one by one, no poll
    import select

    class NoSendmsg:
        def __init__(self, sock):
            self._sock = sock

        def sendall(self, data):
            self._sock.sendall(data)

    a, b = pair
    parts = channel._pack(channel._OK, {"x": np.arange(10.0)})
    channel._send(NoSendmsg(a), parts)
    status, (obj,) = channel.receive(b)
    np.testing.assert_array_equal(obj["x"], np.arange(10.0))
    monkeypatch.delattr(select, "poll")
    with _connected({"a": 4.0}) as c:
        c.send(c.pack(["a"], (_scaled, (2.0,))))
        assert c.receive(lambda: None) == [8.0]
