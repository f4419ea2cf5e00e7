"""Mini-batch k-means on the no-compile path (optimeans._nocompile) against the kernels, bit for bit.

The kernels' float32 scan decides more than labels here: its fast distances are
the batch objective (so early stopping), the reassignment draws and the bounds
carried between steps; the NumPy steps emulate it FMA by FMA. Each case runs both
ways from the same state and compares every output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import optimeans
from optimeans import _nocompile
from optimeans._kernels import lloyd as K
from optimeans._kernels import stochastic as KS
from optimeans.solvers.stochastic import MiniBatchState, PackedData


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture(autouse=True)
def _no_budget(monkeypatch):
    """The NumPy paths serve however long this process has spent in them (the budgets are tested apart)."""
    monkeypatch.setattr(_nocompile, "MINIBATCH_NUMPY_SECONDS", np.inf)
    monkeypatch.setattr(_nocompile, "SGD_NUMPY_SECONDS", np.inf)
    # and even when an earlier test has loaded the kernel in this process (then it would serve)
    monkeypatch.setattr(_nocompile, "_kernel_loaded", lambda kernel, dtype: False)


def test_constants_match_the_kernels():
    assert _nocompile.BLOCK == K.BLOCK
    assert _nocompile._FAR == K._FAR


def _round32(x: Fraction) -> np.float32:
    """``x`` rounded to the nearest float32, ties to even (exact, for normal results)."""
    r = np.float32(float(x))  # within one float32 ulp of the answer
    cands = [np.nextafter(r, np.float32(-np.inf)), r, np.nextafter(r, np.float32(np.inf))]
    errs = [abs(Fraction(float(c)) - x) for c in cands]
    best = min(errs)
    ties = [c for c, e in zip(cands, errs) if e == best]
    if len(ties) == 1:
        return ties[0]
    return next(c for c in ties if (np.array(c).view(np.int32) & 1) == 0)


def test_fma32_is_correctly_rounded():
    rng = np.random.default_rng(0)
    n = 4000
    a = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))).astype(np.float32)
    b = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))).astype(np.float32)
    c = (rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n))).astype(np.float32)
    # cancellation: c close to -a * b
    c[::3] = (-(a[::3].astype(np.float64) * b[::3])).astype(np.float32)
    # a product exactly one float32 half-ulp above 1 + 2**-11, plus a tiny c: the float64 sum
    # rounds onto the float32 midpoint, and rounding that again would go down to the even neighbour
    a[0] = b[0] = np.float32(1 + 2.0**-12)
    c[0] = np.float32(2.0**-70)
    got = _nocompile.fma32(a, b, c)
    assert got.dtype == np.float32
    want = np.array([_round32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
                     for x, y, z in zip(a, b, c)], dtype=np.float32)
    assert _same(got, want)
    naive = (a.astype(np.float64) * b + c).astype(np.float32)
    assert naive[0] != got[0]  # the double rounding the emulation avoids
    # an infinite accumulator (a center kept out of the fast path) stays infinite
    assert np.isposinf(_nocompile.fma32(np.float32([0.5]), np.float32([0.0]), np.float32([np.inf]))).all()


def _data(kind: str, dtype, n: int = 150, d: int = 4):
    rng = np.random.default_rng(3)
    if kind == "iris":
        return optimeans.datasets.load("iris").astype(dtype)
    if kind == "ties":  # integer grid: exact ties between centers, repeated points
        return rng.integers(0, 4, size=(n, d)).astype(dtype)
    means = rng.normal(0.0, 4.0, size=(5, d))
    X = means[rng.integers(5, size=n)] + rng.normal(size=(n, d)) * np.exp2(rng.integers(-3, 3, d))
    return (X + 100.0).astype(dtype)  # an offset: the packing centers the data


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d", [(150, 4), (37, 3), (64, 20)])
def test_packing_matches_the_kernel(monkeypatch, dtype, n, d):
    X = _data("blobs", dtype, n, d)
    w = np.ones(n)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 10**9)
    a = PackedData(X, w)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 0)
    b = PackedData(X, w)
    assert a.small and not b.small
    assert a.scale == b.scale
    assert _same(a.XT, b.XT) and _same(a.block_norm, b.block_norm) and _same(a.sqnorm, b.sqnorm)
    C = X[[0, 5, 9]].astype(np.float64) + 0.25
    kp = K.padded_clusters(3)
    C2, cn, cmax = _nocompile.pack_centers(C, a.mean, a.scale, kp)
    C2k = np.empty((kp, d), np.float32)
    cnk = np.empty(kp, np.float32)
    C64 = np.empty((kp, K.padded_features(d)))
    assert cmax == K.pack_centers(C, a.mean, a.scale, C2k, cnk, C64)
    assert _same(C2, C2k) and _same(cn, cnk)


def _assign_both(X, w, centers, rng, bounds):
    """The kernel's and the NumPy assignment of one span of a shuffled epoch, with or without bounds."""
    data = PackedData(X, w)
    n, d = X.shape
    k = centers.shape[0]
    kp = K.padded_clusters(k)
    C2 = np.empty((kp, d), np.float32)
    cn = np.empty(kp, np.float32)
    C64 = np.empty((kp, K.padded_features(d)))
    cmax = K.pack_centers(centers, data.mean, data.scale, C2, cn, C64)
    order = data.block_order(rng)
    s, e = 5, n - 3  # partial blocks at both ends
    inv = 1.0 / (data.scale * data.scale)
    pos = np.arange(s, e)
    rows = order[pos // K.BLOCK] * K.BLOCK + pos % K.BLOCK
    pk = data.numpy_view()
    lab_k = np.empty(e - s, np.int64)
    dist_k = np.empty(e - s)
    if not bounds:
        KS.assign_span(data.XT, X, data.block_norm, data.sqnorm, inv, order, C2, cn, C64, k, cmax, data.kappa, s, e,
                       s, lab_k, dist_k)
        lab_n, dist_n = _nocompile._assign_span(pk, X, inv, rows, centers, C2, cn, cmax, data.kappa)
        return (lab_k, dist_k), (lab_n, dist_n), rows
    rel = 1e-6
    # half the rows with an old label and a bound: some pass the test, some are scanned
    bl = np.where(rng.random(n) < 0.5, rng.integers(0, k, n), -1).astype(np.int64)
    lower = rng.uniform(0.0, 2.0, n) * np.sqrt(np.max(data.sqnorm)) / data.scale
    bl_k, lo_k = bl.copy(), lower.copy()
    scanned_k = KS.assign_bounded(X, data.block_norm, data.sqnorm, data.mean, data.scale, inv, order, C2, cn, C64, k,
                                  cmax, data.kappa, s, e, lab_k, dist_k, bl_k, lo_k, 0.01, rel,
                                  np.empty(e - s, np.int64), np.empty(2 * d * K.BLOCK, np.float32))
    bl_n, lo_n = bl.copy(), lower.copy()
    lab_n, dist_n, scanned_n = _nocompile._assign_bounded(pk, X, data.scale, inv, rows, centers, C2, cn, cmax,
                                                          data.kappa, k, bl_n, lo_n, 0.01, rel)
    assert 0 < scanned_k < e - s  # both branches taken
    return (lab_k, dist_k, bl_k, lo_k, scanned_k), (lab_n, dist_n, bl_n, lo_n, scanned_n), rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["blobs", "ties"])
