r"""Proofs that can be checked again: what a branch-and-bound result rests on, saved as data.

A proof holds the incumbent (its labels), the claimed objective and lower
bound, and what certifies the bound:

* **sdp** -- the branching tree of :mod:`optimeans.exact.sdp_bnb`: every node
  (its parent, the pair of rows it branched on, must-link or cannot-link) and,
  for the nodes whose bound the leaves rest on, the dual point of the
  Peng-Wei relaxation with cuts: a symmetric matrix :math:`N` and the cut
  multipliers :math:`y \ge 0`. For any such point,

  .. math:: E^* \ge c + T - u^T N u - \sum_{i<k-1} \lambda_i\big(V^T (K + N) V\big)

  on the node's grouped rows (:math:`c` the scatter inside the must-linked
  groups, :math:`T` the total scatter of the group means, :math:`K = G G^T`
  the centered Gram matrix, :math:`u` the unit vector of the square roots of
  the weights and :math:`V` an orthonormal basis of its complement), provided
  :math:`N - \sum_c y_c A_c` is non-negative off the cannot-link entries.
  The checker enforces that by construction (it clips the stored matrix to
  the dual cone) and recomputes the bound with one eigenvalue computation per
  certificate: the solver's accuracy does not matter, only the stored numbers.
* **lp** -- the branch-and-price tree of :mod:`optimeans.exact.colgen`
  (planar data), the same shape of tree, and for the nodes the leaves rest on
  the multipliers :math:`\lambda` of the node's groups. For any multipliers,

  .. math:: E^* \ge \sum_g \lambda_g - k \max_S \big(\lambda(S) - V(S)\big)

  over the unions :math:`S` of the node's groups that hold no cannot-link
  pair (Lagrangian relaxation of the covering rows): the checker recomputes
  the maximum by one exact pricing (O(G^3) in the plane), never an LP.
* **enumeration** -- the repetitive branch and bound has no certificate (its
  tree is implicit and exponential): the method is named with its claimed
  bound, which :func:`verify` lists as unchecked, or proves again by
  enumeration with ``rerun=True``. In one dimension the checker recomputes
  the optimum by dynamic programming.

:func:`verify` checks a proof: the objective of the labels (float64), every
certificate's bound, that the leaves of the tree cover the whole search space
(every branched node has exactly a must-link and a cannot-link child on the
same pair), and that the claimed numbers agree with what it recomputed.

The file is JSON (written atomically by :func:`save_proof`); the dual
matrices are stored as base64 of their upper triangle (little-endian float64),
everything else as plain numbers. Row indices are those of the data as given
(a row that stands for its duplicates is the first of them).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .proof_record import (  # noqa: F401 (the writing side, re-exported)
    CHECK_RTOL,
    FORMAT,
    LPRecorder,
    TreeRecorder,
    VERSION,
    _EPS,
    data_digest,
    decode_symmetric,
    decode_vector,
    encode_symmetric,
    encode_vector,
    load_proof,
    make_proof,
    save_proof,
)

__all__ = ["FORMAT", "LPRecorder", "TreeRecorder", "Verification", "load_proof", "save_proof", "verify"]

# ---------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------


@dataclass
class Verification:
    """What :func:`verify` found.

    ``valid``: every stored number agrees with its recomputation and the tree
    is complete (``problems`` lists what does not). ``lower_bound``: the bound
    the checker itself established (from the certificates, or by dynamic
    programming in one dimension); ``proven``: valid and that bound is within
    the proof's ``rtol`` of the objective. ``unchecked`` names the claimed
    bounds that cannot be checked without searching again.
    """

    valid: bool
    proven: bool
    objective: float
    lower_bound: float
    gap: float
    method: str | None
    rtol: float
    problems: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    n_nodes: int = 0
    n_leaves: int = 0
    n_certificates: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid, "proven": self.proven, "objective": self.objective,
            "lower_bound": self.lower_bound, "gap": self.gap, "method": self.method, "rtol": self.rtol,
            "problems": list(self.problems), "unchecked": list(self.unchecked), "nodes": self.n_nodes,
            "leaves": self.n_leaves, "certificates": self.n_certificates,
        }

    def __str__(self) -> str:
        if not self.valid:
            head = "proof INVALID"
        elif self.proven:
            head = "proof verified"
        else:
            # every number checked holds, but what was checked does not prove optimality
            head = "proof consistent, optimality not established"
        status = "proven optimal" if self.proven else f"gap {100 * self.gap:.4g} %"
        out = (f"{head}: objective {self.objective:.10g}, checked lower bound {self.lower_bound:.10g} "
               f"({status}, method {self.method}; {self.n_nodes} nodes, {self.n_leaves} leaves, "
               f"{self.n_certificates} certificates)")
        for p in self.problems:
            out += f"\n  problem: {p}"
        for u in self.unchecked:
            out += f"\n  not checked: {u}"
        return out


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= CHECK_RTOL * max(abs(a), abs(b), scale, 1e-300)


def _objective(X: np.ndarray, w: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        m = labels == c
        ww = w[m]
        sw = ww.sum()
        if sw <= 0:
            continue
        mu = (ww @ X[m]) / sw
        total += float(ww @ ((X[m] - mu) ** 2).sum(1))
    return total


def _union_groups(m: int, must: list[tuple[int, int]]) -> np.ndarray:
    """Groups of the distinct rows joined by must-links, numbered by their first row."""
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in must:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(m)], dtype=np.int64)
    # roots are each group's smallest row, so np.unique orders groups by their first row
    _, g = np.unique(roots, return_inverse=True)
    return g.ravel().astype(np.int64)


def _node_problem(Xu, wu, g):
    G = int(g.max()) + 1
    gw = np.bincount(g, weights=wu, minlength=G)
    gx = np.stack([np.bincount(g, weights=wu * Xu[:, f], minlength=G) for f in range(Xu.shape[1])], 1) / gw[:, None]
    const = float((wu * ((Xu - gx[g]) ** 2).sum(1)).sum())
    return gx, gw, const


def _certificate_bound(gx, gw, k, can, cert) -> float:
    """The bound the stored dual point gives on the node's grouped optimum (without the constant)."""
    G = gx.shape[0]
    N = decode_symmetric(cert["N"])
    if N.shape != (G, G):
        raise ValueError(f"its dual matrix is {N.shape[0]} x {N.shape[0]}, the node has {G} groups")
    if not np.all(np.isfinite(N)):
        raise ValueError("its dual matrix holds a value that is not finite")
    cuts, mult = cert["cuts"], np.asarray(cert["multipliers"], dtype=np.float64)
    if len(cuts) != len(mult):
        raise ValueError(f"{len(cuts)} cuts but {len(mult)} multipliers")
    if np.any(~np.isfinite(mult)) or np.any(mult < 0):
        raise ValueError("a cut multiplier is negative or not finite")
    # the cuts' part, A^*(y), from this checker's own definition of the cuts:
    # pair (i, j): Z_ii - Z_ij >= 0; triangle (i, j, l): Z_ii + Z_jl - Z_ij - Z_il >= 0, Z = M / sqrt(w w^T)
    C = np.zeros((G, G))
    sq = 1.0 / np.sqrt(gw)
    for key, y in zip(cuts, mult):
        if len(key) not in (2, 3) or len(set(key)) != len(key) or min(key) < 0 or max(key) >= G:
            raise ValueError(f"cut {key} is not a pair or triangle of distinct groups")
        if y == 0.0:
            continue
        i = key[0]
        C[i, i] += y / gw[i]
        ents = [(i, key[1], -1.0)] if len(key) == 2 else [(key[1], key[2], 1.0), (i, key[1], -1.0), (i, key[2], -1.0)]
        for a, b, s in ents:
            v = 0.5 * y * s * sq[a] * sq[b]
            C[a, b] += v
            C[b, a] += v
    # the point clipped to the dual cone: N' = C + max(N - C, 0) off the cannot-link entries (free there)
    Nc = C + np.maximum(N - C, 0.0)
    Nc[can] = N[can]
    W = float(gw.sum())
    mean = (gw @ gx) / W
    Gm = np.sqrt(gw)[:, None] * (gx - mean)
    T = float((Gm * Gm).sum())
    u = np.sqrt(gw) / math.sqrt(W)
    # an orthonormal basis of the complement of u: the last G - 1 columns of a Householder reflection
    v = u.copy()
    v[0] += 1.0
    H = np.eye(G) - (2.0 / float(v @ v)) * np.outer(v, v)
    V = H[:, 1:]
    B = V.T @ (Gm @ (Gm.T @ V) + Nc @ V)
    B = 0.5 * (B + B.T)
    m = k - 1
    lam = np.linalg.eigvalsh(B)
    top = float(lam[G - 1 - m:].sum()) if m > 0 else 0.0
    uNu = float(u @ Nc @ u)
    normB = float(np.linalg.norm(B))
    margin = 32.0 * max(m, 1) * G * _EPS * normB + 32.0 * G * _EPS * (abs(uNu) + T)
    return max(0.0, T - uNu - top - margin)


