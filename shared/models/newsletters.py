"""Newsletters: lists, their subscriptions (double opt-in) and sends.

Its own domain: "account" is the member's dashboard app, which shows these among much else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, Timestamped


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # awaiting the confirmation click
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class SendStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Newsletter(Timestamped, Base):
    __tablename__ = "newsletters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    sender_email: Mapped[str | None] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # New members are subscribed (confirmed: their address is their account's) at sign-up.
    subscribe_on_signup: Mapped[bool] = mapped_column(default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class NewsletterSubscription(Timestamped, Base):
    """pending (awaiting the confirmation click) → confirmed → unsubscribed."""

    __tablename__ = "newsletter_subscriptions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newsletter_id: Mapped[int] = mapped_column(ForeignKey("newsletters.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(
        String(20), default=SubscriptionStatus.PENDING, server_default="pending"
    )
    confirm_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    newsletter: Mapped[Newsletter] = relationship(lazy="joined", innerjoin=True)


Index(
    "uq_newsletter_subscriptions_newsletter_email_lower",
    NewsletterSubscription.newsletter_id,
    func.lower(NewsletterSubscription.email),
    unique=True,
)


class NewsletterSend(Timestamped, Base):
    """One issue of a newsletter going out (usually a blog post)."""

    __tablename__ = "newsletter_sends"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newsletter_id: Mapped[int] = mapped_column(
        ForeignKey("newsletters.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        String(20), default=SendStatus.QUEUED, server_default="queued"
    )
    recipient_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The issue's own content (sanitized HTML and its plain text), framed per recipient.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    newsletter: Mapped[Newsletter] = relationship(lazy="joined", innerjoin=True)


# A post is one issue of a newsletter at most: republishing never mails it again.
Index(
    "uq_newsletter_sends_newsletter_id_post_id",
    NewsletterSend.newsletter_id,
    NewsletterSend.post_id,
    unique=True,
    postgresql_where=NewsletterSend.post_id.is_not(None),
)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # not yet handed to the SMTP server (or a soft failure to retry)
    SENT = "sent"
    FAILED = "failed"  # a hard bounce, a suppressed address, or soft failures exhausted


class NewsletterDelivery(Timestamped, Base):
    """One recipient of one send: the state a resumed send reads to mail nobody twice."""

    __tablename__ = "newsletter_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        UniqueConstraint("send_id", "subscription_id"),
        Index("ix_newsletter_deliveries_send_id_status", "send_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("newsletter_sends.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscriptions.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(
        String(20), default=DeliveryStatus.QUEUED, server_default="queued"
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EmailSuppression(Timestamped, Base):
    """An address no bulk mail goes to: its server answered 5xx. The member can lift it."""

    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


Index("uq_email_suppressions_email_lower", func.lower(EmailSuppression.email), unique=True)
