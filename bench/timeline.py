"""Home timeline latency as a member's timeline grows: keyset paging on an index.

    .venv/bin/python bench/timeline.py [--requests 300] [--big-follows 5000] [--big-rows 100000]

Starts its own embedded PostgreSQL 16 (migrated) and Redis, and the federation app as
a Hypercorn process (for `/healthz`, the reference). Makes two members: `small`, who
follows 10 remote accounts with 20 posts each in their home timeline (200 rows), and
`big`, who follows `--big-follows` accounts with `--big-rows` timeline rows (bulk
inserted with generate_series). Then, alternating, it reads the first page (20) and
a deep page (`max_id` from the middle) of each member's home timeline through the
social service, as the `/home` route and the client API's `timelines/home` do, and
GETs `/healthz` over HTTP, `--requests` times each, and prints the p50s:

    timeline_growth_ratio           big p50 / small p50   (goal <= 1.3)
    deep_page_growth_ratio          the same for the deep page
    home_small_vs_healthz_ratio     small p50 / healthz p50
    home_big_vs_healthz_ratio       big p50 / healthz p50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import path_setup  # puts the repository root on sys.path, before `shared` below
from sqlalchemy import text

from shared.contracts.social import PageQuery
from shared.dev.embedded import free_port, start_postgres, start_redis
from shared.dev.processes import spawn, stop_all
from shared.dev.schema import migrate
from shared.infrastructure.config import load_settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.services.social import SqlSocialService

REPO_ROOT = path_setup.REPO_ROOT
HYPERCORN = Path(sys.executable).parent / "hypercorn"


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


FILL = """
WITH member AS (
    INSERT INTO users (email, username, display_name, password_hash)
    VALUES (:name || '@bench.test', :name, :name, 'x') RETURNING id
), actor AS (
    INSERT INTO ap_actors (ap_id, kind, user_id, preferred_username, domain)
    SELECT 'http://federation.bench/users/' || :name, 'member', id, :name, 'federation.bench'
    FROM member RETURNING id
), remote AS (
    INSERT INTO ap_actors (ap_id, kind, preferred_username, domain)
    SELECT 'https://peer' || (n % 50) || '.bench/users/' || :name || n, 'remote',
           :name || n, 'peer' || (n % 50) || '.bench'
    FROM generate_series(1, :follows) AS n RETURNING id
), follows AS (
    INSERT INTO ap_follows (follower_id, following_id, status)
    SELECT actor.id, remote.id, 'accepted' FROM actor, remote RETURNING following_id
), ids AS (
    SELECT array_agg(id) AS a FROM remote
), posts AS (
    INSERT INTO ap_objects (ap_id, type, actor_id, content_html, published_at, visibility)
    SELECT 'https://peer.bench/notes/' || :name || '/' || n, 'Note', ids.a[1 + n % :follows],
           '<p>post ' || n || '</p>', now() - make_interval(secs => :rows - n), 'public'
    FROM generate_series(1, :rows) AS n, ids RETURNING id
)
INSERT INTO ap_timeline_entries (user_id, object_id, created_at)
SELECT member.id, posts.id, now() FROM member, posts
"""


async def fill(database_url: str, name: str, follows: int, rows: int) -> int:
    engine = make_engine(load_settings({"DATABASE_URL": database_url, **_base_env()}).database)
    started = time.monotonic()
    async with engine.begin() as conn:
        await conn.execute(text(FILL), {"name": name, "follows": follows, "rows": rows})
        user_id = await conn.scalar(text("SELECT id FROM users WHERE username = :n"), {"n": name})
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    say(f"{name}: {follows} follows, {rows} timeline rows in {time.monotonic() - started:.1f}s")
    return int(user_id)


ENV: dict[str, str] = {}


def _base_env() -> dict[str, str]:
    """What the settings need besides the database: the run's Redis and secret."""
    return ENV


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def measure(args: argparse.Namespace, database_url: str, health_url: str) -> None:
    small = await fill(database_url, "small", 10, 200)
    big = await fill(database_url, "big", args.big_follows, args.big_rows)
    settings = load_settings({"DATABASE_URL": database_url, **_base_env()})
    engine = make_engine(settings.database)
    sessions = make_sessionmaker(engine)
    social = SqlSocialService(settings)
    times: dict[str, list[float]] = {k: [] for k in ("small", "big", "small_deep", "big_deep")}
    health: list[float] = []
    deep = {}
    async with sessions() as session:
        for name, user_id in (("small", small), ("big", big)):
            first = await social.home_page(session, user_id, PageQuery())
            cursor = (first.prev_min_id or 0) - (100 if name == "small" else args.big_rows // 2)
            deep[name] = max(1, cursor)
    async with httpx.AsyncClient() as http:
        for _ in range(args.requests):
            for name, user_id in (("small", small), ("big", big)):
                for key, page in ((name, PageQuery()), (f"{name}_deep", PageQuery(deep[name]))):
                    async with sessions() as session:
                        started = time.perf_counter()
                        result = await social.home_page(session, user_id, page)
                        times[key].append(time.perf_counter() - started)
                    assert len(result.items) == 20, (key, len(result.items))
            started = time.perf_counter()
            response = await http.get(health_url)
            health.append(time.perf_counter() - started)
            assert response.status_code == 200
    await engine.dispose()
    for key, samples in times.items():
        p99 = sorted(samples)[max(0, int(len(samples) * 0.99) - 1)] * 1000
        say(f"home {key:<11} p50 {p50(samples):7.2f} ms  p99 {p99:7.2f} ms")
    say(f"/healthz          p50 {p50(health):7.2f} ms")
    print(f"timeline_growth_ratio: {p50(times['big']) / p50(times['small']):.2f}")
    print(f"deep_page_growth_ratio: {p50(times['big_deep']) / p50(times['small_deep']):.2f}")
    print(f"home_small_vs_healthz_ratio: {p50(times['small']) / p50(health):.2f}")
    print(f"home_big_vs_healthz_ratio: {p50(times['big']) / p50(health):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--big-follows", type=int, default=5000)
    parser.add_argument("--big-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rose-ash-bench-timeline-"))
    postgres = start_postgres(workdir / "postgres" / "data", fast=True)
    redis = start_redis(workdir / "redis")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        database_url = postgres.create_database("rose_ash_bench")
        migrate(database_url)
        port = free_port()
        ENV.update(SECRET_KEY=secrets.token_urlsafe(48), ROSE_ASH_ENV="test", REDIS_URL=redis.url)
        env = {
            **os.environ,
            **ENV,
            "DATABASE_URL": database_url,
            "APP_BASE_URL_FEDERATION": f"http://127.0.0.1:{port}",
        }
        log = (workdir / "federation.log").open("ab")
        argv = [HYPERCORN, "--bind", f"127.0.0.1:{port}", "federation.app:create_app()"]
        procs.append(spawn(argv, stdout=log, env=env, cwd=REPO_ROOT))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"federation did not start; see {workdir / 'federation.log'}")
            time.sleep(0.3)
        asyncio.run(measure(args, database_url, url + "/healthz"))
    finally:
        stop_all([(proc, signal.SIGTERM) for proc in procs])
        redis.stop()
        postgres.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
