"""The README and docs/ point only at files a clone has: every relative link resolves
to a file in the repository, and no path reaches outside it."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A path written in backquotes that climbs out of the repository, like `../shared/DESIGN.md`.
OUTSIDE_RE = re.compile(r"`(\.\./[^`\s]+\.(?:md|txt|py|yaml|yml|json))`")


def _documents() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def _broken(document: Path) -> list[str]:
    text = document.read_text()
    broken = []
    for target in LINK_RE.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor on the same page
        path = (document.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(REPO_ROOT) or not path.exists():
            broken.append(target)
    broken += OUTSIDE_RE.findall(text)
    return broken


def test_every_relative_link_of_the_docs_is_a_file_in_the_repository() -> None:
    assert (REPO_ROOT / "docs" / "architecture.md").exists()
    broken = {str(doc.relative_to(REPO_ROOT)): _broken(doc) for doc in _documents()}
    assert {doc: links for doc, links in broken.items() if links} == {}


def test_the_readme_links_the_architecture_description() -> None:
    assert "(docs/architecture.md)" in (REPO_ROOT / "README.md").read_text()


def test_the_check_sees_a_link_outside_the_repository(tmp_path: Path) -> None:
    page = REPO_ROOT / "docs" / "architecture.md"
    fake = tmp_path / "page.md"
    fake.write_text(
        "[handbook](../shared/DESIGN.md) and `../shared/DESIGN.md`, [web](https://x.test/)"
    )
    assert _broken(fake) == ["../shared/DESIGN.md", "../shared/DESIGN.md"]
    assert _broken(page) == []
