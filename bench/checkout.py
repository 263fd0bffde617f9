"""Checkout under load: N concurrent buyers through cart → checkout → SumUp → return.

    .venv/bin/python bench/checkout.py [--buyers 40] [--stock 25] [--rounds 2]

Starts its own embedded PostgreSQL 16 (migrated) and Redis, the SumUp stand-in (a
thread of this process, real HTTP), and the cart app as a Hypercorn process on
loopback, with the jobs worker beside it (it sends the mails). One product has
`--stock` units; `--buyers` anonymous buyers each put one in their cart, check out
(pickup) and, when they got a hold, pay on the stand-in's hosted page and come back.
Everyone starts at once, so more buyers than units means "sold out" answers.

Prints orders/s (paid orders over the round's wall time), p50/p99 of the
pay-and-return path (Pay → hosted page's Pay → return → the paid order page), the
same for `/healthz` under the same concurrency, their ratios, and `oversold: N`
(paid units beyond the stock, counted in the database; must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from shared.dev.embedded import free_port, start_postgres, start_redis  # noqa: E402
from shared.dev.processes import spawn, stop_all  # noqa: E402
from shared.dev.schema import migrate  # noqa: E402
from shared.dev.sumup import SumUpStandIn  # noqa: E402
from shared.infrastructure.config import APP_NAMES  # noqa: E402

HYPERCORN = Path(sys.executable).parent / "hypercorn"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTED_RE = re.compile(r'href="([^"]+)" role="button" data-hosted-checkout')


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def seed(database_url: str, stock: int, buyers: int, tag: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        owner = await conn.fetchval(
            "INSERT INTO users (email, username, display_name) VALUES ($1, $2, 'Potter') "
            "RETURNING id",
            f"potter-{tag}@example.test",
            f"potter_{tag}",
        )
        stall = await conn.fetchval(
            "INSERT INTO stalls (slug, name, owner_id) VALUES ($1, 'Bench Pottery', $2) "
            "RETURNING id",
            f"bench-{tag}",
            owner,
        )
        product = await conn.fetchval(
            "INSERT INTO products (stall_id, slug, title, price_minor, status) "
            "VALUES ($1, 'mug', 'Bench mug', 1250, 'listed') RETURNING id",
            stall,
        )
        await conn.execute(
            "INSERT INTO product_variants (product_id, name, price_minor, stock) "
            "VALUES ($1, 'Standard', 1250, $2)",
            product,
            stock,
        )
        return int(product)
    finally:
        await conn.close()


async def oversold(database_url: str, product_id: int, stock: int) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        paid = await conn.fetchval(
            "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o "
            "ON o.id = l.order_id WHERE l.product_id = $1 AND o.status = 'paid'",
            product_id,
        )
        return int(paid), max(int(paid) - stock, 0)
    finally:
        await conn.close()


def csrf(html: str) -> str:
    found = CSRF_RE.search(html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


async def buyer(cart: str, public: str, market: str, product_id: int) -> tuple[str, float]:
    """One buyer's path; ("paid", seconds of pay-and-return), or ("sold out", 0)."""
    async with httpx.AsyncClient(base_url=cart, timeout=60) as client:
        added = await client.post(
            "/lines",
            data={"product_id": str(product_id), "quantity": "1"},
            headers={"Origin": market, "Sec-Fetch-Site": "same-site"},
        )
        if added.status_code != 303:
            return f"add {added.status_code}", 0.0
        form = await client.get("/checkout")
        placed = await client.post(
            "/checkout",
            data={
                "csrf_token": csrf(form.text),
                "email": f"buyer-{secrets.token_hex(4)}@example.test",
                "name": "Bench Buyer",
                **{name: "pickup" for name in re.findall(r'name="(method_\d+)"', form.text)},
            },
        )
        if placed.status_code == 409 and "Sold out" in placed.text:
            return "sold out", 0.0
        if placed.status_code != 303:
            return f"checkout {placed.status_code}", 0.0
        order_page = placed.headers["Location"]
        page = await client.get(order_page)
        number = order_page.split("/")[2].split("?")[0]
        token = order_page.split("t=", 1)[1]
        amount = re.search(r'name="amount_minor" value="(\d+)"', page.text)
        assert amount is not None
        started = time.perf_counter()
        paying = await client.post(
            f"/orders/{number}/pay",
            data={"csrf_token": csrf(page.text), "t": token, "amount_minor": amount.group(1)},
        )
        if paying.status_code != 200:
            return f"pay {paying.status_code}", 0.0
        hosted = HOSTED_RE.search(paying.text)
        assert hosted is not None
        async with httpx.AsyncClient(timeout=60) as browser:
            done = await browser.post(hosted.group(1) + "/pay")
        back = done.headers["Location"].removeprefix(public)
        returned = await client.get(back)
        final = await client.get(returned.headers["Location"])
        took = time.perf_counter() - started
        if "your payment is confirmed" not in final.text:
            return "not paid", took
        return "paid", took


