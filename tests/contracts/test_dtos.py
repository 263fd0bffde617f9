"""`require_verified`: the check the market (opening a stall) and others call."""

from __future__ import annotations

import pytest

from shared.contracts.dtos import UserRecord, require_verified
from shared.contracts.errors import UnverifiedMember

CONFIRMED = UserRecord(1, "ada", "Ada", "a@x.test", False, email_verified=True)
UNCONFIRMED = UserRecord(2, "ben", "Ben", "b@x.test", False, email_verified=False)


def test_a_confirmed_member_passes() -> None:
    assert require_verified(CONFIRMED) is CONFIRMED


@pytest.mark.parametrize("member", [UNCONFIRMED, None])
def test_an_unconfirmed_member_or_nobody_is_refused_with_the_way_out(
    member: UserRecord | None,
) -> None:
    with pytest.raises(UnverifiedMember, match="Confirm your email address first"):
        require_verified(member)
