"""The cells of the HTML tables that problems, plans and comparisons show in notebooks.

Each view (:func:`~matcher.models.problem.problem_html`, :func:`~matcher.plan.solution.solution_html`,
:func:`~matcher.analysis.comparison.comparison_html`) lives beside the class whose
``_repr_html_`` it is, and builds its fragment from these: escaped text, no scripts, no styles
beyond inline alignment, so that it renders in Jupyter, VS Code and exported HTML alike.

Examples
--------
>>> table_row(["a", "<b>", "1"])
"<tr><th style='text-align:left'>a</th><td><b></td><td>1</td></tr>"
>>> table_row([escape("a"), escape("<b>")], header=True)
"<tr><th style='text-align:left'>a</th><th>&lt;b&gt;</th></tr>"
"""

from __future__ import annotations

import html

__all__ = ["escape", "table_row"]

_LEFT = " style='text-align:left'"


def table_row(cells: list[str], *, header: bool = False) -> str:
    """A table row: the first cell a left-aligned header, the others data (or headers)."""
    tag = "th" if header else "td"
    first = f"<th{_LEFT}>{cells[0]}</th>"
    return "<tr>" + first + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells[1:]) + "</tr>"


def escape(value: object) -> str:
    """``value`` as text safe inside HTML."""
    return html.escape(str(value))
