"""Ghost sync: each imported post keeps Ghost's updated_at (a webhook never takes a post
back in time) and whether staff detached it (sync leaves it alone), and each sync run is
recorded (when, what it changed, what went wrong) for the admin page.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("ghost_updated_at", sa.DateTime(timezone=True)))
    op.add_column(
        "posts",
        sa.Column("ghost_detached", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "ghost_sync_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column(
            "errors", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
    )
    op.create_index(op.f("ix_ghost_sync_runs_started_at"), "ghost_sync_runs", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ghost_sync_runs_started_at"), table_name="ghost_sync_runs")
    op.drop_table("ghost_sync_runs")
    op.drop_column("posts", "ghost_detached")
    op.drop_column("posts", "ghost_updated_at")
