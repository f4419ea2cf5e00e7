"""The anchored ball (``method="ball"``) where ``method="auto"`` now sends large k from 64 features.

tests/test_large_k16.py covers 2 to 33 features; here the same guarantees at 64 and 128
features (the shapes of the auto rule: Lloyd's labels and centers bit for bit on ties and on
blobs, on 1 and 2 threads; the nearest center near the edge of the ``2 U`` ball found).
"""

import numpy as np
import pytest

from optimeans._kernels import ball as B
from optimeans._numba import numba_threads
from optimeans.solvers import ball, lloyd, resolve

from test_large_k import assert_same_run, tie_data


@pytest.mark.parametrize("d,k", [(64, 520), (128, 300)])
def test_ball_equals_lloyd_on_ties_many_features(d, k):
    n = 2500
    X, C0 = tie_data(n, d, k, seed=d + k, dtype=np.float32)
    assert len(np.unique(C0, axis=0)) < k  # duplicate centers: exact ties, empty clusters
    w = np.ones(n)
    ref = lloyd.run(X, w, C0, max_iter=12, tol=0.0, n_threads=1)
    for threads in (1, 2):
        assert_same_run(ball.run(X, w, C0, max_iter=12, tol=0.0, n_threads=threads), ref)


@pytest.mark.parametrize("d,k,n", [(64, 600, 12000), (128, 520, 6000)])
def test_ball_equals_lloyd_on_blobs_many_features(d, k, n):
    # bench_lloyd.make_data's kind of data (overlapping blobs, k random rows), with weights
    rng = np.random.default_rng(d + k)
    means = rng.normal(scale=2.0, size=(k, d))
    X = (means[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(np.float32)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    w = rng.uniform(0.5, 2.0, size=n)
    ref = lloyd.run(X, w, C0, max_iter=6, tol=0.0, n_threads=1)
    for threads in (1, 2):
        r = ball.run(X, w, C0, max_iter=6, tol=0.0, n_threads=threads)
        assert_same_run(r, ref)
        assert r.info["scanned_fraction"] < 0.9  # the ball skipped centers


@pytest.mark.parametrize("d,k", [(64, 200), (128, 120)])
def test_anchored_pass_finds_the_nearest_at_the_edge_of_the_ball(d, k):
    # Half the points sit by a center and are anchored there (their balls hold few centers:
    # the pruning runs); the other half sit near the midpoint of two centers and are anchored
    # at their SECOND nearest, so the nearest is inside the ball of radius 2U but, for most of
    # them, farther than U from the anchor: a radius of U (dropping Elkan's factor 2), or 2U
    # without the margin, loses it and the labels differ from the brute force.
    rng = np.random.default_rng(d + k)
    n = 3000
    C = 2.0 * rng.normal(size=(k, d))
    h = n // 2
    X = np.empty((n, d))
    X[:h] = C[rng.integers(k, size=h)] + rng.normal(size=(h, d))
    p, q = rng.integers(k, size=(2, n - h))
    X[h:] = 0.5 * (C[p] + C[q]) + 0.5 * rng.normal(size=(n - h, d))
    X = X.astype(np.float32)
    C = C.astype(np.float32)
    X64 = X.astype(np.float64)
    C64 = C.astype(np.float64)
    D = ((X64[:, None, :] - C64[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(D, axis=1, kind="stable")
    anchors = np.where(np.arange(n) < h, order[:, 0], order[:, 1])
    U = np.sqrt(D[np.arange(n), anchors])
    cc = np.sqrt(((C64[order[:, 0]] - C64[anchors]) ** 2).sum(1))
    assert (cc[h:] > U[h:]).mean() > 0.3  # the nearest lies outside the ball of radius U
    for threads in (1, 2):
        ws = B.BallWorkspace(X, k)
        ws.set_centers(C)
        ws.labels[:] = anchors
        with numba_threads(threads):
            ws.assign(do_sums=False)
        np.testing.assert_array_equal(ws.labels, D.argmin(axis=1))
        assert ws.scanned_fraction < 0.9  # the anchored path ran and pruned


def test_auto_picks_ball_at_large_k_from_64_features():
    def shape(n, d):  # resolve reads only the shape
        return np.broadcast_to(np.float32(0.0), (n, d))

    assert resolve("auto", shape(100000, 64), 1024) == "ball"
    assert resolve("auto", shape(50000, 128), 4096) == "ball"
    assert resolve("auto", shape(50000, 63), 4096) == "lloyd"  # below 64 features: enough points per center
    assert resolve("auto", shape(61 * 4096, 63), 4096) == "ball"
    assert resolve("auto", shape(100000, 64), 511) == "hamerly"
