"""Sparse CSR input (optimeans.fit, KMeans) and the scikit-learn parity of KMeans (issue 17, case 6)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import optimeans
from optimeans import KMeans
from optimeans._kernels.sparse import (
    assign_rows,
    assign_rows_scaled,
    center_sqnorms,
    cluster_objective,
    cluster_sums,
    minibatch_update,
    minibatch_update_scaled,
    order_by_label,
    renormalize_scaled,
    row_sqnorms,
    sqdist_rows,
)
from optimeans._numba import numba_threads
from optimeans._sparse import SparseData, kmeans_plusplus_sparse
from optimeans._validation import check_sparse
from optimeans.solvers.sparse import RENORMALIZE_EVERY, run_minibatch
from optimeans.datasets import load, make_blobs
from optimeans.seeding import kmeans_plusplus


def _sparse_blobs(n, d, k, density, seed, dtype=np.float64):
    """Sparse data with cluster structure: each cluster stores its own band of features."""
    rng = np.random.default_rng(seed)
    lab = rng.integers(k, size=n)
    band = max(2, d // k)
    rows, cols, vals = [], [], []
    per_row = max(2, int(density * d))
    for i in range(n):
        c = rng.choice(d, size=per_row, replace=False)
        own = lab[i] * band + rng.integers(band, size=per_row // 2 + 1)
        c = np.unique(np.concatenate([c, own % d]))
        rows.append(np.full(c.size, i))
        cols.append(c)
        vals.append(rng.random(c.size) + (np.isin(c, own % d)) * 2.0)
    X = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, d)
    )
    return X.astype(dtype)


def _dense_reference(Xd, C):
    return ((Xd[:, None, :].astype(np.float64) - C[None].astype(np.float64)) ** 2).sum(-1)


# -- kernels against a NumPy reference -----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_kernels_match_numpy_reference(dtype, index_dtype):
    X = _sparse_blobs(300, 40, 4, 0.2, 0, dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    Xd = X.toarray()
    rng = np.random.default_rng(1)
    C = rng.random((5, 40))
    xsq = np.empty(300)
    row_sqnorms(X.data, X.indptr, xsq)
    np.testing.assert_allclose(xsq, (Xd.astype(np.float64) ** 2).sum(1), rtol=1e-12)
    D = _dense_reference(Xd, C)
    rows = np.arange(300, dtype=np.int64)
    CT = np.ascontiguousarray(C.T)
    csq = (C * C).sum(1)
    out = np.empty((300, 5))
    sqdist_rows(X.data, X.indices, X.indptr, rows, xsq, CT, csq, out)
    np.testing.assert_allclose(out, D, rtol=1e-10, atol=1e-10)
    labels = np.empty(300, dtype=np.int64)
    mind = np.empty(300)
    assign_rows(X.data, X.indices, X.indptr, rows, xsq, CT, csq, labels, mind)
    np.testing.assert_array_equal(labels, D.argmin(1))
    np.testing.assert_allclose(mind, D.min(1), rtol=1e-10, atol=1e-10)
    # a subset of rows, in any order
    sub = np.array([7, 3, 299, 0], dtype=np.int64)
    lab_s = np.empty(4, dtype=np.int64)
    assign_rows(X.data, X.indices, X.indptr, sub, xsq, CT, csq, lab_s, np.empty(4))
    np.testing.assert_array_equal(lab_s, D.argmin(1)[sub])

    k = 5
    w = rng.random(300) + 0.5
    order = np.empty(300, dtype=np.int64)
    starts = np.empty(k + 1, dtype=np.int64)
    order_by_label(labels, k, order, starts)
    for j in range(k):
        np.testing.assert_array_equal(order[starts[j]: starts[j + 1]], np.flatnonzero(labels == j))
    S = np.empty((k, 40))
    W = np.empty(k)
    cluster_sums(X.data, X.indices, X.indptr, w, order, starts, S, W)
    for j in range(k):
        m = labels == j
        np.testing.assert_allclose(S[j], (w[m, None] * Xd[m]).sum(0), rtol=1e-12, atol=1e-12)
        assert W[j] == pytest.approx(w[m].sum(), rel=1e-13)
    E = np.empty(k)
    cluster_objective(X.data, X.indices, X.indptr, w, order, starts, C, np.empty((k, 40)), E)
    ref = np.array([(w * D[np.arange(300), labels])[labels == j].sum() for j in range(k)])
    np.testing.assert_allclose(E, ref, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distances_to_rows_are_those_to_dense_centers(dtype):
    X = check_sparse(_sparse_blobs(700, 50, 5, 0.1, 19, dtype))
    S = SparseData(X)
    idx = np.array([3, 650, 3, 17])  # a repeated row too
    dense = S.sqdist(S.rows_dense(idx))
    np.testing.assert_array_equal(S.sqdist_to_rows(idx), dense)
    np.testing.assert_allclose(dense, _dense_reference(X.toarray(), X[idx].toarray()), rtol=1e-9, atol=1e-9)


def test_distances_to_rows_with_negative_values_and_stored_zeros():
    # products of opposite signs and of stored zeros (-0.0 and +0.0 terms): still the bits of sqdist
    X = _sparse_blobs(5000, 60, 4, 0.1, 20)
    X.data = np.where(np.random.default_rng(0).random(X.nnz) < 0.3, -X.data, X.data)
    X.data[::7] = 0.0  # explicitly stored zeros
    S = SparseData(check_sparse(X))
    assert (S.X.data == 0).any()
    idx = np.array([0, 4999, 2500, 11, 12])
    with numba_threads(2):
        two = S.sqdist_to_rows(idx)
    with numba_threads(1):
        one = S.sqdist_to_rows(idx)
    np.testing.assert_array_equal(one, S.sqdist(S.rows_dense(idx)))
    np.testing.assert_array_equal(one, two)


def test_objective_exact_where_the_expansion_cancels():
    # points sitting almost on their center far from the origin: ||x||^2 - 2 x.c + ||c||^2
    # loses every digit, the objective from non-negative terms does not
    base = np.zeros(6)
    base[[0, 2, 5]] = [1e8, -3e8, 2e8]
    Xd = np.array([base, base + np.array([0, 0, 1e-3, 0, 0, 0])])
    X = check_sparse(sp.csr_matrix(Xd))
    S = SparseData(X)
    C = Xd.mean(0, keepdims=True)
    labels = np.zeros(2, dtype=np.int64)
    exact = float(((Xd - C) ** 2).sum())  # 2 * (5e-4)^2
    assert S.objective(C, labels, np.ones(2)) == pytest.approx(exact, rel=1e-9)
    # the expansion (what the assignment kernel sees) is off by orders of magnitude
    expansion = float(S.xsq.sum() - 2 * (Xd @ C[0]).sum() + 2 * (C[0] @ C[0]))
    assert abs(expansion - exact) > 10 * exact


def test_minibatch_update_is_the_running_mean():
    X = _sparse_blobs(40, 12, 2, 0.3, 3)
    Xd = X.toarray()
    C = np.random.default_rng(0).random((3, 12))
    CT = np.ascontiguousarray(C.T)
    counts = np.array([0.0, 5.0, 2.0])
    rows = np.array([4, 9, 1, 30], dtype=np.int64)
    lab = np.array([1, 1, 0, 1], dtype=np.int64)
    w = np.linspace(0.5, 2.0, 40)
    minibatch_update(X.data, X.indices, X.indptr, rows, w, lab, CT, counts)
    ref1 = (5.0 * C[1] + (w[[4, 9, 30], None] * Xd[[4, 9, 30]]).sum(0)) / (5.0 + w[[4, 9, 30]].sum())
    np.testing.assert_allclose(CT[:, 1], ref1, rtol=1e-12)
    np.testing.assert_allclose(CT[:, 0], Xd[1], rtol=1e-12)  # count 0: the batch mean
    np.testing.assert_array_equal(CT[:, 2], C[2])  # untouched
    np.testing.assert_allclose(counts, [w[1], 5.0 + w[[4, 9, 30]].sum(), 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lazily_scaled_update_equals_the_plain_update(dtype):
    # 40 steps of random batches: scale * V follows the plain running mean, the
    # incremental norms follow the exact norms, a center with count 0 restarts
    X = _sparse_blobs(200, 30, 3, 0.2, 12, dtype)
    rng = np.random.default_rng(5)
    C = rng.random((4, 30)) * 3
    CT = np.ascontiguousarray(C.T)
    V = CT.copy()
    scale = np.ones(4)
    vsq = np.empty(4)
    renormalize_scaled(V, scale, vsq)
    counts_a = np.array([0.0, 3.0, 1.0, 0.0])  # center 3 never gets a point: untouched
    counts_b = counts_a.copy()
    w = rng.random(200) + 0.5
    for step in range(40):
        rows = rng.choice(200, size=25, replace=False).astype(np.int64)
        lab = rng.integers(3, size=25).astype(np.int64)
        minibatch_update(X.data, X.indices, X.indptr, rows, w, lab, CT, counts_a)
        minibatch_update_scaled(X.data, X.indices, X.indptr, rows, w, lab, V, scale, vsq, counts_b)
        np.testing.assert_array_equal(counts_a, counts_b)
        np.testing.assert_allclose(V * scale, CT, rtol=1e-12, atol=0)
        np.testing.assert_allclose(vsq, np.einsum("ij,ij->j", V, V), rtol=1e-12)
    assert scale[:3].max() < 0.05  # the scales did shrink: the lazy path ran
    np.testing.assert_array_equal(V[:, 3], C[3])
    renormalize_scaled(V, scale, vsq)
    np.testing.assert_array_equal(scale, np.ones(4))
    np.testing.assert_allclose(V, CT, rtol=1e-12, atol=0)
    csq = np.empty(4)
    center_sqnorms(V, csq)
    np.testing.assert_array_equal(vsq, csq)  # exact again, with the bits of center_sqnorms


def test_assign_rows_scaled():
    X = _sparse_blobs(300, 40, 4, 0.2, 13)
    S = SparseData(check_sparse(X))
    C = np.random.default_rng(2).random((5, 40))
    rows = np.arange(300, dtype=np.int64)
    lab0, d0 = S.nearest(C)
    # unit scales: the bits of assign_rows
    lab, mind = np.empty(300, np.int64), np.empty(300)
    CT = np.ascontiguousarray(C.T)
    csq = np.einsum("ij,ij->i", C, C)
    assign_rows_scaled(X.data, X.indices, X.indptr, rows, S.xsq, CT, np.ones(5), csq, lab, mind)
    np.testing.assert_array_equal(lab, lab0)
    np.testing.assert_array_equal(mind, d0)
    # scaled: the same centers stored as s_j * v_j
    s = np.array([0.5, 2.0, 1e-3, 7.0, 1.0])
    assign_rows_scaled(X.data, X.indices, X.indptr, rows, S.xsq, CT / s, s, csq, lab, mind)
    np.testing.assert_array_equal(lab, lab0)
    np.testing.assert_allclose(mind, _dense_reference(X.toarray(), C).min(1), rtol=1e-9, atol=1e-9)


def _numpy_minibatch(Xd, w, C0, rng, batch_size, epochs):
    """Sculley's running-mean mini-batch in plain NumPy (no reassignment, no early stop)."""
    C = C0.copy()
    counts = np.zeros(len(C))
    n = len(Xd)
    for _ in range(epochs):
        perm = rng.permutation(n)
        for s in range(0, n, batch_size):
            rows = perm[s: s + batch_size]
            lab = _dense_reference(Xd[rows], C).argmin(1)
            for j in range(len(C)):
                m = lab == j
                B = w[rows][m].sum()
                if B > 0:
                    C[j] = (counts[j] * C[j] + (w[rows][m, None] * Xd[rows][m]).sum(0)) / (counts[j] + B)
                    counts[j] += B
    return C, counts


