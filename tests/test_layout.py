"""The package's shape: one import package, layers that import one way, no import circles."""

from __future__ import annotations

import ast
from pathlib import Path

import qun
from tests.conftest import ROOT

LAYERS = {"flows": "flows", "spiders": "spiders", "models": "models", "datasets": "datasets"}


def _module_files() -> dict[str, Path]:
    """qun module name -> source file, for every module of the four layers and qun itself."""
    out = {"qun": ROOT / "qun" / "__init__.py"}
    for layer, folder in LAYERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "sample_site" in path.parts:
                continue
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(("qun", layer, *parts))] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """qun modules that a module imports anywhere in it (in functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for target in targets:
            if target in known and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    files = _module_files()
    return {name: _imports(name, path, set(files)) for name, path in files.items()}


def test_every_module_is_under_qun() -> None:
    graph = _graph()
    assert len(graph) > 40
    assert all(name == "qun" or name.startswith("qun.") for name in graph)
    assert qun.__version__ and callable(qun.extract) and callable(qun.load)


def test_no_module_imports_in_a_circle() -> None:
    graph = _graph()
    # Tarjan's strongly connected components: any component of two or more is a circle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []


def test_layers_import_one_way() -> None:
    """models is pure; datasets knows nothing of flows, models or spiders; spiders run no NLP
    (text utilities only) and know nothing of datasets or flows."""
    allowed = {
        "models": {"models"},
        "datasets": {"datasets"},
        "spiders": {"spiders", "models.textutil"},
        "flows": {"flows", "spiders", "models", "datasets", ""},  # "": qun (its version)
    }
    wrong = []
    for name, targets in _graph().items():
        if name == "qun":
            continue
        layer = name.split(".")[1]
        for target in targets:
            rest = target.removeprefix("qun.")
            if target == "qun":
                rest = ""
            if not any(rest == a or (a and rest.startswith(a + ".")) for a in allowed[layer]):
                wrong.append(f"{name} -> {target}")
    assert wrong == []
