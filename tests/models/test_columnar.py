"""Problems from tables, column by column: the same problems and the same issues as row by row.

:meth:`matcher.Problem.from_frames` checks tables column by column and builds its row models on
first use; ``_from_frames_by_rows`` is the reference it must agree with: one dict per row,
validated as a document. Pair scores given as a document's list are checked by columns too;
their reference is ``_validate_by_rows``, which validates every pair as a model.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
import threading
import typing
from typing import Any

import annotated_types
import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher import io
from matcher.io import problems as io_problems
from matcher.io import rows as io_rows
from matcher.models import Need, Organization, Region, columnar
from matcher.models.columnar import _KINDS
from matcher.models.problem import _from_frames_by_rows, _validate_by_rows
from strategies import SMALL, documents

Frames = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


# --- helpers --------------------------------------------------------------------------------------


def frames_of(problem: matcher.Problem) -> Frames:
    frames = io.problem_frames(problem)
    return frames["regions"], frames["organizations"], frames["needs"]


def document_frames(document: dict[str, Any]) -> Frames:
    """A document's sections as DataFrames, capabilities as ``capability_<category>`` columns."""
    organizations = []
    for org in document["organizations"]:
        row = {k: v for k, v in org.items() if k != "capabilities"}
        row.update({f"capability_{c}": v for c, v in org.get("capabilities", {}).items()})
        organizations.append(row)
    return (
        pd.DataFrame(document["regions"]),
        pd.DataFrame(organizations),
        pd.DataFrame(document["needs"]),
    )


def outcome(load: Any, *frames: Any, **options: Any) -> matcher.Problem | list[matcher.Issue]:
    try:
        return load(*frames, **options)  # type: ignore[no-any-return]
    except matcher.ProblemError as error:
        return error.issues


def assert_same_index(a: matcher.Problem, b: matcher.Problem) -> None:
    def same(x: Any, y: Any, name: str) -> None:
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name
        elif dataclasses.is_dataclass(x):
            for f in dataclasses.fields(x):
                same(getattr(x, f.name), getattr(y, f.name), f"{name}.{f.name}")
        else:
            assert x == y, name

    same(a.index, b.index, "index")


def assert_same_rows(a: matcher.Problem, b: matcher.Problem) -> None:
    """Same models, down to value types (1 vs 1.0) and the fields each row was given."""
    for name in ("regions", "organizations", "needs", "pair_scores"):
        rows_a, rows_b = getattr(a, name) or (), getattr(b, name) or ()
        assert [type(r) for r in rows_a] == [type(r) for r in rows_b]
        assert [repr(r.__dict__) for r in rows_a] == [repr(r.__dict__) for r in rows_b], name
        assert [r.model_fields_set for r in rows_a] == [r.model_fields_set for r in rows_b]


def assert_agree(*frames: Any, **options: Any) -> matcher.Problem | list[matcher.Issue]:
    """Both paths give the same problem (index, rows, JSON) or the same issues."""
    by_columns = outcome(matcher.Problem.from_frames, *frames, **options)
    by_rows = outcome(_from_frames_by_rows, *frames, **options)
    return assert_outcomes_agree(by_columns, by_rows)


def assert_outcomes_agree(
    by_columns: matcher.Problem | list[matcher.Issue],
    by_rows: matcher.Problem | list[matcher.Issue],
) -> matcher.Problem | list[matcher.Issue]:
    """The same issues, or problems alike in index, rows, JSON and given fields."""
    if isinstance(by_rows, list):
        assert by_columns == by_rows
        return by_rows
    assert isinstance(by_columns, matcher.Problem), by_columns
    assert_same_index(by_columns, by_rows)
    assert by_columns.to_json() == by_rows.to_json()
    assert by_columns == by_rows
    assert by_columns.model_fields_set == by_rows.model_fields_set
    assert_same_rows(by_columns, by_rows)
    return by_columns


