"""Settings specific to the market app."""

HOME_PAGE_PRODUCTS = 24
SEARCH_PAGE_SIZE = 24
STALL_PAGE_EVENTS = 5
MARKET_PAGE_EVENTS = 8
# Import from a URL: the safe fetcher's limits for a product page and its image.
IMPORT_TIMEOUT_SECONDS = 10.0
IMPORT_MAX_PAGE_BYTES = 2 * 1024 * 1024
IMPORT_MAX_IMAGE_BYTES = 8 * 1024 * 1024
IMPORT_MAX_REDIRECTS = 3
# Slugs a stall or product may not take: they are the market's own paths.
RESERVED_SLUGS = frozenset({"apply", "mine", "manage", "new"})
