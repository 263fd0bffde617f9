"""The six apps as OAuth clients: their ids, secrets and URLs, all from configuration.

A first-party client's secret is a key derived from SECRET_KEY for that
client id (`shared.infrastructure.keys`, its own HKDF label): each
app can compute its own and federation can check it, so operators manage no
extra secrets, and rotating SECRET_KEY rotates them all. The database keeps
only a SHA-256 of each secret (the secrets are random-strength, so a slow
hash would add nothing but latency to every token call).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from shared.infrastructure.config import APP_NAMES, Settings
from shared.infrastructure.keys import Purpose, derive_key

CALLBACK_PATH = "/auth/callback"
BACKCHANNEL_LOGOUT_PATH = "/auth/backchannel-logout"
FIRST_PARTY_SCOPE = "openid profile email"
APP_TITLES = {
    "blog": "Rose Ash Blog",
    "market": "Rose Ash Market",
    "cart": "Rose Ash Cart",
    "events": "Rose Ash Events",
    "federation": "Rose Ash Social",
    "account": "Rose Ash Account",
}


@dataclass(frozen=True, slots=True)
class FirstPartyClient:
    client_id: str
    client_secret: str
    name: str
    redirect_uri: str
    post_logout_redirect_uri: str
    backchannel_logout_uri: str


def derive_client_secret(secret_key: str, client_id: str) -> str:
    key = derive_key(secret_key, Purpose.CLIENT_SECRET, client_id)
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


def hash_client_secret(secret: str) -> str:
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def check_client_secret(stored_hash: str | None, secret: str) -> bool:
    if not stored_hash or not stored_hash.startswith("sha256$"):
        return False
    return hmac.compare_digest(stored_hash, hash_client_secret(secret))


def first_party_client(settings: Settings, app: str) -> FirstPartyClient:
    urls = settings.app(app)
    return FirstPartyClient(
        client_id=app,
        client_secret=derive_client_secret(settings.secret_key, app),
        name=APP_TITLES[app],
        redirect_uri=urls.base_url + CALLBACK_PATH,
        post_logout_redirect_uri=urls.base_url + "/",
        # Server to server: the OP reaches each app on its internal URL.
        backchannel_logout_uri=urls.internal_url + BACKCHANNEL_LOGOUT_PATH,
    )


def first_party_clients(settings: Settings) -> list[FirstPartyClient]:
    return [first_party_client(settings, app) for app in APP_NAMES]
