"""ActivityPub: an inbound activity is deduplicated per actor as well as id and recipient.

With the id alone, an activity of one actor could pre-empt another's that
claims the same id (say `...#delete`), so the real one was dropped as a
redelivery. The inbox also refuses ids off the actor's host now.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_ap_activities_ap_id_direction_recipient"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="ap_activities")
    op.create_index(
        INDEX,
        "ap_activities",
        ["ap_id", "direction", sa.text("coalesce(recipient_id, 0)"), "actor_id"],
        unique=True,
    )


def downgrade() -> None:
    # Rows that differ only by actor would collide: keep the oldest of each.
    op.execute(
        "DELETE FROM ap_activities a USING ap_activities b "
        "WHERE a.ap_id = b.ap_id AND a.direction = b.direction "
        "AND coalesce(a.recipient_id, 0) = coalesce(b.recipient_id, 0) AND a.id > b.id"
    )
    op.drop_index(INDEX, table_name="ap_activities")
    op.create_index(
        INDEX,
        "ap_activities",
        ["ap_id", "direction", sa.text("coalesce(recipient_id, 0)")],
        unique=True,
    )
