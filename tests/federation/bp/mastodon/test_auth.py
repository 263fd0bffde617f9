"""Mastodon's scope rules: a top-level scope covers its sub-scopes, `follow` the follow
parts of read and write, and nothing covers what it does not name."""

from __future__ import annotations

import pytest

from federation.bp.mastodon.auth import covers


@pytest.mark.parametrize(
    ("granted", "needed", "allowed"),
    [
        ({"write"}, "write:statuses", True),
        ({"write:statuses"}, "write:statuses", True),
        ({"write:media"}, "write:statuses", False),
        ({"read"}, "write:statuses", False),
        ({"follow"}, "write:follows", True),
        ({"follow"}, "read:follows", True),
        ({"follow"}, "write:statuses", False),
        ({"read"}, "read:notifications", True),
        ({"openid", "profile"}, "read:accounts", False),
    ],
)
def test_scopes_cover_what_mastodon_says(granted: set[str], needed: str, allowed: bool) -> None:
    assert covers(frozenset(granted), needed) is allowed
