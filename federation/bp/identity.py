"""Members' accounts at the provider: sign in, sign up, reset a password, verify an email.

Signing in here starts the single sign-on session (federation's own cookie);
the apps then sign in through OpenID Connect. Errors never say whether the
email/username or the password was wrong, and sign-in is rate-limited per
address and per account.
"""

from __future__ import annotations

from datetime import timedelta

from quart import Blueprint, Response, current_app, render_template, request

from federation.config import (
    EMAIL_VERIFICATION_DAYS,
    PASSWORD_RESET_HOURS,
    RESET_LIMIT_PER_ACCOUNT,
    RESET_LIMIT_PER_IP,
    SIGN_IN_LINK_MINUTES,
    SIGNIN_LIMIT_PER_ACCOUNT,
    SIGNIN_LIMIT_PER_IP,
    SIGNUP_LIMIT_PER_IP,
)
from federation.services.mails import send_reset_link, send_sign_in_link, send_verification_link
from federation.services.provider import provider_state
from federation.services.signing_in import (
    client_ip,
    complete_sign_in,
    start_provider_session,
    too_many,
)
from shared.contracts.dtos import NewMember
from shared.contracts.errors import AccountError
from shared.infrastructure.rate_limit import Limit
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.services.registry import services

bp = Blueprint("identity", __name__)

SIGNIN_PER_IP = Limit("signin-ip", *SIGNIN_LIMIT_PER_IP)
SIGNIN_PER_PAIR = Limit("signin-account-address", *SIGNIN_LIMIT_PER_ACCOUNT)
SIGNUP_PER_IP = Limit("signup-ip", *SIGNUP_LIMIT_PER_IP)
RESET_PER_IP = Limit("reset-ip", *RESET_LIMIT_PER_IP)
RESET_PER_ACCOUNT = Limit("reset-account", *RESET_LIMIT_PER_ACCOUNT)
WRONG_CREDENTIALS = "That email or username and password don't match. Check them and try again."
# After signing in directly here, federation's own app signs in too.
DEFAULT_NEXT = "/auth/login"


MAX_LOGIN_LENGTH = 320


@bp.get("/signin")
async def get_signin() -> str:
    next_path = safe_next(request.args.get("next"), DEFAULT_NEXT)
    return await render_template(
        "federation/identity/signin.html", next=next_path, login="", error=None
    )


@bp.post("/signin")
async def post_signin() -> Response | tuple[str, int]:
    form = await request.form
    login, password = form.get("login", "").strip(), form.get("password", "")
    next_path = safe_next(form.get("next"), DEFAULT_NEXT)
    limiter = provider_state(current_app).limiter(current_app)
    pair = f"{login.lower()}|{client_ip()}"
    # Counted before trying: a parallel burst is counted attempt by attempt.
    verdicts = [
        await limiter.hit(SIGNIN_PER_IP, client_ip()),
        await limiter.hit(SIGNIN_PER_PAIR, pair),
    ]
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        return await too_many(max(v.retry_after for v in refused))
    user = None
    if login and len(login) <= MAX_LOGIN_LENGTH:
        # The unit commits a password rehash, if argon2's parameters changed.
        async with unit_of_work(current_app) as uow:
            user = await services.identity.authenticate(uow.session, login, password)
    if user is None:
        html = await render_template(
            "federation/identity/signin.html", next=next_path, login=login, error=WRONG_CREDENTIALS
        )
        return html, 401
    await limiter.forget(SIGNIN_PER_PAIR, pair)
    return await complete_sign_in(user, next_path)


@bp.get("/signup")
async def get_signup() -> str:
    next_path = safe_next(request.args.get("next"), DEFAULT_NEXT)
    return await render_template(
        "federation/identity/signup.html", next=next_path, form={}, errors={}
    )


@bp.post("/signup")
async def post_signup() -> Response | str | tuple[str, int]:
    form = await request.form
    next_path = safe_next(form.get("next"), DEFAULT_NEXT)
    verdict = await provider_state(current_app).limiter(current_app).hit(SIGNUP_PER_IP, client_ip())
    if not verdict.allowed:
        return await too_many(verdict.retry_after)
    member = NewMember(
        email=form.get("email", ""),
        username=form.get("username", ""),
        display_name=form.get("display_name", ""),
        password=form.get("password", ""),
    )
    passwordless = not member.password
    try:
        # The member, their actor (the MemberCreated handler) and the mailed token: one commit.
        async with unit_of_work(current_app) as uow:
            user = await services.identity.create_member(uow.session, member)
            token = await services.identity.create_mailed_token(
                uow.session,
                user.id,
                "magic_link" if passwordless else "email_verification",
                valid_for=timedelta(minutes=SIGN_IN_LINK_MINUTES)
                if passwordless
                else timedelta(days=EMAIL_VERIFICATION_DAYS),
            )
    except AccountError as error:
        html = await render_template(
            "federation/identity/signup.html",
            next=next_path,
            form=form,
            errors=error.errors,
        )
        return html, 400
    if passwordless:
        # Signed in by the mailed link, which also proves the address is theirs.
        await send_sign_in_link(current_app, token, next_path, new=True)
        return await render_template(
            "federation/identity/message.html",
            title="Check your email",
            text=f"We sent a link to {user.email}. Open it within {SIGN_IN_LINK_MINUTES} "
            "minutes to finish signing up.",
            action_url=None,
        )
    await send_verification_link(current_app, token)
    return await start_provider_session(user, next_path)


