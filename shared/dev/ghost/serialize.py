"""How the stand-in shows an object: Admin or Content API, with `include`, `formats`, `fields`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from shared.dev.ghost.content import plaintext

if TYPE_CHECKING:
    from shared.dev.ghost.server import GhostStandIn

Item = dict[str, Any]

# Fields only the Admin API shows (the Content API serves published content to anyone).
_ADMIN_ONLY_POST = ("status", "type")
_ADMIN_ONLY_USER = ("email", "status")


def _public_user(user: Item, admin: bool) -> Item:
    shown = dict(user)
    if not admin:
        for name in _ADMIN_ONLY_USER:
            shown.pop(name, None)
    return shown


def serialize(
    ghost: GhostStandIn,
    item: Item,
    *,
    admin: bool,
    include: set[str],
    formats: set[str],
    fields: list[str] | None = None,
) -> Item:
    shown = {k: v for k, v in item.items() if not k.startswith("_")}
    html = shown.pop("html")
    if "html" in formats:
        shown["html"] = html
    if "plaintext" in formats:
        shown["plaintext"] = plaintext(html)
    if admin and "lexical" in formats:
        # A minimal Lexical document carrying the HTML, as Ghost's HTML card does.
        shown["lexical"] = json.dumps(
            {
                "root": {
                    "children": [{"type": "html", "version": 1, "html": html}],
                    "direction": None,
                    "format": "",
                    "indent": 0,
                    "type": "root",
                    "version": 1,
                }
            }
        )
    if not admin:
        for name in _ADMIN_ONLY_POST:
            shown.pop(name, None)
    if "tags" in include:
        tags = [dict(ghost.tags[t]) for t in item["_tags"] if t in ghost.tags]
        shown["tags"] = tags
        # Ghost's primary tag is the first public one.
        shown["primary_tag"] = next((t for t in tags if t["visibility"] == "public"), None)
    if "authors" in include:
        authors = [_public_user(ghost.users[a], admin) for a in item["_authors"]]
        shown["authors"] = authors
        shown["primary_author"] = authors[0] if authors else None
    if fields:
        shown = {k: v for k, v in shown.items() if k in fields}
    return shown


def serialize_plain(item: Item, *, admin: bool, fields: list[str] | None = None) -> Item:
    """A tag or user (no relations, no formats)."""
    shown = _public_user(item, admin) if "email" in item else dict(item)
    if fields:
        shown = {k: v for k, v in shown.items() if k in fields}
    return shown
