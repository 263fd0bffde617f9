"""The suppression list: addresses whose server answered 5xx get no more bulk mail."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.newsletters import SuppressionRecord
from shared.models.newsletters import EmailSuppression


async def is_suppressed(session: AsyncSession, email: str) -> bool:
    found = await session.scalar(
        select(EmailSuppression.id).where(func.lower(EmailSuppression.email) == email.lower())
    )
    return found is not None


async def suppress(session: AsyncSession, email: str, reason: str) -> None:
    await session.execute(
        insert(EmailSuppression)
        .values(email=email, reason=reason[:1000])
        .on_conflict_do_nothing(index_elements=[func.lower(EmailSuppression.email)])
    )


async def lift(session: AsyncSession, email: str) -> bool:
    """Whether there was a suppression to lift."""
    result = await session.execute(
        delete(EmailSuppression).where(func.lower(EmailSuppression.email) == email.lower())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_suppressions(
    session: AsyncSession, email: str | None = None, limit: int = 500
) -> list[SuppressionRecord]:
    query = select(EmailSuppression).order_by(EmailSuppression.created_at.desc()).limit(limit)
    if email is not None:
        query = query.where(func.lower(EmailSuppression.email) == email.lower())
    return [
        SuppressionRecord(row.email, row.reason, row.created_at)
        for row in await session.scalars(query)
    ]
