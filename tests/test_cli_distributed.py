"""``optimeans fit`` on dask input: several files, out of core, a local cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import optimeans  # noqa: E402
from optimeans import distributed as od  # noqa: E402
from optimeans.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_dask")
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.standard_normal((600, 3)) + 6 * m for m in np.eye(3)])
    X = X[rng.permutation(len(X))]
    files = []
    for i, part in enumerate(np.array_split(X, 3)):
        path = root / f"part{i}.parquet"
        pq.write_table(pa.table({"a": part[:, 0], "b": part[:, 1], "c": part[:, 2], "tag": ["t"] * len(part)}), path)
        files.append(str(path))
    np.save(root / "x.npy", X)
    return root, X, files


def _json(capsys):
    out = capsys.readouterr().out
    return json.loads(out)


def test_expanded_glob_of_parquet_files_equals_library(data, capsys):
    root, X, files = data
    code = main(["fit", *files, "--columns", "a,b,c", "-k", "3", "--seed", "0", "--json", "-q"])
    assert code == 0
    summary = _json(capsys)
    lib = optimeans.fit(od.read(files, columns="a,b,c"), 3, random_state=0)
    assert summary["objective"] == pytest.approx(lib.objective, rel=1e-12)
    assert summary["n_samples"] == len(X) and summary["n_features"] == 3
    assert summary["feature_names"] == ["a", "b", "c"]
    assert sorted(summary["cluster_sizes"]) == [600, 600, 600]
    assert summary["scheduler"] == "threads"


def test_unexpanded_glob_and_positions(data, capsys):
    root, X, files = data
    code = main(["fit", str(root / "part*.parquet"), "--columns", "1-3", "-k", "3", "--seed", "0", "--json", "-q"])
    assert code == 0
    assert _json(capsys)["feature_names"] == ["a", "b", "c"]


def test_out_of_core_npy_writes_results(data, tmp_path, capsys):
    root, X, _ = data
    out = tmp_path / "res"
    code = main(["fit", str(root / "x.npy"), "-k", "3", "--seed", "1", "--out-of-core", "--block-rows", "500", "--out", str(out)])
    # blocks are whole multiples of 4096 rows (the kernel's chunks): 1800 rows are one block
    assert code == 0
    report = capsys.readouterr().out
    assert "1 block on threads" in report and "objective" in report
    doc_persisted = json.loads((out / "result.json").read_text())
    assert doc_persisted["n_blocks"] == 1
    labels = np.load(out / "labels.npy")
    centers = np.loadtxt(out / "centers.csv", delimiter=",", skiprows=1)
    doc = json.loads((out / "result.json").read_text())
    assert labels.shape == (len(X),)
    expected = np.argmin(((X[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    assert (labels == expected).mean() == 1.0
    assert doc["objective"] == pytest.approx(optimeans.objective(X, centers), rel=1e-9)
    assert not list(out.glob(".*tmp"))


def test_local_cluster_run(data, capsys):
    root, X, files = data
    code = main(["fit", *files, "--columns", "a,b,c", "-k", "3", "--seed", "0", "--local-cluster", "1", "--json", "-q"])
    assert code == 0
    summary = _json(capsys)
    assert summary["scheduler"] == "local-cluster"
    assert sorted(summary["cluster_sizes"]) == [600, 600, 600]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--scale", "standard"], "--scale is not available with dask input"),
        (["--save", "m.npz"], "--save is not available"),
        (["--columns", "a,zz"], "no column.*'zz'"),
        (["--dashboard"], "--dashboard goes with --local-cluster"),
    ],
)
def test_errors_are_one_line(data, capsys, extra, message):
    import re

    _, _, files = data
    code = main(["fit", *files, "-k", "3", "-q", *extra])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("optimeans: error:")
    assert re.search(message, err[-1])


def test_dataset_with_cluster_option_is_refused(capsys):
    code = main(["fit", "--dataset", "iris", "-k", "3", "--out-of-core"])
    assert code == 2
    assert "need data FILEs" in capsys.readouterr().err
