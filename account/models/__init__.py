"""The newsletters the account app shows: re-exported from `shared.models.newsletters`."""

from shared.models.newsletters import Newsletter, NewsletterSend, NewsletterSubscription

__all__ = [
    "Newsletter",
    "NewsletterSend",
    "NewsletterSubscription",
]
