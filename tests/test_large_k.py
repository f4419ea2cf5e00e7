"""Large k (k a sizeable fraction of n): the accelerated methods still give Lloyd's run bit for bit.

Yinyang has two ways to re-assign a point whose bounds fail: center by center
through its groups, or the full SIMD scan of every center (when the groups to
examine hold more than ``k / DENSE`` centers). Both are forced here, on data
built to make ties: integer grids (many points equidistant from two centers),
duplicate initial centers, and points that sit exactly halfway between two
centers.
"""

import numpy as np
import pytest

from optimeans.solvers import accelerated, lloyd, resolve


def tie_data(n, d, k, seed, dtype):
    """Integer-valued points (exact ties everywhere), initial centers with duplicates and midpoints."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4 if d > 2 else 40, size=(n, d)).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    C0[1::7] = C0[0::7][: C0[1::7].shape[0]]  # duplicate centers
    # points exactly halfway between two centers (the centers differ by even integers on the grid)
    a = rng.integers(0, 4 if d > 2 else 40, size=(k // 10, d)) * 2
    b = a + 2 * rng.integers(0, 2, size=a.shape)
    X[: a.shape[0]] = ((a + b) // 2).astype(dtype)
    C0[-2 * a.shape[0] :: 2] = a.astype(dtype)
    C0[-2 * a.shape[0] + 1 :: 2] = b.astype(dtype)
    return np.ascontiguousarray(X), np.ascontiguousarray(C0)


def assert_same_run(a, b):
    assert a.n_iter == b.n_iter
    assert a.stop_reason == b.stop_reason
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 16, 70])
@pytest.mark.parametrize("dense", [1, 16, 10**9])
def test_yinyang_large_k_equals_lloyd_on_ties(monkeypatch, dtype, d, dense):
    monkeypatch.setattr(accelerated, "DENSE", dense)
    n, k = 3000, 500
    X, C0 = tie_data(n, d, k, seed=d, dtype=dtype)
    assert len(np.unique(C0, axis=0)) < k  # the duplicates are really there
    w = np.ones(n)
    ref = lloyd.run(X, w, C0, max_iter=30, tol=0.0, n_threads=1)
    for threads in (1, 2):
        res = accelerated.run_yinyang(X, w, C0, max_iter=30, tol=0.0, n_threads=threads)
        assert_same_run(res, ref)
    fr = res.info["distance_fraction"]
    assert fr[0] == 1.0  # the first iteration is the full scan
    # at most every center per point, plus the one distance that tightens its upper bound
    assert len(fr) == ref.n_iter and all(0.0 <= f <= 1.0 + 1.0 / k + 1e-9 for f in fr)


@pytest.mark.parametrize("n_groups", [1, 7, 500])
def test_yinyang_any_group_count_is_exact_at_large_k(n_groups):
    X, C0 = tie_data(3000, 16, 500, seed=3, dtype=np.float32)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=3000)
    ref = lloyd.run(X, w, C0, max_iter=20, tol=0.0)
    res = accelerated.run_yinyang(X, w, C0, max_iter=20, tol=0.0, n_groups=n_groups, n_threads=2)
    assert_same_run(res, ref)


@pytest.mark.parametrize("name", ["hamerly", "elkan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_other_bounds_large_k_equal_lloyd_on_ties(name, dtype):
    X, C0 = tie_data(3000, 70, 500, seed=5, dtype=dtype)
    w = np.ones(3000)
    ref = lloyd.run(X, w, C0, max_iter=15, tol=0.0, n_threads=2)
    res = getattr(accelerated, f"run_{name}")(X, w, C0, max_iter=15, tol=0.0, n_threads=1)
    assert_same_run(res, ref)


def test_yinyang_memory_is_n_by_groups_not_n_by_k():
    X, C0 = tie_data(3000, 2, 500, seed=1, dtype=np.float64)
    y = accelerated._Yinyang(X, 500, np.ones(3000), C0, accelerated.default_groups(3000, 500), accelerated.DENSE)
    assert y.glower.shape == (3000, accelerated.default_groups(3000, 500))
    assert y.glower.shape[1] < 500
    assert y.half_sep.size == 0  # no O(k^2) separations either


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 3, 16])
@pytest.mark.parametrize("leaf_size", [1, 8, 10**6])
def test_kdtree_equals_lloyd_on_ties(dtype, d, leaf_size):
    n, k = 3000, 500
    X, C0 = tie_data(n, d, k, seed=d, dtype=dtype)
    w = np.ones(n)
    ref = lloyd.run(X, w, C0, max_iter=30, tol=0.0, n_threads=1)
    for threads in (1, 2):
        res = accelerated.run_kdtree(X, w, C0, max_iter=30, tol=0.0, n_threads=threads, leaf_size=leaf_size)
        assert_same_run(res, ref)
    fr = res.info["distance_fraction"]
    assert len(fr) in (ref.n_iter, ref.n_iter + 1)  # one more for the final assignment
    assert all(0.0 <= f <= 1.0 + 1.0 / k + 1e-9 for f in fr)
    if d == 2 and leaf_size == 8:
        assert max(fr) < 0.1  # the tree prunes: a few tens of the 500 distances per point at most


def test_kdtree_points_halfway_between_centers():
    """Points equidistant from two or four centers: the lowest index wins, as in Lloyd's assignment."""
    from optimeans._kernels.lloyd import Workspace

    g = np.arange(0.0, 40.0, 2.0)
    C0 = np.array([(a, b) for a in g for b in g])[::-1].copy()  # indices run against the coordinates
    odd = np.arange(1.0, 39.0, 2.0)
    X = np.array([(a, b) for a in odd for b in g] + [(a, b) for a in odd for b in odd] + [(a, b) for a in g for b in odd])
    X = np.ascontiguousarray(np.repeat(X, 3, axis=0))
    w = np.ones(X.shape[0])
    k = C0.shape[0]
    for dtype in (np.float32, np.float64):
        Xd, Cd = X.astype(dtype), np.ascontiguousarray(C0.astype(dtype))
        D = ((Xd[:, None, :].astype(np.float64) - Cd[None].astype(np.float64)) ** 2).sum(-1)  # exact: integers
        assert ((D == D.min(axis=1, keepdims=True)).sum(axis=1) >= 2).all()  # every point is a tie
        ws = Workspace(Xd, k, w)
        ws.set_centers(Cd)
        ws.assign(True)
        for leaf in (1, 3, 1000):
            tree = accelerated._KDTree(Xd, k, w, leaf)
            tree.ws.set_centers(Cd)
            tree(Cd, False)
            np.testing.assert_array_equal(tree.ws.labels, np.argmin(D, axis=1))
            np.testing.assert_array_equal(tree.ws.labels, ws.labels)
            np.testing.assert_array_equal(tree.ws.S, ws.S)
        ref = lloyd.run(Xd, w, Cd, max_iter=5, tol=0.0)
        assert_same_run(accelerated.run_kdtree(Xd, w, Cd, max_iter=5, tol=0.0, leaf_size=3), ref)


