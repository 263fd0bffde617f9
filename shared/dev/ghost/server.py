"""The Ghost stand-in: state, the changes a co-op makes in Ghost, and its webhooks.

    with GhostStandIn(posts=500, pages=5) as ghost:     # a free port
        ghost.url, ghost.admin_key, ghost.content_key, ghost.webhook_secret
        ghost.subscribe("post.published.edited", "http://127.0.0.1:…/webhooks/ghost/…")
        ghost.edit_post(ghost.posts()[0]["id"], title="New")   # fires post.edited, …

The HTTP side (Admin and Content APIs, images, the `/_standin/` page and control API)
is in handler.py. Changes made here fire webhooks like Ghost's (reference/integrations.md
§B3): a POST per subscription, signed when it has a secret, retried in a thread on
failure (2 s timeout, up to 5 retries), dropped on 410.
"""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from shared.dev.embedded import free_port
from shared.dev.ghost import content as c
from shared.dev.ghost.serialize import serialize
from shared.dev.ghost.webhooks import deliver

Item = dict[str, Any]


class GhostStandIn:
    def __init__(
        self,
        posts: int = 40,
        pages: int = 0,
        images: bool = True,
        *,
        port: int | None = None,
        drafts: int = 0,
        seed: int = 13,
        webhook_delays: Sequence[float] = (0.2, 0.5, 1, 2, 4),
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.admin_key = f"{secrets.token_hex(12)}:{secrets.token_hex(32)}"
        self.content_key = secrets.token_hex(13)
        self.webhook_secret = secrets.token_urlsafe(24)
        self.webhook_delays = tuple(webhook_delays)
        self.on_event = on_event  # make dev prints each delivery
        self.webhooks_enabled = True
        self.requests = 0
        self.deliveries: list[tuple[str, str, int | None]] = []  # (event, url, status)
        self.webhooks: dict[str, Item] = {}
        self.broken_images: set[str] = set()  # image paths answered 404
        self.users: dict[str, Item] = {}
        self.tags: dict[str, Item] = {}
        self.items: dict[str, Item] = {}  # posts and pages by id, `type` tells which
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.connections: set[socket.socket] = set()  # open keep-alive sockets, for down()
        self._stopping = threading.Event()
        self._answers_left: int | None = None
        c.seed_demo(self, posts, pages, drafts, images, random.Random(seed))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- demo content -----------------------------------------------------------------

    def free_slug(self, slug: str, keep: str | None = None) -> str:
        return c.unique_slug(slug, {i["slug"] for i in self.items.values() if i["id"] != keep})

    # -- reading (the shapes the APIs answer with) ------------------------------------

    def posts(self, kind: str = "post") -> list[Item]:
        """Every post (or page) of any status, as the Admin API shows it with tags, authors."""
        with self._lock:
            return [
                serialize(self, i, admin=True, include={"tags", "authors"}, formats={"html"})
                for i in self.items.values()
                if i["type"] == kind
            ]

    def pages(self) -> list[Item]:
        return self.posts("page")

    def post(self, ghost_id: str) -> Item:
        with self._lock:
            return self._full(self.items[ghost_id])

    def _full(self, item: Item) -> Item:
        # What a webhook carries: an Admin read with html, plaintext, tags and authors.
        return serialize(
            self, item, admin=True, include={"tags", "authors"}, formats={"html", "plaintext"}
        )

    # -- changes (each fires Ghost's webhooks) -----------------------------------------

    def _touch(self, item: Item) -> None:
        # Ghost keeps seconds; a second edit within the same second still moves forward.
        previous = c.parse_iso(item["updated_at"])
        item["updated_at"] = c.iso(max(c.now_s(), previous + timedelta(seconds=1)))

    def _tag_ids(self, names: Sequence[str | Item]) -> list[str]:
        ids = []
        for entry in names:
            name = entry["name"] if isinstance(entry, dict) else entry
            found = next((t for t in self.tags.values() if t["name"] == name), None)
            if found is None:
                found = c.make_tag(self.url, name, c.now_s())
                self.tags[found["id"]] = found
                self._fire("tag.added", "tag", found, {})
            ids.append(found["id"])
        return ids

    def add_post(
        self,
        *,
        title: str,
        html: str = "<p></p>",
        status: str = "published",
        tags: Sequence[str | Item] = (),
        kind: str = "post",
        **fields: Any,
    ) -> Item:
        with self._lock:
            item = c.make_post(
                self.url,
                title=title,
                html=html,
                slug=self.free_slug(fields.pop("slug", None) or c.slugify(title)),
                status=status,
                moment=c.now_s(),
                tag_ids=self._tag_ids(tags),
                author_ids=[next(iter(self.users))],
                kind=kind,
            )
            item.update(fields)
            self.items[item["id"]] = item
            full = self._full(item)
            self._fire(f"{kind}.added", kind, full, {})
            if status == "published":
                self._fire(f"{kind}.published", kind, full, {})
            return full

    def add_page(self, *, title: str, html: str = "<p></p>", **fields: Any) -> Item:
        return self.add_post(title=title, html=html, kind="page", **fields)

    def edit_post(self, ghost_id: str, **fields: Any) -> Item:
        with self._lock:
            item = self.items[ghost_id]
            before = self._full(item)
            if "tags" in fields:
                item["_tags"] = self._tag_ids(fields.pop("tags"))
            if "slug" in fields:
                fields["slug"] = self.free_slug(c.slugify(fields["slug"]), keep=ghost_id)
            if "html" in fields and "custom_excerpt" not in fields and not item["custom_excerpt"]:
                fields["excerpt"] = c.plaintext(fields["html"])[:500]
            item.update(fields)
            self._touch(item)
            after = self._full(item)
            kind = item["type"]
            self._fire(f"{kind}.edited", kind, after, c.changed(before, after))
            if item["status"] == "published":
                self._fire(f"{kind}.published.edited", kind, after, c.changed(before, after))
            return after

    def _set_status(self, ghost_id: str, status: str) -> Item:
        with self._lock:
            item = self.items[ghost_id]
            if item["status"] == status:
                return self._full(item)
            before = self._full(item)
            item["status"] = status
            published = status == "published"
            if published:
                item["published_at"] = item["published_at"] or c.iso(c.now_s())
            item["url"] = (
                f"{self.url}/{item['slug']}/" if published else f"{self.url}/p/{item['slug']}/"
            )
            self._touch(item)
            after = self._full(item)
            kind = item["type"]
            self._fire(
                f"{kind}.{'published' if published else 'unpublished'}",
                kind,
                after,
                c.changed(before, after),
            )
            self._fire(f"{kind}.edited", kind, after, c.changed(before, after))
            return after

    def publish_post(self, ghost_id: str) -> Item:
        return self._set_status(ghost_id, "published")

    def unpublish_post(self, ghost_id: str) -> Item:
        return self._set_status(ghost_id, "draft")

    def delete_post(self, ghost_id: str) -> Item:
        with self._lock:
            before = self._full(self.items[ghost_id])
            kind = self.items.pop(ghost_id)["type"]
            self._fire(f"{kind}.deleted", kind, {}, before)
            return before

    def add_tag(self, name: str) -> Item:
        with self._lock:
            return dict(self.tags[self._tag_ids([name])[0]])

    def edit_tag(self, tag_id: str, **fields: Any) -> Item:
        with self._lock:
            tag = self.tags[tag_id]
            before = dict(tag)
            if "name" in fields and "visibility" not in fields:
                fields["visibility"] = "internal" if fields["name"].startswith("#") else "public"
            tag.update(fields)
            self._touch(tag)
            self._fire("tag.edited", "tag", dict(tag), c.changed(before, tag))
            return dict(tag)

    def delete_tag(self, tag_id: str) -> Item:
        with self._lock:
            tag = self.tags.pop(tag_id)
            for item in self.items.values():
                if tag_id in item["_tags"]:
                    item["_tags"].remove(tag_id)
            self._fire("tag.deleted", "tag", {}, tag)
            return tag

    def say(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)

    # -- webhooks -----------------------------------------------------------------------

    def subscribe(self, event: str, target_url: str, secret: str | None = "") -> Item:
        """Like Admin POST /webhooks/; `secret` defaults to `webhook_secret` (None: unsigned)."""
        moment = c.iso(c.now_s())
        hook: Item = {
            "id": c.object_id(c.now_s()),
            "event": event,
            "target_url": target_url,
            "name": None,
            "secret": self.webhook_secret if secret == "" else secret,
            "api_version": "v5",
            "integration_id": "standin00000000000000000",
            "status": "available",
            "last_triggered_at": None,
            "last_triggered_status": None,
            "last_triggered_error": None,
            "created_at": moment,
            "updated_at": moment,
        }
        with self._lock:
            self.webhooks[hook["id"]] = hook
        return dict(hook)

    def _fire(self, event: str, kind: str, current: Item, previous: Item) -> None:
        if not self.webhooks_enabled:
            return
        body = json.dumps({kind: {"current": current, "previous": previous}}).encode()
        for hook in list(self.webhooks.values()):
            if hook["event"] == event:
                threading.Thread(
                    target=deliver, args=(self, event, hook, body), daemon=True
                ).start()

    # -- availability ---------------------------------------------------------------------

    def fail_after(self, n: int) -> None:
        """Answer `n` more API requests, then 503 until `up()` or `reset()`."""
        with self._lock:
            self._answers_left = n

    def reset(self) -> None:
        with self._lock:
            self._answers_left = None

    def take_answer(self) -> bool:
        """Count an API request; False when it must be refused with 503."""
        with self._lock:
            self.requests += 1
            if self._answers_left is None:
                return True
            if self._answers_left <= 0:
                return False
            self._answers_left -= 1
            return True

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> GhostStandIn:
        self.up()
        return self

    def up(self) -> None:
        self.reset()
        if self._server is not None:
            return
        from shared.dev.ghost.handler import handler_for

        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler_for(self))
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Close the port (Ghost's API unreachable); content and subscriptions are kept.

        Webhooks for changes made meanwhile still go out: Ghost's admin is what is
        edited, only the API our sync reads from is cut off."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        # A pooled keep-alive connection would otherwise still be answered.
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._stopping.set()
        self.down()

    def __enter__(self) -> GhostStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
