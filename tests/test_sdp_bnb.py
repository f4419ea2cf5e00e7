"""The SDP-bounded branch and bound (issue 13): exact on small sets, every node bound valid."""

import itertools

import numpy as np
import pytest

import optimeans
from optimeans.exact import branch_and_bound
from optimeans.exact import branch_bound as bb
from optimeans.exact.bounds import sdp_bound
from optimeans.exact.sdp_bnb import _pick_pair, node_bound, sdp_search
from optimeans.exact.search import global_search


def _brute(X, w, k, must=(), cannot=()):
    """Least objective over assignments to k non-empty clusters honouring must/cannot-link row pairs."""
    best = np.inf
    n = len(X)
    for lab in itertools.product(range(k), repeat=n - 1):
        lab = np.array((0,) + lab)
        if len(np.unique(lab)) < k:
            continue
        if any(lab[a] != lab[b] for a, b in must) or any(lab[a] == lab[b] for a, b in cannot):
            continue
        total = 0.0
        for j in range(k):
            m = lab == j
            c = (w[m, None] * X[m]).sum(0) / w[m].sum()
            total += float((w[m] * ((X[m] - c) ** 2).sum(1)).sum())
        best = min(best, total)
    return best


def _case(seed, n=8):
    rng = np.random.default_rng(seed)
    d = 1 + seed % 5
    k = 2 + seed % 3
    n = min(n, 7) if k == 4 else n  # keeps the brute force small
    X = rng.normal(size=(n, d)) + rng.integers(0, 3, size=(n, 1)) * 1.5
    w = rng.uniform(0.5, 2.0, size=n) if seed % 2 else np.ones(n)
    return X, w, k


@pytest.mark.parametrize("seed", range(8))
def test_sdp_tree_equals_enumeration(seed):
    X, w, k = _case(seed)
    opt = _brute(X, w, k)
    rng = np.random.default_rng(seed)
    # a poor incumbent, so that the tree has to find the optimum itself
    lab = np.arange(len(X)) % k
    val = sum(float((w[lab == j] * ((X[lab == j] - np.average(X[lab == j], 0, w[lab == j])) ** 2).sum(1)).sum())
              for j in range(k))
    labels, value, lower, proven, info = sdp_search(X, w, k, lab, val, rtol=1e-7, rng=rng)
    assert proven
    assert value == pytest.approx(opt, rel=1e-7)
    assert lower <= opt * (1 + 1e-9) and lower >= opt * (1 - 1e-6)
    assert len(np.unique(labels)) == k


@pytest.mark.parametrize("seed", range(5))
def test_every_node_bound_below_its_subproblem_optimum(seed):
    X, w, k = _case(seed + 20)
    seen = []

    def check(node, res, const, g):
        sub = _brute(X, w, k, node.must, node.cannot)
        seen.append((const + res.bound, sub))

    lab, val = global_search(X, w, k, np.random.default_rng(0), n_starts=1)
    # a loose tolerance and an incumbent slightly worse than optimal make the tree branch
    sdp_search(X, w, k, lab, val * 1.05, rtol=1e-9, node_callback=check, max_nodes=15)
    assert seen
    for bound, sub in seen:
        assert bound <= sub * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_branching_preserves_the_optimum(seed):
    X, w, k = _case(seed + 40)
    opt = _brute(X, w, k)
    res = node_bound(X, w, k, np.zeros((0, 2), dtype=np.int64))
    a, b = _pick_pair(res.M, set(), X, w)
    both = min(_brute(X, w, k, must=[(a, b)]), _brute(X, w, k, cannot=[(a, b)]))
    assert both == pytest.approx(opt, rel=1e-12)
    # and the must-link child is the weighted problem on merged rows plus a constant
    g = np.arange(len(X))
    g[b] = a
    _, g = np.unique(g, return_inverse=True)
    from optimeans.exact.sdp_bnb import _grouped

    gx, gw, const = _grouped(X, w, g.ravel())
    assert const + _brute(gx, gw, k) == pytest.approx(_brute(X, w, k, must=[(a, b)]), rel=1e-10)


