"""The service's words from the catalog: error titles, status labels, the language asked for.

Category and rating labels come from the package's own catalogs
(:meth:`matcher.Category.label`, :func:`matcher.dispatch.ratings.label`); the details of an issue
or a refused transition are matcher's own messages, as the library writes them.

Examples
--------
>>> negotiate("en-US,en;q=0.9"), negotiate("zh-CN"), negotiate("fr, en;q=0.5"), negotiate(None)
('en', 'zh', 'en', 'zh')
>>> title("stale_sequence", "en")
'the dispatch has moved on since the sequence number given'
>>> status_label("in_service", "zh")
'服务中'
"""

from __future__ import annotations

from ..models import catalog
from ..models.vocab import Language

__all__ = ["CODES", "negotiate", "status_label", "title"]

#: Every error code the service answers with (its title is the catalog's ``service.<code>``).
CODES: tuple[str, ...] = tuple(catalog.section("service"))


def negotiate(header: str | None) -> Language:
    """The language an ``Accept-Language`` header prefers among zh and en (zh when neither).

    Tags are weighed by their ``q``; among equal weights the first one listed wins.
    """
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and weight > 0:
            language: Language = "zh" if primary == "zh" else "en"
            if best is None or (-weight, position) < (best[0], best[1]):
                best = (-weight, position, language)
    return "zh" if best is None else best[2]


def title(code: str, language: Language) -> str:
    """The title of an error code."""
    return catalog.text(f"service.{code}", language)


def status_label(status: str, language: Language) -> str:
    """The label of a need's or an offer's status."""
    return catalog.text(f"status.{status}", language)
