"""Every register blocking of the Lloyd scan gives the exact float64 labels, on 1 and 2 threads alike."""

import numpy as np
import pytest

from optimeans._kernels import CHUNK, assign_labels
from optimeans._kernels import lloyd as K
from optimeans.solvers import lloyd

# (n_features, n_clusters, scan mode of lloyd.scan_mode)
MODES = [(3, 10, 0), (4, 7, 0), (8, 16, 1), (20, 33, 1), (32, 64, 2), (17, 130, 2)]


def ref_labels(X, C):
    """First index of the smallest squared distance, every difference formed in float64."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def fast32_labels(X, C):
    """What the float32 expansion ||c||^2 - 2 x.c alone would answer (no guard)."""
    X = np.asarray(X, dtype=np.float32)
    C = np.asarray(C, dtype=np.float32)
    return ((C * C).sum(axis=1)[None, :] - np.float32(2) * (X @ C.T)).argmin(axis=1)


def adversarial(d, k, dtype, seed):
    """Random points, points a hair off the midpoint of two centers, copies of centers; a duplicated center."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(k, d))
    C[k - 1] = C[0]  # an exact tie everywhere: the first index must win
    a = rng.integers(k, size=300)
    b = (a + 1 + rng.integers(k - 1, size=300)) % k
    rel = rng.choice([-1.0, 1.0], size=300) * 10.0 ** rng.uniform(-10, -6, size=300)
    near = 0.5 * (C[a] + C[b]) + rel[:, None] * (C[b] - C[a])
    X = np.concatenate([rng.normal(size=(300, d)), near, C[rng.integers(k, size=40)]])
    return np.ascontiguousarray(X, dtype=dtype), np.ascontiguousarray(C, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d,k,mode", MODES)
def test_every_scan_mode_gives_exact_labels_on_near_ties(d, k, mode, dtype):
    assert K.scan_mode(K.padded_clusters(k), d) == mode
    X, C = adversarial(d, k, dtype, seed=d * 1000 + k)
    ref = ref_labels(X, C)
    # the data are adversarial: float32 arithmetic alone gets some labels wrong
    assert (fast32_labels(X, C) != ref).any()
    labels = np.empty(X.shape[0], dtype=np.int64)
    assign_labels(X, C, labels, np.empty(X.shape[0], dtype=dtype))
    np.testing.assert_array_equal(labels, ref)
    assert not (labels == k - 1).any()  # the duplicate of center 0 never wins


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d,k,mode", [MODES[0], MODES[2], MODES[4]])
def test_lloyd_one_and_two_threads_bitwise_equal_in_every_mode(d, k, mode, dtype):
    rng = np.random.default_rng(d + k)
    n = 2 * CHUNK + 101
    X = (rng.normal(size=(k, d))[rng.integers(k, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    C0 = X[rng.choice(n, k, replace=False)].copy()
    w = rng.uniform(0.5, 2.0, size=n)
    runs = [lloyd.run(X, w, C0, max_iter=6, tol=0.0, n_threads=t) for t in (1, 2)]
    np.testing.assert_array_equal(runs[0].centers, runs[1].centers)
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)
    np.testing.assert_array_equal(runs[0].history.objective, runs[1].history.objective)
    # and the labels are the exact nearest centers of the returned centers
    np.testing.assert_array_equal(runs[0].labels, ref_labels(X, runs[0].centers))
