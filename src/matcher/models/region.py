"""Regions: the administrative hierarchy from the nation down to villages."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Id, Model
from .vocab import Level, Priority

__all__ = ["Region"]


class Region(Model):
    """An administrative region.

    Parameters
    ----------
    id
        Unique id, for example the GB/T 2260 code ``"140121"``.
    name
        Display name (``"清徐县"``).
    level
        ``nation``, ``province``, ``city``, ``county``, ``township`` or ``village``.
    parent
        Id of the enclosing region; ``None`` for a root. A parent is always of a higher level.
    priority
        Priority tier; ``None`` inherits the nearest ancestor's tier (``normal`` at the root).
    lat, lon
        Optional coordinates in degrees; ``None`` inherits the nearest ancestor's.

    Examples
    --------
    >>> Region(id="140121", name="清徐县", level="县", parent="140100", priority="key").level
    <Level.COUNTY: 'county'>
    """

    id: Id
    name: str = ""
    level: Level
    parent: Id | None = None
    priority: Priority | None = None
    lat: Annotated[float, Field(ge=-90.0, le=90.0)] | None = None
    lon: Annotated[float, Field(ge=-180.0, le=180.0)] | None = None
