import itertools
import json
import os
import struct

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import optimeans  # noqa: E402
from optimeans import plotting  # noqa: E402
from optimeans.choose_k import choose_k  # noqa: E402
from optimeans.datasets import load  # noqa: E402
from optimeans.projection import project  # noqa: E402
from optimeans.result import History  # noqa: E402

TAB10 = np.array([
    (0.122, 0.467, 0.706), (1.000, 0.498, 0.055), (0.173, 0.627, 0.173), (0.839, 0.153, 0.157),
])


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def read_rgb(path):
    from matplotlib.image import imread

    img = imread(path)
    return img[..., :3].astype(float)


def assert_drawn(path, size, min_fraction=0.02):
    """A valid PNG of the size asked for, with something other than background on it."""
    assert png_size(path) == size
    rgb = read_rgb(path)
    assert rgb.shape[:2] == (size[1], size[0])
    nonwhite = (rgb < 0.95).any(axis=2).mean()
    assert nonwhite > min_fraction, f"only {nonwhite:.3%} of the pixels are drawn"
    assert rgb.std() > 0.05
    return rgb


def colour_pixels(rgb, colour, tol=0.08):
    return int((np.abs(rgb - np.asarray(colour)) < tol).all(axis=2).sum())


@pytest.fixture(scope="module")
def iris_result():
    X = load("iris")
    return X, optimeans.fit(X, 3, random_state=0, n_threads=1)


@pytest.mark.parametrize("projection", ["pca", "mds", "sammon"])
def test_clusters_projected(tmp_path, iris_result, projection):
    X, res = iris_result
    path = tmp_path / f"iris_{projection}.png"
    fig = plotting.plot_clusters(X, result=res, projection=projection, figsize=(6, 4.5), dpi=100, save=path)
    rgb = assert_drawn(path, (600, 450))
    # every cluster's colour is on the picture
    for j in range(3):
        assert colour_pixels(rgb, TAB10[j]) > 50, f"cluster {j} not drawn"
    assert colour_pixels(rgb, TAB10[3]) < 5  # and no fourth cluster
    title = fig.axes[0].get_title()
    assert "78.8514" in title
    if projection == "sammon":
        assert "stress" in title
    if projection == "pca":
        assert "97.8 %" in title
    # the centers are drawn where the projection puts them
    offsets = [c.get_offsets() for c in fig.axes[0].collections]
    centers = offsets[-1]
    assert centers.shape == (3, 2)


def test_clusters_pca_centers_are_projected_means(iris_result):
    X, res = iris_result
    fig = plotting.plot_clusters(X, result=res, projection="pca")
    pts = [np.asarray(c.get_offsets()) for c in fig.axes[0].collections]
    clusters, centers = pts[:3], pts[3]
    # PCA is linear: the projected center of a cluster is the mean of its projected points
    means = np.array([c.mean(axis=0) for c in clusters])
    for m in means:
        assert np.min(np.linalg.norm(centers - m, axis=1)) < 1e-9


def test_clusters_two_features_use_raw_coordinates(tmp_path):
    X = load("ruspini")
    res = optimeans.fit(X, 4, random_state=0, n_threads=1)
    path = tmp_path / "r.png"
    fig = plotting.plot_clusters(X, result=res, feature_names=["x", "y"], save=path, figsize=(4, 3), dpi=80)
    assert_drawn(path, (320, 240))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    drawn = np.vstack([np.asarray(c.get_offsets()) for c in ax.collections[:4]])
    np.testing.assert_allclose(np.sort(drawn, axis=0), np.sort(X, axis=0))


def test_clusters_one_feature_and_no_labels(tmp_path):
    x = np.concatenate([np.zeros(20), np.ones(20) * 5])[:, None] + np.linspace(0, 1, 40)[:, None]
    p1 = tmp_path / "one.png"
    plotting.plot_clusters(x, labels=np.repeat([0, 1], 20), save=p1)
    assert_drawn(p1, (640, 480), min_fraction=0.01)
    p2 = tmp_path / "nolabels.png"
    plotting.plot_clusters(load("iris"), save=p2)
    rgb = assert_drawn(p2, (640, 480), min_fraction=0.01)
    assert colour_pixels(rgb, TAB10[0]) < 5  # grey points, no cluster colours


def test_clusters_into_given_axes(iris_result):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    X, res = iris_result
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    out = plotting.plot_clusters(X, result=res, ax=ax2)
    assert out is fig
    assert len(ax2.collections) == 4 and len(ax1.collections) == 0


def test_precomputed_projection_with_centers(iris_result):
    X, res = iris_result
    proj, centers_2d = project(X, "sammon", extra=res.centers)
    fig = plotting.plot_clusters(X, result=res, projection=proj, centers_embedding=centers_2d)
    np.testing.assert_allclose(np.asarray(fig.axes[0].collections[-1].get_offsets()), centers_2d)


