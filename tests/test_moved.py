"""Old module paths (``matcher._moved``) keep working for one release, each with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import matcher
from matcher._moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_reads_the_new_module_with_a_warning(old: str, new: str) -> None:
    target = importlib.import_module(new)
    name = sorted(n for n in vars(target) if not n.startswith("__"))[0]
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated: import from {new}"):
        found = getattr(importlib.import_module(old), name)
    assert found is getattr(target, name)


def test_a_patch_through_an_old_path_reaches_the_module() -> None:
    from matcher.plan import records

    saved = records.PlanRows
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("matcher.records")
        old.PlanRows = None
    try:
        assert records.PlanRows is None
    finally:
        records.PlanRows = saved


def test_importing_an_old_path_leaves_the_function_of_the_same_name() -> None:
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "import matcher\n"
        "from matcher.solve import solve\n"
        "import matcher.verify, matcher.compare, matcher.sweep, matcher.candidates\n"
        "assert matcher.solve is solve and callable(matcher.verify)\n"
        "assert callable(matcher.compare) and callable(matcher.sweep)\n"
        "assert callable(matcher.candidates)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert matcher.solve.__module__ == "matcher.solving"


def test_a_tool_looking_over_sys_modules_is_not_warned() -> None:
    import warnings

    old = sys.modules["matcher.records"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(old, "__file__", None) is None
        assert not hasattr(old, "__path__")


def test_an_old_path_reads_as_an_attribute_of_its_package_without_being_listed() -> None:
    import matcher.solvers

    with pytest.warns(DeprecationWarning, match="matcher.scoring is deprecated"):
        assert matcher.scoring.weighted is importlib.import_module("matcher.pairs.scoring").weighted  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match="matcher.solvers.levels is deprecated"):
        assert matcher.solvers.levels.Row is not None  # type: ignore[attr-defined]
    assert "scoring" not in vars(matcher) and "levels" not in vars(matcher.solvers)
    assert callable(matcher.solve)
