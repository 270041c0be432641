"""The layer contract: imports only go down the floors of benchmarks/structure.py, without circles.

Every import counts, wherever it stands: at the top of a module, inside a function, or put off
with ``lazy_module``; one under ``TYPE_CHECKING`` may not name a type from a floor above either,
though it closes no circle (it never runs). A new import that runs up a floor, or that closes a
circle, fails here (and so in ``make test`` and CI) with the modules it joins.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import matcher

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "structure.py"


def _structure() -> ModuleType:
    name = "matcher_benchmarks_structure"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


structure = _structure()
GRAPH = structure.import_graph(Path(matcher.__file__).parent)
#: The imports that run (those made only for the type checker left out): the circles are read here.
RUNNING = structure.import_graph(Path(matcher.__file__).parent, typing=False)


def test_the_graph_counts_imports_inside_functions(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("")
    (package / "high.py").write_text("")
    (package / "low" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ..high import X\n"
        "def f():\n    from .. import high\n"
        "g = lazy_module('pkg.high')\n"
    )
    graph = structure.import_graph(package)
    assert graph["pkg.low.a"] == {"pkg.high"}
    layers = (("pkg.low",), ("pkg.high",))
    assert structure.back_edges(graph, layers) == [("pkg.low.a", "pkg.high")]


def test_there_is_no_circle() -> None:
    assert structure.strongly_connected(RUNNING) == []


def test_every_relative_import_names_a_module_of_the_package() -> None:
    """An import that names no module (an old path) would be read from ``matcher._moved``."""
    files = structure.module_files(Path(matcher.__file__).parent)
    wrong = []
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
                if module not in files:
                    wrong.append(f"{name}:{node.lineno} {module}")
    assert wrong == []


def test_every_module_has_a_floor() -> None:
    assert [name for name in GRAPH if structure.floor_of(name) is None] == []


def test_nothing_imports_from_a_floor_above() -> None:
    assert structure.back_edges(GRAPH) == []


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_no_name_shadows_a_module(name: str) -> None:
    """``matcher.solve`` is the function and ``matcher.solving`` its module: never the same name."""
    module = importlib.import_module(name)
    parent, _, leaf = name.rpartition(".")
    if parent:
        assert getattr(importlib.import_module(parent), leaf) is module
