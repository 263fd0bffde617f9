"""Benchmark of Ghost sync's full import: posts/s and peak memory at two sizes.

    .venv/bin/python bench/ghost.py [--posts 5000] [--cli]

Starts its own PostgreSQL and Redis (embedded, in a temp dir) and the Ghost stand-in
(with images), migrates a database per size, and runs the full import in-process,
at 1,000 posts and then at `--posts`. Prints, per size, posts/s, the tracemalloc peak
and the process's peak RSS, then the ratio (last line):

    ghost_memory_growth_ratio    tracemalloc peak at N / at 1,000 (goal <= 1.5: pages of
                                 100 keep memory flat whatever the post count)

With --cli each size is imported by the operator's command, `python -m blog.ghost sync
--full`, run as its own process (its progress lines pass through); the memory figure is
that process's peak RSS, and the last line `ghost_cli_rss_growth_ratio` its ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import path_setup  # noqa: F401  (the repository root on sys.path, before `shared`)

from shared.dev.embedded import start_postgres, start_redis
from shared.dev.ghost import GhostStandIn
from shared.dev.schema import migrate
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import load_settings
from shared.infrastructure.ghost import GhostClient
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.importer import run_sync


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def import_all(env: dict[str, str]) -> int:
    settings = load_settings(env)
    platform = bootstrap(settings, name="bench-ghost")
    client = GhostClient(settings.ghost.url, settings.ghost.admin_key)
    async with platform:
        images = ImageImporter(settings.ghost.url, platform.media, settings.media)
        try:
            counts = await run_sync(platform.unit_of_work, client, images, kind="bench")
        finally:
            await images.aclose()
            await client.aclose()
    return counts.created


def measure(size: int, postgres_url: str, base_env: dict[str, str]) -> tuple[float, int, int]:
    with GhostStandIn(posts=size, pages=0, images=True) as ghost:
        env = {
            **base_env,
            "DATABASE_URL": postgres_url,
            "GHOST_URL": ghost.url,
            "GHOST_ADMIN_KEY": ghost.admin_key,
        }
        tracemalloc.start()
        started = time.perf_counter()
        created = asyncio.run(import_all(env))
        took = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert created == size, f"imported {created} of {size}"
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return size / took, peak, rss_kb


def measure_cli(size: int, postgres_url: str, base_env: dict[str, str]) -> tuple[float, int]:
    """posts/s and peak RSS (KiB) of `python -m blog.ghost sync --full` importing `size`."""
    repo = Path(__file__).resolve().parents[1]
    with GhostStandIn(posts=size, pages=0, images=True) as ghost:
        env = {
            **os.environ,
            **base_env,
            "DATABASE_URL": postgres_url,
            "GHOST_URL": ghost.url,
            "GHOST_ADMIN_KEY": ghost.admin_key,
        }
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "blog.ghost", "sync", "--full"], cwd=repo, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS
        took = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"python -m blog.ghost sync --full exited {process.returncode}")
    return size / took, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--cli", action="store_true", help="import with the operator's command")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ghost-") as tmp:
        postgres = start_postgres(Path(tmp) / "pg", fast=True)
        redis = start_redis(Path(tmp) / "redis")
        try:
            base = {
                "REDIS_URL": redis.url,
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hmac-0123456789",
                "ROSE_ASH_ENV": "test",
                "MEDIA_ROOT": str(Path(tmp) / "media"),
            }
            peaks = []
            for size in (1000, args.posts):
                url = postgres.create_database(f"ghost_{size}")
                migrate(url)
                say(f"importing {size:,} posts …")
                if args.cli:
                    rate, rss_kb = measure_cli(size, url, base)
                    peaks.append(rss_kb)
                    print(f"cli_posts_{size}_per_s: {rate:.1f}", flush=True)
                    print(f"cli_posts_{size}_peak_rss_mb: {rss_kb / 1024:.1f}", flush=True)
                    continue
                rate, peak, rss_kb = measure(size, url, base)
                peaks.append(peak)
                print(f"posts_{size}_per_s: {rate:.1f}")
                print(f"posts_{size}_tracemalloc_peak_mb: {peak / 1e6:.1f}")
                print(f"posts_{size}_peak_rss_mb: {rss_kb / 1024:.1f}")
            name = "ghost_cli_rss_growth_ratio" if args.cli else "ghost_memory_growth_ratio"
            print(f"{name}: {peaks[1] / peaks[0]:.2f}")
        finally:
            redis.stop()
            postgres.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
