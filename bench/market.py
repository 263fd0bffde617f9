"""Benchmark of the market with 10,000 products: its home, a product page and a search.

    .venv/bin/python bench/market.py [--products 10000] [--duration 10] [--connections 16]

Starts its own PostgreSQL and Redis (embedded, in a temp dir), migrates, loads the demo
data, adds `--products` listed products (two variants each, with unit prices) spread
over 50 approved stalls and the demo categories, and runs the market and the apps whose
fragments its header composes (blog, cart, account, events) as Hypercorn processes.
Then it loads, in turns, the market's `/healthz` (the process's floor: no database),
the home page, a product page and a search (`/search/?q=honey&sort=price_asc`, a full
text match over the 10,000), each for `--duration` seconds, best of `--rounds`, and
prints requests/s and p50/p99 for each and every page's ratio against `/healthz`:

    home_vs_healthz_rps_ratio, product_vs_healthz_rps_ratio, search_vs_healthz_rps_ratio

The load generator is wrk when installed (bench/fragments.py finds or installs it), else
a built-in httpx one (slower, says so).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
from fragments import (  # bench/fragments.py: the same processes and load generators
    REPO_ROOT,
    Result,
    Stack,
    find_wrk,
    load_with_httpx,
    load_with_wrk,
    say,
)

from shared.dev.schema import migrate
from shared.infrastructure.config import FragmentSettings

# The market and the apps whose fragments its header composes.
SERVED = ("market", "blog", "cart", "account", "events")
WORDS = ("honey", "sourdough", "rye", "mug", "bowl", "candle", "jam", "cheese", "soap", "wool")

PRODUCTS_SQL = """
INSERT INTO products (stall_id, category_id, slug, title, description, currency, status)
SELECT (SELECT id FROM stalls WHERE slug = 'bench-stall-' || (n % 50)),
       (SELECT id FROM categories ORDER BY id OFFSET (n % 4) LIMIT 1),
       'bench-' || n,
       initcap(($2::text[])[(n % 10) + 1]) || ' no. ' || n,
       '<p>A ' || ($2::text[])[((n / 10) % 10) + 1] || ' from a bench stall, batch ' || n,
       'GBP', 'listed'
FROM generate_series(1, $1) AS n
"""
VARIANTS_SQL = """
INSERT INTO product_variants
    (product_id, name, sku, price_minor, stock, measure_quantity, measure_unit, position)
SELECT p.id, v.name, p.slug || '-' || v.position, 300 + (p.id * 37) % 4000 + v.position * 450,
       CASE WHEN p.id % 7 = 0 THEN NULL ELSE 5 + p.id % 30 END, v.quantity, 'g', v.position
FROM products p
CROSS JOIN (VALUES ('250 g', 250, 0), ('1 kg', 1000, 1)) AS v(name, quantity, position)
WHERE p.slug LIKE 'bench-%'
"""


async def add_products(database_url: str, count: int) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        owner = await conn.fetchval("SELECT id FROM users ORDER BY id LIMIT 1")
        await conn.executemany(
            "INSERT INTO stalls (slug, name, owner_id, status) VALUES ($1, $2, $3, 'approved')",
            [(f"bench-stall-{i}", f"Bench stall {i}", owner) for i in range(50)],
        )
        await conn.execute(PRODUCTS_SQL, count, list(WORDS))
        await conn.execute(VARIANTS_SQL)
        await conn.execute("ANALYZE")
        total = await conn.fetchval("SELECT count(*) FROM products WHERE status = 'listed'")
    finally:
        await conn.close()
    say(f"{total} listed products")


def measure(stack: Stack, args: argparse.Namespace) -> list[Result]:
    say("migrating and loading the demo data …")
    migrate(stack.database_url)
    subprocess.run(
        [sys.executable, "-m", "shared.dev.seed"],
        env=stack.env(),
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    say(f"adding {args.products} products …")
    asyncio.run(add_products(stack.database_url, args.products))
    urls = {name: stack.start_app(name, name, stack.ports[name]) for name in SERVED}
    stack.wait_ready(*urls.values())
    market = urls["market"]
    pages = {
        "market home": market + "/",
        "product page": market + "/stalls/bench-stall-7/bench-4207/",
        "search": market + "/search/?q=honey&sort=price_asc",
        "/healthz": market + "/healthz",
    }
    for name, url in pages.items():  # templates compiled, and each page really works
        response = httpx.get(url, timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code} from {url}")
    if "bench-4207" not in httpx.get(pages["product page"], timeout=30).text:
        raise SystemExit("the product page does not show the product")
    time.sleep(FragmentSettings().cooldown + 0.2)
    wrk = None if args.no_wrk else find_wrk(not args.no_install)
    if wrk:
        say(f"load generator: {wrk}")

        def load(name: str, url: str) -> Result:
            return load_with_wrk(wrk, name, url, args.connections, args.duration, "X-Bench: 1")
    else:
        say("wrk is not available: using the built-in httpx load generator (slower)")

        def load(name: str, url: str) -> Result:
            return load_with_httpx(name, url, args.connections, args.duration, "X-Bench: 1")

    best: dict[str, Result] = {}
    for round_ in range(1, args.rounds + 1):
        for name, url in pages.items():  # in turns: a burst of other work hits them all
            say(f"measuring {name} (round {round_} of {args.rounds}) …")
            result = load(name, url)
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    return [replace(r, note=f"{r.note}, best of {args.rounds}") for r in best.values()]


def report(results: list[Result], products: int) -> None:
    by_name = {r.name: r for r in results}
    floor = by_name["/healthz"]
    print()
    print(f"market with {products} products")
    print(f"{'page':<16}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}   how")
    for r in results:
        print(f"{r.name:<16}{r.rps:>12.1f}{r.p50_ms:>10.1f}{r.p99_ms:>10.1f}   {r.note}")
    print()
    for key, name in (("home", "market home"), ("product", "product page"), ("search", "search")):
        print(f"{key}_vs_healthz_rps_ratio: {by_name[name].rps / floor.rps:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-wrk", action="store_true", help="use the httpx load generator")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install wrk")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and its logs")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rose-ash-bench-market-"))
    say(f"working in {workdir} (logs of every process are there)")
    stack = Stack(workdir)
    try:
        results = measure(stack, args)
    finally:
        say("stopping everything …")
        stack.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results, args.products)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
