"""federation as the OpenID provider: what its routes need, wired once at start-up.

`install_provider(app, settings)` loads the signing key (a clean exit when
it is missing or bad) and registers the six apps as first-party clients when
the app starts serving. Mail and back-channel logout use the Platform's one
mailer and internal HTTP client (`runtime(app)`): one of each per process.
"""

from __future__ import annotations

import logging

from quart import Quart, Response

from shared.infrastructure.config import ConfigError, Settings
from shared.infrastructure.mail import Mailer
from shared.infrastructure.oauth import SignInState, sign_in_state
from shared.infrastructure.oidc.clients import first_party_clients
from shared.infrastructure.oidc.keys import load_signing_key
from shared.infrastructure.oidc.provider import OpenIDProvider
from shared.infrastructure.oidc.server import Provider
from shared.infrastructure.oidc.sessions import ProviderSession, ProviderSessions
from shared.infrastructure.oidc.store import register_first_party_clients
from shared.infrastructure.rate_limit import RateLimiter
from shared.infrastructure.runtime import runtime
from shared.infrastructure.sessions import PROVIDER_COOKIE
from shared.services.registry import services

log = logging.getLogger(__name__)
OP_KEY = "rose_ash_op"
# Federation's own pages that must never trigger a silent sign-in check.
ACCOUNT_PREFIXES = ("/signin", "/signup", "/password/", "/email/verify")


class ProviderState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.provider = Provider(settings, load_signing_key(settings))
        https = settings.app("federation").base_url.startswith("https://")
        self.cookie = ("__Host-" if https else "") + PROVIDER_COOKIE
        self.secure_cookie = settings.secure_cookies
        self.lifetime = settings.sessions.lifetime_days * 86400

    def provider_sessions(self, app: Quart) -> ProviderSessions:
        return ProviderSessions(runtime(app).redis, self.lifetime)

    def mailer(self, app: Quart) -> Mailer:
        return runtime(app).mailer

    def openid(self, app: Quart) -> OpenIDProvider:
        rt = runtime(app)
        return OpenIDProvider(
            self.provider, self.provider_sessions(app), services.identity, rt.internal_http
        )

    def limiter(self, app: Quart) -> RateLimiter:
        return RateLimiter(runtime(app).redis)

    def set_provider_cookie(self, response: Response, session: ProviderSession) -> None:
        response.set_cookie(
            self.cookie,
            session.cookie_value,
            max_age=self.lifetime,
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookie,
            path="/",
        )

    def clear_provider_cookie(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path="/", secure=self.secure_cookie, httponly=True)


def provider_state(app: Quart) -> ProviderState:
    return app.extensions[OP_KEY]


def install_provider(app: Quart, settings: Settings) -> None:
    try:
        state = ProviderState(settings)
    except ConfigError as exc:
        raise SystemExit(f"rose-ash federation: configuration error: {exc}") from None
    app.extensions[OP_KEY] = state
    sso: SignInState = sign_in_state(app)
    sso.quiet_prefixes = (*sso.quiet_prefixes, *ACCOUNT_PREFIXES)

    @app.before_serving
    async def open_provider() -> None:
        async with runtime(app).unit_of_work() as uow:
            changed = await register_first_party_clients(
                uow.session,
                first_party_clients(settings),
                replace_urls=settings.oidc.replace_client_urls,
            )
        if changed:
            log.info("registered %d first-party OAuth clients", changed)
