"""Proofs that can be checked again (optimeans.exact.proof), progress and limits of the proving search."""

from __future__ import annotations

import copy
import io
import json

import numpy as np
import pytest

import optimeans.exact.branch_bound as bb
from optimeans.exact.proof import load_proof, save_proof, verify
from optimeans.exact.proof_record import decode_symmetric, encode_symmetric


def _tree_search(X, k, **kw):
    """branch_and_bound with the SDP tree at once (no enumeration first), recording a proof."""
    old = bb.ENUM_FIRST
    bb.ENUM_FIRST = 0.0
    try:
        return bb.branch_and_bound(X, k, sdp=True, proof=True, **kw)
    finally:
        bb.ENUM_FIRST = old


@pytest.fixture(scope="module")
def proven():
    X = np.random.default_rng(5).normal(size=(30, 3))
    r = _tree_search(X, 4, gap_tol=1e-6, time_limit=300)
    return X, 4, r


def test_proof_verifies_after_a_round_trip(proven, tmp_path):
    X, k, r = proven
    assert r.proven_optimal and r.info["proof"] == "sdp"
    path = save_proof(r.info["proof_record"], tmp_path / "p.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # no temporary file left
    proof = load_proof(path)
    assert proof["tree"] is not None and len(proof["tree"]["nodes"]) >= 3  # a tree with branching
    v = verify(X, k, path)
    assert v.valid and v.proven, str(v)
    assert v.problems == [] and v.unchecked == []
    assert v.objective == pytest.approx(r.objective, rel=1e-12)
    assert v.lower_bound == pytest.approx(r.lower_bound, rel=1e-8)
    assert v.lower_bound <= v.objective and v.gap <= proof["result"]["rtol"]
    assert v.n_leaves == sum(1 for n in proof["tree"]["nodes"] if n["status"] != "branched")


def _leaf_with_certificate(p):
    cert_nodes = {c["node"] for c in p["tree"]["certificates"]}
    parents = {n["parent"] for n in p["tree"]["nodes"]}
    return next(n["id"] for n in p["tree"]["nodes"] if n["id"] not in parents and n["id"] in cert_nodes)


def _tamper(p, what, X):
    tree = p["tree"]
    if what == "certificate bound":
        c = tree["certificates"][-1]
        c["bound"] = c["bound"] * (1 + 1e-4)
    elif what == "label":
        lab = p["incumbent"]["labels"]
        lab[0] = (lab[0] + 1) % p["problem"]["n_clusters"]
    elif what == "dual entry":
        c = tree["certificates"][-1]
        N = decode_symmetric(c["N"])
        i, j = np.unravel_index(np.argmax(np.abs(N)), N.shape)
        N[i, j] = N[j, i] = N[i, j] * 1.5
        c["N"] = encode_symmetric(N)
    elif what == "cut multiplier":
        c = next(c for c in tree["certificates"] if any(v > 0 for v in c["multipliers"]))
        t = int(np.argmax(c["multipliers"]))
        c["multipliers"][t] *= 2.0
    elif what == "removed node":
        leaf = _leaf_with_certificate(p)
        tree["nodes"] = [n for n in tree["nodes"] if n["id"] != leaf]
    elif what == "removed certificate":
        leaf = _leaf_with_certificate(p)
        tree["certificates"] = [c for c in tree["certificates"] if c["node"] != leaf]
    elif what == "lower bound":
        p["result"]["lower_bound"] *= 1 + 1e-5
    elif what == "named bound":
        b = next(b for b in p["bounds"] if b["method"] == "sdp")
        b["value"] *= 1 + 1e-5
    elif what == "objective":
        p["incumbent"]["objective"] *= 1 - 1e-6
    elif what == "branch side":
        n = next(n for n in tree["nodes"] if n["side"] == "cannot")
        n["side"] = "must"
    elif what == "data":
        X = X.copy()
        X[3, 1] += 0.25
    return p, X


TAMPERS = ["certificate bound", "label", "dual entry", "cut multiplier", "removed node", "removed certificate",
           "lower bound", "named bound", "objective", "branch side", "data"]


@pytest.mark.parametrize("what", TAMPERS)
def test_one_changed_number_fails_verification(proven, what):
    X, k, r = proven
    p, X2 = _tamper(copy.deepcopy(r.info["proof_record"]), what, X)
    v = verify(X2, k, p)
    assert not v.valid, f"{what}: {v}"
    assert not v.proven
    assert v.problems


def test_certificates_beyond_the_memory_budget_are_dropped_and_said(monkeypatch):
    from optimeans.exact import proof as proof_mod

    X = np.random.default_rng(5).normal(size=(30, 3))
    real = proof_mod.TreeRecorder.__init__

    def small(self, xu_index, rep, max_bytes=None):
        real(self, xu_index, rep, max_bytes=30 * 30 * 8)  # room for the root's matrix only

    monkeypatch.setattr(proof_mod.TreeRecorder, "__init__", small)
    r = _tree_search(X, 4, gap_tol=1e-6, time_limit=300)
    p = r.info["proof_record"]
    assert p["tree"]["certificates_dropped"] >= 1 and len(p["tree"]["certificates"]) == 1
    v = verify(X, 4, p)
    assert v.valid and not v.proven  # the root's bound alone does not close the tree
    assert v.lower_bound < r.lower_bound and any("not kept" in u for u in v.unchecked)


def test_the_checked_bound_is_below_the_enumerated_optimum():
    from optimeans.exact import enumerate_partitions

    X = np.random.default_rng(11).normal(size=(9, 3))
    best = float(enumerate_partitions(X, 3).objective.min())
    r = _tree_search(X, 3, gap_tol=1e-6, time_limit=120)
    v = verify(X, 3, r.info["proof_record"])
    assert v.valid
    assert v.lower_bound <= best * (1 + 1e-12)
    assert v.objective == pytest.approx(best, rel=1e-9)  # the incumbent is the optimum


def test_a_time_limited_proof_verifies_with_its_gap():
    X = np.random.default_rng(3).normal(size=(60, 3))
    r = _tree_search(X, 5, gap_tol=1e-4, time_limit=4)
    v = verify(X, 5, r.info["proof_record"])
    assert v.valid, str(v)
    assert v.lower_bound == pytest.approx(r.lower_bound, rel=1e-8, abs=1e-12)
    assert v.proven == r.proven_optimal
    assert v.gap == pytest.approx(r.gap, rel=1e-6, abs=1e-9)


def test_ctrl_c_returns_the_incumbent_and_a_checked_bound():
    X = np.random.default_rng(3).normal(size=(60, 3))
    seen = []

    def progress(incumbent, lower, open_nodes, nodes):
        seen.append((incumbent, lower, open_nodes, nodes))
        assert lower <= incumbent
        if open_nodes is not None:
            raise KeyboardInterrupt

    r = _tree_search(X, 5, gap_tol=1e-9, time_limit=300, progress=progress)
    assert any(s[2] is not None for s in seen)
    assert r.stop_reason == "interrupted" and not r.proven_optimal
    assert 0 < r.lower_bound < r.objective
    v = verify(X, 5, r.info["proof_record"])
    assert v.valid, str(v)
    assert v.lower_bound == pytest.approx(r.lower_bound, rel=1e-8)


def test_one_dimensional_proofs_are_checked_by_dynamic_programming():
    X = np.random.default_rng(2).normal(size=(14, 1))
    r = bb.branch_and_bound(X, 3, proof=True)
    p = r.info["proof_record"]
    assert p["result"]["method"] == "enumeration"
    v = verify(X, 3, p)
    assert v.valid and v.proven and v.unchecked == []
    p["incumbent"]["labels"][0] = (p["incumbent"]["labels"][0] + 1) % 3
    assert not verify(X, 3, p).valid


def test_enumeration_proofs_say_what_they_cannot_check():
    X = np.random.default_rng(2).normal(size=(12, 2))
    r = bb.branch_and_bound(X, 3, proof=True, lp=False, sdp=False)
    v = verify(X, 3, r.info["proof_record"])
    assert v.valid and not v.proven
    assert any("enumeration" in u for u in v.unchecked)


def test_the_proof_file_is_json_without_nan(proven, tmp_path):
    X, k, r = proven
    path = save_proof(r.info["proof_record"], tmp_path / "p.json")
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["format"] == "optimeans-proof"
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not an optimeans proof"):
        load_proof(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="n_clusters=4, got 3"):
        verify(X, 3, r.info["proof_record"])


def test_proofs_through_fit_are_checked_in_its_work_space():
    import optimeans

    X = np.random.default_rng(5).normal(size=(30, 3)) * 1e3 + 1e6
    old = bb.ENUM_FIRST
    bb.ENUM_FIRST = 0.0
    try:
        r = optimeans.fit(X, 4, method="bnb", sdp=True, gap_tol=1e-6, proof=True, random_state=0)
    finally:
        bb.ENUM_FIRST = old
    v = verify(X, 4, r.info["proof_record"])
    assert v.valid and v.proven, str(v)
    assert v.objective == pytest.approx(r.objective, rel=1e-9)


# -- limits --------------------------------------------------------------------------


def test_sdp_row_limit_fits_the_memory():
    mem = 24 * 2**30
    L = bb.sdp_row_limit(mem)
    need = lambda m: 8 * bb.SDP_MATRICES * m * m + 2**28  # noqa: E731
    assert need(L) <= bb.SDP_MEMORY_SHARE * mem < need(L + 1)
    with pytest.raises(ValueError, match=rf"n = {L + 1} distinct rows .* allows n <= {L}"):
        bb.check_sdp_size(L + 1, mem)
    bb.check_sdp_size(L, mem)


def test_sdp_true_beyond_the_memory_is_refused_before_the_search(monkeypatch):
    monkeypatch.setattr(bb, "machine_memory", lambda: 2**29)  # 512 MiB: about 1,300 rows
    limit = bb.sdp_row_limit()
    X = np.random.default_rng(0).normal(size=(limit + 1, 3))
    with pytest.raises(ValueError, match=rf"n = {limit + 1} .* n <= {limit}"):
        bb.branch_and_bound(X, 3, sdp=True, time_limit=1)


# -- progress ------------------------------------------------------------------------


def test_progress_shows_bounds_at_most_once_a_second():
    from optimeans._progress import Progress

    now = [0.0]
    out = io.StringIO()
    p = Progress(stream=out, delay=0.0, clock=lambda: now[0], label="fit")
    for t in range(40):
        now[0] = 0.1 * t
        p.bounds(100.0, 90.0 + 0.1 * t, 7, t)
    lines = out.getvalue().splitlines()
    assert 3 <= len(lines) <= 5  # 4 s of calls every 0.1 s
    assert "incumbent 100, bound 90, gap 10 %, open nodes 7" in lines[0]
    assert "open nodes 7" in p.position()
    quiet = io.StringIO()
    q = Progress(stream=quiet, enabled=False, delay=0.0, clock=lambda: now[0])
    q.bounds(100.0, 90.0, 3, 1)
    assert quiet.getvalue() == "" and "bound 90" in q.position()


# -- command line --------------------------------------------------------------------


def test_cli_fit_writes_a_proof_that_verify_checks(tmp_path, capsys):
    from optimeans.cli import main

    X = np.random.default_rng(5).normal(size=(30, 3))
    data = tmp_path / "d.csv"
    np.savetxt(data, X, delimiter=",", fmt="%.17g")
    proof = tmp_path / "p.json"
    old = bb.ENUM_FIRST
    bb.ENUM_FIRST = 0.0
    try:
        assert main(["fit", str(data), "-k", "4", "--method", "bnb", "-o", "sdp=true", "-o", "gap_tol=1e-6",
                     "--proof", str(proof), "--seed", "0", "-q", "--json"]) == 0
    finally:
        bb.ENUM_FIRST = old
    summary = json.loads(capsys.readouterr().out)
    assert str(proof) in summary["files"]
    assert main(["verify", str(data), str(proof), "-k", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] and out["proven"]
    assert out["objective"] == pytest.approx(summary["objective"], rel=1e-9)
    p = json.loads(proof.read_text())
    p["incumbent"]["labels"][0] = (p["incumbent"]["labels"][0] + 1) % 4
    proof.write_text(json.dumps(p))
    assert main(["verify", str(data), str(proof), "-k", "4"]) == 3
    assert "INVALID" in capsys.readouterr().out


def test_cli_proof_needs_the_proving_method(tmp_path, capsys):
    from optimeans.cli import main

    data = tmp_path / "d.csv"
    np.savetxt(data, np.random.default_rng(0).normal(size=(20, 2)), delimiter=",")
    assert main(["fit", str(data), "-k", "2", "--proof", str(tmp_path / "p.json")]) == 2
    assert "--proof needs --method bnb" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()
    assert main(["verify", str(data), str(tmp_path / "missing.json"), "-k", "2"]) == 2
    assert "cannot read the proof" in capsys.readouterr().err


# -- the LP route (planar column generation) ---------------------------------------


@pytest.fixture(scope="module")
def lp_proven():
    from optimeans.exact.colgen import branch_and_price

    X = np.random.default_rng(2).normal(size=(14, 2))
    r = branch_and_price(X, 3, time_limit=None, proof=True, n_seeds=5)
    return X, 3, r


def test_lp_proof_verifies_by_pricing_alone(lp_proven, tmp_path, monkeypatch):
    X, k, r = lp_proven
    assert r.proven_optimal and r.info["proof_record"]["result"]["method"] == "lp"
    path = save_proof(r.info["proof_record"], tmp_path / "lp.json")
    p = load_proof(path)
    assert p["tree"] is None and len(p["lp_tree"]["nodes"]) >= 3  # the LP was not integral: it branched
    import scipy.optimize

    def no_lp(*a, **kw):
        raise AssertionError("the checker must not solve an LP")

    monkeypatch.setattr(scipy.optimize, "linprog", no_lp)
    v = verify(X, k, path)
    assert v.valid and v.proven, str(v)
    assert v.unchecked == [] and v.n_certificates >= 1
    assert v.lower_bound <= v.objective
    assert v.objective == pytest.approx(r.objective, rel=1e-12)


def _tamper_lp(p, what):
    from optimeans.exact.proof import decode_vector, encode_vector

    tree = p["lp_tree"]
    cert_nodes = {c["node"] for c in tree["certificates"]}
    parents = {n["parent"] for n in tree["nodes"]}
    leaf = next(n["id"] for n in tree["nodes"] if n["id"] not in parents and n["id"] in cert_nodes)
    if what == "multiplier":
        c = next(c for c in tree["certificates"] if c["node"] == leaf)
        lam = decode_vector(c["multipliers"])
        lam[int(np.argmax(np.abs(lam)))] *= 1.001
        c["multipliers"] = encode_vector(lam)
    elif what == "certificate bound":
        c = tree["certificates"][-1]
        c["bound"] *= 1 + 1e-4
    elif what == "removed certificate":
        tree["certificates"] = [c for c in tree["certificates"] if c["node"] != leaf]
    elif what == "removed node":
        tree["nodes"] = [n for n in tree["nodes"] if n["id"] != leaf]
    elif what == "branch side":
        n = next(n for n in tree["nodes"] if n["side"] == "cannot")
        n["side"] = "must"
    elif what == "named bound":
        next(b for b in p["bounds"] if b["method"] == "lp")["value"] *= 1 + 1e-5
    elif what == "label":
        lab = p["incumbent"]["labels"]
        lab[0] = (lab[0] + 1) % 3
    return p


@pytest.mark.parametrize("what", ["multiplier", "certificate bound", "removed certificate", "removed node",
                                  "branch side", "named bound", "label"])
def test_one_changed_number_fails_lp_verification(lp_proven, what):
    X, k, r = lp_proven
    p = _tamper_lp(copy.deepcopy(r.info["proof_record"]), what)
    v = verify(X, k, p)
    assert not v.valid and not v.proven, f"{what}: {v}"
    assert v.problems


def test_lp_certificates_on_other_data_fail():
    X = np.random.default_rng(2).normal(size=(14, 2))
    from optimeans.exact.colgen import branch_and_price

    r = branch_and_price(X, 3, time_limit=None, proof=True, n_seeds=5)
    X2 = X.copy()
    X2[5] += 0.3
    v = verify(X2, 3, r.info["proof_record"])
    assert not v.valid


def test_enumeration_proofs_are_checked_again_on_request():
    X = np.random.default_rng(2).normal(size=(12, 2))
    r = bb.branch_and_bound(X, 3, proof=True, lp=False, sdp=False)
    p = r.info["proof_record"]
    v = verify(X, 3, p, rerun=True)
    assert v.valid and v.proven and v.unchecked == [], str(v)
    assert str(v).startswith("proof verified")
    # without the rerun nothing proves the bound: the report must not say "verified"
    v0 = verify(X, 3, p)
    assert v0.valid and not v0.proven
    assert str(v0).startswith("proof consistent, optimality not established"), str(v0)
    # a suboptimal partition with consistent numbers: only the rerun can tell
    from optimeans.exact.proof import _objective

    bad = copy.deepcopy(p)
    lab = np.asarray(bad["incumbent"]["labels"])
    i = int(np.flatnonzero(lab == lab[0])[-1])
    lab[i] = (lab[i] + 1) % 3
    value = _objective(X, np.ones(12), lab)
    assert value > r.objective * (1 + 1e-9)
    bad["incumbent"] = {"labels": [int(v) for v in lab], "objective": value}
    bad["bounds"] = [{"method": "enumeration", "value": value}]
    bad["result"]["lower_bound"] = value
    assert verify(X, 3, bad).valid  # nothing to check without searching
    v = verify(X, 3, bad, rerun=True)
    assert not v.valid and any("not optimal" in q for q in v.problems)


def test_a_time_limited_lp_proof_verifies_with_its_gap():
    from optimeans.exact.colgen import branch_and_price

    X = np.random.default_rng(4).normal(size=(70, 2))
    r = branch_and_price(X, 6, time_limit=2, proof=True, n_seeds=5)
    v = verify(X, 6, r.info["proof_record"])
    assert v.valid, str(v)
    assert v.proven == r.proven_optimal
    assert v.lower_bound == pytest.approx(r.lower_bound, rel=1e-8, abs=1e-12)
    assert v.lower_bound <= v.objective


def test_cli_verify_reruns_an_enumeration_proof(tmp_path, capsys):
    from optimeans.cli import main

    X = np.random.default_rng(2).normal(size=(12, 2))
    data = tmp_path / "d.csv"
    np.savetxt(data, X, delimiter=",", fmt="%.17g")
    r = bb.branch_and_bound(X, 3, proof=True, lp=False, sdp=False)
    path = save_proof(r.info["proof_record"], tmp_path / "e.json")
    assert main(["verify", str(data), str(path), "-k", "3"]) == 1  # valid, but the bound is not checked
    assert "enumeration" in capsys.readouterr().out
    assert main(["verify", str(data), str(path), "-k", "3", "--rerun", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] and out["proven"] and out["unchecked"] == []
