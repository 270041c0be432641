"""Plots render to PNG with the Agg backend, and every label is drawn by a font that has it.

Which label language happened is tested, not assumed: with a CJK font (the ``plot`` extra brings
Noto Sans SC) labels are Chinese and the font must cover every character; without one they are
English and contain no CJK character.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

matplotlib = pytest.importorskip(
    "matplotlib", reason="the plot extra (matplotlib) is not installed"
)
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import matcher  # noqa: E402
from matcher import variants  # noqa: E402
from matcher.analysis.comparison import compare  # noqa: E402
from matcher.analysis.sweeps import frontier as sweep_frontier  # noqa: E402
from matcher.errors import OptionError  # noqa: E402
from matcher.models import catalog  # noqa: E402
from matcher.report import plots  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def base() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=200, n_orgs=50)


@pytest.fixture(scope="module")
def plan(base: matcher.Problem) -> matcher.Solution:
    return matcher.solve(base)


@pytest.fixture(scope="module")
def other(base: matcher.Problem) -> matcher.Solution:
    dropped = variants.without_organizations(base, [o.id for o in base.organizations[:10]])
    return matcher.solve(variants.with_weights(dropped, priority=9))


@pytest.fixture
def english() -> Iterator[None]:
    """Figures as on a machine without a CJK font."""
    saved = plots._choice
    plots.use_font(None)
    yield
    plots._choice = saved


def _texts(ax: matplotlib.axes.Axes) -> list[str]:
    figure = plots.figure(ax)
    figure.draw_without_rendering()
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def _check(ax: matplotlib.axes.Axes, path: Path) -> list[str]:
    """Render to PNG, check the file and that no glyph is missing; return the figure's texts."""
    saved = plots.save(ax, path, dpi=60)
    data = saved.read_bytes()
    assert data[:8] == PNG and len(data) > 5_000
    assert plots.missing_glyphs(plots.figure(ax)) == {}
    texts = _texts(ax)
    if plots.label_language() == "zh":
        assert any(_has_cjk(t) for t in texts)
    return texts


# --- fonts ----------------------------------------------------------------------------------------


def test_which_label_language_happened() -> None:
    language = plots.label_language()
    bundled = importlib.util.find_spec("pylopdf_fonts_zh_cn") is not None
    if bundled:  # the plot extra is installed: Chinese labels must work on any machine
        assert language == "zh"
    if language == "zh":
        family = plots.cjk_font()
        assert family is not None
        from matplotlib import font_manager

        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
        charmap = FT2Font(path).get_charmap()
        labels = "".join(c.label("zh") for c in matcher.Category) + "".join(
            p.label("zh") for p in matcher.Priority
        )
        labels += "各市需求满足率承接项目数方案对比重点帮扶地区太原市娄烦县"
        assert [ch for ch in labels if ord(ch) not in charmap] == []
    else:
        assert plots.cjk_font() is None


def test_missing_glyphs_finds_empty_boxes() -> None:
    figure = plt.figure()
    figure.text(0.5, 0.5, "太原市 coverage", fontfamily=["DejaVu Sans"])
    assert plots.missing_glyphs(figure) == {"太原市 coverage": "原太市"}


def test_use_font_with_a_file_a_family_or_none() -> None:
    saved = plots._choice
    try:
        path = plots._package_file("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf")
        if path is not None:
            assert plots.use_font(path) == "Noto Sans SC"
            assert plots.use_font("Noto Sans SC") == "Noto Sans SC"
            assert plots.label_language() == "zh"
        assert plots.use_font(None) is None
        assert plots.label_language() == "en"
        with pytest.raises(OptionError, match="no font file"):
            plots.use_font(Path("/nowhere/font.ttf"))
        with pytest.raises(OptionError, match="no font family"):
            plots.use_font("Comic Sans Nowhere")
        with pytest.raises(OptionError, match="lacks"):
            plots.use_font("DejaVu Sans")
    finally:
        plots._choice = saved


def test_core_never_imports_matplotlib() -> None:
    code = "import matcher, matcher.analysis.sweeps, matcher.analysis.comparison, matcher.io, sys; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- each plot ------------------------------------------------------------------------------------


def test_coverage_by_city(plan: matcher.Solution, tmp_path: Path) -> None:
    ax = plots.coverage_by_city(plan)
    texts = _check(ax, tmp_path / "city.png")
    assert len(ax.patches) == len(plan.kpis.by_city)
    if plots.label_language() == "zh":
        assert "各市需求满足率" in texts and "太原市" in texts
    first = next(iter(plan.kpis.by_city.values()))
    assert f"{first.served}/{first.needs}" in texts


def test_coverage_by_county(plan: matcher.Solution, base: matcher.Problem, tmp_path: Path) -> None:
    ax = plots.coverage_by_county(base, plan)
    texts = _check(ax, tmp_path / "county.png")
    regions = {a.region for a in plan.assignments} | {u.region for u in plan.unmet}
    assert len(ax.patches) == len(regions)  # every county with a need has its own bar
    if plots.label_language() == "zh":
        # Two cities have a district called 城区: each bar says which.
        assert {"城区 · 阳泉市", "城区 · 晋城市"} <= set(texts) or "城区" not in texts
    one = plots.coverage_by_county(base, plan, city="吕梁市")
    assert len(one.patches) < len(ax.patches)
    assert plots.coverage_by_county(base, plan, city="141100").patches.__len__() == len(one.patches)
    with pytest.raises(OptionError, match="no city"):
        plots.coverage_by_county(base, plan, city="火星市")


