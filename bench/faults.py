"""Load and faults: what members see while Redis, PostgreSQL, the worker or an app fails.

    .venv/bin/python bench/faults.py [--quick] [--redis-outage 20] [--keep]

Starts its own PostgreSQL and Redis (embedded; Redis append-only, as in production),
the SumUp and SMTP stand-ins (threads of this process, real sockets), a stand-in
inbox server for remote followers of the blog, the six apps as Hypercorn processes
and the jobs worker, loads the demo data, and puts a steady load on blog's home page
(anonymous and signed in), the cart page and buyers paying real orders for products
and event tickets (bench/fault_load.py). Then, one after another, with recovery in
between, each with a post published to the followers as it begins and one during it
(bench/fault_deliveries.py):

  1. Redis is stopped for --redis-outage seconds, then started on the same port;
  2. PostgreSQL is stopped, and --postgres-down seconds later started on its port
     and data directory;
  3. the worker is SIGKILLed and, --worker-down seconds later, a new one started;
  4. the cart's Hypercorn process is SIGKILLed and started again, as a
     supervisor would (the other apps are never restarted).

For each it prints the requests answered from the fault until recovery, errors by
status, the time to recover (from the fault's end until every stream answered well
for 2 s) and, checked in the database, the SMTP stand-in and the inbox stand-in
once the load stopped and the queue drained: `lost: N, duplicated: M` over the
orders the buyers were shown, the payments they saw confirmed, the tickets of paid
orders, the mails those orders send, jobs and deliveries. Timings are printed,
never asserted; the exit code is 1 if anything was lost or duplicated, a job is
stuck or dead, or the platform did not recover.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import path_setup  # noqa: F401  (puts the repository root on sys.path, before `shared`)
from checkout import seed as seed_product
from fault_deliveries import Deliveries
from fault_load import Audit, Load, Window, audit
from fragments import CART_TOKEN, Stack, prepare_data
from pages import _mint_sessions as mint_sessions

from shared.dev.embedded import start_postgres, start_redis
from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.config import APP_NAMES, load_settings

STREAMS = ("blog home", "member home", "cart page", "checkout")
MAIL_KINDS = ("cart.send_mail", "events.tickets_mail")
CLEAN_FOR = 2.0  # seconds of good answers on every stream that count as recovered
RECOVERY_LIMIT = 60.0  # seconds after a fault's end before "never recovered"
LEASE_SECONDS = "10"  # the worker's job lease: how soon a killed worker's jobs are retaken


def say(message: str) -> None:
    print(f"[faults] {message}", flush=True)


class FaultStack(Stack):
    """bench/fragments.py's stack, with the stand-ins wired in and restartable parts."""

    def __init__(self, workdir: Path, sumup: SumUpStandIn, smtp: SmtpStandIn) -> None:
        super().__init__(workdir)
        # Production's Redis keeps an append-only file (docker-compose.yml): so does this
        # one, or a restart would sign every member out.
        self.redis.stop()
        self.redis = start_redis(workdir / "redis", self.redis.port, persist=True)
        self.extra = {
            "ROSE_ASH_ENV": "dev",  # plain-http loopback: cookies must not be Secure
            "SUMUP_API_URL": sumup.url,
            "SUMUP_API_KEY": sumup.api_key,
            "SUMUP_MERCHANT_CODE": sumup.merchant_code,
            "SUMUP_WEBHOOK_BASE_URL": f"http://127.0.0.1:{self.ports['cart']}",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "JOBS_LEASE_SECONDS": LEASE_SECONDS,
            "AP_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",  # the stand-in inboxes are on loopback
            "AP_PRIVATE_KEY": generate_keypair().private_pem,  # one actor key, every process
        }
        self.named: dict[str, subprocess.Popen[bytes]] = {}

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(**{**self.extra, **extra})

    def start_named(self, name: str) -> None:
        if name == "worker":
            argv: list[str | Path] = [sys.executable, "-m", "shared.infrastructure.jobs", "run"]
            self.spawn(name, argv, self.env())
        else:
            self.start_app(name, name, self.ports[name])
        self.named[name] = self.procs[-1]

    def kill(self, name: str) -> None:
        proc = self.named.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart_redis(self, outage: float) -> None:
        port = self.redis.port
        self.redis.stop()
        time.sleep(outage)
        self.redis = start_redis(self.workdir / "redis", port, persist=True)

    def restart_postgres(self, down: float) -> None:
        port = self.postgres.port
        self.postgres.stop()
        time.sleep(down)
        self.postgres = start_postgres(
            self.workdir / "postgres" / "data", port, fast=True, any_port=False
        )