def _lp_certificate_bound(Xu, wu, g, gx, gw, k, cannot, cert) -> float:
    """The Lagrangian bound of stored multipliers on a node's grouped problem, by one exact pricing.

    ``sum(lam) - k * max_S (lam(S) - V(S))`` over the unions ``S`` of groups
    holding no cannot-link pair, in units where the groups' weighted RMS
    distance to their mean is 1 (any unit gives a valid bound; this one keeps
    the pricing's tolerances meaningful), less a rounding margin.
    """
    from .._kernels.colgen import price_plane

    G = gx.shape[0]
    if gx.shape[1] != 2:
        raise ValueError(f"the LP route's certificates are for planar data, these data have {gx.shape[1]} columns")
    lam = decode_vector(cert["multipliers"])
    if lam.shape != (G,):
        raise ValueError(f"it holds {lam.shape[0]} multipliers, the node has {G} groups")
    if not np.all(np.isfinite(lam)):
        raise ValueError("a multiplier is not finite")
    gconst = np.bincount(g, weights=wu * ((Xu - gx[g]) ** 2).sum(1), minlength=G)
    W = float(gw.sum())
    Y = gx - (gw @ gx) / W
    s2 = float((gw * (Y * Y).sum(1)).sum() / W)
    if not (s2 > 0.0 and math.isfinite(s2)):
        s2 = 1.0
    Y = np.ascontiguousarray(Y / math.sqrt(s2))
    lam_s = lam / s2
    conf = np.asarray(cannot, dtype=np.int64).reshape(-1, 2)
    conf_a = np.ascontiguousarray(g[conf[:, 0]]) if len(conf) else np.zeros(0, dtype=np.int64)
    conf_b = np.ascontiguousarray(g[conf[:, 1]]) if len(conf) else np.zeros(0, dtype=np.int64)
    top_val = np.full(1, -np.inf)
    top_set = np.zeros((1, G), dtype=np.bool_)
    value, exact = price_plane(Y, np.ascontiguousarray(gw), np.ascontiguousarray(lam_s - gconst / s2), conf_a, conf_b,
                               top_val, top_set)
    if not exact:
        raise ValueError("its pricing could not be settled exactly (too many circles through one point)")
    lb = float(lam_s.sum() - k * value)
    lb -= 1e-12 * (float(np.abs(lam_s).sum()) + k * abs(float(value)))  # as the search rounds it
    return lb * s2


