"""The one bootstrap: a platform opened and closed in one order, the registry wired once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.infrastructure.bootstrap import Platform, bootstrap
from shared.infrastructure.config import APP_NAMES, Settings
from shared.infrastructure.media.storage import FilesystemMediaStorage
from shared.infrastructure.runtime import runtime
from shared.services import registry
from tests.conftest import AppFactory


async def test_an_open_platform_reaches_the_database_and_redis_and_a_closed_one_refuses(
    settings: Settings,
) -> None:
    platform = bootstrap(settings, name="worker")
    with pytest.raises(RuntimeError, match="not open"):
        platform.redis  # noqa: B018  (the property is what is tested)
    async with platform:
        assert platform.is_open
        async with platform.db.session() as session:
            assert await session.scalar(text("SELECT 1")) == 1
        assert await platform.redis.ping()
        assert not platform.internal_http.is_closed
        assert platform.federation_http is not None
        assert isinstance(platform.media, FilesystemMediaStorage)
    assert not platform.is_open
    with pytest.raises(RuntimeError, match="not open"):
        platform.federation_http  # noqa: B018
    with pytest.raises(RuntimeError, match="not open"):
        platform.db.session()


async def test_a_second_app_in_one_process_does_not_rewire_the_registry(
    make_app: AppFactory,
) -> None:
    first = await make_app("blog")
    wired_cart = registry.services.cart
    second = await make_app("cart")
    assert registry.services.cart is wired_cart
    assert runtime(first) is not runtime(second)
    assert isinstance(runtime(second), Platform) and runtime(second).name == "cart"


async def test_wiring_twice_through_the_bootstrap_keeps_the_first_wiring(
    settings: Settings,
) -> None:
    bootstrap(settings)
    wired = registry.services.blog
    bootstrap(settings)
    assert registry.services.blog is wired
    # The explicit re-wire stays available to tests.
    registry.wire_services(settings)
    assert registry.services.blog is not wired


def test_importing_the_app_modules_builds_nothing(repo_root: Path) -> None:
    # A clean interpreter without a single setting: importing alone must succeed.
    modules = ", ".join(f"{name}.app" for name in APP_NAMES)
    code = (
        f"import {modules}\n"
        f"for name in {list(APP_NAMES)!r}:\n"
        "    module = sys.modules[name + '.app']\n"
        "    assert not hasattr(module, 'app'), name\n"
        "    assert callable(module.create_app)\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        cwd=repo_root,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
