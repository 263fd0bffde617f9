#!/usr/bin/env bash
# Container entry point of blog: wait for PostgreSQL, migrate when told to,
# then become the Hypercorn server (exec, so it gets Swarm's SIGTERM itself).
#
# Settings (all optional): DB_WAIT_TIMEOUT (seconds, 60), RUN_MIGRATIONS
# (true to run `alembic upgrade head` first; only blog migrates), WEB_WORKERS
# (2), GRACEFUL_TIMEOUT (seconds to finish requests on SIGTERM, 20), HOST
# (0.0.0.0) and PORT (8000). The app itself reads DATABASE_URL, REDIS_URL,
# SECRET_KEY and the rest, see .env.example.
set -euo pipefail

# Run from the project root: /app in the image, the checkout in tests, so
# `blog.app:create_app()`, alembic.ini and _config/ resolve the same way everywhere.
cd "$(dirname "$0")/.."

python -m shared.infrastructure.dbwait --timeout "${DB_WAIT_TIMEOUT:-60}"

# Only blog migrates, so the six apps never race each other on one schema.
if [ "${RUN_MIGRATIONS:-false}" = "true" ]; then
    echo "entrypoint: running migrations (alembic upgrade head)" >&2
    python -m alembic -c alembic.ini upgrade head
    # App actors follow the settings; members from before actors-at-sign-up get theirs.
    echo "entrypoint: making missing actors (python -m shared.services.social)" >&2
    python -m shared.services.social
fi

exec hypercorn \
    --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
    --workers "${WEB_WORKERS:-2}" \
    --graceful-timeout "${GRACEFUL_TIMEOUT:-20}" \
    --config file:shared/infrastructure/serving.py \
    --access-logfile - \
    "blog.app:create_app()"
