"""Actors are made when members are, and older databases catch up by a command, not a GET."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewMember
from shared.infrastructure.activitypub.keys import decrypt_private_key, load_private_key
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor
from shared.services.identity import SqlIdentityService
from shared.services.social import SqlSocialService
from shared.services.social.actors import make_missing_actors
from tests.support.factories import make_member_actor, make_user


async def actor_of(db: AsyncSession, user_id: int) -> Actor | None:
    return await db.scalar(
        select(Actor).where(Actor.user_id == user_id).execution_options(populate_existing=True)
    )


async def test_signing_up_makes_the_members_actor_with_an_encrypted_key(
    db: AsyncSession, settings: Settings
) -> None:
    identity = SqlIdentityService(SqlSocialService(settings))
    member = NewMember("juno@example.test", "juno", "Juno", "a long enough password")
    record = await identity.create_member(db, member)
    actor = await actor_of(db, record.id)
    assert actor is not None and actor.kind == "member" and actor.preferred_username == "juno"
    assert actor.private_key_pem and actor.private_key_pem.startswith("fernet:")
    pem = decrypt_private_key(settings.secret_key, actor.private_key_pem)
    public = load_private_key(pem).public_key()
    assert actor.public_key_pem and public.key_size == 2048


async def test_the_command_gives_older_members_their_actors_and_moves_stale_ones(
    db: AsyncSession, settings: Settings
) -> None:
    federation = settings.apps["federation"].base_url
    bare = await make_user(db, "hazel")  # a member from before actors-at-sign-up
    moved = await make_user(db, "linden")
    stale = await make_member_actor(db, moved)  # keyless, at an old address
    stale.ap_id = "http://old-host.example/users/linden"
    await db.flush()

    assert await make_missing_actors(db, settings) == 2
    for user in (bare, moved):
        actor = await actor_of(db, user.id)
        assert actor is not None
        assert actor.ap_id == f"{federation}/users/{user.username}"
        assert actor.key_id == f"{actor.ap_id}#main-key" and actor.public_key_pem
    assert await make_missing_actors(db, settings) == 0  # nothing left to do
    blog = await db.scalar(select(Actor).where(Actor.app_name == "blog"))
    assert blog is not None and blog.ap_id == f"{settings.apps['blog'].base_url}/actor"