def test_branching_prefers_the_costliest_merge_among_fractional_pairs():
    # a hand-made relaxation: rows 0-1, 2-3 and 4-5 are each half together, every
    # other pair apart; the pair 4-5 is the farthest, 0-1 the most fractional
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.5, 0.0], [10.0, 0.0], [13.0, 0.0]])
    w = np.ones(6)
    M = np.eye(6) * 0.5
    for a, b, z in [(0, 1, 0.5), (2, 3, 0.45), (4, 5, 0.42)]:
        M[a, b] = M[b, a] = 0.5 * z
    assert _pick_pair(M, set()) == (0, 1)  # without the rows: the most fractional
    assert _pick_pair(M, set(), X, w) == (4, 5)  # 0.84 of the most fractional, the costliest merge
    assert _pick_pair(M, set(), X, w, near=0.9) == (2, 3)  # 4-5 no longer near enough
    assert _pick_pair(M, {(4, 5)}, X, w) == (2, 3)  # cannot-linked pairs are never picked
    # the weights enter the merge cost: heavy rows 2, 3 and light rows 4, 5
    assert _pick_pair(M, set(), X, np.array([1.0, 1.0, 50.0, 50.0, 0.01, 0.01])) == (2, 3)


@pytest.mark.parametrize("seed", range(5))
def test_cuts_strengthen_the_plain_bound(seed):
    X, w, k = _case(seed + 60, n=9)
    opt = _brute(X, w, k)
    none = np.zeros((0, 2), dtype=np.int64)
    plain = node_bound(X, w, k, none, cuts=False, max_iter=2000).bound
    cut = node_bound(X, w, k, none, cuts=True, max_iter=2000).bound
    pw, _ = sdp_bound(X, k, sample_weight=w)
    assert cut <= opt * (1 + 1e-10)
    assert plain <= opt * (1 + 1e-10)
    assert cut >= plain * (1 - 1e-6)
    assert cut >= pw * (1 - 1e-6)


def test_cannot_link_bound_is_valid():
    X, w, k = _case(3, n=9)
    for a, b in [(0, 1), (2, 5), (4, 8)]:
        sub = _brute(X, w, k, cannot=[(a, b)])
        res = node_bound(X, w, k, np.array([[a, b]]))
        assert res.bound <= sub * (1 + 1e-10)


def test_branch_and_bound_sdp_route(monkeypatch):
    """With the enumeration given no time, the SDP tree proves the optimum by itself."""
    monkeypatch.setattr(bb, "ENUM_FIRST", 0.0)
    for seed in (1, 2, 3):
        X, w, k = _case(seed, n=9)
        X = np.column_stack([X, np.zeros(len(X)), np.zeros(len(X))])  # d >= 3: the SDP route
        r = branch_and_bound(X, k, sample_weight=w, time_limit=None, gap_tol=1e-7)
        assert r.proven_optimal and r.info["proof"] in ("sdp", "enumeration")
        assert r.objective == pytest.approx(_brute(X, w, k), rel=1e-7)
        assert r.lower_bound <= r.objective and r.gap <= 1e-7


def test_time_limited_search_reports_the_sdp_bound(monkeypatch):
    """Stopped early in d > 2, the gap reflects the SDP bound, not the enumeration's trivial one."""
    monkeypatch.setattr(bb, "ENUM_FIRST", 0.5)
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(25, 4)) + c for c in rng.normal(size=(4, 4)) * 1.2])
    r = branch_and_bound(X, 4, time_limit=15.0)
    c = optimeans.certify(X, r, method="sdp")
    assert r.lower_bound <= r.objective
    assert r.lower_bound >= 0.9 * c.lower_bound
    with pytest.raises(ValueError, match="gap_tol"):
        branch_and_bound(X, 4, gap_tol=2.0)
    with pytest.raises(ValueError, match="sdp"):
        branch_and_bound(X, 4, sdp="yes")


