"""On `/security`: changing the password or the email address, and the signed-in devices.

A password change ends every other session (sessions_valid_after, then each
provider session with its apps' back-channel logouts) and gives this browser
a fresh one. An email change is only mailed for here; the link at the new
address completes it, on a page with a button (a mail scanner's GET changes
nothing). Devices are the member's provider sessions, named by a digest.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from federation.config import (
    EMAIL_CHANGE_HOURS,
    EMAIL_CHANGE_LIMIT,
    FIRST_PASSWORD_MINUTES,
    PASSWORD_CHANGE_LIMIT,
)
from federation.services.mails import send_email_change, send_password_changed
from federation.services.provider import provider_state
from federation.services.signing_in import too_many
from shared.contracts.dtos import UserRecord
from shared.contracts.errors import AccountError
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.oidc.devices import find_device, list_devices
from shared.infrastructure.oidc.sessions import ProviderSession
from shared.infrastructure.rate_limit import Limit
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.services.identity import account_security as changes
from shared.services.registry import services

bp = Blueprint("account_security", __name__)

PASSWORD_CHANGE = Limit("password-change", *PASSWORD_CHANGE_LIMIT)
EMAIL_CHANGE = Limit("email-change", *EMAIL_CHANGE_LIMIT)
# The pages holding a mailed token send no Referer and are not cached.
_TOKEN_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _member() -> UserRecord:
    user = current_user()
    if user is None:  # login_required ran first
        abort(401, description="Sign in to do that.")
    return user


async def _this_browser() -> ProviderSession | None:
    state = provider_state(current_app)
    return await state.provider_sessions(current_app).get(request.cookies.get(state.cookie))


async def security_page(user: UserRecord, errors: dict[str, str]) -> str:
    """The member's factors, password, address, devices; `errors` by form field."""
    state = provider_state(current_app)
    session = request_session(current_app)
    here = await _this_browser()
    return await render_template(
        "federation/security/index.html",
        user=user,
        factors=await services.two_factor.get_factors(session, user.id),
        passkeys=await services.passkeys.list_passkeys(session, user.id),
        devices=await list_devices(
            state.provider_sessions(current_app), user.id, here.sid if here else None
        ),
        has_password=await changes.has_password(session, user.id),
        changed=request.args.get("changed", "")[:20],
        errors=errors,
    )


async def _over_limit(limit: Limit, user: UserRecord) -> Response | None:
    """A 429 page once `user` has used up `limit`, else None. Counted before any check,
    so a stolen session cannot try passwords quickly."""
    verdict = await provider_state(current_app).limiter(current_app).hit(limit, str(user.id))
    return None if verdict.allowed else await too_many(verdict.retry_after)


async def _security_page(user: UserRecord, status: int, **errors: str) -> tuple[str, int]:
    return await security_page(user, errors), status


@bp.post("/security/password")
@login_required
async def post_password() -> Response | tuple[str, int]:
    user = _member()
    if refused := await _over_limit(PASSWORD_CHANGE, user):
        return refused
    form = await request.form
    here = await _this_browser()
    recent = here is not None and time.time() - here.auth_time < FIRST_PASSWORD_MINUTES * 60
    try:
        async with unit_of_work(current_app) as uow:
            changed = await changes.change_password(
                uow.session,
                user.id,
                form.get("current_password", "")[:1024],
                form.get("new_password", "")[:2048],
                signed_in_recently=recent,
            )
    except AccountError as error:
        return await _security_page(user, 400, **{error.field: error.message})
    await provider_state(current_app).limiter(current_app).forget(PASSWORD_CHANGE, str(user.id))
    # Committed first: sessions_valid_after ends every older session even if this fails.
    state = provider_state(current_app)
    async with unit_of_work(current_app) as uow:
        await state.openid(current_app).sign_out_member(uow.session, user.id)
    await send_password_changed(current_app, changed)
    # This browser stays signed in: a new provider session, then a new app session here.
    fresh = await state.provider_sessions(current_app).create(
        user.id, user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or ""
    )
    response = redirect("/auth/login?next=" + quote("/security?changed=password", safe=""))
    state.set_provider_cookie(response, fresh)
    return response