def test_sparse_minibatch_run_equals_a_numpy_reference():
    # well separated clusters (no label is decided by rounding); more steps than
    # RENORMALIZE_EVERY, so the scales are folded back several times
    X = _sparse_blobs(1200, 40, 4, 0.1, 14)
    Xd = X.toarray()
    w = np.random.default_rng(6).random(1200) + 0.5
    S = SparseData(check_sparse(X))
    C0 = Xd[[0, 300, 600, 900]].copy()
    n_steps = 3 * (1200 // 50)
    assert n_steps > 3 * RENORMALIZE_EVERY
    r = run_minibatch(
        S, w, C0, max_iter=3, tol=0.0, rng=np.random.default_rng(9), batch_size=50,
        max_no_improvement=None, reassignment_ratio=0.0,
    )
    C_ref, counts_ref = _numpy_minibatch(Xd, w, C0, np.random.default_rng(9), 50, 3)
    assert r.info["n_steps"] == n_steps and r.n_iter == 3
    np.testing.assert_allclose(r.info["counts"], counts_ref, rtol=1e-12)
    np.testing.assert_allclose(r.centers, C_ref, rtol=1e-12, atol=1e-14)
    assert r.objective == pytest.approx(optimeans.objective(Xd, r.centers, r.labels, sample_weight=w), rel=1e-12)


def test_sparse_minibatch_smoothing_starts_after_the_first_batch():
    # initial centers far from the data: the first batch's objective is ~1e8 times the
    # others. Smoothed in (weight alpha ~ 1/2 here), it would make each of the next ~27
    # steps a new minimum and the run would never stop early; ignored, the smoothed
    # objective of the settled centers stops improving within a few steps
    X = _sparse_blobs(1000, 30, 3, 0.2, 16)
    far = np.full((3, 30), 1e4) * np.arange(1, 4)[:, None]
    for seed in range(5):
        r = optimeans.fit(X, 3, method="minibatch", init=far, batch_size=250, max_no_improvement=2,
                          max_iter=10, tol=0, reassignment_ratio=0, random_state=seed)
        assert r.info["early_stop"] == "max_no_improvement"
        assert r.info["n_steps"] <= 20


def test_sparse_minibatch_monitor():
    X = _sparse_blobs(3000, 40, 4, 0.1, 15)
    calls = []
    quiet = optimeans.fit(X, 4, method="minibatch", random_state=1, n_init=1, batch_size=256, tol=0,
                          max_no_improvement=None, max_iter=4)
    assert len(quiet.history.objective) == 1 and quiet.history.objective[0] == quiet.objective
    watched = optimeans.fit(X, 4, method="minibatch", random_state=1, n_init=1, batch_size=256, tol=0,
                            max_no_improvement=None, max_iter=4, callback=lambda it, obj: calls.append((it, obj)))
    # the callback turns the monitor on; the run itself is the same
    assert [it for it, _ in calls] == [1, 2, 3, 4]
    np.testing.assert_array_equal(watched.history.objective, [obj for _, obj in calls])
    np.testing.assert_array_equal(watched.centers, quiet.centers)
    assert watched.history.objective[-1] == pytest.approx(watched.objective, rel=1e-9)
    on = optimeans.fit(X, 4, method="minibatch", random_state=1, n_init=1, batch_size=256, tol=0,
                       max_no_improvement=None, max_iter=4, monitor=True)
    np.testing.assert_array_equal(on.history.objective, watched.history.objective)
    stop = optimeans.fit(X, 4, method="minibatch", random_state=1, n_init=1, batch_size=256, tol=0,
                         max_iter=4, monitor=False, callback=lambda it, obj: True)
    assert stop.stop_reason != "callback" and len(stop.history.objective) == 1
    with pytest.raises(TypeError, match="monitor must be True, False or None"):
        optimeans.fit(X, 4, method="minibatch", monitor="yes")


def test_kmeans_plusplus_sparse_draws_the_dense_seeding():
    X = _sparse_blobs(500, 30, 5, 0.2, 4)
    w = np.ones(500)
    C_s, idx_s = kmeans_plusplus_sparse(SparseData(check_sparse(X)), 6, w, np.random.default_rng(11))
    C_d, idx_d = kmeans_plusplus(X.toarray(), 6, w, np.random.default_rng(11))
    np.testing.assert_array_equal(idx_s, idx_d)
    np.testing.assert_array_equal(C_s, C_d)


# -- optimeans.fit on sparse data ---------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_equals_dense_from_the_same_init(dtype, weighted):
    X = _sparse_blobs(600, 50, 5, 0.1, 5, dtype)
    w = np.random.default_rng(2).random(600) * 2 if weighted else None
    init = X[[0, 100, 200, 300, 400]].toarray()
    rs = optimeans.fit(X, 5, init=init, method="lloyd", tol=0, sample_weight=w)
    rd = optimeans.fit(X.toarray(), 5, init=init, method="lloyd", tol=0, sample_weight=w)
    np.testing.assert_array_equal(rs.labels, rd.labels)
    assert rs.n_iter == rd.n_iter
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(rs.centers, rd.centers, rtol=rtol, atol=rtol)
    assert rs.objective == pytest.approx(rd.objective, rel=rtol)
    assert rs.centers.dtype == np.float64 and rs.labels.dtype == np.int64
    assert rs.info["sparse"] is True


def test_sparse_objective_is_the_dense_objective():
    X = _sparse_blobs(400, 30, 4, 0.2, 6)
    r = optimeans.fit(X, 4, random_state=0)
    assert r.objective == pytest.approx(optimeans.objective(X.toarray(), r.centers, r.labels), rel=1e-12)


@pytest.mark.parametrize("method", ["lloyd", "minibatch", "minibatch-monitor"])
def test_sparse_one_thread_equals_two_bitwise(method):
    # more rows than one chunk (4096), so the kernels do split the work
    X = _sparse_blobs(9000, 60, 6, 0.08, 7)
    w = np.random.default_rng(3).random(9000)
    opts = {"batch_size": 5000} if method.startswith("minibatch") else {}
    if method == "minibatch-monitor":
        method, opts["monitor"] = "minibatch", True
    a = optimeans.fit(X, 6, method=method, random_state=5, n_threads=1, sample_weight=w, max_iter=30, **opts)
    b = optimeans.fit(X, 6, method=method, random_state=5, n_threads=2, sample_weight=w, max_iter=30, **opts)
    np.testing.assert_array_equal(a.centers, b.centers)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


@pytest.mark.parametrize("fmt", ["csc", "coo", "csr_array", "int", "lil"])
def test_formats_converted_once(fmt):
    X = _sparse_blobs(300, 20, 3, 0.2, 8)
    if fmt == "int":
        X.data = np.round(X.data * 10)
        Xin = X.astype(np.int64)
        X = Xin.astype(np.float64)
    elif fmt == "csr_array":
        Xin = sp.csr_array(X)
    else:
        Xin = X.asformat(fmt)
    ref = optimeans.fit(X, 3, random_state=1)
    r = optimeans.fit(Xin, 3, random_state=1)
    np.testing.assert_array_equal(r.labels, ref.labels)
    np.testing.assert_array_equal(r.centers, ref.centers)


def test_duplicates_summed_and_input_untouched():
    X = _sparse_blobs(200, 15, 3, 0.3, 9).tocoo()
    # a CSR built by hand with every stored value split into two duplicate entries
    rows = np.concatenate([X.row, X.row])
    cols = np.concatenate([X.col, X.col])
    vals = np.concatenate([X.data * 0.25, X.data * 0.75])
    order = np.argsort(rows, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=200))])
    Xdup = sp.csr_matrix((vals[order], cols[order], indptr), shape=X.shape)
    assert not Xdup.has_canonical_format
    before = (Xdup.data.copy(), Xdup.indices.copy(), Xdup.indptr.copy())
    r1 = optimeans.fit(Xdup, 3, random_state=2)
    r2 = optimeans.fit(X.tocsr(), 3, random_state=2)
    np.testing.assert_array_equal(r1.labels, r2.labels)
    np.testing.assert_allclose(r1.centers, r2.centers, rtol=1e-12, atol=1e-12)
    assert r1.objective == pytest.approx(r2.objective, rel=1e-12)
    for a, b in zip(before, (Xdup.data, Xdup.indices, Xdup.indptr)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_sparse_hamerly_is_lloyd_bit_for_bit(dtype, n_threads):
    # well separated clusters, so the bounds do skip most scans after the first iterations
    X = _sparse_blobs(6000, 80, 6, 0.05, 18, dtype)
    w = np.random.default_rng(6).random(6000) + 0.1
    kw = dict(init="random", n_init=1, random_state=8, tol=0, max_iter=50, sample_weight=w, n_threads=n_threads)
    ref = optimeans.fit(X, 8, method="lloyd", **kw)
    r = optimeans.fit(X, 8, method="hamerly", **kw)
    assert r.method == "hamerly" and r.n_iter == ref.n_iter and r.stop_reason == ref.stop_reason
    np.testing.assert_array_equal(r.labels, ref.labels)
    np.testing.assert_array_equal(r.centers, ref.centers)
    np.testing.assert_array_equal(r.history.objective, ref.history.objective)
    assert r.objective == ref.objective
    assert r.info["scanned"] < 0.7  # it did skip


def test_accelerated_methods_run_the_sparse_hamerly():
    X = _sparse_blobs(500, 40, 4, 0.1, 10)
    ref = optimeans.fit(X, 4, method="lloyd", random_state=3)
    for m in ("elkan", "hamerly", "yinyang"):
        r = optimeans.fit(X, 4, method=m, random_state=3)
        np.testing.assert_array_equal(r.labels, ref.labels)
        np.testing.assert_array_equal(r.centers, ref.centers)
        assert r.method == "hamerly"
        assert r.info.get("requested_method", "hamerly") == m
    # and the dense accelerated method gives the same labels from the same init
    init = X[[1, 2, 3, 4]].toarray()
    rd = optimeans.fit(X.toarray(), 4, method="elkan", init=init, tol=0)
    rs = optimeans.fit(X, 4, method="elkan", init=init, tol=0)
    np.testing.assert_array_equal(rd.labels, rs.labels)


def test_minibatch_on_sparse_is_near_lloyd_and_consistent():
    X = _sparse_blobs(3000, 40, 4, 0.1, 11)
    lloyd = optimeans.fit(X, 4, random_state=4)
    mb = optimeans.fit(X, 4, method="minibatch", random_state=4, batch_size=256)
    assert mb.method == "minibatch" and mb.info["n_steps"] > 0
    assert mb.objective <= 1.05 * lloyd.objective
    labels, _ = SparseData(check_sparse(X)).nearest(mb.centers)
    np.testing.assert_array_equal(mb.labels, labels)
    again = optimeans.fit(X, 4, method="minibatch", random_state=4, batch_size=256)
    np.testing.assert_array_equal(again.centers, mb.centers)
    with pytest.raises(TypeError, match="method 'minibatch' has no option 'shuffle'"):
        optimeans.fit(X, 4, method="minibatch", shuffle="rows")


def test_unsupported_methods_refused_naming_those_that_take_sparse():
    X = _sparse_blobs(100, 10, 2, 0.3, 12)
    msg = "method 'gd' does not take sparse input; methods that do: auto, lloyd, hamerly, elkan, yinyang, minibatch"
    with pytest.raises(ValueError, match=msg):
        optimeans.fit(X, 2, method="gd")
    with pytest.raises(ValueError, match="does not take sparse input"):
        KMeans(2, method="soft").fit(X)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        optimeans.fit(X, 2, method="nope")
    with pytest.raises(ValueError, match="refine='hartigan' does not take sparse input"):
        optimeans.fit(X, 2, refine="hartigan")
    with pytest.raises(ValueError, match="scale='standard' does not take sparse X"):
        KMeans(2, scale="standard").fit(X)
    with pytest.raises(TypeError, match="partial_fit takes dense data only"):
        KMeans(2).partial_fit(X)


def test_sparse_bad_values_named():
    X = _sparse_blobs(100, 10, 2, 0.3, 13)
    X.data[X.indptr[17] + 1] = np.nan
    col = X.indices[X.indptr[17] + 1]
    with pytest.raises(ValueError, match=f"X contains NaN at row 17, column {col}"):
        optimeans.fit(X, 2)
    with pytest.raises(ValueError, match="n_clusters=101 is larger than the number of samples"):
        optimeans.fit(_sparse_blobs(100, 10, 2, 0.3, 13), 101)
    big = _sparse_blobs(100, 10, 2, 0.3, 13)
    big.data[5] = 1e150
    with pytest.raises(ValueError, match=r"X's largest magnitude 1e\+150 \(row \d+, column \d+\) is outside"):
        optimeans.fit(big, 2)
    with pytest.raises(ValueError, match="is outside"):
        optimeans.fit(_sparse_blobs(100, 10, 2, 0.3, 13) * 1e-130, 2)
    with pytest.raises(ValueError, match="X is empty"):
        optimeans.fit(sp.csr_matrix((0, 5)), 2)
    with pytest.warns(optimeans.FewDistinctPointsWarning, match="only 2 distinct point"):
        Z = sp.csr_matrix(np.array([[0.0, 1.0]] * 5 + [[2.0, 0.0]] * 5))
        optimeans.fit(Z, 3, random_state=0)


# -- the estimator on sparse data ---------------------------------------------------


def test_estimator_sparse_matches_dense():
    X = _sparse_blobs(500, 30, 4, 0.15, 14)
    init = X[[0, 50, 100, 150]].toarray()
    ks = KMeans(4, init=init, tol=0).fit(X)
    kd = KMeans(4, init=init, tol=0).fit(X.toarray())
    np.testing.assert_array_equal(ks.labels_, kd.labels_)
    np.testing.assert_allclose(ks.cluster_centers_, kd.cluster_centers_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ks.predict(X), kd.predict(X.toarray()))
    np.testing.assert_array_equal(ks.predict(X.toarray()), ks.predict(X))
    np.testing.assert_allclose(ks.transform(X), kd.transform(X.toarray()), rtol=1e-9, atol=1e-9)
    assert ks.score(X) == pytest.approx(kd.score(X.toarray()), rel=1e-12)
    assert ks.score(X) == pytest.approx(-ks.inertia_, rel=1e-12)
    assert ks.predict(X).dtype == np.int32
    X32 = X.astype(np.float32)
    k32 = KMeans(4, init=init, tol=0).fit(X32)
    assert k32.cluster_centers_.dtype == np.float32 and k32.transform(X32).dtype == np.float32


# -- scikit-learn parity (issue 17, case 6) -----------------------------------------


def test_issue17_case6_set_output_pandas():
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = pd.DataFrame(load("iris"), columns=["sl", "sw", "pl", "pw"])
    pipe = make_pipeline(StandardScaler(), KMeans(3, random_state=0)).set_output(transform="pandas")
    out = pipe.fit(df).transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert out.shape == (150, 3)
    km = pipe[-1]
    scaled = pipe[0].transform(df)
    assert list(scaled.columns) == ["sl", "sw", "pl", "pw"]
    np.testing.assert_allclose(out.to_numpy(), np.asarray(km.transform(scaled)))
    out2 = KMeans(3, random_state=0).set_output(transform="pandas").fit_transform(df)
    assert list(out2.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert list(out2.index) == list(df.index)


def test_issue17_case6_get_feature_names_out():
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.exceptions import NotFittedError

    X = make_blobs(100, 3, 4, random_state=0)
    km = KMeans(4, random_state=0).fit(X)
    sk = SkKMeans(4, random_state=0, n_init=1).fit(X)
    np.testing.assert_array_equal(km.get_feature_names_out(), sk.get_feature_names_out())
    assert km.get_feature_names_out().tolist() == ["kmeans0", "kmeans1", "kmeans2", "kmeans3"]
    with pytest.raises(NotFittedError):
        KMeans(4).get_feature_names_out()


def test_issue17_case6_feature_names_mismatch_at_predict():
    pd = pytest.importorskip("pandas")
    X = load("iris")
    km = KMeans(3, random_state=0).fit(pd.DataFrame(X, columns=["a", "b", "c", "d"]))
    assert km.n_features_in_ == 4
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        km.predict(pd.DataFrame(X, columns=["b", "a", "c", "d"]))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        km.predict(X)
    km2 = KMeans(3, random_state=0).fit(X)
    with pytest.warns(UserWarning, match="X has feature names, but KMeans was fitted without feature names"):
        km2.predict(pd.DataFrame(X, columns=["a", "b", "c", "d"]))


def test_issue17_case6_algorithm():
    X = make_blobs(300, 4, 3, random_state=2)
    lloyd = KMeans(3, algorithm="lloyd", random_state=0).fit(X)
    elkan = KMeans(3, algorithm="elkan", random_state=0).fit(X)
    assert lloyd.result_.method == "lloyd+swap+hartigan" and elkan.result_.method == "elkan+swap+hartigan"
    np.testing.assert_array_equal(lloyd.labels_, elkan.labels_)
    for bad in ("auto", "full"):
        with pytest.raises(
            ValueError,
            match=rf"The 'algorithm' parameter of KMeans must be a str among \{{'elkan', 'lloyd'\}}. Got '{bad}' instead.",
        ):
            KMeans(3, algorithm=bad).fit(X)
    with pytest.raises(ValueError, match="algorithm='elkan' asks for method 'elkan' but method='hamerly'"):
        KMeans(3, algorithm="elkan", method="hamerly").fit(X)
    assert KMeans(3, algorithm="lloyd", method="lloyd").fit(X).result_.method == "lloyd+swap+hartigan"
    # sparse: elkan runs the sparse Lloyd iteration
    Xs = _sparse_blobs(200, 20, 3, 0.2, 15)
    assert KMeans(3, algorithm="elkan", random_state=0).fit(Xs).result_.info["requested_method"] == "elkan"


def test_issue17_case6_verbose(capsys):
    X = make_blobs(200, 2, 3, random_state=3)
    km = KMeans(3, verbose=1, n_init=1, random_state=0).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Initialization complete"
    iters = [line for line in out if line.startswith("Iteration ")]
    # every iteration but a last one that changed no label (the callback is not called there):
    # on this small problem a last Lloyd iteration and a last Hartigan sweep (refine="auto")
    assert km.result_.method == "lloyd+swap+hartigan"
    assert km.n_iter_ - 2 <= len(iters) <= km.n_iter_ and len(iters) >= 2
    hist = km.result_.history.objective
    assert iters == [f"Iteration {i + 1}, inertia {hist[i]}." for i in range(len(iters))]
    assert out[-1].startswith(f"Converged at iteration {km.n_iter_}")
    KMeans(3, verbose=0, n_init=1, random_state=0).fit(X)
    assert capsys.readouterr().out == ""
    seen = []
    KMeans(3, verbose=True, n_init=1, random_state=0).fit(X, callback=lambda i, o: seen.append(i))
    assert seen == list(range(1, len(seen) + 1)) and seen
    with pytest.raises(ValueError, match="The 'verbose' parameter of KMeans must be an int in the range"):
        KMeans(3, verbose=-1).fit(X)


def test_issue17_case6_copy_x():
    X = make_blobs(200, 2, 3, random_state=4)
    X0 = X.copy()
    for copy_x in (True, False):
        km = KMeans(3, copy_x=copy_x, random_state=0).fit(X)
        np.testing.assert_array_equal(X, X0)  # never modified
    np.testing.assert_array_equal(km.labels_, KMeans(3, random_state=0).fit(X).labels_)
    Xs = _sparse_blobs(200, 20, 3, 0.2, 16)
    data0 = Xs.data.copy()
    KMeans(3, copy_x=False, random_state=0).fit(Xs)
    np.testing.assert_array_equal(Xs.data, data0)
    with pytest.raises(ValueError, match="The 'copy_x' parameter of KMeans must be an instance of 'bool'"):
        KMeans(3, copy_x="yes").fit(X)


def test_issue17_case6_params_clone():
    km = KMeans(3, algorithm="elkan", verbose=2, copy_x=False)
    p = km.get_params()
    assert p["algorithm"] == "elkan" and p["verbose"] == 2 and p["copy_x"] is False
    c = clone(km)
    assert c.get_params() == p
    c.set_params(algorithm="lloyd", verbose=0)
    assert c.algorithm == "lloyd" and c.verbose == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True])
