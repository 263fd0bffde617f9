"""Single sign-on on every app: `/auth/login`, `/auth/callback`, `/auth/logout`,
`/auth/backchannel-logout`, the session cookie, `current_user`, `login_required`.

Each app is a client of federation (the OpenID provider) and keeps its OWN
session: a host-only cookie (HttpOnly, SameSite=Lax, Secure outside dev)
holding an opaque id of a session in Redis. A visitor without one is checked
once per browser session with a top-level `prompt=none` redirect, so a member
signed in anywhere is signed in here without a click.

Neither Redis nor federation is allowed to take an app down with it: when
Redis fails, the visitor is served as anonymous (no silent check, which
would need Redis to remember the pending sign-in); when federation does not
answer a short probe (remembered for a few seconds, in process), the silent
check is skipped and tried again on a later page. Pending sign-ins are
bounded: `next` is at most MAX_NEXT_LENGTH, and each address may start
PENDING_LOGINS_PER_ADDRESS of them a minute.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from quart import Blueprint, Quart, Response, abort, current_app, g, redirect, request
from redis.exceptions import RedisError
from werkzeug.wrappers.response import Response as WerkzeugResponse

from shared.contracts.dtos import UserRecord, require_verified
from shared.contracts.errors import UnverifiedMember
from shared.contracts.events import MemberSignedIn
from shared.contracts.widgets import ANON_CART_COOKIE
from shared.infrastructure.config import Settings
from shared.infrastructure.cross_app import site_cookie_domain
from shared.infrastructure.rate_limit import Limit, RateLimiter, address_bucket
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.relying_party import GrantRevoked, RelyingParty, SignInError
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
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

# Each address (IPv6: /64) may start this many sign-ins (silent checks included)
# a minute: at most about 1 MB of pending sign-ins per address (each under 1 KB
# for at most 10 minutes), while an office behind one NAT address still signs in.
PENDING_LOGINS_PER_ADDRESS = Limit("pending-login", 120, 60)
# The silent check first asks federation's /healthz, for at most this long;
# "up" is kept for PROBE_TTL_SECONDS, "down" for PROBE_DOWN_TTL_SECONDS (so
# sign-in comes back soon after federation does).
PROBE_TIMEOUT_SECONDS = 0.5
PROBE_TTL_SECONDS = 10.0
PROBE_DOWN_TTL_SECONDS = 2.0
# An app session's tokens are refreshed on the first request within this long of the
# access token's expiry; one request at a time per session (a lock of this long).
REFRESH_MARGIN_SECONDS = 60
REFRESH_LOCK_SECONDS = 30
log = logging.getLogger(__name__)

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


class FederationProbe:
    """Whether federation answers now: a short /healthz probe, its answer kept a few seconds."""

    def __init__(self, internal_url: str) -> None:
        self.url = internal_url + "/healthz"
        self._up = True
        self._until = 0.0

    async def is_up(self, http: httpx.AsyncClient | None) -> bool:
        now = time.monotonic()
        if now < self._until or http is None:
            return self._up
        try:
            response = await http.get(self.url, timeout=PROBE_TIMEOUT_SECONDS)
            up = response.status_code == 200
        except httpx.HTTPError:
            up = False
        if not up and self._up:
            log.warning("federation does not answer: serving visitors as anonymous for now")
        ttl = PROBE_TTL_SECONDS if up else PROBE_DOWN_TTL_SECONDS
        self._up, self._until = up, time.monotonic() + ttl
        return up


class SignInState:
    """What one app keeps for single sign-on (in app.extensions)."""

    def __init__(self, settings: Settings, app_name: str) -> None:
        self.rp = RelyingParty(settings, app_name)
        # federation itself needs no probe: it is the one answering.
        self.probe = None if app_name == "federation" else FederationProbe(self.rp.internal)
        self.lifetime = settings.sessions.lifetime_days * 86400
        https = settings.app(app_name).base_url.startswith("https://")
        self.cookies = CookieNames(secure=settings.secure_cookies, https=https)
        self.quiet_prefixes: tuple[str, ...] = QUIET_PREFIXES

    def sessions(self, app: Quart) -> AppSessions:
        rt = runtime(app)
        return AppSessions(rt.redis, rt.name, self.lifetime)


def sign_in_state(app: Quart) -> SignInState:
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


def verified_required(view: F) -> F:
    """Like login_required, and the member's email address must be confirmed (403 with
    the way to confirm it otherwise): for opening a stall, mailing other members, ..."""

    @wraps(view)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        user = current_viewer()
        if user is not None:
            try:
                require_verified(user)
            except UnverifiedMember as refused:
                abort(403, description=f"{refused} (Resend it from federation's /security.)")
        return await view(*args, **kwargs)

    return login_required(guarded)  # type: ignore[return-value]


def _set_cookie(
    response: AnyResponse, state: SignInState, name: str, value: str, **kw: Any
) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", secure=state.cookies.secure, path="/", **kw
    )


def _drop_session_cookie(response: AnyResponse, state: SignInState) -> None:
    response.delete_cookie(
        state.cookies.session, path="/", secure=state.cookies.secure, httponly=True
    )


def _browser_binding(state: SignInState) -> str:
    """This browser's login cookie value (made on first use)."""
    if "login_binding" not in g:
        g.login_binding = request.cookies.get(state.cookies.login) or secrets.token_urlsafe(24)
    return str(g.login_binding)