def test_must_link_warm_start_maps_partition_matrices():
    """The must-link child's warm start carries a partition matrix to the merged rows' one."""
    from optimeans.exact.sdp_bnb import _Cuts, _merge_warm

    rng = np.random.default_rng(0)
    n, k = 7, 3
    w = rng.uniform(0.5, 2.0, n)
    lab = np.array([0, 0, 1, 1, 2, 2, 2])

    def pmat(lab, w):
        M = np.zeros((len(w), len(w)))
        for c in np.unique(lab):
            m = lab == c
            s = np.sqrt(w[m])
            M[np.ix_(m, m)] = np.outer(s, s) / w[m].sum()
        return M

    g_parent = np.arange(n)
    g_child = np.array([0, 0, 1, 2, 3, 4, 5])  # rows 0 and 1 merged
    w_child = np.bincount(g_child, weights=w)
    M = pmat(lab, w)
    cuts = _Cuts.empty()
    cuts.tri, cuts.y = np.array([(0, 1, 2), (2, 3, -1), (1, 0, -1)]), np.array([1.0, 2.0, 3.0])
    P2, U2, rho, c2 = _merge_warm((M, -M, 1.5, cuts, g_parent, w), g_child, w_child)
    np.testing.assert_allclose(P2, pmat(np.array([0, 1, 1, 2, 2, 2]), w_child), atol=1e-12)
    np.testing.assert_allclose(U2, -P2, atol=1e-12)
    assert rho == 1.5
    assert c2.keys == [(1, 2)] and list(c2.y) == [2.0]  # cuts on the merged pair are gone


def test_spectral_projection_matches_the_full_decomposition():
    """The partial-eigensolver projection onto {0 <= Z <= I, tr Z = s} equals the one from every eigenpair."""
    from optimeans.exact.sdp_bnb import _project_spectral, _shift

    rng = np.random.default_rng(3)
    for n, s in [(12, 1), (30, 4), (40, 9)]:
        A = rng.normal(size=(n, n))
        B = A + A.T
        lam, Q = np.linalg.eigh(B)
        tau = _shift(lam, s)
        z = np.clip(lam - tau, 0.0, 1.0)
        assert z.sum() == pytest.approx(s, abs=1e-9)
        full = (Q * z) @ Q.T
        Qk, zk, m = _project_spectral(B, s, s + 1)
        np.testing.assert_allclose((Qk * zk) @ Qk.T, full, atol=1e-9)
        # the projection is the nearest point: moving towards any other feasible point does not help
        other = np.eye(n) * (s / n)
        assert np.linalg.norm(B - full) <= np.linalg.norm(B - other)


def test_low_precision_projection_is_near_the_exact_one():
    """The float32 eigensolver's projection is the float64 one to single precision, partial and full spectrum."""
    from optimeans.exact.sdp_bnb import _project_spectral

    rng = np.random.default_rng(8)
    for n, s, m in [(40, 3, 4), (60, 7, 60)]:
        A = rng.normal(size=(n, n))
        B = (A + A.T) / np.sqrt(n)
        Qk, zk, _ = _project_spectral(B, s, m)
        Ql, zl, _ = _project_spectral(B, s, m, low=True)
        assert Ql.dtype == np.float64
        exact = (Qk * zk) @ Qk.T
        low = (Ql * zl) @ Ql.T
        err = np.abs(low - exact).max()
        assert err < 1e-4
        assert err > 0.0  # it did run in float32
        assert np.trace(low) == pytest.approx(s, abs=1e-4)


