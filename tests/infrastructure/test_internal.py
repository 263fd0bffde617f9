"""/internal/*: only our own apps get in, and the viewer they name is signed."""

from __future__ import annotations

import time

import pytest

from shared.contracts.widgets import FragmentViewer
from shared.infrastructure.internal import (
    TOKEN_HEADER,
    VIEWER_HEADER,
    VIEWER_MAX_AGE,
    InternalAuth,
    InvalidViewer,
)
from tests.conftest import TEST_SECRET_KEY, ClientFactory

AUTH = InternalAuth.from_secret(TEST_SECRET_KEY)


def test_the_token_is_derived_from_the_secret_key_and_is_not_it() -> None:
    assert AUTH.token == InternalAuth.from_secret(TEST_SECRET_KEY).token
    assert AUTH.token != InternalAuth.from_secret(TEST_SECRET_KEY + "x").token
    assert TEST_SECRET_KEY not in AUTH.token


def test_a_signed_viewer_reads_back() -> None:
    viewer = FragmentViewer(user_id=42, anon_cart="cart-token")
    assert AUTH.read_viewer(AUTH.sign_viewer(viewer)) == viewer
    assert AUTH.read_viewer(AUTH.sign_viewer(FragmentViewer())) == FragmentViewer()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda signed: signed.replace("v1.", "v2.", 1),
        lambda signed: signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"),
        lambda signed: "v1." + signed.split(".")[1] + ".",
        lambda signed: InternalAuth.from_secret("another-secret-key-" * 3).sign_viewer(
            FragmentViewer(user_id=1)
        ),
        lambda signed: "garbage",
    ],
)
def test_a_forged_or_broken_viewer_is_refused(tamper: object) -> None:
    signed = AUTH.sign_viewer(FragmentViewer(user_id=1))
    with pytest.raises(InvalidViewer):
        AUTH.read_viewer(tamper(signed))  # type: ignore[operator]


def test_an_old_viewer_header_is_refused() -> None:
    signed = AUTH.sign_viewer(FragmentViewer(user_id=1), now=time.time() - VIEWER_MAX_AGE - 5)
    with pytest.raises(InvalidViewer, match="expired"):
        AUTH.read_viewer(signed)


@pytest.mark.parametrize(
    ("app", "path"),
    [
        ("blog", "/internal/fragments/nav"),
        ("cart", "/internal/fragments/mini-cart"),
        ("account", "/internal/fragments/user-menu"),
        ("events", "/internal/fragments/upcoming-events"),
        ("market", "/internal/anything"),
    ],
)
async def test_internal_endpoints_refuse_requests_without_the_token(
    client_for: ClientFactory, app: str, path: str
) -> None:
    client = await client_for(app)
    for headers in ({}, {TOKEN_HEADER: "not-the-token"}):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403
        assert (await response.get_json())["status"] == 403


async def test_internal_endpoints_answer_our_apps(client_for: ClientFactory) -> None:
    client = await client_for("blog")
    response = await client.get("/internal/fragments/nav", headers=AUTH.headers())
    assert response.status_code == 200
    assert 'data-fragment="nav"' in await response.get_data(as_text=True)


async def test_internal_endpoints_refuse_what_came_through_the_public_proxy(
    client_for: ClientFactory,
) -> None:
    client = await client_for("blog")
    headers = {**AUTH.headers(), "X-Forwarded-For": "203.0.113.9"}
    response = await client.get("/internal/fragments/nav", headers=headers)
    assert response.status_code == 403


async def test_a_forged_viewer_is_refused(client_for: ClientFactory) -> None:
    client = await client_for("cart")
    forged = InternalAuth.from_secret("x" * 40).sign_viewer(FragmentViewer(user_id=1))
    response = await client.get(
        "/internal/fragments/mini-cart", headers={**AUTH.headers(), VIEWER_HEADER: forged}
    )
    assert response.status_code == 403
