#!/usr/bin/env bash
# Container entry point of account: wait for PostgreSQL, then become the
# Hypercorn server (exec, so it gets Swarm's SIGTERM itself). It never
# migrates: blog alone owns that, whatever RUN_MIGRATIONS says.
#
# Settings (all optional): DB_WAIT_TIMEOUT (seconds, 60), WEB_WORKERS (2),
# GRACEFUL_TIMEOUT (seconds to finish requests on SIGTERM, 20), HOST
# (0.0.0.0) and PORT (8000). The app itself reads DATABASE_URL, REDIS_URL,
# SECRET_KEY and the rest, see .env.example.
set -euo pipefail

# Run from the project root: /app in the image, the checkout in tests, so
# `account.app:create_app()` and _config/ resolve the same way everywhere.
cd "$(dirname "$0")/.."

python -m shared.infrastructure.dbwait --timeout "${DB_WAIT_TIMEOUT:-60}"

exec hypercorn \
    --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
    --workers "${WEB_WORKERS:-2}" \
    --graceful-timeout "${GRACEFUL_TIMEOUT:-20}" \
    --config file:shared/infrastructure/serving.py \
    --access-logfile - \
    "account.app:create_app()"
