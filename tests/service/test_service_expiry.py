"""Idempotency records expire: found within their retention, deleted by later writes after it.

On SQLite and PostgreSQL, each test in a database of its own (a new file; a new PostgreSQL
schema, dropped after it), with a clock the test moves instead of sleeping.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    inspect,
    select,
)

import matcher
from matcher.dispatch import Dispatch
from matcher.service import DuplicateRequestError, EventStore, Remembered, open_store, store
from matcher.service.app import Config

from .servers import DATABASES, pg_url
from .test_service_explanations import Local

HOUR = timedelta(hours=1)


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.now += by


def _postgres() -> str:
    """A new schema of the test PostgreSQL (``MATCHER_TEST_PG_URL``), as a URL that uses it."""
    url = pg_url()
    schema = "expiry_" + uuid.uuid4().hex[:12]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _drop(url: str) -> None:
    schema = url.rpartition("%3D")[2]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, empty."""
    if request.param == "sqlite":
        yield str(tmp_path / "events.sqlite")
        return
    found = _postgres()
    yield found
    _drop(found)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _remember(scope: str, key: str, digest: str = "d") -> Remembered:
    return Remembered(scope, key, digest, 201, json.dumps({"key": key}))


def _rows(found: EventStore) -> int:
    with found.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(store._requests)).scalar())


def test_a_record_is_found_within_its_retention_and_is_a_new_request_after(
    url: str, clock: Clock
) -> None:
    found = open_store(url, idempotency_hours=2, clock=clock)
    first = _remember("", "k", "first")
    found.create("a", "{}", first)
    clock.advance(2 * HOUR - timedelta(seconds=1))
    assert found.remembered("", "k") == first  # replayed within the retention
    with pytest.raises(DuplicateRequestError):
        found.create("b", "{}", _remember("", "k", "other"))
    clock.advance(timedelta(seconds=1))
    assert found.remembered("", "k") is None  # expired: not found, even before it is deleted
    again = _remember("", "k", "again")
    found.create("b", "{}", again)  # the key is recorded afresh, in place of the old record
    assert found.remembered("", "k") == again
    assert _rows(found) == 1
    assert found.dispatch_ids() == ["a", "b"]  # dispatches never expire
    found.close()


