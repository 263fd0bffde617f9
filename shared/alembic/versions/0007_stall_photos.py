"""Stalls: a photo, stored through media storage like a product's.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stalls", sa.Column("image_url", sa.String(2048), nullable=True))
    op.add_column(
        "stalls", sa.Column("image_alt", sa.String(300), server_default="", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("stalls", "image_alt")
    op.drop_column("stalls", "image_url")