def test_kdtree_weights_and_bad_leaf_size():
    X, C0 = tie_data(3000, 2, 500, seed=7, dtype=np.float64)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=3000)
    ref = lloyd.run(X, w, C0, max_iter=20, tol=0.0)
    assert_same_run(accelerated.run_kdtree(X, w, C0, max_iter=20, tol=0.0, n_threads=2), ref)
    with pytest.raises(ValueError, match="leaf_size"):
        accelerated.run_kdtree(X, w, C0, leaf_size=0)


def test_auto_picks_by_shape_at_large_k():
    X = np.zeros((100000, 64), dtype=np.float32)
    assert resolve("auto", X, 1024) == "ball"
    assert resolve("auto", np.zeros((250000, 2), dtype=np.float32), 6000) == "kdtree"
    assert resolve("auto", np.zeros((250000, 3), dtype=np.float32), 6000) == "kdtree"
    assert resolve("auto", np.zeros((250000, 2), dtype=np.float32), 10) == "lloyd"
    assert resolve("auto", np.zeros((200000, 32), dtype=np.float32), 64) == "lloyd"
    assert resolve("auto", np.zeros((200000, 16), dtype=np.float32), 16384) == "lloyd"
    assert resolve("auto", np.zeros((200000, 4), dtype=np.float32), 1024) == "lloyd"
    assert resolve("auto", np.zeros((50000, 17), dtype=np.float32), 4096) == "lloyd"  # 12 points per center
    assert resolve("auto", np.zeros((100000, 32), dtype=np.float32), 1024) == "ball"  # 98 per center
    assert resolve("auto", np.zeros((50000, 128), dtype=np.float32), 4096) == "ball"


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kdtree_distance_has_the_bits_of_sqdist64(d, dtype):
    """The tree's scalar distance for 2 or 3 features is the Lloyd kernel's float64 distance, bit for bit."""
    from optimeans._kernels import accelerated as K
    from optimeans._kernels.lloyd import padded_features, sqdist64

    rng = np.random.default_rng(d)
    X = (rng.normal(size=(400, d)) * 10.0 ** rng.integers(-3, 4, size=(400, 1))).astype(dtype)
    C = np.zeros((50, padded_features(d)))
    C[:, :d] = rng.normal(size=(50, d)) * 10.0 ** rng.integers(-3, 4, size=(50, 1))
    got = K.few_sqdists(X, C)
    ref = np.array([[sqdist64(X, i, C, j) for j in range(50)] for i in range(400)])
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [16, 29])
def test_lloyd_skip_scan_equals_full_folding_on_ties(monkeypatch, dtype, d):
    """The large-k scan that folds only the groups of sixteen centers able to matter gives Lloyd's run bit for bit."""
    from optimeans._kernels import lloyd as K

    n, k = 3000, 500
    kp = K.padded_clusters(k)
    assert K.lloyd_kernel_of(kp, d) is K._lloyd_chunks3  # the skipping scan runs at this shape
    X, C0 = tie_data(n, d, k, seed=11 + d, dtype=dtype)
    w = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    # one pass against the exact labels: first index of the smallest float64 distance (integers: exact)
    ws = K.Workspace(X, k, w)
    ws.set_centers(C0)
    ws.assign(True)
    D = ((X[:, None, :].astype(np.float64) - C0[None].astype(np.float64)) ** 2).sum(-1)
    assert ((D == D.min(axis=1, keepdims=True)).sum(axis=1) >= 2).sum() > n // 10  # many exact ties
    np.testing.assert_array_equal(ws.labels, np.argmin(D, axis=1))
    runs = [lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=t) for t in (1, 2)]
    monkeypatch.setattr(K, "SKIP_FROM", 10**9)
    assert K.lloyd_kernel_of(kp, d) is K._lloyd_chunks2
    ref = lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=1)
    for res in runs:
        assert_same_run(res, ref)


