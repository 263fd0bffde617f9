"""The acceptance test of the blog, in headless Chromium against the real processes.

Admin ada signs in, writes a post in the editor (a heading by Markdown shortcut, an
uploaded image with alt text, a table and a product card, all from the "/" menu),
schedules it a few seconds ahead; the worker publishes it: it is on the home page,
in the RSS and Atom feeds, and found by a word only its body has. A bovine-herd
server following the blog receives exactly one Create of an Article with the post's
URL, and the edit that follows as exactly one Update.
"""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from bovine import BovineClient
from PIL import Image
from sqlalchemy import select

from shared.dev.embedded import free_port
from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.oidc.keys import generate_private_key_pem
from shared.models.blog import Post
from shared.models.market import Product, ProductVariant
from shared.models.newsletters import Newsletter, NewsletterSubscription
from tests.conftest import TEST_SECRET_KEY
from tests.infrastructure.activitypub.test_live_herd import collection_items
from tests.sso.test_browser_sso import chromium
from tests.support.activitypub.herd import Herd, HerdUser
from tests.support.activitypub.live import Workers, committed, settings_for, worker_env
from tests.support.activitypub.standin import eventually
from tests.support.databases import DatabaseServer
from tests.support.factories import make_stall, make_user
from tests.support.live import LivePlatform, redis_database, smtp_env

pytestmark = pytest.mark.slow

DATABASE = "rose_ash_blog_browser"
PASSWORD = "a long enough password"
BODY_WORD = "quuxbeeswax"  # in the body only: not the title, not the excerpt
TITLE = "Bees of the marsh"


@pytest.fixture(scope="module")
def herd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Herd, HerdUser]]:
    server = Herd(tmp_path_factory.mktemp("herd"), "127.0.0.51", free_port())
    user = server.create_user("reader")
    server.start()
    yield server, user
    server.stop()


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mail: SmtpStandIn,
) -> Iterator[tuple[LivePlatform, Workers]]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    logs = tmp_path_factory.mktemp("blog-browser-logs")
    env = worker_env(
        {
            "OIDC_PRIVATE_KEY": generate_private_key_pem(),
            "AP_PRIVATE_KEY": generate_keypair().private_pem,  # one platform key, every process
            "ROSE_ASH_ENV": "dev",  # plain-http loopback: cookies without Secure
            "JOBS_POLL_SECONDS": "0.5",
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("blog-media")),
            **smtp_env(mail),
        }
    )
    redis = redis_database(redis_url, 6)
    platform = LivePlatform(url, redis, TEST_SECRET_KEY, logs, extra_env=env, loopback_ips=True)
    platform.start("blog", "federation", "market")
    workers = Workers(platform.env(), logs)
    workers.start(1)
    yield platform, workers
    workers.stop_all()
    platform.stop()
    database_server.drop(DATABASE)


def png(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 130, 60)).save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def _object_id(activity: dict[str, Any]) -> Any:
    target = activity.get("object")
    return target.get("id") if isinstance(target, dict) else target


async def received(client: BovineClient, inbox: str, kind: str, object_id: str) -> list[Any]:
    found = []
    for item in await collection_items(client, inbox):
        activity = item if isinstance(item, dict) else await client.get(item)
        if activity.get("type") == kind and _object_id(activity) == object_id:
            found.append(activity)
    return found


