"""Out of core in this process: ``.npy`` blocks read with ``O_DIRECT`` into the ring buffers give the
rows bit for bit, fall back to the page cache where the file system refuses, and fit as memory does."""

from __future__ import annotations

import contextlib
import errno
import os

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402
from optimeans.distributed import sources  # noqa: E402

needs_o_direct = pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="no O_DIRECT on this platform")


def _direct_ok(path) -> bool:
    """Whether the file system of ``path`` opens files with O_DIRECT (tmpfs before Linux 6.6 does not)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError:
        return False
    os.close(fd)
    return True


@contextlib.contextmanager
def _direct(mode):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sources, "DIRECT_READS", mode)
        yield


def _save(tmp_path, X, name="x.npy"):
    path = tmp_path / name
    np.save(path, X)
    return str(path), np.load(path, mmap_mode="r").offset


def _ring_read(buf, path, offset, start, stop, d, src, dtype):
    buf.used = False
    with sources.read_into(buf):
        return sources._read_npy(path, offset, start, stop, d, src, dtype)


@needs_o_direct
@pytest.mark.parametrize("src", ["<f4", ">f8", "<i2"])
def test_direct_reads_give_the_rows_bit_for_bit_in_the_reused_aligned_buffer(tmp_path, src):
    rng = np.random.default_rng(5)
    n, d = 3001, 5  # rows of 10-40 bytes: no block starts or ends on a page boundary
    X = (rng.standard_normal((n, d)) * 100).astype(src)
    path, offset = _save(tmp_path, X)
    assert offset % 4096  # the header is not a whole page: the rows sit inside the first page read
    direct = _direct_ok(path)
    buf = sources.ReadBuffer(None, n * d)
    with _direct(True):
        memory = set()
        for start, stop in [(0, n), (1, 2), (7, 2999), (n - 1, n), (1234, 2345)]:
            rows = _ring_read(buf, path, offset, start, stop, d, src, src)
            assert rows.dtype == np.dtype(src) and rows.flags.c_contiguous and rows.flags.writeable
            np.testing.assert_array_equal(rows, X[start:stop])
            assert buf.used and np.shares_memory(rows, buf.array)
            memory.add(buf.array.ctypes.data)
            if direct:
                assert buf.array.ctypes.data % sources._ALIGN == 0
            conv = _ring_read(buf, path, offset, start, stop, d, src, "<f8")
            np.testing.assert_array_equal(conv, X[start:stop].astype(np.float64))
        assert len(memory) == 1  # one buffer serves every block
    with _direct(False):
        np.testing.assert_array_equal(_ring_read(buf, path, offset, 7, 2999, d, src, src), X[7:2999])
    # without a ring buffer waiting, a read allocates as before (and is never direct)
    with _direct(True):
        np.testing.assert_array_equal(sources._read_npy(path, offset, 3, 30, d, src, src), X[3:30])


@needs_o_direct
def test_direct_reads_fall_back_to_the_page_cache_where_refused(tmp_path, monkeypatch):
    X = np.arange(4000 * 3, dtype=np.float32).reshape(4000, 3)
    path, offset = _save(tmp_path, X)
    buf = sources.ReadBuffer(None, X.size)
    real_open, real_preadv = os.open, os.preadv
    opened = []

    def refuse_open(p, flags, *a):
        opened.append(bool(flags & os.O_DIRECT))
        if flags & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(p, flags, *a)

    with _direct(True):
        monkeypatch.setattr(os, "open", refuse_open)
        rows = _ring_read(buf, path, offset, 10, 3990, 3, "<f4", "<f4")
        np.testing.assert_array_equal(rows, X[10:3990])
        assert opened == [True] and np.shares_memory(rows, buf.array)
        monkeypatch.setattr(os, "open", real_open)

        def refuse_read(fd, buffers, pos, *a):
            raise OSError(errno.EINVAL, "Invalid argument")

        monkeypatch.setattr(os, "preadv", refuse_read)
        rows = _ring_read(buf, path, offset, 10, 3990, 3, "<f4", "<f4")
        np.testing.assert_array_equal(rows, X[10:3990])
        assert np.shares_memory(rows, buf.array)  # read through the cache into the same buffer
        monkeypatch.setattr(os, "preadv", real_preadv)


@needs_o_direct
def test_a_direct_read_reports_a_truncated_file(tmp_path):
    X = np.ones((5000, 4), dtype=np.float32)
    path, offset = _save(tmp_path, X)
    for cut in (offset + 2500 * 16 + 3, 8192):  # inside a page, at a page's end
        with open(path, "r+b") as fh:
            fh.truncate(cut)
        with _direct(True), pytest.raises(ValueError, match="ends before row 5000"):
            _ring_read(sources.ReadBuffer(None, X.size), path, offset, 0, 5000, 4, "<f4", "<f4")


def test_auto_reads_direct_only_files_larger_than_half_the_available_memory(tmp_path, monkeypatch):
    path, _ = _save(tmp_path, np.zeros((1000, 4), dtype=np.float32))
    size = os.path.getsize(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        with _direct("auto"):
            monkeypatch.setattr(sources, "_mem_available", lambda: 2.0 * size + 2)
            assert not sources._wants_direct(fd)
            monkeypatch.setattr(sources, "_mem_available", lambda: 2.0 * size - 2)
            assert sources._wants_direct(fd)
            monkeypatch.setattr(sources, "_mem_available", lambda: None)
            assert not sources._wants_direct(fd)
        with _direct("yes"), pytest.raises(ValueError, match="DIRECT_READS must be"):
            sources._wants_direct(fd)
    finally:
        os.close(fd)
    avail = sources._mem_available()
    assert avail is None or avail > 0


@needs_o_direct
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_out_of_core_fit_read_direct_equals_memory(tmp_path, dtype, monkeypatch):
    from optimeans.distributed import solver

    rng = np.random.default_rng(9)
    X = (rng.standard_normal((20_000, 3)) * 30 + rng.uniform(-500, 500, 3)).astype(dtype)
    path, _ = _save(tmp_path, X)
    C0 = X[[3, 300, 3000, 13000]] + 0.25
    reads = []
    read = sources._read_direct

    def spy(*a):
        out = read(*a)
        reads.append(out is not None)
        return out

    monkeypatch.setattr(solver, "current_client", lambda: None)
    monkeypatch.setattr(sources, "current_client", lambda: None)
    monkeypatch.setattr(sources, "_read_direct", spy)
    import dask

    with dask.config.set(scheduler="threads"), _direct(True):
        res = optimeans.fit(od.read(path, block_rows=4096), 4, init=C0, persist=False, tol=0, max_iter=3)
    mem = optimeans.fit(X, 4, init=C0, tol=0, max_iter=3)
    assert not res.info["persisted"] and res.info["read_ahead"]["reads"] >= 7 * 5
    if _direct_ok(path):
        assert reads and all(reads)  # every block went direct
    np.testing.assert_array_equal(res.centers, mem.centers)
    np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    np.testing.assert_array_equal(res.history.objective, mem.history.objective)
    assert res.objective == pytest.approx(mem.objective, rel=1e-13)