def verify(X: Any, n_clusters: int, proof: Any, *, sample_weight: Any = None, rerun: bool = False,
           rerun_time_limit: float | None = None) -> Verification:
    """Check a saved proof against the data, without searching again.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data the proof is about (as it was given to the search).
    n_clusters : int
    proof : dict, or path of a proof file (JSON)
    sample_weight : array-like of shape (n_samples,), optional
    rerun : bool, default False
        An enumeration proof (``method == "enumeration"`` in two or more
        dimensions) holds no certificate: its tree is implicit and
        exponential. With ``rerun=True`` the checker proves the optimum again
        by enumeration (:func:`optimeans.exact.branch_and_bound` with
        ``lp=False, sdp=False``), which is a search; without it the
        enumeration bound is listed in ``unchecked``. The routes checked
        without searching: the SDP tree (dual points), the LP route (the
        multipliers of each node of its branch-and-price tree, one exact
        pricing each) and one-dimensional data (dynamic programming).
    rerun_time_limit : float, optional
        Seconds for that enumeration (None: until done); when it stops first,
        the bound stays unchecked.

    Returns
    -------
    Verification
        ``valid``, ``proven``, the objective recomputed from the labels, the
        lower bound the checker established, the gap, and the problems found.

    Raises
    ------
    ValueError
        The file is not a proof, or the data or ``n_clusters`` are invalid.

    Notes
    -----
    Cost: one symmetric eigenvalue computation per stored SDP certificate
    (O(G^3) for a node of G groups), one exact pricing per LP certificate
    (O(G^3) in the plane), and O(n d) for the objective.

    Examples
    --------
    >>> import numpy as np
    >>> from optimeans.exact import branch_and_bound, verify
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> r = branch_and_bound(X, 3, sdp=True, proof=True)
    >>> verify(X, 3, r.info["proof_record"]).valid
    True
    """
    from .._validation import check_data, check_sample_weight

    if isinstance(proof, (str, os.PathLike)):
        proof = load_proof(proof)
    if not isinstance(proof, dict) or proof.get("format") != FORMAT:
        raise ValueError(f"proof must be an optimeans proof (a dict with \"format\": \"{FORMAT}\") or its file")
    if proof.get("version") != VERSION:
        raise ValueError(f"proof version {proof.get('version')!r} is not supported (this checker reads {VERSION})")
    X = check_data(X)
    n, d = X.shape
    w = np.asarray(check_sample_weight(sample_weight, n, np.float64), dtype=np.float64)
    to_original = float
    if proof.get("problem", {}).get("work_space") == "optimeans.fit":
        # made through optimeans.fit: the search saw the data in fit's work space
        from .._transform import DataTransform

        space = DataTransform(X, w)
        X = space.to_work(X, X.dtype)
        w = np.asarray(space.work_weights(w), dtype=np.float64)
        to_original = space.to_original_objective  # a power of two: exact
    X = np.asarray(X, dtype=np.float64)
    k = int(n_clusters)
    problems: list[str] = []
    unchecked: list[str] = []
    prob = proof.get("problem", {})
    res = proof.get("result", {})
    method = res.get("method")
    rtol = float(res.get("rtol", 0.0))
    if prob.get("n_samples") != n or prob.get("n_features") != d:
        raise ValueError(f"the proof is about {prob.get('n_samples')} x {prob.get('n_features')} data, got {n} x {d}")
    if prob.get("n_clusters") != k:
        raise ValueError(f"the proof is about n_clusters={prob.get('n_clusters')}, got {k}")
    if prob.get("data_sha256") != data_digest(X):
        problems.append("the data differ from the data the proof was made on (SHA-256 of the float64 values)")
    unit = bool(np.all(w == 1.0))
    if prob.get("weights_sha256") != (None if unit else data_digest(w)):
        problems.append("the sample weights differ from those the proof was made on")

    # the incumbent
    labels = np.asarray(proof.get("incumbent", {}).get("labels", []))
    claimed_obj = float(proof.get("incumbent", {}).get("objective", math.nan))
    if labels.shape != (n,) or (n and (labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= k)):
        problems.append(f"the labels are not {n} integers in 0..{k - 1}")
        objective = math.inf
    else:
        objective = _objective(X, w, labels.astype(np.int64))
        if not _close(objective, claimed_obj, 0.0):
            problems.append(f"objective of the labels is {objective!r}, the proof claims {claimed_obj!r}")

    keep = np.flatnonzero(w > 0)
    Xu, inverse = np.unique(X[keep], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    wu = np.bincount(inverse, weights=w[keep], minlength=len(Xu))
    index = np.full(n, -1, dtype=np.int64)
    index[keep] = inverse
    m = Xu.shape[0]
    lower = 0.0  # what this checker establishes
    n_nodes = n_leaves = n_certs = 0
    tree = proof.get("tree")
    parts = {str(b.get("method")): float(b.get("value")) for b in proof.get("bounds", [])}
    if m <= k:
        # every distinct row its own cluster: the optimum is 0
        if objective > 0:
            problems.append(f"{m} distinct rows and k = {k}: the optimum is 0, the labels give {objective!r}")
    elif d == 1:
        from .onedim import kmeans_1d

        # dynamic programming gives the optimum itself (O(k n)): it checks any claim
        lower = float(kmeans_1d(X[:, 0], k, sample_weight=w).objective) * (1.0 - 1e-12)
    lp_tree = proof.get("lp_tree")
    for name, label, kind, tr in (("lp", "LP", "lp", lp_tree), ("sdp", "SDP", "sdp", tree)):
        if tr is None or m <= k:
            continue
        try:
            t_lower, t_nodes, t_leaves, t_certs = _check_tree(Xu, wu, index, k, tr, problems, kind=kind)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            problems.append(f"the {label} tree cannot be read: {exc}")
            continue
        n_nodes, n_leaves, n_certs = n_nodes + t_nodes, n_leaves + t_leaves, n_certs + t_certs
        lower = max(lower, t_lower)
        claim = parts.get(name)
        slack = CHECK_RTOL * abs(objective)
        if claim is None:
            problems.append(f"the proof has an {label} tree but names no {label} bound")
        elif claim > t_lower + slack and tr.get("certificates_dropped", 0):
            unchecked.append(f"the {label} tree's bound {claim!r}: {tr['certificates_dropped']} certificates were "
                             f"not kept (memory), the kept ones give {t_lower!r}")
        elif claim > t_lower + slack or claim < min(t_lower, objective) - slack:
            problems.append(f"the proof claims the {label} tree's bound {claim!r}, its certificates give {t_lower!r}")
    if math.isfinite(objective):
        lower = min(lower, objective)
    # the result's bound is the best of the named bounds (at most the objective)
    claimed_lb = float(res.get("lower_bound", math.nan))
    if math.isfinite(claimed_obj):
        expected = min(max(parts.values(), default=0.0), claimed_obj)
        if not _close(claimed_lb, expected, abs(claimed_obj)):
            problems.append(f"the proof claims the lower bound {claimed_lb!r}, its named bounds give {expected!r}")
    if m > k and d > 1 and rerun and parts.get("enumeration", -math.inf) > lower + CHECK_RTOL * abs(objective):
        from .branch_bound import branch_and_bound

        again = branch_and_bound(X, k, sample_weight=w, lp=False, sdp=False, time_limit=rerun_time_limit)
        if again.proven_optimal:
            if math.isfinite(objective) and again.objective < objective * (1.0 - 1e-9) - 1e-300:
                problems.append(f"enumeration again finds the objective {again.objective!r}, below the proof's "
                                f"{objective!r}: the incumbent is not optimal")
            lower = max(lower, float(again.objective) * (1.0 - 1e-12))
    checked = {"sdp"} if tree is not None else set()
    if lp_tree is not None:
        checked.add("lp")
    if m > k and d > 1:
        for name, v in parts.items():
            if name not in checked and v > lower + CHECK_RTOL * abs(objective):
                why = ("an enumeration proof holds no certificate (its tree is implicit); verify(..., rerun=True) "
                       "proves it again by enumeration" if name == "enumeration" else "the proof holds no certificate "
                       "for it")
                unchecked.append(f"the {name} bound {v!r}: {why}; checkable without searching: the SDP tree, the "
                                 "LP tree (planar), dynamic programming (1-D)")
    gap = 0.0 if objective <= 0 else max(0.0, (objective - lower) / objective)
    valid = not problems
    proven = valid and gap <= rtol * (1.0 + 1e-9) + 1e-15
    return Verification(valid, proven, float(to_original(objective)), float(to_original(lower)), float(gap), method,
                        rtol, problems, unchecked, n_nodes, n_leaves, n_certs)


def _check_tree(Xu, wu, index, k, tree, problems, kind: str = "sdp") -> tuple[float, int, int, int]:
    """The least leaf bound of a complete tree (problems appended), and the counts.

    ``kind`` says what a certificate is: "sdp" (a dual point of the SDP with
    cuts) or "lp" (multipliers of the set-partitioning LP, checked by pricing).
    """
    m = Xu.shape[0]
    n = index.shape[0]
    nodes = {}
    for rec in tree["nodes"]:
        nid = int(rec["id"])
        if nid in nodes:
            raise ValueError(f"node {nid} appears twice")
        nodes[nid] = rec
    roots = [i for i, r in nodes.items() if r["parent"] is None]
    if roots != [0] and sorted(roots) != [0]:
        problems.append(f"the tree must have one root, node 0; it has {sorted(roots)}")
        return 0.0, len(nodes), 0, 0
    children: dict[int, list[int]] = {}
    for nid, rec in nodes.items():
        if rec["parent"] is not None:
            p = int(rec["parent"])
            if p not in nodes:
                problems.append(f"node {nid}'s parent {p} is not in the tree")
                return 0.0, len(nodes), 0, 0
            children.setdefault(p, []).append(nid)
    # completeness: each branched node splits on one pair into must and cannot
    for p, ch in children.items():
        sides = sorted(nodes[c]["side"] for c in ch)
        pairs = {tuple(nodes[c]["pair"]) for c in ch}
        if len(ch) != 2 or sides != ["cannot", "must"] or len(pairs) != 1:
            problems.append(f"node {p} is not split into a must-link and a cannot-link child on one pair "
                            f"(children {sorted(ch)}): the leaves do not cover the search space")
    # constraints along the paths (rows mapped to distinct rows)
    cons: dict[int, tuple[list, list]] = {}

    def constraints(nid: int) -> tuple[list, list]:
        path = []
        cur = nid
        while cur not in cons and cur is not None:
            path.append(cur)
            cur = nodes[cur]["parent"]
            if len(path) > len(nodes):
                raise ValueError("the parent links form a cycle")
        must, cannot = (list(cons[cur][0]), list(cons[cur][1])) if cur is not None else ([], [])
        for c in reversed(path):
            rec = nodes[c]
            if rec["parent"] is not None:
                a, b = (int(v) for v in rec["pair"])
                if not (0 <= a < n and 0 <= b < n) or index[a] < 0 or index[b] < 0:
                    raise ValueError(f"node {c} branches on rows {a}, {b}, not rows of positive weight")
                pair = (int(index[a]), int(index[b]))
                if rec["side"] == "must":
                    must = must + [pair]
                elif rec["side"] == "cannot":
                    cannot = cannot + [pair]
                else:
                    raise ValueError(f"node {c} has side {rec['side']!r}")
            cons[c] = (must, cannot)
        return cons[nid]

    cert_value: dict[int, float] = {}
    certs = tree.get("certificates", [])
    for cert in certs:
        nid = int(cert["node"])
        if nid not in nodes:
            problems.append(f"a certificate is for node {nid}, which is not in the tree")
            continue
        must, cannot = constraints(nid)
        g = _union_groups(m, must)
        gx, gw, const = _node_problem(Xu, wu, g)
        G = gx.shape[0]
        try:
            if kind == "lp":
                val = _lp_certificate_bound(Xu, wu, g, gx, gw, k, cannot, cert)
            else:
                can = np.zeros((G, G), dtype=bool)
                for a, b in cannot:
                    can[g[a], g[b]] = can[g[b], g[a]] = True
                val = const + _certificate_bound(gx, gw, k, can, cert)
        except ValueError as exc:
            problems.append(f"certificate of node {nid}: {exc}")
            continue
        claimed = float(cert["bound"])
        if not _close(val, claimed, abs(const) + 1e-300):
            problems.append(f"certificate of node {nid}: its dual point gives the bound {val!r}, the proof claims "
                            f"{claimed!r}")
        cert_value[nid] = max(cert_value.get(nid, -math.inf), val)
    leaves = [nid for nid in nodes if nid not in children]
    lower = math.inf
    for nid in leaves:
        must, cannot = constraints(nid)
        g = _union_groups(m, must)
        G = int(g.max()) + 1
        if G < k or any(g[a] == g[b] for a, b in cannot):
            continue  # no partition with exactly k clusters satisfies the node
        _, _, const = _node_problem(Xu, wu, g)
        b = const
        cur: int | None = nid
        while cur is not None:
            if cur in cert_value:
                b = max(b, cert_value[cur])
            cur = nodes[cur]["parent"]
        lower = min(lower, b)
    return lower, len(nodes), len(leaves), len(certs)