async def test_admin_writes_schedules_and_the_post_goes_out_everywhere(
    live: tuple[LivePlatform, Workers],
    herd: tuple[Herd, HerdUser],
    tmp_path: Path,
) -> None:
    platform, workers = live
    server, herd_user = herd
    blog = platform.public_url("blog")
    settings = settings_for(platform.env())
    async with committed(settings) as session:
        await make_user(
            session,
            "ada",
            display_name="Ada",
            is_admin=True,
            password_hash=PasswordHasher().hash(PASSWORD),
            email_verified_at=datetime.now(UTC),
        )
        stall = await make_stall(session, "Marsh Honey")
        session.add(
            Product(
                stall_id=stall.id,
                slug="heather-honey",
                title="Heather honey",
                price_minor=650,
                currency="GBP",
                status="listed",
                variants=[ProductVariant(name="Jar", price_minor=650, stock=9)],
            )
        )

    async with BovineClient(
        domain=server.url, actor_id=herd_user.id, secret=herd_user.secret
    ) as client:
        follow = client.activity_factory.follow(f"{blog}/actor").build()
        assert (await client.send_to_outbox(follow)).status == 201

        async def following() -> bool:
            items = await collection_items(client, herd_user.actor["following"])
            return f"{blog}/actor" in [i if isinstance(i, str) else i.get("id") for i in items]

        await eventually(following, within=90, what=lambda: f"herd follows\n{workers.logs()}")

        async with chromium() as (_context, page):
            await page.goto(f"{blog}/auth/login?next=/admin/posts/new")
            await fill_sign_in_form_as(page, "ada")
            await page.wait_for_url(f"{blog}/admin/posts/new")

            await page.fill("#title", TITLE)
            await page.click("#editor .ProseMirror")
            await page.keyboard.type("## Why bees")  # the Markdown shortcut makes an h2
            await page.keyboard.press("Enter")
            await page.keyboard.type(f"The {BODY_WORD} hum is loud this year.")
            await page.keyboard.press("Enter")

            await page.keyboard.type("/Image")
            await page.wait_for_selector('.slash-menu [data-slash-item="Image"]')
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#editor-upload[data-waiting]", state="attached")
            await page.set_input_files("#editor-upload", str(png(tmp_path / "jars.png")))
            await page.wait_for_selector('[data-card="imageCard"] img[src^="/media/"]')
            await page.fill('[data-card="imageCard"] input[data-field="alt"]', "Jars of honey")

            await focus_end(page)
            await page.keyboard.type("/Table")
            await page.wait_for_selector('.slash-menu [data-slash-item="Table"]')
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#editor table")
            await page.keyboard.type("Jar")

            await focus_end(page)
            await page.keyboard.type("/Product")
            await page.wait_for_selector('.slash-menu [data-slash-item="Product"]')
            await page.keyboard.press("Enter")
            await page.click('[data-card="productCard"] button:has-text("Heather honey")')
            await page.wait_for_selector('[data-card="productCard"] .editor-card__chosen')

            await page.click("summary:has-text('Settings')")
            await page.click("button[data-feature-upload]")
            await page.wait_for_selector("#editor-upload[data-waiting]", state="attached")
            await page.set_input_files("#editor-upload", str(png(tmp_path / "cover.png")))
            await page.wait_for_function(
                "() => document.getElementById('feature_image').value.startsWith('/media/')"
            )

            await page.click("button[data-save]")
            await page.wait_for_url(f"{blog}/admin/posts/*/")
            edit_url = page.url
            # A few seconds ahead, in the browser's own time zone (the form converts it).
            when = await page.evaluate(
                "() => { const d = new Date(Date.now() + 6000);"
                " const p = (n) => String(n).padStart(2, '0');"
                " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}"
                "T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; }"
            )
            await page.fill("#publish_at", when)
            await page.click("button[data-schedule]")
            await page.wait_for_url(edit_url)
            assert await page.inner_text("[data-status]") == "scheduled"

            async with committed(settings) as session:
                post = await session.scalar(select(Post).where(Post.title == TITLE))
                assert post is not None
                stored = post.html
            assert "<h2>Why bees</h2>" in stored and 'alt="Jars of honey"' in stored
            assert "<table>" in stored and 'data-product="' in stored
            assert (post.feature_image or "").startswith("/media/")
            post_url = f"{blog}/{post.slug}/"
            object_id = f"{blog}/objects/posts/{post.uuid}"

            async with httpx.AsyncClient(timeout=10) as http:

                async def on_home() -> bool:
                    return TITLE in (await http.get(f"{blog}/")).text

                await eventually(on_home, within=90, what=lambda: f"published\n{workers.logs()}")
                assert TITLE in (await http.get(f"{blog}/rss/")).text
                assert TITLE in (await http.get(f"{blog}/atom/")).text
                found = (await http.get(f"{blog}/search/", params={"q": BODY_WORD})).text
                assert f'href="/{post.slug}/"' in found and f"<mark>{BODY_WORD}</mark>" in found

                async def live_card() -> str | None:
                    page_html = (await http.get(post_url)).text
                    body = page_html[page_html.index('class="post__content"') :]
                    return body if "£6.50" in body else None

                # The market's live card (its price is the market's, not the post's); a
                # provider slower than the page's budget leaves the card's title until then.
                body = await eventually(live_card, within=60, what="the live product card")
                assert "Heather honey" in body

            creates = await eventually(
                lambda: received(client, herd_user.actor["inbox"], "Create", object_id),
                within=90,
                what=lambda: f"the Create at herd\n{workers.logs()}\n{server.log()}",
            )
            assert len(creates) == 1
            article = creates[0]["object"]
            article = article if isinstance(article, dict) else await client.get(article)
            assert article["type"] == "Article" and article["url"] == post_url

            await page.goto(edit_url)
            await page.fill("#title", f"{TITLE}, revisited")
            await page.click("button[data-save]")
            await page.wait_for_url(edit_url)

        updates = await eventually(
            lambda: received(client, herd_user.actor["inbox"], "Update", object_id),
            within=90,
            what=lambda: f"the Update at herd\n{workers.logs()}\n{server.log()}",
        )
        assert len(updates) == 1
        assert len(await received(client, herd_user.actor["inbox"], "Create", object_id)) == 1


