"""Signing in by a link mailed to the member (Ghost's way): no password needed.

A link is single-use and expires after SIGN_IN_LINK_MINUTES. Opening it shows
a page with one button that POSTs: mail scanners that follow links must not
sign anyone in, nor use the link up. Asking for a link answers the same
whether or not the address belongs to a member.
"""

from __future__ import annotations

from datetime import timedelta

from quart import Blueprint, Response, current_app, render_template, request

from federation.bp.identity import DEFAULT_NEXT, MAX_LOGIN_LENGTH
from federation.config import (
    SIGN_IN_LINK_LIMIT_PER_ACCOUNT,
    SIGN_IN_LINK_LIMIT_PER_IP,
    SIGN_IN_LINK_MINUTES,
)
from federation.services.mails import send_sign_in_link
from federation.services.provider import provider_state
from federation.services.signing_in import client_ip, complete_sign_in, too_many
from shared.contracts.errors import AccountError
from shared.infrastructure.rate_limit import Limit
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.runtime import unit_of_work
from shared.services.registry import services

bp = Blueprint("sign_in_links", __name__)

LINK_PER_IP = Limit("sign-in-link-ip", *SIGN_IN_LINK_LIMIT_PER_IP)
LINK_PER_ACCOUNT = Limit("sign-in-link-account", *SIGN_IN_LINK_LIMIT_PER_ACCOUNT)
# The link's page holds a token: no Referer, never cached.
_TOKEN_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.post("/signin/email-link")
async def post_sign_in_link_request() -> Response | str:
    """Mail a sign-in link to the address, if it belongs to a member."""
    form = await request.form
    email = form.get("email", "").strip()[:MAX_LOGIN_LENGTH]
    next_path = safe_next(form.get("next"), DEFAULT_NEXT)
    limiter = provider_state(current_app).limiter(current_app)
    for limit, key in ((LINK_PER_IP, client_ip()), (LINK_PER_ACCOUNT, email.lower())):
        verdict = await limiter.hit(limit, key)
        if not verdict.allowed:
            return await too_many(verdict.retry_after)
    token = None
    async with unit_of_work(current_app) as uow:
        user = await services.identity.get_user_by_email(uow.session, email) if email else None
        if user is not None:
            token = await services.identity.create_mailed_token(
                uow.session,
                user.id,
                "magic_link",
                valid_for=timedelta(minutes=SIGN_IN_LINK_MINUTES),
            )
    if token is not None:
        await send_sign_in_link(current_app, token, next_path, new=False)
    return await render_template(
        "federation/identity/message.html",
        title="Check your email",
        text=f"If {email or 'that address'} belongs to an account, a sign-in link is on its "
        f"way. It works once, for {SIGN_IN_LINK_MINUTES} minutes.",
        action_url="/signin",
        action_label="Back to sign in",
    )


async def _refused(message: str) -> tuple[str, int, dict[str, str]]:
    html = await render_template(
        "federation/identity/message.html",
        title="That link cannot sign you in",
        text=message,
        action_url="/signin",
        action_label="Ask for a new link",
    )
    return html, 400, _TOKEN_PAGE_HEADERS


@bp.get("/signin/link")
async def get_sign_in_link() -> tuple[str, int, dict[str, str]]:
    """The mailed link's page: who it signs in, and a button (nothing is used up yet)."""
    token = request.args.get("token", "")
    next_path = safe_next(request.args.get("next"), DEFAULT_NEXT)
    try:
        async with unit_of_work(current_app) as uow:
            user = await services.identity.sign_in_with_link(uow.session, token, use=False)
    except AccountError as error:
        return await _refused(error.message)
    html = await render_template(
        "federation/identity/sign_in_link.html", user=user, token=token, next=next_path
    )
    return html, 200, _TOKEN_PAGE_HEADERS


@bp.post("/signin/link")
async def post_sign_in_link() -> Response | tuple[str, int, dict[str, str]]:
    """Use the link up and sign in (after the second factor, for members who have one)."""
    form = await request.form
    next_path = safe_next(form.get("next"), DEFAULT_NEXT)
    try:
        async with unit_of_work(current_app) as uow:
            user = await services.identity.sign_in_with_link(uow.session, form.get("token", ""))
    except AccountError as error:
        return await _refused(error.message)
    return await complete_sign_in(user, next_path)
