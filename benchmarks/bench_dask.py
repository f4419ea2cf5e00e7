"""Benchmark: k-means on Dask against the in-memory solver, and out of core.

Two parts, each a subcommand:

``memory``
    2,000,000 x 16 float32, k = 16 (and ``--n-large 20000000``): marginal time
    per Lloyd iteration of ``optimeans.fit`` on a dask array on
    ``local_cluster(2)`` (2 worker processes, 1 thread each, bound to
    127.0.0.1, the blocks kept packed on the workers) against in-memory
    optimeans with 2 threads, from the same initial centers, with a fixed
    number of iterations (``tol=0``), the two alternating; the fixed cost of
    one iteration on tiny data (a pass's round trip to the workers); whether
    the results equal memory's, and the route of the workers' calls. The
    load average is printed beside every figure. Targets (idle machine): at
    2M x 16, at most (in-memory + fixed cost) x 1.1; at 20M x 16, at most
    1.3x in-memory.

``overhead``
    Where the time of a Dask Lloyd pass goes, on ``local_cluster(2)``: the
    round trip of an empty pinned task per worker and of an empty call of
    each worker's block host (the actor a pass goes through), the
    kernel's time inside the block tasks (measured on the workers, wall and
    thread CPU time), the bytes the block tasks send back per pass, the same
    kernel run in this process on one thread over one worker's rows, the
    client's share (packing the centers, adding the chunk changes in chunk
    order) and the rest (submission, transfer of the results, scheduling),
    at ``--n`` rows (default 2,000,000 x 16, k = 16) and on tiny data.

``out-of-core``
    Writes a float32 ``.npy`` file of ``--gib`` GiB, clusters it with the
    process's data segment limited to ``--limit-gib`` GiB (RLIMIT_DATA; the
    file cache is not counted), then deletes the file (unless ``--keep``).
    The file's pages are dropped from the page cache
    (``posix_fadvise(DONTNEED)`` on this file only) before the cold
    ``cat FILE > /dev/null`` that is the reference and before each fit;
    during a fit each block's byte range is dropped right after the block
    is read, which models a file larger than the cache (every read comes
    from the disk) without throwing away the kernel's read-ahead. The
    library reads such a file with ``O_DIRECT`` (a file larger than half the
    available memory, ``sources.DIRECT_READS``), and so it reads this one
    unless ``--direct auto`` (the library's choice for the file's real size)
    or ``--direct off`` (through the page cache). After a
    small out-of-core fit that loads the kernels (``warmup_seconds``),
    ``--fits`` Lloyd fits from the same centers report every pass (the
    first included) and its ratio to ``cat`` (target: every pass <= 1.5x),
    the passes before seeding, the time per mini-batch pass, and the peak
    resident memory.

Every timing is a median over iterations (passes) after a warm-up that
compiles the Numba kernels (compile time reported apart). The machine's load
at start and end is printed: other jobs share the cores.

Usage::

    PYTHONPATH=src python benchmarks/bench_dask.py memory
    PYTHONPATH=src python benchmarks/bench_dask.py overhead
    PYTHONPATH=src python benchmarks/bench_dask.py memory --n-large 20000000
    PYTHONPATH=src python benchmarks/bench_dask.py out-of-core --path /work/bench_tmp/big.npy --gib 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

import numpy as np


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def _versions() -> dict:
    import dask
    import distributed
    import numba
    import sklearn

    return {
        "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
        "dask": dask.__version__, "distributed": distributed.__version__, "sklearn": sklearn.__version__,
        "cores": os.cpu_count(),
    }


def _per_iter(history) -> float:
    """Median seconds per iteration from a Result's history (skips the first, seeding)."""
    t = np.asarray(history.seconds)
    return float(np.median(np.diff(t))) if len(t) > 2 else float(t[-1])


def _warm(X, C0):
    import optimeans

    optimeans.fit(X, C0.shape[0], init=C0, max_iter=2, tol=0, n_threads=1)
    return True


def _data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers_true = rng.uniform(-10, 10, (k, d)).astype(np.float32)
    X = np.empty((n, d), dtype=np.float32)
    for s in range(0, n, 1_000_000):  # in pieces: no float64 temporary of the whole
        e = min(n, s + 1_000_000)
        X[s:e] = centers_true[rng.integers(0, k, e - s)] + rng.standard_normal((e - s, d), dtype=np.float32) * 2
    return X, X[rng.choice(n, k, replace=False)].copy()


