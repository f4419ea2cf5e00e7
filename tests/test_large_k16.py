"""The anchored-ball assignment (``method="ball"``) gives Lloyd's run bit for bit.

Its scan skips every center farther than ``2 U + mu`` from a point's previous
center; these tests check the labels and centers against Lloyd's on data built
for ties (integer grids, duplicate centers, midpoints), on random blobs for
several ``k`` and ``d``, on 1 and 2 threads, and check the kernel alone against
brute force with anchors chosen to put the nearest center close to the edge of
the ball (a bound that is too tight fails there).
"""

import numpy as np
import pytest

from optimeans._kernels import ball as B
from optimeans._numba import numba_threads
from optimeans.solvers import ball, lloyd

from test_large_k import assert_same_run, tie_data


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d,k", [(2, 40), (4, 300), (16, 500), (33, 130)])
def test_ball_equals_lloyd_on_ties(dtype, d, k):
    n = 3000
    X, C0 = tie_data(n, d, k, seed=d + k, dtype=dtype)
    assert len(np.unique(C0, axis=0)) < k  # duplicate centers: empty clusters get relocated
    w = np.ones(n)
    ref = lloyd.run(X, w, C0, max_iter=25, tol=0.0, n_threads=1)
    for threads in (1, 2):
        res = ball.run(X, w, C0, max_iter=25, tol=0.0, n_threads=threads)
        assert_same_run(res, ref)
        assert res.method == "ball"


