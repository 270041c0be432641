"""How explanations say things: labels from the catalog, names joined, verdict clauses, the score
breakdown's cells, the lines on the other organizations."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..models import COMPONENTS, Category, catalog, speaking
from ..models.vocab import Language
from ..pairs.eligibility import RULES
from .records import BreakdownRow

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")

__all__: list[str] = []

#: Lines of alternatives a text shows before it sums up the rest.
TEXT_LINES = 10

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


_CATEGORIES = tuple(Category)


_COMPONENT_LABELS = catalog.section("component")

_RULE_TEXT = catalog.section("rule")

#: Short rule names for counts ("超出登记范围 12 个").
_RULE_SHORT = catalog.section("rule_short")

#: Kinds of counting rule, as :meth:`Explainer._rules_in_force` names them.
_RULE_KINDS = catalog.section("rule_kind")

_VERDICT_TEXT = catalog.section("verdict")


def _check_language(language: object) -> None:
    speaking.checked(language)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _join_names(
    names: Sequence[str], language: Language, shown: int, total: int | None = None
) -> str:
    """The first ``shown`` of ``names`` and how many more there are (of ``total``, when only
    the first ones are given)."""
    zh = language == "zh"
    head = ("、" if zh else ", ").join(names[:shown])
    count = len(names) if total is None else total
    rest = count - shown
    if rest > 0:
        head += f"等 {count} 个" if zh else f" and {rest} more"
    return head


def _verdict_word(verdict: str, language: Language) -> str:
    return _VERDICT_TEXT.get(verdict, (verdict, verdict))[0 if language == "zh" else 1]


def _higher_text(tally: Mapping[str, int], language: Language) -> str:
    """How the candidates that score higher than the chosen one were held back (``tally``: their
    verdicts, counted)."""
    tally = {verdict: k for verdict, k in tally.items() if k > 0}
    if not tally:
        return ""
    zh = language == "zh"
    count = sum(tally.values())
    if len(tally) == 1:
        verdict = next(iter(tally))
        word = _verdict_word(verdict, language)
        if zh:
            return f"（得分更高的 {count} 个均{word}）"
        if count == 1:
            return f" (the one that scores higher is {word})"
        return f" (the {count} that score higher are {word})"
    parts = [f"{_verdict_word(v, language)} {k}" for v, k in sorted(tally.items())]
    return (
        f"（得分更高的 {count} 个中{'、'.join(parts)}）"
        if zh
        else f" (of the {count} that score higher: {', '.join(parts)})"
    )


@functools.lru_cache(maxsize=64)
def _ineligible_detail(code: int, language: Language) -> str:
    rule = RULES[code - 1]
    text = _RULE_TEXT.get(rule, (rule, rule))[0 if language == "zh" else 1]
    return f"不符合条件（{text}）" if language == "zh" else f"ineligible: {text}"


#: A breakdown row: component, value, weight, contribution, runner-up value and contribution.
_Row = tuple[str, float, float | None, float, float | None, float | None]


#: A breakdown's component names, and its rows that contribute as (component, numbers) with the
#: total (under ``""``) last: see :func:`_breakdown_cells`.
_Cells = tuple[tuple[str, ...], list[tuple[str, str]]]


def _breakdown_cells(
    components: list[tuple[str, str]],
    extra: Sequence[_Row],
    score: float,
    runner: tuple[int, float] | None,
) -> _Cells:
    """The breakdown's numbers, the same in every language: the component rows that contribute
    (``components``, from :func:`_component_cells`), then the ``extra`` row that adjusts the
    weighted sum when there is one, as (component, "value × weight = points" beside the
    runner-up's), then the total (the score the summing-up sentence gives; the rows add up to it)."""
    rows = list(components)
    for name, value, weight, points, other_value, other_points in extra:
        if points == 0 and not other_points:
            continue
        text = f"{_cell(value, weight, points):<22}"
        if runner is not None:
            text += _cell(other_value, weight, other_points)
        rows.append((name, text))
    total = f"{score:<22.2f}"
    if runner is not None:
        total += f"{runner[1]:.2f}"
    rows.append(("", total))
    return (*COMPONENTS, *(r[0] for r in extra)), rows


def _component_cells(
    mine: FloatArray, theirs: FloatArray, runner: BoolArray, weights: Sequence[float]
) -> list[list[tuple[str, str]]]:
    """The component rows of many breakdowns at once: for breakdown ``i``, chosen pair's
    components ``mine[i]`` beside the runner-up's ``theirs[i]`` (when ``runner[i]``), each row
    that contributes as (component, "value × weight = points" padded, then the runner-up's)."""
    points = mine * np.asarray(weights)
    other_points = theirs * np.asarray(weights)
    keep = (points != 0) | (runner[:, None] & (other_points != 0))
    with_runner = runner.tolist()
    cells: list[list[tuple[str, str]]] = [[] for _ in range(mine.shape[0])]
    for k, (name, weight) in enumerate(zip(COMPONENTS, weights, strict=True)):
        rows = np.flatnonzero(keep[:, k])
        if rows.size == 0:
            continue
        w = f"{weight:g}"
        own = zip(mine[rows, k].tolist(), points[rows, k].tolist(), strict=True)
        other = zip(theirs[rows, k].tolist(), other_points[rows, k].tolist(), strict=True)
        for i, (v, p), (ov, op) in zip(rows.tolist(), own, other, strict=True):
            text = f"{v:.2f} × {w} = {p:.2f}".ljust(22)
            if with_runner[i]:
                text += f"{ov:.2f} × {w} = {op:.2f}"
            cells[i].append((name, text))
    return cells


def _cell(value: float | None, weight: float | None, points: float | None) -> str:
    """One side of a breakdown row."""
    if value is None or points is None:
        return ""
    if weight is None:
        return f"{value:.3g} → {points:+.2f}"
    return f"{value:.2f} × {weight:g} = {points:.2f}"


def _row_values(
    r: BreakdownRow,
) -> tuple[float, float | None, float, float | None, float | None]:
    return r.value, r.weight, r.contribution, r.runner_up_value, r.runner_up_contribution


def _label_of(language: Language) -> Callable[[str], str]:
    lang = 0 if language == "zh" else 1
    return lambda name: _COMPONENT_LABELS.get(name, (name, name))[lang]


@functools.lru_cache(maxsize=64)
def _padded_labels(components: tuple[str, ...], language: Language) -> dict[str, str]:
    """Each component's label padded to the widest, and the total's under ``""``."""
    label = _label_of(language)
    width = max((catalog.display_width(label(name)) for name in components), default=0)
    padded = {name: catalog.pad(label(name), width) for name in components}
    padded[""] = catalog.pad("合计" if language == "zh" else "total", width)
    return padded


# The plan's old methods, for one release (see .deprecated).


def _counts(codes: IntArray) -> dict[str, int]:
    tally = Counter(int(c) for c in codes.tolist() if c)
    return {RULES[c - 1]: tally[c] for c in sorted(tally)}


def _line(name: str, org_id: str, detail: str, language: Language) -> str:
    """An organization's line among the others."""
    return f"  {name} ({org_id}){'：' if language == 'zh' else ': '}{detail}"


def _alternative_lines(
    shown: Sequence[str],
    rest: Mapping[str, int],
    omitted: dict[str, int],
    language: Language,
) -> list[str]:
    """The lines on the other organizations: ``shown`` one by one (see :meth:`_line`),
    ``rest`` counted by verdict, ``omitted`` counted by rule."""
    zh = language == "zh"
    if not shown and not omitted:
        return []
    lines = ["其他组织：" if zh else "other organizations:", *shown]
    if rest:
        parts = [f"{_verdict_word(v, language)} {k}" for v, k in sorted(rest.items())]
        lines.append(
            f"  另有 {sum(rest.values())} 个（{'、'.join(parts)}）"
            if zh
            else f"  and {sum(rest.values())} more ({', '.join(parts)})"
        )
    if omitted:
        parts = [
            f"{_RULE_SHORT.get(rule, (rule, rule))[0 if zh else 1]} {k}"
            for rule, k in sorted(omitted.items(), key=lambda i: -i[1])
        ]
        lines.append(
            f"  另有 {sum(omitted.values())} 个有该类能力的组织被规则排除（{'、'.join(parts)}）"
            if zh
            else f"  and {sum(omitted.values())} more capable organizations removed by a rule "
            f"({', '.join(parts)})"
        )
    return lines


def _cost_phrase(cost: float | None, language: Language) -> str:
    """What serving an unmet need costs, as the end of its bottleneck clause (nothing when not
    known)."""
    zh = language == "zh"
    if cost is None:
        return ""
    if cost == float("inf"):
        return (
            "，任何方案都无法服务它（名额都被已接受的派单占用）"
            if zh
            else "; no plan can serve it (the places left are held by accepted offers)"
        )
    return (
        f"，能服务它的最佳方案总分低 {cost:.2f}"
        if zh
        else f"; the best plan that serves it scores {cost:.2f} less"
    )