def test_max_points_subsamples_what_is_drawn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3))
    labels = (X[:, 0] > 0).astype(int)
    fig = plotting.plot_clusters(X, labels, max_points=1000)
    n_drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert n_drawn == 1000
    assert "1000 of 5000 points shown" in fig.axes[0].get_title()


def _runs():
    X = load("iris")
    return {
        "lloyd": optimeans.fit(X, 3, init="random", n_init=1, random_state=1, n_threads=1),
        "other seed": optimeans.fit(X, 3, init="random", n_init=1, random_state=2, n_threads=1),
    }


def test_convergence_three_axes(tmp_path):
    runs = _runs()
    path = tmp_path / "conv.png"
    fig = plotting.plot_convergence(runs, x=["iterations", "passes", "seconds"], figsize=(12, 4), dpi=50, save=path)
    assert_drawn(path, (600, 200))
    assert len(fig.axes) == 3
    xlabels = [a.get_xlabel() for a in fig.axes]
    assert xlabels == ["iteration", "passes over the data", "seconds"]
    for a in fig.axes:
        lines = a.get_lines()
        assert len(lines) == 2
        for line, r in zip(lines, runs.values()):
            np.testing.assert_allclose(line.get_ydata(), r.history.objective)
    np.testing.assert_allclose(fig.axes[2].get_lines()[0].get_xdata(), runs["lloyd"].history.seconds)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["lloyd", "other seed"]


def test_convergence_excess_is_log_and_relative_to_best():
    runs = _runs()
    best = min(r.objective for r in runs.values())
    fig = plotting.plot_convergence(list(runs.values()), y="excess")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    for line, r in zip(ax.get_lines(), runs.values()):
        y = line.get_ydata()
        assert np.all(y > 0)
        np.testing.assert_allclose(y[:-1], np.maximum(r.history.objective[:-1] - best, y.min()), rtol=1e-12)


def test_convergence_to_final_shows_each_runs_own_rate():
    h = History(objective=np.array([10.0, 6.0, 5.5, 5.0]), seconds=np.arange(4.0), passes=np.arange(1.0, 5.0))
    g = History(objective=np.array([9.0, 8.0]), seconds=np.arange(2.0), passes=np.arange(1.0, 3.0))
    fig = plotting.plot_convergence({"a": h, "b": g}, y="to_final")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "objective - final objective"
    (la, lb) = ax.get_lines()
    np.testing.assert_allclose(la.get_ydata(), [5.0, 1.0, 0.5])  # the last point (0) left out
    np.testing.assert_allclose(la.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lb.get_ydata(), [1.0])
    assert la.get_linestyle() != lb.get_linestyle()  # coinciding runs stay visible
    with pytest.raises(ValueError, match="y must be"):
        plotting.plot_convergence(h, y="loss")


def test_convergence_accepts_histories():
    h = History(objective=np.array([5.0, 3.0, 2.5]), seconds=np.array([0.1, 0.2, 0.3]), passes=np.array([1.0, 2.0, 3.0]))
    fig = plotting.plot_convergence(h, x="passes")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    with pytest.raises(ValueError, match="x must be one of"):
        plotting.plot_convergence(h, x="epochs")
    with pytest.raises(TypeError, match="not a Result or History"):
        plotting.plot_convergence([1, 2])
    with pytest.raises(ValueError, match="labels has 1 names for 2 runs"):
        plotting.plot_convergence([h, h], labels=["a"])


def brute_force_landscape(X, k):
    """Every partition of X into k non-empty clusters (canonical labelings), with its flags."""
    n = len(X)
    out = []
    for lab in itertools.product(range(k), repeat=n - 1):
        lab = np.array((0,) + lab)
        # canonical: first occurrences in increasing order, every cluster used
        firsts = [np.flatnonzero(lab == j)[0] if (lab == j).any() else n for j in range(k)]
        if firsts != sorted(firsts) or n in firsts:
            continue
        C = np.array([X[lab == j].mean(0) for j in range(k)])
        D = ((X[:, None, :] - C[None]) ** 2).sum(-1)
        obj = D[np.arange(n), lab].sum()
        # no point strictly nearer another mean; two clusters with one mean are degenerate, not minima
        distinct = len(np.unique(np.round(C, 12), axis=0)) == k
        lloyd = bool(np.all(D[np.arange(n), lab] <= D.min(1) + 1e-12)) and distinct
        sizes = np.bincount(lab, minlength=k)
        single = True
        for i in range(n):
            a = lab[i]
            if sizes[a] == 1:
                continue
            loss = sizes[a] / (sizes[a] - 1) * D[i, a]
            for b in range(k):
                if b != a and sizes[b] / (sizes[b] + 1) * D[i, b] < loss - 1e-12:
                    single = False
        out.append((obj, lloyd, single))
    return out


