"""Every need of a plan explained at once, as a table.

The texts are those :meth:`~matcher.explain.Explainer.explain` gives need by need. What they say
is found for all needs together (the verdict of every candidate pair, each need's rank and
runner-up, the candidates each text lists, the organizations a rule removes, the bottlenecks), and
what does not depend on the language is found once for both: only the wording is made per
language, the lines on the other organizations in one pass over all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..errors import OptionError
from ..models.index import in_sorted
from ..models.vocab import Language
from ..pairs.eligibility import RULES, ineligibility
from .records import _Head
from .whole import (
    _CHOSEN,
    _FULL,
    _HELD,
    _INELIGIBLE,
    _LOWER,
    _NOT_CHOSEN,
    _NOT_POSITIVE,
    _PINNED,
    _RULES,
    _VERDICTS,
    _best_rows,
    _Crowd,
    _ranges,
    _Whole,
)
from .wording import (
    TEXT_LINES,
    _alternative_lines,
    _breakdown_cells,
    _Cells,
    _check_language,
    _component_cells,
    _counts,
)

if TYPE_CHECKING:
    import pandas as pd

    from .explainer import Explainer, _Side
else:
    pd = lazy_module("pandas")

__all__ = ["explanation_table"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def explanation_table(
    ex: Explainer, languages: Sequence[Language] | Language, limit: int
) -> pd.DataFrame:
    """Every need of ``ex``'s plan explained, one row each (see :func:`matcher.explanations`)."""
    wanted: tuple[Language, ...] = (languages,) if isinstance(languages, str) else tuple(languages)
    for language in wanted:
        _check_language(language)
    if not isinstance(limit, int) or limit < 0:
        raise OptionError.of("error.limit", value=repr(limit))
    facts = _Facts.of(ex, limit, wanted[0] if wanted else "zh")
    texts = {language: _texts(ex, facts, language) for language in wanted}
    return _frame(ex, facts, texts)


@dataclass(frozen=True, eq=False)
class _Ranked:
    """Each need's place in the plan: its best-scoring organization's row of the candidate table
    (``-1`` when unmet), that score, its rank, the weakest score it takes (``inf`` when unmet)."""

    assigned: BoolArray
    main_row: IntArray
    score: FloatArray
    rank: IntArray
    reference: FloatArray

    @classmethod
    def of(cls, ex: Explainer, whole: _Whole, language: Language, limit: int) -> _Ranked:
        table = whole.table
        n_needs = ex._problem.index.n_needs
        assigned = ex._by_need_start[1:] > ex._by_need_start[:-1]
        # The plan's best-scoring organization of each need (the first in plan order on ties).
        order = np.lexsort((np.arange(ex._plan_need.size), -ex._plan_score, ex._plan_need))
        first = order[np.searchsorted(ex._plan_need[order], np.arange(n_needs))[assigned]]
        main_row = np.full(n_needs, -1, np.int64)
        main_row[assigned] = whole.plan_row[first]
        recorded = np.zeros(n_needs)
        recorded[assigned] = ex._plan_score[first]
        found = np.full(n_needs, np.nan)
        found[main_row >= 0] = table.score[main_row[main_row >= 0]]
        wrong = assigned & ~(np.abs(found - recorded) <= 1e-6 * np.maximum(1.0, np.abs(found)))
        for n in np.flatnonzero(wrong)[:1].tolist():
            # A plan made for another problem: the need's own explanation says what is wrong.
            ex._explain_assigned(n, ex._view(n), ex._chosen(n), language, limit)
        reference = np.full(n_needs, np.inf)
        np.minimum.at(reference, ex._plan_need, ex._plan_score)
        score = np.zeros(n_needs)
        score[assigned] = table.score[main_row[assigned]]
        threshold = score + 1e-9 * np.maximum(1.0, np.abs(score)) + ex._tolerance
        above = table.score > threshold[table.need]
        rank = 1 + np.bincount(table.need[above], minlength=n_needs)
        return cls(assigned, main_row, score, rank, reference)


