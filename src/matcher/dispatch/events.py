"""The events of a dispatch (派单 → 接单 → 实施 → 评单): small frozen records, one per fact.

A dispatch's state is a fold over its append-only list of events (:func:`matcher.dispatch.fold`).
Each event carries its position in that list (``seq``, from 0) and a ``kind`` that tells the
variants apart in JSON:

============= ========================================================================
kind          fact
============= ========================================================================
``round``     the dispatcher ran a round: its number, the plan's objective and expected
              acceptances, and the organizations' shadow prices that prove the plan optimal
``proposed``  an offer (need, organization) was made, in a round or by hand (派单)
``accepted``  the organization accepted the offer (接单)
``declined``  it declined, with a reason; the pair is never offered again
``withdrawn`` the platform took back an open offer (a re-dispatch moved the need)
``started``   the project is in service (实施)
``completed`` the project is finished
``rated``     its beneficiaries rated it, 1 to 5 stars (评单: 非常满意 … 非常不满意)
``cancelled`` the need was cancelled before its project started
============= ========================================================================

Examples
--------
>>> from matcher.dispatch import events
>>> event = events.parse_event({"seq": 3, "kind": "declined", "need_id": "N1", "org_id": "O2",
...                             "reason": "too far"})
>>> type(event).__name__, event.reason
('Declined', 'too far')
>>> events.dump_events([event])
'[{"seq":3,"kind":"declined","need_id":"N1","org_id":"O2","reason":"too far"}]'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from ..errors import Issue, ProblemError
from ..models.base import Id, Model, Unit
from ..models.document import _field_issues, _path
from ..models.limits import MAX_COUNT, MAX_SCORE, Score
from ..models.organization import Stars

__all__ = [
    "EVENT_KINDS",
    "EVENT_TYPES",
    "Accepted",
    "Cancelled",
    "Completed",
    "Declined",
    "Event",
    "Proposed",
    "Rated",
    "Round",
    "Started",
    "Withdrawn",
    "dump_events",
    "load_events",
    "parse_event",
]

Seq = Annotated[int, Field(ge=0, le=MAX_COUNT)]
RoundNumber = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Round(Model):
    """The dispatcher solved a round; the offers it makes follow as ``proposed`` events.

    Attributes
    ----------
    round
        1 for the first round, then 2, 3, ...
    objective
        Total score of the round's plan (accepted offers included).
    expected_acceptances
        Sum of the acceptance probabilities of the plan's open offers.
    prices
        Shadow price of each organization whose price is positive: what one more project slot
        there would add to the plan. With the plan they prove it optimal; the next round starts
        from them (:mod:`matcher.dispatch.engine`). Empty when the round was solved another way.
    """

    seq: Seq
    kind: Literal["round"] = "round"
    round: Annotated[int, Field(ge=1, le=MAX_COUNT)]
    objective: float
    expected_acceptances: Annotated[float, Field(ge=0.0, le=MAX_COUNT)]
    # A price is at most the largest score; twice that leaves room for the integer rounding.
    prices: dict[Id, Annotated[float, Field(ge=0.0, le=2 * MAX_SCORE)]] = Field(
        default_factory=dict
    )


class Proposed(Model):
    """An offer of a need to an organization (派单), with its score and acceptance probability."""

    seq: Seq
    kind: Literal["proposed"] = "proposed"
    round: RoundNumber
    need_id: Id
    org_id: Id
    score: Score
    probability: Unit


class Accepted(Model):
    """The organization accepted the offer (接单)."""

    seq: Seq
    kind: Literal["accepted"] = "accepted"
    need_id: Id
    org_id: Id


class Declined(Model):
    """The organization declined the offer; it is never offered this need again."""

    seq: Seq
    kind: Literal["declined"] = "declined"
    need_id: Id
    org_id: Id
    reason: str = ""


class Withdrawn(Model):
    """The platform withdrew an open offer (a re-dispatch moved the need elsewhere)."""

    seq: Seq
    kind: Literal["withdrawn"] = "withdrawn"
    need_id: Id
    org_id: Id
    reason: str = ""


class Started(Model):
    """The need's accepted project is in service (实施)."""

    seq: Seq
    kind: Literal["started"] = "started"
    need_id: Id