@pytest.mark.parametrize("dense", [4, 16])
def test_yinyang_centers_equal_lloyd_bits_on_real_valued_data(monkeypatch, dense):
    # Real-valued data and weights: the float64 sums depend on the order in which
    # rows move. Points settled through their groups and points sent to the full
    # scan in the same chunk must move in row order, as in Lloyd.
    monkeypatch.setattr(accelerated, "DENSE", dense)
    rng = np.random.default_rng(7)
    n, d, k = 6000, 16, 300
    X = (rng.normal(size=(n, d)) + 3.0 * rng.normal(size=(40, d))[rng.integers(0, 40, n)]).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=n)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    ref = lloyd.run(X, w, C0, max_iter=15, tol=0.0, n_threads=1)
    for threads in (1, 2):
        res = accelerated.run_yinyang(X, w, C0, max_iter=15, tol=0.0, n_threads=threads)
        assert_same_run(res, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [64, 70])
def test_lloyd_gemm_pass_equals_scan_on_ties(monkeypatch, dtype, d):
    """The assignment whose fast values come from BLAS (any summation order) gives Lloyd's run bit for bit."""
    from optimeans._kernels import lloyd as K

    n, k = 3000, 500
    kp = K.padded_clusters(k)
    assert K.lloyd_kernel_of(kp, d) is K._lloyd_chunks_gemm  # the BLAS pass runs at this shape
    X, C0 = tie_data(n, d, k, seed=21 + d, dtype=dtype)
    w = np.random.default_rng(d).uniform(0.5, 2.0, size=n)
    D = ((X[:, None, :].astype(np.float64) - C0[None].astype(np.float64)) ** 2).sum(-1)  # integers: exact
    assert ((D == D.min(axis=1, keepdims=True)).sum(axis=1) >= 2).sum() > n // 10  # many exact ties
    ws = K.Workspace(X, k, w)
    ws.set_centers(C0)
    ws.assign(True)
    np.testing.assert_array_equal(ws.labels, np.argmin(D, axis=1))
    # the data need the guard: without it the products' rounding picks other centers on the ties
    broken = K.Workspace(X, k, w)
    broken.kappa = -1.0
    broken.set_centers(C0)
    broken.assign(True)
    assert (broken.labels != np.argmin(D, axis=1)).any()
    runs = [lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=t) for t in (1, 2)]
    monkeypatch.setattr(K, "GEMM_FROM", 10**9)
    assert K.lloyd_kernel_of(kp, d) is not K._lloyd_chunks_gemm
    ref = lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=1)
    for res in runs:
        assert_same_run(res, ref)


