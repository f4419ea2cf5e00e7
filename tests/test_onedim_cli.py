"""`optimeans fit` on one-dimensional data: method auto picks the exact dynamic
program and says the answer is proven optimal."""

import json

import numpy as np
import pytest

from optimeans import cli
from optimeans.exact import kmeans_1d


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def one_column_csv(tmp_path):
    rng = np.random.default_rng(4)
    # three groups whose best split Lloyd from a poor start can miss
    x = np.concatenate([rng.normal(0, 1, 40), rng.normal(6, 0.5, 25), rng.normal(7.5, 0.5, 25), [30.0]])
    path = tmp_path / "one.csv"
    path.write_text("value\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    return path, x


def test_auto_uses_exact_and_reports_proof_in_json(capsys, one_column_csv):
    path, x = one_column_csv
    code, out, err = run(capsys, "fit", path, "-k", 4, "--json", "--quiet")
    assert code == 0 and err == ""
    s = json.loads(out)
    ref = kmeans_1d(x, 4)
    assert s["method"] == "exact"
    assert s["stop_reason"] == "optimal"
    assert s["proven_optimal"] is True
    assert s["n_init"] == 1  # an exact solver is not restarted
    assert s["objective"] == pytest.approx(ref.objective, rel=1e-12)
    assert s["cluster_sizes"] == np.bincount(ref.labels, minlength=4).tolist()


def test_auto_human_report_says_proven_optimal(capsys, one_column_csv):
    path, x = one_column_csv
    code, out, err = run(capsys, "fit", path, "-k", 3, "--method", "auto", "--seed", 0)
    assert code == 0
    assert "(method exact)" in out
    assert "proven globally optimal" in out
    assert f"{kmeans_1d(x, 3).objective:.10g}" in out


def test_lloyd_on_one_column_is_not_claimed_optimal(capsys, one_column_csv):
    path, _ = one_column_csv
    code, out, err = run(capsys, "fit", path, "-k", 3, "--method", "lloyd", "--seed", 0, "--json", "--quiet")
    assert code == 0
    s = json.loads(out)
    assert s["method"] == "lloyd+swap+hartigan" and not s.get("proven_optimal", False)
