"""Newsletter send throughput: our send job vs a bare aiosmtplib blast of the same mails.

    .venv/bin/python bench/newsletter.py [--subscribers 10000] [--rounds 2]

Starts its own embedded PostgreSQL 16 (migrated) and an SMTP stand-in in a process of
its own (aiosmtpd that counts each recipient and keeps nothing), makes a newsletter
with `--subscribers` confirmed subscribers, then alternates, `--rounds` times:

- bare: the same mails (rendered by the same IssueMail, one per recipient) sent with
  aiosmtplib `send_message` over as many connections as the job uses, no database;
- newsletter: an issue queued with `create_issue` and run by the send job in-process
  (recipient snapshot, a row claimed, committed `sent` before each final ".", one
  transaction per recipient).

The best round of each is kept (other load on the machine comes and goes). Printed:
mails/s of each, the line `newsletter_vs_bare_smtp_ratio: X`, and the process's peak
RSS while the job ran (`newsletter_peak_rss_mb`) and its growth over the RSS before.
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
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import aiosmtplib  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from shared.dev.embedded import free_port, start_postgres  # noqa: E402
from shared.dev.processes import spawn, stop_all  # noqa: E402
from shared.dev.schema import migrate  # noqa: E402
from shared.infrastructure.config import Settings, load_settings  # noqa: E402
from shared.infrastructure.db import make_engine, make_sessionmaker  # noqa: E402
from shared.infrastructure.jobs import JobContext  # noqa: E402
from shared.models.newsletters import Newsletter, NewsletterSubscription  # noqa: E402
from shared.services.newsletters import sends  # noqa: E402
from shared.services.newsletters.delivery import CONNECTIONS, send_issue  # noqa: E402
from shared.services.newsletters.issue_mail import IssueMail  # noqa: E402


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def serve_smtp(port: int) -> None:
    """The stand-in: accept every mail, count recipients, keep nothing."""
    from aiosmtpd.controller import Controller

    class Counting:
        count = 0

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            Counting.count += len(envelope.rcpt_tos)  # type: ignore[attr-defined]
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


async def setup(settings: Settings, subscribers: int) -> int:
    engine = make_engine(settings.database)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        newsletter = Newsletter(slug="weekly", name="Weekly", sender_name="Rose Ash")
        session.add(newsletter)
        await session.flush()
        await session.execute(
            insert(NewsletterSubscription),
            [
                {
                    "newsletter_id": newsletter.id,
                    "email": f"member{n:05d}@example.test",
                    "status": "confirmed",
                    "unsubscribe_token": f"tok{n:05d}" + "x" * 30,
                }
                for n in range(subscribers)
            ],
        )
        newsletter_id = newsletter.id
    await engine.dispose()
    return newsletter_id


async def bare(settings: Settings, subscribers: int) -> float:
    issue = IssueMail.render(
        settings,
        send_id=0,
        slug="weekly",
        newsletter_name="Weekly",
        sender_name="Rose Ash",
        reply_to=None,
        subject="Bench issue",
        body_html=sends.html_of(BODY),
        body_text=BODY,
    )
    recipients = [(n, f"member{n:05d}@example.test") for n in range(subscribers)]

    async def blast(share: list[tuple[int, str]]) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=settings.mail.smtp_port)
        await smtp.connect()
        for n, email in share:
            token = f"tok{n:05d}" + "x" * 30
            await smtp.sendmail(issue.envelope_from, [email], issue.as_bytes(email, token, n))
        await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(blast(recipients[i::CONNECTIONS]) for i in range(CONNECTIONS)))
    return subscribers / (time.perf_counter() - started)


async def ours(settings: Settings, newsletter_id: int, subscribers: int) -> tuple[float, float]:
    engine = make_engine(settings.database)
    sessions = make_sessionmaker(engine)
    me = psutil.Process()
    peak = me.memory_info().rss
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, me.memory_info().rss)
            await asyncio.sleep(0.05)

    async with sessions() as session, session.begin():
        send_id = await sends.create_issue(session, newsletter_id, "Bench issue", BODY)
    sampler = asyncio.ensure_future(sample())
    started = time.perf_counter()
    await send_issue(JobContext(settings, sessions, None), {"send_id": send_id})  # type: ignore[arg-type]
    took = time.perf_counter() - started
    done.set()
    await sampler
    await engine.dispose()
    return subscribers / took, peak / 2**20


BODY = "\n\n".join(
    f"Paragraph {n}: the market opens at nine, the bakery stall has rye again, "
    "and the lantern walk starts from the green at dusk."
    for n in range(12)
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve-smtp", type=int, default=0)
    args = parser.parse_args()
    if args.serve_smtp:
        serve_smtp(args.serve_smtp)
        return 0
    with tempfile.TemporaryDirectory(prefix="rose-ash-bench-") as scratch:
        say("starting PostgreSQL 16 …")
        postgres = start_postgres(Path(scratch) / "pg", fast=True)
        port = free_port()
        stand_in = spawn(
            [sys.executable, __file__, "--serve-smtp", str(port)],
            stdout=subprocess.DEVNULL,
            cwd=REPO_ROOT,
        )
        try:
            url = postgres.create_database("bench")
            migrate(url)
            settings = load_settings(
                {
                    **os.environ,
                    "DATABASE_URL": url,
                    "REDIS_URL": "redis://127.0.0.1:1/0",  # required by the settings, never used
                    "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                    "ROSE_ASH_ENV": "test",
                    "MAIL_BACKEND": "smtp",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(port),
                }
            )
            newsletter_id = asyncio.run(setup(settings, args.subscribers))
            time.sleep(1.0)  # the stand-in's start-up
            say(f"{args.subscribers} subscribers, {CONNECTIONS} SMTP connections")
            rss_before = psutil.Process().memory_info().rss / 2**20
            best_bare = best_ours = 0.0
            peak = 0.0
            for round_ in range(args.rounds):
                rate = asyncio.run(bare(settings, args.subscribers))
                say(f"round {round_ + 1}: bare aiosmtplib {rate:.0f} mails/s")
                best_bare = max(best_bare, rate)
                rate, round_peak = asyncio.run(ours(settings, newsletter_id, args.subscribers))
                say(f"round {round_ + 1}: newsletter job {rate:.0f} mails/s")
                best_ours = max(best_ours, rate)
                peak = max(peak, round_peak)
            print(f"bare_smtp_mails_per_second: {best_bare:.0f}")
            print(f"newsletter_mails_per_second: {best_ours:.0f}")
            print(f"newsletter_peak_rss_mb: {peak:.0f} (before the rounds: {rss_before:.0f})")
            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"process_max_rss_mb: {max_rss:.0f}")
            print(f"newsletter_vs_bare_smtp_ratio: {best_ours / best_bare:.2f}")
        finally:
            stop_all([(stand_in, __import__("signal").SIGTERM)])
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
