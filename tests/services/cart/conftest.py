from tests.support.cart import (  # noqa: F401  (fixtures)
    cart_settings,
    smtp,
    sumup,
    sumup_client,
    sumup_stand_in,
    units,
)
