"""The Mastodon client API's routes: apps, instance, accounts, statuses, timelines,
notifications (v1 and v2 grouped) and media (v2). Tokens and scopes: auth.py;
shapes: entities.py; the work: the social service."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, current_app, request

from federation.bp.mastodon import entities
from federation.bp.mastodon.auth import caller, member
from federation.bp.social.media import allow_uploads, store_attachment
from shared.contracts.social import (
    MediaAttachment,
    NewStatus,
    NotVisible,
    PageQuery,
    SocialError,
    TimelinePage,
)
from shared.infrastructure.oidc.registrations import NewClient, RegistrationError, register_client
from shared.infrastructure.params import parse_whole
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.security import csrf_exempt
from shared.services.registry import services

bp = Blueprint("mastodon_api", __name__)
VISIBILITIES = {"public": "public", "unlisted": "unlisted", "private": "followers",
                "direct": "direct"}  # fmt: skip
MEDIA_TTL = 24 * 3600


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _base() -> str:
    return runtime(current_app).settings.apps["federation"].base_url


async def _params() -> dict[str, Any]:
    """Parameters as Mastodon takes them: query string, form or JSON body, with
    `media_ids[]` style lists."""
    found: dict[str, Any] = {}
    sources: list[Any] = [request.args]
    if request.method != "GET":
        if request.is_json:
            body = await request.get_json(silent=True)
            if isinstance(body, dict):
                return {**request.args.to_dict(), **body}
        sources.append(await request.form)
    for source in sources:
        for key in source:
            values = source.getlist(key)
            name = key[:-2] if key.endswith("[]") else key
            found[name] = values if key.endswith("[]") else values[-1]
    return found


def _id(value: Any, name: str = "id") -> int:
    number = parse_whole(str(value)) if value is not None else None
    if number is None:
        raise SocialError(f"{name} must be a whole number", 422)
    return number


def _page() -> PageQuery:
    def number(name: str) -> int | None:
        raw = request.args.get(name) or (request.args.get("since_id") if name == "min_id" else None)
        return _id(raw, name) if raw else None

    limit = request.args.get("limit")
    return PageQuery(
        number("max_id"), number("min_id"), min(_id(limit, "limit"), 40) if limit else 20
    )


def _here() -> str:
    """This endpoint's URL as the client called it (Link headers point back to it)."""
    return request.host_url.rstrip("/") + request.path


def _paged(page: TimelinePage) -> Response:
    base = _here()
    links = []
    kept = {k: v for k, v in request.args.items() if k not in ("max_id", "min_id", "since_id")}
    if page.next_max_id is not None:
        links.append(f'<{base}?{urlencode({**kept, "max_id": page.next_max_id})}>; rel="next"')
    if page.prev_min_id is not None:
        links.append(f'<{base}?{urlencode({**kept, "min_id": page.prev_min_id})}>; rel="prev"')
    items = [entities.status(_base(), s) for s in page.items]
    return _json(items, headers={"Link": ", ".join(links)} if links else None)


# -- apps and instance ------------------------------------------------------------------


@bp.post("/api/v1/apps")
@csrf_exempt
async def post_app() -> Response:
    """Register an OAuth client of our authorization server (Mastodon's Application)."""
    params = await _params()
    name = str(params.get("client_name") or "").strip()[:200]
    uris = params.get("redirect_uris") or ""
    redirect_uris = uris if isinstance(uris, list) else str(uris).split()
    scope = " ".join(str(params.get("scopes") or "read").split())
    try:
        async with unit_of_work(current_app) as uow:
            registered = await register_client(
                uow.session, NewClient(name, tuple(redirect_uris), scope), oidc=False
            )
    except RegistrationError as error:
        raise SocialError(f"Validation failed: {error.message}", 422) from error
    client = registered.client
    return _json(
        {
            "id": client.client_id,
            "name": client.name,
            "website": params.get("website") or None,
            "scopes": client.scope.split(),
            "redirect_uri": "\n".join(client.redirect_uris),
            "redirect_uris": list(client.redirect_uris),
            "client_id": client.client_id,
            "client_secret": registered.secret,
            "vapid_key": "",
        }
    )


async def _instance_common() -> dict[str, Any]:
    settings = runtime(current_app).settings
    domain = _base().split("://", 1)[1]
    return {
        "domain": domain,
        "title": settings.site.name,
        "version": "4.3.0 (compatible; Rose Ash)",
    }


