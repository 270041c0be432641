"""Servers for the service tests: ``matcher serve`` in a subprocess on 127.0.0.1, a random port.

Every test runs on SQLite (a file in a temporary folder) and on PostgreSQL, whose URL comes in
``MATCHER_TEST_PG_URL`` (``.ci/run`` starts a local server and sets it). Without it the PostgreSQL
tests are skipped with the reason, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import matcher
from matcher.service import EventStore, open_store

SRC = str(Path(matcher.__file__).resolve().parents[1])
DATABASES = ("sqlite", "postgresql")


def database_url(kind: str, folder: Path) -> str:
    """A fresh database of ``kind``: a new SQLite file, or the test PostgreSQL emptied."""
    if kind == "sqlite":
        return str(folder / "events.sqlite")
    url = os.environ.get("MATCHER_TEST_PG_URL")
    if not url:
        reason = "PostgreSQL tests need MATCHER_TEST_PG_URL (.ci/run starts a server and sets it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    store = open_store(url)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TABLE IF EXISTS matcher_requests, matcher_events, matcher_dispatches"
        )
    store.close()
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``matcher serve`` in a subprocess, with a client for it."""

    def __init__(self, database: str, *options: str) -> None:
        self.database = database
        self.options = options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = [sys.executable, "-m", "matcher", "serve", "--port", str(self.port)]
        command += ["--db", self.database, *self.options]
        environment = {**os.environ, "PYTHONPATH": SRC}
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"matcher serve exited: {error}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("matcher serve did not answer within 60 s")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, nothing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def store(self) -> EventStore:
        return open_store(self.database)
