"""Forms one of our apps posts to another (market's "Add to cart" posts to the cart app).

The shared CSRF check (signed double-submit, shared.infrastructure.security)
cannot work across hosts: the token on a market page is made from market's
host-only cookie, which the cart app never sees. Endpoints that take such
forms check instead where the request comes from, as the browser states it:

- `Origin` must be one of our six apps' origins (browsers send it with every
  cross-origin POST, and current ones with same-origin POSTs too); without
  Origin, `Referer` must be (our pages send `strict-origin-when-cross-origin`,
  so it carries at least our origin); with neither, the request is refused.

A page elsewhere can make a browser post here, but it cannot make the browser
misstate Origin, and SameSite=Lax keeps our cookies off its POSTs anyway.
This is OWASP's "verifying origin with standard headers" defence.

Where the apps share a site (blog.rose-ash.com, cart.rose-ash.com) such a
POST is same-site and carries the visitor's cookies. Where they do not
(the dev hosts *.localhost: browsers treat `localhost` as a top-level
domain; loopback IP addresses) the browser says `Sec-Fetch-Site: cross-site`
and keeps the cookies back, so the endpoint cannot tell whose cart it is:
`is_cross_site()` lets it send the visitor to a confirmation page of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from quart import abort, current_app, request

from shared.infrastructure.config import Settings
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.runtime import runtime
from shared.infrastructure.security import csrf_exempt

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def origin_of(url: str | None) -> str | None:
    """`https://cart.rose-ash.com` for any URL on that origin; None for anything else."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins(settings: Settings) -> frozenset[str]:
    return frozenset(
        origin for app in settings.apps.values() if (origin := origin_of(app.base_url))
    )


def comes_from_our_apps(headers: Any, settings: Settings) -> bool:
    """Whether the browser says this request was sent by a page of one of our apps."""
    sender = headers.get("Origin") or headers.get("Referer")
    return origin_of(sender) in own_origins(settings)


def is_cross_site(headers: Any) -> bool:
    """Whether the browser sent this request from another site (without our Lax cookies)."""
    return str(headers.get("Sec-Fetch-Site", "")).lower() == "cross-site"


def cross_app_form(view: F) -> F:
    """For a POST endpoint that pages of our other apps submit to (instead of the CSRF token)."""

    @functools.wraps(view)
    async def checked(*args: Any, **kwargs: Any) -> Any:
        if not comes_from_our_apps(request.headers, runtime(current_app).settings):
            abort(403, description="This form must be sent from a Rose Ash page.")
        return await view(*args, **kwargs)

    return csrf_exempt(checked)  # type: ignore[return-value]


def same_site_url(value: str | None, settings: Settings, default: str) -> str:
    """`value` when it is a path on this app or a URL on one of our apps, else `default`.

    Where a cross-app form sends the browser back to: never another site.
    """
    if not value:
        return default
    if value.startswith("/"):
        return safe_next(value, default)
    parts = urlsplit(value)
    origin = origin_of(value)
    if origin not in own_origins(settings) or parts.username or parts.password:
        return default
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return origin + path if safe_next(path, "") else default


def site_cookie_domain(settings: Settings) -> str | None:
    """The domain every app's host is under (`rose-ash.com`), for cookies all our apps must
    see; None (a host-only cookie) when they share none a browser would accept.

    A single label is never accepted: browsers treat `localhost` like a top-level
    domain and drop `Domain=localhost` (Chromium does), so with the default dev
    hosts (blog.localhost, cart.localhost) the cookie stays host-only.
    Hosts like blog.rose-ash.localhost share `rose-ash.localhost`, which works.
    """
    hosts = [urlsplit(app.base_url).hostname or "" for app in settings.apps.values()]
    if any(not host or host.replace(".", "").isdigit() for host in hosts):
        return None
    common: list[str] = []
    for labels in zip(*(reversed(host.split(".")) for host in hosts), strict=False):
        if len(set(labels)) != 1:
            break
        common.insert(0, labels[0])
    return ".".join(common) if len(common) >= 2 else None