@bp.get("/api/v1/instance")
@bp.get("/api/v1/instance/")  # Mastodon.py asks with the slash
async def get_instance_v1() -> Response:
    common = await _instance_common()
    usage = await services.social.get_usage(request_session(current_app))
    return _json(
        {
            "uri": common["domain"],
            "title": common["title"],
            "short_description": "",
            "description": "",
            "email": "",
            "version": common["version"],
            "urls": {},
            "stats": {"user_count": usage.members, "status_count": usage.local_posts,
                      "domain_count": 0},
            "languages": ["en"],
            "registrations": True,
            "approval_required": False,
            "configuration": entities.configuration(),
        }
    )  # fmt: skip


@bp.get("/api/v2/instance")
@bp.get("/api/v2/instance/")
async def get_instance_v2() -> Response:
    common = await _instance_common()
    usage = await services.social.get_usage(request_session(current_app))
    return _json(
        {
            **common,
            "source_url": "",
            "description": "",
            "usage": {"users": {"active_month": usage.members}},
            "languages": ["en"],
            "configuration": {**entities.configuration(), "urls": {}},
            "registrations": {"enabled": True, "approval_required": False, "message": None},
            "contact": {"email": "", "account": None},
            "rules": [],
            "api_versions": {"mastodon": 2},
        }
    )


# -- accounts -----------------------------------------------------------------------------


@bp.get("/api/v1/accounts/verify_credentials")
async def get_verify_credentials() -> Response:
    who = await member("read:accounts")
    own = await services.social.get_member_account(request_session(current_app), who.user_id)
    return _json(entities.credential_account(_base(), own))


@bp.get("/api/v1/accounts/lookup")
async def get_account_lookup() -> Response:
    await caller("read:accounts", optional=True)
    acct = request.args.get("acct") or ""
    found = await services.social.lookup_account(request_session(current_app), acct)
    return _json(entities.account(_base(), found))


@bp.get("/api/v1/accounts/relationships")
async def get_relationships() -> Response:
    who = await member("read:follows")
    session = request_session(current_app)
    ids = request.args.getlist("id[]") or request.args.getlist("id")
    found = []
    for raw in ids[:40]:
        found.append(await services.social.get_relationship(session, who.user_id, _id(raw)))
    return _json([entities.relationship(r) for r in found])


@bp.get("/api/v1/accounts/<int:account_id>")
async def get_account(account_id: int) -> Response:
    await caller("read:accounts", optional=True)
    found = await services.social.get_account(request_session(current_app), account_id)
    return _json(entities.account(_base(), found))


@bp.get("/api/v1/accounts/<int:account_id>/statuses")
async def get_account_statuses(account_id: int) -> Response:
    who = await caller("read:statuses", optional=True)
    session = request_session(current_app)
    await services.social.get_account(session, account_id)
    page = await services.social.account_page(
        session, who.user_id if who else None, account_id, _page()
    )
    return _paged(page)


@bp.post(
    "/api/v1/accounts/<int:account_id>/<any(follow, unfollow, block, unblock, mute, unmute):action>"
)
@csrf_exempt
async def post_account_action(account_id: int, action: str) -> Response:
    needed = (
        "write:follows"
        if action in ("follow", "unfollow")
        else f"write:{action.removeprefix('un')}s"
    )
    who = await member(needed)
    social = services.social
    async with unit_of_work(current_app) as uow:
        if action == "follow":
            relationship = await social.follow_account(uow.session, who.user_id, account_id)
        elif action == "unfollow":
            relationship = await social.unfollow_account(uow.session, who.user_id, account_id)
        else:
            relationship = await social.moderate(uow.session, who.user_id, account_id, action)
    return _json(entities.relationship(relationship))


# -- statuses -----------------------------------------------------------------------------


async def _attached(user_id: int, ids: list[Any]) -> tuple[MediaAttachment, ...]:
    redis = runtime(current_app).redis
    found = []
    for raw in ids:
        stored = await redis.get(f"mastodon:media:{user_id}:{_id(raw, 'media_ids')}")
        if stored is None:
            raise SocialError("Validation failed: a media attachment was not found", 422)
        found.append(MediaAttachment(**json.loads(stored)))
    return tuple(found)


