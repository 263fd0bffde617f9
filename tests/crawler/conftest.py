"""The crawled platform, started once for every test in this folder: the dead-link crawl
and the accessibility audit read the same pages."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from shared.dev.schema import migrate
from shared.infrastructure.oidc.keys import generate_private_key_pem
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer
from tests.support.live import REPO_ROOT, LivePlatform, redis_database

DATABASE = "rose_ash_crawler"


@pytest.fixture(scope="package")
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    redis = redis_database(redis_url, 6)  # a database of its own: other tests flush theirs
    platform = LivePlatform(
        url,
        redis,
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("crawler-logs"),
        extra_env={
            "OIDC_PRIVATE_KEY": generate_private_key_pem(),
            "ROSE_ASH_ENV": "dev",  # plain-http loopback: cookies must not be Secure
        },
        loopback_ips=True,
    )
    seeded = subprocess.run(
        [sys.executable, "-m", "shared.dev.seed"],
        cwd=REPO_ROOT,
        env=platform.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    platform.start()
    yield platform
    platform.stop()
    database_server.drop(DATABASE)
