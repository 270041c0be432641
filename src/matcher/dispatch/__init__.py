"""Dispatch rounds (派单 → 接单 → 实施 → 评单): offers, answers, re-dispatch, ratings.

A plan is a proposal: organizations accept of their own free will (不搞摊派), some decline,
projects run, and beneficiaries rate them. :class:`Dispatch` runs that loop over one problem as an
append-only event log whose fold is the state:

- :meth:`Dispatch.propose` solves the round from the current state (accepted offers pinned,
  declined pairs forbidden, open offers kept unless moving them gains more than the disruption
  cost ``policy.weights.incumbent``) and records the new offers;
- :meth:`~Dispatch.accept`, :meth:`~Dispatch.decline`, :meth:`~Dispatch.withdraw`,
  :meth:`~Dispatch.start`, :meth:`~Dispatch.complete`, :meth:`~Dispatch.rate`,
  :meth:`~Dispatch.cancel` record what happens; an impossible one raises :class:`TransitionError`
  and changes nothing;
- the acceptance model (:mod:`.acceptance`) learns each organization's acceptance rate per
  category as a Beta posterior; with ``acceptance_aware=True`` the plan maximizes the expected
  accepted score, and every proposal reports its expected number of acceptances;
- ratings (:mod:`.ratings`) feed next year's reputation and continuity (:meth:`Dispatch.next_year`);
- :meth:`Dispatch.to_json` / :meth:`Dispatch.from_json` round-trip the whole log exactly.

Examples
--------
>>> import matcher
>>> from matcher.dispatch import Dispatch, fold
>>> dispatch = Dispatch(matcher.synth.shanxi(seed=0, n_needs=40, n_orgs=12), disruption_cost=1.0)
>>> proposal = dispatch.propose()
>>> need_id, org_id = proposal.offers[0].need_id, proposal.offers[0].org_id
>>> _ = dispatch.accept(need_id, org_id)
>>> _ = dispatch.start(need_id)
>>> _ = dispatch.complete(need_id)
>>> _ = dispatch.rate(need_id, "非常满意")
>>> dispatch.state.need(need_id).status.value
'rated'
>>> try:
...     dispatch.accept(need_id, org_id)
... except matcher.dispatch.TransitionError as error:
...     print(str(error).replace(need_id, "N").replace(org_id, "O"))
cannot accept (N, O): the offer was rated
>>> fold(dispatch.problem, dispatch.events) == dispatch.state
True
>>> Dispatch.from_json(dispatch.to_json()).to_json() == dispatch.to_json()
True
"""

from . import acceptance, engine, events, ratings
from .acceptance import AcceptanceCount, AcceptanceModel, AcceptancePrior, Beta
from .errors import DuplicateEventError, TransitionError, UnknownIdError
from .events import (
    Accepted,
    Cancelled,
    Completed,
    Declined,
    Event,
    Proposed,
    Rated,
    Round,
    Started,
    Withdrawn,
)
from .ratings import RATING_SCALE
from .round import Dispatch, Proposal, Unplaceable, UnplaceableReason
from .state import DispatchState, NeedState, NeedStatus, Offer, OfferStatus, fold

__all__ = [
    "RATING_SCALE",
    "AcceptanceCount",
    "AcceptanceModel",
    "AcceptancePrior",
    "Accepted",
    "Beta",
    "Cancelled",
    "Completed",
    "Declined",
    "Dispatch",
    "DispatchState",
    "DuplicateEventError",
    "Event",
    "NeedState",
    "NeedStatus",
    "Offer",
    "OfferStatus",
    "Proposal",
    "Proposed",
    "Rated",
    "Round",
    "Started",
    "TransitionError",
    "UnknownIdError",
    "Unplaceable",
    "UnplaceableReason",
    "Withdrawn",
    "acceptance",
    "engine",
    "events",
    "fold",
    "ratings",
]
