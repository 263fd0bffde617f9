"""Events: all-day, links, image and tags; overridden occurrences; guest bookings
with a waiting list; idempotent ticket seats; private calendars and member feeds.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:25:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.add_column(
        "calendars", sa.Column("is_private", sa.Boolean, server_default="false", nullable=False)
    )
    op.add_column(
        "events", sa.Column("all_day", sa.Boolean, server_default="false", nullable=False)
    )
    op.add_column("events", sa.Column("map_url", sa.String(500), server_default="", nullable=False))
    op.add_column(
        "events", sa.Column("online_url", sa.String(500), server_default="", nullable=False)
    )
    op.add_column("events", sa.Column("image", sa.String(200), nullable=True))
    op.add_column(
        "events",
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.String(50)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
    )
    op.add_column(
        "events",
        sa.Column(
            "split_from_id",
            sa.Integer,
            sa.ForeignKey(
                "events.id", ondelete="SET NULL", name=op.f("fk_events_split_from_id_events")
            ),
            nullable=True,
        ),
    )
    op.create_table(
        "event_overrides",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey(
                "events.id", ondelete="CASCADE", name=op.f("fk_event_overrides_event_id_events")
            ),
            nullable=False,
        ),
        sa.Column("recurrence_id", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('cancelled', 'moved')", name=op.f("ck_event_overrides_kind")),
        sa.CheckConstraint(
            "kind = 'cancelled' OR (starts_at IS NOT NULL AND ends_at > starts_at)",
            name=op.f("ck_event_overrides_moved_has_times"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_overrides")),
        sa.UniqueConstraint(
            "event_id",
            "recurrence_id",
            name=op.f("uq_event_overrides_event_id_recurrence_id"),
        ),
    )

    op.drop_constraint(
        op.f("uq_bookings_event_id_user_id_occurrence_start"), "bookings", type_="unique"
    )
    op.drop_constraint(op.f("ck_bookings_status"), "bookings", type_="check")
    op.alter_column("bookings", "user_id", nullable=True)
    op.add_column(
        "bookings", sa.Column("guest_email", sa.String(320), server_default="", nullable=False)
    )
    op.add_column("bookings", sa.Column("name", sa.String(200), server_default="", nullable=False))
    op.add_column("bookings", sa.Column("token_hash", sa.String(64), nullable=True))
    # Bookings made before tokens existed get one nobody knows: their links
    # are new mails' business.
    op.execute("UPDATE bookings SET token_hash = md5(random()::text) || md5(random()::text)")
    op.alter_column("bookings", "token_hash", nullable=False)
    op.create_unique_constraint(op.f("uq_bookings_token_hash"), "bookings", ["token_hash"])
    op.create_check_constraint(
        op.f("ck_bookings_status"),
        "bookings",
        "status IN ('pending', 'confirmed', 'waiting', 'cancelled')",
    )
    op.create_check_constraint(
        op.f("ck_bookings_member_or_guest"), "bookings", "user_id IS NOT NULL OR guest_email <> ''"
    )
    op.create_index(
        "uq_bookings_member_occurrence",
        "bookings",
        ["event_id", "occurrence_start", "user_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled' AND user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_bookings_guest_occurrence",
        "bookings",
        ["event_id", "occurrence_start", "guest_email"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled' AND user_id IS NULL"),
    )
    op.create_index(
        "ix_bookings_occurrence", "bookings", ["event_id", "occurrence_start", "status"]
    )

    op.add_column("tickets", sa.Column("seat", sa.Integer, server_default="1", nullable=False))
    op.add_column(
        "tickets", sa.Column("holder_email", sa.String(320), server_default="", nullable=False)
    )
    op.create_unique_constraint(
        op.f("uq_tickets_order_line_id_seat"), "tickets", ["order_line_id", "seat"]
    )

    op.create_table(
        "event_feed_tokens",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(
                "users.id", ondelete="CASCADE", name=op.f("fk_event_feed_tokens_user_id_users")
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_feed_tokens")),
        sa.UniqueConstraint("user_id", name=op.f("uq_event_feed_tokens_user_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_event_feed_tokens_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("event_feed_tokens")
    op.drop_constraint(op.f("uq_tickets_order_line_id_seat"), "tickets", type_="unique")
    op.drop_column("tickets", "holder_email")
    op.drop_column("tickets", "seat")
    op.drop_index("ix_bookings_occurrence", "bookings")
    op.drop_index("uq_bookings_guest_occurrence", "bookings")
    op.drop_index("uq_bookings_member_occurrence", "bookings")
    op.drop_constraint(op.f("ck_bookings_member_or_guest"), "bookings", type_="check")
    op.drop_constraint(op.f("ck_bookings_status"), "bookings", type_="check")
    op.drop_constraint(op.f("uq_bookings_token_hash"), "bookings", type_="unique")
    op.execute("DELETE FROM bookings WHERE user_id IS NULL OR status <> 'confirmed'")
    op.drop_column("bookings", "token_hash")
    op.drop_column("bookings", "name")
    op.drop_column("bookings", "guest_email")
    op.alter_column("bookings", "user_id", nullable=False)
    op.create_check_constraint(
        op.f("ck_bookings_status"), "bookings", "status IN ('confirmed', 'cancelled')"
    )
    op.create_unique_constraint(
        op.f("uq_bookings_event_id_user_id_occurrence_start"),
        "bookings",
        ["event_id", "user_id", "occurrence_start"],
    )
    op.drop_table("event_overrides")
    op.drop_column("events", "split_from_id")
    op.drop_column("events", "tags")
    op.drop_column("events", "image")
    op.drop_column("events", "online_url")
    op.drop_column("events", "map_url")
    op.drop_column("events", "all_day")
    op.drop_column("calendars", "is_private")
