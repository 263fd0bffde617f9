"""The cart app's models: re-exported from `shared.models.cart`, where they live."""

from shared.models.cart import Cart, CartLine, Order, OrderLine, Payment, PaymentEvent

__all__ = [
    "Cart",
    "CartLine",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentEvent",
]
