"""Publish and send: a post remembers the newsletter it is emailed to when it goes live
(as Ghost does), and a post reaches one newsletter at most once.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "posts",
        sa.Column(
            "newsletter_id",
            sa.Integer,
            sa.ForeignKey(
                "newsletters.id",
                ondelete="SET NULL",
                name=op.f("fk_posts_newsletter_id_newsletters"),
            ),
            nullable=True,
        ),
    )
    op.create_index(
        "uq_newsletter_sends_newsletter_id_post_id",
        "newsletter_sends",
        ["newsletter_id", "post_id"],
        unique=True,
        postgresql_where=sa.text("post_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_newsletter_sends_newsletter_id_post_id", table_name="newsletter_sends")
    op.drop_column("posts", "newsletter_id")
