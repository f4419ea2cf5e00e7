"""Per-iteration times of optimeans' Lloyd and Yinyang at one large-k shape, side by side (a probe).

For each method: the CPU time (``--cpu``) or wall time of every iteration (callback to
callback, the first from the call) and Yinyang's share of the ``n k`` distances it
computed in each, so an iteration where Yinyang's filter fails can be set beside
Lloyd's full pass. The methods alternate ``--rounds`` times in one process.

Usage::

    PYTHONPATH=src python benchmarks/probe_yinyang_iters.py --shape 100000x64x1024 --threads 1 --cpu
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402


def run(X, C0, iters, threads, method, clock):
    import optimeans

    stamps = []

    def cb(it, obj):
        stamps.append(clock())
        return False

    t0 = clock()
    r = optimeans.fit(X, C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, method=method, n_threads=threads, callback=cb)
    return np.diff([t0, *stamps]) * 1e3, r


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="100000x64x1024")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--methods", nargs="+", default=["lloyd", "yinyang"])
    p.add_argument("--cpu", action="store_true")
    p.add_argument(
        "--full-from", nargs="+", type=float, default=None,
        help="Yinyang only: alternate these values of solvers.accelerated.FULL_FROM (an A/B of the switch in one "
        "process; 1e9 = never switch after the first iteration)",
    )
    a = p.parse_args(argv)
    clock = time.process_time if a.cpu else time.perf_counter
    n, d, k = (int(v) for v in a.shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=np.float32)
    C0 = np.ascontiguousarray(C64, dtype=np.float32)
    Xs = X[:3000].copy()
    for m in a.methods:  # compile / load the kernels
        run(Xs, Xs[: min(k, 600)].copy(), 3, a.threads, m, clock)
    import optimeans

    print(f"# {optimeans.__file__}; {a.shape}, {a.threads} thread(s), {'CPU' if a.cpu else 'wall'} ms per iteration")
    from optimeans.solvers import accelerated

    variants = [(m, None) for m in a.methods if m != "yinyang" or not a.full_from]
    if a.full_from and "yinyang" in a.methods:
        variants += [("yinyang", f) for f in a.full_from]
    default = getattr(accelerated, "FULL_FROM", None)
    for _ in range(a.rounds):
        for m, f in variants:
            if f is not None:
                accelerated.FULL_FROM = f
            steps, r = run(X, C0, a.iters, a.threads, m, clock)
            if f is not None:
                accelerated.FULL_FROM = default
                m = f"{m}@{f:g}"
            fr = r.info.get("distance_fraction")
            extra = (" frac " + " ".join(f"{f:.2f}" for f in fr)) if fr else ""
            sw = r.info.get("full_passes")
            extra += f" full {sw}" if sw is not None else ""
            print(
                f"{m:<10} " + " ".join(f"{s:7.1f}" for s in steps)
                + f" | mean2.. {np.mean(steps[1:]):7.1f}{extra}  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
