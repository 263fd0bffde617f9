"""The SumUp stand-in speaks SumUp's documented API over real HTTP, and our client with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.dev.embedded import free_port
from shared.dev.sumup import SumUpStandIn, wait_until
from shared.infrastructure.config import SumUpSettings
from shared.infrastructure.sumup import SumUpClient, SumUpError, SumUpUnavailable


@pytest.fixture
def stand_in() -> Iterator[SumUpStandIn]:
    with SumUpStandIn(webhook_delays=(0, 0.1, 0.2)) as running:
        yield running


def client_of(stand_in: SumUpStandIn, key: str | None = None) -> SumUpClient:
    return SumUpClient(
        SumUpSettings(
            api_key=key or stand_in.api_key,
            merchant_code=stand_in.merchant_code,
            api_url=stand_in.url,
        )
    )


async def _checkout(client: SumUpClient, reference: str, amount: int = 1250, hook: str = "") -> str:
    checkout = await client.create_checkout(
        reference=reference,
        amount_minor=amount,
        currency="GBP",
        description="test",
        return_url=hook or "http://127.0.0.1:9/",
        redirect_url="http://cart.test/back",
        valid_until=datetime.now(UTC) + timedelta(minutes=15),
    )
    return checkout.id


async def test_a_reference_is_one_checkout_and_a_wrong_key_is_refused(
    stand_in: SumUpStandIn,
) -> None:
    client = client_of(stand_in)
    first = await _checkout(client, "ABCD-EFGH")
    again = await _checkout(client, "ABCD-EFGH")  # 409 DUPLICATED_CHECKOUT, then found
    assert first == again and len(stand_in.checkouts) == 1
    async with httpx.AsyncClient() as http:
        raw = await http.post(
            stand_in.url + "/v0.1/checkouts",
            json={
                "checkout_reference": "ABCD-EFGH",
                "amount": 12.5,
                "currency": "GBP",
                "merchant_code": stand_in.merchant_code,
            },
            headers={"Authorization": f"Bearer {stand_in.api_key}"},
        )
    assert raw.status_code == 409 and raw.json()["error_code"] == "DUPLICATED_CHECKOUT"
    with pytest.raises(SumUpError) as refused:
        await _checkout(client_of(stand_in, "sup_sk_wrong"), "OTHER")
    assert refused.value.status == 401
    await client.aclose()


async def test_eleven_pounds_fails_and_a_paid_checkout_can_be_refunded_in_parts(
    stand_in: SumUpStandIn,
) -> None:
    client = client_of(stand_in)
    failing = await _checkout(client, "ELEVEN", amount=1100)
    stand_in.complete(failing, pay=True)
    assert (await client.get_checkout(failing)).status == "FAILED"  # type: ignore[union-attr]

    paid = await _checkout(client, "PAID", amount=2000)
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{stand_in.url}/pay/{paid}")
        assert "Pay</button>" in page.text and "Decline</button>" in page.text
        assert (await http.post(f"{stand_in.url}/pay/{paid}/pay")).status_code == 303
    checkout = await client.get_checkout(paid)
    assert checkout is not None and checkout.status == "PAID"
    transaction = checkout.successful_transaction
    assert transaction is not None
    await client.refund(transaction.id, 500)
    with pytest.raises(SumUpError) as too_much:
        await client.refund(transaction.id, 1600)
    assert too_much.value.status == 422
    await client.refund(transaction.id, None)
    after = await client.get_transaction(transaction.id)
    assert after is not None and after.status == "REFUNDED" and after.refunded_minor == 2000
    with pytest.raises(SumUpError) as again:
        await client.refund(transaction.id, None)
    assert again.value.status == 409
    await client.aclose()


async def test_webhooks_are_retried_until_answered_2xx(stand_in: SumUpStandIn) -> None:
    answers = iter([500, 503, 204])
    seen: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(next(answers))
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = client_of(stand_in)
        hook = f"http://127.0.0.1:{server.server_port}/hook"
        checkout_id = await _checkout(client, "HOOKED", hook=hook)
        stand_in.complete(checkout_id, pay=True)
        assert wait_until(lambda: len(stand_in.webhook_calls) >= 3, timeout=10)
        assert [status for _, status in stand_in.webhook_calls] == [500, 503, 204]
        assert all(checkout_id.encode() in body for body in seen)
        await client.aclose()
    finally:
        server.shutdown()
        server.server_close()


async def test_down_means_unreachable_and_up_keeps_every_checkout(stand_in: SumUpStandIn) -> None:
    client = client_of(stand_in)
    checkout_id = await _checkout(client, "KEPT")
    stand_in.down()
    with pytest.raises(SumUpUnavailable):
        await client.get_checkout(checkout_id)
    stand_in.up()
    assert (await client.get_checkout(checkout_id)).reference == "KEPT"  # type: ignore[union-attr]
    await client.aclose()
