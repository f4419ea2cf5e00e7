"""The command line, driven in-process and compared with the library call."""

import json
import os

import numpy as np
import pytest

import optimeans
from optimeans import cli
from optimeans.datasets import feature_names, load

IRIS = load("iris")
NAMES = feature_names("iris")


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_iris_csv(path, *, header=True, delimiter=",", species=True):
    species_names = ["setosa"] * 50 + ["versicolor"] * 50 + ["virginica"] * 50
    with open(path, "w") as f:
        if header:
            f.write(delimiter.join(["id", *NAMES] + (["species"] if species else [])) + "\n")
        for i, row in enumerate(IRIS):
            fields = [str(i + 1), *(repr(float(v)) for v in row)] + ([species_names[i]] if species else [])
            f.write(delimiter.join(fields) + "\n")
    return path


def test_json_summary_matches_library_call(capsys):
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "--json", "--quiet")
    assert code == 0
    assert err == ""
    s = json.loads(out)
    r = optimeans.fit(IRIS, 3, random_state=0)
    for key in ("objective", "n_iter", "converged", "stop_reason", "method", "seconds", "n_clusters", "n_samples"):
        assert key in s
    assert s["objective"] == r.objective
    assert s["n_iter"] == r.n_iter
    assert s["stop_reason"] == r.stop_reason
    assert s["converged"] == r.converged
    assert s["method"] == r.method == "lloyd+swap+hartigan"
    assert s["n_clusters"] == 3 and s["n_samples"] == 150
    assert s["cluster_sizes"] == np.bincount(r.labels, minlength=3).tolist()
    assert s["seed"] == 0 and s["seconds"] >= 0


def test_human_report(capsys):
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 1)
    r = optimeans.fit(IRIS, 3, random_state=1)
    assert code == 0
    sizes = np.bincount(r.labels)
    for j, size in enumerate(sizes):
        assert f"        {j}    {size}" in out
    assert f"{r.objective:.10g}" in out
    why = {"tol": "the objective decreased by less than tol", "labels_unchanged": "no point changed cluster"}
    assert f"iterations   {r.n_iter}; converged: {why[r.stop_reason]}" in out
    assert "rerun with --seed 1" in out
    assert "time" in out and " s\n" in out + "\n"
    assert "sepal_length" in out  # centers shown with the feature names


def test_options_reach_the_library(capsys):
    code, out, _ = run(
        capsys, "fit", "--dataset", "ruspini", "-k", 4, "--seed", 5, "--init", "random", "--n-init", 2,
        "--max-iter", 2, "--tol", 0, "--threads", 1, "--method", "lloyd", "--json",
    )
    s = json.loads(out)
    r = optimeans.fit(load("ruspini"), 4, init="random", n_init=2, max_iter=2, tol=0.0, random_state=5, n_threads=1)
    assert s["objective"] == r.objective
    assert s["n_iter"] == r.n_iter <= 2
    assert s["n_init"] == 2


@pytest.mark.parametrize("word", ["none", "None", "NONE", "null"])
def test_option_none_is_the_librarys_none(capsys, word):
    # the library's message says "or None": the command line takes that word (and JSON's null)
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "-o", f"refine={word}", "--json")
    assert code == 0, err
    s = json.loads(out)
    r = optimeans.fit(IRIS, 3, random_state=0, refine=None)
    assert s["method"] == r.method == "lloyd"
    assert s["objective"] == r.objective
    assert cli._input.parse_options([f"refine={word}", "tol=0.5", "init=k-means++"]) == {
        "refine": None, "tol": 0.5, "init": "k-means++"}


