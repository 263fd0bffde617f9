"""The shared shell on every app: fragments where they can be had, static partials otherwise."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.widgets import FRAGMENT_TYPES, SHELL_FRAGMENTS, FragmentViewer
from shared.dev.embedded import free_port
from shared.infrastructure.config import APP_NAMES, AppUrls, Settings
from shared.infrastructure.viewer import set_viewer
from tests.conftest import AppFactory
from tests.infrastructure.fragments.conftest import StandIn
from tests.support.factories import make_post

FRAGMENT_HTML = {
    "nav": '<nav class="app-switcher" data-fragment="nav"><ul><li>Site menu</li></ul></nav>',
    "user-menu": '<a data-fragment="user-menu" href="/auth/login">Sign in</a>',
    "mini-cart": '<a class="cart-link" data-fragment="mini-cart">Cart <span>2</span></a>',
    "upcoming-events": '<section data-fragment="upcoming-events">Lantern walk</section>',
    "newsletter-signup": '<form data-fragment="newsletter-signup">Get our newsletters</form>',
}
ADA = UserRecord(id=41, username="ada", display_name="Ada", email="ada@x.test", is_admin=True)

Compose = Callable[..., Awaitable[Quart]]


def pointed_at(settings: Settings, url: str, **fragments: object) -> Settings:
    apps = {
        name: AppUrls(base_url=urls.base_url, internal_url=url)
        for name, urls in settings.apps.items()
    }
    config = settings.fragments.model_copy(update=fragments)
    return settings.model_copy(update={"apps": apps, "fragments": config})


@pytest.fixture
def compose(make_app: AppFactory, settings: Settings, stand_in: StandIn) -> Compose:
    """An app whose fragments all come from the stand-in (or from `url`)."""
    stand_in.html.update(FRAGMENT_HTML)

    async def start(
        name: str, *, url: str | None = None, viewer: UserRecord | None = None, **fragments: object
    ) -> Quart:
        app_settings = pointed_at(settings, url or stand_in.url, **fragments)
        app = await make_app(name, app_settings=app_settings)
        if viewer is not None:

            @app.before_request
            async def sign_in() -> None:  # what single sign-on does for a member
                set_viewer(viewer)

        return app

    return start


async def page(app: Quart, path: str = "/", **kwargs: object) -> str:
    response = await app.test_client().get(path, **kwargs)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


@pytest.mark.parametrize("name", APP_NAMES)
async def test_every_app_wears_the_composed_shell(
    compose: Compose, stand_in: StandIn, name: str
) -> None:
    # Generous budgets: this is about what the shell shows, not how fast (a cold first
    # page on a loaded machine can outlast the default 0.75 s).
    html = await page(await compose(name, timeout=10.0, page_budget=10.0))
    from_others = [type_ for type_ in SHELL_FRAGMENTS if FRAGMENT_TYPES[type_].app != name]
    for fragment in from_others:
        assert _as_composed(FRAGMENT_HTML[fragment]) in html, fragment
    assert 'aria-label="Rose Ash apps"' not in html  # the static app switcher stood down
    assert {seen.type for seen in stand_in.seen} - {"upcoming-events"} == set(from_others)
    if "nav" in from_others:
        assert next(s for s in stand_in.seen if s.type == "nav").params == {"current": name}


def _as_composed(fragment: str) -> str:
    """A fragment as the page shows it: the sign-in link says where to come back to."""
    return fragment.replace('href="/auth/login"', 'href="/auth/login?next=%2F"')


@pytest.mark.parametrize("name", ["blog", "cart", "account"])
async def test_an_app_renders_its_own_shell_fragment_in_process(
    compose: Compose, stand_in: StandIn, name: str
) -> None:
    # Every internal URL points at a closed port: only in-process rendering can work.
    closed = f"http://127.0.0.1:{free_port()}"
    html = await page(await compose(name, url=closed, timeout=10.0, page_budget=10.0))
    for own in [type_ for type_ in SHELL_FRAGMENTS if FRAGMENT_TYPES[type_].app == name]:
        assert f'data-fragment="{own}"' in html
        assert FRAGMENT_HTML[own] not in html  # the app's real fragment, not the stand-in's
    assert stand_in.seen == []


@pytest.mark.parametrize("name", APP_NAMES)
async def test_with_every_provider_down_each_app_still_renders_its_static_shell(
    compose: Compose, name: str
) -> None:
    html = await page(await compose(name, url=f"http://127.0.0.1:{free_port()}"))
    # Only an app's own fragment can still be had: it is rendered in-process.
    own = {type_ for type_ in SHELL_FRAGMENTS if FRAGMENT_TYPES[type_].app == name}
    if "nav" not in own:
        assert 'aria-label="Rose Ash apps"' in html  # partials/nav.html
    if "mini-cart" not in own:
        assert 'class="cart-link"' in html  # partials/cart_link.html
    assert set(re.findall(r'data-fragment="([a-z-]+)"', html)) == own


async def test_with_fragments_disabled_nothing_is_fetched(
    compose: Compose, stand_in: StandIn
) -> None:
    html = await page(await compose("market", enabled=False))
    assert 'aria-label="Rose Ash apps"' in html
    assert stand_in.seen == []


async def test_blog_home_shows_upcoming_events_beside_the_posts(
    db: AsyncSession, compose: Compose, stand_in: StandIn
) -> None:
    await make_post(db, "The winter market returns")
    html = await page(await compose("blog"))
    assert '<aside class="page-aside">' in html
    assert FRAGMENT_HTML["upcoming-events"] in html
    assert "The winter market returns" in html
    assert next(s for s in stand_in.seen if s.type == "upcoming-events").params == {"limit": "4"}


async def test_blog_home_leaves_the_aside_out_when_there_are_no_events(
    compose: Compose, stand_in: StandIn
) -> None:
    stand_in.html["upcoming-events"] = ""
    html = await page(await compose("blog"))
    assert "page-aside" not in html


async def test_the_member_and_the_anonymous_cart_travel_to_the_providers(
    compose: Compose, stand_in: StandIn
) -> None:
    app = await compose("market", viewer=ADA)
    client = app.test_client()
    client.set_cookie("localhost", "ra_cart", "an-anonymous-cart-token-from-before-sign-in")
    response = await client.get("/")
    html = await response.get_data(as_text=True)

    seen = {s.type: s for s in stand_in.seen}
    assert seen["user-menu"].viewer == FragmentViewer(user_id=41)
    assert seen["mini-cart"].viewer == FragmentViewer(
        user_id=41, anon_cart="an-anonymous-cart-token-from-before-sign-in"
    )
    # The sign-out form is this app's own: it needs this host's CSRF token.
    assert 'action="/auth/logout"' in html and 'name="csrf_token"' in html


async def test_a_post_page_shows_its_sanitized_html_and_its_own_events(
    db: AsyncSession, compose: Compose, stand_in: StandIn
) -> None:
    post = await make_post(
        db,
        "Lanterns",
        slug="lanterns",
        html='<p>Make a lantern.<script>alert("x")</script></p>'
        '<p onclick="x()">Bring a candle.</p>',
    )
    html = await page(await compose("blog"), "/lanterns/")

    assert "<h1>Lanterns</h1>" in html
    assert "<p>Make a lantern.</p>" in html and "<p>Bring a candle.</p>" in html
    assert "alert(" not in html and "onclick" not in html
    assert FRAGMENT_HTML["upcoming-events"] in html
    events = next(s for s in stand_in.seen if s.type == "upcoming-events")
    assert events.params == {"container_type": "post", "container_id": str(post.id), "limit": "5"}


async def test_pages_are_served_at_their_slug_but_drafts_are_not(
    db: AsyncSession, compose: Compose
) -> None:
    await make_post(db, "About the cooperative", slug="about", type="page", html="<p>Ours.</p>")
    await make_post(db, "Secret plans", slug="secret", status="draft")
    app = await compose("blog")

    assert "Ours." in await page(app, "/about/")
    assert (await app.test_client().get("/secret/")).status_code == 404
    assert (await app.test_client().get("/nothing-here/")).status_code == 404
