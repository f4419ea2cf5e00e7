"""Hostile files through the command line, hostile model files through ``load``.

Every bad data file: exit status 2, one line on stderr naming the problem, no
traceback, nothing on stdout, no output file created or overwritten (the
previous outputs stay byte for byte, no temporary file is left behind). Files
that are odd but well formed (UTF-8 BOM, Windows line endings, quoted fields,
blank lines) give the result of the library call on their numbers. Ctrl-C
during a long run: exit status 130, where it stopped, previous output intact.
Model files that are truncated, corrupted, of another version or carrying a
pickled payload are refused with a clear error, and never unpickled.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import optimeans
from optimeans import cli

MARKER_NAME = "UNPICKLED"


class _Payload:
    """Unpickling this object creates a marker file: proof that something unpickled it."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def previous(tmp_path):
    """An --out directory and a --save model holding the outputs of an earlier run."""
    out = tmp_path / "out"
    out.mkdir()
    for name, text in (("labels.csv", "label\n0\n1\n"), ("centers.csv", "x1\n0.5\n"), ("result.json", '{"old": 1}\n')):
        (out / name).write_text(text)
    model = tmp_path / "model.npz"
    model.write_bytes(b"previous model bytes")
    return out, model


# ---------------------------------------------------------------------------
# bad data files: (id, file name, content, message regex)


def _npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


_OK_NPY = _npy_bytes(np.arange(40.0).reshape(20, 2))

