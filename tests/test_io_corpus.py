"""The corpus of hostile and real data files (tests/data/io) through fit, predict and choose-k.

Each file gives either the right clusters (the expected partition, the
samples and features it holds, its column names) or one line on stderr and
exit status 2: never a traceback, never a partial or overwritten output, and
the input file is never changed. ``tests/data/io/make_corpus.py`` wrote the
files and ``cases.json``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from optimeans import cli

DATA = Path(__file__).parent / "data" / "io"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
OK = [c for c in CASES if "ok" in c]
BAD = [c for c in CASES if "error" in c]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def canonical(labels) -> list[int]:
    seen: dict[int, int] = {}
    return [seen.setdefault(int(v), len(seen)) for v in labels]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(code, out, err, regex):
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("optimeans: error: ")
    assert re.search(regex, lines[0]), lines[0]


def test_corpus_is_large_enough():
    assert len({c["file"] for c in CASES}) >= 40
    assert len(OK) >= 20 and len(BAD) >= 20


@pytest.mark.parametrize("case", OK, ids=[c["id"] for c in OK])
def test_corpus_file_is_read_right(case, tmp_path, capsys):
    path = DATA / case["file"]
    before = digest(path)
    want = case["ok"]
    out = tmp_path / "rows.csv"
    model = tmp_path / "model.npz"
    code, stdout, err = run(capsys, "fit", path, "-k", case["k"], "--seed", 0, "--threads", 1, "-q", "--json",
                            "--out", out, "--save", model, *case["args"])
    assert code == 0, err
    assert "Traceback" not in err
    summary = json.loads(stdout)
    assert (summary["n_samples"], summary["n_features"]) == (want["n_samples"], want["n_features"])
    assert summary.get("feature_names") == want["columns"]
    text = out.read_text(encoding="utf-8")
    # the rows keep the input's delimiter: the one before the last field of the first line
    delim = re.search(r"([,;\t|])(?:label|\d+)\r?$", text.splitlines()[0]).group(1)
    limit = csv.field_size_limit(1 << 30)  # the huge text field
    try:
        rows = list(csv.reader(text.splitlines(keepends=True), delimiter=delim))
    finally:
        csv.field_size_limit(limit)
    if want["columns"] is not None:
        assert rows[0][-1] == "label"
        rows = rows[1:]
    labels = [int(r[-1]) for r in rows]
    assert len(labels) == want["n_samples"]
    if want["partition"] is not None:
        assert canonical(labels) == want["partition"]
    # predict with the saved model gives the labels of the fit
    code, stdout, err = run(capsys, "predict", "--model", model, path, *case["args"])
    assert code == 0, err
    assert [int(v) for v in stdout.split()] == labels
    # choose-k reads it the same way
    ks = "1" if want["n_samples"] < 3 else "1..2"
    code, stdout, err = run(capsys, "choose-k", path, "-k", ks, "--refs", 2, "--bound", "none", "--seed", 0, "-q",
                            "--json", "--threads", 1, *case["args"])
    assert code == 0, err
    assert json.loads(stdout)["recommended"] in (1, 2)
    assert digest(path) == before


@pytest.mark.parametrize("case", BAD, ids=[c["id"] for c in BAD])
def test_corpus_file_is_refused_in_one_line(case, tmp_path, capsys):
    path = DATA / case["file"]
    before = digest(path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "labels.csv").write_text("previous\n")
    model = tmp_path / "model.npz"
    model.write_bytes(b"previous model")
    code, stdout, err = run(capsys, "fit", path, "-k", case["k"], "-q", "--out", out, "--save", model,
                            *case["args"])
    one_line_error(code, stdout, err, case["error"])
    assert sorted(p.name for p in out.iterdir()) == ["labels.csv"]
    assert (out / "labels.csv").read_text() == "previous\n" and model.read_bytes() == b"previous model"
    if case["id"] != "too few rows for k":
        code, stdout, err = run(capsys, "choose-k", path, "-k", "1..2", "--refs", 2, "--bound", "none", "-q",
                                *case["args"])
        one_line_error(code, stdout, err, case["error"])
    # predict: refused in one line too (the message may be about the model's columns), nothing written
    good = tmp_path / "model_xy.npz"
    assert run(capsys, "fit", DATA / "no_header.csv", "-k", 2, "--seed", 0, "-q", "--save", good)[0] == 0
    dest = tmp_path / "labelled.csv"
    code, stdout, err = run(capsys, "predict", "--model", good, path, "--out", dest, *case["args"])
    if case["id"] == "too few rows for k":  # one row of three features: the model wants two
        one_line_error(code, stdout, err, r"the model expects 2 features, the data has 3")
    else:
        assert code == 2 and stdout == "" and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not dest.exists()
    assert digest(path) == before
