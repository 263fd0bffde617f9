"""Staff posts and pages: the list, the editor, preview, publish, schedule, history.

Every route needs a staff role (403 otherwise) and the service checks it
against the post it touches (PostForbidden -> 403). Writes go through one
unit of work each; the blog's events federate the post in the same
transaction. The editor page needs JavaScript (shared/editor); every other
page here is a plain form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from quart import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge

from blog.bp.post_forms import draft_from_form, parse_publish_at
from shared.contracts.blog import (
    PostDraft,
    PostError,
    PostFilter,
    PostForbidden,
    StaffMember,
    StaffPost,
)
from shared.contracts.media import MediaRejected, MediaTooLarge
from shared.contracts.money import format_money
from shared.contracts.newsletters import NewsletterError
from shared.infrastructure.media import media_storage, store_image
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.models.blog import POST_STATUSES
from shared.services.blog.staff import get_staff_member
from shared.services.registry import services

bp = Blueprint("admin_posts", __name__, url_prefix="/admin/posts")


def staff() -> StaffMember:
    member: StaffMember = g.staff
    return member


@bp.before_request
async def require_staff() -> None:
    member = await get_staff_member(request_session(current_app), current_viewer())
    if member is None:
        abort(403, description="Only the blog's staff write posts.")
    g.staff = member


@bp.errorhandler(PostForbidden)
async def forbidden(error: PostForbidden) -> Any:
    return await current_app.handle_http_exception(Forbidden(description=str(error)))


def _edit_url(post: StaffPost) -> str:
    return f"/admin/posts/{post.id}/"


async def _editor(
    post: StaffPost | None,
    *,
    draft: PostDraft | None = None,
    error: PostError | None = None,
    send_error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = request_session(current_app)
    if post is not None and post.ghost_id is not None:
        return await _ghost_owned(post), 200
    newsletters = await services.newsletters.list_newsletters(session)
    sends = await services.newsletters.list_post_sends(session, post.id) if post else []
    html = await render_template(
        "blog/admin/posts/edit.html",
        post=post,
        draft=draft,
        error=error,
        send_error=send_error,
        staff=staff(),
        authors=await services.blog.list_authors(session),
        type=(post.type if post else request.args.get("type", "post")),
        newsletters=newsletters,
        newsletter_names={n.id: n.name for n in newsletters},
        sends=sends,
        unsent=[n for n in newsletters if n.id not in {s.newsletter_id for s in sends}],
    )
    return html, 400 if error else status


async def _ghost_owned(post: StaffPost) -> str:
    ghost_url = runtime(current_app).settings.ghost.url.rstrip("/")
    edit_url = f"{ghost_url}/ghost/#/editor/{post.type}/{post.ghost_id}" if ghost_url else None
    return await render_template(
        "blog/admin/posts/ghost.html", post=post, staff=staff(), ghost_edit_url=edit_url
    )


@bp.get("/")
async def get_posts() -> str:
    """Posts (or pages) of every status, filterable by status, tag and author."""
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in POST_STATUSES:
        abort(400, description=f"status must be one of {', '.join(POST_STATUSES)}")
    type_ = args.get("type", "post")
    if type_ not in ("post", "page"):
        abort(400, description="type must be post or page")
    page = whole_number(args.get("page"), "page", default=1) or 1
    wanted = PostFilter(
        status=status,
        tag=args.get("tag") or None,
        author=args.get("author") or None,
        type=type_,
        offset=(page - 1) * 50,
    )
    session = request_session(current_app)
    posts, has_next = await services.blog.list_staff_posts(session, staff(), wanted)
    return await render_template(
        "blog/admin/posts/index.html",
        posts=posts,
        wanted=wanted,
        page=page,
        has_next=has_next,
        statuses=POST_STATUSES,
        authors=await services.blog.list_authors(session),
        tags=await services.blog.list_tag_names(session),
        staff=staff(),
    )


@bp.get("/new")
async def get_new_post() -> tuple[str, int]:
    if request.args.get("type", "post") not in ("post", "page"):
        abort(400, description="type must be post or page")
    return await _editor(None)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "editor"


@bp.post("/")
async def post_posts() -> Response | tuple[str, int]:
    """Create a draft from the editor's form; JSON for the editor's first autosave."""
    try:
        draft = draft_from_form(await request.form)
        async with unit_of_work(current_app) as uow:
            post = await services.blog.create_post(uow.session, staff(), draft)
    except PostError as error:
        if _wants_json():
            return jsonify(error=error.message, field=error.field), 400
        return await _editor(None, draft=None, error=error)
    if _wants_json():
        return jsonify(id=post.id, slug=post.slug, edit_url=_edit_url(post), saved=True)
    return redirect(_edit_url(post), 303)


@bp.get("/<int:post_id>/")
async def get_post(post_id: int) -> tuple[str, int]:
    post = await services.blog.get_staff_post(request_session(current_app), staff(), post_id)
    if post is None:
        abort(404)
    return await _editor(post)


async def _save(post_id: int) -> StaffPost | PostError:
    try:
        draft = draft_from_form(await request.form)
        async with unit_of_work(current_app) as uow:
            post = await services.blog.save_post(uow.session, staff(), post_id, draft)
    except PostError as error:
        return error
    if post is None:
        abort(404)
    return post


@bp.post("/<int:post_id>/")
async def post_post(post_id: int) -> Response | tuple[str, int]:
    """Save the post: a new revision; a published post's followers get an Update."""
    saved = await _save(post_id)
    if isinstance(saved, PostError):
        if _wants_json():
            return jsonify(error=saved.message, field=saved.field), 400
        post = await services.blog.get_staff_post(request_session(current_app), staff(), post_id)
        return await _editor(post, error=saved)
    if _wants_json():
        return jsonify(id=saved.id, slug=saved.slug, edit_url=_edit_url(saved), saved=True)
    return redirect(_edit_url(saved), 303)


