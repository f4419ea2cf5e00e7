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
