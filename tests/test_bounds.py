"""Certified lower bounds: never above the optimum, reasonably tight, certify()."""

from pathlib import Path

import numpy as np
import pytest

import optimeans
from optimeans.exact import enumerate_partitions, kmeans_1d
from optimeans.exact.bounds import Certificate, certify, lower_bound, sdp_bound, spectral_bound

DATA = Path(__file__).parent / "data"
RUSPINI_OPT = {2: 89337.832142857, 4: 12881.051236147, 8: 6149.639019314}


def ruspini():
    return np.loadtxt(DATA / "ruspini.txt", skiprows=1)


def test_ruspini_assignment_files_have_the_stated_optima():
    X = ruspini()
    for k, opt in RUSPINI_OPT.items():
        lab = np.loadtxt(DATA / f"ruspini_optimal_assignment_k{k}.txt", dtype=int)
        C = np.array([X[lab == j].mean(0) for j in range(k)])
        assert optimeans.objective(X, C, labels=lab) == pytest.approx(opt, rel=1e-10)


@pytest.mark.parametrize("k", [2, 4])
def test_ruspini_sdp_bound_valid_and_tight(k):
    X = ruspini()
    lb, info = sdp_bound(X, k)
    assert lb <= RUSPINI_OPT[k]
    assert lb >= spectral_bound(X, k)
    # Peng-Wei is (almost) tight on Ruspini for k = 2 and 4 (the SDP value,
    # checked against an interior-point solver: 89332.95 and 12881.05)
    gap = (RUSPINI_OPT[k] - lb) / RUSPINI_OPT[k]
    assert gap < {2: 1e-4, 4: 1e-6}[k]
    assert info["stop_reason"] == "converged"


def test_ruspini_k8_bound_valid_when_stopped_early():
    X = ruspini()
    early, info = sdp_bound(X, 8, max_iter=20)
    assert info["stop_reason"] == "max_iter" and info["n_iter"] == 20
    later, _ = sdp_bound(X, 8, max_iter=300)
    assert 0.0 < early <= later <= RUSPINI_OPT[8]
    # the relaxation's value is 5527.73 (interior point), 10 % below the optimum
    assert later > 0.85 * RUSPINI_OPT[8]


def test_ruspini_spectral_bound():
    X = ruspini()
    lb = spectral_bound(X, 2)
    assert 0.0 < lb <= RUSPINI_OPT[2]
    Xc = X - X.mean(0)
    lam = np.linalg.eigvalsh(Xc.T @ Xc)
    assert lb == pytest.approx((Xc**2).sum() - lam[-1], rel=1e-9)
    assert spectral_bound(X, 3) == 0.0  # k - 1 >= d: nothing left


@pytest.mark.parametrize("seed", range(8))
def test_bounds_below_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n, d, k = 8, 1 + seed % 3, 2 + seed % 3
    X = rng.standard_normal((n, d)) + (3.0 * rng.integers(0, 2, (n, 1)) if seed % 2 else 0.0)
    w = rng.uniform(0.3, 3.0, n) if seed >= 4 else None
    opt = enumerate_partitions(X, k, sample_weight=w, keep="lloyd").optimum
    spec = lower_bound(X, k, "spectral", sample_weight=w)
    sdp = lower_bound(X, k, "sdp", sample_weight=w, max_iter=300)
    assert spec <= opt * (1 + 1e-12)
    assert spec <= sdp <= opt * (1 + 1e-12)
    assert sdp > 0.5 * opt  # the SDP bound is never useless on such data


def test_weighted_bound_equals_repeated_rows():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 2))
    reps = rng.integers(1, 4, 12)
    a = spectral_bound(X, 2, sample_weight=reps.astype(float))
    b = spectral_bound(np.repeat(X, reps, axis=0), 2)
    assert a == pytest.approx(b, rel=1e-9)
    sa, _ = sdp_bound(X, 3, sample_weight=reps.astype(float), max_iter=400, tol=1e-9)
    sb, _ = sdp_bound(np.repeat(X, reps, axis=0), 3, max_iter=400, tol=1e-9)
    assert sa == pytest.approx(sb, rel=1e-3)


def test_one_dimensional_sdp_against_exact_optimum():
    x = np.concatenate([np.arange(10.0), 30 + np.arange(10.0), 70 + np.arange(5.0)])
    r = kmeans_1d(x, 3)
    lb = lower_bound(x.reshape(-1, 1), 3, "sdp")
    assert lb <= r.objective and (r.objective - lb) / r.objective < 1e-4


def test_trivial_cases():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    T = ((X - X.mean(0)) ** 2).sum()
    assert lower_bound(X, 1, "sdp") == pytest.approx(T)
    assert lower_bound(X, 1, "spectral") == pytest.approx(T)
    assert lower_bound(X, 3, "sdp") == 0.0


def test_certify_result_and_replace():
    X = ruspini()
    r = optimeans.fit(X, 4, random_state=0)
    c = certify(X, r, method="sdp")
    assert isinstance(c, Certificate)
    assert c.objective == r.objective and c.lower_bound <= RUSPINI_OPT[4] <= c.objective + 1e-6
    assert c.gap == pytest.approx((c.objective - c.lower_bound) / c.objective)
    assert c.gap < 1e-6  # the fit found the optimum and the bound proves it
    r2 = r.replace(lower_bound=c.lower_bound, gap=c.gap)
    assert r2.summary()["lower_bound"] == c.lower_bound and r2.summary()["gap"] == c.gap
    assert "within" in str(c) and c.to_dict()["method"] == "sdp"


def test_certify_suboptimal_result_has_a_gap():
    X = ruspini()
    bad = optimeans.fit(X, 4, init=X[:4], n_init=1, max_iter=1)
    c = certify(X, bad, method="spectral")
    assert c.lower_bound <= RUSPINI_OPT[4] and c.gap > 0


def test_certify_errors():
    X = ruspini()
    r = optimeans.fit(X, 2, random_state=0)
    with pytest.raises(ValueError, match="method"):
        certify(X, r, method="nope")
    with pytest.raises(ValueError, match="labels"):
        certify(X[:10], r)
    with pytest.raises(ValueError, match="exceeds"):
        certify(X, (1.0, 2), method="spectral")
    with pytest.raises(ValueError, match="spectral"):
        lower_bound(np.zeros((7000, 1)) + np.arange(7000.0)[:, None], 2, "sdp")


def test_public_names():
    assert optimeans.lower_bound is lower_bound and optimeans.certify is certify
    assert optimeans.exact.kmeans_1d is kmeans_1d


def test_cli_fit_certify_json(capsys):
    import json

    from optimeans.cli import main

    assert main(["fit", "--dataset", "ruspini", "-k", "4", "--seed", "0", "--certify", "--json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lower_bound"] <= RUSPINI_OPT[4] <= out["objective"] + 1e-6
    assert 0.0 <= out["gap"] < 1e-5
    assert out["gap"] == pytest.approx((out["objective"] - out["lower_bound"]) / out["objective"])


def test_cli_fit_certify_scaled_spectral(capsys):
    from optimeans.cli import main

    assert main(["fit", "--dataset", "iris", "-k", "2", "--seed", "0", "--scale", "standard", "--certify", "spectral", "-q"]) == 0
    out = capsys.readouterr().out
    assert "lower bound" in out and "spectral bound" in out
