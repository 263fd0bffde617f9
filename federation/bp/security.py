"""The member's security page, and the second step of signing in.

`/security` lists the member's factors (authenticator app, recovery codes
left, passkeys), whether their address is confirmed (with a resend button)
and the apps they connected (`/security/apps`, where each can be
disconnected). `/signin/second-factor` asks for a code after a password or a
sign-in link, when the member has an authenticator app; wrong codes are
limited per member.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from markupsafe import Markup
from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from federation.bp.account_security import security_page
from federation.config import (
    EMAIL_VERIFICATION_DAYS,
    SECOND_FACTOR_LIMIT,
    VERIFICATION_RESEND_LIMIT,
)
from federation.services.mails import send_verification_link
from federation.services.provider import provider_state
from federation.services.signing_in import (
    pending_second_factors,
    second_factor_cookie,
    start_provider_session,
    too_many,
)
from shared.contracts.dtos import UserRecord
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.oidc.registrations import disconnect_app, list_connected_apps
from shared.infrastructure.rate_limit import Limit
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.services.registry import services

bp = Blueprint("security", __name__)

SECOND_FACTOR = Limit("second-factor", *SECOND_FACTOR_LIMIT)
RESEND = Limit("verification-resend", *VERIFICATION_RESEND_LIMIT)
WRONG_CODE = "That code is not right. Check the time on your phone, or use a recovery code."
_NO_STORE = {"Cache-Control": "no-store"}


def _member() -> UserRecord:
    user = current_user()
    if user is None:  # login_required ran first
        abort(401, description="Sign in to do that.")
    return user


@bp.get("/signin/second-factor")
async def get_second_factor() -> Response | str:
    pending = await pending_second_factors().get(request.cookies.get(second_factor_cookie()))
    if pending is None:
        return redirect("/signin")
    return await _second_factor_page(pending.user_id, None)


async def _second_factor_page(user_id: int, error: str | None) -> str:
    factors = await services.two_factor.get_factors(request_session(current_app), user_id)
    return await render_template(
        "federation/identity/second_factor.html", factors=factors, error=error
    )


@bp.post("/signin/second-factor")
async def post_second_factor() -> Response | tuple[str, int]:
    cookie_value = request.cookies.get(second_factor_cookie(), "")
    pending = await pending_second_factors().get(cookie_value)
    if pending is None:
        return redirect("/signin")
    limiter = provider_state(current_app).limiter(current_app)
    # Counted before checking, per member: a parallel burst cannot outrun the limit.
    verdict = await limiter.hit(SECOND_FACTOR, str(pending.user_id))
    if not verdict.allowed:
        return await too_many(verdict.retry_after)
    code = (await request.form).get("code", "")[:40]
    async with unit_of_work(current_app) as uow:
        ok = await services.two_factor.check_code(uow.session, pending.user_id, code)
        user = await services.identity.get_user(uow.session, pending.user_id)
    if not ok or user is None:
        return await _second_factor_page(pending.user_id, WRONG_CODE), 401
    await limiter.forget(SECOND_FACTOR, str(pending.user_id))
    await pending_second_factors().end(cookie_value)
    return await start_provider_session(user, pending.next_path)


@bp.get("/security")
@login_required
async def get_security() -> str:
    """The member's factors, password, address and devices, and what they can change."""
    return await security_page(_member(), {})


@bp.post("/security/totp/start")
@login_required
async def post_totp_start() -> Response:
    user = _member()
    async with unit_of_work(current_app) as uow:
        if not await services.two_factor.has_totp(uow.session, user.id):
            await services.two_factor.start_totp(uow.session, user.id)
    return redirect("/security/totp")


async def _enrolment_page(user: UserRecord, error: str | None) -> str:
    enrolment = await services.two_factor.pending_totp(request_session(current_app), user.id)
    if enrolment is None:
        abort(404, description="No authenticator app is being set up: start again.")
    qr = Markup(segno.make(enrolment.uri, error="m").svg_inline(scale=4, title="QR code"))
    return await render_template(
        "federation/security/totp.html", enrolment=enrolment, qr=qr, error=error
    )


