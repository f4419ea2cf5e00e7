"""Determinism: a seed gives bitwise the same result on 1 and 2 threads, in
another process (with another hash seed), and whatever the global NumPy state;
float32 results agree with float64 to a documented tolerance.

Tolerances (float32 input vs the same values in float64), documented in the
README's Guarantees section: the same partition on data without near-ties and
the objective to 1e-6 relative for every method except the approximate ones
(``_hostile.APPROXIMATE``: stochastic or soft updates), where float32 rounding
may change the path; for those, 1e-3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import optimeans

from _hostile import APPROXIMATE, METHODS, canonical, determinism_case, fingerprint

SEED = 2024


def _run(method, dtype=np.float64, **kw):
    X, k, opts = determinism_case(method)
    opts.update(kw)
    opts.setdefault("n_threads", 1)  # 2 threads only where threads are the subject
    return optimeans.fit(X.astype(dtype), k, method=method, random_state=opts.pop("random_state", SEED), **opts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", METHODS)
def test_one_and_two_threads_bitwise_equal(method, dtype):
    a = _run(method, dtype, n_threads=1)
    b = _run(method, dtype, n_threads=2)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.history.objective, b.history.objective)
    assert (a.n_iter, a.stop_reason) == (b.n_iter, b.stop_reason)
    assert fingerprint(a) == fingerprint(b)


_CHILD = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
import optimeans
from _hostile import determinism_case, fingerprint
out = {{}}
for method in {methods!r}:
    X, k, opts = determinism_case(method)
    r = optimeans.fit(X, k, method=method, random_state={seed}, n_threads={threads}, **opts)
    out[method] = fingerprint(r)
print(json.dumps(out))
"""


def _child(hashseed: str, threads: int) -> dict:
    src = str(Path(optimeans.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONHASHSEED"] = hashseed
    code = _CHILD.format(tests=str(Path(__file__).parent), methods=METHODS, seed=SEED, threads=threads)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_same_result_in_another_process():
    """Another interpreter, another hash seed (set and dict order), 2 threads there
    and 1 here: the same bits for every method."""
    here = {m: fingerprint(_run(m)) for m in METHODS}
    assert _child("4242", 2) == here


@pytest.mark.parametrize("method", METHODS)
def test_seed_is_recorded_and_global_numpy_state_is_neither_used_nor_changed(method):
    state = np.random.get_state()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = _run(method, random_state=None)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    np.random.seed(12345)  # a user seeding globally must not change the result
    np.random.random(17)
    try:
        b = _run(method, random_state=a.seed)  # the recorded seed repeats the run
    finally:
        np.random.set_state(state)
    assert isinstance(a.seed, int)
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("method", METHODS)
def test_float32_agrees_with_float64(method):
    X, k, opts = determinism_case(method)
    X32 = X.astype(np.float32)
    a = optimeans.fit(X32, k, method=method, random_state=SEED, n_threads=1, **opts)
    b = optimeans.fit(X32.astype(np.float64), k, method=method, random_state=SEED, n_threads=1, **opts)
    rel = 1e-3 if method in APPROXIMATE else 1e-6
    assert a.objective == pytest.approx(b.objective, rel=rel)
    if method not in APPROXIMATE:
        np.testing.assert_array_equal(canonical(a.labels), canonical(b.labels))
        spread = float(np.ptp(X, axis=0).max())
        np.testing.assert_allclose(a.centers, b.centers, rtol=0, atol=1e-5 * spread)