def _argmin_blocked(X, C):
    """Canonical labels (first index of the smallest float64 squared distance), 256 rows at a time."""
    out = np.empty(X.shape[0], dtype=np.int64)
    C = C.astype(np.float64)
    for s in range(0, X.shape[0], 256):
        D = ((X[s : s + 256, None, :].astype(np.float64) - C[None]) ** 2).sum(-1)
        out[s : s + 256] = np.argmin(D, axis=1)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_slabs_of_centers_equal_scan_on_ties(monkeypatch, dtype):
    """More padded centers than one BLAS slab (GEMM_SLAB, the last slab partial): Lloyd's BLAS pass
    and Yinyang's BLAS full scans carry the minima from slab to slab and give the scan's run bit for bit."""
    from optimeans._kernels import lloyd as K

    n, d, k = 2500, 64, 1100
    kp = K.padded_clusters(k)
    assert kp > K.GEMM_SLAB and kp % K.GEMM_SLAB != 0  # two slabs, the second partial
    assert K.lloyd_kernel_of(kp, d) is K._lloyd_chunks_gemm
    X, C0 = tie_data(n, d, k, seed=5, dtype=dtype)
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=n)
    canon = _argmin_blocked(X, C0)
    ws = K.Workspace(X, k, w)
    ws.set_centers(C0)
    ws.assign(True)
    np.testing.assert_array_equal(ws.labels, canon)
    broken = K.Workspace(X, k, w)
    broken.kappa = -1.0  # no guard: the products' rounding picks other centers on the ties
    broken.set_centers(C0)
    broken.assign(True)
    assert (broken.labels != canon).any()
    runs = [lloyd.run(X, w, C0, max_iter=8, tol=0.0, n_threads=t) for t in (1, 2)]
    runs += [accelerated.run_yinyang(X, w, C0, max_iter=8, tol=0.0, n_threads=t) for t in (1, 2)]
    monkeypatch.setattr(accelerated, "DENSE", 1)  # every failing point to the full scan
    runs += [accelerated.run_yinyang(X, w, C0, max_iter=8, tol=0.0, n_threads=2)]
    monkeypatch.setattr(K, "GEMM_FROM", 10**9)
    assert K.lloyd_kernel_of(kp, d) is not K._lloyd_chunks_gemm
    ref = lloyd.run(X, w, C0, max_iter=8, tol=0.0, n_threads=1)
    for res in runs:
        assert_same_run(res, ref)


