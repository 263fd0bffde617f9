"""Newsletters: reply-to and sign-up subscription, issues with bodies, one delivery row
per recipient (the state that lets a crashed send resume without a second copy), and
the suppression list of addresses whose mail bounced hard.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.add_column("newsletters", sa.Column("reply_to", sa.String(320), nullable=True))
    op.add_column(
        "newsletters",
        sa.Column("subscribe_on_signup", sa.Boolean, server_default="false", nullable=False),
    )
    op.add_column(
        "newsletter_sends", sa.Column("body_html", sa.Text, server_default="", nullable=False)
    )
    op.add_column(
        "newsletter_sends", sa.Column("body_text", sa.Text, server_default="", nullable=False)
    )
    op.create_table(
        "newsletter_deliveries",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column(
            "send_id",
            sa.Integer,
            sa.ForeignKey(
                "newsletter_sends.id",
                ondelete="CASCADE",
                name=op.f("fk_newsletter_deliveries_send_id_newsletter_sends"),
            ),
            nullable=False,
        ),
        sa.Column(
            "subscription_id",
            sa.Integer,
            sa.ForeignKey(
                "newsletter_subscriptions.id",
                ondelete="CASCADE",
                name=op.f("fk_newsletter_deliveries_subscription_id_newsletter_subscriptions"),
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer, server_default="0", nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed')", name=op.f("ck_newsletter_deliveries_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_deliveries")),
        sa.UniqueConstraint(
            "send_id",
            "subscription_id",
            name=op.f("uq_newsletter_deliveries_send_id_subscription_id"),
        ),
    )
    op.create_index(
        "ix_newsletter_deliveries_send_id_status", "newsletter_deliveries", ["send_id", "status"]
    )
    op.create_index(
        "ix_newsletter_deliveries_subscription_id", "newsletter_deliveries", ["subscription_id"]
    )
    op.create_table(
        "email_suppressions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("reason", sa.Text, server_default="", nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_suppressions")),
    )
    op.create_index(
        "uq_email_suppressions_email_lower",
        "email_suppressions",
        [sa.text("lower(email)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_email_suppressions_email_lower", table_name="email_suppressions")
    op.drop_table("email_suppressions")
    op.drop_index("ix_newsletter_deliveries_subscription_id", table_name="newsletter_deliveries")
    op.drop_index("ix_newsletter_deliveries_send_id_status", table_name="newsletter_deliveries")
    op.drop_table("newsletter_deliveries")
    op.drop_column("newsletter_sends", "body_text")
    op.drop_column("newsletter_sends", "body_html")
    op.drop_column("newsletters", "subscribe_on_signup")
    op.drop_column("newsletters", "reply_to")
