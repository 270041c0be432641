"""Pictures of plans for officials: coverage, category mix, load, a county map, comparisons.

Every function draws on a matplotlib ``Axes`` (a new figure unless ``ax`` is given) and returns
it; ``plots.save(ax, "plan.png")`` writes the picture. matplotlib is an optional
dependency (the ``plot`` extra) that the rest of matcher never imports.

=========================== ========================================================================
function                    what it shows
=========================== ========================================================================
:func:`coverage_by_city`    share of needs served per city, with served / needs on each bar
:func:`coverage_by_county`  the same per county, coloured by priority tier (one city or all)
:func:`category_mix`        needs per category: served, and unmet by reason
:func:`organization_load`   the busiest organizations' load against their capacity
:func:`county_map`          counties at their coordinates, coloured by coverage, sized by needs
:func:`comparison`          two plans' coverage per city, category or tier, with the changes
:func:`frontier`            a sweep's trade-off between two goals, the efficient plans joined
=========================== ========================================================================

Chinese labels
--------------
Labels are Chinese when a font that covers them is available, English otherwise;
:func:`label_language` says which. matcher looks for a CJK font that matplotlib knows (Noto Sans
CJK, Source Han Sans, Microsoft YaHei, PingFang, WenQuanYi, SimHei ...) and for the Noto Sans SC
font that the ``plot`` extra installs (package ``pylopdf-fonts-zh-cn``), and registers it with
matplotlib for these figures only: global settings are not changed. :func:`use_font` chooses a
font file or family yourself, or English labels with ``use_font(None)``. :func:`missing_glyphs`
lists any text of a figure that its fonts cannot draw.

Examples
--------
>>> import matcher
>>> from matcher.report import plots
>>> problem = matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)
>>> plan = matcher.solve(problem)
>>> ax = plots.coverage_by_city(plan)
>>> plots.missing_glyphs(plots.figure(ax))
{}
>>> plots.label_language() in ("zh", "en")
True
>>> plots.close(ax)
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from ..models import Category, Level, Priority, Problem, Region, catalog, speaking
from ..models.vocab import Language
from ..plan.solution import Solution, UnmetReason, problem_then_plan

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..analysis.comparison import Comparison

__all__ = [
    "category_mix",
    "cjk_font",
    "close",
    "comparison",
    "county_map",
    "coverage_by_city",
    "coverage_by_county",
    "figure",
    "frontier",
    "label_language",
    "missing_glyphs",
    "organization_load",
    "save",
    "use_font",
]

#: CJK font families matcher uses when matplotlib knows them, best first.
PREFERRED_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)

#: Font files shipped by Python packages: (package, path inside it). The first is the ``plot``
#: extra's; the second is found when the popular ``mplfonts`` package is installed.
BUNDLED_FONTS: tuple[tuple[str, str], ...] = (
    ("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf"),
    ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf"),
)

#: The Latin fallback after the CJK font (digits, the minus sign, Latin names).
_FALLBACK = "DejaVu Sans"

#: Fixed texts of the figures, (zh, en).
_TEXT = catalog.section("plot")

#: The bars of :func:`category_mix`, in order: served, then every unmet reason.
_OUTCOMES: tuple[str, ...] = ("served", *get_args(UnmetReason))

_TIER_COLORS = {
    Priority.KEY: "#c0392b",
    Priority.FORMER_POVERTY: "#e08e0b",
    Priority.NORMAL: "#7f8c8d",
}
_REASON_COLORS = {
    "served": "#2e8b57",
    "no_candidate": "#95a5a6",
    "capacity": "#e08e0b",
    "non_positive_score": "#bdc3c7",
    "too_few_candidates": "#8e44ad",
    "rules": "#2874a6",
    "not_chosen": "#d35400",
    "infeasible": "#34495e",
}
_PLAN_COLORS = ("#95a5a6", "#2874a6")

#: The font choice: unset until first needed, then a family name or None (English labels).
_UNSET = object()
_choice: Any = _UNSET


# --- fonts ----------------------------------------------------------------------------------------


def cjk_font() -> str | None:
    """The CJK font family the figures use, or ``None`` when there is none (English labels).

    The first call looks for one (see the module notes) and registers a bundled font file with
    matplotlib's font manager; later calls return the same answer.
    """
    global _choice
    if _choice is _UNSET:
        _choice = _find_font()
    return _choice if isinstance(_choice, str) else None


def label_language() -> Language:
    """``"zh"`` when figures get Chinese labels, ``"en"`` when no CJK font is available.

    Examples
    --------
    >>> label_language() == ("zh" if cjk_font() else "en")
    True
    """
    return "zh" if cjk_font() else "en"


def use_font(font: str | Path | None) -> str | None:
    """Choose the font of Chinese labels: a font file, a family matplotlib knows, or ``None``.

    Parameters
    ----------
    font
        A ``.ttf``/``.otf``/``.ttc`` path (registered with matplotlib), a family name, or
        ``None`` for English labels.

    Returns
    -------
    str or None
        The family now in use.

    Raises
    ------
    OptionError
        When the file or family does not exist or does not cover the labels' characters.

    Examples
    --------
    >>> before = cjk_font()
    >>> use_font(None), label_language()
    (None, 'en')
    >>> use_font(before) == before  # back to the font found before (None: English)
    True
    """
    global _choice
    from ..errors import OptionError

    if font is None:
        _choice = None
        return None
    manager = _font_manager()
    if isinstance(font, Path) or Path(str(font)).suffix.lower() in (".ttf", ".otf", ".ttc"):
        path = Path(font)
        if not path.is_file():
            raise OptionError.of("error.no_font_file", path=path)
        family = _register(path)
    else:
        family = str(font)
        if family not in {f.name for f in manager.fontManager.ttflist}:
            raise OptionError.of("error.no_font_family", family=repr(family))
    missing = _uncovered(family, _label_characters())
    if missing:
        raise OptionError.of(
            "error.font_lacks", family=repr(family), count=len(missing), sample=repr(missing[:10])
        )
    _choice = family
    return family


def missing_glyphs(figure: Figure) -> dict[str, str]:
    """Texts of ``figure`` with characters that none of their fonts can draw (empty boxes).

    Returns
    -------
    dict of str to str
        Each offending text and the characters it lacks; empty when every glyph is there.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure()
    >>> _ = fig.text(0.5, 0.5, "太原 Taiyuan", fontfamily="DejaVu Sans")
    >>> missing_glyphs(fig)
    {'太原 Taiyuan': '原太'}
    >>> close(fig)
    """
    from matplotlib.text import Text

    # Drawing lays out the tick labels. matplotlib may warn of each missing glyph as it draws; the
    # host's warning filters decide what becomes of that (changing them is not a library's call).
    figure.draw_without_rendering()
    problems: dict[str, str] = {}
    for text in figure.findobj(Text):
        content = text.get_text()
        if not content.strip() or (content.startswith("$") and content.endswith("$")):
            continue
        families = text.get_fontproperties().get_family()
        covered: set[int] = set()
        for family in families:
            path = _family_path(family)
            if path is not None:
                covered |= _charmap(path)
        lacking = "".join(
            sorted({ch for ch in content if not ch.isspace() and ord(ch) not in covered})
        )
        if lacking:
            problems[content] = lacking
    return problems


def save(ax: Axes, path: str | Path, *, dpi: int = 150) -> Path:
    """Write the figure of ``ax`` to ``path`` (PNG, SVG, PDF ... by its suffix) and return it.

    Examples
    --------
    >>> import tempfile, pathlib, matcher
    >>> plan = matcher.solve(matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=15))
    >>> ax = category_mix(plan)
    >>> path = save(ax, pathlib.Path(tempfile.mkdtemp()) / "mix.png", dpi=50)
    >>> path.read_bytes()[:4]
    b'\x89PNG'
    >>> close(ax)
    """
    destination = Path(path)
    figure(ax).savefig(destination, dpi=dpi)
    return destination


def figure(ax: Axes) -> Figure:
    """The top-level figure that ``ax`` is drawn in."""
    from matplotlib.figure import Figure

    found: Any = ax.figure
    while not isinstance(found, Figure) and found is not None:
        found = found.figure
    if found is None:  # pragma: no cover - an Axes always belongs to a figure
        raise ValueError("the axes belong to no figure")
    return found


def close(item: Axes | Figure) -> None:
    """Close the figure of ``item`` (free its memory in scripts that draw many)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.close(item if isinstance(item, Figure) else figure(item))


