"""The stand-in's own controls: a page at `/_standin/` and a JSON API under `/_standin/api/`.

They stand for a co-op editing in Ghost's admin: every change fires the webhooks Ghost
would. The page is a loopback dev tool with no sign-in, like the SumUp stand-in's page.

JSON API:
    GET    /_standin/api/state                   requests served, webhooks, deliveries
    GET    /_standin/api/posts                   every post (Admin shape)
    POST   /_standin/api/posts                   {"title", "html"?, "status"?, "tags"?}
    PUT    /_standin/api/posts/{id}              {"title"?, "html"?, …} → post.edited, …
    POST   /_standin/api/posts/{id}/publish      (and /unpublish)
    DELETE /_standin/api/posts/{id}
    PUT    /_standin/api/tags/{id}               {"name"?, "description"?}
    DELETE /_standin/api/tags/{id}
    PUT    /_standin/api/webhooks                {"enabled": false}
"""

from __future__ import annotations

import html
import json
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qs

if TYPE_CHECKING:
    from shared.dev.ghost.server import GhostStandIn

Answer = tuple[int, bytes, str, dict[str, str]]
EDITABLE = {
    "title",
    "html",
    "custom_excerpt",
    "feature_image",
    "slug",
    "visibility",
    "featured",
    "tags",
    "published_at",
}
TAG_EDITABLE = {"name", "description", "slug", "feature_image"}


def _json(status: int, body: Any) -> Answer:
    return status, json.dumps(body).encode(), "application/json", {}


def _problem(status: int, message: str) -> Answer:
    return _json(status, {"errors": [{"message": message, "type": "BadRequestError"}]})


def _redirect() -> Answer:
    return 303, b"", "text/plain", {"Location": "/_standin/"}


