"""Members: `sessions_valid_after`, the epoch before which no session of theirs counts.

A password reset sets it (in the same transaction as the new password), and
every app checks its sessions against it, so a reset ends every session even
when a back-channel logout never arrives.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("users", "sessions_valid_after")
