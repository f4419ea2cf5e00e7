"""The block kernels of the Dask backend (``optimeans.distributed._scan``) give NumPy's bits,
and an out-of-core fit of a ``.npy`` file reads it as few times as it says, with memory's result."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402
from optimeans._kernels.lloyd import BLOCK, pack_data  # noqa: E402
from optimeans._transform import DataTransform  # noqa: E402
from optimeans.distributed import _scan, blocks as blocks_mod, readahead, sources, tasks  # noqa: E402


def _rows(n, d, dtype, seed=0, loc=1e4, spread=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) * spread + rng.uniform(-loc, loc, d)).astype(dtype)


@contextlib.contextmanager
def _no_client():
    """Dask's local threaded scheduler, whatever client another test module left as the default."""
    from optimeans.distributed import solver

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solver, "current_client", lambda: None)
        mp.setattr(sources, "current_client", lambda: None)
        import dask

        with dask.config.set(scheduler="threads"):
            yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 3, 16, 17])
def test_check_and_sum_is_numpys_row_order_sum(dtype, d):
    X = _rows(10_007, d, dtype, seed=d)
    acc = np.zeros(d)
    lo, hi = np.full(d, np.inf), np.full(d, -np.inf)
    for s in range(0, len(X), 4096):  # chained over blocks, as the fold runs it
        assert _scan.check_and_sum(X[s:s + 4096], acc, lo, hi) == -1
    np.testing.assert_array_equal(acc, X.sum(axis=0, dtype=np.float64))
    np.testing.assert_array_equal(acc / len(X), X.mean(axis=0, dtype=np.float64))
    np.testing.assert_array_equal(lo, X.min(axis=0).astype(np.float64))
    np.testing.assert_array_equal(hi, X.max(axis=0).astype(np.float64))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_and_sum_finds_the_first_non_finite_entry(bad):
    X = _rows(500, 5, np.float32)
    X[321, 3] = bad
    X[400, 0] = np.nan
    acc, lo, hi = np.zeros(5), np.full(5, np.inf), np.full(5, -np.inf)
    assert _scan.check_and_sum(X, acc, lo, hi) == 321 * 5 + 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_deviation_from_the_extremes_equals_the_scan_of_every_row(dtype):
    rng = np.random.default_rng(3)
    for trial in range(20):
        X = _rows(3000, 6, dtype, seed=trial, loc=10.0 ** rng.integers(-3, 8))
        m = X.mean(axis=0, dtype=np.float64) + rng.standard_normal(6) * 1e-3
        want = float(np.abs(X.astype(np.float64) - m).max())
        got = _scan.max_deviation(X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64), m)
        assert got == want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1e15, 1e-15])
def test_to_work_rows_equals_the_transform(dtype, scale):
    X = (_rows(9000, 7, np.float64) * scale).astype(dtype)
    space = DataTransform(X)
    assert (space.exp != 0) == (scale != 1.0)  # both branches of the factor
    factor = tasks.work_factor(space)
    assert factor is not None
    out = np.empty_like(X)
    _scan.to_work_rows(X, space._offset_p, factor, out)
    np.testing.assert_array_equal(out, space.to_work(X, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, BLOCK - 1, 5000, 70_001])
