"""The navigation admin: the links of the site menus, for admins only.

Every change commits through a unit of work; the blog service records
`NavigationChanged`, whose after-commit handler drops the nav fragment, so
every app's header shows the new menu on its next page.
"""

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from shared.contracts.dtos import NewNavigationItem
from shared.contracts.errors import NavigationError
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.navigation import MAX_LABEL, MENUS
from shared.services.registry import services

bp = Blueprint("navigation", __name__, url_prefix="/admin/navigation")

INDEX = "/admin/navigation/"


@bp.before_request
async def require_admin() -> None:
    viewer = current_viewer()
    if viewer is None or not viewer.is_admin:
        abort(403, description="Only the site's admins manage the navigation.")


def _submitted(form: MultiDict[str, str]) -> NewNavigationItem:
    return NewNavigationItem(
        label=form.get("label", ""), url=form.get("url", ""), menu=form.get("menu", "primary")
    )


async def _index(
    *, error: NavigationError | None = None, draft: NewNavigationItem | None = None
) -> tuple[str, int]:
    session = request_session(current_app)
    menus = {menu: await services.blog.list_navigation_items(session, menu) for menu in MENUS}
    html = await render_template(
        "blog/navigation/index.html", menus=menus, error=error, draft=draft, max_label=MAX_LABEL
    )
    return html, 400 if error else 200


def _saved() -> Response:
    return redirect(INDEX, 303)


@bp.get("/")
async def get_navigation() -> tuple[str, int]:
    """Both menus, each link with its edit, move and delete buttons, and a form to add one."""
    return await _index()


@bp.post("/")
async def post_navigation() -> Response | tuple[str, int]:
    draft = _submitted(await request.form)
    try:
        async with unit_of_work(current_app) as uow:
            await services.blog.create_navigation_item(uow.session, draft)
    except NavigationError as error:
        return await _index(error=error, draft=draft)
    return _saved()


@bp.get("/<int:item_id>/")
async def get_navigation_item(item_id: int) -> tuple[str, int]:
    item = await services.blog.get_navigation_item(request_session(current_app), item_id)
    if item is None:
        abort(404)
    html = await render_template(
        "blog/navigation/edit.html", item=item, draft=None, error=None, max_label=MAX_LABEL
    )
    return html, 200


@bp.post("/<int:item_id>/")
async def post_navigation_item(item_id: int) -> Response | tuple[str, int]:
    draft = _submitted(await request.form)
    try:
        async with unit_of_work(current_app) as uow:
            item = await services.blog.update_navigation_item(uow.session, item_id, draft)
    except NavigationError as error:
        original = await services.blog.get_navigation_item(request_session(current_app), item_id)
        if original is None:
            abort(404)
        html = await render_template(
            "blog/navigation/edit.html",
            item=original,
            draft=draft,
            error=error,
            max_label=MAX_LABEL,
        )
        return html, 400
    if item is None:
        abort(404)
    return _saved()


@bp.post("/<int:item_id>/delete")
async def post_navigation_item_delete(item_id: int) -> Response:
    async with unit_of_work(current_app) as uow:
        if not await services.blog.delete_navigation_item(uow.session, item_id):
            abort(404)
    return _saved()


@bp.post("/<int:item_id>/move")
async def post_navigation_item_move(item_id: int) -> Response:
    offset = {"up": -1, "down": 1}.get((await request.form).get("direction", ""))
    if offset is None:
        abort(400, description="Move a link up or down.")
    async with unit_of_work(current_app) as uow:
        await services.blog.move_navigation_item(uow.session, item_id, offset)
    return _saved()
