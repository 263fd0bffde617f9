"""The OAuth 2.1 / OpenID Connect endpoints: authorize, token, revoke, introspect,
userinfo, logout, JWKS and the discovery documents."""

from __future__ import annotations

from urllib.parse import urlencode

from quart import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
)

from federation.services.provider import provider_state
from shared.infrastructure.oidc.metadata import AUTHORIZE_PATH, provider_metadata
from shared.infrastructure.oidc.provider import Authorization, Logout, json_body
from shared.infrastructure.oidc.scopes import SCOPE_DESCRIPTIONS
from shared.infrastructure.oidc.server import QuartOAuth2Request, RawResponse
from shared.infrastructure.oidc.sessions import ProviderSession
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.security import csrf_exempt
from shared.services.registry import services

bp = Blueprint("oauth", __name__)


async def _oauth_request(*, extra_form: dict[str, str] | None = None) -> QuartOAuth2Request:
    form = await request.form
    lists = {key: form.getlist(key) for key in form}
    if extra_form:
        lists.update({key: [value] for key, value in extra_form.items()})
    return QuartOAuth2Request(
        request.method,
        request.url,
        request.headers,
        {key: request.args.getlist(key) for key in request.args},
        lists,
    )


def _response(raw: RawResponse) -> Response:
    response = Response(json_body(raw) if raw.body != "" else "", status=raw.status)
    for name, value in raw.headers:
        response.headers[name] = value
    return response


async def _sso() -> ProviderSession | None:
    """This browser's SSO session, unless the member ended every session since it began."""
    state = provider_state(current_app)
    sso = await state.provider_sessions(current_app).get(request.cookies.get(state.cookie))
    if sso is None:
        return None
    user = await services.identity.get_session_user(
        request_session(current_app), sso.user_id, sso.started_at
    )
    return sso if user is not None else None


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/oauth-authorization-server")
async def get_provider_metadata() -> Response:
    """OpenID Connect Discovery 1.0 and RFC 8414: the same document."""
    return _cors(jsonify(provider_metadata(provider_state(current_app).provider.issuer)))


@bp.get("/oauth/jwks")
async def get_jwks() -> Response:
    """The public keys id_tokens and logout tokens are signed with."""
    return _cors(jsonify(provider_state(current_app).provider.key.public_jwks()))


