"""Bad input: every invalid document raises ``matcher.ProblemError`` with JSON paths, never a raw
``KeyError``, ``TypeError``, ``AttributeError`` or ``pydantic.ValidationError``; bad options raise
``OptionError``."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from strategies import TINY, documents


def base() -> dict[str, Any]:
    """A valid document every case below breaks in one place."""
    return {
        "regions": [
            {"id": "P", "level": "province"},
            {"id": "C", "level": "city", "parent": "P"},
            {"id": "K", "level": "county", "parent": "C"},
            {"id": "K2", "level": "county", "parent": "C"},
        ],
        "organizations": [
            {
                "id": "o1",
                "org_type": "training",
                "scope": "province",
                "home_region": "P",
                "capabilities": {"talent": 0.8},
                "service_regions": ["C"],
                "ratings": [4, 5],
            },
            {
                "id": "o2",
                "org_type": "agriculture",
                "scope": "county",
                "home_region": "K",
                "capabilities": {"industry": 1.0},
                "max_projects": 2,
            },
        ],
        "needs": [
            {"id": "n1", "region": "K", "category": "talent", "beneficiaries": 10},
            {"id": "n2", "region": "K2", "category": "industry"},
        ],
        "pair_scores": [
            {"need_id": "n1", "org_id": "o1", "score": 1.0},
            {"need_id": "n2", "org_id": "o2", "score": 2.0},
        ],
    }


def test_base_document_is_valid() -> None:
    """The document reads as written: its ids in order, its pair scores as the candidate set."""
    problem = matcher.Problem.model_validate(base())
    assert [r.id for r in problem.regions] == ["P", "C", "K", "K2"]
    assert [(o.id, o.max_projects) for o in problem.organizations] == [("o1", 1), ("o2", 2)]
    assert [(n.id, n.region, n.beneficiaries) for n in problem.needs] == [
        ("n1", "K", 10),
        ("n2", "K2", 0),
    ]
    table = matcher.candidates(problem)
    pairs = sorted(zip(table.need_id, table.org_id, table.score, strict=True))
    assert pairs == [("n1", "o1", 1.0), ("n2", "o2", 2.0)]
    assert matcher.Problem.from_json(problem.to_json()) == problem


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """Set ``doc[a][i][b] = value`` for a dotted path with numeric list indices."""

    def edit(doc: dict[str, Any]) -> None:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        *head, last = path.split(".")
        target: Any = doc
        for key in head:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return edit


def _append(section: str, item: dict[str, Any]) -> Edit:
    return lambda doc: doc[section].append(item)


def _copy_of(section: str, index: int) -> Edit:
    return lambda doc: doc[section].append(copy.deepcopy(doc[section][index]))


#: Marks a case whose issues must include the paths listed but may hold more (false cascades are
#: tested on their own below).
SUBSET = "subset"

CASES: list[tuple[Any, ...]] = [
    # unknown fields
    ("unknown top-level field", _set("color", "red"), ["color"]),
    ("unknown region field", _set("regions.0.area", 5), ["regions[0].area"]),
    ("unknown organization field", _set("organizations.1.colour", 1), ["organizations[1].colour"]),
    ("unknown need field", _set("needs.0.due", "2025"), ["needs[0].due"]),
    ("unknown policy field", _set("policy", {"speed": 1}), ["policy.speed"]),
    ("unknown pair field", _set("pair_scores.0.why", "x"), ["pair_scores[0].why"]),
    # missing required fields
    # (without regions every reference is unknown too)
    (
        "missing regions",
        _drop("regions"),
        [
            "needs[0].region",
            "needs[1].region",
            "organizations[0].home_region",
            "organizations[0].service_regions[0]",
            "organizations[1].home_region",
            "regions",
        ],
    ),
    ("missing need category", _drop("needs.1.category"), ["needs[1].category"]),
    ("missing organization scope", _drop("organizations.0.scope"), ["organizations[0].scope"]),
    ("missing region level", _drop("regions.2.level"), ["regions[2].level"], SUBSET),
    ("missing pair score", _drop("pair_scores.1.score"), ["pair_scores[1].score"]),
    # wrong types
    (
        "string max_projects",
        _set("organizations.1.max_projects", "many"),
        ["organizations[1].max_projects"],
    ),
    (
        "fractional max_projects",
        _set("organizations.1.max_projects", 2.5),
        ["organizations[1].max_projects"],
    ),
    (
        "negative max_projects",
        _set("organizations.1.max_projects", -1),
        ["organizations[1].max_projects"],
    ),
    (
        "list capabilities",
        _set("organizations.0.capabilities", ["talent"]),
        ["organizations[0].capabilities"],
    ),
    # (a need or organization without a valid id leaves its pair scores dangling)
    ("number id", _set("needs.1.id", 7), ["needs[1].id", "pair_scores[1].need_id"]),
    (
        "empty id",
        _set("organizations.0.id", "  "),
        ["organizations[0].id", "pair_scores[0].org_id"],
    ),
    ("regions not a list", _set("regions", {"P": "province"}), ["regions"], SUBSET),
    ("need not an object", _set("needs.1", "n2"), ["needs[1]", "pair_scores[1].need_id"]),
    ("string beneficiaries", _set("needs.0.beneficiaries", "ten"), ["needs[0].beneficiaries"]),
    # ranges
    (
        "capability above 1",
        _set("organizations.0.capabilities.talent", 1.01),
        ["organizations[0].capabilities.talent"],
    ),
    (
        "capability below 0",
        _set("organizations.0.capabilities.talent", -0.1),
        ["organizations[0].capabilities.talent"],
    ),
    (
        "NaN capability",
        _set("organizations.0.capabilities.talent", math.nan),
        ["organizations[0].capabilities.talent"],
    ),
    ("NaN pair score", _set("pair_scores.0.score", math.nan), ["pair_scores[0].score"]),
    ("inf pair score", _set("pair_scores.1.score", math.inf), ["pair_scores[1].score"]),
    ("-inf pair score", _set("pair_scores.1.score", -math.inf), ["pair_scores[1].score"]),
    ("negative beneficiaries", _set("needs.0.beneficiaries", -1), ["needs[0].beneficiaries"]),
    ("rating 0", _set("organizations.0.ratings", [0, 5]), ["organizations[0].ratings[0]"]),
    ("rating 6", _set("organizations.0.ratings", [5, 6]), ["organizations[0].ratings[1]"]),
    ("latitude out of range", _set("regions.0.lat", 91.0), ["regions[0].lat"]),
    ("NaN longitude", _set("regions.0.lon", math.nan), ["regions[0].lon"]),
    (
        "negative weight",
        _set("policy", {"weights": {"capability": -1}}),
        ["policy.weights.capability"],
    ),
    ("zero distance scale", _set("policy", {"distance_scale_km": 0}), ["policy.distance_scale_km"]),
    # vocabulary
    ("bad category", _set("needs.0.category", "food"), ["needs[0].category"]),
    ("bad org_type", _set("organizations.0.org_type", "bank"), ["organizations[0].org_type"]),
    ("bad level", _set("regions.3.level", "district"), ["regions[3].level"]),
    ("bad scope", _set("organizations.0.scope", "township"), ["organizations[0].scope"], SUBSET),
    ("bad scope word", _set("organizations.0.scope", "global"), ["organizations[0].scope"]),
    ("bad credit", _set("organizations.0.credit", "gold"), ["organizations[0].credit"]),
    ("bad priority", _set("regions.1.priority", "urgent"), ["regions[1].priority"]),
    (
        "bad capability category",
        _set("organizations.0.capabilities", {"food": 0.5}),
        ["organizations[0].capabilities.food"],
    ),
    (
        "bad vulnerable group",
        _set("needs.0.vulnerable_groups", ["orphans", "pets"]),
        ["needs[0].vulnerable_groups[1]"],
    ),
    # duplicates
    ("duplicate region id", _copy_of("regions", 3), ["regions[4].id"]),
    ("duplicate organization id", _copy_of("organizations", 0), ["organizations[2].id"]),
    ("duplicate need id", _copy_of("needs", 1), ["needs[2].id"]),
    ("duplicate pair", _copy_of("pair_scores", 0), ["pair_scores[2]"]),
    # references
    ("unknown need region", _set("needs.1.region", "X"), ["needs[1].region"]),
    (
        "unknown home region",
        _set("organizations.0.home_region", "X"),
        ["organizations[0].home_region"],
    ),
    (
        "unknown service region",
        _set("organizations.0.service_regions", ["C", "X"]),
        ["organizations[0].service_regions[1]"],
    ),
    ("unknown parent", _set("regions.2.parent", "X"), ["regions[2].parent"]),
    ("parent of a lower level", _set("regions.1.parent", "K"), ["regions[1].parent"]),
    ("parent of the same level", _set("regions.3.parent", "K"), ["regions[3].parent"]),
    ("own parent", _set("regions.1.parent", "C"), ["regions[1].parent"]),
    (
        "county scope, city home",
        _set("organizations.1.home_region", "C"),
        ["organizations[1].home_region"],
    ),
    (
        "city scope, province home",
        _set("organizations.0.scope", "city"),
        ["organizations[0].home_region"],
    ),
    (
        "unknown need in pair_scores",
        _append("pair_scores", {"need_id": "nX", "org_id": "o1", "score": 1}),
        ["pair_scores[2].need_id"],
    ),
    (
        "unknown organization in pair_scores",
        _append("pair_scores", {"need_id": "n1", "org_id": "oX", "score": 1}),
        ["pair_scores[2].org_id"],
    ),
]


def _cases() -> list[Any]:
    return [pytest.param(c[1], c[2], len(c) > 3 and c[3] == SUBSET, id=c[0]) for c in CASES]


@pytest.mark.parametrize(("edit", "paths", "subset"), _cases())
def test_bad_input_raises_problem_error_with_paths(
    edit: Edit, paths: list[str], subset: bool
) -> None:
    document = base()
    edit(document)
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.model_validate(document)
    issues = caught.value.issues
    found = [issue.path for issue in issues]
    if subset:
        assert set(paths) <= set(found), [str(i) for i in issues]
    else:
        assert found == paths, [str(i) for i in issues]
    assert all(issue.message for issue in issues)
    assert all(isinstance(issue, matcher.Issue) for issue in issues)
    assert not isinstance(caught.value, pydantic.ValidationError)
    # The message lists every issue.
    for issue in issues:
        assert str(issue) in str(caught.value)


@pytest.mark.parametrize(("edit", "paths", "subset"), _cases())
def test_bad_json_text_raises_the_same_issues(edit: Edit, paths: list[str], subset: bool) -> None:
    document = base()
    edit(document)
    # NaN and infinity are not JSON; Python's json writes them anyway, and reading them back must
    # still be refused.
    text = json.dumps(document)
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_json(text)
    with pytest.raises(matcher.ProblemError) as direct:
        matcher.Problem.model_validate(document)
    assert caught.value.issues == direct.value.issues
    assert set(paths) <= {issue.path for issue in caught.value.issues}


def test_issue_messages() -> None:
    def messages(edit: Edit) -> list[str]:
        document = base()
        edit(document)
        with pytest.raises(matcher.ProblemError) as caught:
            matcher.Problem.model_validate(document)
        return [str(issue) for issue in caught.value.issues]

    assert messages(_set("color", 1)) == ["color: unknown field"]
    assert messages(_drop("needs.1.category")) == ["needs[1].category: required field is missing"]
    assert messages(_set("needs.1.region", "X")) == ["needs[1].region: unknown region 'X'"]
    assert messages(_copy_of("needs", 1)) == ["needs[2].id: duplicate id 'n2' (first at needs[1])"]
    (category,) = messages(_set("needs.0.category", "food"))
    assert category.startswith("needs[0].category: not one of industry, talent")


def test_issue_messages_in_chinese() -> None:
    def messages(edit: Edit) -> list[str]:
        document = base()
        edit(document)
        with pytest.raises(matcher.ProblemError) as caught:
            matcher.Problem.model_validate(document)
        return [issue.text("zh") for issue in caught.value.issues]

    assert messages(_set("color", 1)) == ["color: 未知字段"]
    assert messages(_drop("needs.1.category")) == ["needs[1].category: 缺少必填字段"]
    assert messages(_set("needs.1.region", "X")) == ["needs[1].region: 未知的地区 'X'"]
    assert messages(_copy_of("needs", 1)) == ["needs[2].id: 编号 'n2' 重复(首次出现在 needs[1])"]
    (category,) = messages(_set("needs.0.category", "food"))
    assert category.startswith("needs[0].category: 不是以下之一:industry, talent")


def test_many_problems_are_reported_at_once() -> None:
    document = base()
    document["color"] = "red"
    document["regions"][2]["parent"] = "X"
    document["organizations"][1]["max_projects"] = "many"
    document["organizations"][0]["capabilities"]["talent"] = 2
    document["needs"][1]["region"] = "nowhere"
    document["needs"].append(copy.deepcopy(document["needs"][0]))
    document["pair_scores"][1]["score"] = math.nan
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.model_validate(document)
    paths = [issue.path for issue in caught.value.issues]
    assert paths == [
        "color",
        "needs[1].region",
        "needs[2].id",
        "organizations[0].capabilities.talent",
        "organizations[1].max_projects",
        "pair_scores[1].score",
        "regions[2].parent",
    ]
    assert len(paths) >= 4
    assert paths == sorted(paths)
    assert str(caught.value).startswith("7 problems in the input")


def test_issues_sort_numeric_indices_as_numbers() -> None:
    document = base()
    document["needs"] = [{"id": f"n{i}", "region": "K", "category": "talent"} for i in range(12)]
    document["pair_scores"] = []
    document["needs"][2]["region"] = "X"
    document["needs"][10]["region"] = "X"
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.model_validate(document)
    assert [i.path for i in caught.value.issues] == ["needs[2].region", "needs[10].region"]


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (_set("regions.0.level", "provinc"), "regions[0].level"),
        (_drop("regions.2.level"), "regions[2].level"),
        (_set("organizations.0.scope", "township"), "organizations[0].scope"),
        (_set("organizations.1.scope", "village"), "organizations[1].scope"),
    ],
    ids=["misspelt level", "missing level", "township scope", "village scope"],
)
def test_one_mistake_is_one_issue(edit: Edit, path: str) -> None:
    """A bad level or scope is reported once, not again as a home region outside the scope
    (the home region is where it should be; only the level or scope word is wrong)."""
    document = base()
    edit(document)
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.model_validate(document)
    assert [i.path for i in caught.value.issues] == [path], [str(i) for i in caught.value.issues]


# --- text and files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"regions": [', 1, 14),
        ('{\n  "regions": [],\n  "needs": [,]\n}', 3, 13),
        ('{"regions": [], "organizations": [], "needs": [], }', 1, 51),
    ],
)
def test_broken_json_names_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_json(text)
    (issue,) = caught.value.issues
    assert issue.path == ""
    assert f"line {line}" in issue.message
    assert f"column {column}" in issue.message


def test_broken_json_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "regions": [\n', encoding="utf-8")
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_json(path)
    assert "line 3" in caught.value.issues[0].message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"regions": [{"id": "é"}]}'.encode("latin-1"))
    with pytest.raises(matcher.ProblemError):
        matcher.Problem.from_json(path)


@pytest.mark.parametrize("missing", ["does/not/exist.json", Path("/does/not/exist.json")])
def test_missing_file(missing: str | Path) -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_json(missing)
    (issue,) = caught.value.issues
    assert "exist.json" in issue.message


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(matcher.ProblemError):
        matcher.Problem.from_json(tmp_path)


@pytest.mark.parametrize("text", ["[]", "[1, 2]", '[{"regions": []}]', "1", "null"])
def test_top_level_must_be_an_object(text: str) -> None:
    with pytest.raises(matcher.ProblemError) as caught:
        matcher.Problem.from_json(text)
    assert [i.path for i in caught.value.issues] == [""]


@pytest.mark.parametrize("data", [[], [1], "text", 3, None])
def test_model_validate_of_a_non_object(data: Any) -> None:
    with pytest.raises(matcher.ProblemError):
        matcher.Problem.model_validate(data)


def test_problem_error_is_a_matcher_error_only() -> None:
    assert issubclass(matcher.ProblemError, matcher.MatcherError)
    assert not issubclass(matcher.ProblemError, pydantic.ValidationError)
    error = matcher.ProblemError([matcher.Issue("a", "b"), matcher.Issue("", "c")])
    assert str(error) == "2 problems in the input\n  a: b\n  c"


# --- garbage in any field ------------------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=4)
    | st.sampled_from(["P", "K", "o1", "n1", "province", "talent", "nation"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


@settings(max_examples=300, deadline=None)
@given(documents(TINY, pair_scores=None), st.data())
def test_garbage_anywhere_raises_only_problem_error(document: dict[str, Any], data: Any) -> None:
    """Replace any value of a valid document with random JSON: valid or ProblemError, nothing else."""
    paths = [p for p in _paths(document) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        target: Any = document
        for key in path[:-1]:
            target = target[key]
        if isinstance(target, dict | list):
            target[path[-1]] = data.draw(_JSON)
        paths = [p for p in _paths(document) if p]
        if not paths:
            break
    try:
        problem = matcher.Problem.model_validate(document)
    except matcher.ProblemError as error:
        assert error.issues
        assert all(isinstance(i.path, str) and i.message for i in error.issues)
        return
    # Still valid: it must solve and verify.
    solution = matcher.solve(problem, solver="greedy")
    assert matcher.verify(problem, solution) == []


# --- options -----------------------------------------------------------------------------------


def test_unknown_solver(simple_problem: matcher.Problem) -> None:
    for name in ("nope", "FLOW", "", "simplex"):
        with pytest.raises(matcher.UnknownSolverError) as caught:
            matcher.solve(simple_problem, solver=name)
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, matcher.OptionError)
        assert isinstance(caught.value, matcher.MatcherError)
        assert "flow" in str(caught.value)
    with pytest.raises(matcher.UnknownSolverError):
        matcher.solve(simple_problem, solver=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, 0.0, -1, math.nan, math.inf, -math.inf, "10", None])
def test_bad_time_limit(simple_problem: matcher.Problem, limit: Any) -> None:
    with pytest.raises(matcher.OptionError) as caught:
        matcher.solve(simple_problem, time_limit=limit)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("limit", [1, 0.5, 1e-3])
def test_good_time_limits(simple_problem: matcher.Problem, limit: float) -> None:
    assert matcher.solve(simple_problem, solver="cpsat", time_limit=limit).status in (
        "optimal",
        "feasible",
    )