async def _begin_login(next_path: str, *, silent: bool) -> AnyResponse | None:
    """The redirect to federation that starts signing in; None when it cannot start now
    (Redis down, or this address started too many): a silent check then just skips."""
    state = sign_in_state(current_app)
    limiter = RateLimiter(runtime(current_app).redis)
    try:
        verdict = await limiter.hit(PENDING_LOGINS_PER_ADDRESS, address_bucket(request.remote_addr))
        if not verdict.allowed:
            if silent:
                return None
            abort(429, description="Too many sign-ins started from here. Wait a minute.")
        pending = state.rp.new_login(next_path, silent=silent, browser=_browser_binding(state))
        await state.sessions(current_app).save_pending(pending)
    except RedisError as exc:
        if silent:
            return None
        log.warning("sign-in cannot start: Redis failed (%s)", type(exc).__name__)
        abort(503, description="Signing in is unavailable for a moment. Please try again.")
    response = redirect(state.rp.authorize_url(pending))
    _set_cookie(response, state, state.cookies.login, pending.browser)
    if silent:  # a browser-session cookie: checked once until the browser closes
        _set_cookie(response, state, state.cookies.checked, "1")
    return response


def _wants_silent_check(state: SignInState, *, again: bool = False) -> bool:
    """A top-level page load of a browser not checked yet (`again`: checked before, but
    the session it got since has ended)."""
    headers = request.headers
    return (
        request.method == "GET"
        and headers.get("Sec-Fetch-Mode") == "navigate"
        and headers.get("Sec-Fetch-Dest") == "document"
        and "HX-Request" not in headers
        and "prefetch" not in headers.get("Sec-Purpose", "") + headers.get("Purpose", "")
        and (again or state.cookies.checked not in request.cookies)
    )


async def _load_viewer() -> AnyResponse | None:
    state = sign_in_state(current_app)
    if request.path.startswith(SESSIONLESS_PREFIXES):
        return None
    session: AppSession | None = None
    user: UserRecord | None = None
    cookie = request.cookies.get(state.cookies.session)
    try:
        if cookie:
            session = await state.sessions(current_app).get(cookie)
    except RedisError as exc:
        # Sessions are unreadable: serve this visitor as anonymous, and do not
        # start a silent check (it would need Redis too).
        log.warning("sessions unavailable (%s): serving as anonymous", type(exc).__name__)
        set_viewer(None)
        g.app_session = None
        return None
    # A cookie naming a session that has ended (its TTL, or Redis lost it): the member
    # may still be signed in at federation, so they are checked silently once more, as
    # Keycloak's clients do; the redirect drops the cookie, so this cannot loop. (A
    # session ended here, by a refused refresh or a password reset, is not checked again.)
    dead = bool(cookie) and session is None
    if session is not None:
        # Checked against the member's sessions_valid_after on every request
        # (the row is read anyway): a password reset ends this session even if
        # its back-channel logout never reached this app.
        user = await services.identity.get_session_user(
            request_session(current_app), session.user_id, session.created_at
        )
        if user is None:
            await _forget(state, session)
        else:
            session = await _refresh_if_due(state, session)
            user = user if session is not None else None
    g.app_session = session if user else None
    set_viewer(user)
    quiet = request.path.startswith(state.quiet_prefixes)
    if user is None and not quiet and _wants_silent_check(state, again=dead):
        if state.probe is not None and not await state.probe.is_up(state.rp.http):
            return None  # federation is down: anonymous now, checked again later
        response = await _begin_login(safe_next(request.full_path.rstrip("?")), silent=True)
        if response is not None and dead:
            _drop_session_cookie(response, state)
        return response
    return None


