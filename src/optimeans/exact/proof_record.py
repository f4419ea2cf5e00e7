r"""Writing proofs: the recorders the searches fill, the proof as a JSON-ready dict, the file.

The searches (:mod:`optimeans.exact.branch_bound`, :mod:`optimeans.exact.sdp_bnb`,
:mod:`optimeans.exact.colgen`) record into :class:`TreeRecorder` /
:class:`LPRecorder` and build the proof with :func:`make_proof`; checking a
proof is :mod:`optimeans.exact.proof` (which may run a search again, so it
sits above them). The format is described there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "VERSION", "LPRecorder", "TreeRecorder", "make_proof", "load_proof", "save_proof"]

FORMAT = "optimeans-proof"
VERSION = 1

_EPS = float(np.finfo(np.float64).eps)

#: Relative agreement required between a stored number and its recomputation.
CHECK_RTOL = 1e-8


# ---------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------


def data_digest(X: np.ndarray) -> str:
    """SHA-256 of the data as C-ordered little-endian float64, with its shape."""
    a = np.ascontiguousarray(X, dtype="<f8")
    h = hashlib.sha256(repr(a.shape).encode())
    h.update(a.tobytes())
    return h.hexdigest()


def encode_symmetric(A: np.ndarray) -> dict[str, Any]:
    """The upper triangle (with the diagonal) of a symmetric matrix, row by row, as base64 float64."""
    n = A.shape[0]
    iu = np.triu_indices(n)
    data = np.ascontiguousarray(A[iu], dtype="<f8")
    return {"n": int(n), "encoding": "upper-triangle-float64-le-base64",
            "data": base64.b64encode(data.tobytes()).decode()}


def decode_symmetric(d: dict[str, Any]) -> np.ndarray:
    if d.get("encoding") != "upper-triangle-float64-le-base64":
        raise ValueError(f"unknown matrix encoding {d.get('encoding')!r}")
    n = int(d["n"])
    vals = np.frombuffer(base64.b64decode(d["data"]), dtype="<f8").astype(np.float64)
    if vals.shape[0] != n * (n + 1) // 2:
        raise ValueError(f"a {n} x {n} matrix needs {n * (n + 1) // 2} numbers, the proof holds {vals.shape[0]}")
    A = np.zeros((n, n))
    iu = np.triu_indices(n)
    A[iu] = vals
    A.T[iu] = vals
    return A


def encode_vector(v: np.ndarray) -> dict[str, Any]:
    """A float64 vector as base64 (little-endian)."""
    data = np.ascontiguousarray(v, dtype="<f8")
    return {"n": int(data.shape[0]), "encoding": "float64-le-base64", "data": base64.b64encode(data.tobytes()).decode()}


def decode_vector(d: dict[str, Any]) -> np.ndarray:
    if not isinstance(d, dict) or d.get("encoding") != "float64-le-base64":
        raise ValueError(f"unknown vector encoding {d.get('encoding') if isinstance(d, dict) else d!r}")
    vals = np.frombuffer(base64.b64decode(d["data"]), dtype="<f8").astype(np.float64)
    if vals.shape[0] != int(d["n"]):
        raise ValueError(f"a vector of {d['n']} numbers holds {vals.shape[0]}")
    return vals


# ---------------------------------------------------------------------------
# recording (called by the search)
# ---------------------------------------------------------------------------


class TreeRecorder:
    """Collects the nodes of an SDP tree and their dual points, for a proof.

    Parameters
    ----------
    xu_index : int (m,)
        For each row of the tree (the search order), its index among the
        distinct rows of positive weight (``np.unique`` order).
    rep : int (m_distinct,)
        For each distinct row, the data row that stands for it.
    max_bytes : int, optional
        Memory for the dual matrices kept (default: no limit; the search
        gives a tenth of the machine's). A certificate no better than one on its way to the root
        is not kept; beyond the budget new ones are dropped
        (``n_dropped``): the proof stays valid, with the weaker bounds of the
        ancestors for those nodes.
    """

    def __init__(self, xu_index: np.ndarray, rep: np.ndarray, max_bytes: int | None = None) -> None:
        self.max_bytes = math.inf if max_bytes is None else int(max_bytes)
        self.n_bytes = 0
        self.n_dropped = 0
        self.xu_index = np.asarray(xu_index, dtype=np.int64)
        self.rows = np.asarray(rep, dtype=np.int64)[self.xu_index]
        root = {"id": 0, "parent": None, "pair": None, "side": None, "status": None}
        self.nodes: dict[int, dict[str, Any]] = {0: root}
        self.children: dict[int, tuple[int, int]] = {}
        self.certs: dict[int, dict[str, Any]] = {}

    def _row(self, i: int) -> int:
        return int(self.rows[i])

    def solved(self, node: Any, g: np.ndarray, const: float, res: Any) -> None:
        if res.dual is None:
            return
        N, keys, mult = res.dual
        inherited = self._inherited(node.nid)
        if const + res.bound <= inherited and node.nid != 0:
            return  # an ancestor's certificate bounds this node at least as well
        if self.n_bytes + N.nbytes > self.max_bytes:
            self.n_dropped += 1
            return
        self.n_bytes += N.nbytes
        G = int(g.max()) + 1
        order = self._canonical(g)  # canonical: groups by their first distinct row
        inv = np.empty(G, dtype=np.int64)
        inv[order] = np.arange(G)
        self.certs[node.nid] = {
            "node": int(node.nid),
            "bound": float(const + res.bound),
            "const": float(const),
            "N": np.ascontiguousarray(N[np.ix_(order, order)]),
            "cuts": [[int(inv[i]) for i in key] for key in keys],
            "multipliers": [float(v) for v in mult],
        }

    def branch(self, node: Any, pair: tuple[int, int], child_must: Any, child_cannot: Any) -> None:
        a, b = self._row(pair[0]), self._row(pair[1])
        self.nodes[node.nid]["status"] = "branched"
        for child, side in ((child_must, "must"), (child_cannot, "cannot")):
            self.nodes[child.nid] = {"id": int(child.nid), "parent": int(node.nid), "pair": [a, b], "side": side,
                                     "status": None}
        self.children[node.nid] = (child_must.nid, child_cannot.nid)

    def leaf(self, node: Any, status: str) -> None:
        if self.nodes[node.nid]["status"] is None:
            self.nodes[node.nid]["status"] = status

    def interrupted(self, node: Any) -> None:
        self.leaf(node, "open")

    def tree(self) -> dict[str, Any]:
        """The tree as data: every node, and the certificates the leaves rest on."""
        for rec in self.nodes.values():
            if rec["status"] is None:
                rec["status"] = "open"
        # for each leaf, the certificate of largest bound on its way to the root
        used: set[int] = set()
        for nid, rec in self.nodes.items():
            if nid in self.children:
                continue
            best, at = -math.inf, None
            cur: int | None = nid
            while cur is not None:
                c = self.certs.get(cur)
                if c is not None and c["bound"] > best:
                    best, at = c["bound"], cur
                cur = self.nodes[cur]["parent"]
            if at is not None:
                used.add(at)
        if 0 in self.certs:
            used.add(0)
        certs = [self._encode(self.certs[nid]) for nid in sorted(used)]
        return {"nodes": [self.nodes[i] for i in sorted(self.nodes)], "certificates": certs,
                "certificates_dropped": self.n_dropped}

    def _encode(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"node": c["node"], "bound": c["bound"], "const": c["const"], "N": encode_symmetric(c["N"]),
                "cuts": c["cuts"], "multipliers": c["multipliers"]}

    def _inherited(self, nid: int) -> float:
        """The best certified bound of a node's ancestors."""
        inherited, cur = -math.inf, self.nodes[nid]["parent"]
        while cur is not None:
            if cur in self.certs:
                inherited = max(inherited, self.certs[cur]["bound"])
            cur = self.nodes[cur]["parent"]
        return inherited

    def _canonical(self, g: np.ndarray) -> np.ndarray:
        """The order of a node's groups by their first distinct row (the checker's numbering)."""
        G = int(g.max()) + 1
        first = np.full(G, np.iinfo(np.int64).max)
        np.minimum.at(first, g, self.xu_index)
        return np.argsort(first, kind="stable")


class LPRecorder(TreeRecorder):
    r"""Collects the branch-and-price tree of :func:`optimeans.exact.colgen.lp_bound` for a proof.

    Same nodes as :class:`TreeRecorder`; a node's certificate is the vector of
    multipliers :math:`\lambda` of its groups (must-linked rows) whose
    Lagrangian bound :math:`\sum_g \lambda_g - k \max_S (\lambda(S) - V(S))`
    is the node's bound, :math:`S` ranging over the unions of groups that
    hold no cannot-link pair. The checker recomputes the maximum by one exact
    pricing (:func:`optimeans._kernels.colgen.price_plane`).
    """

    def certified(self, node: Any, g: np.ndarray, lam: np.ndarray, bound: float) -> None:
        if not math.isfinite(bound) or (node.nid != 0 and bound <= self._inherited(node.nid)):
            return
        if self.n_bytes + lam.nbytes > self.max_bytes:
            self.n_dropped += 1
            return
        self.n_bytes += lam.nbytes
        order = self._canonical(g)
        self.certs[node.nid] = {"node": int(node.nid), "bound": float(bound),
                                "lam": np.ascontiguousarray(lam[order], dtype=np.float64)}

    def _encode(self, c: dict[str, Any]) -> dict[str, Any]:
        return {"node": c["node"], "bound": c["bound"], "multipliers": encode_vector(c["lam"])}


# ---------------------------------------------------------------------------
# building, saving, loading
# ---------------------------------------------------------------------------


def make_proof(X: np.ndarray, w: np.ndarray, k: int, result: Any, parts: dict[str, float], method: str | None,
               recorder: TreeRecorder | None, rtol: float, seconds: float, info: dict[str, Any],
               lp_recorder: LPRecorder | None = None) -> dict[str, Any]:
    """The proof of a :func:`optimeans.exact.branch_and_bound` result, as a JSON-ready dict.

    ``recorder`` holds the SDP tree, ``lp_recorder`` the branch-and-price tree
    of the LP route (``info["_lp_recorder"]`` is taken when it is not given).
    """
    if lp_recorder is None:
        lp_recorder = info.get("_lp_recorder")
    from .._version import __version__

    unit = bool(np.all(w == 1.0))
    bounds = [{"method": name, "value": float(v)} for name, v in parts.items() if v is not None and math.isfinite(v)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_by": f"optimeans {__version__}",
        "problem": {
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "n_clusters": int(k),
            "data_sha256": data_digest(X),
            "weights_sha256": None if unit else data_digest(w),
        },
        "incumbent": {"labels": [int(v) for v in result.labels], "objective": float(result.objective)},
        "result": {
            "lower_bound": float(result.lower_bound),
            "gap": float(result.gap),
            "proven": bool(result.proven_optimal),
            "method": method,
            "stop_reason": result.stop_reason,
            "rtol": float(rtol),
            "seconds": float(seconds),
        },
        "bounds": bounds,
        "search": {key: info[key] for key in ("n_distinct", "sdp_nodes", "sdp_open", "sdp_root_bound", "sdp_iterations",
                                              "lp_nodes", "lp_rounds") if key in info},
        "tree": recorder.tree() if recorder is not None else None,
        "lp_tree": lp_recorder.tree() if lp_recorder is not None else None,
    }


def save_proof(proof: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``proof`` as JSON to ``path`` atomically (a temporary file renamed over it)."""
    path = Path(path)
    text = json.dumps(proof, separators=(",", ":"), allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def load_proof(path: str | os.PathLike) -> dict[str, Any]:
    """Read a proof file (JSON); a file that is not a proof raises ValueError."""
    try:
        with open(path, encoding="utf-8") as f:
            proof = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a proof file (invalid JSON: {exc})") from None
    if not isinstance(proof, dict) or proof.get("format") != FORMAT:
        raise ValueError(f"{path}: not an optimeans proof file (no \"format\": \"{FORMAT}\")")
    return proof
