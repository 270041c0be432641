"""Explanations of a dispatch's round: the plan made once per state of the log, and kept.

The application runs in this process (over ASGI), so that the solves it makes can be counted.
Every answer is checked against the library: the round's problem solved afresh, the need
explained from that plan.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

import matcher
from matcher.dispatch import Dispatch
from matcher.errors import SolverError
from matcher.models.vocab import Language
from matcher.service import registry
from matcher.service.app import Config, create_app
from matcher.service.schemas import ExplanationResponse


class Solves:
    """``matcher.solve`` as the registry calls it, counted (and slowed, so that requests meet)."""

    def __init__(self, pause: float = 0.0) -> None:
        self.count = 0
        self.pause = pause
        self.failures = 0
        self._lock = threading.Lock()
        self._solve = registry.solve

    def __call__(self, problem: matcher.Problem) -> matcher.Solution:
        with self._lock:
            self.count += 1
            failing = self.failures > 0
            self.failures -= failing
        time.sleep(self.pause)
        if failing:
            raise SolverError("the solver gave up")
        return self._solve(problem)


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> Solves:
    counted = Solves()
    monkeypatch.setattr(registry, "solve", counted)
    return counted


class Local:
    """The application in this process, called over ASGI (one event loop) from this thread."""

    def __init__(self, config: Config, clock: Callable[[], datetime] | None = None) -> None:
        self.app = create_app(config, clock=clock)
        self._runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=self.app)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://matcher")

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self._runner.run(self._client.get(path, **options))

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self._runner.run(self._client.post(path, **options))

    def get_all(self, paths: list[str]) -> list[httpx.Response]:
        """``GET`` each path, every request at once."""

        async def together() -> list[httpx.Response]:
            return list(await asyncio.gather(*(self._client.get(p) for p in paths)))

        return self._runner.run(together())

    @property
    def plans(self) -> registry.RoundPlans:
        found: registry.RoundPlans = self.app.state.matcher.registry.plans
        return found

    def close(self) -> None:
        self._runner.run(self._client.aclose())
        shared = self.app.state.matcher
        shared.pool.close()
        shared.registry.store.close()
        self._runner.close()


@pytest.fixture
def client() -> Iterator[Local]:
    found = Local(Config(database="sqlite://", threads=4))
    yield found
    found.close()


def start(client: Local, problem: matcher.Problem, dispatch_id: str) -> None:
    """A dispatch of ``problem`` after its first round."""
    made = client.post("/dispatches", json={"id": dispatch_id, "problem": _document(problem)})
    assert made.status_code == 201, made.text
    assert client.post(f"/dispatches/{dispatch_id}/propose").status_code == 200


def _document(problem: matcher.Problem) -> Any:
    return json.loads(problem.to_json())


def fresh(dispatch: Dispatch, need_id: str, language: Language) -> str:
    """The answer as a fresh solve of the round gives it: the need explained from that plan."""
    problem = dispatch.round_problem()
    text = matcher.explain.explain(problem, matcher.solve(problem), need_id, language)
    reply = ExplanationResponse(need_id=need_id, org_id=text.org_id, text=text.text)
    return reply.model_dump_json()


def explained(client: Local, dispatch_id: str, need_id: str, language: Language = "zh") -> str:
    answer = client.get(
        f"/dispatches/{dispatch_id}/needs/{need_id}/explanation",
        headers={"Accept-Language": language},
    )
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=2, n_needs=50, n_orgs=14)


def test_kept_plans_explain_every_need_as_a_fresh_solve_does(
    client: Local, problem: matcher.Problem, solves: Solves
) -> None:
    start(client, problem, "d")
    local = Dispatch(problem)
    local.propose()
    needs = [n.id for n in problem.needs]
    languages: tuple[Language, ...] = ("zh", "en")
    for language in languages:
        for need_id in needs:
            assert explained(client, "d", need_id, language) == fresh(local, need_id, language)
    assert solves.count == 1  # one plan for every request of the round
    assert explained(client, "d", needs[0]) == fresh(local, needs[0], "zh")
    assert solves.count == 1


def test_a_new_event_calls_for_the_new_round(
    client: Local, problem: matcher.Problem, solves: Solves
) -> None:
    start(client, problem, "d")
    local = Dispatch(problem)
    offer = local.propose().offers[0]
    before = explained(client, "d", offer.need_id, "en")
    assert before == fresh(local, offer.need_id, "en")
    step = {"kind": "decline", "need_id": offer.need_id, "org_id": offer.org_id}
    assert client.post("/dispatches/d/events", json=step).status_code == 200
    local.decline(offer.need_id, offer.org_id)
    after = explained(client, "d", offer.need_id, "en")
    assert after == fresh(local, offer.need_id, "en") != before
    assert solves.count == 2
    assert client.plans.held() == ["d"]  # the older round's plan is dropped


def test_requests_that_meet_solve_the_round_once(
    client: Local, problem: matcher.Problem, solves: Solves
) -> None:
    start(client, problem, "d")
    solves.pause = 0.3
    needs = [n.id for n in problem.needs[:6]]
    answers = client.get_all([f"/dispatches/d/needs/{n}/explanation" for n in needs])
    assert [a.status_code for a in answers] == [200] * len(needs)
    assert solves.count == 1
    local = Dispatch(problem)
    local.propose()
    assert [a.text for a in answers] == [fresh(local, n, "zh") for n in needs]


def test_a_failed_plan_is_given_to_its_waiters_and_made_again_next_time(
    client: Local, problem: matcher.Problem, solves: Solves
) -> None:
    start(client, problem, "d")
    need_id = problem.needs[0].id
    solves.failures = 1
    answer = client.get(f"/dispatches/d/needs/{need_id}/explanation")
    assert answer.status_code == 500 and answer.json()["error"] == "solver"
    local = Dispatch(problem)
    local.propose()
    assert explained(client, "d", need_id) == fresh(local, need_id, "zh")
    assert solves.count == 2


def test_plans_are_kept_for_the_most_recently_explained_dispatches(
    problem: matcher.Problem, solves: Solves
) -> None:
    client = Local(Config(database="sqlite://", plans=2))
    for dispatch_id in ("a", "b", "c"):
        start(client, problem, dispatch_id)
    need_id = problem.needs[0].id
    for dispatch_id in ("a", "b", "a", "c"):
        explained(client, dispatch_id, need_id)
    assert client.plans.held() == ["a", "c"]  # b, the least recently explained, dropped
    assert solves.count == 3
    explained(client, "a", need_id)
    assert solves.count == 3
    explained(client, "b", need_id)  # made again
    assert solves.count == 4
    assert client.plans.held() == ["a", "b"]
    client.close()


def test_with_no_plans_kept_every_explanation_solves_its_round(
    problem: matcher.Problem, solves: Solves
) -> None:
    client = Local(Config(database="sqlite://", plans=0))
    start(client, problem, "d")
    local = Dispatch(problem)
    local.propose()
    need_id = problem.needs[0].id
    for language in ("zh", "en", "zh"):
        assert explained(client, "d", need_id, language) == fresh(local, need_id, language)
    assert solves.count == 3
    assert client.plans.held() == []
    client.close()
