"""``optimeans fit FILE --scheduler tcp://...`` on a real cluster: a ``dask scheduler`` and two
``dask worker`` processes started as separate commands on 127.0.0.1, compared with the in-memory fit.

Every process started here is stopped at the end, whatever happens: each runs
in its own process group, which is sent SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import optimeans  # noqa: E402

SRC = str(Path(optimeans.__file__).resolve().parent.parent)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command() -> list[str]:
    exe = shutil.which("dask") or os.path.join(os.path.dirname(sys.executable), "dask")
    if not os.path.exists(exe):
        pytest.skip("the dask command is not installed")
    return [exe]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    end = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the group: a worker's nanny child too
        except ProcessLookupError:
            pass
        p.wait()


def _group_alive(pgid: int, wait: float = 10.0) -> bool:
    """True while a process of the group still runs ``wait`` seconds on (a SIGKILL takes a moment)."""
    end = time.monotonic() + wait
    while _group_running(pgid):
        if time.monotonic() > end:
            return True
        time.sleep(0.1)
    return False


def _group_running(pgid: int) -> bool:
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def test_cli_on_scheduler_and_two_worker_processes(tmp_path):
    dask = _dask_command()
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.standard_normal((6000, 5)) + 4 * m for m in np.eye(5)[:4]]) + 50.0
    X = X[rng.permutation(len(X))]
    np.save(tmp_path / "x.npy", X)
    C0 = X[rng.choice(len(X), 4, replace=False)]
    np.savetxt(tmp_path / "init.csv", C0, delimiter=",", fmt="%.17g")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        def start(args: list[str], name: str) -> None:
            log = open(tmp_path / f"{name}.log", "w")
            logs.append(log)
            procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True))

        start([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "scheduler")
        for i in range(2):
            start([*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                   "--name", f"w{i}"], f"worker{i}")
        with distributed.Client(address, timeout="20s") as client:
            client.wait_for_workers(2, timeout=30)
            assert all(a.startswith("tcp://127.0.0.1:") for a in client.scheduler_info()["workers"])
        out = tmp_path / "out"
        proc = subprocess.run(
            [sys.executable, "-m", "optimeans", "fit", str(tmp_path / "x.npy"), "-k", "4", "--init",
             str(tmp_path / "init.csv"), "--tol", "0", "--scheduler", address, "--out", str(out), "--json",
             "--block-rows", "4096"],
            capture_output=True, text=True, env=env, timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        summary = json.loads(proc.stdout)
        assert summary["scheduler"] == address and summary["n_blocks"] >= 5
        doc = json.loads((out / "result.json").read_text())
        mem = optimeans.fit(X, 4, init=C0, tol=0)
        np.testing.assert_array_equal(np.array(doc["centers"]), mem.centers)  # JSON floats round-trip exactly
        np.testing.assert_array_equal(np.load(out / "labels.npy"), mem.labels)
        assert doc["n_iter"] == mem.n_iter
        assert doc["objective"] == pytest.approx(mem.objective, rel=1e-13)
    finally:
        _stop(procs)
        for log in logs:
            log.close()
    assert not any(_group_alive(p.pid) for p in procs)


def test_ctrl_c_with_local_cluster_exits_130_with_one_line(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group: the command says one line and exits 130."""
    import threading

    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.random((20_000, 8)))  # no structure: Lloyd runs on and on
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimeans", "fit", str(tmp_path / "x.npy"), "-k", "8", "--local-cluster", "2",
         "--tol", "0", "--max-iter", "100000", "--n-init", "1000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    lines: list[str] = []
    running = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "iteration" in line:
                running.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert running.wait(600), "".join(lines)[-2000:]
        before = len(lines)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=10)
        after = lines[before:]
        assert proc.returncode == 130, "".join(after)[-3000:]
        assert len(after) == 1 and after[0].startswith("optimeans: interrupted at restart"), after
        assert proc.stdout.read() == ""
    finally:
        _stop([proc])
    assert not _group_alive(proc.pid)
