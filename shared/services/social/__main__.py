"""Make the actors a database is missing: `python -m shared.services.social`.

Every app's actor and the instance actor, created or brought up to date with
the settings, and an actor with keys for each member created before actors
were made at sign-up (or moved, when the federation URL changed). Safe to
run again; blog's entrypoint runs it after the migrations.
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text

from shared.infrastructure.config import ConfigError, load_settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.services.social.actors import make_missing_actors

LOCK_KEY = 0x526F_5365_4163_7472 & 0x7FFF_FFFF_FFFF_FFFF  # "RoSeActr", a signed bigint


async def _main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"social: configuration error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # Replicas starting together take turns, as the migrations do.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            touched = await make_missing_actors(session, settings)
    finally:
        await engine.dispose()
    print(f"social: app actors up to date; made or moved the actors of {touched} members")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main()))
