"""Delivery throughput of the worker (ActivityPub delivery, its loop): one worker, then two.

    .venv/bin/python bench/delivery.py [--followers 1000] [--hosts 50] [--posts 3]

Starts its own embedded PostgreSQL 16 (migrated), one stand-in inbox server in a
process of its own listening on `--hosts` loopback addresses (127.0.1.1, 127.0.1.2, ...:
each a distinct host to the workers), and makes `--followers` remote followers of the
blog actor spread over those hosts, each with a personal inbox (no shared inbox, so
every follower is one delivery). Then, for 1 and for 2 worker processes, it publishes
`--posts` posts and times them from the commit until every delivery is recorded as
delivered, and prints deliveries per second. Rounds alternate (1, 2, 1, 2, ...) and the
best of each is kept, since other load on the machine comes and goes. The last line is
`two_vs_one_worker_throughput_ratio: X`.

The stand-in is a bare asyncio HTTP/1.1 server (202 to every POST, keep-alive), so the
workers, not the stand-in, are what is measured; it also counts requests per inbox to
check that nothing was delivered twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psutil  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from shared.dev.embedded import free_port, start_postgres  # noqa: E402
from shared.dev.processes import spawn, stop_all  # noqa: E402
from shared.dev.schema import migrate  # noqa: E402
from shared.infrastructure.activitypub.actors import app_actor  # noqa: E402
from shared.infrastructure.activitypub.keys import generate_keypair  # noqa: E402
from shared.infrastructure.bootstrap import bootstrap  # noqa: E402
from shared.infrastructure.config import Settings, load_settings  # noqa: E402
from shared.infrastructure.db import make_engine, make_sessionmaker  # noqa: E402
from shared.models.activitypub import Actor, Delivery, Follow  # noqa: E402
from shared.models.blog import Post  # noqa: E402
from shared.services.blog import SqlBlogService  # noqa: E402

PROFILE = os.environ.get("BENCH_PROFILE") == "1"


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# -- the stand-in inbox server (its own process) ------------------------------------------


class _Inbox(asyncio.Protocol):
    counts: Counter[str] = Counter()
    # (round, inbox) → deliveries, the round read from the post's address (bench-<round>-<n>)
    by_round: Counter[tuple[str, str]] = Counter()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            host = ""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "host":
                    host = value.strip()
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path = head.split(" ", 2)[:2]
            if method == "GET" and path == "/stats":
                body = json.dumps(
                    {
                        "posts": sum(self.counts.values()),
                        "inboxes": len(self.counts),
                        "most": max(self.counts.values(), default=0),
                        "rounds": _rounds(self.by_round),
                    }
                ).encode()
                self._answer(200, body)
            else:
                self.counts[host + path] += 1
                found = _ROUND_RE.search(body)
                round_ = found.group(1).decode() if found else "?"
                self.by_round[(round_, host + path)] += 1
                self._answer(202, b"")

    def _answer(self, status: int, body: bytes) -> None:
        reason = {200: "OK", 202: "Accepted"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
        head += "Content-Type: application/json\r\n\r\n"
        self.transport.write(head.encode() + body)  # type: ignore[attr-defined]


async def _serve(port: int, hosts: list[str]) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Inbox, host=hosts, port=port, backlog=1024)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


_ROUND_RE = re.compile(rb"/bench-(\d+)-\d+/")


def _rounds(by_round: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Per round: deliveries, distinct inboxes, and the most one inbox got."""
    rounds: dict[str, dict[str, int]] = {}
    for (round_, _), count in by_round.items():
        entry = rounds.setdefault(round_, {"posts": 0, "inboxes": 0, "most": 0})
        entry["posts"] += count
        entry["inboxes"] += 1
        entry["most"] = max(entry["most"], count)
    return rounds


def host_list(count: int) -> list[str]:
    return [f"127.0.1.{n}" for n in range(1, count + 1)]


# -- the benchmark ------------------------------------------------------------------------


async def _setup(settings: Settings, followers: int, hosts: list[str], port: int) -> None:
    engine = make_engine(settings.database)
    async with make_sessionmaker(engine)() as session, session.begin():
        blog = await app_actor(session, settings, "blog")
        pem = generate_keypair().public_pem
        for n in range(followers):
            base = f"http://{hosts[n % len(hosts)]}:{port}"
            ap_id = f"{base}/users/f{n}"
            actor = Actor(
                ap_id=ap_id,
                kind="remote",
                type="Person",
                preferred_username=f"f{n}",
                domain=f"{hosts[n % len(hosts)]}:{port}",
                inbox_url=f"{ap_id}/inbox",
                key_id=f"{ap_id}#main-key",
                public_key_pem=pem,
            )
            session.add(actor)
            await session.flush()
            session.add(Follow(follower_id=actor.id, following_id=blog.id, status="accepted"))
    await engine.dispose()


async def _publish(settings: Settings, posts: int, round_: int) -> None:
    blog = SqlBlogService()  # its PostPublished handler writes the outbox row in the unit
    async with bootstrap(settings, name="bench") as platform, platform.unit_of_work() as uow:
        session = uow.session
        for n in range(posts):
            post = Post(
                slug=f"bench-{round_}-{n}",
                title=f"Bench {round_}.{n}",
                html="<p>" + "Throughput. " * 40 + "</p>",
            )
            session.add(post)
            await session.flush()
            await blog.publish_post(session, post.id)


