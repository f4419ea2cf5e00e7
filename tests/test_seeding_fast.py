"""Greedy k-means++ through the packed scan: the same choices as a plain NumPy reference.

The reference below follows the rule stated in ``optimeans._kernels.seeding``
(sums in row order per chunk, chunks in order; the three-level sampling tree)
with NumPy sums whose order is explicit (``np.cumsum`` is sequential). Its
distances are the canonical float64 squared distances: computed directly in
NumPy for integer-valued data (where every formula is exact), and with the
library's canonical kernel (``sqdist_to_center``) for general float data.
"""

import math

import numpy as np
import pytest

from optimeans import fit
from optimeans._kernels import CHUNK, candidate_potentials, sqdist_to_center, update_min_sqdist
from optimeans._kernels.seeding import SUB, WIDE_D
from optimeans._numba import numba_threads
from optimeans.seeding import AUTO_AFKMC2_MIN_CLUSTERS, afkmc2, init_centers, kmeans_plusplus, resolve_init
import optimeans.seeding as seeding_mod


#: two threads really run two threads here (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("seeding_on_all_threads")

SUBS_PER_CHUNK = CHUNK // SUB


def _seqsum(a):
    """Sum in order, starting from 0.0."""
    return float(np.cumsum(np.asarray(a, dtype=np.float64))[-1]) if len(a) else 0.0


def _pick(tot, u):
    cum, last, last_cum = 0.0, -1, 0.0
    for j, v in enumerate(tot):
        nxt = cum + v
        if v > 0.0:
            if nxt > u:
                return j, u - cum
            last, last_cum = j, cum
        cum = nxt
    return last, u - last_cum


