"""Probe: where the out-of-core reader thread's CPU time goes, read by read and pass by pass.

Runs the fits of ``bench_dask.py out-of-core`` (same file, same page drops,
same centers, ``--fits`` Lloyd fits from a cold cache) and records, for every
block the reader reads: its wall and CPU seconds (user and system, from
``getrusage(RUSAGE_THREAD)``), its minor and major page faults, the seconds of
the ``readinto`` loop and of the ``posix_fadvise(DONTNEED)`` that models a
file larger than the cache, and the deltas of chosen ``/proc/vmstat``
counters. Printed as one JSON line per fit, the reads grouped by pass (read
``r`` of a fit is block ``r mod n_blocks`` of pass ``r // n_blocks``; the
reader never restarts in a Lloyd fit).

Usage::

    PYTHONPATH=$PWD/src flock /tmp/bench.lock python benchmarks/probe_ooc_reader.py --path /tmp/ooc.npy --fits 3 --direct off

(``--direct off``: through the page cache, where the reader's CPU time
varied; ``model``, the default: as the library reads a file larger than half
the available memory, ``O_DIRECT``.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_dask  # noqa: E402

VMSTAT = (
    "pgfault", "pgmajfault", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
    "compact_stall", "compact_migrate_scanned", "compact_free_scanned", "thp_fault_alloc", "thp_fault_fallback",
    "pgalloc_normal", "pgfree", "pgactivate", "pgdeactivate", "pgpgin", "workingset_refault_file",
    "thp_collapse_alloc", "nr_free_pages", "nr_file_pages", "nr_inactive_file", "nr_active_file",
    "pgdemote_direct", "allocstall_normal", "allocstall_movable", "pgrotated", "pglazyfreed", "zone_reclaim_failed",
)


def _vmstat() -> dict:
    out = {}
    with open("/proc/vmstat") as fh:
        for line in fh:
            k, v = line.split()
            if k in VMSTAT:
                out[k] = int(v)
    return out


def _ru() -> tuple:
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime, r.ru_stime, r.ru_minflt, r.ru_majflt, r.ru_nvcsw, r.ru_nivcsw


RECORDS: list[dict] = []
TAKES: list = []
FIT_T0 = [0.0]


def _instrument(path: str) -> None:
    """Replace sources._read_npy by the benchmark's cold read, timed in parts."""
    from optimeans.distributed import sources

    read = sources._read_npy

    def cold(p, offset, start, stop, n_features, src, dtype):
        u0, s0, f0, m0, v0, i0 = _ru()
        vm0 = _vmstat()
        t0 = time.perf_counter()
        out = read(p, offset, start, stop, n_features, src, dtype)
        t1 = time.perf_counter()
        u1, s1, f1, m1, v1, i1 = _ru()
        if os.path.abspath(p) == os.path.abspath(path):
            bench_dask._drop_rows(p, offset, start, stop, n_features, src)
        t2 = time.perf_counter()
        u2, s2, *_ = _ru()
        vm1 = _vmstat()
        RECORDS.append({
            "thread": threading.get_ident(), "t0": t0 - FIT_T0[0], "t1": t1 - FIT_T0[0], "start": start,
            "read_s": t1 - t0, "read_user": u1 - u0, "read_sys": s1 - s0, "minflt": f1 - f0, "majflt": m1 - m0,
            "vcsw": v1 - v0, "ivcsw": i1 - i0,
            "drop_s": t2 - t1, "drop_cpu": (u2 - u1) + (s2 - s1),
            "vm": {k: vm1[k] - vm0.get(k, 0) for k in vm1 if vm1[k] != vm0.get(k, 0)},
        })
        return out

    sources._read_npy = cold


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", default="/tmp/ooc.npy")
    ap.add_argument("--fits", type=int, default=3)
    ap.add_argument("--lloyd-iters", type=int, default=4)
    ap.add_argument("--block-rows", type=int, default=None)
    ap.add_argument("--direct", choices=("model", "auto", "off"), default="model", help="as bench_dask.py --direct")
    args = ap.parse_args()
    from optimeans.distributed import sources

    sources.DIRECT_READS = {"model": True, "auto": "auto", "off": False}[args.direct]

    import dask

    import optimeans
    from optimeans import distributed as od

    d, k = 16, 16
    with dask.config.set(scheduler="threads", num_workers=2):
        bench_dask._warm_out_of_core(d, k)
    _instrument(args.path)
    from optimeans.distributed import readahead
    take = readahead.ReadAhead.take

    def timed_take(self, b):
        t0 = time.perf_counter()
        r = take(self, b)
        TAKES.append((b, round(t0 - FIT_T0[0], 4), round(time.perf_counter() - FIT_T0[0], 4)))
        return r

    readahead.ReadAhead.take = timed_take
    X = od.read(args.path, block_rows=args.block_rows)
    nb = int(X.numblocks[0])
    head = np.load(args.path, mmap_mode="r")[:200_000].copy()
    C0 = optimeans.fit(head, k, random_state=0, n_init=1).centers
    del head
    cats = []
    for _ in range(3):
        bench_dask._drop_cache(args.path)
        t0 = time.perf_counter()
        os.system(f"cat {args.path} > /dev/null")
        cats.append(time.perf_counter() - t0)
    cat = float(np.median(cats))
    print(json.dumps({"cat": cats, "load": bench_dask._load()}), flush=True)
    for rep in range(args.fits):
        bench_dask._drop_cache(args.path)
        RECORDS.clear()
        TAKES.clear()
        FIT_T0[0] = time.perf_counter()
        load = bench_dask._load()
        with dask.config.set(scheduler="threads", num_workers=2):
            res = optimeans.fit(X, k, init=C0, max_iter=args.lloyd_iters, tol=0, persist=False)
        secs = np.diff(np.concatenate([[0.0], res.history.seconds]))
        ra = res.info.get("read_ahead") or {}
        sp = int(res.info.get("setup_passes") or 0)
        passes = []
        for p in range(0, len(RECORDS), nb):
            rs = RECORDS[p:p + nb]
            agg = {
                "pass": p // nb,
                "read_s": round(sum(r["read_s"] for r in rs), 3),
                "user": round(sum(r["read_user"] for r in rs), 3),
                "sys": round(sum(r["read_sys"] for r in rs), 3),
                "minflt": sum(r["minflt"] for r in rs),
                "drop_s": round(sum(r["drop_s"] for r in rs), 3),
                "ivcsw": sum(r["ivcsw"] for r in rs),
            }
            vm: dict = {}
            for r in rs:
                for kk, v in r["vm"].items():
                    vm[kk] = vm.get(kk, 0) + v
            agg["vm"] = vm
            passes.append(agg)
        print(json.dumps({
            "fit": rep, "load": load, "setup_passes": sp,
            "lloyd_over_cat": [round(float(s) / cat, 3) for s in secs],
            "pass_wait": [round(x, 3) for x in ra.get("pass_wait_seconds", [])],
            "pass_compute": [round(x, 3) for x in ra.get("pass_compute_seconds", [])],
            "read_cpu": ra.get("read_cpu_seconds"), "reads": passes,
            "raw": [{kk: (round(v, 4) if isinstance(v, float) else v) for kk, v in r.items() if kk not in ("thread",)} for r in RECORDS],
            "takes": TAKES[:], "fit_t0": FIT_T0[0], "load_after": bench_dask._load(),
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
