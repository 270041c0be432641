"""Merit: reviews aggregated per project, with reviewer calibration and disagreement flags.

Each review becomes one mark on 0-100: the mean of its criteria, a 1-5 scale mapped as
``(s - 1) * 25``. Then:

**Calibration.** Experts differ in leniency: one gives 85 where another gives 70. The marks are
modelled as ``mark = merit[project] + leniency[expert] + noise``, and the leniencies are fitted by
alternating least squares: a project's merit is the mean of its marks less its reviewers'
leniencies, an expert's leniency is the mean of her marks less those merits, shrunk toward 0 by
``calibration_strength`` pseudo-reviews (an expert with two reviews is not judged on them alone),
and centred so that the leniencies average 0 over reviews. An expert's leniency is thus learned
from all her reviews, across projects; each mark has its expert's leniency removed before
aggregation.

**Aggregation.** Per project, the ``mean``, the ``trimmed_mean`` (``trim`` of the marks dropped at
each end, at least one mark kept) or the ``median`` of the calibrated marks.

**Disagreement.** A project whose calibrated marks spread (highest less lowest) more than
``disagreement`` is flagged: :func:`second_round` gives it one more reviewer by the same
assignment engine, excluding those who reviewed it already.

Examples
--------
>>> from matcher.review import ReviewDocument
>>> document = ReviewDocument.model_validate({
...     "experts": [{"id": "soft"}, {"id": "hard"}, {"id": "fair"}],
...     "projects": [{"id": "p1", "category": "talent"}, {"id": "p2", "category": "talent"}],
...     "reviews": [{"project_id": "p1", "expert_id": "soft", "score": 90},
...                 {"project_id": "p1", "expert_id": "fair", "score": 80},
...                 {"project_id": "p2", "expert_id": "hard", "score": 50},
...                 {"project_id": "p2", "expert_id": "fair", "score": 60}],
...     "policy": {"aggregate": "mean", "calibration_strength": 0}})
>>> result = compute_merit(document)
>>> result.merit.round(1).tolist(), result.leniency.round(1).tolist()
([80.0, 60.0], [10.0, -10.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..models.vocab import Language
from .assign import Assignment, assign_reviewers
from .models import ReviewDocument

__all__ = ["Merit", "aggregate", "calibrate", "compute_merit", "marks", "second_round"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Merit:
    """Per project: merit (0-100, NaN without reviews), review count, spread, flag.

    Attributes
    ----------
    project_ids
        Project ids, in the document's order.
    merit
        The aggregated calibrated marks.
    reviews
        Number of reviews.
    spread
        Highest less lowest calibrated mark.
    flagged
        Whether the spread is over the policy's ``disagreement``.
    leniency
        Per expert, the leniency removed from her marks (0 without calibration).
    """

    project_ids: tuple[str, ...]
    merit: FloatArray
    reviews: IntArray
    spread: FloatArray
    flagged: BoolArray
    leniency: FloatArray

    def of(self) -> dict[str, float]:
        """Project id -> merit, for the reviewed projects."""
        return {
            p: float(m)
            for p, m in zip(self.project_ids, self.merit.tolist(), strict=True)
            if not np.isnan(m)
        }

    def flagged_ids(self) -> list[str]:
        """The projects flagged for a second round."""
        return [self.project_ids[p] for p in np.flatnonzero(self.flagged).tolist()]


def marks(document: ReviewDocument) -> tuple[IntArray, IntArray, FloatArray]:
    """(project index, expert index, mark on 0-100) of every review."""
    project_at = {p.id: i for i, p in enumerate(document.projects)}
    expert_at = {e.id: i for i, e in enumerate(document.experts)}
    policy = document.policy
    project = np.array([project_at[r.project_id] for r in document.reviews], np.int64)
    expert = np.array([expert_at[r.expert_id] for r in document.reviews], np.int64)
    raw = np.array(
        [
            r.score if r.score is not None else float(np.mean(list(r.scores.values())))
            for r in document.reviews
        ],
        np.float64,
    )
    mark = (raw - 1.0) * 25.0 if policy.scale == 5 else raw
    return project, expert, mark


def calibrate(
    project: IntArray,
    expert: IntArray,
    mark: FloatArray,
    n_projects: int,
    n_experts: int,
    strength: float = 2.0,
    iterations: int = 200,
) -> FloatArray:
    """Each expert's leniency (see the module), by alternating least squares.

    Examples
    --------
    >>> calibrate(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),
    ...           np.array([80.0, 70.0, 60.0, 50.0]), 2, 2, strength=0).round(3).tolist()
    [5.0, -5.0]
    """
    leniency = np.zeros(n_experts)
    if mark.size == 0:
        return leniency
    per_project = np.bincount(project, minlength=n_projects)
    per_expert = np.bincount(expert, minlength=n_experts).astype(np.float64)
    for _ in range(iterations):
        sums = np.bincount(project, weights=mark - leniency[expert], minlength=n_projects)
        merit = sums / np.maximum(per_project, 1)
        residual = np.bincount(expert, weights=mark - merit[project], minlength=n_experts)
        updated = residual / np.maximum(per_expert + strength, 1e-12)
        updated -= updated[expert].mean()
        if np.abs(updated - leniency).max() < 1e-9:
            return updated
        leniency = updated
    return leniency


def aggregate(
    project: IntArray, values: FloatArray, n_projects: int, how: str, trim: float = 0.2
) -> tuple[FloatArray, FloatArray]:
    """Per project, the ``how`` of ``values`` and their spread (NaN for projects without any).

    Examples
    --------
    >>> p, v = np.array([0, 0, 0, 0, 1]), np.array([10.0, 50.0, 60.0, 100.0, 7.0])
    >>> aggregate(p, v, 2, "median")[0].tolist(), aggregate(p, v, 2, "trimmed_mean", 0.25)[0].tolist()
    ([55.0, 7.0], [55.0, 7.0])
    >>> aggregate(p, v, 2, "mean")[0].tolist(), aggregate(p, v, 2, "mean")[1].tolist()
    ([55.0, 7.0], [90.0, 0.0])
    """
    order = np.lexsort((values, project))
    sorted_values = values[order]
    count = np.bincount(project, minlength=n_projects)
    start = np.cumsum(count) - count
    has = count > 0
    result = np.full(n_projects, np.nan)
    spread = np.full(n_projects, np.nan)
    last = start + count - 1
    spread[has] = sorted_values[last[has]] - sorted_values[start[has]]
    if how == "median":
        low = start + (count - 1) // 2
        high = start + count // 2
        result[has] = (sorted_values[low[has]] + sorted_values[high[has]]) / 2.0
        return result, spread
    drop = np.floor(trim * count).astype(np.int64) if how == "trimmed_mean" else 0 * count
    drop = np.minimum(drop, (count - 1) // 2)
    cumulative = np.concatenate([[0.0], np.cumsum(sorted_values)])
    lo, hi = start + drop, start + count - drop
    result[has] = (cumulative[hi[has]] - cumulative[lo[has]]) / (hi - lo)[has]
    return result, spread


def compute_merit(document: ReviewDocument) -> Merit:
    """Aggregate the document's reviews into merit per project (see the module)."""
    policy = document.policy
    n_projects, n_experts = len(document.projects), len(document.experts)
    project, expert, mark = marks(document)
    leniency = (
        calibrate(project, expert, mark, n_projects, n_experts, policy.calibration_strength)
        if policy.calibrate
        else np.zeros(n_experts)
    )
    values = mark - leniency[expert]
    result, spread = aggregate(project, values, n_projects, policy.aggregate, policy.trim)
    return Merit(
        project_ids=tuple(p.id for p in document.projects),
        merit=result,
        reviews=np.bincount(project, minlength=n_projects),
        spread=spread,
        flagged=np.nan_to_num(spread, nan=0.0) > policy.disagreement,
        leniency=leniency,
    )


def second_round(
    document: ReviewDocument, result: Merit, *, strict: bool = False, language: Language = "zh"
) -> Assignment:
    """One more reviewer for each flagged project, by the same engine: none who reviewed it
    already, and each expert's reviews so far taken off her load."""
    done = [(r.project_id, r.expert_id) for r in document.reviews]
    used: dict[str, int] = {}
    for _, expert_id in done:
        used[expert_id] = used.get(expert_id, 0) + 1
    return assign_reviewers(
        document,
        projects=result.flagged_ids(),
        k=1,
        exclude=done,
        used=used,
        strict=strict,
        language=language,
    )
