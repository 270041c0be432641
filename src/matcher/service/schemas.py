"""The service's request and response bodies, as pydantic models: ``/openapi.json`` is made of them.

Problems are :class:`matcher.Problem` (the schema ``matcher schema`` prints) and events are the
dispatch package's own (:data:`matcher.dispatch.Event`), so the published contract and the
library cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..dispatch.events import Event
from ..models import Problem
from ..models.limits import MAX_COUNT
from ..solvers import SOLVERS
from .store import MAX_ID

__all__ = [
    "CreateDispatch",
    "Created",
    "ErrorBody",
    "EventRequest",
    "EventResponse",
    "EventsPage",
    "ExplanationResponse",
    "Health",
    "IssueBody",
    "NeedText",
    "NeedView",
    "OfferView",
    "ProposeRequest",
    "ProposeResponse",
    "SolveRequest",
    "SolveResponse",
    "StateResponse",
    "StatusCount",
    "ValidateResponse",
]

Solver = Literal["auto", *SOLVERS]  # type: ignore[valid-type]
Seconds = Annotated[float, Field(gt=0, le=3600, description="seconds a solver may search")]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
Seq = Annotated[
    int,
    Field(
        ge=0,
        le=MAX_COUNT,
        description="the sequence number the dispatch's next event takes, as the writer "
        "last saw it; a stale one is refused with 409 and the current number",
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueBody(BaseModel):
    """One problem in the input: where (a JSON path) and what."""

    path: str
    message: str


class ErrorBody(BaseModel):
    """Every refusal: a code, its title in the request's language, the detail and the issues."""

    error: str = Field(description="a stable code: invalid, malformed, not_found, ...")
    title: str
    message: str = ""
    issues: list[IssueBody] = Field(default_factory=list)
    current_seq: int | None = Field(None, description="with stale_sequence: the current number")


class Health(BaseModel):
    """The service answers, and its store is reachable."""

    status: Literal["ok"]
    version: str
    database: str


class ValidateResponse(BaseModel):
    """A valid problem's size (an invalid one is answered with 422 and every issue)."""

    issues: list[IssueBody]
    regions: int
    organizations: int
    needs: int
    candidate_pairs: int


class SolveRequest(_Body):
    """A problem and the options of :func:`matcher.solve`."""

    problem: Problem
    solver: Solver = "auto"
    time_limit: Seconds = 10.0
    seed: Seed = 0
    explain: Literal["none", "unmet", "all"] = Field(
        "none", description="explain no need, the unmet needs, or every need"
    )


class NeedText(BaseModel):
    """A need's explanation in the request's language."""

    need_id: str
    text: str


class SolveResponse(BaseModel):
    """The plan, as :meth:`matcher.Solution.to_json` writes it, and the explanations asked for."""

    plan: dict[str, Any]
    explanations: list[NeedText]


class CreateDispatch(_Body):
    """A new dispatch over a problem (see :class:`matcher.dispatch.Dispatch`)."""

    id: Annotated[str, Field(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:-]+$")] | (
        None
    ) = Field(None, description="its id; a random one when not given")
    problem: Problem
    disruption_cost: float | None = None
    acceptance_aware: bool | None = None


class Created(BaseModel):
    """The new dispatch."""

    id: str
    next_seq: int
    needs: int
    organizations: int


class ProposeRequest(_Body):
    """Solve the round from the current state and record the new offers."""

    solver: Solver = "auto"
    time_limit: Seconds = 10.0
    seed: Seed = 0
    expected_seq: Seq | None = None


class OfferBody(BaseModel):
    """A new offer."""

    need_id: str
    org_id: str
    score: float
    probability: float


class ProposeResponse(BaseModel):
    """What the round decided (see :class:`matcher.dispatch.Proposal`)."""

    round: int
    changed: bool
    offers: list[OfferBody]
    withdrawn: list[tuple[str, str]]
    objective: float
    keep_objective: float
    expected_acceptances: float
    method: str
    first_seq: int
    next_seq: int


class EventRequest(_Body):
    """An answer or a step of a project: what happened to which need (and organization)."""

    kind: Literal["accept", "decline", "withdraw", "start", "complete", "rate", "cancel"]
    need_id: str
    org_id: str | None = Field(None, description="with accept, decline and withdraw")
    reason: str = Field("", description="with decline, withdraw and cancel")
    stars: int | str | None = Field(None, description="with rate: 1-5 or a label (非常满意 …)")
    comment: str = Field("", description="with rate")
    expected_seq: Seq | None = None


class EventResponse(BaseModel):
    """The event recorded."""

    event: Event
    next_seq: int


class EventsPage(BaseModel):
    """Events numbered above ``after``, in order; ask again from the last one's number."""

    events: list[Event]
    next_seq: int


class StatusCount(BaseModel):
    """How many needs are in one status."""

    status: str
    label: str
    count: int


class NeedView(BaseModel):
    """Where one need stands."""

    need_id: str
    status: str
    label: str
    org_id: str | None
    offers: int
    declined_by: list[str]


class OfferView(BaseModel):
    """One offer and where it stands."""

    need_id: str
    org_id: str
    category: str
    category_label: str
    round: int
    score: float
    probability: float
    status: str
    label: str
    reason: str
    stars: int | None
    stars_label: str | None


class StateResponse(BaseModel):
    """The state the dispatch's events leave (see :class:`matcher.dispatch.DispatchState`)."""

    id: str
    next_seq: int
    round: int
    statuses: list[StatusCount]
    needs: list[NeedView]
    offers: list[OfferView]
    prices: dict[str, float]


class ExplanationResponse(BaseModel):
    """Why a need goes where the round's plan sends it, or nowhere."""

    need_id: str
    org_id: str | None
    text: str
