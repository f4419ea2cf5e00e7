"""k-means on a cluster of worker processes bound to 127.0.0.1, and a clean shutdown."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def test_process_cluster_matches_in_memory_and_shuts_down():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.standard_normal((2000, 4)) + 5 * m for m in np.eye(4)])
    C0 = X[rng.choice(len(X), 4, replace=False)]
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    client = distributed.Client(cluster)
    try:
        info = client.scheduler_info()
        addresses = [cluster.scheduler_address, *info["workers"]]
        assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
        pids = list(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids
        held = {}
        inline = {}

        def look(iteration, objective):
            # during the run: block states pinned round-robin, and one block host (actor) on each worker
            held.update(client.run(
                lambda dask_worker: (
                    sum(type(v).__name__ == "BlockState" for v in dask_worker.data.values()), len(dask_worker.state.actors)
                )
            ))
            if iteration >= 2:
                # how a worker process's host ran the passes: (on its event loop, directly)
                inline.update(client.run(
                    lambda dask_worker: [
                        (a.calls_on_loop > 0, a.calls_direct > 0) for a in dask_worker.state.actors.values()
                    ]
                ))

        mem = optimeans.fit(X, 4, init=C0, tol=0)
        res = optimeans.fit(da.from_array(X, chunks=(2000, 4)), 4, init=C0, tol=0, callback=look)
        assert res.info["scheduler"] == "distributed" and res.info["persisted"]
        assert len(held) == 2 and all(states >= 1 and hosts == 1 for states, hosts in held.values()), held
        assert sum(states for states, _ in held.values()) == res.info["n_blocks"], held
        # on a plain TCP cluster every pass reaches the hosts over their direct connections
        assert sorted(inline.values()) == [[(False, True)], [(False, True)]], inline
        assert res.info["host_calls"]["dask"] == 0 and res.info["host_calls"]["direct"] >= 2 * res.n_iter
        np.testing.assert_array_equal(res.centers, mem.centers)
        assert res.objective == pytest.approx(mem.objective, rel=1e-12)
        assert res.n_iter == mem.n_iter
        np.testing.assert_array_equal(res.labels.compute(), mem.labels)
        # the direct connections close with the fit, and their threads on the workers end
        end = time.monotonic() + 10
        while time.monotonic() < end:
            threads = client.run(
                lambda: sum(t.name == "optimeans-block-host" for t in __import__("threading").enumerate())
            )
            if not any(threads.values()):
                break
            time.sleep(0.05)
        assert not any(threads.values()), threads
        # with direct calls turned off, Dask's actor calls (short ones on the worker's event loop)
        import dask

        inline.clear()
        with dask.config.set({"optimeans.direct-calls": False}):
            res = optimeans.fit(da.from_array(X, chunks=(2000, 4)), 4, init=C0, tol=0, callback=look)
        # (the first fit's hosts may not be gone yet: Dask releases actors in the background)
        assert len(inline) == 2 and all((True, False) in v for v in inline.values()), inline
        assert res.info["host_calls"]["direct"] == 0 and res.info["host_calls"]["dask"] >= 2 * res.n_iter
        np.testing.assert_array_equal(res.centers, mem.centers)
        np.testing.assert_array_equal(res.labels.compute(), mem.labels)
    finally:
        client.close()
        cluster.close()
    assert _wait_gone(pids) == []


def test_local_cluster_helper_binds_loopback_and_closes():
    with od.local_cluster(1, processes=True) as client:
        info = client.scheduler_info()
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
        env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert set(env.values()) == {str(256 * 2**20)}
        pids = list(client.run(os.getpid).values())
        X = da.from_array(np.arange(40.0).reshape(20, 2), chunks=(10, 2))
        res = optimeans.fit(X, 2, init=np.array([[0.0, 1.0], [38.0, 39.0]]))
        np.testing.assert_allclose(np.sort(res.centers[:, 0]), [9.0, 29.0])
    assert _wait_gone(pids) == []


def test_a_killed_worker_process_is_reported_not_waited_for():
    # a worker process that dies (SIGKILL, no goodbye) takes its block states and its block
    # host with it: the next pass reports it instead of hanging or recomputing the states
    import signal

    from optimeans.distributed import tasks

    rng = np.random.default_rng(3)
    X = rng.standard_normal((40000, 4))
    with od.local_cluster(2) as client:
        pids = client.run(os.getpid)
        victim = pids[sorted(pids)[1]]

        def kill(iteration, objective):
            if iteration == 2:
                os.kill(victim, signal.SIGKILL)
                time.sleep(0.5)
            return False

        with pytest.raises(tasks.StateLost, match="left the cluster|cannot be reached"):
            optimeans.fit(da.from_array(X, chunks=(8192, 4)), 5, init=X[:5], tol=0, max_iter=200,
                          block_rows=8192, callback=kill)
