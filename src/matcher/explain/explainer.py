"""The explainer of one plan: every need's explanation, need by need or all at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..errors import OptionError
from ..models import COMPONENTS, Category, Problem
from ..models.index import in_sorted
from ..models.vocab import Language
from ..pairs.eligibility import RULES, ineligibility
from ..pairs.scoring import components
from ..pairs.table import CandidateJoin, CandidateTable, build_candidates
from ..plan.records import PlanRows
from ..plan.solution import Solution, Unmet
from ..solvers.base import Status
from .records import Alternative, Bottleneck, BreakdownRow, Explanation, Verdict, _Head
from .table import explanation_table
from .whole import (
    _Crowd,
    _ranges,
    _shortest_to,
    _shown_scores,
    _Whole,
)
from .wording import (
    _CATEGORIES,
    _RULE_KINDS,
    _RULE_SHORT,
    _RULE_TEXT,
    TEXT_LINES,
    _alternative_lines,
    _breakdown_cells,
    _Cells,
    _check_language,
    _component_cells,
    _cost_phrase,
    _counts,
    _higher_text,
    _ineligible_detail,
    _join_names,
    _label_of,
    _line,
    _padded_labels,
    _plural,
    _Row,
    _row_values,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__ = ["FULL_TABLE_BELOW", "Explainer"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


#: Problems with fewer needs than this build the whole candidate table once to find bottlenecks;
#: larger ones compute the candidates of the needs involved only.
FULL_TABLE_BELOW = 50_000


class Explainer:
    """Explanations of one plan: :meth:`explain` and :meth:`why_not` for any of its needs.

    Build one to explain many needs of the same plan: the plan's lookups (and, for bottlenecks,
    the candidate pairs) are built once.

    Parameters
    ----------
    problem
        The problem.
    solution
        A plan made for it.

    Raises
    ------
    OptionError
        When the plan names needs or organizations the problem does not have.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
    >>> solution = matcher.solve(problem)
    >>> explainer = Explainer(problem, solution)
    >>> reasons = [explainer.explain(u.need_id).reason for u in solution.unmet]
    >>> reasons == [u.reason for u in solution.unmet]
    True
    """

    def __init__(self, problem: Problem, solution: Solution) -> None:
        self._problem = problem
        # The plan's own facts are copied, not the plan: a kept explainer must not keep it alive.
        self._solver, self._status = solution.solver, solution.status.value
        index = problem.index
        need, org, score, unmet = self._read_plan(solution)
        self._plan_need = np.array(need, np.int64)
        self._plan_org = np.array(org, np.int64)
        self._plan_score = np.array(score, np.float64)
        self._load = np.bincount(self._plan_org, minlength=index.n_orgs)
        self._full = self._load >= index.org_capacity
        self._full_list: list[bool] = self._full.tolist()
        by_org = np.argsort(self._plan_org, kind="stable")
        self._by_org = by_org
        self._by_org_start = np.searchsorted(self._plan_org[by_org], np.arange(index.n_orgs + 1))
        by_need = np.argsort(self._plan_need, kind="stable")
        self._by_need = by_need
        self._by_need_start = np.searchsorted(
            self._plan_need[by_need], np.arange(index.n_needs + 1)
        )
        n_orgs = max(1, index.n_orgs)
        self._pinned_keys = np.sort(index.pinned_need * n_orgs + index.pinned_org)
        self._pinned = set(self._pinned_keys.tolist())
        self._plan_keys = np.sort(self._plan_need * n_orgs + self._plan_org)
        self._unmet_needs = np.asarray(unmet, np.int64)
        self._is_unmet = np.zeros(index.n_needs, bool)
        self._is_unmet[self._unmet_needs] = True
        # Per organization: least cost to the end of an alternating path (NaN: not known yet).
        self._end_padded = np.full(index.n_orgs, np.nan)
        self._end_exact = np.full(index.n_orgs, np.nan)
        self._ruled = (
            not problem.policy.network_shaped
            or bool((index.need_partners > 1).any())
            or bool(index.need_lead_primary.any())
            or set(solution.levels) - {"score"} != set()
            or bool(solution.soft_violations)
        )
        self._optimal = solution.status is Status.OPTIMAL
        tolerance = solution.stats.get("tolerance", 0.0)
        self._tolerance = float(tolerance) if isinstance(tolerance, int | float) else 0.0
        self._pairs: _Pairs | None = None
        self._given = _given_scores(problem)
        self._lock = threading.Lock()
        self._whole_facts: _Whole | None = None
        self._labels: tuple[list[str], list[str]] | None = None
        self._full_clauses: dict[tuple[int, Language], str] = {}
        self._places: dict[tuple[int, int, Language], tuple[str, str]] = {}
        self._lines: dict[tuple[int, int, Language], str] = {}
        self._prefix: dict[Language, list[str]] = {}
        self._weights = np.array(
            [getattr(problem.policy.weights, name) for name in COMPONENTS], np.float64
        )
        self._weight_list: list[float] = self._weights.tolist()

    def _read_plan(self, solution: Solution) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
        """The plan's pairs (need, organization, score) and unmet needs, by index: from its
        arrays when it comes fresh from a solve (its records are not built for it), else from its
        records; an error when it names needs or organizations the problem does not have."""
        problem = self._problem
        index = problem.index
        rows = solution.pending_builder("assignments")
        unmet_rows = solution.pending_builder("unmet")
        self._unmet: dict[int, Unmet] = {}
        self._unmet_rows = unmet_rows if isinstance(unmet_rows, PlanRows) else None
        try:
            if isinstance(rows, PlanRows) and rows.problem is problem:
                need, org, score = rows.pairs
            else:
                plan = solution.assignments
                need = np.array([index.need_position[a.need_id] for a in plan], np.int64)
                org = np.array([index.org_position[a.org_id] for a in plan], np.int64)
                score = np.array([a.score for a in plan], np.float64)
            if self._unmet_rows is not None and self._unmet_rows.problem is problem:
                unmet = self._unmet_rows.unserved
            else:
                self._unmet_rows = None
                self._unmet = {index.need_position[u.need_id]: u for u in solution.unmet}
                unmet = np.array(sorted(self._unmet), np.int64)
        except KeyError as error:
            raise OptionError.of("error.plan_names_unknown", id=repr(error.args[0])) from None
        return need, org, score, np.asarray(unmet, np.int64)

    # --- public -----------------------------------------------------------------------------

    def prepare(self) -> Explainer:
        """Find now, for every need at once, what explaining any one of them reads; return ``self``.

        An unmet need's bottleneck is a fact about much of the plan: the organizations reached
        from its candidates along alternating paths, and a shortest path through them for its
        cost to serve. The first explanation that needs them finds them for every need (the
        whole candidate table, one walk over the organizations' graph, one shortest-path pass);
        a portal that explains one need per request calls this when it makes or loads the plan,
        so that no request pays for it. Safe to call from several threads, and more than once.

        Examples
        --------
        >>> import matcher
        >>> problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)
        >>> solution = matcher.solve(problem)
        >>> explainer = matcher.explain.explainer_for(problem, solution).prepare()
        >>> explainer.explain(solution.assignments[0].need_id).org_id is not None
        True
        """
        if self._problem.index.n_needs < FULL_TABLE_BELOW:
            self._whole().prepare()
        return self

    def explain(self, need_id: str, language: Language = "zh", *, limit: int = 10) -> Explanation:
        """Why ``need_id`` went where it went, or why it went nowhere; see :func:`explain`."""
        _check_language(language)
        if not isinstance(limit, int) or limit < 0:
            raise OptionError.of("error.limit", value=repr(limit))
        n = self._need(need_id)
        view = self._view(n)
        chosen = self._chosen(n)
        if chosen.size:
            return self._explain_assigned(n, view, chosen, language, limit)
        return self._explain_unmet(n, view, language, limit)

    def why_not(self, need_id: str, org_id: str, language: Language = "zh") -> str:
        """Why ``org_id`` does not take ``need_id``, in one sentence; see :func:`why_not`."""
        _check_language(language)
        n = self._need(need_id)
        o = self._org(org_id)
        problem = self._problem
        zh = language == "zh"
        name = self._org_label(o)
        chosen = self._chosen(n)
        if o in chosen.tolist():
            score = float(self._plan_score[self._plan_rows(n)][chosen.tolist().index(o)])
            return (
                f"{name} 是该方案为 {need_id} 选定的组织（得分 {score:.2f}）。"
                if zh
                else f"{name} (score {score:.2f}) is the organization the plan chose for it."
            )
        code = int(ineligibility(problem, n, o)[0])
        if code:
            rule = RULES[code - 1]
            text = _RULE_TEXT.get(rule, (rule, rule))[0 if zh else 1]
            return (
                f"{name} 不能承接 {need_id}：{text}（规则 {rule}）。"
                if zh
                else f"{name} may not take {need_id}: {text} (rule {rule})."
            )
        scores, _ = _score_pairs(problem, np.array([n]), np.array([o]), self._given)
        own = float(scores[0])
        if chosen.size:
            reference = self._reference(n, chosen)
            verdict = self._verdict_assigned(n, o, own, reference)
            return self._sentence(verdict, n, o, own, reference, language, chosen)
        verdict = self._verdict_unmet(o, own)
        return self._sentence(verdict, n, o, own, None, language, chosen)

    def frame(
        self, languages: Sequence[Language] | Language = ("zh", "en"), *, limit: int = 10
    ) -> pd.DataFrame:
        """Every need of the plan explained, one row each; see :func:`matcher.explanations`.

        The texts are those :meth:`explain` gives need by need, from facts found for all needs at
        once: one candidate table, one pass over the organizations' graph for the bottlenecks and
        one shortest-path pass for the costs of serving unmet needs.
        """
        return explanation_table(self, languages, limit)

    def _prefixes(self, language: Language) -> list[str]:
        """Every organization's line up to its detail (see :meth:`_line`)."""
        found = self._prefix.get(language)
        if found is None:
            ids = self._problem.index.org_ids
            found = self._prefix[language] = [
                _line(name, ids[o], "", language) for o, name in enumerate(self._org_names()[0])
            ]
        return found

    def _shown_ineligible(self, o: int, code: int, language: Language) -> str:
        """Organization ``o``, which the rule of ``code`` removes, as its line in the text."""
        key = (o, code, language)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = _line(
                self._org_name(o),
                self._problem.index.org_ids[o],
                _ineligible_detail(code, language),
                language,
            )
        return found

    # --- lookups ----------------------------------------------------------------------------

    def _need(self, need_id: str) -> int:
        index = self._problem.index
        if not isinstance(need_id, str) or need_id not in index.need_position:
            raise OptionError.of("error.unknown_need", id=repr(need_id))
        n = index.need_position[need_id]
        if not self._is_unmet[n] and self._by_need_start[n] == self._by_need_start[n + 1]:
            raise OptionError.of("error.not_in_plan", id=repr(need_id))
        return n

    def _unmet_record(self, n: int) -> Unmet:
        """The plan's record of unmet need ``n`` (built alone for a plan fresh from a solve)."""
        found = self._unmet.get(n)
        if found is None and self._unmet_rows is not None:
            found = self._unmet.setdefault(n, self._unmet_rows.unmet(np.array([n]))[0])
        assert found is not None
        return found

    def _unmet_records(self) -> dict[int, Unmet]:
        """The plan's records of every unmet need, by need."""
        if self._unmet_rows is not None and len(self._unmet) < self._unmet_needs.size:
            records = self._unmet_rows.unmet()
            for n, record in zip(self._unmet_needs.tolist(), records, strict=True):
                self._unmet.setdefault(n, record)
        return self._unmet

    def _org(self, org_id: str) -> int:
        index = self._problem.index
        if not isinstance(org_id, str) or org_id not in index.org_position:
            raise OptionError.of("error.unknown_organization", id=repr(org_id))
        return index.org_position[org_id]

    def _plan_rows(self, n: int) -> IntArray:
        rows = self._by_need[self._by_need_start[n] : self._by_need_start[n + 1]]
        return np.asarray(rows, np.int64)

    def _chosen(self, n: int) -> IntArray:
        """Organizations the plan gives need ``n`` (in plan order)."""
        return np.asarray(self._plan_org[self._plan_rows(n)], np.int64)

    def _org_rows(self, orgs: IntArray) -> IntArray:
        """Rows of the plan whose organization is one of ``orgs``."""
        lo, hi = self._by_org_start[orgs], self._by_org_start[orgs + 1]
        return np.asarray(self._by_org[_ranges(lo, hi)], np.int64)

    def _took(self, o: int) -> IntArray:
        rows = self._by_org[self._by_org_start[o] : self._by_org_start[o + 1]]
        return np.asarray(self._plan_need[rows], np.int64)

    def _reference(self, n: int, chosen: IntArray) -> float:
        """The score an alternative must beat: the weakest organization the need takes."""
        return float(self._plan_score[self._plan_rows(n)].min()) if chosen.size else 0.0

    def _best(self, chosen: Sequence[int] | IntArray) -> str | None:
        """The label of the chosen organization when it is the only one."""
        return self._org_label(int(chosen[0])) if len(chosen) == 1 else None

    def _tie(self, score: float) -> float:
        return 1e-9 * max(1.0, abs(score)) + self._tolerance

    def _view(self, n: int) -> _NeedView:
        """Every organization's verdict code for need ``n``; its candidates with their scores."""
        problem = self._problem
        orgs = np.arange(problem.index.n_orgs, dtype=np.int64)
        codes = ineligibility(problem, n, orgs)
        eligible = orgs[codes == 0]
        need = np.full(eligible.size, n, np.int64)
        score, values = _score_pairs(problem, need, eligible, self._given)
        return _NeedView(codes, eligible, score, values)

    def _whole(self) -> _Whole:
        """The facts of every need at once, built on first use."""
        with self._lock:
            if self._whole_facts is None:
                self._whole_facts = _Whole(self)
            return self._whole_facts

    def _pair_source(self) -> _Pairs:
        if self._pairs is None:
            self._pairs = _Pairs(self._problem, False, self._given)
        return self._pairs

    # --- verdicts ---------------------------------------------------------------------------

    def _verdict_assigned(self, n: int, o: int, score: float, reference: float) -> Verdict:
        if score <= reference + self._tie(reference):
            return "lower"
        if self._full[o]:
            return "full"
        index = self._problem.index
        chosen = self._chosen(n)
        keys = (n * max(1, index.n_orgs) + chosen).tolist()
        if any(key in self._pinned for key in keys):
            return "pinned"
        return "rules" if self._ruled else "not_chosen"

    def _verdict_unmet(self, o: int, score: float) -> Verdict:
        if self._full[o]:
            return "full"
        if score <= 0:
            return "not_positive"
        return "rules" if self._ruled else "not_chosen"

    def _full_clause(self, o: int, language: Language) -> str:
        """That organization ``o`` is full, with the needs it takes (the same for every need)."""
        key = (o, language)
        found = self._full_clauses.get(key)
        if found is not None:
            return found
        zh = language == "zh"
        index = self._problem.index
        took = self._took(o)
        shown = _join_names([index.need_ids[m] for m in took[:5].tolist()], language, 5, took.size)
        cap = int(index.org_capacity[o])
        if cap == 0:
            found = "不承接项目（承接上限为 0）" if zh else "it takes no projects"
        elif zh:
            found = f"已满额（最多 {cap} 项，已承接 {shown}）"
        else:
            found = f"it is full (at most {cap}, it takes {shown})"
        self._full_clauses[key] = found
        return found

    def _sentence(
        self,
        verdict: Verdict,
        n: int,
        o: int,
        score: float,
        reference: float | None,
        language: Language,
        chosen: IntArray,
    ) -> str:
        """``why_not``'s sentence for an eligible organization."""
        zh = language == "zh"
        need_id = self._problem.index.need_ids[n]
        name = self._org_label(o)
        detail = self._detail(verdict, o, score, reference, language, self._best(chosen))
        return (
            f"{name} 未承接 {need_id}：{detail}。"
            if zh
            else f"{name} does not take {need_id}: {detail}."
        )

    def _detail(
        self,
        verdict: Verdict,
        o: int,
        score: float,
        reference: float | None,
        language: Language,
        best: str | None,
    ) -> str:
        """A verdict as a clause (no final stop), in ``language`` (``best``: the label of the
        chosen organization when it is the only one; see :meth:`_best`)."""
        return self._details([verdict], [o], [score], [reference], [best], language)[0]

    def _details(
        self,
        verdicts: Sequence[Verdict],
        orgs: Sequence[int],
        scores: Sequence[float],
        references: Sequence[float | None],
        bests: Sequence[str | None],
        language: Language,
    ) -> list[str]:
        """:meth:`_detail` of many candidates at once, in one pass: ``full`` and ``lower``, the
        verdicts of nearly every line, are said here and the rest by :meth:`_held_detail`."""
        zh = language == "zh"
        full = self._full_list
        clause = self._full_clause
        tolerance = self._tolerance
        found = []
        for verdict, o, score, reference, best in zip(
            verdicts, orgs, scores, references, bests, strict=True
        ):
            if verdict == "full":
                higher = ""
                if reference is not None:
                    higher = (
                        f"得分 {score:.2f} 虽高于选定组织，但"
                        if zh
                        else f"it scores {score:.2f}, higher than the chosen one, but "
                    )
                found.append(higher + clause(o, language))
            elif verdict == "lower" and reference is not None:
                gap = reference - score
                if abs(gap) <= 1e-9 * max(1.0, abs(reference)) + tolerance:  # see _tie
                    text = (
                        f"得分 {score:.2f}，与选定组织相同"
                        if zh
                        else f"it scores {score:.2f}, the same as the chosen one"
                    )
                elif zh:
                    text = f"得分 {score:.2f}，比选定的{best or '组织'} 低 {gap:.2f}"
                else:
                    text = (
                        f"it scores {score:.2f}, {gap:.2f} lower than the chosen {best or 'ones'}"
                    )
                if full[o]:
                    text += "，且已满额" if zh else ", and it is full"
                found.append(text)
            else:
                found.append(self._held_detail(verdict, score, reference, language))
        return found

    def _held_detail(
        self, verdict: Verdict, score: float, reference: float | None, language: Language
    ) -> str:
        """:meth:`_detail` for a candidate that had room: its score is not positive, or it scores
        higher and the accepted offer, the policy's rules or a plan not proven best kept it out."""
        zh = language == "zh"
        if verdict == "not_positive":
            return (
                f"得分 {score:.2f} 不为正，派给它不会增加总分"
                if zh
                else f"its score {score:.2f} is not positive, so taking it adds nothing"
            )
        if reference is not None:
            higher = (
                f"有空余名额且得分 {score:.2f} 更高，但"
                if zh
                else f"it had room and scores {score:.2f}, higher than the chosen one, but "
            )
        else:
            higher = "有空余名额且得分为正，但" if zh else "it had room and a positive score, but "
        if verdict == "pinned":
            return (
                f"{higher}该需求已接受的派单被保留"
                if zh
                else f"{higher}the need's accepted offer is kept"
            )
        if verdict == "rules":
            rules = self._rules_in_force(language)
            return (
                f"{higher}方案的政策规则（{rules}）限制了它"
                if zh
                else f"{higher}the plan's policy rules ({rules}) held it back"
            )
        solver, status = self._solver, self._status
        return (
            f"{higher}该方案（求解器 {solver}，状态 {status}）未被证明最优，未选用它"
            if zh
            else f"{higher}the plan (solver {solver}, status {status}) is not proven best "
            "and left it out"
        )

    # --- assigned needs ---------------------------------------------------------------------

    def _explain_assigned(
        self, n: int, view: _NeedView, chosen: IntArray, language: Language, limit: int
    ) -> Explanation:
        index = self._problem.index
        chosen, row = self._main_row(n, view, chosen)
        score = float(view.score[row])
        reference = self._reference(n, chosen)
        others = np.flatnonzero(~np.isin(view.org, chosen))
        others = others[np.lexsort((view.org[others], -view.score[others]))]
        runner = int(others[0]) if others.size else None
        breakdown = self._breakdown(n, view, row, runner, language)
        alternatives = self._candidates(n, view, others, reference, self._best(chosen), language)
        removed, omitted = self._removed(n, view, language, limit)
        alternatives.extend(removed)
        runner_pair = None if runner is None else (int(view.org[runner]), float(view.score[runner]))
        head = _Head(
            chosen=chosen.tolist(),
            score=score,
            rank=1 + int((view.score > score + self._tie(score)).sum()),
            candidates=int(view.org.size),
            higher=Counter(
                a.verdict for a in alternatives if a.score_gap is not None and a.verdict != "lower"
            ),
            runner=runner_pair,
            cells=_breakdown_cells(
                _component_cells(
                    view.parts[[row]],
                    view.parts[[row if runner is None else runner]],
                    np.array([runner is not None]),
                    self._weight_list,
                )[0],
                [(r.component, *_row_values(r)) for r in breakdown[len(COMPONENTS) :]],
                score,
                runner_pair,
            ),
        )
        text = self._assigned_text(
            n,
            head,
            [_line(a.name, a.org_id, a.detail, language) for a in alternatives[:TEXT_LINES]],
            Counter[str](a.verdict for a in alternatives[TEXT_LINES:]),
            omitted,
            language,
        )
        return Explanation(
            need_id=index.need_ids[n],
            language=language,
            org_id=index.org_ids[int(chosen[0])],
            org_ids=tuple(index.org_ids[int(o)] for o in chosen),
            score=score,
            rank=head.rank,
            candidates=head.candidates,
            runner_up=None if runner is None else index.org_ids[int(view.org[runner])],
            breakdown=breakdown,
            alternatives=tuple(alternatives),
            omitted=omitted,
            excluded=_counts(view.codes),
            text=text,
        )

    def _main_row(self, n: int, view: _NeedView, chosen: IntArray) -> tuple[IntArray, int]:
        """The organizations need ``n`` takes, best score first, and the best one's place among
        its candidates; an error when the plan's pair is not a candidate or scores otherwise (a
        plan made for another problem)."""
        index = self._problem.index
        rows = self._plan_rows(n)
        order = np.argsort(-self._plan_score[rows], kind="stable")
        chosen = chosen[order]
        main = int(chosen[0])
        at = np.flatnonzero(view.org == main)
        if at.size == 0:
            raise OptionError.of(
                "error.plan_pair_removed",
                need=repr(index.need_ids[n]),
                org=repr(index.org_ids[main]),
            )
        row = int(at[0])
        score = float(view.score[row])
        recorded = float(self._plan_score[rows][order][0])
        if abs(score - recorded) > 1e-6 * max(1.0, abs(score)):
            raise OptionError.of(
                "error.plan_score_differs",
                need=repr(index.need_ids[n]),
                org=repr(index.org_ids[main]),
                recorded=recorded,
                score=score,
            )
        return chosen, row

    def _candidates(
        self,
        n: int,
        view: _NeedView,
        rows: IntArray,
        reference: float | None,
        best: str | None,
        language: Language,
    ) -> list[Alternative]:
        """The candidates of need ``n`` at ``rows`` of its view, as alternatives (``reference``:
        the score an alternative must beat, ``None`` for an unmet need)."""
        index = self._problem.index
        orgs, scores = view.org[rows].tolist(), view.score[rows].tolist()
        if reference is None:
            verdicts = [self._verdict_unmet(o, s) for o, s in zip(orgs, scores, strict=True)]
        else:
            verdicts = [
                self._verdict_assigned(n, o, s, reference)
                for o, s in zip(orgs, scores, strict=True)
            ]
        details = self._details(
            verdicts, orgs, scores, [reference] * len(orgs), [best] * len(orgs), language
        )
        return [
            Alternative(
                org_id=index.org_ids[o],
                name=self._org_name(o),
                verdict=verdict,
                detail=detail,
                score=s,
                score_gap=None if reference is None else reference - s,
                took=self._took_ids(o) if self._full_list[o] else (),
            )
            for o, s, verdict, detail in zip(orgs, scores, verdicts, details, strict=True)
        ]

    def _assigned_text(
        self,
        n: int,
        head: _Head,
        shown: Sequence[str],
        rest: Mapping[str, int],
        omitted: dict[str, int],
        language: Language,
    ) -> str:
        """The text of an assigned need: the summing-up sentence, the breakdown, the others
        (``shown``: the alternatives listed, ``rest``: the verdicts of those summed up)."""
        zh = language == "zh"
        subject = self._subject(n, language)
        taker = _join_names([self._org_label(int(o)) for o in head.chosen], language, 5)
        runner_text = ""
        if head.runner is not None:
            r_org, r_score = head.runner
            runner_text = (
                f"；次优为{self._org_label(r_org)}，得分 {r_score:.2f}"
                if zh
                else f"; the runner-up is {self._org_label(r_org)} with {r_score:.2f}"
            )
        higher_text = _higher_text(head.higher, language)
        score, rank, count = head.score, head.rank, head.candidates
        sentence = (
            f"{subject}派给 {taker}，得分 {score:.2f}，在 {count} 个候选组织中排第 {rank}"
            f"{higher_text}{runner_text}。"
            if zh
            else f"{subject} went to {taker} with a score of {score:.2f}, number {rank} of "
            f"{count} candidates by score{higher_text}{runner_text}."
        )
        r_main = None if head.runner is None else head.runner[0]
        lines = [sentence, *self._breakdown_lines(head.cells, head.chosen[0], r_main, language)]
        lines.extend(_alternative_lines(shown, rest, omitted, language))
        return "\n".join(lines)

    def _breakdown(
        self, n: int, view: _NeedView, row: int, runner: int | None, language: Language
    ) -> tuple[BreakdownRow, ...]:
        label = _label_of(language)
        mine = self._side(view, row)
        theirs = None if runner is None else self._side(view, runner)
        return tuple(
            BreakdownRow(name, label(name), value, weight, points, other, other_points)
            for name, value, weight, points, other, other_points in self._breakdown_values(
                n, mine, theirs
            )
        )

    def _side(self, view: _NeedView, row: int) -> _Side:
        return self._side_of(int(view.org[row]), float(view.score[row]), view.parts[row])

    def _side_of(self, org: int, score: float, parts: FloatArray) -> _Side:
        """One pair of a breakdown, with its components as numbers and as points."""
        return _Side(org, score, parts, parts.tolist(), (parts * self._weights).tolist())

    def _breakdown_values(self, n: int, mine: _Side, theirs: _Side | None) -> list[_Row]:
        """The breakdown as (component, value, weight, contribution, runner-up value, runner-up
        contribution): the chosen pair ``mine`` beside the runner-up ``theirs``."""
        values, points = mine.numbers, mine.points
        weight_list = self._weight_list
        if theirs is None:
            rows: list[_Row] = [
                (name, values[k], weight_list[k], points[k], None, None)
                for k, name in enumerate(COMPONENTS)
            ]
        else:
            other_values, other_points = theirs.numbers, theirs.points
            rows = [
                (name, values[k], weight_list[k], points[k], other_values[k], other_points[k])
                for k, name in enumerate(COMPONENTS)
            ]
        extra = self._adjustment_row(n, mine, theirs)
        return rows if extra is None else [*rows, extra]

    def _adjustment_row(self, n: int, mine: _Side, theirs: _Side | None) -> _Row | None:
        """The breakdown's row after the components, when the score is more than their weighted
        sum: the problem's own pair score, or the acceptance factor (``expected_value``)."""
        problem = self._problem
        policy, index = problem.policy, problem.index
        if index.pair_score is None and not policy.expected_value:
            return None
        weighted_mine = float(mine.parts @ self._weights)
        weighted_theirs = None if theirs is None else float(theirs.parts @ self._weights)
        if index.pair_score is not None:
            score_theirs = None if theirs is None else theirs.score
            return (
                "pair_score",
                mine.score,
                None,
                mine.score - weighted_mine,
                score_theirs,
                None
                if score_theirs is None or weighted_theirs is None
                else score_theirs - weighted_theirs,
            )
        # What the factor changes, from the weighted sum itself: the same whichever batch of
        # pairs the score was computed in, and exactly 0 for a factor of 1.
        accept = index.org_acceptance[:, index.need_category[n]]
        value = float(accept[mine.org])
        other = None if theirs is None else float(accept[theirs.org])
        return (
            "acceptance",
            value,
            None,
            weighted_mine * value - weighted_mine,
            other,
            None
            if other is None or weighted_theirs is None
            else weighted_theirs * other - weighted_theirs,
        )

    def _breakdown_lines(
        self,
        cells: _Cells,
        main: int,
        runner: int | None,
        language: Language,
    ) -> list[str]:
        """The breakdown as lines of text: a header naming the chosen organization (and the
        runner-up ``runner``), then the rows of :func:`_breakdown_cells` under their labels."""
        zh = language == "zh"
        header = "得分构成（分项值 × 权重 = 贡献）：" if zh else "score (value × weight = points): "
        lines = [f"{header}{self._org_label(main)}"]
        if runner is not None:
            other = self._org_label(runner)
            lines[0] += f" ／ {other}" if zh else f" / {other}"
        names, rows = cells
        padded = _padded_labels(names, language)
        lines.extend(f"  {padded[name]}  {text}".rstrip() for name, text in rows)
        return lines

    # --- unmet needs ------------------------------------------------------------------------

    def _explain_unmet(
        self, n: int, view: _NeedView, language: Language, limit: int
    ) -> Explanation:
        index = self._problem.index
        unmet = self._unmet_record(n)
        order = np.lexsort((view.org, -view.score))
        alternatives = self._candidates(n, view, order, None, None, language)
        removed, omitted = self._removed(n, view, language, limit)
        alternatives.extend(removed)
        excluded = _counts(view.codes)
        bottleneck = None
        positive = view.score > 0
        if (
            unmet.reason == "capacity"
            and positive.any()
            and bool(self._full[view.org[positive]].all())
        ):
            bottleneck = self._bottleneck(n, view)
        crowd = None if bottleneck is None else _Crowd.of(bottleneck)
        head = self._unmet_sentence(
            n, unmet.reason, view.org, view.score, excluded, crowd, language
        )
        rest: Counter[str] = Counter(a.verdict for a in alternatives[TEXT_LINES:])
        shown = [_line(a.name, a.org_id, a.detail, language) for a in alternatives[:TEXT_LINES]]
        lines = [head, *_alternative_lines(shown, rest, omitted, language)]
        return Explanation(
            need_id=index.need_ids[n],
            language=language,
            org_id=None,
            org_ids=(),
            score=None,
            rank=None,
            candidates=int(view.org.size),
            runner_up=None,
            breakdown=(),
            alternatives=tuple(alternatives),
            omitted=omitted,
            excluded=excluded,
            reason=unmet.reason,
            bottleneck=bottleneck,
            text="\n".join(lines),
        )

    def _unmet_sentence(
        self,
        n: int,
        reason: str,
        orgs: IntArray,
        scores: FloatArray,
        excluded: dict[str, int],
        crowd: _Crowd | None,
        language: Language,
    ) -> str:
        """The summing-up sentence of an unmet need with candidates ``orgs`` (by index) scoring
        ``scores``."""
        zh = language == "zh"
        index = self._problem.index
        subject = self._subject(n, language)
        head = f"{subject}未能派单：" if zh else f"{subject} was not dispatched: "
        count = int(orgs.size)
        if crowd is not None:
            return (
                head
                + self._bottleneck_clause(crowd, orgs, scores, language)
                + ("。" if zh else ".")
            )
        if reason == "no_candidate" or count == 0:
            parts = [
                f"{_RULE_SHORT.get(rule, (rule, rule))[0]} {k} 个" if zh else f"{rule} removes {k}"
                for rule, k in sorted(excluded.items(), key=lambda item: -item[1])
            ]
            if zh:
                return head + "没有符合条件的组织（" + "、".join(parts) + "）。"
            return head + "no organization may take it (" + "; ".join(parts) + ")."
        if reason == "non_positive_score":
            return head + (
                f"它的 {count} 个候选组织得分都不为正，派单不会增加总分。"
                if zh
                else f"none of its {count} candidates scores above 0, so taking one adds nothing."
            )
        if reason == "too_few_candidates":
            partners = int(index.need_partners[n])
            return head + (
                f"它需要 {partners} 个合作组织，只有 {count} 个候选组织。"
                if zh
                else f"it needs {partners} partner organizations and has {count} candidates."
            )
        if reason == "infeasible":
            return head + (
                "硬性规则无法同时满足，没有可行方案（见 conflicts）。"
                if zh
                else "the hard rules cannot all hold, so there is no plan (see conflicts)."
            )
        return head + self._room_clause(reason, orgs, scores, language)

    def _room_clause(
        self, reason: str, orgs: IntArray, scores: FloatArray, language: Language
    ) -> str:
        """Why an unmet need whose candidate with a positive score had room was left: the
        policy's rules, or a plan not proven best."""
        zh = language == "zh"
        open_ = orgs[(scores > 0) & ~self._full[orgs]]
        names = _join_names(
            [self._org_name(o) for o in open_[:3].tolist()], language, 3, open_.size
        )
        if reason == "rules" or (self._ruled and reason != "not_chosen"):
            rules = self._rules_in_force(language)
            return (
                f"候选组织（{names}）尚有名额，但方案的政策规则（{rules}）使它未被派单。"
                if zh
                else f"candidates ({names}) had room, but the plan's policy rules ({rules}) "
                "held it back."
            )
        solver, status = self._solver, self._status
        return (
            f"候选组织（{names}）尚有名额，但该方案（求解器 {solver}，状态 {status}）未被证明最优，未选中它。"
            if zh
            else f"candidates ({names}) had room, but the plan (solver {solver}, status {status}) "
            "is not proven best and left it out."
        )

    def _bottleneck(self, u: int, view: _NeedView) -> Bottleneck:
        """The needs and organizations linked to unmet need ``u`` by alternating paths.

        Below :data:`FULL_TABLE_BELOW` needs from the whole plan's facts (shared by every need);
        above, from the candidates of the needs reached only.
        """
        if self._problem.index.n_needs >= FULL_TABLE_BELOW:
            with self._lock:
                return self._bottleneck_reached(u, view)
        return self._whole().bottleneck(u)

    def _bottleneck_reached(self, u: int, view: _NeedView) -> Bottleneck:
        """:meth:`_bottleneck` from the candidates of the needs reached only."""
        problem = self._problem
        index = problem.index
        pairs = self._pair_source()
        need_seen = np.zeros(index.n_needs, bool)
        org_seen = np.zeros(index.n_orgs, bool)
        need_seen[u] = True
        parts = [(np.full(view.org.size, u, np.int64), view.org, view.score)]
        frontier = view.org
        # Alternate: organizations -> the needs they take -> those needs' candidates -> ...
        while frontier.size:
            org_seen[frontier] = True
            taken = np.unique(self._plan_need[self._org_rows(frontier)])
            new = taken[~need_seen[taken]]
            if new.size == 0:
                break
            need_seen[new] = True
            need, org, score = pairs.of_needs(new)
            parts.append((need, org, score))
            reached = np.unique(org)
            frontier = reached[~org_seen[reached]]
        orgs = np.flatnonzero(org_seen)
        capacity = int(index.org_capacity[orgs].sum())
        hall = bool(self._full[orgs].all())
        competitors = np.zeros(0, np.int64)
        if hall:
            others = self._unmet_needs[self._unmet_needs != u]
            touching = pairs.needs_touching(orgs, others)
            if touching.size:
                need, org, _ = pairs.of_needs(touching)
                outside = np.unique(need[~org_seen[org]])
                competitors = np.setdiff1d(touching, outside)
        rest = np.flatnonzero(need_seen)
        needs = np.concatenate([[u], rest[rest != u], competitors]).astype(np.int64)
        served = int((self._by_need_start[needs + 1] > self._by_need_start[needs]).sum())

        # Every need a candidate of u takes scores at least as high with it as u would.
        rows = self._org_rows(view.org)
        own = view.score[np.searchsorted(view.org, self._plan_org[rows])]
        tie = 1e-9 * np.maximum(1.0, np.abs(own)) + self._tolerance
        outscored = bool((self._plan_score[rows] >= own - tie).all())

        cost: float | None = None
        if self._optimal and not self._ruled:
            cost = self._cost_to_serve(view, parts[1:])
        return Bottleneck(
            need_ids=tuple(index.need_ids[m] for m in needs.tolist()),
            org_ids=tuple(index.org_ids[o] for o in orgs.tolist()),
            candidate_org_ids=tuple(index.org_ids[o] for o in view.org.tolist()),
            capacity=capacity,
            served=served,
            hall=hall,
            outscored=outscored,
            cost_to_serve=cost,
        )

    def _cost_to_serve(
        self, view: _NeedView, parts: Sequence[tuple[IntArray, IntArray, FloatArray]]
    ) -> float | None:
        """How much the best plan that serves the need loses: a shortest path in the residual graph.

        From the need a path takes a candidate organization (``-score``), pushes out a need that
        organization takes (``+score``; never an accepted offer), which takes another of its
        candidates, and so on until an organization with room or a need left unmet ends it. The
        plan is optimal, so the graph has no negative cycle and the shortest path is the least loss
        (successive shortest paths of min-cost flow). ``parts`` are the candidate pairs of the
        needs the organizations reached take; every organization's distance to the end of a path
        is kept for the next unmet need.
        """
        if view.org.size == 0:
            return float("inf")
        if np.isnan(self._end_exact[view.org]).any():
            empty = np.zeros(0, np.int64)
            need = np.concatenate([empty, *(part[0] for part in parts)])
            org = np.concatenate([empty, *(part[1] for part in parts)])
            score = np.concatenate([np.zeros(0), *(part[2] for part in parts)])
            if not self._learn_distances(view.org, need, org, score):
                return None
        padded = self._end_padded[view.org] - view.score
        best = int(np.argmin(padded))
        if not np.isfinite(padded[best]):
            return float("inf")
        loss = float(self._end_exact[view.org[best]] - view.score[best])
        tie = 1e-9 * max(1.0, abs(loss)) + self._tolerance
        return max(0.0, loss) if loss >= -tie else None

    def _learn_distances(
        self, starts: IntArray, need: IntArray, org: IntArray, score: FloatArray
    ) -> bool:
        """Each organization's least cost to the end of a path, over the pairs given (which hold
        every pair reachable from ``starts``); ``False`` when a negative cycle shows the plan is
        not optimal."""
        index = self._problem.index
        n_orgs = max(1, index.n_orgs)
        key = need * n_orgs + org
        taken = in_sorted(key, self._plan_keys)
        movable = taken & ~in_sorted(key, self._pinned_keys)
        needs = np.unique(need)
        orgs = np.union1d(np.unique(org), starts)
        need_node = np.searchsorted(needs, need)
        org_node = needs.size + np.searchsorted(orgs, org)
        end = needs.size + orgs.size
        open_orgs = np.flatnonzero(~self._full[orgs])
        moved = int(movable.sum())
        src = np.concatenate(
            [need_node[~taken], org_node[movable], need_node[movable], needs.size + open_orgs]
        )
        dst = np.concatenate(
            [
                org_node[~taken],
                need_node[movable],
                np.full(moved, end),
                np.full(open_orgs.size, end),
            ]
        )
        weight = np.concatenate([-score[~taken], score[movable], np.zeros(moved + open_orgs.size)])
        found = _distances_to(end + 1, src, dst, weight, end, self._tolerance)
        if found is None:  # pragma: no cover - only for plans that are not optimal
            return False
        padded, exact = found
        self._end_padded[orgs] = padded[needs.size : end]
        self._end_exact[orgs] = exact[needs.size : end]
        return True

    def _bottleneck_clause(
        self, b: _Crowd, orgs: IntArray, scores: FloatArray, language: Language
    ) -> str:
        zh = language == "zh"
        they, k = self._takers(b, orgs, scores, language)
        cost = _cost_phrase(b.cost, language)
        if not b.hall:
            return (
                f"{they}均已满额，为它腾出名额要把其他需求改派到得分更低的组织{cost}"
                if zh
                else f"{they} {'are' if k > 1 else 'is'} full, and making room means moving "
                f"other needs to lower-scoring organizations{cost}"
            )
        total = b.needs
        if b.capacity == 0:
            return (
                f"{they}都不承接项目（承接上限为 0）"
                if zh
                else f"{they} {'take' if k > 1 else 'takes'} no projects (max_projects 0)"
            )
        if b.same:
            better = ("得分更高的 " if zh else "higher-scoring ") if b.outscored else ""
            return (
                f"{they}共可承接 {b.capacity} 项，"
                f"已全部派给竞争这批组织的 {total} 项需求（含本项）中{better}{b.served} 项{cost}"
                if zh
                else f"{they} {'have' if k > 1 else 'has'} room for {b.capacity} "
                f"{_plural(b.capacity, 'need')}, all taken by {better}needs among the {total} "
                f"that compete for {'them' if k > 1 else 'it'}{cost}"
            )
        more = b.orgs - k
        return (
            f"{they}已满额，其承接的需求（及连带改派的需求）只能在另外 {more} 个同样满额的组织间调配，"
            f"这 {b.orgs} 个组织共可承接 {b.capacity} 项，"
            f"已全部派给只能由它们承接的 {total} 项需求（含本项）中的 {b.served} 项{cost}"
            if zh
            else f"{they} {'are' if k > 1 else 'is'} full, and the needs "
            f"{'they take' if k > 1 else 'it takes'}, and theirs in turn, can only move among "
            f"{more} more {_plural(more, 'organization')}, also full; these "
            f"{b.orgs} have room for {b.capacity} {_plural(b.capacity, 'need')}, all "
            f"taken by {b.served} of the {total} needs that only they can serve{cost}"
        )

    def _takers(
        self, b: _Crowd, orgs: IntArray, scores: FloatArray, language: Language
    ) -> tuple[str, int]:
        """The organizations that could take an unmet need, as the subject of its bottleneck
        clause, and how many they are: every candidate when all of them are full or score
        above 0, else those that score above 0."""
        zh = language == "zh"
        positive = scores > 0
        if b.hall or bool(positive.all()):
            takers, which = orgs, ""
        else:
            takers, which = orgs[positive], ("且得分为正" if zh else " with a positive score")
        k = int(takers.size)
        names = _join_names(
            [self._org_name(o) for o in takers[:3].tolist()], language, 3, takers.size
        )
        if zh:
            if k > 1:
                return f"可承接它{which}的 {k} 个组织（{names}）", k
            return f"唯一可承接它{which}的组织（{names}）", k
        if k > 1:
            return f"the {k} organizations that could take it{which} ({names})", k
        return f"the only organization that could take it{which} ({names})", k

    def _rules_in_force(self, language: Language) -> str:
        """The kinds of rule beyond capacity that the policy and the needs set, named."""
        problem = self._problem
        rules, index = problem.policy.rules, problem.index
        kinds = [
            ("regions", bool(rules.regions)),
            ("categories", bool(rules.categories)),
            ("program", rules.program is not None),
            ("money", rules.money is not None),
            ("aid_mix", rules.aid_mix is not None),
            ("key_projects_served", rules.key_projects_served is not None),
            ("goals", any(goal.kind != "score" for goal in problem.policy.goals)),
            (
                "partnerships",
                bool((index.need_partners > 1).any()) or bool(index.need_lead_primary.any()),
            ),
        ]
        names = [_RULE_KINDS[kind][0 if language == "zh" else 1] for kind, on in kinds if on]
        if not names:
            return "软性规则" if language == "zh" else "soft rules"
        return ("、" if language == "zh" else ", ").join(names)

    # --- shared pieces ----------------------------------------------------------------------

    def _removed(
        self, n: int, view: _NeedView, language: Language, limit: int
    ) -> tuple[list[Alternative], dict[str, int]]:
        """Organizations that could have been considered (a capability in the need's category, or
        a given pair score for it) and that a rule removes: the most capable ``limit`` of them
        listed, the rest counted by rule."""
        index = self._problem.index
        capability = index.org_capability[:, index.need_category[n]]
        considered = capability > 0
        if index.pair_need is not None and index.pair_org is not None:
            considered[index.pair_org[index.pair_need == n]] = True
        removed = np.flatnonzero((view.codes != 0) & considered)
        removed = removed[np.lexsort((removed, -capability[removed]))]
        listed, rest = removed[:limit], removed[limit:]
        alternatives = [self._ineligible(o, int(view.codes[o]), language) for o in listed.tolist()]
        return alternatives, _counts(view.codes[rest])

    def _ineligible(self, o: int, code: int, language: Language) -> Alternative:
        """Organization ``o``, which the rule of ``code`` removes, as an alternative."""
        return Alternative(
            org_id=self._problem.index.org_ids[o],
            name=self._org_name(o),
            verdict="ineligible",
            detail=_ineligible_detail(code, language),
            rule=RULES[code - 1],
        )

    def _subject(self, n: int, language: Language) -> str:
        """The need as the subject of a sentence: region, category and id."""
        index = self._problem.index
        key = (int(index.need_region[n]), int(index.need_category[n]), language)
        found = self._places.get(key)
        if found is None:
            region_id = index.hierarchy.ids[key[0]]
            region_name = self._problem.region(region_id).name or region_id
            found = self._places[key] = (region_name, _CATEGORIES[key[1]].label(language))
        region, category = found
        need_id = index.need_ids[n]
        if language == "zh":
            return f"{region}的{category}需求 {need_id} "
        return f"Need {need_id} ({category}, {region})"

    def _org_name(self, o: int) -> str:
        return self._org_names()[0][o]

    def _org_label(self, o: int) -> str:
        return self._org_names()[1][o]

    def _org_names(self) -> tuple[list[str], list[str]]:
        """Every organization's name (its id when it has none) and label ("name (id)")."""
        if self._labels is None:
            names, labels = [], []
            for org in self._problem.organizations:
                names.append(org.name or org.id)
                labels.append(f"{org.name} ({org.id})" if org.name else org.id)
            self._labels = (names, labels)
        return self._labels

    def _took_ids(self, o: int) -> tuple[str, ...]:
        ids = self._problem.index.need_ids
        return tuple(ids[m] for m in self._took(o).tolist())


