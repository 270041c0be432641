"""MkDocs hooks: the README and the benchmark pages become pages of the site.

The repository's Markdown links to files by their place in the repository (``docs/rules.md``,
``../benchmarks/RESULTS.md#targets``), so that the files read well where they are. Here those
files join the site and every link between them is pointed at the page it names; MkDocs then
checks each link and anchor, so a link to a renamed section fails the strict build.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

#: Files outside ``docs/`` that the site shows: place in the repository -> page of the site.
EXTRA_PAGES = {
    "README.md": "index.md",
    "benchmarks/RESULTS.md": "results.md",
    "benchmarks/README.md": "benchmarks.md",
}

_LINK = re.compile(r"\]\(([^)\s#]+\.md)(#[^)\s]*)?\)")


def _page_of(repo_path: str) -> str | None:
    """The site's page for a Markdown file of the repository, or None if it has none."""
    if repo_path in EXTRA_PAGES:
        return EXTRA_PAGES[repo_path]
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    return None


def _repo_path_of(page: str) -> str:
    """The repository's file behind a page of the site."""
    for repo_path, site_page in EXTRA_PAGES.items():
        if site_page == page:
            return repo_path
    return f"docs/{page}"


def _relink(markdown: str, page: str) -> str:
    """``markdown`` of ``page`` with each link to a repository file pointed at its page."""
    here = posixpath.dirname(_repo_path_of(page))

    def relink(match: re.Match[str]) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        if "://" in target:
            return match.group(0)
        linked = _page_of(posixpath.normpath(posixpath.join(here, target)))
        if linked is None:  # left as written: MkDocs reports it
            return match.group(0)
        relative = posixpath.relpath(linked, posixpath.dirname(page) or ".")
        return f"]({relative}{anchor})"

    return _LINK.sub(relink, markdown)


def on_files(files: Files, config: Any) -> Files:
    root = Path(config["config_file_path"]).parent
    for repo_path, page in EXTRA_PAGES.items():
        text = (root / repo_path).read_text(encoding="utf-8")
        files.append(File.generated(config, page, content=text))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    return _relink(markdown, page.file.src_uri)