BAD_FILES = [
    ("empty", "data.csv", b"", r"the file is empty"),
    ("only blank lines", "data.csv", b"\n  \n\t\n", r"the file is empty"),
    ("only a header", "data.csv", b"a,b,c\n", r"no data rows \(only a header\)"),
    ("only delimiters", "data.csv", b",", r"no data \(only empty fields\)"),  # found by test_fuzz
    ("BOM and delimiters", "data.csv", b"\xef\xbb\xbf,,\n,,\n", r"no data \(only empty fields\)"),
    ("header and blank lines", "data.csv", b"a,b\n\n\n", r"no data rows"),
    ("ragged rows", "data.csv", b"1,2,3\n4,5,6\n7,8\n9,10,11\n", r"line 3 has 2 field\(s\), expected 3"),
    ("non-numeric cell", "data.csv", b"a,b\n1,2\n3,4\n5,oops\n", r"line 4, column 2 \('b'\): 'oops' is not a number"),
    ("empty cell", "data.csv", b"1,2\n3,\n", r"line 2, column 2: empty value"),
    ("non-numeric column", "data.csv", b"name,x\nann,1\nbob,2\n", r"non-numeric column 1 \('name'\)"),
    ("nan cell", "data.csv", b"a,b\n1,2\nnan,4\n", r"line 3, column 1 \('a'\): NaN"),
    ("inf cell", "data.tsv", b"1\t2\n3\t-inf\n", r"line 2, column 2: -inf"),
    ("overflowing number", "data.csv", b"1,2\n1e999,4\n", r"line 2, column 1: inf"),
    ("decimal commas, semicolons", "data.csv", b"x;y\n1,5;2,25\n3,5;4,0\n", r"line 2, column 1: '1,5' has a decimal comma"),
    ("decimal commas, no header", "data.csv", b"1,5;2,5\n3,5;4,5\n", r"line 1, column 1: '1,5' has a decimal comma"),
    ("decimal commas, tabs", "data.tsv", b"1,5\t2,5\n3,5\t4,5\n", r"'1,5' has a decimal comma"),
    ("binary", "data.csv", bytes(range(256)) * 16, r"not a UTF-8 text file"),
    ("png", "data.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), r"not a UTF-8 text file"),
    ("latin-1", "data.csv", "café,b\n1,2\n".encode("latin-1"), r"not a UTF-8 text file"),
    ("NUL byte", "data.csv", b"1,2\n3,\x004\n", r"line 2, column 2: '\\x004' is not a number"),
    ("huge numeric field", "data.csv", b"1" * 200_000 + b",2\n3,4\n", r"line 1, column 1: inf"),
    ("unterminated quote", "data.csv", b'a,b\n"1,2\n3,4\n', r"line 2 has 1 field\(s\), expected 2"),
    ("npy object dtype", "data.npy", None, r"holds Python objects \(pickled\)"),
    ("npy strings", "data.npy", _npy_bytes(np.array([["1", "2"]])), r"dtype <U1 is not numeric"),
    ("npy complex", "data.npy", _npy_bytes(np.ones((3, 2), complex)), r"dtype complex128 is not numeric"),
    ("npy 1-D", "data.npy", _npy_bytes(np.arange(5.0)), r"expected a 2-D array.*reshape\(-1, 1\)"),
    ("npy 3-D", "data.npy", _npy_bytes(np.zeros((2, 2, 2))), r"expected a 2-D array"),
    ("npy no rows", "data.npy", _npy_bytes(np.empty((0, 3))), r"the array has no rows"),
    ("npy nan", "data.npy", _npy_bytes(np.array([[1.0, 2.0], [3.0, np.nan]])), r"NaN at X\[1, 1\]"),
    ("npy truncated", "data.npy", _OK_NPY[: len(_OK_NPY) // 2], r"not a valid \.npy file"),
    ("npy lying header", "data.npy",
     b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 2), }" + b" " * 40 + b"\n",
     r"not a valid \.npy file"),
    ("npy garbage", "data.npy", b"\x93NUMPY garbage", r"not a valid \.npy file"),
    ("text named npy", "data.npy", b"1,2\n3,4\n", r"not a valid \.npy file"),
    ("pickle file", "data.pkl", pickle.dumps([[1.0, 2.0]]), r"\.pkl files are not read"),
    ("npz", "data.npz", b"PK\x03\x04", r"\.npz files are not read"),
    ("too few rows for k", "data.csv", b"1,2\n", r"n_clusters=2 is larger than the number of samples n_samples=1"),
    ("overflowing spread", "data.csv", b"1e200\n-1e200\n3e200\n", r"X is too large for float64"),
]


def _write_bad(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if content is None:  # an object array whose unpickling would leave a marker file
        arr = np.empty(2, dtype=object)
        arr[0] = _Payload(str(tmp_path / MARKER_NAME))
        arr[1] = 1.0
        path.write_bytes(_npy_bytes(arr, allow_pickle=True))
    else:
        path.write_bytes(content)
    return path


def _assert_one_line_error(code, out, err, message):
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("optimeans: error: ")
    import re

    assert re.search(message, lines[0]), lines[0]


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_data_file_fit(case, tmp_path, capsys, previous):
    _, name, content, message = case
    path = _write_bad(tmp_path, name, content)
    out, model = previous
    before, model_before = _snapshot(out), model.read_bytes()
    code, stdout, err = run(capsys, "fit", path, "-k", 2, "--quiet", "--out", out, "--save", model)
    _assert_one_line_error(code, stdout, err, message)
    assert _snapshot(out) == before  # nothing created, nothing overwritten, no temporary left
    assert model.read_bytes() == model_before
    assert not (tmp_path / MARKER_NAME).exists()


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    km = optimeans.KMeans(2, random_state=0, n_threads=1).fit(X)
    path = folder / "model.npz"
    km.save(path)
    return path


@pytest.mark.parametrize(
    "case", [c for c in BAD_FILES if c[0] not in ("too few rows for k", "overflowing spread")],
    ids=[c[0] for c in BAD_FILES if c[0] not in ("too few rows for k", "overflowing spread")],
)
def test_bad_data_file_predict(case, tmp_path, capsys, saved_model):
    _, name, content, message = case
    path = _write_bad(tmp_path, name, content)
    dest = tmp_path / "labels.csv"
    dest.write_text("previous\n")
    code, stdout, err = run(capsys, "predict", "--model", saved_model, path, "--out", dest)
    _assert_one_line_error(code, stdout, err, message)
    assert dest.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "labels.csv"])
    assert not (tmp_path / MARKER_NAME).exists()


def test_missing_file_and_directory(tmp_path, capsys, previous):
    out, model = previous
    before, model_before = _snapshot(out), model.read_bytes()
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    stray = tmp_path / "stray_dir"
    stray.mkdir()
    (stray / "notes.txt").write_text("not data\n")
    # a directory of .npy/.parquet blocks is dask input; any other directory is an error
    cases = [
        (tmp_path / "nope.csv", ["--save", model], r"no such file"),
        (empty, [], r"is a directory|holds no \.parquet, \.pq or \.npy file"),
        (stray, [], r"is a directory|holds no \.parquet, \.pq or \.npy file"),
    ]
    for target, extra, message in cases:
        code, stdout, err = run(capsys, "fit", target, "-k", 2, "--quiet", "--out", out, *extra)
        _assert_one_line_error(code, stdout, err, message)
    assert _snapshot(out) == before
    assert model.read_bytes() == model_before


