import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimeans
from optimeans.datasets import load
from optimeans.solvers.hartigan import transfer

LINE = np.array([[1.0], [2.0], [3.0], [4.0]])


def _sse(X, w, labels, k):
    """Reference objective of a partition (centers = weighted means), float64."""
    total = 0.0
    for j in range(k):
        m = labels == j
        if not m.any() or w[m].sum() <= 0:
            continue
        c = (w[m, None] * X[m]).sum(0) / w[m].sum()
        total += float((w[m] * ((X[m] - c) ** 2).sum(1)).sum())
    return total


def _best_single_transfer(X, w, labels, k):
    """Lowest objective reachable by moving one point (brute force, NumPy)."""
    best = _sse(X, w, labels, k)
    for i in range(len(X)):
        for l in range(k):
            if l == labels[i] or (labels == labels[i]).sum() == 1:
                continue
            lab = labels.copy()
            lab[i] = l
            best = min(best, _sse(X, w, lab, k))
    return best


def test_line_leaves_lloyd_fixed_point():
    init = np.array([[3.0], [1.0]])  # ties go to cluster 0, so Lloyd stays at {2,3,4},{1}
    lloyd = optimeans.fit(LINE, 2, method="lloyd", init=init)
    assert lloyd.objective == pytest.approx(2.0)
    assert sorted(np.bincount(lloyd.labels)) == [1, 3]
    refined = optimeans.fit(LINE, 2, method="lloyd", init=init, refine="hartigan")
    assert refined.objective == pytest.approx(1.0)
    assert refined.method == "lloyd+hartigan"
    assert refined.labels[0] == refined.labels[1] != refined.labels[2] == refined.labels[3]
    solo = optimeans.fit(LINE, 2, method="hartigan", init=init)
    assert solo.objective == pytest.approx(1.0)
    assert solo.method == "hartigan"


def test_transfer_from_partition_line():
    labels, centers, sweeps, reason, converged = transfer(LINE, np.ones(4), np.array([0, 1, 1, 1]), 2)
    assert reason == "labels_unchanged" and converged
    assert _sse(LINE, np.ones(4), labels, 2) == pytest.approx(1.0)
    np.testing.assert_allclose(np.sort(centers[:, 0]), [1.5, 3.5])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_result_is_stable_under_every_single_transfer(weighted, dtype):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2)).astype(dtype)
    w = rng.uniform(0.2, 3.0, size=40) if weighted else np.ones(40)
    for seed in range(3):
        r = optimeans.fit(X, 4, method="hartigan", sample_weight=w, tol=0, n_init=1, random_state=seed)
        X64 = X.astype(np.float64)
        here = _sse(X64, w, r.labels, 4)
        assert r.objective == pytest.approx(here, rel=1e-5 if dtype == np.float32 else 1e-12)
        assert _best_single_transfer(X64, w, r.labels, 4) >= here * (1 - 1e-9)


def test_history_decreases_and_moves_recorded():
    X = load("ruspini")
    r = optimeans.fit(X, 6, method="hartigan", init="random", n_init=1, random_state=5, tol=0)
    h = r.history.objective
    assert np.all(np.diff(h) <= 1e-9 * h[0])
    assert r.history.extra["moves"][-1] == 0
    assert r.history.extra["moves"][1:-1].min() > 0
    assert r.objective == pytest.approx(h[-1], rel=1e-12)


def test_refine_never_worse_than_solver_and_merges_history():
    X = load("ruspini")
    for seed in range(4):
        base = optimeans.fit(X, 8, method="lloyd", init="random", n_init=1, random_state=seed, refine=None)
        ref = optimeans.fit(X, 8, method="lloyd", init="random", n_init=1, random_state=seed, refine="hartigan")
        assert ref.objective <= base.objective + 1e-9
        assert len(ref.history) >= len(base.history)
        np.testing.assert_array_equal(ref.history.objective[: len(base.history)], base.history.objective)
        assert ref.n_iter >= base.n_iter
        assert ref.method == "lloyd+hartigan"


def test_threads_do_not_change_result():
    X = load("iris")
    a = optimeans.fit(X, 5, method="hartigan", random_state=1, n_threads=1)
    b = optimeans.fit(X, 5, method="hartigan", random_state=1, n_threads=2)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.objective == b.objective


def test_bad_refine_rejected():
    with pytest.raises(ValueError, match="refine"):
        optimeans.fit(LINE, 2, refine="lloyd")


def test_hartigan_registered():
    assert "hartigan" in optimeans.methods()


@pytest.mark.filterwarnings("ignore::optimeans.FewDistinctPointsWarning")
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 25),
    k=st.integers(1, 5),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    weighted=st.booleans(),
)
def test_never_increases_objective(n, k, d, seed, weighted):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, d)) * 4) / 2  # repeated values and ties on purpose
    w = rng.integers(0, 4, size=n).astype(float) if weighted else np.ones(n)
    if w.sum() == 0:
        w[0] = 1.0
    k = min(k, n)
    init = X[rng.choice(n, size=k, replace=False)]
    start = optimeans.objective(X, init, sample_weight=w)
    r = optimeans.fit(X, k, method="hartigan", init=init, sample_weight=w, tol=0)
    assert r.objective <= start + 1e-9 * max(1.0, start)
    lloyd = optimeans.fit(X, k, method="lloyd", init=init, sample_weight=w)
    ref = optimeans.fit(X, k, method="lloyd", init=init, sample_weight=w, refine="hartigan")
    assert ref.objective <= lloyd.objective + 1e-9 * max(1.0, lloyd.objective)
    assert np.all(np.diff(r.history.objective) <= 1e-9 * max(1.0, start))


def test_duplicate_groups_find_equal_rows_in_any_order():
    from optimeans.solvers.hartigan import duplicate_groups

    rng = np.random.default_rng(3)
    base = rng.integers(0, 3, size=(6, 3)).astype(np.float64)
    base[:, 0] = np.arange(6)  # six distinct rows
    X = base[[0, 1, 1, 2, 3, 3, 3, 4, 5, 0]]
    first, inverse = duplicate_groups(X)
    np.testing.assert_array_equal(X[first][inverse], X)
    assert len(first) == 6
    perm = rng.permutation(len(X))
    first_p, inverse_p = duplicate_groups(X[perm])
    np.testing.assert_array_equal(X[perm][first_p], X[first])  # same distinct rows, same order
    assert duplicate_groups(base) is None
    # equal first values but different rows: no groups
    assert duplicate_groups(np.array([[1.0, 2.0], [1.0, 3.0]])) is None
