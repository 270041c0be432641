"""The event store from Python, without the web layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

import matcher
from matcher.dispatch import Dispatch
from matcher.service import (
    DispatchExistsError,
    DuplicateRequestError,
    EventStore,
    Remembered,
    StaleSequenceError,
    UnknownDispatchError,
    open_store,
)

from .servers import DATABASES, SRC, database_url


@pytest.fixture(params=DATABASES)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventStore]:
    found = open_store(database_url(request.param, tmp_path_factory.mktemp(request.param)))
    yield found
    found.close()


@pytest.fixture(scope="module")
def problem() -> matcher.Problem:
    return matcher.synth.shanxi(seed=4, n_needs=50, n_orgs=15)


def test_a_dispatch_round_trips_through_the_store(
    store: EventStore, problem: matcher.Problem
) -> None:
    dispatch = Dispatch(problem, disruption_cost=2.0, acceptance_aware=True)
    store.create("d", dispatch)
    offers = dispatch.propose().offers
    assert store.append("d", dispatch.events) == len(dispatch.events)
    dispatch.accept(offers[0].need_id, offers[0].org_id)
    dispatch.decline(offers[1].need_id, offers[1].org_id, "far")
    store.append("d", dispatch.events[-2:])
    again = Dispatch.from_store(store, "d")
    assert again.to_json() == dispatch.to_json()  # problem, policy, prior and every event
    assert again.state == dispatch.state
    assert store.events("d", after=len(dispatch.events) - 3) == list(dispatch.events[-2:])
    assert store.events("d", limit=2) == list(dispatch.events[:2])
    assert store.dispatch_ids() == ["d"]
    # the next round from the replay is the next round of the original
    assert [(o.need_id, o.org_id) for o in again.propose().offers] == [
        (o.need_id, o.org_id) for o in dispatch.propose().offers
    ]


def test_writes_are_all_or_nothing_and_checked(store: EventStore, problem: matcher.Problem) -> None:
    dispatch = Dispatch(problem)
    store.create("d", dispatch)
    with pytest.raises(DispatchExistsError):
        store.create("d", dispatch)
    with pytest.raises(UnknownDispatchError):
        store.next_seq("other")
    with pytest.raises(UnknownDispatchError):
        Dispatch.from_store(store, "other")
    dispatch.propose()
    head = dispatch.events
    with pytest.raises(StaleSequenceError) as stale:
        store.append("d", head[1:])  # skips event 0
    assert (stale.value.expected, stale.value.current) == (1, 0)
    assert store.next_seq("d") == 0
    store.append("d", head)
    with pytest.raises(StaleSequenceError) as stale:
        store.append("d", head[:1])
    assert stale.value.current == len(head)
    # an idempotency record goes in with its events, once
    need, org = dispatch.state.pending[0].need_id, dispatch.state.pending[0].org_id
    event = dispatch.accept(need, org)
    request = Remembered("d", "k1", "digest", 200, '{"ok": true}')
    store.append("d", [event], request)
    assert store.remembered("d", "k1") == request
    assert store.remembered("d", "k2") is None
    event = dispatch.start(need)
    with pytest.raises(DuplicateRequestError):
        store.append("d", [event], request)
    assert store.next_seq("d") == len(dispatch.events) - 1


def test_concurrent_appends_at_one_number_one_wins(
    store: EventStore, problem: matcher.Problem
) -> None:
    dispatch = Dispatch(problem)
    store.create("d", dispatch)
    dispatch.propose()
    store.append("d", dispatch.events)
    pending = dispatch.state.pending[:6]
    results: list[str] = []
    barrier = threading.Barrier(len(pending))

    def write(i: int) -> None:
        trial = Dispatch.from_store(store, "d")
        event = trial.decline(pending[i].need_id, pending[i].org_id)
        barrier.wait()
        try:
            store.append("d", [event])
            results.append("ok")
        except StaleSequenceError:
            results.append("stale")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(pending))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] + ["stale"] * (len(pending) - 1)
    assert store.next_seq("d") == len(dispatch.events) + 1
    Dispatch.from_store(store, "d")  # the log replays


def test_the_core_never_imports_the_service() -> None:
    code = (
        "import sys, matcher, matcher.cli, matcher.dispatch; matcher.cli.build_parser(); "
        "import json; print(json.dumps([m for m in ('fastapi', 'sqlalchemy', 'uvicorn', "
        "'psycopg', 'matcher.service') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": SRC},
    )
    assert json.loads(out.stdout) == []


def test_a_server_holds_few_dispatches_and_replays_the_others(
    store: EventStore, problem: matcher.Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.service import registry as held
    from matcher.service.guards import Ticket

    monkeypatch.setattr(held, "KEPT", 2)
    found = held.Registry(store)
    for name in ("a", "b", "c"):
        found.create(name, Dispatch(problem), None, Ticket())
    assert list(found._cache) == ["b", "c"]

    def answer(result: object, first: int, after: int) -> tuple[int, str]:
        return 200, str(after)

    reply = found.write("a", 0, lambda d: d.propose(), answer, None, lambda: None, Ticket())
    assert isinstance(reply, tuple)
    text = reply[1]
    assert list(found._cache) == ["c", "a"]  # "a" replayed from the store, "b" dropped
    assert int(text) == store.next_seq("a") > 0
    with pytest.raises(UnknownDispatchError):
        found.state("nowhere")
    assert "nowhere" not in found._locks
