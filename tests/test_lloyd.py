"""Lloyd's solver: a NumPy reference, invariances, stopping rules, scikit-learn agreement."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimeans
from optimeans._numba import numba_threads
from optimeans.solvers import lloyd


def ref_lloyd(X, C, n_iter):
    """Plain Lloyd: exact float64 assignment (first index on ties), centers = means in X's dtype."""
    X64 = X.astype(np.float64)
    C = C.copy()
    for _ in range(n_iter):
        labels = ((X64[:, None, :] - C.astype(np.float64)[None]) ** 2).sum(axis=2).argmin(axis=1)
        for j in range(C.shape[0]):
            if (labels == j).any():
                C[j] = X64[labels == j].mean(axis=0)
    labels = ((X64[:, None, :] - C.astype(np.float64)[None]) ** 2).sum(axis=2).argmin(axis=1)
    return C, labels


def blobs(n, d, k, seed, dtype=np.float64, offset=0.0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=3.0, size=(k, d))
    X = (means[rng.integers(k, size=n)] + rng.normal(size=(n, d)) + offset).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    return X, C0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d,k", [(600, 2, 5), (5000, 6, 11), (2100, 33, 8)])
def test_matches_numpy_reference(n, d, k, dtype):
    X, C0 = blobs(n, d, k, seed=n + d, dtype=dtype, offset=5.0)
    r = lloyd.run(X, np.ones(n), C0, max_iter=6, tol=0.0)
    C, labels = ref_lloyd(X, C0, r.n_iter)
    np.testing.assert_array_equal(r.labels, labels)
    np.testing.assert_allclose(r.centers, C, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-12)
    obj = ((X.astype(np.float64) - r.centers.astype(np.float64)[labels]) ** 2).sum()
    assert r.objective == pytest.approx(obj, rel=1e-12)


def test_same_objective_as_sklearn_lloyd_after_the_same_iterations():
    from sklearn.cluster import KMeans

    X, C0 = blobs(4000, 5, 9, seed=11)
    for iters in (1, 3, 8):
        r = lloyd.run(X, np.ones(len(X)), C0, max_iter=iters, tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = KMeans(9, init=C0, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd").fit(X)
        assert r.n_iter == km.n_iter_
        assert r.objective == pytest.approx(km.inertia_, rel=1e-6)
        np.testing.assert_allclose(r.centers, km.cluster_centers_, rtol=1e-9, atol=1e-9)


def test_float32_and_float64_agree():
    X, C0 = blobs(3000, 4, 6, seed=3)
    r64 = lloyd.run(X, np.ones(len(X)), C0, max_iter=50, tol=0.0)
    r32 = lloyd.run(X.astype(np.float32), np.ones(len(X)), C0.astype(np.float32), max_iter=50, tol=0.0)
    assert r32.centers.dtype == np.float32
    assert np.mean(r32.labels == r64.labels) > 0.999
    assert r32.objective == pytest.approx(r64.objective, rel=1e-5)


def test_weights_equal_repeated_rows():
    X, C0 = blobs(800, 3, 4, seed=4)
    reps = np.random.default_rng(0).integers(1, 4, size=len(X))
    a = lloyd.run(X, reps.astype(np.float64), C0, max_iter=30, tol=0.0)
    b = lloyd.run(np.repeat(X, reps, axis=0), np.ones(reps.sum()), C0, max_iter=30, tol=0.0)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12)
    np.testing.assert_array_equal(np.repeat(a.labels, reps), b.labels)
    assert a.objective == pytest.approx(b.objective, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_and_two_threads_bitwise_equal(dtype):
    X, C0 = blobs(3 * 4096 + 100, 5, 12, seed=5, dtype=dtype)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X))
    runs = []
    for threads in (1, 2):
        runs.append(lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=threads))
    a, b = runs
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)
    assert a.objective == b.objective and a.n_iter == b.n_iter


def test_fit_reproducible_across_threads():
    X, _ = blobs(9000, 3, 7, seed=6)
    a = optimeans.fit(X, 7, random_state=3, n_threads=1, method="lloyd")
    b = optimeans.fit(X, 7, random_state=3, n_threads=2, method="lloyd")
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.objective == b.objective


def test_inputs_not_mutated():
    X, C0 = blobs(500, 3, 4, seed=7)
    w = np.ones(len(X))
    X_, C_, w_ = X.copy(), C0.copy(), w.copy()
    lloyd.run(X, w, C0, max_iter=10, tol=0.0)
    np.testing.assert_array_equal(X, X_)
    np.testing.assert_array_equal(C0, C_)
    np.testing.assert_array_equal(w, w_)


def test_stop_reasons():
    X, C0 = blobs(1000, 2, 3, seed=8)
    r = lloyd.run(X, np.ones(len(X)), C0, max_iter=300, tol=0.0)
    assert r.stop_reason == "labels_unchanged" and r.converged
    r = lloyd.run(X, np.ones(len(X)), C0, max_iter=2, tol=0.0)
    assert r.stop_reason == "max_iter" and not r.converged and r.n_iter == 2
    r = lloyd.run(X, np.ones(len(X)), C0, max_iter=300, tol=0.5)
    assert r.stop_reason == "tol" and r.converged
    seen = []
    r = lloyd.run(X, np.ones(len(X)), C0, max_iter=300, tol=0.0, callback=lambda it, obj: seen.append(obj) or it == 2)
    assert r.stop_reason == "callback" and r.n_iter == 2 and len(seen) == 2
    # labels always match the returned centers
    labels = ((X[:, None] - r.centers[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(r.labels, labels)


def test_empty_cluster_is_relocated_never_nan():
    X, _ = blobs(300, 2, 3, seed=9)
    C0 = np.array([X[0], X[1], [1e6, 1e6]])  # the third center attracts nobody
    r = lloyd.run(X, np.ones(len(X)), C0, max_iter=50, tol=0.0)
    assert np.isfinite(r.centers).all()
    assert np.bincount(r.labels, minlength=3).min() > 0


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(20, 400),
    d=st.integers(1, 5),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e4]),
)
def test_objective_never_increases(n, d, k, seed, scale):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(n, d))
    w = rng.uniform(0.1, 2.0, size=n)
    C0 = X[rng.choice(n, min(k, n), replace=False)]
    r = lloyd.run(X, w, C0, max_iter=100, tol=0.0)
    obj = r.history.objective
    assert np.all(np.diff(obj) <= 1e-10 * obj[:-1])
    # the final objective is recomputed on the final centers: never above the last recorded one
    assert r.objective <= obj[-1] * (1 + 1e-10)


def test_relocation_takes_the_largest_contributions_lowest_row_first():
    # relocate_empty selects the m largest w * d^2 (ties by the lowest row) without sorting all
    # rows; it must pick exactly what a full sort picks, on data full of ties
    from optimeans.solvers._common import relocate_empty

    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 12))
        X = rng.normal(size=(n, 2))
        w = rng.integers(0, 3, n).astype(float)
        dist = rng.integers(0, 4, n).astype(float)
        weight = rng.integers(0, 2, k).astype(float)
        got = rng.normal(size=(k, 2))
        want = got.copy()
        relocate_empty(X, w, got, weight, np.zeros(n, dtype=np.int64), dist)
        contrib = w * dist
        order = np.lexsort((np.arange(n), -contrib))
        for j, i in zip(np.flatnonzero(weight <= 0), order):
            if contrib[i] <= 0:
                break
            want[j] = X[i]
        np.testing.assert_array_equal(got, want)
