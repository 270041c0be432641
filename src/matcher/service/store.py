"""The event store: each dispatch's log kept in a database, append-only, safe for many writers.

Three tables hold everything (SQLAlchemy Core, so that SQLite and PostgreSQL share one code path):

======================== =====================================================================
table                    rows
======================== =====================================================================
``matcher_dispatches``   one per dispatch: its id and its header, the dispatch document
                         (:meth:`~matcher.dispatch.Dispatch.to_json`) without the events, so the
                         problem is stored once
``matcher_events``       one per event: dispatch id, sequence number (unique per dispatch, the
                         primary key with the id), kind, the event as JSON, when it was recorded
``matcher_requests``     one per write that carried an idempotency key: the key, a digest of
                         the request and the answer given, written in the same transaction,
                         when (indexed, for expiry)
======================== =====================================================================

Dispatches and events are only ever inserted. A write says where it expects the log to stand
(the sequence number of its first event): the database's unique key lets exactly one of two
writers that expect the same number through, and the other gets :class:`StaleSequenceError` with
the current number (optimistic concurrency). A transaction holds a write's events and its
request row, so a write is recorded whole or not at all, and a committed one survives the process
being killed.

Idempotency records expire when the store is given a retention (``idempotency_hours``; the
service keeps them a day): a record as old as that is no longer found, so a retry after it is a
new request, and the store deletes it in the transaction of a later write. Each write deletes
the expired record under its own key, if any; and at most every :data:`SWEEP_EVERY` per store, a
write deletes up to :data:`SWEEP_ROWS` expired records, oldest first, through the index on their
time (another batch at the next write while a full one was found). Rows another transaction holds
are skipped (PostgreSQL's ``SKIP LOCKED``), so that two writers sweeping at once never wait for
each other; SQLite's writers take turns. The time comes from the store's clock: bookkeeping only,
it never changes a plan.

A database made before the index existed is given it when opened
(``CREATE INDEX IF NOT EXISTS``); the tables are unchanged, so an earlier version still reads it.

SQLite is the embedded default (a file path; WAL mode, ``synchronous=FULL``, writers take the
lock when they begin); PostgreSQL comes by URL (``postgresql://user@host/db``, driven by psycopg 3).

Examples
--------
>>> import matcher
>>> from matcher.dispatch import Dispatch
>>> from matcher.service import open_store
>>> store = open_store("sqlite://")  # in memory; give a file path to keep it
>>> dispatch = Dispatch(matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12))
>>> store.create("d1", dispatch)
>>> recorded = dispatch.propose().offers
>>> store.append("d1", dispatch.events) == len(dispatch.events)
True
>>> store.next_seq("d1") == len(dispatch.events)
True
>>> Dispatch.from_store(store, "d1").state == dispatch.state
True
>>> try:
...     store.append("d1", dispatch.events[:1])  # a writer that missed the round
... except StaleSequenceError as error:
...     error.current == len(dispatch.events)
True
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex

from ..dispatch.events import Event, parse_event
from ..errors import MatcherError, OptionError, echo

if TYPE_CHECKING:
    from ..dispatch import Dispatch

__all__ = [
    "DispatchExistsError",
    "DuplicateRequestError",
    "EventStore",
    "Remembered",
    "StaleSequenceError",
    "StoreError",
    "UnknownDispatchError",
    "open_store",
    "retention",
]

#: Longest dispatch id and idempotency key the store keeps.
MAX_ID = 200

#: Hours a server keeps an idempotency record by default: a day, as payment APIs keep their keys.
IDEMPOTENCY_HOURS = 24.0

#: How often a store deletes expired idempotency records (in the transaction of a write) ...
SWEEP_EVERY = timedelta(minutes=5)
#: ... and how many at most at a time.
SWEEP_ROWS = 1000

#: The clock a store reads: an aware :class:`~datetime.datetime` (any zone; kept in UTC).
Clock = Callable[[], datetime]

_metadata = MetaData()
_dispatches = Table(
    "matcher_dispatches",
    _metadata,
    Column("id", String(MAX_ID), primary_key=True),
    Column("header", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
_events = Table(
    "matcher_events",
    _metadata,
    Column("dispatch_id", String(MAX_ID), ForeignKey(_dispatches.c.id), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
_requests = Table(
    "matcher_requests",
    _metadata,
    Column("scope", String(MAX_ID), primary_key=True),
    Column("key", String(MAX_ID), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
_requests_by_age = Index("matcher_requests_recorded_at", _requests.c.recorded_at)


class StoreError(MatcherError):
    """A write the store refuses; nothing was recorded."""


class UnknownDispatchError(StoreError, KeyError):
    """No dispatch has this id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DispatchExistsError(StoreError):
    """A dispatch with this id is already stored."""


