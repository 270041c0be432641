"""Every need of a plan at once: the facts its explanations are made of, found for all needs together.

The candidates of each need with their verdicts, the organizations a rule removes, and for unmet
needs the bottleneck: the organizations reached from a need's candidates along alternating paths
form a closure in the graph where an organization points to every candidate of each need it takes,
so that one walk over its strongly connected parts serves every need; and the cost of serving a
need comes from one shortest-path pass over the same graph (the distance from each organization to
the end of an alternating path), not one re-solve per need.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

# Loaded with ``matcher.explain`` (``import matcher`` defers it): a plan's first explanation
# takes what the later ones take.
import scipy.sparse as sp
from scipy.sparse import csgraph

from ..models import COMPONENTS, Category, Level, Problem
from ..models.index import in_sorted
from ..pairs.eligibility import RULES, barred_organizations, ineligibility
from ..pairs.table import CandidateJoin, CandidateTable, build_candidates
from .records import Bottleneck, Verdict

if TYPE_CHECKING:
    from .explainer import Explainer

__all__: list[str] = []

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Crowd:
    """What the text says of a bottleneck: :class:`Bottleneck` in counts."""

    hall: bool
    capacity: int
    needs: int
    served: int
    orgs: int
    same: bool  # the organizations are the need's own candidates
    outscored: bool
    cost: float | None

    @classmethod
    def of(cls, b: Bottleneck) -> _Crowd:
        return cls(
            hall=b.hall,
            capacity=b.capacity,
            needs=len(b.need_ids),
            served=b.served,
            orgs=len(b.org_ids),
            same=set(b.org_ids) == set(b.candidate_org_ids),
            outscored=b.outscored,
            cost=b.cost_to_serve,
        )


#: Verdicts by code in :class:`_Whole` (``chosen`` marks the plan's own pairs).
_VERDICTS: tuple[Verdict, ...] = (
    "lower",
    "full",
    "pinned",
    "rules",
    "not_chosen",
    "not_positive",
    "chosen",
    "ineligible",
)
_LOWER, _FULL, _PINNED, _RULES, _NOT_CHOSEN, _NOT_POSITIVE, _CHOSEN, _INELIGIBLE = range(8)
#: The verdicts of candidates that score higher than the chosen one.
_HELD = (_FULL, _PINNED, _RULES, _NOT_CHOSEN)


@dataclass(frozen=True, eq=False)
class _Reach:
    """The organizations reached from a set of organizations by alternating paths: each one's
    needs, then those needs' candidates, and so on (see :class:`Bottleneck`)."""

    orgs: IntArray  # sorted
    needs: IntArray  # the needs they take, sorted
    hall: bool  # every one is full
    capacity: int
    competitors: IntArray  # unmet needs whose candidates all lie among ``orgs`` (when ``hall``)


@dataclass(frozen=True, eq=False)
class _Removed:
    """Per need, the organizations with a capability in its category (or a given pair score for
    it) that a rule removes: the first ``limit`` by capability as (``org``, ``code``) from
    ``start[n]``, and all of them counted by rule code in ``counts`` (column 0 unused)."""

    start: IntArray
    org: IntArray
    code: IntArray
    counts: IntArray


