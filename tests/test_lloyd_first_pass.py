"""The first pass of the Lloyd kernel (rows with no label yet) gives the bits of the moves.

A chunk whose rows all have the label -1 takes a path of its own
(:func:`optimeans._kernels.lloyd._first_chunk`): the chunk is labelled first,
then its rows are added to the chunk's sums in row order. Its result must be
what moving every row from "no cluster" to its cluster one by one with
:func:`~optimeans._kernels.lloyd.move_point` gives, bit for bit: the
reference below does exactly that, chunk by chunk, in row order.
"""

import numpy as np
import pytest
from numba import njit

from optimeans._kernels import CHUNK
from optimeans._kernels import lloyd as K
from optimeans._kernels._simd import lanes, vadd_sqdev_rows, vfill, vget, vlanes, vload
from optimeans._numba import numba_threads


@njit
def moved_sums(X, w, labels, old, mean, k, dp, order):
    """Per-chunk sums of moving each row ``i`` from ``old[i]`` to ``labels[i]`` (rows whose label changed),
    in row order (``order`` 0), in reverse row order (1) or reversed within each group of eight rows (2):
    the last two show that the order of the additions shows in the bits."""
    n = X.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    cS = np.zeros((nc, k * dp))
    cQ = np.zeros((nc, k))
    cW = np.zeros((nc, k))
    cN = np.zeros((nc, k), dtype=np.int64)
    for c in range(nc):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        for t in range(hi - lo):
            if order == 1:
                i = hi - 1 - t
            elif order == 2 and lo + (t // 8) * 8 + 8 <= hi:
                i = lo + (t // 8) * 8 + 7 - t % 8
            else:
                i = lo + t
            if old[i] != labels[i]:
                K.move_point(X, w, i, old[i], labels[i], mean, cS[c], cQ[c], cW[c], cN[c])
    return cS, cQ, cW, cN


def ref_labels(X, C):
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def tied_data(n, d, k, dtype, seed):
    """Small integers (exact distance ties between centers), a duplicated center (always empty), a far
    center (empty), and values of mixed magnitude so that the order of the additions shows in the bits."""
    rng = np.random.default_rng(seed)
    C = rng.integers(-3, 4, size=(k, d)).astype(np.float64)
    C[1] = C[0]  # a tie everywhere: the first index wins, cluster 1 stays empty
    C[2] = 1e3  # nobody's nearest: empty
    X = rng.integers(-3, 4, size=(n, d)).astype(np.float64)
    noisy = rng.random(n) < 0.5
    X[noisy] += rng.normal(size=(int(noisy.sum()), d)) * 10.0 ** rng.uniform(-6, 1, size=(int(noisy.sum()), 1))
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(C, dtype=dtype)


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def assert_same_bits(a, b):
    np.testing.assert_array_equal(bits(a), bits(b))


# (n_features, n_clusters): scan modes 0 (with the k % 4 tail), 1 and 2; the BLAS kernel
CASES = [(3, 10), (8, 16), (17, 16)]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d,k", CASES)
def test_first_pass_gives_the_bits_of_the_moves(d, k, dtype, weighted, threads):
    n = 2 * CHUNK + 37  # a partial chunk, a partial block, rows past the last group of 8
    X, C = tied_data(n, d, k, dtype, seed=d * 100 + k)
    rng = np.random.default_rng(3)
    w = rng.uniform(0.1, 7.0, size=n) if weighted else None
    with numba_threads(threads):
        ws = K.Workspace(X, k, w)
        ws.set_centers(C)
        changed = ws.assign()
    labels = ws.labels.copy()
    assert changed == n
    np.testing.assert_array_equal(labels, ref_labels(X, C))
    counts = np.bincount(labels, minlength=k)
    assert counts[1] == 0 and counts[2] == 0  # empty clusters
    # exact ties occurred (a point at the same distance from two distinct centers)
    D = ((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]) ** 2).sum(axis=2)
    D[:, 1] = np.inf
    Ds = np.sort(D, axis=1)
    assert (Ds[:, 0] == Ds[:, 1]).any()

    wk = ws.w
    cS, cQ, cW, cN = moved_sums(X, wk, labels, np.full(n, -1), ws.mean, k, ws.dp, 0)
    for got, ref in zip((ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N), (cS, cQ, cW, cN)):
        assert_same_bits(got, ref)
    # the running sums: the chunks' changes added in chunk order, empty clusters zeroed
    S, Q, W, N = np.zeros(k * ws.dp), np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64)
    K.apply_moves(cS, cQ, cW, cN, np.full(cS.shape[0], 1, dtype=np.int64), S, Q, W, N)
    for got, ref in zip((ws.S, ws.Q, ws.W, ws.N), (S, Q, W, N)):
        assert_same_bits(got, ref)
    assert ws.objective() == K.objective_from_sums(S, Q, W, N, ws.C64, ws.mean)
    centers = C.copy()
    ws.update_centers(centers)
    ref_centers = C.copy()
    K.update_centers(S, W, N, ws.mean, ref_centers)
    assert_same_bits(centers, ref_centers)

    # the data make the order of the additions visible: rows added in reverse order give other bits,
    # so a first pass that added them out of order (or mixed up chunks) would fail above
    for order in (1, 2):  # reversed, and reversed within each group of eight rows (one SIMD group)
        rS, rQ, rW, _ = moved_sums(X, wk, labels, np.full(n, -1), ws.mean, k, ws.dp, order)
        assert not (np.array_equal(bits(rS), bits(cS)) and np.array_equal(bits(rQ), bits(cQ)))
        if weighted:
            assert not np.array_equal(bits(rW), bits(cW))
    if not weighted:  # unit weights: the weight of a cluster is its count, exactly
        np.testing.assert_array_equal(ws.chunk_W, ws.chunk_N.astype(np.float64))

    # a second pass at moved centers takes the move path and keeps the sums right
    ws.set_centers(centers)
    with numba_threads(threads):
        ws.assign()
    np.testing.assert_array_equal(ws.labels, ref_labels(X, centers))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_and_two_threads_give_the_same_first_pass(dtype):
    n, d, k = 3 * CHUNK + 11, 5, 7
    X, C = tied_data(n, d, k, dtype, seed=11)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=n)
    out = []
    for threads in (1, 2):
        with numba_threads(threads):
            ws = K.Workspace(X, k, w)
            ws.set_centers(C)
            ws.assign()
        out.append((ws.labels.copy(), ws.chunk_S.copy(), ws.chunk_Q.copy(), ws.S.copy(), ws.Q.copy(), ws.W.copy()))
    for a, b in zip(*out):
        assert_same_bits(a, b)


