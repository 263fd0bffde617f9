"""A SumUp stand-in: SumUp's documented online-payment endpoints over real HTTP, in memory.

    with SumUpStandIn() as sumup:          # a free port, or SumUpStandIn(port=...)
        ... SUMUP_API_URL=sumup.url SUMUP_API_KEY=sumup.api_key SUMUP_MERCHANT_CODE=... ...

What it serves (reference/integrations.md §C):
- `POST /v0.1/checkouts` (201; 409 DUPLICATED_CHECKOUT for a reference it has),
  `GET /v0.1/checkouts/{id}`, `GET /v0.1/checkouts?checkout_reference=…`;
- the hosted checkout page `GET /pay/{id}` with "Pay" and "Decline" buttons; paying
  an amount of 11.00 fails, as on SumUp's sandbox; a checkout past `valid_until` is EXPIRED;
- `GET /v2.1/merchants/{code}/transactions?id=…` and
  `POST /v1.0/merchants/{code}/payments/{transaction id}/refunds` (full or `{"amount": …}`);
- the classic webhook `{"event_type": "CHECKOUT_STATUS_CHANGED", "id": …}` POSTed to the
  checkout's `return_url`, retried (after `webhook_delays`) until answered 2xx.

`down()` closes the port (connections are refused, webhooks due are not sent) until
`up()`, keeping every checkout: what tests need to show an outage is survived.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from shared.dev.embedded import free_port

DEFAULT_API_KEY = "sup_sk_stand_in_0000000000000000"
DEFAULT_MERCHANT_CODE = "MSTANDIN"
FAILING_AMOUNT = Decimal("11.00")


@dataclass
class _Transaction:
    id: str
    code: str
    amount: Decimal
    currency: str
    status: str  # SUCCESSFUL | FAILED | REFUNDED
    timestamp: str
    refunded: Decimal = Decimal(0)
    events: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transaction_code": self.code,
            "amount": float(self.amount),
            "currency": self.currency,
            "status": self.status,
            "timestamp": self.timestamp,
            "payment_type": "ECOM",
            "entry_mode": "CUSTOMER_ENTRY",
            "refunded_amount": float(self.refunded),
            "events": self.events,
        }


@dataclass
class _Checkout:
    id: str
    reference: str
    amount: Decimal
    currency: str
    merchant_code: str
    description: str
    return_url: str | None
    redirect_url: str | None
    valid_until: datetime | None
    date: str
    status: str = "PENDING"
    transactions: list[_Transaction] = field(default_factory=list)

    def current_status(self) -> str:
        if (
            self.status == "PENDING"
            and self.valid_until is not None
            and datetime.now(UTC) > self.valid_until
        ):
            self.status = "EXPIRED"
        return self.status

    def json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "checkout_reference": self.reference,
            "amount": float(self.amount),
            "currency": self.currency,
            "merchant_code": self.merchant_code,
            "description": self.description,
            "return_url": self.return_url,
            "redirect_url": self.redirect_url,
            "status": self.current_status(),
            "date": self.date,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "hosted_checkout_url": f"{base_url}/pay/{self.id}",
            "transactions": [t.json() for t in self.transactions],
        }


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SumUpStandIn:
    def __init__(
        self,
        port: int | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        merchant_code: str = DEFAULT_MERCHANT_CODE,
        webhook_delays: Sequence[float] = (0, 1, 5, 20, 120),
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.api_key = api_key
        self.merchant_code = merchant_code
        self.webhook_delays = tuple(webhook_delays)
        self.on_event = on_event
        self.checkouts: dict[str, _Checkout] = {}
        self.transactions: dict[str, _Transaction] = {}
        self.webhook_calls: list[tuple[str, int | None]] = []  # (url, status or None)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._is_up = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> SumUpStandIn:
        self.up()
        return self

    def up(self) -> None:
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        self._is_up.set()

    def down(self) -> None:
        """Refuse connections (SumUp unreachable); state and pending webhooks are kept."""
        self._is_up.clear()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def stop(self) -> None:
        self._stopping.set()
        self.down()

    def __enter__(self) -> SumUpStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the hosted page's buttons do (also callable from tests) ------------------

    def complete(self, checkout_id: str, *, pay: bool) -> _Checkout:
        with self._lock:
            checkout = self.checkouts[checkout_id]
            if checkout.current_status() != "PENDING":
                return checkout
            ok = pay and checkout.amount != FAILING_AMOUNT
            transaction = _Transaction(
                id=str(uuid.uuid4()),
                code="T" + secrets.token_hex(5).upper(),
                amount=checkout.amount,
                currency=checkout.currency,
                status="SUCCESSFUL" if ok else "FAILED",
                timestamp=_now(),
            )
            checkout.transactions.append(transaction)
            self.transactions[transaction.id] = transaction
            checkout.status = "PAID" if ok else "FAILED"
        self._say(f"checkout {checkout.reference} {checkout.status}")
        if checkout.return_url:
            self._send_webhook(checkout.return_url, checkout.id)
        return checkout

    def _say(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)

    def _send_webhook(self, url: str, checkout_id: str) -> None:
        body = {"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout_id}

        def deliver() -> None:
            delays = list(self.webhook_delays)
            attempt = 0
            while not self._stopping.is_set():
                delay = delays[min(attempt, len(delays) - 1)]
                if self._stopping.wait(delay):
                    return
                attempt += 1
                # SumUp being down means its webhook is not sent either.
                if not self._is_up.is_set():
                    continue
                status: int | None = None
                try:
                    status = httpx.post(url, json=body, timeout=5).status_code
                except httpx.HTTPError:
                    status = None
                with self._lock:
                    self.webhook_calls.append((url, status))
                if status is not None and 200 <= status < 300:
                    return
                if attempt >= len(delays) * 3:  # SumUp gives up too, eventually
                    return

        threading.Thread(target=deliver, daemon=True).start()


def _handler_for(stand_in: SumUpStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SumUpStandIn/1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        # -- plumbing ---------------------------------------------------------------

        def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _html(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(303)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {stand_in.api_key}":
                return True
            self._json(
                401,
                {
                    "type": "https://developer.sumup.com/problem/unauthorized",
                    "status": 401,
                    "title": "Unauthorized",
                    "detail": "invalid access token",
                },
                "application/problem+json",
            )
            return False

        # -- routes -----------------------------------------------------------------

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            query = parse_qs(url.query)
            if parts[:1] == ["pay"] and len(parts) == 2:
                return self._hosted_page(parts[1])
            if not self._authorized():
                return
            if parts == ["v0.1", "checkouts"]:
                reference = (query.get("checkout_reference") or [""])[0]
                with stand_in._lock:
                    found = [
                        c.json(stand_in.url)
                        for c in stand_in.checkouts.values()
                        if not reference or c.reference == reference
                    ]
                return self._json(200, found)
            if parts[:2] == ["v0.1", "checkouts"] and len(parts) == 3:
                with stand_in._lock:
                    checkout = stand_in.checkouts.get(parts[2])
                    body = checkout.json(stand_in.url) if checkout else None
                if body is None:
                    return self._json(404, {"error_code": "NOT_FOUND", "message": "Not found"})
                return self._json(200, body)
            if parts[:2] == ["v2.1", "merchants"] and parts[3:] == ["transactions"]:
                txn_id = (query.get("id") or [""])[0]
                with stand_in._lock:
                    transaction = stand_in.transactions.get(txn_id)
                    body = transaction.json() if transaction else None
                if parts[2] != stand_in.merchant_code or body is None:
                    return self._json(404, {"error_code": "NOT_FOUND", "message": "Not found"})
                return self._json(200, body)
            self._json(404, {"error_code": "NOT_FOUND", "message": "Not found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            raw = self._body()
            if parts[:1] == ["pay"] and len(parts) == 3 and parts[2] in ("pay", "decline"):
                return self._hosted_action(parts[1], pay=parts[2] == "pay")
            if not self._authorized():
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self._json(400, {"message": "Invalid JSON", "error_code": "INVALID"})
            if parts == ["v0.1", "checkouts"]:
                return self._create_checkout(body)
            if (
                len(parts) == 6
                and parts[:2] == ["v1.0", "merchants"]
                and parts[3] == "payments"
                and parts[5] == "refunds"
            ):
                return self._refund(parts[2], parts[4], body)
            self._json(404, {"error_code": "NOT_FOUND", "message": "Not found"})

        def _create_checkout(self, body: dict[str, Any]) -> None:
            for name in ("checkout_reference", "amount", "currency", "merchant_code"):
                if body.get(name) in (None, ""):
                    return self._json(
                        400, {"message": "Validation error", "error_code": "MISSING", "param": name}
                    )
            if body["merchant_code"] != stand_in.merchant_code:
                return self._json(
                    403,
                    {"error_code": "FORBIDDEN", "error_message": "checkout_payments_not_allowed"},
                )
            try:
                amount = Decimal(str(body["amount"])).quantize(Decimal("0.01"))
            except ArithmeticError:
                return self._json(
                    400, {"message": "Validation error", "error_code": "INVALID", "param": "amount"}
                )
            valid_until = None
            if body.get("valid_until"):
                valid_until = datetime.fromisoformat(str(body["valid_until"]))
            with stand_in._lock:
                reference = str(body["checkout_reference"])
                if any(c.reference == reference for c in stand_in.checkouts.values()):
                    return self._json(
                        409,
                        {
                            "error_code": "DUPLICATED_CHECKOUT",
                            "message": "Checkout with this checkout reference and pay to email "
                            "already exists",
                        },
                    )
                checkout = _Checkout(
                    id=str(uuid.uuid4()),
                    reference=reference,
                    amount=amount,
                    currency=str(body["currency"]),
                    merchant_code=stand_in.merchant_code,
                    description=str(body.get("description") or ""),
                    return_url=body.get("return_url"),
                    redirect_url=body.get("redirect_url"),
                    valid_until=valid_until,
                    date=_now(),
                )
                stand_in.checkouts[checkout.id] = checkout
                payload = checkout.json(stand_in.url)
            self._json(201, payload)

        def _refund(self, merchant_code: str, txn_id: str, body: dict[str, Any]) -> None:
            problem = "application/problem+json"
            with stand_in._lock:
                transaction = stand_in.transactions.get(txn_id)
                if merchant_code != stand_in.merchant_code or transaction is None:
                    return self._json(
                        404, {"status": 404, "title": "Transaction not found"}, problem
                    )
                if transaction.status != "SUCCESSFUL":
                    return self._json(
                        409,
                        {"status": 409, "title": "Not refundable in its current state"},
                        problem,
                    )
                left = transaction.amount - transaction.refunded
                amount = left
                if body.get("amount") is not None:
                    try:
                        amount = Decimal(str(body["amount"])).quantize(Decimal("0.01"))
                    except ArithmeticError:
                        amount = Decimal(-1)
                if amount <= 0 or amount > left:
                    return self._json(
                        422,
                        {
                            "status": 422,
                            "title": "Refund rejected",
                            "errors": [
                                {"code": "INVALID_AMOUNT", "max_refundable_amount": float(left)}
                            ],
                        },
                        problem,
                    )
                transaction.refunded += amount
                transaction.events.append(
                    {
                        "id": str(uuid.uuid4()),
                        "type": "REFUND",
                        "status": "SUCCESSFUL",
                        "amount": float(amount),
                        "timestamp": _now(),
                    }
                )
                if transaction.refunded == transaction.amount:
                    transaction.status = "REFUNDED"
            self._json(201, {})

        def _hosted_page(self, checkout_id: str) -> None:
            with stand_in._lock:
                checkout = stand_in.checkouts.get(checkout_id)
                status = checkout.current_status() if checkout else ""
            if checkout is None:
                return self._html(404, "<h1>Checkout not found</h1>")
            title = html.escape(checkout.description or checkout.reference)
            amount = f"{checkout.amount} {html.escape(checkout.currency)}"
            if status != "PENDING":
                return self._html(
                    200, _page(title, f"<p>This checkout is {status.lower()}.</p>", checkout)
                )
            buttons = (
                f"<p>Amount: <strong data-amount>{amount}</strong></p>"
                f'<form method="post" action="/pay/{checkout.id}/pay">'
                '<button type="submit">Pay</button></form>'
                f'<form method="post" action="/pay/{checkout.id}/decline">'
                '<button type="submit">Decline</button></form>'
            )
            self._html(200, _page(title, buttons, checkout))

        def _hosted_action(self, checkout_id: str, *, pay: bool) -> None:
            if checkout_id not in stand_in.checkouts:
                return self._html(404, "<h1>Checkout not found</h1>")
            checkout = stand_in.complete(checkout_id, pay=pay)
            if checkout.redirect_url:
                return self._redirect(checkout.redirect_url)
            self._html(200, _page(checkout.reference, f"<p>{checkout.status}</p>", checkout))

    return Handler


def _page(title: str, body: str, checkout: _Checkout) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>SumUp stand-in: {title}</title></head><body>"
        f"<h1>SumUp (stand-in)</h1><p>{html.escape(checkout.reference)}: {title}</p>"
        f"{body}</body></html>"
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass (tests of webhook delivery)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
