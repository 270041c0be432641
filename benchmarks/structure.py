"""The shape of the package: its import graph, its layers, and the sizes of its modules and functions.

Run from the repository root::

    python benchmarks/structure.py            # a summary, measured on src/matcher
    python benchmarks/structure.py --json     # the same figures as JSON

Every ``import`` and ``from ... import`` counts wherever it stands (at the top or inside a
function), and so does ``lazy_module("matcher....")``: an import put off until first use is still
an edge. An import under ``TYPE_CHECKING`` never runs: it closes no circle, but a module may not
name a type from a floor above either. The layer test (tests/test_layers.py) reads the graph from
here.

Examples
--------
>>> graph = import_graph(SRC)
>>> "matcher.models" in graph
True
>>> "matcher.explain" in import_graph(SRC, typing=False)["matcher.explain.whole"]
False
>>> strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}})
[['a', 'b']]
>>> floors({"a": {"b"}, "b": set(), "c": {"a"}})
3
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "matcher"

#: The floors of the package, lowest first. A module sits on the floor of the longest prefix of
#: its name listed here; a module may import from its own floor (without a circle) and from below.
#: Tables in and out (io) sit with the rooms that read tables (analysis' variants, the review's
#: templates); reports, the data generator, the service and the command line stand above them.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("matcher._lazy", "matcher.errors", "matcher.models"),
    ("matcher.pairs",),
    ("matcher.rules",),
    ("matcher.solvers",),
    ("matcher.plan",),
    ("matcher.solving", "matcher.decompose"),
    ("matcher.explain", "matcher.analysis", "matcher.dispatch", "matcher.review", "matcher.io"),
    ("matcher.report", "matcher.synth", "matcher.service"),
    ("matcher.cli",),
    ("matcher", "matcher._moved", "matcher.__main__"),
)

#: The same floors for the flat tree the layout replaced (its commit 5d3c32f), to measure it.
FLAT_LAYERS: tuple[tuple[str, ...], ...] = (
    ("matcher._lazy", "matcher.errors", "matcher.models"),
    ("matcher.candidates", "matcher.eligibility", "matcher.scoring"),
    ("matcher.constraints", "matcher.conflicts"),
    ("matcher.solvers",),
    ("matcher.solution", "matcher.records", "matcher.kpis", "matcher.verify"),
    ("matcher.solve", "matcher.decompose"),
    (
        "matcher.explain",
        "matcher.variants",
        "matcher.compare",
        "matcher.sweep",
        "matcher.dispatch",
        "matcher.simulate",
        "matcher.review",
        "matcher.io",
    ),
    ("matcher.display", "matcher.plots", "matcher.synth", "matcher.service"),
    ("matcher.cli", "matcher.cli_compare"),
    ("matcher", "matcher.__main__"),
)


def module_files(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package under ``src``, by dotted name (a package by its own name)."""
    root = src.name
    out: dict[str, Path] = {}
    for path in sorted(src.rglob("*.py")):
        parts = [root, *path.relative_to(src).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(name: str, files: Mapping[str, Path]) -> bool:
    return files[name].name == "__init__.py"


def _resolve(name: str, files: Mapping[str, Path]) -> str | None:
    """The module of the package that ``name`` (a module or a name in one) imports, if any."""
    while name and name not in files:
        name = name.rpartition(".")[0]
    return name or None


def _typing_only(tree: ast.AST) -> set[int]:
    """The import statements that run only under a type checker (``if TYPE_CHECKING:``)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for statement in node.body:  # type: ignore[attr-defined]
                found.update(id(inner) for inner in ast.walk(statement))
    return found


def _imports(
    name: str, tree: ast.AST, files: Mapping[str, Path], typing: bool = True
) -> Iterator[str]:
    package = name if _is_package(name, files) else name.rpartition(".")[0]
    root = next(iter(files)).split(".")[0]
    skipped = set() if typing else _typing_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, files)
                if target is not None:
                    yield target
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.split(".")[0] != root:
                continue
            for alias in node.names:  # ``from . import io`` imports the module matcher.io
                full = f"{module}.{alias.name}"
                target = full if full in files else _resolve(module, files)
                if target is not None:
                    yield target
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            target = _resolve(node.args[0].value, files)
            if target is not None:
                yield target


def import_graph(src: Path = SRC, *, typing: bool = True) -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports (itself left out).

    With ``typing=False`` the imports made only for a type checker (``if TYPE_CHECKING:``) are
    left out: they never run, so they close no circle; a module still may not name a type from a
    floor above (:func:`back_edges` reads the whole graph).
    """
    files = module_files(src)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {t for t in _imports(name, tree, files, typing) if t != name}
    return graph


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The circles of ``graph``: its strongly connected parts of two modules or more, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    parts: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the package is a few hundred modules deep
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                parts.append(sorted(part))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(parts)


def floors(graph: Mapping[str, set[str]]) -> int:
    """The number of floors: modules on the longest chain of imports, a circle counted as one."""
    part_of: dict[str, int] = {}
    for number, part in enumerate(strongly_connected(graph)):
        for member in part:
            part_of[member] = number
    key = {node: part_of.get(node, -1 - i) for i, node in enumerate(sorted(graph))}
    depth: dict[int, int] = {}

    def height(node: str, seen: frozenset[int]) -> int:
        own = key[node]
        if own in depth:
            return depth[own]
        members = [n for n in graph if key[n] == own]
        best = 0
        for member in members:
            for successor in graph.get(member, ()):
                if key[successor] != own and key[successor] not in seen:
                    best = max(best, height(successor, seen | {own}))
        depth[own] = best + 1
        return depth[own]

    return max((height(node, frozenset()) for node in graph), default=0)


def floor_of(name: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    """The floor of module ``name`` in ``layers`` (the longest listed prefix decides), if any."""
    best: tuple[int, int] | None = None
    for floor, prefixes in enumerate(layers):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[1]
            ):
                best = (floor, len(prefix))
    return None if best is None else best[0]


def back_edges(
    graph: Mapping[str, set[str]], layers: tuple[tuple[str, ...], ...] = LAYERS
) -> list[tuple[str, str]]:
    """Imports that run up: from a module to one on a higher floor of ``layers``."""
    out = []
    for source, targets in graph.items():
        low = floor_of(source, layers)
        for target in targets:
            high = floor_of(target, layers)
            if low is not None and high is not None and high > low:
                out.append((source, target))
    return sorted(out)


@dataclass(frozen=True)
class Function:
    """One ``def`` of the package: where it is, its length in lines (and without its docstring,
    the ``code`` a reader follows) and its parameter count."""

    module: str
    name: str
    lines: int
    parameters: int
    code: int = 0


def functions(src: Path = SRC) -> list[Function]:
    """Every function and method of the package (nested ones too), longest first."""
    out = []
    for name, path in module_files(src).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    args = child.args
                    named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
                    count = len(named) + (args.vararg is not None) + (args.kwarg is not None)
                    if named and named[0].arg in ("self", "cls"):
                        count -= 1
                    size = (child.end_lineno or child.lineno) - child.lineno + 1
                    qualified = f"{prefix}{child.name}"
                    out.append(Function(name, qualified, size, count, size - _docstring(child)))
                    stack.append((child, qualified + "."))
                elif isinstance(child, ast.ClassDef):
                    stack.append((child, f"{prefix}{child.name}."))
                else:
                    stack.append((child, prefix))
    return sorted(out, key=lambda f: (-f.lines, f.module, f.name))


def _docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of a function's docstring (0 without one)."""
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return (first.end_lineno or first.lineno) - first.lineno + 1
    return 0


def measure(src: Path = SRC, layers: tuple[tuple[str, ...], ...] = LAYERS) -> dict[str, object]:
    """All the figures of the package under ``src``, as one JSON-ready mapping."""
    graph = import_graph(src)
    running = import_graph(src, typing=False)
    files = module_files(src)
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in files.items()
    }
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
    defs = functions(src)
    circles = strongly_connected(running)
    edges = back_edges(graph, layers)
    return {
        "modules": len(files),
        "lines": sum(sizes.values()),
        "largest_modules": largest,
        "modules_over_500_lines": sum(size > 500 for size in sizes.values()),
        "top_level_modules": sum(1 for name in files if name.count(".") == 1),
        "imports": sum(len(targets) for targets in graph.values()),
        "circles": [len(circle) for circle in circles],
        "circle_members": circles,
        "floors": floors(running),
        "back_edges": [f"{a} -> {b}" for a, b in edges],
        "functions": len(defs),
        "functions_over_60": sum(f.lines > 60 for f in defs),
        "functions_over_80": sum(f.lines > 80 for f in defs),
        "code_over_60": [f"{f.module}:{f.name} {f.code}" for f in defs if f.code > 60],
        "largest_functions": [f"{f.module}:{f.name} {f.lines}" for f in defs[:10]],
        "parameters_over_8": [
            f"{f.module}:{f.name} {f.parameters}" for f in defs if f.parameters > 8
        ],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=SRC, help="the package folder to measure")
    parser.add_argument("--flat", action="store_true", help="the floors of the flat tree (before)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.src, FLAT_LAYERS if args.flat else LAYERS)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return
    for key, value in figures.items():
        if isinstance(value, list) and value and key != "circles":
            print(f"{key}:")
            for item in value:
                print(f"  {item}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
