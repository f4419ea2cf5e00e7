"""Enumeration of every partition: counts, local minima, the CLI."""

import itertools
import json

import numpy as np
import pytest

from optimeans.cli import main
from optimeans.exact import enumerate_partitions
from optimeans.exact.enumerate import stirling2


def _partition_sets(land, points):
    out = []
    for i in range(len(land.objective)):
        out.append(frozenset(frozenset(points[j] for j in c) for c in land.clusters(i)))
    return out


def _reference(X, k, w):
    """Every k-partition by brute force (NumPy), with both stability tests."""
    n = len(X)
    seen = set()
    rows = []
    for lab in itertools.product(range(k), repeat=n):
        if len(set(lab)) != k:
            continue
        # canonical relabelling: first appearance order
        m = {}
        canon = tuple(m.setdefault(v, len(m)) for v in lab)
        if canon in seen:
            continue
        seen.add(canon)
        lab = np.array(canon)
        W = np.array([w[lab == j].sum() for j in range(k)])
        C = np.array([(w[lab == j, None] * X[lab == j]).sum(0) / W[j] for j in range(k)])
        D = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
        obj = float((w * D[np.arange(n), lab]).sum())
        own = D[np.arange(n), lab]
        tol = 1e-9
        lloyd = bool(np.all(w[:, None] * (own[:, None] - D) <= tol))
        merge = [W[a] * W[b] / (W[a] + W[b]) * ((C[a] - C[b]) ** 2).sum() for a in range(k) for b in range(a + 1, k)]
        lloyd = lloyd and min(merge, default=1.0) > tol
        hart = True
        for i in range(n):
            j = lab[i]
            if W[j] - w[i] <= 0:
                continue
            for l in range(k):
                if l != j and w[i] * (W[j] / (W[j] - w[i]) * D[i, j] - W[l] / (W[l] + w[i]) * D[i, l]) > tol:
                    hart = False
        rows.append((canon, obj, lloyd, lloyd and hart))
    return rows


def test_stirling_numbers():
    assert [stirling2(4, k) for k in range(5)] == [0, 1, 7, 6, 1]
    assert stirling2(14, 4) == 10391745
    assert stirling2(10, 3) == 9330


def test_line_1234_lloyd_trap_and_optimum():
    pts = [1.0, 2.0, 3.0, 4.0]
    land = enumerate_partitions(pts, 2)
    assert land.n_partitions == 7
    sets = _partition_sets(land, pts)
    opt = frozenset({frozenset({1.0, 2.0}), frozenset({3.0, 4.0})})
    trap = frozenset({frozenset({1.0}), frozenset({2.0, 3.0, 4.0})})
    i_opt, i_trap = sets.index(opt), sets.index(trap)
    assert land.objective[i_opt] == pytest.approx(1.0) and land.optimum == pytest.approx(1.0)
    assert land.objective[i_trap] == pytest.approx(2.0)
    assert land.lloyd_fixed[i_trap] and not land.hartigan_stable[i_trap]
    assert land.lloyd_fixed[i_opt] and land.hartigan_stable[i_opt]
    assert land.is_optimal.tolist() == [i == i_opt for i in range(7)]
    assert (land.n_lloyd_fixed, land.n_hartigan_stable) == (3, 1)
    assert np.all(np.diff(land.objective) >= 0)


def test_line_12345_two_optimal_partitions():
    pts = [1.0, 2.0, 3.0, 4.0, 5.0]
    land = enumerate_partitions(pts, 2)
    assert land.n_optimal == 2
    sets = _partition_sets(land, pts)
    best = {sets[i] for i in np.flatnonzero(land.is_optimal)}
    assert best == {
        frozenset({frozenset({1.0, 2.0}), frozenset({3.0, 4.0, 5.0})}),
        frozenset({frozenset({1.0, 2.0, 3.0}), frozenset({4.0, 5.0})}),
    }
    assert land.optimum == pytest.approx(2.5)
    assert land.hartigan_stable[land.is_optimal].all()


def test_line_12346():
    pts = [1.0, 2.0, 3.0, 4.0, 6.0]
    land = enumerate_partitions(pts, 2, keep="lloyd")
    sets = _partition_sets(land, pts)
    got = {s: (o, h) for s, o, h in zip(sets, land.objective, land.hartigan_stable)}
    P = lambda *blocks: frozenset(frozenset(b) for b in blocks)  # noqa: E731
    assert set(got) == {P({1, 2, 3}, {4, 6}), P({1, 2, 3, 4}, {6}), P({1, 2}, {3, 4, 6})}
    assert got[P({1, 2, 3}, {4, 6})] == (pytest.approx(4.0), True)
    assert got[P({1, 2, 3, 4}, {6})] == (pytest.approx(5.0), False)
    assert got[P({1, 2}, {3, 4, 6})][0] == pytest.approx(31 / 6)
    assert land.n_partitions == 15 and land.optimum == pytest.approx(4.0)


@pytest.mark.parametrize("seed", range(6))
def test_matches_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    n, k, d = 7, 2 + seed % 3, 1 + seed % 2
    X = rng.integers(0, 5, (n, d)).astype(float) if seed % 2 else rng.standard_normal((n, d))
    w = rng.uniform(0.5, 2.0, n) if seed >= 3 else np.ones(n)
    land = enumerate_partitions(X, k, sample_weight=w)
    ref = _reference(X, k, w)
    assert land.n_partitions == len(ref) == stirling2(n, k)
    mine = {tuple(l): (o, a, b) for l, o, a, b in zip(land.labels.tolist(), land.objective, land.lloyd_fixed, land.hartigan_stable)}
    for canon, obj, lloyd, hart in ref:
        o, a, b = mine[canon]
        assert o == pytest.approx(obj, rel=1e-12, abs=1e-12)
        assert (a, b) == (lloyd, hart)
    assert land.optimum == pytest.approx(min(r[1] for r in ref))
    assert land.n_lloyd_fixed == sum(r[2] for r in ref)
    assert land.n_hartigan_stable == sum(r[3] for r in ref)


def test_keep_lloyd_keeps_the_same_local_minima():
    X = np.random.default_rng(1).standard_normal((9, 2))
    full = enumerate_partitions(X, 3)
    loc = enumerate_partitions(X, 3, keep="lloyd")
    assert loc.n_partitions == full.n_partitions == stirling2(9, 3)
    np.testing.assert_array_equal(loc.labels, full.labels[full.lloyd_fixed])
    assert loc.optimum == full.optimum and loc.lloyd_fixed.all()


def test_errors():
    with pytest.raises(ValueError, match="max_partitions"):
        enumerate_partitions(np.arange(20.0), 4, max_partitions=1000)
    with pytest.raises(ValueError, match="keep='lloyd'"):
        enumerate_partitions(np.arange(14.0), 5)
    with pytest.raises(ValueError, match="positive"):
        enumerate_partitions([1.0, 2.0, 3.0], 2, sample_weight=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="keep"):
        enumerate_partitions([1.0, 2.0, 3.0], 2, keep="some")


def test_cli_marks_optimum(capsys):
    assert main(["landscape", "--points", "1,2,3,4", "-k", "2"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if "{" in ln]
    assert len(lines) == 3
    assert "{1, 2} {3, 4}" in lines[0] and "global optimum" in lines[0]
    assert "{1} {2, 3, 4}" in out and "global optimum" not in lines[1] + lines[2]


def test_cli_json_and_file(tmp_path, capsys):
    f = tmp_path / "pts.csv"
    f.write_text("x,y\n0,0\n1,0\n5,5\n6,5\n0,1\n")
    assert main(["landscape", str(f), "-k", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    land = enumerate_partitions(np.array([[0, 0], [1, 0], [5, 5], [6, 5], [0, 1]], float), 2, keep="lloyd")
    assert data["n_partitions"] == 15 and data["optimum"] == pytest.approx(land.optimum)
    assert [p["objective"] for p in data["partitions"]] == pytest.approx(land.objective.tolist())
    assert data["partitions"][0]["global_optimum"] and data["partitions"][0]["clusters"] == [[0, 1, 4], [2, 3]]


def test_cli_errors(capsys):
    assert main(["landscape", "-k", "2"]) == 2
    assert main(["landscape", "--points", "1,x", "-k", "2"]) == 2
    assert main(["landscape", "--points", "1,2", "-k", "3"]) == 2
    assert "error" in capsys.readouterr().err
