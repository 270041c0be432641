"""Servers for the service tests: ``matcher serve`` in a subprocess on 127.0.0.1, a random port.

Every test runs on SQLite (a file in a temporary folder) and on PostgreSQL, whose URL comes in
``MATCHER_TEST_PG_URL`` (``.ci/run`` starts a local server and sets it). Without it the PostgreSQL
tests are skipped with the reason, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

import matcher
from matcher.service import EventStore, open_store
from matcher.service.server import ServerProcess

SRC = str(Path(matcher.__file__).resolve().parents[1])
DATABASES = ("sqlite", "postgresql")


def database_url(kind: str, folder: Path) -> str:
    """A fresh database of ``kind``: a new SQLite file, or the test PostgreSQL emptied."""
    if kind == "sqlite":
        return str(folder / "events.sqlite")
    url = pg_url()
    store = open_store(url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TABLE IF EXISTS matcher_requests, matcher_events, matcher_dispatches"
        )
    store.close()
    return url


class Server(ServerProcess):
    """``matcher serve`` in a subprocess, started at once, with a client for it."""

    def __init__(self, database: str, *options: str) -> None:
        super().__init__(database, *options)
        self.start()

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def store(self) -> EventStore:
        return open_store(self.database)


def pg_url() -> str:
    """The test PostgreSQL's URL (``MATCHER_TEST_PG_URL``); the test is skipped without one (it
    fails in CI, which always starts a server)."""
    url = os.environ.get("MATCHER_TEST_PG_URL")
    if not url:
        reason = "PostgreSQL tests need MATCHER_TEST_PG_URL (.ci/run starts a server and sets it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url
