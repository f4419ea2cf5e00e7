"""The no-compile path (optimeans._nocompile) against the compiled kernels, bit for bit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import optimeans
from optimeans import _nocompile
from optimeans._kernels import lloyd as K


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture
def compiled(monkeypatch):
    """Switch the NumPy path off: every call below runs the Numba kernels."""
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 0)


def test_chunk_matches_the_kernels():
    assert _nocompile._CHUNK == K.CHUNK
    assert _nocompile.L8 == K._L64


def _exact(a: float, c: float) -> float:
    try:
        return float(Fraction(a) * Fraction(a) + Fraction(c))  # correctly rounded
    except OverflowError:
        return np.inf


def test_fma_square_is_correctly_rounded():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4000) * np.exp2(rng.integers(-30, 30, 4000))
    c = np.abs(rng.standard_normal(4000)) * np.exp2(rng.integers(-60, 60, 4000))
    # hard cases: c makes a * a + c land near a rounding boundary
    c[:1000] = a[:1000] * a[:1000]
    c[1000:2000] = 1.0
    a[1000:2000] = 2.0**-26.5 * (1.0 + rng.standard_normal(1000) * 2.0**-20)
    a = np.concatenate([a, [0.0, 1e-200, 3e-160, 1e200, 2.0**-500]])
    c = np.concatenate([c, [1.0, 0.0, 1e-300, 5.0, 2.0**-1000]])
    got = _nocompile.fma_square(a, c)
    want = np.array([_exact(x, y) for x, y in zip(a, c)])
    assert _same(got, want)
    # and the naive two roundings differ somewhere, so the test can tell
    with np.errstate(over="ignore"):
        assert not _same(a * a + c, want)


@pytest.mark.parametrize("d", [1, 4, 8, 9, 17, 40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sqdist_equals_sqdist64(d, dtype):
    rng = np.random.default_rng(d)
    X = (rng.standard_normal((300, d)) * np.exp2(rng.integers(-8, 8, d))).astype(dtype)
    out = np.empty(300)
    for i in (0, 7, 123):
        K.sqdist_to_center(X, X[i], out)
        assert _same(_nocompile.sqdist(X, X[i][None, :])[:, 0], out)


def _tie_data(dtype):
    # integer grid points: many exact ties between centers at equal distances
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(200, 2)).astype(dtype)
    return X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_labels_with_ties(dtype, monkeypatch):
    from optimeans.objective import nearest_labels

    X = _tie_data(dtype)
    C = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1]], dtype=dtype)
    assert _nocompile.is_small(X.shape[0], C.shape[0], X.shape[1])
    lab_np, d_np = nearest_labels(X, C)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 0)
    lab_k, d_k = nearest_labels(X, C)
    assert _same(lab_np, lab_k) and _same(d_np, d_k)
    # the tie rule is visible: (1, 0) is as far from centers 0, 1 and 4; the first wins
    i = np.flatnonzero((X[:, 0] == 1) & (X[:, 1] == 0))
    assert i.size and (lab_np[i] == 0).all()


def _datasets():
    rng = np.random.default_rng(1)
    iris = optimeans.datasets.load("iris")
    blobs = np.concatenate([rng.normal(m, 0.7, size=(120, 12)) for m in (0.0, 3.0, 6.0)])
    return {"iris": iris, "blobs12": blobs, "ties": _tie_data(np.float64)}


_DATA = _datasets()


def _fit_both(monkeypatch, X, k, **kw):
    with monkeypatch.context() as m:
        m.setattr(_nocompile, "SMALL_WORK", 10**9)
        # the NumPy path even when an earlier test loaded the kernels (else kernel == kernel)
        m.setattr(_nocompile, "_kernels_loaded", lambda X, k: False)
        res_np = optimeans.fit(X, k, **kw)
    with monkeypatch.context() as m:
        m.setattr(_nocompile, "SMALL_WORK", 0)
        res_k = optimeans.fit(X, k, **kw)
    return res_np, res_k


def _assert_same_result(a, b):
    assert _same(a.labels, b.labels)
    assert _same(a.centers, b.centers)
    assert a.objective == b.objective
    assert a.n_iter == b.n_iter and a.stop_reason == b.stop_reason
    assert _same(a.history.objective, b.history.objective)


@pytest.mark.parametrize("name", sorted(_DATA))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_bit_for_bit(monkeypatch, name, dtype, weighted):
    X = _DATA[name].astype(dtype)
    n = X.shape[0]
    w = np.random.default_rng(2).uniform(0.0, 3.0, n) if weighted else None
    if weighted:
        w[::17] = 0.0  # zero weights: signed zeros in the sums
    for seed in (0, 1, 2):
        for k in (3, 5):
            a, b = _fit_both(monkeypatch, X, k, random_state=seed, sample_weight=w, method="lloyd", tol=0.0)
            _assert_same_result(a, b)


@pytest.mark.parametrize("method", ["gd", "newton", "minibatch"])
def test_other_methods_bit_for_bit(monkeypatch, method):
    # gradient methods pass through HardPass; mini-batch monitors its objective with labels_objective
    X = _DATA["iris"]
    a, b = _fit_both(monkeypatch, X, 3, random_state=0, method=method, max_iter=30)
    _assert_same_result(a, b)


def test_labels_objective_matches_the_packed_kernel(monkeypatch):
    from optimeans.solvers.stochastic import MiniBatchState, PackedData

    X = _DATA["blobs12"].astype(np.float32)
    w = np.random.default_rng(4).uniform(0.0, 2.0, X.shape[0])
    data = PackedData(X, w)
    st = MiniBatchState(X[[3, 100, 200, 300]].astype(np.float64), X.dtype)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 10**9)
    lab_np, obj_np = st.labels_objective(data)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 0)
    lab_k, obj_k = st.labels_objective(data)
    assert _same(lab_np, lab_k) and obj_np == obj_k


def test_empty_cluster_relocation_bit_for_bit(monkeypatch):
    # initial centers far from the data leave clusters empty at the first pass
    X = _DATA["blobs12"]
    init = np.concatenate([X[:2], np.full((2, X.shape[1]), 50.0), X[300:301]])
    a, b = _fit_both(monkeypatch, X, 5, init=init, method="lloyd", tol=0.0)
    _assert_same_result(a, b)


def test_small_workspace_matches_kernel_workspace_state():
    X = _DATA["blobs12"].astype(np.float32)
    w = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    C = X[[0, 150, 300, 5]].copy()
    a = _nocompile.SmallWorkspace(X, 4, w)
    b = K.Workspace(X, 4, w)
    Ca, Cb = C.copy(), C.copy()
    for _ in range(4):
        a.set_centers(Ca)
        b.set_centers(Cb)
        assert a.assign() == b.assign()
        assert _same(a.labels, b.labels) and _same(a.S, b.S) and _same(a.Q, b.Q)
        assert _same(a.W, b.W) and _same(a.N, b.N)
        assert a.objective() == b.objective()
        assert a.update_centers(Ca) == b.update_centers(Cb)
        assert _same(Ca, Cb)


def test_workspace_choice_follows_size(monkeypatch):
    monkeypatch.setattr(_nocompile, "_kernels_loaded", lambda X, k: False)
    X = np.zeros((10, 3))
    assert isinstance(_nocompile.workspace(X, 2), _nocompile.SmallWorkspace)
    big = np.zeros((_nocompile.SMALL_WORK // 3 + 1, 3))
    assert not isinstance(_nocompile.workspace(big, 1), _nocompile.SmallWorkspace)
    assert _nocompile.is_small(150, 3, 4)  # Iris
    # features past the first L8 cost more (the FMA emulation)
    d = _nocompile.L8 + 4
    assert _nocompile.pass_cost(10, 1, d) == 10 * (d + 24)


def test_loaded_kernels_serve_small_problems_too(monkeypatch):
    # once this process holds the compiled Lloyd kernels for a dtype, small fits use them (same bits)
    X = _DATA["iris"].astype(np.float32)
    with monkeypatch.context() as m:
        m.setattr(_nocompile, "SMALL_WORK", 0)
        optimeans.fit(X, 3, random_state=0, n_init=1)
    assert _nocompile._kernels_loaded(X, 3)
    assert isinstance(_nocompile.workspace(X, 3), K.Workspace)


@pytest.mark.parametrize("name", sorted(_DATA))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_hartigan_bit_for_bit(monkeypatch, name, dtype, weighted):
    X = _DATA[name].astype(dtype)
    w = np.random.default_rng(6).uniform(0.0, 3.0, X.shape[0]) if weighted else None
    if weighted:
        w[::13] = 0.0
    for seed in (0, 3):
        a, b = _fit_both(monkeypatch, X, 4, random_state=seed, sample_weight=w, method="hartigan")
        _assert_same_result(a, b)
        assert a.info == b.info
    # and as the refinement after Lloyd
    a, b = _fit_both(monkeypatch, X, 5, random_state=1, sample_weight=w, refine="hartigan")
    _assert_same_result(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["blobs_two_chunks", "duplicates_weighted", "more_clusters_than_points"])
def test_kmeanspp_bit_for_bit(monkeypatch, dtype, case):
    # the NumPy greedy k-means++ follows the packed kernel's rule: same rows chosen, every seed
    from optimeans._kernels.seeding import SUB
    from optimeans.seeding import kmeans_plusplus

    assert _nocompile._SUB == SUB
    rng = np.random.default_rng(5)
    if case == "blobs_two_chunks":
        X = (rng.normal(scale=6.0, size=(4, 7))[rng.integers(4, size=5000)] + rng.normal(size=(5000, 7)))
        w, k = np.ones(5000), 9
    elif case == "duplicates_weighted":
        X = rng.integers(0, 4, size=(300, 3)).astype(np.float64)  # many equal rows, exact ties
        w = rng.uniform(0.0, 2.0, 300)
        w[::7] = 0.0
        k = 12
    else:
        X = np.repeat(rng.normal(size=(5, 2)), 8, axis=0)  # 5 distinct points, 40 rows
        w, k = np.ones(40), 9
    X = X.astype(dtype)
    for seed in range(3):
        with monkeypatch.context() as m:
            m.setattr(_nocompile, "SMALL_WORK", 10**12)
            c_np, i_np = kmeans_plusplus(X, k, w, np.random.default_rng(seed))
        with monkeypatch.context() as m:
            m.setattr(_nocompile, "SMALL_WORK", 0)
            c_k, i_k = kmeans_plusplus(X, k, w, np.random.default_rng(seed))
        assert _same(i_np, i_k)
        assert _same(c_np, c_k)
