"""Model files (KMeans.save / optimeans.load / fit --save / predict) and scaling."""

import io
import json
import zipfile

import numpy as np
import pytest

import optimeans
from optimeans import KMeans, cli
from optimeans._model import FORMAT_VERSION, ModelFormatError, read_metadata
from optimeans.datasets import feature_names, load

IRIS = load("iris")
NAMES = feature_names("iris")


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("scale", ["none", "standard", "minmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_load_round_trip(tmp_path, scale, dtype):
    X = IRIS.astype(dtype)
    km = KMeans(3, random_state=0, scale=scale).fit(X)
    path = km.save(tmp_path / "m.npz")
    km2 = optimeans.load(path)
    assert type(km2) is KMeans
    assert km2.get_params() == km.get_params()
    np.testing.assert_array_equal(km2.cluster_centers_, km.cluster_centers_)
    assert km2.cluster_centers_.dtype == km.cluster_centers_.dtype
    np.testing.assert_array_equal(km2.labels_, km.labels_)
    np.testing.assert_array_equal(km2.predict(X), km.predict(X))
    np.testing.assert_array_equal(km2.transform(X), km.transform(X))
    assert km2.score(X) == km.score(X)
    assert km2.inertia_ == km.inertia_ and km2.n_iter_ == km.n_iter_
    assert km2.result_.seed == km.result_.seed and km2.result_.stop_reason == km.result_.stop_reason
    np.testing.assert_array_equal(km2.result_.history.objective, km.result_.history.objective)
    assert km2.n_features_in_ == 4
    # the file holds no pickle: it loads with allow_pickle=False and holds numbers only
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[k].dtype.kind in "biuf" for k in npz.files)


def test_feature_names_and_array_init_survive(tmp_path):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(IRIS, columns=NAMES)
    init = IRIS[[0, 50, 100]]
    km = KMeans(3, init=init).fit(df)
    km2 = optimeans.load(km.save(tmp_path / "m.npz"))
    assert list(km2.feature_names_in_) == NAMES
    np.testing.assert_array_equal(km2.get_params()["init"], init)
    np.testing.assert_array_equal(km2.predict(df), km.labels_)
    # refitting the loaded model gives the same model
    np.testing.assert_array_equal(km2.fit(df).cluster_centers_, km.cluster_centers_)


def test_scaling_is_what_was_minimized():
    X = IRIS * np.array([1.0, 1000.0, 1.0, 0.001])
    km = KMeans(3, random_state=0, scale="standard").fit(X)
    Z = (X - X.mean(0)) / X.std(0)
    r = optimeans.fit(Z, 3, random_state=0)
    assert km.inertia_ == r.objective
    np.testing.assert_array_equal(km.labels_, r.labels)
    np.testing.assert_allclose(km.cluster_centers_, r.centers * X.std(0) + X.mean(0), rtol=1e-12)
    np.testing.assert_array_equal(km.predict(X), r.labels)
    mm = KMeans(3, random_state=0, scale="minmax").fit(X)
    r2 = optimeans.fit((X - X.min(0)) / (X.max(0) - X.min(0)), 3, random_state=0)
    assert mm.inertia_ == pytest.approx(r2.objective, rel=1e-12)
    # a constant feature is shifted, never divided by zero
    Xc = np.column_stack([IRIS[:, :2], np.full(150, 7.0)])
    kc = KMeans(2, random_state=0, scale="standard").fit(Xc)
    assert np.isfinite(kc.cluster_centers_).all()
    np.testing.assert_allclose(kc.cluster_centers_[:, 2], 7.0)
    with pytest.raises(ValueError, match="scale must be one of none, standard, minmax"):
        KMeans(2, scale="zscore").fit(IRIS)


def _rewrite_metadata(src, dst, **changes):
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(bytes(arrays["metadata"]).decode())
    meta.update(changes)
    arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(dst, **arrays)


def test_version_check(tmp_path):
    km = KMeans(3, random_state=0).fit(IRIS)
    good = km.save(tmp_path / "m.npz")
    assert read_metadata(good)["format_version"] == FORMAT_VERSION
    newer = tmp_path / "newer.npz"
    _rewrite_metadata(good, newer, format_version=FORMAT_VERSION + 1, optimeans_version="9.0")
    with pytest.raises(ModelFormatError, match=r"written by optimeans 9.0 in model format version 2; .*Upgrade optimeans"):
        optimeans.load(newer)
    other = tmp_path / "other.npz"
    _rewrite_metadata(good, other, format="something-else")
    with pytest.raises(ModelFormatError, match="not an optimeans model file"):
        optimeans.load(other)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(3))
    with pytest.raises(ModelFormatError, match=r"not an optimeans model file \(no metadata\)"):
        optimeans.load(plain)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ModelFormatError, match="not an optimeans model file"):
        optimeans.load(junk)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        optimeans.load(tmp_path / "missing.npz")
    # an archive with a pickled member is refused, not executed
    buf = io.BytesIO()
    np.savez(buf, metadata=np.array([{"evil": 1}], dtype=object))
    evil = tmp_path / "evil.npz"
    evil.write_bytes(buf.getvalue())
    with pytest.raises(ModelFormatError):
        optimeans.load(evil)
    assert zipfile.is_zipfile(good)