@bp.post("/api/v1/statuses")
@csrf_exempt
async def post_status() -> Response:
    who = await member("write:statuses")
    params = await _params()
    visibility = str(params.get("visibility") or "public")
    if visibility not in VISIBILITIES:
        raise SocialError(
            f"Validation failed: Visibility {visibility!r} is not included in the list"
        )
    media_ids = params.get("media_ids") or []
    reply_to = params.get("in_reply_to_id")
    new = NewStatus(
        text=str(params.get("status") or ""),
        visibility=VISIBILITIES[visibility],
        spoiler_text=str(params.get("spoiler_text") or ""),
        language=str(params["language"]) if params.get("language") else None,
        in_reply_to_id=_id(reply_to, "in_reply_to_id") if reply_to else None,
        media=await _attached(
            who.user_id, media_ids if isinstance(media_ids, list) else [media_ids]
        ),
    )
    async with unit_of_work(current_app) as uow:  # remote accounts mentioned, cached first
        await services.social.resolve_mentions(
            uow.session, runtime(current_app).federation_http, new.text
        )
    async with unit_of_work(current_app) as uow:
        created = await services.social.create_status(uow.session, who.user_id, new)
    return _json(entities.status(_base(), created))


@bp.put("/api/v1/statuses/<int:status_id>")
@csrf_exempt
async def put_status(status_id: int) -> Response:
    """Edit the caller's own status (an Update federates); its visibility stays."""
    who = await member("write:statuses")
    params = await _params()
    media_ids = params.get("media_ids")
    async with unit_of_work(current_app) as uow:
        current = await services.social.get_status(uow.session, who.user_id, status_id)
        media = (
            await _attached(who.user_id, media_ids if isinstance(media_ids, list) else [media_ids])
            if media_ids
            else current.media
        )
        new = NewStatus(
            text=str(params.get("status") or ""),
            visibility=current.visibility,
            spoiler_text=str(params.get("spoiler_text") or ""),
            language=str(params["language"]) if params.get("language") else current.language,
            media=media,
        )
        edited = await services.social.edit_status(uow.session, who.user_id, status_id, new)
    return _json(entities.status(_base(), edited))


@bp.get("/api/v1/statuses/<int:status_id>")
async def get_status(status_id: int) -> Response:
    who = await caller("read:statuses", optional=True)
    found = await services.social.get_status(
        request_session(current_app), who.user_id if who else None, status_id
    )
    return _json(entities.status(_base(), found))


@bp.get("/api/v1/statuses/<int:status_id>/context")
async def get_status_context(status_id: int) -> Response:
    who = await caller("read:statuses", optional=True)
    context = await services.social.get_context(
        request_session(current_app), who.user_id if who else None, status_id
    )
    base = _base()
    return _json(
        {
            "ancestors": [entities.status(base, s) for s in context.ancestors],
            "descendants": [entities.status(base, s) for s in context.descendants],
        }
    )


@bp.delete("/api/v1/statuses/<int:status_id>")
@csrf_exempt
async def delete_status(status_id: int) -> Response:
    who = await member("write:statuses")
    async with unit_of_work(current_app) as uow:
        deleted = await services.social.delete_status(uow.session, who.user_id, status_id)
    return _json(entities.status(_base(), deleted))


REACTIONS = {
    "favourite": ("like", False, "write:favourites"),
    "unfavourite": ("like", True, "write:favourites"),
    "reblog": ("announce", False, "write:statuses"),
    "unreblog": ("announce", True, "write:statuses"),
}


@bp.post("/api/v1/statuses/<int:status_id>/<any(favourite, unfavourite, reblog, unreblog):action>")
@csrf_exempt
async def post_status_reaction(status_id: int, action: str) -> Response:
    kind, undo, needed = REACTIONS[action]
    who = await member(needed)
    async with unit_of_work(current_app) as uow:
        after = await services.social.react(uow.session, who.user_id, status_id, kind, undo=undo)
    return _json(entities.status(_base(), after))


# -- timelines ----------------------------------------------------------------------------


@bp.get("/api/v1/timelines/home")
async def get_home_timeline() -> Response:
    who = await member("read:statuses")
    page = await services.social.home_page(request_session(current_app), who.user_id, _page())
    return _paged(page)


@bp.get("/api/v1/timelines/public")
async def get_public_timeline() -> Response:
    who = await caller("read:statuses", optional=True)
    local = request.args.get("local") in ("true", "1")
    page = await services.social.public_page(
        request_session(current_app), who.user_id if who else None, _page(), local=local
    )
    return _paged(page)