async def _refresh_if_due(state: SignInState, session: AppSession) -> AppSession | None:
    """The session, its tokens refreshed when the access token expires within
    REFRESH_MARGIN_SECONDS; None when federation refused the refresh (the grant was
    revoked: this session ends). federation unreachable: the session stays as it is, and
    a later request tries again."""
    due = session.access_expires_at and time.time() > session.access_expires_at - (
        REFRESH_MARGIN_SECONDS
    )
    if not due or not session.refresh_token:
        return session
    sessions = state.sessions(current_app)
    try:
        if not await sessions.lock_refresh(session, REFRESH_LOCK_SECONDS):
            return session  # another request of this session is refreshing it
        try:
            tokens = await state.rp.refresh(session.refresh_token, str(session.user_id))
            fresh = await sessions.replace_tokens(
                session,
                id_token=tokens.id_token,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                access_expires_at=tokens.access_expires_at(),
            )
        finally:
            await sessions.unlock_refresh(session)
    except GrantRevoked:
        log.info("refresh refused for member %s: ending this app session", session.user_id)
        await _forget(state, session)
        return None
    except (SignInError, RedisError) as exc:
        log.warning("token refresh skipped (%s): trying again later", exc)
        return session
    return fresh


async def _forget(state: SignInState, session: AppSession) -> None:
    """Drop a session that no longer counts; Redis failing here changes nothing."""
    with contextlib.suppress(RedisError):
        await state.sessions(current_app).delete(session)


@bp.get("/login")
async def get_login() -> AnyResponse:
    """Start signing in at federation, then come back to `next` (a path on this site)."""
    next_path = safe_next(request.args.get("next"))
    if current_viewer() is not None:
        return redirect(next_path)
    response = await _begin_login(next_path, silent=False)
    assert response is not None  # only a silent check is ever skipped
    return response


@bp.get("/callback")
async def get_callback() -> AnyResponse:
    """Where federation sends the browser back: check state, exchange the code, sign in."""
    state = sign_in_state(current_app)
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
        access_expires_at=tokens.access_expires_at(),
    )
    response = redirect(pending.next_path)
    _set_cookie(
        response, state, state.cookies.session, session.cookie_value, max_age=state.lifetime
    )
    await _signed_in(int(claims["sub"]), response)
    return response


async def _signed_in(user_id: int, response: AnyResponse) -> None:
    """Tell the domains; the cart's handler adopts what the visitor put in the cart before."""
    token = request.cookies.get(ANON_CART_COOKIE) or None
    async with unit_of_work(current_app) as uow:
        uow.record(MemberSignedIn(user_id=user_id, anon_cart_token=token))
    if token:
        response.delete_cookie(
            ANON_CART_COOKIE,
            domain=site_cookie_domain(runtime(current_app).settings),
            httponly=True,
        )


@bp.post("/logout")
async def post_logout() -> AnyResponse:
    """Sign out here, then at federation, which signs the member out of every app."""
    state = sign_in_state(current_app)
    session: AppSession | None = g.get("app_session")
    if session is not None:
        await state.sessions(current_app).delete(session)
    response = redirect(state.rp.end_session_url(session.id_token if session else None))
    _drop_session_cookie(response, state)
    return response


@bp.post("/backchannel-logout")
@csrf_exempt
async def post_backchannel_logout() -> tuple[Response | str, int, dict[str, str]]:
    """Federation, server to server: SSO session `sid` has ended; drop ours."""
    state = sign_in_state(current_app)
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
    state = SignInState(settings, runtime(app).name)
    app.extensions[SSO_KEY] = state

    @app.before_serving
    async def use_internal_http() -> None:
        # The platform's internal client (opened first, closed by the platform).
        state.rp.http = runtime(app).internal_http

    app.before_request(_load_viewer)
    app.register_blueprint(bp)
