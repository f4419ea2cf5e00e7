"""Certificates at any size: the partition (anticlustering) bound and its groups."""

from __future__ import annotations

import numpy as np
import pytest

import optimeans
from optimeans.exact import enumerate_partitions, kmeans_1d
from optimeans.exact.anticluster import anticluster_groups, choose_group_size, group_bounds
from optimeans.exact.bounds import _group_sdp, partition_bound
from optimeans.exact.group_cuts import cut_group_solver


def _cost(X, w, labels):
    total = 0.0
    for c in np.unique(labels):
        m = labels == c
        mu = (w[m] @ X[m]) / w[m].sum()
        total += float(w[m] @ ((X[m] - mu) ** 2).sum(1))
    return total


def _line(seed=0, per=100):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(c, 1.0, per) for c in (0.0, 2.5, 6.0)])


@pytest.mark.parametrize("solver", ["sdp", "cuts"])
@pytest.mark.parametrize("max_iter", [15, 400])
def test_every_group_bound_is_below_the_groups_exact_optimum(max_iter, solver):
    """1-D groups: dynamic programming gives each group's optimum exactly; stopped early or not, no bound exceeds it."""
    x = _line()
    X = x[:, None]
    w = np.ones(len(x))
    k = 3
    labels = kmeans_1d(x, k).labels
    group = anticluster_groups(X, w, labels, 3, np.random.default_rng(0))
    solve = _group_sdp if solver == "sdp" else cut_group_solver
    gbs = group_bounds(X, w, labels, k, group, time_limit=None, solve=solve, max_iter=max_iter, n_threads=2)
    assert len(gbs) == 3
    for g, gb in enumerate(gbs):
        rows = group == g
        opt_g = kmeans_1d(x[rows], k).objective
        assert gb.n_samples == rows.sum()
        assert 0.0 <= gb.bound <= opt_g * (1 + 1e-9)
        assert opt_g <= gb.upper * (1 + 1e-9)  # the restricted labels are feasible for the group
        # Hartigan moves from them: still a partition of the group, no worse
        assert opt_g * (1 - 1e-9) <= gb.local <= gb.upper * (1 + 1e-12)
        assert gb.n_iter <= max_iter


def test_partition_bound_is_below_and_close_to_the_exact_1d_optimum():
    x = _line(seed=1)
    opt = kmeans_1d(x, 3)
    lb, info = partition_bound(x[:, None], 3, opt.labels, group_size=100, time_limit=None, max_iter=400)
    assert info["n_groups"] == 3 and len(info["groups"]) == 3
    assert lb == pytest.approx(sum(g["bound"] for g in info["groups"]))
    assert 0.0 < lb <= opt.objective * (1 + 1e-9)
    # groups with matched slice means lose little: the restricted costs sum to
    # nearly the optimum, and the cut SDP bounds are close to them
    assert info["restricted"] <= opt.objective * (1 + 1e-9)
    assert info["restricted"] >= 0.97 * opt.objective
    assert lb <= info["local"] * (1 + 1e-9) and info["local"] <= info["restricted"] * (1 + 1e-12)
    assert info["local"] == pytest.approx(sum(g["local"] for g in info["groups"]))
    assert lb >= 0.9 * opt.objective


@pytest.mark.parametrize("solver", [None, "sdp", cut_group_solver])
def test_partition_bound_is_below_every_feasible_objective(solver):
    """Tiny weighted 2-D set with a duplicate row: the bound is below the enumerated optimum, hence every partition."""
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(size=(4, 2)) + c for c in ([0, 0], [4, 0], [0, 4])])
    X = np.vstack([X, X[0]])
    w = rng.uniform(0.5, 2.0, size=len(X))
    k = 3
    land = enumerate_partitions(X, k, sample_weight=w)
    lb, info = partition_bound(X, k, None, sample_weight=w, group_size=6, time_limit=None, max_iter=300,
                               solver=solver)
    assert info["n_groups"] == 2
    assert 0.0 < lb <= land.optimum * (1 + 1e-9)
    # every labeling into k non-empty clusters costs at least the bound
    for _ in range(2000):
        lab = rng.integers(0, k, size=len(X))
        if len(np.unique(lab)) == k:
            assert _cost(X, w, lab) >= lb * (1 - 1e-12)


def test_groups_deal_every_cluster_evenly_with_matched_means():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(203, 3)) * 2 + c for c in rng.normal(size=(4, 3)) * 5])
    w = np.ones(len(X))
    labels = np.repeat(np.arange(4), 203)
    m = 10
    group = anticluster_groups(X, w, labels, m, np.random.default_rng(1))
    counts = np.array([[np.sum((group == g) & (labels == c)) for c in range(4)] for g in range(m)])
    assert counts.sum() == len(X)
    assert (counts.max(0) - counts.min(0) <= 1).all()
    sizes = counts.sum(1)
    assert sizes.max() - sizes.min() <= 1  # partial rounds go to the smallest groups
    # matched means: the restricted cost loses far less than dealing at random
    whole = _cost(X, w, labels)

    def restricted(gr):
        return sum(_cost(X[gr == g], w[gr == g], labels[gr == g]) for g in range(m))

    random_group = np.empty(len(X), dtype=np.int64)
    for c in range(4):
        idx = np.flatnonzero(labels == c)
        random_group[rng.permutation(idx)] = np.arange(len(idx)) % m
    loss_matched = whole - restricted(group)
    loss_random = whole - restricted(random_group)
    assert 0.0 <= loss_matched < 0.2 * loss_random


