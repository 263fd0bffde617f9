"""Where sync stands: per-resource watermarks (`ghost_sync_states`), whether the first
complete import is done, and the record of each run for the admin page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import GhostSyncRun, GhostSyncState

# The row whose last_synced_at says the first complete import is done.
IMPORTED = "import"
MAX_ERRORS = 20


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        if outcome in ("created", "updated", "deleted", "unchanged"):
            setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged


async def state(session: AsyncSession, resource: str) -> GhostSyncState:
    await session.execute(insert(GhostSyncState).values(resource=resource).on_conflict_do_nothing())
    found = await session.scalar(
        select(GhostSyncState).where(GhostSyncState.resource == resource).with_for_update()
    )
    assert found is not None
    return found


async def import_complete(session: AsyncSession) -> bool:
    done = await session.scalar(
        select(GhostSyncState.last_synced_at).where(GhostSyncState.resource == IMPORTED)
    )
    return done is not None


async def start_run(session: AsyncSession, kind: str) -> int:
    run = GhostSyncRun(kind=kind, started_at=datetime.now(UTC))
    session.add(run)
    await session.flush()
    return run.id


async def save_run(
    session: AsyncSession,
    run_id: int,
    counts: Counts,
    *,
    finished: bool = False,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {
        "created": counts.created,
        "updated": counts.updated,
        "deleted": counts.deleted,
        "errors": counts.errors[-MAX_ERRORS:],
        "error": error,
    }
    if finished or error:
        values["finished_at"] = datetime.now(UTC)
    await session.execute(update(GhostSyncRun).where(GhostSyncRun.id == run_id).values(values))


async def last_runs(session: AsyncSession, limit: int = 10) -> list[GhostSyncRun]:
    rows = await session.scalars(
        select(GhostSyncRun)
        .order_by(GhostSyncRun.started_at.desc(), GhostSyncRun.id.desc())
        .limit(limit)
    )
    return list(rows)


async def states(session: AsyncSession) -> list[GhostSyncState]:
    rows = await session.scalars(select(GhostSyncState).order_by(GhostSyncState.resource))
    return list(rows)