def test_fused_admm_kernels_match_their_numpy_formulas():
    """The fused element-wise kernels of one ADMM step compute what their NumPy one-liners do."""
    from optimeans._kernels.sdp_cuts import (
        cut_matrix,
        polyhedral_update,
        rank_two_plus,
        relaxed_point,
        symmetric_difference,
    )

    rng = np.random.default_rng(4)
    n = 9
    P, U, M, K = (rng.normal(size=(n, n)) for _ in range(4))
    v, g = rng.normal(size=n), rng.normal(size=n)
    out = np.empty((n, n))
    symmetric_difference(P, U, out)
    np.testing.assert_allclose(out, 0.5 * ((P - U) + (P - U).T), rtol=0, atol=1e-14)
    out2 = np.empty((n, n))
    rank_two_plus(out, v, g, K, 0.5, out2)
    np.testing.assert_allclose(out2, out - np.outer(v, g) - np.outer(g, v) + 0.5 * K, rtol=0, atol=1e-13)
    ci = np.array([[0, 0, 1, 2], [3, 3, 0, 0]])
    cj = np.array([[0, 1, 2, 2], [3, 4, 0, 0]])
    cc = np.array([[1.0, -0.5, 2.0, -1.0], [0.7, -0.7, 0.0, 0.0]])
    nnz = np.array([4, 2])
    y = np.array([0.3, 1.5])
    Q = np.empty((n, n))
    R = np.empty((n, n))
    relaxed_point(M, P, U, 1.6, ci, cj, cc, nnz, y, Q, R)
    np.testing.assert_allclose(Q, 1.6 * M - 0.6 * P + U, rtol=0, atol=1e-13)
    np.testing.assert_allclose(R, Q + cut_matrix(n, ci, cj, cc, nnz, y), rtol=0, atol=1e-13)
    can = np.zeros((n, n), dtype=np.bool_)
    can[2, 5] = can[5, 2] = True
    R[2, 5] = R[5, 2] = 1.0  # positive, but a cannot-link entry
    P_old = P.copy()
    Pn, Un = P.copy(), U.copy()
    rp2, rd2 = polyhedral_update(R, Q, M, can, Pn, Un)
    expect = np.maximum(R, 0.0)
    expect[can] = 0.0
    np.testing.assert_array_equal(Pn, expect)
    np.testing.assert_allclose(Un, Q - expect, rtol=0, atol=1e-13)
    assert rp2 == pytest.approx(np.sum((M - expect) ** 2), rel=1e-12)
    assert rd2 == pytest.approx(np.sum((expect - P_old) ** 2), rel=1e-12)


def test_shift_solves_the_capped_simplex_equation():
    """sum(clip(lam - tau, 0, 1)) = s for unsorted spectra with ties and values exactly 1 apart."""
    from optimeans.exact.sdp_bnb import _shift

    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(2, 40))
        s = int(rng.integers(1, n))
        lam = rng.normal(size=n) * [0.1, 1.0, 5.0][trial % 3]
        if trial % 2:
            lam = np.round(lam, 1)  # ties, and pairs one apart
        tau = _shift(lam, s)
        assert np.clip(lam - tau, 0.0, 1.0).sum() == pytest.approx(s, abs=1e-9)


def test_cut_entries_hold_on_partition_matrices():
    """Every pair and triangle cut, built from its name, is >= 0 on partition matrices and violated as separated."""
    from optimeans.exact.sdp_bnb import _Cuts, _rebuild, _separate

    rng = np.random.default_rng(4)
    n, k = 9, 3
    w = rng.uniform(0.5, 2.0, n)
    tri = np.array([(i, j, -1) for i in range(n) for j in range(n) if i != j]
                   + [(i, j, l) for i in range(n) for j in range(n) for l in range(j + 1, n) if i not in (j, l)])
    sq = 1.0 / np.sqrt(w)
    cuts = _rebuild(tri, np.zeros(len(tri)), 1.0 / w, np.outer(sq, sq))

    def value(M):
        out = np.zeros(len(tri))
        for e in range(4):
            out += cuts.cc[:, e] * M[cuts.ci[:, e], cuts.cj[:, e]]
        return out

    for _ in range(5):
        lab = rng.permutation(np.arange(n) % k)
        M = np.zeros((n, n))
        for c in range(k):
            m = lab == c
            s = np.sqrt(w[m])
            M[np.ix_(m, m)] = np.outer(s, s) / w[m].sum()
        assert value(M).min() >= -1e-12
    # a matrix that breaks the triangle 0-1-2 (0 with 1 and 2, 1 apart from 2): separation finds it
    Z = np.diag(np.full(n, 0.5))
    Z[0, 1] = Z[1, 0] = Z[0, 2] = Z[2, 0] = 0.4
    M = Z / np.outer(sq, sq)
    got = _separate(M, w, _Cuts.empty(), 50, 1000)
    assert (0, 1, 2) in got.keys
    assert (value(M)[[t for t, key in enumerate(cuts.keys) if key == (0, 1, 2)]] < 0).all()