@bp.get("/password/forgot")
async def get_password_forgot() -> str:
    return await render_template("federation/identity/forgot.html")


@bp.post("/password/forgot")
async def post_password_forgot() -> Response | str:
    email = (await request.form).get("email", "").strip()
    limiter = provider_state(current_app).limiter(current_app)
    for limit, key in ((RESET_PER_IP, client_ip()), (RESET_PER_ACCOUNT, email)):
        verdict = await limiter.hit(limit, key)
        if not verdict.allowed:
            return await too_many(verdict.retry_after)
    async with unit_of_work(current_app) as uow:
        user = await services.identity.get_user_by_email(uow.session, email) if email else None
        token = None
        if user is not None:
            token = await services.identity.create_mailed_token(
                uow.session,
                user.id,
                "password_reset",
                valid_for=timedelta(hours=PASSWORD_RESET_HOURS),
            )
    if token is not None:
        await send_reset_link(current_app, token)  # in the background: same timing either way
    return await render_template(
        "federation/identity/message.html",
        title="Check your email",
        text=f"If {email or 'that address'} belongs to an account, a link to choose a new "
        f"password is on its way. It works for {PASSWORD_RESET_HOURS} hour.",
        action_url="/signin",
        action_label="Back to sign in",
    )


# Mailed tokens travel in the query string (`?token=`), never in the path: the
# access log records paths only, and the reset form posts the token back in
# its body. The pages holding one send no Referer and are not cached.
_TOKEN_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.get("/password/reset")
async def get_password_reset() -> tuple[str, int, dict[str, str]]:
    token = request.args.get("token", "")
    session = request_session(current_app)
    if not await services.identity.mailed_token_is_live(session, token, "password_reset"):
        html = await _expired_link("password/forgot", "Ask for a new link")
        return html, 400, _TOKEN_PAGE_HEADERS
    html = await render_template("federation/identity/reset.html", token=token, error=None)
    return html, 200, _TOKEN_PAGE_HEADERS


@bp.post("/password/reset")
async def post_password_reset() -> tuple[str, int, dict[str, str]]:
    form = await request.form
    token, password = form.get("token", ""), form.get("password", "")
    try:
        async with unit_of_work(current_app) as uow:
            user = await services.identity.reset_password(uow.session, token, password)
    except AccountError as error:
        html = await render_template(
            "federation/identity/reset.html", token=token, error=error.message
        )
        return html, 400, _TOKEN_PAGE_HEADERS
    if user is None:
        html = await _expired_link("password/forgot", "Ask for a new link")
        return html, 400, _TOKEN_PAGE_HEADERS
    # Whoever knew the old password may be signed in somewhere: not any more. The reset
    # committed first: sessions_valid_after ends them even if this unit fails.
    async with unit_of_work(current_app) as uow:
        openid = provider_state(current_app).openid(current_app)
        await openid.sign_out_member(uow.session, user.id)
    html = await render_template(
        "federation/identity/message.html",
        title="Password changed",
        text="Your new password is set, and every device that was signed in with the old "
        "one has been signed out. Sign in with the new password from now on.",
        action_url="/signin",
        action_label="Sign in",
    )
    return html, 200, _TOKEN_PAGE_HEADERS


@bp.get("/email/verify")
async def get_email_verify() -> tuple[str, int, dict[str, str]]:
    async with unit_of_work(current_app) as uow:
        user = await services.identity.verify_email(uow.session, request.args.get("token", ""))
    if user is None:
        return await _expired_link("", "Back to the home page"), 400, _TOKEN_PAGE_HEADERS
    html = await render_template(
        "federation/identity/message.html",
        title="Email address confirmed",
        text=f"Thank you, {user.display_name}: {user.email} is confirmed.",
        action_url="/",
        action_label="Continue",
    )
    return html, 200, _TOKEN_PAGE_HEADERS


async def _expired_link(path: str, label: str) -> str:
    return await render_template(
        "federation/identity/message.html",
        title="That link has expired",
        text="The link was used already, is too old, or is not one of ours.",
        action_url=f"/{path}",
        action_label=label,
    )
