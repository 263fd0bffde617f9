"""Actors are made when members are, and older databases catch up by a command, not a GET."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewMember
from shared.dev.schema import migrate
from shared.infrastructure.activitypub.keys import decrypt_private_key, load_private_key
from shared.infrastructure.config import Settings
from shared.models.activitypub import Actor
from shared.services.identity import SqlIdentityService
from shared.services.social.actors import make_missing_actors
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer
from tests.support.factories import make_member_actor, make_user
from tests.support.units import unit_of_work


async def actor_of(db: AsyncSession, user_id: int) -> Actor | None:
    return await db.scalar(
        select(Actor).where(Actor.user_id == user_id).execution_options(populate_existing=True)
    )


async def test_signing_up_makes_the_members_actor_with_an_encrypted_key(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    member = NewMember("juno@example.test", "juno", "Juno", "a long enough password")
    async with unit_of_work(db, settings, redis) as uow:
        record = await SqlIdentityService().create_member(uow.session, member)
        # Made by the MemberCreated handler as the unit commits, not by identity itself.
        assert await actor_of(uow.session, record.id) is None
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


def _query(url: str, sql: str) -> list[Any]:
    async def run() -> list[Any]:
        connection = await asyncpg.connect(url)
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()

    return asyncio.run(run())


@pytest.mark.slow
def test_python_m_shared_services_social_gives_an_older_database_its_actors(
    database_server: DatabaseServer, redis_url: str, repo_root: Path
) -> None:
    name = "rose_ash_social_command"
    url = database_server.create_fresh(name)
    try:
        migrate(url)
        _query(
            url,
            "INSERT INTO users (email, username, display_name) VALUES ('e@x.test', 'elder', 'E')",
        )
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url,
               "SECRET_KEY": TEST_SECRET_KEY, "ROSE_ASH_ENV": "test"}  # fmt: skip
        command = [sys.executable, "-m", "shared.services.social"]
        runs = [
            subprocess.run(
                command, env=env, cwd=repo_root, capture_output=True, text=True, timeout=120
            )
            for _ in range(2)
        ]
        assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
        assert "the actors of 1 members" in runs[0].stdout
        assert "the actors of 0 members" in runs[1].stdout  # a second run finds nothing to do
        rows = _query(url, "SELECT kind, preferred_username, public_key_pem FROM ap_actors")
        members = [
            (r["preferred_username"], bool(r["public_key_pem"]))
            for r in rows
            if r["kind"] == "member"
        ]
        assert members == [("elder", True)]
        assert sum(r["kind"] == "app" for r in rows) == 7  # six apps and the instance
    finally:
        database_server.drop(name)