def _tree(p):
    n = len(p)
    nsub = -(-n // SUB)
    sub = [_seqsum(p[b * SUB:(b + 1) * SUB]) for b in range(nsub)]
    chunk = [_seqsum(sub[c * SUBS_PER_CHUNK:(c + 1) * SUBS_PER_CHUNK]) for c in range(-(-n // CHUNK))]
    return sub, chunk, _seqsum(chunk)


def _sample(u, p, tree):
    sub, chunk, _ = tree
    c, u = _pick(chunk, u)
    b, u = _pick(sub[c * SUBS_PER_CHUNK:(c + 1) * SUBS_PER_CHUNK], u)
    b += c * SUBS_PER_CHUNK
    r, _ = _pick(p[b * SUB:(b + 1) * SUB], u)
    return b * SUB + r


def numpy_dist(X, j):
    D = X.astype(np.float64) - X[j].astype(np.float64)
    return (D * D).sum(axis=1)


def canonical_dist(X, j):
    out = np.empty(len(X), dtype=np.float64)
    sqdist_to_center(X, X[j], out)
    return out


def reference_kmeanspp(X, k, w, rng, dist, m=None):
    n = len(X)
    m = 2 + int(math.log(k)) if m is None else m
    w = np.asarray(w, dtype=np.float64)
    first_r = rng.random()
    U = rng.random((k - 1) * m).reshape(k - 1, m)
    wtree = _tree(w)
    idx = [_sample(first_r * wtree[2], w, wtree)]
    closest = dist(X, idx[0])
    for step in range(1, k):
        p = w * closest
        tree = _tree(p)
        if not tree[2] > 0.0:
            idx.append(_sample(U[step - 1, 0] * wtree[2], w, wtree))
            continue
        cands = [_sample(U[step - 1, t] * tree[2], p, tree) for t in range(m)]
        gains = []
        for ct in cands:
            s = dist(X, ct)
            g = 0.0
            for c in range(-(-n // CHUNK)):
                sl = slice(c * CHUNK, (c + 1) * CHUNK)
                better = s[sl] < closest[sl]
                g += _seqsum(w[sl][better] * (closest[sl][better] - s[sl][better]))
            gains.append(g)
        best = int(np.argmax(gains))  # the first of equal gains
        idx.append(cands[best])
        closest = np.minimum(closest, dist(X, cands[best]))
    return np.asarray(idx)


def rowwise_kmeanspp(X, k, w, rng):
    """The row-by-row float64 greedy k-means++ that the packed kernel replaces (cumsum sampling)."""
    n = len(X)
    m = 2 + int(np.log(k))

    def sample(p, size):
        cum = np.cumsum(p)
        return np.minimum(np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), n - 1)

    idx = [int(sample(w, 1)[0])]
    closest = np.empty(n)
    sqdist_to_center(X, X[idx[0]], closest)
    chunk_pot = np.empty((m, -(-n // CHUNK)))
    for _ in range(1, k):
        cands = sample(w * closest, m)
        candidate_potentials(X, w, closest, cands, chunk_pot)
        best = int(cands[int(np.argmin(chunk_pot.sum(axis=1)))])
        idx.append(best)
        update_min_sqdist(X, X[best], closest)
    return np.asarray(idx)


def _blobs(n, d, seed, dtype, n_centers=6):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=8.0, size=(n_centers, d))
    return (means[rng.integers(n_centers, size=n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, d, k", [(300, 3, 7), (9000, 11, 12)])
def test_indices_equal_numpy_reference(dtype, n, d, k):
    X = _blobs(n, d, 0, dtype)
    w = np.ones(n)
    for seed in range(2):
        _, idx = kmeans_plusplus(X, k, w, np.random.default_rng(seed))
        ref = reference_kmeanspp(X, k, w, np.random.default_rng(seed), canonical_dist)
        np.testing.assert_array_equal(idx, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_indices_equal_reference_with_weights(dtype):
    rng = np.random.default_rng(4)
    X = _blobs(5000, 4, 1, dtype)
    w = rng.uniform(0.0, 3.0, size=len(X))
    w[::7] = 0.0
    _, idx = kmeans_plusplus(X, 10, w, np.random.default_rng(2))
    ref = reference_kmeanspp(X, 10, w, np.random.default_rng(2), canonical_dist)
    np.testing.assert_array_equal(idx, ref)
    assert (w[idx] > 0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_integer_data_pure_numpy_reference_with_duplicates_and_ties(dtype):
    # few distinct points, many exact duplicates and equal distances, more clusters than
    # distinct points (the steps where the potential is 0 draw by weight)
    rng = np.random.default_rng(7)
    X = rng.integers(0, 3, size=(5000, 2)).astype(dtype)  # 9 distinct points
    w = np.ones(len(X))
    for seed in range(3):
        _, idx = kmeans_plusplus(X, 12, w, np.random.default_rng(seed))
        ref = reference_kmeanspp(X, 12, w, np.random.default_rng(seed), numpy_dist)
        np.testing.assert_array_equal(idx, ref)
        assert len({tuple(r) for r in X[idx[:9]]}) == 9  # every distinct point before any repeat


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [6, WIDE_D + 1])
def test_every_candidate_grouping_equals_the_reference(dtype, d):
    # from WIDE_D features on the scan takes the candidates in groups of eight, six, four or two
    # (the last one padded), below in groups of four: every split (6: one six; 7: one padded
    # eight; 10: eight + two; 11: eight + padded four; 13: eight + padded six; 16: two eights;
    # 17: two eights + padded two) chooses as the reference, on 1 and 2 threads
    X = _blobs(4100, d, 5, dtype, n_centers=9)  # two chunks
    w = np.ones(len(X))
    for m in (6, 7, 10, 11, 13, 16, 17):
        _, idx = kmeans_plusplus(X, 8, w, np.random.default_rng(m), n_local_trials=m, n_threads=1)
        ref = reference_kmeanspp(X, 8, w, np.random.default_rng(m), canonical_dist, m=m)
        np.testing.assert_array_equal(idx, ref, err_msg=f"n_local_trials={m}")
        _, idx2 = kmeans_plusplus(X, 8, w, np.random.default_rng(m), n_local_trials=m, n_threads=2)
        np.testing.assert_array_equal(idx2, idx, err_msg=f"n_local_trials={m}, 2 threads")


def test_bounds_decide_most_steps_and_exact_gains_settle_the_rest():
    # separated blobs: the float32 bounds on the gains decide nearly every step (no canonical
    # distance for the candidates not chosen); integer data with duplicates: equal gains (the
    # same point under two rows) overlap, and those steps sum the exact gains of the rule.
    # Both paths choose as the reference, on 1 and 2 threads.
    X = _blobs(9000, 24, 2, np.float32, n_centers=12)
    w = np.ones(len(X))
    stats = np.zeros(2, dtype=np.int64)
    _, idx = kmeans_plusplus(X, 15, w, np.random.default_rng(3), n_threads=1, stats=stats)
    np.testing.assert_array_equal(idx, reference_kmeanspp(X, 15, w, np.random.default_rng(3), canonical_dist))
    assert stats.sum() == 14 and stats[0] >= 10
    rng = np.random.default_rng(7)
    Xi = rng.integers(0, 4, size=(6000, 3)).astype(np.float64)  # 64 distinct points
    wi = np.ones(len(Xi))
    exact = 0
    for seed in range(3):
        for threads in (1, 2):
            stats[:] = 0
            _, idx = kmeans_plusplus(Xi, 20, wi, np.random.default_rng(seed), n_threads=threads, stats=stats)
            np.testing.assert_array_equal(idx, reference_kmeanspp(Xi, 20, wi, np.random.default_rng(seed), numpy_dist))
            assert stats.sum() == 19
            exact += stats[1]
    assert exact > 0


def test_same_choices_as_the_rowwise_kernel_it_replaces():
    for seed, dtype in [(0, np.float32), (1, np.float64)]:
        X = _blobs(12000, 9, seed, dtype, n_centers=20)
        w = np.ones(len(X))
        _, idx = kmeans_plusplus(X, 25, w, np.random.default_rng(seed))
        np.testing.assert_array_equal(idx, rowwise_kmeanspp(X, 25, w, np.random.default_rng(seed)))


def test_one_and_two_threads_bitwise():
    X = _blobs(30000, 5, 3, np.float32, n_centers=30)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    with numba_threads(1):
        c1, i1 = kmeans_plusplus(X, 40, w, np.random.default_rng(9))
    with numba_threads(2):
        c2, i2 = kmeans_plusplus(X, 40, w, np.random.default_rng(9))
    np.testing.assert_array_equal(i1, i2)
    assert c1.tobytes() == c2.tobytes()


def test_seeding_threads_rule(monkeypatch):
    from optimeans._numba import max_threads
    from optimeans.seeding import seeding_threads

    monkeypatch.setattr(seeding_mod, "SEED_ROWS_PER_THREAD", 32768)
    top = max_threads()
    assert seeding_threads(20000, None) == 1  # too few rows for a second thread
    assert seeding_threads(20000, 2) == 1
    assert seeding_threads(10**6, 1) == 1  # never more than asked
    assert seeding_threads(10**6, None) == top
    assert seeding_threads(65536, None) == min(top, 2)
    with pytest.raises(ValueError):
        seeding_threads(10**6, 0)
    # the kernel's thread count changes no bit: capped (one thread) against lifted (two)
    X = _blobs(3000, 20, 4, np.float32, n_centers=12)
    w = np.ones(len(X))
    c1, i1 = kmeans_plusplus(X, 16, w, np.random.default_rng(2), n_threads=2)
    monkeypatch.setattr(seeding_mod, "SEED_ROWS_PER_THREAD", 1)
    c2, i2 = kmeans_plusplus(X, 16, w, np.random.default_rng(2), n_threads=2)
    np.testing.assert_array_equal(i1, i2)
    assert c1.tobytes() == c2.tobytes()


def test_seeding_threads_default_rule(monkeypatch):
    from optimeans._numba import max_threads
    from optimeans.seeding import seeding_threads

    monkeypatch.undo()  # the module's own rule, not the fixture's
    top = max_threads()
    assert seeding_mod.SEED_ROWS_PER_THREAD == 4096
    assert seeding_threads(20000, 2) == min(top, 2)  # 20000 x 128, k = 100 runs on two threads
    assert seeding_threads(8191, None) == 1
    assert seeding_threads(8192, None) == min(top, 2)


def test_load_guard(monkeypatch):
    """A region that does not answer in time sends the seeding to one thread, with the same bits."""
    import contextlib

    from optimeans.seeding import seeding_threads_respond

    X = _blobs(3000, 20, 4, np.float32, n_centers=12)
    assert seeding_threads_respond(2, X)  # the fixture lifts the limit: any region answers
    used = []
    real = seeding_mod.numba_threads

    @contextlib.contextmanager
    def recording(n):
        with real(n) as got:
            used.append(got)
            yield got

    monkeypatch.setattr(seeding_mod, "numba_threads", recording)
    w = np.ones(len(X))
    c1, i1 = kmeans_plusplus(X, 16, w, np.random.default_rng(3), n_threads=2)
    ran_free = used[-1]
    monkeypatch.setattr(seeding_mod, "SEED_REGION_LIMIT", 0.0)  # no region answers within 0 s
    monkeypatch.setattr(seeding_mod, "SEED_PROBE_BUDGET", 0.0)
    assert not seeding_threads_respond(2, X)
    used.clear()
    c2, i2 = kmeans_plusplus(X, 16, w, np.random.default_rng(3), n_threads=2)
    assert used[-1] == 1  # the kernel's threads
    assert ran_free == min(2, seeding_mod.resolve_n_threads(None))
    np.testing.assert_array_equal(i1, i2)
    assert c1.tobytes() == c2.tobytes()


def test_weighted_equals_repeated_rows():
    rng = np.random.default_rng(11)
    X = rng.integers(-20, 20, size=(400, 3)).astype(np.float64)
    reps = rng.integers(1, 4, size=len(X))
    Xr = np.repeat(X, reps, axis=0)
    for seed in range(3):
        cw, _ = kmeans_plusplus(X, 15, reps.astype(np.float64), np.random.default_rng(seed))
        cr, _ = kmeans_plusplus(Xr, 15, np.ones(len(Xr)), np.random.default_rng(seed))
        np.testing.assert_array_equal(cw, cr)


def test_plain_kmeanspp_and_bad_trials():
    X = _blobs(2000, 3, 5, np.float64)
    w = np.ones(len(X))
    _, idx = kmeans_plusplus(X, 9, w, np.random.default_rng(1), n_local_trials=1)
    ref = reference_kmeanspp(X, 9, w, np.random.default_rng(1), canonical_dist, m=1)
    np.testing.assert_array_equal(idx, ref)
    with pytest.raises(ValueError, match="n_local_trials must be between 1 and 63"):
        kmeans_plusplus(X, 9, w, np.random.default_rng(1), n_local_trials=64)


# ------------------------------------------------------------------ AFK-MC2 and init="auto"



def test_afkmc2_reproducible_thread_independent_and_valid():
    X = _blobs(20000, 6, 2, np.float32, n_centers=40)
    w = np.ones(len(X))
    with numba_threads(1):
        c1, i1 = afkmc2(X, 40, w, np.random.default_rng(5))
    with numba_threads(2):
        c2, i2 = afkmc2(X, 40, w, np.random.default_rng(5))
    np.testing.assert_array_equal(i1, i2)
    assert c1.tobytes() == c2.tobytes()
    np.testing.assert_array_equal(c1, X[i1])
    assert len(set(i1.tolist())) == 40  # distinct rows: a chosen row has D = 0 and is never accepted again
    _, i3 = afkmc2(X, 40, w, np.random.default_rng(6))
    assert not np.array_equal(i1, i3)


def test_afkmc2_follows_the_distance_weighting():
    # two far groups, one of 1000 points and one of 10: the second center lands in the small group
    # whenever the first is in the large one (D^2 weighting), which random choice would rarely do
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(1000, 2)), 1000.0 + rng.normal(size=(10, 2))])
    w = np.ones(len(X))
    hits = 0
    for s in range(20):
        _, idx = afkmc2(X, 2, w, np.random.default_rng(s), chain_length=50)
        hits += (idx >= 1000).sum() == 1
    assert hits == 20


def test_afkmc2_never_picks_zero_weight_rows_and_bad_chain():
    X = _blobs(3000, 3, 4, np.float64)
    w = np.ones(len(X))
    w[::3] = 0.0
    for s in range(5):
        _, idx = afkmc2(X, 12, w, np.random.default_rng(s))
        assert (w[idx] > 0).all()
    with pytest.raises(ValueError, match="chain_length must be a positive integer"):
        afkmc2(X, 3, w, np.random.default_rng(0), chain_length=0)


def test_init_auto_resolution_and_fit():
    assert resolve_init("auto", 1000, 10) == "k-means++"
    assert resolve_init("auto", 10**6, AUTO_AFKMC2_MIN_CLUSTERS) == "afkmc2"  # greedy: ~90x the work
    assert resolve_init("auto", 10**6, AUTO_AFKMC2_MIN_CLUSTERS - 1) == "k-means++"
    assert resolve_init("auto", 100000, 1024) == "k-means++"  # measured: greedy ends far lower
    assert resolve_init("auto", 250000, 6000) == "k-means++"
    assert resolve_init("random", 10**6, 10**4) == "random"
    X = _blobs(9000, 3, 6, np.float64)  # more than one chunk: fit runs on 2 threads
    w = np.ones(len(X))
    a = init_centers(X, 5, w, "auto", np.random.default_rng(0))
    b = kmeans_plusplus(X, 5, w, np.random.default_rng(0))[0]
    np.testing.assert_array_equal(a, b)
    r1 = fit(X, 6, init="afkmc2", random_state=3, n_threads=1)
    r2 = fit(X, 6, init="afkmc2", random_state=3, n_threads=2)
    assert r1.objective == r2.objective
    np.testing.assert_array_equal(r1.labels, r2.labels)
    with pytest.raises(ValueError, match="init must be one of"):
        fit(X, 6, init="afk-mc2")
