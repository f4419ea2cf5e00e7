import json

import numpy as np
import pytest

import optimeans
from optimeans.choose_k import ChooseKResult, gap_rule, spherical_bic
from optimeans.cli import main
from optimeans.datasets import load, make_blobs


@pytest.fixture(scope="module")
def blobs4():
    # four well-separated blobs in 2-D
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    rng = np.random.default_rng(0)
    return np.vstack([c + 0.7 * rng.standard_normal((60, 2)) for c in centers])


@pytest.fixture(scope="module")
def blobs4_result(blobs4):
    return optimeans.choose_k(blobs4, range(1, 8), n_refs=8, random_state=0, n_threads=1)


def test_gap_picks_four_blobs(blobs4_result):
    r = blobs4_result
    assert r.recommended == 4
    assert r.picks == {"gap": 4, "silhouette": 4, "bic": 4}
    assert r.criterion == "gap" and "1-SE" in r.rule
    # the objective falls with k, and steeply up to the true k
    assert np.all(np.diff(r.objective) < 0)
    assert r.objective[3] < 0.1 * r.objective[2]
    gap = np.array(r.gap)
    assert gap.argmax() == 3 or gap[3] >= gap.max() - r.gap_se[int(gap.argmax())]


def test_gap_says_one_cluster_for_uniform_data():
    U = np.random.default_rng(1).uniform(size=(300, 2))
    r = optimeans.choose_k(U, range(1, 7), n_refs=10, random_state=0, n_threads=1)
    assert r.recommended == 1
    # uniform data look like their own reference: every gap is near 0
    assert np.all(np.abs(np.array(r.gap)) < 0.25)


def test_gap_matches_its_definition(blobs4):
    # Recompute Gap(k) from the documented recipe with the same seeds.
    r = optimeans.choose_k(blobs4, [1, 2, 3], n_refs=3, random_state=5, n_threads=1)
    ss = np.random.SeedSequence(5)
    _, ref_seeds, _ = ss.spawn(3)
    lo, hi = blobs4.min(0), blobs4.max(0)
    logw = np.empty((3, 3))
    for b, child in enumerate(ref_seeds.spawn(3)):
        Z = np.random.default_rng(child).uniform(lo, hi, size=blobs4.shape)
        fit_seeds = child.spawn(3)
        for i, k in enumerate([1, 2, 3]):
            if k == 1:
                w = ((Z - Z.mean(0)) ** 2).sum()
            else:
                w = optimeans.fit(Z, k, n_init=2, random_state=int(fit_seeds[i].generate_state(1)[0])).objective
            logw[b, i] = np.log(w)
    expect = logw.mean(0) - np.log(r.objective)
    np.testing.assert_allclose(r.gap, expect, rtol=1e-10)
    np.testing.assert_allclose(r.gap_se, logw.std(0) * np.sqrt(1 + 1 / 3), rtol=1e-10)


def test_gap_rule():
    ks = np.array([1, 2, 3, 4])
    # Gap(2) >= Gap(3) - s3 -> 2
    assert gap_rule(ks, [0.1, 1.0, 1.05, 1.1], [0.1, 0.1, 0.1, 0.1]) == (2, True)
    # increasing beyond the error bars everywhere -> the largest k, not found
    assert gap_rule(ks, [0.1, 0.5, 0.9, 1.3], [0.01] * 4) == (4, False)


def test_bic_formula():
    X = load("ruspini")
    res = optimeans.fit(X, 4, random_state=0, n_threads=1)
    n, d = X.shape
    # Gaussian log-likelihood with hard assignments, evaluated point by point
    sigma2 = res.objective / (n * d)
    pi = np.bincount(res.labels) / n
    sq = ((X - res.centers[res.labels]) ** 2).sum(1)
    loglik = np.sum(np.log(pi[res.labels]) - d / 2 * np.log(2 * np.pi * sigma2) - sq / (2 * sigma2))
    p = 4 * d + 3 + 1
    assert spherical_bic(X, res) == pytest.approx(-2 * loglik + p * np.log(n), rel=1e-12)


def test_silhouette_matches_sklearn_and_is_sampled_for_large_n(blobs4, blobs4_result):
    from sklearn.metrics import silhouette_score

    r = blobs4_result
    assert r.silhouette[0] is None  # k = 1
    res3 = r.results[3]
    assert r.silhouette[2] == pytest.approx(silhouette_score(blobs4, res3.labels), rel=1e-12)
    big = make_blobs(3000, 2, centers=3, cluster_std=0.5, random_state=2)
    rb = optimeans.choose_k(big, [2, 3], n_refs=1, silhouette_sample_size=300, random_state=0)
    full = silhouette_score(big, rb.results[3].labels)
    assert rb.silhouette[1] != full  # sampled ...
    assert rb.silhouette[1] == pytest.approx(full, abs=0.05)  # ... and close


