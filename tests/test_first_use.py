"""First use: what compiles, the warmup command, the "preparing" message (fresh processes, temporary caches)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

import optimeans
from optimeans import _nocompile
from optimeans._numba import CompileWatch


def _env(cache, **extra):
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache)
    env.pop("OPTIMEANS_NUMBA_CACHE", None)
    env.update(extra)
    return env


def _run(args, env, timeout=900):
    proc = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _report(stdout):
    """The fit report without its time line."""
    lines = [ln for ln in stdout.splitlines() if not ln.startswith("time")]
    assert len(lines) > 5
    return lines


_COUNT = (
    "import sys, numpy as np, optimeans\n"
    "from optimeans._numba import CompileWatch\n"
    "from optimeans._nocompile import kernels_only\n"
    "rng = np.random.default_rng(7)\n"
    "X = rng.normal(size=(333, 4)).astype(sys.argv[1])\n"
    "with CompileWatch() as w, kernels_only():\n"
    "    optimeans.fit(X, 4, method=sys.argv[2], random_state=1)\n"
    "print(w.count)\n"
)


def test_small_fit_compiles_nothing():
    # Iris-sized problems take the NumPy path: no kernel is compiled, whatever the cache holds
    X = optimeans.datasets.load("iris")
    with CompileWatch() as w:
        optimeans.fit(X, 3, random_state=0)
        optimeans.fit(X.astype(np.float32), 3, random_state=0, sample_weight=np.arange(1.0, 151.0))
        optimeans.KMeans(3, random_state=0).fit(X).predict(X)
    assert w.count == 0
    # and the watch does see a compilation when one happens
    import numba

    with CompileWatch() as w2:
        numba.njit(cache=False)(lambda x: x * 2)(3)
    assert w2.count == 1 and len(w2.records) == 1


def test_seeding_takes_the_numpy_path_whenever_lloyd_does(monkeypatch):
    # scikit-learn's wine (178 x 13, k = 3): Lloyd's passes are small, and so must the
    # seeding be (its candidates made it compile 20 s on a fresh install before)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(178, 13))
    assert _nocompile.is_small(178, 3, 13)
    calls = []
    real = _nocompile.greedy_kmeanspp

    def spy(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(_nocompile, "greedy_kmeanspp", spy)
    res = optimeans.fit(X, 3, random_state=0)
    assert len(calls) == res.n_init  # every start seeded in NumPy


def test_cold_cache_preparing_then_warmup(tmp_path):
    """One temporary cache through a new user's steps (one test: each step relies on the last).

    1. a first run that compiles says "preparing...", the second does not;
    2. ``python -m optimeans.warmup`` compiles what it lists; a fresh process then finds every
       kernel of that method in the cache, and compiles for a method it did not warm up;
    3. ``optimeans warmup`` prints one line per step and the cache directory.
    """
    cache = tmp_path / "cache"
    # the kernels forced (OPTIMEANS_NUMPY_SMALL=0): Iris would otherwise compile nothing
    env = _env(cache, OPTIMEANS_NUMPY_SMALL="0")
    cmd = ["-m", "optimeans", "fit", "--dataset", "iris", "-k", "3", "--seed", "0"]
    cold = _run(cmd, env)
    assert "preparing..." in cold.stderr
    warm = _run(cmd, env)
    assert "preparing" not in warm.stderr
    assert _report(warm.stdout) == _report(cold.stdout)
    # the no-compile path prints the same report, and never "preparing"
    nocompile = _run(cmd, _env(tmp_path / "cache2"))
    assert "preparing" not in nocompile.stderr
    assert _report(nocompile.stdout) == _report(cold.stdout)

    # (Hartigan's kernels are compiled by now: the default fit of a small problem ends with its transfers)
    first = _run(["-m", "optimeans.warmup", "--dtypes", "float64", "--methods", "soft", "--json"], env)
    rows = json.loads(first.stdout)["steps"]
    assert [r["step"] for r in rows] == ["soft", "soft, parallel (more than 4096 rows)"]
    assert all(r["error"] is None for r in rows)
    assert rows[0]["compiled"] > 0  # soft k-means's own kernels were not in the cache yet
    again = _run(["-c", _COUNT, "float64", "soft"], env)
    assert int(again.stdout.split()[-1]) == 0  # other data, same kernels: all from the cache
    other = _run(["-c", _COUNT, "float64", "sgd"], env)
    assert int(other.stdout.split()[-1]) > 0  # not warmed up: compiles

    out = _run(["-m", "optimeans", "warmup", "--dtypes", "float64", "--methods", "gd"], env).stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("float64") and " gd " in lines[0] and " compiled " in lines[0]
    assert lines[-1].startswith("total") and str(cache) in lines[-1]
    bad = subprocess.run([sys.executable, "-m", "optimeans", "warmup", "--methods", "nope"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "no method 'nope'" in bad.stderr


def test_compare_warms_the_kernels_the_data_needs(monkeypatch):
    # rows of a large problem: the warmup run must compile the kernels, not take the NumPy path
    import importlib

    cmp = importlib.import_module("optimeans.compare")  # the module (the package exports the function)

    seen = []
    real_fit = cmp.fit

    def spy(X, k, **kw):
        seen.append((X.shape[0], _nocompile.SMALL_WORK))
        return real_fit(X, k, **kw)

    monkeypatch.setattr(cmp, "fit", spy)
    monkeypatch.setattr(_nocompile, "SMALL_WORK", 1000)
    X = np.random.default_rng(0).normal(size=(200, 3))
    cmp.compare(X, 3, methods=["lloyd"], max_iter=3)
    (n_warm, small_warm), (n_real, small_real) = seen
    assert n_warm < n_real == 200
    assert small_warm == 0 and small_real == 1000
