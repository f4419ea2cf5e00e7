"""The block's objective on the original rows, computed piece by piece, equals the whole-block expression."""

from __future__ import annotations

import numpy as np
import pytest

from optimeans.distributed import tasks


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 200, 1000])
def test_pieces_give_the_whole_blocks_bits(monkeypatch, dtype, n):
    rng = np.random.default_rng(n)
    d, k, exp = 5, 4, 7
    X = (rng.standard_normal((n, d)) * 3).astype(dtype)
    C = rng.standard_normal((k, d))
    labels = rng.integers(0, k, n)
    Cs = np.ldexp(C, exp)
    diff = np.ldexp(X.astype(np.float64), exp) - Cs[labels]
    whole = np.einsum("ij,ij->i", diff, diff)
    monkeypatch.setattr(tasks, "SCALED_ROWS", 64)  # several pieces, the last one short
    got = tasks.scaled_point_objective(X, C, labels, exp)
    np.testing.assert_array_equal(got, whole)
    w = rng.random(n)
    assert float(np.dot(w, got)) == float(np.dot(w, whole))