class Completed(Model):
    """The need's project is finished."""

    seq: Seq
    kind: Literal["completed"] = "completed"
    need_id: Id


class Rated(Model):
    """The beneficiaries rated the finished project (评单), 5 (非常满意) to 1 (非常不满意) stars."""

    seq: Seq
    kind: Literal["rated"] = "rated"
    need_id: Id
    stars: Stars
    comment: str = ""


class Cancelled(Model):
    """The need was cancelled before its project started; an offer it had is withdrawn."""

    seq: Seq
    kind: Literal["cancelled"] = "cancelled"
    need_id: Id
    reason: str = ""


#: Any event, told apart by ``kind``.
Event = Annotated[
    Round | Proposed | Accepted | Declined | Withdrawn | Started | Completed | Rated | Cancelled,
    Field(discriminator="kind"),
]

#: Every ``kind``, in the order of the lifecycle.
EVENT_KINDS: tuple[str, ...] = (
    "round",
    "proposed",
    "accepted",
    "declined",
    "withdrawn",
    "started",
    "completed",
    "rated",
    "cancelled",
)

#: Every event model, in the order of :data:`EVENT_KINDS`.
EVENT_TYPES: tuple[type[Model], ...] = (
    Round,
    Proposed,
    Accepted,
    Declined,
    Withdrawn,
    Started,
    Completed,
    Rated,
    Cancelled,
)

_BY_KIND: dict[str, type[Model]] = dict(zip(EVENT_KINDS, EVENT_TYPES, strict=True))
_MANY: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def parse_event(data: Any, at: tuple[int | str, ...] = ()) -> Event:
    """Validate one event from a mapping (or return an event model as it is).

    Parameters
    ----------
    data
        The event.
    at
        Where it is in a larger document (``("events", 3)``): the issues' paths start there.

    Raises
    ------
    ProblemError
        When it is not a valid event: every issue, with its path (``events[3].seq``).

    Examples
    --------
    >>> try:
    ...     parse_event({"seq": "x", "kind": "started", "need_id": "n1", "note": 1}, ("events", 3))
    ... except ProblemError as error:
    ...     print("\\n".join(map(str, error.issues)))
    events[3].seq: input should be a valid integer, unable to parse string as an integer
    events[3].note: unknown field
    """
    if isinstance(data, EVENT_TYPES):
        return data  # type: ignore[return-value]
    if not isinstance(data, Mapping):
        message = f"an event is an object with a kind, not {type(data).__name__}"
        raise ProblemError([Issue(_path(at), message)])
    kind = data.get("kind")
    model = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ProblemError([Issue(_path((*at, "kind")), f"not one of {', '.join(EVENT_KINDS)}")])
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as error:
        raise ProblemError(_field_issues(error, at)) from None


def load_events(data: Any, at: tuple[int | str, ...] = ()) -> list[Event]:
    """Validate a list of events from mappings (as :func:`dump_events` writes them, once parsed).

    Raises
    ------
    ProblemError
        When ``data`` is not a list, or with every issue of every invalid event (``[3].seq``,
        below ``at`` when given).
    """
    if not isinstance(data, list | tuple):
        message = f"must be a list of events, not {type(data).__name__}"
        raise ProblemError([Issue(_path(at), message)])
    events: list[Event] = []
    issues: list[Issue] = []
    for i, item in enumerate(data):
        try:
            events.append(parse_event(item, (*at, i)))
        except ProblemError as error:
            issues.extend(error.issues)
    if issues:
        raise ProblemError(issues)
    return events


def dump_events(events: Sequence[Event]) -> str:
    """The events as compact JSON text."""
    return _MANY.dump_json(list(events)).decode()
