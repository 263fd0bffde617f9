"""The Ghost stand-in: Ghost's API shapes over real HTTP, and its webhooks to a real receiver."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from shared.dev.ghost import GhostStandIn
from shared.dev.ghost.dev import WEBHOOK_EVENTS, start_for_dev
from shared.dev.sumup import wait_until
from shared.infrastructure.ghost import admin_token, verify_signature
from tests.dev.conftest import Receiver

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


@pytest.fixture
def ghost() -> Iterator[GhostStandIn]:
    with GhostStandIn(posts=30, pages=2, drafts=1, webhook_delays=(0.1, 0.1, 0.1)) as running:
        yield running


def admin_get(ghost: GhostStandIn, path: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{ghost.url}/ghost/api/admin/{path}",
        params=params,
        headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}"},
    )


def test_posts_have_ghosts_shape_with_images_that_are_real(ghost: GhostStandIn) -> None:
    answer = admin_get(ghost, "posts/", include="tags,authors", formats="html", limit="5")
    assert answer.status_code == 200 and answer.http_version == "HTTP/1.1"
    post = answer.json()["posts"][0]
    assert re.fullmatch(r"[0-9a-f]{24}", post["id"]) and len(post["uuid"]) == 36
    for name in ("created_at", "updated_at", "published_at"):
        assert ISO.match(post[name]), name
    assert post["feature_image"].startswith(f"{ghost.url}/content/images/")
    assert post["primary_author"] == post["authors"][0] and post["visibility"] == "public"
    inline = re.search(r'<img src="([^"]+)"', post["html"])
    assert inline is not None
    with httpx.Client() as http:  # one keep-alive connection for both images
        for url, kind in ((post["feature_image"], "PNG"), (inline.group(1), "JPEG")):
            image = http.get(url)
            assert image.status_code == 200
            assert Image.open(io.BytesIO(image.content)).format == kind
    tags = [t for p in ghost.posts() for t in p["tags"]]
    assert {t["visibility"] for t in tags} == {"public", "internal"}
    assert any(t["name"].startswith("#") and t["slug"].startswith("hash-") for t in tags)


def test_paging_filters_and_order_follow_ghost(ghost: GhostStandIn) -> None:
    default = admin_get(ghost, "posts/").json()
    assert default["meta"]["pagination"] == {
        "page": 1,
        "limit": 15,
        "pages": 3,
        "total": 31,
        "next": 2,
        "prev": None,
    }
    capped = admin_get(ghost, "posts/", limit="500", page="2").json()["meta"]["pagination"]
    assert capped["limit"] == 100 and capped["pages"] == 1 and capped["prev"] == 1
    ids = [p["id"] for p in ghost.posts()]
    picked = admin_get(ghost, "posts/", filter=f"id:[{ids[0]},{ids[1]}]", fields="id,updated_at")
    assert {p["id"] for p in picked.json()["posts"]} == {ids[0], ids[1]}
    assert all(p.keys() == {"id", "updated_at"} for p in picked.json()["posts"])
    not_them = admin_get(ghost, "posts/", filter=f"id:-[{ids[0]},{ids[1]}]", limit="100")
    assert not_them.json()["meta"]["pagination"]["total"] == 29
    drafts = admin_get(ghost, "posts/", filter="status:draft,status:scheduled").json()
    assert [p["status"] for p in drafts["posts"]] == ["draft"]
    published = admin_get(ghost, "posts/", filter="status:published+featured:true", limit="100")
    assert published.json()["posts"] and all(p["featured"] for p in published.json()["posts"])
    newest = admin_get(ghost, "posts/", order="published_at desc", filter="status:published")
    dates = [p["published_at"] for p in newest.json()["posts"]]
    assert dates == sorted(dates, reverse=True)
    internal = admin_get(ghost, "posts/", filter="tag:hash-newsletter", limit="100").json()
    assert internal["posts"] and all(
        "#newsletter" in [t["name"] for t in p["tags"]] for p in internal["posts"]
    )
    bad = admin_get(ghost, "posts/", filter="updated_at:>")
    assert bad.status_code == 400 and "filter" in bad.json()["errors"][0]["message"]


def test_reads_by_id_and_slug_and_missing_is_ghosts_404(ghost: GhostStandIn) -> None:
    page = ghost.pages()[0]
    by_slug = admin_get(ghost, f"pages/slug/{page['slug']}/", formats="html")
    assert by_slug.json()["pages"][0]["id"] == page["id"]
    missing = admin_get(ghost, "posts/0123456789abcdef01234567/")
    assert missing.status_code == 404
    assert missing.json() == {"errors": [{"message": "Post not found.", "type": "NotFoundError"}]}
    content = httpx.get(f"{ghost.url}/ghost/api/content/posts/", params={"key": "wrong"})
    assert content.status_code == 401 and content.json()["errors"][0]["type"] == "UnauthorizedError"


def test_an_edit_is_delivered_signed_with_only_the_changed_keys(
    ghost: GhostStandIn, receiver: Receiver
) -> None:
    for event in ("post.edited", "post.published.edited"):
        ghost.subscribe(event, f"{receiver.url}/{event}")
    post = ghost.posts()[0]
    ghost.edit_post(post["id"], title="A new title")
    assert wait_until(lambda: len(receiver.got) == 2, timeout=10)
    for path, headers, body in receiver.got:
        verify_signature(ghost.webhook_secret, body, headers["X-Ghost-Signature"])
        payload = json.loads(body)["post"]
        assert payload["current"]["title"] == "A new title", path
        assert payload["current"]["tags"] and payload["current"]["plaintext"]
        assert payload["previous"] == {"title": post["title"], "updated_at": post["updated_at"]}


def test_publishing_unpublishing_and_deleting_fire_their_events(
    ghost: GhostStandIn, receiver: Receiver
) -> None:
    for event in ("post.published", "post.unpublished", "post.deleted", "tag.deleted"):
        ghost.subscribe(event, f"{receiver.url}/{event}")
    post = ghost.posts()[1]
    ghost.unpublish_post(post["id"])
    ghost.publish_post(post["id"])
    ghost.delete_post(post["id"])
    tag = next(iter(ghost.tags.values()))
    ghost.delete_tag(tag["id"])
    assert wait_until(lambda: len(receiver.got) == 4, timeout=10)
    assert receiver.bodies("/post.unpublished")[0]["post"]["previous"]["status"] == "published"
    deleted = receiver.bodies("/post.deleted")[0]["post"]
    assert deleted["current"] == {} and deleted["previous"]["id"] == post["id"]
    assert receiver.bodies("/tag.deleted")[0]["tag"]["previous"]["id"] == tag["id"]
    assert admin_get(ghost, f"posts/{post['id']}/").status_code == 404


def test_a_failed_delivery_is_retried_and_a_410_drops_the_webhook(
    ghost: GhostStandIn, receiver: Receiver
) -> None:
    hook = ghost.subscribe("post.edited", f"{receiver.url}/hook")
    receiver.answers = [500, 200]
    post_id = ghost.posts()[0]["id"]
    ghost.edit_post(post_id, title="Once")
    # The stand-in notes a delivery once it has read the answer, after the receiver saw it.
    assert wait_until(lambda: len(ghost.deliveries) == 2, timeout=10)
    assert len(receiver.got) == 2
    assert [s for _e, _u, s in ghost.deliveries] == [500, 200]
    receiver.answers = [410]
    ghost.edit_post(post_id, title="Twice")
    assert wait_until(lambda: hook["id"] not in ghost.webhooks, timeout=10)
    ghost.edit_post(post_id, title="Thrice")
    assert not wait_until(lambda: len(receiver.got) > 3, timeout=1)


def test_no_webhooks_while_they_are_switched_off(ghost: GhostStandIn, receiver: Receiver) -> None:
    ghost.subscribe("post.deleted", f"{receiver.url}/deleted")
    ghost.subscribe("post.edited", f"{receiver.url}/edited")
    ghost.webhooks_enabled = False
    ghost.delete_post(ghost.posts()[0]["id"])
    ghost.webhooks_enabled = True
    ghost.edit_post(ghost.posts()[0]["id"], title="Seen")
    assert wait_until(lambda: len(receiver.got) == 1, timeout=10)
    assert not wait_until(lambda: len(receiver.got) > 1, timeout=1)
    assert receiver.got[0][0] == "/edited"


def test_down_closes_the_port_and_fail_after_answers_503(ghost: GhostStandIn) -> None:
    with httpx.Client() as http:
        auth = {"Authorization": f"Ghost {admin_token(ghost.admin_key)}"}
        assert http.get(f"{ghost.url}/ghost/api/admin/tags/", headers=auth).status_code == 200
        ghost.down()
        with pytest.raises(httpx.TransportError):  # even on the pooled connection
            http.get(f"{ghost.url}/ghost/api/admin/tags/", headers=auth)
    ghost.up()
    before = ghost.requests
    ghost.fail_after(2)
    statuses = [admin_get(ghost, "tags/").status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 503] and ghost.requests == before + 4
    ghost.up()
    assert admin_get(ghost, "tags/").status_code == 200


def test_the_control_api_edits_like_ghosts_admin(ghost: GhostStandIn, receiver: Receiver) -> None:
    ghost.subscribe("post.published.edited", f"{receiver.url}/edited")
    post = ghost.posts()[2]
    control = f"{ghost.url}/_standin/api"
    answer = httpx.put(f"{control}/posts/{post['id']}", json={"title": "From the control API"})
    assert answer.status_code == 200
    assert wait_until(lambda: len(receiver.got) == 1, timeout=10)
    assert admin_get(ghost, f"posts/{post['id']}/").json()["posts"][0]["title"] == (
        "From the control API"
    )
    refused = httpx.put(f"{control}/posts/{post['id']}", json={"uuid": "x"})
    assert refused.status_code == 422 and "uuid" in refused.json()["errors"][0]["message"]
    assert httpx.put(f"{control}/posts/nope", json={"title": "x"}).status_code == 404
    created = httpx.post(f"{control}/posts", json={"title": "Brand new", "tags": ["#internal"]})
    assert created.status_code == 201
    assert created.json()["posts"][0]["tags"][0]["visibility"] == "internal"
    state = httpx.get(f"{control}/state").json()
    assert state["deliveries"][0]["status"] == 200 and "secret" not in state["webhooks"][0]


def test_make_devs_wiring_subscribes_the_blog_to_every_event(receiver: Receiver) -> None:
    ghost, env = start_for_dev(receiver.url, posts=40)
    try:
        assert env == {
            "GHOST_URL": ghost.url,
            "GHOST_ADMIN_KEY": ghost.admin_key,
            "GHOST_CONTENT_KEY": ghost.content_key,
            "GHOST_WEBHOOK_SECRET": ghost.webhook_secret,
        }
        assert sorted(h["target_url"] for h in ghost.webhooks.values()) == sorted(
            f"{receiver.url}/webhooks/ghost/{event}" for event in WEBHOOK_EVENTS
        )
        assert len([p for p in ghost.posts() if p["status"] == "published"]) == 40
        ghost.edit_post(ghost.posts()[0]["id"], title="Edited in Ghost")
        assert wait_until(lambda: len(receiver.got) == 1, timeout=10)
        path, headers, body = receiver.got[0]
        assert path == "/webhooks/ghost/post.published.edited"
        verify_signature(env["GHOST_WEBHOOK_SECRET"], body, headers["X-Ghost-Signature"])
    finally:
        ghost.stop()


def test_pages_and_tags_fire_their_own_events(ghost: GhostStandIn, receiver: Receiver) -> None:
    for event in ("page.published", "page.published.edited", "tag.edited", "tag.added"):
        ghost.subscribe(event, f"{receiver.url}/{event}")
    page = ghost.add_page(title="Opening hours", html="<p>Mon to Fri</p>")
    ghost.edit_post(page["id"], html="<p>Every day</p>")
    tag = next(t for t in ghost.tags.values() if t["name"] == "Food")
    ghost.edit_tag(tag["id"], name="#food")
    ghost.edit_post(ghost.posts()[0]["id"], tags=["Brand-new tag"])
    assert wait_until(lambda: len(receiver.got) == 4, timeout=10)
    edited = receiver.bodies("/page.published.edited")[0]["page"]
    assert edited["current"]["html"] == "<p>Every day</p>" and "html" in edited["previous"]
    renamed = receiver.bodies("/tag.edited")[0]["tag"]
    assert renamed["current"]["visibility"] == "internal"
    assert renamed["previous"]["visibility"] == "public"
    assert receiver.bodies("/tag.added")[0]["tag"]["current"]["name"] == "Brand-new tag"
    assert admin_get(ghost, f"pages/{page['id']}/").json()["pages"][0]["title"] == "Opening hours"


def test_bad_requests_get_ghosts_error_shape(ghost: GhostStandIn) -> None:
    assert admin_get(ghost, "posts/", limit="0").status_code == 422
    assert admin_get(ghost, "posts/", order="updated_at sideways").status_code == 400
    assert admin_get(ghost, "widgets/").status_code == 404
    missing_target = httpx.post(
        f"{ghost.url}/ghost/api/admin/webhooks/",
        json={"webhooks": [{"event": "post.published"}]},
        headers={"Authorization": f"Ghost {admin_token(ghost.admin_key)}"},
    )
    assert missing_target.status_code == 422
    assert "target_url" in missing_target.json()["errors"][0]["message"]
    assert ghost.webhooks == {}


def test_the_stand_in_runs_on_its_own_and_prints_its_settings() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.dev.ghost", "--posts", "120", "--no-images"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        settings = {}
        for _ in range(4):
            name, _sep, value = (
                proc.stdout.readline().removeprefix("export ").strip().partition("=")
            )
            settings[name] = value
        assert settings.keys() == {
            "GHOST_URL",
            "GHOST_ADMIN_KEY",
            "GHOST_CONTENT_KEY",
            "GHOST_WEBHOOK_SECRET",
        }
        answer = httpx.get(
            f"{settings['GHOST_URL']}/ghost/api/content/posts/",
            params={"key": settings["GHOST_CONTENT_KEY"], "limit": "100", "page": "2"},
        )
        assert answer.json()["meta"]["pagination"]["total"] == 120
        assert answer.json()["posts"][0]["feature_image"] is None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout is not None
        proc.stdout.close()
