"""Paired timing of two versions of optimeans: the same benchmark, alternating, in the same conditions.

On a shared, loaded machine two benchmark runs taken minutes apart see
different loads, so comparing a figure from one with a figure from the other
measures the load as much as the code. This script runs one benchmark command
with ``PYTHONPATH`` pointing at the old source tree, then at the new one, then
the old again, and so on (``--rounds`` pairs, each in a fresh process), and
compares like with like:

* each process's own ratio of a peer (scikit-learn) to optimeans, measured
  seconds apart in that process: the load hits both alike;
* the paired ratio new / old of optimeans' time, round by round.

The benchmark is ``benchmarks/bench_lloyd.py`` (Lloyd's seconds per
iteration) or ``benchmarks/bench_minibatch.py``; its options follow ``--``.
A first, untimed process per tree fills the Numba cache.

Usage::

    git worktree add /tmp/old 36eb34d
    python benchmarks/bench_paired.py --old /tmp/old/src --new src --rounds 4 lloyd -- \\
        --shapes 100000x128x256 --dtypes float32 --threads 1
    python benchmarks/bench_paired.py --old /tmp/old/src --new src minibatch -- --n 100000 --seeds 2
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _run(src: str, argv: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    proc = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} with {src} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def _parse_lloyd(out: str) -> dict[tuple, float]:
    """(shape, dtype, threads, tool) -> ms per iteration."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\d+x\d+x\d+)\s+(\w+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s", line)
        if m:
            rows[(m[1], m[2], int(m[3]), m[4])] = float(m[5])
    return rows


def _parse_minibatch(out: str) -> dict[tuple, float]:
    """Every 'name ... seconds' figure the mini-batch benchmark prints: (line label,) -> first float."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("|") if "|" in line else line.split()
        nums = [p.strip() for p in parts if re.fullmatch(r"\s*-?[\d.]+(e-?\d+)?\s*", p or "")]
        label = " ".join(p.strip() for p in parts if p.strip() and p.strip() not in nums)[:60]
        if nums and label:
            rows[(label,)] = float(nums[0])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="the old source tree (its src directory)")
    ap.add_argument("--new", required=True, help="the new source tree (its src directory)")
    ap.add_argument("--rounds", type=int, default=3, help="old/new pairs")
    ap.add_argument("--no-prefill", action="store_true", help="skip the untimed first runs (caches already filled)")
    ap.add_argument("bench", choices=["lloyd", "minibatch"])
    ap.add_argument("rest", nargs=argparse.REMAINDER, help="-- then the benchmark's own options")
    args = ap.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    script = os.path.join(HERE, f"bench_{args.bench}.py")
    parse = _parse_lloyd if args.bench == "lloyd" else _parse_minibatch
    cmd = [script, *rest]
    if args.bench == "lloyd":
        cmd += ["--no-memory"]
    print(f"# {args.bench}: {' '.join(rest)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    for src in () if args.no_prefill else (args.old, args.new):  # fill the caches, untimed
        _run(src, cmd)
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for tag, src in (("old", args.old), ("new", args.new)) if r % 2 == 0 else (("new", args.new),
                                                                                     ("old", args.old)):
            t0 = time.perf_counter()
            rows = parse(_run(src, cmd))
            runs[tag].append(rows)
            print(f"# round {r + 1} {tag}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.2f}",
                  flush=True)
    keys = [k for k in runs["old"][0] if all(k in x for x in runs["old"] + runs["new"])]
    print("| figure | old (median) | new (median) | new / old per round | median new / old |")
    print("|---|---:|---:|---|---:|")
    for key in keys:
        old = [x[key] for x in runs["old"]]
        new = [x[key] for x in runs["new"]]
        ratios = [b / a if a else float("nan") for a, b in zip(old, new)]
        print(f"| {' '.join(map(str, key))} | {statistics.median(old):.3f} | {statistics.median(new):.3f} | "
              f"{', '.join(f'{q:.2f}' for q in ratios)} | {statistics.median(ratios):.2f} |")
    if args.bench == "lloyd":  # the peer / optimeans ratio within each process
        print("\n| shape dtype threads | peer / optimeans, old (per round) | new (per round) | median old | median new |")
        print("|---|---|---|---:|---:|")
        for key in keys:
            if key[3] == "optimeans":
                continue
            base = key[:3] + ("optimeans",)
            ro = [x[key] / x[base] for x in runs["old"]]
            rn = [x[key] / x[base] for x in runs["new"]]
            print(f"| {' '.join(map(str, key))} | {', '.join(f'{q:.2f}' for q in ro)} | "
                  f"{', '.join(f'{q:.2f}' for q in rn)} | {statistics.median(ro):.2f} | {statistics.median(rn):.2f} |")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
