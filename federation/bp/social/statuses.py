"""Statuses in the browser: compose, a status and its thread, edit, delete, and the
favourite and boost buttons (each undone by the same button)."""

from __future__ import annotations

from quart import Blueprint, abort, current_app, redirect, render_template, request
from werkzeug.wrappers.response import Response as WerkzeugResponse

from federation.bp.social.media import allow_uploads, store_attachments
from federation.bp.social.web import member
from shared.contracts.social import NewStatus, StatusRecord
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.params import whole_number
from shared.infrastructure.redirects import safe_next
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.services.registry import services

bp = Blueprint("social_statuses", __name__)
REACTIONS = {
    "favourite": ("like", False),
    "unfavourite": ("like", True),
    "boost": ("announce", False),
    "unboost": ("announce", True),
}


async def _new_status(form: dict[str, str], files: list, alts: list[str]) -> NewStatus:  # type: ignore[type-arg]
    return NewStatus(
        text=form.get("status", ""),
        visibility=form.get("visibility", "public"),
        spoiler_text=form.get("spoiler_text", "").strip(),
        language=form.get("language") or None,
        in_reply_to_id=whole_number(form.get("in_reply_to_id"), "in_reply_to_id"),
        media=await store_attachments(files, alts),
    )


def _back(status: StatusRecord | None = None) -> WerkzeugResponse:
    """Back where the form came from (`next`, same-site paths only), else the status."""
    here = f"/@{status.account.username}/{status.id}" if status else "/home"
    return redirect(safe_next(request.args.get("next"), here))


@bp.post("/statuses")
@login_required
async def post_status() -> WerkzeugResponse:
    """Post what the compose form holds (text, warning, visibility, language, images)."""
    allow_uploads()
    form, files = await request.form, await request.files
    new = await _new_status(dict(form), files.getlist("media"), form.getlist("alt"))
    async with unit_of_work(current_app) as uow:  # remote accounts mentioned, cached first
        await services.social.resolve_mentions(
            uow.session, runtime(current_app).federation_http, new.text
        )
    async with unit_of_work(current_app) as uow:
        status = await services.social.create_status(uow.session, member().id, new)
    return _back(status)


@bp.get("/@<username>/<int:status_id>")
async def get_status(username: str, status_id: int) -> str:
    """A status with its thread, and a reply form for a signed-in member."""
    viewer = current_user()
    session = request_session(current_app)
    social = services.social
    status = await social.get_status(session, viewer.id if viewer else None, status_id)
    if status.account.username.lower() != username.lower():
        abort(404, description="No such post here.")
    context = await social.get_context(session, viewer.id if viewer else None, status_id)
    return await render_template("federation/social/status.html", status=status, context=context)


@bp.get("/statuses/<int:status_id>/edit")
@login_required
async def get_edit_status(status_id: int) -> str:
    status = await services.social.get_status(request_session(current_app), member().id, status_id)
    if status.source is None:
        abort(404, description="You can edit only your own posts.")
    return await render_template("federation/social/edit.html", status=status)


@bp.post("/statuses/<int:status_id>/edit")
@login_required
async def post_edit_status(status_id: int) -> WerkzeugResponse:
    allow_uploads()
    form, files = await request.form, await request.files
    social = services.social
    async with unit_of_work(current_app) as uow:
        current = await social.get_status(uow.session, member().id, status_id)
        media = await store_attachments(files.getlist("media"), form.getlist("alt"))
        new = NewStatus(
            text=form.get("status", ""),
            visibility=current.visibility,
            spoiler_text=form.get("spoiler_text", "").strip(),
            language=form.get("language") or None,
            media=media or (() if form.get("remove_media") else current.media),
        )
        status = await social.edit_status(uow.session, member().id, status_id, new)
    return _back(status)


@bp.post("/statuses/<int:status_id>/delete")
@login_required
async def post_delete_status(status_id: int) -> WerkzeugResponse:
    async with unit_of_work(current_app) as uow:
        await services.social.delete_status(uow.session, member().id, status_id)
    return redirect("/home")


@bp.post("/statuses/<int:status_id>/<any(favourite, unfavourite, boost, unboost):action>")
@login_required
async def post_reaction(status_id: int, action: str) -> WerkzeugResponse:
    kind, undo = REACTIONS[action]
    async with unit_of_work(current_app) as uow:
        status = await services.social.react(uow.session, member().id, status_id, kind, undo=undo)
    return _back(status)
