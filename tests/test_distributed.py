"""k-means on dask arrays: equal to the in-memory solvers, independent of the chunking.

Most tests run on an in-process cluster (LocalCluster(processes=False): no
socket, no host=, dashboard off); a few on Dask's local threaded scheduler.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402
from optimeans.distributed import _dask, seeding, tasks  # noqa: E402


def _blobs(n_per=1500, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0], [6, 6, 0], [0, 7, 7], [9, 0, 3], [4, -5, 2]], dtype=float)
    X = np.concatenate([rng.standard_normal((n_per, 3)) + m for m in means])
    return X[rng.permutation(len(X))].astype(dtype)


@pytest.fixture(scope="module")
def client():
    # no host= (it fails with processes=False); the HTTP servers that Dask
    # starts anyway are kept on the loopback interface
    cluster = distributed.LocalCluster(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _init(X, k, seed=1):
    rng = np.random.default_rng(seed)
    return X[rng.choice(len(X), k, replace=False)] + 0.25


def _same(res, mem):
    """Dask Lloyd equals in-memory Lloyd: every iteration bit for bit, the final objective to rounding."""
    np.testing.assert_array_equal(res.centers, mem.centers)
    np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    np.testing.assert_array_equal(res.history.objective, mem.history.objective)
    assert res.n_iter == mem.n_iter
    assert res.stop_reason == mem.stop_reason
    assert res.converged == mem.converged
    # the same float64 sum in another order (per block, then across blocks)
    assert res.objective == pytest.approx(mem.objective, rel=1e-13)
    np.testing.assert_array_equal(res.cluster_sizes, mem.cluster_sizes)


def _big(n=24_000, seed=0, dtype=np.float64, offset=100.0):
    """Blobs far from the origin (the work space matters) in several 4096-row blocks."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-6, 6, (6, 4))
    X = means[rng.integers(0, 6, n)] + rng.standard_normal((n, 4)) + offset
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_equals_in_memory_bit_for_bit(client, dtype, weighted):
    X = _big(n=150_000 if weighted else 24_000, dtype=dtype)
    w = np.random.default_rng(3).uniform(0.0, 3.0, len(X)) if weighted else None
    C0 = _init(X, 6).astype(dtype)
    mem = optimeans.fit(X, 6, init=C0, tol=0, max_iter=60, sample_weight=w)
    res = optimeans.fit(da.from_array(X, chunks=(5000, 4)), 6, init=C0, tol=0, max_iter=60, sample_weight=w)
    assert isinstance(res, optimeans.Result)
    assert res.info["scheduler"] == "distributed"
    assert res.info["n_blocks"] >= 2
    _same(res, mem)


@pytest.mark.parametrize("block_rows", [4096, 8192, 20_000])
def test_chunking_and_workers_do_not_change_results(client, block_rows):
    X = _big(seed=1)
    C0 = _init(X, 6, seed=2)
    mem = optimeans.fit(X, 6, init=C0, tol=0)
    res = optimeans.fit(da.from_array(X, chunks=(3000, 4)), 6, init=C0, tol=0, block_rows=block_rows)
    _same(res, mem)
    with _no_default_client():  # this process, one block after the other
        local = optimeans.fit(da.from_array(X, chunks=(3000, 4)), 6, init=C0, tol=0, block_rows=block_rows)
    assert local.info["scheduler"] == "threads"
    _same(local, mem)


def test_lead_blocks_and_the_sums_they_carry(client):
    # the leading blocks add their chunks into the sums where they run; which blocks lead
    # depends on where the blocks are, never the result
    from optimeans.distributed.blocks import Blocks

    X = _big(seed=21)
    Xd = da.from_array(X, chunks=(4096, 4))
    two = Blocks(Xd, None, client, True, 1)
    assert two.lead_blocks() == 1  # block 1 is on the other worker
    assert Blocks(Xd, None, client, False, 1).lead_blocks() == 1  # one task (one copy) per block
    assert Blocks(Xd, None, None, True, 1).lead_blocks() == len(two)  # this process: all
    C0 = _init(X, 6, seed=22)
    C0[3] = [1e3, 1e3, 1e3, 1e3]  # an empty cluster: zeroed by the last adder only
    mem = optimeans.fit(X, 6, init=C0, tol=0)
    calls = []
    add_moves = tasks._scan.add_moves

    def counted(*a):
        calls.append(a[0].shape[0])
        return add_moves(*a)

    with pytest.MonkeyPatch.context() as mp:  # the workers run in this process
        mp.setattr(tasks._scan, "add_moves", counted)
        res = optimeans.fit(Xd, 6, init=C0, tol=0)
        _same(res, mem)
        assert len(calls) == res.n_iter  # block 0 only, once an iteration (the last pass has no sums)
        calls.clear()
        with od.local_cluster(1, processes=False) as one:
            alone = Blocks(Xd, None, one, True, 1)
            assert alone.lead_blocks() == len(alone) >= 5  # one worker holds them all: they all carry
            res = optimeans.fit(Xd, 6, init=C0, tol=0)
            assert res.info["scheduler"] == "distributed"
            _same(res, mem)
            assert len(calls) == len(alone) * res.n_iter


