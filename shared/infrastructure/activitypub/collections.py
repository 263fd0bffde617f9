"""Outbox, followers and following as OrderedCollection with OrderedCollectionPage pages.

The collection itself carries `totalItems` and links `first`/`last`; pages
are `?page=1`, `?page=2`, ... newest first, with `partOf`, `next`, `prev`.
What is in them comes from the social service; this only renders it.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.dtos import CollectionSlice
from shared.infrastructure.activitypub.actors import AS_CONTEXT

PAGE_SIZE = 20


def page_window(page: int | None) -> tuple[int, int]:
    """The (limit, offset) of the items a page shows: none for the collection itself."""
    if page is None:
        return 0, 0
    return PAGE_SIZE, (max(1, page) - 1) * PAGE_SIZE


def collection_document(url: str, page: int | None, part: CollectionSlice) -> dict[str, Any]:
    """The collection (page None) or one page of it; pages past the end are empty."""
    last = max(1, -(-part.total // PAGE_SIZE))
    if page is None:
        return {
            "@context": AS_CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "totalItems": part.total,
            "first": f"{url}?page=1",
            "last": f"{url}?page={last}",
        }
    page = max(1, page)
    document: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{url}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": part.total,
        "orderedItems": [_without_context(item) for item in part.items],
    }
    if page < last:
        document["next"] = f"{url}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{url}?page={page - 1}"
    return document


def _without_context(item: Any) -> Any:
    if isinstance(item, dict):
        return {key: value for key, value in item.items() if key != "@context"}
    return item
