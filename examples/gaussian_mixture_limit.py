"""How does k-means relate to Gaussian mixtures?

Soft k-means is EM for a mixture of k Gaussians N(mu_j, sigma^2 I) that share
one fixed sigma. Each point belongs to every cluster with a probability (its
responsibility); as sigma -> 0 those probabilities become 0 or 1, the free
energy F -> -E (minus the k-means objective), and soft k-means turns into
Lloyd's iteration (Bishop 2006, section 9.3.2). This script shows the limit
numerically, from one common start:

* for a decreasing sigma, soft k-means started at Lloyd's solution: how far
  its fixed point is from Lloyd's centers, how soft the assignments are (mean
  entropy of the responsibilities, in bits) and how close -F is to E;
* the full EM of ``optimeans.GaussianMixture`` with one free variance per
  component (covariance_type="spherical"): on round clusters of equal size
  its means sit next to the k-means centers and its variances next to the
  pooled k-means estimate sigma^2 = E / (n d);
* deterministic annealing (Rose 1998), which follows the soft solution while
  lowering sigma, against plain Lloyd restarted from many random starts.

Run:  python examples/gaussian_mixture_limit.py [--n 3000] [--restarts 30] [--out figures]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import optimeans
from optimeans.datasets import make_blobs
from optimeans.solvers.soft import critical_sigma, responsibilities


def entropy_bits(R):
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(R > 0, R * np.log2(R), 0.0).sum(axis=1)
    return float(h.mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="number of points (default 3000)")
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--restarts", type=int, default=30, help="random starts of plain Lloyd (default 30)")
    ap.add_argument("--out", default="figures", help="directory for the figure (default: figures/)")
    args = ap.parse_args(argv)

    X = make_blobs(args.n, 2, centers=args.k, cluster_std=1.5, random_state=3)
    lloyd = optimeans.fit(X, args.k, method="lloyd", n_init=5, tol=0, random_state=0)
    sig_c = critical_sigma(X, np.ones(len(X)))
    print(f"{args.n} points, k = {args.k}; Lloyd (k-means++, best of 5): objective {lloyd.objective:.2f}")
    print(f"critical sigma of the data (first split of annealing): {sig_c:.3f}\n")

    sigmas = np.geomspace(2.0, 0.02, 7)
    rows = []
    print("soft k-means started at Lloyd's solution:")
    print(f"{'sigma':>7} {'|C_soft - C_lloyd|':>19} {'entropy (bits)':>15} {'E(C_soft)':>11} {'(-F - E)/E':>11}")
    for s in sigmas:
        r = optimeans.fit(X, args.k, method="soft", init=lloyd.centers, sigma=float(s), max_iter=2000, tol=1e-12)
        R = responsibilities(X, r.centers, float(s))
        dist = float(np.linalg.norm(r.centers - lloyd.centers, axis=1).max())
        F = r.info["free_energy"]
        rel = (-F - r.objective) / r.objective
        rows.append((s, dist, entropy_bits(R), r.objective, rel))
        print(f"{s:>7.3f} {dist:>19.2e} {rows[-1][2]:>15.4f} {r.objective:>11.2f} {rel:>11.2e}")
    print("\nAs sigma falls the responsibilities harden (entropy -> 0), -F approaches E and the\n"
          "soft centers land on Lloyd's: k-means is the zero-variance limit of the mixture.")

    from scipy.optimize import linear_sum_assignment

    gm = optimeans.GaussianMixture(args.k, covariance_type="spherical", random_state=0).fit(X)
    dist = np.linalg.norm(gm.means_[:, None, :] - lloyd.centers[None, :, :], axis=2)
    rows_, cols_ = linear_sum_assignment(dist)  # pair each component with a k-means center
    pooled = np.sqrt(lloyd.objective / (X.shape[0] * X.shape[1]))
    print(f"\nGaussianMixture (spherical, free variances): means within {dist[rows_, cols_].max():.3f} "
          f"of the k-means centers;\ncomponent sigmas {np.round(np.sqrt(gm.covariances_), 3).tolist()} "
          f"against the pooled k-means sigma {pooled:.3f}")

    ann = optimeans.fit(X, args.k, method="annealing", random_state=0)
    rand = [optimeans.fit(X, args.k, method="lloyd", init="random", n_init=1, tol=0, random_state=s).objective
            for s in range(args.restarts)]  # tol=0: run each to a fixed point
    best = min(min(rand), ann.objective)
    poor = sum(o > 1.01 * best for o in rand)
    print(f"\ndeterministic annealing: objective {ann.objective:.2f}")
    print(f"Lloyd from {args.restarts} random starts: best {min(rand):.2f}, median {np.median(rand):.2f}, "
          f"worst {max(rand):.2f};\n{poor} of them end more than 1 % above the best objective found, {best:.2f}")

    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    a, b = fig.subplots(1, 2)
    sg, dist, ent = np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    # exact zeros (the limit reached in floating point) have no place on a log axis
    a.loglog(sg, np.where(dist > 0, dist, np.nan), "o-", label="max |c_soft - c_lloyd|")
    a.loglog(sg, np.where(ent > 0, ent, np.nan), "s--", label="mean entropy of responsibilities (bits)")
    a.axvline(sig_c, color="0.5", linestyle=":", label="critical sigma")
    a.invert_xaxis()
    a.set_xlabel("sigma (decreasing to the right)")
    a.set_title("soft k-means -> k-means as sigma -> 0", fontsize="medium")
    a.legend(fontsize="small")
    a.grid(True, alpha=0.3)
    b.hist(rand, bins=15, color="tab:blue", alpha=0.7, label=f"Lloyd, {args.restarts} random starts")
    b.axvline(ann.objective, color="tab:red", linewidth=2, label="deterministic annealing")
    b.set_xlabel("final objective")
    b.set_ylabel("runs")
    b.set_title("annealing avoids poor local minima", fontsize="medium")
    b.legend(fontsize="small")
    from optimeans.plotting import save

    os.makedirs(args.out, exist_ok=True)
    path = save(fig, os.path.join(args.out, "gaussian_mixture_limit.png"))
    print(f"figure: {path}")
    return rows, ann, rand


if __name__ == "__main__":
    main()