def test_parallel_moves_have_the_serial_bits():
    """The sums of many chunks added in parallel slices (add_moves) equal the serial chunk-order sums bit for bit."""
    from optimeans._kernels import lloyd as K

    rng = np.random.default_rng(11)
    nc, k, dp = 5, 1100, 512
    assert nc * k * dp >= K.PARALLEL_MOVES  # the parallel path runs
    chunk_S = rng.normal(size=(nc, k * dp)) * 10.0 ** rng.integers(-8, 8, size=(nc, k * dp))
    chunk_Q = rng.normal(size=(nc, k))
    chunk_W = rng.normal(size=(nc, k))
    chunk_N = rng.integers(-3, 3, size=(nc, k))
    changed = np.array([3, 0, 5, 1, 2])
    chunk_S[1] = np.nan  # a chunk with no change is skipped, whatever it holds
    out = []
    for fn in (K.apply_moves, K.add_moves):
        S = rng.normal(size=k * dp) * 0 + 1.0
        Q, W, N = np.ones(k), np.ones(k), np.full(k, 2)
        N[:7] = -chunk_N[[0, 2, 3, 4], :7].sum(axis=0)  # these clusters end empty: zero sums
        assert fn(chunk_S, chunk_Q, chunk_W, chunk_N, changed, S, Q, W, N) == 11
        out.append((S, Q, W, N))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
    S = out[1][0]
    assert not np.isnan(S).any()
    expect = 1.0 + chunk_S[0] + chunk_S[2] + chunk_S[3] + chunk_S[4]  # chunk order, left to right
    empty = np.repeat(out[1][3] == 0, dp)
    np.testing.assert_array_equal(S[~empty], expect[~empty])
    assert (S[empty] == 0).all() and empty.any()


# ------------------------------------------------------------------ Yinyang's full pass and the switch to it


def _true_bounds(X, C, labels, group_of):
    """Exact distances to the own center and, per group, the smallest over its centers other than the label."""
    D = np.sqrt(((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None]) ** 2).sum(-1))
    rows = np.arange(X.shape[0])
    own = D[rows, labels]
    D[rows, labels] = np.inf
    t = int(group_of.max()) + 1
    gmin = np.stack([D[:, group_of == g].min(axis=1) for g in range(t)], axis=1)
    return own, gmin


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_yinyang_full_pass_sets_lloyds_labels_and_valid_tight_bounds(monkeypatch, dtype):
    """The full pass (BLAS products over the centers in group order) gives Lloyd's labels and sums
    and bounds that are true bounds (never above the distance they bound), and tight."""
    from optimeans._kernels.lloyd import Workspace

    n, d, k = 3000, 70, 500  # 512 padded centers, 70 features: the BLAS path
    X, C0 = tie_data(n, d, k, seed=11, dtype=dtype)
    w = np.ones(n)
    y = accelerated._Yinyang(X, k, w, C0, 40, accelerated.DENSE)
    assert y.gemm and y.slabs[-1] == y.glower.shape[1]
    monkeypatch.setattr(accelerated, "FULL_FROM", -1.0)  # every step a full pass
    C1 = C0.copy()
    C1[::3] += 1  # integer moves: distances stay exact, ties stay ties
    ref = Workspace(X, k, w)
    for step, C in enumerate((C0, C1)):
        y.ws.set_centers(C)
        y(C, False)
        ref.set_centers(C)
        ref.assign(True)
        np.testing.assert_array_equal(y.ws.labels, ref.labels)
        np.testing.assert_array_equal(y.ws.S, ref.S)
        np.testing.assert_array_equal(y.ws.N, ref.N)
        own, gmin = _true_bounds(X, C, y.ws.labels, y.group_of)
        assert (y.upper >= own).all()
        assert (y.upper <= own * (1 + 1e-6) + 1e-6).all()
        assert (y.glower <= gmin).all()
        finite = np.isfinite(gmin) & (gmin > 0)
        # tight: the fast values' error bound is small at these magnitudes
        assert (y.glower[finite] >= gmin[finite] * (1 - 1e-3) - 1e-3).mean() > 0.99
        assert y.full_passes == [1] * (step + 1)