def with_cell(frame: pd.DataFrame, row: int, column: str, value: Any) -> pd.DataFrame:
    """``frame`` with one cell replaced (the column becomes an object column)."""
    changed = frame.copy()
    cells = changed[column].tolist() if column in changed else [None] * len(changed)
    cells[row] = value
    changed[column] = pd.Series(cells, index=changed.index, dtype=object)
    return changed


# --- whole synthetic problems ---------------------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=["shanxi", "three_provinces"],
)
def synthetic(request: pytest.FixtureRequest) -> matcher.Problem:
    if request.param == "shanxi":
        return matcher.synth.scale("shanxi")
    return matcher.synth.generate(3000, 600, n_provinces=3)


def test_columns_give_the_same_problem_as_rows(synthetic: matcher.Problem) -> None:
    frames = frames_of(synthetic)
    problem = assert_agree(*frames)
    assert isinstance(problem, matcher.Problem)
    assert problem == synthetic  # the frames round-trip (capability order aside)


def test_columns_give_the_same_plan_as_rows(synthetic: matcher.Problem) -> None:
    frames = frames_of(synthetic)
    by_columns = matcher.Problem.from_frames(*frames)
    by_rows = _from_frames_by_rows(*frames)
    plan = matcher.solve(by_columns, solver="flow", seed=0)
    assert plan.to_json() == matcher.solve(by_rows, solver="flow", seed=0).to_json()
    assert matcher.verify(by_columns, plan) == []


def test_policy_and_pair_scores_are_checked_and_kept() -> None:
    problem = matcher.synth.shanxi(seed=1, n_needs=200, n_orgs=40)
    frames = frames_of(problem)
    table = matcher.candidates(problem)
    assert len(table) >= 30
    pairs = table[["need_id", "org_id"]].head(30).assign(score=np.linspace(-1.0, 5.0, 30))
    loaded = assert_agree(*frames, policy={"weights": {"priority": 6}}, pair_scores=pairs)
    assert isinstance(loaded, matcher.Problem)
    assert loaded.policy.weights.priority == 6.0
    assert loaded.index.pair_score is not None and loaded.index.pair_score.size == 30
    bad_pairs = pairs.assign(need_id=["nobody", *pairs["need_id"].tolist()[1:]])
    bad_pairs.loc[3, "score"] = math.inf
    issues = assert_agree(*frames, policy={"weights": {"priority": -1}}, pair_scores=bad_pairs)
    assert [i.path for i in issues] == [
        "pair_scores[0].need_id",
        "pair_scores[3].score",
        "policy.weights.priority",
    ]


def test_dicts_of_numpy_arrays_are_tables() -> None:
    problem = matcher.Problem.from_frames(
        regions={
            "id": np.array(["14", "1401"]),
            "level": ["province", "市"],
            "parent": [None, "14"],
        },
        organizations={
            "id": np.array(["o1", "o2"]),
            "org_type": ["training", "培训类"],
            "scope": ["province", "province"],
            "home_region": ["14", "14"],
            "capability_talent": np.array([0.8, np.nan]),
            "max_projects": np.array([2, 3]),
        },
        needs={
            "id": np.array(["n1", "n2"]),
            "region": np.array(["1401", "1401"]),
            "category": ["人才培养", "Talent development"],
            "beneficiaries": np.array([120.0, np.nan]),
        },
    )
    assert problem.index.org_capacity.tolist() == [2, 3]
    assert problem.organizations[1].capabilities == {}
    assert problem.needs[1].beneficiaries == 0
    assert problem.needs[0].model_fields_set == {"id", "region", "category", "beneficiaries"}


# --- rows built on first use --------------------------------------------------------------------------


@pytest.fixture
def loaded() -> matcher.Problem:
    return matcher.Problem.from_frames(
        *frames_of(matcher.synth.shanxi(seed=3, n_needs=60, n_orgs=12))
    )