def test_issue17_case6_dtypes_as_sklearn(dtype, sparse):
    from sklearn.cluster import KMeans as SkKMeans

    X = make_blobs(300, 5, 3, random_state=5).astype(dtype)
    X[X < 0] = 0
    X = sp.csr_matrix(X) if sparse else X
    km = KMeans(3, random_state=0).fit(X)
    sk = SkKMeans(3, random_state=0, n_init=1).fit(X)
    assert km.cluster_centers_.dtype == sk.cluster_centers_.dtype == dtype
    assert km.labels_.dtype == sk.labels_.dtype == np.int32
    assert km.predict(X).dtype == sk.predict(X).dtype == np.int32
    assert km.fit_predict(X).dtype == sk.fit_predict(X).dtype
    assert km.transform(X).dtype == sk.transform(X).dtype
    assert type(km.inertia_) is type(sk.inertia_) is float
    assert type(km.score(X)) is float


def test_issue17_case6_sparse_csr():
    # scikit-learn clusters a CSR TF-IDF matrix; so does optimeans, through KMeans and fit
    X = _sparse_blobs(800, 60, 4, 0.05, 17)
    X = sp.csr_matrix(X.multiply(1.0 / np.sqrt(X.multiply(X).sum(1))))
    km = KMeans(4, random_state=0).fit(X)
    assert km.cluster_centers_.shape == (4, 60)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    from sklearn.cluster import KMeans as SkKMeans

    sk = SkKMeans(4, random_state=0, n_init=3).fit(X)
    assert km.inertia_ <= sk.inertia_ * 1.02
    with numba_threads(1):
        assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)


def test_sparse_model_saves_and_loads(tmp_path):
    X = _sparse_blobs(400, 30, 3, 0.2, 20, np.float32)
    km = KMeans(3, random_state=0, algorithm="elkan").fit(X)
    km2 = optimeans.load(km.save(tmp_path / "m.npz"))
    assert km2.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(km2.cluster_centers_, km.cluster_centers_)
    np.testing.assert_array_equal(km2.predict(X), km.predict(X))
    assert km2.score(X) == km.score(X)
    assert km2.result_.method == "hamerly" and km2.result_.info["requested_method"] == "elkan"