@bp.post("/<int:post_id>/autosave")
async def post_autosave(post_id: int) -> tuple[Response, int]:
    """The editor's autosave of a draft (published posts are saved on purpose only)."""
    session = request_session(current_app)
    current = await services.blog.get_staff_post(session, staff(), post_id)
    if current is None:
        abort(404)
    if current.status == "published":
        return jsonify(error="A published post is saved with Update, not autosaved."), 409
    saved = await _save(post_id)
    if isinstance(saved, PostError):
        return jsonify(error=saved.message, field=saved.field), 400
    return jsonify(id=saved.id, slug=saved.slug, saved=True), 200


@bp.get("/<int:post_id>/preview")
async def get_preview(post_id: int) -> str:
    """The post as its page will look, whatever its status."""
    post = await services.blog.get_staff_post(request_session(current_app), staff(), post_id)
    if post is None:
        abort(404)
    from blog.bp.posts import render_post  # the reader's page, so preview cannot drift

    return await render_post(services.blog.preview_of(post), preview=True, status=post.status)


def _newsletter_choice(raw: str) -> int | None:
    """The publishing form's "Email it to": empty for nobody, else a newsletter's id."""
    return whole_number(raw.strip() or None, "newsletter_id")


async def _lifecycle(post_id: int, action: str) -> Response | tuple[str, int]:
    form = await request.form
    try:
        async with unit_of_work(current_app) as uow:
            session, member = uow.session, staff()
            if action == "publish":
                post = await services.blog.publish_post_as(
                    session,
                    member,
                    post_id,
                    newsletter_id=_newsletter_choice(form.get("newsletter_id", "")),
                )
            elif action == "schedule":
                at = parse_publish_at(form.get("publish_at", ""), form.get("tz_offset", "0"))
                post = await services.blog.schedule_post(
                    session,
                    member,
                    post_id,
                    at,
                    newsletter_id=_newsletter_choice(form.get("newsletter_id", "")),
                )
            else:
                post = await services.blog.unpublish_post(session, member, post_id)
    except PostError as error:
        current = await services.blog.get_staff_post(request_session(current_app), staff(), post_id)
        if current is None:
            abort(404)
        return await _editor(current, error=error)
    if post is None:
        abort(404)
    return redirect(_edit_url(post), 303)


@bp.post("/<int:post_id>/publish")
async def post_publish(post_id: int) -> Response | tuple[str, int]:
    """Publish now: followers of the blog get a Create of the Article."""
    return await _lifecycle(post_id, "publish")


@bp.post("/<int:post_id>/schedule")
async def post_schedule(post_id: int) -> Response | tuple[str, int]:
    """Publish at a time: a durable job does it then."""
    return await _lifecycle(post_id, "schedule")


@bp.post("/<int:post_id>/unpublish")
async def post_unpublish(post_id: int) -> Response | tuple[str, int]:
    """Back to draft: followers get a Delete."""
    return await _lifecycle(post_id, "unpublish")