def test_category_mix(plan: matcher.Solution, tmp_path: Path) -> None:
    ax = plots.category_mix(plan)
    texts = _check(ax, tmp_path / "mix.png")
    heights = sum(p.get_width() for p in ax.patches)
    assert heights == plan.kpis.needs
    if plots.label_language() == "zh":
        assert "产业帮扶" in texts and "已满足" in texts


@pytest.mark.parametrize("which", ["held_back", "infeasible"])
def test_category_mix_counts_every_unmet_need(
    which: str,
    held_back: tuple[matcher.Problem, matcher.Solution],
    infeasible_plan: matcher.Solution,
) -> None:
    plan = held_back[1] if which == "held_back" else infeasible_plan
    reasons = {u.reason for u in plan.unmet}
    assert reasons >= ({"rules", "too_few_candidates"} if which == "held_back" else {"infeasible"})
    ax = plots.category_mix(plan, language="en")
    assert sum(p.get_width() for p in ax.patches) == plan.kpis.needs
    legend = ax.get_legend()
    shown = {t.get_text() for t in legend.get_texts()} if legend else set()
    for reason in reasons:
        assert f"unmet: {catalog.text(f'reason.{reason}', 'en')}" in shown


def test_organization_load(plan: matcher.Solution, base: matcher.Problem, tmp_path: Path) -> None:
    ax = plots.organization_load(base, plan, top=10)
    _check(ax, tmp_path / "load.png")
    assert len(ax.patches) == 20  # capacity and load for each of the ten
    bare = plots.organization_load(None, plan, top=5)
    assert len(bare.patches) == 5


def test_county_map(plan: matcher.Solution, base: matcher.Problem, tmp_path: Path) -> None:
    ax = plots.county_map(base, plan)
    texts = _check(ax, tmp_path / "map.png")
    points = sum(len(c.get_offsets()) for c in ax.collections)
    regions = {a.region for a in plan.assignments} | {u.region for u in plan.unmet}
    assert points == len(regions)
    if plots.label_language() == "zh":
        assert "大同市" in texts and "经度" in texts


def test_comparison(
    plan: matcher.Solution, other: matcher.Solution, base: matcher.Problem, tmp_path: Path
) -> None:
    result = compare(plan, other, names=("现行", "方案二"), problem=base)
    for by in ("city", "category", "tier"):
        ax = plots.comparison(result, by=by)  # type: ignore[arg-type]
        texts = _check(ax, tmp_path / f"compare_{by}.png")
        assert len(ax.patches) == 2 * len(result.kpis(by))  # type: ignore[arg-type]
        assert any(t.endswith(("个百分点", " pp")) for t in texts)
    ax = plots.comparison(plan, other, by="tier", names=("A plan", "B plan"))
    assert {"A plan", "B plan"} <= set(_texts(ax))
    with pytest.raises(OptionError, match="two plans"):
        plots.comparison(plan)


def test_frontier(base: matcher.Problem, tmp_path: Path) -> None:
    table = sweep_frontier(base, "priority", [0, 1.5, 3, 6, 12])
    ax = plots.frontier(table)
    texts = _check(ax, tmp_path / "frontier.png")
    assert any("weights.priority" in t for t in texts)
    plain = plots.frontier(table.drop(columns=["efficient"]), label="variant")
    assert any(t.startswith("weights.priority=") for t in _texts(plain))


# --- without a CJK font ---------------------------------------------------------------------------


def test_english_labels_without_a_cjk_font(
    english: None, plan: matcher.Solution, base: matcher.Problem, tmp_path: Path
) -> None:
    assert plots.label_language() == "en"
    for name, ax in (
        ("city", plots.coverage_by_city(plan)),
        ("mix", plots.category_mix(plan)),
        ("map", plots.county_map(base, plan)),
    ):
        texts = _check(ax, tmp_path / f"{name}_en.png")
        assert not any(_has_cjk(t) for t in texts), name
    assert "Share of needs served by city" in _texts(plots.coverage_by_city(plan))
    assert "140100" in _texts(plots.coverage_by_city(plan))  # city ids stand in for names


def test_asking_for_chinese_without_a_font_warns_and_falls_back(
    english: None, plan: matcher.Solution
) -> None:
    with pytest.warns(UserWarning, match="no font with Chinese characters"):
        ax = plots.category_mix(plan, language="zh")
    assert "Needs by category: served and unmet" in _texts(ax)


def test_english_on_request_with_a_font(plan: matcher.Solution) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.category_mix(plan, language="en")
    texts = _texts(ax)
    assert "Industry support" in texts
    assert plots.missing_glyphs(plots.figure(ax)) == {}
    with pytest.raises(OptionError, match="language"):
        plots.category_mix(plan, language="fr")  # type: ignore[arg-type]


# --- the what-if guide ---------------------------------------------------------------------------------


def test_guide_block_draws_a_comparison(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The what-if guide's first block goes from a problem to a comparison plot of two variants."""
    import re

    guide = Path(__file__).parents[2] / "docs" / "what-if.md"
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if "plots.comparison(" in b]
    if "write_plan" in block:
        pytest.importorskip("openpyxl", reason="the excel extra is not installed")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(guide), "exec"), {"__name__": "__guide__"})
    pictures = list(tmp_path.glob("*.png"))
    assert pictures and all(p.read_bytes()[:8] == PNG for p in pictures)


def test_the_old_argument_order_still_draws_with_a_warning() -> None:
    problem = matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=15)
    plan = matcher.solve(problem)
    for draw in (plots.coverage_by_county, plots.organization_load, plots.county_map):
        new = draw(problem, plan)
        with pytest.warns(DeprecationWarning, match=draw.__name__):
            old = draw(plan, problem)  # type: ignore[arg-type]
        assert [p.get_width() for p in old.patches] == [p.get_width() for p in new.patches]
        plots.close(new)
        plots.close(old)
