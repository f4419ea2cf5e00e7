"""What a new user pays on first use: wall time of each entry point with an empty Numba cache.

Every case runs in a fresh Python process whose ``NUMBA_CACHE_DIR`` points at a
new, empty temporary directory, so nothing compiled earlier (by this script,
by the test suite, or by an editable install's ``__pycache__``) is reused.
Three figures per case:

* ``cold``: the whole process, empty cache;
* ``after f64 fit``: the whole process, in a cache that already holds what
  ``optimeans.fit(iris, 3)`` (float64) compiled, minus the warm time: what the
  case compiles that the first fit did not;
* ``warm``: the whole process again with the cache the case itself filled.

``--profile`` runs each case once more, cold, with a Numba event listener that
records every compilation (the dispatcher's function and argument types, and
its inclusive time: a kernel's time includes the functions it inlines or calls
that were not compiled yet), and prints the table per case.

Usage::

    python benchmarks/bench_first_use.py              # every case
    python benchmarks/bench_first_use.py fit64 fit32  # some cases
    python benchmarks/bench_first_use.py --profile quickstart
    python benchmarks/bench_first_use.py --list

Figures depend on the machine's load: the script prints the load average
before and after. Compile times are CPU-bound, so a loaded machine inflates
them roughly in proportion to the competing processes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

_IRIS = "import optimeans; X = optimeans.datasets.load('iris'); "

#: name -> (description, argv after the interpreter)
CASES: dict[str, tuple[str, list[str]]] = {
    "quickstart": ("optimeans fit --dataset iris -k 3 (the Quickstart)",
                   ["-m", "optimeans", "fit", "--dataset", "iris", "-k", "3"]),
    "fit64": ("optimeans.fit(X, 3) float64", ["-c", _IRIS + "optimeans.fit(X, 3)"]),
    "fit32": ("the same on float32 data", ["-c", _IRIS + "optimeans.fit(X.astype('float32'), 3)"]),
    "hartigan": ('method="hartigan"', ["-c", _IRIS + "optimeans.fit(X, 3, method='hartigan')"]),
    "global": ('method="global"', ["-c", _IRIS + "optimeans.fit(X, 3, method='global')"]),
    "estimator": ("KMeans(3).fit(X)", ["-c", _IRIS + "optimeans.KMeans(3).fit(X)"]),
    "weights": ("optimeans.fit(X, 3, sample_weight=w)",
                ["-c", _IRIS + "import numpy as np; optimeans.fit(X, 3, sample_weight=np.arange(1.0, 151.0))"]),
    "certify": ("optimeans fit --dataset iris -k 3 --certify",
                ["-m", "optimeans", "fit", "--dataset", "iris", "-k", "3", "--certify"]),
    "choose-k": ("optimeans choose-k --dataset iris",
                 ["-m", "optimeans", "choose-k", "--dataset", "iris"]),
    "plot": ("optimeans fit --dataset iris -k 3 --plot FILE",
             ["-m", "optimeans", "fit", "--dataset", "iris", "-k", "3", "--plot", "{tmp}/iris.png"]),
    "compare": ("optimeans compare --dataset iris -k 3",
                ["-m", "optimeans", "compare", "--dataset", "iris", "-k", "3"]),
    "sklearn": ("scikit-learn KMeans(3).fit(iris), whole process",
                ["-c", "from sklearn.datasets import load_iris; from sklearn.cluster import KMeans; "
                       "KMeans(3, n_init='auto').fit(load_iris().data)"]),
}

_PROFILER = r"""
import atexit, json, sys, time
import numba.core.event as ev

_records = []
_stack = []

class _L(ev.Listener):
    def on_start(self, event):
        _stack.append(time.perf_counter())

    def on_end(self, event):
        t0 = _stack.pop()
        d = event.data or {}
        disp = d.get("dispatcher")
        fn = getattr(disp, "py_func", None)
        name = f"{fn.__module__}.{fn.__qualname__}" if fn is not None else repr(disp)
        args = ", ".join(str(a) for a in d.get("args", ()))
        _records.append({"kernel": name, "args": args, "seconds": time.perf_counter() - t0, "depth": len(_stack)})

