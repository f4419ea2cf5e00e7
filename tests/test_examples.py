"""Every tutorial in examples/ runs as it stands (at small sizes) and says what it should."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytest.importorskip("matplotlib")

# script -> (small-size arguments, lines the output must contain, figures written)
CASES = {
    "lloyd_vs_gradient_descent.py": (
        ["--n", "2000", "--k", "4"],
        ["Newton's method with the exact Hessian lands on Lloyd's centers: True"],
        ["lloyd_vs_gradient_descent.png"],
    ),
    "gaussian_mixture_limit.py": (
        ["--n", "600", "--k", "4", "--restarts", "4"],
        ["soft centers land on Lloyd's", "GaussianMixture (spherical", "deterministic annealing: objective"],
        ["gaussian_mixture_limit.png"],
    ),
    "local_vs_global_minima.py": (
        ["--n", "7", "--k", "3", "--starts", "8", "--blobs", "400", "--blob-k", "8"],
        ["7 points, k = 3: 301 partitions", "hartigan  from 8 random starts",
         "every end point of Lloyd is one of the enumerated fixed points: True",
         "within", "proven optimal: True", "global search"],
        ["local_vs_global_minima.png"],
    ),
    "scaling_out.py": (
        ["--n", "20000", "--k", "4", "--workers", "2"],
        ["same labels in memory and on the cluster: True"],
        ["scaling_out.png"],
    ),
    "choosing_k.py": (
        ["--kmax", "6", "--refs", "3"],
        ["five Gaussian blobs in 3-D", "recommended k = 5 (gap statistic", "iris (150 flowers"],
        ["choosing_k_iris.png"],
    ),
}

NEEDS = {"scaling_out.py": ["dask", "distributed"]}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script, tmp_path):
    for mod in NEEDS.get(script, []):
        pytest.importorskip(mod, reason=f"{script} needs {mod} (pip install 'optimeans[dask]')")
    args, expected, figures = CASES[script]
    env = dict(os.environ)
    src = ROOT / "src"
    if src.is_dir():  # a source checkout: run against it, installed or not
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args, "--out", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for line in expected:
        assert line in proc.stdout, f"{line!r} not in output:\n{proc.stdout}"
    for fig in figures:
        data = (tmp_path / fig).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
