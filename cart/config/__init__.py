"""Settings specific to the cart app."""

from shared.contracts.widgets import ANON_CART_COOKIE

# Anonymous carts are keyed by the ANON_CART_COOKIE ("ra_cart") until the
# visitor signs in. It is set for the domain every app shares (when they
# share one), so that each app can show the visitor's mini-cart.
__all__ = ["ANON_CART_COOKIE", "ANON_CART_MAX_AGE"]

ANON_CART_MAX_AGE = 60 * 60 * 24 * 30  # seconds: a month
