"""Settings specific to the market app."""

HOME_PAGE_PRODUCTS = 24