async def _authorization_answer(
    outcome: Authorization, oauth: QuartOAuth2Request
) -> Response | str:
    if outcome.response is not None:
        return _response(outcome.response)
    if outcome.error is not None:
        abort(400, description=f"This sign-in request cannot be accepted: {outcome.error}")
    if outcome.login:
        query = urlencode({k: v for k, v in oauth.payload.data.items() if k != "prompt"})
        return redirect(f"/signin?{urlencode({'next': f'{AUTHORIZE_PATH}?{query}'})}")
    if outcome.unverified is not None:
        html = await render_template(
            "federation/identity/message.html",
            title="Confirm your email address first",
            text=f"Before another application may sign you in, confirm "
            f"{outcome.unverified.email}: open the link we mailed you, or send a new one.",
            action_url="/security",
            action_label="Send a new link",
        )
        return Response(html, status=403)
    assert outcome.consent is not None
    query = urlencode(oauth.payload.data)
    return await render_template(
        "federation/identity/consent.html",
        client=outcome.consent,
        scopes=[(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in outcome.scope.split()],
        query=query,
    )


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@csrf_exempt  # relying parties may POST authorization requests (OIDC Core 3.1.2.1)
async def authorize() -> Response | str:
    """The authorization endpoint: a code for a signed-in member, else sign in first."""
    oauth = await _oauth_request()
    openid = provider_state(current_app).openid(current_app)
    sso = await _sso()
    # The unit commits a code Authlib issued before the client is redirected with it.
    async with unit_of_work(current_app) as uow:
        outcome = await openid.authorize(uow.session, oauth, sso)
    return await _authorization_answer(outcome, oauth)


@bp.post("/oauth/authorize/decision")
async def post_authorize_decision() -> Response | str:
    """The member's answer on the consent page (CSRF-checked)."""
    form = await request.form
    query = form.get("query", "")
    oauth = QuartOAuth2Request(
        "GET", request.url_root.rstrip("/") + AUTHORIZE_PATH + "?" + query, request.headers,
        {k: v for k, v in _parse(query).items()}, {},
    )  # fmt: skip
    openid = provider_state(current_app).openid(current_app)
    allowed = form.get("decision") == "allow"
    sso = await _sso()
    async with unit_of_work(current_app) as uow:
        outcome = await openid.authorize(uow.session, oauth, sso, consent=allowed)
    return await _authorization_answer(outcome, oauth)


def _parse(query: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return parse_qs(query, keep_blank_values=True)


@bp.post("/oauth/token")
@csrf_exempt
async def post_token() -> Response:
    """Codes (with PKCE) and refresh tokens (rotated) for access and id_tokens."""
    openid = provider_state(current_app).openid(current_app)
    oauth = await _oauth_request()
    # Committed before answering: a client never holds a token the database lacks.
    async with unit_of_work(current_app) as uow:
        raw = await openid.token(uow.session, oauth)
    return _response(raw)


@bp.post("/oauth/revoke")
@csrf_exempt
async def post_revoke() -> Response:
    """RFC 7009: revoke an access token, or a refresh token and its whole family."""
    openid = provider_state(current_app).openid(current_app)
    oauth = await _oauth_request()
    async with unit_of_work(current_app) as uow:
        raw = await openid.revoke(uow.session, oauth)
    return _response(raw)


@bp.post("/oauth/introspect")
@csrf_exempt
async def post_introspect() -> Response:
    """RFC 7662: is this token active, and whose is it."""
    openid = provider_state(current_app).openid(current_app)
    oauth = await _oauth_request()
    async with unit_of_work(current_app) as uow:
        raw = await openid.introspect(uow.session, oauth)
    return _response(raw)


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@csrf_exempt
async def userinfo() -> Response:
    """OpenID Connect UserInfo for a bearer access token (header or form body)."""
    oauth = await _oauth_request()
    body_token = oauth.form.get("access_token")
    if body_token and "Authorization" not in request.headers:
        headers = dict(request.headers)
        headers["Authorization"] = f"Bearer {body_token}"
        oauth.headers = headers
    openid = provider_state(current_app).openid(current_app)
    return _response(await openid.userinfo(request_session(current_app), oauth))


async def _logout_answer(outcome: Logout) -> Response | str:
    state = provider_state(current_app)
    if outcome.error is not None:
        abort(400, description=f"This sign-out request cannot be accepted: {outcome.error}")
    if outcome.confirm is not None:
        data = outcome.confirm.request.payload.data
        return await render_template(
            "federation/identity/logout_confirm.html",
            client=outcome.confirm.client,
            params={
                k: data[k] for k in ("client_id", "post_logout_redirect_uri", "state") if k in data
            },
        )
    if outcome.response is not None:
        response = _response(outcome.response)
    else:
        response = Response(await render_template("federation/identity/signed_out.html"))
    state.clear_provider_cookie(response)
    return response


@bp.route("/oauth/logout", methods=["GET", "POST"])
@csrf_exempt  # an RP-initiated logout arrives as a redirect; confirmation posts below
async def end_session() -> Response | str:
    """RP-initiated logout: end the SSO session and sign the member out of every app."""
    openid = provider_state(current_app).openid(current_app)
    oauth, sso = await _oauth_request(), await _sso()
    # Tokens revoked and back-channel logouts enqueued in one commit, before the answer.
    async with unit_of_work(current_app) as uow:
        outcome = await openid.end_session(uow.session, oauth, sso)
    return await _logout_answer(outcome)


@bp.post("/oauth/logout/confirm")
async def post_end_session_confirm() -> Response | str:
    """The member confirmed signing out (a logout request without id_token_hint)."""
    openid = provider_state(current_app).openid(current_app)
    oauth = await _oauth_request()
    sso = await _sso()
    async with unit_of_work(current_app) as uow:
        outcome = await openid.end_session(uow.session, oauth, sso, confirmed=True)
    return await _logout_answer(outcome)
