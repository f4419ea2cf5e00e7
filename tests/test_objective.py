"""The mathematical facts behind k-means, checked numerically."""

import numpy as np
import pytest

import optimeans
from optimeans.objective import cluster_sums, gradient, newton_step, objective


def _brute_objective(X, C, labels, w):
    return float(sum(w[i] * np.sum((X[i].astype(np.float64) - C[labels[i]]) ** 2) for i in range(len(X))))


def test_objective_matches_definition_with_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    C = rng.normal(size=(4, 3))
    labels = rng.integers(0, 4, size=40)
    w = rng.uniform(0.1, 2.0, size=40)
    assert objective(X, C, labels, w) == pytest.approx(_brute_objective(X, C, labels, w), rel=1e-12)


def test_objective_defaults_to_nearest_center():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    C = rng.normal(size=(3, 2))
    d = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    assert objective(X, C) == pytest.approx(d.min(axis=1).sum(), rel=1e-12)


def test_mean_minimizes_sum_of_squares_and_zeroes_gradient():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    w = rng.uniform(0.5, 1.5, size=50)
    labels = np.zeros(50, dtype=np.int64)
    mean = (np.average(X, axis=0, weights=w))[None, :]
    g = gradient(X, mean, labels, w)
    assert np.abs(g).max() < 1e-10
    base = objective(X, mean, labels, w)
    for _ in range(20):  # any other point is worse
        other = mean + rng.normal(scale=0.1, size=(1, 3))
        assert objective(X, other, labels, w) > base


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 2))
    C = rng.normal(size=(3, 2))
    labels = rng.integers(0, 3, size=25)
    g = gradient(X, C, labels)
    eps = 1e-6
    for j in range(3):
        for f in range(2):
            Cp, Cm = C.copy(), C.copy()
            Cp[j, f] += eps
            Cm[j, f] -= eps
            fd = (objective(X, Cp, labels) - objective(X, Cm, labels)) / (2 * eps)
            assert g[j, f] == pytest.approx(fd, rel=1e-6, abs=1e-6)


def test_newton_step_is_the_cluster_mean():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 4))
    C = rng.normal(size=(5, 4))
    w = rng.uniform(0.2, 3.0, size=60)
    labels = rng.integers(0, 5, size=60)
    S, W = cluster_sums(X, labels, 5, w)
    np.testing.assert_allclose(newton_step(X, C, labels, w), S / W[:, None], rtol=1e-12)


def test_newton_step_leaves_an_empty_cluster_in_place():
    X = np.array([[0.0], [1.0], [2.0]])
    C = np.array([[1.0], [50.0]])
    out = newton_step(X, C, np.array([0, 0, 0]))
    assert out[1, 0] == 50.0 and out[0, 0] == pytest.approx(1.0)


def test_gradient_is_zero_at_a_lloyd_fixed_point():
    X = optimeans.datasets.load("iris")
    r = optimeans.fit(X, 3, random_state=0, tol=0.0)
    assert r.stop_reason == "labels_unchanged"
    g = gradient(X, r.centers, r.labels)
    assert np.abs(g).max() < 1e-9


def test_objective_rejects_bad_labels():
    X = np.zeros((3, 1))
    with pytest.raises(ValueError, match="labels must lie in"):
        objective(X, np.zeros((2, 1)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="centers must have shape"):
        objective(X, np.zeros((2, 2)))