def test_rows_wait_until_they_are_read(loaded: matcher.Problem) -> None:
    assert "index" in loaded.__dict__ and loaded.rows_pending
    assert not {"regions", "organizations", "needs"} & set(loaded.__dict__)
    plan = matcher.solve(loaded, solver="flow")
    assert "needs" not in loaded.__dict__ and "organizations" not in loaded.__dict__
    first = loaded.needs[0]
    assert loaded.need(first.id) is first
    assert list(loaded.__dict__)[:4] == ["regions", "needs", "policy", "pair_scores"]
    assert loaded.organizations[0].id == loaded.index.org_ids[0]
    assert not loaded.rows_pending
    assert list(loaded.__dict__)[:3] == ["regions", "organizations", "needs"]
    assert matcher.verify(loaded, plan) == []


@pytest.mark.parametrize(
    "use",
    [
        lambda p: p.to_json(),
        lambda p: p.model_dump(),
        lambda p: repr(p),
        lambda p: dict(p),
        lambda p: p == p.model_copy(),
        lambda p: pickle.loads(pickle.dumps(p)).to_json(),
        lambda p: copy.deepcopy(p).to_json(),
        lambda p: p.replace(policy={"weights": {"priority": 3}}).to_json(),
    ],
    ids=["to_json", "model_dump", "repr", "iter", "eq", "pickle", "deepcopy", "replace"],
)
def test_every_reader_sees_whole_rows(loaded: matcher.Problem, use: Any) -> None:
    reference = matcher.Problem.from_json(loaded.model_copy().to_json())
    use(loaded)
    assert loaded == reference
    assert loaded.to_json() == reference.to_json()
    assert dict(loaded)["needs"] == reference.needs


def test_copies_and_pickles_stay_whole(loaded: matcher.Problem) -> None:
    expected = _from_frames_by_rows(*frames_of(matcher.synth.shanxi(seed=3, n_needs=60, n_orgs=12)))
    for twin in (pickle.loads(pickle.dumps(loaded)), copy.copy(loaded), loaded.model_copy()):
        assert twin.to_json() == expected.to_json()
        assert twin == expected
    assert matcher.Problem.model_validate(loaded) == expected


def test_a_problem_inside_another_model_serializes_whole(loaded: matcher.Problem) -> None:
    class Holder(pydantic.BaseModel):
        problem: matcher.Problem

    text = Holder(problem=loaded).model_dump_json()
    assert matcher.Problem.model_validate_json(text[len('{"problem":') : -1]) == loaded


def test_threads_build_the_rows_once(loaded: matcher.Problem) -> None:
    seen: list[int] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        seen.append(id(loaded.needs))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1


# --- bad tables: the same issues as row by row --------------------------------------------------------


@pytest.fixture(scope="module")
def small_frames() -> Frames:
    return frames_of(matcher.synth.shanxi(seed=5, n_needs=30, n_orgs=8))


