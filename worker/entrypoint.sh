#!/usr/bin/env bash
# Container entry point of the worker (every durable job kind, ActivityPub
# delivery included): wait for PostgreSQL, then become the worker (exec, so it
# gets SIGTERM itself and can finish the jobs and deliveries in hand). It
# serves no HTTP and never migrates.
#
# Settings (optional): DB_WAIT_TIMEOUT (seconds, 60). The worker reads
# DATABASE_URL, REDIS_URL, SECRET_KEY and the rest, see .env.example, and the
# optional JOBS_* settings (shared/infrastructure/jobs/settings.py).
set -euo pipefail

# Run from the project root (/app in the image, the checkout in tests), so
# `shared` and _config/ resolve the same way everywhere.
cd "$(dirname "$0")/.."

python -m shared.infrastructure.dbwait --timeout "${DB_WAIT_TIMEOUT:-60}"

exec python -m shared.infrastructure.jobs run