def _say(out: dict, key: str, value: float, unit: str = "ms") -> None:
    """Record a figure and print it with the load average beside it."""
    out[key] = value
    out[key + "_load"] = _load()
    shown = f"{value * 1e3:.2f} ms" if unit == "ms" else f"{value:.3g}"
    print(f"  {key:<44} {shown:>12}   (load {out[key + '_load']})", file=sys.stderr, flush=True)


def bench_memory(args: argparse.Namespace) -> dict:
    """Marginal seconds per Lloyd iteration: in memory (2 threads) against local_cluster(2).

    Same data, same initial centers, a fixed number of iterations (``tol=0``);
    the figure is the median of the differences of the history's time stamps
    (the marginal cost of one more iteration, setup and seeding excluded). The
    fixed cost is the same figure on tiny data (two blocks of 4096 rows), where
    the work is negligible: what one pass's round trip to the workers costs.

    Why 20 iterations (``--iters``; it was 8 until 2026-12-07): from these
    initial centers the first three or four iterations move many points and
    take 9-15 ms at 2,000,000 rows, the rest 6-7 ms. The median of 7
    differences (8 iterations) is then the fourth: one later iteration slowed
    by the host (a 22.8 ms one was seen) moves it to an early one, and the
    fit measures 9-11 ms. Dask's rounds came out more than 2 ms slower than
    their in-memory pair in 10-28 % of the rounds so (memory's in 2-10 %),
    in 4 of 72 rounds with 20 iterations (memory's in 1).

    The in-memory and the Dask fits alternate (``--repeats`` rounds of one
    each, medians of the rounds), all while the cluster is up and idle
    between its fits, so that a change of the machine's speed during the run
    (other jobs, the CPU's clock) reaches both sides alike. Before, the
    in-memory figures were taken first, before the cluster started: the same
    2,000,000-row pass measured 6.06 to 8.24 ms from one run to the next.
    """
    import dask.array as da

    import optimeans
    from optimeans import distributed as od

    d, k, iters = 16, 16, args.iters
    sizes = [args.n] + ([args.n_large] if args.n_large else [])
    out: dict = {"d": d, "k": k, "iters": iters, "repeats": args.repeats, "sizes": sizes, "load_start": _load(),
                 "versions": _versions(), "order": "in-memory and Dask fits alternate, the cluster up"}
    # tiny data without structure, so that Lloyd runs many iterations on it
    rng = np.random.default_rng(1)
    Xs = rng.random((8192, d), dtype=np.float32)
    C0s = Xs[:k].copy()
    t = time.perf_counter()
    optimeans.fit(Xs, k, init=C0s, max_iter=2, tol=0, n_threads=2)
    out["compile_seconds"] = time.perf_counter() - t

    with od.local_cluster(2, threads_per_worker=1, processes=True) as client:
        client.run(_warm, Xs, C0s)  # compile (or load) the kernels on the workers
        tiny_iters = max(iters, 50)
        Xsd = da.from_array(Xs, chunks=(4096, d))
        tiny_mem, tiny_dask = [], []
        for _ in range(args.repeats):
            tiny_mem.append(_per_iter(optimeans.fit(Xs, k, init=C0s, max_iter=tiny_iters, tol=0, n_threads=2).history))
            res = optimeans.fit(Xsd, k, init=C0s, max_iter=tiny_iters, tol=0)
            tiny_dask.append(_per_iter(res.history))
        out["tiny_iterations"] = res.n_iter
        out["host_calls_tiny"] = res.info.get("host_calls")
        _say(out, "inmemory_2threads_tiny_s_per_iter", float(np.median(tiny_mem)))
        _say(out, "dask_2processes_tiny_s_per_iter", float(np.median(tiny_dask)))
        fixed = out["dask_2processes_tiny_s_per_iter"] - out["inmemory_2threads_tiny_s_per_iter"]
        _say(out, "fixed_cost_s_per_iter", fixed)
        for n in sizes:
            X, C0 = _data(n, d, k)
            Xd = da.from_array(X, chunks=(-(-n // 2), d))
            mem_runs, dask_runs = [], []
            for _ in range(args.repeats):
                mem = optimeans.fit(X, k, init=C0, max_iter=iters, tol=0, n_threads=2)
                mem_runs.append(_per_iter(mem.history))
                res = optimeans.fit(Xd, k, init=C0, max_iter=iters, tol=0)
                dask_runs.append(_per_iter(res.history))
            m = float(np.median(mem_runs))
            per = float(np.median(dask_runs))
            out[f"inmemory_2threads_n{n}_runs"] = mem_runs
            out[f"dask_2processes_n{n}_runs"] = dask_runs
            _say(out, f"inmemory_2threads_n{n}_s_per_iter", m)
            _say(out, f"dask_2processes_n{n}_s_per_iter", per)
            _say(out, f"ratio_n{n}", per / m, unit="x")
            if n >= 20_000_000:
                out[f"target_n{n}"] = f"<= {1.3 * m * 1e3:.2f} ms (1.3x)"
                out[f"target_met_n{n}"] = bool(per <= 1.3 * m)
            else:
                out[f"target_n{n}"] = f"<= {(m + fixed) * 1.1 * 1e3:.2f} ms ((mem + fixed) * 1.1)"
                out[f"target_met_n{n}"] = bool(per <= (m + fixed) * 1.1)
                # the same verdict as an excess over memory against its allowance, and the excess
                # of each round over its own in-memory fit (the rounds alternate: a change of the
                # machine's speed reaches both fits of a round)
                out[f"allowance_n{n}_s_per_iter"] = 0.1 * m + 1.1 * fixed
                _say(out, f"excess_n{n}_s_per_iter", per - m)
                _say(out, f"paired_excess_n{n}_s_per_iter(median over rounds)",
                     float(np.median(np.subtract(dask_runs, mem_runs))))
                # the same target round by round: a round's two fits run a second apart, so a change
                # of the machine's speed between rounds (single rounds of one fit range over 2x on
                # this host) reaches both; the medians of unpaired rounds may come from a fast round
                # on one side and a slow one on the other
                slack = _round_slack(mem_runs, dask_runs, fixed)
                out[f"paired_slack_n{n}_ms"] = slack
                out[f"target_met_paired_n{n}"] = bool(slack["median"] <= 0)
                print(f"  paired: median over rounds of Dask - ((mem + fixed) * 1.1) {slack['median']:+.2f} ms "
                      f"(95 % bootstrap CI {slack['ci'][0]:+.2f} to {slack['ci'][1]:+.2f}), met: "
                      f"{out[f'target_met_paired_n{n}']}", file=sys.stderr, flush=True)
            print(f"  target_n{n}: {out[f'target_n{n}']}, met: {out[f'target_met_n{n}']}", file=sys.stderr, flush=True)
            out[f"same_as_memory_n{n}"] = bool(
                np.array_equal(res.centers, mem.centers) and res.n_iter == mem.n_iter
                and np.array_equal(res.history.objective, mem.history.objective)
            )
            out[f"objective_rel_diff_n{n}"] = abs(res.objective - mem.objective) / mem.objective
            out[f"n_blocks_n{n}"] = res.info["n_blocks"]
            out[f"host_calls_n{n}"] = res.info.get("host_calls")
            del Xd, res, X, mem
    out["load_end"] = _load()
    return out


def _round_slack(mem_runs: list, dask_runs: list, fixed: float | np.ndarray, seed: int = 0) -> dict:
    """Each round's Dask iteration minus its target ``(memory + fixed) * 1.1``, in ms: the median
    over the rounds with a 95 % bootstrap interval, and the share of single rounds within target."""
    s = (np.asarray(dask_runs) - 1.1 * (np.asarray(mem_runs) + fixed)) * 1e3
    rng = np.random.default_rng(seed)
    boot = np.median(rng.choice(s, size=(2000, s.size)), axis=1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"median": float(np.median(s)), "ci": [float(lo), float(hi)], "rounds": int(s.size),
            "share_within": float(np.mean(s <= 0))}


def bench_pool(args: argparse.Namespace) -> dict:
    """The 2,000,000-row target over the rounds of several ``memory`` runs (their JSON outputs).

    Every round of every run, paired with its own in-memory fit and its run's
    fixed cost; the median over all rounds with its bootstrap interval, and
    how many runs met the target by their own (unpaired) verdict and by the
    paired one.
    """
    n = args.n
    mem, dsk, fixed = [], [], []
    runs = met = met_paired = 0
    for path in args.runs:
        with open(path) as fh:
            r = json.load(fh)
        m, k = r[f"inmemory_2threads_n{n}_runs"], r[f"dask_2processes_n{n}_runs"]
        mem += m
        dsk += k
        fixed += [r["fixed_cost_s_per_iter"]] * len(m)
        runs += 1
        met += bool(r[f"target_met_n{n}"])
        met_paired += _round_slack(m, k, r["fixed_cost_s_per_iter"])["median"] <= 0
    if not runs:
        raise SystemExit("pool: no runs given")
    s = _round_slack(mem, dsk, np.asarray(fixed))  # each round with its own run's fixed cost
    # and unpaired, as one run's verdict, over all the rounds: the medians of all Dask and all
    # in-memory rounds, against the median fixed cost
    m_all, k_all, f_all = (float(np.median(v)) for v in (mem, dsk, fixed))
    out = {"n": n, "runs": runs, "runs_met": met, "runs_met_paired": met_paired, "pooled_slack_ms": s,
           "pooled_target_met": bool(s["ci"][1] <= 0), "pooled_inmemory_ms": m_all * 1e3,
           "pooled_dask_ms": k_all * 1e3, "pooled_fixed_cost_ms": f_all * 1e3,
           "pooled_target_ms": (m_all + f_all) * 1.1e3, "pooled_unpaired_met": bool(k_all <= (m_all + f_all) * 1.1)}
    print(f"  medians of all rounds: Dask {k_all * 1e3:.2f} ms, memory {m_all * 1e3:.2f} ms, fixed cost "
          f"{f_all * 1e3:.2f} ms, target {out['pooled_target_ms']:.2f} ms, met: {out['pooled_unpaired_met']}",
          file=sys.stderr, flush=True)
    print(f"  {runs} runs, {s['rounds']} rounds: Dask - ((mem + fixed) * 1.1) median {s['median']:+.2f} ms "
          f"(95 % CI {s['ci'][0]:+.2f} to {s['ci'][1]:+.2f}); {100 * s['share_within']:.0f} % of single rounds "
          f"within; runs met {met} of {runs} (paired {met_paired})", file=sys.stderr, flush=True)
    return out


def _noop(x=None):
    return x


def _noop_state(state, raw):
    return None


def _timed_pass(*args, **kwargs):
    """``tasks.task_pass`` with its time on the worker appended (the kernel's share of a pass)."""
    from optimeans.distributed import tasks

    t, c = time.perf_counter(), time.thread_time()
    out = tasks.task_pass(*args, **kwargs)
    cpu = time.thread_time() - c
    nbytes = sum(a.nbytes for a in out if isinstance(a, np.ndarray))  # the running sums carried included
    return (*out, cpu, nbytes, time.perf_counter() - t)


def bench_overhead(args: argparse.Namespace) -> dict:
    """Split the time of a Dask Lloyd pass into Dask's floor, the kernel, the client's work and the rest."""
    import dask.array as da

    import optimeans
    from optimeans.distributed import passes as passes_mod

    d, k, iters = 16, 16, args.iters
    out: dict = {"d": d, "k": k, "iters": iters, "load_start": _load(), "versions": _versions()}
    rng = np.random.default_rng(1)
    Xs = rng.random((8192, d), dtype=np.float32)
    Xl, C0l = _data(args.n, d, k)
    with od_cluster() as client:
        client.run(_warm, Xs, Xs[:k].copy())
        workers = sorted(client.scheduler_info()["workers"])
        trips = []
        for _ in range(50):
            t = time.perf_counter()
            client.gather([client.submit(_noop, workers=[w], allow_other_workers=False, pure=False) for w in workers])
            trips.append(time.perf_counter() - t)
        _say(out, "empty_task_per_worker_round_trip_s", float(np.median(trips)))
        from optimeans.distributed.blocks import BlockHost

        hosts = [
            client.submit(BlockHost, workers=[w], allow_other_workers=False, actor=True, pure=False).result()
            for w in workers
        ]
        trips = []
        for _ in range(50):
            t = time.perf_counter()
            calls = [h.run(_noop_state, [], ()) for h in hosts]
            [c.result() for c in calls]
            trips.append(time.perf_counter() - t)
        _say(out, "empty_host_call_per_worker_round_trip_s", float(np.median(trips)))
        del hosts
        for label, X, C0, chunks in (
            ("tiny", Xs, Xs[:k].copy(), (4096, d)), (f"n{args.n}", Xl, C0l, (-(-args.n // 2), d)),
        ):
            timings: dict = {"run": [], "kernel": [], "client": [], "cpu": [], "bytes": []}
            run_orig = passes_mod.BlockPasses.assign
            apply_orig = passes_mod.apply_sparse_record
            pack_orig = passes_mod.pack_centers

            def timed(fn, key):
                def wrapper(*a, **kw):
                    t = time.perf_counter()
                    r = fn(*a, **kw)
                    timings[key].append(time.perf_counter() - t)
                    return r
                return wrapper

            def assign(self, centers, final):
                blocks_run = self.blocks.run

                def run(fn, *a, **kw):
                    t = time.perf_counter()
                    res = blocks_run(_timed_pass, *a, **kw)
                    timings["run"].append(time.perf_counter() - t)
                    timings["kernel"].append(max(r[-1] for r in res))
                    timings["cpu"].append(max(r[-3] for r in res))
                    timings["bytes"].append(sum(r[-2] for r in res))
                    return [r[:-3] for r in res]

                self.blocks.run = run
                try:
                    return run_orig(self, centers, final)
                finally:
                    del self.blocks.run

            passes_mod.BlockPasses.assign = assign
            passes_mod.apply_sparse_record = timed(apply_orig, "client")
            passes_mod.pack_centers = timed(pack_orig, "client")
            try:
                res = optimeans.fit(da.from_array(X, chunks=chunks), k, init=C0, max_iter=iters, tol=0)
            finally:
                passes_mod.BlockPasses.assign = run_orig
                passes_mod.apply_sparse_record = apply_orig
                passes_mod.pack_centers = pack_orig
            # skip the first pass (it packs the blocks)
            run = float(np.median(timings["run"][1:]))
            kern = float(np.median(timings["kernel"][1:]))
            cl = float(np.median(np.asarray(timings["client"][2:], dtype=float))) * 2
            _say(out, f"{label}_per_iter_s", _per_iter(res.history))
            _say(out, f"{label}_blocks_run_s", run)
            _say(out, f"{label}_kernel_on_worker_s(slowest worker)", kern)
            _say(out, f"{label}_kernel_cpu_on_worker_s(slowest worker, thread CPU time)", float(np.median(timings["cpu"][1:])))
            out[f"{label}_result_bytes_per_pass"] = [int(v) for v in timings["bytes"]]
            _say(out, f"{label}_result_mib_first_pass", timings["bytes"][0] / 2**20, unit="x")
            _say(out, f"{label}_client_pack_and_apply_s", cl)
            _say(out, f"{label}_rest_s(submit, transfer, scheduling)", run - kern)
            out[f"{label}_n_blocks"] = res.info["n_blocks"]
        # the same kernel in this process, one thread, on the rows of one worker (half the data):
        # what a worker's pass would cost without Dask around it
        from optimeans._kernels.lloyd import Workspace
        from optimeans._numba import numba_threads

        half = Xl[: -(-args.n // 2)]
        ws = Workspace(half, k)
        C = np.array(C0l, dtype=half.dtype)
        wall, cpu = [], []
        with numba_threads(1):
            for _ in range(iters):  # Lloyd's iterations, as the Dask run made them
                ws.set_centers(C)
                t, c = time.perf_counter(), time.thread_time()
                ws.assign(do_sums=True)
                wall.append(time.perf_counter() - t)
                cpu.append(time.thread_time() - c)
                ws.update_centers(C)
        _say(out, f"n{args.n}_same_kernel_here_1thread_half_rows_s(from the 2nd pass)", float(np.median(wall[1:])))
        _say(out, f"n{args.n}_same_kernel_here_1thread_half_rows_cpu_s", float(np.median(cpu[1:])))
        del ws
        # and as memory runs it: every row, two threads (CPU time per thread: the process's over 2)
        ws = Workspace(Xl, k)
        C = np.array(C0l, dtype=Xl.dtype)
        wall, cpu = [], []
        with numba_threads(2):
            for _ in range(iters):
                ws.set_centers(C)
                t, c = time.perf_counter(), time.process_time()
                ws.assign(do_sums=True)
                wall.append(time.perf_counter() - t)
                cpu.append((time.process_time() - c) / 2)
                ws.update_centers(C)
        _say(out, f"n{args.n}_memory_2threads_all_rows_s", float(np.median(wall[1:])))
        _say(out, f"n{args.n}_memory_2threads_all_rows_cpu_per_thread_s", float(np.median(cpu[1:])))
    out["load_end"] = _load()
    return out


def od_cluster():
    from optimeans import distributed as od

    return od.local_cluster(2, threads_per_worker=1, processes=True)


def _write_npy(path: str, gib: float, d: int, k: int, seed: int) -> tuple[int, float]:
    """A float32 blob data set of ``gib`` GiB, written chunk by chunk (bounded memory)."""
    n = int(gib * 2**30) // (4 * d)
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, (k, d)).astype(np.float32)
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    del mm  # header written; the rows go through plain file writes
    with open(path, "r+b") as fh:
        version = np.lib.format.read_magic(fh)
        np.lib.format.read_array_header_1_0(fh) if version == (1, 0) else np.lib.format.read_array_header_2_0(fh)
        offset = fh.tell()
        fh.seek(offset)
        step = 4_000_000
        # noise drawn once and reused at random offsets: generating 48 GiB of
        # fresh normals would take longer than the benchmark itself
        noise = rng.standard_normal((2 * step, d), dtype=np.float32)
        noise *= 2
        t = time.perf_counter()
        for start in range(0, n, step):
            m = min(step, n - start)
            blk = centers[rng.integers(0, k, m)]
            shift = int(rng.integers(0, step))
            blk += noise[shift : shift + m]
            fh.write(memoryview(blk).cast("B"))
        fh.flush()
        os.fsync(fh.fileno())
    return n, time.perf_counter() - t


def _progress(out: dict) -> None:
    """Partial results on stderr, so a long run that is cut short still reports."""
    print(json.dumps(out), file=sys.stderr, flush=True)


def _drop_cache(path: str) -> None:
    """Evict this file's pages from the page cache (this file only; the data were fsynced, so they are clean)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _drop_rows(p: str, offset: int, start: int, stop: int, n_features: int, src: str) -> None:
    """Drop the byte range of rows ``start:stop`` of a ``.npy`` file from the page cache."""
    size = np.dtype(src).itemsize * n_features
    fd = os.open(p, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, offset + start * size, (stop - start) * size, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _drop_after_read(path: str) -> None:
    """Model a file larger than the page cache: every block's pages are dropped right after it is read.

    Wraps :func:`optimeans.distributed.sources._read_npy` (before :func:`read`
    builds the graph that names it): once a block's rows are in the
    process's memory, ``posix_fadvise(DONTNEED)`` drops that block's byte
    range, and only it, from the page cache, so every later read of the
    block (a later pass, or the next pass read ahead) comes from the disk,
    as when the file is larger than the cache. The kernel's own read-ahead
    past the block's end is left alone (it would be in the cache too), and
    nothing is dropped before a read (which would throw that read-ahead
    away and penalise it).
    """
    from optimeans.distributed import sources

    read = sources._read_npy

    def cold(p, offset, start, stop, n_features, src, dtype):
        out = read(p, offset, start, stop, n_features, src, dtype)
        if os.path.abspath(p) == os.path.abspath(path):
            _drop_rows(p, offset, start, stop, n_features, src)
        return out

    sources._read_npy = cold


def _warm_out_of_core(d: int, k: int) -> float:
    """Seconds of an out-of-core fit of a small file: the kernels of the block tasks compile (or
    load from Numba's cache) here, not in the first pass timed."""
    import tempfile

    import optimeans
    from optimeans import distributed as od

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "warm.npy")
        np.save(path, rng.standard_normal((40_000, d)).astype(np.float32))
        t0 = time.perf_counter()
        optimeans.fit(od.read(path, block_rows=8192), k, max_iter=2, persist=False, random_state=0, n_init=1)
        return time.perf_counter() - t0


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def bench_out_of_core(args: argparse.Namespace) -> dict:
    import dask

    import optimeans
    from optimeans import distributed as od

    d, k = 16, 16
    out: dict = {"gib": args.gib, "d": d, "k": k, "load_start": _load(), "versions": _versions()}
    with open("/proc/meminfo") as fh:
        out["mem_total_gib"] = int(fh.readline().split()[1]) / 2**20
    os.makedirs(os.path.dirname(os.path.abspath(args.path)), exist_ok=True)
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(args.path))).free / 2**30
    if free < args.gib + 5:
        raise SystemExit(f"only {free:.0f} GiB free on the target file system; need {args.gib + 5:.0f}")
    try:
        if not os.path.exists(args.path):
            n, secs = _write_npy(args.path, args.gib, d, k, seed=1)
            out["write_seconds"] = secs
            out["write_gib_per_s"] = args.gib / secs
            _progress(out)
        with dask.config.set(scheduler="threads", num_workers=2):
            out["warmup_seconds"] = _warm_out_of_core(d, k)
        _drop_after_read(args.path)
        out["page_drop"] = "whole file before each fit; each block's byte range right after it is read"
        from optimeans.distributed import sources

        # the library reads a file larger than half the available memory with O_DIRECT
        # (sources.DIRECT_READS "auto"); the file modelled here is one, so it is read as one
        sources.DIRECT_READS = {"model": True, "auto": "auto", "off": False}[args.direct]
        out["direct_reads"] = args.direct
        X = od.read(args.path, block_rows=args.block_rows)
        n = X.shape[0]
        out["n"] = int(n)
        out["n_blocks"] = int(X.numblocks[0])
        out["block_mib"] = int(X.chunks[0][0]) * d * 4 / 2**20
        # seeds from the first rows (in memory), so the benchmark times the passes
        head = np.load(args.path, mmap_mode="r")[:200_000].copy()
        C0 = optimeans.fit(head, k, random_state=0, n_init=1).centers
        del head
        # from here on the process may not hold more than --limit-gib of data
        limit = int(args.limit_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        out["rlimit_data_gib"] = args.limit_gib
        cats = []
        for _ in range(args.cat_repeats):
            _drop_cache(args.path)
            t0 = time.perf_counter()
            subprocess.run(["cat", args.path], stdout=subprocess.DEVNULL, check=True)
            cats.append(time.perf_counter() - t0)
        cat = float(np.median(cats))
        out["cat_cold_seconds"] = [float(c) for c in cats]
        out["cat_cold_gib_per_s"] = args.gib / cat
        _say(out, "cat_cold_s", cat, unit="s")
        _progress(out)

        fits = []
        for rep in range(args.fits):
            _drop_cache(args.path)
            load = _load()
            with dask.config.set(scheduler="threads", num_workers=2):
                t0 = time.perf_counter()
                res = optimeans.fit(X, k, init=C0, max_iter=args.lloyd_iters, tol=0, persist=False)
                total = time.perf_counter() - t0
            # the first history stamp counts from the loop's start: it is the first pass alone
            secs = np.diff(np.concatenate([[0.0], res.history.seconds]))
            fit = {
                "load_before": load,
                "lloyd_pass_seconds": [round(float(x), 4) for x in secs],
                "lloyd_pass_over_cat": [round(float(x) / cat, 3) for x in secs],
                "first_pass_over_cat": round(float(secs[0]) / cat, 3),
                "worst_pass_over_cat": round(float(secs.max()) / cat, 3),
                "n_iter": res.n_iter,
                "stop_reason": res.stop_reason,
                "total_seconds": total,
                "passes": res.info["passes"],
                "setup_passes": res.info.get("setup_passes"),
                "setup_seconds": res.info["validation_seconds"],
                # setup passes + final pass + final objective = the passes not in the history
                "outside_history_seconds": total - float(res.history.seconds[-1]),
                "objective": res.objective,
                # the reader's blocks and seconds reading, and the seconds the passes waited for it
                "read_ahead": res.info.get("read_ahead"),
                "load_after": _load(),
            }
            if fit["setup_passes"]:
                fit["setup_seconds_per_pass"] = fit["setup_seconds"] / fit["setup_passes"]
            ra = fit["read_ahead"] or {}
            if ra.get("pass_wait_seconds") and fit["setup_passes"] is not None:
                # the Lloyd passes follow the setup passes (the centers are given: no seeding pass);
                # per pass, the seconds it waited for the reader and those it computed
                first = int(fit["setup_passes"])
                fit["lloyd_pass_wait_seconds"] = [round(x, 4) for x in ra["pass_wait_seconds"][first:first + len(secs)]]
                fit["lloyd_pass_compute_seconds"] = [
                    round(x, 4) for x in ra["pass_compute_seconds"][first:first + len(secs)]
                ]
            fits.append(fit)
            _progress(fit)
        out["fits"] = fits
        every = [x for f in fits for x in f["lloyd_pass_over_cat"]]
        out["every_pass_over_cat_max"] = max(every)
        out["first_pass_over_cat"] = [f["first_pass_over_cat"] for f in fits]
        out["median_pass_over_cat"] = float(np.median(every))
        out["target"] = "every Lloyd pass <= 1.5x cold cat"
        out["target_met"] = bool(max(every) <= 1.5)
        out["objective_lloyd"] = fits[-1]["objective"]
        _progress(out)
        out["peak_rss_gib_after_lloyd"] = _peak_rss_gib()
        _say(out, "peak_rss_gib_after_lloyd", out["peak_rss_gib_after_lloyd"], unit="x")
        if args.minibatch_passes == 0:
            return out
        with dask.config.set(scheduler="threads", num_workers=2):
            t0 = time.perf_counter()
            mb = optimeans.fit(X, k, init=C0, method="minibatch", max_iter=args.minibatch_passes, tol=0, persist=False, batch_size=65536)
            out["minibatch_total_seconds"] = time.perf_counter() - t0
        out["minibatch_pass_seconds"] = [float(s) for s in np.diff(np.concatenate([[0.0], mb.history.seconds]))]
        out["objective_minibatch"] = mb.objective
        out["peak_rss_gib"] = _peak_rss_gib()
        _progress(out)
    finally:
        out["load_end"] = _load()
        if not args.keep and os.path.exists(args.path):
            os.remove(args.path)
            out["file_deleted"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    m = sub.add_parser("memory")
    m.add_argument("--n", type=int, default=2_000_000)
    m.add_argument("--iters", type=int, default=20, help="Lloyd iterations per fit (the median of their times is "
                   "taken; the first three or four, while many points move, are slower)")
    m.add_argument("--repeats", type=int, default=5, help="rounds of one in-memory and one Dask fit each")
    m.add_argument("--n-large", type=int, default=0, help="also this many rows (e.g. 20000000)")
    pl = sub.add_parser("pool", help="the 2M target over the rounds of several memory runs' JSON outputs")
    pl.add_argument("runs", nargs="+")
    pl.add_argument("--n", type=int, default=2_000_000)
    h = sub.add_parser("overhead")
    h.add_argument("--n", type=int, default=2_000_000)
    h.add_argument("--iters", type=int, default=10)
    o = sub.add_parser("out-of-core")
    o.add_argument("--path", default="/work/bench_tmp/optimeans_big.npy")
    o.add_argument("--gib", type=float, default=8.0, help="file size (its pages are dropped from the cache before each read)")
    o.add_argument("--cat-repeats", type=int, default=3)
    o.add_argument("--limit-gib", type=float, default=4.0)
    o.add_argument("--block-rows", type=int, default=None, help="rows per block (default: the library's)")
    o.add_argument("--lloyd-iters", type=int, default=3)
    o.add_argument("--minibatch-passes", type=int, default=1)
    o.add_argument("--keep", action="store_true", help="keep the data file afterwards")
    o.add_argument("--fits", type=int, default=3, help="Lloyd fits, each from a cold page cache")
    o.add_argument(
        "--direct", choices=("model", "auto", "off"), default="model",
        help="model: read as the library reads a file larger than half the available memory (O_DIRECT), "
        "which this file models; auto: as the library reads this file; off: through the page cache (A/B)",
    )
    args = p.parse_args(argv)
    bench = {"memory": bench_memory, "overhead": bench_overhead, "out-of-core": bench_out_of_core,
             "pool": bench_pool}[args.what]
    result = bench(args)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