def handle(
    ghost: GhostStandIn, method: str, url: SplitResult, raw: bytes, headers: Message
) -> Answer:
    parts = url.path.strip("/").split("/")[1:]  # after _standin
    if parts[:1] == ["api"]:
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _problem(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _problem(400, "the body must be a JSON object")
        try:
            return _api(ghost, method, parts[1:], body)
        except KeyError as exc:
            return _json(
                404, {"errors": [{"message": f"{exc.args[0]} not found", "type": "NotFoundError"}]}
            )
    if method == "GET" and parts in ([], [""]):
        return 200, page(ghost).encode(), "text/html; charset=utf-8", {}
    form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
    if method == "POST" and parts == ["webhooks"]:
        ghost.webhooks_enabled = form.get("enabled") == "on"
        return _redirect()
    if method == "POST" and len(parts) == 3 and parts[0] == "posts":
        ghost_id, action = parts[1], parts[2]
        if ghost_id not in ghost.items:
            return 404, b"No such post", "text/plain", {}
        if action == "edit":
            title = form.get("title", "").strip()
            if not title:
                return 400, b"A post needs a title", "text/plain", {}
            ghost.edit_post(ghost_id, title=title)
        elif action == "publish":
            ghost.publish_post(ghost_id)
        elif action == "unpublish":
            ghost.unpublish_post(ghost_id)
        elif action == "delete":
            ghost.delete_post(ghost_id)
        else:
            return 404, b"Not found", "text/plain", {}
        return _redirect()
    return 404, b"Not found", "text/plain", {}


def _api(ghost: GhostStandIn, method: str, parts: list[str], body: dict[str, Any]) -> Answer:
    if method == "GET" and parts == ["state"]:
        with ghost._lock:
            return _json(
                200,
                {
                    "requests": ghost.requests,
                    "webhooks_enabled": ghost.webhooks_enabled,
                    "webhooks": [
                        {k: v for k, v in h.items() if k != "secret"}
                        for h in ghost.webhooks.values()
                    ],
                    "deliveries": [
                        {"event": e, "target_url": u, "status": s} for e, u, s in ghost.deliveries
                    ],
                },
            )
    if method == "PUT" and parts == ["webhooks"]:
        ghost.webhooks_enabled = bool(body.get("enabled"))
        return _json(200, {"webhooks_enabled": ghost.webhooks_enabled})
    if parts == ["posts"]:
        if method == "GET":
            return _json(200, {"posts": ghost.posts()})
        if method == "POST":
            if not str(body.get("title") or "").strip():
                return _problem(422, "a post needs a title")
            unknown = set(body) - EDITABLE - {"status"}
            if unknown:
                return _problem(422, f"cannot set {', '.join(sorted(unknown))}")
            title = body.pop("title")
            return _json(201, {"posts": [ghost.add_post(title=title, **body)]})
    if len(parts) >= 2 and parts[0] == "posts":
        ghost_id = parts[1]
        if ghost_id not in ghost.items:
            raise KeyError(f"post {ghost_id}")
        if len(parts) == 2 and method == "PUT":
            unknown = set(body) - EDITABLE
            if unknown or not body:
                return _problem(
                    422,
                    f"cannot set {', '.join(sorted(unknown)) or 'nothing'}; "
                    f"editable: {', '.join(sorted(EDITABLE))}",
                )
            return _json(200, {"posts": [ghost.edit_post(ghost_id, **body)]})
        if len(parts) == 2 and method == "DELETE":
            ghost.delete_post(ghost_id)
            return 204, b"", "application/json", {}
        if len(parts) == 3 and method == "POST" and parts[2] in ("publish", "unpublish"):
            change = ghost.publish_post if parts[2] == "publish" else ghost.unpublish_post
            return _json(200, {"posts": [change(ghost_id)]})
    if len(parts) == 2 and parts[0] == "tags":
        if parts[1] not in ghost.tags:
            raise KeyError(f"tag {parts[1]}")
        if method == "PUT":
            unknown = set(body) - TAG_EDITABLE
            if unknown or not body:
                return _problem(422, f"editable: {', '.join(sorted(TAG_EDITABLE))}")
            return _json(200, {"tags": [ghost.edit_tag(parts[1], **body)]})
        if method == "DELETE":
            ghost.delete_tag(parts[1])
            return 204, b"", "application/json", {}
    return _json(404, {"errors": [{"message": "Resource not found", "type": "NotFoundError"}]})


def page(ghost: GhostStandIn) -> str:
    esc = html.escape
    with ghost._lock:
        items = sorted(ghost.items.values(), key=lambda i: i["updated_at"], reverse=True)
        hooks = list(ghost.webhooks.values())
        enabled = ghost.webhooks_enabled
        recent = ghost.deliveries[-10:]
    rows = []
    for item in items:
        gid = esc(item["id"])
        toggle = "unpublish" if item["status"] == "published" else "publish"
        rows.append(
            "<tr><td>"
            f'<form method="post" action="/_standin/posts/{gid}/edit">'
            f'<label class="vh" for="title-{gid}">Title of {esc(item["slug"])}</label>'
            f'<input id="title-{gid}" name="title" value="{esc(item["title"])}" required>'
            ' <button type="submit">Save</button></form></td>'
            f"<td>{esc(item['status'])} {esc(item['type'])}</td>"
            f"<td><time>{esc(item['updated_at'])}</time></td><td>"
            f'<form method="post" action="/_standin/posts/{gid}/{toggle}">'
            f'<button type="submit">{toggle.capitalize()}</button></form>'
            f'<form method="post" action="/_standin/posts/{gid}/delete">'
            '<button type="submit">Delete</button></form></td></tr>'
        )
    hook_items = (
        "".join(f"<li><code>{esc(h['event'])}</code> → {esc(h['target_url'])}</li>" for h in hooks)
        or "<li>none yet</li>"
    )
    delivered = (
        "".join(
            f"<li><code>{esc(e)}</code> → {esc(u)}: {s if s is not None else 'no answer'}</li>"
            for e, u, s in recent
        )
        or "<li>none yet</li>"
    )
    checked = " checked" if enabled else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Ghost stand-in</title><style>"
        "body{font-family:sans-serif;margin:1rem;max-width:60rem}"
        "li{overflow-wrap:anywhere}.table-scroll{overflow-x:auto}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left}"
        "input[name=title]{width:16rem;max-width:60vw}form{display:inline}"
        ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
        "</style></head><body><h1>Ghost (stand-in)</h1>"
        f"<p>Admin and Content API at <code>{esc(ghost.url)}/ghost/api/</code>; "
        f"{ghost.requests} API requests served. Changes here send Ghost's webhooks.</p>"
        '<form method="post" action="/_standin/webhooks"><label>'
        f'<input type="checkbox" name="enabled"{checked}> Send webhooks</label> '
        '<button type="submit">Apply</button></form>'
        f"<h2>Webhooks</h2><ul>{hook_items}</ul><h2>Last deliveries</h2><ul>{delivered}</ul>"
        f"<h2>Posts and pages ({len(items)})</h2>"
        '<div class="table-scroll" role="region" aria-label="Posts" tabindex="0"><table>'
        "<thead><tr><th>Title</th><th>Status</th><th>Updated</th>"
        f"<th>Actions</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        "</body></html>"
    )