def _bad_cases() -> list[tuple[str, int, str, Any, list[str]]]:
    """(table, row, column, value, expected issue paths)."""
    return [
        ("needs", 3, "beneficiaries", -5, ["needs[3].beneficiaries"]),
        ("needs", 4, "beneficiaries", 2.5, ["needs[4].beneficiaries"]),
        ("needs", 5, "cost", math.inf, ["needs[5].cost"]),
        ("needs", 6, "cost", "lots", ["needs[6].cost"]),
        ("needs", 7, "category", "bridges", ["needs[7].category"]),
        ("needs", 8, "region", "nowhere", ["needs[8].region"]),
        ("needs", 9, "id", "N01", ["needs[9].id"]),  # a duplicate of the first need's id
        ("needs", 10, "id", math.nan, ["needs[10].id"]),
        ("needs", 11, "id", "", ["needs[11].id"]),
        ("needs", 12, "aid", "loans", ["needs[12].aid"]),
        ("needs", 13, "vulnerable_groups", "orphans;giants", ["needs[13].vulnerable_groups[1]"]),
        ("needs", 14, "colour", "red", ["needs[14].colour"]),
        ("needs", 15, "region", 140100, ["needs[15].region"]),
        ("organizations", 1, "max_projects", -1, ["organizations[1].max_projects"]),
        ("organizations", 0, "max_projects", 2**70, ["organizations[0].max_projects"]),
        ("needs", 16, "partners", 10**12, ["needs[16].partners"]),
        ("organizations", 2, "home_region", "nowhere", ["organizations[2].home_region"]),
        ("organizations", 3, "capability_talent", 1.5, ["organizations[3].capabilities.talent"]),
        (
            "organizations",
            4,
            "capability_wizardry",
            0.5,
            ["organizations[4].capabilities.wizardry"],
        ),
        ("organizations", 5, "ratings", "5;9", ["organizations[5].ratings[1]"]),
        (
            "organizations",
            6,
            "inspection_passed",
            "perhaps",
            ["organizations[6].inspection_passed"],
        ),
        (
            "organizations",
            7,
            "service_regions",
            "140000;atlantis",
            ["organizations[7].service_regions[1]"],
        ),
        ("regions", 2, "level", "planet", ["regions[2].level"]),
        ("regions", 3, "lat", 95.0, ["regions[3].lat"]),
        ("regions", 4, "parent", "elsewhere", ["regions[4].parent"]),
    ]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "paths"),
    _bad_cases(),
    ids=[f"{c[0]}-{c[2]}-{c[3]!r}" for c in _bad_cases()],
)
def test_a_bad_cell_gives_the_row_paths_issues(
    small_frames: Frames, table: str, row: int, column: str, value: Any, paths: list[str]
) -> None:
    regions, organizations, needs = small_frames
    if column == "id" and value == "N01":
        value = needs.loc[0, "id"]
    frames = {"regions": regions, "organizations": organizations, "needs": needs}
    frames[table] = with_cell(frames[table], row, column, value)
    issues = assert_agree(frames["regions"], frames["organizations"], frames["needs"])
    assert isinstance(issues, list)
    assert [i.path for i in issues] == paths


def test_many_bad_cells_are_reported_at_once(small_frames: Frames) -> None:
    regions, organizations, needs = small_frames
    for table, row, column, value, _ in _bad_cases():
        if table == "needs" and column != "id":
            needs = with_cell(needs, row, column, value)
        elif table == "organizations":
            organizations = with_cell(organizations, row, column, value)
        elif table == "regions":
            regions = with_cell(regions, row, column, value)
    issues = assert_agree(regions, organizations, needs)
    assert isinstance(issues, list) and len(issues) >= 18


def test_a_missing_column_or_scope_clash_gives_the_row_paths_issues(small_frames: Frames) -> None:
    regions, organizations, needs = small_frames
    issues = assert_agree(regions, organizations.drop(columns=["org_type"]), needs)
    assert isinstance(issues, list)
    assert {i.message for i in issues} == {"required field is missing"}
    assert len(issues) == len(organizations)
    county = regions.loc[regions["level"] == "county", "id"].iloc[0]
    clash = with_cell(with_cell(organizations, 0, "scope", "city"), 0, "home_region", county)
    clash = with_cell(clash, 1, "scope", "county")
    clash = with_cell(clash, 1, "home_region", regions.loc[0, "id"])
    issues = assert_agree(regions, clash, needs)
    assert isinstance(issues, list)
    assert [i.path for i in issues] == ["organizations[1].home_region"]
    below = with_cell(regions, 0, "parent", regions.loc[len(regions) - 1, "id"])
    issues = assert_agree(below, organizations, needs)
    assert isinstance(issues, list) and issues[0].path == "regions[0].parent"
    assert "cannot contain" in issues[0].message