def test_reproducible_and_table(blobs4, blobs4_result):
    r2 = optimeans.choose_k(blobs4, range(1, 8), n_refs=8, random_state=0, n_threads=2)
    np.testing.assert_array_equal(r2.objective, blobs4_result.objective)
    assert r2.gap == blobs4_result.gap
    d = blobs4_result.to_dict()
    json.dumps(d)
    assert [row["k"] for row in d["table"]] == list(range(1, 8))
    assert d["recommended"] == 4 and d["seed"] == 0
    text = str(blobs4_result)
    assert "recommended k = 4" in text and "gap statistic" in text
    assert text.splitlines()[4].endswith("<")  # the row of k = 4 is marked


def test_lower_bound_column(blobs4, blobs4_result):
    from optimeans.choose_k import _lower_bound_fn

    fn = _lower_bound_fn()
    if fn is None:  # a build without optimeans.exact: the column stays empty, never made up
        assert all(v is None for v in blobs4_result.lower_bound)
        assert any("lower bound" in n for n in blobs4_result.notes)
        return
    lb = np.array(blobs4_result.lower_bound, dtype=float)
    assert np.all(lb <= blobs4_result.objective * (1 + 1e-9))
    assert lb[0] == pytest.approx(blobs4_result.objective[0], rel=1e-9)  # k = 1: the bound is exact
    for k in (2, 3):
        assert lb[k - 1] == pytest.approx(fn(blobs4, k), rel=1e-12)
        r = blobs4_result.results[k]
        assert r.lower_bound == lb[k - 1] and r.gap == pytest.approx((r.objective - lb[k - 1]) / r.objective)
    assert np.all(lb[2:] == 0)  # spectral bound: 0 once k - 1 >= n_features = 2
    assert any("spectral bound is 0" in n for n in blobs4_result.notes)
    none = optimeans.choose_k(blobs4, [1, 2], n_refs=1, lower_bound=False, random_state=0)
    assert none.lower_bound == [None, None] and not any("bound" in n for n in none.notes)
    with pytest.raises(ValueError, match="lower_bound must be"):
        optimeans.choose_k(blobs4, [1, 2], lower_bound="tight")


def test_other_criteria_and_options(blobs4):
    r = optimeans.choose_k(blobs4, [2, 3, 4, 5], criterion="silhouette", n_refs=0, random_state=0)
    assert r.recommended == 4 and r.gap == [None] * 4 and "gap" not in r.picks
    r = optimeans.choose_k(blobs4, 6, criterion="bic", n_refs=2, reference="pca", random_state=0)
    assert list(r.k) == [1, 2, 3, 4, 5, 6] and r.recommended == 4
    seen = []
    optimeans.choose_k(blobs4, [1, 2], n_refs=2, random_state=0, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 6) for i in range(1, 7)]


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"k_range": []}, ValueError, "k_range is empty"),
        ({"k_range": [0, 1]}, ValueError, "k_range element must be >= 1"),
        ({"k_range": [2, 500]}, ValueError, "only 240 samples"),
        ({"k_range": "abc"}, TypeError, "k_range element must be an integer"),
        ({"k_range": None}, TypeError, "k_range must be an iterable"),
        ({"criterion": "elbow"}, ValueError, "criterion must be one of"),
        ({"reference": "gauss"}, ValueError, "reference must be 'box' or 'pca'"),
        ({"n_refs": 0}, ValueError, "criterion='gap' needs n_refs >= 1"),
    ],
)
def test_errors(blobs4, kwargs, exc, match):
    kw = {"k_range": [1, 2]}
    kw.update(kwargs)
    with pytest.raises(exc, match=match):
        optimeans.choose_k(blobs4, **kw)


# --- command line


def test_cli_choose_k_json_matches_library(capsys, tmp_path):
    png = tmp_path / "ck.png"
    code = main(["choose-k", "--dataset", "ruspini", "--k", "1..6", "--refs", "4", "--seed", "3",
                 "--json", "-q", "--plot", str(png), "--size", "500x400", "--threads", "1"])
    assert code == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    lib = optimeans.choose_k(load("ruspini"), range(1, 7), n_refs=4, random_state=3, n_threads=1)
    assert doc["recommended"] == lib.recommended == 4
    assert [r["objective"] for r in doc["table"]] == pytest.approx(list(lib.objective), rel=1e-12)
    assert doc["files"] == [str(png)]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.err == ""


def test_cli_choose_k_text(capsys):
    assert main(["choose-k", "--dataset", "ruspini", "--k", "3,4,5", "--refs", "2", "--seed", "0", "-q"]) == 0
    out = capsys.readouterr().out
    assert "ruspini: 75 samples x 2 features" in out
    assert "recommended k =" in out and "--seed 0" in out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--k", "5..2"], "LOW <= HIGH"),
        (["--k", "two"], "--k must be a range"),
        (["--k", "1..100"], "only 75 samples"),
        (["--plot", "x.unknown"], "image format"),
        (["--size", "big"], "--plot-size must be WIDTHxHEIGHT"),
    ],
)
def test_cli_choose_k_errors(capsys, argv, match):
    assert main(["choose-k", "--dataset", "ruspini", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("optimeans: error:") and match in err and len(err.splitlines()) == 1


def test_result_type():
    assert ChooseKResult.__dataclass_params__.frozen
