import numpy as np
import pytest

from optimeans._numba import numba_threads
from optimeans.seeding import init_centers, kmeans_plusplus, random_points


def _data(n=500, d=3, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def test_kmeans_plusplus_picks_rows_of_X_and_is_reproducible():
    X = _data()
    w = np.ones(len(X))
    c1, i1 = kmeans_plusplus(X, 8, w, np.random.default_rng(5))
    c2, i2 = kmeans_plusplus(X, 8, w, np.random.default_rng(5))
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(c1, X[i1])
    assert len(set(i1.tolist())) == 8


def test_kmeans_plusplus_same_on_one_and_two_threads():
    X = _data(n=20000, d=4, seed=1, dtype=np.float32)
    w = np.ones(len(X))
    with numba_threads(1):
        _, i1 = kmeans_plusplus(X, 16, w, np.random.default_rng(3))
    with numba_threads(2):
        _, i2 = kmeans_plusplus(X, 16, w, np.random.default_rng(3))
    np.testing.assert_array_equal(i1, i2)


def test_kmeans_plusplus_never_picks_zero_weight_rows():
    X = _data(n=200, seed=2)
    w = np.ones(200)
    w[::2] = 0.0
    for s in range(10):
        _, idx = kmeans_plusplus(X, 10, w, np.random.default_rng(s))
        assert (idx % 2 == 1).all()


def test_kmeans_plusplus_spreads_over_separated_groups():
    # four far-apart tight groups: k-means++ puts one seed in each, nearly always
    rng = np.random.default_rng(0)
    means = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], dtype=float)
    X = np.vstack([m + rng.normal(scale=0.5, size=(50, 2)) for m in means])
    hits = 0
    for s in range(20):
        c, _ = kmeans_plusplus(X, 4, np.ones(200), np.random.default_rng(s))
        groups = {int(np.argmin(((means - ci) ** 2).sum(1))) for ci in c}
        hits += len(groups) == 4
    assert hits == 20


def test_kmeans_plusplus_with_fewer_distinct_points_than_clusters():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)
    c, _ = kmeans_plusplus(X, 4, np.ones(20), np.random.default_rng(0))
    assert np.isfinite(c).all()
    assert {tuple(r) for r in c} == {(0.0, 0.0), (1.0, 1.0)}


def test_random_points_are_distinct_values():
    X = np.repeat(np.arange(6, dtype=float)[:, None], 5, axis=0)
    c, _ = random_points(X, 6, np.ones(len(X)), np.random.default_rng(0))
    assert sorted(c[:, 0].tolist()) == [0, 1, 2, 3, 4, 5]


def test_init_centers_array_and_errors():
    X = _data(n=10, d=2)
    C = X[:3].copy()
    out = init_centers(X, 3, np.ones(10), C, np.random.default_rng(0))
    np.testing.assert_array_equal(out, C)
    with pytest.raises(ValueError, match="expected \\(n_clusters, n_features\\) = \\(3, 2\\)"):
        init_centers(X, 3, np.ones(10), X[:2], np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must be one of"):
        init_centers(X, 3, np.ones(10), "kmeans++", np.random.default_rng(0))
    bad = C.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="row 1, column 1"):
        init_centers(X, 3, np.ones(10), bad, np.random.default_rng(0))
