"""The social hub: statuses with images, language and hashtags; favourites and boosts;
mutes, blocks, domain blocks and reports; follow approval; unavailable hosts.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(
        f"{target}.id", ondelete="CASCADE", name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.add_column(
        "ap_actors",
        sa.Column(
            "manually_approves_followers", sa.Boolean, server_default="false", nullable=False
        ),
    )
    op.add_column("ap_objects", sa.Column("language", sa.String(16), nullable=True))
    op.add_column(
        "ap_objects",
        sa.Column(
            "attachments",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )
    op.add_column("ap_objects", sa.Column("source", sa.Text, nullable=True))
    op.add_column("ap_inbox_states", sa.Column("failing_since", TS, nullable=True))
    op.create_index("ix_ap_timeline_entries_user_id_id", "ap_timeline_entries", ["user_id", "id"])
    op.create_table(
        "ap_object_tags",
        sa.Column("object_id", sa.Integer, _fk("ap_object_tags", "object_id", "ap_objects")),
        sa.Column("tag", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("object_id", "tag", name=op.f("pk_ap_object_tags")),
    )
    op.create_index("ix_ap_object_tags_tag_object_id", "ap_object_tags", ["tag", "object_id"])
    op.create_table(
        "ap_reactions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column(
            "actor_id", sa.Integer, _fk("ap_reactions", "actor_id", "ap_actors"), nullable=False
        ),
        sa.Column(
            "object_id",
            sa.Integer,
            _fk("ap_reactions", "object_id", "ap_objects"),
            nullable=False,
        ),
        sa.Column("activity_ap_id", sa.String(2048), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('like', 'announce')", name=op.f("ck_ap_reactions_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_reactions")),
        sa.UniqueConstraint(
            "kind", "actor_id", "object_id", name=op.f("uq_ap_reactions_kind_actor_id_object_id")
        ),
    )
    op.create_index("ix_ap_reactions_object_id_kind", "ap_reactions", ["object_id", "kind"])
    op.create_table(
        "ap_account_blocks",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "user_id", sa.Integer, _fk("ap_account_blocks", "user_id", "users"), nullable=False
        ),
        sa.Column(
            "actor_id",
            sa.Integer,
            _fk("ap_account_blocks", "actor_id", "ap_actors"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('mute', 'block')", name=op.f("ck_ap_account_blocks_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_account_blocks")),
        sa.UniqueConstraint(
            "user_id", "actor_id", "kind", name=op.f("uq_ap_account_blocks_user_id_actor_id_kind")
        ),
    )
    op.create_table(
        "ap_domain_blocks",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, server_default="", nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_domain_blocks")),
        sa.UniqueConstraint("domain", name=op.f("uq_ap_domain_blocks_domain")),
    )
    op.create_table(
        "ap_reports",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "reporter_id", sa.Integer, _fk("ap_reports", "reporter_id", "users"), nullable=False
        ),
        sa.Column(
            "actor_id", sa.Integer, _fk("ap_reports", "actor_id", "ap_actors"), nullable=False
        ),
        sa.Column(
            "object_ap_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("comment", sa.Text, server_default="", nullable=False),
        sa.Column("activity_ap_id", sa.String(2048), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_reports")),
    )
    op.create_table(
        "ap_unavailable_hosts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_unavailable_hosts")),
        sa.UniqueConstraint("host", name=op.f("uq_ap_unavailable_hosts_host")),
    )


def downgrade() -> None:
    op.drop_table("ap_unavailable_hosts")
    op.drop_table("ap_reports")
    op.drop_table("ap_domain_blocks")
    op.drop_table("ap_account_blocks")
    op.drop_index("ix_ap_reactions_object_id_kind", table_name="ap_reactions")
    op.drop_table("ap_reactions")
    op.drop_index("ix_ap_object_tags_tag_object_id", table_name="ap_object_tags")
    op.drop_table("ap_object_tags")
    op.drop_index("ix_ap_timeline_entries_user_id_id", table_name="ap_timeline_entries")
    op.drop_column("ap_inbox_states", "failing_since")
    op.drop_column("ap_objects", "source")
    op.drop_column("ap_objects", "attachments")
    op.drop_column("ap_objects", "language")
    op.drop_column("ap_actors", "manually_approves_followers")
