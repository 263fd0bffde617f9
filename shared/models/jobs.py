"""Durable jobs: the queue every domain enqueues into, and the periodic schedules.

A job is one unit of background work of a registered kind (`activitypub.deliver`,
`jobs.prune`, ...) with a JSON payload. Its life: `queued` → `running` (claimed
under a lease) → `succeeded`, or back to `failed` (due again after a backoff) and,
after its kind's last attempt, `dead`, which stays visible with its last error
until an operator retries it. See `shared.infrastructure.jobs`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, Timestamped

JOB_STATES = ("queued", "running", "failed", "succeeded", "dead")
# A key collapses duplicates only among jobs that may still run.
UNFINISHED_STATES = ("queued", "running", "failed")


class Job(Timestamped, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'failed', 'succeeded', 'dead')", name="state"
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        # Claiming scans due work by kind; a partial index keeps finished jobs out of it.
        Index(
            "ix_jobs_due",
            "run_at",
            postgresql_where=text("state IN ('queued', 'failed')"),
        ),
        Index(
            "ix_jobs_leased_until",
            "leased_until",
            postgresql_where=text("state = 'running'"),
        ),
        Index(
            "uq_jobs_key_unfinished",
            "key",
            unique=True,
            postgresql_where=text("key IS NOT NULL AND state IN ('queued', 'running', 'failed')"),
        ),
        Index("ix_jobs_state_finished_at", "state", "finished_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    state: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    key: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobSchedule(Base):
    """A periodic schedule's next tick: advanced under `FOR UPDATE SKIP LOCKED` by
    whichever worker gets there first, in the transaction that enqueues the tick's job."""

    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
