"""Benchmark of the events pages that expand recurrences: the month view and the site feed.

    .venv/bin/python bench/events.py [--series 500] [--one-offs 500] [--requests 20]

Starts its own embedded PostgreSQL and Redis, migrates, and loads one public
calendar with `--series` weekly series (in five time zones, each with a cancelled
and a moved occurrence) and `--one-offs` single events, so the site feed holds
series + one-offs events (1,000 by default). Runs the events app as a Hypercorn
process on loopback and times, one request at a time (the page's own latency,
not a load test), `/healthz`, `/?view=month` (this month) and `/feeds/all.ics`,
in interleaved rounds so other load on the machine hits all three alike. Prints
p50 per route and the ratios to `/healthz` measured in the same run:

    month_view_vs_healthz_p50_ratio
    site_feed_vs_healthz_p50_ratio
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from shared.dev.embedded import free_port, start_postgres, start_redis  # noqa: E402
from shared.dev.processes import spawn, stop_all  # noqa: E402
from shared.dev.schema import migrate  # noqa: E402
from shared.infrastructure.config import DatabaseSettings  # noqa: E402
from shared.infrastructure.db import make_engine, make_sessionmaker  # noqa: E402
from shared.models.events import Calendar, Event, EventOverride  # noqa: E402

HYPERCORN = Path(sys.executable).parent / "hypercorn"
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


async def load(database_url: str, series: int, one_offs: int) -> None:
    engine = make_engine(DatabaseSettings(url=database_url))
    sessions = make_sessionmaker(engine)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with sessions() as session:
        calendar = Calendar(slug="bench", name="Bench calendar")
        session.add(calendar)
        for n in range(series):
            zone = ZoneInfo(ZONES[n % len(ZONES)])
            start = (today - timedelta(days=60 + n % 7)).astimezone(zone).replace(hour=18 + n % 3)
            event = Event(
                calendar=calendar,
                slug=f"series-{n}",
                title=f"Series {n}",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                time_zone=zone.key,
                status="published",
                rrule="FREQ=WEEKLY;COUNT=52",
                tags=[f"tag{n % 10}"],
            )
            week = 9 + n % 3
            event.overrides = [
                EventOverride(recurrence_id=start + timedelta(weeks=week), kind="cancelled"),
                EventOverride(
                    recurrence_id=start + timedelta(weeks=week + 1),
                    kind="moved",
                    starts_at=start + timedelta(weeks=week + 1, hours=1),
                    ends_at=start + timedelta(weeks=week + 1, hours=3),
                ),
            ]
            session.add(event)
        for n in range(one_offs):
            start = today + timedelta(days=n % 90, hours=10 + n % 8)
            session.add(
                Event(
                    calendar=calendar,
                    slug=f"one-off-{n}",
                    title=f"One-off {n}",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status="published",
                    overrides=[],
                )
            )
        await session.commit()
    await engine.dispose()


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become ready")


def measure(base: str, requests: int) -> dict[str, float]:
    paths = {"healthz": "/healthz", "month_view": "/?view=month", "site_feed": "/feeds/all.ics"}
    times: dict[str, list[float]] = {name: [] for name in paths}
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, path in paths.items():  # warm up: templates compiled, pools open
            response = client.get(path)
            response.raise_for_status()
            say(f"{name}: {len(response.content):,} bytes")
        for _ in range(requests):
            for name, path in paths.items():
                began = time.perf_counter()
                client.get(path).raise_for_status()
                times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--one-offs", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        workdir = Path(tmp)
        postgres = start_postgres(workdir / "postgres" / "data", fast=True)
        redis = start_redis(workdir / "redis")
        procs = []
        try:
            database_url = postgres.create_database("rose_ash_bench_events")
            migrate(database_url)
            say(f"loading {args.series} series and {args.one_offs} one-off events")
            asyncio.run(load(database_url, args.series, args.one_offs))
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "ROSE_ASH_ENV": "test",
                "APP_BASE_URL_EVENTS": f"http://events.localhost:{port}",
                "APP_INTERNAL_URL_EVENTS": f"http://127.0.0.1:{port}",
            }
            log = (workdir / "events.log").open("ab")
            argv = [
                HYPERCORN,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "0",
                "events.app:create_app()",
            ]
            procs.append(spawn(argv, stdout=log, env=env, cwd=REPO_ROOT))
            wait_ready(f"http://127.0.0.1:{port}")
            p50 = measure(f"http://127.0.0.1:{port}", args.requests)
        finally:
            stop_all([(proc, signal.SIGTERM) for proc in procs])
            redis.stop()
            postgres.stop()
    for name, seconds in p50.items():
        say(f"{name}: p50 {seconds * 1000:.1f} ms")
    print(f"month_view_vs_healthz_p50_ratio: {p50['month_view'] / p50['healthz']:.1f}")
    print(f"site_feed_vs_healthz_p50_ratio: {p50['site_feed'] / p50['healthz']:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
