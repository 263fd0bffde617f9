"""The editor's form, read into a PostDraft; the schedule form's time, read as UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from werkzeug.datastructures import MultiDict

from shared.contracts.blog import PostDraft, PostError
from shared.infrastructure.params import parse_whole

MAX_DOC_BYTES = 400_000  # the form's other fields fit in the rest of the 512 KB body


def _doc(raw: str) -> dict[str, object] | None:
    if not raw.strip():
        return None
    if len(raw) > MAX_DOC_BYTES:
        raise PostError("doc", "The post is too long to save in one piece.")
    try:
        doc = json.loads(raw)
    except ValueError:
        raise PostError("doc", "The editor's document did not arrive whole; save again.") from None
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        raise PostError("doc", "The editor's document did not arrive whole; save again.")
    return doc


def draft_from_form(form: MultiDict[str, str]) -> PostDraft:
    """The draft the editor's form describes; PostError for a malformed field."""
    author_ids: list[int] = []
    for raw in form.getlist("authors"):
        number = parse_whole(raw)
        if number is None:
            raise PostError("authors", "Choose authors from the list.")
        author_ids.append(number)
    tags = tuple(name.strip() for name in form.get("tags", "").split(",") if name.strip())
    return PostDraft(
        title=form.get("title", ""),
        doc=_doc(form.get("doc", "")),
        excerpt=form.get("excerpt", ""),
        slug=form.get("slug", ""),
        type=form.get("type", "post"),
        tags=tags,
        author_ids=tuple(author_ids),
        featured=form.get("featured") == "on",
        visibility=form.get("visibility", "public"),
        feature_image=form.get("feature_image") or None,
    )


def parse_publish_at(raw: str, tz_offset: str) -> datetime:
    """The schedule form's `datetime-local` value in UTC. `tz_offset` is the browser's
    `getTimezoneOffset()` (minutes behind UTC; the editor fills it in, 0 without JS)."""
    try:
        local = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise PostError("publish_at", "Give the date and time to publish at.") from None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    offset = parse_whole(tz_offset.lstrip("-") or "0")
    if offset is None or offset > 24 * 60:
        raise PostError("publish_at", "The time zone offset is not a number of minutes.")
    minutes = -offset if tz_offset.startswith("-") else offset
    return (local + timedelta(minutes=minutes)).replace(tzinfo=UTC)
