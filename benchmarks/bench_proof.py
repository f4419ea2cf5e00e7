"""Proofs of the branch and bound: their size and the time to check them again.

For each data set and k: ``branch_and_bound(X, k, sdp=True, proof=True)``
(``--route sdp``) or ``colgen.branch_and_price(X, k, proof=True)`` (``--route
lp``, planar data: the branch-and-price tree with each node's multipliers)
within the time limit, the proof saved as JSON, then
``optimeans.exact.verify`` on it. Prints n, d, k, whether the search proved
the optimum, its gap, the gap the checker certifies, the tree's nodes and the
certificates kept, the file size, the search and check times and the load
average; and the largest n the SDP route accepts on this machine.

Usage::

    python benchmarks/bench_proof.py [--sets iris,glass,ecoli] [--ks 2,3] [--time-limit 60] [--route sdp]
    python benchmarks/bench_proof.py --route lp --sets ruspini,ch150 --ks 2,4,6

``iris`` is scikit-learn's; ``glass`` is ``glass_scaled_pm1.txt`` and other
names are read from ``frontier/sos-sdp/`` (``frontier/cg-dca/`` for
``--route lp``) under ``--data-dir`` (default
``../shared/datasets`` next to the repository; never copied).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from optimeans.exact import branch_bound as bb  # noqa: E402
from optimeans.exact.proof import save_proof, verify  # noqa: E402


def _load(name: str, data_dir: Path, route: str = "sdp") -> np.ndarray:
    if route == "lp":
        return np.loadtxt(data_dir / "frontier" / "cg-dca" / f"{name}.txt", skiprows=1)
    if name == "iris":
        from sklearn.datasets import load_iris

        return load_iris().data.astype(np.float64)
    path = data_dir / "glass_scaled_pm1.txt" if name == "glass" else data_dir / "frontier" / "sos-sdp" / f"{name}.txt"
    return np.loadtxt(path, skiprows=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="iris,glass")
    ap.add_argument("--ks", default="2,3")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--route", choices=["sdp", "lp"], default="sdp")
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets")
    args = ap.parse_args()
    t = time.perf_counter()
    bb.branch_and_bound(np.random.default_rng(0).normal(size=(20, 3)), 3, sdp=True, proof=True)
    print(f"warm-up (compiles): {time.perf_counter() - t:.1f} s")
    mem = bb.machine_memory()
    print(f"memory {mem / 2**30:.1f} GiB: the SDP route accepts n <= {bb.sdp_row_limit()} distinct rows")
    print()
    print("| set | n x d | k | proven | gap (search) | gap (checked) | valid | nodes | certificates | proof MB "
          "| search s | check s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            X = _load(name, args.data_dir, args.route)
            for k in (int(v) for v in args.ks.split(",")):
                t = time.perf_counter()
                if args.route == "lp":
                    from optimeans.exact.colgen import branch_and_price

                    r = branch_and_price(X, k, proof=True, time_limit=args.time_limit)
                else:
                    r = bb.branch_and_bound(X, k, sdp=True, proof=True, time_limit=args.time_limit)
                search = time.perf_counter() - t
                path = save_proof(r.info["proof_record"], Path(tmp) / f"{name}_{k}.json")
                t = time.perf_counter()
                v = verify(X, k, path)
                check = time.perf_counter() - t
                tree = r.info["proof_record"]["tree" if args.route == "sdp" else "lp_tree"]
                nodes = len(tree["nodes"]) if tree else 0
                certs = len(tree["certificates"]) if tree else 0
                load = os.getloadavg()[0]
                print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {k} | {r.proven_optimal} | {100 * r.gap:.3g} % "
                      f"| {100 * v.gap:.3g} % | {v.valid} | {nodes} | {certs} | {path.stat().st_size / 1e6:.2f} "
                      f"| {search:.1f} | {check:.2f} | {load:.1f} |", flush=True)


if __name__ == "__main__":
    main()