@pytest.mark.parametrize("in_place", [False, True])
def test_to_work_and_pack_equals_to_work_then_pack_data(dtype, n, in_place):
    d = 5
    X = _rows(n, d, dtype, seed=n)
    space = DataTransform(X)
    Xw_ref = space.to_work(X, dtype)
    kmean = np.zeros(8)
    kmean[:d] = Xw_ref.mean(axis=0, dtype=np.float64)
    kscale = 0.25
    nb = (n + BLOCK - 1) // BLOCK
    XT_ref, bn_ref = np.empty(nb * d * BLOCK, np.float32), np.empty(nb)
    pack_data(Xw_ref, kmean[:d], kscale, XT_ref, bn_ref, np.empty(n))
    XT, bn = np.full(nb * d * BLOCK, np.nan, np.float32), np.empty(nb)
    src = X.copy()
    Xw = src if in_place else np.empty_like(X)
    _scan.to_work_and_pack(src, space._offset_p, tasks.work_factor(space), Xw, kmean[:d], kscale, XT, bn)
    np.testing.assert_array_equal(Xw, Xw_ref)
    np.testing.assert_array_equal(XT, XT_ref)
    np.testing.assert_array_equal(bn, bn_ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_work_rows_transform_scratch_rows_in_place_and_leave_others_alone(dtype):
    X = _rows(5000, 3, dtype, seed=3, loc=50.0, spread=7.0)
    w = np.linspace(0.5, 2.0, len(X))
    space = DataTransform(X, w)
    state = tasks.BlockState(None, None, 0, len(X), space, dtype, False)
    _, _, Xw_ref, ww_ref = state.rows((X.copy(), w))
    kept = X.copy()
    Xw, ww = state.work_rows((kept, w))  # rows someone may keep: a new array, the rows untouched
    assert Xw is not kept
    np.testing.assert_array_equal(kept, X)
    scratch = X.copy()
    Xw2, ww2 = state.work_rows(tasks.ScratchRows((scratch, w)))  # the buffer's alone: written over
    assert Xw2 is scratch
    for a, b in ((Xw, Xw_ref), (Xw2, Xw_ref), (ww, ww_ref), (ww2, ww_ref)):
        np.testing.assert_array_equal(a, b)


def test_work_factor_refuses_what_the_kernels_cannot_reproduce():
    X = np.array([[1e300, 0.0], [-1e300, 1.0], [0.5e300, 2.0]])
    space = DataTransform(X * 1e8)  # beyond 2**960: pre-scaled, the NumPy path runs
    assert space._pre != 0 and tasks.work_factor(space) is None
    assert tasks.work_factor(DataTransform(X[:, 1:] * 1.0)) == 1.0


def test_read_npy_reads_rows_and_reports_a_truncated_file(tmp_path):
    X = _rows(1000, 4, np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    offset = np.load(path, mmap_mode="r").offset
    np.testing.assert_array_equal(sources._read_npy(str(path), offset, 100, 300, 4, "<f4", "<f4"), X[100:300])
    np.testing.assert_array_equal(
        sources._read_npy(str(path), offset, 0, 1000, 4, "<f4", "<f8"), X.astype(np.float64)
    )
    big = tmp_path / "big.npy"
    np.save(big, X.astype(">f8"))
    off_b = np.load(big, mmap_mode="r").offset
    np.testing.assert_array_equal(sources._read_npy(str(big), off_b, 5, 9, 4, ">f8", "<f8"), X[5:9].astype(np.float64))
    with open(path, "r+b") as fh:
        fh.truncate(offset + 500 * 16 + 3)
    with pytest.raises(ValueError, match="ends before row 1000"):
        sources._read_npy(str(path), offset, 400, 1000, 4, "<f4", "<f4")


def _spy_reads(mp):
    reads: list[int] = []
    local_raw = blocks_mod.Blocks._local_raw

    def spy(self, b):
        reads.append(b)
        return local_raw(self, b)

    mp.setattr(blocks_mod.Blocks, "_local_raw", spy)
    return reads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_of_core_npy_fit_reads_the_file_twice_before_seeding_and_equals_memory(tmp_path, dtype):
    X = _rows(20_000, 4, dtype, seed=7, loc=1e3, spread=40.0)
    path = tmp_path / "x.npy"
    np.save(path, X)
    C0 = X[[5, 500, 5000, 15000]] + 0.5
    with pytest.MonkeyPatch.context() as mp, _no_client():
        reads = _spy_reads(mp)
        Xd = od.read(str(path), block_rows=4096)
        res = optimeans.fit(Xd, 4, init=C0, persist=False, tol=0, max_iter=3)
    mem = optimeans.fit(X, 4, init=C0, tol=0, max_iter=3)
    assert res.info["scheduler"] == "threads" and not res.info["persisted"]
    np.testing.assert_array_equal(res.centers, mem.centers)
    np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    np.testing.assert_array_equal(res.history.objective, mem.history.objective)
    assert res.objective == pytest.approx(mem.objective, rel=1e-13)
    nb = res.info["n_blocks"]
    assert nb == 5 and res.stop_reason == "max_iter"
    # validation + work space in one read, the kernel's mean and scale in one more,
    # 3 Lloyd passes and the last assignment, the final objective: 7 reads of every block,
    # then at most the few blocks the reader had read ahead when the fit ended
    assert res.info["passes"] == 7
    assert reads[: 7 * nb] == list(range(nb)) * 7
    assert reads[7 * nb:] == list(range(len(reads) - 7 * nb)) and len(reads) <= 7 * nb + readahead.AHEAD + 1
    stats = res.info["read_ahead"]
    assert 7 * nb <= stats["reads"] <= len(reads) and stats["read_seconds"] > 0 and stats["wait_seconds"] >= 0
    # one entry per pass that read the blocks (all 7 here), in order, adding up to the totals
    waits, computes = stats["pass_wait_seconds"], stats["pass_compute_seconds"]
    assert len(waits) == len(computes) == 7
    assert min(waits) >= 0 and min(computes) > 0
    assert sum(waits) == pytest.approx(stats["wait_seconds"], abs=1e-9)
    assert sum(computes) + sum(waits) <= res.info["seconds"]
    assert not [t for t in threading.enumerate() if t.name == "optimeans-read-ahead"]


def test_out_of_core_validation_names_the_global_row_in_a_later_block(tmp_path):
    X = _rows(20_000, 3, np.float32)
    X[13_000, 1] = np.inf
    X[17_000, 0] = np.nan
    path = tmp_path / "bad.npy"
    np.save(path, X)
    with _no_client(), pytest.raises(ValueError, match="inf at row 13000, column 1"):
        optimeans.fit(od.read(str(path), block_rows=4096), 3, persist=False)


def test_the_read_ahead_thread_and_the_pass_buffers():
    # the pass buffers are per thread: two threads never share one
    seen = {}

    def grab(name):
        seen[name] = tasks._thread_buffer("Xw", 100, np.dtype(np.float32))

    t = threading.Thread(target=grab, args=("other",))
    t.start()
    t.join()
    grab("main")
    assert not np.shares_memory(seen["main"], seen["other"])
    again = tasks._thread_buffer("Xw", 50, np.dtype(np.float32))
    assert np.shares_memory(again, seen["main"])  # reused, not reallocated


def _touched(cS, cQ, cW, cN):
    """The clusters whose sums some move of each chunk changed (any entry non-zero), in NumPy."""
    m, k = cW.shape
    return (cN != 0) | (cW != 0) | (cQ != 0) | (cS.reshape(m, k, cS.shape[1] // k) != 0).any(axis=2)


def _apply_packed(cS, cQ, cW, cN, cc, S, Q, W, N, last=True):
    """One block's reply as it travels: pack_touched's record, applied by apply_sparse_record."""
    m, k = cW.shape
    dp = cS.shape[1] // k
    touched, rows = _scan.pack_touched(
        cS, cQ, cW, cN, cc, np.empty(m * k, np.bool_), np.empty(m * k * (dp + 3)),
    )
    _scan.apply_sparse_record(touched, rows, S, Q, W, N, last)


def test_sparse_moves_give_the_dense_sums_bit_for_bit():
    from optimeans._kernels.lloyd import apply_moves

    rng = np.random.default_rng(5)
    k, dp, m = 6, 8, 40
    for trial in range(30):
        cS = np.zeros((m, k * dp))
        cQ, cW, cN = np.zeros((m, k)), np.zeros((m, k)), np.zeros((m, k), np.int64)
        for c in range(m):  # a few clusters per chunk, some moves that cancel in N
            for j in rng.choice(k, rng.integers(0, 4), replace=False):
                cS[c, j * dp:(j + 1) * dp] = rng.standard_normal(dp) * 10.0 ** rng.integers(-8, 8)
                cQ[c, j], cW[c, j] = rng.random() * 100, rng.choice([-1.0, 0.0, 2.0])
                cN[c, j] = rng.integers(-2, 3)
        cc = np.ones(m, np.int64)
        start = [rng.standard_normal(k * dp), rng.random(k) * 50, rng.random(k) * 5, rng.integers(0, 3, k)]
        dense = [a.copy() for a in start]
        apply_moves(cS, cQ, cW, cN, cc, *dense)
        assert _touched(cS, cQ, cW, cN).sum() < m * k  # some rows do not travel
        # the replies as they travel (pack_touched's records), applied in one compiled call each:
        # the whole as one block's reply, and split into two blocks' replies applied in order
        for cut in (m, m // 2):
            record = [a.copy() for a in start]
            parts = [slice(0, cut), slice(cut, m)] if cut < m else [slice(0, m)]
            for i, part in enumerate(parts):
                _apply_packed(cS[part], cQ[part], cW[part], cN[part], cc[part], *record, last=i == len(parts) - 1)
            for a, b in zip(dense, record):
                np.testing.assert_array_equal(a, b)
                assert np.array_equal(np.signbit(a), np.signbit(b))


def test_total_is_the_sum_of_the_counts():
    cc = np.random.default_rng(3).integers(0, 5000, 245)
    assert _scan.total(cc) == int(cc.sum()) and _scan.total(cc[:0]) == 0


def test_has_zero_finds_an_empty_cluster():
    assert not _scan.has_zero(np.array([3, 1, 7], np.int64))
    assert _scan.has_zero(np.array([3, 0, 7], np.int64)) and _scan.has_zero(np.array([0], np.int64))
    assert not _scan.has_zero(np.zeros(0, np.int64))


def test_sparse_moves_with_no_changed_chunk():
    k, dp, m = 3, 8, 4
    cS = np.ones((m, k * dp))  # changes that must not travel: no label of their chunk changed
    cQ, cW, cN = np.ones((m, k)), np.ones((m, k)), np.ones((m, k), np.int64)
    touched, rows = _scan.pack_touched(
        cS, cQ, cW, cN, np.zeros(m, np.int64), np.empty(m * k, np.bool_), np.empty(m * k * (dp + 3)),
    )
    assert touched.shape == (0, k) and rows.size == 0
    S, Q, W, N = np.ones(k * dp), np.ones(k), np.ones(k), np.array([1, 0, 2])
    _scan.apply_sparse_record(touched, rows, S, Q, W, N, True)
    assert (S[dp:2 * dp] == 0).all() and Q[1] == 0 and W[1] == 0 and S[0] == 1  # the empty cluster is zeroed


def test_leading_blocks_add_their_moves_then_the_rest_travel_sparse():
    # a pass adds the leading blocks' chunks into the sums where they ran (add_moves, no zeroing
    # yet) and the later chunks' non-zero rows on the client (apply_sparse_record, which zeroes):
    # the bits of memory's apply_moves over all the chunks, for every split point
    from optimeans._kernels.lloyd import apply_moves

    rng = np.random.default_rng(9)
    k, dp, m = 5, 8, 30
    for trial in range(20):
        cS = np.zeros((m, k * dp))
        cQ, cW, cN = np.zeros((m, k)), np.zeros((m, k)), np.zeros((m, k), np.int64)
        for c in range(m):
            for j in rng.choice(k, rng.integers(0, 4), replace=False):
                cS[c, j * dp:(j + 1) * dp] = rng.standard_normal(dp) * 10.0 ** rng.integers(-8, 8)
                cQ[c, j], cW[c, j] = rng.random() * 100, rng.choice([-1.0, 0.0, 2.0])
                cN[c, j] = rng.integers(-2, 3)
        cc = (rng.random(m) < 0.8).astype(np.int64)
        start = [rng.standard_normal(k * dp), rng.random(k) * 50, rng.random(k) * 5, rng.integers(0, 3, k)]
        dense = [a.copy() for a in start]
        apply_moves(cS, cQ, cW, cN, cc, *dense)
        split = int(rng.integers(0, m + 1))
        carry = [a.copy() for a in start]
        _scan.add_moves(cS[:split], cQ[:split], cW[:split], cN[:split], cc[:split], *carry)
        _apply_packed(cS[split:], cQ[split:], cW[split:], cN[split:], cc[split:], *carry)
        for a, b in zip(dense, carry):
            np.testing.assert_array_equal(a, b)
            assert np.array_equal(np.signbit(a), np.signbit(b))


def test_add_moves_leaves_the_zeroing_to_the_last_adder():
    # a cluster empty half-way through the chunks must not be zeroed there (its sums go on)
    k, dp = 2, 8
    S, Q, W, N = np.full(k * dp, 0.5), np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([1, 1])
    cS = np.zeros((1, k * dp))
    cS[0, :dp] = -0.25
    cQ, cW, cN = np.array([[-0.5, 0.0]]), np.array([[-1.0, 0.0]]), np.array([[-1, 0]])
    _scan.add_moves(cS, cQ, cW, cN, np.array([1]), S, Q, W, N)
    assert N[0] == 0 and S[0] == 0.25 and Q[0] == 0.5  # not zeroed: a later chunk may add to it
    # a chunk whose labels did not change adds nothing
    _scan.add_moves(cS, cQ, cW, cN, np.array([0]), S, Q, W, N)
    assert N[0] == 0 and S[0] == 0.25


def test_pack_touched_is_the_numpy_gather():
    rng = np.random.default_rng(11)
    k, dp, nc = 5, 8, 25
    cS = np.zeros((nc, k * dp))
    cQ, cW, cN = np.zeros((nc, k)), np.zeros((nc, k)), np.zeros((nc, k), np.int64)
    for c in range(nc):
        for j in rng.choice(k, rng.integers(0, 4), replace=False):
            which = rng.integers(0, 4)  # a cluster touched through one entry only
            if which == 0:
                cS[c, j * dp + rng.integers(0, dp)] = -0.5
            elif which == 1:
                cQ[c, j] = 1.5
            elif which == 2:
                cW[c, j] = -2.0
            else:
                cN[c, j] = 1
    cS[3, :dp] = -0.0  # a negative zero is no change
    cc = (rng.random(nc) < 0.7).astype(np.int64)
    cc[3] = 1
    idx = np.flatnonzero(cc)
    touched = _touched(cS[idx], cQ[idx], cW[idx], cN[idx])
    want = (touched, cS[idx].reshape(idx.size, k, dp)[touched], cQ[idx][touched], cW[idx][touched], cN[idx][touched])
    # written into reused buffers, left dirty by a denser pass before (every entry touched)
    touched_out = np.ones(nc * k, dtype=np.bool_)
    rows_out = np.full(nc * k * (dp + 3), np.nan)
    for _ in range(2):
        got_touched, rows = _scan.pack_touched(cS, cQ, cW, cN, cc, touched_out, rows_out)
        r = int(touched.sum())
        assert 0 < r < idx.size * k
        assert rows.shape == (r * (dp + 3),) and rows.dtype == np.float64  # one record to send
        assert np.shares_memory(rows, rows_out) and np.shares_memory(got_touched, touched_out)
        rS, rQ, rW, rN = _scan.sums_views(rows, r, dp)
        got = (got_touched, rS.reshape(r, dp), rQ, rW, rN)
        for a, b in zip(want, got):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="too small"):
        _scan.pack_touched(cS, cQ, cW, cN, cc, touched_out[:-1], rows_out)


def test_a_sums_record_keeps_the_counts_bit_for_bit():
    k, dp = 4, 8
    record = _scan.sums_record(k, dp)
    S, Q, W, N = _scan.sums_views(record, k, dp)
    assert (S.size, Q.size, W.size, N.size) == (k * dp, k, k, k) and N.dtype == np.int64
    assert not record.any() and not N.any()
    S[:] = np.arange(k * dp) - 0.5
    Q[:], W[:] = [1.5, -0.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]
    N[:] = [2**62 + 1, -3, 0, 2**53 + 1]  # not exact as floats: kept as the int64 bits
    again = _scan.sums_views(record.copy(), k, dp)
    for a, b in zip((S, Q, W, N), again):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert np.signbit(again[1][1])
    assert again[3][0] == 2**62 + 1 and again[3][3] == 2**53 + 1


def _npy_blocks(tmp_path, n=10_000, d=3, rows=1500):
    X = _rows(n, d, np.float32, seed=3)
    path = tmp_path / "ring.npy"
    np.save(path, X)
    offset = np.load(path, mmap_mode="r").offset
    bounds = [(s, min(n, s + rows)) for s in range(0, n, rows)]

    def read(b):
        start, stop = bounds[b]
        return sources._read_npy(str(path), offset, start, stop, d, "<f4", "<f4"), None

    return X, bounds, read, path, offset


def test_read_ahead_hands_each_block_its_rows_while_the_ring_is_reused(tmp_path):
    import time

    X, bounds, read, _, _ = _npy_blocks(tmp_path)
    nb = len(bounds)
    ahead = readahead.ReadAhead(read, nb, capacity=1500 * 3, ahead=2)
    memory = set()
    try:
        for b in list(range(nb)) * 3:  # three passes: the reader runs on across their ends
            (rows, _w), buf = ahead.take(b)
            start, stop = bounds[b]
            time.sleep(0.002)  # the reader fills the ring meanwhile; it must not touch these rows
            np.testing.assert_array_equal(rows, X[start:stop])
            assert buf.used and np.shares_memory(rows, buf.array)
            memory.add(buf.array.__array_interface__["data"][0])
            ahead.give_back(buf, reuse=True)
    finally:
        ahead.close()
    # the ring's buffers are read into again: as many as the blocks in use and read ahead, not one per read
    assert len(memory) <= 3
    assert not [t for t in threading.enumerate() if t.name == "optimeans-read-ahead"]


def test_read_ahead_gives_kept_rows_away_and_follows_a_jump(tmp_path):
    X, bounds, read, _, _ = _npy_blocks(tmp_path)
    nb = len(bounds)
    ahead = readahead.ReadAhead(read, nb, capacity=1500 * 3, ahead=1)
    kept = []
    try:
        for b in [0, 1, 2, 5, 6, 0, 3, 3, 1]:  # out of the cyclic order: the reader restarts there
            (rows, _w), buf = ahead.take(b)
            kept.append((b, rows))
            ahead.give_back(buf, reuse=False)  # the caller keeps the rows: never read into again
    finally:
        ahead.close()
    for b, rows in kept:
        start, stop = bounds[b]
        np.testing.assert_array_equal(rows, X[start:stop])


def test_read_ahead_reports_a_read_error_to_the_consumer(tmp_path):
    X, bounds, read, path, offset = _npy_blocks(tmp_path)
    with open(path, "r+b") as fh:
        fh.truncate(offset + bounds[2][0] * 12 + 5)  # block 2 is cut short
    ahead = readahead.ReadAhead(read, len(bounds), capacity=1500 * 3)
    try:
        for b in range(2):
            (rows, _w), buf = ahead.take(b)
            np.testing.assert_array_equal(rows, X[bounds[b][0]:bounds[b][1]])
            ahead.give_back(buf, reuse=True)
        with pytest.raises(ValueError, match="ends before row"):
            ahead.take(2)
        (rows, _w), buf = ahead.take(0)  # the reader starts again where asked
        np.testing.assert_array_equal(rows, X[: bounds[0][1]])
        ahead.give_back(buf, reuse=True)
    finally:
        ahead.close()
    assert not [t for t in threading.enumerate() if t.name == "optimeans-read-ahead"]


def test_read_into_fills_the_buffer_once_and_grows_it():
    X = _rows(100, 2, np.float32)
    buf = sources.ReadBuffer(None, capacity=400)
    with sources.read_into(buf):
        a = sources._block_array((100, 2), np.dtype(np.float32))
        b = sources._block_array((100, 2), np.dtype(np.float32))
    assert buf.used and buf.array.size == 400 and np.shares_memory(a, buf.array)
    assert not np.shares_memory(b, buf.array)  # only the first read of the block goes into the buffer
    small = sources.ReadBuffer(np.empty(10, np.float32), capacity=0)
    with sources.read_into(small):
        c = sources._block_array((100, 2), np.dtype(np.float32))
    assert small.array.size == 200 and np.shares_memory(c, small.array)
    c[:] = X
    np.testing.assert_array_equal(small.array.reshape(100, 2), X)


def test_a_pass_writes_the_work_rows_over_scratch_rows_only():
    X = _rows(3000, 5, np.float32, seed=11)
    space = DataTransform(X)
    assert tasks.work_factor(space) is not None
    state = tasks.BlockState(None, None, 0, X.shape[0], space, np.float32, True)
    kmean = np.zeros(8)
    kmean[:5] = X.mean(axis=0)
    kept = X.copy()
    Xw, _, XT, norm = state.pass_rows((kept, None), kmean, 0.5)
    np.testing.assert_array_equal(kept, X)  # a plain block is left alone
    ref = (np.array(Xw, copy=True), np.array(XT, copy=True), np.array(norm, copy=True))
    scratch = X.copy()
    Xw2, _, XT2, norm2 = state.pass_rows(tasks.ScratchRows((scratch, None)), kmean, 0.5)
    assert np.shares_memory(Xw2, scratch)  # written in place, same bits
    for a, b in zip(ref, (Xw2, XT2, norm2)):
        np.testing.assert_array_equal(a, b)


def test_an_out_of_core_fit_leaves_the_callers_array_alone():
    X = _rows(20_000, 4, np.float32, seed=2, loc=50.0, spread=5.0)
    before = X.copy()
    C0 = X[[1, 100, 1000, 10000]]
    with _no_client():
        res = optimeans.fit(da.from_array(X, chunks=(4096, 4)), 4, init=C0, persist=False, tol=0, max_iter=3)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(res.centers, optimeans.fit(X, 4, init=C0, tol=0, max_iter=3).centers)


def test_the_pass_buffers_are_reserved_before_the_first_pass():
    X = _rows(5000, 3, np.float32, seed=4)
    state = tasks.BlockState(None, None, 0, X.shape[0], DataTransform(X), np.float32, True)
    done = {}

    def in_a_thread():
        tasks.reserve_pass_buffers(X.shape[0], 3)
        xt = tasks._thread_buffer("XT", 1, np.dtype(np.float32))
        _, _, XT, _ = state.pass_rows(tasks.ScratchRows((X.copy(), None)), np.zeros(8), 1.0)
        done["same"] = np.shares_memory(XT, xt)  # the pass packs into the reserved buffer

    t = threading.Thread(target=in_a_thread)
    t.start()
    t.join()
    assert done["same"]
