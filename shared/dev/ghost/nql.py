"""The part of Ghost's NQL filter language (and `order`) a sync uses, over plain dicts.

Supported: `prop:value`, `prop:'quoted value'`, `prop:>value` (and `>=`, `<`, `<=`),
`prop:-value` (not), `prop:[a,b]` (in) and `prop:-[a,b]`, a leading `-prop:value`,
`+` (and), `,` (or) and parentheses; `+` binds tighter than `,`, as in NQL. Timestamps
compare as instants whether written `2026-01-01 00:00:00` or ISO with `Z`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Item = dict[str, Any]
Predicate = Callable[[Item], bool]


class FilterError(ValueError):
    """The filter is not NQL this stand-in understands; the message says where."""


_TOKEN = re.compile(
    r"\s*(?:(?P<quoted>'(?:[^'\\]|\\.)*')|(?P<op>>=|<=|[():+,\[\]<>-])|(?P<word>[^\s():+,\[\]'<>]+))"
)
_DATE_FIELDS = {"updated_at", "published_at", "created_at"}


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"cannot read the filter at {text[pos:]!r}")
        out.append(match.group(0).strip())
        pos = match.end()
    return out


def _instant(value: Any) -> datetime | None:
    if value is None or value == "null":
        return None
    text = str(value).replace(" ", "T").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{value!r} is not a date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _field_values(item: Item, prop: str) -> list[Any]:
    """What `prop` means on an item: tag/author filters match any related slug."""
    if prop in ("tag", "tags", "tags.slug"):
        return [t["slug"] for t in item.get("tags") or []]
    if prop in ("author", "authors", "authors.slug"):
        return [a["slug"] for a in item.get("authors") or []]
    if prop == "primary_tag":
        tags = item.get("tags") or []
        return [tags[0]["slug"]] if tags else [None]
    return [item.get(prop)]


def _compare(prop: str, actual: Any, op: str, wanted: Any) -> bool:
    if prop in _DATE_FIELDS:
        actual, wanted = _instant(actual), _instant(wanted)
    elif isinstance(actual, bool):
        wanted = str(wanted).lower() == "true"
    elif wanted == "null":
        wanted = None
    if op == "=":
        return bool(actual == wanted)
    if actual is None or wanted is None:
        return False
    if op == ">":
        return bool(actual > wanted)
    if op == ">=":
        return bool(actual >= wanted)
    if op == "<":
        return bool(actual < wanted)
    return bool(actual <= wanted)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise FilterError(f"expected {expected or 'more'} in the filter, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()!r} in the filter")
        return predicate

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.peek() == ",":
            self.take()
            parts.append(self.and_())
        return lambda item: any(p(item) for p in parts)

    def and_(self) -> Predicate:
        parts = [self.term()]
        while self.peek() == "+":
            self.take()
            parts.append(self.term())
        return lambda item: all(p(item) for p in parts)

    def value(self) -> str:
        token = self.take()
        if token.startswith("'"):
            return token[1:-1].replace("\\'", "'")
        if token in "():+,[]<>-":
            raise FilterError(f"expected a value in the filter, got {token!r}")
        return token

    def term(self) -> Predicate:
        if self.peek() == "(":
            self.take()
            inner = self.or_()
            self.take(")")
            return inner
        negate = False
        if self.peek() == "-":
            self.take()
            negate = True
        prop = self.take()
        if not re.fullmatch(r"[a-z_.]+", prop):
            raise FilterError(f"{prop!r} is not a property name")
        self.take(":")
        op = "="
        if self.peek() == "-":
            self.take()
            negate = not negate
        if self.peek() in (">", ">=", "<", "<="):
            op = self.take()
        if self.peek() == "[":
            self.take()
            wanted = [self.value()]
            while self.peek() == ",":
                self.take()
                wanted.append(self.value())
            self.take("]")
        else:
            wanted = [self.value()]

        def matches(item: Item) -> bool:
            hit = any(
                _compare(prop, actual, op, w)
                for actual in _field_values(item, prop)
                for w in wanted
            )
            return hit != negate

        return matches


def compile_filter(text: str | None) -> Predicate:
    if not text:
        return lambda item: True
    return _Parser(_tokens(text)).parse()


def sort_items(items: list[Item], order: str | None, default: str) -> list[Item]:
    """Sort by an `order` like `updated_at asc, id desc`; a missing value sorts first."""
    keys: list[tuple[str, bool]] = []
    for part in (order or default).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or not re.fullmatch(r"[a-z_]+", words[0]):
            raise FilterError(f"{part.strip()!r} is not an order like 'updated_at asc'")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise FilterError(f"{part.strip()!r}: the direction must be asc or desc")
        keys.append((words[0], direction == "desc"))
    result = list(items)
    for name, descending in reversed(keys):
        result.sort(
            key=lambda item: (item.get(name) is not None, item.get(name) or ""),
            reverse=descending,
        )
    return result
