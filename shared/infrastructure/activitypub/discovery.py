"""Discovery: WebFinger (RFC 7033), host-meta and NodeInfo 2.0/2.1, on every host.

WebFinger answers for the app's own actor on each host, and on federation
also for members and the instance actor. The `self` link is exactly the
actor id, and there is exactly one (Mastodon indexes links by rel).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from quart import Blueprint, Response, abort, current_app, request

from shared.contracts.dtos import ActorRecord
from shared.infrastructure.activitypub.actors import INSTANCE, instance_username
from shared.infrastructure.activitypub.context import ap_runtime
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("activitypub_discovery", __name__)

JRD = "application/jrd+json"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{}"
SOFTWARE = {"name": "rose-ash", "version": "0.1.0"}


def _json(document: dict[str, Any], content_type: str, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, content_type=content_type)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def _actor_for_username(username: str) -> ActorRecord | None:
    rt = ap_runtime(current_app)
    session = request_session(current_app)
    if username.lower() == rt.app_name:
        return await services.social.get_app_actor(session, rt.app_name)
    if rt.app_name != "federation":
        return None
    if username.lower() == instance_username(rt.settings).lower():
        return await services.social.get_app_actor(session, INSTANCE)
    return await _member_actor(username)


async def _member_actor(username: str) -> ActorRecord | None:
    """The member's actor; a deleted one answers 410, so servers drop it rather than retry."""
    session = request_session(current_app)
    actor = await services.social.get_member_actor(session, username)
    if actor is None and await services.social.member_actor_deleted(session, username):
        gone = _json({"error": f"{username} deleted their account"}, "application/json", 410)
        abort(gone)
    return actor


async def _actor_at_path(path: str) -> ActorRecord | None:
    """The actor a URL path of ours names: `/actor` (the app's), and on federation
    `/instance` and a member's `/users/<name>` or profile page `/@<name>`."""
    rt = ap_runtime(current_app)
    session = request_session(current_app)
    if path == "/actor":
        return await services.social.get_app_actor(session, rt.app_name)
    if rt.app_name != "federation":
        return None
    if path == "/instance":
        return await services.social.get_app_actor(session, INSTANCE)
    for prefix in ("/users/", "/@"):
        name = path.removeprefix(prefix)
        if path.startswith(prefix) and name and "/" not in name:
            return await _member_actor(name)
    return None


async def _resolve(resource: str) -> ActorRecord | None:
    rt = ap_runtime(current_app)
    own = urlsplit(rt.base_url)
    if resource.startswith("acct:"):
        username, _, domain = resource[5:].lstrip("@").rpartition("@")
        if domain.lower() not in (own.netloc.lower(), (own.hostname or "").lower()):
            return None
        return await _actor_for_username(username)
    if not resource.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(resource)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL of ours
        return None
    return await _actor_at_path(parts.path) if parts.netloc == own.netloc else None


@bp.get("/.well-known/webfinger")
async def get_webfinger() -> Response:
    resource = unquote(request.args.get("resource", "")).strip()
    if not resource:
        return _json({"error": "the resource parameter is required"}, "application/json", 400)
    actor = await _resolve(resource)
    if actor is None:
        return _json({"error": f"no actor {resource} here"}, "application/json", 404)
    links: list[dict[str, str]] = [
        {"rel": "self", "type": "application/activity+json", "href": actor.ap_id},
    ]
    if actor.url:
        links.append(
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor.url}
        )
    aliases = list(dict.fromkeys(a for a in (actor.ap_id, actor.url) if a))
    document = {
        "subject": f"acct:{actor.preferred_username}@{actor.domain}",
        "aliases": aliases,
        "links": links,
    }
    return _json(document, JRD)


@bp.get("/.well-known/host-meta")
async def get_host_meta() -> Response:
    base = ap_runtime(current_app).base_url
    xrd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{base}/.well-known/webfinger?resource={{uri}}"/>\n'
        "</XRD>\n"
    )
    return Response(xrd, content_type="application/xrd+xml")


@bp.get("/.well-known/nodeinfo")
async def get_nodeinfo_links() -> Response:
    rt = ap_runtime(current_app)
    links = [
        {"rel": NODEINFO_SCHEMA.format(version), "href": f"{rt.base_url}/nodeinfo/{version}"}
        for version in ("2.1", "2.0")
    ]
    # FEP-2677: the application actor of this host.
    links.append(
        {
            "rel": "https://www.w3.org/ns/activitystreams#Application",
            "href": f"{rt.base_url}/actor",
        }
    )
    return _json({"links": links}, "application/json")


@bp.get("/nodeinfo/<version>")
async def get_nodeinfo(version: str) -> Response:
    if version not in ("2.0", "2.1"):
        return _json({"error": "NodeInfo 2.0 and 2.1 are served"}, "application/json", 404)
    rt = ap_runtime(current_app)
    usage = await services.social.get_usage(request_session(current_app))
    users, posts = usage.members, usage.local_posts
    software: dict[str, str] = dict(SOFTWARE)
    if version == "2.1":
        software["homepage"] = rt.settings.apps["federation"].base_url
    document = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": True,  # federation/bp/accounts.py: sign-up is open
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": posts,
        },
        "metadata": {
            "nodeName": rt.settings.site.name,
            "nodeDescription": rt.settings.site.tagline,
        },
    }
    profile = f'application/json; profile="{NODEINFO_SCHEMA.format(version)}#"'
    return _json(document, profile)