@pytest.mark.parametrize("where", ["first_row", "last_row", "middle"])
def test_a_chunk_with_one_assigned_row_takes_the_move_path(where):
    """Only chunks whose every label is -1 are first-pass chunks: one row already assigned (to a wrong
    cluster) must be moved out of it, which the first-pass path would not do."""
    n, d, k = 2 * CHUNK + 5, 4, 6
    X, C = tied_data(n, d, k, np.float64, seed=5)
    ws = K.Workspace(X, k)
    ws.set_centers(C)
    truth = ref_labels(X, C)
    i = {"first_row": CHUNK, "last_row": 2 * CHUNK - 1, "middle": CHUNK + 1000}[where]
    wrong = (truth[i] + 3) % k
    ws.labels[i] = wrong
    old = ws.labels.copy()
    changed = ws.assign(do_sums=True)
    assert changed == n
    np.testing.assert_array_equal(ws.labels, truth)
    cS, cQ, cW, cN = moved_sums(X, ws.w, ws.labels, old, ws.mean, k, ws.dp, 0)
    for got, ref in zip((ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N), (cS, cQ, cW, cN)):
        assert_same_bits(got, ref)
    # the moved row was subtracted from the wrong cluster: that chunk's count of it is -1 + its arrivals
    assert cN[1, wrong] == np.count_nonzero(truth[CHUNK:2 * CHUNK] == wrong) - 1


def test_unassigned_detects_any_assigned_row():
    labels = np.full(3 * 16 + 5, -1, dtype=np.int64)
    like = np.empty(1, dtype=np.float32)
    check = njit(lambda lab, s, e, lk: K.unassigned(lab, s, e, lk))
    assert check(labels, 0, labels.size, like)
    for i in range(labels.size):
        labels[i] = 0
        assert not check(labels, 0, labels.size, like)
        labels[i] = -1


def test_first_pass_of_the_blas_kernel():
    """The matrix-product kernel (many centers, many features) has the same first-pass path."""
    n, d, k = CHUNK + 300, 64, 520
    assert K.lloyd_kernel_of(K.padded_clusters(k), d) is K._lloyd_chunks_gemm
    rng = np.random.default_rng(9)
    X = rng.normal(size=(n, d)).astype(np.float32)
    C = X[rng.choice(n, k, replace=False)].copy()
    w = rng.uniform(0.5, 2.0, size=n)
    ws = K.Workspace(X, k, w)
    ws.set_centers(C)
    assert ws.assign() == n
    np.testing.assert_array_equal(ws.labels, ref_labels(X, C))
    cS, cQ, cW, cN = moved_sums(X, ws.w, ws.labels, np.full(n, -1), ws.mean, k, ws.dp, 0)
    for got, ref in zip((ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N), (cS, cQ, cW, cN)):
        assert_same_bits(got, ref)