@dataclass(frozen=True, eq=False)
class _Facts:
    """What the texts of every need say, the same in every language."""

    whole: _Whole
    ranked: _Ranked
    verdicts: IntArray  # of every candidate pair
    runner_row: IntArray  # each need's runner-up's row of the candidate table (-1: none)
    # The candidates each text lists one by one, best first, all needs in a row.
    seen_start: list[int]
    seen_org: list[int]
    seen_score: list[float]
    seen_verdict: list[int]
    rest: list[dict[str, int]]  # the other candidates and removed ones, counted by verdict
    removed_shown: list[list[tuple[int, int]]]  # removed organizations listed, with rule codes
    omitted: list[dict[str, int]]  # removed organizations not listed, counted by rule
    chosen: list[list[int]]  # the organizations each need takes, best score first
    higher: list[dict[str, int]]  # the candidates scoring above the chosen one, by verdict
    cells: dict[int, _Cells]  # the breakdowns of assigned needs
    crowds: dict[int, _Crowd]  # the bottlenecks of unmet needs

    @classmethod
    def of(cls, ex: Explainer, limit: int, language: Language) -> _Facts:
        whole = ex._whole()
        ranked = _Ranked.of(ex, whole, language, limit)
        verdicts = _verdicts(ex, whole, ranked.assigned, ranked.reference)
        best = _best_rows(whole.start, whole.table.score, verdicts != _CHOSEN, TEXT_LINES)
        runner_row = best[:, 0] if TEXT_LINES else np.full(best.shape[0], -1, np.int64)
        shown_at = best >= 0
        seen_rows = best[shown_at]
        removed_shown, omitted, listed = _removed(ex, whole, limit, shown_at.sum(axis=1))
        stuck = whole.stuck()
        return cls(
            whole=whole,
            ranked=ranked,
            verdicts=verdicts,
            runner_row=runner_row,
            seen_start=np.concatenate([[0], np.cumsum(shown_at.sum(axis=1))]).tolist(),
            seen_org=whole.table.org[seen_rows].tolist(),
            seen_score=whole.table.score[seen_rows].tolist(),
            seen_verdict=verdicts[seen_rows].tolist(),
            rest=_rest(whole, verdicts, seen_rows, listed),
            removed_shown=removed_shown,
            omitted=omitted,
            chosen=_chosen(ex, whole, ranked),
            higher=_higher(whole, verdicts),
            cells=_cells(ex, whole, ranked, runner_row),
            crowds=dict(zip(stuck.tolist(), whole.crowds(stuck), strict=True)),
        )


def _chosen(ex: Explainer, whole: _Whole, ranked: _Ranked) -> list[list[int]]:
    """The organizations each need takes, best score first (ties in plan order)."""
    partners = np.diff(ex._by_need_start).tolist()
    taker = np.full(ranked.assigned.size, -1, np.int64)
    taker[ranked.assigned] = whole.table.org[ranked.main_row[ranked.assigned]]
    chosen: list[list[int]] = [
        [] if k == 0 else [o] for k, o in zip(partners, taker.tolist(), strict=True)
    ]
    for n in np.flatnonzero(np.diff(ex._by_need_start) > 1).tolist():
        rows = ex._plan_rows(n)
        order = np.argsort(-ex._plan_score[rows], kind="stable")
        chosen[n] = ex._plan_org[rows][order].tolist()
    return chosen


def _higher(whole: _Whole, verdicts: IntArray) -> list[dict[str, int]]:
    """Per need, its candidates that score higher than the chosen one, counted by verdict."""
    table = whole.table
    n_needs = whole.start.size - 1
    width = len(_VERDICTS)
    held = np.isin(verdicts, _HELD)
    counts = np.bincount(
        table.need[held] * width + verdicts[held], minlength=n_needs * width
    ).reshape(n_needs, width)
    return _tallies(counts, _VERDICTS)


def _removed(
    ex: Explainer, whole: _Whole, limit: int, seen: IntArray
) -> tuple[list[list[tuple[int, int]]], list[dict[str, int]], IntArray]:
    """Per need: the removed organizations its text lists after its candidates (as many as the
    lines left), those not listed counted by rule, and how many are removed in all."""
    n_needs = ex._problem.index.n_needs
    removed = whole.removed(limit)
    room = TEXT_LINES - seen
    total = np.diff(removed.start)
    shown = np.minimum(np.maximum(room, 0), total)
    start = removed.start[:-1]
    rows = _ranges(start, start + shown)
    pairs = list(zip(removed.org[rows].tolist(), removed.code[rows].tolist(), strict=True))
    bounds = np.concatenate([[0], np.cumsum(shown)]).tolist()
    listed_shown = [pairs[bounds[n] : bounds[n + 1]] for n in range(n_needs)]
    width = len(RULES) + 1
    listed_need = np.repeat(np.arange(n_needs), total)
    unlisted = removed.counts - np.bincount(
        listed_need * width + removed.code, minlength=n_needs * width
    ).reshape(n_needs, width)
    omitted = _tallies(unlisted[:, 1:], RULES)
    return listed_shown, omitted, np.maximum(0, total - np.maximum(room, 0))