@pytest.mark.parametrize("d", [16, 70])
@pytest.mark.parametrize("pattern", [(0, 1), (1, 0, 0), (1, 1, 0)])
def test_yinyang_switching_between_full_pass_and_filter_equals_lloyd(monkeypatch, d, pattern):
    """Filtered steps after full passes and full passes after filtered steps: Lloyd's run, bit for bit.

    The predicted cost is replaced by a fixed cycle, so both transitions happen many
    times; a filtered step after a full pass relies on the bounds the full pass set.
    """
    n, k = 3000, 500
    X, C0 = tie_data(n, d, k, seed=d + 1, dtype=np.float32)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=n)
    ref = lloyd.run(X, w, C0, max_iter=20, tol=0.0, n_threads=1)
    assert ref.n_iter >= 8
    for threads in (1, 2):
        calls = []

        def cycle(*args):
            calls.append(None)
            return 2.0 if pattern[(len(calls) - 1) % len(pattern)] else 0.0

        monkeypatch.setattr(accelerated, "yinyang_full_fraction", cycle)
        res = accelerated.run_yinyang(X, w, C0, max_iter=20, tol=0.0, n_threads=threads)
        assert_same_run(res, ref)
        full = res.info["full_passes"]
        assert full[0] == 1  # the first step has no bounds: always full
        assert full[1:] == [pattern[q % len(pattern)] for q in range(len(full) - 1)]
        fr = res.info["distance_fraction"]
        assert all(f == 1.0 for f, p in zip(fr, full) if p)


def test_yinyang_full_fraction_matches_a_reference():
    """The prediction: 1 for a point the step would scan fully, its failing groups' share times
    ``dense`` (at most 1) for a point settled group by group, 0 for a point the bounds keep."""
    from optimeans._kernels.accelerated import yinyang_full_fraction
    from optimeans._kernels.lloyd import padded_features

    rng = np.random.default_rng(5)
    n, d, k, t, dense = 400, 8, 60, 6, 4
    X = rng.normal(size=(n, d))
    C = rng.normal(size=(k, d))
    dp = padded_features(d)
    C64 = np.zeros((k, dp))
    C64[:, :d] = C
    labels = rng.integers(-1, k, size=n)
    dist = np.sqrt(((X[:, None, :] - C[None]) ** 2).sum(-1))
    own = dist[np.arange(n), np.maximum(labels, 0)]
    upper = own * rng.uniform(0.5, 1.5, size=n)
    glower = own[:, None] * rng.uniform(0.6, 2.5, size=(n, t))
    drift = rng.uniform(0, 0.1, size=k)
    gdrift = rng.uniform(0, 0.1, size=t)
    sizes = rng.multinomial(k - t, np.ones(t) / t) + 1
    group_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    rel = 1e-12
    for stride in (1, 7):
        got = yinyang_full_fraction(X, C64, labels, upper, glower, drift, gdrift, group_start, k, dense, rel, stride)
        costs = []
        for i in range(0, n, stride):
            a = labels[i]
            if a < 0:
                costs.append(1.0)
                continue
            lb = (glower[i] - gdrift) * (1 - rel)
            if (upper[i] + drift[a]) * (1 + rel) < lb.min():
                costs.append(0.0)
                continue
            u = own[i] * (1 + rel)
            if u < lb.min():
                costs.append(0.0)
                continue
            work = sizes[~(u < lb)].sum()
            costs.append(1.0 if work * dense > k else work * dense / k)
        assert got == pytest.approx(np.mean(costs), abs=1e-9)
        assert 0.0 < got < 1.0  # every kind of point is in the sample
