"""Where an out-of-core Lloyd pass spends its time, old block path against new, interleaved.

On a float32 ``.npy`` file (written if absent, ``--gib`` GiB, 16 columns),
with the file's pages dropped from the cache before every read, one pass
over the blocks is timed stage by stage, the two ways alternating round by
round (so both see the same load):

``old``
    the block read through a memory map and copied (``np.array(memmap)``),
    validation with NumPy (``isfinite``, ``abs().max()``), the work space with
    :meth:`DataTransform.to_work` (float64 temporaries) and the packing with
    :func:`optimeans._kernels.lloyd.pack_data`;
``new``
    :func:`optimeans.distributed.sources._read_npy` (sequential ``readinto``),
    validation and column sums in one read (:func:`._scan.check_and_sum`), the
    work space and the packing in one kernel (:func:`._scan.to_work_and_pack`).

Both then run the same assignment scan (:func:`lloyd_chunks`, 2 threads). The
``cat`` of the cold file is the reference. Reads are done in the calling
thread here (no read-ahead), so the stages add up; the fit overlaps the read
of block ``b + 1`` with the work on block ``b``. Every figure is printed with
the load average.

Usage::

    PYTHONPATH=src python benchmarks/check_dask_ooc.py --path /tmp/ooc.npy --gib 1 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_dask import _drop_cache, _load, _write_npy  # noqa: E402


def _old_read(path, offset, start, stop, d):
    mm = np.memmap(path, dtype=np.float32, mode="r", offset=offset + start * d * 4, shape=(stop - start, d))
    try:
        return np.array(mm, copy=True)
    finally:
        mm._mmap.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--path", default="/tmp/optimeans_ooc_check.npy")
    p.add_argument("--gib", type=float, default=1.0)
    p.add_argument("--block-rows", type=int, default=1_048_576)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)

    from optimeans._kernels.lloyd import (
        BLOCK, guard_kappa, lloyd_chunks, n_chunks, pack_centers, pack_data, padded_clusters, padded_features,
    )
    from optimeans._numba import numba_threads
    from optimeans._transform import DataTransform
    from optimeans.distributed import _scan
    from optimeans.distributed.sources import _read_npy

    d, k = 16, 16
    if not os.path.exists(args.path):
        _write_npy(args.path, args.gib, d, k, seed=1)
    try:
        head = np.load(args.path, mmap_mode="r")
        n = head.shape[0]
        offset = head.offset
        sample = np.array(head[:200_000])
        del head
        space = DataTransform(sample)  # any offset and scale will do for timing
        kmean = np.zeros(padded_features(d))
        kscale = 0.125
        C = sample[:k].astype(np.float32)
        kp = padded_clusters(k)
        C2, cn, C64 = np.empty((kp, d), np.float32), np.empty(kp, np.float32), np.empty((kp, padded_features(d)))
        cmax = pack_centers(C, kmean, kscale, C2, cn, C64)
        starts = list(range(0, n, args.block_rows))
        out: dict = {"n": n, "gib": n * d * 4 / 2**30, "blocks": len(starts), "load_start": _load()}
        stages: dict = {}

        def add(key, secs):
            stages.setdefault(key, []).append(secs)

        def scan(Xw, XT, bnorm, rows):
            nc = n_chunks(rows)
            labels = np.full(rows, -1, dtype=np.int64)
            with numba_threads(2):
                lloyd_chunks(
                    Xw, np.empty(0), XT, bnorm, C2, cn, C64, k, cmax, guard_kappa(d), kmean, labels,
                    np.empty((nc, k * padded_features(d))), np.empty((nc, k)), np.empty((nc, k)),
                    np.empty((nc, k), np.int64), np.empty(nc, np.int64), True, np.empty(0), True,
                )

        for r in range(args.rounds + 1):  # round 0 compiles
            for how in ("old", "new"):
                _drop_cache(args.path)
                t = dict.fromkeys(("read", "check", "transform_pack", "scan"), 0.0)
                for s in starts:
                    e = min(n, s + args.block_rows)
                    t0 = time.perf_counter()
                    X = _old_read(args.path, offset, s, e, d) if how == "old" else _read_npy(
                        args.path, offset, s, e, d, "<f4", "<f4")
                    t1 = time.perf_counter()
                    if how == "old":
                        assert np.isfinite(X).all()
                        float(np.abs(X).max())
                        X.astype(np.float64).sum(axis=0)
                    else:
                        acc, lo, hi = np.zeros(d), np.full(d, np.inf), np.full(d, -np.inf)
                        assert _scan.check_and_sum(X, acc, lo, hi) < 0
                    t2 = time.perf_counter()
                    nb = (e - s + BLOCK - 1) // BLOCK
                    XT = np.empty(nb * d * BLOCK, np.float32)
                    bnorm = np.empty(nb)
                    if how == "old":
                        Xw = space.to_work(X, np.float32)
                        with numba_threads(2):
                            pack_data(Xw, kmean[:d], kscale, XT, bnorm, np.empty(e - s))
                    else:
                        Xw = np.empty_like(X)
                        with numba_threads(2):
                            _scan.to_work_and_pack(X, space._offset_p, 1.0, Xw, kmean[:d], kscale, XT, bnorm)
                    t3 = time.perf_counter()
                    scan(Xw, XT, bnorm, e - s)
                    t4 = time.perf_counter()
                    for key, a, b in (("read", t0, t1), ("check", t1, t2), ("transform_pack", t2, t3), ("scan", t3, t4)):
                        t[key] += b - a
                if r:
                    for key, v in t.items():
                        add(f"{how}_{key}_s", v)
                    add(f"{how}_total_s", sum(t.values()))
            if r:
                _drop_cache(args.path)
                t0 = time.perf_counter()
                subprocess.run(["cat", args.path], stdout=subprocess.DEVNULL, check=True)
                add("cat_cold_s", time.perf_counter() - t0)
                print(f"round {r}: load {_load()}", {k_: round(v[-1], 3) for k_, v in stages.items()},
                      file=sys.stderr, flush=True)
        for key, v in stages.items():
            out[key] = float(np.median(v))
        out["load_end"] = _load()
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    finally:
        if not args.keep and os.path.exists(args.path):
            os.remove(args.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
