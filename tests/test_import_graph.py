"""The package's import graph has no cycle: between packages, or between modules.

Every import statement counts, also those inside functions and under ``TYPE_CHECKING`` (an
import placed inside a function hides a circle from Python, not from the design). A package
importing its own submodules (``activations/__init__`` importing ``activations.classic``) is the
package's surface, not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import actlab

ROOT = Path(actlab.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ["actlab", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t.startswith("actlab") and t != mod and not t.startswith(mod + "."):
                    edges[mod].add(t)
    return edges


def _cycle(adj: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(adj.get(u, ())):
            if state.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if v not in state and (found := visit(v)):
                return found
        stack.pop()
        state[u] = 2
        return None

    for m in sorted(adj):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_module_import_cycle():
    assert _cycle(_edges(_modules())) is None


def test_no_package_import_cycle():
    def pkg(m: str) -> str:
        return m.split(".")[1] if m.count(".") else m

    adj: dict[str, set[str]] = {}
    for a, targets in _edges(_modules()).items():
        for b in targets:
            if a != "actlab" and b != "actlab" and pkg(a) != pkg(b):
                adj.setdefault(pkg(a), set()).add(pkg(b))
    assert _cycle(adj) is None


def test_the_checker_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
