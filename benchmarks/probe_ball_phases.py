"""Probe: one anchored-ball pass timed phase by phase (s9-ball). Not part of the library.

Usage: PYTHONPATH=src python benchmarks/probe_ball_phases.py 50000x128x4096 --threads 1 2 --warm-iters 2
Runs ``warm-iters`` Lloyd iterations of BallWorkspace from bench_lloyd.make_data's centers, then
times the phases of the next pass (best of ``--reps``), the pass repeated on the same state.
"""
import argparse
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402

from optimeans._kernels import ball as B  # noqa: E402
from optimeans._kernels.lloyd import U32, guard_threshold  # noqa: E402


def phases(ws, reps):
    n, d = ws.X.shape
    k = ws.k
    L = ws.L
    out = {}

    def tm(name, fn):
        best = np.inf
        r = None
        for _ in range(reps):
            t = time.perf_counter()
            r = fn()
            best = min(best, time.perf_counter() - t)
        out[name] = best * 1e3
        return r

    tm("anchor_distances", lambda: B.anchor_distances(ws.X, ws.C64, ws.labels, ws.scale, ws.U))
    seg_start = np.empty(k + 1, dtype=np.int64)
    scratch = np.empty(n, dtype=np.int64)
    tm("order_by_label", lambda: B.order_by_label(ws.labels, ws.U, k, scratch, seg_start))
    seg2 = tm("peel", lambda: B.peel_outliers(scratch, seg_start, B.PEEL, B.PEEL_MIN, B.PEEL_SEGMENT, ws.perm))
    seg_block, seg_anchor, part_seg = tm("layout_total", lambda: ws._layout(True))
    out["pack+rest"] = out["layout_total"] - out["anchor_distances"] - out["order_by_label"] - out["peel"]
    thr_g = guard_threshold(ws.kappa, ws.bn_max, ws.cmax)
    mu = float(np.sqrt(2.0 * thr_g)) * (1.0 + 1e-6)
    eta = 4.0 * U32 * ws.cmax + 1e-30
    rho = 2.0 * (d + 4) * U32
    counts = np.zeros(part_seg.shape[0] - 1, dtype=np.int64)
    args = (ws.X, ws.XT, ws.lane_pt, ws.block_norm, ws.block_u, seg_block, seg_anchor)
    rest = (ws.C2, ws.cn, ws.CT, ws.C64, k, ws.kappa, ws.cmax, mu, eta, rho, ws.newlab, counts)
    tm("assign_segments", lambda: B.assign_segments(*args, part_seg, *rest))
    # per part, one at a time (the imbalance of the static split)
    nthr = numba.get_num_threads()
    per = []
    for p in range(part_seg.shape[0] - 1):
        ps = part_seg[p : p + 2].copy()
        t = time.perf_counter()
        B.assign_segments(*args, ps, *rest)
        per.append(time.perf_counter() - t)
    per = np.array(per) * 1e3
    h = len(per) // 2
    out["parts_sum"] = per.sum()
    out["parts_first_half"] = per[:h].sum()
    out["parts_second_half"] = per[h:].sum()
    out["peeled_segments_ms"] = None
    nk = int((seg_anchor >= 0).sum())
    full_blocks = int((seg_block[-1] - seg_block[nk]))
    out["blocks_anchored/full"] = f"{seg_block[nk]}/{full_blocks}"
    out["scanned"] = float(counts.sum()) / max(1.0, seg_block[-1] * (ws.cn.shape[0] // 16))
    labels0 = ws.labels.copy()
    S0, Q0, W0, N0 = ws.S.copy(), ws.Q.copy(), ws.W.copy(), ws.N.copy()

    def moves():
        ws.labels[:] = labels0
        ws.S[:] = S0; ws.Q[:] = Q0; ws.W[:] = W0; ws.N[:] = N0
        t = time.perf_counter()
        r = B.apply_label_moves(ws.X, ws.w, ws.labels, ws.newlab, ws.mean, ws.S, ws.Q, ws.W, ws.N, ws.P, ws.Pq,
                                ws.Pw, ws.Pn, ws.touched, ws.tlist, True)
        return r, time.perf_counter() - t

    best = min(moves()[1] for _ in range(reps))
    out["apply_moves"] = best * 1e3
    ws.labels[:] = labels0
    ws.S[:] = S0; ws.Q[:] = Q0; ws.W[:] = W0; ws.N[:] = N0
    del out["peeled_segments_ms"]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shape")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--warm-iters", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    n, d, k = (int(v) for v in a.shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=np.float32)
    C = np.ascontiguousarray(C64, dtype=np.float32).astype(np.float64)
    ws = B.BallWorkspace(X, k)
    for it in range(a.warm_iters):
        ws.set_centers(C)
        ws.assign(True)
        ws.update_centers(C)
    ws.set_centers(C)
    for thr in a.threads:
        numba.set_num_threads(thr)
        t = time.perf_counter()
        ws.set_centers(C)
        sc = (time.perf_counter() - t) * 1e3
        out = phases(ws, a.reps)
        out = {"set_centers": sc, **out}
        print(f"{a.shape} threads={thr} load={os.getloadavg()[0]:.2f}")
        for key, v in out.items():
            print(f"   {key:<22} {v:.2f}" if isinstance(v, float) else f"   {key:<22} {v}")


if __name__ == "__main__":
    main()
