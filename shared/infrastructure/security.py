"""Security headers, CSRF protection for forms, and request ids.

CSRF uses signed double-submit: a random per-browser value in a host-only
cookie, and a form token that is the HMAC of that value under a key derived
for CSRF alone (`shared.infrastructure.keys`). A cross-site form can make the
browser send the cookie but cannot read it to forge the token. The cookie is
accepted only in the shape the server mints (43 URL-safe characters):
anything else is replaced by a fresh value, and since the CSRF key derives
nothing else, no chosen cookie can make the form reveal another secret.
Machine endpoints (internal fragments, ActivityPub inboxes, OAuth token
calls) opt out with `@csrf_exempt`: they authenticate otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from quart import Quart, Response, abort, after_this_request, current_app, g, make_response, request
from werkzeug.wrappers import Response as WerkzeugResponse

from shared.infrastructure.config import Settings
from shared.infrastructure.keys import Purpose, derive_key

CSRF_COOKIE = "ra_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_ID_RE = re.compile(rb"^[A-Za-z0-9._-]{8,128}$")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
CSRF_VALUE_BYTES = 32
CSRF_COOKIE_MAX_AGE = 60 * 60 * 24 * 30
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_CSRF_VALUE_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_FRAMED_CSP = "rose_ash.framed_csp"
_CSRF_SECURE = "rose_ash.csrf_secure_cookie"

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def csrf_exempt(view: F) -> F:
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def frameable(view: F) -> F:
    """Let any site frame this route (embeddable widgets); every other route stays DENY."""

    @functools.wraps(view)
    async def framed(*args: Any, **kwargs: Any) -> Response | WerkzeugResponse:
        response = await make_response(await view(*args, **kwargs))
        # Its own policy: ResponseHeaders then adds neither its CSP nor X-Frame-Options.
        response.headers.setdefault("Content-Security-Policy", current_app.extensions[_FRAMED_CSP])
        return response

    return framed  # type: ignore[return-value]


def csrf_cookie_options(secure: bool) -> dict[str, Any]:
    """How the CSRF cookie is set, wherever it is set (here and on a page-cache hit)."""
    return {
        "max_age": CSRF_COOKIE_MAX_AGE,
        "path": "/",
        "secure": secure,
        "httponly": True,
        "samesite": "Lax",
    }


def _sign(secret_key: str, value: str) -> str:
    key = derive_key(secret_key, Purpose.CSRF)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def minted_csrf_value(value: str) -> str | None:
    """`value` if it has the shape of a CSRF cookie we mint; None otherwise."""
    return value if _CSRF_VALUE_RE.fullmatch(value) else None


def csrf_token_for(secret_key: str, value: str) -> str:
    """The form token of the browser whose CSRF cookie is `value` (the page cache's hits)."""
    return _sign(secret_key, value)


def _minted_cookie() -> str | None:
    """This browser's CSRF cookie, if it has the shape we mint; None otherwise."""
    return minted_csrf_value(request.cookies.get(CSRF_COOKIE, ""))


def csrf_token() -> str:
    """The token for this browser's forms; creates the cookie value on first use."""
    if "csrf_value" not in g:
        value = _minted_cookie()
        if value is None:
            value = secrets.token_urlsafe(CSRF_VALUE_BYTES)
            after_this_request(_set_csrf_cookie)
        g.csrf_value = value
    return _sign(current_app.config["SECRET_KEY"], g.csrf_value)


async def _set_csrf_cookie(response: Response | WerkzeugResponse) -> Response | WerkzeugResponse:
    options = csrf_cookie_options(current_app.extensions[_CSRF_SECURE])
    response.set_cookie(CSRF_COOKIE, g.csrf_value, **options)
    return response


async def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_csrf_exempt", False):
        return
    cookie = _minted_cookie()
    form = await request.form
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    expected = _sign(current_app.config["SECRET_KEY"], cookie) if cookie else None
    # Bytes: compare_digest refuses a str with non-ASCII characters (a 500).
    if expected is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="The form expired or came from another site. Reload and retry.")


