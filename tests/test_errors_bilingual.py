"""Argument errors speak Chinese and English: every ``OptionError`` comes from the catalog.

A sample of errors raised through the public API, each checked for its Chinese text and for its
English one, which stays what it was when the errors were English only; and a check of the source
that no ``OptionError`` is raised with a message written in place.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import matcher
from matcher import variants
from matcher.dispatch import Dispatch, ratings
from matcher.dispatch.simulate import next_year_problem, simulate_behaviour, simulate_program
from matcher.errors import MatcherError, OptionError, UnknownSolverError
from matcher.models import COMPONENTS, catalog
from matcher.synth import MAX_PROVINCES

SRC = Path(__file__).parents[1] / "src" / "matcher"


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """No language setting: ``str(error)`` is English, as it was before there was one."""
    for name in (catalog.ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def plan() -> tuple[matcher.Problem, matcher.Solution]:
    problem = matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12)
    return problem, matcher.solve(problem)


def _raised(call: Callable[[], Any], kind: type[MatcherError] = OptionError) -> MatcherError:
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def _read_from_json(solution: matcher.Solution) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        matcher.Solution.from_json(solution.to_json()).explain(solution.assignments[0].need_id)


def _solve_with_executor(problem: matcher.Problem) -> None:
    with ThreadPoolExecutor(1) as pool:
        matcher.solve(problem, decompose=False, executor=pool)


def _library_cases(
    problem: matcher.Problem, solution: matcher.Solution
) -> Iterator[tuple[Callable[[], Any], str]]:
    """(a call that fails, the English message it has always had)."""
    need = solution.assignments[0].need_id
    shanxi, generate = matcher.synth.shanxi, matcher.synth.generate
    yield lambda: matcher.solve("x"), "problem must be a matcher.Problem, not str"  # type: ignore[arg-type]
    yield lambda: matcher.solve(problem, seed=None), "seed must be a whole number, not None"  # type: ignore[arg-type]
    yield (
        lambda: matcher.solve(problem, time_limit=0),
        "time_limit must be a positive number, not 0",
    )
    yield (
        lambda: _solve_with_executor(problem),
        "an executor runs the parts of a decomposed solve: drop decompose=False",
    )
    yield (
        lambda: matcher.explain.explain(problem, solution, need, limit=-1),
        "limit must be a whole number >= 0, not -1",
    )
    yield (
        lambda: matcher.explanations(problem, solution, limit=1.5),  # type: ignore[arg-type]
        "limit must be a whole number >= 0, not 1.5",
    )
    yield (
        lambda: _read_from_json(solution),
        "this plan was read from JSON: pass problem=... to explain it",
    )
    yield lambda: matcher.compare(problem, solution), "compare takes two matcher.Solution objects"  # type: ignore[arg-type]
    yield (
        lambda: matcher.compare(solution, solution, problem=[problem] * 3),
        "problem must be a matcher.Problem, or one per plan",
    )
    yield (
        lambda: matcher.compare(solution, solution).kpis("county"),  # type: ignore[arg-type]
        "by must be 'category', 'tier' or 'city', not 'county'",
    )
    yield lambda: variants.scale_capacity(problem, "2"), "factor must be a number, not '2'"  # type: ignore[arg-type]
    yield (
        lambda: variants.scale_capacity(problem, -1.0),
        "factor must be a finite number >= 0, not -1.0",
    )
    yield (
        lambda: variants.scale_capacity(problem, 2, rounding="up"),  # type: ignore[arg-type]
        "rounding must be 'round', 'floor' or 'ceil', not 'up'",
    )
    yield lambda: variants.without_organizations(problem, "nope"), "unknown organization id: 'nope'"
    yield lambda: variants.without_needs(problem, ["b", "a"]), "unknown need ids: 'a', 'b'"
    regions = [f"x{i:02}" for i in range(12)]
    shown = ", ".join(repr(r) for r in regions[:10])
    yield (
        lambda: variants.update_regions(problem, {r: {"name": "?"} for r in regions}),
        f"unknown region ids: {shown} and 2 more",
    )
    yield lambda: matcher.Variant("v").then(3), "a variant step must be callable, not 3"  # type: ignore[arg-type]
    yield (
        lambda: variants.policy_grid({"priority": []}),
        "every axis of a policy grid needs at least one value",
    )
    yield (
        lambda: matcher.sweep(problem, problem),  # type: ignore[arg-type]
        "variants must be a list of variants or a mapping of name to variant",
    )
    yield (
        lambda: matcher.sweep(problem, [3]),  # type: ignore[list-item]
        "variant 0 is a int; give a Variant, a Problem or a mapping of policy changes",
    )
    twice = matcher.Variant.from_policy({"weights": {"priority": 2.0}})
    yield (
        lambda: matcher.sweep(problem, [twice, twice]),
        f"two variants are named {twice.name!r}; names must be unique",
    )
    yield (
        lambda: matcher.sweep(problem, [twice], executor=3),
        "executor must be a concurrent.futures.Executor or a Dask client, not int",
    )
    yield (
        lambda: matcher.frontier(problem, "luck"),
        f"unknown score component 'luck'; choose one of {', '.join(COMPONENTS)}",
    )
    yield (
        lambda: matcher.frontier(problem, values=[1.0], x="luck"),
        "'luck' is not a column of the sweep table",
    )
    yield lambda: shanxi(n_needs=-1, n_orgs=3), "counts must be >= 0, got n_needs=-1, n_orgs=3"
    yield lambda: shanxi(seed=-1), "seed must be >= 0, got -1"
    yield (
        lambda: generate(10, 3, n_provinces=MAX_PROVINCES + 1),
        f"n_provinces must be in 1..{MAX_PROVINCES}, got {MAX_PROVINCES + 1}",
    )
    yield lambda: generate(10, 3, national_share=0.9), "national_share must be in [0, 0.5], got 0.9"


def _dispatch_cases(
    problem: matcher.Problem, solution: matcher.Solution, tmp_path: Path
) -> Iterator[tuple[Callable[[], Any], str]]:
    yield lambda: Dispatch("x"), "a dispatch runs over a matcher.Problem, not str"  # type: ignore[arg-type]
    yield lambda: Dispatch(problem, events="abc"), "events must be a list, not str"  # type: ignore[arg-type]
    pair = solution.assignments[0]
    pinned = problem.replace(pinned=[{"need_id": pair.need_id, "org_id": pair.org_id}])
    yield (
        lambda: Dispatch(pinned),
        "a dispatch keeps its own round state; give it a problem without pinned",
    )
    first = problem.needs[0].id
    partners = variants.update_needs(problem, {first: {"partners": 2}})
    yield (
        lambda: Dispatch(partners),
        f"a dispatch offers each need to one organization; {first} asks for 2 partners",
    )
    yield lambda: ratings.stars(True), "not a rating: True"
    labels = ", ".join(f"{v} {zh}" for v, (zh, _) in ratings.RATING_SCALE.items())
    yield (
        lambda: ratings.stars("great"),
        f"not a rating: 'great'; use 1-5 stars or a label ({labels})",
    )
    yield lambda: simulate_behaviour(problem, mean=1.5), "mean must be in (0, 1), got 1.5"
    yield lambda: simulate_program(problem, years=0), "years must be >= 1, got 0"
    yield (
        lambda: next_year_problem(problem, Dispatch(problem), follow_up_share=2),
        "follow_up_share must be in [0, 1], got 2",
    )
    table = pd.DataFrame({"a": [1]})
    yield (
        lambda: matcher.io.read_table(tmp_path / "x.doc"),
        f"{tmp_path / 'x.doc'}: cannot read .doc; use .csv, .tsv, .xlsx or .parquet",
    )
    yield (
        lambda: matcher.io.read_table(tmp_path / "x"),
        f"{tmp_path / 'x'}: cannot read a file without a suffix; use .csv, .tsv, .xlsx or .parquet",
    )
    yield lambda: matcher.io.read_table(3), "path must be a path, not int"  # type: ignore[arg-type]
    yield (
        lambda: matcher.io.write_tables({"a": table, "b": table}, tmp_path / "x.csv"),
        f"{tmp_path / 'x.csv'}: a CSV file holds one table, not 2",
    )
    yield (
        lambda: matcher.io.write_problem(problem, tmp_path / "out", format="xls"),  # type: ignore[arg-type]
        "format must be 'csv' or 'parquet', not 'xls'",
    )
    yield lambda: matcher.io.need_records([]), "frame must be a DataFrame, not list"  # type: ignore[arg-type]


def test_argument_errors_in_chinese_and_in_the_english_they_always_had(
    plan: tuple[matcher.Problem, matcher.Solution], tmp_path: Path
) -> None:
    problem, solution = plan
    cases = [*_library_cases(problem, solution), *_dispatch_cases(problem, solution, tmp_path)]
    assert len(cases) >= 15
    for call, english in cases:
        error = _raised(call)
        assert error.text("en") == english
        assert str(error) == english
        assert _cjk(error.text("zh")), error.text("zh")


def test_a_chinese_setting_makes_the_message_chinese(
    plan: tuple[matcher.Problem, matcher.Solution], monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, _ = plan
    monkeypatch.setenv(catalog.ENV, "zh")
    error = _raised(lambda: matcher.solve(problem, seed=None))  # type: ignore[arg-type]
    assert str(error) == "seed 须为整数,而不是 None"
    assert error.text("en") == "seed must be a whole number, not None"
    error = _raised(lambda: variants.without_organizations(problem, ["p", "q"]))
    assert str(error) == "未知的组织编号:'p', 'q'"
    monkeypatch.setenv(catalog.ENV, "en")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the setting wins over the locale
    assert str(_raised(lambda: matcher.solve(problem, seed=None))).startswith("seed must")  # type: ignore[arg-type]


def test_unknown_solver_in_both_languages(plan: tuple[matcher.Problem, matcher.Solution]) -> None:
    error = _raised(lambda: matcher.solve(plan[0], solver="simplex"), UnknownSolverError)
    assert error.text("en").startswith("unknown solver 'simplex'; choose one of")
    assert _cjk(error.text("zh"))


def test_dispatch_documents_name_their_issues_in_both_languages(
    plan: tuple[matcher.Problem, matcher.Solution],
) -> None:
    document = json.loads(Dispatch(plan[0]).to_json())
    cases: list[tuple[Any, str]] = [
        (3, "not JSON text: int"),
        ("[]", "a dispatch document is a JSON object"),
        ("{}", f"not a dispatch document of version {document['version']}"),
        (json.dumps({**document, "history": {}}), "must be a list, not dict"),
        (json.dumps({**document, "problem": {**document["problem"], "color": 1}}), "unknown field"),
    ]
    for text, english in cases:
        error = _raised(lambda text=text: Dispatch.from_json(text), matcher.ProblemError)
        assert isinstance(error, matcher.ProblemError)
        (issue,) = error.issues
        assert issue.message == english
        assert _cjk(issue.message_zh), issue


def test_plots_say_their_font_and_city_errors_in_both_languages(
    plan: tuple[matcher.Problem, matcher.Solution], tmp_path: Path
) -> None:
    plots = pytest.importorskip("matcher.report.plots", exc_type=ImportError)
    pytest.importorskip("matplotlib")
    problem, solution = plan
    missing = tmp_path / "none.ttf"
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: plots.use_font(missing), f"no font file {missing}"),
        (lambda: plots.use_font("No Such Font"), "matplotlib knows no font family 'No Such Font'"),
        (
            lambda: plots.coverage_by_county(problem, solution, city="Atlantis"),
            "no city 'Atlantis' in the problem",
        ),
        (lambda: plots.comparison(solution), "give a Comparison, or two plans"),
    ]
    for call, english in cases:
        error = _raised(call)
        assert error.text("en") == english
        assert _cjk(error.text("zh")), error.text("zh")


def test_the_store_names_a_bad_url_in_both_languages() -> None:
    pytest.importorskip("sqlalchemy")
    from matcher.service.store import open_store

    error = _raised(lambda: open_store("ftp://x"))
    assert error.text("en") == "'ftp://x': give a file path, sqlite:// or postgresql:// URL"
    assert _cjk(error.text("zh"))


def _written_in_place(node: ast.AST) -> bool:
    """Whether ``node`` makes an ``OptionError`` (or an ``UnknownSolverError``) with its message
    as a string literal or an f-string."""
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in ("OptionError", "UnknownSolverError") and any(
        isinstance(arg, ast.Constant | ast.JoinedStr) for arg in node.args
    )


def test_the_check_of_the_source_finds_a_message_written_in_place() -> None:
    made = [
        ast.parse(code).body[0]
        for code in (
            'raise OptionError(f"seed {seed}")',
            'error = errors.UnknownSolverError("no such solver")',
            'raise OptionError.of("error.seed", value="1")',
            "raise OptionError(message, message_zh=message)",
        )
    ]
    assert [any(_written_in_place(n) for n in ast.walk(m)) for m in made] == [
        True,
        True,
        False,
        False,
    ]


def test_no_option_error_is_made_with_a_message_written_in_place() -> None:
    """Every ``OptionError`` takes its message from the catalog (``OptionError.of``), so that it
    reads in Chinese and in English; a literal or f-string message would be English only."""
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if _written_in_place(node) and isinstance(node, ast.Call)
    ]
    assert found == []