ev.register("numba:compile", _L())

@atexit.register
def _dump():
    with open(_OUT, "w") as fh:
        json.dump(_records, fh)

_OUT = @OUT@
sys.argv = @ARGV@
import runpy
@RUN@
"""


def _load() -> str:
    try:
        return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        return "load average unknown"


def _env(cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache
    env["MPLBACKEND"] = "Agg"
    return env


def _argv(case: str, tmp: str) -> list[str]:
    return [a.replace("{tmp}", tmp) for a in CASES[case][1]]


def run_case(case: str, cache: str, tmp: str) -> float:
    """Wall seconds of one fresh process running ``case`` with ``NUMBA_CACHE_DIR=cache``."""
    cmd = [sys.executable, *_argv(case, tmp)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=_env(cache), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return dt


def profile_case(case: str, cache: str, tmp: str) -> list[dict]:
    """The compilations of one cold run of ``case``: kernel, argument types, inclusive seconds."""
    argv = _argv(case, tmp)
    out = os.path.join(tmp, f"profile-{case}.json")
    if argv[0] == "-m":
        run = f"runpy.run_module({argv[1]!r}, run_name='__main__', alter_sys=True)"
        sys_argv = [argv[1], *argv[2:]]
    else:
        run = f"exec(compile({argv[1]!r}, '<case>', 'exec'), {{'__name__': '__main__'}})"
        sys_argv = ["-c"]
    code = _PROFILER.replace("@OUT@", repr(out)).replace("@ARGV@", repr(sys_argv)).replace("@RUN@", run)
    proc = subprocess.run([sys.executable, "-c", code], env=_env(cache), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 and not os.path.exists(out):
        raise RuntimeError(f"{case} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    with open(out) as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--profile", action="store_true", help="list the compilations of each case")
    parser.add_argument("--no-extra", action="store_true", help="skip the 'after f64 fit' column")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm column")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.list:
        for name, (desc, _) in CASES.items():
            print(f"{name:12s} {desc}")
        return 0
    cases = args.cases or list(CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    print(f"# {sys.executable}, {_load()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="optimeans-first-use-") as tmp:
        if args.profile:
            for case in cases:
                cache = tempfile.mkdtemp(dir=tmp)
                recs = profile_case(case, cache, tmp)
                total = sum(r["seconds"] for r in recs if r["depth"] == 0)
                print(f"\n## {case}: {CASES[case][0]}: {len(recs)} compilations, "
                      f"{total:.1f} s at top level ({_load()})")
                print("| kernel | argument types | s (inclusive) | nested |\n|---|---|---:|---:|")
                for r in sorted(recs, key=lambda r: -r["seconds"]):
                    args_txt = r["args"] if len(r["args"]) < 90 else r["args"][:87] + "..."
                    print(f"| {r['kernel'].replace('optimeans.', '')} | {args_txt} | {r['seconds']:.2f} | "
                          f"{r['depth']} |")
            return 0
        f64_cache = None
        if not args.no_extra:
            f64_cache = tempfile.mkdtemp(dir=tmp)
            run_case("fit64", f64_cache, tmp)
            base_warm = run_case("fit64", f64_cache, tmp)
        print("| first use | cold s | extra once float64 fit is cached, s | warm s |\n|---|---:|---:|---:|",
              flush=True)
        for case in cases:
            cache = tempfile.mkdtemp(dir=tmp)
            cold = run_case(case, cache, tmp)
            warm = None if args.no_warm else run_case(case, cache, tmp)
            extra = None
            if f64_cache is not None and case != "sklearn":
                c2 = tempfile.mkdtemp(dir=tmp)
                shutil.rmtree(c2)
                shutil.copytree(f64_cache, c2)
                after = run_case(case, c2, tmp)
                extra = after - (warm if warm is not None else base_warm)
            fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
            print(f"| {CASES[case][0]} | {cold:.1f} | {fmt(extra)} | {fmt(warm)} |", flush=True)
            rows.append({"case": case, "cold": cold, "extra": extra, "warm": warm})
    print(f"# {_load()}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
