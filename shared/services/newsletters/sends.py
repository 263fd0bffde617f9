"""Issues: a blog post or a standalone text sent to a newsletter, and their progress.

Making an issue writes the send row and enqueues its job in the caller's
transaction; the job (shared.services.newsletters.delivery) snapshots the
recipients and mails them in batches.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.newsletters import NewsletterError, SendProgress
from shared.infrastructure.html import sanitize_html
from shared.infrastructure.jobs import enqueue
from shared.models.blog import Post
from shared.models.newsletters import (
    DeliveryStatus,
    Newsletter,
    NewsletterDelivery,
    NewsletterSend,
)

# Importing the job's module registers its kind in every process that enqueues it.
from shared.services.newsletters.delivery import SEND_JOB

MAX_SUBJECT = 300


def text_of(html: str) -> str:
    """The plain-text part of an HTML issue: its text, a blank line between blocks."""
    blocks = re.sub(r"(?i)</(p|h[1-6]|li|blockquote|div|pre)>|<br\s*/?>", "\n\n", html)
    text = html_lib.unescape(nh3.clean(blocks, tags=set()))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def html_of(text: str) -> str:
    """A standalone issue's HTML: its paragraphs, escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + html_lib.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


async def _newsletter(session: AsyncSession, newsletter_id: int) -> Newsletter:
    newsletter = await session.get(Newsletter, newsletter_id)
    if newsletter is None or not newsletter.is_active:
        raise NewsletterError("There is no such newsletter.")
    return newsletter


async def _queue(session: AsyncSession, send: NewsletterSend) -> int:
    session.add(send)
    await session.flush()
    await enqueue(session, SEND_JOB, {"send_id": send.id}, key=f"newsletter-send-{send.id}")
    return send.id


async def create_issue(session: AsyncSession, newsletter_id: int, subject: str, text: str) -> int:
    """A standalone issue (plain text in, HTML made from it), queued; its send id."""
    newsletter = await _newsletter(session, newsletter_id)
    subject, text = subject.strip(), text.strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise NewsletterError(f"Give the issue a subject of 1 to {MAX_SUBJECT} characters.")
    if not text:
        raise NewsletterError("Write the issue before sending it.")
    return await _queue(
        session,
        NewsletterSend(
            newsletter=newsletter, subject=subject, body_html=html_of(text), body_text=text
        ),
    )


async def send_post(session: AsyncSession, newsletter_id: int, post_id: int) -> int:
    """Queue a published post as an issue of the newsletter, in the caller's transaction."""
    newsletter = await _newsletter(session, newsletter_id)
    # Read-only, for the issue's content at the moment of sending (the blog owns posts).
    post = await session.get(Post, post_id)
    if post is None or post.status != "published":
        raise NewsletterError("Only a published post can be sent.")
    if await _was_sent(session, newsletter_id, post_id):
        raise NewsletterError(f"This post was sent to {newsletter.name} already.")
    body = sanitize_html(post.html)
    return await _queue(
        session,
        NewsletterSend(
            newsletter=newsletter,
            post_id=post.id,
            subject=post.title[:MAX_SUBJECT],
            body_html=f"<h1>{html_lib.escape(post.title)}</h1>{body}",
            body_text=f"{post.title}\n\n{text_of(body)}",
        ),
    )


async def _was_sent(session: AsyncSession, newsletter_id: int, post_id: int) -> bool:
    found = await session.scalar(
        select(NewsletterSend.id).where(
            NewsletterSend.newsletter_id == newsletter_id, NewsletterSend.post_id == post_id
        )
    )
    return found is not None


async def list_sends(
    session: AsyncSession,
    newsletter_id: int | None = None,
    limit: int = 50,
    *,
    post_id: int | None = None,
) -> list[SendProgress]:
    """Sends newest first, with their counts: one newsletter's, or one post's (or both)."""

    def counted(status: DeliveryStatus) -> ColumnElement[int]:
        return func.count(case((NewsletterDelivery.status == status, 1)))

    rows = await session.execute(
        select(
            NewsletterSend,
            counted(DeliveryStatus.QUEUED),
            counted(DeliveryStatus.SENT),
            counted(DeliveryStatus.FAILED),
        )
        .outerjoin(NewsletterDelivery, NewsletterDelivery.send_id == NewsletterSend.id)
        .where(
            *([NewsletterSend.newsletter_id == newsletter_id] if newsletter_id is not None else []),
            *([NewsletterSend.post_id == post_id] if post_id is not None else []),
        )
        .group_by(NewsletterSend.id)
        .order_by(NewsletterSend.id.desc())
        .limit(limit)
    )
    return [
        SendProgress(
            id=send.id,
            newsletter_id=send.newsletter_id,
            subject=send.subject,
            status=send.status,
            post_id=send.post_id,
            queued=queued,
            sent=sent,
            failed=failed,
            created_at=send.created_at,
        )
        for send, queued, sent, failed in rows
    ]
