"""Market pages an admin composes: text, chosen stalls and products, the page's calendar."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import User
from shared.models.market import MarketPage
from tests.market.conftest import MarketAs, csrf, text
from tests.support.factories import make_product, make_stall


async def test_an_admin_composes_a_page_of_stalls_and_products(
    market_as: MarketAs, db: AsyncSession, ada: User
) -> None:
    bees = await make_stall(db, "Marsh Honey", slug="bees")
    honey = await make_product(db, bees, "Heather honey", 950, slug="heather")
    await make_product(db, bees, "Not chosen", 100)
    admin = await market_as(ada)
    form = {
        "title": "Saturday market at the hall",
        "slug": "",
        "html": "<p>From <strong>10:00</strong>.</p><script>x()</script>",
        "stalls": "bees",
        "products": "bees/heather",
        "is_published": "1",
        "csrf_token": await csrf(admin, "/admin/pages/new"),
    }
    response = await admin.post("/admin/pages/new", form=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/pages/saturday-market-at-the-hall/"
    page = await text(await (await market_as(None)).get("/pages/saturday-market-at-the-hall/"))
    assert "<strong>10:00</strong>" in page and "<script>x()" not in page
    assert "Marsh Honey" in page and honey.title in page and "Not chosen" not in page
    home = await text(await (await market_as(None)).get("/"))
    assert 'href="/pages/saturday-market-at-the-hall/"' in home


async def test_an_unknown_stall_or_product_is_named_and_nothing_saved(
    market_as: MarketAs, db: AsyncSession, ada: User
) -> None:
    admin = await market_as(ada)
    token = await csrf(admin, "/admin/pages/new")
    response = await admin.post(
        "/admin/pages/new",
        form={"title": "Trail", "stalls": "ghost", "products": "a/b", "csrf_token": token},
    )
    assert response.status_code == 400
    body = await text(response)
    assert "There is no stall “ghost”" in body and "There is no product “a/b”" in body
    assert (await (await market_as(ada)).get("/pages/trail/")).status_code == 404


async def test_an_unpublished_page_is_only_for_admins(
    market_as: MarketAs, db: AsyncSession, ada: User, ben: User
) -> None:
    admin = await market_as(ada)
    token = await csrf(admin, "/admin/pages/new")
    await admin.post("/admin/pages/new", form={"title": "Soon", "csrf_token": token})
    assert (await (await market_as(ben)).get("/pages/soon/")).status_code == 404
    assert (await (await market_as(ada)).get("/pages/soon/")).status_code == 200
    assert (await (await market_as(ben)).get("/admin/pages/new")).status_code == 403


async def test_the_edit_form_says_how_to_attach_the_pages_calendar(
    market_as: MarketAs, db: AsyncSession, ada: User
) -> None:
    admin = await market_as(ada)
    token = await csrf(admin, "/admin/pages/new")
    await admin.post("/admin/pages/new", form={"title": "Fair", "csrf_token": token})
    page_id = await db.scalar(select(MarketPage.id).where(MarketPage.slug == "fair"))
    form = await text(await admin.get(f"/admin/pages/{page_id}/"))
    assert re.search(r'href="http://events\.[^"]+/manage/">make or attach one there</a>', form)
    assert f"“a market page” with id <strong data-page-id>{page_id}</strong>" in form
