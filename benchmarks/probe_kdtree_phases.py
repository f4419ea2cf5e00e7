"""Where one k-d tree iteration goes at 250000 x 2, k = 6000 (issue 14): phase times per iteration.

Wraps the phases of ``method="kdtree"`` (the solver's ``_KDTree.__call__`` and
the Lloyd loop's passes) with wall-clock stamps and prints, per iteration:
center geometry (drifts), tree build, the assignment kernel, the reduction of
the chunk sums, the objective, the center update, relocations, and the rest
(callback to callback minus all of these: the Python loop). Also the share of
points that failed Hamerly's test and the distances computed per searched point.

Usage::

    PYTHONPATH=src python benchmarks/probe_kdtree_phases.py --threads 1 2 --iters 6
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="250000x2x6000")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--leaf", type=int, default=None)
    p.add_argument("--cpu", action="store_true", help="process CPU time instead of the wall clock (shared machine)")
    args = p.parse_args(argv)

    import optimeans
    from optimeans.solvers import accelerated as A
    from optimeans.solvers import lloyd as L

    T = defaultdict(float)
    clock = time.process_time if args.cpu else time.perf_counter

    def timed(name, fn):
        def wrap(*a, **kw):
            t = clock()
            try:
                return fn(*a, **kw)
            finally:
                T[name] += clock() - t
        return wrap

    A.center_geometry = timed("geometry", A.center_geometry)
    A.build_center_tree = timed("build", A.build_center_tree)
    A.kdtree_chunks = timed("search", A.kdtree_chunks)
    A.add_moves = timed("sums", A.add_moves)
    if hasattr(A, "kdtree_moves"):
        A.kdtree_moves = timed("moves", A.kdtree_moves)
    MP = L.MemoryPasses
    for name in ("objective", "update_centers", "relocate_empty", "has_empty"):
        setattr(MP, name, timed(name, getattr(MP, name)))
    MP.assign = timed("assign_total", MP.assign)

    n, d, k = (int(v) for v in args.shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=np.float32)
    C0 = np.ascontiguousarray(C64, dtype=np.float32)
    Xw = X[:5000].copy()
    optimeans.fit(Xw, 300, init=Xw[:300].copy(), n_init=1, max_iter=3, tol=0.0, method="kdtree", n_threads=1)
    kw = {} if args.leaf is None else {"leaf_size": args.leaf}
    for threads in args.threads:
        rows = []
        stamps = []

        def cb(it, obj):
            stamps.append((clock(), dict(T)))
            return False

        T.clear()
        t0 = clock()
        stamps.append((t0, {}))
        if kw:
            r = A.run_kdtree(X, np.ones(n), C0, max_iter=args.iters, tol=0.0, n_threads=threads, callback=cb, **kw)
        else:
            r = optimeans.fit(X, k, init=C0, n_init=1, max_iter=args.iters, tol=0.0, method="kdtree",
                              n_threads=threads, callback=cb)
        names = ["geometry", "build", "search", "moves", "sums", "objective", "has_empty", "update_centers", "relocate_empty"]
        print(f"# {args.shape} threads={threads} load {' '.join('%.2f' % v for v in os.getloadavg())}")
        print("it    total  " + " ".join(f"{nm[:9]:>9}" for nm in names) + "      rest   pack  dist/pt")
        fr = r.info.get("distance_fraction", [])
        for it in range(1, len(stamps)):
            (ta, Ta), (tb, Tb) = stamps[it - 1], stamps[it]
            dt = {nm: Tb.get(nm, 0.0) - Ta.get(nm, 0.0) for nm in names + ["assign_total"]}
            acc = dt["assign_total"] + sum(dt[nm] for nm in names[5:])
            tot = tb - ta
            line = f"{it:2d} {tot*1e3:8.1f}  " + " ".join(f"{dt[nm]*1e3:9.2f}" for nm in names)
            f = fr[it - 1] if it - 1 < len(fr) else float("nan")
            other = dt["assign_total"] - sum(dt[nm] for nm in names[:5])
            line += f"  {(tot-acc)*1e3:8.2f} {other*1e3:6.2f}  {f*k:7.2f}"
            rows.append(tot)
            print(line, flush=True)
        print(f"# mean of iterations 2..{len(rows)}: {np.mean(rows[1:])*1e3:.1f} ms; n_iter {r.n_iter}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
