"""Write a benchmark's table into a Markdown file, between ``<!-- name:start -->`` and
``<!-- name:end -->`` (appended under ``heading`` the first time)."""

from __future__ import annotations

import re
from pathlib import Path

#: A section :func:`write_block` appended: its heading, its markers and the block between them.
_SECTION = re.compile(r"\n## [^\n]*\n\n<!-- (\S+):start -->\n.*?\n<!-- \1:end -->\n", re.S)


def write_block(path: Path, name: str, heading: str, block: str) -> None:
    """Replace the marked block of ``path`` with ``block``, or append it under ``## heading``."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    marked = f"{start}\n{block}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + ".*" + re.escape(end), lambda _: marked, text, flags=re.S)
    else:
        text += f"\n## {heading}\n\n{marked}\n"
    path.write_text(text, encoding="utf-8")


def appended_sections(text: str) -> str:
    """The sections :func:`write_block` appended to ``text``, in order, for a writer that
    rewrites the rest of the file to carry over."""
    return "".join(match.group(0) for match in _SECTION.finditer(text))