class StaleSequenceError(StoreError):
    """The log no longer stands where the writer expected: :attr:`current` is the next number."""

    def __init__(self, dispatch_id: str, expected: int, current: int) -> None:
        self.expected, self.current = expected, current
        super().__init__(
            f"dispatch {echo(dispatch_id)} is at event #{current}, not #{expected}: read it "
            "again and retry"
        )


class DuplicateRequestError(StoreError):
    """Another write with the same idempotency key was recorded first."""


@dataclass(frozen=True)
class Remembered:
    """A write recorded under an idempotency key: the request's digest and the answer given.

    ``scope`` is the dispatch id (empty for the creation of a dispatch).
    """

    scope: str
    key: str
    digest: str
    status: int
    answer: str


class EventStore:
    """Dispatch logs in a database (see the module notes); open one with :func:`open_store`.

    Every method is safe to call from many threads, and from many processes on one database.

    Parameters
    ----------
    engine
        The database.
    idempotency_hours
        How long an idempotency record is kept (see the module notes); ``None`` or infinity:
        for ever.
    clock
        The time of a write and of an expiry (default: the system's clock, in UTC).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        idempotency_hours: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.kept = retention(idempotency_hours)
        self._clock = clock or _system_clock
        self._sweep_guard = threading.Lock()
        self._next_sweep: datetime | None = None  # None: the next write sweeps
        _metadata.create_all(engine)
        _add_index(engine, _requests_by_age)

    @property
    def url(self) -> str:
        """The database's URL, without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close every connection (the store cannot be used afterwards)."""
        self.engine.dispose()

    # --- writes -------------------------------------------------------------------------------

    def create(
        self, dispatch_id: str, dispatch: Dispatch | str, request: Remembered | None = None
    ) -> None:
        """Store a new dispatch: its problem and options (and its events, when it has any).

        Parameters
        ----------
        dispatch_id
            Its id: 1 to 200 characters.
        dispatch
            The dispatch, or its header (its document without ``events``, as JSON text).
        request
            The idempotency record to keep with it.

        Raises
        ------
        DispatchExistsError
            When the id is taken.
        DuplicateRequestError
            When the request's key was recorded first by another write.
        """
        _check_id(dispatch_id)
        events: Sequence[Event] = ()
        if isinstance(dispatch, str):
            header = dispatch
        else:
            document = json.loads(dispatch.to_json())
            document.pop("events")
            header, events = json.dumps(document, ensure_ascii=False), dispatch.events
        now = self._now()
        try:
            with self._writing() as connection:
                self._expire(connection, request, now)
                connection.execute(
                    insert(_dispatches).values(id=dispatch_id, header=header, created_at=now)
                )
                self._insert(connection, dispatch_id, events, request, now)
        except IntegrityError:
            if request is not None and self.remembered(request.scope, request.key) is not None:
                raise DuplicateRequestError(f"request {echo(request.key)} is recorded") from None
            raise DispatchExistsError(f"dispatch {echo(dispatch_id)} exists") from None

    def append(
        self,
        dispatch_id: str,
        events: Sequence[Event],
        request: Remembered | None = None,
        *,
        expected: int | None = None,
    ) -> int:
        """Append events to a dispatch's log, all or none, where the writer expects the log to end.

        Parameters
        ----------
        dispatch_id
            The dispatch.
        events
            Events numbered from the sequence number the writer expects next; events the log
            already holds (numbers below ``expected``) are skipped, so that a dispatch's whole
            ``events`` can be given.
        request
            The idempotency record to keep with them.
        expected
            The number the writer expects next (default: the first event's).

        Returns
        -------
        int
            The next sequence number after the write.

        Raises
        ------
        StaleSequenceError
            When the log does not end where expected (another writer came first).
        UnknownDispatchError
            When there is no such dispatch.
        DuplicateRequestError
            When the request's key was recorded first by another write.
        """
        if expected is None:
            expected = events[0].seq if events else self.next_seq(dispatch_id)
        events = [e for e in events if e.seq >= expected]
        if any(e.seq != expected + i for i, e in enumerate(events)):
            raise StoreError("the events to append must be numbered without a gap")
        now = self._now()
        try:
            with self._writing() as connection:
                self._expire(connection, request, now)
                current = self._next_seq(connection, dispatch_id)
                if current != expected:
                    raise StaleSequenceError(dispatch_id, expected, current)
                self._insert(connection, dispatch_id, events, request, now)
        except IntegrityError:
            if request is not None and self.remembered(request.scope, request.key) is not None:
                raise DuplicateRequestError(f"request {echo(request.key)} is recorded") from None
            raise StaleSequenceError(dispatch_id, expected, self.next_seq(dispatch_id)) from None
        return expected + len(events)

    # --- reads --------------------------------------------------------------------------------

    def header(self, dispatch_id: str) -> str:
        """The dispatch's document without its events (JSON text)."""
        with self.engine.connect() as connection:
            return _header(connection, dispatch_id)

    def document(self, dispatch_id: str) -> str:
        """The whole dispatch document, events included, as :meth:`Dispatch.from_json` reads it."""
        with self.engine.connect() as connection:
            header = _header(connection, dispatch_id)
            bodies = connection.execute(
                select(_events.c.body)
                .where(_events.c.dispatch_id == dispatch_id)
                .order_by(_events.c.seq)
            ).scalars()
            events = ",".join(bodies)
        head = header.rstrip()
        return f'{head[:-1]}, "events": [{events}]}}'

    def events(self, dispatch_id: str, after: int = -1, limit: int | None = None) -> list[Event]:
        """The dispatch's events numbered above ``after``, in order, at most ``limit`` of them."""
        return [parse_event(json.loads(body)) for body in self.bodies(dispatch_id, after, limit)]

    def bodies(self, dispatch_id: str, after: int = -1, limit: int | None = None) -> list[str]:
        """As :meth:`events`, the events as their JSON text."""
        query = (
            select(_events.c.body)
            .where(_events.c.dispatch_id == dispatch_id, _events.c.seq > after)
            .order_by(_events.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            found = list(connection.execute(query).scalars())
            if not found and not self._exists(connection, dispatch_id):
                raise UnknownDispatchError(f"no dispatch {echo(dispatch_id)}")
        return found

    def next_seq(self, dispatch_id: str) -> int:
        """The sequence number the dispatch's next event takes (its number of events)."""
        with self.engine.connect() as connection:
            if not self._exists(connection, dispatch_id):
                raise UnknownDispatchError(f"no dispatch {echo(dispatch_id)}")
            return self._next_seq(connection, dispatch_id)

    def dispatch_ids(self) -> list[str]:
        """Every stored dispatch's id, sorted."""
        with self.engine.connect() as connection:
            ids = connection.execute(select(_dispatches.c.id).order_by(_dispatches.c.id))
            return [str(i) for i in ids.scalars()]

    def remembered(self, scope: str, key: str) -> Remembered | None:
        """The write recorded under an idempotency key, if any and not expired."""
        columns = (_requests.c.digest, _requests.c.status, _requests.c.answer)
        query = select(*columns).where(_requests.c.scope == scope, _requests.c.key == key)
        cutoff = self._cutoff(self._now())
        if cutoff is not None:
            query = query.where(_requests.c.recorded_at > cutoff)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else Remembered(scope, key, row[0], int(row[1]), row[2])

    def expire(self) -> int:
        """Delete the expired idempotency records now, every one; how many there were.

        Writes delete them in batches as they go (see the module notes): this is for a store
        that is not written to, or a maintenance job.
        """
        deleted = 0
        cutoff = self._cutoff(self._now())
        while cutoff is not None:
            with self._writing() as connection:
                found = self._sweep(connection, cutoff)
            deleted += found
            if found < SWEEP_ROWS:
                break
        return deleted

    # --- internals ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _cutoff(self, now: datetime) -> datetime | None:
        """The time at and before which idempotency records have expired (``None``: never)."""
        if self.kept is None:
            return None
        try:
            return now - self.kept
        except OverflowError:  # a retention that reaches before the year 1
            return None

    def _expire(self, connection: Connection, request: Remembered | None, now: datetime) -> None:
        """In a write's transaction, before it writes: delete the expired record under the
        request's key, so that the key can be recorded again, and sweep when it is time."""
        cutoff = self._cutoff(now)
        if cutoff is None:
            return
        if request is not None:
            connection.execute(
                delete(_requests).where(
                    _requests.c.scope == request.scope,
                    _requests.c.key == request.key,
                    _requests.c.recorded_at <= cutoff,
                )
            )
        if self._sweep_due(now) and self._sweep(connection, cutoff) == SWEEP_ROWS:
            with self._sweep_guard:
                self._next_sweep = None  # more are left: the next write sweeps again

    def _sweep_due(self, now: datetime) -> bool:
        """Whether this write sweeps (then the next sweep is due :data:`SWEEP_EVERY` later).

        A clock set back by more than that makes a sweep due at once.
        """
        with self._sweep_guard:
            due = self._next_sweep
            if due is not None and now < due <= now + SWEEP_EVERY:
                return False
            self._next_sweep = now + SWEEP_EVERY
            return True

    @staticmethod
    def _sweep(connection: Connection, cutoff: datetime) -> int:
        """Delete up to :data:`SWEEP_ROWS` records made at ``cutoff`` or before, oldest first,
        skipping rows another transaction holds; how many were deleted."""
        key = tuple_(_requests.c.scope, _requests.c.key)
        oldest = (
            select(_requests.c.scope, _requests.c.key)
            .where(_requests.c.recorded_at <= cutoff)
            .order_by(_requests.c.recorded_at)
            .limit(SWEEP_ROWS)
            .with_for_update(skip_locked=True)
        )
        return int(connection.execute(delete(_requests).where(key.in_(oldest))).rowcount)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(matcher_write=True)
            with connection.begin():
                yield connection

    @staticmethod
    def _exists(connection: Connection, dispatch_id: str) -> bool:
        found = connection.execute(
            select(_dispatches.c.id).where(_dispatches.c.id == dispatch_id)
        ).first()
        return found is not None

    def _next_seq(self, connection: Connection, dispatch_id: str) -> int:
        last = connection.execute(
            select(func.max(_events.c.seq)).where(_events.c.dispatch_id == dispatch_id)
        ).scalar()
        if last is None and not self._exists(connection, dispatch_id):
            raise UnknownDispatchError(f"no dispatch {echo(dispatch_id)}")
        return 0 if last is None else int(last) + 1

    @staticmethod
    def _insert(
        connection: Connection,
        dispatch_id: str,
        events: Sequence[Event],
        request: Remembered | None,
        now: datetime,
    ) -> None:
        if events:
            rows: list[dict[str, Any]] = [
                {
                    "dispatch_id": dispatch_id,
                    "seq": e.seq,
                    "kind": e.kind,
                    "body": e.model_dump_json(),
                    "recorded_at": now,
                }
                for e in events
            ]
            connection.execute(insert(_events), rows)
        if request is not None:
            connection.execute(
                insert(_requests).values(
                    scope=request.scope,
                    key=request.key,
                    digest=request.digest,
                    status=request.status,
                    answer=request.answer,
                    recorded_at=now,
                )
            )


def open_store(
    url: str, *, idempotency_hours: float | None = None, clock: Clock | None = None
) -> EventStore:
    """Open (and create when new) the event store at a file path or a database URL.

    Parameters
    ----------
    url
        A file path (SQLite), ``sqlite:///path``, ``sqlite://`` (in memory, for tests) or
        ``postgresql://user:password@host:port/db`` (psycopg 3).
    idempotency_hours
        How long idempotency records are kept (default: for ever; the service gives its
        ``--idempotency-hours``, a day unless told).
    clock
        The time of writes and expiries (default: the system's clock).

    Raises
    ------
    OptionError
        When the URL names a database the store does not speak, or the retention is not a
        number of hours above 0.
    """
    if "://" not in url:
        url = f"sqlite:///{url}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30.0},
            poolclass=StaticPool if memory else None,
        )
        _sqlite_settings(engine)
    elif url.startswith(("postgresql", "mysql")):
        engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    else:
        raise OptionError.of("error.store_url", url=echo(url))
    return EventStore(engine, idempotency_hours=idempotency_hours, clock=clock)


def retention(hours: float | None) -> timedelta | None:
    """How long idempotency records are kept, from a number of hours (``None``: for ever).

    Raises
    ------
    OptionError
        When ``hours`` is not a number above 0.

    Examples
    --------
    >>> retention(24), retention(float("inf")), retention(None)
    (datetime.timedelta(days=1), None, None)
    """
    if hours is None:
        return None
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not hours > 0:
        raise OptionError.of("serve.idempotency_hours", value=echo(hours))
    try:
        return None if math.isinf(hours) else timedelta(hours=hours)
    except OverflowError:  # longer than dates reach: for ever
        return None


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _add_index(engine: Engine, index: Index) -> None:
    """Create ``index`` unless the database has it (a database made before it existed)."""
    try:
        with engine.begin() as connection:
            connection.execute(CreateIndex(index, if_not_exists=True))
    except DBAPIError:  # pragma: no cover - another process created it at the same moment
        table = index.table
        assert table is not None
        if index.name not in {found["name"] for found in inspect(engine).get_indexes(table.name)}:
            raise


def _sqlite_settings(engine: Engine) -> None:
    """WAL, full sync on commit, foreign keys; a write takes the lock as it begins, so that two
    writers queue instead of failing when the second finds the first's snapshot stale."""

    @event.listens_for(engine, "connect")
    def connect(connection: Any, record: Any) -> None:
        connection.isolation_level = None  # transactions begin where ``begin`` below says
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get("matcher_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _check_id(dispatch_id: str) -> None:
    if not isinstance(dispatch_id, str) or not 0 < len(dispatch_id) <= MAX_ID:
        raise StoreError(f"a dispatch id is 1 to {MAX_ID} characters, not {echo(dispatch_id)}")


def _header(connection: Connection, dispatch_id: str) -> str:
    """The dispatch's document without its events, read on ``connection``."""
    header = connection.execute(
        select(_dispatches.c.header).where(_dispatches.c.id == dispatch_id)
    ).scalar()
    if header is None:
        raise UnknownDispatchError(f"no dispatch {echo(dispatch_id)}")
    return str(header)