def test_landscape(tmp_path):
    X = np.array([[0.0], [1.0], [2.0], [6.0], [7.0], [8.5], [12.0], [13.0]])
    parts = brute_force_landscape(X, 3)
    assert len(parts) == 966  # Stirling number S(8, 3)
    path = tmp_path / "landscape.png"
    fig = plotting.plot_landscape(parts, save=path, figsize=(5, 4), dpi=100)
    rgb = assert_drawn(path, (500, 400))
    assert colour_pixels(rgb, (0.839, 0.153, 0.157)) > 10  # red single-move minima
    ax = fig.axes[0]
    curve = ax.get_lines()[0].get_ydata()
    assert len(curve) == 966 and np.all(np.diff(curve) >= 0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    n_lloyd = sum(p[1] for p in parts)
    n_single = sum(p[2] for p in parts)
    assert f"Lloyd fixed points ({n_lloyd})" in labels
    assert f"single-move local minima ({n_single})" in labels
    assert n_single >= 1 and n_lloyd >= n_single
    star = ax.collections[2].get_offsets()
    assert star[0][1] == pytest.approx(min(p[0] for p in parts))


def test_landscape_from_enumerate_partitions(tmp_path):
    exact = pytest.importorskip("optimeans.exact.enumerate")
    X = np.array([[0.0], [1.0], [2.0], [6.0], [7.0], [8.5], [12.0], [13.0]])
    land = exact.enumerate_partitions(X, 3)
    o, lloyd, single = plotting.landscape_arrays(land)
    # the same landscape as the brute force of this file
    ref = brute_force_landscape(X, 3)
    np.testing.assert_allclose(np.sort(o), np.sort([p[0] for p in ref]), rtol=1e-12)
    assert lloyd.sum() == sum(p[1] for p in ref) and single.sum() == sum(p[2] for p in ref)
    fig = plotting.plot_landscape(land, save=tmp_path / "l.png")
    assert_drawn(tmp_path / "l.png", (640, 480))
    kept = exact.enumerate_partitions(X, 3, keep="lloyd")
    fig = plotting.plot_landscape(kept)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == f"{kept.n_lloyd_fixed} kept of 966 partitions"


def test_landscape_inputs():
    o, l, s = plotting.landscape_arrays({"objective": [3, 1, 2], "lloyd_fixed": [1, 1, 0], "single_move_stable": [0, 1, 0]})
    assert o.tolist() == [3.0, 1.0, 2.0] and l.tolist() == [True, True, False] and s.tolist() == [False, True, False]

    class Enum:
        objectives = np.array([2.0, 1.0])
        is_lloyd_fixed_point = np.array([True, True])
        is_single_move_stable = np.array([False, True])

    o, l, s = plotting.landscape_arrays(Enum())
    assert s.tolist() == [False, True]
    with pytest.raises(ValueError, match="empty"):
        plotting.landscape_arrays([])
    with pytest.raises(ValueError, match="each partition must be"):
        plotting.landscape_arrays([(1.0, True)])
    with pytest.raises(ValueError, match="no lloyd_fixed"):
        plotting.landscape_arrays({"objective": [1.0]})


def test_choose_k_figure(tmp_path):
    X = optimeans.datasets.make_blobs(200, 2, centers=3, cluster_std=0.4, random_state=0)
    res = choose_k(X, range(1, 6), n_refs=4, random_state=0)
    path = tmp_path / "ck.png"
    fig = plotting.plot_choose_k(res, save=path, figsize=(8, 6), dpi=60)
    assert_drawn(path, (480, 360))
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == [
        "objective (within-cluster SS)", "mean silhouette", "gap statistic", "BIC (spherical GMM)",
    ]
    np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(), res.objective)
    assert f"recommended k = {res.recommended}" in fig._suptitle.get_text()
    # one panel only, into a caller's axes
    from matplotlib.figure import Figure

    f2 = Figure()
    ax = f2.subplots()
    assert plotting.plot_choose_k(res, criteria=["gap"], ax=ax) is f2
    with pytest.raises(ValueError, match="got 1 axes for 2 criteria"):
        plotting.plot_choose_k(res, criteria=["gap", "bic"], ax=ax)
    with pytest.raises(TypeError, match="ChooseKResult"):
        plotting.plot_choose_k({"k": [1]})


