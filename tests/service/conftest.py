"""Fixtures of the service tests: a server per database for a module, its client, a problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import matcher

from .servers import DATABASES, Server, database_url


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per database for a test module."""
    url = database_url(request.param, tmp_path_factory.mktemp(request.param))
    found = Server(url)
    yield found
    found.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as found:
        yield found


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=0, n_needs=60, n_orgs=20)


@pytest.fixture(scope="module")
def document(problem: matcher.Problem) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(problem.to_json())
    return data
