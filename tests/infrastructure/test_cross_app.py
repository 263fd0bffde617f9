"""Cross-app forms: who may post, where the browser goes back to, which cookie domain."""

from __future__ import annotations

import pytest

from shared.infrastructure.config import Settings
from shared.infrastructure.cross_app import comes_from_our_apps, same_site_url, site_cookie_domain


def with_hosts(settings: Settings, template: str) -> Settings:
    apps = {
        name: urls.model_copy(update={"base_url": template.format(app=name)})
        for name, urls in settings.apps.items()
    }
    return settings.model_copy(update={"apps": apps})


@pytest.mark.parametrize(
    ("template", "domain"),
    [
        ("https://{app}.rose-ash.com", "rose-ash.com"),
        ("http://{app}.localhost:8001", None),  # browsers drop Domain=localhost
        ("http://{app}.rose-ash.localhost:8001", "rose-ash.localhost"),
        ("https://{app}.coop.example.org", "coop.example.org"),
        ("http://127.0.0.1:8001/{app}", None),  # an IP address: no domain cookie
    ],
)
def test_the_site_cookie_domain_is_what_every_app_host_shares(
    settings: Settings, template: str, domain: str | None
) -> None:
    assert site_cookie_domain(with_hosts(settings, template)) == domain


def test_apps_under_different_domains_share_no_cookie_domain(settings: Settings) -> None:
    apps = dict(settings.apps)
    apps["cart"] = apps["cart"].model_copy(update={"base_url": "https://cart.example.net"})
    mixed = with_hosts(settings, "https://{app}.rose-ash.com").model_copy(update={"apps": apps})
    assert site_cookie_domain(mixed) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/lines/?x=1", "/lines/?x=1"),
        ("http://market.localhost:8002/stalls/x/", "http://market.localhost:8002/stalls/x/"),
        ("http://market.localhost:8002", "http://market.localhost:8002/"),
        ("https://evil.example/", "/"),
        ("http://market.localhost:9999/", "/"),
        ("http://user@market.localhost:8002/", "/"),
        ("//evil.example", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_the_way_back_stays_on_our_apps(
    settings: Settings, value: str | None, expected: str
) -> None:
    assert same_site_url(value, settings, "/") == expected


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "http://market.localhost:8002"}, True),
        ({"Origin": "http://market.localhost:8002", "Sec-Fetch-Site": "same-site"}, True),
        ({"Referer": "http://events.localhost:8004/winter/"}, True),
        # Our own app on another site (the dev hosts): allowed; the endpoint decides.
        ({"Origin": "http://market.localhost:8002", "Sec-Fetch-Site": "cross-site"}, True),
        ({"Origin": "https://evil.example", "Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "https://market.localhost.evil.example"}, False),
        ({"Origin": "null"}, False),
        ({}, False),
    ],
)
def test_only_pages_of_our_apps_may_post_across_apps(
    settings: Settings, headers: dict[str, str], allowed: bool
) -> None:
    assert comes_from_our_apps(headers, settings) is allowed
