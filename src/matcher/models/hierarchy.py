"""The region tree as numpy arrays: ancestors, descendants, inherited tiers and coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .region import Region
from .vocab import Level, Priority

__all__ = ["Hierarchy"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_LEVELS = list(Level)

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
_TIERS = list(Priority)


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """Ancestor and descendant queries over a validated list of regions.

    Attributes
    ----------
    ids
        Region ids in input order; every array below is indexed the same way.
    parent
        Index of the parent region, -1 for a root.
    depth
        Level of each region as a depth (0 nation ... 5 village).
    ancestor_at
        ``ancestor_at[r, d]`` is the index of the ancestor-or-self of ``r`` at depth ``d``, or -1.
    tier
        Priority tier of each region (index into :class:`~matcher.Priority`), inherited from the
        nearest ancestor that sets one, ``normal`` when none does.
    lat, lon
        Coordinates, inherited likewise; NaN when no ancestor has any.

    Examples
    --------
    >>> tree = Hierarchy.build([
    ...     Region(id="p", level="province"), Region(id="c", level="city", parent="p"),
    ...     Region(id="x", level="county", parent="c", priority="key")])
    >>> tree.ancestors("x")
    ['p', 'c']
    >>> tree.descendants("p")
    ['c', 'x']
    >>> tree.contains("c", "x"), tree.contains("x", "c")
    (True, False)
    """

    ids: tuple[str, ...]
    parent: IntArray
    depth: IntArray
    ancestor_at: IntArray
    tier: IntArray
    lat: FloatArray
    lon: FloatArray
    position: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, regions: Sequence[Region]) -> Hierarchy:
        """Index ``regions`` (ids unique, parents known and of a higher level)."""
        return cls.from_columns(
            ids=[r.id for r in regions],
            levels=[r.level for r in regions],
            parents=[r.parent for r in regions],
            priorities=[r.priority for r in regions],
            lat=[r.lat for r in regions],
            lon=[r.lon for r in regions],
        )

    @classmethod
    def from_columns(
        cls,
        ids: Sequence[str],
        levels: Sequence[Level],
        parents: Sequence[str | None],
        priorities: Sequence[Priority | None],
        lat: Sequence[float | None],
        lon: Sequence[float | None],
    ) -> Hierarchy:
        """Index regions given field by field (ids unique, parents known and of a higher level).

        Examples
        --------
        >>> tree = Hierarchy.from_columns(
        ...     ids=["p", "c"], levels=[Level.PROVINCE, Level.CITY], parents=[None, "p"],
        ...     priorities=[None, Priority.KEY], lat=[None, None], lon=[None, None])
        >>> tree.ancestors("c"), [_TIERS[t].value for t in tree.tier]
        (['p'], ['normal', 'key'])
        """
        ids = tuple(ids)
        position = {region_id: i for i, region_id in enumerate(ids)}
        n = len(ids)
        parent = np.array([position.get(p, -1) if p else -1 for p in parents], np.int64)
        depth_of = {level: level.depth for level in Level}
        depth = np.array([depth_of[level] for level in levels], np.int64)
        tier_code: dict[Priority | None, int] = {tier: code for code, tier in enumerate(_TIERS)}
        own_tier = np.array([tier_code.get(p, -1) for p in priorities], np.int64)
        lat_array = np.array([np.nan if x is None else x for x in lat], np.float64)
        lon_array = np.array([np.nan if x is None else x for x in lon], np.float64)
        has_coordinates = ~(np.isnan(lat_array) | np.isnan(lon_array))
        lat_array[~has_coordinates] = np.nan
        lon_array[~has_coordinates] = np.nan

        ancestor_at = np.full((n, len(_LEVELS)), -1, np.int64)
        tier = own_tier.copy()
        # Parents are strictly shallower, so filling level by level sees every parent done first.
        for d in range(len(_LEVELS)):
            rows = np.flatnonzero(depth == d)
            up = parent[rows]
            inner = rows[up >= 0]
            outer = up[up >= 0]
            ancestor_at[inner] = ancestor_at[outer]
            ancestor_at[rows, d] = rows
            inherit_tier = tier[inner] < 0
            tier[inner[inherit_tier]] = tier[outer[inherit_tier]]
            inherit_xy = np.isnan(lat_array[inner])
            lat_array[inner[inherit_xy]] = lat_array[outer[inherit_xy]]
            lon_array[inner[inherit_xy]] = lon_array[outer[inherit_xy]]
        tier[tier < 0] = _TIERS.index(Priority.NORMAL)
        return cls(ids, parent, depth, ancestor_at, tier, lat_array, lon_array, position)

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, region_id: str) -> int:
        """Position of ``region_id``; raises ``KeyError`` when unknown."""
        return self.position[region_id]

    def ancestors(self, region_id: str) -> list[str]:
        """Ids of the strict ancestors of ``region_id``, root first."""
        row = self.ancestor_at[self.position[region_id]]
        own = self.position[region_id]
        return [self.ids[a] for a in row if a >= 0 and a != own]

    def descendants(self, region_id: str) -> list[str]:
        """Ids of the strict descendants of ``region_id``, in input order."""
        r = self.position[region_id]
        inside = self.ancestor_at[:, self.depth[r]] == r
        inside[r] = False
        return [self.ids[i] for i in np.flatnonzero(inside)]

    def contains(self, outer_id: str, inner_id: str) -> bool:
        """Whether ``inner_id`` is ``outer_id`` or lies inside it."""
        outer, inner = self.position[outer_id], self.position[inner_id]
        return bool(self.ancestor_at[inner, self.depth[outer]] == outer)

    def within(self, inner: IntArray, outer: IntArray) -> npt.NDArray[np.bool_]:
        """Elementwise :meth:`contains` over index arrays (``outer`` entries of -1 contain nothing)."""
        inner = np.asarray(inner, np.int64)
        outer = np.asarray(outer, np.int64)
        result = np.zeros(np.broadcast(inner, outer).shape, bool)
        valid = (outer >= 0) & (inner >= 0)
        o = np.broadcast_to(outer, result.shape)[valid]
        i = np.broadcast_to(inner, result.shape)[valid]
        result[valid] = self.ancestor_at[i, self.depth[o]] == o
        return result

    def distance_km(self, a: IntArray, b: IntArray) -> FloatArray:
        """Great-circle distance in km between regions (by index); NaN where one has no coordinates.

        It goes through unit vectors, one per region, so that a pair costs a few multiplications
        and one arcsine rather than the haversine's trigonometric calls.
        """
        lat, lon = np.radians(self.lat), np.radians(self.lon)
        unit = (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
        squared = sum((axis[a] - axis[b]) ** 2 for axis in unit)
        chord = np.minimum(np.sqrt(squared) / 2, 1.0)
        return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(chord))

    def at_level(self, regions: IntArray, level: Level) -> IntArray:
        """Index of the ancestor-or-self at ``level`` of each region (-1 where there is none)."""
        found: IntArray = self.ancestor_at[np.asarray(regions, np.int64), level.depth]
        return found
