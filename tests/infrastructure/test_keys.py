"""One key per purpose from SECRET_KEY: the CSRF form token is no oracle for the others."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from quart import Quart

from shared.infrastructure.config import Settings
from shared.infrastructure.internal import InternalAuth
from shared.infrastructure.keys import Purpose, derive_key
from shared.infrastructure.oidc.clients import derive_client_secret
from shared.infrastructure.security import CSRF_COOKIE, csrf_token
from tests.conftest import AppFactory

# Every label a derivation ever used, old (plain HMAC labels) and new (HKDF infos).
LABELS = [
    *(p.value for p in Purpose),
    "rose-ash/internal-token/v1",
    "rose-ash/internal-viewer/v1",
    *(f"rose-ash oauth client {app}" for app in ("blog", "market", "cart", "federation")),
]


def _secrets_of(settings: Settings) -> set[str]:
    """Every derived secret, in every encoding a form field could show it."""
    key = settings.secret_key
    auth = InternalAuth.from_secret(key)
    raw = [auth.viewer_key, bytes.fromhex(auth.token)]
    raw += [derive_key(key, p) for p in Purpose]
    found = {auth.token} | {derive_client_secret(key, a) for a in ("blog", "cart", "federation")}
    for value in raw:
        found |= {value.hex(), base64.urlsafe_b64encode(value).rstrip(b"=").decode()}
    return found


def add_form(app: Quart) -> None:
    @app.get("/test/token")
    async def get_token() -> str:
        return csrf_token()


def test_member_keys_stay_readable_across_the_move(settings: Settings) -> None:
    """The ActivityPub member-key encryption kept its label: stored keys still open."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    released = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"rose-ash activitypub member keys"
    ).derive(settings.secret_key.encode())
    assert derive_key(settings.secret_key, Purpose.AP_MEMBER_KEYS) == released


def test_each_purpose_has_its_own_key(settings: Settings) -> None:
    keys = {derive_key(settings.secret_key, p) for p in Purpose}
    assert len(keys) == len(Purpose)
    assert derive_key(settings.secret_key, Purpose.CLIENT_SECRET, "blog") != derive_key(
        settings.secret_key, Purpose.CLIENT_SECRET, "cart"
    )
    assert derive_key("another-secret-key-" * 3, Purpose.CSRF) != derive_key(
        settings.secret_key, Purpose.CSRF
    )


@pytest.mark.parametrize("label", LABELS)
async def test_a_cookie_equal_to_a_label_reveals_no_secret(
    make_app: AppFactory, settings: Settings, label: str
) -> None:
    app = await make_app("account")
    add_form(app)
    client = app.test_client()
    client.set_cookie("localhost", CSRF_COOKIE, label)
    response = await client.get("/test/token")
    token = await response.get_data(as_text=True)
    assert token not in _secrets_of(settings)
    # The chosen cookie is not what was signed: the server minted its own.
    legacy = hmac.new(settings.secret_key.encode(), label.encode(), hashlib.sha256).hexdigest()
    assert token != legacy
    set_cookie = response.headers.get("Set-Cookie", "")
    minted = re.search(rf"{CSRF_COOKIE}=([^;]+)", set_cookie)
    assert minted is not None and minted.group(1) != label


async def test_a_cookie_of_another_shape_is_not_accepted(make_app: AppFactory) -> None:
    """The token for a chosen (ill-shaped) cookie never validates a POST."""
    app = await make_app("account")

    @app.post("/test/token")
    async def post_token() -> str:
        return "saved"

    chosen = "x" * 44
    key = derive_key(app.config["SECRET_KEY"], Purpose.CSRF)
    forged = hmac.new(key, chosen.encode(), hashlib.sha256).hexdigest()
    client = app.test_client()
    client.set_cookie("localhost", CSRF_COOKIE, chosen)
    response = await client.post("/test/token", form={"csrf_token": forged})
    assert response.status_code == 400


async def test_a_non_ascii_csrf_token_is_a_400(make_app: AppFactory) -> None:
    app = await make_app("account")

    @app.post("/test/token")
    async def post_token() -> str:
        return "saved"

    client = app.test_client()
    await client.get("/healthz")
    response = await client.post("/test/token", form={"csrf_token": "é²"})
    assert response.status_code == 400
