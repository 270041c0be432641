"""The settings of ``matcher serve``: its flags reach the application's Config, checked.

A bad value stops the command with status 2 and matcher's own message, in ``--lang``; from
Python, :class:`~matcher.service.app.Config` refuses it with the same message.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.errors import OptionError
from matcher.service import registry, server
from matcher.service.app import Config


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    """The Config each ``matcher serve`` would serve with (nothing is served)."""
    configs: list[Config] = []

    def serve(config: Config, **where: object) -> None:
        configs.append(config)

    monkeypatch.setattr(server, "serve", serve)
    return configs


def test_the_flags_reach_the_config(served: list[Config], tmp_path: Path) -> None:
    db = str(tmp_path / "events.sqlite")
    assert main(["serve", "--db", db]) == 0
    assert served[-1] == Config(database=db)  # the flags' defaults are Config's
    assert (served[-1].plans, served[-1].idempotency_hours) == (registry.PLANS, 24.0)
    flags = ["--kept-plans", "0", "--idempotency-hours", "0.5", "--timeout", "7"]
    assert main(["serve", "--db", db, *flags]) == 0
    assert served[-1] == Config(database=db, seconds=7.0, plans=0, idempotency_hours=0.5)
    assert main(["serve", "--db", db, "--kept-plans", "12", "--idempotency-hours", "inf"]) == 0
    assert (served[-1].plans, served[-1].idempotency_hours) == (12, float("inf"))


@pytest.mark.parametrize(
    ("flag", "value", "english", "chinese"),
    [
        (
            "--kept-plans",
            "-1",
            "--kept-plans, the round plans kept for explanations, must be a "
            "whole number, 0 or more, not -1",
            "须为不小于 0 的整数,而不是 -1",
        ),
        ("--kept-plans", "2.5", "must be a whole number, 0 or more, not '2.5'", "而不是 '2.5'"),
        ("--kept-plans", "many", "not 'many'", "而不是 'many'"),
        (
            "--idempotency-hours",
            "0",
            "--idempotency-hours, how long idempotency records are "
            "kept, must be a number of hours above 0, not 0",
            "须为大于 0 的小时数,而不是 0",
        ),
        ("--idempotency-hours", "-3", "above 0, not -3", "而不是 -3"),
        ("--idempotency-hours", "nan", "above 0, not nan", "而不是 nan"),
        ("--idempotency-hours", "a day", "above 0, not 'a day'", "而不是 'a day'"),
    ],
)
def test_a_bad_value_exits_2_with_matchers_message(
    served: list[Config],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    flag: str,
    value: str,
    english: str,
    chinese: str,
) -> None:
    db = str(tmp_path / "events.sqlite")
    assert main(["serve", "--db", db, flag, value, "--lang", "en"]) == 2
    said = capsys.readouterr()
    assert said.err.startswith("matcher: error: ") and english in said.err
    assert "Traceback" not in said.err and said.out == ""
    assert main(["serve", "--db", db, flag, value, "--lang", "zh"]) == 2
    said = capsys.readouterr()
    assert said.err.startswith("matcher: 错误: ") and chinese in said.err
    assert served == []  # nothing was served
    assert not Path(db).exists()  # nor opened


def test_config_checks_its_settings_from_python() -> None:
    for plans in (-1, 1.5, True, "8"):
        with pytest.raises(OptionError) as caught:
            Config(database="sqlite://", plans=plans)  # type: ignore[arg-type]
        assert "--kept-plans" in caught.value.text("en") and caught.value.text("zh")
    for hours in (0, -1.0, float("nan"), None, "24"):
        with pytest.raises(OptionError) as caught:
            Config(database="sqlite://", idempotency_hours=hours)  # type: ignore[arg-type]
        assert "--idempotency-hours" in caught.value.text("en") and caught.value.text("zh")
    assert Config(plans=0, idempotency_hours=1e300).idempotency_hours == 1e300  # for ever


def test_workers_read_the_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(database="sqlite://", plans=3, idempotency_hours=float("inf"))
    monkeypatch.setenv(server.ENVIRONMENT, json.dumps(dataclasses.asdict(config)))
    app = server.app_from_environment()
    shared = app.state.matcher
    assert shared.config == config
    store = shared.registry.store
    assert shared.registry.plans.kept == 3 and store.kept is None
    shared.pool.close()
    store.close()
