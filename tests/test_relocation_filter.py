"""Relocation of empty clusters through :func:`optimeans.objective.top_contributions`' filter.

The filter ranks rows by an approximate float64 distance and recomputes
:func:`optimeans.objective.point_objective` only on the rows that could rank among the
first ``m``; it must choose exactly the rows (and values) the full recomputation chooses,
including when values differ by a rounding (rows that are permutations of one another
around their center: the same exact distance, summed in another order) and on ties.
"""

import importlib

import numpy as np
import pytest

from optimeans.solvers import _common, ball, lloyd

from test_large_k import assert_same_run, tie_data

O = importlib.import_module("optimeans.objective")  # the module (the package exports a function of that name)


def _reference(X, C, labels, w, m):
    contrib = w * O.point_objective(X, C, labels)
    order = np.lexsort((np.arange(len(contrib)), -contrib))[: min(m, len(contrib))]
    return order, contrib[order]


def _adversarial(n, d, k, seed, dtype):
    """Rows in families of permuted coordinates around their center (equal exact distances whose float
    sums may differ in the last bit), duplicates, rows on their center, and zero or repeated weights."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(k, d)).astype(dtype)
    labels = rng.integers(0, k, n)
    base = rng.normal(size=(n // 8 + 1, d)) * np.exp2(rng.integers(-3, 4, size=(n // 8 + 1, 1)))
    off = np.empty((n, d))
    for i in range(n):
        off[i] = rng.permutation(base[i % base.shape[0]])
    X = (C[labels].astype(np.float64) + off).astype(dtype)
    X[::11] = C[labels[::11]]  # on their center: zero contribution
    X[5::13] = X[4::13][: X[5::13].shape[0]]
    labels[5::13] = labels[4::13][: labels[5::13].shape[0]]  # duplicates: exact ties
    w = rng.integers(0, 3, n).astype(np.float64)
    w[rng.random(n) < 0.5] = 1.0
    return np.ascontiguousarray(X), C, labels, w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [3, 17, 64])
def test_filter_picks_the_rows_of_the_full_ranking(monkeypatch, dtype, d):
    monkeypatch.setattr(O, "TOP_FILTER_FROM", 0)
    n, k = 3000, 40
    for seed in range(3):
        X, C, labels, w = _adversarial(n, d, k, seed + 10 * d, dtype)
        for m in (1, 2, 7, 50, 700, 2999, 5000):
            rows, vals = O.top_contributions(X, C, labels, w, m)
            want_rows, want_vals = _reference(X, C, labels, w, m)
            np.testing.assert_array_equal(rows, want_rows)
            assert vals.tobytes() == want_vals.tobytes()


def test_point_objective_values_do_not_depend_on_the_rows_given():
    # what the filter relies on: point_objective on a subset of rows has the full call's bits
    X, C, labels, _ = _adversarial(2000, 64, 30, 1, np.float32)
    full = O.point_objective(X, C, labels)
    for rows in (np.array([7]), np.arange(0, 2000, 3), np.arange(1999, -1, -5)):
        assert O.point_objective(X[rows], C, labels[rows]).tobytes() == full[rows].tobytes()


@pytest.mark.parametrize("solver", [lloyd.run, ball.run])
def test_fit_with_forced_empty_clusters_relocates_as_the_full_recomputation(monkeypatch, solver):
    # duplicate initial centers leave clusters empty in the first passes; the filtered
    # relocation must move them onto the rows the full recomputation picks
    X, C0 = tie_data(3000, 64, 300, seed=3, dtype=np.float32)
    X = X + np.random.default_rng(0).normal(scale=0.3, size=X.shape).astype(np.float32)
    w = np.ones(len(X))
    monkeypatch.setattr(O, "TOP_FILTER_FROM", 1 << 62)
    ref = lloyd.run(X, w, C0, max_iter=8, tol=0.0, n_threads=1)
    monkeypatch.setattr(O, "TOP_FILTER_FROM", 0)
    asked = []

    def spy(*args):
        asked.append(args[4])
        return O.top_contributions(*args)

    monkeypatch.setattr(_common, "top_contributions", spy)
    for threads in (1, 2):
        assert_same_run(solver(X, w, C0, max_iter=8, tol=0.0, n_threads=threads), ref)
    assert asked and min(asked) > 0  # clusters were relocated (65 at the first update)
