"""The account app's models: re-exported from `shared.models.account`, where they live."""

from shared.models.account import Newsletter, NewsletterSend, NewsletterSubscription

__all__ = [
    "Newsletter",
    "NewsletterSend",
    "NewsletterSubscription",
]