@njit
def _sqdev_by_rows(X, mean, out, reverse_features):
    """``out[i] = sum_f (float64(X[i, f]) - mean[f])^2``, left to right (or right to left), per row."""
    n, d = X.shape
    for i in range(n):
        q = 0.0
        for t in range(d):
            f = d - 1 - t if reverse_features else t
            v = np.float64(X[i, f]) - mean[f]
            q += v * v
        out[i] = q


@njit
def _sqdev_by_groups(X, mean, out):
    """The same sums from :func:`vadd_sqdev_rows`, ``lanes(float64)`` rows at once."""
    n, d = X.shape
    L8 = vlanes(mean)
    for i in range(0, n - n % L8, L8):
        q = vfill(mean, 0.0)
        for f0 in range(0, d, L8):
            q = vadd_sqdev_rows(X, i * d + f0, d, min(L8, d - f0), vload(mean, f0), q)
        for h in range(L8):
            out[i + h] = vget(q, h)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 3, 8, 13, 16, 17])
def test_vadd_sqdev_rows_adds_in_the_order_of_the_scalar_loop(d, dtype):
    """Each lane of the transposed sums is its row's scalar chain, bit for bit; the data (entries spanning
    sixteen decades, in random order) make a different order of the features show in the bits."""
    L8 = lanes(np.float64)
    n = 40 * L8
    rng = np.random.default_rng(d)
    X = (rng.normal(size=(n, d)) * 10.0 ** rng.uniform(-8, 8, size=(n, d))).astype(dtype)
    mean = np.zeros(K.padded_features(d) + L8)
    mean[:d] = rng.normal(size=d)
    ref = np.empty(n)
    _sqdev_by_rows(X, mean, ref, False)
    got = np.full(n, np.nan)
    _sqdev_by_groups(X, mean, got)
    assert_same_bits(got, ref)
    if d >= 3:
        rev = np.empty(n)
        _sqdev_by_rows(X, mean, rev, True)
        assert not np.array_equal(bits(rev), bits(ref))  # the order of the features shows
        # and a lane mix-up would show: the rows differ
        assert np.unique(ref).size == n


# ---------------------------------------------------------------- the rows scanned without a packed copy


@njit
def _pack_by_tiles(X, mean, scale, XT, norms):
    """:func:`optimeans._kernels.lloyd.pack_tile` over every pair of blocks, laid out as ``pack_data`` lays them."""
    n, d = X.shape
    L = K.BLOCK
    tile = np.empty(2 * d * L, dtype=np.float32)
    nb = (n + L - 1) // L
    for b in range(0, nb, 2):
        n_blocks = 2 if b + 1 < nb else 1
        na, nb2 = K.pack_tile(X, b, n_blocks, n, mean, scale, tile)
        norms[b] = na
        if n_blocks == 2:
            norms[b + 1] = nb2
        for t in range(n_blocks * d * L):
            XT[b * d * L + t] = tile[t]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 3, 16, 17, 33])
def test_pack_tile_gives_the_bits_of_pack_data(d, dtype):
    """The tile (centred, scaled, rounded, transposed in registers) and the block norms are
    :func:`pack_data`'s, bit for bit, rows past the end included; rows far from the origin make
    a rounding in another order (the subtraction in float32) show in the bits."""
    L = K.BLOCK
    n = 5 * L + 7  # a partial last block, an odd number of blocks
    rng = np.random.default_rng(d)
    X = (rng.normal(size=(n, d)) * 3.0 + rng.uniform(-1e4, 1e4, size=d)).astype(dtype)
    mean = np.zeros(K.padded_features(d))
    mean[:d] = X.mean(axis=0, dtype=np.float64)
    scale = K.data_scale(X, mean[:d])
    nb = (n + L - 1) // L
    XT, norms = np.empty(nb * d * L, np.float32), np.empty(nb)
    K.pack_data(X, mean[:d], scale, XT, norms, np.empty(n))
    got, got_norms = np.full(nb * d * L, np.nan, np.float32), np.full(nb, np.nan)
    _pack_by_tiles(X, mean, scale, got, got_norms)
    assert_same_bits(got, XT)
    assert_same_bits(got_norms, norms)
    assert (XT.reshape(nb, d, L)[-1, :, n % L:] == 0).all()
    if dtype == np.float32:
        single = ((X - mean[:d].astype(np.float32)) * np.float32(scale)).astype(np.float32)
        assert not np.array_equal(single.reshape(-1), np.asarray(XT.reshape(nb, d, L).transpose(0, 2, 1).reshape(-1, d)[:n]).reshape(-1))