def test_labels_and_loose_cells_are_read_as_rows_read_them(small_frames: Frames) -> None:
    regions, organizations, needs = small_frames
    needs = with_cell(needs, 0, "category", "产业帮扶")
    needs = with_cell(needs, 1, "category", " Industry support ")
    needs = with_cell(needs, 2, "beneficiaries", "300")
    needs = with_cell(needs, 3, "title", "  padded  ")
    needs = with_cell(needs, 4, "lead_primary", 1)
    needs = with_cell(needs, 5, "vulnerable_groups", ["留守儿童", "disabled"])
    needs = with_cell(needs, 6, "continues", {"org_id": organizations.loc[0, "id"], "stars": 5})
    organizations = with_cell(organizations, 0, "credit", "活动异常名录")
    organizations = with_cell(organizations, 1, "ratings", [5, 4])
    organizations = with_cell(organizations, 2, "acceptance", {"talent": 0.5})
    regions = with_cell(regions, 1, "priority", "重点")
    problem = assert_agree(regions, organizations, needs)
    assert isinstance(problem, matcher.Problem)
    assert problem.needs[2].beneficiaries == 300 and problem.needs[3].title == "padded"
    assert problem.needs[6].continues is not None
    assert problem.index.need_previous_org[6] == 0


def test_every_model_field_has_a_column_check() -> None:
    for name, model in (("regions", Region), ("organizations", Organization), ("needs", Need)):
        assert set(_KINDS[name]) == set(model.model_fields)


# --- properties ---------------------------------------------------------------------------------------

_BAD_VALUES = [
    math.nan,
    math.inf,
    -1,
    -0.5,
    0,
    1.5,
    7,
    "",
    "  ",
    " padded ",
    "nowhere",
    "3",
    "05",
    True,
    None,
    "产业帮扶",
    "key",
    "county",
    "direct_aid",
    ["x"],
    [],
    {"a": 1},
    10**20,
    np.float64(2.0),
]


@st.composite
def mutated_frames(draw: Any) -> Frames:
    document = draw(documents(SMALL, pair_scores=False, policy=False, min_needs=1, min_orgs=1))
    frames = dict(
        zip(("regions", "organizations", "needs"), document_frames(document), strict=True)
    )
    for _ in range(draw(st.integers(0, 3))):
        table = draw(st.sampled_from(sorted(frames)))
        frame = frames[table]
        if frame.empty:
            continue
        columns = [*sorted(map(str, frame.columns)), "capability_talent", "colour"]
        column = draw(st.sampled_from(columns))
        row = draw(st.integers(0, len(frame) - 1))
        if draw(st.booleans()) and column in frame:
            other = frame[column].iloc[draw(st.integers(0, len(frame) - 1))]
            value = other  # a value from another row: duplicates, clashes
        else:
            value = draw(st.sampled_from(_BAD_VALUES))
        frames[table] = with_cell(frame, row, column, value)
    return frames["regions"], frames["organizations"], frames["needs"]


@settings(max_examples=150)
@given(frames=mutated_frames())
def test_columns_and_rows_agree_on_random_tables(frames: Frames) -> None:
    assert_agree(*frames)


@settings(max_examples=40)
@given(document=documents(SMALL, pair_scores=None, policy=True))
def test_columns_load_valid_documents_as_the_document_does(document: dict[str, Any]) -> None:
    pairs = pd.DataFrame(document["pair_scores"]) if "pair_scores" in document else None
    problem = assert_agree(
        *document_frames(document), policy=document.get("policy"), pair_scores=pairs
    )
    assert problem == matcher.Problem.model_validate(document)


# --- matcher.io: headers and cells normalized, then columns -------------------------------------------


def io_outcomes(tables: dict[str, pd.DataFrame]) -> tuple[Any, Any]:
    named = {io_rows._section_of(name): frame for name, frame in tables.items()}
    by_columns = outcome(io.problem_from_tables, tables)
    by_rows = outcome(io_problems._problem_by_rows, named, None)
    return by_columns, by_rows


def assert_io_agrees(tables: dict[str, pd.DataFrame]) -> matcher.Problem | list[matcher.Issue]:
    return assert_outcomes_agree(*io_outcomes(tables))