def test_certify_auto_uses_the_partition_bound_beyond_1500_rows():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(size=(400, 4)) + c for c in rng.normal(size=(4, 4)) * 6])
    r = optimeans.fit(X, 4, random_state=0)
    c = optimeans.certify(X, r, time_limit=20.0, max_iter=200)
    assert c.method == "partition"
    assert 0.0 < c.lower_bound <= r.objective
    assert c.info["n_groups"] == len(c.info["groups"]) >= 2
    assert c.lower_bound >= sum(g["bound"] for g in c.info["groups"]) * (1 - 1e-12)
    assert all(g["bound"] <= g["upper"] * (1 + 1e-9) for g in c.info["groups"])


def test_group_size_choice_and_errors():
    assert choose_group_size(10_000, 5, None) == 400
    assert choose_group_size(300, 5, None) == 300
    s_fast = choose_group_size(100_000, 5, 10_000.0)
    s_slow = choose_group_size(100_000, 5, 1.0)
    assert 120 <= s_slow <= s_fast <= 600
    assert choose_group_size(100_000, 40, 1.0) >= 320  # at least 8 rows per cluster
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="labels"):
        partition_bound(X, 2, np.zeros(5))
    with pytest.raises(ValueError, match="group_size"):
        partition_bound(X, 2, np.zeros(50), group_size=0)


