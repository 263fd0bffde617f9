"""Run the Ghost stand-in on its own, e.g. for `python -m blog.ghost sync --full` by hand:

    python -m shared.dev.ghost --posts 5000 [--pages 5] [--port 2368] [--no-images]

It prints the GHOST_* settings to export, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from shared.dev.ghost.server import GhostStandIn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.dev.ghost", description=__doc__)
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--no-images", action="store_true", help="posts without images")
    args = parser.parse_args(argv)
    if args.posts < 0 or args.pages < 0:
        parser.error("--posts and --pages must be 0 or more")
    ghost = GhostStandIn(
        posts=args.posts,
        pages=args.pages,
        images=not args.no_images,
        port=args.port,
        on_event=lambda text: print(f"[ghost] {text}", flush=True),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ghost:
        print(f"export GHOST_URL={ghost.url}")
        print(f"export GHOST_ADMIN_KEY={ghost.admin_key}")
        print(f"export GHOST_CONTENT_KEY={ghost.content_key}")
        print(f"export GHOST_WEBHOOK_SECRET={ghost.webhook_secret}")
        print(f"# its page: {ghost.url}/_standin/ (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
