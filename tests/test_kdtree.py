"""The k-d tree method's own machinery: spatial order, median selection, sums in row order.

:func:`optimeans._kernels.accelerated.kdtree_chunks` searches the points in
Morton order (bounds and labels by position) and :func:`kdtree_moves` moves the
changed rows in row order; the tree's nodes are cut at medians found by
selection. These tests use several chunks (n > CHUNK, so two threads really
share the work), integer grids full of ties, weights (a row mapped to the wrong
position changes the sums) and centers with many equal coordinates (the hard
case of a selection).
"""

import numpy as np
import pytest

from optimeans._kernels import accelerated as K
from optimeans._kernels.lloyd import CHUNK
from optimeans.solvers import accelerated, lloyd


def assert_same_run(a, b):
    assert (a.n_iter, a.stop_reason) == (b.n_iter, b.stop_reason)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


def grid_ties(n, k, seed, dtype):
    """Integer points on a small grid (ties everywhere), duplicate centers, rows in random order."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 30, size=(n, 2)).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    C0[1::5] = C0[0::5][: C0[1::5].shape[0]]  # duplicate centers: equal distances by construction
    return np.ascontiguousarray(X), np.ascontiguousarray(C0)


def test_spatial_order_is_a_permutation_with_local_runs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 2)).astype(np.float32)
    X[::7, 1] = 3.0  # a constant run in one coordinate
    order = np.empty(20000, dtype=np.int64)
    K.spatial_order(X, order)
    np.testing.assert_array_equal(np.sort(order), np.arange(20000))
    step = np.linalg.norm(np.diff(X[order], axis=0), axis=1).mean()
    assert step < 0.25 * np.linalg.norm(np.diff(X, axis=0), axis=1).mean()  # neighbours in order are near
    one = np.zeros((5, 1))  # every row at one point: any order, no division by a zero span
    K.spatial_order(one, order[:5])
    np.testing.assert_array_equal(np.sort(order[:5]), np.arange(5))


@pytest.mark.parametrize("seed", [0, 1])
def test_tree_build_splits_at_medians_with_equal_coordinates(seed):
    rng = np.random.default_rng(seed)
    k, leaf = 300, 3
    C = np.zeros((k, 8))
    C[:, 0] = rng.integers(0, 4, size=k)  # few distinct values: ties at every median
    C[:, 1] = rng.integers(0, 60, size=k)
    C[::3, 1] = 7.0
    m = 2 * k + 1
    perm, leaf_of = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64)
    Cs = np.empty((k, 8))
    lo, hi, rlo, rhi = (np.empty((m, 2)) for _ in range(4))
    split_dim, split_val = np.zeros(m, dtype=np.int64), np.zeros(m)
    child, parent, start, end = (np.empty(m, dtype=np.int64) for _ in range(4))
    nodes = K.build_center_tree(C, k, 2, leaf, perm, Cs, lo, hi, rlo, rhi, split_dim, split_val, child, parent, start, end, leaf_of)
    np.testing.assert_array_equal(np.sort(perm), np.arange(k))
    np.testing.assert_array_equal(Cs, C[perm])
    for node in range(nodes):
        rows = C[perm[start[node] : end[node]], :2]
        np.testing.assert_array_equal(lo[node], rows.min(axis=0))
        np.testing.assert_array_equal(hi[node], rows.max(axis=0))
        assert (rows >= rlo[node]).all() and (rows <= rhi[node]).all()
        if child[node] < 0:
            assert (leaf_of[perm[start[node] : end[node]]] == node).all()
            continue
        left, right = child[node], child[node] + 1
        mid = (start[node] + end[node]) // 2
        assert (start[left], end[left], start[right], end[right]) == (start[node], mid, mid, end[node])
        f, cut = split_dim[node], split_val[node]
        assert (C[perm[start[left] : end[left]], f] <= cut).all()
        assert (C[perm[start[right] : end[right]], f] >= cut).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kdtree_several_chunks_weights_and_ties_equal_lloyd(dtype):
    n, k = 3 * CHUNK + 123, 300
    X, C0 = grid_ties(n, k, seed=3, dtype=dtype)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=n)
    w[::11] = 0.0  # zero weights too
    ref = lloyd.run(X, w, C0, max_iter=12, tol=0.0, n_threads=1)
    for threads in (1, 2):
        for leaf in (1, 8):
            res = accelerated.run_kdtree(X, w, C0, max_iter=12, tol=0.0, n_threads=threads, leaf_size=leaf)
            assert_same_run(res, ref)