def test_tol_stop_equals_in_memory(client):
    X = _big(seed=3)
    C0 = _init(X, 6, seed=4)
    mem = optimeans.fit(X, 6, init=C0, tol=1e-2)
    res = optimeans.fit(da.from_array(X, chunks=(2000, 4)), 6, init=C0, tol=1e-2)
    assert mem.stop_reason == "tol"
    _same(res, mem)


def test_empty_cluster_relocated_as_in_memory(client):
    X = _big(seed=13)
    C0 = _init(X, 6, seed=14)
    C0[2] = [1e3, 1e3, 1e3, 1e3]  # attracts nothing: empty after the first pass
    C0[4] = [-1e3, 0, 0, 0]
    mem = optimeans.fit(X, 6, init=C0, tol=0)
    res = optimeans.fit(da.from_array(X, chunks=(1700, 4)), 6, init=C0, tol=0)
    _same(res, mem)
    assert (res.cluster_sizes > 0).all()
    assert res.info["passes"] > res.n_iter + 2  # the relocation pass was run


def test_refine_equals_in_memory(client):
    X = _big(seed=5)
    C0 = _init(X, 6, seed=6)
    mem = optimeans.fit(X, 6, init=C0, refine="hartigan")
    res = optimeans.fit(da.from_array(X, chunks=(5000, 4)), 6, init=C0, refine="hartigan")
    assert res.method == mem.method == "lloyd+hartigan"
    np.testing.assert_array_equal(res.centers, mem.centers)
    np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    assert res.n_iter == mem.n_iter
    assert res.objective == mem.objective  # refined in memory on the gathered rows


def test_refine_refused_after_minibatch_and_unknown(client):
    Xd = da.from_array(_big(n=5000), chunks=(2500, 4))
    with pytest.raises(ValueError, match="refine='hartigan' runs after method 'lloyd'"):
        optimeans.fit(Xd, 3, method="minibatch", refine="hartigan")
    with pytest.raises(ValueError, match="refine must be None or 'hartigan'"):
        optimeans.fit(Xd, 3, refine="lloyd")


def test_unsupported_method_names_the_supported(client):
    Xd = da.from_array(_big(n=5000), chunks=(2500, 4))
    with pytest.raises(ValueError, match="the methods that do are: auto, lloyd, minibatch"):
        optimeans.fit(Xd, 3, method="hamerly")


