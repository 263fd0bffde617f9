"""Admin: domain blocks (a blocked server's inbox POSTs are refused, its content purged)."""

from __future__ import annotations

from quart import Blueprint, abort, current_app, redirect, render_template, request
from werkzeug.wrappers.response import Response as WerkzeugResponse

from federation.bp.social.web import member
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.services.registry import services

bp = Blueprint("social_admin", __name__)


def _admin() -> None:
    if not member().is_admin:
        abort(403, description="Only the co-op's admins manage domain blocks.")


@bp.get("/admin/domain-blocks")
@login_required
async def get_domain_blocks() -> str:
    _admin()
    blocks = await services.social.list_domain_blocks(request_session(current_app))
    return await render_template("federation/social/domain_blocks.html", blocks=blocks)


@bp.post("/admin/domain-blocks")
@login_required
async def post_domain_block() -> WerkzeugResponse:
    _admin()
    form = await request.form
    async with unit_of_work(current_app) as uow:
        await services.social.block_domain(
            uow.session, form.get("domain", ""), form.get("reason", "")
        )
    return redirect("/admin/domain-blocks")


@bp.post("/admin/domain-blocks/<domain>/delete")
@login_required
async def post_domain_unblock(domain: str) -> WerkzeugResponse:
    _admin()
    async with unit_of_work(current_app) as uow:
        await services.social.unblock_domain(uow.session, domain)
    return redirect("/admin/domain-blocks")