@bp.get("/security/totp")
@login_required
async def get_totp() -> tuple[str, int, dict[str, str]]:
    return await _enrolment_page(_member(), None), 200, _NO_STORE


@bp.post("/security/totp/confirm")
@login_required
async def post_totp_confirm() -> Response | tuple[str, int, dict[str, str]]:
    user = _member()
    limiter = provider_state(current_app).limiter(current_app)
    verdict = await limiter.hit(SECOND_FACTOR, f"enrol:{user.id}")
    if not verdict.allowed:
        return await too_many(verdict.retry_after)
    code = (await request.form).get("code", "")[:40]
    async with unit_of_work(current_app) as uow:
        codes = await services.two_factor.confirm_totp(uow.session, user.id, code)
    if codes is None:
        return await _enrolment_page(user, WRONG_CODE), 400, _NO_STORE
    html = await render_template("federation/security/recovery_codes.html", codes=codes)
    return html, 200, _NO_STORE


@bp.post("/security/recovery-codes")
@login_required
async def post_recovery_codes() -> Response | tuple[str, int, dict[str, str]]:
    user = _member()
    async with unit_of_work(current_app) as uow:
        if not await services.two_factor.has_totp(uow.session, user.id):
            return redirect("/security")
        codes = await services.two_factor.new_recovery_codes(uow.session, user.id)
    html = await render_template("federation/security/recovery_codes.html", codes=codes)
    return html, 200, _NO_STORE


@bp.post("/security/totp/remove")
@login_required
async def post_totp_remove() -> Response | tuple[str, int]:
    """Remove the authenticator app, given one of its codes (or a recovery code): a
    session someone else got hold of cannot strip the second factor."""
    user = _member()
    limiter = provider_state(current_app).limiter(current_app)
    verdict = await limiter.hit(SECOND_FACTOR, str(user.id))
    if not verdict.allowed:
        return await too_many(verdict.retry_after)
    code = (await request.form).get("code", "")[:40]
    async with unit_of_work(current_app) as uow:
        confirmed = await services.two_factor.check_code(uow.session, user.id, code)
        if confirmed:
            await services.two_factor.remove_totp(uow.session, user.id)
    if not confirmed:
        html = await render_template(
            "federation/identity/message.html",
            title="The authenticator app stays on",
            text=WRONG_CODE,
            action_url="/security",
            action_label="Back to security",
        )
        return html, 400
    return redirect("/security")


@bp.post("/email/resend")
@login_required
async def post_email_resend() -> Response | str:
    """Mail a new confirmation link (the earlier one stops working)."""
    user = _member()
    if user.email_verified:
        return redirect("/security")
    limiter = provider_state(current_app).limiter(current_app)
    verdict = await limiter.hit(RESEND, str(user.id))
    if not verdict.allowed:
        return await too_many(verdict.retry_after)
    async with unit_of_work(current_app) as uow:
        token = await services.identity.create_mailed_token(
            uow.session,
            user.id,
            "email_verification",
            valid_for=timedelta(days=EMAIL_VERIFICATION_DAYS),
        )
    await send_verification_link(current_app, token)
    return await render_template(
        "federation/identity/message.html",
        title="Check your email",
        text=f"A new confirmation link is on its way to {user.email}; the earlier one no "
        "longer works.",
        action_url="/security",
        action_label="Back to security",
    )


@bp.get("/security/apps")
@login_required
async def get_connected_apps() -> str:
    """The third-party applications the member let sign them in."""
    user = _member()
    apps = await list_connected_apps(request_session(current_app), user.id)
    return await render_template("federation/security/apps.html", apps=apps)


@bp.post("/security/apps/<client_id>/disconnect")
@login_required
async def post_disconnect_app(client_id: str) -> Response:
    """Forget the member's consent and revoke the app's tokens: its next refresh fails."""
    user = _member()
    async with unit_of_work(current_app) as uow:
        found = await disconnect_app(uow.session, user.id, client_id[:100])
    if not found:
        abort(404, description="You have not connected that application.")
    return redirect("/security/apps")