def test_certify_at_scale_is_below_the_known_1d_optimum():
    """3,000 rows (the partition bound, cut groups, warm starts): below the dynamic-programming optimum, never NaN."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(c, 1.0, 1000) for c in (0.0, 3.0, 7.0)])
    opt = kmeans_1d(x, 3)
    r = optimeans.fit(x[:, None], 3, random_state=0)
    c = optimeans.certify(x[:, None], r, time_limit=20.0, max_iter=150)
    assert c.method == "partition" and c.info["solver"] == "sdp+cuts"
    assert np.isfinite(c.lower_bound) and np.isfinite(c.gap)
    assert 0.0 < c.lower_bound <= opt.objective * (1 + 1e-9)
    assert c.lower_bound <= r.objective
    assert c.info["n_groups"] >= 2
    assert "partition" in str(c) and "sdp+cuts" in str(c)


def test_a_failing_group_solver_leaves_the_spectral_floor_never_nan():
    rng = np.random.default_rng(6)
    X = np.concatenate([rng.normal(size=(60, 3)) + c for c in ([0, 0, 0], [5, 0, 0], [0, 5, 0])])
    k = 2  # k - 1 < d: each group's spectral bound is positive

    def nan_solver(X, w, k, upper, deadline, max_iter):
        return float("nan"), 0, 0, "failed"

    lb, info = partition_bound(X, k, None, group_size=60, time_limit=None, solver=nan_solver)
    assert info["solver"] == "nan_solver"
    assert np.isfinite(lb) and lb > 0.0
    for g in info["groups"]:
        assert 0.0 < g["bound"] <= g["upper"]
    r = optimeans.fit(X, k, method="global", random_state=0)
    assert lb <= r.objective
    with pytest.raises(ValueError, match="solver"):
        partition_bound(X, k, None, solver="lp")


def test_map_state_carries_a_warm_start_between_corresponding_groups():
    from optimeans.exact.group_cuts import map_state
    from optimeans.exact.sdp_bnb import _Cuts

    n = 7
    rng = np.random.default_rng(0)
    P = rng.normal(size=(n, n))
    U = rng.normal(size=(n, n))
    prev = np.array([0, 0, 0, 1, 1, 2, 2])
    cuts = _Cuts.empty()
    cuts.tri = np.array([[0, 1, -1], [3, 0, 5], [2, 4, 6], [6, 5, -1]], dtype=np.int64)
    cuts.y = np.array([1.0, 2.0, 3.0, 4.0])
    # the same layout: the state comes back unchanged
    P2, U2, rho, c2 = map_state((P, U, 0.5, cuts), prev, prev)
    assert rho == 0.5 and np.array_equal(P2, P) and np.array_equal(U2, U)
    assert sorted(map(tuple, c2.tri.tolist())) == sorted(map(tuple, [[0, 1, -1], [3, 0, 5], [2, 4, 6], [6, 5, -1]]))
    # one row fewer in cluster 0, one more in cluster 2: rows 0,1 | 2,3 | 4,5,6 <- 0,1 | 3,4 | 5,6,6
    cur = np.array([0, 0, 1, 1, 2, 2, 2])
    P3, U3, _, c3 = map_state((P, U, 1.0, cuts), prev, cur)
    src = np.array([0, 1, 3, 4, 5, 6, 6])
    assert np.array_equal(P3, P[np.ix_(src, src)]) and np.array_equal(U3, U[np.ix_(src, src)])
    kept = {tuple(t): y for t, y in zip(c3.tri.tolist(), c3.y)}
    # (0,1) keeps its rows; (3,0,5) -> (2,0,4) -> ordered (2,0,4); (2,4,6) loses row 2 (no counterpart); (6,5) -> (5,4)
    assert kept == {(0, 1, -1): 1.0, (2, 0, 4): 2.0, (5, 4, -1): 4.0}
    # a cluster with no row there: no warm start
    assert map_state((P, U, 1.0, cuts), prev, np.array([0, 0, 1, 1, 3, 3, 3])) is None


def test_blocked_matching_still_deals_evenly_with_matched_means():
    """More groups than one assignment block (128): rounds are matched in random blocks, still even and close."""
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.normal(size=(700, 2)) * 2 + c for c in ([0, 0], [9, 0], [0, 9])])
    w = np.ones(len(X))
    labels = np.repeat(np.arange(3), 700)
    m = 200
    group = anticluster_groups(X, w, labels, m, np.random.default_rng(2))
    counts = np.array([[np.sum((group == g) & (labels == c)) for c in range(3)] for g in range(m)])
    assert (counts.max(0) - counts.min(0) <= 1).all()
    assert counts.sum(1).max() - counts.sum(1).min() <= 1
    whole = _cost(X, w, labels)
    matched = sum(_cost(X[group == g], w[group == g], labels[group == g]) for g in range(m))
    random_group = np.empty(len(X), dtype=np.int64)
    for c in range(3):
        idx = np.flatnonzero(labels == c)
        random_group[rng.permutation(idx)] = np.arange(len(idx)) % m
    rand = sum(_cost(X[random_group == g], w[random_group == g], labels[random_group == g]) for g in range(m))
    assert 0.0 <= whole - matched < 0.5 * (whole - rand)


def test_group_size_follows_the_measured_step_cost():
    slow = choose_group_size(100_000, 5, 600.0, 2, step_cost=(150, 0.5))
    fast = choose_group_size(100_000, 5, 600.0, 2, step_cost=(150, 0.005))
    assert 120 <= slow < fast <= 600
    # budget = 0.8 * 600 * 2 = 960 s; 960 * 150^2 / (100000 * 200 * 0.005) = 216
    assert fast == 216


def test_cell_order_cuts_sorted_1d_rows_into_consecutive_runs():
    """In 1-D the k-d cells are runs of consecutive order statistics: every m-row run holds ranks j m .. j m + m - 1."""
    from optimeans.exact.anticluster import _cell_order

    rng = np.random.default_rng(4)
    D = rng.normal(size=(1003, 1))
    m = 10
    perm = _cell_order(D, m)
    assert np.array_equal(np.sort(perm), np.arange(len(D)))
    rank = np.empty(len(D), dtype=np.int64)
    rank[np.argsort(D[:, 0])] = np.arange(len(D))
    cells = rank[perm]
    for j in range(len(D) // m):
        assert set(cells[j * m:(j + 1) * m]) == set(range(j * m, (j + 1) * m))
    assert set(cells[-3:]) == {1000, 1001, 1002}  # only the last cell is short


def test_cell_dealing_loses_less_than_radius_dealing_on_exact_1d_group_optima():
    """Sum of the groups' exact optima (dynamic programming): closer to the whole's optimum with cells than by radius."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(c, 1.0, 1200) for c in (0.0, 2.0, 4.5)])
    X = x[:, None]
    w = np.ones(len(x))
    k = 3
    opt = kmeans_1d(x, k)
    m = 60  # groups of 60 rows
    loss = {}
    for order in ("cells", "radius"):
        group = anticluster_groups(X, w, opt.labels, m, np.random.default_rng(0), order=order)
        total = sum(kmeans_1d(x[group == g], k).objective for g in range(m))
        assert total <= opt.objective * (1 + 1e-9)  # the partition bound's inequality
        loss[order] = opt.objective - total
    assert 0.0 <= loss["cells"] < 0.75 * loss["radius"]
    with pytest.raises(ValueError, match="order"):
        anticluster_groups(X, w, opt.labels, m, np.random.default_rng(0), order="random")


def test_every_group_gets_one_row_of_each_cell():
    """The dealing round (cell) of each row: within a cluster, the rows of one round go to distinct groups."""
    rng = np.random.default_rng(8)
    X = np.concatenate([rng.normal(size=(95, 2)) + c for c in ([0, 0], [6, 0], [0, 6])])
    w = np.ones(len(X))
    labels = np.repeat(np.arange(3), 95)
    m = 7
    group, rnd = anticluster_groups(X, w, labels, m, np.random.default_rng(0), return_round=True)
    assert np.array_equal(group, anticluster_groups(X, w, labels, m, np.random.default_rng(0)))
    for c in range(3):
        sel = labels == c
        assert np.array_equal(np.bincount(rnd[sel]), [7] * 13 + [4])  # 95 = 13 * 7 + 4
        for r in range(14):
            g = group[sel & (rnd == r)]
            assert len(np.unique(g)) == len(g)