def test_cli_save_then_predict(tmp_path, capsys):
    model = tmp_path / "iris.npz"
    code, out, err = run(capsys, "fit", "--dataset", "iris", "-k", 3, "--seed", 0, "--scale", "standard", "--save", model, "--json", "-q")
    assert code == 0, err
    assert str(model) in json.loads(out)["files"]
    km = KMeans(3, random_state=0, scale="standard").fit(IRIS)
    assert optimeans.load(model).model_info_["feature_names"] == NAMES
    assert optimeans.load(model).model_info_["scaler"] == {"kind": "standard"}

    code, out, _ = run(capsys, "predict", "--model", model, "--dataset", "iris")
    assert code == 0
    assert [int(v) for v in out.split()] == km.labels_.tolist()

    code, out, _ = run(capsys, "predict", "--model", model, "--dataset", "iris", "--json")
    s = json.loads(out)
    assert s["labels"] == km.labels_.tolist()
    assert s["objective"] == pytest.approx(km.inertia_, rel=1e-12)

    # a file with the columns in another order, plus extra ones: picked by name
    csv = tmp_path / "new.csv"
    order = [3, 0, 2, 1]
    with open(csv, "w") as f:
        f.write("id," + ",".join(NAMES[j] for j in order) + ",species\n")
        for i, row in enumerate(IRIS):
            f.write(f"{i}," + ",".join(repr(float(row[j])) for j in order) + ",s\n")
    out_file = tmp_path / "new_labels.csv"
    code, out, err = run(capsys, "predict", "--model", model, csv, "--out", out_file)
    assert code == 0, err
    lines = out_file.read_text().splitlines()
    assert lines[0].endswith(",species,label")
    assert [int(ln.rsplit(",", 1)[1]) for ln in lines[1:]] == km.labels_.tolist()
    assert "150 samples assigned to 3 clusters" in out


def test_cli_predict_errors(tmp_path, capsys):
    model = tmp_path / "m.npz"
    KMeans(3, random_state=0).fit(IRIS).save(model)
    code, _, err = run(capsys, "predict", "--model", tmp_path / "none.npz", "--dataset", "iris")
    assert code == 2 and "no such model file" in err
    code, _, err = run(capsys, "predict", "--model", model, "--dataset", "ruspini")
    assert code == 2 and "the model expects 4 features, the data has 2" in err
    newer = tmp_path / "newer.npz"
    _rewrite_metadata(model, newer, format_version=FORMAT_VERSION + 1)
    code, out, err = run(capsys, "predict", "--model", newer, "--dataset", "iris")
    assert code == 2 and out == "" and "Upgrade optimeans" in err and "Traceback" not in err


def test_init_array_is_given_in_the_data_units_with_scale():
    X = IRIS * np.array([1.0, 1000.0, 1.0, 0.001])
    init = X[[0, 50, 100]]
    km = KMeans(3, init=init, scale="standard").fit(X)
    Z = (X - X.mean(0)) / X.std(0)
    r = optimeans.fit(Z, 3, init=Z[[0, 50, 100]])
    np.testing.assert_array_equal(km.labels_, r.labels)
    assert km.inertia_ == pytest.approx(r.objective, rel=1e-12)


def test_cli_scale_matches_estimator(capsys):
    code = cli.main(["fit", "--dataset", "iris", "-k", "3", "--seed", "4", "--scale", "minmax", "--json"])
    s = json.loads(capsys.readouterr().out)
    km = KMeans(3, random_state=4, scale="minmax").fit(IRIS)
    assert code == 0
    assert s["objective"] == km.inertia_ and s["scale"] == "minmax"
    assert s["cluster_sizes"] == np.bincount(km.labels_).tolist()
