"""The social hub's demo data: the members follow one another and post, reply,
favourite and boost through the social service, as they would in the hub, so that
home timelines, threads and notifications have something in them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.social import NewStatus
from shared.models.activitypub import ApObject
from shared.models.identity import User
from shared.services.registry import services

POSTS = [
    ("ada", "The first loaves of the winter market are proving. See you on Saturday! #market"),
    ("ben", "New glaze test: a deep ash grey with rose speckles. Thoughts? #pottery"),
    ("cleo", "Bees are clustered for the winter. The last jars of autumn honey are up. #honey"),
]
REPLY = ("cleo", 1, "@ben Rose speckles sound lovely: save me a mug!")
FOLLOWS = [("ada", "ben"), ("ada", "cleo"), ("ben", "ada"), ("ben", "cleo"), ("cleo", "ben")]


async def seed_social(session: AsyncSession) -> None:
    social = services.social
    users = {u.username: u.id for u in await session.scalars(select(User))}
    accounts = {name: await social.get_member_account(session, uid) for name, uid in users.items()}
    for follower, followed in FOLLOWS:
        await social.follow_account(session, users[follower], accounts[followed].id)
    posted = []
    for username, text in POSTS:
        posted.append(await social.create_status(session, users[username], NewStatus(text)))
    username, index, text = REPLY
    reply = NewStatus(text, in_reply_to_id=posted[index].id)
    await social.create_status(session, users[username], reply)
    await social.react(session, users["ada"], posted[1].id, "like")
    await social.react(session, users["cleo"], posted[0].id, "announce")
    # Spread them over the last day, oldest first, as if posted over time.
    for hours, status in enumerate(reversed(posted), start=1):
        await session.execute(
            update(ApObject)
            .where(ApObject.id == status.id)
            .values(published_at=status.created_at - timedelta(hours=hours * 5))
        )
