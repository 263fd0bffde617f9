"""Staff members of every role, the wired registry and a unit of work with the real
handlers, for the blog service's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import StaffMember
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.models.activitypub import Activity
from shared.services.blog.staff import set_staff_role
from shared.services.handlers import event_handlers
from shared.services.registry import Services, wire_services
from tests.support.activitypub.fixtures import ap_settings, platform_key  # noqa: F401
from tests.support.factories import make_user

Unit = Callable[[], UnitOfWork]


@pytest.fixture
def wired(ap_settings: Settings) -> Services:  # noqa: F811
    return wire_services(ap_settings)


@pytest.fixture
def unit(db: AsyncSession, redis: Redis) -> Unit:
    cache = FragmentCache(redis, keep_stale=60, timeout=1.0)
    return lambda: UnitOfWork(db, handlers=event_handlers(), fragments=cache)


async def staff_member(db: AsyncSession, role: str, username: str) -> StaffMember:
    user = await make_user(db, username, is_admin=role == "administrator")
    if role != "administrator":
        await set_staff_role(db, user.id, role)
    return StaffMember(user_id=user.id, username=username, name=user.display_name, role=role)


@pytest.fixture
async def admin(db: AsyncSession) -> StaffMember:
    return await staff_member(db, "administrator", "ada")


@pytest.fixture
async def editor(db: AsyncSession) -> StaffMember:
    return await staff_member(db, "editor", "eve")


@pytest.fixture
async def author(db: AsyncSession) -> StaffMember:
    return await staff_member(db, "author", "ann")


@pytest.fixture
async def contributor(db: AsyncSession) -> StaffMember:
    return await staff_member(db, "contributor", "cal")


async def outbox(db: AsyncSession) -> list[Activity]:
    return list(
        await db.scalars(
            select(Activity).where(Activity.direction == "outbound").order_by(Activity.id)
        )
    )


def doc(*blocks: dict[str, object]) -> dict[str, object]:
    return {"type": "doc", "content": list(blocks)}


def para(text: str) -> dict[str, object]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}