@dataclass
class Outcome:
    name: str
    window: Window  # from the fault's start until 2 s after it recovered
    recovery: float | None  # None: never recovered
    jobs_caught_up: float | None = None


async def watch_recovery(load: Load, started: float, ended: float) -> float | None:
    """Seconds from the fault's end until the last failure, once every stream has
    answered well for CLEAN_FOR seconds after it; None if that never happens."""
    while time.monotonic() < ended + RECOVERY_LIMIT:
        await asyncio.sleep(0.2)
        last = load.last_failure(started)
        reference = max(ended, last or ended)
        if time.monotonic() - reference >= CLEAN_FOR and set(STREAMS) <= load.clean_since(
            reference
        ):
            return reference - ended
    return None


async def unfinished_jobs(database_url: str, before: float | None = None) -> int:
    """Jobs not yet succeeded or dead (created before the epoch second `before`)."""
    conn = await asyncpg.connect(database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'failed')"
                " AND kind = ANY($2::text[])"
                " AND ($1::float8 IS NULL OR created_at < to_timestamp($1::float8))",
                before,
                list(MAIL_KINDS),
            )
        )
    finally:
        await conn.close()


async def jobs_catch_up(database_url: str, since: float, limit: float) -> float | None:
    """Seconds until every mail job enqueued before the worker came back is done."""
    epoch = time.time()
    while time.monotonic() < since + limit:
        if await unfinished_jobs(database_url, epoch) == 0:
            return time.monotonic() - since
        await asyncio.sleep(0.25)
    return None


async def fault(
    load: Load,
    deliveries: Deliveries,
    name: str,
    action: Callable[[], None],
    database_url: str,
    worker: bool = False,
) -> Outcome:
    say(f"{name} …")
    load.phase = name
    load.starts.append((time.time(), name))
    await deliveries.publish(name)  # its deliveries are on their way as the fault hits
    started = time.monotonic()
    acting = asyncio.create_task(asyncio.to_thread(action))
    await asyncio.sleep(1)
    await deliveries.publish(name)  # and one published in the middle of it
    await acting
    ended = time.monotonic()
    say(f"  done after {ended - started:.1f} s; waiting for the platform to recover …")
    caught_up = await jobs_catch_up(database_url, ended, RECOVERY_LIMIT) if worker else None
    recovery = await watch_recovery(load, started, ended)
    until = ended + (recovery or RECOVERY_LIMIT) + CLEAN_FOR
    outcome = Outcome(name, load.window(started, until), recovery, caught_up)
    say(f"  {summary(outcome)}")
    return outcome


def summary(outcome: Outcome) -> str:
    window = outcome.window
    errors = ", ".join(f"{k}: {v}" for k, v in window.errors.most_common()) or "none"
    recovered = (
        f"recovered {outcome.recovery:.1f} s after the fault ended"
        if outcome.recovery is not None
        else f"NOT recovered within {RECOVERY_LIMIT:.0f} s"
    )
    text = (
        f"requests answered: {window.answered} (p50 {window.p50 * 1000:.0f} ms,"
        f" p99 {window.p99 * 1000:.0f} ms); errors: {errors}; {recovered}"
    )
    if outcome.jobs_caught_up is not None:
        text += f"; queued mails all sent {outcome.jobs_caught_up:.1f} s after the new worker"
    return text


async def seed_ticket_type(database_url: str) -> tuple[int, int]:
    """Unlimited tickets for a coming one-off demo event, and the first demo member's id."""
    conn = await asyncpg.connect(database_url)
    try:
        event = await conn.fetchval(
            "SELECT id FROM events WHERE status = 'published' AND rrule IS NULL"
            " AND starts_at > now() + interval '1 day' ORDER BY starts_at LIMIT 1"
        )
        ticket_type = await conn.fetchval(
            "INSERT INTO ticket_types (event_id, name, price_minor, currency)"
            " VALUES ($1, 'Fault bench seat', 700, 'GBP') RETURNING id",
            event,
        )
        member = await conn.fetchval("SELECT id FROM users ORDER BY id LIMIT 1")
        return int(ticket_type), int(member)
    finally:
        await conn.close()


