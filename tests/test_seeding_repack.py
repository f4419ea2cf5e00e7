"""Greedy k-means++ with the packed blocks re-packed by nearest chosen center.

After a re-pack, packed position ``p`` holds row ``perm[p]``: the scan, the
pruning and the moves work in packed order, the sampling and the exact gains in
row order. A wrong map (a row's ``D`` written to another row, a limit or a block
norm left from the old packing, the exact gains summed out of row order) changes
the choices or the bits of ``D``; these tests force re-packs after many steps and
compare with the kernel that never re-packs and with the NumPy reference.
"""

import math

import numpy as np
import pytest

from optimeans._kernels.lloyd import guard_kappa
from optimeans._kernels.seeding import PRUNE_MIN_D, PRUNE_Q, greedy_kmeanspp
from optimeans._numba import numba_threads
from optimeans.seeding import kmeans_plusplus, pack_for_seeding

from test_seeding_fast import canonical_dist, reference_kmeanspp


#: two threads really run two threads here (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("seeding_on_all_threads")


def _seed(X, k, w, seed, repack_first, repack_share=0.0, threads=1):
    # (all arguments given, as by kmeans_plusplus: one compiled specialization of the kernel)
    """The kernel as :func:`kmeans_plusplus` calls it, with pruning: (indices, potential, stats)."""
    rng = np.random.default_rng(seed)
    m = 2 + int(math.log(k))
    first_r = float(rng.random())
    uniforms = rng.random((k - 1) * m).reshape(k - 1, m)
    idx = np.empty(k, dtype=np.int64)
    stats = np.zeros(4, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    with numba_threads(threads):
        XT, block_norm, sqnorm, mean, scale = pack_for_seeding(X)
        pot = greedy_kmeanspp(X, w, XT, block_norm, sqnorm, scale, guard_kappa(X.shape[1]), mean, first_r,
                              uniforms, idx, stats, PRUNE_Q, repack_first, repack_share)
    return idx, pot, stats


def _shuffled_blobs(n, d, n_centers, seed, dtype):
    """Separated blobs in random row order: the re-pack gathers each center's rows."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=10.0, size=(n_centers, d))
    return (means[rng.integers(n_centers, size=n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_repack_every_step_changes_no_bit(dtype):
    # a re-pack after every step from the first (share 0): every step scans a new packing
    X = _shuffled_blobs(5000, 24, 12, 0, dtype)
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 2.0, len(X))
    w[::11] = 0.0
    k = 30
    for seed in range(2):
        idx0, pot0, st0 = _seed(X, k, w, seed, 0)
        idx1, pot1, st1 = _seed(X, k, w, seed, 1)
        idx2, pot2, st2 = _seed(X, k, w, seed, 1, threads=2)
        assert st0[3] == 0
        assert st1[3] == k - 2 and st2[3] == k - 2  # after steps 1 .. k - 2
        assert st1[2] > st0[2]  # the re-packed blocks are pruned more
        np.testing.assert_array_equal(idx1, idx0)
        np.testing.assert_array_equal(idx2, idx0)
        assert pot1 == pot0 and pot2 == pot0  # every D the same bits
        np.testing.assert_array_equal(idx1, reference_kmeanspp(X, k, w, np.random.default_rng(seed),
                                                               canonical_dist))


def test_repack_with_exact_gains_and_ties():
    # integer data with many equal rows: steps whose bounds do not decide sum exact gains from the
    # recorded pairs scattered back to row order; weights zero on some rows
    rng = np.random.default_rng(3)
    X = np.repeat(rng.integers(0, 4, size=(150, PRUNE_MIN_D)), 20, axis=0).astype(np.float64)
    X = X[rng.permutation(len(X))]
    w = rng.uniform(0.0, 2.0, len(X))
    w[::5] = 0.0
    k = 40
    exact = 0
    for seed in range(3):
        idx0, pot0, _ = _seed(X, k, w, seed, 0)
        for threads in (1, 2):
            idx1, pot1, st1 = _seed(X, k, w, seed, 1, threads=threads)
            assert st1[3] > 0
            np.testing.assert_array_equal(idx1, idx0)
            assert pot1 == pot0
        exact += st1[1]
        np.testing.assert_array_equal(idx1, reference_kmeanspp(X, k, w, np.random.default_rng(seed),
                                                               canonical_dist))
    assert exact > 0


def test_default_trigger_repacks_and_leaves_inputs_alone():
    # the library's schedule re-packs on shuffled blobs; the caller's X and w are not permuted
    X = _shuffled_blobs(8000, PRUNE_MIN_D, 40, 2, np.float32)
    w = np.random.default_rng(4).uniform(0.5, 1.5, len(X))
    X0, w0 = X.copy(), w.copy()
    stats = np.zeros(4, dtype=np.int64)
    _, idx = kmeans_plusplus(X, 60, w, np.random.default_rng(5), n_threads=2, stats=stats)
    assert stats[3] > 0 and stats[2] > 0
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(idx, reference_kmeanspp(X, 60, w, np.random.default_rng(5), canonical_dist))


def test_no_repack_below_prune_features():
    # below PRUNE_MIN_D features there is no pruning, so nothing to gain from a re-pack
    X = _shuffled_blobs(4000, 3, 10, 6, np.float64)
    stats = np.zeros(4, dtype=np.int64)
    kmeans_plusplus(X, 20, np.ones(len(X)), np.random.default_rng(0), stats=stats)
    assert stats[3] == 0