@pytest.fixture(scope="module")
def rich_tables() -> dict[str, dict[str, pd.DataFrame]]:
    problem = matcher.synth.shanxi(seed=2, n_needs=80, n_orgs=16)
    organizations = list(problem.organizations)
    organizations[0] = organizations[0].model_copy(
        update={"acceptance": {matcher.Category.TALENT: 0.4}}
    )
    needs = list(problem.needs)
    needs[1] = Need.model_validate(
        {**needs[1].model_dump(), "continues": {"org_id": organizations[2].id, "stars": 4}}
    )
    rich = problem.replace(
        organizations=organizations,
        needs=needs,
        policy={"weights": {"priority": 6}},
        pinned=[{"need_id": needs[3].id, "org_id": organizations[1].id}],
    )
    return {language: io.problem_frames(rich, language) for language in ("en", "zh")}  # type: ignore[misc]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_io_tables_load_by_columns_as_by_rows(
    rich_tables: dict[str, dict[str, pd.DataFrame]], language: str
) -> None:
    tables = rich_tables[language]
    assert io.problem_from_tables(tables).rows_pending  # it takes the columnar path
    problem = assert_io_agrees(tables)
    assert isinstance(problem, matcher.Problem)
    assert problem.pinned and problem.policy.weights.priority == 6.0
    as_text = {
        name: frame.astype(str).replace({"nan": "", "None": ""}) for name, frame in tables.items()
    }
    assert assert_io_agrees(as_text) == problem  # every cell as text, as a CSV reads


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("needs", "受益人数", "many"),
        ("needs", "帮扶类别", "bridges"),
        ("needs", "所在地区", "nowhere"),
        ("organizations", "最多承接项目数", "-2"),
        ("organizations", "能力_人才培养", 2),
        ("organizations", "年检合格", "也许"),
        ("regions", "级别", "星球"),
        ("regions", "颜色", "red"),  # unknown column: the row path
    ],
)
def test_io_bad_cells_give_the_row_paths_issues(
    rich_tables: dict[str, dict[str, pd.DataFrame]], table: str, column: str, value: Any
) -> None:
    names = {"needs": "需求", "organizations": "组织", "regions": "地区"}
    tables = dict(rich_tables["zh"])
    tables[names[table]] = with_cell(tables[names[table]], 2, column, value)
    issues = assert_io_agrees(tables)
    assert isinstance(issues, list) and issues


@st.composite
def mutated_io_tables(draw: Any) -> dict[str, pd.DataFrame]:
    document = draw(documents(SMALL, pair_scores=None, policy=True, min_needs=1, min_orgs=1))
    language = draw(st.sampled_from(["en", "zh"]))
    tables = io.problem_frames(matcher.Problem.model_validate(document), language)
    sections = [
        name
        for name in tables
        if io_rows._section_of(name) in ("regions", "organizations", "needs")
    ]
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sections))
        frame = tables[name]
        column = draw(st.sampled_from(sorted(map(str, frame.columns))))
        row = draw(st.integers(0, len(frame) - 1))
        if draw(st.booleans()):
            value = frame[column].iloc[draw(st.integers(0, len(frame) - 1))]
        else:
            value = draw(
                st.sampled_from([*_BAD_VALUES, "是", "否", "1,2", "留守儿童、孤儿", "5.0"])
            )
        tables[name] = with_cell(frame, row, column, value)
    return tables


@settings(max_examples=100)
@given(tables=mutated_io_tables())
def test_io_columns_and_rows_agree_on_random_tables(tables: dict[str, pd.DataFrame]) -> None:
    assert_io_agrees(tables)


def _field_bounds(info: Any) -> tuple[float, float]:
    """``ge`` / ``le`` of a field, looked for in its metadata and in an ``Optional[Annotated]``."""
    metadata = list(info.metadata)
    for argument in typing.get_args(info.annotation):
        for extra in getattr(argument, "__metadata__", ()):
            metadata += getattr(extra, "metadata", [extra])
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), -math.inf)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), math.inf)
    return float(low), float(high)


def test_column_checks_keep_the_models_numeric_bounds() -> None:
    """The column checks restate the models' bounds: they must not drift apart."""
    checked = 0
    for section, model in columnar._MODELS.items():
        for name, kind in columnar._KINDS[section].items():
            if kind.kind in ("int", "float"):
                assert (kind.low, kind.high) == _field_bounds(model.model_fields[name]), name
                checked += 1
    assert checked >= 8