def _font_manager() -> Any:
    try:
        from matplotlib import font_manager
    except ImportError:  # pragma: no cover - exercised without the extra
        raise ImportError(
            "matcher.report.plots needs matplotlib, which is not installed: pip install 'matcher[plot]'"
        ) from None
    return font_manager


def _find_font() -> str | None:
    manager = _font_manager()
    for package, inside in BUNDLED_FONTS:
        path = _package_file(package, inside)
        if path is not None:
            _register(path)
    known = {f.name for f in manager.fontManager.ttflist}
    needed = _label_characters()
    for family in PREFERRED_FONTS:
        if family in known and not _uncovered(family, needed):
            return family
    return None


def _package_file(package: str, inside: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / inside
        if path.is_file():
            return path
    return None


def _register(path: Path) -> str:
    manager = _font_manager()
    manager.fontManager.addfont(str(path))
    name: str = manager.FontProperties(fname=str(path)).get_name()
    return name


def _family_path(family: str) -> str | None:
    manager = _font_manager()
    try:
        path: str = manager.findfont(
            manager.FontProperties(family=family), fallback_to_default=False
        )
    except ValueError:
        return None
    return path


@lru_cache(maxsize=32)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _uncovered(family: str, characters: str) -> str:
    path = _family_path(family)
    if path is None:
        return characters
    if Path(path).name.lower().startswith("dejavu") and not family.lower().startswith("dejavu"):
        return characters  # matplotlib fell back to its default font: the family is not there
    charmap = _charmap(path)
    return "".join(ch for ch in characters if ord(ch) not in charmap)


def _label_characters() -> str:
    """Every CJK character of the fixed labels (titles, categories, tiers, reasons)."""
    texts = [zh for zh, _ in _TEXT.values()] + [_outcome(r, "zh") for r in _OUTCOMES]
    texts += [c.label("zh") for c in Category] + [p.label("zh") for p in Priority]
    return "".join(sorted({ch for text in texts for ch in text if ord(ch) > 0x2E7F}))


def _language(language: Language | None) -> Language:
    if language is None:
        return label_language()
    language = speaking.checked(language)
    if language == "zh" and cjk_font() is None:
        warnings.warn(
            "no font with Chinese characters is available: labels are in English "
            "(pip install 'matcher[plot]' brings one)",
            stacklevel=3,
        )
        return "en"
    return language


def _families() -> list[str]:
    font = cjk_font()
    return [font, _FALLBACK] if font else [_FALLBACK]


@contextmanager
def _style() -> Iterator[None]:
    """The chosen fonts while a plot is drawn; only the settings changed here are restored.

    (``matplotlib.rc_context`` would restore every setting, ``interactive`` included, which
    stops a notebook's inline backend from showing the next figures.)
    """
    import matplotlib

    rc = matplotlib.rcParams
    family, minus = rc["font.family"], rc["axes.unicode_minus"]
    rc["font.family"] = _families()
    rc["axes.unicode_minus"] = False
    try:
        yield
    finally:
        rc["font.family"] = family
        rc["axes.unicode_minus"] = minus


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _finish(ax: Axes) -> Axes:
    """Give every text of the figure the chosen fonts, ticks created later included."""
    from matplotlib.text import Text

    families = _families()
    root = figure(ax)
    root.draw_without_rendering()
    for text in root.findobj(Text):
        text.set_fontfamily(families)
    return ax


def _t(key: str, language: Language, **values: Any) -> str:
    return catalog.text(f"plot.{key}", language, **values)


def _outcome(outcome: str, language: Language) -> str:
    """A bar of :func:`category_mix`: served, or unmet for a reason."""
    if outcome == "served":
        return catalog.text("outcome.served", language)
    return catalog.text("plot.unmet", language, reason=catalog.text(f"reason.{outcome}", language))


def _display_name(name: str, fallback: str) -> str:
    """``name`` when it can be drawn (any font for ASCII, a CJK font otherwise), else ``fallback``."""
    if not name:
        return fallback
    return name if name.isascii() or cjk_font() else fallback


def _short(text: str, width: int = 18) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- plots of one plan ----------------------------------------------------------------------------


def coverage_by_city(
    solution: Solution, *, ax: Axes | None = None, language: Language | None = None
) -> Axes:
    """Share of needs served per city: one bar per city, best first, served / needs written on it.

    Parameters
    ----------
    solution
        The plan.
    ax
        Where to draw; a new figure when ``None``.
    language
        ``"zh"``, ``"en"``, or ``None`` for :func:`label_language`.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> plan = matcher.solve(problem)
    >>> ax = coverage_by_city(plan)
    >>> len(ax.patches) == len(plan.kpis.by_city)
    True
    >>> close(ax)
    """
    lang = _language(language)
    cities = sorted(solution.kpis.by_city.items(), key=lambda item: (item[1].share, item[0]))
    with _style():
        ax = _axes(ax, (7.5, 0.45 * len(cities) + 1.5))
        labels = [_display_name(t.name, key or "-") for key, t in cities]
        shares = [t.share for _, t in cities]
        positions = np.arange(len(cities))
        bars = ax.barh(positions, shares, color="#2874a6")
        ax.set_yticks(positions, labels)
        for bar, (_, tally) in zip(bars, cities, strict=True):
            ax.text(
                bar.get_width() + 0.01,
                bar.get_y() + bar.get_height() / 2,
                f"{tally.served}/{tally.needs}",
                va="center",
                fontsize=8,
            )
        overall = solution.kpis.share
        ax.axvline(overall, color="#c0392b", linestyle="--", linewidth=1)
        ax.text(
            overall,
            len(cities) - 0.4,
            f" {_t('overall', lang)} {overall:.0%}",
            color="#c0392b",
            fontsize=8,
        )
        ax.set_xlim(0, 1.1)
        ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(_t("share", lang))
        ax.set_title(_t("city_title", lang))
        return _finish(ax)


def coverage_by_county(
    problem: Problem,
    solution: Solution,
    *,
    city: str | None = None,
    ax: Axes | None = None,
    language: Language | None = None,
) -> Axes:
    """Share of needs served per county, coloured by priority tier.

    Parameters
    ----------
    problem, solution
        The problem and its plan (the problem gives each need's county and tier). The old order,
        ``(solution, problem)``, still works for one release, with a ``DeprecationWarning``.
    city
        Only the counties of this city (its id or name); all counties when ``None``.

    Raises
    ------
    OptionError
        When ``city`` names no city of the problem.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> plan = matcher.solve(problem)
    >>> ax = coverage_by_county(problem, plan, city="吕梁市")
    >>> 0 < len(ax.patches) <= 13
    True
    >>> close(ax)
    """
    problem, solution = problem_then_plan(problem, solution, "coverage_by_county")
    lang = _language(language)
    counties = _county_table(solution, problem)
    if city is not None:
        matched = _cities_named(problem, city)
        counties = counties[counties["city"].isin({r.id for r in matched})]
    counties = counties.sort_values(["share", "county"], ascending=[True, False])
    with _style():
        ax = _axes(ax, (7.5, 0.2 * len(counties) + 1.8))
        labels = _county_labels(problem, counties)
        colors = [_TIER_COLORS[Priority(t)] for t in counties["tier"]]
        positions = np.arange(len(counties))
        ax.barh(positions, counties["share"], color=colors, height=0.75)
        ax.set_yticks(positions, labels)
        ax.set_ylim(-0.6, len(counties) - 0.4)
        ax.tick_params(axis="y", labelsize=7 if len(counties) > 30 else 9)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(_t("share", lang))
        title = _t("county_title", lang)
        if city is not None:
            title += " · " + "、".join(_display_name(r.name, r.id) for r in matched)
        ax.set_title(title)
        _tier_legend(ax, lang, present=set(counties["tier"]))
        return _finish(ax)


def _cities_named(problem: Problem, city: str) -> list[Region]:
    """The cities whose id or name is ``city``; an :class:`OptionError` when there is none."""
    matched = [r for r in problem.regions if r.level == Level.CITY and city in (r.id, r.name)]
    if not matched:
        from ..errors import OptionError

        raise OptionError.of("error.no_city", city=repr(city))
    return matched


def _county_labels(problem: Problem, counties: pd.DataFrame) -> list[str]:
    """The counties' names, with their city's where two share a name."""
    city_names = {r.id: r.name for r in problem.regions if r.level == Level.CITY}
    return _unique_labels(
        [_display_name(n, c) for n, c in zip(counties["name"], counties["county"], strict=True)],
        [_display_name(city_names.get(c, ""), c) for c in counties["city"]],
    )


def category_mix(
    solution: Solution, *, ax: Axes | None = None, language: Language | None = None
) -> Axes:
    """Needs per category as stacked bars: served, then unmet by reason.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> plan = matcher.solve(problem)
    >>> ax = category_mix(plan)
    >>> bool(sum(bar.get_width() for bar in ax.patches) == plan.kpis.needs)
    True
    >>> close(ax)
    """
    lang = _language(language)
    counts: Counter[tuple[Category, str]] = Counter()
    for a in solution.assignments:
        counts[a.category, "served"] += 1
    for u in solution.unmet:
        counts[u.category, u.reason] += 1
    categories = [c for c in Category if any(counts[c, r] for r in _OUTCOMES)]
    reasons = [r for r in _OUTCOMES if any(counts[c, r] for c in categories)]
    with _style():
        ax = _axes(ax, (8, 0.5 * len(categories) + 1.8))
        labels = [c.label(lang) for c in categories]
        left = np.zeros(len(categories))
        for reason in reasons:
            values = np.array([counts[c, reason] for c in categories], dtype=float)
            ax.barh(
                labels,
                values,
                left=left,
                color=_REASON_COLORS[reason],
                label=_outcome(reason, lang),
            )
            left += values
        for y, (category, total) in enumerate(zip(categories, left, strict=True)):
            served = counts[category, "served"]
            ax.text(
                total + 0.5,
                y,
                f"{served}/{int(total)} ({served / total:.0%})",
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, left.max() * 1.25 if len(left) else 1)
        ax.invert_yaxis()
        ax.set_xlabel(_t("needs", lang))
        ax.set_title(_t("mix_title", lang))
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return _finish(ax)


def organization_load(
    problem: Problem | None,
    solution: Solution | None = None,
    *,
    top: int = 25,
    ax: Axes | None = None,
    language: Language | None = None,
) -> Axes:
    """The ``top`` busiest organizations' load, against their capacity when ``problem`` is given.

    ``problem`` may be ``None``; the old order, ``(solution, problem)`` or ``(solution,)``, still
    works for one release, with a ``DeprecationWarning``.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> plan = matcher.solve(problem)
    >>> ax = organization_load(problem, plan, top=5)
    >>> len(ax.patches)  # capacity and load of each
    10
    >>> close(ax)
    """
    problem, solution = problem_then_plan(problem, solution, "organization_load")
    lang = _language(language)
    loads = sorted(solution.kpis.load.items(), key=lambda item: (-item[1], item[0]))[: max(1, top)]
    loads.reverse()
    orgs = problem.organizations if problem is not None else ()
    capacity = {o.id: o.max_projects for o in orgs}
    names = {o.id: o.name for o in orgs}
    with _style():
        ax = _axes(ax, (8, 0.3 * len(loads) + 1.8))
        labels = [_short(_display_name(names.get(o, ""), o)) for o, _ in loads]
        positions = np.arange(len(loads))
        if capacity:
            ax.barh(
                positions,
                [capacity.get(o, 0) for o, _ in loads],
                color="#d6eaf8",
                edgecolor="#2874a6",
                label=_t("capacity", lang),
            )
        ax.barh(
            positions, [k for _, k in loads], color="#2874a6", height=0.5, label=_t("load", lang)
        )
        ax.set_yticks(positions, labels)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlabel(_t("load", lang))
        ax.set_title(_t("load_title", lang, n=len(loads)))
        _load_note(ax, solution, lang)
        ax.xaxis.set_major_locator(_integer_ticks())
        if capacity:
            ax.legend(loc="lower right", bbox_to_anchor=(1, 0.06), fontsize=8, frameon=False)
        return _finish(ax)


def _load_note(ax: Axes, solution: Solution, lang: Language) -> None:
    """Organizations engaged and utilization, in the bottom right corner."""
    k = solution.kpis
    note = _t(
        "load_note",
        lang,
        engaged=k.engaged,
        organizations=k.organizations,
        utilization=k.utilization,
    )
    ax.text(0.99, 0.01, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=8)


def county_map(
    problem: Problem,
    solution: Solution,
    *,
    ax: Axes | None = None,
    language: Language | None = None,
    label_cities: bool = True,
) -> Axes:
    """Counties at their coordinates, coloured by the share of needs served, sized by needs.

    Key assistance areas get a black edge; city names mark the cities' centres. Counties without
    coordinates (own or inherited) are left out. The old order, ``(solution, problem)``, still
    works for one release, with a ``DeprecationWarning``.

    Examples
    --------
    >>> import matcher
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> plan = matcher.solve(problem)
    >>> ax = county_map(problem, plan)
    >>> missing_glyphs(figure(ax))
    {}
    >>> close(ax)
    """
    problem, solution = problem_then_plan(problem, solution, "county_map")
    lang = _language(language)
    counties = _county_table(solution, problem)
    counties = counties[counties["lat"].notna() & counties["lon"].notna()]
    with _style():
        ax = _axes(ax, (7, 8))
        _county_dots(ax, counties, lang)
        if label_cities:
            for city, (name, lat, lon) in _city_centres(problem, counties).items():
                ax.annotate(
                    _display_name(name, city),
                    (lon, lat),
                    fontsize=9,
                    ha="center",
                    va="center",
                    color="#1b2631",
                    alpha=0.8,
                )
        if len(counties):
            mean_lat = float(np.nanmean(counties["lat"]))
            ax.set_aspect(1 / max(0.2, math.cos(math.radians(mean_lat))))
        ax.set_xlabel(_t("lon", lang))
        ax.set_ylabel(_t("lat", lang))
        ax.set_title(_t("map_title", lang))
        ax.text(
            0.01,
            0.01,
            f"{_t('key_marker', lang)} · {_t('size_note', lang)}",
            transform=ax.transAxes,
            fontsize=8,
            va="bottom",
        )
        return _finish(ax)


def _county_dots(ax: Axes, counties: pd.DataFrame, lang: Language) -> None:
    """The counties as dots coloured by share served and sized by needs (key areas edged in
    black), and the colour bar."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    norm = Normalize(0, 1)
    cmap = colormaps["RdYlGn"]
    sizes = 20 + 14 * np.sqrt(counties["needs"].to_numpy(dtype=float))
    key = (counties["tier"] == Priority.KEY.value).to_numpy()
    for chosen, edge in ((~key, "none"), (key, "black")):
        ax.scatter(
            counties["lon"].to_numpy()[chosen],
            counties["lat"].to_numpy()[chosen],
            c=counties["share"].to_numpy()[chosen],
            s=sizes[chosen],
            cmap=cmap,
            norm=norm,
            edgecolors=edge,
            linewidths=1.4,
            alpha=0.9,
        )
    bar = ax.figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.6, format=_percent()
    )
    bar.set_label(_t("share", lang))


# --- comparisons and sweeps -----------------------------------------------------------------------


def comparison(
    plans: Comparison | Solution,
    plan_b: Solution | None = None,
    *,
    by: Literal["city", "category", "tier"] = "city",
    names: tuple[str, str] | None = None,
    ax: Axes | None = None,
    language: Language | None = None,
) -> Axes:
    """Two plans' share of needs served per group, side by side, with the change written out.

    Parameters
    ----------
    plans
        A :class:`~matcher.compare.Comparison`, or plan A when ``plan_b`` is given.
    plan_b
        Plan B, when ``plans`` is plan A.
    by
        ``"city"``, ``"category"`` or ``"tier"``.
    names
        Names of the plans (default: the comparison's, or ``("A", "B")``).

    Examples
    --------
    >>> import matcher
    >>> from matcher import variants
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> a = matcher.solve(problem)
    >>> b = matcher.solve(variants.scale_capacity(problem, 1.5))
    >>> ax = comparison(a, b, by="tier", names=("today", "capacity x1.5"))
    >>> len(ax.patches)  # two bars per tier
    6
    >>> close(ax)
    """
    result = _comparison_of(plans, plan_b, names)
    lang = _language(language)
    table = result.kpis(by)
    with _style():
        ax = _axes(ax, (8, 0.55 * len(table) + 1.8))
        labels = _group_labels(result, table, by, lang)
        y = _plan_bars(ax, table, result.names)
        _changes(ax, table, lang)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.15)
        ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(_t("share", lang))
        ax.set_title(_t("compare_title", lang, by=_t(f"by_{by}", lang)))
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return _finish(ax)


def _comparison_of(
    plans: Comparison | Solution, plan_b: Solution | None, names: tuple[str, str] | None
) -> Comparison:
    """The comparison to draw: the one given (renamed when ``names`` are), or of two plans."""
    from ..analysis.comparison import Comparison, compare

    if isinstance(plans, Comparison):
        if names is None:
            return plans
        return compare(plans.plan_a, plans.plan_b, names=names, problem=plans.problems)
    if plan_b is None:
        from ..errors import OptionError

        raise OptionError.of("error.comparison_or_plans")
    return compare(plans, plan_b, names=names or ("A", "B"))


def _group_labels(
    result: Comparison, table: pd.DataFrame, by: Literal["city", "category", "tier"], lang: Language
) -> list[str]:
    """The groups' names as the comparison gives them, where they can be drawn."""
    labels = [
        result._group_name(by, str(key), _display_name(str(name), str(key)), lang)
        for key, name in zip(table.index, table["name"], strict=True)
    ]
    return [_display_name(label, str(key)) for label, key in zip(labels, table.index, strict=True)]


def _plan_bars(ax: Axes, table: pd.DataFrame, names: tuple[str, str]) -> npt.NDArray[np.int64]:
    """Plan A's and plan B's share per group, side by side; the groups' positions."""
    y = np.arange(len(table))
    height = 0.38
    for offset, column, color, name in (
        (-height / 2, "share_a", _PLAN_COLORS[0], names[0]),
        (height / 2, "share_b", _PLAN_COLORS[1], names[1]),
    ):
        ax.barh(
            y + offset,
            table[column],
            height=height,
            color=color,
            label=_display_name(name, "A" if column == "share_a" else "B"),
        )
    return y


def _changes(ax: Axes, table: pd.DataFrame, lang: Language) -> None:
    """Each group's change in points, right of its longer bar (green up, red down)."""
    for row, (share_a, share_b, delta) in enumerate(
        zip(table["share_a"], table["share_b"], table["delta_share"], strict=True)
    ):
        color = "#1e8449" if delta > 0 else "#c0392b" if delta < 0 else "#566573"
        ax.text(
            max(share_a, share_b) + 0.01,
            row,
            catalog.text("delta.points", lang, points=100 * delta),
            va="center",
            fontsize=8,
            color=color,
        )


def frontier(
    table: pd.DataFrame,
    x: str = "share_key",
    y: str = "base_score",
    *,
    label: str | None = None,
    ax: Axes | None = None,
    language: Language | None = None,
) -> Axes:
    """A sweep's plans in the plane of two goals, the Pareto-efficient ones joined.

    Parameters
    ----------
    table
        A table from :func:`matcher.sweep.frontier` (or :func:`~matcher.sweep.sweep`: the
        efficient plans are then computed here).
    x, y
        The goals (both to maximize).
    label
        The column whose value annotates each point; by default the first parameter column.

    Examples
    --------
    >>> import matcher
    >>> from matcher.analysis.sweeps import frontier as sweep_frontier
    >>> problem = matcher.synth.shanxi(seed=0, n_needs=100, n_orgs=25)
    >>> ax = frontier(sweep_frontier(problem, "priority", [0, 3, 9]))
    >>> ax.get_title().endswith("weights.priority")
    True
    >>> close(ax)
    """
    from ..analysis.sweeps import pareto_efficient

    lang = _language(language)
    if "efficient" in table.columns:
        efficient = table["efficient"].fillna(False).astype(bool).to_numpy()
    else:
        efficient = pareto_efficient(table, x, y).to_numpy()
    if label is None:
        label = _first_parameter(table)
    xs = table[x].to_numpy(dtype=float)
    ys = table[y].to_numpy(dtype=float)
    with _style():
        ax = _axes(ax, (7, 5))
        _frontier_points(ax, xs, ys, efficient, lang)
        _point_labels(ax, table[label], xs, ys)
        if x.startswith("share"):
            ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(_TEXT[x][0 if lang == "zh" else 1] if x in _TEXT else x)
        ax.set_ylabel(_TEXT[y][0 if lang == "zh" else 1] if y in _TEXT else y)
        ax.set_title(f"{_t('frontier_title', lang)} · {label}")
        ax.legend(fontsize=8, frameon=False)
        return _finish(ax)


def _frontier_points(
    ax: Axes,
    xs: npt.NDArray[np.float64],
    ys: npt.NDArray[np.float64],
    efficient: npt.NDArray[np.bool_],
    lang: Language,
) -> None:
    """The dominated plans as grey dots, the efficient ones joined in order of ``xs``."""
    ax.scatter(
        xs[~efficient], ys[~efficient], color="#aab7b8", label=_t("dominated", lang), zorder=2
    )
    order = np.argsort(xs[efficient], kind="stable")
    ax.plot(
        xs[efficient][order],
        ys[efficient][order],
        "-o",
        color="#2874a6",
        label=_t("efficient", lang),
        zorder=3,
    )


def _first_parameter(table: pd.DataFrame) -> str:
    """The first parameter column of a sweep's table (``variant`` when it has none)."""
    from ..analysis.sweeps import METRICS

    params = [
        c
        for c in table.columns
        if c not in (*METRICS, "variant", "seconds", "error", "solution", "efficient")
    ]
    return params[0] if params else "variant"


def _point_labels(
    ax: Axes, values: pd.Series, xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]
) -> None:
    """Each finite point's value beside it; points drawn at one place share one label."""
    same_point: dict[tuple[float, float], list[str]] = {}
    for value, px, py in zip(values, xs, ys, strict=True):
        if np.isfinite(px) and np.isfinite(py):
            text = f"{value:g}" if isinstance(value, int | float) else str(value)
            same_point.setdefault((round(px, 9), round(py, 6)), []).append(text)
    for (px, py), texts in same_point.items():
        ax.annotate(
            ", ".join(texts), (px, py), textcoords="offset points", xytext=(4, 4), fontsize=7
        )


# --- helpers --------------------------------------------------------------------------------------


def _unique_labels(names: list[str], qualifiers: list[str]) -> list[str]:
    """``names``, with the qualifier added to those that occur more than once (城区 · 阳泉市)."""
    counts = Counter(names)
    return [
        f"{name} · {qualifier}" if counts[name] > 1 and qualifier else name
        for name, qualifier in zip(names, qualifiers, strict=True)
    ]


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _tier_legend(ax: Axes, language: Language, present: set[str]) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(color=color, label=tier.label(language))
        for tier, color in _TIER_COLORS.items()
        if tier.value in present
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True)


