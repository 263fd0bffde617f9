"""Settings specific to the events app."""

HOME_PAGE_EVENTS = 30
