"""The page cache's door: an ASGI middleware in front of Quart (see page_cache.py).

A hit is answered here, before Quart builds a request, runs its hooks and a
view: that is most of what a page costs once its HTML is known. So the few
things Quart's hooks do for a page are done here for a hit too, the same way:
the browser's CSRF cookie (minted when it has none, `ra_csrf`, as security.py
sets it) and its token in the page's forms. The security headers and the
request id are added around this middleware (security.ResponseHeaders), to a
hit as to anything else; a page is kept with the view's own headers.

A miss goes on to Quart marked as a candidate; Quart's last after-request hook
(page_cache.py) says whether what the view made may be kept, and with which
CSRF token to blank out, in an internal header this middleware removes. A miss
of a page this process is rendering already (at the same generation) waits
for that render and is answered from what it kept, as a hit: when a busy
page's copy expires, the burst of misses makes one render, not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from quart import Quart, Response, current_app, g, request
from werkzeug.http import dump_cookie

from shared.infrastructure.config import Settings
from shared.infrastructure.oauth import sign_in_state
from shared.infrastructure.page_cache import (
    APP_UNCACHED_PREFIXES,
    CSRF_PLACEHOLDER,
    EXTENSION_KEY,
    KEEP_HEADER,
    MAX_BODY_BYTES,
    MAX_TARGET_LENGTH,
    PREFIX,
    SCOPE_KEY,
    UNCACHED_PREFIXES,
    CachedPage,
    PageCache,
    PageKey,
)
from shared.infrastructure.runtime import runtime
from shared.infrastructure.security import (
    CSRF_COOKIE,
    CSRF_VALUE_BYTES,
    UNSAFE_METHODS,
    csrf_cookie_options,
    csrf_token,
    csrf_token_for,
    minted_csrf_value,
)
from shared.infrastructure.sessions import (
    MAX_COOKIE_LENGTH,
    PROVIDER_COOKIE,
    AppSession,
    session_digest,
    session_key,
)
from shared.infrastructure.viewer import current_viewer

# ASGI's own shapes, loosely: Quart's and Hypercorn's typed events are all dicts.
Scope = Any
Message = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

# Cookies that say nothing about what is rendered; any other ra_* cookie does. The login
# cookie only binds a sign-in under way to this browser (oauth.py); it stays afterwards.
NEUTRAL_COOKIES = frozenset({CSRF_COOKIE, "ra_sso_checked", "ra_login"})
# The candidate mark of an anonymous page (a member's is their session's digest).
ANONYMOUS = "-"
_COOKIE_PREFIXES = ("__Host-", "__Secure-")
_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
# How long a miss waits for the same page's render under way before making its own.
FOLLOW_SECONDS = 5.0
# Not kept with a page: the visitor's own, or made again for each answer.
_NOT_KEPT = frozenset(
    {b"set-cookie", b"content-length", b"x-request-id", b"date", b"x-cache", KEEP_HEADER}
)


@dataclass(frozen=True, slots=True)
class Visitor:
    """What a cacheable request says about its browser."""

    key: PageKey
    csrf_value: str | None
    # A member: their session's digest, and its key in Redis; an anonymous visitor: "-".
    mark: str = ANONYMOUS
    session: str | None = None


def _visitor(scope: Scope, app_name: str, session_cookie: str) -> Visitor | None:
    """The page key of a GET that may be answered from the cache, or None: an anonymous
    visitor's (shared by all of them) or a member's (their session's own)."""
    cookie = host = ""
    navigate = False
    for name, value in scope["headers"]:
        if name == b"cookie":  # HTTP/2 may split the cookies over several headers
            cookie = f"{cookie};{value.decode('latin-1')}" if cookie else value.decode("latin-1")
        elif name == b"host":
            host = value.decode("latin-1")
        elif name in (b"authorization", b"hx-request"):
            return None
        elif name == b"accept" and b"json" in value:
            return None  # ActivityPub and APIs ask for JSON at the same addresses
        elif name == b"sec-fetch-mode":
            navigate = value == b"navigate"
    csrf_value: str | None = None
    member: str | None = None
    checked = provider = False
    if cookie:
        for part in cookie.split(";"):
            raw_name, _, value = part.strip().partition("=")
            name = raw_name
            for prefix in _COOKIE_PREFIXES:
                name = name.removeprefix(prefix)
            if name == CSRF_COOKIE:
                csrf_value = minted_csrf_value(value)
            elif name in NEUTRAL_COOKIES:
                checked = checked or name == "ra_sso_checked"
            elif raw_name == session_cookie and member is None:
                if not value or len(value) > MAX_COOKIE_LENGTH:
                    return None
                member = session_digest(value)
            elif name == PROVIDER_COOKIE:
                # For a member, the same person as their session at federation (whose
                # provider pages are never cached); for anyone else, the silent check is
                # about to sign them in.
                provider = True
            elif name == "session" or name.startswith("ra_"):
                return None  # a cart, a sign-in under way, a second session: their own page
    if member is None and (provider or (navigate and not checked)):
        return None  # the app may first check, silently, whether this browser is signed in
    raw_query = scope.get("query_string", b"")
    query = (
        urlencode(sorted(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)))
        if raw_query
        else ""
    )
    target = f"{scope.get('scheme', 'http')}://{host}{scope['path']}?{query}"
    if len(target) > MAX_TARGET_LENGTH:
        return None
    tail = f":GET:{target}"
    if member is None:
        key = PageKey(head=f"{PREFIX}:{app_name}:", tail=tail, has_query=bool(query))
        return Visitor(key=key, csrf_value=csrf_value)
    key = PageKey(head=f"{PREFIX}:{app_name}:m:{member}:", tail=tail, has_query=bool(query))
    return Visitor(
        key=key,
        csrf_value=csrf_value,
        mark=member,
        session=session_key(app_name, member),
    )


