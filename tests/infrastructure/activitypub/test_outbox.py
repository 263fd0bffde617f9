"""Documents other servers read carry absolute URLs: an uploaded image's `/media/...`
path is joined to the origin of the object or actor it belongs to."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from shared.contracts.dtos import ActorRecord, FederatedObject
from shared.infrastructure.activitypub.actors import actor_document
from shared.infrastructure.activitypub.outbox import object_document
from shared.models.activitypub import Actor

BLOG = Actor(
    ap_id="https://blog.example.coop/actor",
    kind="app",
    preferred_username="blog",
    domain="blog.example.coop",
    followers_url="https://blog.example.coop/actor/followers",
)
MEMBER = ActorRecord(
    ap_id="https://federation.example.coop/users/cleo",
    kind="member",
    type="Person",
    preferred_username="cleo",
    domain="federation.example.coop",
    display_name="Cleo",
    summary="",
    url=None,
    icon_url="/media/3f9a.webp",
    inbox_url=None,
    outbox_url=None,
    followers_url=None,
    following_url=None,
    shared_inbox_url=None,
    key_id="https://federation.example.coop/users/cleo#main-key",
    public_key_pem="-----BEGIN PUBLIC KEY-----",
    app_name=None,
    published_at=None,
)


def post(image_url: str | None) -> FederatedObject:
    return FederatedObject(
        app="blog",
        key="posts/1",
        type="Article",
        content_html="<p>Hello</p>",
        path="/hello/",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        image_url=image_url,
    )


def test_an_uploaded_feature_image_is_federated_at_its_absolute_url() -> None:
    document = object_document(BLOG, post("/media/ab12.webp"))
    assert document["image"] == {
        "type": "Image",
        "url": "https://blog.example.coop/media/ab12.webp",
    }


def test_an_image_elsewhere_keeps_its_url() -> None:
    document = object_document(BLOG, post("https://cdn.example.net/x.png"))
    assert document["image"]["url"] == "https://cdn.example.net/x.png"


def test_a_member_avatar_is_federated_at_its_absolute_url() -> None:
    document = actor_document(MEMBER)
    assert document["icon"]["url"] == "https://federation.example.coop/media/3f9a.webp"
    assert "icon" not in actor_document(replace(MEMBER, icon_url=None))
