"""Where a member may be sent back to after signing in: only our own paths.

`next` arrives from the query string, so it is attacker-controlled: only a
path on this same site is accepted ("/cart/?x=1"), never another host
("https://evil.example", "//evil.example"), a scheme ("javascript:"), a
backslash (browsers read "/\\evil.example" as "//evil.example") or a control
character.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# A pending sign-in stores `next` in Redis: keep it small.
MAX_NEXT_LENGTH = 512


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` when it is a same-site path, else `default`."""
    if not value or len(value) > MAX_NEXT_LENGTH:
        return default
    if not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