# --- pair scores: tables and lists, checked by columns ------------------------------------------------


def assert_pairs_agree(
    document: dict[str, Any], pairs: list[Any]
) -> matcher.Problem | list[matcher.Issue]:
    """The pairs as a list in the document and as a table: each path agrees with its rows."""
    document = {**document, "pair_scores": pairs}
    by_list = assert_outcomes_agree(
        outcome(matcher.Problem.model_validate, document), outcome(_validate_by_rows, document)
    )
    if all(isinstance(pair, dict) for pair in pairs):
        table = pd.DataFrame(pairs, index=pd.RangeIndex(len(pairs)), dtype=object)
        for column in table.columns:  # numbers as numbers, text as text, where a column allows
            table[column] = pd.Series(table[column].tolist(), dtype=None)
        assert_agree(*document_frames(document), pair_scores=table)
    return by_list


_BAD_PAIR_VALUES = [
    *_BAD_VALUES,
    -math.inf,
    10**400,
    "2.5",
    " o0 ",
    "nobody",
    np.float64(-3.5),
    np.str_("n0"),
]


@st.composite
def mutated_pairs(draw: Any) -> tuple[dict[str, Any], list[Any]]:
    """A valid document and its pair scores with up to four cells, keys or rows spoilt."""
    document = draw(documents(SMALL, pair_scores=True, policy=False, min_needs=1, min_orgs=1))
    pairs: list[Any] = [dict(pair) for pair in document.pop("pair_scores")]
    if not pairs:
        pairs = [{"need_id": document["needs"][0]["id"], "org_id": "o0", "score": 1.0}]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.integers(0, len(pairs) - 1))
        other = pairs[draw(st.integers(0, len(pairs) - 1))]
        how = draw(st.sampled_from(["value", "value", "copy", "drop", "item"]))
        key = draw(st.sampled_from(["need_id", "org_id", "score", "colour"]))
        if not isinstance(pairs[row], dict) or (how == "copy" and not isinstance(other, dict)):
            continue
        if how == "value":
            pairs[row][key] = draw(st.sampled_from(_BAD_PAIR_VALUES))
        elif how == "copy":  # the same pair twice, or another row's value
            pairs[row].update({k: other[k] for k in ("need_id", "org_id") if k in other})
        elif how == "drop":
            pairs[row].pop(key, None)
        else:
            pairs[row] = draw(st.sampled_from(["junk", None, 3, ["n0", "o0", 1.0]]))
    return document, pairs


@settings(max_examples=150)
@given(case=mutated_pairs())
def test_pair_columns_and_rows_agree_on_random_pairs(
    case: tuple[dict[str, Any], list[Any]],
) -> None:
    assert_pairs_agree(*case)


@settings(max_examples=40)
@given(document=documents(SMALL, pair_scores=True, policy=True, min_needs=1, min_orgs=1))
def test_valid_pairs_load_as_rows_load_them(document: dict[str, Any]) -> None:
    problem = assert_pairs_agree(document, document["pair_scores"])
    assert isinstance(problem, matcher.Problem)
    index = problem.index
    assert index.pair_score is not None and index.pair_need is not None
    expected = [(p["need_id"], p["org_id"], float(p["score"])) for p in document["pair_scores"]]
    assert [
        (index.need_ids[n], index.org_ids[o], s)
        for n, o, s in zip(index.pair_need, index.pair_org, index.pair_score, strict=True)
    ] == expected


@pytest.fixture(scope="module")
def scored() -> tuple[dict[str, Any], pd.DataFrame]:
    """A problem's document without pair scores, and a table scoring all its candidate pairs."""
    problem = matcher.synth.shanxi(seed=4, n_needs=150, n_orgs=40)
    table = matcher.candidates(problem)[["need_id", "org_id"]]
    rng = np.random.default_rng(4)
    table = table.assign(score=rng.uniform(-1.0, 10.0, len(table))).reset_index(drop=True)
    return problem.model_dump(mode="json"), table


