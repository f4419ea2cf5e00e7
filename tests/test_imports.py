"""The package's layering: no import cycle anywhere, and every module imports alone.

Layers run one way (DESIGN.md): cli / estimator -> ``_api`` -> solvers / exact ->
objective / seeding -> ``_kernels``. A cycle, even through an import inside a
function, means two modules each need the other: the first caller decides
which half-initialised module the other sees, and moving one import can break
a far-away command. The graph below is built from the source text, so imports
inside functions (which run late and hide cycles from a plain import test)
count too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import optimeans

PKG = Path(optimeans.__file__).parent
SRC = PKG.parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package ``__init__``) for every module of optimeans."""
    mods = {}
    for path in sorted(PKG.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
        is_pkg = path.name == "__init__.py"
        mods[dotted[: -len(".__init__")] if is_pkg else dotted] = (path, is_pkg)
    return mods


def _targets(node: ast.AST, module: str, is_pkg: bool, mods: dict) -> set[str]:
    """The optimeans modules an import statement loads (itself excluded)."""
    out = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    elif isinstance(node, ast.ImportFrom):
        if node.level == 0:
            base = node.module or ""
        else:
            parts = module.split(".") if is_pkg else module.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in mods:  # ``from pkg import submodule``
                out.add(sub)
            elif base in mods:  # ``from module import name``
                out.add(base)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the optimeans modules it imports, at top level or inside functions."""
    mods = _modules()
    graph = {}
    for name, (path, is_pkg) in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            deps |= _targets(node, name, is_pkg, mods)
        graph[name] = deps - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = "open"
        stack.append(m)
        for dep in sorted(graph[m]):
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[m] = "done"
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_graph_sees_the_kinds_of_import():
    """The parser finds relative, absolute, submodule and in-function imports."""
    graph = import_graph()
    # ``from . import solvers`` (a subpackage), ``from ._validation import (...)``
    assert {"optimeans.solvers", "optimeans._validation", "optimeans._transform"} <= graph["optimeans._api"]
    # an import inside a function (the Dask path of fit)
    assert "optimeans.distributed" in graph["optimeans._api"]
    # two levels up from a subpackage
    assert "optimeans._transform" in graph["optimeans.distributed.solver"]
    assert {"sources", "cluster", "tasks", "blocks", "seeding", "solver"} <= {
        m.rpartition(".")[2] for m in graph if m.startswith("optimeans.distributed.")
    }


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_package():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


_IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "optimeans" or m.startswith("optimeans.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed.append(name + ":\\n" + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_alone():
    """Each module imports with no optimeans module loaded before it (fresh interpreters; between
    modules the optimeans entries of ``sys.modules`` are dropped, third-party ones kept for speed)."""
    names = sorted(m for m in _modules() if not m.endswith("__main__"))  # __main__ runs the CLI
    assert len(names) > 50
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORT_EACH, *names[i::2]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for i in range(2)
    ]
    try:
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, out[-4000:] + err[-2000:]
