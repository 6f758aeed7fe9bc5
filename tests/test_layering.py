"""The package's import structure: no module imports a higher layer, and no modules import
each other in a cycle. Every ``import`` counts, those inside functions too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import esgscreen

PACKAGE = Path(esgscreen.__file__).parent

# The layers, lowest first: a module may import its own layer and those below it. A module
# belongs to the longest prefix listed; one that matches none fails the test until placed.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("esgscreen.core", "esgscreen.version"),  # the pure core; the version number
    ("esgscreen.store", "esgscreen.watchlist"),  # the database; the file format
    ("esgscreen.service", "esgscreen.settings"),  # the use cases; the settings they read
    # an app's wiring: its services, logging, request checks, gunicorn settings
    ("esgscreen.extensions", "esgscreen.logs", "esgscreen.edge",
     "esgscreen.serving"),
    ("esgscreen.api", "esgscreen.web"),  # the HTTP adapters
    ("esgscreen.app", "esgscreen.plugin", "esgscreen.cli", "esgscreen.__main__"),  # entry points
)


def module_names() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:  # run by Alembic, never imported
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_names()


def imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """The package's modules that ``module`` imports, with the line of each import."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # ``from a import b`` imports the module a.b when there is one, else a's name b
            names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name not in MODULES and "." in name:
                name = name.rpartition(".")[0]
            if name in MODULES and name != module:
                yield name, node.lineno


IMPORTS = {module: dict(imported(module, path)) for module, path in MODULES.items()}


def layer(module: str) -> int | None:
    if module == "esgscreen":  # the package's face: its version and the Flask extension
        return len(LAYERS) - 1
    found = [(len(prefix), number) for number, prefixes in enumerate(LAYERS)
             for prefix in prefixes if module == prefix or module.startswith(prefix + ".")]
    return max(found)[1] if found else None


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer(m) is None] == []


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{MODULES[module].relative_to(PACKAGE.parent)}:{line} imports {target} "
        f"(layer {layer(target)} above {layer(module)})"
        for module, targets in sorted(IMPORTS.items())
        for target, line in sorted(targets.items())
        if (layer(target) or 0) > (layer(module) or 0)
    ]
    assert upward == []


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert cycles(IMPORTS) == []


def test_the_checks_see_what_they_must() -> None:
    """The walk finds imports inside functions, every module gets its layer, and the cycle
    check finds a cycle."""
    assert "esgscreen.web.auth" in IMPORTS["esgscreen.web"]  # imported inside a function
    assert "esgscreen.core.model" in IMPORTS["esgscreen.store.repository"]
    assert layer("esgscreen.core.names") < layer("esgscreen.store.db")  # type: ignore[operator]
    assert layer("esgscreen.api.screen") == layer("esgscreen.web.lookup")
    assert layer("esgscreen.nowhere") is None
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [
        ["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []
