"""The market app's models: re-exported from `shared.models.market`, where they live."""

from shared.models.market import Category, MarketPage, Product, ProductImage, Stall

__all__ = [
    "Category",
    "MarketPage",
    "Product",
    "ProductImage",
    "Stall",
]
