"""Fuzz targets (hypothesis) for the data-file reader and the model loader.

The contract fuzzed: ``optimeans._io.read_table`` either returns a table of
finite floats with at least one row and one column, or raises ``DataError``;
``optimeans.load`` either raises ``ModelFormatError`` or returns a model
with finite centers whose ``predict`` gives labels in range. Nothing else may
escape (no ``csv.Error``, ``zlib.error``, ``IndexError``, ``UnicodeError``, no
Numba typing error), nothing may hang, nothing may be unpickled. On
well-formed numeric tables the reader must also give back the exact numbers.

CI runs a short pass (``OPTIMEANS_FUZZ_EXAMPLES``, default 150 per target);
by hand::

    OPTIMEANS_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import io
import json
import os
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimeans
from optimeans._io import DataError, read_table
from optimeans._model import ModelFormatError
from optimeans.estimator import load

EXAMPLES = int(os.environ.get("OPTIMEANS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # generous: the point is to catch hangs (a pathological parse), not to time a loaded CI box
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# ---------------------------------------------------------------------------
# data files

_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["0", "-0", "1e5", "1E-5", ".5", "5.", "+3", "  7  ", "1_0", "0x1F"]),
)
_junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1,5", "1.2.3", '"', '""', "'",
                     "\x00", "\ufeff", "é", "∞", "١٢٣", "--1", "1e", "e1", "#", "\\", "\r", "\n", "\t"]),
)
_cells = st.one_of(_numbers, _numbers, _numbers, _junk)
_seps = st.sampled_from([",", ";", "\t", " ", "|", ", ", ",,"])
_ends = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


@st.composite
def text_tables(draw):
    """Delimited text, mostly table-shaped, with every kind of damage mixed in."""
    sep = draw(_seps)
    end = draw(_ends)
    width = draw(st.integers(1, 5))
    rows = []
    if draw(st.booleans()):
        rows.append(sep.join(draw(st.lists(st.text(max_size=6), min_size=width, max_size=width))))
    for _ in range(draw(st.integers(0, 8))):
        w = width if draw(st.integers(0, 9)) else draw(st.integers(0, 7))  # ragged now and then
        cells = draw(st.lists(_cells, min_size=w, max_size=w))
        if draw(st.integers(0, 5)) == 0:
            cells = [f'"{c}"' for c in cells]
        rows.append(sep.join(cells))
    text = end.join(rows) + (end if draw(st.booleans()) else "")
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.integers(0, 6)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 8)) == 0:
        data = data + draw(st.binary(max_size=40))
    return data


def _check_table_outcome(path: Path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning leaking from numpy is a finding too
            table = read_table(path)
    except DataError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg.strip(), msg  # one line for the CLI
        assert str(path) in msg or msg.startswith("--columns"), msg
        return None
    X = table.X
    assert X.ndim == 2 and X.shape[0] >= 1 and X.shape[1] >= 1
    assert X.dtype in (np.float32, np.float64)
    assert np.isfinite(X).all()
    if table.columns is not None:
        assert len(table.columns) == X.shape[1]
    return table


@FUZZ
@given(data=text_tables(), suffix=st.sampled_from([".csv", ".tsv", ".txt", ".dat"]))
def test_fuzz_text_reader(folder, data, suffix):
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    _check_table_outcome(path)


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".npy"]))
def test_fuzz_reader_on_raw_bytes(folder, data, suffix):
    path = folder / f"raw{suffix}"
    path.write_bytes((b"\x93NUMPY" + data) if suffix == ".npy" and data[:1] == b"\x01" else data)
    _check_table_outcome(path)


@FUZZ
@given(
    X=st.integers(1, 6).flatmap(
        lambda d: st.lists(
            st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=d, max_size=d),
            min_size=1, max_size=12,
        )
    ),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    end=st.sampled_from(["\n", "\r\n"]),
    header=st.booleans(),
    bom=st.booleans(),
)
def test_fuzz_well_formed_tables_round_trip_exactly(folder, X, sep, end, header, bom):
    X = np.asarray(X, dtype=np.float64)
    names = [f"col{j}" for j in range(X.shape[1])]
    lines = ([sep.join(names)] if header else []) + [sep.join(repr(float(v)) for v in row) for row in X]
    data = (end.join(lines) + end).encode()
    path = folder / "clean.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    table = read_table(path, header="yes" if header else "no")
    np.testing.assert_array_equal(table.X, X)
    assert table.columns == (names if header else None)


# ---------------------------------------------------------------------------
# model files


def _model_arrays():
    X = np.array([[0.0, 0.0], [0.2, 0.1], [5.0, 5.0], [5.1, 4.9], [9.0, 0.0], [9.2, 0.3]])
    km = optimeans.KMeans(3, random_state=0, n_threads=1, scale="standard").fit(X)
    from optimeans._model import model_bytes

    good = model_bytes(km, feature_names=["u", "v"])
    z = np.load(io.BytesIO(good), allow_pickle=False)
    return good, {k: z[k] for k in z.files}


GOOD_MODEL, GOOD_ARRAYS = _model_arrays()
GOOD_META = json.loads(GOOD_ARRAYS["metadata"].tobytes().decode())
_PROBE = np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0], [-3.0, 7.0]])


def _check_model_outcome(path: Path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = load(path)
    except ModelFormatError as exc:
        assert str(exc)
        return
    C = km.cluster_centers_
    assert C.ndim == 2 and C.shape[1] == 2 and C.shape[0] >= 1
    assert np.isfinite(C).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = km.predict(_PROBE)
    assert labels.shape == (4,) and labels.min() >= 0 and labels.max() < C.shape[0]


@FUZZ
@given(
    edits=st.lists(st.tuples(st.integers(0, len(GOOD_MODEL) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(0, len(GOOD_MODEL))),
)
def test_fuzz_model_bytes(folder, edits, cut):
    data = bytearray(GOOD_MODEL)
    for pos, value in edits:
        data[pos] = value
    if cut is not None:
        data = data[:cut]
    path = folder / "fuzz_model.npz"
    path.write_bytes(bytes(data))
    _check_model_outcome(path)


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
_arrays = st.one_of(
    st.sampled_from([
        np.zeros((0, 2)), np.zeros(3), np.full((3, 2), np.nan), np.full((3, 2), np.inf), np.ones((3, 2), complex),
        np.array([["a", "b"]] * 3), np.ones((3, 2), bool), np.ones((3, 2), np.int8), np.ones((3, 2), np.float16),
        np.ones((3, 3)), np.ones((2, 2)), np.ones((3, 2, 1)), np.array(1.0), np.arange(6) - 3, np.arange(6.0),
        np.full(6, 99), np.zeros((3, 2), dtype=[("a", "f8"), ("b", "f8")]),
    ]),
)
_members = sorted(set(GOOD_ARRAYS) - {"metadata"})
_meta_keys = sorted(GOOD_META) + ["params.n_clusters", "result.objective", "result.stop_reason", "scaler.kind"]


@FUZZ
@given(
    array_edits=st.dictionaries(st.sampled_from(_members + ["extra_member"]), st.one_of(st.none(), _arrays), max_size=3),
    meta_edits=st.dictionaries(st.sampled_from(_meta_keys), st.one_of(st.just("<drop>"), _json_values), max_size=3),
)
def test_fuzz_model_structure(folder, array_edits, meta_edits):
    arrays = dict(GOOD_ARRAYS)
    for key, value in array_edits.items():
        if value is None:
            arrays.pop(key, None)
        else:
            arrays[key] = value
    meta = json.loads(json.dumps(GOOD_META))
    for key, value in meta_edits.items():
        target, _, sub = key.partition(".")
        holder = meta
        if sub:
            if not isinstance(meta.get(target), dict):
                continue
            holder, target = meta[target], sub
        if value == "<drop>":
            holder.pop(target, None)
        else:
            holder[target] = value
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path = folder / "fuzz_struct.npz"
    path.write_bytes(buf.getvalue())
    _check_model_outcome(path)