@bp.post("/<int:post_id>/send")
async def post_send(post_id: int) -> Response | tuple[str, int]:
    """Email a published post to a newsletter it has not had (a post is one issue at most)."""
    member = staff()
    current = await services.blog.get_staff_post(request_session(current_app), member, post_id)
    if current is None:
        abort(404)
    if not member.can_publish:
        raise PostForbidden("Only editors and administrators send posts to newsletters.")
    form = await request.form
    try:
        newsletter_id = _newsletter_choice(form.get("newsletter_id", ""))
        if newsletter_id is None:
            raise PostError("newsletter_id", "Choose the newsletter to send it to.")
        async with unit_of_work(current_app) as uow:
            await services.newsletters.send_post(uow.session, newsletter_id, post_id)
    except PostError as error:
        return await _editor(current, send_error=error.message, status=400)
    except NewsletterError as error:
        return await _editor(current, send_error=error.message, status=409)
    return redirect(_edit_url(current) + "#sending", 303)


@bp.post("/<int:post_id>/delete")
async def post_delete(post_id: int) -> Response:
    async with unit_of_work(current_app) as uow:
        if not await services.blog.delete_post_as(uow.session, staff(), post_id):
            abort(404)
    return redirect("/admin/posts/", 303)


@bp.post("/<int:post_id>/detach")
async def post_detach(post_id: int) -> Response:
    """Take a post over from Ghost: editable here, left alone by sync."""
    try:
        async with unit_of_work(current_app) as uow:
            post = await services.blog.detach_post(uow.session, staff(), post_id)
    except PostError as error:
        abort(400, description=error.message)
    if post is None:
        abort(404)
    return redirect(_edit_url(post), 303)


@bp.get("/<int:post_id>/history")
async def get_history(post_id: int) -> str:
    session = request_session(current_app)
    post = await services.blog.get_staff_post(session, staff(), post_id)
    revisions = await services.blog.list_revisions(session, staff(), post_id)
    if post is None or revisions is None:
        abort(404)
    return await render_template(
        "blog/admin/posts/history.html", post=post, revisions=revisions, staff=staff()
    )


@bp.post("/<int:post_id>/history/<int:revision_id>/restore")
async def post_restore(post_id: int, revision_id: int) -> Response:
    """Restore a revision (itself kept as a new revision)."""
    async with unit_of_work(current_app) as uow:
        post = await services.blog.restore_revision(uow.session, staff(), post_id, revision_id)
    if post is None:
        abort(404)
    return redirect(_edit_url(post), 303)


@bp.post("/upload")
async def post_upload() -> tuple[Response, int]:
    """An image for the editor, as the raw request body (the editor sends the file
    itself, with the CSRF token in a header): its stored URL and size, as JSON."""
    limits = runtime(current_app).settings.media
    try:
        data = await request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = limits.max_upload_bytes // (1024 * 1024)
        return jsonify(error=f"The file is too large: images are at most {limit} MB."), 413
    if not data:
        return jsonify(error="The upload is empty: choose an image file."), 400
    try:
        stored = await store_image(media_storage(current_app), bytes(data), limits)
    except MediaTooLarge as exc:
        return jsonify(error=exc.message), 413
    except MediaRejected as exc:
        return jsonify(error=exc.message), 400
    return jsonify(url=stored.src, width=stored.width, height=stored.height), 201


@bp.get("/cards/<kind>.json")
async def get_card_choices(kind: str) -> Response:
    """What a product or event card can embed, filtered by `q` (the editor's picker)."""
    query = (request.args.get("q") or "").strip().lower()
    session = request_session(current_app)
    choices: list[dict[str, Any]]
    if kind == "products":
        products = await services.market.list_listed_products(session, limit=200)
        choices = [
            {"id": p.id, "title": p.title, "detail": f"{p.stall_name} · {format_money(p.price)}"}
            for p in products
        ]
    elif kind == "events":
        now = datetime.now(UTC) - timedelta(days=1)
        events = await services.events.list_upcoming_events(session, now=now, limit=200)
        choices = [
            {"id": e.id, "title": e.title, "detail": e.starts_at.strftime("%d %b %Y %H:%M")}
            for e in events
        ]
    else:
        abort(404)
    if query:
        choices = [c for c in choices if query in c["title"].lower()]
    return jsonify(choices=choices[:20])
