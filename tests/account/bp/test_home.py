"""The dashboard is composed from the fragments the owning apps serve: each card its app
answers, for the signed-in member; nothing for one that no app serves (a 404)."""

from __future__ import annotations

from shared.contracts.dtos import UserRecord
from shared.contracts.widgets import DASHBOARD_FRAGMENTS
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from tests.conftest import AppFactory
from tests.infrastructure.fragments.conftest import StandIn, stand_in  # noqa: F401 (a fixture)
from tests.infrastructure.fragments.test_shell import pointed_at

ADA = UserRecord(id=41, username="ada", display_name="Ada", email="ada@x.test", is_admin=False)


async def test_the_dashboard_shows_each_card_its_app_serves_and_nothing_for_the_rest(
    make_app: AppFactory,
    mail_settings: Settings,
    stand_in: StandIn,  # noqa: F811
) -> None:
    stand_in.html["member-orders"] = "<h2>Your orders</h2><p>Order RA-1042: pending</p>"
    stand_in.html["member-tickets"] = "<h2>Your tickets</h2><p>Lantern walk</p>"
    for missing in ("member-bookings", "member-stalls", "member-notifications"):
        stand_in.status[missing] = 404
        stand_in.html[missing] = "no such fragment"
    app = await make_app(
        "account",
        app_settings=pointed_at(mail_settings, stand_in.url, timeout=10.0, page_budget=10.0),
        bind=False,
    )

    @app.before_request
    async def sign_in() -> None:
        set_viewer(ADA)

    response = await app.test_client().get("/")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-card="member-orders"' in html and "Order RA-1042: pending" in html
    assert 'data-card="member-tickets"' in html and "Lantern walk" in html
    for missing in ("member-bookings", "member-stalls", "member-notifications"):
        assert f'data-card="{missing}"' not in html
        assert "no such fragment" not in html
    asked = {seen.type: seen for seen in stand_in.seen if seen.type in DASHBOARD_FRAGMENTS}
    assert set(asked) == set(DASHBOARD_FRAGMENTS)
    assert all(
        s.params == {"limit": "5"} and s.viewer and s.viewer.user_id == 41 for s in asked.values()
    )


async def test_a_visitor_who_is_not_signed_in_gets_no_dashboard_cards(
    make_app: AppFactory,
    settings: Settings,
    stand_in: StandIn,  # noqa: F811
) -> None:
    app = await make_app("account", app_settings=pointed_at(settings, stand_in.url))
    html = await (await app.test_client().get("/")).get_data(as_text=True)
    assert "data-card=" not in html
    assert not any(seen.type in DASHBOARD_FRAGMENTS for seen in stand_in.seen)
