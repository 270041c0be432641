"""The catalog of labels and messages: every key in both languages, every label it must hold."""

from __future__ import annotations

import string
from typing import get_args

import pytest

from matcher import errors
from matcher.analysis.comparison import CHANGES
from matcher.explain import Verdict
from matcher.models import COMPONENTS, catalog, speaking, vocab
from matcher.pairs.eligibility import RULES
from matcher.plan.solution import UnmetReason


def _cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", catalog.keys())
def test_every_key_has_chinese_and_english(key: str) -> None:
    zh, en = catalog.pair(key)
    assert zh.strip() and en.strip()
    if any(ch.isalpha() for ch in zh.replace("{", "").replace("}", "")):  # not punctuation only
        assert _cjk(zh), f"{key}: the Chinese text has no Chinese character"
    assert not _cjk(en), f"{key}: the English text has Chinese characters"
    # Both fill in from one set of fields (a field the other lacks is one it does not show).
    values = dict.fromkeys(_fields(zh) | _fields(en), 1)
    assert catalog.text(key, "zh", **values) and catalog.text(key, "en", **values)


def test_keys_are_unique_and_sectioned() -> None:
    keys = catalog.keys()
    assert len(keys) == len(set(keys))
    assert all(key.count(".") == 1 for key in keys)
    documented = catalog.__doc__ or ""
    for name in {key.partition(".")[0] for key in keys}:
        assert f"``{name}``" in documented, f"section {name} is not in the module's table"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reason", get_args(UnmetReason)),
        ("detail", get_args(UnmetReason)),
        ("change", CHANGES),
        ("rule", RULES),
        ("rule_short", RULES),
        ("component", COMPONENTS),
        ("column", COMPONENTS),
        ("verdict", tuple(v for v in get_args(Verdict) if v != "chosen")),
    ],
)
def test_sections_name_every_member(name: str, expected: tuple[str, ...]) -> None:
    assert set(expected) <= set(catalog.section(name))


def test_the_vocabulary_reads_its_labels_here() -> None:
    for kind in (vocab.Category, vocab.OrgType, vocab.Level, vocab.Priority, vocab.Credit):
        for member in kind:
            assert catalog.pair(f"term.{member._key()}") == (member.label("zh"), member.label("en"))


def test_section_is_read_only() -> None:
    reasons = catalog.section("reason")
    with pytest.raises(TypeError):
        reasons["rules"] = ("x", "y")  # type: ignore[index]


def test_language_choice_setting_locale_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (catalog.ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert speaking.language() == "zh" and speaking.language(default="en") == "en"
    assert speaking.setting() is None
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert speaking.language(default="en") == "en" and speaking.language() == "zh"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert speaking.language(default="en") == "zh"
    monkeypatch.setenv("LC_ALL", "C")  # LC_ALL overrides LANG
    assert speaking.language(default="en") == "en"
    monkeypatch.setenv(catalog.ENV, "en")
    assert speaking.language() == "en" and speaking.setting() == "en"
    assert speaking.language("zh") == "zh"  # an explicit choice wins
    monkeypatch.setenv(catalog.ENV, "fr")
    with pytest.raises(
        errors.OptionError, match="language must be 'zh' or 'en', not 'fr'"
    ) as caught:
        speaking.language()
    assert "语言须为 'zh' 或 'en'" in caught.value.text("zh")
    with pytest.raises(errors.OptionError, match="not 3"):
        speaking.checked(3)


def test_display_width_and_pad() -> None:
    assert catalog.display_width("受政策规则限制") == 14
    assert catalog.display_width("ｱ") == 1  # half-width katakana is narrow
    assert catalog.display_width("e\u0301") == 1  # a combining accent takes no column
    assert catalog.pad("市", 5) == "市   "
    assert catalog.pad("太原市", 2) == "太原市"


def test_errors_in_both_languages_keep_their_paths() -> None:
    issue = errors.Issue.of("needs[3].region", "error.unknown_region", id="'x'")
    assert str(issue) == "needs[3].region: unknown region 'x'"
    assert issue.text("zh") == "needs[3].region: 未知的地区 'x'"
    assert issue == errors.Issue("needs[3].region", "unknown region 'x'")  # equal as before
    plain = errors.Issue("a", "b")
    assert plain.text("zh") == "a: b"  # no Chinese message: the English one
    error = errors.ProblemError([issue, plain])
    assert str(error) == "2 problems in the input\n  needs[3].region: unknown region 'x'\n  a: b"
    assert error.text("zh").splitlines() == [
        "输入中有 2 处问题",
        "  needs[3].region: 未知的地区 'x'",
        "  a: b",
    ]
    option = errors.OptionError.of("cli.one_from_stdin")
    assert str(option) == "only one of the problem and the plan can come from stdin"
    assert option.text("zh") == "问题和方案只能有一个来自标准输入"
    assert errors.OptionError("plain").text("zh") == "plain"


def test_errors_speak_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    issues = [errors.Issue.of("needs[0].region", "error.unknown_region", id="'x'")]
    monkeypatch.setenv(catalog.ENV, "zh")
    assert (
        str(errors.ProblemError(issues)) == "输入中有 1 处问题\n  needs[0].region: 未知的地区 'x'"
    )
    option = errors.OptionError.of("error.unknown_need", id="'n9'")
    assert str(option) == "未知的需求 'n9'" and option.text("en") == "unknown need 'n9'"
    assert str(issues[0]) == "needs[0].region: unknown region 'x'"  # an issue's own text: English
    monkeypatch.setenv(catalog.ENV, "klingon")  # an invalid setting: errors still build, in English
    assert str(errors.ProblemError(issues)).startswith("1 problem in the input")
    with pytest.raises(errors.OptionError, match="not 'klingon'"):
        speaking.language()
    monkeypatch.delenv(catalog.ENV)
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # a Chinese locale speaks Chinese too
    assert str(errors.OptionError.of("error.unknown_need", id="'n9'")) == "未知的需求 'n9'"