class _Whole:
    """Facts about every need of one plan at once, from the whole candidate table.

    The candidates of each need with their verdicts, the organizations a rule removes, and for
    unmet needs the bottleneck: the organizations reached from a need's candidates along
    alternating paths form a closure in the graph where an organization points to every candidate
    of each need it takes, so that one pass over its strongly connected parts serves every need;
    and the cost of serving a need comes from one shortest-path pass over the same graph (the
    distance from each organization to the end of an alternating path), not one re-solve per need.
    """

    def __init__(self, ex: Explainer) -> None:
        problem = ex._problem
        index = problem.index
        n_needs, n_orgs = index.n_needs, index.n_orgs
        self._ex = ex
        self._lock = threading.RLock()
        self._joined: tuple[IntArray, IntArray, IntArray] | None = None
        self._components: FloatArray | None = None
        if index.pair_need is None:
            # The candidates are the joined pairs no rule removes, as build_candidates finds them;
            # the joined pairs' codes also count the removed organizations (see _removed).
            need, org = CandidateJoin(problem).pairs(np.arange(n_needs, dtype=np.int64))
            code = ineligibility(problem, need, org)
            self._joined = (need, org, code)
            keep = code == 0
            need, org = need[keep], org[keep]
            order = np.argsort(need * max(1, n_orgs) + org, kind="stable")
            table, self._components = _shown_table(
                CandidateTable(need[order], org[order], np.zeros(0), problem)
            )
        else:
            table, self._components = build_candidates(problem), None
        self.table = table
        self.start = np.searchsorted(table.need, np.arange(n_needs + 1))
        keys = table.need * max(1, n_orgs) + table.org
        plan_keys = ex._plan_need * max(1, n_orgs) + ex._plan_org
        at = np.minimum(np.searchsorted(keys, plan_keys), max(0, keys.size - 1))
        self.plan_row = np.where(keys[at] == plan_keys, at, -1) if keys.size else at - 1
        self._removed: dict[int, _Removed] = {}
        # Organizations -> the candidates of the needs they take.
        rows = _ranges(self.start[ex._plan_need], self.start[ex._plan_need + 1])
        src = np.repeat(ex._plan_org, self.start[ex._plan_need + 1] - self.start[ex._plan_need])
        graph = sp.csr_matrix(
            (np.ones(rows.size, np.int8), (src, table.org[rows])), shape=(n_orgs, n_orgs)
        )
        n_parts, part = csgraph.connected_components(graph, directed=True, connection="strong")
        self._part = np.asarray(part, np.int64)
        # The parts' own graph: a part points to every other part its organizations point to.
        edges = graph.tocoo()
        tail, head = self._part[edges.row], self._part[edges.col]
        other = tail != head
        parts = sp.csr_matrix(
            (np.ones(int(other.sum()), np.int8), (tail[other], head[other])),
            shape=(n_parts, n_parts),
        )
        self._part_ptr = np.asarray(parts.indptr, np.int64)
        self._part_next = np.asarray(parts.indices, np.int64)
        self._by_part = np.argsort(self._part, kind="stable")
        self._part_start = np.searchsorted(self._part[self._by_part], np.arange(n_parts + 1))
        self._reach: dict[bytes, _Reach] = {}
        self._unmet_candidates: tuple[IntArray, IntArray] | None = None
        self._ends: tuple[FloatArray, FloatArray] | bool | None = False

    def components_at(self, rows: IntArray) -> FloatArray:
        """The components of the candidate pairs at ``rows`` (kept from scoring them, when the
        table is one block)."""
        if self._components is not None:
            return self._components[rows]
        return self.table.components_at(rows)

    def removed(self, limit: int) -> _Removed:
        """The organizations a rule removes for each need, the first ``limit`` listed."""
        with self._lock:
            if limit not in self._removed:
                self._removed[limit] = _removed(self._ex._problem, self.table, limit, self._joined)
            return self._removed[limit]

    # --- bottlenecks ----------------------------------------------------------------------------

    def _reach_of(self, parts: IntArray) -> _Reach:
        """What alternating paths from the organizations of ``parts`` (sorted, unique) reach;
        the caller holds the lock."""
        key = parts.tobytes()
        found = self._reach.get(key)
        if found is None:
            found = self._reach[key] = self._closure(parts)
        return found

    def _closure(self, parts: IntArray) -> _Reach:
        """What ``parts`` reach, in the parts' graph."""
        ex = self._ex
        index = ex._problem.index
        seen = np.zeros(self._part_ptr.size - 1, bool)
        frontier = parts
        seen[frontier] = True
        while frontier.size:
            nxt = self._part_next[_ranges(self._part_ptr[frontier], self._part_ptr[frontier + 1])]
            new = np.zeros_like(seen)
            new[nxt] = True
            new &= ~seen
            seen |= new
            frontier = np.flatnonzero(new)
        reached = np.flatnonzero(seen)
        orgs = np.sort(
            self._by_part[_ranges(self._part_start[reached], self._part_start[reached + 1])]
        )
        taken = np.zeros(index.n_needs, bool)
        taken[ex._plan_need[ex._org_rows(orgs)]] = True
        needs = np.flatnonzero(taken)
        hall = bool(ex._full[orgs].all())
        competitors = np.zeros(0, np.int64)
        if hall:
            need, part = self._unmet_parts()
            outside = np.bincount(need[~seen[part]], minlength=index.n_needs) > 0
            inside = np.bincount(need[seen[part]], minlength=index.n_needs) > 0
            competitors = np.flatnonzero(inside & ~outside)
        return _Reach(orgs, needs, hall, int(index.org_capacity[orgs].sum()), competitors)

    def _unmet_parts(self) -> tuple[IntArray, IntArray]:
        """The parts the unmet needs' candidates lie in, as (need, part) pairs."""
        if self._unmet_candidates is None:
            unmet = self._ex._unmet_needs
            rows = _ranges(self.start[unmet], self.start[unmet + 1])
            width = self._part_ptr.size
            pairs = np.unique(self.table.need[rows] * width + self._part[self.table.org[rows]])
            self._unmet_candidates = (pairs // width, pairs % width)
        return self._unmet_candidates

    def bottleneck(self, u: int) -> Bottleneck:
        """The bottleneck of unmet need ``u``, as :meth:`Explainer._bottleneck_reached` finds it."""
        index = self._ex._problem.index
        orgs = self.table.org[self.start[u] : self.start[u + 1]]
        crowd, reach = self._crowds(np.array([u], np.int64))[0]
        competitors = reach.competitors[reach.competitors != u]
        needs = np.concatenate([[u], reach.needs, competitors]).astype(np.int64)
        return Bottleneck(
            need_ids=tuple(index.need_ids[m] for m in needs.tolist()),
            org_ids=tuple(index.org_ids[o] for o in reach.orgs.tolist()),
            candidate_org_ids=tuple(index.org_ids[o] for o in orgs.tolist()),
            capacity=crowd.capacity,
            served=crowd.served,
            hall=crowd.hall,
            outscored=crowd.outscored,
            cost_to_serve=crowd.cost,
        )

    def prepare(self) -> None:
        """Find every bottleneck and cost to serve now (see :meth:`Explainer.prepare`)."""
        self.crowds(self.stuck())

    def stuck(self) -> IntArray:
        """The unmet needs with a bottleneck: left for capacity, every candidate that scores
        above 0 full."""
        ex, table = self._ex, self.table
        n_needs = ex._problem.index.n_needs
        positive = table.score > 0
        some = np.bincount(table.need[positive], minlength=n_needs) > 0
        with_room = np.bincount(table.need[positive & ~ex._full[table.org]], minlength=n_needs)
        capacity = np.zeros(n_needs, bool)
        records = ex._unmet_records()
        capacity[[n for n, u in records.items() if u.reason == "capacity"]] = True
        return np.flatnonzero(capacity & some & (with_room == 0))

    def crowds(self, needs: IntArray) -> list[_Crowd]:
        """What the text says of each unmet need's bottleneck (:meth:`bottleneck` in counts)."""
        return [crowd for crowd, _ in self._crowds(needs)]

    def _crowds(self, needs: IntArray) -> list[tuple[_Crowd, _Reach]]:
        ex = self._ex
        index = ex._problem.index
        table = self.table
        rows = _ranges(self.start[needs], self.start[needs + 1])
        need, org, score = table.need[rows], table.org[rows], table.score[rows]
        at = np.searchsorted(needs, need)
        # Outscored: every need a candidate takes scores at least as high with it.
        weakest = np.full(index.n_orgs, np.inf)
        np.minimum.at(weakest, ex._plan_org, ex._plan_score)
        tie = 1e-9 * np.maximum(1.0, np.abs(score)) + ex._tolerance
        beaten = np.bincount(at[~(weakest[org] >= score - tie)], minlength=needs.size) == 0
        costs = self._costs(at, org, score, needs.size)
        # The parts each need's candidates lie in: the key of what they reach.
        width = self._part_ptr.size
        pairs = np.unique(at * width + self._part[org])
        bounds = np.searchsorted(pairs // width, np.arange(needs.size + 1)).tolist()
        parts = pairs % width
        candidates = np.diff(self.start)[needs].tolist()
        found = []
        with self._lock:  # once, not per need
            reaches = [self._reach_of(parts[bounds[i] : bounds[i + 1]]) for i in range(needs.size)]
        for i, reach in enumerate(reaches):
            # The need is among its own competitors when every organization reached is full.
            own = reach.hall and candidates[i] > 0
            competitors = int(reach.competitors.size) - int(own)
            crowd = _Crowd(
                hall=reach.hall,
                capacity=reach.capacity,
                needs=1 + int(reach.needs.size) + competitors,
                served=int(reach.needs.size),
                orgs=int(reach.orgs.size),
                same=bool(reach.orgs.size == candidates[i]),
                outscored=bool(beaten[i]),
                cost=costs[i],
            )
            found.append((crowd, reach))
        return found

    # --- costs to serve -------------------------------------------------------------------------

    def _costs(
        self, at: IntArray, org: IntArray, score: FloatArray, size: int
    ) -> list[float | None]:
        """How much the best plan that serves each need loses, from its candidate pairs (``at``:
        the need's place, grouped); ``None`` when not known (see
        :attr:`Bottleneck.cost_to_serve`)."""
        ex = self._ex
        if not ex._optimal or ex._ruled:
            return [None] * size
        ends = self._end_distances()
        if ends is None:  # pragma: no cover - only for plans that are not optimal
            return [None] * size
        padded_end, exact_end = ends
        padded = padded_end[org] - score
        # Each need's best candidate: the least padded cost, the first one on ties.
        order = np.lexsort((np.arange(at.size), padded, at))
        first = np.searchsorted(at[order], np.arange(size))
        costs: list[float | None] = [float("inf")] * size
        has = first < at.size
        has[has] = at[order[first[has]]] == np.arange(size)[has]
        best = order[first[has]]
        loss = exact_end[org[best]] - score[best]
        tie = 1e-9 * np.maximum(1.0, np.abs(loss)) + ex._tolerance
        value = np.where(loss >= -tie, np.maximum(0.0, loss), np.nan)
        value[~np.isfinite(padded[best])] = np.inf
        for i, v in zip(np.flatnonzero(has).tolist(), value.tolist(), strict=True):
            costs[i] = None if v != v else v
        return costs

    def _end_distances(self) -> tuple[FloatArray, FloatArray] | None:
        """Each organization's least cost to the end of an alternating path, padded and exact.

        On the graph of organizations: one that takes need ``m`` may let it go (``+s[m, o]``) or
        pass it to another candidate ``o2`` (``s[m, o] - s[m, o2]``, then ``o2`` goes on); one
        with room ends the path for free. Accepted offers never move. The pairs of one alternating
        path in the need-and-organization graph of :meth:`Explainer._learn_distances` are two
        steps here, which the padding counts, so that both find the same paths.
        """
        with self._lock:
            if self._ends is False:
                self._ends = self._distances()
            return self._ends  # type: ignore[return-value]

    def _distances(self) -> tuple[FloatArray, FloatArray] | None:
        ex = self._ex
        index = ex._problem.index
        table = self.table
        n_orgs = index.n_orgs
        end = n_orgs
        pinned = in_sorted(ex._plan_need * max(1, n_orgs) + ex._plan_org, ex._pinned_keys)
        movable = np.flatnonzero(~pinned)
        need, org, own = ex._plan_need[movable], ex._plan_org[movable], ex._plan_score[movable]
        counts = self.start[need + 1] - self.start[need]
        rows = _ranges(self.start[need], self.start[need + 1])
        taker = np.repeat(org, counts)
        kept = np.repeat(own, counts)
        moved = table.org[rows] != taker
        rows, taker, kept = rows[moved], taker[moved], kept[moved]
        open_orgs = np.flatnonzero(~ex._full)
        src = np.concatenate([taker, org, open_orgs])
        dst = np.concatenate(
            [table.org[rows], np.full(org.size, end), np.full(open_orgs.size, end)]
        )
        # Each step as its two pairs: the need leaves its organization, then takes the next one.
        taken = np.concatenate([kept, own, np.zeros(open_orgs.size)])
        given = np.concatenate([-table.score[rows], np.zeros(org.size + open_orgs.size)])
        steps = np.concatenate([np.full(rows.size + org.size, 2.0), np.ones(open_orgs.size)])
        largest = max(
            float(np.abs(table.score[rows]).max(initial=0.0)),
            float(np.abs(own).max(initial=0.0)),
        )
        slack = 1e-9 * max(1.0, largest) + ex._tolerance
        padded = taken + given + steps * slack
        return _shortest_to(n_orgs + 1, src, dst, given, padded, end, taken)


def _shown_table(table: CandidateTable) -> tuple[CandidateTable, FloatArray | None]:
    """The candidate table with the scores explanations show (see :func:`_shown_scores`), and
    the components they were made of when the table is one block (``None`` otherwise)."""
    problem = table.problem
    if problem.index.pair_need is not None:  # the given scores are taken as they are
        return table, None
    # ``table.score`` is not read: the scores are made here.
    scores, blocks = [np.zeros(0)], []
    for start in range(0, len(table), _SCORE_BLOCK):
        need = table.need[start : start + _SCORE_BLOCK]
        org = table.org[start : start + _SCORE_BLOCK]
        blocks.append(table.components_at(np.arange(start, start + need.size)))
        scores.append(_shown_scores(problem, need, org, blocks[-1]))
    shown = CandidateTable(table.need, table.org, np.concatenate(scores), problem)
    return shown, blocks[0] if len(blocks) == 1 else None


#: Pairs whose components are held at once while scoring them for explanations.
_SCORE_BLOCK = 500_000


def _best_rows(start: IntArray, score: FloatArray, keep: BoolArray, k: int) -> IntArray:
    """Per group of rows ``start[i]:start[i + 1]``: its rows in ``keep`` with the highest
    ``score``, at most ``k``, best first and ties by row, padded with -1 (shape: groups x k)."""
    groups = start.size - 1
    found = np.full((groups, k), -1, np.int64)
    size = np.diff(start)
    heads = start[:-1][size > 0]
    group = np.repeat(np.arange(groups), size)
    rows = np.arange(score.size, dtype=np.int64)
    masked = np.where(keep, score, -np.inf)
    alive = keep.copy()
    for j in range(k):
        if heads.size == 0 or not alive.any():
            break
        top = np.full(groups, -np.inf)
        top[size > 0] = np.maximum.reduceat(masked, heads)
        hit = alive & (masked == top[group])
        first = np.full(groups, score.size, np.int64)
        first[size > 0] = np.minimum.reduceat(np.where(hit, rows, score.size), heads)
        taken = first < score.size
        found[taken, j] = first[taken]
        alive[first[taken]] = False
        masked[first[taken]] = -np.inf
    return found


def _removed(
    problem: Problem,
    table: CandidateTable,
    limit: int,
    joined: tuple[IntArray, IntArray, IntArray] | None = None,
) -> _Removed:
    """The organizations a rule removes for every need (see :class:`_Removed`).

    With given pair scores every considered pair is tested. Otherwise the pairs that share the
    need's area and category (those :class:`~matcher.pairs.table.CandidateJoin` joins) are tested
    one by one, and the others -- organizations whose registration area misses the need, or that
    the credit rule bars -- are counted by category: for such a pair only rules on the organization
    and the category can fail before ``scope`` does, so one need of the category stands for all
    (see :func:`_outside_codes`). Pairs a pair-specific rule may remove (``declined``, regions an
    organization declines) are tested one by one.
    """
    index = problem.index
    if index.pair_need is not None:
        return _removed_tested(problem, limit)
    n_needs, n_orgs = index.n_needs, max(1, index.n_orgs)
    width = len(RULES) + 1
    category = index.need_category
    capable = index.org_capability > 0
    if joined is None:
        joined_need, joined_org = CandidateJoin(problem).pairs(np.arange(n_needs, dtype=np.int64))
        joined_code = ineligibility(problem, joined_need, joined_org)
    else:
        joined_need, joined_org, joined_code = joined
    counts = np.bincount(joined_need * width + joined_code, minlength=n_needs * width).reshape(
        n_needs, width
    )
    outside, tested = _outside_codes(problem)
    # Every capable organization counted as outside the need's area, less the joined ones.
    for c in range(len(Category)):
        usual = capable[:, c] & ~tested[c]
        counts[category == c] += np.bincount(outside[c, usual], minlength=width)
    usual = ~tested[category[joined_need], joined_org]
    guess = outside[category[joined_need], joined_org]
    counts -= np.bincount((joined_need * width + guess)[usual], minlength=n_needs * width).reshape(
        n_needs, width
    )
    counts += _tested_counts(problem, outside, tested, joined_need * n_orgs + joined_org)
    counts[:, 0] = 0
    start, listed_org, listed_code = _first_removed(problem, table, limit)
    return _Removed(start, listed_org, listed_code, counts)


def _tested_counts(
    problem: Problem, outside: IntArray, tested: BoolArray, joined_keys: IntArray
) -> IntArray:
    """Per need and rule code: the pairs whose code may depend on the need itself (see
    :func:`_outside_codes`), tested one by one, less what :func:`_removed` counted for them by
    category; pairs among ``joined_keys`` (``need * n_orgs + org``) are counted already."""
    index = problem.index
    n_needs, n_orgs = index.n_needs, max(1, index.n_orgs)
    width = len(RULES) + 1
    category = index.need_category
    capable = index.org_capability > 0
    need, org = _tested_pairs(problem, tested)
    declined_need, declined_org = index.declined_key // n_orgs, index.declined_key % n_orgs
    plain = (
        capable[declined_org, category[declined_need]]
        & ~tested[category[declined_need], declined_org]
    )
    need = np.concatenate([need, declined_need[plain]])
    org = np.concatenate([org, declined_org[plain]])
    alone = ~in_sorted(need * n_orgs + org, np.sort(joined_keys))
    need, org = need[alone], org[alone]
    counts = np.bincount(
        need * width + ineligibility(problem, need, org), minlength=n_needs * width
    ).reshape(n_needs, width)
    guessed = ~tested[category[need], org]
    counts -= np.bincount(
        (need * width + outside[category[need], org])[guessed], minlength=n_needs * width
    ).reshape(n_needs, width)
    return counts


def _outside_codes(problem: Problem) -> tuple[IntArray, BoolArray]:
    """Per (category, organization): the code of a pair that :class:`~matcher.pairs.table.CandidateJoin`
    does not join (its area misses the need, or the credit rule bars it), and whether that code
    may depend on the need (``tested``: the organization declines regions, or the need standing
    for the category declined it).

    One need of the category whose area the organization misses stands for every such need:
    ``scope`` fails for it, and before ``scope`` only rules on the organization, the category
    and the pair itself come. Where no need of the category lies outside the organization's area
    the code is never used (0).
    """
    index = problem.index
    tree = index.hierarchy
    n_orgs = index.n_orgs
    categories = len(Category)
    outside = np.zeros((categories, n_orgs), np.int64)
    tested = np.zeros((categories, n_orgs), bool)
    depth = index.org_scope_depth
    if not problem.policy.eligibility.respect_scope:
        depth = np.full_like(depth, Level.NATION.depth)
    nation = depth == Level.NATION.depth
    home = np.where(nation, 0, tree.ancestor_at[index.org_home, depth])
    barred = barred_organizations(problem)
    declines = np.zeros(n_orgs, bool)
    declines[index.declines_region_key // max(1, len(tree))] = True
    capable = index.org_capability > 0
    for c in range(categories):
        needs = np.flatnonzero(index.need_category == c)
        orgs = np.flatnonzero(capable[:, c])
        if needs.size == 0 or orgs.size == 0:
            continue
        stand_in = np.full(orgs.size, -1, np.int64)
        for d in np.unique(depth[orgs]).tolist():
            here = depth[orgs] == d
            area = (
                np.zeros(needs.size, np.int64)
                if d == Level.NATION.depth
                else tree.ancestor_at[index.need_region[needs], d]
            )
            first = int(area[0])
            other = np.flatnonzero(area != first)
            misses = (first < 0) | (home[orgs] != first) | barred[orgs]
            stand_in[here & misses] = needs[0]
            if other.size:
                stand_in[here & ~misses] = needs[other[0]]
        has = stand_in >= 0
        code = ineligibility(problem, stand_in[has], orgs[has])
        outside[c, orgs[has]] = code
        declined = code == RULES.index("declined") + 1
        tested[c, orgs[has][declined]] = True
        tested[c, orgs] |= declines[orgs]
    return outside, tested


def _tested_pairs(problem: Problem, tested: BoolArray) -> tuple[IntArray, IntArray]:
    """Every (need, organization) pair whose organization is ``tested`` for the need's category."""
    index = problem.index
    need_parts, org_parts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for c in range(len(Category)):
        orgs = np.flatnonzero(tested[c] & (index.org_capability[:, c] > 0))
        needs = np.flatnonzero(index.need_category == c)
        need_parts.append(np.repeat(needs, orgs.size))
        org_parts.append(np.tile(orgs, needs.size))
    return np.concatenate(need_parts), np.concatenate(org_parts)


def _considered_order(problem: Problem) -> tuple[IntArray, IntArray, IntArray]:
    """Per category, the organizations with a capability in it, the most capable first (ties by
    organization): ``(flat, start, position)`` with category ``c``'s at ``flat[start[c]:
    start[c + 1]]`` and ``position[c, o]`` each one's place there."""
    capability = problem.index.org_capability
    parts = []
    position = np.full(capability.T.shape, -1, np.int64)
    for c in range(len(Category)):
        orgs = np.flatnonzero(capability[:, c] > 0)
        orgs = orgs[np.lexsort((orgs, -capability[orgs, c]))]
        position[c, orgs] = np.arange(orgs.size)
        parts.append(orgs)
    start = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
    return np.concatenate(parts).astype(np.int64), start, position


def _first_removed(
    problem: Problem, table: CandidateTable, limit: int
) -> tuple[IntArray, IntArray, IntArray]:
    """The first ``limit`` capable organizations a rule removes for each need, in the order of
    :func:`_considered_order`, as (start per need, organization, code).

    The candidates are the capable organizations no rule removes, so each need's first ``limit``
    removed ones lie among its first ``limit + k`` capable ones, where ``k`` counts its candidates
    among those.
    """
    index = problem.index
    n_needs = index.n_needs
    flat, start, position = _considered_order(problem)
    category = index.need_category
    size = start[category + 1] - start[category]
    place = position[category[table.need], table.org]
    length = np.minimum(np.full(n_needs, limit, np.int64), size)
    while True:
        before = np.bincount(table.need[place < length[table.need]], minlength=n_needs)
        grown = np.minimum(limit + before, size)
        if np.array_equal(grown, length):
            break
        length = grown
    need = np.repeat(np.arange(n_needs, dtype=np.int64), length)
    offset = np.arange(need.size) - np.repeat(np.cumsum(length) - length, length)
    org = flat[start[category[need]] + offset]
    n_orgs = max(1, index.n_orgs)
    keep = ~in_sorted(need * n_orgs + org, table.need * n_orgs + table.org)
    need, org = need[keep], org[keep]
    return _listing(need, org, ineligibility(problem, need, org), n_needs, limit)[:3]


def _removed_tested(problem: Problem, limit: int) -> _Removed:
    """:class:`_Removed` with every considered pair tested: capable organizations in the order
    of :func:`_considered_order`, then the need's other given pairs by organization."""
    index = problem.index
    flat, start, _ = _considered_order(problem)
    category = index.need_category
    size = start[category + 1] - start[category]
    need = np.repeat(np.arange(index.n_needs, dtype=np.int64), size)
    offset = np.arange(need.size) - np.repeat(np.cumsum(size) - size, size)
    org = flat[start[category[need]] + offset]
    rank = offset
    if index.pair_need is not None and index.pair_org is not None:
        extra = index.org_capability[index.pair_org, category[index.pair_need]] <= 0
        need = np.concatenate([need, index.pair_need[extra]])
        org = np.concatenate([org, index.pair_org[extra]])
        rank = np.concatenate([rank, size[index.pair_need[extra]] + index.pair_org[extra]])
    order = np.lexsort((rank, need))
    need, org = need[order], org[order]
    code = ineligibility(problem, need, org)
    removed = code != 0
    begin, listed_org, listed_code, counts = _listing(
        need[removed], org[removed], code[removed], index.n_needs, limit
    )
    return _Removed(begin, listed_org, listed_code, counts)


def _listing(
    need: IntArray, org: IntArray, code: IntArray, n_needs: int, limit: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The first ``limit`` removed organizations of each need (``need`` grouped, in order) as
    (start per need, organization, code), and every one counted by code."""
    width = len(RULES) + 1
    first = np.searchsorted(need, np.arange(n_needs + 1))
    listed = (np.arange(need.size) - first[need]) < limit
    counts = np.bincount(need * width + code, minlength=n_needs * width).reshape(n_needs, width)
    start = np.searchsorted(need[listed], np.arange(n_needs + 1))
    return start, org[listed], code[listed], counts


def _shortest_to(
    n_nodes: int,
    src: IntArray,
    dst: IntArray,
    weight: FloatArray,
    padded_weight: FloatArray,
    target: int,
    then: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray] | None:
    """Every node's shortest distance to ``target`` (Bellman-Ford over edge arrays, which stops
    as soon as nothing changes).

    Paths are compared by ``padded_weight`` (each edge a hair dearer than ``weight``, so that
    exact ties, which rounding can turn into slightly negative cycles, go to the path of fewest
    edges); the first array has those padded distances, the second the exact length of the same
    paths. ``inf`` where ``target`` cannot be reached; ``None`` when a negative cycle shows that
    the plan is not optimal. An edge that stands for two (``then``: the second one's weight)
    adds them in the order of the path.
    """
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    weight, padded_weight = weight[order], padded_weight[order]
    second = None if then is None else then[order]
    heads, first, counts = np.unique(src, return_index=True, return_counts=True)
    segment = np.repeat(np.arange(heads.size), counts)
    padded = np.full(n_nodes, np.inf)
    exact = np.full(n_nodes, np.inf)
    padded[target] = exact[target] = 0.0
    if src.size == 0:
        return padded, exact
    for _ in range(n_nodes + 1):
        through = padded[dst] + padded_weight
        best = np.minimum.reduceat(through, first)
        better = best < padded[heads]
        if not better.any():
            return padded, exact
        # The edge that gives each improved node its distance: the first one reaching the best.
        hits = np.flatnonzero(through == best[segment])
        _, at = np.unique(segment[hits], return_index=True)
        edge = hits[at][better]
        reached = exact[dst[edge]] + weight[edge]
        exact[heads[better]] = reached if second is None else reached + second[edge]
        padded[heads[better]] = best[better]
    return None  # pragma: no cover - a negative cycle: the plan is not optimal


def _shown_scores(
    problem: Problem, need: IntArray, org: IntArray, values: FloatArray
) -> FloatArray:
    """The pairs' scores as explanations show and compare them: :func:`matcher.pairs.scoring.score`,
    with each pair's weighted sum taken on its own.

    A matrix product rounds each row by where it falls in the batch, so the same pair can differ
    in its last bit between the candidates of one need and those of every need; summed column by
    column, it has the same bits whichever pairs are scored together, and one need's explanation
    reads the same alone as in the table of all needs.
    """
    weights = [float(getattr(problem.policy.weights, n)) for n in COMPONENTS]
    total = np.zeros(values.shape[0])
    for k, weight in enumerate(weights):  # column by column: the same order for every pair
        total = total + values[:, k] * weight
    if problem.policy.expected_value:
        index = problem.index
        flat = org * len(Category) + index.need_category[need]
        total = total * index.org_acceptance.ravel()[flat]
    return total


def _ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """Concatenated ``arange(lo[i], hi[i])``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return np.asarray(starts + np.arange(total), np.int64)
