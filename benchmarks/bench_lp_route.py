"""The LP route (planar column generation with constraint aggregation) against the SDP route.

For each planar set and k: ``optimeans.exact.colgen.branch_and_price`` (the
set-partitioning LP by HiGHS, exact geometric pricing, dynamic constraint
aggregation, branch and price) and ``branch_and_bound(lp=False, sdp=True)``
(the Peng-Wei SDP tree with cuts), each within the same time limit. Prints
time, nodes, the certified gap, the LP's rounds and its most rows, and the
1-minute load average after each run (the machine is shared: say the load
beside every figure).

Usage::

    python benchmarks/bench_lp_route.py [--sets pr299,fl417] [--ks 2,4,6,8,10] [--time-limit 600]
        [--routes lp,sdp,bnb] [--no-aggregate] [--no-box] [--trace] [--incumbent-fit] [--set NAME=VALUE]

Route ``bnb`` is the default ``branch_and_bound`` (its own choice of route).
``--no-box`` switches off the box stabilization of the master's duals
(``colgen._BOX``), for an A/B.

``--incumbent-fit`` gives the routes the incumbent of
``optimeans.fit(X, k, method="global", random_state=0)`` (by patching the
search's ``global_search`` in this process only); ``--set _BOX_SLACK=0.1``
sets a tuning constant of ``optimeans.exact.colgen`` for an A/B.

``--trace`` prints, after every full pricing of the LP route, the round, the
restricted LP's rows (aggregated / all), its columns / the node's columns (and
how many the last full pricing added, with their mean length in groups), its value and the best certified bound
(in the route's scaled units), the seconds (and those spent in HiGHS, with the
last round's seconds and simplex iterations, in the full pricings and in the
aggregation), the box sides moved so far and the load (to stderr).

The data are read from ``frontier/cg-dca/<name>.txt`` under ``--data-dir``
(default ``../shared/datasets`` next to the repository; never copied), raw
coordinates as given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from optimeans.exact import branch_bound as bb  # noqa: E402
from optimeans.exact import colgen  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="pr299,fl417")
    ap.add_argument("--ks", default="2,4,6,8,10")
    ap.add_argument("--routes", default="lp,sdp")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--no-aggregate", action="store_true")
    ap.add_argument("--no-box", action="store_true", help="no box stabilization of the LP's duals")
    ap.add_argument("--trace", action="store_true", help="the LP's progress after every full pricing (stderr)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="set a tuning constant of optimeans.exact.colgen for this run, e.g. --set _DROP_AGE=5")
    ap.add_argument("--incumbent-fit", action="store_true",
                    help="the heuristic incumbent is optimeans.fit(X, k, method='global', random_state=0) "
                         "(patches optimeans.exact.search.global_search for this run only)")
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = ap.parse_args()
    t = time.perf_counter()
    Xw = np.random.default_rng(0).normal(size=(12, 2))
    colgen.branch_and_price(Xw, 3, time_limit=None, n_seeds=3)
    bb.branch_and_bound(Xw, 3, lp=False, sdp=True)
    print(f"warm-up (compiles): {time.perf_counter() - t:.1f} s, time limit {args.time_limit:g} s")
    if args.no_box:
        colgen._BOX = False
    for item in args.set:
        name, _, value = item.partition("=")
        if not hasattr(colgen, name):
            raise SystemExit(f"optimeans.exact.colgen has no {name}")
        old = getattr(colgen, name)
        setattr(colgen, name, value.lower() in ("1", "true") if isinstance(old, bool) else
                value if isinstance(old, str) else type(old)(float(value)))
        print(f"colgen.{name} = {getattr(colgen, name)!r}")
    if args.incumbent_fit:
        import optimeans
        from optimeans.exact import search

        def fitted(X, w, k, rng, **kwargs):
            r = optimeans.fit(X, k, sample_weight=w, method="global", random_state=0)
            print(f"  incumbent from fit(method='global'): {r.objective:.10g}", file=sys.stderr, flush=True)
            return np.asarray(r.labels, dtype=np.int64), float(r.objective)

        search.global_search = fitted
    if args.trace:
        last = {"t_lp": 0.0, "t_price": 0.0, "lp_iters": 0}

        def trace(t):
            d_lp, d_pr = t["t_lp"] - last["t_lp"], t["t_price"] - last["t_price"]
            d_it = t["lp_iters"] - last["lp_iters"] if t["lp_iters"] >= last["lp_iters"] else t["lp_iters"]
            if t["t_lp"] < last["t_lp"]:  # a new node
                d_lp, d_pr = t["t_lp"], t["t_price"]
            last.update(t_lp=t["t_lp"], t_price=t["t_price"], lp_iters=t["lp_iters"])
            print(f"  round {t['round']}: {t['rows']}/{t['groups'] + 1} LP rows, {t['lp_cols']}/{t['columns']} "
                  f"columns (+{t['added']}, {t.get('added_len', 0):.0f} rows each), LP {t['lp']:.8g}, bound {t['bound']:.8g}, {t['seconds']:.1f} s "
                  f"(HiGHS {t['t_lp']:.1f} [+{d_lp:.2f} s, {d_it} it], pricing {t['t_price']:.1f} [+{d_pr:.2f}], "
                  f"aggregation {t['t_agg']:.1f}, box sides moved {t.get('moved', 0)}), "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)

        colgen.TRACE = trace
    print()
    print("| set | n | k | route | proven | gap | time s | nodes | LP rounds | LP rows (most; bnb: columns) | objective | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        X = np.loadtxt(args.data_dir / "frontier" / "cg-dca" / f"{name}.txt", skiprows=1)
        for k in (int(v) for v in args.ks.split(",")):
            for route in args.routes.split(","):
                t = time.perf_counter()
                if route == "lp":
                    r = colgen.branch_and_price(X, k, time_limit=args.time_limit, aggregate=not args.no_aggregate)
                    info = r.info
                    nodes, rounds, rows = info.get("lp_nodes", 0), info.get("lp_rounds", 0), info.get("lp_rows", 0)
                elif route == "bnb":
                    r = bb.branch_and_bound(X, k, time_limit=args.time_limit)
                    info = r.info
                    nodes = info.get("lp_nodes", info.get("sdp_nodes", 0))
                    rounds, rows = info.get("lp_rounds", "-"), info.get("lp_columns", "-")
                else:
                    r = bb.branch_and_bound(X, k, lp=False, sdp=True, time_limit=args.time_limit)
                    nodes, rounds, rows = r.info.get("sdp_nodes", 0), "-", "-"
                sec = time.perf_counter() - t
                load = os.getloadavg()[0]
                print(f"| {name} | {X.shape[0]} | {k} | {route} | {r.proven_optimal} | {100 * r.gap:.3g} % | {sec:.0f} "
                      f"| {nodes} | {rounds} | {rows} | {r.objective:.10g} | {load:.1f} |", flush=True)


if __name__ == "__main__":
    main()
