"""optimeans.compare (library) and `optimeans compare` (CLI)."""

import json
import sys

import numpy as np
import pytest

import optimeans
from optimeans import solvers
from optimeans.cli import main
from optimeans.compare import DEFAULT_METHODS, Comparison
from optimeans.datasets import load
from optimeans.objective import objective

FAST = "lloyd,newton,gd,sgd,minibatch,soft"


@pytest.fixture(scope="module")
def iris():
    return load("iris")


@pytest.fixture(scope="module")
def cmp_iris(iris):
    return optimeans.compare(iris, 3, FAST, random_state=0, warmup=False)


def test_every_method_starts_from_the_same_centers(cmp_iris, iris):
    c0 = cmp_iris.centers_init
    assert c0.shape == (3, 4)
    # each result is exactly the run of fit from those centers with the same seed
    for name, res in cmp_iris.results.items():
        again = optimeans.fit(iris, 3, method=name, init=c0, random_state=0, n_threads=1,
                              **({"batch_size": 15} if name == "minibatch" else {}))
        np.testing.assert_array_equal(res.centers, again.centers)
    # the deterministic methods record the objective of those centers first
    e0 = objective(iris, c0)
    for name in ("lloyd", "newton", "gd", "soft"):
        assert cmp_iris.results[name].history.objective[0] == pytest.approx(e0, rel=1e-12), name


def test_table_rows_describe_the_results(cmp_iris):
    rows = cmp_iris.table()
    assert [r["method"] for r in rows] == FAST.split(",")
    for row in rows:
        res = cmp_iris.results[row["method"]]
        assert row["objective"] == res.objective
        assert row["n_iter"] == res.n_iter
        assert row["passes"] == res.history.passes[-1]
        assert row["seconds"] == res.history.seconds[-1]
        assert row["converged"] == res.converged
    # newton is lloyd: same objective, iterations and passes
    by = {r["method"]: r for r in rows}
    assert by["newton"]["objective"] == pytest.approx(by["lloyd"]["objective"], rel=1e-12)
    assert by["newton"]["passes"] == by["lloyd"]["passes"]
    assert by["gd"]["passes"] > by["lloyd"]["passes"]
    text = cmp_iris.format_table()
    for name in FAST.split(","):
        assert name in text
    assert cmp_iris.best_objective() <= min(r["objective"] for r in rows)


def test_to_dict_is_json_with_every_history(cmp_iris):
    doc = json.loads(json.dumps(cmp_iris.to_dict()))
    assert set(doc["history"]) == set(FAST.split(","))
    assert doc["history"]["soft"]["free_energy"]
    assert len(doc["rows"]) == 6 and doc["seed"] == 0


def test_unregistered_default_method_is_skipped_with_a_note(iris, monkeypatch):
    monkeypatch.delitem(solvers._REGISTRY, "hartigan", raising=False)
    c = optimeans.compare(iris, 3, "lloyd,hartigan", warmup=False)
    assert list(c.results) == ["lloyd"]
    assert "not registered" in c.skipped["hartigan"]
    assert "hartigan" in c.format_table() and "skipped" in c.format_table()


def test_hartigan_is_compared_when_registered(iris):
    if "hartigan" not in solvers._REGISTRY:
        pytest.skip("hartigan not merged in this branch")
    c = optimeans.compare(iris, 3, "lloyd,hartigan", random_state=0, warmup=False)
    assert c.results["hartigan"].objective <= c.results["lloyd"].objective + 1e-9


@pytest.mark.parametrize("methods, options, match", [
    ("lloyd,lloid", None, "unknown method"),
    ("", None, "empty"),
    ("auto", None, "auto"),
    ("lloyd", {"gd": {"step": 0.5}}, "not among the methods"),
])
def test_compare_errors(methods, options, match, iris):
    with pytest.raises(ValueError, match=match):
        optimeans.compare(iris, 3, methods, options=options, warmup=False)