def _rest(
    whole: _Whole, verdicts: IntArray, seen_rows: IntArray, unlisted: IntArray
) -> list[dict[str, int]]:
    """Per need, the candidates and removed organizations its text counts instead of listing,
    by verdict."""
    table = whole.table
    n_needs = whole.start.size - 1
    width = len(_VERDICTS)
    counts = np.bincount(table.need * width + verdicts, minlength=n_needs * width)
    counts -= np.bincount(
        table.need[seen_rows] * width + verdicts[seen_rows], minlength=n_needs * width
    )
    counts = counts.reshape(n_needs, width)
    counts[:, _CHOSEN] = 0
    counts[:, _INELIGIBLE] = unlisted
    return _tallies(counts, _VERDICTS)


def _tallies(counts: IntArray, names: Sequence[str]) -> list[dict[str, int]]:
    """Each row of ``counts`` as a dict of its nonzero columns, by ``names`` (in column order)."""
    tallies: list[dict[str, int]] = [{} for _ in range(counts.shape[0])]
    at_row, at_column = np.nonzero(counts > 0)
    for row, column, k in zip(
        at_row.tolist(), at_column.tolist(), counts[at_row, at_column].tolist(), strict=True
    ):
        tallies[row][names[column]] = k
    return tallies


def _cells(
    ex: Explainer, whole: _Whole, ranked: _Ranked, runner_row: IntArray
) -> dict[int, _Cells]:
    """The breakdown of every assigned need against its runner-up, as :func:`_breakdown_cells`
    gives it: the component rows all at once, the row that adjusts the weighted sum (when the
    policy has one) need by need."""
    problem, table = ex._problem, whole.table
    assigned = ranked.assigned
    needs = np.flatnonzero(assigned)
    has_runner = runner_row[assigned] >= 0
    mine_rows = ranked.main_row[assigned]
    their_rows = np.where(has_runner, runner_row[assigned], mine_rows)
    mine, theirs = whole.components_at(mine_rows), whole.components_at(their_rows)
    components = _component_cells(mine, theirs, has_runner, ex._weight_list)
    adjusted = problem.index.pair_score is not None or problem.policy.expected_value
    sides: dict[int, _Side] = {}
    if adjusted:
        rows, parts = np.concatenate([mine_rows, their_rows]), np.concatenate([mine, theirs])
        sides = {
            r: ex._side_of(org, value, part)
            for r, org, value, part in zip(
                rows.tolist(),
                table.org[rows].tolist(),
                table.score[rows].tolist(),
                parts,
                strict=True,
            )
        }
    cells: dict[int, _Cells] = {}
    score = ranked.score.tolist()
    for n, m_row, r_row, rows_of, runner in zip(
        needs.tolist(),
        mine_rows.tolist(),
        runner_row[assigned].tolist(),
        components,
        has_runner.tolist(),
        strict=True,
    ):
        extra = (
            ex._adjustment_row(n, sides[m_row], sides[r_row] if runner else None)
            if adjusted
            else None
        )
        pair = (int(table.org[r_row]), float(table.score[r_row])) if runner else None
        cells[n] = _breakdown_cells(rows_of, [] if extra is None else [extra], score[n], pair)
    return cells


def _texts(ex: Explainer, facts: _Facts, language: Language) -> list[str]:
    """Every need's text in ``language``."""
    ranked, whole = facts.ranked, facts.whole
    assigned = ranked.assigned.tolist()
    starts = facts.seen_start
    lines = _candidate_lines(ex, facts, language)
    removed = ex._shown_ineligible
    candidates = np.diff(whole.start).tolist()
    score, rank = ranked.score.tolist(), ranked.rank.tolist()
    texts = []
    for n in range(len(assigned)):
        first, last = starts[n], starts[n + 1]
        shown = lines[first:last] + [removed(o, c, language) for o, c in facts.removed_shown[n]]
        if not assigned[n]:
            texts.append(_unmet_text(ex, facts, n, shown, language))
            continue
        runner = (facts.seen_org[first], facts.seen_score[first]) if first < last else None
        head = _Head(
            facts.chosen[n],
            score[n],
            rank[n],
            candidates[n],
            facts.higher[n],
            runner,
            facts.cells[n],
        )
        texts.append(ex._assigned_text(n, head, shown, facts.rest[n], facts.omitted[n], language))
    return texts