def test_n_init_rule_is_memory_s(client):
    Xd = da.from_array(_big(n=6000), chunks=(3000, 4))
    # the rule of memory, with the method and the shape: this small shape (n k d < 10**6) gets three
    X = _big(n=6000)
    assert optimeans.fit(Xd, 3, random_state=0, max_iter=3).n_init == optimeans.fit(X, 3, random_state=0, max_iter=3).n_init == 3
    big = da.from_array(_big(n=100_000), chunks=(50_000, 4))
    assert optimeans.fit(big, 3, random_state=0, max_iter=2).n_init == optimeans.fit(_big(n=100_000), 3, random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(big, 3, method="minibatch", random_state=0, max_iter=2).n_init == 1
    assert optimeans.fit(Xd, 3, init="random", random_state=0, max_iter=2).n_init == 10
    assert optimeans.fit(Xd, 3, init=_big(n=6000)[:3], max_iter=2).n_init == 1
    assert optimeans.fit(Xd, 3, n_init=2, random_state=0, max_iter=2).n_init == 2


def test_numpy_blocks_sent_once_without_warnings(client):
    """A NumPy-backed dask array (and NumPy weights) with a Client: scattered once, no Dask warning."""
    import warnings

    X = _big(n=170_000, seed=7)  # 5.4 MB: the blocks would otherwise ride in every graph
    w = np.ones(len(X))
    C0 = _init(X, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = optimeans.fit(da.from_array(X, chunks=(40_000, 4)), 3, init=C0, sample_weight=w, max_iter=5)
        X2 = od.read(X, block_rows=40_000)
    assert [str(c.message) for c in caught] == []
    assert res.n_iter >= 1
    assert all(not isinstance(v, np.ndarray) for v in dict(X2.__dask_graph__()).values())


def test_threaded_scheduler_equals_cluster(client):
    X = _blobs(seed=8)
    Xd = da.from_array(X, chunks=(2000, 3))
    on_cluster = optimeans.fit(Xd, 5, random_state=11)
    with _no_default_client():
        local = optimeans.fit(Xd, 5, random_state=11)
    assert local.info["scheduler"] == "threads"
    np.testing.assert_array_equal(local.centers, on_cluster.centers)  # bitwise: same blocks, same order
    assert local.objective == on_cluster.objective


class _no_default_client:
    """Make ``default_client()`` find nothing for a while."""

    def __enter__(self):
        from optimeans.distributed import solver, sources

        self._patch = pytest.MonkeyPatch()
        self._patch.setattr(solver, "current_client", lambda: None)
        self._patch.setattr(sources, "current_client", lambda: None)
        import dask

        self._cfg = dask.config.set(scheduler="threads")
        self._cfg.__enter__()
        return self

    def __exit__(self, *exc):
        self._cfg.__exit__(*exc)
        self._patch.undo()
        return False


@pytest.mark.parametrize("method", ["lloyd", "minibatch"])
def test_seeded_result_does_not_depend_on_chunking(client, method):
    X = _blobs(seed=9)
    results = [
        optimeans.fit(da.from_array(X, chunks=(c, 3)), 5, method=method, random_state=3, max_iter=30, block_rows=4096)
        for c in (7500, 1234, 4096)
    ]
    for r in results[1:]:
        np.testing.assert_array_equal(r.centers, results[0].centers)
        assert r.objective == pytest.approx(results[0].objective, rel=1e-12)
        assert r.n_iter == results[0].n_iter


def test_kmeans_parallel_finds_the_blobs(client):
    X = _blobs(seed=10)
    res = optimeans.fit(da.from_array(X, chunks=(1500, 3)), 5, random_state=0)
    # five well separated unit blobs: the optimum is about n * d = 22500
    best = optimeans.fit(X, 5, random_state=0, n_init=5)
    assert res.objective == pytest.approx(best.objective, rel=1e-9)
    assert res.options["init"] == "k-means||"
    # 1 first center + about l = 2k per round, 5 rounds
    assert 1 + 5 <= res.info["n_candidates"] <= 1 + 5 * 4 * 5


def test_kmeans_parallel_sample_is_exact():
    """Block scores with the exact threshold reproduce Bahmani's sample on the whole array."""
    X = _blobs(seed=12)
    C = X[:3].copy()
    l, key = 10.0, 987654321
    out = [seeding._task_sample(X[s:s + 1000], None, s, C, l, key, 8, None, 1) for s in range(0, len(X), 1000)]
    psi = sum(o[0] for o in out)
    d2 = np.min(((X[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
    assert psi == pytest.approx(d2.sum(), rel=1e-12)
    u = seeding._uniform(key, 0, len(X))
    expected = np.flatnonzero(u < l * d2 / psi)
    exact = [seeding._task_sample(X[s:s + 1000], None, s, C, l, key, 8, psi, 1) for s in range(0, len(X), 1000)]
    got = np.concatenate([o[2][o[1] > psi] for o in exact])
    np.testing.assert_array_equal(got, expected)
    # the capped answers hold every selected row unless they hit the cap
    for capped, full in zip(out, exact):
        sel_full = set(full[2][full[1] > psi])
        sel_capped = set(capped[2][capped[1] > psi])
        assert sel_capped <= sel_full
        if len(capped[1]) < 8:
            assert sel_capped == sel_full


def test_uniform_hash_is_uniform_and_block_free():
    u = seeding._uniform(42, 0, 200_000)
    assert 0 < u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005
    np.testing.assert_array_equal(seeding._uniform(42, 1000, 50), u[1000:1050])
    assert not np.array_equal(seeding._uniform(43, 0, 50), u[:50])


def test_minibatch_empty_cluster_never_nan(client):
    X = _blobs(seed=15)
    C0 = _init(X, 5, seed=16)
    C0[0] = [-1e3, 0, 0]
    res = optimeans.fit(da.from_array(X, chunks=(2000, 3)), 5, method="minibatch", init=C0, max_iter=5, tol=0)
    assert np.isfinite(res.centers).all()
    assert res.centers[0, 0] > -100  # moved onto the data
    assert res.method == "minibatch"
    assert len(res.history) == res.n_iter == 5


def test_minibatch_close_to_lloyd(client):
    X = _blobs(seed=17)
    Xd = da.from_array(X, chunks=(3000, 3))
    lloyd = optimeans.fit(Xd, 5, random_state=1)
    mb = optimeans.fit(Xd, 5, method="minibatch", random_state=1, batch_size=1024, max_iter=20)
    assert mb.objective <= 1.02 * lloyd.objective
    # the reported objective is the exact one of the final centers
    assert mb.objective == pytest.approx(optimeans.objective(X, mb.centers), rel=1e-10)


def test_labels_are_lazy_and_match_centers(client):
    X = _blobs(seed=18)
    res = optimeans.fit(da.from_array(X, chunks=(2000, 3)), 5, random_state=2)
    assert isinstance(res.labels, da.Array)
    assert res.labels.dtype == np.int64
    labels = res.labels.compute()
    expected = np.argmin(((X[:, None, :] - res.centers[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(labels, expected)
    assert res.objective == pytest.approx(optimeans.objective(X, res.centers, labels), rel=1e-12)
    s = res.summary()
    assert s["n_samples"] == len(X) and sum(s["cluster_sizes"]) == len(X)


def test_reproducible_and_thread_count_free(client):
    X = _blobs(seed=19)
    Xd = da.from_array(X, chunks=(1500, 3))
    a = optimeans.fit(Xd, 5, random_state=5)
    b = optimeans.fit(Xd, 5, random_state=5, n_threads=2)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.objective == b.objective and a.seed == b.seed == 5


def test_random_init_and_restarts(client):
    X = _blobs(seed=20)
    res = optimeans.fit(da.from_array(X, chunks=(2500, 3)), 5, init="random", n_init=2, random_state=0)
    assert res.n_init == 2
    assert res.options["init"] == "random"
    assert np.isfinite(res.objective)


def test_callback_stops(client):
    X = _blobs(seed=21)
    seen = []
    res = optimeans.fit(
        da.from_array(X, chunks=(2500, 3)), 5, random_state=0, tol=0,
        callback=lambda it, obj: seen.append((it, obj)) or it == 1,
    )
    assert res.stop_reason == "callback" and res.n_iter == 1
    assert seen == [(1, res.history.objective[0])]


def test_not_persisted_streams_the_same(client):
    X = _blobs(seed=22)
    C0 = _init(X, 5)
    a = optimeans.fit(da.from_array(X, chunks=(2000, 3)), 5, init=C0, persist=False)
    b = optimeans.fit(da.from_array(X, chunks=(2000, 3)), 5, init=C0, persist=True)
    assert not a.info["persisted"] and b.info["persisted"]
    _same(a, optimeans.fit(X, 5, init=C0))
    np.testing.assert_array_equal(a.centers, b.centers)


def test_not_persisted_on_threads_reads_ahead_across_passes(client):
    # out of core without a cluster: blocks are read ahead while block b is worked on;
    # every block is read once per pass, in order, and the result is memory's
    from optimeans.distributed import blocks as blocks_mod, readahead

    X = _big(n=20_000, seed=31)
    C0 = _init(X, 4, seed=32)
    import threading

    reads: list[int] = []
    readers: set[bool] = set()
    local_raw = blocks_mod.Blocks._local_raw

    def spy(self, b):
        reads.append(b)
        readers.add(threading.current_thread() is threading.main_thread())
        return local_raw(self, b)

    with _no_default_client(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(blocks_mod.Blocks, "_local_raw", spy)
        res = optimeans.fit(da.from_array(X, chunks=(4096, 4)), 4, init=C0, persist=False, tol=0, max_iter=4)
    assert not res.info["persisted"] and res.info["scheduler"] == "threads"
    _same(res, optimeans.fit(X, 4, init=C0, tol=0, max_iter=4))
    nb = res.info["n_blocks"]
    # block after block, in cyclic order (the next pass's first blocks are read while the last ones
    # of this pass are worked on), ending at most a few blocks into a pass that never came
    passes = res.info["passes"]
    assert nb == 5 and passes >= 5 and nb * passes <= len(reads) <= nb * passes + readahead.AHEAD + 1
    assert reads == [i % nb for i in range(len(reads))]
    assert readers == {False}  # read by the read-ahead thread, while this one computes


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_clusters": 0}, ValueError, "n_clusters must be >= 1"),
        ({"n_clusters": 10_000}, ValueError, "larger than the number of samples"),
        ({"method": "elkan"}, ValueError, "does not run on dask arrays"),
        ({"init": "kmeans"}, ValueError, "init must be"),
        ({"init": np.zeros((2, 3))}, ValueError, r"init has shape \(2, 3\)"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"sample_weight": np.ones(5)}, ValueError, "sample_weight has length 5"),
        ({"persist": "yes"}, ValueError, "persist must be"),
        ({"oversampling_factor": 0}, ValueError, "oversampling_factor must be > 0"),
        ({"n_threads": 0}, ValueError, "n_threads must be a non-zero integer"),
        ({"n_threads": "2"}, TypeError, "n_threads must be an integer"),
    ],
)
def test_argument_errors(client, kwargs, exc, match):
    X = da.from_array(_blobs(n_per=100), chunks=(200, 3))
    kwargs = {"n_clusters": 3, **kwargs}
    with pytest.raises(exc, match=match):
        optimeans.fit(X, **kwargs)


def test_data_errors_name_the_global_row(client):
    X = _blobs(n_per=200)
    X[777, 2] = np.nan
    with pytest.raises(ValueError, match="NaN at row 777, column 2"):
        optimeans.fit(da.from_array(X, chunks=(300, 3)), 3)
    X[777, 2] = 0
    w = np.ones(len(X))
    w[650] = -1
    with pytest.raises(ValueError, match="negative value -1.0 at index 650"):
        optimeans.fit(da.from_array(X, chunks=(300, 3)), 3, sample_weight=w)
    with pytest.raises(ValueError, match="zero for every sample"):
        optimeans.fit(da.from_array(X, chunks=(300, 3)), 3, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="must be 2-D"):
        optimeans.fit(da.ones(10, chunks=5), 2)
    with pytest.raises(TypeError, match="must be numeric"):
        optimeans.fit(da.from_array(np.array([["a", "b"], ["c", "d"]])), 1)


def test_install_hint_without_dask(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r'pip install "optimeans\[dask\]"'):
        _dask.import_dask()


# ---------------------------------------------------------------- read()


def test_read_npy_streams_blocks(tmp_path):
    X = _blobs(n_per=300).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    arr = od.read(str(path), block_rows=256)
    assert arr.dtype == np.float32 and arr.shape == X.shape
    assert arr.chunks[0][0] == 256
    np.testing.assert_array_equal(arr.compute(), X)
    both = od.read([str(path), str(path)], dtype="float64")
    assert both.dtype == np.float64 and both.shape == (2 * len(X), 3)
    np.testing.assert_array_equal(both[len(X):].compute(), X.astype(np.float64))


def test_read_npy_default_blocks_larger_without_a_client(tmp_path, client, monkeypatch):
    """Out of core on this machine a .npy is read in larger blocks than for a cluster's workers."""
    from optimeans.distributed import _dask

    monkeypatch.setattr(_dask, "BLOCK_BYTES", 1200)  # 100 rows of 3 float32
    monkeypatch.setattr(_dask, "LOCAL_NPY_BLOCK_BYTES", 4800)  # 400 rows
    X = _blobs(n_per=300).astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    on_cluster = od.read(str(path))  # the module's client is current
    assert on_cluster.chunks[0][0] == 100
    with monkeypatch.context() as m:
        m.setattr(_dask, "current_client", lambda: None)
        local = od.read(str(path))
    assert local.chunks[0][0] == 400
    assert od.read(str(path), block_rows=256).chunks[0][0] == 256  # given rows win
    np.testing.assert_array_equal(local.compute(scheduler="threads"), X)
    a = optimeans.fit(local, 3, init=X[:3].copy(), refine=None, random_state=0)
    b = optimeans.fit(X, 3, init=X[:3].copy(), refine=None, random_state=0)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_read_npy_errors(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(5.0))
    with pytest.raises(ValueError, match="2-D"):
        od.read(str(tmp_path / "one.npy"))
    np.save(tmp_path / "f.npy", np.asfortranarray(np.ones((4, 3))))
    with pytest.raises(ValueError, match="Fortran order"):
        od.read(str(tmp_path / "f.npy"))
    with pytest.raises(ValueError, match="no file matches"):
        od.read(str(tmp_path / "*.parquet"))
    with pytest.raises(ValueError, match="no such file"):
        od.read(str(tmp_path / "absent.npy"))


def test_read_parquet_columns_glob_and_directory(tmp_path, client):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    X = _blobs(n_per=400)
    for i, part in enumerate(np.array_split(X, 3)):
        table = pa.table({"a": part[:, 0], "name": [f"r{j}" for j in range(len(part))], "b": part[:, 1], "c": part[:, 2]})
        pq.write_table(table, tmp_path / f"part{i}.parquet", row_group_size=150)
    arr = od.read(str(tmp_path / "*.parquet"), columns="a,b,c", block_rows=300)
    assert arr.dtype == np.float64 and arr.shape == X.shape
    np.testing.assert_array_equal(arr.compute(), X)
    arr2 = od.read(str(tmp_path), columns=["c", "a"])
    np.testing.assert_array_equal(arr2.compute(), X[:, [2, 0]])
    with pytest.raises(TypeError, match="non-numeric column.*'name'"):
        od.read(str(tmp_path))
    with pytest.raises(ValueError, match="no column.*'zz'"):
        od.read(str(tmp_path), columns="a,zz")
    C0 = _init(X, 5)
    res = optimeans.fit(arr, 5, init=C0, tol=0)
    mem = optimeans.fit(X, 5, init=C0, tol=0)
    np.testing.assert_allclose(res.centers, mem.centers, rtol=1e-6)


def test_read_parquet_nulls_are_reported(tmp_path, client):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"a": [1.0, 2.0, None, 4.0], "b": [1, 2, 3, 4]}), tmp_path / "n.parquet")
    arr = od.read(str(tmp_path / "n.parquet"))
    with pytest.raises(ValueError, match="NaN at row 2, column 0"):
        optimeans.fit(arr, 2)


def test_read_zarr(tmp_path):
    zarr = pytest.importorskip("zarr")
    X = _blobs(n_per=100)
    z = zarr.open(str(tmp_path / "x.zarr"), mode="w", shape=X.shape, chunks=(128, 3), dtype="f8")
    z[:] = X
    arr = od.read(str(tmp_path / "x.zarr"), block_rows=200)
    np.testing.assert_array_equal(arr.compute(), X)


def test_read_passes_arrays_through():
    X = _blobs(n_per=100)
    arr = od.read(X, block_rows=64)
    assert arr.chunks[0][0] == 64
    np.testing.assert_array_equal(arr.compute(), X)
    with pytest.raises(ValueError, match="float32 or float64"):
        od.read(X, dtype="int32")


def test_in_process_cluster_listens_on_loopback_only(client):
    psutil = pytest.importorskip("psutil")
    with od.local_cluster(1, processes=False) as c2:
        assert c2.submit(lambda: 1).result() == 1
        listening = [
            conn.laddr.ip for conn in psutil.Process().net_connections(kind="inet") if conn.status == psutil.CONN_LISTEN
        ]
    assert listening and set(listening) == {"127.0.0.1"}


def test_top_rows_matches_lexsort():
    rng = np.random.default_rng(0)
    for n, m in [(1000, 5), (1000, 400), (50, 50), (10, 20), (0, 3)]:
        c = rng.integers(0, 30, n).astype(np.float64)  # many ties
        expected = np.lexsort((np.arange(n), -c))[: min(m, n)]
        np.testing.assert_array_equal(tasks.top_rows(c, m), expected)


def test_kmeans_estimator_accepts_dask_arrays(client):
    X = _blobs(seed=23)
    C0 = _init(X, 5)
    km = optimeans.KMeans(n_clusters=5, init=C0, tol=0).fit(da.from_array(X, chunks=(2500, 3)))
    mem = optimeans.KMeans(n_clusters=5, init=C0, tol=0).fit(X)
    assert km.n_features_in_ == 3
    assert isinstance(km.labels_, da.Array)
    np.testing.assert_allclose(km.cluster_centers_, mem.cluster_centers_, rtol=1e-6)
    assert km.inertia_ == pytest.approx(mem.inertia_, rel=1e-6)
    np.testing.assert_array_equal(km.predict(X), mem.labels_)
    assert optimeans.distributed is od


def test_empty_blocks_are_harmless(client):
    X = _blobs(n_per=200, seed=24)
    Xd = da.from_array(X, chunks=((400, 0, len(X) - 400), (3,)))
    assert 0 in Xd.chunks[0]
    for init in ("k-means||", "random"):
        res = optimeans.fit(Xd, 5, init=init, random_state=0)
        assert np.isfinite(res.objective) and res.labels.compute().shape == (len(X),)


def test_block_tasks_stay_on_their_worker_when_it_is_busy(client):
    # Block states are mutated in place on their worker: a pass task stolen by
    # an idle worker would move a copy of the state on (its labels) while the
    # home copy stays behind. Keep the first worker busy while the fit starts,
    # so that work stealing would move its block tasks if it could.
    import time

    X = _big(seed=5)
    C0 = _init(X, 6, seed=6)
    mem = optimeans.fit(X, 6, init=C0, tol=0, max_iter=30)
    workers = sorted(client.scheduler_info()["workers"])
    busy = client.submit(time.sleep, 3.0, workers=[workers[0]], pure=False)
    res = optimeans.fit(da.from_array(X, chunks=(4096, 4)), 6, init=C0, tol=0, max_iter=30, block_rows=4096)
    busy.result()
    _same(res, mem)
    # each block's state lives on its own worker only (never copied elsewhere)
    holders = client.run_on_scheduler(
        lambda dask_scheduler: [
            len(ts.who_has or ()) for key, ts in dask_scheduler.tasks.items() if "task_make_state" in str(key)
            or "_raw_call" in str(key)
        ]
    )
    assert holders and all(h <= 1 for h in holders)


def test_state_tasks_are_pinned_to_their_worker(client, monkeypatch):
    # The contract behind the test above: every task that takes a block state
    # runs on that block's worker, never elsewhere (no work stealing), and a
    # pass is one call per worker of the host actor on that worker, over the
    # states that worker holds.
    from optimeans.distributed import blocks as blocks_mod

    calls = []
    submit = client.submit

    def spy(fn, *args, **kwargs):
        calls.append((fn, args, kwargs))
        return submit(fn, *args, **kwargs)

    host_calls = []
    host_call = blocks_mod.BlockHost.run_pickled

    def host_spy(self, keys, blob):
        # a pass reaches the host as one pickled (fn, args), not as arrays Dask frames one by one
        assert isinstance(blob, bytes)
        from distributed.protocol.pickle import loads

        host_calls.append((self.address, loads(blob)[0], list(keys)))
        return host_call(self, keys, blob)

    monkeypatch.setattr(client, "submit", spy)
    # the cluster is in-process: the workers' hosts are instances of this very class
    monkeypatch.setattr(blocks_mod.BlockHost, "run_pickled", host_spy)
    X = _big(seed=7)
    res = optimeans.fit(
        da.from_array(X, chunks=(4096, 4)), 6, init=_init(X, 6, seed=8), tol=0, max_iter=5, block_rows=4096
    )
    assert res.info["n_blocks"] == 6
    # in-process workers have no socket of their own: the passes take Dask's route
    assert res.info["host_calls"]["direct"] == 0 and res.info["host_calls"]["dask"] > 0
    # a Lloyd pass is one host call per worker (2), not one per block (6); the loop's passes and,
    # unless the labels stopped changing, the final assignment
    n_passes = res.n_iter + (res.stop_reason != "labels_unchanged")
    lloyd = [(addr, keys) for addr, fn, keys in host_calls if fn is tasks.task_pass]
    assert len(lloyd) == n_passes * 2
    # every call reaches the worker that holds the states it names, and together they cover the 6 blocks
    who_has = client.run_on_scheduler(
        lambda dask_scheduler: {str(k): sorted(ws.address for ws in ts.who_has or ()) for k, ts in dask_scheduler.tasks.items()}
    )
    for addr, keys in lloyd:
        assert keys and all(who_has[str(key)] == [addr] for key in keys), (addr, keys)
    assert sorted(len(keys) for _, keys in lloyd[:2]) == [3, 3]
    # the hosts and every task that takes a state are pinned to one worker
    hosts = [kw for fn, _, kw in calls if fn is blocks_mod.BlockHost]
    assert len(hosts) == 2 and all(kw.get("actor") for kw in hosts)
    stateful = [
        kw for fn, args, kw in calls
        if fn in (blocks_mod._state_call, blocks_mod.BlockHost, tasks.task_make_state, tasks.task_best_labels)
        or (fn is blocks_mod._raw_call and args and args[0] is tasks.task_make_state)
    ]
    assert len(stateful) >= 2 + 6
    for kw in stateful:
        assert kw["workers"] is not None and len(kw["workers"]) == 1
        assert kw["allow_other_workers"] is False
    # in-process workers share one event loop: their hosts never run a pass on it (the two
    # workers' passes would run one after the other). The client is shared by the tests, so
    # the workers may also hold hosts of earlier fits: every one of them must say so.
    own = client.run(lambda dask_worker: [(a._own_loop, a.calls_on_loop) for a in dask_worker.state.actors.values()])
    assert len(own) == 2 and all(v and all(h == (False, 0) for h in v) for v in own.values()), own


def test_a_host_refuses_states_it_does_not_hold(client):
    # a call that reached the wrong worker (or a state that was lost) is reported, never recomputed
    from optimeans.distributed import blocks as blocks_mod

    workers = sorted(client.scheduler_info()["workers"])
    held = client.submit(np.arange, 3, workers=[workers[0]], allow_other_workers=False, pure=False)
    held.result()
    hosts = [
        client.submit(blocks_mod.BlockHost, workers=[w], allow_other_workers=False, actor=True, pure=False).result()
        for w in workers
    ]
    assert hosts[0].run(_first, [held.key], ()).result() == [0]
    with pytest.raises(tasks.StateLost, match="does not hold the block state"):
        hosts[1].run(_first, [held.key], ()).result()
    # the pass's route: the call pickled into one bytes object, the results pickled back
    from distributed.protocol.pickle import dumps, loads

    blob = dumps((_first, ()))
    reply = hosts[0].call([held.key], blob).result()
    assert isinstance(reply, bytes) and loads(reply) == [0]
    with pytest.raises(tasks.StateLost, match="does not hold the block state"):
        hosts[1].call([held.key], blob).result()


def _first(state, raw):
    return int(state[0])


def test_a_worker_leaving_is_reported_not_waited_for():
    # the pinned block tasks of a worker that left could never run: the fit
    # stops with a message that names the worker instead of waiting forever
    X = _big(seed=9)
    with od.local_cluster(2, processes=False) as c2:
        gone = sorted(c2.scheduler_info()["workers"])[1]

        def leave(it, obj):
            if it == 2:
                # a graceful retirement is refused while the worker's host holds blocks ...
                c2.retire_workers(workers=[gone], close_workers=True)
                assert gone in c2.scheduler_info()["workers"]
                # ... but a worker can still go (killed, lost): the next pass reports it
                c2.run_on_scheduler(lambda dask_scheduler: dask_scheduler.close_worker(gone))
                # closing is asynchronous: wait until the scheduler has dropped the worker, or the
                # remaining passes may all finish on it first and the fit end normally (seen once in CI)
                deadline = time.monotonic() + 30.0
                while gone in c2.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.workers)):
                    assert time.monotonic() < deadline, "the scheduler kept the closed worker for 30 s"
                    time.sleep(0.05)
            return False

        # which check sees it first depends on timing: the liveness loop (the worker
        # left the cluster) or the call to its host (cannot be reached); both name it
        with pytest.raises(tasks.StateLost, match="worker .* left the cluster|worker holding blocks .* cannot be reached"):
            optimeans.fit(da.from_array(X, chunks=(4096, 4)), 6, init=_init(X, 6), tol=0, max_iter=50,
                          block_rows=4096, callback=leave)


def test_host_threads_counts_the_workers_threads_per_host(client, monkeypatch):
    from optimeans.distributed import cluster

    assert cluster.host_threads(client) == 2  # both workers of the fixture on 127.0.0.1
    fake = {
        "tcp://10.0.0.1:4001": {"host": "10.0.0.1", "nthreads": 4},
        "tcp://10.0.0.2:4001": {"host": "10.0.0.2", "nthreads": 2},
        "tcp://10.0.0.1:4002": {"nthreads": 1},  # no host given: read from the address
    }
    monkeypatch.setattr(cluster, "_scheduler_workers", lambda c: fake)
    assert cluster.host_threads(client) == 5


def test_block_passes_count_a_hosts_threads_for_the_prefetch(client, monkeypatch):
    # two 1-thread workers on one host stream rows at once, as memory's 2 threads do
    seen = []
    rule = tasks.prefetch_pays
    monkeypatch.setattr(tasks, "prefetch_pays", lambda *a: seen.append(a[-1]) or rule(*a))
    X = _blobs(600)
    optimeans.fit(da.from_array(X, chunks=(1000, 3)), 5, init=_init(X, 5), tol=0, max_iter=3)
    assert seen and set(seen) == {2}


def test_worker_slots_do_not_read_the_clients_cached_identity(client, monkeypatch):
    # the client's cached identity is refreshed periodically with no workers in it; read at the
    # wrong moment (distributed before 2026.11 returned that cache from scheduler_info()), every
    # worker seemed to have left and a long pass stopped with StateLost. Here scheduler_info()
    # always returns such an identity (a stand-in for the public method, no Dask internals)
    from optimeans.distributed.cluster import host_threads, memory_budget, worker_slots

    monkeypatch.setattr(client, "scheduler_info", lambda *a, **kw: {"workers": {}})
    assert client.scheduler_info()["workers"] == {}
    workers, threads = worker_slots(client)
    assert len(workers) == 2 and threads == 2
    assert host_threads(client) == 2
    limits = client.run(lambda dask_worker: dask_worker.memory_manager.memory_limit)
    assert memory_budget(client) == 0.5 * sum(limits.values()) > 0
