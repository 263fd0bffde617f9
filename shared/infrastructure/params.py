"""Reading numbers from query strings and forms: what PostgreSQL can hold, or a 400.

`str.isdigit` accepts `²` and `int()` accepts ` 1_0 `, `-1` and numbers too
large for a PostgreSQL integer: each of those reached the database or
`int()` and came back as a 500. Here a whole number is ASCII digits only,
within the range the column holds.
"""

from __future__ import annotations

import re

from quart import abort

PG_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_whole(text: str, *, maximum: int = PG_INT_MAX) -> int | None:
    """`text` as a whole number from 0 to `maximum`, or None when it is not one."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def whole_number(
    text: str | None, name: str, *, default: int | None = None, maximum: int = PG_INT_MAX
) -> int | None:
    """A request parameter as a whole number; `default` when absent, a 400 when malformed."""
    if text is None or text == "":
        return default
    value = parse_whole(text, maximum=maximum)
    if value is None:
        abort(400, description=f"{name} must be a whole number from 0 to {maximum}.")
    return value
