"""A member edits their profile: display name, bio, avatar (stored media); a file that is
not an image or an empty name is a 400 naming it, with nothing changed."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from quart import Quart
from quart.datastructures import FileStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.config import Settings
from shared.models.identity import User
from tests.account.bp.test_preferences import csrf, member_in, signed_in
from tests.conftest import AppFactory


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (180, 60, 40)).save(out, "PNG")
    return out.getvalue()


async def stored(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> tuple[str, str, str | None]:
    async with sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user.display_name, user.bio, user.avatar_url


async def test_a_member_saves_name_bio_and_avatar(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "ada")
    client = signed_in(account, ada)
    token = await csrf(client, "/profile/")
    response = await client.post(
        "/profile/",
        form={"csrf_token": token, "display_name": "Ada L.", "bio": "Keeps bees."},
        files={
            "avatar": FileStorage(io.BytesIO(png()), filename="me.png", content_type="image/png")
        },
    )
    assert response.status_code == 303
    name, bio, avatar = await stored(committed, ada.id)
    assert (name, bio) == ("Ada L.", "Keeps bees.")
    assert avatar is not None and "/media/" in avatar
    page = await (await client.get("/profile/?saved=1")).get_data(as_text=True)
    assert "Your profile is saved." in page and avatar in page


@pytest.mark.parametrize(
    ("form", "files", "expected"),
    [
        ({"display_name": "", "bio": ""}, {}, "Give a name"),
        (
            {"display_name": "Ada", "bio": ""},
            {"avatar": ("notes.png", b"this is text, not a picture")},
            "image",
        ),
    ],
)
async def test_bad_profile_input_is_a_400_and_changes_nothing(
    account: Quart,
    committed: async_sessionmaker[AsyncSession],
    form: dict[str, str],
    files: dict[str, tuple[str, bytes]],
    expected: str,
) -> None:
    ada = await member_in(committed, "ada")
    before = await stored(committed, ada.id)
    client = signed_in(account, ada)
    token = await csrf(client, "/profile/")
    uploads = {
        field: FileStorage(io.BytesIO(data), filename=name, content_type="image/png")
        for field, (name, data) in files.items()
    }
    response = await client.post("/profile/", form={"csrf_token": token, **form}, files=uploads)
    assert response.status_code == 400
    assert expected in await response.get_data(as_text=True)
    assert await stored(committed, ada.id) == before


async def test_the_profile_links_to_federations_sign_in_and_security_page(
    account: Quart, committed: async_sessionmaker[AsyncSession], mail_settings: Settings
) -> None:
    client = signed_in(account, await member_in(committed, "sec"))
    page = await (await client.get("/profile/")).get_data(as_text=True)
    link = f'href="{mail_settings.app("federation").base_url}/security">Sign-in and security</a>'
    assert link in page