@bp.get("/api/v1/timelines/tag/<tag>")
async def get_tag_timeline(tag: str) -> Response:
    who = await caller("read:statuses", optional=True)
    page = await services.social.public_page(
        request_session(current_app), who.user_id if who else None, _page(), tag=tag.lower()
    )
    return _paged(page)


# -- follow requests and reports ----------------------------------------------------------


@bp.get("/api/v1/follow_requests")
async def get_follow_requests() -> Response:
    who = await member("read:follows")
    found = await services.social.list_follow_requests(request_session(current_app), who.user_id)
    return _json([entities.account(_base(), r.account) for r in found])


@bp.post("/api/v1/follow_requests/<int:account_id>/<any(authorize, reject):answer>")
@csrf_exempt
async def post_follow_request(account_id: int, answer: str) -> Response:
    who = await member("write:follows")
    async with unit_of_work(current_app) as uow:
        relationship = await services.social.answer_follow_request(
            uow.session, who.user_id, account_id, accept=answer == "authorize"
        )
    return _json(entities.relationship(relationship))


@bp.post("/api/v1/reports")
@bp.post("/api/v1/reports/")  # Mastodon.py posts with the slash
@csrf_exempt
async def post_report() -> Response:
    who = await member("write:reports")
    params = await _params()
    account_id = _id(params.get("account_id"), "account_id")
    status_ids = params.get("status_ids") or []
    ids = [
        _id(v, "status_ids") for v in (status_ids if isinstance(status_ids, list) else [status_ids])
    ]
    comment = str(params.get("comment") or "")
    async with unit_of_work(current_app) as uow:
        report_id = await services.social.report(uow.session, who.user_id, account_id, ids, comment)
        target = await services.social.get_account(uow.session, account_id)
    return _json(
        {
            "id": str(report_id),
            "action_taken": False,
            "category": "other",
            "comment": comment,
            "forwarded": not target.is_local,
            "status_ids": [str(i) for i in ids],
            "rule_ids": [],
            "target_account": entities.account(_base(), target),
        }
    )


# -- notifications ------------------------------------------------------------------------


@bp.get("/api/v1/notifications")
async def get_notifications() -> Response:
    who = await member("read:notifications")
    page = _page()
    kinds = {v: k for k, v in entities.NOTIFICATION_TYPES.items() if k != "reply"}
    wanted = tuple(kinds[t] for t in request.args.getlist("types[]") if t in kinds)
    items = await services.social.list_notification_items(
        request_session(current_app), who.user_id, max_id=page.max_id, limit=page.limit,
        kinds=wanted,
    )  # fmt: skip
    links = {}
    if len(items) == page.limit:
        links["Link"] = f'<{_here()}?max_id={items[-1].id}>; rel="next"'
    return _json([entities.notification(_base(), n) for n in items], headers=links)


@bp.get("/api/v2/notifications")
async def get_grouped_notifications() -> Response:
    who = await member("read:notifications")
    page = _page()
    groups = await services.social.list_notification_groups(
        request_session(current_app), who.user_id, max_id=page.max_id, limit=page.limit
    )
    base = _base()
    accounts = {a.id: a for g in groups for a in g.accounts}
    statuses = {g.status.id: g.status for g in groups if g.status}
    return _json(
        {
            "accounts": [entities.account(base, a) for a in accounts.values()],
            "statuses": [entities.status(base, s) for s in statuses.values()],
            "notification_groups": [entities.group(g) for g in groups],
        }
    )


# -- media ----------------------------------------------------------------------------------


@bp.post("/api/v2/media")
@csrf_exempt
async def post_media() -> Response:
    """An image, stored now, attached by a status that names its id within a day."""
    who = await member("write:media")
    allow_uploads()
    files, form = await request.files, await request.form
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise SocialError("Validation failed: File can't be blank")
    stored = await store_attachment(upload, form.get("description", ""))
    media_id = secrets.randbelow(2**31 - 1) + 1
    record = {
        "url": stored.url, "alt": stored.alt, "media_type": stored.media_type,
        "width": stored.width, "height": stored.height, "id": media_id,
    }  # fmt: skip
    await runtime(current_app).redis.set(
        f"mastodon:media:{who.user_id}:{media_id}", json.dumps(record), ex=MEDIA_TTL
    )
    return _json(entities.media(_base(), MediaAttachment(**record)))


@bp.errorhandler(NotVisible)
async def not_found(error: NotVisible) -> Response:
    return _json({"error": "Record not found"}, 404)
