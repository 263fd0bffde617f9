"""The import and its reconciliation: posts and pages page by page (100 a page, oldest
change first), each page and its watermark in one transaction, so memory stays bounded
and a run that dies resumes where it stopped; then deletions found by comparing id sets.

    counts = await run_sync(units, client, images, kind="import", progress=show)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from shared.infrastructure.ghost import GhostClient, GhostError, GhostUnavailable
from shared.infrastructure.uow import UnitOfWork
from shared.models.blog import Post, Tag
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.runs import (
    IMPORTED,
    Counts,
    import_complete,
    save_run,
    start_run,
    state,
)
from shared.services.blog.ghost_sync.upsert import (
    delete_tag,
    ghost_time,
    remove_post,
    upsert_post,
    upsert_tag,
)

PAGE = 100
# Changes saved in the same second as the watermark, or a clock a little behind, are
# caught by looking back a few seconds; upserts of unchanged posts are no-ops.
OVERLAP = timedelta(seconds=5)
RESOURCES = (("posts", "post"), ("pages", "page"))

NQL_TIME = "%Y-%m-%d %H:%M:%S"

Progress = Callable[[int, int], None]  # (done, total)
# Each page is one unit of work: its events (federation) are handled as it commits.
Units = Callable[[], UnitOfWork]


def _nql_time(text: str) -> str:
    moment = ghost_time(text)
    assert moment is not None
    return moment.strftime(NQL_TIME)


async def run_sync(
    units: Units,
    client: GhostClient,
    images: ImageImporter | None,
    *,
    kind: str,
    full: bool = False,
    progress: Progress | None = None,
) -> Counts:
    """One run: changes since the watermarks (all of Ghost with `full`), then deletions.
    GhostUnavailable (after recording the error on the run) when Ghost goes away."""
    counts = Counts()
    async with units() as uow:
        session = uow.session
        run_id = await start_run(session, kind)
        federate = await import_complete(session)
    try:
        totals = {}
        for resource, _ in RESOURCES:
            first = await client.browse(resource, limit=1, filter="status:published", fields="id")
            totals[resource] = first.total
        total = sum(totals.values())
        for resource, type_ in RESOURCES:
            await _changes(
                units,
                client,
                images,
                resource,
                type_,
                run_id,
                counts,
                total,
                federate=federate,
                full=full,
                progress=progress,
            )
        await _tags(units, client, counts)
        for resource, type_ in RESOURCES:
            await _deletions(units, client, images, resource, type_, counts, federate=federate)
    except GhostError as exc:
        async with units() as uow:
            session = uow.session
            await save_run(session, run_id, counts, error=str(exc))
            for resource, _ in RESOURCES:
                (await state(session, resource)).last_error = str(exc)
        raise
    if images is not None:
        counts.errors.extend(images.problems)
    async with units() as uow:
        session = uow.session
        await save_run(session, run_id, counts, finished=True)
        done = await state(session, IMPORTED)
        if done.last_synced_at is None:
            done.last_synced_at = datetime.now(UTC)
        for resource, _ in RESOURCES:
            (await state(session, resource)).last_error = None
    return counts


async def _changes(
    units: Units,
    client: GhostClient,
    images: ImageImporter | None,
    resource: str,
    type_: str,
    run_id: int,
    counts: Counts,
    total: int,
    *,
    federate: bool,
    full: bool,
    progress: Progress | None,
) -> None:
    async with units() as uow:
        session = uow.session
        cursor = None if full else (await state(session, resource)).cursor
    since = ghost_time(cursor)
    # The stored watermark is looked back on by OVERLAP; within the run, keyset paging.
    watermark = (since - OVERLAP).strftime(NQL_TIME) if since else None
    number = 1
    at_mark: set[str] = set()
    while True:
        wanted = "status:published"
        if watermark:
            wanted += f"+updated_at:>='{watermark}'"
        page = await client.browse(
            resource,
            page=number,
            limit=PAGE,
            filter=wanted,
            order="updated_at asc",
            include="tags,authors",
        )
        if not page.items:
            return
        async with units() as uow:
            session = uow.session
            for item in page.items:
                if item["id"] in at_mark:
                    continue  # read on the previous page: paging from its second again
                counts.add(await upsert_post(session, item, images, federate=federate, kind=type_))
            newest = page.items[-1]["updated_at"]
            saved = await state(session, resource)
            saved.cursor, saved.last_synced_at = newest, datetime.now(UTC)
            await save_run(session, run_id, counts)
        if progress is not None:
            progress(counts.seen, total)
        if page.next is None:
            return
        newest_time = _nql_time(newest)
        # The ids of the newest second: the next page (from that second) repeats them.
        marked = {i["id"] for i in page.items if _nql_time(i["updated_at"]) == newest_time}
        at_mark = at_mark | marked if newest_time == watermark else marked
        if newest_time == watermark:
            # A whole page within the watermark's second: the next page of that second.
            number += 1
        else:
            watermark, number = newest_time, 1


async def _published_ids(client: GhostClient, resource: str) -> set[str]:
    ids: set[str] = set()
    number: int | None = 1
    while number is not None:
        page = await client.browse(
            resource,
            page=number,
            limit=PAGE,
            filter="status:published",
            fields="id,updated_at",
            formats=None,
        )
        ids.update(item["id"] for item in page.items)
        number = page.next
    return ids


async def _deletions(
    units: Units,
    client: GhostClient,
    images: ImageImporter | None,
    resource: str,
    type_: str,
    counts: Counts,
    *,
    federate: bool,
) -> None:
    live = await _published_ids(client, resource)
    async with units() as uow:
        session = uow.session
        ours: set[str] = set(
            await session.scalars(
                select(Post.ghost_id).where(
                    Post.type == type_, Post.ghost_id.is_not(None), Post.ghost_detached.is_(False)
                )
            )
        )
    for ghost_id in sorted(ours - live):
        # Gone, or unpublished there: ask, so an unpublished post stays as a draft.
        item = await client.read(resource, ghost_id, include="tags,authors")
        async with units() as uow:
            session = uow.session
            if item is None:
                if await remove_post(session, ghost_id, federate=federate):
                    counts.add("deleted")
            else:
                counts.add(await upsert_post(session, item, images, federate=federate, kind=type_))


async def _tags(units: Units, client: GhostClient, counts: Counts) -> None:
    """Tags change without their posts changing: every tag, and those gone from Ghost."""
    seen: set[str] = set()
    number: int | None = 1
    while number is not None:
        page = await client.browse("tags", page=number, limit=PAGE, formats=None)
        async with units() as uow:
            session = uow.session
            for item in page.items:
                await upsert_tag(session, item)
                seen.add(item["id"])
        number = page.next
    async with units() as uow:
        session = uow.session
        ours: set[str] = set(
            await session.scalars(select(Tag.ghost_id).where(Tag.ghost_id.is_not(None)))
        )
        for ghost_id in ours - seen:
            await delete_tag(session, ghost_id)


__all__ = ["GhostUnavailable", "run_sync"]