@dataclass(frozen=True, eq=False)
class _Side:
    """One pair of a breakdown: organization, score, components and their products with the
    weights (as an array and as lists)."""

    org: int
    score: float
    parts: FloatArray
    numbers: list[float]
    points: list[float]


@dataclass(frozen=True, eq=False)
class _NeedView:
    """One need against every organization: rule codes; candidates (by org) with scores."""

    codes: IntArray
    org: IntArray
    score: FloatArray
    parts: FloatArray


class _Pairs:
    """Eligible (need, organization) pairs with scores, for chosen needs.

    From the whole candidate table (built once) when ``table`` is true; otherwise computed for the
    needs asked about only: organizations whose scope area holds the need and that have a
    capability in its category are proposed, then the eligibility rules and the scores decide,
    exactly as :func:`~matcher.pairs.table.build_candidates` does, through the same
    :class:`~matcher.pairs.table.CandidateJoin`. Computed pairs are kept, so that
    the bottlenecks of many needs (which share most of their needs) are cheap after the first.
    """

    def __init__(
        self, problem: Problem, table: bool, given: tuple[IntArray, FloatArray] | None
    ) -> None:
        self._problem = problem
        self._given = given
        self._table: CandidateTable | None = build_candidates(problem) if table else None
        index = problem.index
        self._done = np.zeros(index.n_needs, bool)
        empty = np.zeros(0, np.int64)
        self._known: tuple[IntArray, IntArray, FloatArray] = (empty, empty, np.zeros(0))
        if self._table is not None:
            self._by_org = np.argsort(self._table.org, kind="stable")
            self._org_sorted = self._table.org[self._by_org]
            return
        if index.pair_need is not None and index.pair_org is not None:
            order = np.argsort(index.pair_need, kind="stable")
            self._listed_need = index.pair_need[order]
            self._listed_org = index.pair_org[order]
            return
        self._join = CandidateJoin(problem)

    def of_needs(self, needs: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
        """Eligible pairs of ``needs`` (sorted, unique) as (need, org, score), sorted likewise."""
        if self._table is not None:
            known = (self._table.need, self._table.org, self._table.score)
        else:
            missing = needs[~self._done[needs]]
            if missing.size:
                self._learn(missing)
            known = self._known
        lo = np.searchsorted(known[0], needs, side="left")
        hi = np.searchsorted(known[0], needs, side="right")
        rows = _ranges(lo, hi)
        return known[0][rows], known[1][rows], known[2][rows]

    def _learn(self, needs: IntArray) -> None:
        """Compute the eligible pairs of ``needs`` and keep them with those known already."""
        need, org = self._propose(needs)
        keep = ineligibility(self._problem, need, org) == 0
        need, org = need[keep], org[keep]
        score, _ = _score_pairs(self._problem, need, org, self._given)
        need = np.concatenate([self._known[0], need])
        org = np.concatenate([self._known[1], org])
        score = np.concatenate([self._known[2], score])
        order = np.argsort(need * max(1, self._problem.index.n_orgs) + org, kind="stable")
        self._known = (need[order], org[order], score[order])
        self._done[needs] = True

    def needs_touching(self, orgs: IntArray, among: IntArray) -> IntArray:
        """The needs of ``among`` that have a candidate in ``orgs`` (both sorted)."""
        if among.size == 0 or orgs.size == 0:
            return np.zeros(0, np.int64)
        if self._table is not None:
            lo = np.searchsorted(self._org_sorted, orgs, side="left")
            hi = np.searchsorted(self._org_sorted, orgs, side="right")
            needs = np.unique(self._table.need[self._by_org[_ranges(lo, hi)]])
            return np.intersect1d(needs, among)
        index = self._problem.index
        found = []
        if index.pair_need is not None:
            # Given pair scores: the candidates are among the listed pairs.
            listed = np.isin(self._listed_org, orgs) & np.isin(self._listed_need, among)
            need, org = self._listed_need[listed], self._listed_org[listed]
            return np.unique(need[ineligibility(self._problem, need, org) == 0])
        capable = index.org_capability[orgs] > 0
        for category in range(len(Category)):
            group = among[index.need_category[among] == category]
            takers = orgs[capable[:, category]]
            step = max(1, 1_000_000 // max(1, takers.size))
            for start in range(0, group.size, step):
                chunk = group[start : start + step]
                need = np.repeat(chunk, takers.size)
                org = np.tile(takers, chunk.size)
                hits = need[ineligibility(self._problem, need, org) == 0]
                found.append(np.unique(hits))
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)

    def _propose(self, needs: IntArray) -> tuple[IntArray, IntArray]:
        """Pairs that may be eligible: the listed pairs, or the candidate join's."""
        index = self._problem.index
        if index.pair_need is not None:
            lo = np.searchsorted(self._listed_need, needs, side="left")
            hi = np.searchsorted(self._listed_need, needs, side="right")
            rows = _ranges(lo, hi)
            return self._listed_need[rows], self._listed_org[rows]
        return self._join.pairs(needs)


def _given_scores(problem: Problem) -> tuple[IntArray, FloatArray] | None:
    """The problem's own pair scores as sorted keys (``need * n_orgs + org``) and scores."""
    index = problem.index
    if index.pair_need is None or index.pair_org is None or index.pair_score is None:
        return None
    keys = index.pair_need * max(1, index.n_orgs) + index.pair_org
    order = np.argsort(keys)
    return keys[order], index.pair_score[order]


def _score_pairs(
    problem: Problem,
    need: IntArray,
    org: IntArray,
    given: tuple[IntArray, FloatArray] | None,
) -> tuple[FloatArray, FloatArray]:
    """Scores (see :func:`_shown_scores`) and components of eligible pairs (``given``: the
    problem's own pair scores from :func:`_given_scores`, which list every eligible pair)."""
    values = components(problem, need, org)
    if given is None:
        return _shown_scores(problem, need, org, values), values
    keys, scores = given
    at = np.searchsorted(keys, need * max(1, problem.index.n_orgs) + org)
    return np.asarray(scores[at], np.float64), values


def _distances_to(
    n_nodes: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    target: int,
    tolerance: float,
) -> tuple[FloatArray, FloatArray] | None:
    """Every node's shortest distance to ``target``, each edge padded by the same hair (see
    :func:`_shortest_to`)."""
    slack = 1e-9 * max(1.0, float(np.abs(weight).max(initial=0.0))) + tolerance
    return _shortest_to(n_nodes, src, dst, weight, weight + slack, target)
