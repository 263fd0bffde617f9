"""Stalls: a member applies, an admin approves, the owner and helpers manage it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import StallSummary
from shared.contracts.events import StallApproved, StallChanged, record
from shared.contracts.market import MarketError, NewStall, StallHelperRecord, StallRecord
from shared.infrastructure.html import sanitize_html
from shared.models.identity import User
from shared.models.market import Product, ProductStatus, Stall, StallHelper, StallStatus
from shared.services.market.drafts import check_text, read_slug
from shared.services.market.records import stall_record, stall_summary

MAX_NAME = 200
MAX_DESCRIPTION = 500
MAX_LOCATION = 200
MAX_PICKUP = 2_000
MAX_STORY = 20_000
MAX_IMAGE_ALT = 300
PUBLIC = (ProductStatus.LISTED, ProductStatus.SOLD_OUT)


def _checked(draft: NewStall) -> NewStall:
    errors: dict[str, str] = {}
    name = check_text(errors, "name", "The name", draft.name, MAX_NAME)
    if not name and "name" not in errors:
        errors["name"] = "Give the stall a name."
    slug = read_slug(errors, "slug", draft.slug, name[:100])
    description = check_text(
        errors, "description", "The summary", draft.description, MAX_DESCRIPTION
    )
    location = check_text(errors, "location", "The location", draft.location, MAX_LOCATION)
    pickup = draft.pickup_details.strip()
    if len(pickup) > MAX_PICKUP:
        errors["pickup_details"] = f"Pickup details are at most {MAX_PICKUP:,} characters."
    if len(draft.story) > MAX_STORY:
        errors["story"] = f"The story is at most {MAX_STORY:,} characters."
    image_alt = check_text(errors, "image_alt", "Image text", draft.image_alt, MAX_IMAGE_ALT)
    if errors:
        raise MarketError(errors)
    return NewStall(
        name=name,
        slug=slug,
        description=description,
        story=sanitize_html(draft.story),
        location=location,
        pickup_details=pickup,
        image_url=draft.image_url,
        image_alt=image_alt,
    )


class SqlStalls:
    async def apply_for_stall(
        self, session: AsyncSession, owner_id: int, draft: NewStall
    ) -> StallRecord:
        checked = _checked(draft)
        if await session.scalar(select(Stall.id).where(Stall.slug == checked.slug)):
            raise MarketError({"slug": f"The address /stalls/{checked.slug}/ is taken."})
        stall = Stall(
            owner_id=owner_id,
            status=StallStatus.PENDING,
            name=checked.name,
            slug=checked.slug,
            description=checked.description,
            story=checked.story,
            location=checked.location,
            pickup_details=checked.pickup_details,
            image_url=checked.image_url,
            image_alt=checked.image_alt,
        )
        session.add(stall)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise MarketError({"slug": f"The address /stalls/{checked.slug}/ is taken."}) from None
        record(session, StallChanged(stall.id))
        return await self._stall_record(session, stall)

    async def update_stall(
        self, session: AsyncSession, stall_id: int, draft: NewStall
    ) -> StallRecord | None:
        stall = await session.get(Stall, stall_id)
        if stall is None:
            return None
        checked = _checked(replace(draft, slug=stall.slug))
        stall.name, stall.description = checked.name, checked.description
        stall.story, stall.location = checked.story, checked.location
        stall.pickup_details = checked.pickup_details
        if checked.image_url:
            stall.image_url = checked.image_url
        if stall.image_url:  # the text of the photo there is, new or kept
            stall.image_alt = checked.image_alt
        await session.flush()
        record(session, StallChanged(stall.id))
        return await self._stall_record(session, stall)

    async def review_stall(
        self, session: AsyncSession, stall_id: int, *, approve: bool
    ) -> StallRecord | None:
        stall = await session.get(Stall, stall_id)
        if stall is None:
            return None
        stall.status = StallStatus.APPROVED if approve else StallStatus.REJECTED
        stall.reviewed_at = datetime.now(UTC)
        await session.flush()
        if approve:
            record(session, StallApproved(stall.id))
        record(session, StallChanged(stall.id))
        return await self._stall_record(session, stall)

    async def get_stall(self, session: AsyncSession, slug: str) -> StallRecord | None:
        stall = await session.scalar(select(Stall).where(Stall.slug == slug))
        return None if stall is None else await self._stall_record(session, stall)

    async def can_manage_stall(self, session: AsyncSession, stall_id: int, user_id: int) -> bool:
        owner = await session.scalar(select(Stall.owner_id).where(Stall.id == stall_id))
        if owner is None:
            return False
        if owner == user_id:
            return True
        helper = await session.get(StallHelper, (stall_id, user_id))
        return helper is not None

    async def add_stall_helper(self, session: AsyncSession, stall_id: int, username: str) -> None:
        user = await session.scalar(select(User).where(User.username == clean(username)))
        if user is None:
            raise MarketError({"username": f"No member is called “{clean(username)[:100]}”."})
        if await session.get(StallHelper, (stall_id, user.id)) is None:
            session.add(StallHelper(stall_id=stall_id, user_id=user.id))
            await session.flush()
            record(session, StallChanged(stall_id))

    async def remove_stall_helper(self, session: AsyncSession, stall_id: int, user_id: int) -> None:
        helper = await session.get(StallHelper, (stall_id, user_id))
        if helper is not None:
            await session.delete(helper)
            await session.flush()
            record(session, StallChanged(stall_id, also=(user_id,)))

    async def list_stalls(self, session: AsyncSession) -> list[StallSummary]:
        return await self._summaries(session, Stall.status == StallStatus.APPROVED)

    async def list_stall_applications(self, session: AsyncSession) -> list[StallRecord]:
        stalls = await session.scalars(
            select(Stall).where(Stall.status == StallStatus.PENDING).order_by(Stall.created_at)
        )
        return [await self._stall_record(session, stall) for stall in stalls]

    async def list_managed_stalls(self, session: AsyncSession, user_id: int) -> list[StallSummary]:
        helped = select(StallHelper.stall_id).where(StallHelper.user_id == user_id)
        return await self._summaries(session, (Stall.owner_id == user_id) | Stall.id.in_(helped))

    async def list_owned_live_stalls(
        self, session: AsyncSession, user_id: int
    ) -> list[StallSummary]:
        return await self._summaries(
            session, (Stall.owner_id == user_id) & (Stall.status != StallStatus.REJECTED)
        )

    async def list_stall_manager_ids(
        self, session: AsyncSession, *, stall_id: int | None = None, product_id: int | None = None
    ) -> list[int]:
        if stall_id is None and product_id is not None:
            stall_id = await session.scalar(
                select(Product.stall_id).where(Product.id == product_id)
            )
        if stall_id is None:
            return []
        owner = await session.scalar(select(Stall.owner_id).where(Stall.id == stall_id))
        helpers = await session.scalars(
            select(StallHelper.user_id).where(StallHelper.stall_id == stall_id)
        )
        return sorted({*helpers, *([owner] if owner is not None else [])})

    async def _summaries(self, session: AsyncSession, where: object) -> list[StallSummary]:
        # A count per stall from the (stall_id, status) index, not a join of every product.
        listed = (
            select(func.count(Product.id))
            .where(Product.stall_id == Stall.id, Product.status.in_(PUBLIC))
            .correlate(Stall)
            .scalar_subquery()
        )
        rows = await session.execute(
            select(Stall, listed).where(where).order_by(Stall.name)  # type: ignore[arg-type]
        )
        return [stall_summary(stall, count) for stall, count in rows]

    async def _stall_record(self, session: AsyncSession, stall: Stall) -> StallRecord:
        owner = await session.scalar(select(User.display_name).where(User.id == stall.owner_id))
        helpers = await session.execute(
            select(User.id, User.username)
            .join(StallHelper, StallHelper.user_id == User.id)
            .where(StallHelper.stall_id == stall.id)
            .order_by(User.username)
        )
        return stall_record(
            stall, owner or "", tuple(StallHelperRecord(*helper) for helper in helpers)
        )


def clean(text: str) -> str:
    return text.strip()[:200]