async def healthz(cart: str, concurrency: int, requests: int) -> list[float]:
    timings: list[float] = []

    async def one(client: httpx.AsyncClient) -> None:
        for _ in range(requests // concurrency):
            started = time.perf_counter()
            response = await client.get("/healthz")
            response.raise_for_status()
            timings.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=cart, timeout=30) as client:
        await asyncio.gather(*(one(client) for _ in range(concurrency)))
    return timings


async def run_round(args: argparse.Namespace, urls: dict[str, str], database_url: str) -> dict:
    tag = secrets.token_hex(3)
    product_id = await seed(database_url, args.stock, args.buyers, tag)
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(
            buyer(urls["cart"], urls["public"], urls["market"], product_id)
            for _ in range(args.buyers)
        )
    )
    wall = time.perf_counter() - started
    paid = [t for outcome, t in outcomes if outcome == "paid"]
    others = [outcome for outcome, _ in outcomes if outcome not in ("paid", "sold out")]
    sold_out = sum(1 for outcome, _ in outcomes if outcome == "sold out")
    units, over = await oversold(database_url, product_id, args.stock)
    h_started = time.perf_counter()
    health = await healthz(urls["cart"], args.buyers, args.buyers * 20)
    h_wall = time.perf_counter() - h_started
    return {
        "orders_per_s": len(paid) / wall,
        "paid": len(paid),
        "sold_out": sold_out,
        "errors": others,
        "pay_p50": statistics.median(paid) if paid else float("nan"),
        "pay_p99": percentile(paid, 0.99),
        "healthz_rps": len(health) / h_wall,
        "healthz_p99": percentile(health, 0.99),
        "paid_units": units,
        "oversold": over,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--stock", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    postgres = start_postgres(workdir / "postgres" / "data", fast=True)
    redis = start_redis(workdir / "redis")
    procs = []
    stand_in = SumUpStandIn().start()
    try:
        database_url = postgres.create_database("rose_ash_bench")
        migrate(database_url)
        ports = {name: free_port() for name in APP_NAMES}
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            # Plain-http loopback: cookies must not be Secure for the buyers to send them.
            "ROSE_ASH_ENV": "dev",
            "DB_POOL_SIZE": "20",
            "SUMUP_API_URL": stand_in.url,
            "SUMUP_API_KEY": stand_in.api_key,
            "SUMUP_MERCHANT_CODE": stand_in.merchant_code,
            "SUMUP_WEBHOOK_BASE_URL": f"http://127.0.0.1:{ports['cart']}",
            "MAIL_BACKEND": "console",
        }
        for name, port in ports.items():
            env[f"APP_BASE_URL_{name.upper()}"] = f"http://{name}.localhost:{port}"
            env[f"APP_INTERNAL_URL_{name.upper()}"] = f"http://127.0.0.1:{port}"
        cart = f"http://127.0.0.1:{ports['cart']}"
        log = (workdir / "cart.log").open("ab")
        procs.append(
            spawn(
                [HYPERCORN, "--bind", f"127.0.0.1:{ports['cart']}", "cart.app:create_app()"],
                stdout=log,
                env=env,
                cwd=REPO_ROOT,
            )
        )
        worker_log = (workdir / "worker.log").open("ab")
        procs.append(
            spawn(
                [sys.executable, "-m", "shared.infrastructure.jobs", "run"],
                stdout=worker_log,
                env=env,
                cwd=REPO_ROOT,
            )
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(cart + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the cart did not become ready; logs in {workdir}")
            time.sleep(0.2)
        urls = {
            "cart": cart,
            "public": f"http://cart.localhost:{ports['cart']}",
            "market": f"http://market.localhost:{ports['market']}",
        }
        say(f"{args.buyers} buyers, {args.stock} units, {args.rounds} rounds")
        results = []
        for number in range(1, args.rounds + 1):
            result = asyncio.run(run_round(args, urls, database_url))
            results.append(result)
            say(
                f"round {number}: {result['paid']} paid, {result['sold_out']} sold out, "
                f"{len(result['errors'])} errors {result['errors'][:3]}; "
                f"{result['orders_per_s']:.1f} orders/s; pay-and-return p50 "
                f"{result['pay_p50'] * 1000:.0f} ms p99 {result['pay_p99'] * 1000:.0f} ms; "
                f"/healthz {result['healthz_rps']:.0f} rps p99 "
                f"{result['healthz_p99'] * 1000:.0f} ms"
            )
        best = max(results, key=lambda r: r["orders_per_s"])
        over = sum(r["oversold"] for r in results)
        print(f"orders_per_s: {best['orders_per_s']:.2f}")
        print(f"pay_and_return_p99_ms: {best['pay_p99'] * 1000:.0f}")
        print(f"healthz_rps: {best['healthz_rps']:.0f}")
        print(f"orders_vs_healthz_rps_ratio: {best['orders_per_s'] / best['healthz_rps']:.4f}")
        print(f"pay_p99_vs_healthz_p99_ratio: {best['pay_p99'] / best['healthz_p99']:.1f}")
        print(f"oversold: {over}")
        return 0 if over == 0 and not any(r["errors"] for r in results) else 1
    finally:
        stop_all([(proc, signal.SIGTERM) for proc in reversed(procs)])
        stand_in.stop()
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    raise SystemExit(main())
