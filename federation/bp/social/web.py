"""What the hub's pages share: the signed-in member, paging from the query string."""

from __future__ import annotations

from quart import abort, request

from shared.contracts.dtos import UserRecord
from shared.contracts.social import PageQuery
from shared.infrastructure.oauth import current_user
from shared.infrastructure.params import whole_number


def member() -> UserRecord:
    user = current_user()
    if user is None:
        abort(401, description="Sign in to do that.")
    return user


def page_query(limit: int = 20) -> PageQuery:
    """`max_id` / `min_id` from the query string (a 400 when malformed)."""
    return PageQuery(
        max_id=whole_number(request.args.get("max_id"), "max_id"),
        min_id=whole_number(request.args.get("min_id"), "min_id"),
        limit=whole_number(request.args.get("limit"), "limit", default=limit, maximum=40) or limit,
    )