def _county_table(solution: Solution, problem: Problem) -> pd.DataFrame:
    """Needs and served per county (or the posting region when it lies in no county)."""
    import pandas as pd

    tree = problem.index.hierarchy
    regions = [a.region for a in solution.assignments] + [u.region for u in solution.unmet]
    served = [True] * len(solution.assignments) + [False] * len(solution.unmet)
    known = [r in tree.position for r in regions]
    if not all(known):
        from ..errors import OptionError

        raise OptionError.of("error.plan_regions_unknown")
    index = np.array([tree.position[r] for r in regions], dtype=np.int64)
    county = tree.at_level(index, Level.COUNTY) if len(index) else index
    county = np.where(county >= 0, county, index)
    city = tree.at_level(county, Level.CITY) if len(county) else county
    frame = pd.DataFrame({"slot": county, "city_slot": city, "served": served})
    grouped = frame.groupby("slot", sort=True).agg(
        needs=("served", "size"), served=("served", "sum"), city_slot=("city_slot", "first")
    )
    slots = grouped.index.to_numpy()
    return pd.DataFrame(
        {
            "county": [tree.ids[s] for s in slots],
            "name": [problem.regions[s].name for s in slots],
            "city": [tree.ids[c] if c >= 0 else "" for c in grouped["city_slot"]],
            "tier": [list(Priority)[t].value for t in tree.tier[slots]],
            "lat": tree.lat[slots],
            "lon": tree.lon[slots],
            "needs": grouped["needs"].to_numpy(),
            "served": grouped["served"].to_numpy(),
            "share": grouped["served"].to_numpy() / grouped["needs"].to_numpy(),
        }
    )


def _city_centres(
    problem: Problem, counties: pd.DataFrame
) -> Mapping[str, tuple[str, float, float]]:
    """Each city's name and label position (the mean of its counties' coordinates)."""
    names = {r.id: r.name for r in problem.regions}
    centres = {}
    for city, group in counties.groupby("city", sort=True):
        if city in names:
            centres[str(city)] = (
                names[str(city)],
                float(group["lat"].mean()),
                float(group["lon"].mean()),
            )
    return centres
