"""Error pages in the shared layout, security headers, CSRF on forms, request ids."""

from __future__ import annotations

from quart import Quart, request

from shared.infrastructure.config import Settings
from shared.infrastructure.security import CSRF_COOKIE, csrf_token
from tests.conftest import AppFactory


def add_test_routes(app: Quart) -> None:
    """Routes only these tests need: a form target and a crash."""

    @app.get("/test/form")
    async def get_form() -> str:
        return csrf_token()

    @app.post("/test/form")
    async def post_form() -> str:
        return "saved"

    @app.get("/test/crash")
    async def get_crash() -> str:
        raise RuntimeError("boom")

    @app.get("/test/own-referrer-policy")
    async def get_own_policy() -> tuple[str, dict[str, str]]:
        return "a token page", {"Referrer-Policy": "no-referrer"}


async def test_unknown_page_is_a_404_in_the_shared_layout(make_app: AppFactory) -> None:
    app = await make_app("market")
    response = await app.test_client().get("/no/such/page")
    assert response.status_code == 404
    html = await response.get_data(as_text=True)
    assert "We couldn&#39;t find that page" in html or "We couldn't find that page" in html
    assert "Rose Ash" in html and "dist/app.css" in html


async def test_machine_clients_get_json_errors(make_app: AppFactory) -> None:
    app = await make_app("market")
    response = await app.test_client().get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    body = await response.get_json()
    assert body["status"] == 404 and body["error"] == "We couldn't find that page"


async def test_a_crash_is_a_500_page_with_the_request_id(make_app: AppFactory) -> None:
    app = await make_app("blog")
    add_test_routes(app)
    response = await app.test_client().get("/test/crash", headers={"X-Request-ID": "req-abcdef123"})
    assert response.status_code == 500
    html = await response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "req-abcdef123" in html
    assert "boom" not in html  # no internals leak to the visitor


async def test_security_headers_and_request_id_on_every_response(make_app: AppFactory) -> None:
    app = await make_app("market")
    add_test_routes(app)
    client = app.test_client()
    # An answer, a missing page, a refused address and a crash: each made by another path.
    for path, status in (
        ("/healthz", 200),
        ("/no/such/page", 404),
        ("/a%00b", 400),
        ("/test/crash", 500),
    ):
        response = await client.get(path)
        headers = response.headers
        assert response.status_code == status
        assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert len(headers.getlist("X-Request-ID")) == 1 and len(headers["X-Request-ID"]) >= 8
    ids = {(await client.get("/healthz")).headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


async def test_a_header_the_view_set_itself_wins(make_app: AppFactory) -> None:
    app = await make_app("federation")
    add_test_routes(app)
    response = await app.test_client().get("/test/own-referrer-policy")
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_a_form_post_without_a_csrf_token_is_refused(make_app: AppFactory) -> None:
    app = await make_app("account")
    add_test_routes(app)
    response = await app.test_client().post("/test/form", form={"name": "x"})
    assert response.status_code == 400
    assert "came from another site" in await response.get_data(as_text=True)


async def test_a_form_post_with_a_forged_token_is_refused(make_app: AppFactory) -> None:
    app = await make_app("account")
    add_test_routes(app)
    client = app.test_client()
    await client.get("/test/form")  # sets the cookie
    response = await client.post("/test/form", form={"csrf_token": "f" * 64})
    assert response.status_code == 400


async def test_a_form_post_with_the_token_is_accepted(make_app: AppFactory) -> None:
    app = await make_app("account")
    add_test_routes(app)
    client = app.test_client()
    issued = await client.get("/test/form")
    assert CSRF_COOKIE in issued.headers.get("Set-Cookie", "")
    assert "HttpOnly" in issued.headers["Set-Cookie"]
    token = await issued.get_data(as_text=True)
    response = await client.post("/test/form", form={"csrf_token": token})
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "saved"


async def test_behind_a_trusted_proxy_the_members_address_is_used(
    make_app: AppFactory, settings: Settings
) -> None:
    app = await make_app(
        "federation", app_settings=settings.model_copy(update={"trusted_proxy_hops": 1})
    )

    @app.get("/test/address")
    async def get_address() -> str:
        return f"{request.remote_addr} {request.scheme}"

    response = await app.test_client().get(
        "/test/address",
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    # One hop trusted: the address Caddy saw, not what the client claimed before it.
    assert await response.get_data(as_text=True) == "203.0.113.9 https"


async def test_without_a_trusted_proxy_forwarded_headers_are_ignored(
    make_app: AppFactory,
) -> None:
    app = await make_app("federation")

    @app.get("/test/address")
    async def get_address() -> str:
        return str(request.remote_addr)

    response = await app.test_client().get(
        "/test/address", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert await response.get_data(as_text=True) != "203.0.113.9"