async def _delivered(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count(Delivery.id)).where(Delivery.status == "delivered")
        )
    return int(count or 0)


async def _reset(settings: Settings) -> None:
    engine = make_engine(settings.database)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE ap_delivery_attempts, ap_deliveries, ap_activities, "
                "ap_objects, ap_inbox_states, posts RESTART IDENTITY CASCADE"
            )
        )
    await engine.dispose()


def _start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for n in range(count):
        log_path = logs / f"worker-{count}-{n}.log"
        with log_path.open("wb") as log:
            out = Path(tempfile.gettempdir()) / f"rose-ash-bench-worker-{count}-{n}.prof"
            profile = ["-m", "cProfile", "-o", str(out)] if PROFILE else []
            argv = [sys.executable, *profile, "-m", "shared.infrastructure.jobs", "run"]
            procs.append(spawn(argv, stdout=log, env=env, cwd=REPO_ROOT))
        deadline = time.monotonic() + 30
        while "started" not in log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or procs[-1].poll() is not None:
                raise SystemExit(f"worker did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
    return procs


def _cpu(pid: int) -> float:
    """CPU seconds of a process and its children (PostgreSQL's backends)."""
    try:
        proc = psutil.Process(pid)
        return sum(sum(p.cpu_times()[:2]) for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return 0.0


async def _round(
    settings: Settings,
    env: dict[str, str],
    workers: int,
    posts: int,
    total: int,
    logs: Path,
    round_: int,
    others: dict[str, int],
) -> float:
    await _reset(settings)
    procs = _start_workers(workers, env, logs)
    engine = make_engine(settings.database)
    try:
        before = {name: _cpu(pid) for name, pid in others.items()}
        before_workers = [_cpu(proc.pid) for proc in procs]
        started = time.monotonic()
        await _publish(settings, posts, round_)
        last, last_print = 0, started
        while True:
            done = await _delivered(engine)
            now = time.monotonic()
            if now - last_print >= 1.0 and done != last:
                say(f"  {workers} worker(s): {done}/{total} delivered")
                last, last_print = done, now
            if done >= total:
                break
            if now - started > 600:
                raise SystemExit(f"only {done}/{total} delivered after 10 minutes")
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        used = [_cpu(proc.pid) - start for proc, start in zip(procs, before_workers, strict=True)]
        spent = ", ".join(f"{name} {_cpu(pid) - before[name]:.1f}" for name, pid in others.items())
        workers_used = ", ".join(f"{cpu:.1f}" for cpu in used)
        say(f"  CPU seconds: workers {workers_used}, {spent}; wall {elapsed:.1f} s")
    finally:
        await engine.dispose()
        stop_all([(proc, signal.SIGTERM) for proc in procs], timeout=30)
    return total / elapsed


def _stats(port: int, host: str) -> dict[str, int]:
    import httpx

    return dict(httpx.get(f"http://{host}:{port}/stats", timeout=5).json())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each (best kept)")
    parser.add_argument("--serve-inboxes", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    hosts = host_list(args.hosts)
    if args.serve_inboxes:
        asyncio.run(_serve(args.serve_inboxes, hosts))
        return 0

    with tempfile.TemporaryDirectory(prefix="rose-ash-bench-") as scratch:
        scratch_dir = Path(scratch)
        say("starting PostgreSQL 16 …")
        postgres = start_postgres(scratch_dir / "pg", fast=True)
        port = free_port()
        inboxes = spawn(
            [sys.executable, __file__, "--hosts", str(args.hosts), "--serve-inboxes", str(port)],
            stdout=subprocess.DEVNULL,
            cwd=REPO_ROOT,
        )
        try:
            url = postgres.create_database("bench")
            migrate(url)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": "redis://127.0.0.1:1/0",  # required by the settings, never used
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                "ROSE_ASH_ENV": "test",
                "AP_PRIVATE_KEY": generate_keypair().private_pem,
                "AP_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
                "PYTHONUNBUFFERED": "1",
            }
            settings = load_settings(env)
            total = args.followers * args.posts
            say(f"{args.followers} followers over {args.hosts} hosts on one stand-in (port {port})")
            asyncio.run(_setup(settings, args.followers, hosts, port))
            others = {"postgres": postgres._proc.pid, "stand-in": inboxes.pid}
            rates: dict[int, float] = {}
            # Alternating rounds, best of each: this machine's other load comes and goes.
            for round_, workers in enumerate((1, 2) * args.rounds):
                say(f"{workers} worker(s): {args.posts} posts → {total} deliveries …")
                rate = asyncio.run(
                    _round(settings, env, workers, args.posts, total, scratch_dir, round_, others)
                )
                say(f"{workers} worker(s): {rate:.0f} deliveries/s")
                rates[workers] = max(rates.get(workers, 0.0), rate)
            stats = _stats(port, hosts[0])
        finally:
            stop_all([(inboxes, signal.SIGTERM)], timeout=10)
            postgres.stop()
    print(f"deliveries_per_second_1_worker: {rates[1]:.0f}")
    print(f"deliveries_per_second_2_workers: {rates[2]:.0f}")
    expected = 2 * args.rounds * args.posts
    print(
        f"stand_in_posts: {stats['posts']} (distinct inboxes {stats['inboxes']}, "
        f"most to one inbox {stats['most']}, expected {expected})"
    )
    print(f"two_vs_one_worker_throughput_ratio: {rates[2] / rates[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
