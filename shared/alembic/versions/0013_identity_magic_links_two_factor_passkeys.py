"""Identity: sign-in links by mail, authenticator apps with recovery codes, passkeys.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURPOSES_BEFORE = "purpose IN ('password_reset', 'email_verification')"
_PURPOSES_AFTER = "purpose IN ('password_reset', 'email_verification', 'magic_link')"


def _purposes(condition: str) -> None:
    op.drop_constraint(op.f("ck_account_tokens_purpose_known"), "account_tokens", type_="check")
    op.create_check_constraint(op.f("ck_account_tokens_purpose_known"), "account_tokens", condition)


def upgrade() -> None:
    _purposes(_PURPOSES_AFTER)
    op.create_table(
        "member_totps",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_totps_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_member_totps")),
    )
    op.create_table(
        "member_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_member_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_member_recovery_codes_user_id"), "member_recovery_codes", ["user_id"])
    op.create_table(
        "member_passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_member_passkeys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_member_passkeys_credential_id")),
    )
    op.create_index(op.f("ix_member_passkeys_user_id"), "member_passkeys", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_member_passkeys_user_id"), table_name="member_passkeys")
    op.drop_table("member_passkeys")
    op.drop_index(op.f("ix_member_recovery_codes_user_id"), table_name="member_recovery_codes")
    op.drop_table("member_recovery_codes")
    op.drop_table("member_totps")
    op.execute("DELETE FROM account_tokens WHERE purpose = 'magic_link'")
    _purposes(_PURPOSES_BEFORE)