async def fill_sign_in_form_as(page: Any, username: str) -> None:
    await page.fill("#login", username)
    await page.fill("#password", PASSWORD)
    await page.locator("main").get_by_role("button", name="Sign in", exact=True).click()


async def focus_end(page: Any) -> None:
    """Put the caret at the end of the document, as clicking below the last card does."""
    await page.evaluate("() => document.getElementById('editor').editor.commands.focus('end')")
    # TipTap focuses on the next frame: type only once the caret is in the document.
    await page.wait_for_function(
        "() => document.activeElement && document.activeElement.classList.contains('ProseMirror')"
    )
    await page.keyboard.press("Enter")


async def test_an_editor_publishes_a_post_emailed_to_a_newsletter_and_its_reader_gets_it(
    live: tuple[LivePlatform, Workers], mail: SmtpStandIn
) -> None:
    platform, workers = live
    blog = platform.public_url("blog")
    title = "Swifts are back"
    async with committed(settings_for(platform.env())) as session:
        await make_user(
            session,
            "bea",
            display_name="Bea",
            is_admin=True,
            password_hash=PasswordHasher().hash(PASSWORD),
            email_verified_at=datetime.now(UTC),
        )
        letter = Newsletter(slug="marsh-notes", name="Marsh notes")
        session.add(letter)
        await session.flush()
        session.add(
            NewsletterSubscription(
                newsletter_id=letter.id,
                email="reader@example.test",
                status="confirmed",
                unsubscribe_token=secrets.token_urlsafe(24),
                confirmed_at=datetime.now(UTC),
            )
        )

    async with chromium() as (_context, page):
        await page.goto(f"{blog}/auth/login?next=/admin/posts/new")
        await fill_sign_in_form_as(page, "bea")
        await page.wait_for_url(f"{blog}/admin/posts/new")
        await page.fill("#title", title)
        await page.click("#editor .ProseMirror")
        await page.keyboard.type("Three screaming over the church at dusk.")
        await page.click("button[data-save]")
        await page.wait_for_url(f"{blog}/admin/posts/*/")
        edit_url = page.url

        # The choice names the newsletter and how many it reaches.
        choice = page.locator("#newsletter_now")
        assert "Marsh notes (1 subscriber)" in await choice.inner_text()
        await choice.select_option(label="Marsh notes (1 subscriber)")
        await page.click("button[data-publish]")
        await page.wait_for_url(edit_url)
        assert await page.inner_text("[data-status]") == "published"

        got = await asyncio.to_thread(
            mail.wait_for, to="reader@example.test", subject=title, timeout=90
        )
        assert "Three screaming over the church at dusk." in got.text
        assert got.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

        async def sent_row() -> str | None:
            await page.goto(edit_url)
            row = await page.locator("#sending tbody tr").first.inner_text()
            return row if "Marsh notes" in row and "sent" in row else None

        row = await eventually(sent_row, within=60, what=lambda: f"the send\n{workers.logs()}")
        assert row.split("\t")[-2:] == ["1", "0"]  # sent 1, failed 0
        # Published once, emailed once: the editor offers no second send to it.
        assert await page.locator("#send_to").count() == 0
