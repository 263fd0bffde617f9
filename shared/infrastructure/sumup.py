"""Our client of SumUp's online-payments REST API (reference/integrations.md §C).

A small httpx client rather than the `sumup` SDK: the SDK is pre-1.0 and warns of
breaking changes before v1, and we use five endpoints whose shapes we pin in our own
dataclasses; httpx is already the platform's HTTP client (timeouts, pooling, tests
against the stand-in over real sockets). Amounts cross this boundary as integer
minor units; SumUp speaks major units (10.1), converted here with Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from shared.infrastructure.config import SumUpSettings

TIMEOUT_SECONDS = 10.0


class SumUpError(Exception):
    """SumUp could not be reached or refused the request; `status` is its HTTP status."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class SumUpUnavailable(SumUpError):
    """No answer (connection refused, timeout, 5xx): worth retrying later."""


def to_major(minor: int) -> float:
    return float(Decimal(minor) / 100)


def to_minor(major: Any) -> int:
    return int((Decimal(str(major)) * 100).quantize(Decimal(1)))


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    status: str  # SUCCESSFUL, FAILED, REFUNDED, …
    amount_minor: int
    refunded_minor: int

    @classmethod
    def of(cls, body: dict[str, Any]) -> Transaction:
        refunded = body.get("refunded_amount")
        if refunded is None:
            refunded = sum(
                Decimal(str(e.get("amount", 0)))
                for e in body.get("events") or ()
                if e.get("type") == "REFUND" and e.get("status") == "SUCCESSFUL"
            )
        return cls(
            id=str(body["id"]),
            status=str(body.get("status", "")),
            amount_minor=to_minor(body.get("amount", 0)),
            refunded_minor=to_minor(refunded),
        )


@dataclass(frozen=True, slots=True)
class Checkout:
    id: str
    reference: str
    amount_minor: int
    currency: str
    merchant_code: str
    status: str  # PENDING | PAID | FAILED | EXPIRED
    hosted_checkout_url: str | None
    transactions: tuple[Transaction, ...]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Checkout:
        return cls(
            id=str(body["id"]),
            reference=str(body.get("checkout_reference", "")),
            amount_minor=to_minor(body.get("amount", 0)),
            currency=str(body.get("currency", "")),
            merchant_code=str(body.get("merchant_code", "")),
            status=str(body.get("status", "")),
            hosted_checkout_url=body.get("hosted_checkout_url"),
            transactions=tuple(Transaction.of(t) for t in body.get("transactions") or ()),
        )

    @property
    def successful_transaction(self) -> Transaction | None:
        return next((t for t in self.transactions if t.status in ("SUCCESSFUL", "REFUNDED")), None)


class SumUpClient:
    def __init__(self, settings: SumUpSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
        self._owns_http = http is None

    @property
    def merchant_code(self) -> str:
        return self.settings.merchant_code

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.settings.api_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.settings.api_key}"}
        try:
            response = await self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise SumUpUnavailable(f"SumUp did not answer: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise SumUpUnavailable(f"SumUp answered {response.status_code}", response.status_code)
        return response

    @staticmethod
    def _body(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    async def create_checkout(
        self,
        *,
        reference: str,
        amount_minor: int,
        currency: str,
        description: str,
        return_url: str,
        redirect_url: str,
        valid_until: datetime,
    ) -> Checkout:
        """A hosted checkout; the existing one when `reference` was used (409), so a retry
        or a double click pays the same checkout."""
        response = await self._call(
            "POST",
            "/v0.1/checkouts",
            json={
                "checkout_reference": reference,
                "amount": to_major(amount_minor),
                "currency": currency,
                "merchant_code": self.merchant_code,
                "description": description,
                "return_url": return_url,
                "redirect_url": redirect_url,
                "valid_until": valid_until.isoformat(),
                "hosted_checkout": {"enabled": True},
            },
        )
        if response.status_code == 409:
            existing = await self.find_checkout(reference)
            if existing is not None:
                return existing
        if response.status_code != 201:
            raise SumUpError(
                f"SumUp refused the checkout ({response.status_code})",
                response.status_code,
                self._body(response),
            )
        return Checkout.of(response.json())

    async def find_checkout(self, reference: str) -> Checkout | None:
        response = await self._call(
            "GET", "/v0.1/checkouts", params={"checkout_reference": reference}
        )
        if response.status_code != 200:
            raise SumUpError("SumUp refused the lookup", response.status_code)
        found = [c for c in response.json() if c.get("checkout_reference") == reference]
        return Checkout.of(found[0]) if found else None

    async def get_checkout(self, checkout_id: str) -> Checkout | None:
        response = await self._call("GET", f"/v0.1/checkouts/{checkout_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SumUpError("SumUp refused the lookup", response.status_code)
        return Checkout.of(response.json())

    async def get_transaction(self, transaction_id: str) -> Transaction | None:
        response = await self._call(
            "GET",
            f"/v2.1/merchants/{self.merchant_code}/transactions",
            params={"id": transaction_id},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SumUpError("SumUp refused the lookup", response.status_code)
        return Transaction.of(response.json())

    async def refund(self, transaction_id: str, amount_minor: int | None) -> None:
        """Ask for a refund (None: the whole rest). Raises SumUpError on 4xx (409: not
        refundable now; 422: more than is left)."""
        body = {} if amount_minor is None else {"amount": to_major(amount_minor)}
        response = await self._call(
            "POST",
            f"/v1.0/merchants/{self.merchant_code}/payments/{transaction_id}/refunds",
            json=body,
        )
        if response.status_code not in (200, 201, 204):
            raise SumUpError(
                f"SumUp refused the refund ({response.status_code})",
                response.status_code,
                self._body(response),
            )
