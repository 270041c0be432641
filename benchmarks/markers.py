"""Write a benchmark's table into a Markdown file, between ``<!-- name:start -->`` and
``<!-- name:end -->`` (appended under ``heading`` the first time)."""

from __future__ import annotations

import re
from pathlib import Path


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