@pytest.mark.parametrize("bounds", [False, True])
def test_assignment_matches_the_kernel(dtype, kind, bounds):
    X = _data(kind, dtype, 200, 5)
    rng = np.random.default_rng(11)
    w = rng.uniform(0.5, 2.0, X.shape[0])
    centers = X[rng.choice(X.shape[0], 6, replace=False)].astype(np.float64)
    if kind == "ties":
        centers = np.round(centers) + 0.5  # grid points halfway between centers: exact ties
    got_k, got_n, rows = _assign_both(X, w, centers, rng, bounds)
    for a, b in zip(got_k, got_n):
        assert _same(a, b) if isinstance(a, np.ndarray) else a == b
    # canonical labels (with bounds: where the made-up bounds did not keep an old label); the
    # distances partly from the fast scan, within its guard of the exact ones
    lab, dist = got_n[0], got_n[1]
    exact = _nocompile.sqdist(X[rows], centers)
    if not bounds:
        assert _same(lab, _nocompile.canonical_labels(exact))
    exact_d = exact[np.arange(rows.size), lab]
    assert (dist != exact_d).any()
    assert np.allclose(dist, exact_d, rtol=1e-4, atol=1e-4 * exact_d.max())


def _steps_both(monkeypatch, X, w, centers, batch_size, bounds, ratio, epochs=4):
    """MiniBatchState.steps over a few epochs, each way; every state array after each epoch."""
    outs = []
    for small in (10**9, 0):
        monkeypatch.setattr(_nocompile, "SMALL_WORK", small)
        rng = np.random.default_rng(5)
        data = PackedData(X, w)
        n = X.shape[0]
        st = MiniBatchState(centers, X.dtype, batch_size=batch_size, reassignment_ratio=ratio,
                            max_no_improvement=0, alpha=min(1.0, 2.0 * batch_size / (n + 1)))
        bnd = st.new_bounds(data) if bounds else None
        n_batches = -(-n // batch_size)
        seen = []
        for _ in range(epochs):
            order = data.block_order(rng)
            uni = rng.random((n_batches, centers.shape[0]))
            bobj = np.empty(n_batches)
            before = _nocompile.numpy_seconds["minibatch"]
            ran = st.steps(data, order, batch_size, 0, n_batches, uni, bobj, bnd)
            assert (_nocompile.numpy_seconds["minibatch"] > before) == (small > 0)  # the path asked for
            seen.append((ran, st.centers.copy(), st.counts.copy(), st.state.copy(), bobj,
                         *(b.copy() for b in (bnd or ()))))
        outs.append(seen)
    return outs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("bounds", [False, True])
def test_steps_match_the_kernel(monkeypatch, dtype, weighted, bounds):
    X = _data("iris", dtype)
    n = X.shape[0]
    w = np.random.default_rng(2).uniform(0.0, 3.0, n) if weighted else np.ones(n)
    if weighted:
        w[::17] = 0.0
    # a center far away starves, and is moved onto a batch point (the reassignment)
    centers = np.concatenate([X[[0, 60]].astype(np.float64), np.full((1, 4), 30.0)])
    a, b = _steps_both(monkeypatch, X, w, centers, 20, bounds, ratio=0.2)
    for ea, eb in zip(a, b):
        assert ea[0] == eb[0]
        for x, y in zip(ea[1:], eb[1:]):
            assert _same(x, y)
    state = a[-1][3]
    assert state[5] > 0  # reassignments happened
    assert (state[7] < 4 * n) == bounds  # with bounds some points were not scanned


@pytest.mark.parametrize("k,d,dtype", [(16, 5, np.float32), (16, 20, np.float64)])
def test_steps_match_every_register_blocking(monkeypatch, k, d, dtype):
    # the other scans (test_steps_match_the_kernel has two blocks x four centers):
    # kp = 16, d < 16: two blocks x eight centers; d >= 16: one block x sixteen centers
    X = _data("blobs", dtype, 120, d)
    centers = X[np.random.default_rng(1).choice(120, k, replace=False)].astype(np.float64)
    a, b = _steps_both(monkeypatch, X, np.ones(120), centers, 32, True, ratio=0.01, epochs=3)
    for ea, eb in zip(a, b):
        for x, y in zip(ea[1:], eb[1:]):
            assert _same(x, y)


@pytest.mark.parametrize("kind", ["iris", "ties"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_minibatch_bit_for_bit(monkeypatch, kind, dtype):
    X = _data(kind, dtype)
    w = np.random.default_rng(4).uniform(0.0, 2.0, X.shape[0])
    for kw in ({"batch_size": 15, "random_state": 0}, {"batch_size": 64, "random_state": 1, "bounds": False},
               {"batch_size": 15, "random_state": 2, "sample_weight": w, "shuffle": "blocks"}):
        res = []
        for small in (10**9, 0):
            monkeypatch.setattr(_nocompile, "SMALL_WORK", small)
            res.append(optimeans.fit(X, 4, method="minibatch", max_iter=50, **kw))
        a, b = res
        assert _same(a.labels, b.labels) and _same(a.centers, b.centers) and a.objective == b.objective
        assert a.n_iter == b.n_iter and a.stop_reason == b.stop_reason
        assert _same(a.history.objective, b.history.objective)
        for key in ("counts", "n_steps", "n_reassigned", "scanned", "early_stop"):
            assert _same(a.info[key], b.info[key]) if key == "counts" else a.info[key] == b.info[key]


def test_small_minibatch_compiles_nothing(tmp_path):
    # a fresh process with an empty cache: Iris' mini-batch fit (and its partial_fit) compile no kernel
    code = ("import optimeans, numpy as np\n"
            "from optimeans._numba import CompileWatch\n"
            "X = optimeans.datasets.load('iris')\n"
            "with CompileWatch() as w:\n"
            "    optimeans.fit(X, 3, method='minibatch', batch_size=15, random_state=0)\n"
            "    optimeans.fit(X.astype(np.float32), 3, method='minibatch', random_state=0, bounds=False)\n"
            "print(w.count, [r[0] for r in w.records])\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("OPTIMEANS_NUMPY_SMALL", None)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[0] == "0", proc.stdout


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("schedule", ["count", "inverse"])
def test_sgd_bit_for_bit(monkeypatch, dtype, schedule):
    X = _data("ties", dtype, 120, 3)  # exact ties between centers: the first one wins
    w = np.random.default_rng(6).uniform(0.0, 2.0, X.shape[0])
    w[::13] = 0.0
    kw = dict(method="sgd", random_state=3, schedule=schedule, records_per_epoch=4, max_iter=6, sample_weight=w)
    runs = {}
    for name, small, budget in (("numpy", 10**9, 1e9), ("kernel", 0, 1e9), ("switch", 10**9, 1e-9)):
        monkeypatch.setattr(_nocompile, "SMALL_WORK", small)
        monkeypatch.setattr(_nocompile, "SGD_NUMPY_SECONDS", budget)  # "switch": NumPy once, then the kernel
        monkeypatch.setitem(_nocompile.numpy_seconds, "sgd", 0.0)
        runs[name] = optimeans.fit(X, 4, **kw)
        spent = _nocompile.numpy_seconds["sgd"]
        assert (spent > 0) == (small > 0) and (spent < 1.0 or name != "switch")
    for name in ("numpy", "switch"):
        a, b = runs[name], runs["kernel"]
        assert _same(a.centers, b.centers) and _same(a.labels, b.labels) and a.objective == b.objective
        assert _same(a.history.objective, b.history.objective) and _same(a.info["counts"], b.info["counts"])


def test_sgd_steps_match_the_kernel():
    # one run of steps from the same state, both ways: every array and the return value
    X = _data("blobs", np.float32, 90, 5)
    order = np.random.default_rng(8).permutation(90).astype(np.int64)
    centers = X[:4].astype(np.float64) + 0.5
    out = []
    for steps in (KS.sgd_steps, _nocompile.sgd_steps):
        c, ct, counts = centers.copy(), np.ascontiguousarray(centers.T, dtype=X.dtype), np.zeros(4)
        seen = steps(X, np.ones(90), order, 3, 80, c, ct, counts, KS.SCHEDULE_CONSTANT, 0.3, 5.0, 90.0)
        out.append((seen, c, ct, counts))
    (sa, *ka), (sb, *kb) = out
    assert sa == sb and sa > 0
    for a, b in zip(ka, kb):
        assert _same(a, b)


def test_minibatch_budget_switches_to_the_kernel_with_the_same_bits(monkeypatch):
    # past the process's NumPy budget the kernels take over between two calls of the steps
    X = _data("iris", np.float64)
    kw = dict(method="minibatch", batch_size=15, random_state=4, max_iter=8, records_per_epoch=2, n_init=1)
    runs = {}
    for name, small, budget in (("kernel", 0, np.inf), ("switch", 10**9, 1e-9)):
        monkeypatch.setattr(_nocompile, "SMALL_WORK", small)
        monkeypatch.setattr(_nocompile, "MINIBATCH_NUMPY_SECONDS", budget)
        monkeypatch.setitem(_nocompile.numpy_seconds, "minibatch", 0.0)
        runs[name] = optimeans.fit(X, 3, **kw)
        assert (_nocompile.numpy_seconds["minibatch"] > 0) == (name == "switch")
    a, b = runs["switch"], runs["kernel"]
    assert a.info["n_steps"] > 10  # more than the first call of the steps ran (on the kernel)
    assert _same(a.centers, b.centers) and _same(a.labels, b.labels) and a.objective == b.objective
    assert _same(a.history.objective, b.history.objective) and a.info["n_steps"] == b.info["n_steps"]


def test_a_loaded_kernel_serves_small_problems(monkeypatch):
    # once the kernel of this dtype is in memory it is faster than NumPy, with the same bits
    monkeypatch.undo()
    X = _data("iris", np.float64)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 0)
    optimeans.fit(X, 3, method="minibatch", batch_size=15, random_state=0, max_iter=2)
    monkeypatch.undo()
    monkeypatch.setitem(_nocompile.numpy_seconds, "minibatch", 0.0)  # within the budget
    kp = K.padded_clusters(3)
    assert _nocompile.is_small(X.shape[0], 3, X.shape[1])
    assert _nocompile._kernel_loaded(KS.minibatch_kernel(15, 3, 4, kp, KS.PARALLEL_MIN_WORK), np.float64)
    assert not _nocompile.minibatch_small(X, 3, kp, 15, KS.PARALLEL_MIN_WORK)
    # and the budget: spent, the kernels serve whatever is loaded
    monkeypatch.setattr(_nocompile, "_kernel_loaded", lambda kernel, dtype: False)
    assert _nocompile.minibatch_small(X, 3, kp, 15, KS.PARALLEL_MIN_WORK)
    monkeypatch.setitem(_nocompile.numpy_seconds, "minibatch", _nocompile.MINIBATCH_NUMPY_SECONDS)
    assert not _nocompile.minibatch_small(X, 3, kp, 15, KS.PARALLEL_MIN_WORK)
