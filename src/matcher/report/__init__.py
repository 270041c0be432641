"""Plans shown to people: HTML tables for notebooks (:mod:`~matcher.report.display`) and
pictures (:mod:`~matcher.report.plots`, the ``plot`` extra)."""
