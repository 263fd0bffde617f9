"""Delete my account: every refusal changes nothing; a deletion does every domain's part in
one transaction (orders kept anonymised, bookings released, tickets void, subscriptions
gone, the actor deleted, a mail queued, sessions ended), and a failure mid-way undoes all."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from quart import Quart
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import UserRecord
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import JobContext
from shared.infrastructure.keys import Purpose, derive_key
from shared.infrastructure.security import CSRF_COOKIE
from shared.models.activitypub import Actor
from shared.models.blog import BlogStaff
from shared.models.cart import Order
from shared.models.events import Booking, Event, Ticket
from shared.models.identity import AccountToken, User
from shared.models.jobs import Job
from shared.models.newsletters import NewsletterSubscription
from shared.services.events.bookings import new_token
from shared.services.identity.deletion import (
    DELETED_MAIL_KIND,
    deleted_email,
    send_deletion_mail,
)
from shared.services.registry import services
from tests.account.bp.test_preferences import csrf, member_in, signed_in
from tests.account.member_data import MemberThings, give_things
from tests.conftest import AppFactory
from tests.services.newsletters.conftest import make_list
from tests.support.factories import add, make_stall, now

PASSWORD = "correct horse battery staple"
_HASH = PasswordHasher().hash(PASSWORD)
CSRF_VALUE = "A" * 43  # the shape the server mints


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


@dataclass(frozen=True)
class Leaving:
    member: UserRecord
    things: MemberThings
    waiting_id: int  # another member's booking, next on the waiting list


async def leaving_member(
    sessions: async_sessionmaker[AsyncSession], username: str, **fields: object
) -> Leaving:
    member = await member_in(sessions, username, password_hash=_HASH, **fields)
    things = await give_things(sessions, member.id, username.title())
    other = await member_in(sessions, f"{username}_next")
    await make_list(sessions, f"{username}-weekly", [member.email, other.email])
    async with sessions() as session, session.begin():
        await services.social.create_member_actor(session, member.id)
        mine = await session.get(Booking, things.booking_id)
        assert mine is not None
        event = await session.get(Event, mine.event_id)
        assert event is not None
        event.capacity = 1  # full: the next member waits
        waiting = Booking(
            event_id=event.id,
            user_id=other.id,
            name="Next One",
            occurrence_start=mine.occurrence_start,
            status="waiting",
            token_hash=new_token()[1],
        )
        session.add(
            AccountToken(
                user_id=member.id,
                purpose="magic_link",
                token_hash=f"{username}-token",
                email=member.email,
                expires_at=now(),
            )
        )
        await add(session, waiting)
        return Leaving(member, things, waiting.id)


async def delete(account: Quart, member: UserRecord, **form: str) -> tuple[int, str]:
    client = signed_in(account, member)
    token = await csrf(client, "/privacy/")
    response = await client.post("/privacy/delete", form={"csrf_token": token, **form})
    return response.status_code, await response.get_data(as_text=True)


async def assert_untouched(sessions: async_sessionmaker[AsyncSession], leaving: Leaving) -> None:
    async with sessions() as session:
        user = await session.get(User, leaving.member.id)
        assert user is not None
        assert (user.email, user.password_hash) == (leaving.member.email, _HASH)
        order = await session.get(Order, leaving.things.paid_order_id)
        assert order is not None and order.user_id == leaving.member.id
        assert order.email == leaving.member.email
        booking = await session.get(Booking, leaving.things.booking_id)
        assert booking is not None and booking.status == "confirmed"
        waiting = await session.get(Booking, leaving.waiting_id)
        assert waiting is not None and waiting.status == "waiting"
        ticket = await session.scalar(
            select(Ticket).where(Ticket.code == leaving.things.ticket_code)
        )
        assert ticket is not None and ticket.status == "valid"
        subs = await session.scalar(
            select(func.count()).where(NewsletterSubscription.email == leaving.member.email)
        )
        assert subs == 1
        actor = await session.scalar(select(Actor).where(Actor.user_id == leaving.member.id))
        assert actor is not None and actor.deleted_at is None
        mails = await session.scalar(select(func.count()).where(Job.kind == DELETED_MAIL_KIND))
        assert mails == 0


async def test_the_page_warns_that_coming_tickets_are_void_without_refund(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    leaving = await leaving_member(committed, "warned_ada")
    html = await (await signed_in(account, leaving.member).get("/privacy/")).get_data(as_text=True)
    assert "Delete my account" in html
    assert "1 ticket for coming" in html and "not refunded" in html


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (
            {"password": "not my password", "confirm_email": "refused_ada@example.test"},
            403,
            "That is not your password",
        ),
        ({"password": PASSWORD}, 400, "Type your email address exactly"),
        (
            {"password": PASSWORD, "confirm_email": "someone@example.test"},
            400,
            "Type your email address exactly",
        ),
    ],
)
async def test_a_wrong_password_or_confirmation_deletes_nothing(
    account: Quart,
    committed: async_sessionmaker[AsyncSession],
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    leaving = await leaving_member(committed, "refused_ada")
    code, html = await delete(account, leaving.member, **form)
    assert code == status
    assert message in html and "Nothing was deleted" in html
    await assert_untouched(committed, leaving)


async def test_a_post_without_csrf_deletes_nothing(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    leaving = await leaving_member(committed, "forged_ada")
    form = {"password": PASSWORD, "confirm_email": leaving.member.email}
    forged = await signed_in(account, leaving.member).post("/privacy/delete", form=form)
    assert forged.status_code == 400
    await assert_untouched(committed, leaving)


async def test_signed_out_with_a_good_csrf_token_deletes_nothing(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    leaving = await leaving_member(committed, "anon_ada")
    client = account.test_client()
    client.set_cookie("localhost", CSRF_COOKIE, CSRF_VALUE)
    key = derive_key(account.config["SECRET_KEY"], Purpose.CSRF)
    token = hmac.new(key, CSRF_VALUE.encode(), hashlib.sha256).hexdigest()
    response = await client.post(
        "/privacy/delete",
        form={"csrf_token": token, "password": PASSWORD, "confirm_email": leaving.member.email},
    )
    assert response.status_code == 401
    assert "Sign in to do that" in await response.get_data(as_text=True)
    await assert_untouched(committed, leaving)


async def test_admins_and_stall_owners_must_hand_over_first(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    admin = await leaving_member(committed, "admin_ada", is_admin=True)
    page = await signed_in(account, admin.member).get("/privacy/")
    assert "You are a site administrator" in await page.get_data(as_text=True)
    code, html = await delete(
        account, admin.member, password=PASSWORD, confirm_email=admin.member.email
    )
    assert code == 409 and "You are a site administrator" in html
    await assert_untouched(committed, admin)

    editor = await leaving_member(committed, "blog_ada")
    async with committed() as session, session.begin():
        session.add(BlogStaff(user_id=editor.member.id, role="administrator"))
    code, html = await delete(
        account, editor.member, password=PASSWORD, confirm_email=editor.member.email
    )
    assert code == 409 and "administrator of the blog" in html
    await assert_untouched(committed, editor)

    owner = await leaving_member(committed, "stall_ada")
    async with committed() as session, session.begin():
        stall = await make_stall(session, "Ada's Jams")
        stall.owner_id = owner.member.id
    code, html = await delete(
        account, owner.member, password=PASSWORD, confirm_email=owner.member.email
    )
    assert code == 409 and "You own the market stall" in html
    assert f'/{stall.slug}/">Ada&#39;s Jams</a>' in html
    await assert_untouched(committed, owner)


async def test_a_member_without_a_password_is_told_to_set_one(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    member = await member_in(committed, "linkonly_ada")
    code, html = await delete(account, member, password="", confirm_email=member.email)
    assert code == 403
    assert "no password yet" in html and "/password/forgot" in html
    async with committed() as session:
        user = await session.get(User, member.id)
        assert user is not None and user.email == member.email


async def test_deleting_tombstones_the_member_and_does_each_domains_part(
    account: Quart,
    committed: async_sessionmaker[AsyncSession],
    job_context: JobContext,
    smtp: SmtpStandIn,
) -> None:
    leaving = await leaving_member(committed, "gone_ada")
    client = signed_in(account, leaving.member)
    token = await csrf(client, "/privacy/")
    response = await client.post(
        "/privacy/delete",
        form={
            "csrf_token": token,
            "password": PASSWORD,
            "confirm_email": leaving.member.email.upper(),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy/deleted"
    landing = await account.test_client().get("/privacy/deleted")
    assert "Your account is deleted" in await landing.get_data(as_text=True)
    async with committed() as session:
        user = await session.get(User, leaving.member.id)
        assert user is not None
        assert user.username == "gone_ada"  # reserved: the actor name is never reused
        assert (user.email, user.display_name) == (deleted_email(user.id), "Deleted member")
        assert user.password_hash is None and user.sessions_valid_after is not None
        assert await services.identity.get_session_user(session, user.id, time.time() - 5) is None
        assert (
            await session.scalar(select(func.count()).where(AccountToken.user_id == user.id)) == 0
        )
        for order_id in (leaving.things.paid_order_id, leaving.things.pending_order_id):
            order = await session.get(Order, order_id)
            assert order is not None and order.user_id is None
            assert (order.email, order.contact_name, order.phone) == ("", "", "")
            assert order.total_minor == 900 and len(order.lines) == 1
            assert "Mill St" not in order.fulfilments[0].address
        pending = await session.get(Order, leaving.things.pending_order_id)
        assert pending is not None and pending.status == "cancelled"
        booking = await session.get(Booking, leaving.things.booking_id)
        assert booking is not None and booking.status == "cancelled"
        moved_up = await session.get(Booking, leaving.waiting_id)
        assert moved_up is not None and moved_up.status == "confirmed"
        ticket = await session.scalar(
            select(Ticket).where(Ticket.code == leaving.things.ticket_code)
        )
        assert ticket is not None and ticket.status == "void" and ticket.holder_email == ""
        assert (
            await session.scalar(
                select(func.count()).where(NewsletterSubscription.email == leaving.member.email)
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count()).where(
                    NewsletterSubscription.email == "gone_ada_next@example.test"
                )
            )
            == 1
        )
        [job] = await session.scalars(select(Job).where(Job.kind == DELETED_MAIL_KIND))
        assert job.payload["to"] == leaving.member.email
        actor = await session.scalar(select(Actor).where(Actor.user_id == user.id))
        assert actor is not None and actor.deleted_at is not None
    # The worker's run of the queued job: the old address hears it is done.
    await send_deletion_mail(job_context, job.payload)
    mail = smtp.wait_for(to=leaving.member.email, subject="Your account has been deleted")
    assert "@gone_ada has been deleted" in mail.text


async def test_a_failure_mid_way_rolls_everything_back(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    leaving = await leaving_member(committed, "stuck_ada")
    # A row already holding the tombstone's address: the unique index refuses the
    # tombstone after the orders, bookings and subscriptions were already changed.
    await member_in(committed, "squatter", email=deleted_email(leaving.member.id))
    code, html = await delete(
        account, leaving.member, password=PASSWORD, confirm_email=leaving.member.email
    )
    assert code == 409 and "could not be deleted" in html and "Nothing was deleted" in html
    await assert_untouched(committed, leaving)
