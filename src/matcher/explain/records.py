"""What an explanation says, as records: the score breakdown, the other organizations and their
verdicts, and the explanation of one need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from .._lazy import lazy_module
from ..models.vocab import Language

if TYPE_CHECKING:
    import pandas as pd

    from .wording import _Cells
else:
    pd = lazy_module("pandas")

__all__ = ["Alternative", "Bottleneck", "BreakdownRow", "Explanation", "Verdict"]

#: Why an organization did not take a need (see the module documentation).
Verdict = Literal[
    "chosen", "ineligible", "lower", "full", "pinned", "rules", "not_chosen", "not_positive"
]


@dataclass(frozen=True)
class BreakdownRow:
    """One line of a score breakdown: ``value × weight = contribution``.

    Attributes
    ----------
    component
        A name from :data:`matcher.models.COMPONENTS`, or ``acceptance`` (with ``expected_value``:
        the score is the weighted sum times the acceptance probability ``value``; ``contribution``
        is what that factor changes) or ``pair_score`` (the problem's own pair score ``value``;
        ``contribution`` is its difference to the weighted sum). The contributions of all rows add
        up to the score.
    label
        The component's name in the explanation's language.
    value, weight, contribution
        The chosen organization's component value, the policy's weight (``None`` for the two
        adjustment rows) and their product.
    runner_up_value, runner_up_contribution
        The same for the runner-up candidate; ``None`` when there is none.
    """

    component: str
    label: str
    value: float
    weight: float | None
    contribution: float
    runner_up_value: float | None
    runner_up_contribution: float | None


@dataclass(frozen=True)
class Alternative:
    """An organization that could have been considered for the need, and why it did not take it.

    Attributes
    ----------
    org_id, name
        The organization.
    verdict
        See :data:`Verdict`.
    detail
        The reason in one sentence, in the explanation's language.
    score
        Its score for the need; ``None`` when a rule removes the pair.
    score_gap
        The chosen organization's score less this one's (positive: this one scores lower); ``None``
        for an unmet need or an ineligible pair.
    rule
        The first eligibility rule that removes the pair, for ``ineligible``.
    took
        For an organization at capacity: the needs it takes in this plan.
    """

    org_id: str
    name: str
    verdict: Verdict
    detail: str
    score: float | None = None
    score_gap: float | None = None
    rule: str | None = None
    took: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Why one need went where it went, or why it went nowhere.

    Attributes
    ----------
    need_id
        The need.
    language
        ``"zh"`` or ``"en"``: the language of :attr:`text` and every ``detail``.
    org_id
        The organization that takes it (the best-scoring one of a partnership); ``None`` if unmet.
    org_ids
        Every organization that takes it (more than one for a partnership).
    score
        The score of ``org_id`` for the need.
    rank
        Its place among the candidates by score (1 is the best; ties share a place).
    candidates
        How many organizations are eligible for the need.
    runner_up
        The best-scoring other candidate, whose breakdown :attr:`breakdown` shows beside.
    breakdown
        The chosen organization's score, component by component (empty for an unmet need).
    alternatives
        Every other candidate (best score first), then the organizations with a capability in the
        need's category that a rule removes, at most ``limit`` of them (the most capable first).
    omitted
        Organizations with a capability in the category that a rule removes and that are not
        listed, counted by rule.
    excluded
        Every organization a rule removes for the need, counted by the first rule that fails.
    reason
        For an unmet need, its reason from ``solution.unmet`` (see :data:`matcher.plan.solution.UnmetReason`).
    bottleneck
        For an unmet need whose candidates are all full: the needs competing for them.
    text
        All of it in readable lines; the first is one sentence that sums it up.
    """

    need_id: str
    language: Language
    org_id: str | None
    org_ids: tuple[str, ...]
    score: float | None
    rank: int | None
    candidates: int
    runner_up: str | None
    breakdown: tuple[BreakdownRow, ...]
    alternatives: tuple[Alternative, ...]
    omitted: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    bottleneck: Bottleneck | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def to_frame(self) -> pd.DataFrame:
        """One row per alternative: ``org_id``, ``name``, ``verdict``, ``score``, ``score_gap``,
        ``rule``, ``took`` (need ids joined by ``;``) and ``detail``."""
        columns = ["org_id", "name", "verdict", "score", "score_gap", "rule", "took", "detail"]
        rows = [
            {
                "org_id": a.org_id,
                "name": a.name,
                "verdict": a.verdict,
                "score": np.nan if a.score is None else a.score,
                "score_gap": np.nan if a.score_gap is None else a.score_gap,
                "rule": a.rule,
                "took": ";".join(a.took),
                "detail": a.detail,
            }
            for a in self.alternatives
        ]
        return pd.DataFrame(rows, columns=columns)

    def breakdown_frame(self) -> pd.DataFrame:
        """The score breakdown as a table, one row per component."""
        columns = [
            "component",
            "label",
            "value",
            "weight",
            "contribution",
            "runner_up_value",
            "runner_up_contribution",
        ]
        return pd.DataFrame([vars(row) for row in self.breakdown], columns=columns)


@dataclass(frozen=True)
class Bottleneck:
    """Why an unmet need's candidates are all taken.

    Starting from the unmet need, alternate between a need's candidates and the needs those
    organizations take in the plan, until nothing new is reached. When every organization reached
    is full (``hall``), ``need_ids`` (the needs reached, plus unmet needs whose candidates all lie
    among them) can only be served by ``org_ids``, and there are more of them than ``capacity``:
    no plan serves them all (Hall's condition fails). Otherwise some organization reached has room
    and ``need_ids``/``org_ids`` are just the needs and organizations reached: the need could be
    served by moving others along, at the loss ``cost_to_serve``.

    Attributes
    ----------
    need_ids
        The competing needs, the unmet one first.
    org_ids
        The organizations they compete for.
    candidate_org_ids
        The unmet need's own candidates (a subset of ``org_ids``).
    capacity
        How many needs ``org_ids`` may take in all.
    served
        How many of ``need_ids`` the plan serves.
    hall
        ``True`` when every organization of ``org_ids`` is full and every need of ``need_ids`` has
        all its candidates in ``org_ids`` (so ``len(need_ids) > capacity``).
    outscored
        Whether every need that a candidate of the unmet need takes scores at least as high with
        it as the unmet need would.
    cost_to_serve
        How much lower the total score of the best plan that serves the need is (``inf`` when no
        plan can without moving accepted offers); ``None`` when not computed (a plan not proven
        best, or a policy beyond capacities and scores).
    """

    need_ids: tuple[str, ...]
    org_ids: tuple[str, ...]
    candidate_org_ids: tuple[str, ...]
    capacity: int
    served: int
    hall: bool
    outscored: bool
    cost_to_serve: float | None


@dataclass(frozen=True, eq=False)
class _Head:
    """What the summing-up sentence and the breakdown of an assigned need say: the organizations
    it takes (best score first), the best one's score and rank among the ``candidates``, the
    verdicts of those scoring higher, the runner-up (organization, score) and the breakdown."""

    chosen: list[int]
    score: float
    rank: int
    candidates: int
    higher: Mapping[str, int]
    runner: tuple[int, float] | None
    cells: _Cells
