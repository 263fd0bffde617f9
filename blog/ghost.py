"""Ghost sync from the command line.

    python -m blog.ghost sync [--full]   # a run now: changes since the watermark (--full: all)
    python -m blog.ghost webhooks [--url URL]   # subscribe the blog to Ghost's webhooks

`sync` shows its progress on stderr (in place on a terminal, a line every few seconds
otherwise) and a summary at the end; when Ghost cannot be reached it says so, naming the
URL, and exits 2 (a later run resumes where this one stopped).
"""

from __future__ import annotations

if not __package__:  # run as a script from inside blog/
    import path_setup  # noqa: F401

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import Settings, load_settings
from shared.infrastructure.ghost import GhostClient, GhostError
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.importer import run_sync
from shared.services.blog.ghost_sync.webhooks import HANDLED_EVENTS

LINE_EVERY_S = 5.0


class ProgressLine:
    """`done/total posts, rate/s, ETA` on `out`: redrawn in place on a terminal, else a
    line at most every LINE_EVERY_S seconds (logs stay readable)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.last_line = 0.0

    def text(self, done: int, total: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        left = max(total - done, 0)
        eta = f"{left / rate:.0f} s" if rate > 0 else "?"
        return f"ghost sync: {done}/{total} posts and pages, {rate:.1f}/s, ETA {eta}"

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.tty:
            self.out.write("\r" + self.text(done, total) + "\x1b[K")
        elif now - self.last_line >= LINE_EVERY_S or done >= total:
            self.out.write(self.text(done, total) + "\n")
            self.last_line = now
        self.out.flush()

    def end(self) -> None:
        if self.tty:
            self.out.write("\n")


async def sync(settings: Settings, *, full: bool, out: TextIO) -> int:
    client = GhostClient.from_settings(settings)
    if client is None:
        out.write("ghost sync: GHOST_URL is not set, so there is no Ghost to sync from\n")
        return 2
    platform = bootstrap(settings, name="ghost-sync")
    progress = ProgressLine(out)
    async with platform:
        images = ImageImporter(settings.ghost.url, platform.media, settings.media)
        try:
            counts = await run_sync(
                platform.unit_of_work, client, images, kind="cli", full=full, progress=progress
            )
        except GhostError as exc:
            progress.end()
            out.write(f"ghost sync: stopped, Ghost at {settings.ghost.url} failed: {exc}\n")
            out.write("ghost sync: run it again when Ghost is back; it resumes where it stopped\n")
            return 2
        finally:
            await images.aclose()
            await client.aclose()
    progress.end()
    elapsed = time.monotonic() - progress.started
    out.write(
        f"ghost sync: done in {elapsed:.1f} s: {counts.created} created, {counts.updated} "
        f"updated, {counts.deleted} deleted, {counts.unchanged} unchanged\n"
    )
    for problem in counts.errors:
        out.write(f"ghost sync: problem: {problem}\n")
    return 0


async def webhooks(settings: Settings, *, url: str | None, out: TextIO) -> int:
    client = GhostClient.from_settings(settings)
    if client is None:
        out.write("ghost webhooks: GHOST_URL is not set\n")
        return 2
    base = (url or settings.apps["blog"].base_url).rstrip("/")
    try:
        for event in HANDLED_EVENTS:
            target = f"{base}/webhooks/ghost/{event}"
            await client.create_webhook(event, target, settings.ghost.webhook_secret or None)
            out.write(f"ghost webhooks: {event} -> {target}\n")
    except GhostError as exc:
        out.write(f"ghost webhooks: Ghost at {settings.ghost.url} failed: {exc}\n")
        return 2
    finally:
        await client.aclose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m blog.ghost", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("sync", help="import changes from Ghost now")
    run.add_argument("--full", action="store_true", help="look at every post, not only changes")
    hooks = commands.add_parser("webhooks", help="subscribe the blog to Ghost's webhooks")
    hooks.add_argument("--url", help="the blog's base URL as Ghost reaches it")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "sync":
        return asyncio.run(sync(settings, full=args.full, out=sys.stderr))
    return asyncio.run(webhooks(settings, url=args.url, out=sys.stderr))


if __name__ == "__main__":
    raise SystemExit(main())
