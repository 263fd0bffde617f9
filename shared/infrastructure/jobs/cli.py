"""`python -m shared.infrastructure.jobs run | list | show ID | retry ID`.

run                 the worker: every job kind and loop (see worker.py)
list [--state S]    queued, running, failed and dead jobs (or only state S)
show ID             one job in full: payload, attempts, last error
retry ID            queue a failed or dead job again, due now
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select

from shared.infrastructure.config import ConfigError, load_settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.jobs import queue
from shared.infrastructure.jobs.signals import restore_defaults
from shared.models.jobs import JOB_STATES, Job

LISTED_BY_DEFAULT = ("queued", "running", "failed", "dead")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _error_line(error: str | None, width: int) -> str:
    if not error:
        return ""
    # The exception's last line, its class without the module path: the gist in a column.
    last = re.sub(r"^[\w.]+\.(\w+:)", r"\1", error.strip().splitlines()[-1])
    return last if len(last) <= width else last[: width - 1] + "…"


async def list_jobs(state: str | None, limit: int, out: TextIO) -> int:
    states = (state,) if state else LISTED_BY_DEFAULT
    async with _session() as session:
        counts = dict(
            (await session.execute(select(Job.state, func.count()).group_by(Job.state))).all()
        )
        jobs = list(
            await session.scalars(
                select(Job).where(Job.state.in_(states)).order_by(Job.id.desc()).limit(limit)
            )
        )
    summary = ", ".join(f"{s} {counts.get(s, 0)}" for s in JOB_STATES)
    print(f"jobs: {summary}", file=out)
    if not jobs:
        print(f"no {' or '.join(states)} jobs", file=out)
        return 0
    header = f"{'ID':>8}  {'KIND':<28} {'STATE':<9} {'TRIES':>5}  {'RUN AT':<19}  LAST ERROR"
    print(header, file=out)
    for job in jobs:
        tries = f"{job.attempts}/{job.max_attempts}"
        print(
            f"{job.id:>8}  {job.kind[:28]:<28} {job.state:<9} {tries:>5}  {_when(job.run_at):<19}  "
            f"{_error_line(job.last_error, 60)}",
            file=out,
        )
    return 0


async def show_job(job_id: int, out: TextIO) -> int:
    async with _session() as session:
        job = await session.get(Job, job_id)
    if job is None:
        print(f"there is no job {job_id}", file=sys.stderr)
        return 1
    fields = [
        ("id", str(job.id)),
        ("kind", job.kind),
        ("state", job.state),
        ("key", job.key or "-"),
        ("attempts", f"{job.attempts} of {job.max_attempts}"),
        ("run at", _when(job.run_at)),
        ("leased until", _when(job.leased_until)),
        ("worker", job.worker or "-"),
        ("created", _when(job.created_at)),
        ("updated", _when(job.updated_at)),
        ("finished", _when(job.finished_at)),
    ]
    for name, value in fields:
        print(f"{name + ':':<14}{value}", file=out)
    print("payload:", file=out)
    print("  " + json.dumps(job.payload, indent=2, sort_keys=True).replace("\n", "\n  "), file=out)
    if job.last_error:
        print("last error:", file=out)
        print("  " + job.last_error.strip().replace("\n", "\n  "), file=out)
    return 0


async def retry_job(job_id: int, out: TextIO) -> int:
    try:
        async with _session() as session, session.begin():
            job = await queue.retry(session, job_id)
            kind = job.kind
    except queue.NotRetryable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"job {job_id} ({kind}) is queued again", file=out)
    return 0


class _session:
    """A session on its own engine, disposed on exit (one command, one connection)."""

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        self.engine = make_engine(load_settings().database)
        self.session = make_sessionmaker(self.engine)()
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.infrastructure.jobs", description="Rose Ash durable jobs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the worker (every job kind)")
    listing = commands.add_parser("list", help="list unfinished and dead jobs")
    listing.add_argument("--state", choices=JOB_STATES)
    listing.add_argument("--limit", type=int, default=50)
    show = commands.add_parser("show", help="show one job")
    show.add_argument("id", type=int)
    again = commands.add_parser("retry", help="queue a failed or dead job again")
    again.add_argument("id", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        from shared.infrastructure.jobs.worker import main as run_worker

        return run_worker()
    restore_defaults()
    try:
        if args.command == "list":
            return asyncio.run(list_jobs(args.state, args.limit, sys.stdout))
        if args.command == "show":
            return asyncio.run(show_job(args.id, sys.stdout))
        return asyncio.run(retry_job(args.id, sys.stdout))
    except ConfigError as exc:
        print(f"rose-ash jobs: configuration error: {exc}", file=sys.stderr)
        return 2
