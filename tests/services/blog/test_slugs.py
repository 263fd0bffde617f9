"""Slugs: from the title, unique across posts and pages, never a reserved path."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostError
from shared.services.blog.slugs import RESERVED, choose_slug
from tests.support.factories import make_post


async def test_a_title_makes_a_slug_suffixed_until_free(db: AsyncSession) -> None:
    await make_post(db, "Winter market", slug="winter-market")
    await make_post(db, "About", slug="winter-market-2", type="page")
    assert await choose_slug(db, typed="", title="Winter Market!") == "winter-market-3"
    assert await choose_slug(db, typed="", title="Ça va, Wörld?") == "ca-va-world"


@pytest.mark.parametrize("path", ["actor", "inbox", "tag", "author", "rss", "search", "media"])
async def test_a_reserved_path_is_refused_when_typed_and_suffixed_from_a_title(
    db: AsyncSession, path: str
) -> None:
    assert path in RESERVED
    with pytest.raises(PostError, match="reserved path"):
        await choose_slug(db, typed=path, title="x")
    assert await choose_slug(db, typed="", title=path) == f"{path}-2"


async def test_a_typed_slug_that_is_taken_or_malformed_is_refused(db: AsyncSession) -> None:
    post = await make_post(db, "Honey", slug="honey")
    with pytest.raises(PostError, match="already uses"):
        await choose_slug(db, typed="honey", title="x")
    assert await choose_slug(db, typed="honey", title="x", post_id=post.id) == "honey"
    with pytest.raises(PostError, match="lowercase"):
        await choose_slug(db, typed="Not a/slug", title="x")
