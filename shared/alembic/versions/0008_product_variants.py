"""Market: product variants, the unit that is priced, stocked and put in carts.

Each existing product gets one variant carrying its price and stock, and every
cart line for a product names that variant, so nothing in a cart is lost.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column(
            "product_id",
            sa.Integer,
            sa.ForeignKey(
                "products.id",
                ondelete="CASCADE",
                name=op.f("fk_product_variants_product_id_products"),
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(64), nullable=True),
        sa.Column("price_minor", sa.Integer, nullable=False),
        sa.Column("stock", sa.Integer, nullable=True),
        sa.Column("made_to_order", sa.Boolean, server_default="false", nullable=False),
        sa.Column("measure_quantity", sa.Integer, nullable=True),
        sa.Column("measure_unit", sa.String(5), nullable=True),
        sa.Column("position", sa.Integer, server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_product_variants_price_not_negative")),
        sa.CheckConstraint(
            "stock IS NULL OR stock >= 0", name=op.f("ck_product_variants_stock_not_negative")
        ),
        sa.CheckConstraint(
            "measure_quantity IS NULL OR measure_quantity > 0",
            name=op.f("ck_product_variants_measure_positive"),
        ),
        sa.CheckConstraint(
            "(measure_quantity IS NULL) = (measure_unit IS NULL)",
            name=op.f("ck_product_variants_measure_complete"),
        ),
        sa.CheckConstraint(
            "measure_unit IN ('g', 'ml', 'item')", name=op.f("ck_product_variants_measure_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
    )
    op.create_index(
        "ix_product_variants_product_position", "product_variants", ["product_id", "position"]
    )
    op.create_index(
        "uq_product_variants_product_sku",
        "product_variants",
        ["product_id", "sku"],
        unique=True,
        postgresql_where=sa.text("sku IS NOT NULL"),
    )
    op.execute(
        "INSERT INTO product_variants (product_id, name, price_minor, stock) "
        "SELECT id, 'Standard', price_minor, stock FROM products"
    )

    op.add_column(
        "cart_lines",
        sa.Column(
            "variant_id",
            sa.Integer,
            sa.ForeignKey(
                "product_variants.id",
                ondelete="CASCADE",
                name=op.f("fk_cart_lines_variant_id_product_variants"),
            ),
            nullable=True,
        ),
    )
    op.create_index("ix_cart_lines_variant_id", "cart_lines", ["variant_id"])
    op.execute(
        "UPDATE cart_lines SET variant_id = v.id FROM product_variants v "
        "WHERE v.product_id = cart_lines.product_id"
    )
    op.drop_index("uq_cart_lines_cart_product", table_name="cart_lines")
    op.create_index(
        "uq_cart_lines_cart_variant",
        "cart_lines",
        ["cart_id", "variant_id"],
        unique=True,
        postgresql_where=sa.text("variant_id IS NOT NULL"),
    )
    op.create_check_constraint(
        op.f("ck_cart_lines_variant_of_product"),
        "cart_lines",
        "(product_id IS NULL) = (variant_id IS NULL)",
    )

    op.add_column(
        "order_lines",
        sa.Column(
            "variant_id",
            sa.Integer,
            sa.ForeignKey(
                "product_variants.id",
                ondelete="SET NULL",
                name=op.f("fk_order_lines_variant_id_product_variants"),
            ),
            nullable=True,
        ),
    )
    op.create_index("ix_order_lines_variant_id", "order_lines", ["variant_id"])
    op.add_column(
        "order_lines",
        sa.Column("variant_name", sa.String(100), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("order_lines", "variant_name")
    op.drop_index("ix_order_lines_variant_id", table_name="order_lines")
    op.drop_column("order_lines", "variant_id")
    op.drop_constraint(op.f("ck_cart_lines_variant_of_product"), "cart_lines", type_="check")
    op.drop_index("uq_cart_lines_cart_variant", table_name="cart_lines")
    op.create_index(
        "uq_cart_lines_cart_product",
        "cart_lines",
        ["cart_id", "product_id"],
        unique=True,
        postgresql_where=sa.text("product_id IS NOT NULL"),
    )
    op.drop_index("ix_cart_lines_variant_id", table_name="cart_lines")
    op.drop_column("cart_lines", "variant_id")
    op.drop_index("uq_product_variants_product_sku", table_name="product_variants")
    op.drop_index("ix_product_variants_product_position", table_name="product_variants")
    op.drop_table("product_variants")
