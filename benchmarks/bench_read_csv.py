"""Time and peak memory of reading a large CSV, optimeans' reader against its peers.

Writes (once) an n-row x 8-column CSV of floats with a header, then reads it
in a fresh process per reader and prints wall seconds and peak RSS (the
process's ru_maxrss, imports included, and the RSS after the imports, so that
the reading's own share shows):

* ``optimeans`` - ``optimeans._io.read_table``, from each ``--src`` folder
  given (e.g. the main checkout's ``src`` for "before", this tree's for
  "after"; default: the optimeans that is importable);
* ``numpy.loadtxt``, ``pandas.read_csv`` (C engine) and ``pyarrow.csv``, when
  installed, on the same file.

Usage::

    python benchmarks/bench_read_csv.py --rows 4500000             # the issue's 4.5 M rows (about 340 MB)
    python benchmarks/bench_read_csv.py --rows 1000000 --src /work/main/src --src src

Not a test: timings depend on the machine; report them with its load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
import numpy as np
if kind == "optimeans":
    from optimeans._io import read_table
elif kind == "pandas":
    import pandas as pd
elif kind == "pyarrow":
    import pyarrow.csv as pc
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if kind == "optimeans":
    X = read_table(path).X
elif kind == "numpy":
    X = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
elif kind == "pandas":
    X = pd.read_csv(path, dtype=np.float64, engine="c").to_numpy()
elif kind == "pyarrow":
    T = pc.read_csv(path)
    X = np.column_stack([c.to_numpy() for c in T.columns])
sec = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": sec, "peak_mb": peak / 1024, "imports_mb": base / 1024,
                  "shape": list(X.shape), "checksum": float(X[::9973].sum())}))
"""


def make_csv(path: str, rows: int, cols: int = 8, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(f"feature_{j}" for j in range(cols)) + "\n")
        step = 200_000
        for start in range(0, rows, step):
            block = rng.standard_normal((min(step, rows - start), cols)) * 100
            np.savetxt(f, block, delimiter=",", fmt="%.10g")


def run(kind: str, path: str, src: str | None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", CHILD, kind, path], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--file", help="CSV to read (written when missing; default: in the temp folder)")
    ap.add_argument("--src", action="append", default=[], help="an optimeans src folder to time (repeatable)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per reader, the fastest kept")
    args = ap.parse_args()
    path = args.file or os.path.join(tempfile.gettempdir(), f"optimeans_read_{args.rows}.csv")
    if not os.path.exists(path):
        make_csv(path, args.rows)
    print(f"{path}: {os.path.getsize(path) / 1e6:.0f} MB, {args.rows} rows x 8 columns; "
          f"load average {os.getloadavg()[0]:.2f}")
    readers = [("optimeans", s) for s in (args.src or [None])] + [("numpy", None), ("pandas", None), ("pyarrow", None)]
    print(f"{'reader':<40} {'seconds':>8} {'peak MB':>8} {'after imports':>14} {'reading':>8}")
    for kind, src in readers:
        best = None
        for _ in range(args.repeat):
            r = run(kind, path, src)
            if "error" in r:
                best = r
                break
            if best is None or r["seconds"] < best["seconds"]:
                best = r
        name = kind if src is None else f"{kind} ({src})"
        if "error" in best:
            print(f"{name:<40} {best['error']}")
            continue
        print(f"{name:<40} {best['seconds']:8.2f} {best['peak_mb']:8.0f} {best['imports_mb']:14.0f} "
              f"{best['peak_mb'] - best['imports_mb']:8.0f}")


if __name__ == "__main__":
    main()
