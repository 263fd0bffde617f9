"""Single sign-on on every app: `/auth/login`, `/auth/callback`, `/auth/logout`,
`/auth/backchannel-logout`, the session cookie, `current_user`, `login_required`.

Each app is a client of federation (the OpenID provider) and keeps its OWN
session: a host-only cookie (HttpOnly, SameSite=Lax, Secure outside dev)
holding an opaque id of a session in Redis. A visitor without one is checked
once per browser session with a top-level `prompt=none` redirect, so a member
signed in anywhere is signed in here without a click.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

from quart import Blueprint, Quart, Response, abort, current_app, g, redirect, request
from werkzeug.wrappers.response import Response as WerkzeugResponse

from shared.contracts.dtos import UserRecord
from shared.contracts.widgets import ANON_CART_COOKIE
from shared.infrastructure.config import Settings
from shared.infrastructure.cross_app import site_cookie_domain
from shared.infrastructure.fragment_cache import commit_and_invalidate
from shared.infrastructure.fragments import fragment_cache
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.relying_party import RelyingParty, SignInError
from shared.infrastructure.runtime import request_session, runtime
from shared.infrastructure.security import csrf_exempt
from shared.infrastructure.sessions import AppSession, AppSessions
from shared.infrastructure.viewer import current_viewer, set_viewer
from shared.services.registry import services

SSO_KEY = "rose_ash_sso"
# No member session at all: assets, probes, and internal calls (which carry
# the viewer their own way).
SESSIONLESS_PREFIXES = ("/static/", "/healthz", "/readyz", "/internal/")
# No silent sign-in check: the sign-in machinery itself and machine endpoints.
QUIET_PREFIXES = ("/auth/", "/oauth/", "/.well-known/")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
# quart.redirect() makes a werkzeug Response; Quart serves either kind.
AnyResponse = Response | WerkzeugResponse
bp = Blueprint("auth", __name__, url_prefix="/auth")


class CookieNames:
    def __init__(self, secure: bool, https: bool) -> None:
        # __Host- makes the browser enforce host-only, Path=/ and Secure.
        prefix = "__Host-" if https else ""
        self.session = f"{prefix}ra_session"
        self.login = f"{prefix}ra_login"
        self.checked = f"{prefix}ra_sso_checked"
        self.secure = secure


class SsoState:
    """What one app keeps for single sign-on (in app.extensions)."""

    def __init__(self, settings: Settings, app_name: str) -> None:
        self.rp = RelyingParty(settings, app_name)
        self.lifetime = settings.sessions.lifetime_days * 86400
        https = settings.app(app_name).base_url.startswith("https://")
        self.cookies = CookieNames(secure=settings.secure_cookies, https=https)
        self.quiet_prefixes: tuple[str, ...] = QUIET_PREFIXES

    def sessions(self, app: Quart) -> AppSessions:
        rt = runtime(app)
        return AppSessions(rt.redis, rt.name, self.lifetime)


def sso_state(app: Quart) -> SsoState:
    return app.extensions[SSO_KEY]


def current_user() -> UserRecord | None:
    """The signed-in member of this request, or None (templates: `current_user`)."""
    return current_viewer()


def login_required(view: F) -> F:
    """Send a visitor to sign in, then back to this page (GET), or refuse (401)."""

    @wraps(view)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_viewer() is None:
            if request.method != "GET":
                abort(401, description="Sign in to do that.")
            here = safe_next(request.full_path.rstrip("?"))
            return redirect(f"/auth/login?next={quote(here, safe='/')}")
        return await view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _set_cookie(response: AnyResponse, state: SsoState, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", secure=state.cookies.secure, path="/", **kw
    )


def _browser_binding(state: SsoState) -> str:
    """This browser's login cookie value (made on first use)."""
    if "login_binding" not in g:
        g.login_binding = request.cookies.get(state.cookies.login) or secrets.token_urlsafe(24)
    return str(g.login_binding)


async def _begin_login(next_path: str, *, silent: bool) -> AnyResponse:
    state = sso_state(current_app)
    pending = state.rp.new_login(next_path, silent=silent, browser=_browser_binding(state))
    await state.sessions(current_app).save_pending(pending)
    response = redirect(state.rp.authorize_url(pending))
    _set_cookie(response, state, state.cookies.login, pending.browser)
    if silent:  # a browser-session cookie: checked once until the browser closes
        _set_cookie(response, state, state.cookies.checked, "1")
    return response


def _wants_silent_check(state: SsoState) -> bool:
    headers = request.headers
    return (
        request.method == "GET"
        and headers.get("Sec-Fetch-Mode") == "navigate"
        and headers.get("Sec-Fetch-Dest") == "document"
        and "HX-Request" not in headers
        and "prefetch" not in headers.get("Sec-Purpose", "") + headers.get("Purpose", "")
        and state.cookies.checked not in request.cookies
    )