@bp.post("/security/email")
@login_required
async def post_email() -> Response | tuple[str, int]:
    user = _member()
    if refused := await _over_limit(EMAIL_CHANGE, user):
        return refused
    form = await request.form
    try:
        async with unit_of_work(current_app) as uow:
            change = await changes.start_email_change(
                uow.session,
                user.id,
                form.get("email", "")[:400],
                form.get("password", "")[:1024],
                valid_for=timedelta(hours=EMAIL_CHANGE_HOURS),
            )
    except changes.EmailTaken as error:
        return await _security_page(user, 409, email=error.message)
    except AccountError as error:
        return await _security_page(user, 400, **{f"change_{error.field}": error.message})
    await send_email_change(current_app, change)
    html = await render_template(
        "federation/identity/message.html",
        title="Check your new address",
        text=f"We mailed a link to {change.new_email}: your address changes when you use it "
        f"(within {EMAIL_CHANGE_HOURS} hours). Until then it stays {change.old_email}.",
        action_url="/security",
        action_label="Back to security",
    )
    return html, 200


async def _bad_link(error: AccountError) -> tuple[str, int, dict[str, str]]:
    html = await render_template(
        "federation/identity/message.html",
        title="That link does not work",
        text=error.message,
        action_url="/security",
        action_label="Back to security",
    )
    return html, 400, _TOKEN_PAGE_HEADERS


@bp.get("/security/email/confirm")
async def get_email_confirm() -> tuple[str, int, dict[str, str]]:
    token = request.args.get("token", "")[:100]
    try:
        old, new = await changes.pending_email_change(request_session(current_app), token)
    except AccountError as error:
        return await _bad_link(error)
    html = await render_template(
        "federation/security/email_confirm.html", token=token, old_email=old, new_email=new
    )
    return html, 200, _TOKEN_PAGE_HEADERS


@bp.post("/security/email/confirm")
async def post_email_confirm() -> tuple[str, int, dict[str, str]]:
    token = (await request.form).get("token", "")[:100]
    try:
        async with unit_of_work(current_app) as uow:
            user, old = await changes.confirm_email_change(uow.session, token)
    except changes.EmailTaken as error:
        html = await render_template(
            "federation/identity/message.html",
            title="That address is taken",
            text=f"{error.message} Your address stays as it was.",
            action_url="/security",
            action_label="Back to security",
        )
        return html, 409, _TOKEN_PAGE_HEADERS
    except AccountError as error:
        return await _bad_link(error)
    html = await render_template(
        "federation/identity/message.html",
        title="Email address changed",
        text=f"Your address is now {user.email} (it was {old}), and it is confirmed.",
        action_url="/security",
        action_label="Back to security",
    )
    return html, 200, _TOKEN_PAGE_HEADERS


@bp.post("/security/devices/<digest>/sign-out")
@login_required
async def post_device_sign_out(digest: str) -> Response:
    user = _member()
    state = provider_state(current_app)
    here = await _this_browser()
    device = await find_device(
        state.provider_sessions(current_app), user.id, digest[:64], here.sid if here else None
    )
    if device is None:
        abort(404, description="That is not one of your signed-in devices.")
    async with unit_of_work(current_app) as uow:
        await state.openid(current_app).sign_out_everywhere(uow.session, device.sid)
    return redirect("/security#devices")


@bp.post("/security/devices/sign-out-others")
@login_required
async def post_sign_out_others() -> Response:
    user = _member()
    state = provider_state(current_app)
    here = await _this_browser()
    current_sid = here.sid if here else None
    devices = await list_devices(state.provider_sessions(current_app), user.id, current_sid)
    async with unit_of_work(current_app) as uow:
        for device in devices:
            if not device.current:
                await state.openid(current_app).sign_out_everywhere(uow.session, device.sid)
    return redirect("/security#devices")
