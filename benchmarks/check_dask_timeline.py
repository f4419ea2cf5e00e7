"""Timeline of a Dask Lloyd pass on ``local_cluster(2)``: where the milliseconds of a pass go.

Every pass of a persisted Lloyd fit (2,000,000 x 16 float32, k = 16, two
blocks, ``tol=0``) is timed at its stages, with ``time.perf_counter`` (the
system-wide monotonic clock on Linux, so the stamps of the client and of the
worker processes compare):

* client: packing the centers, the host calls sent (``Blocks.run``), the
  results back, the chunk changes added (``apply_sparse_record``);
* each worker: the task body (``task_pass``) start and end, its thread CPU
  time, the kernel alone (``lloyd_chunks``), and the bytes it sends back;
* the same kernel in this process on one thread over one block, and in
  memory on two threads over all rows (the in-memory pass).

Printed per pass (from the second, the first packs the blocks): send latency
(client call to the task body's start on each worker), the task body, the
kernel, the reply latency (task end to the result on the client), the
client's share; medians at the end, with the load average beside them.

Measured (2026-12-07, load 2.5-3.5, 12 iterations, medians from the second
pass): a 2M pass took 12.40 ms from the call to the results: send 1.89 / 2.41 ms
(worker 0 / 1), task body 8.41 / 7.68 ms of which the kernel 8.26 / 7.49 ms
wall and 7.23 / 7.22 ms thread CPU, reply 1.94 / 1.63 ms, 167 KiB sent back,
client 0.10 ms (adding the chunk changes 0.02 ms). Tiny data: 4.01 ms, send
1.79 / 2.92, body 0.13 / 0.14, reply 2.05 / 0.79. The kernel alone here on one
thread over one block: 5.73 ms; in memory on two threads over all rows: 7.48
ms wall, 15.41 ms process CPU. So the workers' kernels run at memory's
speed (two kernels side by side slow each other as memory's two threads
do: 7.2 ms CPU each against 5.7 ms alone), the threading layer is omp with 1
thread per worker (CPU = wall, no oversubscription), the communication on
the critical path is the same at 2M as on tiny data (3.8 ms), and the rest
of a 2M pass over memory is the body of the slower worker: preempted (wall
1 ms over CPU) and started later than the other (0.5 ms).

Those figures were taken through Dask's actor calls. Since the eleventh
session the passes of a plain TCP cluster go over direct connections
(``optimeans/distributed/channel.py``), and this script times that route:
at 08:07 on 2026-12-07 (load 0.8, 16 iterations) send 0.27 / 0.25 ms,
reply 0.34 / 0.60 ms, 6.99 ms an iteration, against 0.86 / 3.54, 3.33 /
0.84 and 10.43 ms for the session's starting code just before (load 0.7);
tiny data 0.55 against 1.93 ms.

Usage::

    PYTHONPATH=src python benchmarks/check_dask_timeline.py [n] [iters]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_dask as B  # noqa: E402


def _install_worker_timers() -> str:
    """In a worker: wrap the kernel and the pass task with timers (stamps kept in a module list)."""
    import threading

    from optimeans.distributed import tasks

    if getattr(tasks, "_timeline_installed", False):
        return "already"
    kernel = tasks.lloyd_chunks
    task = tasks.task_pass
    log = []

    def timed_kernel(*a, **kw):
        t = time.perf_counter()
        c = time.thread_time()
        r = kernel(*a, **kw)
        log.append(("kernel", t, time.perf_counter(), time.thread_time() - c))
        return r

    def timed_task(*a, **kw):
        t = time.perf_counter()
        c = time.thread_time()
        r = task(*a, **kw)
        nbytes = sum(x.nbytes for x in r if isinstance(x, np.ndarray))
        log.append(("task", t, time.perf_counter(), time.thread_time() - c, nbytes, threading.get_ident()))
        return r

    tasks.lloyd_chunks = timed_kernel
    tasks.task_pass = timed_task
    tasks._timeline_installed = True
    tasks._timeline_log = log
    import numba

    return f"pid {os.getpid()} numba layer {numba.config.THREADING_LAYER} threads {numba.config.NUMBA_NUM_THREADS}"


def _take_worker_log() -> list:
    from optimeans.distributed import tasks

    log = list(tasks._timeline_log)
    tasks._timeline_log.clear()
    return log


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:
        return "not started"


def main() -> None:
    import dask.array as da

    import optimeans
    from optimeans import distributed as od
    from optimeans.distributed import passes as pm

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    d, k = 16, 16
    X, C0 = B._data(n, d, k)
    Xs = np.random.default_rng(1).random((8192, d), dtype=np.float32)
    print(f"load at start {B._load()}", flush=True)
    client_log: list = []
    run_orig = pm.BlockPasses.assign
    apply_orig = pm.apply_sparse_record
    pack_orig = pm.pack_centers

    def stamp(fn, name):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            r = fn(*a, **kw)
            client_log.append((name, t, time.perf_counter()))
            return r
        return wrapper

    with od.local_cluster(2, threads_per_worker=1, processes=True) as client:
        client.run(B._warm, Xs, Xs[:k].copy())
        print(client.run(_install_worker_timers), flush=True)

        def assign(self, centers, final):
            blocks_run = self.blocks.run
            self.blocks.run = stamp(blocks_run, "run")
            try:
                return stamp(run_orig, "assign")(self, centers, final)
            finally:
                del self.blocks.run

        pm.BlockPasses.assign = assign
        pm.apply_sparse_record = stamp(apply_orig, "apply")
        pm.pack_centers = stamp(pack_orig, "pack")
        try:
            for label, data, C, chunks in (
                ("tiny", Xs, Xs[:k].copy(), (4096, d)), (f"n{n}", X, C0, (-(-n // 2), d)),
            ):
                client.run(_take_worker_log)
                client_log.clear()
                res = optimeans.fit(da.from_array(data, chunks=chunks), k, init=C, max_iter=iters, tol=0)
                wlogs = client.run(_take_worker_log)
                _report(label, client_log, wlogs, res)
        finally:
            pm.BlockPasses.assign = run_orig
            pm.apply_sparse_record = apply_orig
            pm.pack_centers = pack_orig
        print("threading layer in the workers:", client.run(_threading_layer), flush=True)
    # the same kernel here: one thread, one block; two threads, all rows
    from optimeans._kernels.lloyd import Workspace
    from optimeans._numba import numba_threads

    for label, rows, nt in (("here 1 thread, one block", X[: -(-n // 2)], 1), ("here 2 threads, all rows", X, 2)):
        ws = Workspace(rows, k)
        C = np.array(C0, dtype=rows.dtype)
        wall, cpu = [], []
        with numba_threads(nt):
            for _ in range(iters):
                ws.set_centers(C)
                t, c = time.perf_counter(), time.process_time()
                ws.assign(do_sums=True)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                ws.update_centers(C)
        print(f"{label}: pass {np.median(wall[1:]) * 1e3:.2f} ms wall, {np.median(cpu[1:]) * 1e3:.2f} ms process CPU"
              f"   (load {B._load()})", flush=True)
        del ws
    print("threading layer here:", _threading_layer())


def _report(label: str, client_log: list, wlogs: dict, res) -> None:
    runs = [e for e in client_log if e[0] == "run"]
    assigns = [e for e in client_log if e[0] == "assign"]
    applies = [e for e in client_log if e[0] == "apply"]
    tasks_by_worker = {w: [e for e in log if e[0] == "task"] for w, log in wlogs.items()}
    kern_by_worker = {w: [e for e in log if e[0] == "kernel"] for w, log in wlogs.items()}
    per_iter = B._per_iter(res.history)
    print(f"\n{label}: {len(runs)} passes, per iteration {per_iter * 1e3:.2f} ms   (load {B._load()})")
    rows = []
    for i, (_, r0, r1) in enumerate(runs):
        send, body, kern, cpu, reply, nbytes = [], [], [], [], [], []
        for w in sorted(tasks_by_worker):
            t = tasks_by_worker[w]
            kk = kern_by_worker[w]
            nb = len(t) // len(runs)  # blocks per worker per pass
            ts = t[i * nb:(i + 1) * nb]
            ks = kk[i * nb:(i + 1) * nb]
            send.append(ts[0][1] - r0)
            body.append(ts[-1][2] - ts[0][1])
            kern.append(sum(e[2] - e[1] for e in ks))
            cpu.append(sum(e[3] for e in ts))
            reply.append(r1 - ts[-1][2])
            nbytes.append(sum(e[4] for e in ts))
        a = assigns[i]
        ap = [e for e in applies if a[1] <= e[1] <= a[2]]
        rows.append((r1 - r0, *send, *body, *kern, *cpu, *reply, sum(nbytes) / 1024,
                     (a[2] - a[1]) - (r1 - r0), sum(e[2] - e[1] for e in ap)))
        print("  pass %2d: run %6.2f | send %5.2f %5.2f | body %6.2f %6.2f | kernel %6.2f %6.2f | "
              "cpu %6.2f %6.2f | reply %5.2f %5.2f | %7.1f KiB | client %5.2f (apply %5.2f)"
              % (i, *(v * 1e3 for v in rows[-1][:11]), rows[-1][11], rows[-1][12] * 1e3, rows[-1][13] * 1e3))
    med = np.median(np.asarray(rows[1:]), axis=0)
    print("  median : run %6.2f | send %5.2f %5.2f | body %6.2f %6.2f | kernel %6.2f %6.2f | "
          "cpu %6.2f %6.2f | reply %5.2f %5.2f | %7.1f KiB | client %5.2f (apply %5.2f)   (load %s)"
          % (*(v * 1e3 for v in med[:11]), med[11], med[12] * 1e3, med[13] * 1e3, B._load()), flush=True)


if __name__ == "__main__":
    main()
