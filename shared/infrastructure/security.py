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

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from quart import Quart, Response, abort, current_app, g, request

from shared.infrastructure.config import Settings
from shared.infrastructure.keys import Purpose, derive_key

CSRF_COOKIE = "ra_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
CSRF_VALUE_BYTES = 32
CSRF_COOKIE_MAX_AGE = 60 * 60 * 24 * 30
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_CSRF_VALUE_RE = re.compile(r"[A-Za-z0-9_-]{43}")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def csrf_exempt(view: F) -> F:
    view._csrf_exempt = True  # type: ignore[attr-defined]
    return view


def frameable(view: F) -> F:
    """Let any site frame this route (embeddable widgets); every other route stays DENY."""
    view._frameable = True  # type: ignore[attr-defined]
    return view


def _is_frameable() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_frameable", False))


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
        g.csrf_value = _minted_cookie() or secrets.token_urlsafe(CSRF_VALUE_BYTES)
    return _sign(current_app.config["SECRET_KEY"], g.csrf_value)


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


def _prepared(headers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(lower-case name, name, value): matched against a response's names in one set."""
    return [(name.lower(), name, value) for name, value in headers.items()]


def install_security(app: Quart, settings: Settings) -> None:
    csp = _content_security_policy(settings)
    framed_csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
    secure_cookies = settings.secure_cookies
    hsts = settings.environment == "prod"

    # One hook, not three: each registered hook costs an ensure_async wrapper and a call
    # on every request, /healthz included (profiled with cProfile: the hooks and Quart's
    # cookie session were a third of healthz).
    @app.before_request
    async def guard_request() -> None:
        # From the ASGI headers (lower-case by the spec): werkzeug's `headers.get` raises
        # and catches an exception for every header that is missing.
        sent = next(
            (v.decode("latin-1") for k, v in request.scope["headers"] if k == b"x-request-id"),
            "",
        )
        g.request_id = sent if _REQUEST_ID_RE.match(sent) else uuid.uuid4().hex
        request_id_var.set(g.request_id)
        await _refuse_nul_bytes()
        await _check_csrf()

    fixed = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if hsts:
        fixed["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    framed_headers = _prepared({**fixed, "Content-Security-Policy": framed_csp})
    unframed_headers = _prepared(
        {**fixed, "X-Frame-Options": "DENY", "Content-Security-Policy": csp}
    )

    @app.after_request
    async def add_headers(response: Response) -> Response:
        headers = response.headers
        # Headers a view set itself win. One set of the names present, and `add`, not
        # `name in headers` and `set`: werkzeug answers each of those with a scan of the
        # list, and a missing name with an exception raised and caught (profiled: the
        # larger part of /healthz's cost over a bare Quart route).
        present = {name.lower() for name, _ in headers.items()}
        for lowered, name, value in framed_headers if _is_frameable() else unframed_headers:
            if lowered not in present:
                headers.add(name, value)
        if "request_id" in g:
            headers.set("X-Request-ID", g.request_id)
        if "csrf_value" in g and request.cookies.get(CSRF_COOKIE) != g.csrf_value:
            response.set_cookie(CSRF_COOKIE, g.csrf_value, **csrf_cookie_options(secure_cookies))
        return response
