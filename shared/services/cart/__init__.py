"""The cart domain: carts and their lines, checkout with stock holds, orders, SumUp payments.

lines.py     the cart summary and putting things in it (SqlCartService)
holds.py     what is left of a variant once pending orders' holds are counted
tickets.py   ticket seats: on sale in their window, held at checkout like stock
page.py      the cart page: grouped by stall, quantities changed, lines removed
checkout.py  placing an order: contact, fulfilment per stall, holding the stock
payments.py  paying through SumUp: the checkout, its refetch, the paid transition
orders.py    the buyer's, the stall owner's and the admin's views; refunds, withdrawal
mails.py     the mails an order sends, rendered from cart/templates/cart/mail
jobs.py      releasing expired holds, reconciling pending payments, sending mail
"""

from shared.services.cart.lines import (
    EMPTY_CART,
    MAX_QUANTITY,
    SqlCartService,
    adopt_anonymous_cart,
    summarise,
)

__all__ = ["EMPTY_CART", "MAX_QUANTITY", "SqlCartService", "adopt_anonymous_cart", "summarise"]
