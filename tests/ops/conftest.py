"""Fixtures of the operations tests: their own servers, so no session fixture is needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.dev.embedded import start_postgres, start_redis
from tests.ops.running import Servers


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """PostgreSQL and Redis for one test module, in its own temp dirs."""
    postgres = start_postgres(tmp_path_factory.mktemp("postgres") / "data", fast=True)
    try:
        redis = start_redis(tmp_path_factory.mktemp("redis"))
        try:
            yield Servers(postgres, redis.url)
        finally:
            redis.stop()
    finally:
        postgres.stop()
