"""The HTTP application: matcher's problems, plans and dispatches as JSON over HTTP (FastAPI).

=========================================================  =========================================
endpoint                                                   what
=========================================================  =========================================
``GET /health``                                            the service and its store answer
``POST /validate``                                         a problem: 200 with its size, or 422 with
                                                           every issue and its path
``POST /solve``                                            a problem and solver options: the plan
                                                           (``explain=none|unmet|all``)
``POST /dispatches``                                       a problem: a new dispatch, 201
``POST /dispatches/{id}/propose``                          solve the round, record the offers
``POST /dispatches/{id}/events``                           accept, decline, withdraw, start,
                                                           complete, rate, cancel
``GET /dispatches/{id}``                                   the state
``GET /dispatches/{id}/events?after=N&limit=M``            the log, paged
``GET /dispatches/{id}/needs/{need_id}/explanation``       why the round's plan sends a need where
                                                           it does
=========================================================  =========================================

Writes to a dispatch take ``expected_seq`` (409 with ``current_seq`` when stale) and an
``Idempotency-Key`` header: the same key with the same request gives the first answer and records
nothing; with another request, 422. A key is kept ``Config.idempotency_hours`` (a day): a retry
after that is a new request. Every refusal is a JSON :class:`~.schemas.ErrorBody`, titled
in the language of ``Accept-Language`` (zh or en). Solves run in a bounded pool off the event loop;
a body over the size limit gets 413, work over the time limit 503.

Examples
--------
>>> from matcher.service.app import Config, create_app
>>> app = create_app(Config(database="sqlite://"))
>>> sorted(path for path in app.openapi()["paths"])[:3]
['/dispatches', '/dispatches/{dispatch_id}', '/dispatches/{dispatch_id}/events']
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import pydantic
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException

from ..dispatch import Dispatch, DispatchState
from ..dispatch import ratings as rating_scale
from ..dispatch.errors import TransitionError, UnknownIdError
from ..errors import Issue, MatcherError, OptionError, ProblemError, SolverError, echo
from ..models import Problem
from ..models.document import _field_issues
from ..models.limits import parse_json
from ..models.vocab import Language
from . import schemas
from .guards import BodyLimit, Pool, ServiceError, Ticket
from .language import negotiate, status_label, title
from .registry import PLANS, Registry
from .store import (
    IDEMPOTENCY_HOURS,
    MAX_ID,
    Clock,
    DispatchExistsError,
    DuplicateRequestError,
    EventStore,
    Remembered,
    StaleSequenceError,
    UnknownDispatchError,
    open_store,
    retention,
)

if TYPE_CHECKING:
    from ..plan.solution import Solution

__all__ = ["Config", "create_app"]

#: Events a page of ``GET /dispatches/{id}/events`` holds at most.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Config:
    """How a server runs.

    Attributes
    ----------
    database
        A file path (SQLite) or a database URL (see :func:`~matcher.service.open_store`).
    max_bytes
        Largest request body; a larger one gets 413.
    seconds
        Time limit of a request's work; over it, 503 (a solve's ``time_limit`` is cut to it).
    threads, queue
        Solves that run at once, and that may wait; one more gets 503 ``busy``.
    plans
        Dispatches whose round plan, with its prepared explainer, is kept for explanations
        until their next event; the least recently explained is dropped first. 0 keeps none:
        every explanation solves its round.
    idempotency_hours
        How long a write's idempotency record is kept: a retry within it gets the first answer,
        one after it is a new request (infinity: for ever).

    Raises
    ------
    OptionError
        When ``plans`` is not a whole number, 0 or more, or ``idempotency_hours`` not a number
        above 0.
    """

    database: str = "matcher-service.sqlite"
    max_bytes: int = 32 * 2**20
    seconds: float = 60.0
    threads: int = 2
    queue: int = 16
    plans: int = PLANS
    idempotency_hours: float = IDEMPOTENCY_HOURS

    def __post_init__(self) -> None:
        plans, hours = self.plans, self.idempotency_hours
        if isinstance(plans, bool) or not isinstance(plans, int) or plans < 0:
            raise OptionError.of("serve.kept_plans", value=echo(plans))
        if hours is None:  # the store's "for ever" is infinity here
            raise OptionError.of("serve.idempotency_hours", value=echo(hours))
        retention(hours)


def create_app(config: Config, *, clock: Clock | None = None) -> FastAPI:
    """The application over the store ``config.database`` (opened when it starts serving).

    ``clock`` is the store's (see :class:`~matcher.service.EventStore`): the system's by default.
    """
    app = FastAPI(
        title="matcher",
        version=_version(),
        summary="Match social organizations to rural-revitalization needs, and run the dispatch.",
        lifespan=_lifespan,
    )
    app.state.matcher = _Shared(config, clock)
    _errors(app)
    app.include_router(_routes)
    app.openapi = functools.partial(_openapi, app)  # type: ignore[method-assign]
    app.add_middleware(
        BodyLimit,
        limit=config.max_bytes,
        title=lambda header: title("too_large", negotiate(header)),
    )
    return app


@dataclass
class _Shared:
    """What every route of one application reads: its settings, its registry and its pool.

    The lifespan opens the store; an application called without it (a test client outside
    ``with``) opens it at its first request.
    """

    config: Config
    clock: Clock | None = None
    opened: tuple[Registry, Pool] | None = None

    def open(self) -> EventStore:
        """Open the store, and the registry and pool over it; the store is returned to close."""
        config = self.config
        store = open_store(
            config.database, idempotency_hours=config.idempotency_hours, clock=self.clock
        )
        self.opened = (
            Registry(store, config.plans),
            Pool(config.threads, config.queue, config.seconds),
        )
        return store

    @property
    def registry(self) -> Registry:
        """The dispatches, through the store."""
        return self._opened()[0]

    @property
    def pool(self) -> Pool:
        """The bounded pool requests run their work in."""
        return self._opened()[1]

    def _opened(self) -> tuple[Registry, Pool]:
        if self.opened is None:  # the application is not serving (no lifespan)
            self.open()
        assert self.opened is not None
        return self.opened


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the store while the application serves, and close it and the pool after."""
    shared: _Shared = app.state.matcher
    store = shared.open()
    try:
        yield
    finally:
        shared.pool.close()
        store.close()


