"""Share of the ``n k`` distances that pruning tests leave, per Lloyd iteration (NumPy, a measurement).

From bench_lloyd.make_data and its initial centers, runs plain Lloyd (float64) and reports, per
iteration t = 2..T (iteration 1 has no previous labels: every test computes all ``n k``):

* ``yy``: textbook Yinyang (Ding et al. 2015) with the solver's groups (default_groups /
  yinyang_groups): global filter, then ``u`` tightened exactly, then every center of each group
  whose bound is below ``u``; counts 1 per tightened ``u``.
* ``ball``: with ``u = ||x - c_a||`` exact against the NEW centers (``a`` the previous label), the
  centers ``c != a`` with ``||c - c_a|| < 2u`` (Elkan's lemma: no other can be nearer), for every point.
* ``yy+ball``: Yinyang's global and group filters, and in a failing group only the ball's centers
  (group bounds kept with ``||c - c_a|| - u`` for the centers the ball excludes).
* ``wide + narrow``: the points whose ball holds over ``k / 4`` centers (their share of ``n``:
  a full scan each), and the centers in the balls of the others (share of ``n k``).
* ``orphans``: share of points whose ``2u`` exceeds the median center-center distance of their center.

Usage::

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/measure_pruning.py --shape 50000x128x4096 --iters 6
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import make_data  # noqa: E402


def sqd(X, C, cc):
    D = (X * X).sum(axis=1)[:, None] - 2.0 * (X @ C.T) + cc[None, :]
    return np.sqrt(np.maximum(D, 0.0))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="50000x128x4096")
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--block", type=int, default=2000)
    a = p.parse_args(argv)
    n, d, k = (int(v) for v in a.shape.split("x"))
    from optimeans.solvers.accelerated import default_groups, yinyang_groups

    X, C = make_data(n, d, k)
    t = default_groups(n, k)
    gof = yinyang_groups(C, t)
    t = int(gof.max()) + 1
    members = [np.flatnonzero(gof == g) for g in range(t)]
    labels = None
    variants = ("yy", "yyb")
    u = {v: None for v in variants}
    glb = {v: None for v in variants}
    prevC = None
    print(f"# {a.shape}, {t} groups; shares of n k per iteration")
    for it in range(1, a.iters + 1):
        cc = (C * C).sum(axis=1)
        CC = sqd(C, C, cc)
        np.fill_diagonal(CC, np.inf)
        med = np.median(CC, axis=1)
        if prevC is not None:
            drift = np.sqrt(((C - prevC) ** 2).sum(axis=1))
            gd = np.array([drift[m].max() for m in members])
        counts = {"yy": 0, "yyb": 0, "ball": 0, "wide": 0, "narrow": 0}
        orphans = 0
        newlab = np.empty(n, dtype=np.int64)
        for s in range(0, n, a.block):
            e = min(n, s + a.block)
            D = sqd(X[s:e], C, cc)
            lab = np.argmin(D, axis=1)
            newlab[s:e] = lab
            rows = np.arange(e - s)
            if labels is None:
                for v in variants:
                    if u[v] is None:
                        u[v] = np.empty(n)
                        glb[v] = np.empty((n, t))
                    u[v][s:e] = D[rows, lab]
                    Dm = D.copy()
                    Dm[rows, lab] = np.inf
                    for g in range(t):
                        glb[v][s:e, g] = Dm[:, members[g]].min(axis=1)
                continue
            al = labels[s:e]
            ue = D[rows, al]  # exact distance to the previous label's new center
            ball = CC[al] < 2.0 * ue[:, None]  # (b, k), c != a (diagonal inf)
            counts["ball"] += int(ball.sum()) + (e - s)
            nb = ball.sum(axis=1)
            wide = nb * 4 > k  # a ball holding over a quarter of the centers: the full scan instead
            counts["wide"] += int(wide.sum())
            counts["narrow"] += int(nb[~wide].sum())
            orphans += int((2.0 * ue > med[al]).sum())
            for v in variants:
                U = u[v][s:e] + drift[al]
                G = glb[v][s:e] - gd[None, :]
                skip = U <= G.min(axis=1)
                U2 = np.where(skip, U, ue)
                counts[v] += int((~skip).sum())
                skip2 = skip | (U2 <= G.min(axis=1))
                fail = (G < U2[:, None]) & ~skip2[:, None]  # (b, t)
                Gn = G.copy()
                # new label, among what was computed: exact Lloyd label (the tests are exact)
                for g in range(t):
                    m = members[g]
                    fg = fail[:, g]
                    if not fg.any():
                        continue
                    Dg = D[np.ix_(fg, m)]
                    if v == "yy":
                        counts[v] += int(fg.sum()) * m.size
                        B = Dg
                    else:
                        inb = ball[np.ix_(fg, m)]
                        counts[v] += int(inb.sum())
                        B = np.where(inb, Dg, CC[np.ix_(al[fg], m)] - ue[fg, None])
                        B = np.where(m[None, :] == al[fg, None], Dg, B)
                    B = np.where(m[None, :] == lab[fg, None], np.inf, B)
                    Gn[fg, g] = B.min(axis=1)
                # label changed: the old center's distance bounds its group
                ch = (lab != al)
                if ch.any():
                    ga = gof[al[ch]]
                    r = np.flatnonzero(ch)
                    Gn[r, ga] = np.minimum(Gn[r, ga], ue[ch])
                    # (the new label's group failed its filter, as its center is nearer than u: its bound is set above)
                u[v][s:e] = D[rows, lab]
                glb[v][s:e] = Gn
        if labels is None:
            print(f"iter {it}: full pass (1.000)")
        else:
            nk = n * k
            print(
                f"iter {it}: yy {counts['yy'] / nk:.3f}  ball {counts['ball'] / nk:.3f}  yy+ball {counts['yyb'] / nk:.3f}"
                f"  wide {counts['wide'] / n:.3f} + narrow {counts['narrow'] / nk:.3f}  orphans {orphans / n:.3f}  changed {(newlab != labels).mean():.3f}  maxdrift {drift.max():.3f}",
                flush=True,
            )
        labels = newlab
        prevC = C.copy()
        S = np.zeros_like(C)
        np.add.at(S, labels, X)
        N = np.bincount(labels, minlength=k)
        C = np.where(N[:, None] > 0, S / np.maximum(N, 1)[:, None], C)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
