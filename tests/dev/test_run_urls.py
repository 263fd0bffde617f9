"""The URLs `make dev` gives each app: its own by default, the environment's when set."""

from __future__ import annotations

import pytest

from shared.dev.run import App


def test_by_default_an_app_is_its_name_under_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_BASE_URL_MARKET", raising=False)
    app = App.planned("market", 8002, loopback_host=False)
    assert (app.public_url, app.internal_url) == (
        "http://market.localhost:8002",
        "http://127.0.0.1:8002",
    )


def test_the_environments_base_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_BASE_URL_BLOG", "https://blog.dev.example/")
    app = App.planned("blog", 8001, loopback_host=True)
    assert app.public_url == "https://blog.dev.example"  # not overwritten
    assert app.internal_url == "http://127.0.0.11:8001"


def test_loopback_hosts_give_each_app_its_own_address(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("blog", "account"):
        monkeypatch.delenv(f"APP_BASE_URL_{name.upper()}", raising=False)
    assert App.planned("blog", 9001, loopback_host=True).public_url == "http://127.0.0.11:9001"
    assert App.planned("account", 9006, loopback_host=True).public_url == "http://127.0.0.16:9006"