@pytest.mark.parametrize("seed", range(6))
def test_triangle_separation_keeps_the_most_violated(seed):
    """The kernel returns exactly the cap largest violations among the anchor's neighbour triples, by brute force."""
    from optimeans._kernels.sdp_cuts import separate_triangles

    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 20))
    A = np.abs(rng.normal(size=(n, n))) * (rng.uniform(size=(n, n)) < 0.6)
    Z = (A + A.T) / 2
    thr = 0.05
    viol = sorted(
        (Z[i, j] + Z[i, k] - Z[i, i] - Z[j, k] for i in range(n) for j in range(n) for k in range(j + 1, n)
         if i not in (j, k) and Z[i, j] > thr and Z[i, k] > thr and Z[i, j] + Z[i, k] - Z[i, i] - Z[j, k] > thr),
        reverse=True,
    )
    cap = int(rng.integers(1, 30))
    oi, oj, ok = (np.zeros(cap, dtype=np.int64) for _ in range(3))
    ov = np.zeros(cap)
    c = separate_triangles(Z, thr, cap, oi, oj, ok, ov)
    assert c == min(cap, len(viol))
    np.testing.assert_allclose(sorted(ov[:c], reverse=True), viol[:cap])
    np.testing.assert_allclose(Z[oi[:c], oj[:c]] + Z[oi[:c], ok[:c]] - Z[oi[:c], oi[:c]] - Z[oj[:c], ok[:c]], ov[:c])
    assert (oj[:c] < ok[:c]).all()


@pytest.mark.parametrize("seed", range(6))
def test_triangle_separation_pruned_scan_on_dense_matrices_with_negative_entries(seed):
    """The early stop of the sorted scan keeps the cap largest violations when every pair is a neighbour

    and some entries are negative (the bound on a violation then counts the least entry); brute force."""
    from optimeans._kernels.sdp_cuts import separate_triangles

    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(8, 30))
    A = rng.uniform(0.0, 1.0, size=(n, n)) - 1.5 * (rng.uniform(size=(n, n)) < 0.1)
    Z = (A + A.T) / 2
    thr = 1e-6
    viol = sorted(
        (Z[i, j] + Z[i, k] - Z[i, i] - Z[j, k] for i in range(n) for j in range(n) for k in range(j + 1, n)
         if i not in (j, k) and Z[i, j] > thr and Z[i, k] > thr and Z[i, j] + Z[i, k] - Z[i, i] - Z[j, k] > thr),
        reverse=True,
    )
    for cap in (1, 7, 3 * n, 10**5):
        oi, oj, ok = (np.zeros(cap, dtype=np.int64) for _ in range(3))
        ov = np.zeros(cap)
        c = separate_triangles(Z, thr, cap, oi, oj, ok, ov)
        assert c == min(cap, len(viol))
        np.testing.assert_allclose(sorted(ov[:c], reverse=True), viol[:cap], rtol=1e-12)
        got = Z[oi[:c], oj[:c]] + Z[oi[:c], ok[:c]] - Z[oi[:c], oi[:c]] - Z[oj[:c], ok[:c]]
        np.testing.assert_allclose(got, ov[:c], rtol=1e-12)
        assert (oj[:c] < ok[:c]).all() and (oi[:c] != oj[:c]).all() and (oi[:c] != ok[:c]).all()
