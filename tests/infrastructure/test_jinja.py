"""How money and times read on the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.contracts.dtos import Money
from shared.contracts.money import format_money
from shared.infrastructure.jinja import format_date, format_datetime


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1250, "GBP"), "£12.50"),
        (Money(5, "EUR"), "€0.05"),
        (Money(123456789, "USD"), "$1,234,567.89"),
        (Money(-300, "GBP"), "-£3.00"),
        (Money(1200, "CHF"), "12.00 CHF"),
        (Money(500, "JPY"), "500 JPY"),
    ],
)
def test_money_is_formatted_from_minor_units(money: Money, text: str) -> None:
    assert format_money(money) == text


def test_times_are_shown_in_the_local_zone() -> None:
    summer = datetime(2026, 7, 4, 9, 30, tzinfo=UTC)
    assert format_datetime(summer) == "Sat 4 Jul 2026, 10:30"  # BST
    assert format_datetime(summer, "America/New_York") == "Sat 4 Jul 2026, 05:30"
    assert format_date(datetime(2026, 11, 28, 23, 30, tzinfo=UTC)) == "28 November 2026"
