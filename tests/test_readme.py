"""The README and the guide: the layout list matches the tree, the examples run, no figure is copied."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import matcher

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "matcher"
#: The README and the guide's pages: prose a reader follows (the generated reference excluded).
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match is not None, f"README.md has no '## {heading}' section"
    return match.group(1)


def _entries(package: Path) -> set[str]:
    """Every module (``name.py``) and subpackage (``name/``) directly under ``package``."""
    modules = {p.name for p in package.glob("*.py") if not p.name.startswith("__")}
    packages = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    return modules | packages


def test_layout_lists_every_module_and_subpackage_once() -> None:
    listed = re.findall(
        r"^- `([\w]+(?:\.py|/))`", _section(README.read_text("utf-8"), "Layout"), re.M
    )
    tree = _entries(PACKAGE)
    assert sorted(tree - set(listed)) == [], "missing from the README's Layout section"
    assert sorted(set(listed) - tree) == [], (
        "listed in the README's Layout section, not in src/matcher"
    )
    assert len(listed) == len(set(listed)), "listed twice"


def _bullets(section: str) -> dict[str, str]:
    """Each entry of a layout list and its text, continuation lines included."""
    found = re.findall(r"^- `([\w]+(?:\.py|/))`(.*(?:\n  .*)*)", section, re.M)
    return dict(found)


def test_layout_names_every_module_of_each_subpackage() -> None:
    bullets = _bullets(_section(README.read_text("utf-8"), "Layout"))
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        named = set(re.findall(r"`([\w.]+)/?`", bullets[f"{package.name}/"]))
        inside = {m.stem for m in package.rglob("*.py") if m.stem != "__init__"} | {
            p.name for p in package.rglob("*") if (p / "__init__.py").is_file()
        }
        assert sorted(inside - named) == [], f"{package.name}/ in the README's Layout section"


def test_layout_names_every_deprecated_path() -> None:
    from matcher._moved import MOVED

    named = set(re.findall(r"`([\w.]+)`", _section(README.read_text("utf-8"), "Layout")))
    missing = [old for old in MOVED if old not in named and old.rpartition(".")[2] not in named]
    assert missing == []


def test_readme_stays_short() -> None:
    assert len(README.read_bytes()) <= 10 * 1024


def test_readme_quickstart_runs(capsys: Any) -> None:
    (block,) = [
        code
        for lang, code in _FENCE.findall(_section(README.read_text("utf-8"), "Quickstart"))
        if lang == "python"
    ]
    scope: dict[str, Any] = {}
    exec(compile(block, str(README), "exec"), scope)
    assert scope["solution"].status == matcher.Status.OPTIMAL
    assert matcher.Solution.from_json(scope["plan_json"]) == scope["solution"]
    assert "N0002" in capsys.readouterr().out


def test_every_python_block_of_the_guide_compiles() -> None:
    for page in PAGES:
        for lang, code in _FENCE.findall(page.read_text("utf-8")):
            if lang == "python":
                compile(code, str(page), "exec")


#: A measured quantity: a number followed by a unit of time or memory, or a percentage.
_FIGURE = re.compile(r"\d[\d,.]*\s?(?:ms|s|seconds?|minutes?|GB|MB|%)(?![\w])")


def test_guide_copies_no_measured_figure() -> None:
    """Times, memory and gaps live in benchmarks/RESULTS.md; the guide links to its sections."""
    for page in PAGES:
        prose = _FENCE.sub("", page.read_text("utf-8"))
        prose = re.sub(r"`[^`\n]*`", "", prose)  # code spans: option values, not measurements
        prose = re.sub(r"^    .*$", "", prose, flags=re.M)  # indented command lines
        assert _FIGURE.findall(prose) == [], f"{page.name} copies a figure of benchmarks/RESULTS.md"
