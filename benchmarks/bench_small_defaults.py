"""The default refinement of small problems (n k d < 10**6): swaps alone against swaps and Hartigan's transfers.

For each data set and k, seeds 0..S-1: the mean objective, how many seeds end
at the lowest value any of the runs found, and the median time of one fit, for
``fit(X, k, refine="swap")``, ``fit(X, k)`` (the default, ``"swap+hartigan"``
here) and scikit-learn's default ``KMeans(k).fit(X)``, one thread, in one
process, every fit run once to warm the caches first. The data are the ones
scikit-learn ships (Iris, wine, breast cancer) and Ruspini.

    python benchmarks/bench_small_defaults.py --seeds 30
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--ks", type=int, nargs="+", default=[3, 5, 10])
    args = ap.parse_args()
    from sklearn import datasets
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    import optimeans

    sets = {
        "iris": datasets.load_iris().data,
        "wine": datasets.load_wine().data,
        "breast_cancer": datasets.load_breast_cancer().data,
        "ruspini": np.asarray(optimeans.datasets.load("ruspini"), dtype=np.float64),
    }
    print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; optimeans {optimeans.__version__}", flush=True)
    print("set k | tool: mean objective, seeds at the best value, median ms per fit")
    with threadpool_limits(1):
        for name, X in sets.items():
            X = np.ascontiguousarray(X, dtype=np.float64)
            for k in args.ks:
                tools = {
                    "swap": lambda s: optimeans.fit(X, k, random_state=s, refine="swap", n_threads=1).objective,
                    "default": lambda s: optimeans.fit(X, k, random_state=s, n_threads=1).objective,
                    "sklearn": lambda s: float(KMeans(k, random_state=s).fit(X).inertia_),
                }
                res = {}
                for tool, f in tools.items():
                    f(0)  # warm
                    objs, secs = [], []
                    for s in range(args.seeds):
                        t = time.perf_counter()
                        objs.append(f(s))
                        secs.append(time.perf_counter() - t)
                    res[tool] = (np.array(objs), np.median(secs))
                best = min(r[0].min() for r in res.values())
                line = "; ".join(
                    f"{tool} {o.mean():.8g}, {int((o <= best * (1 + 1e-9)).sum())}/{args.seeds}, {t * 1e3:.2f} ms"
                    for tool, (o, t) in res.items()
                )
                print(f"{name} k={k} | {line}", flush=True)
    print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
