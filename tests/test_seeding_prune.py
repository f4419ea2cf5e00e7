"""Greedy k-means++ with the triangle-inequality pruning of packed blocks.

A block is not read when every row ``i`` satisfies ``D_i <= reach[c(i)]``, a
quarter of the squared distance from its nearest chosen center to the nearest
candidate (Elkan's lemma), shrunk by a margin for the float64 rounding. The
pruned rows would have contributed nothing, so the choices and the final
potential must be the same bits as without pruning, and as the NumPy reference.
"""

import math

import numpy as np
import pytest

from optimeans._kernels.lloyd import BLOCK, guard_kappa
from optimeans._kernels.seeding import PRUNE_MIN_D, PRUNE_Q, greedy_kmeanspp
from optimeans._numba import numba_threads
from optimeans.seeding import kmeans_plusplus, pack_for_seeding

from test_seeding_fast import canonical_dist, reference_kmeanspp


#: two threads really run two threads here (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("seeding_on_all_threads")


def _seed(X, k, w, seed, prune_q, threads=1):
    """The kernel as :func:`kmeans_plusplus` calls it, with a given ``prune_q``: (indices, potential, stats)."""
    rng = np.random.default_rng(seed)
    m = 2 + int(math.log(k))
    first_r = float(rng.random())
    uniforms = rng.random((k - 1) * m).reshape(k - 1, m)
    idx = np.empty(k, dtype=np.int64)
    stats = np.zeros(3, dtype=np.int64)
    with numba_threads(threads):
        XT, block_norm, sqnorm, mean, scale = pack_for_seeding(X)
        pot = greedy_kmeanspp(X, np.asarray(w, dtype=np.float64), XT, block_norm, sqnorm, scale,
                              guard_kappa(X.shape[1]), mean, first_r, uniforms, idx, stats, prune_q, 0, 1.0)
    return idx, pot, stats


def _sorted_blobs(n, d, n_centers, seed, dtype):
    """Separated blobs stored cluster by cluster (as files sorted by class are)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=10.0, size=(n_centers, d))
    labels = np.sort(rng.integers(n_centers, size=n))
    return (means[labels] + rng.normal(size=(n, d))).astype(dtype)


def _line(n, d, seed):
    """Points on a segment embedded in ``d`` features, in order along it: the lemma's bound is tight."""
    t = np.sort(np.random.default_rng(seed).random(n))
    X = np.zeros((n, d))
    X[:, 0] = t
    X[:, 1] = 0.5 * t
    return X


