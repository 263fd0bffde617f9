"""Market: stall applications and helpers, sold-out products, full-text search, market pages.

* stalls gain a status (pending -> approved / rejected; existing stalls are
  approved), a story, a location and pickup details; helpers a stall's owner adds;
* products: `stock` goes (variants carry it); `price_minor` stays as the lowest
  variant price ("from"), and a trigger on product_variants keeps it and moves a
  listed product to sold_out when every variant's tracked stock is zero (and back);
* products.search: a generated tsvector of title and description, GIN-indexed;
* market pages choose stalls and products.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
)

# Listed <-> sold out and the "from" price follow the variants, whoever changes them
# (the owner's form, a CSV import, an order taking the last jar).
REFRESH_FUNCTION = """
CREATE FUNCTION market_refresh_product() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer;
    sold_out boolean;
    lowest integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        target := OLD.product_id;
    ELSE
        target := NEW.product_id;
    END IF;
    SELECT bool_and(NOT made_to_order AND stock IS NOT NULL AND stock = 0), min(price_minor)
      INTO sold_out, lowest
      FROM product_variants WHERE product_id = target;
    UPDATE products SET
        price_minor = coalesce(lowest, price_minor),
        status = CASE
            WHEN status = 'listed' AND coalesce(sold_out, false) THEN 'sold_out'
            WHEN status = 'sold_out' AND NOT coalesce(sold_out, false) THEN 'listed'
            ELSE status
        END
      WHERE id = target;
    RETURN NULL;
END;
$$
"""

PRODUCT_STATUS_FUNCTION = """
CREATE FUNCTION market_product_listed_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'listed' AND EXISTS (SELECT 1 FROM product_variants WHERE product_id = NEW.id)
       AND NOT EXISTS (
           SELECT 1 FROM product_variants
            WHERE product_id = NEW.id
              AND (made_to_order OR stock IS NULL OR stock > 0)
       ) THEN
        NEW.status := 'sold_out';
    END IF;
    RETURN NEW;
END;
$$
"""


def upgrade() -> None:
    op.add_column(
        "stalls", sa.Column("status", sa.String(20), server_default="pending", nullable=False)
    )
    op.execute("UPDATE stalls SET status = 'approved'")
    op.add_column("stalls", sa.Column("story", sa.Text, server_default="", nullable=False))
    op.add_column(
        "stalls", sa.Column("location", sa.String(200), server_default="", nullable=False)
    )
    op.add_column("stalls", sa.Column("pickup_details", sa.Text, server_default="", nullable=False))
    op.add_column("stalls", sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_stalls_status"), "stalls", "status IN ('pending', 'approved', 'rejected')"
    )
    op.create_index("ix_stalls_status_name", "stalls", ["status", "name"])

    op.create_table(
        "stall_helpers",
        sa.Column(
            "stall_id",
            sa.Integer,
            sa.ForeignKey(
                "stalls.id", ondelete="CASCADE", name=op.f("fk_stall_helpers_stall_id_stalls")
            ),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey(
                "users.id", ondelete="CASCADE", name=op.f("fk_stall_helpers_user_id_users")
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("stall_id", "user_id", name=op.f("pk_stall_helpers")),
    )
    op.create_index(op.f("ix_stall_helpers_user_id"), "stall_helpers", ["user_id"])

    op.drop_constraint(op.f("ck_products_stock_not_negative"), "products", type_="check")
    op.drop_column("products", "stock")
    op.alter_column("products", "price_minor", server_default="0")
    op.drop_constraint(op.f("ck_products_status"), "products", type_="check")
    op.create_check_constraint(
        op.f("ck_products_status"),
        "products",
        "status IN ('draft', 'listed', 'sold_out', 'archived')",
    )
    op.add_column(
        "products",
        sa.Column("search", TSVECTOR, sa.Computed(SEARCH_DOCUMENT, persisted=True), nullable=True),
    )
    op.create_index("ix_products_search", "products", ["search"], postgresql_using="gin")
    op.create_index("ix_products_stall_status", "products", ["stall_id", "status"])
    op.create_index("ix_products_created_at_id", "products", ["created_at", "id"])

    op.execute(REFRESH_FUNCTION)
    op.execute(
        "CREATE TRIGGER product_variants_refresh_product "
        "AFTER INSERT OR UPDATE OR DELETE ON product_variants "
        "FOR EACH ROW EXECUTE FUNCTION market_refresh_product()"
    )
    op.execute(PRODUCT_STATUS_FUNCTION)
    op.execute(
        "CREATE TRIGGER products_listed_check BEFORE INSERT OR UPDATE OF status ON products "
        "FOR EACH ROW EXECUTE FUNCTION market_product_listed_check()"
    )
    op.execute("UPDATE product_variants SET position = position")

    for table, column, target in (
        ("market_page_stalls", "stall_id", "stalls"),
        ("market_page_products", "product_id", "products"),
    ):
        op.create_table(
            table,
            sa.Column(
                "page_id",
                sa.Integer,
                sa.ForeignKey(
                    "market_pages.id",
                    ondelete="CASCADE",
                    name=op.f(f"fk_{table}_page_id_market_pages"),
                ),
                nullable=False,
            ),
            sa.Column(
                column,
                sa.Integer,
                sa.ForeignKey(
                    f"{target}.id", ondelete="CASCADE", name=op.f(f"fk_{table}_{column}_{target}")
                ),
                nullable=False,
            ),
            sa.Column("position", sa.Integer, server_default="0", nullable=False),
            sa.PrimaryKeyConstraint("page_id", column, name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in (
        ("market_page_products", "product_id"),
        ("market_page_stalls", "stall_id"),
    ):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.execute("DROP TRIGGER products_listed_check ON products")
    op.execute("DROP FUNCTION market_product_listed_check()")
    op.execute("DROP TRIGGER product_variants_refresh_product ON product_variants")
    op.execute("DROP FUNCTION market_refresh_product()")
    op.drop_index("ix_products_created_at_id", table_name="products")
    op.drop_index("ix_products_stall_status", table_name="products")
    op.drop_index("ix_products_search", table_name="products")
    op.drop_column("products", "search")
    op.execute("UPDATE products SET status = 'listed' WHERE status = 'sold_out'")
    op.drop_constraint(op.f("ck_products_status"), "products", type_="check")
    op.create_check_constraint(
        op.f("ck_products_status"), "products", "status IN ('draft', 'listed', 'archived')"
    )
    op.alter_column("products", "price_minor", server_default=None)
    op.add_column("products", sa.Column("stock", sa.Integer, nullable=True))
    op.create_check_constraint(
        op.f("ck_products_stock_not_negative"), "products", "stock IS NULL OR stock >= 0"
    )
    op.drop_index(op.f("ix_stall_helpers_user_id"), table_name="stall_helpers")
    op.drop_table("stall_helpers")
    op.drop_index("ix_stalls_status_name", table_name="stalls")
    op.drop_constraint(op.f("ck_stalls_status"), "stalls", type_="check")
    for column in ("reviewed_at", "pickup_details", "location", "story", "status"):
        op.drop_column("stalls", column)
