"""Passkeys at federation: set one up on the security page, sign in with one alone, or
use one as the second step. The browser side is `shared/static/src/passkeys.js`.

Each ceremony's challenge waits in Redis under a random handle for five
minutes and is taken (GETDEL) by the answer, so it is used at most once.
The JSON endpoints are CSRF-checked through the X-CSRF-Token header and
answer errors as JSON with a message a member can read.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, Response, abort, current_app, jsonify, redirect, request

from federation.bp.identity import DEFAULT_NEXT
from federation.services.provider import provider_state
from federation.services.signing_in import (
    client_ip,
    pending_second_factors,
    second_factor_cookie,
    start_provider_session,
)
from shared.contracts.dtos import PasskeyParty
from shared.contracts.errors import PasskeyError
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.rate_limit import Limit
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.services.registry import services

bp = Blueprint("passkeys", __name__)

CEREMONY_SECONDS = 300
PASSKEY_PER_IP = Limit("passkey-ip", 30, 15 * 60)


def _party() -> PasskeyParty:
    base = urlsplit(provider_state(current_app).provider.issuer)
    return PasskeyParty(rp_id=base.hostname or "localhost", origin=f"{base.scheme}://{base.netloc}")


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


async def _body() -> dict[str, Any]:
    body = await request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object.")
    return body


async def _begin(
    options_json: str, challenge: bytes, purpose: str, user_id: int | None
) -> Response:
    handle = secrets.token_urlsafe(24)
    data = {
        "challenge": base64.b64encode(challenge).decode(),
        "purpose": purpose,
        "user_id": user_id,
    }
    await runtime(current_app).redis.set(
        f"ra:op:webauthn:{handle}", json.dumps(data), ex=CEREMONY_SECONDS
    )
    return jsonify({"handle": handle, "options": json.loads(options_json)})


async def _take(body: dict[str, Any], purpose: str) -> tuple[bytes, int | None] | None:
    handle = body.get("handle")
    if not isinstance(handle, str) or len(handle) > 64:
        return None
    raw = await runtime(current_app).redis.getdel(f"ra:op:webauthn:{handle}")
    if raw is None:
        return None
    data = json.loads(raw)
    if data["purpose"] != purpose:
        return None
    return base64.b64decode(data["challenge"]), data["user_id"]


def _credential(body: dict[str, Any]) -> str:
    credential = body.get("credential")
    if not isinstance(credential, dict):
        abort(400, description="Send the passkey's answer as `credential`.")
    return json.dumps(credential)


@bp.post("/security/passkeys/options")
@login_required
async def post_passkey_registration_options() -> Response:
    user = current_user()
    assert user is not None  # login_required
    ceremony = await services.passkeys.registration_options(
        request_session(current_app), _party(), user
    )
    return await _begin(ceremony.options_json, ceremony.challenge, "register", user.id)


@bp.post("/security/passkeys")
@login_required
async def post_passkey() -> Response | tuple[Response, int]:
    """Keep the passkey the browser just made."""
    user = current_user()
    assert user is not None
    body = await _body()
    taken = await _take(body, "register")
    if taken is None or taken[1] != user.id:
        return _error("That passkey request expired. Try again.")
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    try:
        async with unit_of_work(current_app) as uow:
            record = await services.passkeys.register(
                uow.session, _party(), user.id, _credential(body), taken[0], str(name)
            )
    except PasskeyError as error:
        return _error(str(error))
    return jsonify({"id": record.id, "name": record.name})


@bp.post("/security/passkeys/<int:passkey_id>/remove")
@login_required
async def post_passkey_remove(passkey_id: int) -> Response:
    user = current_user()
    assert user is not None
    async with unit_of_work(current_app) as uow:
        removed = await services.passkeys.remove_passkey(uow.session, user.id, passkey_id)
    if not removed:
        abort(404, description="You have no passkey with that number.")
    return redirect("/security")


@bp.post("/signin/passkey/options")
async def post_passkey_sign_in_options() -> Response | tuple[Response, int]:
    """Options to sign in with any passkey, or (second step) with the pending member's."""
    verdict = (
        await provider_state(current_app).limiter(current_app).hit(PASSKEY_PER_IP, client_ip())
    )
    if not verdict.allowed:
        return _error("Too many attempts. Please wait a few minutes.", 429)
    body = await _body()
    user_id = None
    if body.get("second_factor"):
        pending = await pending_second_factors().get(request.cookies.get(second_factor_cookie()))
        if pending is None:
            return _error("That sign-in expired. Start again.")
        user_id = pending.user_id
    ceremony = await services.passkeys.authentication_options(
        request_session(current_app), _party(), user_id
    )
    return await _begin(ceremony.options_json, ceremony.challenge, "sign-in", user_id)


@bp.post("/signin/passkey")
async def post_passkey_sign_in() -> Response | tuple[Response, int]:
    """Sign in with the passkey's answer; the JSON says where to go next."""
    body = await _body()
    taken = await _take(body, "sign-in")
    if taken is None:
        return _error("That passkey request expired. Try again.")
    challenge, user_id = taken
    next_path = DEFAULT_NEXT
    if user_id is not None:  # the second step: the pending sign-in says where to go
        cookie_value = request.cookies.get(second_factor_cookie(), "")
        pending = await pending_second_factors().get(cookie_value)
        if pending is None or pending.user_id != user_id:
            return _error("That sign-in expired. Start again.")
        next_path = pending.next_path
    else:
        raw_next = body.get("next")
        next_path = safe_next(raw_next if isinstance(raw_next, str) else None, DEFAULT_NEXT)
    try:
        async with unit_of_work(current_app) as uow:
            user = await services.passkeys.authenticate(
                uow.session, _party(), _credential(body), challenge, user_id=user_id
            )
    except PasskeyError as error:
        return _error(str(error))
    if user_id is not None:
        await pending_second_factors().end(request.cookies.get(second_factor_cookie(), ""))
    answer = await start_provider_session(user, next_path)
    # The script follows `redirect` itself; the cookie rides on this JSON answer.
    response = jsonify({"redirect": next_path})
    for name, value in answer.headers.items():
        if name.lower() == "set-cookie":
            response.headers.add("Set-Cookie", value)
    return response
