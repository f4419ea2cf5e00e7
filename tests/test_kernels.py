"""The Lloyd kernels against short NumPy references written here."""

import numpy as np
import pytest

from optimeans._kernels import CHUNK, assign_labels, lloyd_pass, sqdist_to_center, update_min_sqdist
from optimeans._kernels import lloyd as K
from optimeans._numba import numba_threads


def ref_sqdist(X, C):
    """Every squared distance, each difference formed in float64."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)


def ref_labels(X, C):
    D = ref_sqdist(X, C)
    return D.argmin(axis=1), D.min(axis=1)  # argmin: first index on ties


SHAPES = [(1, 1, 1), (37, 1, 3), (300, 2, 10), (1000, 3, 1), (517, 8, 16), (4100, 7, 5), (900, 9, 33), (257, 40, 70)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d,k", SHAPES)
def test_assign_labels_matches_reference(n, d, k, dtype):
    rng = np.random.default_rng(n + d + k)
    X = rng.normal(size=(n, d)).astype(dtype)
    C = rng.normal(size=(k, d)).astype(dtype)
    labels = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=dtype)
    assign_labels(X, C, labels, dist)
    ref, ref_d = ref_labels(X, C)
    np.testing.assert_array_equal(labels, ref)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-6 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_ties_go_to_the_first_center(dtype):
    # integer points on a line, centers at half-integers: every interior point is a tie
    X = np.arange(20, dtype=dtype)[:, None]
    C = np.array([[0.5], [2.5], [4.5], [6.5], [1.5], [1.5]], dtype=dtype)
    labels = np.empty(20, dtype=np.int64)
    assign_labels(X, C, labels, np.empty(20, dtype=dtype))
    np.testing.assert_array_equal(labels, ref_labels(X, C)[0])
    # 1 is as close to 0.5 (index 0) as to 1.5 (4); 2 as close to 2.5 (1) as to 1.5 (4)
    assert labels[1] == 0 and labels[2] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset,spread", [(1e6, 1.0), (0.0, 1e-30), (0.0, 1e30), (-3e4, 1e-2)])
def test_far_from_origin_and_extreme_scales(dtype, offset, spread):
    if dtype == np.float32 and (spread < 1e-20 or spread > 1e20):
        pytest.skip("outside float32's range")
    rng = np.random.default_rng(1)
    X = (offset + spread * rng.normal(size=(700, 3))).astype(dtype)
    C = X[rng.choice(700, 9, replace=False)]
    labels = np.empty(700, dtype=np.int64)
    assign_labels(X, C, labels, np.empty(700, dtype=dtype))
    np.testing.assert_array_equal(labels, ref_labels(X, C)[0])


def test_near_ties_are_rechecked_exactly():
    # float32 expansion cannot separate these two centers; the canonical float64 formula can
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 4)).astype(np.float32)
    c = np.array([0.1, -0.2, 0.3, 0.05], dtype=np.float32)
    C = np.stack([c, np.nextafter(c, np.float32(np.inf)), -c]).astype(np.float32)
    labels = np.empty(2000, dtype=np.int64)
    assign_labels(X, C, labels, np.empty(2000, dtype=np.float32))
    np.testing.assert_array_equal(labels, ref_labels(X, C)[0])


def test_far_away_centers_are_never_lost():
    X = np.random.default_rng(3).normal(size=(100, 2))
    for C in (np.array([[1e150, 1e150], [-1e150, 0.0], [1e100, -1e100]]), np.array([[1e150, 0.0], [0.3, 0.3], [-5.0, 1e20]])):
        labels = np.empty(100, dtype=np.int64)
        assign_labels(X, C, labels, np.empty(100))
        np.testing.assert_array_equal(labels, ref_labels(X, C)[0])
        assert len(np.unique(labels)) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lloyd_pass_matches_reference(dtype):
    rng = np.random.default_rng(4)
    n, d, k = 2 * CHUNK + 333, 3, 6
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.uniform(0.5, 2.0, size=n).astype(dtype)
    C = X[:k].copy()
    nc = K.n_chunks(n)
    labels = np.full(n, -1, dtype=np.int64)
    dist = np.empty(n, dtype=dtype)
    sums = np.empty((nc, k, d))
    wts = np.empty((nc, k))
    obj = np.empty(nc)
    changed = np.empty(nc, dtype=np.int64)
    lloyd_pass(X, w, C, labels, dist, sums, wts, obj, changed)
    ref, ref_d = ref_labels(X, C)
    np.testing.assert_array_equal(labels, ref)
    assert changed.sum() == n
    X64, w64 = X.astype(np.float64), w.astype(np.float64)
    for j in range(k):
        m = ref == j
        np.testing.assert_allclose(sums.sum(axis=0)[j], (w64[m, None] * X64[m]).sum(axis=0), rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(wts.sum(axis=0)[j], w64[m].sum(), rtol=1e-12)
    np.testing.assert_allclose(obj.sum(), (w64 * ref_d).sum(), rtol=1e-10)
    lloyd_pass(X, w, C, labels, dist, sums, wts, obj, changed)
    assert changed.sum() == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeding_kernels_match_reference(dtype):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(999, 6)).astype(dtype)
    out = np.empty(999)
    sqdist_to_center(X, X[3], out)
    np.testing.assert_allclose(out, ref_sqdist(X, X[3:4])[:, 0], rtol=1e-12)
    update_min_sqdist(X, X[7], out)
    np.testing.assert_allclose(out, ref_sqdist(X, X[[3, 7]]).min(axis=1), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_workspace_sums_follow_the_labels(dtype):
    """The running sums, updated only by the points that move, equal fresh sums after several passes."""
    rng = np.random.default_rng(6)
    n, d, k = 3 * CHUNK + 17, 5, 7
    X = (rng.normal(size=(n, d)) + 3.0).astype(dtype)
    w = rng.uniform(0.1, 3.0, size=n)
    C = X[rng.choice(n, k, replace=False)].copy()
    ws = K.Workspace(X, k, w)
    mean = X.astype(np.float64).mean(axis=0)
    for _ in range(4):
        ws.set_centers(C)
        ws.assign()
        labels = ws.labels
        np.testing.assert_array_equal(labels, ref_labels(X, C)[0])
        dev = X.astype(np.float64) - mean
        W = np.bincount(labels, weights=w, minlength=k)
        np.testing.assert_allclose(ws.W, W, rtol=1e-12)
        np.testing.assert_array_equal(ws.N, np.bincount(labels, minlength=k))
        S = np.stack([(w[labels == j, None] * dev[labels == j]).sum(axis=0) for j in range(k)])
        np.testing.assert_allclose(ws.S.reshape(k, -1)[:, :d], S, rtol=1e-9, atol=1e-9)
        obj = (w * ((X.astype(np.float64) - C.astype(np.float64)[labels]) ** 2).sum(axis=1)).sum()
        assert ws.objective() == pytest.approx(obj, rel=1e-11)
        ws.update_centers(C)
        np.testing.assert_allclose(C, (mean + S / W[:, None]).astype(dtype), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_and_two_threads_bitwise_equal(dtype):
    rng = np.random.default_rng(7)
    n, d, k = 5 * CHUNK + 5, 4, 9
    X = rng.normal(size=(n, d)).astype(dtype)
    w = rng.uniform(0.5, 1.5, size=n)
    C = X[:k].copy()
    out = []
    for threads in (1, 2):
        with numba_threads(threads):
            ws = K.Workspace(X, k, w)
            centers = C.copy()
            for _ in range(3):
                ws.set_centers(centers)
                ws.assign()
                obj = ws.objective()
                ws.update_centers(centers)
            out.append((ws.labels.copy(), ws.S.copy(), ws.W.copy(), obj, centers))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_prefetch_rule_scales_with_row_bytes_and_threads():
    """The share of moved points from which the rows are prefetched: row_bytes * (2 t - 1) / 16000."""
    n = 1_000_000
    pays = K.prefetch_pays
    # 64-byte rows (16 float32), 2 threads, moves not growing: 1.2 %
    assert not pays(12_000, 20_000, n, 64, 2)
    assert pays(12_001, 20_000, n, 64, 2)
    # the old rule (0.1 %) prefetched at 0.3-0.5 %, where a pass took 7.3 ms against 5.9 without
    assert not pays(5_000, 6_000, n, 64, 2)
    # one thread streams alone: 0.4 %; 32-byte rows on 2 threads: 0.6 %
    assert pays(4_001, 9_000, n, 64, 1) and not pays(4_000, 9_000, n, 64, 1)
    assert pays(6_001, 9_000, n, 32, 2) and not pays(6_000, 9_000, n, 32, 2)
    # no thread count below 1, at most 8 counted (6 %), and never more than 25 % needed
    assert pays(4_001, 9_000, n, 64, 0)
    assert pays(60_001, 90_000, n, 64, 64) and not pays(60_000, 90_000, n, 64, 64)
    assert pays(250_001, n, n, 4096, 8) and not pays(250_000, n, n, 4096, 8)
    # every point moving (the first pass) always pays
    assert pays(n, n, n, 4096, 8)
    # growing moves are expected to grow again: 0.8 % after 0.48 % (then 2.7 % came, at 2M x 16)
    assert pays(8_000, 4_800, n, 64, 2) and not pays(8_000, 8_000, n, 64, 2)
    assert not pays(8_000, 0, n, 64, 2)  # nothing to extrapolate from


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_workspace_prefetch_follows_the_moves_and_changes_no_bit(dtype):
    """Prefetched or not, a pass gives the same labels and sums; the next pass prefetches by the rule."""
    rng = np.random.default_rng(11)
    n, d, k = 4 * CHUNK + 3, 16, 8
    X = (rng.normal(size=(n, d)) + rng.integers(0, 4, size=(n, 1)) * 3.0).astype(dtype)
    C = X[:k].copy()
    with numba_threads(2):
        ws = K.Workspace(X, k)
        assert ws.prefetch_rows  # the first pass moves every point
        for _ in range(4):
            ws.set_centers(C)
            before = (ws.labels.copy(), ws.S.copy(), ws.Q.copy(), ws.W.copy(), ws.N.copy())
            moved = ws.moved
            results = []
            for prefetch in (True, False):
                ws.labels[:], ws.S[:], ws.Q[:], ws.W[:], ws.N[:] = before
                ws.prefetch_rows, ws.moved = prefetch, moved
                changed = ws.assign()
                results.append((changed, ws.labels.copy(), ws.S.copy(), ws.Q.copy(), ws.W.copy(), ws.N.copy()))
            for a, b in zip(*results):
                np.testing.assert_array_equal(a, b)
            assert ws.prefetch_rows == K.prefetch_pays(changed, moved, n, d * X.itemsize, 2)
            assert ws.moved == changed
            ws.update_centers(C)
        # 1 % of the points moving: prefetched by the old rule (more than 0.1 %), not by this one
        # (1.2 % for these 64-byte float32 rows on 2 threads, 2.4 % for float64)
        ws.set_centers(C)
        ws.assign()
        m = n // 100
        for _ in range(2):  # the second time the moves did not grow
            idx = rng.choice(n, m, replace=False)
            ws.labels[idx] = (ws.labels[idx] + 1) % k
            assert ws.assign() == m
        assert m * 1000 > n and not ws.prefetch_rows


def test_kernels_do_not_mutate_inputs():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(500, 3))
    C = X[:4].copy()
    X0, C0 = X.copy(), C.copy()
    assign_labels(X, C, np.empty(500, dtype=np.int64), np.empty(500))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(C, C0)
