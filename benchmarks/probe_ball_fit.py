"""Probe (s10-ball): a ball fit's iterations timed by phase, relocations included. Not part of the library.

Usage: PYTHONPATH=src python benchmarks/probe_ball_fit.py 100000x64x1024 --threads 1 2 --iters 6
Times, per iteration of ``optimeans.fit(method="ball")`` from bench_lloyd.make_data's centers: the
pass's layout (anchor distances, sort, pack), assign_segments, the label moves, the center update
and the relocation of empty clusters, with the number of empty clusters.

What it showed (s10, load 1.1-1.4): at 100000 x 64, k = 1024 (1 and 2 empty clusters at
iterations 3 and 4) a relocation cost 15-16 ms, and the first of a run 52-156 ms, nearly all
in the serial NumPy ``point_objective`` over every row; the pass after a relocation was NOT
slower than its neighbours (65 / 58 / 56 ms on 1 thread for iterations 3 / 4 / 5: the
anchored ball keeps nothing but the labels, so a relocated center invalidates no bound; the
earlier "3-4x" per-iteration figures counted the relocation inside the iteration). After
:func:`optimeans.objective.top_contributions`: 1.8 ms on 2 threads, 2.6-3.3 on 1.
"""
import argparse
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402

import optimeans  # noqa: E402
from optimeans._kernels import ball as B  # noqa: E402
from optimeans.solvers import lloyd as SL  # noqa: E402

T = {}


def timed(obj, name, key):
    fn = getattr(obj, name)

    def wrap(*a, **kw):
        t = time.perf_counter()
        r = fn(*a, **kw)
        T[key] = T.get(key, 0.0) + time.perf_counter() - t
        return r

    setattr(obj, name, wrap)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shapes", nargs="+")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--iters", type=int, default=6)
    a = p.parse_args()
    for name, key in (("_layout", "layout"), ("assign", "pass")):
        timed(B.BallWorkspace, name, key)
    timed(B, "assign_segments", "segments")
    timed(B, "apply_label_moves_split", "moves")
    timed(SL.MemoryPasses, "update_centers", "update")
    timed(SL.MemoryPasses, "relocate_empty", "relocate")
    reloc = SL.MemoryPasses.relocate_empty

    def count_empty(self, *args):
        T["empty"] = T.get("empty", 0.0) + 1e-3 * float((self.ws.N == 0).sum())
        return reloc(self, *args)

    SL.MemoryPasses.relocate_empty = count_empty
    for shape in a.shapes:
        n, d, k = (int(v) for v in shape.split("x"))
        X64, C64 = make_data(n, d, k)
        X = np.ascontiguousarray(X64, dtype=np.float32)
        C0 = C64.astype(np.float32)
        for thr in a.threads:
            optimeans.fit(X[:3000], 50, init=X[:50], n_init=1, max_iter=3, method="ball", n_threads=thr)
            rows = []
            last = [time.perf_counter()]

            def cb(it, obj):
                now = time.perf_counter()
                rows.append((it, 1e3 * (now - last[0]), {kk: 1e3 * v for kk, v in T.items()}))
                T.clear()
                last[0] = time.perf_counter()

            T.clear()
            last[0] = time.perf_counter()
            r = optimeans.fit(X, k, init=C0, n_init=1, max_iter=a.iters, tol=0.0, method="ball", n_threads=thr,
                              callback=cb)
            print(f"{shape} threads={thr} load={os.getloadavg()[0]:.2f} method={r.method}")
            for it, tot, ph in rows:
                s = " ".join(f"{kk}={v:.0f}" if kk == "empty" else f"{kk}={v:.1f}" for kk, v in sorted(ph.items()))
                print(f"  it{it}: {tot:.1f} ms  {s}")


main()