def test_csv_with_header_columns_and_out_dir(tmp_path, capsys):
    data = write_iris_csv(tmp_path / "iris.csv")
    out_dir = tmp_path / "res"
    code, out, err = run(
        capsys, "fit", data, "-k", 3, "--columns", ",".join(NAMES), "--seed", 2, "--out", out_dir, "--json", "-q"
    )
    assert code == 0, err
    r = optimeans.fit(IRIS, 3, random_state=2)
    labels = np.loadtxt(out_dir / "labels.csv", skiprows=1, dtype=np.int64)
    np.testing.assert_array_equal(labels, r.labels)
    with open(out_dir / "centers.csv") as f:
        assert f.readline().strip() == ",".join(NAMES)
    centers = np.loadtxt(out_dir / "centers.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(centers, r.centers)  # written with round-trip precision
    doc = json.loads((out_dir / "result.json").read_text())
    assert doc["objective"] == r.objective
    assert doc["parameters"]["n_clusters"] == 3
    assert len(doc["history"]["objective"]) == len(r.history)
    assert sorted(os.listdir(out_dir)) == ["centers.csv", "labels.csv", "result.json"]
    # positions select the same columns
    code, out2, _ = run(capsys, "fit", data, "-k", 3, "--columns", "2-5", "--seed", 2, "--json", "-q")
    assert json.loads(out2)["objective"] == r.objective


def test_tsv_without_header_and_whitespace(tmp_path, capsys):
    tsv = tmp_path / "x.tsv"
    np.savetxt(tsv, IRIS, delimiter="\t")
    txt = tmp_path / "x.txt"
    np.savetxt(txt, IRIS, delimiter="   ")
    r = optimeans.fit(IRIS, 3, random_state=3)
    for path in (tsv, txt):
        code, out, err = run(capsys, "fit", path, "-k", 3, "--seed", 3, "--json")
        assert code == 0, err
        assert json.loads(out)["objective"] == pytest.approx(r.objective, rel=1e-15)


def test_npy_and_float32(tmp_path, capsys):
    p = tmp_path / "x.npy"
    np.save(p, IRIS.astype(np.float32))
    code, out, _ = run(capsys, "fit", p, "-k", 3, "--seed", 4, "--json")
    r = optimeans.fit(IRIS.astype(np.float32), 3, random_state=4)
    assert code == 0
    assert json.loads(out)["objective"] == r.objective


def test_parquet_in_and_labels_column_out(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    cols = {n: IRIS[:, j] for j, n in enumerate(NAMES)}
    cols["species"] = ["s"] * 150
    src = tmp_path / "iris.parquet"
    pq.write_table(pa.table(cols), src)
    code, _, err = run(capsys, "fit", src, "-k", 3)
    assert code == 2
    assert "non-numeric column(s) 'species'" in err and str(src) in err
    out = tmp_path / "labelled.parquet"
    code, _, err = run(capsys, "fit", src, "-k", 3, "--columns", ",".join(NAMES), "--seed", 0, "--out", out, "-q")
    assert code == 0, err
    t = pq.read_table(out)
    assert t.column_names == [*NAMES, "species", "label"]
    np.testing.assert_array_equal(t.column("label").to_numpy(), optimeans.fit(IRIS, 3, random_state=0).labels)
    assert t.column("species").to_pylist() == ["s"] * 150


def test_labels_beside_csv_rows(tmp_path, capsys):
    data = write_iris_csv(tmp_path / "iris.csv")
    out = tmp_path / "with_labels.csv"
    code, _, err = run(capsys, "fit", data, "-k", 3, "--columns", ",".join(NAMES), "--seed", 0, "--out", out, "-q")
    assert code == 0, err
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(["id", *NAMES, "species", "label"])
    labels = optimeans.fit(IRIS, 3, random_state=0).labels
    assert len(lines) == 151
    assert lines[1].startswith("1,5.1,3.5,1.4,0.2,setosa,")
    assert [int(ln.rsplit(",", 1)[1]) for ln in lines[1:]] == labels.tolist()


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b\n1,2\n3,abc\n", r"line 3, column 2 \('b'\): 'abc' is not a number"),
        ("a,b\n1,2\n3,\n", r"line 3, column 2 \('b'\): empty value"),
        ("a,b\n1,2\n3,nan\n5,6\n", r"line 3, column 2 \('b'\): NaN"),
        ("1,2\n\n3,inf\n", r"line 3, column 2: inf"),
        ("a,b\n1,2\n3\n", r"line 3 has 1 field\(s\), expected 2"),
        ("name,b\nx,2\ny,4\n", r"non-numeric column 1 \('name'\) \(line 2: 'x'\); select numeric columns, e.g. --columns b"),
        ("", r"the file is empty"),
        ("a,b\n", r"no data rows \(only a header\)"),
    ],
)
def test_bad_files_one_line_exit_2_no_output(tmp_path, capsys, content, message):
    import re

    p = tmp_path / "bad.csv"
    p.write_text(content)
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "fit", p, "-k", 1, "--out", out_dir)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"optimeans: error: {p}: ")
    assert re.search(message, err), err
    assert not out_dir.exists()


def test_bad_arguments(tmp_path, capsys):
    code, _, err = run(capsys, "fit", "--dataset", "iris", "-k", 0)
    assert code == 2 and "n_clusters must be >= 1" in err
    code, _, err = run(capsys, "fit", "--dataset", "iris", "-k", 151)
    assert code == 2 and "n_clusters=151 is larger than the number of samples" in err
    code, _, err = run(capsys, "fit", "-k", 2)
    assert code == 2 and "give a data FILE or --dataset NAME" in err
    code, _, err = run(capsys, "fit", "--dataset", "nope", "-k", 2)
    assert code == 2 and "unknown data set 'nope'" in err
    code, _, err = run(capsys, "fit", tmp_path / "missing.csv", "-k", 2)
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "fit", "--dataset", "iris", "-k", 2, "--method", "nope")
    assert code == 2 and "unknown method 'nope'" in err
    code, _, err = run(capsys, "fit", "--dataset", "iris", "-k", 2, "--columns", "petal")
    assert code == 2 and "no column named 'petal'" in err
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    code, _, err = run(capsys, "fit", obj, "-k", 1)
    assert code == 2 and "holds Python objects" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["fit", "--dataset", "iris"])  # -k missing: argparse
    assert exc.value.code == 2


def test_init_from_file(tmp_path, capsys):
    init = tmp_path / "init.csv"
    C0 = IRIS[[0, 50, 100]]
    np.savetxt(init, C0, delimiter=",")
    code, out, _ = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--init", init, "--json")
    r = optimeans.fit(IRIS, 3, init=C0)
    assert code == 0 and json.loads(out)["objective"] == r.objective
    code, _, err = run(capsys, "fit", "--dataset", "iris", "-k", 4, "--init", init)
    assert code == 2 and "expected 4 x 4" in err


