"""Identity: an email change waits for a link mailed to the new address.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 19:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURPOSES_BEFORE = "purpose IN ('password_reset', 'email_verification', 'magic_link')"
_PURPOSES_AFTER = (
    "purpose IN ('password_reset', 'email_verification', 'magic_link', 'email_change')"
)


def _purposes(condition: str) -> None:
    op.drop_constraint(op.f("ck_account_tokens_purpose_known"), "account_tokens", type_="check")
    op.create_check_constraint(op.f("ck_account_tokens_purpose_known"), "account_tokens", condition)


def upgrade() -> None:
    op.add_column("account_tokens", sa.Column("new_email", sa.String(320), nullable=True))
    _purposes(_PURPOSES_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM account_tokens WHERE purpose = 'email_change'")
    _purposes(_PURPOSES_BEFORE)
    op.drop_column("account_tokens", "new_email")
