"""Every domain model, imported together so relationships across domains resolve."""

from shared.models import (
    activitypub,
    blog,
    cart,
    events,
    identity,
    jobs,
    market,
    newsletters,
)
from shared.models.base import Base

__all__ = [
    "Base",
    "activitypub",
    "blog",
    "cart",
    "events",
    "identity",
    "jobs",
    "market",
    "newsletters",
]
