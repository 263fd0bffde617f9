"""Registering third-party clients: redirect URIs are kept exactly as given and checked
once (https, or http on loopback; no fragment); scopes must be ones the server grants;
connected apps are listed and disconnected per member."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.oidc.registrations import (
    NewClient,
    RegistrationError,
    check_uri,
    disconnect_app,
    list_connected_apps,
    register_client,
)
from shared.infrastructure.oidc.scopes import SUPPORTED_SCOPES, allow_scope
from shared.infrastructure.oidc.store import save_consent
from tests.support.factories import make_user


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://wiki.example/cb", "must use https"),
        ("https://wiki.example/cb#x", "has a fragment"),
        ("/cb", "not an absolute"),
        ("javascript:alert(1)", "not an absolute"),
    ],
)
def test_a_redirect_uri_is_refused_saying_why(uri: str, problem: str) -> None:
    with pytest.raises(RegistrationError) as refused:
        check_uri("redirect_uris", uri)
    assert problem in refused.value.message


@pytest.mark.parametrize("uri", ["https://wiki.example/cb/", "http://127.0.0.1:8080/cb"])
def test_https_and_loopback_redirect_uris_are_kept_exactly(uri: str) -> None:
    assert check_uri("redirect_uris", uri) == uri


async def test_a_scope_the_server_does_not_grant_is_refused(db: AsyncSession) -> None:
    new = NewClient(name="Chat", redirect_uris=("https://chat.example/cb",), scope="openid admin")
    with pytest.raises(RegistrationError) as refused:
        await register_client(db, new)
    assert refused.value.message == "Unknown scope: admin."


async def test_another_module_can_allow_a_scope(db: AsyncSession) -> None:
    allow_scope("read", "Read your timeline")
    try:
        made = await register_client(
            db,
            NewClient("Client", ("https://c.example/cb",), scope="openid read", confidential=False),
        )
        assert made.client.scope == "openid read" and made.secret is None
    finally:
        SUPPORTED_SCOPES.remove("read")


async def test_disconnecting_an_app_forgets_the_members_consent_only(db: AsyncSession) -> None:
    one, two = await make_user(db), await make_user(db)
    made = await register_client(db, NewClient("Wiki", ("https://wiki.example/cb",)))
    for member in (one, two):
        await save_consent(db, member.id, made.client.id, "openid profile")

    assert await disconnect_app(db, one.id, made.client.client_id)

    assert await list_connected_apps(db, one.id) == []
    assert [app.name for app in await list_connected_apps(db, two.id)] == ["Wiki"]
    assert not await disconnect_app(db, one.id, made.client.client_id)