async def _load_viewer() -> AnyResponse | None:
    state = sso_state(current_app)
    if request.path.startswith(SESSIONLESS_PREFIXES):
        return None
    session: AppSession | None = None
    user: UserRecord | None = None
    cookie = request.cookies.get(state.cookies.session)
    if cookie:
        session = await state.sessions(current_app).get(cookie)
        if session is not None:
            user = await services.identity.get_user(request_session(current_app), session.user_id)
    g.app_session = session if user else None
    set_viewer(user)
    quiet = request.path.startswith(state.quiet_prefixes)
    if user is None and not quiet and _wants_silent_check(state):
        return await _begin_login(safe_next(request.full_path.rstrip("?")), silent=True)
    return None


@bp.get("/login")
async def get_login() -> AnyResponse:
    """Start signing in at federation, then come back to `next` (a path on this site)."""
    next_path = safe_next(request.args.get("next"))
    if current_viewer() is not None:
        return redirect(next_path)
    return await _begin_login(next_path, silent=False)


@bp.get("/callback")
async def get_callback() -> AnyResponse:
    """Where federation sends the browser back: check state, exchange the code, sign in."""
    state = sso_state(current_app)
    pending = await state.sessions(current_app).take_pending(request.args.get("state"))
    binding = request.cookies.get(state.cookies.login, "")
    if pending is None or not hmac.compare_digest(pending.browser, binding):
        abort(
            400, description="This sign-in has expired or was started elsewhere. Please try again."
        )
    if request.args.get("iss") != state.rp.issuer:
        abort(400, description="That sign-in response did not come from our sign-in service.")
    error = request.args.get("error")
    if error:
        if pending.silent:  # not signed in at federation: stay anonymous here
            return redirect(pending.next_path)
        if error == "access_denied":
            return redirect(pending.next_path)
        abort(400, description=f"Signing in failed ({error}). Please try again.")
    try:
        tokens = await state.rp.exchange_code(request.args.get("code", ""), pending)
        claims = await state.rp.verify_id_token(tokens.id_token, pending)
    except SignInError as exc:
        current_app.logger.warning("sign-in refused: %s", exc)
        abort(400, description="Signing in could not be completed. Please try again.")
    sessions = state.sessions(current_app)
    if g.get("app_session") is not None:
        await sessions.delete(g.app_session)
    session = await sessions.create(
        user_id=int(claims["sub"]),
        op_sid=claims["sid"],
        id_token=tokens.id_token,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
    )
    response = redirect(pending.next_path)
    _set_cookie(
        response, state, state.cookies.session, session.cookie_value, max_age=state.lifetime
    )
    await _adopt_anonymous_cart(int(claims["sub"]), response)
    return response


async def _adopt_anonymous_cart(user_id: int, response: AnyResponse) -> None:
    """What the visitor put in the cart before signing in becomes the member's."""
    token = request.cookies.get(ANON_CART_COOKIE)
    if not token:
        return
    db = request_session(current_app)
    await services.cart.merge_anonymous_cart(db, user_id=user_id, anon_token=token)
    await commit_and_invalidate(db, fragment_cache(current_app))
    response.delete_cookie(
        ANON_CART_COOKIE, domain=site_cookie_domain(runtime(current_app).settings), httponly=True
    )


@bp.post("/logout")
async def post_logout() -> AnyResponse:
    """Sign out here, then at federation, which signs the member out of every app."""
    state = sso_state(current_app)
    session: AppSession | None = g.get("app_session")
    if session is not None:
        await state.sessions(current_app).delete(session)
    response = redirect(state.rp.end_session_url(session.id_token if session else None))
    response.delete_cookie(
        state.cookies.session, path="/", secure=state.cookies.secure, httponly=True
    )
    return response


@bp.post("/backchannel-logout")
@csrf_exempt
async def post_backchannel_logout() -> tuple[Response | str, int, dict[str, str]]:
    """Federation, server to server: SSO session `sid` has ended; drop ours."""
    state = sso_state(current_app)
    no_store = {"Cache-Control": "no-store"}
    token = (await request.form).get("logout_token", "")
    try:
        claims = await state.rp.verify_logout_token(token)
    except SignInError as exc:
        current_app.logger.warning("back-channel logout refused: %s", exc)
        return {"error": "invalid_request", "error_description": str(exc)}, 400, no_store  # type: ignore[return-value]
    sessions = state.sessions(current_app)
    ttl = max(int(claims["exp"]) - int(time.time()), 0) + 120
    if not await sessions.remember_jti(str(claims["jti"]), ttl):
        return {"error": "invalid_request", "error_description": "replayed"}, 400, no_store  # type: ignore[return-value]
    await sessions.delete_by_sid(claims["sid"])
    return "", 200, no_store


def install_sso(app: Quart, settings: Settings) -> None:
    """Make `app` a single sign-on client of federation with its own session."""
    state = SsoState(settings, runtime(app).name)
    app.extensions[SSO_KEY] = state
    app.before_serving(state.rp.open)
    app.after_serving(state.rp.close)
    app.before_request(_load_viewer)
    app.register_blueprint(bp)