def test_writes_delete_expired_records_in_batches_at_most_every_few_minutes(
    url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SWEEP_ROWS", 5)
    found = open_store(url, idempotency_hours=0.05, clock=clock)  # three minutes
    for i in range(12):
        found.create(f"old{i}", "{}", _remember("", f"old{i}"))
    assert _rows(found) == 12  # the first write swept: nothing had expired
    clock.advance(timedelta(minutes=10))
    found.create("d", "{}", _remember("", "w0"))
    assert _rows(found) == 12 - 5 + 1  # a full batch: the next write sweeps again
    found.append("d", [], _remember("d", "w1"))
    assert _rows(found) == 12 - 10 + 2
    found.append("d", [], _remember("d", "w2"))
    assert _rows(found) == 3  # w0, w1, w2; the next sweep is due in five minutes
    clock.advance(timedelta(minutes=4))  # w0, w1 and w2 have expired
    found.append("d", [], _remember("d", "w3"))
    assert _rows(found) == 4  # no sweep yet ...
    assert found.remembered("d", "w1") is None  # ... but they are not found
    clock.advance(timedelta(minutes=1))
    found.append("d", [], None)  # any write sweeps
    assert _rows(found) == 1
    assert found.remembered("d", "w3") is not None
    clock.advance(HOUR)
    assert found.expire() == 1  # everything at once, without a write
    assert _rows(found) == 0
    found.close()


def test_a_sweep_is_due_every_few_minutes_and_at_once_after_the_clock_is_set_back(
    clock: Clock,
) -> None:
    found = open_store("sqlite://", idempotency_hours=1, clock=clock)
    now = clock()
    assert found._sweep_due(now)
    assert not found._sweep_due(now + store.SWEEP_EVERY - timedelta(seconds=1))
    assert found._sweep_due(now + store.SWEEP_EVERY)
    assert found._sweep_due(now - HOUR)  # set back: the time it waited for is far away
    assert not found._sweep_due(now - HOUR + timedelta(minutes=1))
    found.close()


def test_two_writers_clean_up_at_once_without_failing_or_losing_a_record(
    url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SWEEP_ROWS", 7)
    monkeypatch.setattr(store, "SWEEP_EVERY", timedelta(0))  # every write sweeps
    stores = [open_store(url, idempotency_hours=1, clock=clock) for _ in range(2)]  # two processes
    for i in range(120):
        stores[i % 2].create(f"old{i}", "{}", _remember("", f"old{i}"))
    stores[0].create("shared-old", "{}", _remember("", "shared"))
    clock.advance(2 * HOUR)
    failures: list[BaseException] = []
    duplicates: list[int] = []
    barrier = threading.Barrier(2)

    def write(side: int) -> None:
        mine = stores[side]
        try:
            barrier.wait()
            # both reuse the expired key "shared" at once: one records it, the other is told
            try:
                mine.create(f"shared{side}", "{}", _remember("", "shared", f"side{side}"))
            except DuplicateRequestError:
                duplicates.append(side)
            for i in range(30):
                mine.create(f"new{side}-{i}", "{}", _remember("", f"new{side}-{i}"))
        except BaseException as error:  # pragma: no cover - what the test is for
            failures.append(error)

    threads = [threading.Thread(target=write, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(duplicates) == 1
    winner = 1 - duplicates[0]
    shared = stores[0].remembered("", "shared")
    assert shared is not None and shared.digest == f"side{winner}"
    for side in (0, 1):
        for i in range(30):
            assert stores[1 - side].remembered("", f"new{side}-{i}") is not None
    # 60 writes each swept up to 7: every old record is gone; the new ones and the winner stay
    assert _rows(stores[0]) == 61
    assert stores[0].expire() == 0
    for found in stores:
        found.close()


# --- a database made before the index existed -----------------------------------------------------


def _previous_schema() -> MetaData:
    """The tables as the previous version made them: the same columns, no index on time."""
    old = MetaData()
    Table(
        "matcher_dispatches",
        old,
        Column("id", String(200), primary_key=True),
        Column("header", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "matcher_events",
        old,
        Column("dispatch_id", String(200), ForeignKey("matcher_dispatches.id"), primary_key=True),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("kind", String(16), nullable=False),
        Column("body", Text, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "matcher_requests",
        old,
        Column("scope", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("digest", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("answer", Text, nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
    )
    return old


def _engine(url: str) -> Any:
    if "://" not in url:
        return create_engine(f"sqlite:///{url}")
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def test_a_database_of_the_previous_version_is_given_the_index_and_keeps_working(
    url: str, clock: Clock
) -> None:
    problem = matcher.synth.shanxi(seed=3, n_needs=30, n_orgs=8)
    dispatch = Dispatch(problem)
    dispatch.propose()
    document = json.loads(dispatch.to_json())
    document.pop("events")
    old = _previous_schema()
    engine = _engine(url)
    old.create_all(engine)
    written = clock() - timedelta(hours=3)
    with engine.begin() as connection:
        connection.execute(
            insert(old.tables["matcher_dispatches"]),
            [{"id": "old", "header": json.dumps(document), "created_at": written}],
        )
        connection.execute(
            insert(old.tables["matcher_events"]),
            [
                {
                    "dispatch_id": "old",
                    "seq": e.seq,
                    "kind": e.kind,
                    "body": e.model_dump_json(),
                    "recorded_at": written,
                }
                for e in dispatch.events
            ],
        )
        connection.execute(
            insert(old.tables["matcher_requests"]),
            [
                {
                    "scope": "old",
                    "key": k,
                    "digest": "d",
                    "status": 200,
                    "answer": "{}",
                    "recorded_at": written + timedelta(hours=h),
                }
                for k, h in (("older", 0), ("recent", 2.5))
            ],
        )
    assert not inspect(engine).get_indexes("matcher_requests")
    engine.dispose()

    found = open_store(url, idempotency_hours=1, clock=clock)
    names = [index["name"] for index in inspect(found.engine).get_indexes("matcher_requests")]
    assert names == ["matcher_requests_recorded_at"]
    again = Dispatch.from_store(found, "old")
    assert again.state == dispatch.state
    assert found.remembered("old", "recent") is not None  # half an hour old
    assert found.remembered("old", "older") is None
    offer = again.state.pending[0]
    found.append("old", [again.accept(offer.need_id, offer.org_id)], _remember("old", "new"))
    assert _rows(found) == 2  # the expired one is deleted by the write
    assert Dispatch.from_store(found, "old").state == again.state
    found.close()
    reopened = open_store(url, idempotency_hours=1, clock=clock)  # opening twice changes nothing
    assert len(inspect(reopened.engine).get_indexes("matcher_requests")) == 1
    reopened.close()


# --- through the application ----------------------------------------------------------------------


def test_the_service_replays_within_the_retention_and_makes_a_retry_after_it_anew(
    clock: Clock,
) -> None:
    problem = json.loads(matcher.synth.shanxi(seed=1, n_needs=30, n_orgs=8).to_json())
    local = Local(Config(database="sqlite://", idempotency_hours=1), clock)
    key = {"Idempotency-Key": "create-a"}
    made = local.post("/dispatches", json={"id": "a", "problem": problem}, headers=key)
    assert made.status_code == 201
    proposed = local.post("/dispatches/a/propose", headers={"Idempotency-Key": "round-1"})
    assert proposed.status_code == 200
    clock.advance(timedelta(minutes=59))
    again = local.post("/dispatches/a/propose", headers={"Idempotency-Key": "round-1"})
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == proposed.json()
    replay = local.post("/dispatches", json={"id": "a", "problem": problem}, headers=key)
    assert (replay.status_code, replay.json()) == (201, made.json())
    clock.advance(timedelta(minutes=2))
    # an hour on, the keys are forgotten: each request is made again
    late = local.post("/dispatches/a/propose", headers={"Idempotency-Key": "round-1"})
    assert late.status_code == 200 and "idempotent-replayed" not in late.headers
    first, made_again = proposed.json(), late.json()
    assert first["changed"] and not made_again["changed"]  # solved again: nothing left to change
    assert made_again["first_seq"] == first["next_seq"]
    replayed = local.post("/dispatches/a/propose", headers={"Idempotency-Key": "round-1"})
    assert replayed.json() == late.json()  # and remembered afresh
    twice = local.post("/dispatches", json={"id": "a", "problem": problem}, headers=key)
    assert (twice.status_code, twice.json()["error"]) == (409, "dispatch_exists")
    local.close()
