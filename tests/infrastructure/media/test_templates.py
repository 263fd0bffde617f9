"""The responsive_image macro in the cards: srcset for stored images, the plain
URL for any other, the letter tile when there is no image."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.media import make_media_storage, store_image
from shared.models.market import ProductImage
from tests.conftest import ClientFactory
from tests.infrastructure.media.samples import image_bytes
from tests.support.factories import add, make_post, make_product, make_stall


async def home(client_for: ClientFactory, app: str) -> str:
    client = await client_for(app)
    response = await client.get("/")
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def test_product_cards_pick_srcset_plain_image_or_letter_tile(
    db: AsyncSession, client_for: ClientFactory, settings: Settings
) -> None:
    stored = await store_image(
        make_media_storage(settings.media), image_bytes(900, 900), settings.media
    )
    stall = await make_stall(db, "Hartley Ceramics")
    mug = await make_product(db, stall, "Stoneware mug", 1800)
    jug = await make_product(db, stall, "Water jug", 2600)
    await make_product(db, stall, "Quince jam", 600)
    await add(db, ProductImage(product_id=mug.id, url=stored.src, alt="A brown mug"))
    await add(db, ProductImage(product_id=jug.id, url="https://photos.example/jug.jpg", alt="Jug"))

    html = await home(client_for, "market")

    assert f'<img srcset="{stored.srcset()}"' in html
    assert f'<source type="image/webp" srcset="{stored.srcset("image/webp")}"' in html
    assert 'width="900" height="900" loading="lazy" decoding="async" alt="A brown mug"' in html
    assert '<img src="https://photos.example/jug.jpg" alt="Jug"' in html
    assert "product-card__placeholder" in html and ">Q</span>" in html


async def test_a_post_card_shows_its_stored_feature_image_responsively(
    db: AsyncSession, client_for: ClientFactory, settings: Settings
) -> None:
    stored = await store_image(
        make_media_storage(settings.media), image_bytes(1600, 1000), settings.media
    )
    await make_post(db, "Notes from the allotment", feature_image=stored.src)

    html = await home(client_for, "blog")

    assert f'<img srcset="{stored.srcset()}"' in html
    assert 'width="1280" height="800"' in html


async def test_a_post_page_shows_its_stored_feature_image_responsively(
    db: AsyncSession, client_for: ClientFactory, settings: Settings
) -> None:
    stored = await store_image(
        make_media_storage(settings.media), image_bytes(800, 500), settings.media
    )
    await make_post(db, "A beginner's guide", slug="guide", feature_image=stored.src)
    await make_post(db, "Elsewhere", slug="elsewhere", feature_image="https://img.example/a.jpg")

    client = await client_for("blog")
    page = await (await client.get("/guide/")).get_data(as_text=True)
    other = await (await client.get("/elsewhere/")).get_data(as_text=True)

    assert f'<img srcset="{stored.srcset()}"' in page and 'loading="eager"' in page
    assert '<img src="https://img.example/a.jpg"' in other
