"""Admins: newsletters (name, sender, reply-to, sign-up), their issues' progress, new
standalone issues, and the suppression list."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from shared.contracts.newsletters import NewNewsletter, NewsletterError
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("admin_newsletters", __name__, url_prefix="/admin/newsletters")


@bp.before_request
async def require_admin() -> None:
    viewer = current_viewer()
    if viewer is None or not viewer.is_admin:
        abort(403, description="Only the site's admins manage newsletters.")


def _submitted(form: MultiDict[str, str]) -> NewNewsletter:
    return NewNewsletter(
        name=form.get("name", ""),
        description=form.get("description", ""),
        sender_name=form.get("sender_name", ""),
        reply_to=form.get("reply_to", "").strip() or None,
        subscribe_on_signup=form.get("subscribe_on_signup") == "on",
    )


@bp.get("/")
async def get_newsletters() -> str:
    session = request_session(current_app)
    return await render_template(
        "account/admin/index.html",
        newsletters=await services.newsletters.list_newsletters(session),
    )


@bp.post("/")
async def post_newsletter() -> Response:
    try:
        async with unit_of_work(current_app) as uow:
            made = await services.newsletters.create_newsletter(
                uow.session, _submitted(await request.form)
            )
    except NewsletterError as exc:
        abort(exc.status, description=exc.message)
    return redirect(f"/admin/newsletters/{made.id}/", 303)


@bp.get("/<int:newsletter_id>/")
async def get_newsletter(newsletter_id: int) -> str:
    session = request_session(current_app)
    newsletter = await services.newsletters.get_newsletter(session, newsletter_id)
    if newsletter is None:
        abort(404, description="There is no such newsletter.")
    return await render_template(
        "account/admin/newsletter.html",
        newsletter=newsletter,
        sends=await services.newsletters.list_sends(session, newsletter_id),
    )


@bp.post("/<int:newsletter_id>/")
async def post_edit_newsletter(newsletter_id: int) -> Response:
    try:
        async with unit_of_work(current_app) as uow:
            edited = await services.newsletters.update_newsletter(
                uow.session, newsletter_id, _submitted(await request.form)
            )
    except NewsletterError as exc:
        abort(exc.status, description=exc.message)
    if edited is None:
        abort(404, description="There is no such newsletter.")
    return redirect(f"/admin/newsletters/{newsletter_id}/", 303)


@bp.post("/<int:newsletter_id>/issues")
async def post_issue(newsletter_id: int) -> Response:
    """Queue a standalone issue; its progress shows on the newsletter's page."""
    form = await request.form
    try:
        async with unit_of_work(current_app) as uow:
            await services.newsletters.create_issue(
                uow.session, newsletter_id, form.get("subject", ""), form.get("text", "")
            )
    except NewsletterError as exc:
        abort(exc.status, description=exc.message)
    return redirect(f"/admin/newsletters/{newsletter_id}/", 303)


@bp.get("/suppressions")
async def get_suppressions() -> str:
    suppressions = await services.newsletters.list_suppressions(request_session(current_app))
    return await render_template("account/admin/suppressions.html", suppressions=suppressions)


@bp.post("/suppressions/lift")
async def post_lift_suppression() -> Response:
    form = await request.form
    async with unit_of_work(current_app) as uow:
        await services.newsletters.lift_suppression(uow.session, form.get("email", ""))
    return redirect("/admin/newsletters/suppressions", 303)
