"""Create the domain model of all six apps (DESIGN.md section 5).

Revision ID: 0001
Revises:
Create Date: 2026-11-22 06:48:33.959783
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"], unique=False)
    op.create_table(
        "ghost_sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=30), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "stats", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ghost_sync_states")),
        sa.UniqueConstraint("resource", name=op.f("uq_ghost_sync_states_resource")),
    )
    op.create_table(
        "market_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("is_published", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_market_pages_slug")),
    )
    op.create_table(
        "navigation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("menu", sa.String(length=30), server_default="primary", nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_navigation_items")),
    )
    op.create_index(
        "ix_navigation_items_menu_position", "navigation_items", ["menu", "position"], unique=False
    )
    op.create_table(
        "newsletters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("sender_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("sender_email", sa.String(length=320), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletters")),
        sa.UniqueConstraint("slug", name=op.f("uq_newsletters_slug")),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("client_secret_hash", sa.Text(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "post_logout_redirect_uris",
            postgresql.ARRAY(sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("backchannel_logout_uri", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("is_first_party", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_clients_client_id")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=191), nullable=False),
        sa.Column("name", sa.String(length=191), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("ghost_id", sa.String(length=24), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("ghost_id", name=op.f("uq_tags_ghost_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_tags_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=30), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "username ~ '^[A-Za-z0-9_]{1,30}$'", name=op.f("ck_users_username_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(
        "uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_index(
        "uq_users_username_lower", "users", [sa.literal_column("lower(username)")], unique=True
    )
    op.create_table(
        "ap_actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ap_id", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=30), server_default="Person", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("app_name", sa.String(length=20), nullable=True),
        sa.Column("preferred_username", sa.String(length=100), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("icon_url", sa.String(length=2048), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("inbox_url", sa.String(length=2048), nullable=True),
        sa.Column("shared_inbox_url", sa.String(length=2048), nullable=True),
        sa.Column("outbox_url", sa.String(length=2048), nullable=True),
        sa.Column("followers_url", sa.String(length=2048), nullable=True),
        sa.Column("following_url", sa.String(length=2048), nullable=True),
        sa.Column("key_id", sa.String(length=2048), nullable=True),
        sa.Column("public_key_pem", sa.Text(), nullable=True),
        sa.Column("private_key_pem", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('app', 'member', 'remote')", name=op.f("ck_ap_actors_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ap_actors_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_actors")),
        sa.UniqueConstraint("ap_id", name=op.f("uq_ap_actors_ap_id")),
        sa.UniqueConstraint("app_name", name=op.f("uq_ap_actors_app_name")),
        sa.UniqueConstraint("key_id", name=op.f("uq_ap_actors_key_id")),
        sa.UniqueConstraint(
            "preferred_username", "domain", name=op.f("uq_ap_actors_preferred_username_domain")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_ap_actors_user_id")),
    )
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=191), nullable=False),
        sa.Column("name", sa.String(length=191), nullable=False),
        sa.Column("bio", sa.Text(), server_default="", nullable=False),
        sa.Column("profile_image", sa.String(length=2048), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("ghost_id", sa.String(length=24), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_authors_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("ghost_id", name=op.f("uq_authors_ghost_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_authors_slug")),
        sa.UniqueConstraint("user_id", name=op.f("uq_authors_user_id")),
    )
    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "time_zone", sa.String(length=64), server_default="Europe/London", nullable=False
        ),
        sa.Column("container_type", sa.String(length=20), nullable=True),
        sa.Column("container_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "container_type IS NULL OR container_type IN ('post', 'stall', 'market_page')",
            name=op.f("ck_calendars_container_type"),
        ),
        sa.CheckConstraint(
            "(container_type IS NULL) = (container_id IS NULL)",
            name=op.f("ck_calendars_container_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_calendars_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
        sa.UniqueConstraint("slug", name=op.f("uq_calendars_slug")),
    )
    op.create_index(
        "ix_calendars_container", "calendars", ["container_type", "container_id"], unique=False
    )
    op.create_index(op.f("ix_calendars_owner_id"), "calendars", ["owner_id"], unique=False)
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("anon_token", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR anon_token IS NOT NULL", name=op.f("ck_carts_has_owner")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_carts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("anon_token", name=op.f("uq_carts_anon_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_carts_user_id")),
    )
    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newsletter_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=128), nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed')",
            name=op.f("ck_newsletter_subscriptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["newsletter_id"],
            ["newsletters.id"],
            name=op.f("fk_newsletter_subscriptions_newsletter_id_newsletters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_newsletter_subscriptions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
        sa.UniqueConstraint(
            "confirm_token_hash", name=op.f("uq_newsletter_subscriptions_confirm_token_hash")
        ),
        sa.UniqueConstraint(
            "unsubscribe_token", name=op.f("uq_newsletter_subscriptions_unsubscribe_token")
        ),
    )
    op.create_index(
        op.f("ix_newsletter_subscriptions_user_id"),
        "newsletter_subscriptions",
        ["user_id"],
        unique=False,
    )
    op.create_index(
        "uq_newsletter_subscriptions_newsletter_email_lower",
        "newsletter_subscriptions",
        ["newsletter_id", sa.literal_column("lower(email)")],
        unique=True,
    )
    op.create_table(
        "oauth_authorization_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.id"],
            name=op.f("fk_oauth_authorization_codes_client_id_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_authorization_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_authorization_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oauth_authorization_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_oauth_authorization_codes_user_id"),
        "oauth_authorization_codes",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "oauth_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.id"],
            name=op.f("fk_oauth_consents_client_id_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_consents_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_consents")),
        sa.UniqueConstraint(
            "user_id", "client_id", name=op.f("uq_oauth_consents_user_id_client_id")
        ),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_orders_currency_code")),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'fulfilled', 'cancelled', 'refunded')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(op.f("ix_orders_user_id"), "orders", ["user_id"], unique=False)
    op.create_table(
        "stalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_stalls_owner_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stalls")),
        sa.UniqueConstraint("slug", name=op.f("uq_stalls_slug")),
    )
    op.create_index(op.f("ix_stalls_owner_id"), "stalls", ["owner_id"], unique=False)
    op.create_table(
        "ap_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ap_id", sa.String(length=2048), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("object_ap_id", sa.String(length=2048), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "direction IN ('outbound', 'inbound')", name=op.f("ck_ap_activities_direction")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'done', 'failed')",
            name=op.f("ck_ap_activities_status"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_activities_actor_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_activities_recipient_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_activities")),
    )
    op.create_index(op.f("ix_ap_activities_actor_id"), "ap_activities", ["actor_id"], unique=False)
    op.create_index(
        "ix_ap_activities_direction_status_id",
        "ap_activities",
        ["direction", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ap_activities_object_ap_id"), "ap_activities", ["object_ap_id"], unique=False
    )
    op.create_index(
        "uq_ap_activities_ap_id_direction_recipient",
        "ap_activities",
        ["ap_id", "direction", sa.literal_column("coalesce(recipient_id, 0)")],
        unique=True,
    )
    op.create_table(
        "ap_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("following_id", sa.Integer(), nullable=False),
        sa.Column("follow_activity_id", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')", name=op.f("ck_ap_follows_status")
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_follows_follower_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["following_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_follows_following_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_follows")),
        sa.UniqueConstraint(
            "follower_id", "following_id", name=op.f("uq_ap_follows_follower_id_following_id")
        ),
    )
    op.create_index(
        op.f("ix_ap_follows_following_id"), "ap_follows", ["following_id"], unique=False
    )
    op.create_table(
        "ap_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ap_id", sa.String(length=2048), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("is_local", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("visibility", sa.String(length=20), server_default="public", nullable=False),
        sa.Column("content_html", sa.Text(), server_default="", nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("in_reply_to", sa.String(length=2048), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_objects_actor_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_objects")),
        sa.UniqueConstraint("ap_id", name=op.f("uq_ap_objects_ap_id")),
    )
    op.create_index(op.f("ix_ap_objects_actor_id"), "ap_objects", ["actor_id"], unique=False)
    op.create_index(op.f("ix_ap_objects_in_reply_to"), "ap_objects", ["in_reply_to"], unique=False)
    op.create_index(
        "ix_ap_objects_local_published", "ap_objects", ["is_local", "published_at"], unique=False
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=150), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "time_zone", sa.String(length=64), server_default="Europe/London", nullable=False
        ),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=300), server_default="", nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'cancelled')", name=op.f("ck_events_status")
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity >= 0", name=op.f("ck_events_capacity_not_negative")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_events_calendar_id_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("calendar_id", "slug", name=op.f("uq_events_calendar_id_slug")),
    )
    op.create_index("ix_events_status_starts_at", "events", ["status", "starts_at"], unique=False)
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=128), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=128), nullable=True),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("authorization_code_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["authorization_code_id"],
            ["oauth_authorization_codes.id"],
            name=op.f("fk_oauth_tokens_authorization_code_id_oauth_authorization_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.id"],
            name=op.f("fk_oauth_tokens_client_id_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oauth_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_tokens")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_oauth_tokens_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oauth_tokens_refresh_token_hash")),
    )
    op.create_index(
        op.f("ix_oauth_tokens_authorization_code_id"),
        "oauth_tokens",
        ["authorization_code_id"],
        unique=False,
    )
    op.create_index(op.f("ix_oauth_tokens_family_id"), "oauth_tokens", ["family_id"], unique=False)
    op.create_index(
        op.f("ix_oauth_tokens_session_id"), "oauth_tokens", ["session_id"], unique=False
    )
    op.create_index(op.f("ix_oauth_tokens_user_id"), "oauth_tokens", ["user_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), server_default="sumup", nullable=False),
        sa.Column("checkout_id", sa.String(length=100), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_payments_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("checkout_id", name=op.f("uq_payments_checkout_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"], unique=False)
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=10), server_default="post", nullable=False),
        sa.Column("slug", sa.String(length=191), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("excerpt", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("visibility", sa.String(length=20), server_default="public", nullable=False),
        sa.Column("feature_image", sa.String(length=2048), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ghost_id", sa.String(length=24), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL",
            name=op.f("ck_posts_published_at_when_not_draft"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'published')", name=op.f("ck_posts_status")
        ),
        sa.CheckConstraint("type IN ('post', 'page')", name=op.f("ck_posts_type")),
        sa.CheckConstraint(
            "visibility IN ('public', 'members', 'paid')", name=op.f("ck_posts_visibility")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_posts_author_id_authors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("ghost_id", name=op.f("uq_posts_ghost_id")),
        sa.UniqueConstraint("type", "slug", name=op.f("uq_posts_type_slug")),
        sa.UniqueConstraint("uuid", name=op.f("uq_posts_uuid")),
    )
    op.create_index(op.f("ix_posts_author_id"), "posts", ["author_id"], unique=False)
    op.create_index(
        "ix_posts_status_published_at", "posts", ["status", "published_at"], unique=False
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stall_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=150), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="GBP", nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("scraped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_products_currency_code")),
        sa.CheckConstraint(
            "status IN ('draft', 'listed', 'archived')", name=op.f("ck_products_status")
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_products_price_not_negative")),
        sa.CheckConstraint(
            "stock IS NULL OR stock >= 0", name=op.f("ck_products_stock_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_products_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stall_id"],
            ["stalls.id"],
            name=op.f("fk_products_stall_id_stalls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("stall_id", "slug", name=op.f("uq_products_stall_id_slug")),
    )
    op.create_index(op.f("ix_products_category_id"), "products", ["category_id"], unique=False)
    op.create_index(
        "ix_products_status_created_at", "products", ["status", "created_at"], unique=False
    )
    op.create_table(
        "ap_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("inbox_url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'delivered', 'failed', 'dead')",
            name=op.f("ck_ap_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["ap_activities.id"],
            name=op.f("fk_ap_deliveries_activity_id_ap_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_deliveries")),
        sa.UniqueConstraint(
            "activity_id", "inbox_url", name=op.f("uq_ap_deliveries_activity_id_inbox_url")
        ),
    )
    op.create_index(
        "ix_ap_deliveries_status_next_attempt_at",
        "ap_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "ap_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_notifications_actor_id_ap_actors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["ap_objects.id"],
            name=op.f("fk_ap_notifications_object_id_ap_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ap_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_notifications")),
    )
    op.create_index(
        "ix_ap_notifications_user_read", "ap_notifications", ["user_id", "read_at"], unique=False
    )
    op.create_table(
        "ap_timeline_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("boosted_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["boosted_by_id"],
            ["ap_actors.id"],
            name=op.f("fk_ap_timeline_entries_boosted_by_id_ap_actors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["ap_objects.id"],
            name=op.f("fk_ap_timeline_entries_object_id_ap_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ap_timeline_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_timeline_entries")),
        sa.UniqueConstraint(
            "user_id", "object_id", name=op.f("uq_ap_timeline_entries_user_id_object_id")
        ),
    )
    op.create_index(
        "ix_ap_timeline_entries_user_created",
        "ap_timeline_entries",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seats", sa.Integer(), server_default="1", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="confirmed", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("status IN ('confirmed', 'cancelled')", name=op.f("ck_bookings_status")),
        sa.CheckConstraint("seats > 0", name=op.f("ck_bookings_seats_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_bookings_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint(
            "event_id",
            "user_id",
            "occurrence_start",
            name=op.f("uq_bookings_event_id_user_id_occurrence_start"),
        ),
    )
    op.create_index(op.f("ix_bookings_event_id"), "bookings", ["event_id"], unique=False)
    op.create_index(op.f("ix_bookings_user_id"), "bookings", ["user_id"], unique=False)
    op.create_table(
        "newsletter_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newsletter_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("recipient_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')",
            name=op.f("ck_newsletter_sends_status"),
        ),
        sa.ForeignKeyConstraint(
            ["newsletter_id"],
            ["newsletters.id"],
            name=op.f("fk_newsletter_sends_newsletter_id_newsletters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_newsletter_sends_post_id_posts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_sends")),
    )
    op.create_index(
        op.f("ix_newsletter_sends_newsletter_id"),
        "newsletter_sends",
        ["newsletter_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_newsletter_sends_post_id"), "newsletter_sends", ["post_id"], unique=False
    )
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_events_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
    )
    op.create_index(
        op.f("ix_payment_events_payment_id"), "payment_events", ["payment_id"], unique=False
    )
    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_tags_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_post_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "tag_id", name=op.f("pk_post_tags")),
    )
    op.create_index(op.f("ix_post_tags_tag_id"), "post_tags", ["tag_id"], unique=False)
    op.create_table(
        "product_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("alt", sa.String(length=300), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_images_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
    )
    op.create_index(
        "ix_product_images_product_position",
        "product_images",
        ["product_id", "position"],
        unique=False,
    )
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="GBP", nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("sales_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sales_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_ticket_types_currency_code")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_ticket_types_price_not_negative")),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity >= 0", name=op.f("ck_ticket_types_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_ticket_types_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
    )
    op.create_index(op.f("ix_ticket_types_event_id"), "ticket_types", ["event_id"], unique=False)
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("ticket_type_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(product_id IS NULL) <> (ticket_type_id IS NULL)",
            name=op.f("ck_cart_lines_one_kind_of_item"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_cart_lines_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"],
            ["ticket_types.id"],
            name=op.f("fk_cart_lines_ticket_type_id_ticket_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
    )
    op.create_index(op.f("ix_cart_lines_product_id"), "cart_lines", ["product_id"], unique=False)
    op.create_index(
        op.f("ix_cart_lines_ticket_type_id"), "cart_lines", ["ticket_type_id"], unique=False
    )
    op.create_index(
        "uq_cart_lines_cart_product",
        "cart_lines",
        ["cart_id", "product_id"],
        unique=True,
        postgresql_where="product_id IS NOT NULL",
    )
    op.create_index(
        "uq_cart_lines_cart_ticket_type",
        "cart_lines",
        ["cart_id", "ticket_type_id"],
        unique=True,
        postgresql_where="ticket_type_id IS NOT NULL",
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("ticket_type_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_order_lines_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_order_lines_product_id_products"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"],
            ["ticket_types.id"],
            name=op.f("fk_order_lines_ticket_type_id_ticket_types"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"], unique=False)
    op.create_index(op.f("ix_order_lines_product_id"), "order_lines", ["product_id"], unique=False)
    op.create_index(
        op.f("ix_order_lines_ticket_type_id"), "order_lines", ["ticket_type_id"], unique=False
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("ticket_type_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("occurrence_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="valid", nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('valid', 'void', 'checked_in')", name=op.f("ck_tickets_status")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["users.id"],
            name=op.f("fk_tickets_holder_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_tickets_order_line_id_order_lines"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"],
            ["ticket_types.id"],
            name=op.f("fk_tickets_ticket_type_id_ticket_types"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("code", name=op.f("uq_tickets_code")),
    )
    op.create_index(op.f("ix_tickets_holder_id"), "tickets", ["holder_id"], unique=False)
    op.create_index(op.f("ix_tickets_order_line_id"), "tickets", ["order_line_id"], unique=False)
    op.create_index(op.f("ix_tickets_ticket_type_id"), "tickets", ["ticket_type_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_ticket_type_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_order_line_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_holder_id"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(op.f("ix_order_lines_ticket_type_id"), table_name="order_lines")
    op.drop_index(op.f("ix_order_lines_product_id"), table_name="order_lines")
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_index(
        "uq_cart_lines_cart_ticket_type",
        table_name="cart_lines",
        postgresql_where="ticket_type_id IS NOT NULL",
    )
    op.drop_index(
        "uq_cart_lines_cart_product",
        table_name="cart_lines",
        postgresql_where="product_id IS NOT NULL",
    )
    op.drop_index(op.f("ix_cart_lines_ticket_type_id"), table_name="cart_lines")
    op.drop_index(op.f("ix_cart_lines_product_id"), table_name="cart_lines")
    op.drop_table("cart_lines")
    op.drop_index(op.f("ix_ticket_types_event_id"), table_name="ticket_types")
    op.drop_table("ticket_types")
    op.drop_index("ix_product_images_product_position", table_name="product_images")
    op.drop_table("product_images")
    op.drop_index(op.f("ix_post_tags_tag_id"), table_name="post_tags")
    op.drop_table("post_tags")
    op.drop_index(op.f("ix_payment_events_payment_id"), table_name="payment_events")
    op.drop_table("payment_events")
    op.drop_index(op.f("ix_newsletter_sends_post_id"), table_name="newsletter_sends")
    op.drop_index(op.f("ix_newsletter_sends_newsletter_id"), table_name="newsletter_sends")
    op.drop_table("newsletter_sends")
    op.drop_index(op.f("ix_bookings_user_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_event_id"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_ap_timeline_entries_user_created", table_name="ap_timeline_entries")
    op.drop_table("ap_timeline_entries")
    op.drop_index("ix_ap_notifications_user_read", table_name="ap_notifications")
    op.drop_table("ap_notifications")
    op.drop_index("ix_ap_deliveries_status_next_attempt_at", table_name="ap_deliveries")
    op.drop_table("ap_deliveries")
    op.drop_index("ix_products_status_created_at", table_name="products")
    op.drop_index(op.f("ix_products_category_id"), table_name="products")
    op.drop_table("products")
    op.drop_index("ix_posts_status_published_at", table_name="posts")
    op.drop_index(op.f("ix_posts_author_id"), table_name="posts")
    op.drop_table("posts")
    op.drop_index(op.f("ix_payments_order_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_oauth_tokens_user_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_session_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_family_id"), table_name="oauth_tokens")
    op.drop_index(op.f("ix_oauth_tokens_authorization_code_id"), table_name="oauth_tokens")
    op.drop_table("oauth_tokens")
    op.drop_index("ix_events_status_starts_at", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_ap_objects_local_published", table_name="ap_objects")
    op.drop_index(op.f("ix_ap_objects_in_reply_to"), table_name="ap_objects")
    op.drop_index(op.f("ix_ap_objects_actor_id"), table_name="ap_objects")
    op.drop_table("ap_objects")
    op.drop_index(op.f("ix_ap_follows_following_id"), table_name="ap_follows")
    op.drop_table("ap_follows")
    op.drop_index("uq_ap_activities_ap_id_direction_recipient", table_name="ap_activities")
    op.drop_index(op.f("ix_ap_activities_object_ap_id"), table_name="ap_activities")
    op.drop_index("ix_ap_activities_direction_status_id", table_name="ap_activities")
    op.drop_index(op.f("ix_ap_activities_actor_id"), table_name="ap_activities")
    op.drop_table("ap_activities")
    op.drop_index(op.f("ix_stalls_owner_id"), table_name="stalls")
    op.drop_table("stalls")
    op.drop_index(op.f("ix_orders_user_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_table("oauth_consents")
    op.drop_index(
        op.f("ix_oauth_authorization_codes_user_id"), table_name="oauth_authorization_codes"
    )
    op.drop_table("oauth_authorization_codes")
    op.drop_index(
        "uq_newsletter_subscriptions_newsletter_email_lower", table_name="newsletter_subscriptions"
    )
    op.drop_index(
        op.f("ix_newsletter_subscriptions_user_id"), table_name="newsletter_subscriptions"
    )
    op.drop_table("newsletter_subscriptions")
    op.drop_table("carts")
    op.drop_index(op.f("ix_calendars_owner_id"), table_name="calendars")
    op.drop_index("ix_calendars_container", table_name="calendars")
    op.drop_table("calendars")
    op.drop_table("authors")
    op.drop_table("ap_actors")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
    op.drop_table("tags")
    op.drop_table("oauth_clients")
    op.drop_table("newsletters")
    op.drop_index("ix_navigation_items_menu_position", table_name="navigation_items")
    op.drop_table("navigation_items")
    op.drop_table("market_pages")
    op.drop_table("ghost_sync_states")
    op.drop_index(op.f("ix_categories_parent_id"), table_name="categories")
    op.drop_table("categories")