async def run(
    stack: FaultStack, smtp: SmtpStandIn, deliveries: Deliveries, args: argparse.Namespace
) -> int:
    await deliveries.follow()
    product_id = await seed_product(stack.database_url, 1_000_000, 0, secrets.token_hex(3))
    ticket_type_id, member_id = await seed_ticket_type(stack.database_url)
    member_cookie = (await mint_sessions(stack.redis.url, member_id))["blog"]
    urls = {
        "blog": f"http://127.0.0.1:{stack.ports['blog']}",
        "cart": f"http://127.0.0.1:{stack.ports['cart']}",
        "cart_public": f"http://cart.localhost:{stack.ports['cart']}",
        "market": f"http://market.localhost:{stack.ports['market']}",
    }
    load = Load(urls, product_id, ticket_type_id, CART_TOKEN, member_cookie)
    tasks = load.start(args.blog, args.cart, args.buyers)
    say(
        f"steady load: {args.blog} anonymous and 1 member on blog home, {args.cart} on the"
        f" cart page, {args.buyers} buyers (every other one a ticket)"
    )
    say(f"baseline for {args.baseline:.0f} s …")
    await asyncio.sleep(args.baseline)
    base = load.window(0, time.monotonic())
    say(
        f"  baseline: {base.answered} requests answered (p50 {base.p50 * 1000:.0f} ms,"
        f" p99 {base.p99 * 1000:.0f} ms), errors: {dict(base.errors) or 'none'}"
    )
    db = stack.database_url
    outcomes = [
        await fault(
            load,
            deliveries,
            f"Redis stopped for {args.redis_outage:.0f} s",
            lambda: stack.restart_redis(args.redis_outage),
            db,
        ),
        await fault(
            load,
            deliveries,
            f"PostgreSQL restarted ({args.postgres_down:.0f} s down)",
            lambda: stack.restart_postgres(args.postgres_down),
            db,
        ),
    ]

    def worker_down() -> None:
        stack.kill("worker")
        time.sleep(args.worker_down)
        stack.start_named("worker")

    outcomes.append(
        await fault(
            load,
            deliveries,
            f"worker SIGKILLed, back after {args.worker_down:.0f} s",
            worker_down,
            db,
            True,
        )
    )

    def cart_killed() -> None:
        stack.kill("cart")
        stack.start_named("cart")

    outcomes.append(
        await fault(load, deliveries, "cart app SIGKILLed and restarted", cart_killed, db)
    )
    say("stopping the load (buyers finish their checkout) …")
    load.stopping = True
    await asyncio.wait(tasks, timeout=60)
    say("waiting for the queue to drain …")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not (await unfinished_jobs(db) or await deliveries.unfinished(db)):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)  # the last mails' SMTP sessions finish
    mails = Counter(
        (recipient, mail.subject) for mail in smtp.received for recipient in mail.recipients
    )
    resubmitted = await load.resubmitted_checkout()
    audits = await audit(db, load.attempts, mails, load.starts)
    sent = await deliveries.check(db)
    for phase, (lost, duplicated) in sent.items():
        audits.setdefault(phase, Audit([], [], [])).add(lost, duplicated)
    code = report(load, outcomes, audits, deliveries, sent)
    # The case the buyers meet only when a kill lands between commit and answer.
    twice = len(set(resubmitted))
    print(f"checkout form sent twice (a resubmit after a lost answer): {twice} order(s)")
    return code if twice == 1 else 1


