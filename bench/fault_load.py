"""The steady load of bench/faults.py, and the database checks made after it.

Four streams at a fixed concurrency: blog's home page read anonymously and by a
signed-in member (whose session lives in Redis: the page must still show them signed
in), the cart page of a visitor with a cart, and buyers going add-to-cart → checkout
→ Pay → the SumUp stand-in's hosted page → the return, each buyer a fresh browser
(its own cart) with a unique email, every other one buying an event ticket (a
booking) instead of a product. Every request is recorded (when, which stream, status
or transport error); every order a buyer was shown, and every payment it saw
confirmed, is remembered with the fault phase it started in, so the database can be
checked against them.

A buyer retries a step the way a patient member would, but only where retrying is
known to be safe: any GET, placing the order (the checkout form's attempt token
makes a resubmitted form find its order), paying (a started payment is reused),
and any other POST that was refused before it reached the app (connection refused)
or answered 503 (the platform rolls back before a 503). Adding to the cart whose
answer was lost on the way (the app died mid-request) is abandoned: resubmitting
it could add the line twice.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTED_RE = re.compile(r'href="([^"]+)" role="button" data-hosted-checkout')
AMOUNT_RE = re.compile(r'name="amount_minor" value="(\d+)"')
METHOD_RE = re.compile(r'name="(method_\d+)"')
ATTEMPT_RE = re.compile(r'name="attempt" value="([^"]*)"')
STEP_PATIENCE = 40.0  # seconds a buyer keeps retrying one step before giving up
REQUEST_TIMEOUT = 10.0
EMAIL_DOMAIN = "faults.example.test"


@dataclass(frozen=True, slots=True)
class Sample:
    stream: str
    started: float  # time.monotonic()
    ended: float
    outcome: str  # "200", "503", "conn", "timeout", "lost answer"

    @property
    def ok(self) -> bool:
        return self.outcome.isdigit() and self.outcome[0] in "23"


@dataclass
class Attempt:
    email: str
    phase: str
    ticket: bool  # an event ticket (a booking) rather than a product
    number: str | None = None  # the order the buyer was shown
    paid: bool = False  # the buyer saw "your payment is confirmed"
    outcome: str = "running"


@dataclass
class Load:
    urls: dict[str, str]  # blog, cart, cart_public, market
    product_id: int
    ticket_type_id: int
    cart_cookie: str
    member_cookie: str  # blog's session cookie of a signed-in member
    phase: str = "baseline"
    # (Unix time, phase) as each began: a job counts in the phase it was enqueued in
    starts: list[tuple[float, str]] = field(default_factory=lambda: [(0.0, "baseline")])
    samples: list[Sample] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    stopping: bool = False
    _serial: int = 0

    async def _request(
        self,
        client: httpx.AsyncClient,
        stream: str,
        method: str,
        url: str,
        expect: tuple[int, ...],
        *,
        must_show: tuple[str, str] = ("", ""),
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | str:
        """One recorded request: the response, or why there was none. `must_show` is a
        text the page must hold and the outcome's name when a 200 lacks it."""
        started = time.monotonic()
        try:
            response = await client.request(method, url, data=data, headers=headers)
        except httpx.ConnectError:
            outcome: str = "conn"
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.TransportError:
            outcome = "lost answer"
        else:
            ok = response.status_code in expect and must_show[0] in response.text
            missing = response.status_code == 200 and not ok
            outcome = (must_show[1] or "unexpected 200") if missing else str(response.status_code)
            self.samples.append(Sample(stream, started, time.monotonic(), outcome))
            return response if ok else str(response.status_code)
        self.samples.append(Sample(stream, started, time.monotonic(), outcome))
        return outcome

    async def _step(
        self, attempt_call: Callable[[], Awaitable[httpx.Response | str]], *, safe: bool
    ) -> httpx.Response | None:
        """Retry one step while that is safe and patience lasts; None when given up."""
        deadline = time.monotonic() + STEP_PATIENCE
        while True:
            result = await attempt_call()
            if isinstance(result, httpx.Response):
                return result
            retry = safe or result in ("conn", "503")
            if not retry or time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.5)

    async def pages(
        self, stream: str, url: str, cookies: dict[str, str], must_show: tuple[str, str] = ("", "")
    ) -> None:
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, cookies=cookies) as client:
            while not self.stopping:
                result = await self._request(
                    client, stream, "GET", url, (200,), must_show=must_show
                )
                if not isinstance(result, httpx.Response):
                    await asyncio.sleep(0.2)  # a member reloading, not a busy loop

    async def buyers(self) -> None:
        while not self.stopping:
            self._serial += 1
            email = f"buyer-{self._serial}@{EMAIL_DOMAIN}"
            attempt = Attempt(email, self.phase, ticket=self._serial % 2 == 0)
            self.attempts.append(attempt)
            try:
                attempt.outcome = await self._buy(attempt)
            except (KeyError, IndexError, AttributeError) as exc:  # a page we did not expect
                attempt.outcome = f"unexpected page ({exc!r})"

    async def _buy(self, attempt: Attempt) -> str:
        cart, market = self.urls["cart"], self.urls["market"]
        async with (
            httpx.AsyncClient(base_url=cart, timeout=REQUEST_TIMEOUT) as client,
            httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as hosted,
        ):

            def call(
                method: str,
                url: str,
                expect: tuple[int, ...],
                data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None,
            ) -> Callable[[], Awaitable[httpx.Response | str]]:
                return lambda: self._request(
                    client, "checkout", method, url, expect, data=data, headers=headers
                )

            item = (
                ("ticket_type_id", self.ticket_type_id)
                if attempt.ticket
                else ("product_id", self.product_id)
            )
            line = {item[0]: str(item[1]), "quantity": "1"}
            origin = {"Origin": market, "Sec-Fetch-Site": "same-site"}
            if (
                await self._step(
                    call("POST", "/lines", (303,), data=line, headers=origin), safe=False
                )
                is None
            ):
                return "gave up adding"
            form = await self._step(call("GET", "/checkout", (200,)), safe=True)
            if form is None:
                return "gave up at the form"
            fields = {
                "csrf_token": CSRF_RE.search(form.text).group(1),  # type: ignore[union-attr]
                "attempt": ATTEMPT_RE.search(form.text).group(1),  # type: ignore[union-attr]
                "email": attempt.email,
                "name": "Fault Buyer",
                **{name: "pickup" for name in METHOD_RE.findall(form.text)},
            }
            placed = await self._step(call("POST", "/checkout", (303,), data=fields), safe=True)
            if placed is None:
                return "gave up placing"
            order_page = placed.headers["Location"]
            attempt.number = order_page.split("/")[2].split("?")[0]
            token = order_page.split("t=", 1)[1]
            page = await self._step(call("GET", order_page, (200,)), safe=True)
            if page is None:
                return "gave up at the order"
            pay = {
                "csrf_token": CSRF_RE.search(page.text).group(1),  # type: ignore[union-attr]
                "t": token,
                "amount_minor": AMOUNT_RE.search(page.text).group(1),  # type: ignore[union-attr]
            }
            # Starting a payment twice reuses the SumUp checkout: safe to resubmit.
            paying = await self._step(
                call("POST", f"/orders/{attempt.number}/pay", (200,), data=pay), safe=True
            )
            if paying is None:
                return "gave up paying"
            link = HOSTED_RE.search(paying.text).group(1)  # type: ignore[union-attr]
            done = await self._step(
                lambda: self._request(hosted, "sumup", "POST", link + "/pay", (302, 303)),
                safe=False,
            )
            if done is None:
                return "gave up on the hosted page"
            back = done.headers["Location"].removeprefix(self.urls["cart_public"])
            returned = await self._step(call("GET", back, (302, 303)), safe=True)
            if returned is None:
                return "gave up returning"
            final = await self._step(call("GET", returned.headers["Location"], (200,)), safe=True)
            if final is None:
                return "gave up at the paid page"
            attempt.paid = "your payment is confirmed" in final.text
            return "paid" if attempt.paid else "not confirmed"

    async def resubmitted_checkout(self) -> list[str]:
        """The orders one checkout form makes when it is sent twice: what a member does
        whose first answer was lost (the app died just after its commit) and who presses
        "resubmit". Sent one after the other, so the first has committed."""
        cart, market = self.urls["cart"], self.urls["market"]
        async with httpx.AsyncClient(base_url=cart, timeout=REQUEST_TIMEOUT) as client:
            line = {"product_id": str(self.product_id), "quantity": "1"}
            origin = {"Origin": market, "Sec-Fetch-Site": "same-site"}
            await client.post("/lines", data=line, headers=origin)
            form = await client.get("/checkout")
            fields = {
                "csrf_token": CSRF_RE.search(form.text).group(1),  # type: ignore[union-attr]
                "attempt": ATTEMPT_RE.search(form.text).group(1),  # type: ignore[union-attr]
                "email": f"resubmit@{EMAIL_DOMAIN}",
                "name": "Fault Buyer",
                **{name: "pickup" for name in METHOD_RE.findall(form.text)},
            }
            numbers = []
            for _ in range(2):
                placed = await client.post("/checkout", data=fields)
                if placed.status_code == 303:
                    numbers.append(placed.headers["Location"].split("/")[2].split("?")[0])
            return numbers

    def start(self, blog_streams: int, cart_streams: int, buyers: int) -> list[asyncio.Task]:
        cookies = {"ra_cart": self.cart_cookie}
        member = {"ra_session": self.member_cookie}
        home = self.urls["blog"] + "/"
        tasks = [
            asyncio.create_task(self.pages("blog home", home, {})) for _ in range(blog_streams)
        ]
        tasks.append(
            asyncio.create_task(
                self.pages("member home", home, member, ("Sign out", "200 signed out"))
            )
        )
        tasks += [
            asyncio.create_task(self.pages("cart page", self.urls["cart"] + "/", cookies))
            for _ in range(cart_streams)
        ]
        tasks += [asyncio.create_task(self.buyers()) for _ in range(buyers)]
        return tasks

    def last_failure(self, since: float) -> float | None:
        ends = [s.ended for s in self.samples if not s.ok and s.ended >= since]
        return max(ends) if ends else None

    def clean_since(self, moment: float) -> set[str]:
        """The streams that have answered well since `moment` (and failed not once)."""
        later = [s for s in self.samples if s.started >= moment]
        failed = {s.stream for s in later if not s.ok}
        return {s.stream for s in later if s.ok} - failed

    def window(self, start: float, end: float) -> Window:
        # By end: a request in flight when the fault began is the fault's.
        inside = [s for s in self.samples if start <= s.ended < end]
        failed = [s for s in inside if not s.ok]
        took = sorted(s.ended - s.started for s in inside)
        return Window(
            sum(1 for s in inside if s.outcome[0].isdigit()),
            Counter(s.outcome for s in failed),
            Counter(s.stream for s in failed),
            took[len(took) // 2] if took else 0.0,
            took[min(len(took) - 1, round(0.99 * (len(took) - 1)))] if took else 0.0,
        )


@dataclass(frozen=True, slots=True)
class Window:
    """The requests that ended in a time window."""

    answered: int  # with any HTTP status
    errors: Counter[str]  # by outcome
    by_stream: Counter[str]  # errors by stream
    p50: float  # seconds a request took, answered or not
    p99: float


@dataclass(frozen=True, slots=True)
class Audit:
    lost: list[str]
    duplicated: list[str]
    stuck: list[str]
    unseen: list[str] = field(default_factory=list)  # placed, but the answer never came

    def line(self) -> str:
        return f"lost: {len(self.lost)}, duplicated: {len(self.duplicated)}"

    def add(self, lost: list[str], duplicated: list[str]) -> None:
        self.lost.extend(lost)
        self.duplicated.extend(duplicated)


def phase_at(starts: list[tuple[float, str]], epoch: float) -> str:
    """The phase that had begun at `epoch` (Unix time), from (start, name) in order."""
    index = bisect.bisect_right([start for start, _ in starts], epoch) - 1
    return starts[index][1] if index >= 0 else "(any)"


async def audit(
    database_url: str,
    attempts: list[Attempt],
    mails: Counter[tuple[str, str]],
    starts: list[tuple[float, str]],
) -> dict[str, Audit]:
    """Per phase: orders seen but missing or not paid, attempts with two orders, mails
    missing or sent twice, jobs stuck past their lease or dead (a job in the phase it
    was enqueued in, `starts` being each phase's (Unix time, name))."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT o.number, o.email, o.status, (SELECT count(*) FROM tickets t JOIN"
            " order_lines l ON l.id = t.order_line_id WHERE l.order_id = o.id) AS tickets"
            " FROM orders o WHERE o.email LIKE $1",
            f"%@{EMAIL_DOMAIN}",
        )
        jobs = await conn.fetch(
            "SELECT id, kind, state, payload->>'to' AS to, payload->>'subject' AS subject,"
            " leased_until < now() AS expired, last_error,"
            " extract(epoch FROM created_at)::float8 AS created FROM jobs"
            " WHERE state <> 'succeeded'"
        )
    finally:
        await conn.close()
    by_email: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        by_email.setdefault(row["email"], []).append(row)
    phases: dict[str, Audit] = {}
    for attempt in attempts:
        result = phases.setdefault(attempt.phase, Audit([], [], []))
        orders = by_email.get(attempt.email, [])
        numbers = {row["number"]: row["status"] for row in orders}
        for row in orders:
            if attempt.ticket and row["status"] == "paid" and row["tickets"] != 1:
                wrong = result.lost if row["tickets"] < 1 else result.duplicated
                wrong.append(f"paid order {row['number']} holds {row['tickets']} tickets, not 1")
        if attempt.number is not None and attempt.number not in numbers:
            result.lost.append(f"order {attempt.number} ({attempt.email}) is not in the database")
        elif attempt.paid and numbers.get(attempt.number or "") != "paid":
            result.lost.append(f"order {attempt.number} was confirmed to the buyer, is not paid")
        if attempt.number is None and orders:
            result.unseen.extend(f"{row['number']} ({row['status']})" for row in orders)
        if len(orders) > 1:
            result.duplicated.append(f"{attempt.email} has {len(orders)} orders: {sorted(numbers)}")
        for number, status in numbers.items():
            wanted = [f"Order {number} received"]
            if status == "paid":
                wanted.append(f"Order {number}: payment confirmed")
                if attempt.ticket:
                    wanted.append(f"Your tickets (order {number})")
            for subject in wanted:
                sent = mails[(attempt.email, subject)]
                if sent == 0:
                    result.lost.append(f"mail {subject!r} never reached {attempt.email}")
                elif sent > 1:
                    result.duplicated.append(
                        f"mail {subject!r} reached {attempt.email} {sent} times"
                    )
    for job in jobs:
        where = phases.setdefault(phase_at(starts, job["created"]), Audit([], [], []))
        if job["state"] == "dead":
            where.lost.append(f"job {job['id']} ({job['kind']}) is dead: {job['last_error']}")
        elif job["state"] == "running" and job["expired"]:
            where.stuck.append(f"job {job['id']} ({job['kind']}) is running past its lease")
    return phases