def _shared(request: Request) -> _Shared:
    """The state of the application the request came to."""
    shared: _Shared = request.app.state.matcher
    return shared


# --- routes ---------------------------------------------------------------------------------------

_routes = APIRouter()

#: Models the routes read themselves (not through a parameter): their schemas join the document.
_documented: list[type[pydantic.BaseModel]] = []


def _body(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads ``model`` itself."""
    _documented.append(model)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


_refusals: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorBody, "description": text}
    for code, text in {
        400: "malformed JSON",
        404: "unknown dispatch, need or organization",
        409: "stale sequence number, impossible transition or existing id",
        413: "body over the size limit",
        422: "invalid input, every issue with its path",
        503: "over the time limit, or busy",
    }.items()
}


@_routes.get("/health", response_model=schemas.Health)
async def health(request: Request) -> schemas.Health:
    """The service answers and its store is reachable."""
    shared = _shared(request)
    store = shared.registry.store
    await shared.pool.run(lambda ticket: store.dispatch_ids(), solve=False)
    return schemas.Health(status="ok", version=_version(), database=store.engine.dialect.name)


@_routes.post(
    "/validate",
    response_model=schemas.ValidateResponse,
    responses=_refusals,
    openapi_extra=_body(Problem),
)
async def validate(request: Request) -> schemas.ValidateResponse:
    """Check a problem document: its size, or 422 with every issue and its path."""
    data = await _json(request)

    def work(ticket: Ticket) -> schemas.ValidateResponse:
        from ..pairs.table import build_candidates, pinned_rows

        problem = Problem.model_validate(data)
        table = build_candidates(problem)
        pinned_rows(problem, table)
        return schemas.ValidateResponse(
            issues=[],
            regions=len(problem.regions),
            organizations=len(problem.organizations),
            needs=len(problem.needs),
            candidate_pairs=len(table),
        )

    return await _shared(request).pool.run(work, solve=True)


@_routes.post(
    "/solve",
    response_model=schemas.SolveResponse,
    responses=_refusals,
    openapi_extra=_body(schemas.SolveRequest),
)
async def solve(request: Request) -> Response:
    """Solve a problem with :func:`matcher.solve`: the plan, and explanations when asked."""
    data = await _json(request)
    language = _language(request)
    pool = _shared(request).pool
    seconds = pool.seconds

    def work(ticket: Ticket) -> Response:
        from ..solving import solve

        asked = _read(schemas.SolveRequest, data)
        solution = solve(
            asked.problem,
            asked.solver,
            time_limit=min(asked.time_limit, seconds),
            seed=asked.seed,
        )
        texts = _explanations(asked, solution, language)
        text = (
            f'{{"plan": {solution.to_json()}, '
            f'"explanations": {json.dumps(texts, ensure_ascii=False)}}}'
        )
        return Response(text, media_type="application/json")

    return await pool.run(work, solve=True)


def _explanations(
    asked: schemas.SolveRequest, solution: Solution, language: Language
) -> list[dict[str, str]]:
    """The explanations a solve request asks for (``explain``), as need id and text."""
    if asked.explain == "none":
        return []
    from ..explain import explanations

    table = explanations(asked.problem, solution, language)
    if asked.explain == "unmet":
        table = table[table["status"] == "unmet"]
    return [
        {"need_id": n, "text": t}
        for n, t in zip(table["need_id"], table[f"text_{language}"], strict=True)
    ]


@_routes.post(
    "/dispatches",
    status_code=201,
    response_model=schemas.Created,
    responses=_refusals,
    openapi_extra=_body(schemas.CreateDispatch),
)
async def create_dispatch(request: Request) -> Response:
    """Start a dispatch over a problem; its id is given or made up."""
    raw = await request.body()
    data = _parse(raw)
    key = _key(request)
    digest = _digest(request, raw)
    shared = _shared(request)
    registry = shared.registry
    store = registry.store

    def work(ticket: Ticket) -> Response:
        replay = _replay(store, "", key, digest)
        if replay is not None:
            return replay
        asked = _read(schemas.CreateDispatch, data)
        dispatch_id = asked.id or uuid.uuid4().hex
        dispatch = Dispatch(
            asked.problem,
            disruption_cost=asked.disruption_cost,
            acceptance_aware=asked.acceptance_aware,
        )
        answer = schemas.Created(
            id=dispatch_id,
            next_seq=0,
            needs=len(dispatch.problem.needs),
            organizations=len(dispatch.problem.organizations),
        ).model_dump_json()
        remember = None if key is None else Remembered("", key, digest, 201, answer)
        registry.create(dispatch_id, dispatch, remember, ticket)
        return Response(answer, status_code=201, media_type="application/json")

    try:
        return await shared.pool.run(work, solve=True)
    except DuplicateRequestError:  # another request recorded the key first
        return await shared.pool.run(
            lambda ticket: _replay(store, "", key, digest) or _gone(), solve=False
        )


@_routes.post(
    "/dispatches/{dispatch_id}/propose",
    response_model=schemas.ProposeResponse,
    responses=_refusals,
    openapi_extra=_body(schemas.ProposeRequest),
)
async def propose(dispatch_id: str, request: Request) -> Response:
    """Solve the round from the current state and record its offers (all or none)."""
    raw = await request.body()
    data = _parse(raw) if raw.strip() else {}
    asked = _read(schemas.ProposeRequest, data)
    seconds = _shared(request).pool.seconds

    def command(dispatch: Dispatch) -> Any:
        return dispatch.propose(
            solver=asked.solver, time_limit=min(asked.time_limit, seconds), seed=asked.seed
        )

    change = _Change(dispatch_id, asked.expected_seq, command, _proposed, solve=True)
    return await _write(request, raw, change)


def _proposed(proposal: Any, first: int, after: int) -> tuple[int, str]:
    """The answer to ``propose``: the round's offers and withdrawals, and the sequence numbers."""
    return 200, schemas.ProposeResponse(
        round=proposal.round,
        changed=proposal.changed,
        offers=[
            schemas.OfferBody(
                need_id=o.need_id, org_id=o.org_id, score=o.score, probability=o.probability
            )
            for o in proposal.offers
        ],
        withdrawn=[(w.need_id, w.org_id) for w in proposal.withdrawn],
        objective=proposal.objective,
        keep_objective=proposal.keep_objective,
        expected_acceptances=proposal.expected_acceptances,
        method=proposal.method,
        first_seq=first,
        next_seq=after,
    ).model_dump_json()


@_routes.post(
    "/dispatches/{dispatch_id}/events",
    response_model=schemas.EventResponse,
    responses=_refusals,
    openapi_extra=_body(schemas.EventRequest),
)
async def record(dispatch_id: str, request: Request) -> Response:
    """Record what happened: an answer to an offer, a step of a project, a cancellation."""
    raw = await request.body()
    asked = _read(schemas.EventRequest, _parse(raw))
    command = _command(asked)
    change = _Change(dispatch_id, asked.expected_seq, command, _recorded, solve=False)
    return await _write(request, raw, change)


def _recorded(event: Any, first: int, after: int) -> tuple[int, str]:
    """The answer to an event: the event as recorded, and the next sequence number."""
    return 200, f'{{"event": {event.model_dump_json()}, "next_seq": {after}}}'


@_routes.get("/dispatches/{dispatch_id}", response_model=schemas.StateResponse, responses=_refusals)
async def dispatch_state(dispatch_id: str, request: Request) -> Response:
    """Where every need and every offer stands."""
    language = _language(request)
    shared = _shared(request)
    found = shared.registry

    def work(ticket: Ticket) -> Response:
        dispatch_state = found.state(dispatch_id)
        view = state_view(dispatch_id, dispatch_state, language)
        return Response(view.model_dump_json(), media_type="application/json")

    return await shared.pool.run(work, solve=False)


@_routes.get(
    "/dispatches/{dispatch_id}/events",
    response_model=schemas.EventsPage,
    responses=_refusals,
)
async def events(
    dispatch_id: str,
    request: Request,
    after: int = Query(-1, ge=-1, description="the last sequence number already read"),
    limit: int = Query(1000, ge=1, le=MAX_PAGE, description="the most events to return"),
) -> Response:
    """The dispatch's events numbered above ``after``, in order."""
    shared = _shared(request)
    store = shared.registry.store

    def work(ticket: Ticket) -> Response:
        bodies = store.bodies(dispatch_id, after, limit)
        current = store.next_seq(dispatch_id)
        text = f'{{"events": [{",".join(bodies)}], "next_seq": {current}}}'
        return Response(text, media_type="application/json")

    return await shared.pool.run(work, solve=False)


@_routes.get(
    "/dispatches/{dispatch_id}/needs/{need_id}/explanation",
    response_model=schemas.ExplanationResponse,
    responses=_refusals,
)
async def explanation(dispatch_id: str, need_id: str, request: Request) -> Response:
    """Why the plan the round would make now sends the need where it does, or nowhere.

    The plan is made once per state of the dispatch's log, by the first request that asks, and
    kept with its prepared explainer until the next event (see :class:`~.registry.RoundPlans`).
    """
    language = _language(request)
    shared = _shared(request)
    found = shared.registry

    def work(ticket: Ticket) -> Response:
        plan = found.round_plan(dispatch_id, lambda d: _known_need(d, need_id))
        text = plan.explainer.explain(need_id, language)
        reply = schemas.ExplanationResponse(need_id=need_id, org_id=text.org_id, text=text.text)
        return Response(reply.model_dump_json(), media_type="application/json")

    return await shared.pool.run(work, solve=True)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the schemas of the bodies the routes read themselves."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        document = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        _, shared = models_json_schema(
            [(model, "validation") for model in _documented],
            ref_template="#/components/schemas/{model}",
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in shared.get("$defs", {}).items():
            components.setdefault(name, schema)
        app.openapi_schema = document
    return app.openapi_schema


# --- writes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    """A write to one dispatch.

    Attributes
    ----------
    dispatch_id, expected
        The dispatch, and the sequence number the request expects it at (``None``: any).
    command
        What the write does to the dispatch; its result goes to ``answer``.
    answer
        The status and JSON body, from the result and the first and next sequence numbers.
    solve
        Whether the work solves (and so takes a solver's place in the pool).
    """

    dispatch_id: str
    expected: int | None
    command: Callable[[Dispatch], Any]
    answer: Callable[[Any, int, int], tuple[int, str]]
    solve: bool


async def _write(request: Request, raw: bytes, change: _Change) -> Response:
    """Make ``change`` once: a replay of the first answer when its idempotency key was seen."""
    key = _key(request)
    digest = _digest(request, raw)
    shared = _shared(request)
    registry = shared.registry
    store = registry.store
    dispatch_id = change.dispatch_id

    def remember(status: int, body: str) -> Remembered:
        assert key is not None
        return Remembered(dispatch_id, key, digest, status, body)

    def replay() -> Response | None:
        return _replay(store, dispatch_id, key, digest)

    def work(ticket: Ticket) -> Response:
        found = registry.write(
            dispatch_id,
            change.expected,
            change.command,
            change.answer,
            remember if key else None,
            replay,
            ticket,
        )
        if isinstance(found, Response):
            return found
        status, text = found
        return Response(text, status_code=status, media_type="application/json")

    try:
        return await shared.pool.run(work, solve=change.solve)
    except DuplicateRequestError:  # another process recorded the key first
        return await shared.pool.run(lambda ticket: replay() or _gone(), solve=False)


def _key(request: Request) -> str | None:
    """The request's idempotency key, if any."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_ID:
        raise ServiceError(422, "invalid", f"an Idempotency-Key is 1 to {MAX_ID} characters")
    return key


def _replay(store: EventStore, scope: str, key: str | None, digest: str) -> Response | None:
    """The first answer to a request with this idempotency key (422 if it was another request)."""
    if key is None:
        return None
    found = store.remembered(scope, key)
    if found is None:
        return None
    if found.digest != digest:
        raise ServiceError(
            422, "idempotency_mismatch", f"the key {key!r} was used for another request"
        )
    return Response(
        found.answer,
        status_code=found.status,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _gone() -> Response:  # pragma: no cover - a key recorded, then not found again
    raise ServiceError(409, "idempotency_mismatch", "the request was recorded by another write")


def _digest(request: Request, raw: bytes) -> str:
    text = f"{request.method} {request.url.path}\n".encode() + raw
    return hashlib.sha256(text).hexdigest()


def _command(asked: schemas.EventRequest) -> Callable[[Dispatch], Any]:
    """The dispatch command of an event request."""
    need, org = asked.need_id, asked.org_id
    paired = asked.kind in ("accept", "decline", "withdraw")
    if paired and org is None:
        raise ProblemError([Issue("org_id", f"required field is missing for {asked.kind}")])
    if not paired and org is not None:
        raise ProblemError([Issue("org_id", f"not a field of {asked.kind}")])
    if asked.kind == "rate" and asked.stars is None:
        raise ProblemError([Issue("stars", "required field is missing for rate")])
    commands: dict[str, Callable[[Dispatch], Any]] = {
        "accept": lambda d: d.accept(need, org or ""),
        "decline": lambda d: d.decline(need, org or "", asked.reason),
        "withdraw": lambda d: d.withdraw(need, org or "", asked.reason),
        "start": lambda d: d.start(need),
        "complete": lambda d: d.complete(need),
        "rate": lambda d: d.rate(need, asked.stars or 0, asked.comment),
        "cancel": lambda d: d.cancel(need, asked.reason),
    }
    return commands[asked.kind]


def _known_need(dispatch: Dispatch, need_id: str) -> None:
    if need_id not in dispatch.problem.index.need_position:
        raise UnknownIdError.of("error.unknown_need", id=echo(need_id))


# --- views ----------------------------------------------------------------------------------------


def state_view(dispatch_id: str, state: DispatchState, language: Language) -> schemas.StateResponse:
    """The state as ``GET /dispatches/{id}`` answers it (labels in ``language``)."""
    return schemas.StateResponse(
        id=dispatch_id,
        next_seq=state.n_events,
        round=state.round,
        statuses=[
            schemas.StatusCount(status=s.value, label=status_label(s.value, language), count=n)
            for s, n in state.statuses().items()
        ],
        needs=[
            schemas.NeedView(
                need_id=n.need_id,
                status=n.status.value,
                label=status_label(n.status.value, language),
                org_id=n.org_id,
                offers=n.offers,
                declined_by=list(n.declined_by),
            )
            for n in state.needs
        ],
        offers=[
            schemas.OfferView(
                need_id=o.need_id,
                org_id=o.org_id,
                category=o.category.value,
                category_label=o.category.label(language),
                round=o.round,
                score=o.score,
                probability=o.probability,
                status=o.status.value,
                label=status_label(o.status.value, language),
                reason=o.reason,
                stars=o.stars,
                stars_label=None if o.stars is None else rating_scale.label(o.stars, language),
            )
            for o in state.offers
        ],
        prices=dict(state.prices),
    )


# --- reading requests -----------------------------------------------------------------------------


async def _json(request: Request) -> Any:
    return _parse(await request.body())


def _parse(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except ProblemError as error:
        raise ServiceError(400, "malformed", "; ".join(map(str, error.issues))) from None


def _read(model: type[pydantic.BaseModel], data: Any) -> Any:
    """``data`` as ``model``: a :class:`ProblemError` with every issue (problem paths prefixed)."""
    if not isinstance(data, dict):
        raise ProblemError([Issue("", f"the body is a JSON object, not {type(data).__name__}")])
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise ProblemError(_field_issues(error)) from None
    except ProblemError as error:  # the problem's own checks
        raise ProblemError(
            Issue(f"problem.{i.path}" if i.path else "problem", i.message, i.message_zh)
            for i in error.issues
        ) from None


def _language(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


# --- refusals -------------------------------------------------------------------------------------


def _errors(app: FastAPI) -> None:
    """Every refusal as an :class:`~.schemas.ErrorBody`, in the request's language where matcher's
    catalog has the message in it."""
    for kind, handler in _REFUSED:
        app.add_exception_handler(kind, handler)


def _reply(
    request: Request,
    status: int,
    code: str,
    message: str = "",
    issues: list[Issue] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A refusal: ``code`` titled in the request's language, its message and issues."""
    language = _language(request)
    body = schemas.ErrorBody(
        error=code,
        title=title(code, language),
        message=message,
        issues=[
            schemas.IssueBody(
                path=i.path,
                message=i.message_zh if language == "zh" and i.message_zh else i.message,
            )
            for i in issues or []
        ],
        current_seq=extra.pop("current_seq", None),
    ).model_dump(mode="json")
    body.update(extra)
    return JSONResponse(body, status_code=status)


def _said(request: Request, error: MatcherError) -> str:
    """The first line of matcher's message, in the request's language."""
    return error.text(_language(request)).splitlines()[0]


def _invalid_parameters(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 for a path or query parameter FastAPI refused, every issue with its path."""
    issues = [
        Issue(".".join(str(p) for p in d["loc"][1:]) or str(d["loc"][0]), d["msg"])
        for d in error.errors()
    ]
    return _reply(request, 422, "invalid", "invalid parameters", issues)


#: How each kind of error is answered, the first kind that matches first.
_REFUSED: list[tuple[type[Exception], Callable[[Request, Any], JSONResponse]]] = [
    (ServiceError, lambda r, e: _reply(r, e.status, e.code, e.message, **e.extra)),
    (ProblemError, lambda r, e: _reply(r, 422, "invalid", _said(r, e), e.issues)),
    (
        StaleSequenceError,
        lambda r, e: _reply(r, 409, "stale_sequence", _said(r, e), current_seq=e.current),
    ),
    (UnknownDispatchError, lambda r, e: _reply(r, 404, "not_found", _said(r, e))),
    (DispatchExistsError, lambda r, e: _reply(r, 409, "dispatch_exists", _said(r, e))),
    (UnknownIdError, lambda r, e: _reply(r, 404, "unknown_id", _said(r, e))),
    (TransitionError, lambda r, e: _reply(r, 409, "transition", _said(r, e))),
    (OptionError, lambda r, e: _reply(r, 422, "invalid", _said(r, e))),
    (SolverError, lambda r, e: _reply(r, 500, "solver", _said(r, e))),
    (MatcherError, lambda r, e: _reply(r, 422, "invalid", _said(r, e))),
    (RequestValidationError, _invalid_parameters),
    (
        HTTPException,
        lambda r, e: _reply(
            r, e.status_code, "not_found" if e.status_code == 404 else "invalid", str(e.detail)
        ),
    ),
]


def _version() -> str:
    try:
        return version("matcher")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
