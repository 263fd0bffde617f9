"""Actor documents, content negotiation, WebFinger and NodeInfo, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from quart import Quart
from redis.asyncio import Redis
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.contracts.dtos import NewMember
from shared.infrastructure.activitypub.keys import KeyPair
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor
from shared.models.identity import User
from shared.services.registry import services
from tests.conftest import AppFactory
from tests.support.factories import make_user
from tests.support.units import unit_of_work

AS_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def sign_up(
    db: AsyncSession, settings: Settings, redis: Redis, username: str, **profile: Any
) -> User:
    """A member made the way sign-up makes one: through identity in a unit of work, whose
    MemberCreated handler makes the actor."""
    member = NewMember(f"{username}@example.test", username, username.title(), "long enough pw")
    async with unit_of_work(db, settings, redis) as uow:
        record = await services.identity.create_member(uow.session, member)
    user = await db.get(User, record.id)
    assert user is not None
    for field, value in profile.items():
        setattr(user, field, value)
    await db.flush()
    return user


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement PostgreSQL is sent while the block runs, as sent."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def start(make_app: AppFactory, ap_settings: Settings):  # type: ignore[no-untyped-def]
    async def start_app(name: str) -> Quart:
        return await make_app(name, app_settings=ap_settings)

    return start_app


@pytest.mark.parametrize(
    ("name", "kind"),
    [("blog", "Organization"), ("market", "Service"), ("events", "Service")],
)
async def test_each_app_serves_its_actor_with_every_field_peers_require(
    start, ap_settings: Settings, platform_key: KeyPair, name: str, kind: str
) -> None:
    client = (await start(name)).test_client()
    response = await client.get("/actor", headers={"Accept": AS_JSON})
    assert response.status_code == 200
    assert response.content_type == AS_JSON
    assert response.headers["Vary"] == "Accept"
    actor = await response.get_json()
    base = ap_settings.apps[name].base_url
    assert actor["id"] == f"{base}/actor"
    assert actor["type"] == kind
    assert actor["preferredUsername"] == name
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    for field in ("inbox", "outbox", "followers", "following", "url", "name", "summary", "icon"):
        assert actor[field], field
    assert actor["endpoints"]["sharedInbox"] == f"{base}/inbox"
    assert actor["publicKey"] == {
        "id": f"{base}/actor#main-key",
        "owner": f"{base}/actor",
        "publicKeyPem": platform_key.public_pem,
    }


async def test_ld_json_with_the_profile_gets_the_document_and_a_browser_gets_html(start) -> None:
    client = (await start("blog")).test_client()
    as_ld = await client.get("/actor", headers={"Accept": LD_JSON})
    assert as_ld.content_type == AS_JSON
    page = await client.get("/actor", headers={"Accept": "text/html,application/xhtml+xml,*/*"})
    assert page.status_code == 200
    assert "text/html" in page.content_type
    assert "@blog@" in await page.get_data(as_text=True)


async def test_a_member_is_a_person_with_a_key_of_their_own(
    start, db: AsyncSession, ap_settings: Settings, platform_key: KeyPair, redis: Redis
) -> None:
    await sign_up(db, ap_settings, redis, "rowan", display_name="Rowan Ash", bio="I <3 bees")
    client = (await start("federation")).test_client()
    response = await client.get("/users/rowan", headers={"Accept": AS_JSON})
    actor = await response.get_json()
    base = ap_settings.apps["federation"].base_url
    assert actor["type"] == "Person"
    assert actor["id"] == f"{base}/users/rowan"
    assert actor["name"] == "Rowan Ash"
    assert actor["publicKey"]["id"] == f"{base}/users/rowan#main-key"
    assert actor["publicKey"]["publicKeyPem"] not in ("", None, platform_key.public_pem)
    assert actor["summary"] == "<p>I &lt;3 bees</p>"
    again = await (await client.get("/users/rowan", headers={"Accept": AS_JSON})).get_json()
    assert again["publicKey"] == actor["publicKey"]  # made once, kept


async def test_getting_actors_and_webfinger_writes_nothing(
    start, db: AsyncSession, engine: AsyncEngine, ap_settings: Settings, redis: Redis
) -> None:
    await sign_up(db, ap_settings, redis, "rowan")
    await make_user(db, "sasha")  # from an older database: no actor yet
    client = (await start("federation")).test_client()
    host = urlsplit(ap_settings.apps["federation"].base_url).netloc
    actors_before = await db.scalar(select(func.count(Actor.id)))
    found = [
        "/users/rowan",
        "/@rowan",
        f"/.well-known/webfinger?resource=acct:rowan@{host}",
        "/users/rowan/followers?page=1",
        "/actor",
        "/instance",
        f"/.well-known/webfinger?resource=acct:federation@{host}",
        "/nodeinfo/2.1",
    ]
    missing = ["/users/sasha", f"/.well-known/webfinger?resource=acct:sasha@{host}"]
    with statements(engine) as sent:
        for path in found:
            for accept in (AS_JSON, "text/html"):
                response = await client.get(path, headers={"Accept": accept})
                if response.status_code == 302:  # a member, in a browser: the hub profile
                    assert accept == "text/html"
                    response = await client.get(response.headers["Location"])
                assert response.status_code == 200, (path, accept)
        for path in missing:
            assert (await client.get(path, headers={"Accept": AS_JSON})).status_code == 404
    writes = [s for s in sent if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert sent and writes == []
    assert await db.scalar(select(func.count(Actor.id))) == actors_before


async def test_an_unknown_member_is_404(start) -> None:
    client = (await start("federation")).test_client()
    response = await client.get("/users/nobody", headers={"Accept": AS_JSON})
    assert response.status_code == 404


async def test_the_instance_actor_is_an_application_fetchable_unsigned(
    start, ap_settings: Settings
) -> None:
    client = (await start("federation")).test_client()
    actor = await (await client.get("/instance", headers={"Accept": AS_JSON})).get_json()
    assert actor["type"] == "Application"
    assert actor["id"] == f"{ap_settings.apps['federation'].base_url}/instance"
    assert actor["manuallyApprovesFollowers"] is True


@pytest.mark.parametrize("encoded", [False, True])
async def test_webfinger_self_link_is_exactly_the_actor_id(
    start, ap_settings: Settings, encoded: bool
) -> None:
    client = (await start("market")).test_client()
    host = ap_settings.apps["market"].base_url.split("://")[1]
    resource = f"acct:market@{host}"
    query = resource.replace(":", "%3A").replace("@", "%40") if encoded else resource
    response = await client.get(f"/.well-known/webfinger?resource={query}")
    assert response.status_code == 200
    assert response.content_type == "application/jrd+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    jrd = await response.get_json()
    assert jrd["subject"] == resource
    selves = [link for link in jrd["links"] if link["rel"] == "self"]
    assert selves == [
        {
            "rel": "self",
            "type": AS_JSON,
            "href": f"{ap_settings.apps['market'].base_url}/actor",
        }
    ]


async def test_webfinger_finds_members_and_the_instance_on_federation(
    start, db: AsyncSession, ap_settings: Settings, redis: Redis
) -> None:
    await sign_up(db, ap_settings, redis, "sasha")
    client = (await start("federation")).test_client()
    base = ap_settings.apps["federation"].base_url
    host = base.split("://")[1]
    member = await (
        await client.get(f"/.well-known/webfinger?resource=acct:Sasha@{host}")
    ).get_json()
    assert member["links"][0]["href"] == f"{base}/users/sasha"
    by_url = await client.get(f"/.well-known/webfinger?resource={base}/users/sasha")
    assert (await by_url.get_json())["subject"] == f"acct:sasha@{host}"
    instance_name = host.split(":")[0]
    instance = await client.get(f"/.well-known/webfinger?resource=acct:{instance_name}@{host}")
    assert (await instance.get_json())["links"][0]["href"] == f"{base}/instance"


async def test_webfinger_answers_400_without_a_resource_and_404_for_strangers(start) -> None:
    client = (await start("blog")).test_client()
    assert (await client.get("/.well-known/webfinger")).status_code == 400
    unknown = await client.get("/.well-known/webfinger?resource=acct:blog@elsewhere.example")
    assert unknown.status_code == 404
    member_on_blog = await client.get("/.well-known/webfinger?resource=acct:ada@blog.localhost")
    assert member_on_blog.status_code == 404


async def test_nodeinfo_links_both_versions_and_each_is_schema_shaped(
    start, ap_settings: Settings
) -> None:
    client = (await start("events")).test_client()
    links = await (await client.get("/.well-known/nodeinfo")).get_json()
    rels = {link["rel"]: link["href"] for link in links["links"]}
    base = ap_settings.apps["events"].base_url
    for version in ("2.0", "2.1"):
        href = rels[f"http://nodeinfo.diaspora.software/ns/schema/{version}"]
        assert href == f"{base}/nodeinfo/{version}"
        response = await client.get(f"/nodeinfo/{version}")
        assert f"schema/{version}#" in response.headers["Content-Type"]
        info = await response.get_json()
        assert info["version"] == version
        assert info["software"]["name"] == "rose-ash"
        assert info["protocols"] == ["activitypub"]
        assert set(info["services"]) == {"inbound", "outbound"}
        assert info["openRegistrations"] is True  # anyone may sign up
        assert "total" in info["usage"]["users"]
        assert "metadata" in info


async def test_an_empty_collection_pages_as_ordered_collection(start) -> None:
    client = (await start("blog")).test_client()
    outbox = await (await client.get("/actor/outbox", headers={"Accept": AS_JSON})).get_json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 0
    first = urlsplit(outbox["first"])
    page = await (await client.get(f"{first.path}?{first.query}")).get_json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == outbox["id"]
    assert page["orderedItems"] == []