def _candidate_lines(ex: Explainer, facts: _Facts, language: Language) -> list[str]:
    """The line of every candidate the texts list, all needs' in a row."""
    assigned = facts.ranked.assigned.tolist()
    reference = facts.ranked.reference.tolist()
    owner = np.repeat(np.arange(len(assigned)), np.diff(facts.seen_start)).tolist()
    bests = [ex._best(chosen) if chosen else None for chosen in facts.chosen]
    details = ex._details(
        [_VERDICTS[v] for v in facts.seen_verdict],
        facts.seen_org,
        facts.seen_score,
        [reference[n] if assigned[n] else None for n in owner],
        [bests[n] for n in owner],
        language,
    )
    prefix = ex._prefixes(language)
    return [prefix[o] + detail for o, detail in zip(facts.seen_org, details, strict=True)]


def _unmet_text(ex: Explainer, facts: _Facts, n: int, shown: list[str], language: Language) -> str:
    """The text of unmet need ``n`` (``shown``: the lines on the organizations it lists)."""
    problem, whole = ex._problem, facts.whole
    reason = ex._unmet_record(n).reason
    lo, hi = int(whole.start[n]), int(whole.start[n + 1])
    orgs, scores = whole.table.org[lo:hi], whole.table.score[lo:hi]
    excluded: dict[str, int] = {}
    if reason == "no_candidate" or hi == lo:
        everyone = np.arange(problem.index.n_orgs, dtype=np.int64)
        excluded = _counts(ineligibility(problem, n, everyone))
    head = ex._unmet_sentence(n, reason, orgs, scores, excluded, facts.crowds.get(n), language)
    return "\n".join([head, *_alternative_lines(shown, facts.rest[n], facts.omitted[n], language)])


def _frame(ex: Explainer, facts: _Facts, texts: dict[Language, list[str]]) -> pd.DataFrame:
    """The table: the numbers of every need, then its text in each language."""
    index = ex._problem.index
    ranked, table = facts.ranked, facts.whole.table
    assigned, n_needs = ranked.assigned, index.n_needs
    ids = np.asarray(index.org_ids, dtype=object)
    main_org = np.full(n_needs, None, dtype=object)
    main_org[assigned] = ids[table.org[ranked.main_row[assigned]]]
    runner_org = np.full(n_needs, None, dtype=object)
    has_runner = assigned & (facts.runner_row >= 0)
    runner_org[has_runner] = ids[table.org[facts.runner_row[has_runner]]]
    reasons = np.full(n_needs, None, dtype=object)
    costs = np.full(n_needs, np.nan)
    for n, unmet in ex._unmet_records().items():
        reasons[n] = unmet.reason
    for n, crowd in facts.crowds.items():
        if crowd.cost is not None:
            costs[n] = crowd.cost
    frame = pd.DataFrame(
        {
            "need_id": np.asarray(index.need_ids, dtype=object),
            "status": np.where(assigned, "assigned", "unmet"),
            "org_id": main_org,
            "score": np.where(assigned, ranked.score, np.nan),
            "rank": pd.arrays.IntegerArray(np.where(assigned, ranked.rank, 0), ~assigned),
            "candidates": np.diff(facts.whole.start),
            "runner_up": runner_org,
            "reason": reasons,
            "cost_to_serve": costs,
        }
    )
    for language, column in texts.items():
        frame[f"text_{language}"] = pd.Series(column, dtype=object)
    return frame


def _verdicts(ex: Explainer, whole: _Whole, assigned: BoolArray, reference: FloatArray) -> IntArray:
    """The verdict code of every candidate pair (see :data:`_VERDICTS`), as
    :meth:`_verdict_assigned` and :meth:`_verdict_unmet` give it."""
    table = whole.table
    index = ex._problem.index
    need, org, score = table.need, table.org, table.score
    held = _RULES if ex._ruled else _NOT_CHOSEN
    pinned_need = np.zeros(index.n_needs, bool)
    n_orgs = max(1, index.n_orgs)
    pinned = in_sorted(ex._plan_need * n_orgs + ex._plan_org, ex._pinned_keys)
    pinned_need[ex._plan_need[pinned]] = True
    ref = reference[need]
    tie = 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(ref), ref, 0.0))) + ex._tolerance
    kept = np.where(ex._full[org], _FULL, np.where(pinned_need[need], _PINNED, held))
    kept = np.where(score <= ref + tie, _LOWER, kept)
    left = np.where(ex._full[org], _FULL, np.where(score <= 0, _NOT_POSITIVE, held))
    verdicts = np.where(assigned[need], kept, left).astype(np.int64)
    rows = whole.plan_row[whole.plan_row >= 0]
    verdicts[rows] = _CHOSEN
    return verdicts