def test_out_is_an_existing_file(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("1,2\n3,4\n5,6\n")
    out = tmp_path / "results"
    out.write_text("not a directory")
    code, stdout, err = run(capsys, "fit", data, "-k", 2, "--quiet", "--out", out)
    _assert_one_line_error(code, stdout, err, r"exists and is not a directory")
    assert out.read_text() == "not a directory"


# ---------------------------------------------------------------------------
# odd but well-formed text files: the numbers are read exactly


_VALUES = np.array([[1.5, -2.0], [1.25, -2.5], [8.0, 3.0], [8.5, 3.25], [7.75, 2.5]])
_TEXT = "a,b\n" + "".join(f"{float(r[0])!r},{float(r[1])!r}\n" for r in _VALUES)

GOOD_FILES = [
    ("utf-8 BOM", "data.csv", b"\xef\xbb\xbf" + _TEXT.encode(), ["a", "b"]),
    ("windows line endings", "data.csv", _TEXT.replace("\n", "\r\n").encode(), ["a", "b"]),
    ("BOM and CRLF", "data.csv", b"\xef\xbb\xbf" + _TEXT.replace("\n", "\r\n").encode(), ["a", "b"]),
    ("old mac line endings", "data.csv", _TEXT.replace("\n", "\r").encode(), ["a", "b"]),
    ("quoted fields", "data.csv", "".join(
        ",".join(f'"{v}"' for v in line.split(",")) + "\n" for line in _TEXT.splitlines()).encode(), ["a", "b"]),
    ("blank lines and no final newline", "data.csv", ("\n" + _TEXT.replace("\n", "\n\n")).rstrip("\n").encode(), ["a", "b"]),
    ("semicolons", "data.csv", _TEXT.replace(",", ";").encode(), ["a", "b"]),
    ("whitespace columns", "data.txt", _TEXT.replace(",", "   ").encode(), ["a", "b"]),
    ("no header", "data.csv", _TEXT.split("\n", 1)[1].encode(), None),
]


@pytest.mark.parametrize("case", GOOD_FILES, ids=[c[0] for c in GOOD_FILES])
def test_odd_but_well_formed_files(case, tmp_path, capsys):
    _, name, content, columns = case
    path = tmp_path / name
    path.write_bytes(content)
    code, stdout, err = run(capsys, "fit", path, "-k", 2, "--seed", 3, "--quiet", "--json", "--threads", 1)
    assert code == 0, err
    summary = json.loads(stdout)
    ref = optimeans.fit(_VALUES, 2, random_state=3, n_threads=1)
    assert summary["objective"] == ref.objective
    assert summary["n_samples"] == 5
    assert summary.get("feature_names") == columns


def test_very_long_line_is_one_sample_with_many_features(tmp_path, capsys):
    d = 100_000
    path = tmp_path / "wide.csv"
    rows = np.stack([np.full(d, 0.5), np.full(d, 1.5), np.full(d, 10.0)])
    path.write_text("\n".join(",".join(["0.5"] * d) if i == 0 else ",".join(repr(float(v)) for v in r) for i, r in enumerate(rows)) + "\n")
    code, stdout, err = run(capsys, "fit", path, "-k", 2, "--seed", 0, "--quiet", "--json", "--threads", 1)
    assert code == 0, err
    s = json.loads(stdout)
    assert (s["n_samples"], s["n_features"]) == (3, d)
    assert s["objective"] == pytest.approx(0.5 * d, rel=1e-12)  # 0.5 and 1.5 together, 10 alone


# ---------------------------------------------------------------------------
# Ctrl-C during a long run, in a real process


def test_sigint_exits_130_and_keeps_previous_output(tmp_path, previous):
    rng = np.random.default_rng(0)
    data = tmp_path / "big.npy"
    np.save(data, rng.random((60_000, 6)))
    out, model = previous
    before, model_before = _snapshot(out), model.read_bytes()
    src = str(Path(optimeans.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "optimeans.cli", "fit", str(data), "-k", "60", "--method", "lloyd",
           "--max-iter", "100000", "--tol", "0", "--n-init", "50", "--seed", "1",
           "--out", str(out), "--save", str(model)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read_stderr():
        for line in proc.stderr:
            lines.append(line)
            started.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        # the progress line (or "preparing...") appears once the fit is running
        assert started.wait(120), "the run never reported progress"
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    stdout = proc.stdout.read()
    err = "".join(lines)
    # 130, or (seen a few times on a heavily loaded machine, after the interrupt was
    # handled and reported) death by the SIGINT itself, which a shell also reports as 130
    assert code in (130, -signal.SIGINT), err
    assert "Traceback" not in err
    assert "interrupted at" in err and "restart" in err  # where it stopped
    assert stdout == ""
    assert _snapshot(out) == before
    assert model.read_bytes() == model_before


# ---------------------------------------------------------------------------
# model files


def _good_model_bytes():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [9.0, 0.0]])
    km = optimeans.KMeans(3, random_state=0, n_threads=1).fit(X)
    from optimeans._model import model_bytes

    return model_bytes(km)


def _rebuild(change, *, marker: str | None = None):
    """A model archive with its arrays or metadata changed."""
    z = np.load(io.BytesIO(_good_model_bytes()), allow_pickle=False)
    arrays = {k: z[k] for k in z.files}
    original = arrays["metadata"]
    meta = json.loads(original.tobytes().decode())
    change(arrays, meta)
    if arrays["metadata"] is original:  # the change was to the metadata's content
        arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _set(key, value):
    return lambda a, m: a.__setitem__(key, value)


def _meta(**kw):
    return lambda a, m: m.update(kw)


def _payload_array(marker):
    arr = np.empty(1, dtype=object)
    arr[0] = _Payload(marker)
    return arr


MODEL_CASES = [
    ("empty file", lambda mk: b"", r"not an optimeans model file"),
    ("truncated 50%", lambda mk: _good_model_bytes()[: len(_good_model_bytes()) // 2], r"not an optimeans model file"),
    ("truncated tail", lambda mk: _good_model_bytes()[:-10], r"not an optimeans model file"),
    ("text file", lambda mk: b"centers: 1,2,3\n", r"not an optimeans model file"),
    ("npy, not npz", lambda mk: _OK_NPY, r"not an optimeans model file"),
    ("empty zip", lambda mk: _empty_zip(), r"no metadata"),
    ("raw pickle", lambda mk: pickle.dumps(_Payload(mk)), r"not an optimeans model file"),
    ("pickled centers", lambda mk: _rebuild(_set("centers", _payload_array(mk))), r"damaged model file"),
    ("pickled metadata", lambda mk: _rebuild(_set("metadata", _payload_array(mk))), r"damaged model"),
    ("pickled extra member", lambda mk: _rebuild(_set("history_extra_x", _payload_array(mk))), r"damaged model file"),
    ("newer version", lambda mk: _rebuild(_meta(format_version=99)), r"model format version 99.*Upgrade optimeans"),
    ("version as text", lambda mk: _rebuild(_meta(format_version="1")), r"bad model format version '1'"),
    ("other format", lambda mk: _rebuild(_meta(format="something-else")), r"not an optimeans model file"),
    ("metadata not JSON", lambda mk: _rebuild(_set("metadata", np.frombuffer(b"{not json", np.uint8))), r"damaged model metadata"),
    ("metadata not UTF-8", lambda mk: _rebuild(_set("metadata", np.frombuffer(b"\xff\xfe{}", np.uint8))), r"damaged model metadata"),
    ("metadata a list", lambda mk: _rebuild(_set("metadata", np.frombuffer(b"[1, 2]", np.uint8))), r"not an optimeans model file"),
    ("nan centers", lambda mk: _rebuild(_set("centers", np.full((3, 2), np.nan))), r"centers are not all finite"),
    ("complex centers", lambda mk: _rebuild(_set("centers", np.ones((3, 2), complex))), r"centers of dtype complex128"),
    ("string centers", lambda mk: _rebuild(_set("centers", np.array([["a", "b"]] * 3))), r"centers of dtype <U1"),
    ("no centers", lambda mk: _rebuild(_set("centers", np.zeros((0, 2)))), r"centers of dtype float64 and shape \(0, 2\)"),
    ("1-D centers", lambda mk: _rebuild(_set("centers", np.zeros(2))), r"centers of .*shape \(2,\)"),
    ("centers too wide", lambda mk: _rebuild(_set("centers", np.zeros((3, 5)))), r"shape \(3, 5\) for 2 feature"),
    ("fewer centers than n_clusters", lambda mk: _rebuild(_set("centers", np.zeros((2, 2)))), r"n_clusters=3 but 2 centers"),
    ("labels out of range", lambda mk: _rebuild(_set("labels", np.full(5, 7))), r"labels .* are not cluster indices"),
    ("float labels", lambda mk: _rebuild(_set("labels", np.zeros(5))), r"labels of dtype float64"),
    ("missing history", lambda mk: _rebuild(lambda a, m: a.pop("history_objective")), r"damaged model file"),
    ("missing result", lambda mk: _rebuild(lambda a, m: m.pop("result")), r"damaged model file"),
    ("bad objective", lambda mk: _rebuild(lambda a, m: m["result"].update(objective="x")), r"damaged model file"),
    ("params not a dict", lambda mk: _rebuild(_meta(params=[1, 2])), r"damaged model file"),
    ("feature names too many", lambda mk: _rebuild(_meta(feature_names=["a", "b", "c"])), r"feature_names does not list 2"),
    ("unknown scaler", lambda mk: _rebuild(lambda a, m: (m.update(scaler={"kind": "evil"}), a.update(
        scaler_offset=np.zeros(2), scaler_factor=np.ones(2)))), r"unknown scaler 'evil'"),
    ("zero scaler factor", lambda mk: _rebuild(lambda a, m: (m.update(scaler={"kind": "standard"}), a.update(
        scaler_offset=np.zeros(2), scaler_factor=np.zeros(2)))), r"scaler_factor has a value <= 0"),
]


def _empty_zip():
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()
    return buf.getvalue()


@pytest.mark.parametrize("case", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_bad_model_files_are_refused_never_unpickled(case, tmp_path, capsys):
    from optimeans._model import ModelFormatError
    from optimeans.estimator import load

    _, make, message = case
    marker = str(tmp_path / MARKER_NAME)
    path = tmp_path / "model.npz"
    path.write_bytes(make(marker))
    with pytest.raises(ModelFormatError, match=message):
        load(path)
    data = tmp_path / "data.csv"
    data.write_text("1,2\n3,4\n")
    code, stdout, err = run(capsys, "predict", "--model", path, data)
    _assert_one_line_error(code, stdout, err, message)
    assert not os.path.exists(marker)


def test_every_single_byte_corruption_is_refused_or_harmless(tmp_path):
    """Flip bytes all over a model file: load either refuses it (ModelFormatError) or
    gives a model whose centers are finite and whose predict works."""
    from optimeans._model import ModelFormatError
    from optimeans.estimator import load

    good = _good_model_bytes()
    X = np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]])
    path = tmp_path / "model.npz"
    rng = np.random.default_rng(7)
    positions = np.unique(np.r_[np.arange(0, len(good), max(1, len(good) // 150)), rng.integers(0, len(good), 50)])
    outcomes = {"refused": 0, "loaded": 0}
    for pos in positions:
        data = bytearray(good)
        data[pos] ^= 0xFF
        path.write_bytes(bytes(data))
        try:
            km = load(path)
        except ModelFormatError:
            outcomes["refused"] += 1
            continue
        outcomes["loaded"] += 1
        assert np.isfinite(km.cluster_centers_).all()
        labels = km.predict(X)
        assert labels.min() >= 0 and labels.max() < km.cluster_centers_.shape[0]
    assert outcomes["refused"] > 0


def test_cli_save_refuses_a_directory_and_keeps_previous_model(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("1,2\n3,4\n5,6\n")
    target = tmp_path / "dir.npz"
    target.mkdir()
    code, stdout, err = run(capsys, "fit", data, "-k", 2, "--quiet", "--save", target)
    _assert_one_line_error(code, stdout, err, r"cannot write output|directory")
    assert target.is_dir() and not any(target.iterdir())


@pytest.mark.parametrize(
    "args, message",
    [
        (["-k", "0"], r"n_clusters must be >= 1, got 0"),
        (["-k", "-3"], r"n_clusters must be >= 1, got -3"),
        (["-k", "4"], r"n_clusters=4 is larger than the number of samples n_samples=3"),
        (["-k", "2", "--tol", "-1"], r"tol must be a finite number >= 0"),
        (["-k", "2", "--tol", "nan"], r"tol must be a finite number >= 0"),
        (["-k", "2", "--max-iter", "0"], r"max_iter must be >= 1"),
        (["-k", "2", "--method", "kmeans"], r"unknown method 'kmeans'"),
        (["-k", "2", "--threads", "0"], r"n_threads must be a non-zero integer"),
        (["-k", "2", "-o", "no_such_option=1"], r"no_such_option"),
    ],
    ids=["k=0", "k<0", "k>n", "tol<0", "tol nan", "max_iter 0", "method", "threads 0", "option"],
)
def test_bad_values_on_the_command_line(args, message, tmp_path, capsys, previous):
    data = tmp_path / "data.csv"
    data.write_text("1,2\n3,4\n5,6\n")
    out, model = previous
    before = _snapshot(out)
    code, stdout, err = run(capsys, "fit", data, "--quiet", "--out", out, *args)
    _assert_one_line_error(code, stdout, err, message)
    assert _snapshot(out) == before
