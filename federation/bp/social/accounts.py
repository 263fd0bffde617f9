"""Accounts in the browser: find one by handle (WebFinger for a handle we have not met),
profile pages with posts and counts, follow and unfollow, mute, block and report, and
follow requests and approval for a member who approves followers by hand."""

from __future__ import annotations

from quart import Blueprint, current_app, redirect, render_template, request
from werkzeug.wrappers.response import Response as WerkzeugResponse

from federation.bp.social.web import member, page_query
from shared.contracts.social import SocialError
from shared.infrastructure.oauth import current_user, login_required
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.services.registry import services

bp = Blueprint("social_accounts", __name__)
ACTIONS = ("follow", "unfollow", "mute", "unmute", "block", "unblock")


@bp.get("/search")
async def get_search() -> str | WerkzeugResponse:
    """Find an account by handle: `@name@server.example` is looked up on its server."""
    query = (request.args.get("q") or "").strip()
    if not query:
        return await render_template("federation/social/search.html", query="", error=None)
    try:
        async with unit_of_work(current_app) as uow:  # a newly met account is cached
            account = await services.social.resolve_account(
                uow.session, runtime(current_app).federation_http, query
            )
    except SocialError as exc:
        page = await render_template(
            "federation/social/search.html", query=query, error=exc.message
        )
        return page  # the form again, saying why (a 200: the search itself worked)
    return redirect(f"/accounts/{account.id}")


@bp.get("/accounts/<int:account_id>")
async def get_account(account_id: int) -> str:
    """An account's profile: name, bio, counts, posts, and the member's buttons."""
    viewer = current_user()
    session = request_session(current_app)
    social = services.social
    account = await social.get_account(session, account_id)
    viewer_id = viewer.id if viewer else None
    page = await social.account_page(session, viewer_id, account_id, page_query())
    relationship = None
    mine = False
    if viewer is not None:
        own = await social.get_member_account(session, viewer.id)
        mine = own.id == account_id
        if not mine:
            relationship = await social.get_relationship(session, viewer.id, account_id)
    return await render_template(
        "federation/social/profile.html",
        account=account,
        page=page,
        relationship=relationship,
        mine=mine,
    )


@bp.post("/accounts/<int:account_id>/<any(follow, unfollow, mute, unmute, block, unblock):action>")
@login_required
async def post_account_action(account_id: int, action: str) -> WerkzeugResponse:
    social = services.social
    async with unit_of_work(current_app) as uow:
        if action == "follow":
            await social.follow_account(uow.session, member().id, account_id)
        elif action == "unfollow":
            await social.unfollow_account(uow.session, member().id, account_id)
        else:
            await social.moderate(uow.session, member().id, account_id, action)
    return redirect(f"/accounts/{account_id}")


@bp.post("/accounts/<int:account_id>/report")
@login_required
async def post_report(account_id: int) -> str:
    form = await request.form
    ids = [whole_number(v, "status_ids") or 0 for v in form.getlist("status_ids")]
    async with unit_of_work(current_app) as uow:
        await services.social.report(
            uow.session, member().id, account_id, ids, form.get("comment", "")
        )
    return await render_template("federation/social/reported.html", account_id=account_id)


@bp.get("/follow-requests")
@login_required
async def get_follow_requests() -> str:
    session = request_session(current_app)
    requests = await services.social.list_follow_requests(session, member().id)
    account = await services.social.get_member_account(session, member().id)
    return await render_template(
        "federation/social/follow_requests.html", requests=requests, account=account
    )


@bp.post("/follow-requests/<int:account_id>/<any(accept, reject):answer>")
@login_required
async def post_follow_request(account_id: int, answer: str) -> WerkzeugResponse:
    async with unit_of_work(current_app) as uow:
        await services.social.answer_follow_request(
            uow.session, member().id, account_id, accept=answer == "accept"
        )
    return redirect("/follow-requests")


@bp.post("/settings/social")
@login_required
async def post_social_settings() -> WerkzeugResponse:
    """Approve followers by hand, or not."""
    form = await request.form
    async with unit_of_work(current_app) as uow:
        await services.social.set_locked(uow.session, member().id, form.get("locked") == "on")
    return redirect("/follow-requests")