def test_options_reach_their_method(iris):
    c = optimeans.compare(iris, 3, "gd", options={"gd": {"step": 0.25}}, warmup=False)
    assert c.results["gd"].options["step"] == 0.25


def test_plot_has_two_panels_and_one_curve_per_method(cmp_iris, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cmp.png"
    fig = cmp_iris.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.get_lines()) == 6
    assert fig.axes[0].get_xlabel() == "passes over the data"
    assert fig.axes[1].get_xlabel() == "seconds"
    assert not list(tmp_path.glob(".optimeans-*"))  # no temporary file left behind


# --- the command line --------------------------------------------------------------


def test_cli_table(capsys):
    assert main(["compare", "--dataset", "iris", "-k", "3", "--methods", "lloyd,newton,gd"]) == 0
    out = capsys.readouterr().out
    assert "same initial centers" in out
    for name in ("lloyd", "newton", "gd"):
        assert f"\n{name} " in out
    assert "best objective" in out


def test_cli_json_matches_the_library_call(capsys, iris):
    assert main(["compare", "--dataset", "iris", "-k", "3", "--methods", FAST, "--seed", "0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    lib = optimeans.compare(iris, 3, FAST, random_state=0, warmup=False)
    assert [r["method"] for r in doc["rows"]] == FAST.split(",")
    for row, ref in zip(doc["rows"], lib.table()):
        assert row["objective"] == pytest.approx(ref["objective"], rel=1e-12)
        assert row["n_iter"] == ref["n_iter"] and row["passes"] == ref["passes"]
    np.testing.assert_array_equal(np.array(doc["centers_init"]), lib.centers_init)
    assert doc["n_samples"] == 150


def test_cli_reads_a_file_like_the_dataset(tmp_path, capsys, iris):
    path = tmp_path / "iris.csv"
    np.savetxt(path, iris, delimiter=",", header="a,b,c,d", comments="")
    assert main(["compare", str(path), "-k", "3", "--methods", "lloyd,sgd", "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert main(["compare", "--dataset", "iris", "-k", "3", "--methods", "lloyd,sgd", "--json"]) == 0
    from_set = json.loads(capsys.readouterr().out)
    assert [r["objective"] for r in from_file["rows"]] == [r["objective"] for r in from_set["rows"]]


def test_cli_method_options_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "fig.png"
    argv = ["compare", "--dataset", "iris", "-k", "3", "--methods", "gd,minibatch",
            "-o", "gd.step=0.25", "-o", "minibatch.batch_size=10", "--plot", str(png), "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plot"] == str(png) and png.stat().st_size > 1000
    # minibatch with 10-point batches on 150 points: 15 steps per epoch
    assert len(doc["history"]["minibatch"]["passes"]) >= 1


def test_cli_plot_without_matplotlib_gives_the_install_hint(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    rc = main(["compare", "--dataset", "iris", "-k", "3", "--methods", "lloyd", "--plot", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert rc == 2
    assert 'pip install "optimeans[plot]"' in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv, match", [
    (["--methods", "lloyd,nope"], "unknown method"),
    (["-o", "step=0.5"], "METHOD.KEY=VALUE"),
    (["-o", "gd.step=0.5", "--methods", "lloyd"], "not among the methods"),
    (["-o", "gd.step=-1", "--methods", "gd"], "step"),
])
def test_cli_errors_are_one_line_exit_2(argv, match, capsys):
    rc = main(["compare", "--dataset", "iris", "-k", "3", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert match in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_needs_data(capsys):
    assert main(["compare", "-k", "3"]) == 2
    assert "--dataset" in capsys.readouterr().err


def test_default_methods_cover_the_issue():
    assert set(DEFAULT_METHODS) == {"lloyd", "newton", "gd", "sgd", "minibatch", "soft", "annealing", "hartigan"}
    assert isinstance(optimeans.compare, type(test_default_methods_cover_the_issue))
    assert Comparison.__name__ == "Comparison"


def test_plot_without_matplotlib_raises_the_install_hint(cmp_iris, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "optimeans\[plot\]"'):
        cmp_iris.plot()