# (n_features, n_clusters): the four register-blocked scans (mode 0 with its k % 4 tail, 1, 2, 2 skipping groups)
ROW_CASES = [(3, 10), (8, 16), (17, 16), (16, 256)]


def _rows_pass(X, ws, to_work, offset, factor, threads):
    with numba_threads(threads):
        K.lloyd_rows(
            X, ws.w, offset, factor, to_work, ws.C2, ws.cn, ws.C64, ws.k, ws.cmax, ws.kappa, ws.mean, ws.scale,
            ws.labels, ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, True, np.empty(0),
        )
    return K.add_moves(ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, ws.S, ws.Q, ws.W, ws.N)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d,k", ROW_CASES)
def test_lloyd_rows_gives_the_bits_of_the_packed_kernel(d, k, dtype, weighted, threads):
    """:func:`lloyd_rows` on the raw rows (put in the work space in place) gives, pass after pass, the labels,
    the per-chunk sums and the changes of :func:`lloyd_chunks` on the packed work rows, bit for bit, and its
    first pass the moves' sums in row order (which another order of the rows would not give)."""
    if dtype == np.float64 and k == 256:
        pytest.skip("one dtype is enough for the group-skipping scan")
    n = 2 * CHUNK + 37
    raw, C = tied_data(n, d, k, dtype, seed=d * 100 + k + 1)
    if k == 256:
        C = np.ascontiguousarray(raw[np.random.default_rng(2).choice(n, k, replace=False)])
    # the work transform (x - offset) * 2**-1 (the rows of small integers, and so their ties, stay exact)
    offset = np.random.default_rng(1).integers(-50, 50, size=d).astype(np.float64)
    Xw = np.ascontiguousarray((raw.astype(np.float64) - offset) * 0.5, dtype=dtype)
    C = np.ascontiguousarray((C.astype(np.float64) - offset) * 0.5, dtype=dtype)
    w = np.random.default_rng(3).uniform(0.1, 7.0, size=n) if weighted else None
    assert K.scans_rows(K.padded_clusters(k), d)
    ref = K.Workspace(Xw, k, w)
    got = K.Workspace(Xw, k, w)
    Cr, Cg = C.copy(), C.copy()
    for step in range(3):
        ref.set_centers(Cr)
        got.set_centers(Cg)
        with numba_threads(threads):
            ch_ref = ref.assign()
        X = raw.copy() if step != 1 else Xw.copy()  # raw rows transformed in place, or work rows as they are
        ch_got = _rows_pass(X, got, step != 1, offset, 0.5, threads)
        np.testing.assert_array_equal(X, Xw)  # the rows after the pass are the work rows
        assert ch_got == ch_ref
        for a, b in ((got.labels, ref.labels), (got.chunk_changed, ref.chunk_changed), (got.S, ref.S),
                     (got.Q, ref.Q), (got.W, ref.W), (got.N, ref.N)):
            assert_same_bits(a, b)
        for c in np.flatnonzero(ref.chunk_changed):  # a chunk's sums are written when its labels changed
            for a, b in ((got.chunk_S, ref.chunk_S), (got.chunk_Q, ref.chunk_Q), (got.chunk_W, ref.chunk_W),
                         (got.chunk_N, ref.chunk_N)):
                assert_same_bits(a[c], b[c])
        if step == 0:
            assert ch_got == n
            np.testing.assert_array_equal(got.labels, ref_labels(Xw, C))
            cS, cQ, _, _ = moved_sums(Xw, got.w, got.labels, np.full(n, -1), got.mean, k, got.dp, 0)
            assert_same_bits(got.chunk_S, cS)
            assert_same_bits(got.chunk_Q, cQ)
            rS, rQ, _, _ = moved_sums(Xw, got.w, got.labels, np.full(n, -1), got.mean, k, got.dp, 2)
            assert not (np.array_equal(bits(rS), bits(cS)) and np.array_equal(bits(rQ), bits(cQ)))
        ref.update_centers(Cr)
        got.update_centers(Cg)
        assert_same_bits(Cg, Cr)