def test_prune_margin_is_proven():
    # Elkan's lemma is 1/4; the margin must exceed the float64 rounding of three canonical
    # distances for any realistic number of features, and stay a margin (not a looser factor)
    assert PRUNE_Q < 0.25
    assert 0.25 - PRUNE_Q > 4 * (2**20 + 8) * 2.0**-52 * 0.25
    assert 0.25 - PRUNE_Q < 1e-5
    assert PRUNE_MIN_D >= 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pruning_fires_on_clustered_data_and_changes_no_bit(dtype):
    X = _sorted_blobs(12000, 32, 6, 0, dtype)
    w = np.ones(len(X))
    k = 30
    n_blocks = -(-len(X) // BLOCK)
    for seed in range(2):
        idx0, pot0, st0 = _seed(X, k, w, seed, 0.0)
        idx1, pot1, st1 = _seed(X, k, w, seed, PRUNE_Q)
        idx2, pot2, st2 = _seed(X, k, w, seed, PRUNE_Q, threads=2)
        assert st0[2] == 0
        # the pruning really skips blocks: more than a third of the blocks over the steps
        assert st1[2] > (k - 1) * n_blocks // 3
        assert st2[2] == st1[2]
        np.testing.assert_array_equal(idx1, idx0)
        np.testing.assert_array_equal(idx2, idx0)
        assert pot1 == pot0 and pot2 == pot0  # every D the same bits
        np.testing.assert_array_equal(idx1, reference_kmeanspp(X, k, w, np.random.default_rng(seed), canonical_dist))


def test_public_function_prunes_and_matches_reference():
    X = _sorted_blobs(9000, PRUNE_MIN_D, 5, 1, np.float32)
    w = np.ones(len(X))
    stats = np.zeros(3, dtype=np.int64)
    _, idx = kmeans_plusplus(X, 20, w, np.random.default_rng(4), n_threads=2, stats=stats)
    assert stats[2] > 0
    np.testing.assert_array_equal(idx, reference_kmeanspp(X, 20, w, np.random.default_rng(4), canonical_dist))


def test_a_looser_factor_changes_the_result():
    # on a line, a row between its center c and a candidate t at 1.9 to 2 times its distance
    # from c is brought closer by t: a factor 1.9 in place of 2 (q = 1/3.61) prunes it wrongly
    X = _line(20000, 16, 2)
    w = np.ones(len(X))
    k = 24
    changed = 0
    for seed in range(3):
        idx0, pot0, _ = _seed(X, k, w, seed, 0.0)
        idx1, pot1, st1 = _seed(X, k, w, seed, PRUNE_Q)
        assert st1[2] > 0
        np.testing.assert_array_equal(idx1, idx0)
        assert pot1 == pot0
        idx_loose, pot_loose, _ = _seed(X, k, w, seed, 1.0 / 3.61)
        changed += (not np.array_equal(idx_loose, idx0)) or pot_loose != pot0
    assert changed == 3


def test_weighted_equals_repeated_rows_with_pruning():
    # integer data (every distance and sum exact), separated blobs stored cluster by cluster
    rng = np.random.default_rng(5)
    means = rng.integers(-5, 5, size=(4, 24)) * 40
    X = (means[np.sort(rng.integers(4, size=3000))] + rng.integers(-3, 4, size=(3000, 24))).astype(np.float64)
    reps = rng.integers(1, 4, size=len(X))
    Xr = np.repeat(X, reps, axis=0)
    stats = np.zeros(3, dtype=np.int64)
    for seed in range(2):
        cw, _ = kmeans_plusplus(X, 16, reps.astype(np.float64), np.random.default_rng(seed), stats=stats)
        assert stats[2] > 0
        cr, _ = kmeans_plusplus(Xr, 16, np.ones(len(Xr)), np.random.default_rng(seed), stats=stats)
        assert stats[2] > 0
        np.testing.assert_array_equal(cw, cr)


@pytest.mark.parametrize("case", ["duplicates_weighted", "more_clusters_than_points"])
def test_ties_zero_weights_and_zero_potential_with_pruning(case):
    # exact ties (equal rows), zero weights, and steps whose potential is 0 (drawn by weight):
    # the pruned kernel, the unpruned one and the library's NumPy rule choose the same rows
    from optimeans import _nocompile

    rng = np.random.default_rng(8)
    if case == "duplicates_weighted":
        X = np.repeat(rng.integers(0, 3, size=(60, PRUNE_MIN_D)), 40, axis=0).astype(np.float64)
        w = rng.uniform(0.0, 2.0, len(X))
        w[::7] = 0.0
        k = 25
    else:
        X = np.repeat(rng.normal(size=(5, PRUNE_MIN_D)), 900, axis=0)
        w, k = np.ones(len(X)), 9
    for seed in range(3):
        idx0, pot0, _ = _seed(X, k, w, seed, 0.0)
        idx1, pot1, _ = _seed(X, k, w, seed, PRUNE_Q)
        np.testing.assert_array_equal(idx1, idx0)
        assert pot1 == pot0
        rng_s = np.random.default_rng(seed)
        m = 2 + int(math.log(k))
        first_r = float(rng_s.random())
        U = rng_s.random((k - 1) * m).reshape(k - 1, m)
        ref = np.empty(k, dtype=np.int64)
        _nocompile.greedy_kmeanspp(X, w, first_r, U, ref)
        np.testing.assert_array_equal(idx1, ref)