class PageCacheMiddleware:
    """Answers hits; marks misses and keeps what Quart approves; renews the generation
    after every successful write request (for writes that record no event)."""

    def __init__(
        self,
        app: ASGIApp,
        cache: Callable[[], PageCache | None],
        *,
        app_name: str,
        session_cookie: str,
        uncached: tuple[str, ...],
        secret_key: str,
        secure_cookies: bool,
    ) -> None:
        self.app = app
        self._cache = cache
        self._name = app_name
        self._session_cookie = session_cookie
        self._uncached = uncached
        self._secret = secret_key
        self._secure = secure_cookies
        # Renders under way in this process, by page key at its generation: a burst of
        # misses of one page (its copy expired under load) waits for one render instead
        # of making sixteen at once.
        self._renders: dict[str, asyncio.Future[CachedPage | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            if method == "GET" and not scope["path"].startswith(self._uncached):
                cache = self._cache()
                if cache is not None:
                    return await self._get(cache, scope, receive, send)
            elif method in UNSAFE_METHODS:
                cache = self._cache()
                if cache is not None:
                    return await self._write(cache, scope, receive, send)
        return await self.app(scope, receive, send)

    async def _write(self, cache: PageCache, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            # Before the answer leaves: the redirect it may be is followed at once.
            if message["type"] == "http.response.start" and message["status"] < 400:
                await cache.invalidate()
            await send(message)

        await self.app(scope, receive, sending)

    async def _get(self, cache: PageCache, scope: Scope, receive: Receive, send: Send) -> None:
        visitor = _visitor(scope, self._name, self._session_cookie)
        found = (
            await cache.read(visitor.key, session=visitor.session) if visitor is not None else None
        )
        if visitor is None or found is None:
            return await self.app(scope, receive, send)
        generation, page = found
        if page is not None:
            return await self._answer(page, visitor, send)
        at = visitor.key.at(generation)
        under_way = self._renders.get(at)
        if under_way is not None:
            # Shielded: a follower that gives up (or whose client left) must not cancel the
            # render the others wait for.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FOLLOW_SECONDS):
                    page = await asyncio.shield(under_way)
            if page is not None:
                return await self._answer(page, visitor, send)
            # It kept nothing (a cookie, an error) or took too long: this one renders.
            await self._render(cache, scope, receive, send, visitor, generation)
            return
        flight: asyncio.Future[CachedPage | None] = asyncio.get_running_loop().create_future()
        self._renders[at] = flight
        try:
            flight.set_result(await self._render(cache, scope, receive, send, visitor, generation))
        finally:
            del self._renders[at]
            if not flight.done():
                flight.set_result(None)

    async def _render(
        self,
        cache: PageCache,
        scope: Scope,
        receive: Receive,
        send: Send,
        visitor: Visitor,
        generation: bytes,
    ) -> CachedPage | None:
        """Quart's answer, sent on as it comes; the page kept from it, if Quart approved."""
        kept: list[bytes] = []
        token: list[bytes] = []  # set when Quart approved keeping this page
        start: dict[str, Any] = {}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message["headers"]:
                    if name.lower() == KEEP_HEADER:
                        token.append(value)
                    else:
                        headers.append((name, value))
                headers.append((b"x-cache", b"MISS"))
                message = {**message, "headers": headers}
                start.update(message)
            elif message["type"] == "http.response.body" and token:
                kept.append(message.get("body", b""))
            await send(message)

        await self.app({**scope, SCOPE_KEY: visitor.mark}, receive, sending)
        body = b"".join(kept)
        if not token or start.get("status") != 200 or len(body) > MAX_BODY_BYTES:
            return None
        if token[0] != b"-":
            body = body.replace(token[0], _PLACEHOLDER)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in start["headers"]
            if name.lower() not in _NOT_KEPT
        ]
        page = CachedPage(200, headers, body)
        await cache.store(visitor.key, generation, page)
        return page

    async def _answer(self, page: CachedPage, visitor: Visitor, send: Send) -> None:
        body = page.body
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in page.headers
        ]
        if _PLACEHOLDER in body:
            value = visitor.csrf_value
            if value is None:
                value = secrets.token_urlsafe(CSRF_VALUE_BYTES)
                cookie = dump_cookie(CSRF_COOKIE, value, **csrf_cookie_options(self._secure))
                headers.append((b"set-cookie", cookie.encode("latin-1")))
            body = body.replace(_PLACEHOLDER, csrf_token_for(self._secret, value).encode())
        headers += [
            (b"content-length", str(len(body)).encode()),
            (b"x-cache", b"HIT"),
        ]
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _keepable(response: Response, mark: str) -> bool:
    """Whether what the view made is the page of every anonymous visitor (`mark` "-"), or
    of the member whose session has the digest `mark`."""
    if response.status_code != 200 or response.mimetype != "text/html":
        return False
    # The CSRF cookie this request minted is not kept (a hit mints its own); any other
    # cookie makes the page the visitor's own.
    csrf = f"{CSRF_COOKIE}="
    if any(not c.startswith(csrf) for c in response.headers.getlist("Set-Cookie")):
        return False
    cache_control = response.headers.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control:
        return False
    viewer = current_viewer()
    if mark == ANONYMOUS:
        if viewer is not None:  # a view that signed someone in
            return False
    else:
        # Rendered for exactly the session the key names (not one that ended meanwhile).
        session: AppSession | None = g.get("app_session")
        if viewer is None or session is None or session.user_id != viewer.id:
            return False
        if session_digest(session.cookie_value) != mark:
            return False
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and not getattr(view, "_no_page_cache", False)


def install_page_cache(app: Quart, settings: Settings) -> None:
    """Put the page cache in front of `app`; call it before the response headers and any
    proxy middleware are put around it (it must see the visitor's scheme and host)."""
    name = runtime(app).name
    ttl = settings.page_cache.ttl
    fragments = settings.fragments

    @app.before_serving
    async def open_page_cache() -> None:
        app.extensions[EXTENSION_KEY] = PageCache(
            runtime(app).cache_redis,
            sessions=runtime(app).redis,
            ttl=ttl,
            timeout=fragments.cache_timeout,
            cooldown=fragments.cooldown,
        )

    @app.after_serving
    async def close_page_cache() -> None:
        app.extensions.pop(EXTENSION_KEY, None)

    if ttl == 0:
        return
    keep_header = KEEP_HEADER.decode()

    @app.after_request
    async def approve_keeping(response: Response) -> Response:
        mark = request.scope.get(SCOPE_KEY)
        if isinstance(mark, str) and _keepable(response, mark):
            response.headers[keep_header] = csrf_token() if "csrf_value" in g else "-"
        return response

    app.asgi_app = PageCacheMiddleware(  # type: ignore[method-assign,assignment]
        app.asgi_app,
        lambda: app.extensions.get(EXTENSION_KEY),
        app_name=name,
        session_cookie=sign_in_state(app).cookies.session,
        uncached=UNCACHED_PREFIXES + APP_UNCACHED_PREFIXES.get(name, ()),
        secret_key=settings.secret_key,
        secure_cookies=settings.secure_cookies,
    )
