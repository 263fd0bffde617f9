"""Blog navigation menus: the links of the site header ("primary") and footer ("secondary").

Part of the blog domain (`SqlBlogService` includes it). Every write records
`NavigationChanged`; once the unit of work commits, its handler drops the
cached menus of every app at once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NavigationItemRecord, NewNavigationItem
from shared.contracts.errors import NavigationError
from shared.contracts.events import NavigationChanged, record
from shared.models.blog import NavigationItem

MENUS = ("primary", "secondary")
# A menu label sits in a header row beside five others: longer ones cannot fit.
MAX_LABEL = 32
MAX_URL = 2048


def navigation_item_record(item: NavigationItem) -> NavigationItemRecord:
    return NavigationItemRecord(
        id=item.id, menu=item.menu, label=item.label, url=item.url, position=item.position
    )


def _checked(item: NewNavigationItem) -> NewNavigationItem:
    """The item with its label and URL trimmed; NavigationError when one is unusable.

    A URL is a path on the blog ("/about/") or an absolute https URL: never
    plain http to another site (a menu must not send members off in the clear),
    "//host" (another site, scheme-relative) or a script URL.
    """
    label, url = item.label.strip(), item.url.strip()
    if not label:
        raise NavigationError("label", "Give the link a label.")
    if len(label) > MAX_LABEL:
        raise NavigationError(
            "label", f"Keep the label to {MAX_LABEL} characters or fewer: it must fit the menu."
        )
    if item.menu not in MENUS:
        raise NavigationError("menu", f"Choose the {' or '.join(MENUS)} menu.")
    parts = urlsplit(url)
    is_path = url.startswith("/") and not url.startswith("//")
    if parts.scheme == "http" and not is_path:
        raise NavigationError(
            "url", "Links to other sites must use https://, not http://: check the address."
        )
    is_web = parts.scheme == "https" and bool(parts.netloc)
    unsafe = any(ch.isspace() or ord(ch) < 0x20 for ch in url) or "\\" in url
    if not url or len(url) > MAX_URL or unsafe or not (is_path or is_web):
        raise NavigationError(
            "url", "Use a path on the blog, like /about/, or a full https:// address."
        )
    return NewNavigationItem(label=label, url=url, menu=item.menu)


async def _menu(session: AsyncSession, menu: str) -> list[NavigationItem]:
    items = await session.scalars(
        select(NavigationItem)
        .where(NavigationItem.menu == menu)
        .order_by(NavigationItem.position, NavigationItem.id)
    )
    return list(items)


def _renumber(items: list[NavigationItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


class SqlBlogNavigation:
    async def list_navigation_items(
        self, session: AsyncSession, menu: str = "primary"
    ) -> list[NavigationItemRecord]:
        return [navigation_item_record(item) for item in await _menu(session, menu)]

    async def get_navigation_item(
        self, session: AsyncSession, item_id: int
    ) -> NavigationItemRecord | None:
        item = await session.get(NavigationItem, item_id)
        return navigation_item_record(item) if item else None

    async def create_navigation_item(
        self, session: AsyncSession, item: NewNavigationItem
    ) -> NavigationItemRecord:
        checked = _checked(item)
        last = await session.scalar(
            select(func.max(NavigationItem.position)).where(NavigationItem.menu == checked.menu)
        )
        row = NavigationItem(
            menu=checked.menu,
            label=checked.label,
            url=checked.url,
            position=0 if last is None else last + 1,
        )
        session.add(row)
        await session.flush()
        record(session, NavigationChanged(row.menu))
        return navigation_item_record(row)

    async def update_navigation_item(
        self, session: AsyncSession, item_id: int, item: NewNavigationItem
    ) -> NavigationItemRecord | None:
        checked = _checked(item)
        row = await session.get(NavigationItem, item_id)
        if row is None:
            return None
        if row.menu != checked.menu:
            last = await session.scalar(
                select(func.max(NavigationItem.position)).where(NavigationItem.menu == checked.menu)
            )
            row.position = 0 if last is None else last + 1
        moved_from = row.menu
        row.menu, row.label, row.url = checked.menu, checked.label, checked.url
        await session.flush()
        record(session, NavigationChanged(moved_from), NavigationChanged(row.menu))
        return navigation_item_record(row)

    async def delete_navigation_item(self, session: AsyncSession, item_id: int) -> bool:
        row = await session.get(NavigationItem, item_id)
        if row is None:
            return False
        await session.delete(row)
        await session.flush()
        _renumber(await _menu(session, row.menu))
        await session.flush()
        record(session, NavigationChanged(row.menu))
        return True

    async def move_navigation_item(self, session: AsyncSession, item_id: int, offset: int) -> bool:
        row = await session.get(NavigationItem, item_id)
        if row is None:
            return False
        items = await _menu(session, row.menu)
        index = next(i for i, item in enumerate(items) if item.id == item_id)
        target = index + offset
        if offset == 0 or not 0 <= target < len(items):
            return False
        items.insert(target, items.pop(index))
        _renumber(items)
        await session.flush()
        record(session, NavigationChanged(row.menu))
        return True
