#!/usr/bin/env bash
# Container entry point of the worker (the ActivityPub EventProcessor): wait
# for PostgreSQL, then become the processor (exec, so it gets SIGTERM itself
# and can finish the delivery in hand). It serves no HTTP and never migrates.
#
# Settings (optional): DB_WAIT_TIMEOUT (seconds, 60). The processor reads
# DATABASE_URL, REDIS_URL, SECRET_KEY and the rest, see .env.example.
set -euo pipefail

# Run from the project root (/app in the image, the checkout in tests), so
# `shared` and _config/ resolve the same way everywhere.
cd "$(dirname "$0")/.."

python -m shared.infrastructure.dbwait --timeout "${DB_WAIT_TIMEOUT:-60}"

exec python -m shared.infrastructure.activitypub.processor
