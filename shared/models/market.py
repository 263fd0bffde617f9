"""Market: member stalls, their products, categories and market pages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class ProductStatus(StrEnum):
    """Draft (the owner's), listed (on sale), sold out (listed, but every variant's tracked
    stock is zero: a database trigger moves listed <-> sold out), archived (withdrawn)."""

    DRAFT = "draft"
    LISTED = "listed"
    SOLD_OUT = "sold_out"
    ARCHIVED = "archived"


PRODUCT_STATUSES = tuple(ProductStatus)


class StallStatus(StrEnum):
    """A member applies (pending); an admin approves or rejects. Only approved stalls are public."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MeasureUnit(StrEnum):
    """What a variant's quantity counts, so a unit price (per kg, per litre, per item) follows."""

    GRAM = "g"
    MILLILITRE = "ml"
    ITEM = "item"


class Stall(Timestamped, Base):
    """A member's shop inside the market."""

    __tablename__ = "stalls"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index("ix_stalls_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # A stored image's URL (media storage names every size from it), or None.
    image_url: Mapped[str | None] = mapped_column(String(2048))
    image_alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    status: Mapped[str] = mapped_column(
        String(20), default=StallStatus.PENDING, server_default="pending"
    )
    # The stall's story (sanitized HTML), where it is, and how buyers collect.
    story: Mapped[str] = mapped_column(Text, default="", server_default="")
    location: Mapped[str] = mapped_column(String(200), default="", server_default="")
    pickup_details: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StallHelper(Base):
    """A member the owner lets manage the stall's products."""

    __tablename__ = "stall_helpers"

    stall_id: Mapped[int] = mapped_column(
        ForeignKey("stalls.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Category(Timestamped, Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )


class ProductImage(Base):
    __tablename__ = "product_images"
    __table_args__ = (Index("ix_product_images_product_position", "product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
)


class Product(Timestamped, Base):
    """Something a stall sells, in one or more variants (the priced, stocked unit).

    `price_minor` is the lowest variant price (the "from" price lists sort by), kept by
    a database trigger on product_variants; the variants are what carts and orders name.
    """

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("stall_id", "slug"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        CheckConstraint("status IN ('draft', 'listed', 'sold_out', 'archived')", name="status"),
        Index("ix_products_status_created_at", "status", "created_at"),
        Index("ix_products_search", "search", postgresql_using="gin"),
        Index("ix_products_stall_status", "stall_id", "status"),
        # Newest first (the home page, a search without words) without sorting them all.
        Index("ix_products_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    slug: Mapped[str] = mapped_column(String(150))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    price_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="GBP", server_default="GBP")
    status: Mapped[str] = mapped_column(
        String(20), default=ProductStatus.DRAFT, server_default="draft"
    )
    source_url: Mapped[str | None] = mapped_column(String(2048))
    # EU right of withdrawal (14 days); off for perishable food and dated tickets.
    withdrawal_allowed: Mapped[bool] = mapped_column(default=True, server_default="true")
    scraped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True), deferred=True
    )

    stall: Mapped[Stall] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="raise")
    images: Mapped[list[ProductImage]] = relationship(
        order_by=ProductImage.position, lazy="selectin", cascade="all, delete-orphan"
    )
    variants: Mapped[list[ProductVariant]] = relationship(
        order_by="ProductVariant.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ProductVariant(Timestamped, Base):
    """The unit a product is sold in ("500 g", "Large"): what is priced, stocked and put in carts.

    `stock` None means not tracked; `made_to_order` means made when ordered (never sold out).
    `measure_quantity` counts `measure_unit`s (500 g is 500 and "g"), for the unit price.
    """

    __tablename__ = "product_variants"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint(
            "measure_quantity IS NULL OR measure_quantity > 0", name="measure_positive"
        ),
        CheckConstraint(
            "(measure_quantity IS NULL) = (measure_unit IS NULL)", name="measure_complete"
        ),
        CheckConstraint("measure_unit IN ('g', 'ml', 'item')", name="measure_unit"),
        Index("ix_product_variants_product_position", "product_id", "position"),
        Index(
            "uq_product_variants_product_sku",
            "product_id",
            "sku",
            unique=True,
            postgresql_where="sku IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(64))
    price_minor: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)
    made_to_order: Mapped[bool] = mapped_column(default=False, server_default="false")
    measure_quantity: Mapped[int | None] = mapped_column(Integer)
    measure_unit: Mapped[str | None] = mapped_column(String(5))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MarketPage(Timestamped, Base):
    """An editorial page of the market (a seasonal guide, a stall trail)."""

    __tablename__ = "market_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_published: Mapped[bool] = mapped_column(default=False, server_default="false")


class MarketPageStall(Base):
    """A stall an admin chose to show on a market page, in order."""

    __tablename__ = "market_page_stalls"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("market_pages.id", ondelete="CASCADE"), primary_key=True
    )
    stall_id: Mapped[int] = mapped_column(
        ForeignKey("stalls.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MarketPageProduct(Base):
    """A product an admin chose to show on a market page, in order."""

    __tablename__ = "market_page_products"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("market_pages.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