def test_save_is_atomic_and_keeps_old_file_on_error(tmp_path, iris_result):
    X, res = iris_result
    fig = plotting.plot_clusters(X, result=res)
    path = tmp_path / "out.png"
    path.write_bytes(b"old")
    with pytest.raises(ValueError, match="cannot save a figure as 'xyz'"):
        plotting.save(fig, tmp_path / "out.xyz")
    assert plotting.save(fig, path) == str(path)
    assert png_size(path) == (640, 480)
    assert sorted(os.listdir(tmp_path)) == ["out.png"]  # no temporary file left

    class Boom(Exception):
        pass

    def broken_savefig(*a, **k):
        raise Boom()

    fig.savefig = broken_savefig
    before = path.read_bytes()
    with pytest.raises(Boom):
        plotting.save(fig, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["out.png"]


def test_svg_and_errors(tmp_path, iris_result):
    X, res = iris_result
    p = tmp_path / "a.svg"
    plotting.plot_clusters(X, result=res, save=p)
    assert p.read_text()[:200].lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="projection must be"):
        plotting.plot_clusters(X, projection="tsne")
    with pytest.raises(ValueError, match="labels must have shape"):
        plotting.plot_clusters(X, labels=[0, 1])
    with pytest.raises(ValueError, match="centers have 2 features"):
        plotting.plot_clusters(X, centers=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="projection='none' needs at most 2 features"):
        plotting.plot_clusters(X, projection="none")
    with pytest.raises(ValueError, match="figsize must be positive"):
        plotting.plot_clusters(X, figsize=(0, 3))


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r'pip install "optimeans\[plot\]"'):
        plotting.plot_landscape([(1.0, True, True)])


# --- command line


def test_cli_plot(capsys, tmp_path):
    from optimeans.cli import main

    out = tmp_path / "iris.png"
    code = main(["plot", "--dataset", "iris", "-k", "3", "--projection", "sammon", "-o", str(out),
                 "--size", "400x300", "--seed", "0", "--json", "--threads", "1"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    lib = optimeans.fit(load("iris"), 3, random_state=0, n_threads=1)
    assert doc["objective"] == pytest.approx(lib.objective, rel=1e-12)
    assert doc["projection"]["method"] == "sammon" and 0 < doc["projection"]["stress"] < 0.01
    assert doc["files"] == [str(out)]
    rgb = assert_drawn(out, (400, 300))
    for j in range(3):
        assert colour_pixels(rgb, TAB10[j]) > 20


def test_cli_plot_text_and_errors(capsys, tmp_path):
    from optimeans.cli import main

    out = tmp_path / "r.png"
    assert main(["plot", "--dataset", "ruspini", "-k", "4", "--plot", str(out), "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "raw coordinates" in text and str(out) in text
    assert png_size(out) == (800, 600)
    for argv, match in [
        (["-k", "3", "--plot", str(tmp_path / "no" / "x.png")], "does not exist"),
        (["-k", "3", "--plot", str(tmp_path / "x.png"), "--size", "10x10"], "between 50 and 10000"),
        (["-k", "0", "--plot", str(tmp_path / "x.png")], "n_clusters must be >= 1"),
        (["-k", "3", "--plot", str(tmp_path / "x.png"), "--max-embed", "1"], "--max-embed must be >= 2"),
    ]:
        assert main(["plot", "--dataset", "iris", *argv]) == 2
        err = capsys.readouterr().err
        assert match in err and err.startswith("optimeans: error:")
    assert not (tmp_path / "x.png").exists()


def test_cli_fit_plot(capsys, tmp_path):
    from optimeans.cli import main

    out = tmp_path / "fit.png"
    assert main(["fit", "--dataset", "iris", "-k", "3", "--seed", "0", "-q", "--json",
                 "--plot", str(out), "--plot-size", "500x400", "--scale", "standard"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert str(out) in doc["files"]
    rgb = assert_drawn(out, (500, 400))
    for j in range(3):
        assert colour_pixels(rgb, TAB10[j]) > 20
    # a bad --plot is refused before the clustering runs, and nothing is written
    bad = tmp_path / "x.bmpx"
    assert main(["fit", "--dataset", "iris", "-k", "3", "-q", "--plot", str(bad)]) == 2
    assert "image format" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.png"]


def test_cli_landscape_plot(capsys, tmp_path):
    pytest.importorskip("optimeans.exact.enumerate")
    from optimeans.cli import main

    out = tmp_path / "land.png"
    pts = "0,0;1,0;0,1;5,5;6,5;5,6;9,0;9,1;3,3"
    assert main(["landscape", "--points", pts, "-k", "3", "--plot", str(out), "--size", "400x300"]) == 0
    text = capsys.readouterr().out
    assert "3,025 partitions" in text
    assert_drawn(out, (400, 300))
    assert main(["landscape", "--points", pts, "-k", "3", "--plot", str(tmp_path / "x.unknown")]) == 2
    assert "image format" in capsys.readouterr().err
