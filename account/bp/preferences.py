"""A member's newsletters: which they receive, and lifting a bounce suppression."""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.contracts.newsletters import NewsletterError
from shared.infrastructure.oauth import login_required
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("preferences", __name__, url_prefix="/newsletters")


@bp.get("/")
@login_required
async def get_preferences() -> str:
    member = current_viewer()
    assert member is not None
    session = request_session(current_app)
    return await render_template(
        "account/newsletters/preferences.html",
        preferences=await services.newsletters.list_preferences(session, member),
        suppressions=await services.newsletters.list_suppressions(session, member.email),
        saved=request.args.get("saved") == "1",
    )


@bp.post("/")
@login_required
async def post_preferences() -> Response:
    member = current_viewer()
    assert member is not None
    form = await request.form
    ids = [whole_number(v, "The newsletter") or 0 for v in form.getlist("newsletter_id")]
    try:
        async with unit_of_work(current_app) as uow:
            await services.newsletters.set_preferences(uow.session, member, ids)
    except NewsletterError as exc:
        abort(exc.status, description=exc.message)
    return redirect("/newsletters/?saved=1", 303)


@bp.post("/suppression/lift")
@login_required
async def post_lift_suppression() -> Response:
    """The member's own address only: a member cannot lift another's suppression."""
    member = current_viewer()
    assert member is not None
    async with unit_of_work(current_app) as uow:
        await services.newsletters.lift_suppression(uow.session, member.email)
    return redirect("/newsletters/", 303)
