"""The blog's staff: who is an editor, author or contributor. Administrators only."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from shared.contracts.blog import StaffError
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.blog import STAFF_ROLES
from shared.services.blog.staff import get_staff_member
from shared.services.registry import services

bp = Blueprint("admin_staff", __name__, url_prefix="/admin/staff")


@bp.before_request
async def require_administrator() -> None:
    member = await get_staff_member(request_session(current_app), current_viewer())
    if member is None or member.role != "administrator":
        abort(403, description="Only the blog's administrators give staff roles.")


async def _index(error: StaffError | None = None) -> tuple[str, int]:
    staff = await services.blog.list_staff(request_session(current_app))
    html = await render_template(
        "blog/admin/staff/index.html", staff=staff, roles=STAFF_ROLES[1:], error=error
    )
    return html, 400 if error else 200


@bp.get("/")
async def get_staff() -> tuple[str, int]:
    """The staff and their roles, and the form to give a member one."""
    return await _index()


@bp.post("/")
async def post_staff() -> Response | tuple[str, int]:
    form = await request.form
    role = form.get("role", "")
    try:
        async with unit_of_work(current_app) as uow:
            await services.blog.assign_staff_role(
                uow.session, form.get("username", ""), None if role == "none" else role
            )
    except StaffError as error:
        return await _index(error)
    return redirect("/admin/staff/", 303)