def report(
    load: Load,
    outcomes: list[Outcome],
    audits: dict[str, Audit],
    deliveries: Deliveries,
    sent: dict[str, tuple[list[str], list[str]]],
) -> int:
    """Per fault and overall; `audits` holds every finding by phase (deliveries and jobs
    included), `sent` the deliveries' own, to print them apart."""
    print()
    bad = False
    for outcome in outcomes:
        checks = audits.get(outcome.name, Audit([], [], []))
        attempts = [a for a in load.attempts if a.phase == outcome.name]
        paid = sum(a.paid for a in attempts)
        print(f"{outcome.name}:")
        print(f"  {summary(outcome)}")
        streams = ", ".join(f"{k}: {outcome.window.by_stream[k]}" for k in (*STREAMS, "sumup"))
        print(f"  errors by stream: {streams}")
        print(f"  checkouts started: {len(attempts)}, paid: {paid}; {checks.line()}")
        lost, duplicated = sent.get(outcome.name, ([], []))
        print(
            f"  deliveries: {deliveries.published.get(outcome.name, 0)} posts published"
            f" ({deliveries.failed.get(outcome.name, 0)} refused), lost: {len(lost)},"
            f" duplicated: {len(duplicated)}; jobs enqueued in it stuck past their lease:"
            f" {len(checks.stuck)}"
        )
        others = Counter(a.outcome for a in attempts if a.outcome != "paid")
        if others:
            print(f"  buyers who did not finish: {dict(others)}")
        if checks.unseen:
            print(f"  orders placed whose answer never reached the buyer: {checks.unseen}")
        for problem in checks.lost + checks.duplicated + checks.stuck:
            print(f"    {problem}")
        bad |= outcome.recovery is None or bool(checks.lost or checks.duplicated or checks.stuck)
    faults = {outcome.name for outcome in outcomes}
    for phase in ("baseline", *sorted(set(audits) - faults - {"baseline"})):
        rest = audits.get(phase, Audit([], [], []))
        print(f"{phase}: {rest.line()}, stuck: {len(rest.stuck)}")
        for problem in rest.lost + rest.duplicated + rest.stuck:
            print(f"    {problem}")
        bad |= bool(rest.lost or rest.duplicated or rest.stuck)
    stuck = sum(len(a.stuck) for a in audits.values())
    dead = sum(problem.startswith("job ") for a in audits.values() for problem in a.lost)
    print(f"jobs: dead {dead}, stuck past lease {stuck}")
    posts = sum(deliveries.published.values())
    print(
        f"deliveries: {posts} posts published to {deliveries.followers} followers"
        f" ({sum(deliveries.failed.values())} refused while the database was down:"
        f" {deliveries.failed or 'none'})"
    )
    outcomes_by = Counter(a.outcome for a in load.attempts)
    print(f"buyers' outcomes: {dict(outcomes_by.most_common())}")
    print('("200 signed out": with Redis down, sessions are unreadable and the member is')
    print(" served as anonymous by design, shared/infrastructure/oauth.py)")
    total_lost = sum(len(a.lost) for a in audits.values())
    total_dup = sum(len(a.duplicated) for a in audits.values())
    print(f"lost: {total_lost}, duplicated: {total_dup}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/faults.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short outages (a development run)")
    parser.add_argument("--redis-outage", type=float, default=20.0, help="seconds Redis is down")
    parser.add_argument("--postgres-down", type=float, default=5.0, help="seconds PG is down")
    parser.add_argument("--worker-down", type=float, default=10.0, help="seconds without worker")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds of load first")
    parser.add_argument("--blog", type=int, default=3, help="concurrent blog home readers")
    parser.add_argument("--cart", type=int, default=2, help="concurrent cart page readers")
    parser.add_argument("--buyers", type=int, default=3, help="concurrent buyers")
    parser.add_argument("--followers", type=int, default=20, help="remote followers")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    args = parser.parse_args(argv)
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # aiosmtpd: clients hanging up
    if args.quick:
        args.redis_outage, args.postgres_down, args.worker_down, args.baseline = 5, 2, 3, 3
    workdir = Path(tempfile.mkdtemp(prefix="rose-ash-faults-"))
    say(f"working in {workdir} (logs of every process are there)")
    sumup = SumUpStandIn().start()
    smtp = SmtpStandIn().start()
    stack = FaultStack(workdir, sumup, smtp)
    try:
        migrate(stack.database_url)  # federation reads its OAuth clients as it starts
        for name in (*APP_NAMES, "worker"):
            stack.start_named(name)
        stack.wait_ready(*(f"http://127.0.0.1:{stack.ports[name]}" for name in APP_NAMES))
        prepare_data(stack, f"http://127.0.0.1:{stack.ports['cart']}")
        deliveries = Deliveries(load_settings(stack.env()), args.followers)
        stack.procs.append(deliveries.start_inboxes(workdir / "inboxes.log"))
        return asyncio.run(run(stack, smtp, deliveries, args))
    finally:
        say("stopping everything …")
        stack.stop()
        smtp.stop()
        sumup.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
