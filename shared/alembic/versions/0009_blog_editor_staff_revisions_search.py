"""Blog: the editor's documents, staff roles, several authors, revisions, full-text search.

Posts keep the editor's JSON beside the rendered HTML, their body as plain text
and a stored `tsvector` over title (A), excerpt (B) and body (C) with a GIN
index, so search reads the index, not every row. Existing bylines become the
first entry of `post_authors`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(excerpt, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(plaintext, '')), 'C')"
)


def upgrade() -> None:
    op.add_column("posts", sa.Column("doc", postgresql.JSONB(), nullable=True))
    op.add_column("posts", sa.Column("plaintext", sa.Text(), server_default="", nullable=False))
    op.add_column(
        "posts", sa.Column("featured", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("posts", sa.Column("created_by_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_posts_created_by_id_users"),
        "posts",
        "users",
        ["created_by_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_posts_created_by_id"), "posts", ["created_by_id"], unique=False)
    # Existing bodies' words, so search finds posts written before this revision.
    op.execute(
        "UPDATE posts SET plaintext = regexp_replace(html, '<[^>]*>', ' ', 'g') WHERE html <> ''"
    )
    op.add_column(
        "posts",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(SEARCH_VECTOR, persisted=True),
            nullable=True,
        ),
    )
    op.create_index("ix_posts_search_vector", "posts", ["search_vector"], postgresql_using="gin")

    op.create_table(
        "post_authors",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_post_authors_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_authors_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "author_id", name=op.f("pk_post_authors")),
    )
    op.create_index(op.f("ix_post_authors_author_id"), "post_authors", ["author_id"], unique=False)
    op.execute(
        "INSERT INTO post_authors (post_id, author_id, position) "
        "SELECT id, author_id, 0 FROM posts WHERE author_id IS NOT NULL"
    )

    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("doc", postgresql.JSONB(), nullable=True),
        sa.Column("html", sa.Text(), server_default="", nullable=False),
        sa.Column("excerpt", sa.Text(), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=30), server_default="save", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_post_revisions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_revisions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_revisions")),
    )
    op.create_index(
        "ix_post_revisions_post_id_id", "post_revisions", ["post_id", "id"], unique=False
    )

    op.create_table(
        "blog_staff",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "role IN ('administrator', 'editor', 'author', 'contributor')",
            name=op.f("ck_blog_staff_role"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_blog_staff_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_blog_staff")),
    )


def downgrade() -> None:
    op.drop_table("blog_staff")
    op.drop_index("ix_post_revisions_post_id_id", table_name="post_revisions")
    op.drop_table("post_revisions")
    op.drop_index(op.f("ix_post_authors_author_id"), table_name="post_authors")
    op.drop_table("post_authors")
    op.drop_index("ix_posts_search_vector", table_name="posts")
    op.drop_column("posts", "search_vector")
    op.drop_index(op.f("ix_posts_created_by_id"), table_name="posts")
    op.drop_constraint(op.f("fk_posts_created_by_id_users"), "posts", type_="foreignkey")
    op.drop_column("posts", "created_by_id")
    op.drop_column("posts", "featured")
    op.drop_column("posts", "plaintext")
    op.drop_column("posts", "doc")
