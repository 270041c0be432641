"""Settings for every test and doctest of the repository."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_language_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the defaults, whatever the shell sets: no ``MATCHER_LANG``, and a
    locale that is not Chinese (tests that want a setting make it themselves)."""
    monkeypatch.delenv("MATCHER_LANG", raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