@pytest.mark.parametrize("d,k,n", [(16, 1000, 20000), (8, 517, 12000), (16, 64, 9000), (3, 7, 5000)])
def test_ball_equals_lloyd_on_blobs(d, k, n):
    rng = np.random.default_rng(k)
    means = rng.normal(scale=2.0, size=(k, d))
    X = (means[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    w = rng.uniform(0.5, 2.0, size=n)  # weights: the sums go through the same moves
    ref = lloyd.run(X, w, C0, max_iter=8, tol=0.0, n_threads=1)
    r1 = ball.run(X, w, C0, max_iter=8, tol=0.0, n_threads=1)
    r2 = ball.run(X, w, C0, max_iter=8, tol=0.0, n_threads=2)
    assert_same_run(r1, ref)
    assert_same_run(r2, ref)
    if k >= 500:
        # the bound really skips centers once the centers settle
        assert r1.info["scanned_fraction"] < 0.9


def brute_labels(X, C):
    """First index of the least float64 squared distance (the canonical label)."""
    D = ((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]) ** 2).sum(axis=2)
    return D.argmin(axis=1)


@pytest.mark.parametrize("d,k", [(2, 300), (16, 300), (16, 60), (3, 45)])
def test_anchored_pass_is_exact_at_the_edge_of_the_ball(d, k):
    # Anchors are each point's SECOND nearest center (or a far one): the nearest lies inside
    # the ball of radius 2U, close to its edge for many points. A bound that drops the factor 2,
    # or the margin, loses those nearest centers and this test fails. With k = 60 or 45 the
    # anchors hold 60-90 points (four to six blocks): the blocks but the last scan the copied
    # panel, the last one continues in place through the indices (a wrong start or a wrong
    # index there fails this test too).
    rng = np.random.default_rng(d + k)
    n = 4000
    X = rng.normal(size=(n, d)).astype(np.float32)
    C = rng.normal(size=(k, d)).astype(np.float32)
    D = ((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(D, axis=1, kind="stable")
    anchors = np.where(rng.random(n) < 0.8, order[:, 1], order[:, -1])
    for threads in (1, 2):
        ws = B.BallWorkspace(X, k)
        ws.set_centers(C)
        ws.labels[:] = anchors
        with numba_threads(threads):
            moved = ws.assign(do_sums=False)
        np.testing.assert_array_equal(ws.labels, brute_labels(X, C))
        assert moved == int((anchors != ws.labels).sum())
        assert ws.scanned_fraction < 1.0  # the anchored path ran (not the full scan)


def test_anchored_pass_breaks_ties_by_the_first_index():
    # integer points and duplicate centers: exact ties, resolved as Lloyd does (first index)
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(2000, 4)).astype(np.float64)
    C = rng.integers(0, 3, size=(200, 4)).astype(np.float64)
    C[100:] = C[:100]  # every center twice: the later copy must never win
    ws = B.BallWorkspace(X, 200)
    ws.set_centers(C)
    ws.labels[:] = rng.integers(0, 200, size=2000)
    ws.assign(do_sums=False)
    np.testing.assert_array_equal(ws.labels, brute_labels(X, C))
    assert ws.labels.max() < 100


def test_auto_picks_ball_only_with_many_points_per_center():
    from optimeans.solvers import resolve

    def shape(n, d):  # resolve reads only the shape: a broadcast view costs no memory
        return np.broadcast_to(np.float32(0.0), (n, d))

    assert resolve("auto", shape(1_000_000, 16), 16384) == "ball"
    assert resolve("auto", shape(200_000, 16), 16384) == "lloyd"  # 12 points per center: ball loses
    assert resolve("auto", shape(1_000_000, 8), 16384) == "lloyd"  # not measured below 12 features
    assert resolve("auto", shape(1_000_000, 16), 4096) == "lloyd"


def test_store_set_lanes_writes_the_set_lanes_in_order():
    # the compress store that lists the candidates: exactly the set bits, ascending, nothing past them
    from numba import njit

    L = B.LANES32

    @njit
    def listing(out, masks):
        pos = 0
        for g in range(masks.shape[0]):
            pos += B.store_set_lanes(out, pos, 1000 + g * L, masks[g])
        return pos

    rng = np.random.default_rng(5)
    masks = rng.integers(0, 1 << L, size=200)
    masks[:3] = [0, (1 << L) - 1, 1 << (L - 1)]
    masks[3] = masks[4] | (1 << L)  # bits past the lanes are ignored
    out = np.full(200 * L + 5 + L, -7, dtype=np.int32)
    n = listing(out, masks)
    ref = [1000 + g * L + lane for g in range(200) for lane in range(L) if (int(masks[g]) >> lane) & 1]
    assert n == len(ref)
    np.testing.assert_array_equal(out[:n], ref)
    assert (out[n + L :] == -7).all()  # at most L elements of slack written past the listing


def test_peel_outliers_moves_the_largest_u_of_large_segments():
    rng = np.random.default_rng(2)
    sizes = np.array([0, 1, 23, 24, 60, 5, 100])
    seg_start = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    n = int(seg_start[-1])
    perm = rng.permutation(n).astype(np.int64)
    out = np.full(n, -1, dtype=np.int64)
    starts = B.peel_outliers(perm, seg_start, 2, 24, 3, out)
    k = sizes.shape[0]
    assert sorted(out.tolist()) == list(range(n))  # a permutation: no point lost or doubled
    peeled = []
    for a in range(k):
        s, e = seg_start[a], seg_start[a + 1]
        kept = perm[s:e] if e - s < 24 else perm[s : e - 2]
        np.testing.assert_array_equal(out[starts[a] : starts[a + 1]], kept)
        if e - s >= 24:
            peeled.extend(perm[e - 2 : e])
    np.testing.assert_array_equal(out[starts[k] :], peeled)  # segments 24, 60, 100 give two each
    assert starts[-1] == n and np.all(np.diff(starts[k:]) == [3, 3])


@pytest.mark.parametrize("d,k,n", [(16, 40, 6000), (3, 200, 12000)])
@pytest.mark.parametrize("far", [0.0, 0.2])
@pytest.mark.parametrize("peel", [0, 2, 5])
def test_anchored_pass_with_peeled_points_is_exact(monkeypatch, peel, far, d, k, n):
    # Clusters of 60-150 points, anchored at each point's second nearest center or (a
    # fraction ``far``) its farthest: those have the largest U of their cluster and are the
    # ones peeled to the full scan. A peeled point not scanned, or scanned in a ball around
    # another center, ends with a wrong label (in 3 dimensions the balls are local enough
    # for the latter to show).
    monkeypatch.setattr(B, "PEEL", peel)
    rng = np.random.default_rng(11 + peel + d)
    X = rng.normal(size=(n, d)).astype(np.float32)
    C = rng.normal(size=(k, d)).astype(np.float32)
    D = ((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(D, axis=1, kind="stable")
    anchors = np.where(rng.random(n) >= far, order[:, 1], order[:, -1])
    assert (np.bincount(anchors, minlength=k) >= B.PEEL_MIN).sum() >= k // 2  # most clusters peel
    for threads in (1, 2):
        ws = B.BallWorkspace(X, k)
        ws.set_centers(C)
        ws.labels[:] = anchors
        with numba_threads(threads):
            ws.assign(do_sums=False)
        np.testing.assert_array_equal(ws.labels, brute_labels(X, C))
