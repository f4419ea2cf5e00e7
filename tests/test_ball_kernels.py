"""Kernels of the anchored ball (:mod:`optimeans._kernels.ball`) against plain references.

The pass-level guarantees (Lloyd's labels and centers bit for bit) are in test_large_k_ball.py
and test_large_k16.py; these check the pieces whose slips a whole pass could hide (a wrong
center distance only widens or narrows a ball, which blob data may not notice).
"""

import numpy as np
import pytest

from optimeans._kernels import ball as B
from optimeans._kernels._simd import vfill, vfma, vlanes, vload, vstore, vsub
from optimeans._numba import njit


@njit
def _one_anchor(CT, kq, d, a, out):
    # the distances of one anchor as the pass computed them before the tiles (one FMA chain)
    L = vlanes(CT)
    for g in range(kq // L):
        acc = vfill(CT, 0.0)
        for f in range(d):
            t = vsub(vload(CT, f * kq + g * L), vfill(CT, CT[f * kq + a]))
            acc = vfma(t, t, acc)
        vstore(out, g * L, acc)


@pytest.mark.parametrize("d,k", [(3, 40), (64, 100), (17, 33)])
def test_center_tile_has_the_bits_of_one_anchor_at_a_time(d, k):
    rng = np.random.default_rng(d * k)
    kq = (k + 15) // 16 * 16 + 16
    CT = rng.normal(size=d * kq).astype(np.float32)
    Dt = np.full(B.TILE * kq, np.nan, dtype=np.float32)
    ref = np.empty(kq, dtype=np.float32)
    for a0 in (0, 5, k - 3):
        for cnt in (1, 3, B.TILE):
            cnt = min(cnt, k - a0)
            B.center_tile(CT, kq, d, a0, cnt, Dt)
            for r in range(B.TILE):
                _one_anchor(CT, kq, d, a0 + min(r, cnt - 1), ref)  # rows past cnt repeat the last anchor
                np.testing.assert_array_equal(Dt[r * kq : (r + 1) * kq].view(np.int32), ref.view(np.int32))
    # and the values are the squared distances (not, say, of a neighbouring anchor)
    C = CT.reshape(d, kq).T.astype(np.float64)
    B.center_tile(CT, kq, d, 2, B.TILE, Dt)
    exact = ((C[2 : 2 + B.TILE, None, :] - C[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(Dt.reshape(B.TILE, kq), exact, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_moves_split_by_cluster_have_the_serial_bits(weighted):
    from optimeans._numba import numba_threads

    rng = np.random.default_rng(5 + weighted)
    n, d, k = 9000, 19, 300  # several chunks, several cluster ranges (k // SPLIT_MIN_CLUSTERS parts)
    assert k >= 2 * B.SPLIT_MIN_CLUSTERS and n > 2 * B.CHUNK
    X = (rng.normal(size=(n, d)) * 10.0 ** rng.integers(-3, 4, size=(n, 1))).astype(np.float32)
    w = rng.uniform(0.1, 3.0, size=n) if weighted else np.empty(0)
    ws = B.BallWorkspace(X, k, None)
    dp = ws.dp
    first = np.full(n, -1, dtype=np.int64)
    lab1 = rng.integers(k - 7, size=n)  # the last 7 clusters start empty
    lab2 = np.where(rng.random(n) < 0.3, rng.integers(k, size=n), lab1)
    lab2[lab2 == 3] = 4  # cluster 3 ends empty: its sums are zeroed
    out = []
    split = B.apply_label_moves_split
    for fn, threads, extra in ((B.apply_label_moves, 1, ()), (split, 1, (1,)), (split, 2, (2,)), (split, 2, (64,))):
        labels = first.copy()
        S, Q, W, N = np.zeros(k * dp), np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64)
        scratch = (np.zeros(k * dp), np.zeros(k), np.zeros(k), np.zeros(k, dtype=np.int64),
                   np.zeros(k, dtype=np.int64), np.empty(k, dtype=np.int64))
        with numba_threads(threads):
            moved = [fn(X, w, labels, new.astype(np.int64), ws.mean, S, Q, W, N, *scratch, True, *extra) for new in (lab1, lab2)]
        assert moved[0] == n and moved[1] == int((lab1 != lab2).sum())
        np.testing.assert_array_equal(labels, lab2)
        out.append((S, Q, W, N))
    assert out[0][3][3] == 0 and (out[0][0][3 * dp : 4 * dp] == 0).all()
    for other in out[1:]:
        for a, b in zip(out[0], other):
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))
