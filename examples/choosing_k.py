"""How many clusters? The usual criteria side by side, on data where the answer is known and on iris.

``optimeans.choose_k`` clusters the data for every k of a range and reports,
per k, the best objective, the mean silhouette, the gap statistic (Tibshirani,
Walther & Hastie 2001) and the BIC of the spherical Gaussian mixture the
k-means solution defines, then recommends a k by a stated rule (by default
the gap statistic's one-standard-error rule).

The objective always falls as k grows, so it cannot choose k by itself; the
criteria compare it with what data without clusters would give (gap), with
how well each point sits in its cluster (silhouette), or charge for the extra
parameters (BIC). They agree on well-separated blobs and may disagree on real
data, which is worth knowing: iris has two obvious groups and three species.

Run:  python examples/choosing_k.py [--kmax 8] [--refs 10] [--out figures]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import optimeans


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kmax", type=int, default=8, help="largest k tried (default 8)")
    ap.add_argument("--refs", type=int, default=10, help="reference sets of the gap statistic (default 10)")
    ap.add_argument("--out", default="figures", help="directory for the figures (default: figures/)")
    args = ap.parse_args(argv)
    from optimeans.plotting import plot_choose_k, plot_clusters

    os.makedirs(args.out, exist_ok=True)
    ks = range(1, args.kmax + 1)

    # Five well-separated blobs: every criterion should say 5.
    rng = np.random.default_rng(0)
    centers = rng.uniform(-10, 10, size=(5, 3))
    X = np.vstack([c + 0.8 * rng.standard_normal((80, 3)) for c in centers])
    blobs = optimeans.choose_k(X, ks, n_refs=args.refs, random_state=0)
    print("five Gaussian blobs in 3-D")
    print(blobs, end="\n\n")

    iris = optimeans.datasets.load("iris")
    res = optimeans.choose_k(iris, ks, n_refs=args.refs, random_state=0)
    print("iris (150 flowers, 4 measurements, 3 species)")
    print(res)
    p1 = plot_choose_k(res, save=os.path.join(args.out, "choosing_k_iris.png"))
    k = res.recommended
    p2 = plot_clusters(iris, result=res.results[k], feature_names=optimeans.datasets.feature_names("iris"),
                       save=os.path.join(args.out, f"choosing_k_iris_k{k}.png"))
    print(f"\nfigures: {os.path.join(args.out, 'choosing_k_iris.png')}, "
          f"{os.path.join(args.out, f'choosing_k_iris_k{k}.png')}")
    return blobs, res, (p1, p2)


if __name__ == "__main__":
    main()
