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

from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from ..models.base import Id, Model, Unit
from ..models.organization import Stars

__all__ = [
    "EVENT_KINDS",
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

Seq = Annotated[int, Field(ge=0)]


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
    round: Annotated[int, Field(ge=1)]
    objective: float
    expected_acceptances: Annotated[float, Field(ge=0.0)]
    prices: dict[Id, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)


class Proposed(Model):
    """An offer of a need to an organization (派单), with its score and acceptance probability."""

    seq: Seq
    kind: Literal["proposed"] = "proposed"
    round: Annotated[int, Field(ge=0)]
    need_id: Id
    org_id: Id
    score: float
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

_ONE: TypeAdapter[Event] = TypeAdapter(Event)
_MANY: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def parse_event(data: Any) -> Event:
    """Validate one event from a mapping (or return an event model as it is).

    Raises
    ------
    pydantic.ValidationError
        When the mapping is not a valid event.
    """
    return _ONE.validate_python(data)


def load_events(data: Iterable[Any]) -> list[Event]:
    """Validate a list of events from mappings (as :func:`dump_events` writes them, once parsed)."""
    return _MANY.validate_python(list(data))


def dump_events(events: Sequence[Event]) -> str:
    """The events as compact JSON text."""
    return _MANY.dump_json(list(events)).decode()
