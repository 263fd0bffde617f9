"""The operator's page for third-party OAuth/OIDC clients: register, list, rotate a
secret, remove (admins only; `python -m shared.infrastructure.oidc` does the same)."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.oidc.registrations import (
    NewClient,
    RegisteredClient,
    RegistrationError,
    list_clients,
    register_client,
    remove_client,
    rotate_secret,
)
from shared.infrastructure.runtime import request_session, unit_of_work

bp = Blueprint("clients", __name__, url_prefix="/admin/clients")
_NO_STORE = {"Cache-Control": "no-store"}


def _require_admin() -> None:
    user = current_user()
    if user is None or not user.is_admin:
        abort(403, description="Only the platform's operators manage applications.")


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


async def _page(error: RegistrationError | None = None, form: dict[str, str] | None = None) -> str:
    clients = await list_clients(request_session(current_app))
    return await render_template(
        "federation/clients/index.html", clients=clients, error=error, form=form or {}
    )


async def _secret_page(made: RegisteredClient) -> tuple[str, int, dict[str, str]]:
    html = await render_template("federation/clients/secret.html", made=made)
    return html, 200, _NO_STORE


@bp.get("/")
@login_required
async def get_clients() -> str:
    _require_admin()
    return await _page()


@bp.post("/")
@login_required
async def post_client() -> tuple[str, int, dict[str, str]]:
    _require_admin()
    form = await request.form
    new = NewClient(
        name=form.get("name", ""),
        redirect_uris=_lines(form.get("redirect_uris", "")),
        scope=form.get("scope", "openid profile email"),
        confidential=form.get("kind", "confidential") != "public",
        post_logout_redirect_uris=_lines(form.get("post_logout_redirect_uris", "")),
        backchannel_logout_uri=form.get("backchannel_logout_uri", "").strip() or None,
    )
    try:
        async with unit_of_work(current_app) as uow:
            made = await register_client(uow.session, new)
    except RegistrationError as error:
        return await _page(error, dict(form)), 400, _NO_STORE
    return await _secret_page(made)


@bp.post("/<client_id>/rotate")
@login_required
async def post_rotate_secret(client_id: str) -> tuple[str, int, dict[str, str]]:
    _require_admin()
    async with unit_of_work(current_app) as uow:
        made = await rotate_secret(uow.session, client_id[:100])
    if made is None:
        abort(404, description="No confidential application with that id.")
    return await _secret_page(made)


@bp.post("/<client_id>/remove")
@login_required
async def post_remove_client(client_id: str) -> Response:
    _require_admin()
    async with unit_of_work(current_app) as uow:
        removed = await remove_client(uow.session, client_id[:100])
    if not removed:
        abort(404, description="No application with that id.")
    return redirect("/admin/clients/")