def test_bad_pair_rows_are_named_by_their_path(scored: tuple[dict[str, Any], pd.DataFrame]) -> None:
    document, table = scored
    pairs = table.head(20).to_dict(orient="records")
    pairs[3]["need_id"] = "nobody"
    pairs[5]["org_id"] = "ghost"
    pairs[7].update(need_id=pairs[2]["need_id"], org_id=pairs[2]["org_id"])
    pairs[9]["colour"] = "red"
    pairs[10]["need_id"] = f" {pairs[10]['need_id']} "  # padded: read as the id
    pairs[12]["score"] = math.inf
    pairs[13]["score"] = "lots"
    del pairs[14]["org_id"]
    pairs[15] = "junk"
    expected = [
        ("pair_scores[3].need_id", "unknown need 'nobody'"),
        ("pair_scores[5].org_id", "unknown organization 'ghost'"),
        ("pair_scores[7]", "duplicate pair (first at pair_scores[2])"),
        ("pair_scores[9].colour", "unknown field"),
        ("pair_scores[12].score", "input should be a finite number"),
        (
            "pair_scores[13].score",
            "input should be a valid number, unable to parse string as a number",
        ),
        ("pair_scores[14].org_id", "required field is missing"),
        ("pair_scores[15]", "input should be a valid dictionary or instance of PairScore"),
    ]
    issues = assert_pairs_agree(document, pairs)
    assert [(i.path, i.message) for i in issues] == expected
    frame = pd.DataFrame(pairs[:15])
    before = frame.copy()
    issues = outcome(matcher.Problem.from_frames, *document_frames(document), pair_scores=frame)
    assert isinstance(issues, list)
    assert [(i.path, i.message) for i in issues] == expected[:-1]
    pd.testing.assert_frame_equal(frame, before)  # the caller's table is left as it was


def test_pair_scores_load_by_columns_and_solve_as_by_rows(
    scored: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    document, table = scored
    frames = document_frames(document)
    pairs = table.to_dict(orient="records")
    by_frames = matcher.Problem.from_frames(*frames, pair_scores=table)
    by_json = matcher.Problem.from_json(json.dumps({**document, "pair_scores": pairs}))
    references = (
        _from_frames_by_rows(*frames, pair_scores=table),
        _validate_by_rows({**document, "pair_scores": pairs}),
    )
    for loaded in (by_frames, by_json):
        assert "pair_scores" not in loaded.__dict__  # built on first read
    expected = matcher.solve(references[0], solver="flow", seed=0)
    assert matcher.solve(references[1], solver="flow", seed=0).to_json() == expected.to_json()
    for loaded, reference in zip((by_frames, by_json), references, strict=True):
        plan = matcher.solve(loaded, solver="flow", seed=0)
        assert "pair_scores" not in loaded.__dict__  # the solve read the index only
        assert plan.to_json() == expected.to_json()
        assert_outcomes_agree(loaded, reference)
        assert matcher.verify(loaded, plan) == []


def test_pending_pair_scores_behave_as_built_ones(
    scored: tuple[dict[str, Any], pd.DataFrame],
) -> None:
    document, table = scored
    document = {**document, "pair_scores": table.head(50).to_dict(orient="records")}
    reference = _validate_by_rows(document)
    for use in (
        lambda p: p.to_json(),
        lambda p: pickle.loads(pickle.dumps(p)),
        lambda p: copy.deepcopy(p),
        lambda p: p.replace(policy={"weights": {"priority": 3}}),
        lambda p: p.model_copy(),
    ):
        loaded = matcher.Problem.model_validate(document)
        assert "pair_scores" not in loaded.__dict__
        result = use(loaded)
        assert loaded == reference and loaded.pair_scores == reference.pair_scores
        if isinstance(result, matcher.Problem):
            assert result.pair_scores == reference.pair_scores
    empty = matcher.Problem.model_validate({**document, "pair_scores": []})
    assert empty.pair_scores == () and empty.index.pair_score is not None
