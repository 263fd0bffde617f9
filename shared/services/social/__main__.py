"""Make the actors a database is missing: `python -m shared.services.social`.

Every app's actor and the instance actor, created or brought up to date with
the settings, and an actor with keys for each member created before actors
were made at sign-up (or moved, when the federation URL changed). Safe to
run again; blog's entrypoint runs it after the migrations.
"""

from __future__ import annotations

import asyncio
import sys

from shared.infrastructure.config import ConfigError, load_settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.services.social.actors import make_missing_actors


async def _main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"social: configuration error: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            touched = await make_missing_actors(session, settings)
    finally:
        await engine.dispose()
    print(f"social: app actors up to date; made or moved the actors of {touched} members")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main()))