def test_interrupt_exits_130_and_keeps_previous_output(tmp_path, capsys, monkeypatch):
    from optimeans import _progress

    out_dir = tmp_path / "res"
    code, _, _ = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "--out", out_dir, "-q")
    assert code == 0
    before = {p: (out_dir / p).read_bytes() for p in os.listdir(out_dir)}

    original = _progress.Progress.__call__

    def interrupting(self, iteration, objective):
        original(self, iteration, objective)
        if iteration == 2:
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr(_progress.Progress, "__call__", interrupting)
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 9, "--init", "random", "--out", out_dir)
    assert code == 130
    assert out == ""
    assert "interrupted at restart 1/10, iteration 2/300, objective" in err
    assert "previous output left as it was" in err
    assert {p: (out_dir / p).read_bytes() for p in os.listdir(out_dir)} == before


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from optimeans import _io

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old")

    def boom(f):
        f.write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _io.write_files_atomically({a: "new", b: boom})
    assert a.read_text() == "old"
    assert not b.exists()
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]  # no temporary file left
    _io.write_files_atomically({a: "new", b: b"bytes"})
    assert a.read_text() == "new" and b.read_bytes() == b"bytes"


def test_quiet_and_progress(capsys, monkeypatch):
    from optimeans import _progress

    # a clock that advances 0.5 s per reading makes every run "long"
    ticks = iter(np.arange(0, 1e6, 0.5))
    monkeypatch.setattr(_progress, "_clock", lambda: float(next(ticks)))
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "--init", "random", "--json")
    assert code == 0
    json.loads(out)  # stdout holds only the JSON
    assert "optimeans fit: restart" in err and "iteration" in err
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "--init", "random", "-q")
    assert code == 0 and err == ""


def test_progress_line_behaviour():
    import io

    from optimeans._progress import Progress

    t = [0.0]
    buf = io.StringIO()
    p = Progress(2, 10, stream=buf, delay=1.0, log_every=5.0, clock=lambda: t[0])
    p(1, 10.0)
    assert buf.getvalue() == ""  # short runs print nothing
    t[0] = 1.5
    p(2, 9.0)
    assert buf.getvalue() == "fit: restart 1/2, iteration 2/10, objective 9 (1.5 s)\n"
    t[0] = 2.0
    p(1, 12.0)  # iteration number went back: the second restart
    assert buf.getvalue().count("\n") == 1  # rate-limited off a terminal
    assert p.position() == "restart 2/2, iteration 1/10, objective 12"
    t[0] = 7.0
    p(2, 8.0)
    assert buf.getvalue().endswith("restart 2/2, iteration 2/10, objective 8 (7.0 s)\n")

    class TTY(io.StringIO):
        def isatty(self):
            return True

    tty = TTY()
    q = Progress(1, None, stream=tty, delay=0.0, clock=lambda: t[0])
    q(3, 1.25)
    assert tty.getvalue() == "\r\x1b[2Kfit: iteration 3, objective 1.25 (0.0 s)"
    q.close()
    assert tty.getvalue().endswith("\r\x1b[2K")


def test_version_and_help_with_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"optimeans {optimeans.__version__}"
    for command in cli.COMMANDS:
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = capsys.readouterr().out
        assert "xample" in text and f"optimeans {command}" in text, command


def test_json_flag_on_every_command(capsys):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        assert any("--json" in a.option_strings for a in p._actions), name


def test_progress_says_preparing_only_while_compiling():
    import io
    import time

    import numba

    from optimeans._progress import Progress

    def compile_something():
        # a new function each call: Numba compiles it (no cache), which fires a compile event
        f = numba.njit(cache=False)(lambda x: x + 1)
        f(1)

    buf = io.StringIO()
    with Progress(1, stream=buf, delay=0.05):
        time.sleep(0.1)
        compile_something()  # compiling after the delay: the message appears at once
    assert buf.getvalue() == (
        "fit: preparing... (the first run after installation compiles the kernels once; later runs start at once)\n"
    )
    early = io.StringIO()
    with Progress(1, stream=early, delay=0.05):
        compile_something()  # compiling before the delay: the timer shows it
        deadline = time.monotonic() + 10
        while "preparing" not in early.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert early.getvalue().count("preparing") == 1
    slow = io.StringIO()
    with Progress(1, stream=slow, delay=0.05):
        time.sleep(0.3)  # a slow first iteration with nothing to compile: no message
    assert slow.getvalue() == ""
    quiet = io.StringIO()
    with Progress(1, stream=quiet, delay=0.0, enabled=False):
        compile_something()
        time.sleep(0.05)
    assert quiet.getvalue() == ""
    fast = io.StringIO()
    with Progress(1, stream=fast, delay=0.2) as p:
        p(1, 3.0)  # an iteration finished before the delay: no "preparing"
        compile_something()
    time.sleep(0.3)
    assert fast.getvalue() == ""