def _has_nul(values: Any) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


async def _refuse_nul_bytes() -> None:
    """A NUL anywhere in the path, query or form is a 400 here, not a 500 at PostgreSQL.

    No text column can hold U+0000 and no legitimate form sends one, so one
    guard in front of every route is simpler and surer than a check per field.
    """
    # The query string is parsed only when it could hold a NUL (encoded or raw): parsing
    # it on every request was a measurable part of each one.
    query = request.query_string
    if "\x00" in request.path or ((b"%00" in query or b"\x00" in query) and _has_nul(request.args)):
        abort(400, description="The address contains a character we cannot accept (NUL).")
    is_form = request.method in UNSAFE_METHODS and request.mimetype in _FORM_TYPES
    if is_form and _has_nul(await request.form):
        abort(400, description="The form contains a character we cannot accept (NUL).")


def _content_security_policy(settings: Settings) -> str:
    # Forms may post to (and be redirected to) any of our own apps: sign-out
    # on one app continues at federation.
    own_origins = " ".join(app.base_url for app in settings.apps.values())
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' https: data:",
            "style-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {own_origins}",
            "frame-ancestors 'none'",
        ]
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(app_name: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        logging.Formatter(
            f"%(asctime)s %(levelname)s {app_name} [%(request_id)s] %(name)s: %(message)s"
        )
    )
    root = logging.getLogger()
    if not any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        root.addHandler(handler)
        root.setLevel(logging.INFO)


class ResponseHeaders:
    """The security headers and the request id, on every answer of an app.

    An ASGI middleware around everything else, so that an answer made without Quart (a
    page-cache hit) or by its error handling gets them the same way, and so that they cost
    a few list operations on bytes made once, not werkzeug's header calls (profiled with
    cProfile: the after-request hook that set them was the largest part of /healthz's cost
    over a bare Quart route). A header the view set itself wins; a view that sets its own
    Content-Security-Policy with frame-ancestors has chosen its framing, and gets no
    X-Frame-Options (browsers let frame-ancestors win anyway).
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        sent = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        # 32 random hex digits, as uuid4().hex without building a UUID (a third of this
        # middleware's cost in cProfile).
        request_id = sent if REQUEST_ID_RE.match(sent) else secrets.token_hex(16).encode()
        # Read by the log lines, the error pages and the fragment calls of this request:
        # Quart runs it in tasks that copy this context.
        request_id_var.set(request_id.decode("latin-1"))

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message["headers"])
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" in present:
                    own = next(v for k, v in headers if k.lower() == b"content-security-policy")
                    if b"frame-ancestors" in own:
                        present.add(b"x-frame-options")
                headers += [header for header in self._headers if header[0] not in present]
                headers.append((b"x-request-id", request_id))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def install_security(app: Quart, settings: Settings) -> None:
    """The request guards (NUL bytes, CSRF) and the CSRF cookie's settings; the response
    headers are `wrap_with_headers`, once every other middleware is in."""
    csp = _content_security_policy(settings)
    app.extensions[_FRAMED_CSP] = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
    app.extensions[_CSRF_SECURE] = settings.secure_cookies

    # One hook, not several: each registered hook costs an ensure_async wrapper and a call
    # on every request, /healthz included.
    @app.before_request
    async def guard_request() -> None:
        await _refuse_nul_bytes()
        await _check_csrf()


def wrap_with_headers(app: Quart, settings: Settings) -> None:
    """Put `ResponseHeaders` around the app: after install_page_cache, so that a hit gets
    them too (a proxy middleware may go around it: it changes no response)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": _content_security_policy(settings),
    }
    if settings.environment == "prod":
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    app.asgi_app = ResponseHeaders(app.asgi_app, headers)  # type: ignore[method-assign]
