"""Issue 17: data in, data out on the command line, never silently wrong.

One test (or a few) per numbered case of the issue, named after it; case 6
(the estimator's scikit-learn parity) is tested with the estimator. The
corpus of files (tests/test_io_corpus.py) covers the same ground file by file.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import optimeans
from optimeans import cli

SKLEARN_DATA = Path(__file__).parent / "data" / "io"
SRC = str(Path(optimeans.__file__).resolve().parents[1])


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, out, err, regex):
    import re

    assert code == 2, err
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.search(regex, lines[0]), lines[0]


# -- case 1: rows wider than the first are refused -----------------------------------


def test_issue17_case1_ragged_rows_refused(tmp_path, capsys):
    r = tmp_path / "r.csv"
    r.write_text("a,b\n1,2\n4,5,60\n7,8\n")
    one_line_error(*run(capsys, "fit", r, "-k", 2, "-q"), r"r\.csv: line 3 has 3 field\(s\), expected 2")
    # selecting columns does not hide a wider row
    one_line_error(*run(capsys, "fit", r, "-k", 2, "-q", "--columns", "a"), r"line 3 has 3 field\(s\), expected 2")


def test_issue17_case1_sklearn_files_refused_or_read_whole(capsys):
    wine = SKLEARN_DATA / "sklearn_wine_data.csv"
    one_line_error(*run(capsys, "fit", wine, "-k", 3, "-q"), r"line 1 has 5: .*--skip-rows 1")
    code, out, err = run(capsys, "fit", wine, "-k", 3, "-q", "--json", "--skip-rows", 1, "--columns", "1-13",
                         "--seed", 0)
    assert code == 0, err
    s = json.loads(out)
    assert (s["n_samples"], s["n_features"]) == (178, 13)
    cancer = SKLEARN_DATA / "sklearn_breast_cancer.csv"
    one_line_error(*run(capsys, "fit", cancer, "-k", 2, "-q"), r"line 1 has 4: .*--skip-rows 1")


# -- case 2: numeric-looking header names ----------------------------------------------

Y_CSV = "country,2019,2020,2021\nA,1.1,1.2,1.3\nB,2.1,2.2,2.3\nC,1.0,1.1,1.2\nD,2.0,2.1,2.2\n"


def test_issue17_case2_numeric_header_detected_and_hint_uses_positions(tmp_path, capsys):
    y = tmp_path / "y.csv"
    y.write_text(Y_CSV)
    # the hint names positions (names of digits would read as positions) and never the header as data
    one_line_error(*run(capsys, "fit", y, "-k", 2, "-q"),
                   r"non-numeric column 1 \('country'\) \(line 2: 'A'\); select numeric columns, e.g. --columns 2,3,4")
    code, out, err = run(capsys, "fit", y, "-k", 2, "--columns", "2-4", "--seed", 0, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["n_samples"] == 4 and s["feature_names"] == ["2019", "2020", "2021"]
    assert "line 1 taken as the header although some names look like numbers (2019, 2020, 2021)" in err
    # the centers are the data's, not (2019, 2020, 2021)
    code, out, _ = run(capsys, "fit", y, "-k", 2, "--columns", "2019,2021", "--seed", 0, "-q", "--out",
                       tmp_path / "res.json")
    doc = json.loads((tmp_path / "res.json").read_text())
    assert np.max(doc["centers"]) < 3
    # forcing --header no makes the first row data, and says so by refusing the text
    code, out, err = run(capsys, "fit", y, "-k", 2, "-q", "--header", "no", "--columns", "2-4")
    assert code == 0 and json.loads(json.dumps(None)) is None


def test_issue17_case2_header_detection_rules():
    from optimeans._csv import detect_header

    rows = lambda text: [ln.split(",") for ln in text.strip().splitlines()]  # noqa: E731
    assert detect_header(rows(Y_CSV))
    assert detect_header(rows("x,1\n5,6\n"))  # a name above a number
    assert not detect_header(rows("1,2\n1.5,2.5\n3.2,1.1\n2.2,2.0\n"))  # %g-written data: 1 is within the column
    assert not detect_header(rows("1.5,2\n3.5,4\n"))
    assert detect_header(rows(",a,b\n0,1,2\n1,3,4\n"))
    assert not detect_header(rows("1.0,2.0,setosa\n3.0,4.0,virginica\n"))


# -- case 3: predict matches columns by name -------------------------------------------


@pytest.fixture
def wine_like(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal([12.0, 500.0, 1.0], [0.3, 20, 0.05], (10, 3)),
                   rng.normal([14.0, 1200.0, 0.6], [0.3, 20, 0.05], (10, 3))])
    train = tmp_path / "train.csv"
    train.write_text("alcohol,proline,hue\n" + "".join(f"{a},{p},{h}\n" for a, p, h in X))
    model = tmp_path / "model.npz"
    assert run(capsys, "fit", train, "-k", 2, "--seed", 0, "-q", "--save", model, "--scale", "standard")[0] == 0
    return X, train, model


def test_issue17_case3_predict_matches_columns_by_name(tmp_path, capsys, wine_like):
    X, train, model = wine_like
    code, out, err = run(capsys, "predict", "--model", model, train)
    assert code == 0, err
    expected = [int(v) for v in out.split()]
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("id,hue,alcohol,proline\n" + "".join(f"s{i},{h},{a},{p}\n" for i, (a, p, h) in enumerate(X)))
    code, out, err = run(capsys, "predict", "--model", model, shuffled)
    assert code == 0, err
    assert [int(v) for v in out.split()] == expected


def test_issue17_case3_predict_refuses_mismatched_names(tmp_path, capsys, wine_like):
    X, _, model = wine_like
    bad = tmp_path / "bad.csv"
    bad.write_text("hue,Alcohol,proline\n" + "".join(f"{h},{a},{p}\n" for a, p, h in X))
    one_line_error(*run(capsys, "predict", "--model", model, bad),
                   r"columns do not match the model's \(alcohol, proline, hue\): missing 'alcohol'; "
                   r"not in the model: 'Alcohol'; names are case-sensitive: the file has 'Alcohol' for 'alcohol'")
    # --columns that select other columns are refused, naming them
    one_line_error(*run(capsys, "predict", "--model", model, bad, "--columns", "1-3"),
                   r"missing 'alcohol'; selected: 'Alcohol'")


def test_issue17_case3_positions_only_when_neither_side_has_names(tmp_path, capsys, wine_like):
    X, _, model = wine_like
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(f"{a},{p},{h}\n" for a, p, h in X))
    one_line_error(*run(capsys, "predict", "--model", model, plain),
                   r"has no column names but the model was fitted on named columns \(alcohol, proline, hue\)")
    assert run(capsys, "predict", "--model", model, plain, "--columns", "1-3")[0] == 0
    model2 = tmp_path / "nameless.npz"
    assert run(capsys, "fit", plain, "-k", 2, "--seed", 0, "-q", "--save", model2)[0] == 0
    code, out, err = run(capsys, "predict", "--model", model2, plain)
    assert code == 0 and len(out.split()) == 20
    named = tmp_path / "named.csv"
    named.write_text("a,b,c\n" + "".join(f"{a},{p},{h}\n" for a, p, h in X))
    one_line_error(*run(capsys, "predict", "--model", model2, named),
                   r"has column names \(a, b, c\) but the model was fitted without names: choose its columns "
                   r"by position with --columns \(these are --columns 1-3\)")
    code, out2, err = run(capsys, "predict", "--model", model2, named, "--columns", "1-3")
    assert code == 0 and out2 == out


# -- case 4: a closed stdout pipe ------------------------------------------------------


def _pipe_to_head(argv: list[str], lines: int = 1) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = f"{sys.executable} -m optimeans {' '.join(argv)} | head -{lines}; echo \"status ${{PIPESTATUS[0]}}\" >&2"
    proc = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("argv", [
    ["fit", "--dataset", "iris", "-k", "3", "-q", "--json", "--seed", "0"],
    ["choose-k", "--dataset", "iris", "-k", "1..2", "--refs", "2", "--bound", "none", "-q", "--json", "--seed", "0"],
], ids=["fit --json", "choose-k --json"])
def test_issue17_case4_sigpipe_quiet(argv):
    code, out, err = _pipe_to_head(argv)
    assert out == "{\n"
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert err.strip().splitlines()[-1] in ("status 141", "status 0")  # 0: all written before head closed


def test_issue17_case4_sigpipe_long_output_quiet(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "many.npy"
    np.save(data, rng.random((200_000, 2)))
    model = tmp_path / "m.npz"
    km = optimeans.KMeans(3, random_state=0, n_threads=1).fit(np.load(data)[:100])
    km.save(model)
    code, out, err = _pipe_to_head(["predict", "--model", str(model), str(data)], lines=3)
    assert len(out.splitlines()) == 3
    assert "Traceback" not in err and "Exception ignored" not in err
    # 141 when the closed pipe shows in a write; 0 when the last write was cut short (a partial write
    # into a pipe whose reader left reports the bytes written, not the error)
    assert err.strip().splitlines()[-1] in ("status 141", "status 0")


def test_issue17_case4_broken_pipe_in_process(monkeypatch, capsys):
    from optimeans.cli import fit as fit_cmd

    def closed(*a, **k):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(fit_cmd, "print_json", closed)
    code = cli.main(["fit", "--dataset", "iris", "-k", "2", "-q", "--json", "--seed", "0"])
    assert code == 141
    assert "Traceback" not in capsys.readouterr().err


# -- case 5: --out checked before the fit ----------------------------------------------


def _no_fit(monkeypatch):
    from optimeans.cli import fit as fit_cmd

    def fail(*a, **k):
        raise AssertionError("the fit ran before the output was checked")

    monkeypatch.setattr(fit_cmd, "fit_table", fail)


def test_issue17_case5_out_is_not_the_input(tmp_path, capsys, monkeypatch):
    _no_fit(monkeypatch)
    w = tmp_path / "w.csv"
    w.write_text("x,y\n1,2\n3,4\n5,6\n")
    before = w.read_bytes()
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", w), r"--out .*w\.csv: is the input file")
    os.symlink(w, tmp_path / "link.csv")
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", tmp_path / "link.csv"), r"is the input file")
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--save", w), r"--save .*: is the input file")
    one_line_error(*run(capsys, "predict", "--model", tmp_path / "m.npz", w, "--out", w), r"is the input file")
    assert w.read_bytes() == before


def test_issue17_case5_unwritable_out_reported_before_the_fit(tmp_path, capsys, monkeypatch):
    _no_fit(monkeypatch)
    w = tmp_path / "w.csv"
    w.write_text("x,y\n1,2\n3,4\n5,6\n")
    blocker = tmp_path / "afile"
    blocker.write_text("")
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", blocker / "sub" / "rows.csv"),
                   r"--out .*afile/sub/rows\.csv: cannot be created, .*afile is not a directory")
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", ro / "rows.csv"),
                           r"--out .*ro/rows\.csv: cannot write in")
        finally:
            ro.chmod(0o755)
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", tmp_path / "x.weird"),
                   r"'\.weird' is not an output this command writes")
    d = tmp_path / "adir.csv"
    d.mkdir()
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--save", d), r"--save .*adir\.csv: is a directory")
    one_line_error(*run(capsys, "fit", w, "-k", 2, "-q", "--out", tmp_path / "a.csv", "--save", tmp_path / "a.csv"),
                   r"--out and --save name the same file")


def test_issue17_case5_out_json_is_a_file_and_messages_name_the_users_path(tmp_path, capsys, monkeypatch):
    w = tmp_path / "w.csv"
    w.write_text("x,y\n1,2\n3,4\n50,60\n")
    out = tmp_path / "x.json"
    code, stdout, err = run(capsys, "fit", w, "-k", 2, "-q", "--seed", 0, "--out", out)
    assert code == 0, err
    assert out.is_file()
    doc = json.loads(out.read_text())
    assert doc["n_samples"] == 3 and len(doc["centers"]) == 2
    # a failure while writing names the destination, not the temporary .part file
    from optimeans import _io

    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(_io.os, "replace", failing_replace)
    code, stdout, err = run(capsys, "fit", w, "-k", 2, "-q", "--seed", 0, "--out", tmp_path / "rows.csv")
    one_line_error(code, stdout, err, r"Permission denied: '.*rows\.csv'")
    assert ".part" not in err
    assert not list(tmp_path.glob(".*part"))


# -- case 7: the smaller ones ----------------------------------------------------------


def test_issue17_case7_pandas_index_column_left_out(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"x": [0.1, 0.2, 10.0, 10.1], "y": [0.0, 0.1, 5.0, 5.2]})
    p = tmp_path / "frame.csv"
    df.to_csv(p)
    code, out, err = run(capsys, "fit", p, "-k", 2, "--seed", 0, "--json")
    assert code == 0, err
    assert json.loads(out)["feature_names"] == ["x", "y"]
    assert "an index (the row numbers pandas and R write); left out" in err


def test_issue17_case7_gzip_latin1_comments_decimal_comma(tmp_path, capsys):
    import gzip

    text = "# a comment\nx,y\n0,0\n0.1,0\n5,5\n5.1,5\n"
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    code, out, err = run(capsys, "fit", gz, "-k", 2, "--seed", 0, "-q", "--json")
    assert code == 0 and json.loads(out)["n_samples"] == 4, err
    lat = tmp_path / "l.csv"
    lat.write_bytes("é,y\n0,0\n0.1,0\n5,5\n".encode("latin-1"))
    one_line_error(*run(capsys, "fit", lat, "-k", 2, "-q"), r"not a UTF-8 text file .*pass --encoding latin-1")
    code, out, err = run(capsys, "fit", lat, "-k", 2, "-q", "--json", "--encoding", "latin-1", "--seed", 0)
    assert code == 0 and json.loads(out)["feature_names"] == ["é", "y"], err
    eu = tmp_path / "eu.csv"
    eu.write_text("x;y\n0,5;1,5\n0,6;1,5\n9,5;8,25\n")
    one_line_error(*run(capsys, "fit", eu, "-k", 2, "-q"), r"has a decimal comma; pass --decimal ,")
    code, out, err = run(capsys, "fit", eu, "-k", 2, "-q", "--json", "--decimal", ",", "--seed", 0,
                         "--out", tmp_path / "res.json")
    assert code == 0, err
    centers = sorted(json.loads((tmp_path / "res.json").read_text())["centers"])
    np.testing.assert_allclose(centers, [[0.55, 1.5], [9.5, 8.25]], rtol=1e-12)


def test_issue17_case7_figures_and_outputs_get_umask_mode(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    old = os.umask(0o022)
    try:
        fig = tmp_path / "compare.png"
        assert run(capsys, "compare", "--dataset", "iris", "-k", 2, "--methods", "lloyd", "--max-iter", 5,
                   "--plot", fig)[0] == 0
        assert stat.S_IMODE(fig.stat().st_mode) == 0o644
        out = tmp_path / "res"
        assert run(capsys, "fit", "--dataset", "iris", "-k", 2, "-q", "--out", out)[0] == 0
        assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}
    finally:
        os.umask(old)


def test_issue17_case7_scale_in_choose_k_plot_compare(tmp_path, capsys):
    X = np.column_stack([np.r_[np.zeros(10), np.ones(10)] + np.linspace(0, 0.01, 20), np.linspace(0, 1000, 20)])
    p = tmp_path / "d.csv"
    p.write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in X))
    code, out, err = run(capsys, "choose-k", p, "-k", "1..3", "--refs", 3, "--bound", "none", "--seed", 0, "--json")
    assert code == 0 and "consider choose-k --scale standard" in err
    code, out, err = run(capsys, "choose-k", p, "-k", "1..3", "--refs", 3, "--bound", "none", "--seed", 0, "--json",
                         "--scale", "standard", "-q")
    doc = json.loads(out)
    assert doc["scale"] == "standard" and err == ""
    Z = (X - X.mean(0)) / X.std(0)
    from optimeans.choose_k import choose_k

    ref = choose_k(Z, [1, 2, 3], n_refs=3, random_state=0, lower_bound=False)
    assert doc["recommended"] == ref.recommended
    code, out, err = run(capsys, "compare", p, "-k", 2, "--methods", "lloyd", "--scale", "minmax", "--json",
                         "--max-iter", 20)
    assert code == 0 and json.loads(out)["scale"] == "minmax"
    M = (X - X.min(0)) / (X.max(0) - X.min(0))
    assert json.loads(out)["rows"][0]["objective"] <= optimeans.fit(M, 2, random_state=0).objective * (1 + 1e-9) + 2
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "plot", p, "-k", 2, "--scale", "standard", "--seed", 0, "--plot", tmp_path / "a.png",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["objective"] == pytest.approx(optimeans.fit(Z, 2, random_state=0).objective, rel=1e-9)


def test_issue17_case7_option_names_the_same_everywhere(tmp_path, capsys):
    from optimeans.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ("fit", "plot", "compare", "landscape", "choose-k"):
        flags = {s for a in sub.choices[name]._actions for s in a.option_strings}
        assert {"-k", "--k", "--n-clusters"} <= flags, name
        if "-o" in flags:  # -o is a solver option wherever it exists
            assert "--option" in flags, name
    for name in ("fit", "plot", "choose-k", "landscape", "compare"):
        flags = {s for a in sub.choices[name]._actions for s in a.option_strings}
        assert {"--plot", "--plot-size"} <= flags, name
    for name in ("choose-k", "plot", "compare"):
        flags = {s for a in sub.choices[name]._actions for s in a.option_strings}
        assert "--scale" in flags, name
    pytest.importorskip("matplotlib")
    # the old spelling of plot's image still works, with a note
    code, out, err = run(capsys, "plot", "--dataset", "iris", "-k", 2, "-o", tmp_path / "old.png", "--seed", 0)
    assert code == 0 and (tmp_path / "old.png").exists() and "deprecated" in err
    code, out, err = run(capsys, "plot", "--dataset", "iris", "--k", 2, "-o", "max_iter=5", "--plot",
                         tmp_path / "new.png", "--plot-size", "400x300", "--seed", 0)
    assert code == 0 and (tmp_path / "new.png").exists(), err


def test_issue17_case7_one_sample_singular(tmp_path, capsys):
    p = tmp_path / "one.csv"
    p.write_text("1.5,2.5\n")
    code, out, err = run(capsys, "fit", p, "-k", 1, "-q")
    assert code == 0, err
    assert "1 sample x 2 features -> 1 cluster " in out


def test_issue17_case3_position_hint_skips_an_index_column(tmp_path, capsys, wine_like):
    # a pandas to_csv() file: the index column is left out, so the model's
    # columns are the file's 2nd to 4th, and the hint must say so
    X, _, _ = wine_like
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(f"{a},{p},{h}\n" for a, p, h in X))
    model = tmp_path / "nameless.npz"
    assert run(capsys, "fit", plain, "-k", 2, "--seed", 0, "-q", "--save", model)[0] == 0
    code, expected, _ = run(capsys, "predict", "--model", model, plain)
    indexed = tmp_path / "indexed.csv"
    indexed.write_text(",a,b,c\n" + "".join(f"{i},{a},{p},{h}\n" for i, (a, p, h) in enumerate(X)))
    code, out, err = run(capsys, "predict", "--model", model, indexed)
    # the reader's note on the index column, then the one error line
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith("(these are --columns 2-4)")
    code, out, _ = run(capsys, "predict", "--model", model, indexed, "--columns", "2-4")
    assert code == 0 and out == expected
