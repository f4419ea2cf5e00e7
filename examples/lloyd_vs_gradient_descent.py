"""Why does k-means use Lloyd's iteration ("EM") and not gradient descent?

The k-means objective E(C) = sum_i min_j ||x_i - c_j||^2 is a function of the
centers alone. Every optimizer below minimizes it from the *same* initial
centers:

* lloyd     - assign every point, move every center to its cluster's mean;
* newton    - Newton's method with the exact Hessian of E, which is block
              diagonal (2 n_j I for center j): its step *is* Lloyd's update
              (Bottou & Bengio 1995), so the two runs coincide;
* gd        - full-batch gradient descent with a backtracking line search;
* sgd       - online stochastic gradient with the 1/n_j learning rate of
              MacQueen (1967);
* minibatch - Sculley's (2010) mini-batch k-means.

The table shows where each ends and what it cost (iterations, passes over
the data, seconds). The figure shows how fast each approaches *its own* final
value, against iterations, passes and seconds: the runs may end in different
local minima (the noise of the stochastic methods can carry them out of the
basin the deterministic ones stay in; see local_vs_global_minima.py).

Run:  python examples/lloyd_vs_gradient_descent.py [--n 20000] [--out figures]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import optimeans
from optimeans.datasets import make_blobs
from optimeans.seeding import init_centers

METHODS = ["lloyd", "newton", "gd", "sgd", "minibatch"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="number of points (default 20000)")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--out", default="figures", help="directory for the figure (default: figures/)")
    args = ap.parse_args(argv)

    X = make_blobs(args.n, 5, centers=args.k, cluster_std=4.0, random_state=0)  # overlapping
    w = np.ones(len(X))
    rng = np.random.default_rng(1)
    C0 = init_centers(X, args.k, w, "k-means++", rng)  # one start shared by every method

    runs = {}
    for m in METHODS:
        runs[m] = optimeans.fit(X, args.k, method=m, init=C0, n_init=1, max_iter=200, tol=1e-6, random_state=0)
    best = min(r.objective for r in runs.values())

    print(f"{args.n} points, {X.shape[1]} features, k = {args.k}, one k-means++ start for all\n")
    print(f"{'method':<10} {'objective':>14} {'above best':>11} {'iterations':>10} {'passes':>8} {'seconds':>8}  stop")
    for m, r in runs.items():
        h = r.history
        print(f"{m:<10} {r.objective:>14.6f} {100 * (r.objective - best) / best:>10.4f}% {r.n_iter:>10d} "
              f"{h.passes[-1]:>8.1f} {h.seconds[-1]:>8.3f}  {r.stop_reason}")

    same = np.allclose(runs["newton"].centers, runs["lloyd"].centers, rtol=1e-10, atol=1e-10)
    print(f"\nNewton's method with the exact Hessian lands on Lloyd's centers: {same}")
    print("Lloyd needs no step size: for fixed assignments the mean of a cluster is the exact\n"
          "minimizer, so every iteration is a full Newton step that cannot overshoot, while\n"
          f"gradient descent spends extra passes on its line search ({runs['gd'].history.passes[-1]:.0f} passes "
          f"for {runs['gd'].n_iter} iterations).")

    from optimeans.plotting import plot_convergence

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "lloyd_vs_gradient_descent.png")
    plot_convergence(runs, x=["iterations", "passes", "seconds"], y="to_final",
                     title="distance to the final objective, same start for every method", save=path)
    print(f"figure: {path}")
    return runs


if __name__ == "__main__":
    main()
