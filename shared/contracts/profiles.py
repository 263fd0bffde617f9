"""A member's public profile, as account's profile page edits it (identity stores it)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DISPLAY_NAME = 100
MAX_BIO = 2000


@dataclass(frozen=True, slots=True)
class MemberProfile:
    display_name: str
    bio: str = ""
    avatar_url: str | None = None  # a stored image's URL (shared.infrastructure.media)
