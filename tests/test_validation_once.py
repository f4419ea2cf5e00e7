"""X is checked once, at the boundary: one NaN/inf scan per call.

``optimeans._validation.find_nonfinite`` is the one finiteness scan of a data
matrix (``check_data``, ``check_sparse`` and the file readers all use it). The
boundary (``optimeans.fit``, ``KMeans.fit``, the readers behind ``optimeans fit
FILE``) hands the layers below a ``Checked`` matrix, which they take as is.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import optimeans
from optimeans import _validation
from optimeans.cli import main


@pytest.fixture
def scans(monkeypatch):
    """The arrays the finiteness scan sees, in order."""
    seen = []
    original = _validation.find_nonfinite

    def counting(X):
        seen.append(X.shape)
        return original(X)

    monkeypatch.setattr(_validation, "find_nonfinite", counting)
    return seen


def _data(n=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(c, 0.3, size=(n // 4, d)) for c in (0, 3, 6, 9)])


def _sparse(n=400, d=6, seed=0):
    return sp.random(n, d, density=0.4, format="csr", random_state=seed) + sp.csr_matrix(
        np.kron(np.eye(2), np.ones((n // 2, d // 2))) * 4.0
    )


@pytest.mark.parametrize("kind", ["dense", "float32", "sparse", "csc"])
def test_optimeans_fit_scans_once(scans, kind):
    X = {"dense": _data(), "float32": _data().astype(np.float32), "sparse": _sparse(), "csc": _sparse().tocsc()}[kind]
    res = optimeans.fit(X, 4, random_state=0, sample_weight=np.ones(X.shape[0]))
    assert scans == [X.shape]
    assert res.labels.shape == (X.shape[0],)


@pytest.mark.parametrize("kind", ["dense", "list", "sparse"])
def test_kmeans_fit_scans_once(scans, kind):
    X = {"dense": _data(), "list": _data().tolist(), "sparse": _sparse()}[kind]
    km = optimeans.KMeans(4, random_state=0).fit(X)
    n = len(X) if kind == "list" else X.shape[0]
    assert scans == [(n, km.n_features_in_)]
    assert km.labels_.shape == (n,)


def test_kmeans_scaled_scans_the_input_and_the_scaled_copy(scans):
    """With ``scale`` the solver gets a new, scaled array (overflowing differences would make
    it non-finite), and that copy is scanned: once each."""
    X = _data()
    optimeans.KMeans(4, random_state=0, scale="standard").fit(X)
    assert scans == [X.shape, X.shape]


def test_the_checked_data_is_not_converted_again(monkeypatch):
    """Below the boundary nothing converts X again (``as_float_array`` runs once)."""
    calls = []
    original = _validation.as_float_array

    def counting(X, **kw):
        calls.append(kw.get("name"))
        return original(X, **kw)

    monkeypatch.setattr(_validation, "as_float_array", counting)
    optimeans.fit(_data(), 4, random_state=0)
    assert calls == ["X"]


def test_nan_is_still_refused_everywhere():
    X = _data()
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="row 7, column 1"):
        optimeans.fit(X, 4)
    with pytest.raises(ValueError, match="row 7, column 1"):
        optimeans.KMeans(4).fit(X)
    S = _sparse().tolil()
    S[5, 2] = np.inf
    with pytest.raises(ValueError, match="inf at row 5, column 2"):
        optimeans.fit(S.tocsr(), 4)


def test_checked_matrix_is_taken_as_is():
    A = _data()
    checked = _validation.check_input(A)
    assert _validation.check_data(checked) is checked.X
    assert _validation.check_input(checked) is checked
    S = _validation.check_input(_sparse())
    assert _validation.is_sparse(S) and _validation.check_sparse(S) is S.X
    with pytest.raises(TypeError, match="sparse"):
        _validation.check_data(S)


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_cli_fit_file_scans_once(scans, tmp_path, capsys, suffix):
    X = _data()
    path = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        np.savetxt(path, X, delimiter=",")
    else:
        np.save(path, X)
    code = main(["fit", str(path), "-k", "4", "--seed", "0", "-q", "--json"])
    assert code == 0, capsys.readouterr().err
    assert scans == [X.shape]


def test_cli_reader_still_names_the_line(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n3,nan\n5,6\n")
    code = main(["fit", str(path), "-k", "2", "-q"])
    err = capsys.readouterr().err
    assert code != 0 and "line 3" in err and "NaN" in err
