"""Every domain model, imported together so relationships across domains resolve."""

from shared.models import account, activitypub, blog, cart, events, identity, jobs, market
from shared.models.base import Base

__all__ = ["Base", "account", "activitypub", "blog", "cart", "events", "identity", "jobs", "market"]
