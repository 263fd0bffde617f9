"""Benchmark of fragment composition: what composing the shell costs a page.

    .venv/bin/python bench/fragments.py [--duration 10] [--connections 16] [--rounds 2]

Starts its own PostgreSQL and Redis (embedded, in a temp dir), migrates,
loads the demo data, and runs the apps as Hypercorn processes on loopback:
cart, account, events (the providers), blog (composes, and serves `nav`),
a second blog with composition switched off (`fragments.enabled: false`),
and later a third blog whose providers sit behind delaying proxies. Then:

(a) bare: blog's home page with composition off (the same route, the same
    queries, the static shell), under concurrent load;
(b) warm: blog's home page composed (nav, user menu, mini-cart of a visitor
    with a cart, upcoming events), every fragment fresh in Redis, same load;
(c) cold: the composed page with the fragment cache flushed before every
    request, each provider behind a TCP proxy that delays every request by a
    known time (blog 100 ms, cart 150, account 200, events 250): one
    request at a time, so the latency is the page's alone.

The load generator is wrk (installed with apt-get when missing and we are
root, unless --no-install), else a built-in httpx one (slower, says so).
Prints requests/s and p50/p99 for each, then the two ratios:

    warm_composed_vs_bare_rps_ratio         (b) rps / (a) rps
    cold_latency_vs_slowest_fragment_ratio  (c) p50 / p50 of the slowest
                                            fragment fetched alone through its proxy

The delaying proxies are this script run as `_proxy` in a child process:
test-only behaviour stays out of the apps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import path_setup  # puts the repository root on sys.path, before `shared` below
import yaml
from redis import Redis as SyncRedis

from shared.dev.embedded import free_port, start_postgres, start_redis
from shared.dev.processes import spawn, stop_all
from shared.dev.schema import migrate
from shared.infrastructure.config import APP_NAMES, DEFAULT_CONFIG_PATH, FragmentSettings
from shared.infrastructure.internal import InternalAuth

REPO_ROOT = path_setup.REPO_ROOT
HYPERCORN = Path(sys.executable).parent / "hypercorn"
PROVIDERS = ("cart", "account", "events")
DELAYS_MS = {"blog": 100, "cart": 150, "account": 200, "events": 250}
CART_TOKEN = "bench-visitor-anonymous-cart-token-0123456789"
FRAGMENT_MARKERS = ("nav", "user-menu", "mini-cart", "upcoming-events")


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    note: str = ""


# ------------------------------------------------------------------ processes


class Stack:
    """Everything the bench starts, stopped in reverse order whatever happens."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.secret_key = secrets.token_urlsafe(48)
        self.ports = {name: free_port() for name in APP_NAMES}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.postgres = start_postgres(workdir / "postgres" / "data", fast=True)
        self.redis = start_redis(workdir / "redis")
        self.database_url = self.postgres.create_database("rose_ash_bench")

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": self.secret_key,
            "ROSE_ASH_ENV": "test",
        }
        for name, port in self.ports.items():
            env[f"APP_BASE_URL_{name.upper()}"] = f"http://{name}.localhost:{port}"
            env[f"APP_INTERNAL_URL_{name.upper()}"] = f"http://127.0.0.1:{port}"
        env.update(extra)
        return env

    def spawn(self, name: str, argv: list[str | Path], env: dict[str, str]) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs.append(spawn(argv, stdout=log, env=env, cwd=REPO_ROOT))

    def start_app(self, label: str, app: str, port: int, **env: str) -> str:
        argv: list[str | Path] = [HYPERCORN, "--bind", f"127.0.0.1:{port}", "--workers", "0"]
        self.spawn(label, [*argv, f"{app}.app:create_app()"], self.env(**env))
        return f"http://127.0.0.1:{port}"

    def wait_ready(self, *urls: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for url in urls:
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not become ready; logs in {self.workdir}")
                time.sleep(0.2)

    def flush_redis(self) -> None:
        """Empty the fragment cache (and everything else: the bench's own Redis)."""
        with SyncRedis.from_url(self.redis.url) as client:
            client.flushdb()

    def stop(self) -> None:
        stop_all([(proc, signal.SIGTERM) for proc in reversed(self.procs)])
        self.redis.stop()
        self.postgres.stop()


def config_without_fragments(workdir: Path) -> Path:
    config = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    config["fragments"]["enabled"] = False
    path = workdir / "no-fragments.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# ------------------------------------------------------------------ load


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def find_wrk(install: bool) -> str | None:
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    say("wrk is not installed: installing it with apt-get (--no-install skips this)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"]):
        subprocess.run(command, env=env, capture_output=True, check=False)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk")


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _WRK_UNITS[unit]


def load_with_wrk(
    wrk: str, name: str, url: str, connections: int, seconds: int, cookie: str
) -> Result:
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", cookie, url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"{name}: some responses were errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _wrk_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return Result(name, rps, p50, p99, f"wrk, {connections} connections, {seconds} s")


def load_with_httpx(name: str, url: str, connections: int, seconds: int, cookie: str) -> Result:
    argv = [sys.executable, __file__, "_load", url, str(connections), str(seconds), cookie]
    report = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    return Result(
        name,
        report["rps"],
        report["p50"],
        report["p99"],
        f"httpx load generator, {connections} connections, {seconds} s",
    )


async def _httpx_load(url: str, connections: int, seconds: int, cookie: str) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    headers = dict([cookie.split(": ", 1)])
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{errors} responses were errors")
    return {
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
    }


def one_at_a_time(
    name: str,
    client: httpx.Client,
    url: str,
    count: int,
    before_each: Callable[[], None] | None = None,
) -> Result:
    """`count` requests one after another (`before_each` runs outside the timing)."""
    latencies = []
    for _ in range(count):
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        response = client.get(url)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
    total = sum(latencies) / 1000
    return Result(
        name,
        count / total,
        statistics.median(latencies),
        percentile(latencies, 0.99),
        f"1 connection, {count} requests",
    )


# ------------------------------------------------------------------ delaying proxy


async def _proxy(listen: int, target: int, delay: float) -> None:
    """Forward 127.0.0.1:listen to 127.0.0.1:target, holding each request `delay` s.

    Every chunk from the client (an HTTP request, on a kept-alive connection)
    waits `delay` before it goes on; answers come back at once.
    """

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wait: float) -> None:
        try:
            while data := await reader.read(65536):
                if wait:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(client_r, server_w, delay), pipe(server_r, client_w, 0))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


async def _proxies(specs: list[str]) -> None:
    jobs = []
    for spec in specs:
        listen, target, delay_ms = (int(part) for part in spec.split(":"))
        jobs.append(_proxy(listen, target, delay_ms / 1000))
    await asyncio.gather(*jobs)


# ------------------------------------------------------------------ the run


def prepare_data(stack: Stack, cart_url: str) -> None:
    say("migrating and loading the demo data …")
    migrate(stack.database_url)
    subprocess.run(
        [sys.executable, "-m", "shared.dev.seed"],
        env=stack.env(),
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    market = f"http://market.localhost:{stack.ports['market']}"
    for product_id in (1, 4):  # the visitor's cart: two items, through the real route
        response = httpx.post(
            cart_url + "/lines",
            data={"product_id": str(product_id), "next": market + "/"},
            headers={"Origin": market, "Sec-Fetch-Site": "same-site"},
            cookies={"ra_cart": CART_TOKEN},
            timeout=10,
        )
        assert response.status_code == 303, response.text


def check_page(url: str, *, composed: bool) -> None:
    """Fail unless `url` has all the fragments (or none)."""
    page = httpx.get(url, cookies={"ra_cart": CART_TOKEN}, timeout=10).text
    found = [name for name in FRAGMENT_MARKERS if f'data-fragment="{name}"' in page]
    if composed and found != list(FRAGMENT_MARKERS):
        raise SystemExit(f"{url} composed only {found}")
    if not composed and found:
        raise SystemExit(f"{url} should compose nothing, has {found}")


def run(args: argparse.Namespace) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix="rose-ash-bench-"))
    say(f"working in {workdir} (logs of every process are there)")
    stack = Stack(workdir)
    try:
        return measure(stack, args)
    finally:
        say("stopping everything …")
        stack.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(stack: Stack, args: argparse.Namespace) -> list[Result]:
    ports = stack.ports
    urls = {name: stack.start_app(name, name, ports[name]) for name in ("blog", *PROVIDERS)}
    no_fragments = str(config_without_fragments(stack.workdir))
    bare = stack.start_app("blog-bare", "blog", free_port(), ROSE_ASH_CONFIG=no_fragments)
    stack.wait_ready(*urls.values(), bare)
    prepare_data(stack, urls["cart"])
    # Each app's first page compiles its templates: providers first, then blog (whose
    # first page may still time out a fragment, and then leaves that app alone for
    # the cooldown).
    for name in (*PROVIDERS, "blog"):
        httpx.get(urls[name] + "/", timeout=10)
    time.sleep(FragmentSettings().cooldown + 0.2)
    composed = urls["blog"] + "/"
    check_page(composed, composed=True)
    check_page(bare + "/", composed=False)

    wrk = None if args.no_wrk else find_wrk(not args.no_install)
    cookie = f"Cookie: ra_cart={CART_TOKEN}"
    if wrk:
        say(f"load generator: {wrk}")

        def load(name: str, url: str, seconds: int) -> Result:
            return load_with_wrk(wrk, name, url, args.connections, seconds, cookie)
    else:
        say("wrk is not available: using the built-in httpx load generator, which needs")
        say("much of a core itself, so absolute figures are lower than with wrk")

        def load(name: str, url: str, seconds: int) -> Result:
            return load_with_httpx(name, url, args.connections, seconds, cookie)

    # (a) and (b) take turns, and each keeps its best round: on a shared machine a
    # burst of someone else's work then cannot land on one of them only.
    scenarios = (("(a) bare blog home", bare + "/"), ("(b) composed, warm", composed))
    for name, url in scenarios:
        load(name, url, 2)  # warm-up: templates compiled, pools filled, cache warm
    best: dict[str, Result] = {}
    for round_ in range(1, args.rounds + 1):
        for name, url in scenarios:
            say(f"measuring {name} for {args.duration} s (round {round_} of {args.rounds}) …")
            result = load(name, url, args.duration)
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    rounds = f"best of {args.rounds} rounds" if args.rounds > 1 else "1 round"
    results = [replace(r, note=f"{r.note}, {rounds}") for r in best.values()]
    results.append(load("    /healthz (for reference)", bare + "/healthz", args.duration))

    say("starting delaying proxies and a blog that fetches through them …")
    proxy_ports = {name: free_port() for name in DELAYS_MS}
    specs = [f"{proxy_ports[n]}:{ports[n]}:{DELAYS_MS[n]}" for n in DELAYS_MS]
    stack.spawn("proxies", [sys.executable, __file__, "_proxy", *specs], stack.env())
    via_proxies = {
        f"APP_INTERNAL_URL_{name.upper()}": f"http://127.0.0.1:{port}"
        for name, port in proxy_ports.items()
    }
    cold = stack.start_app("blog-cold", "blog", free_port(), **via_proxies)
    stack.wait_ready(cold)
    httpx.get(cold + "/", timeout=10)  # its first page compiles its templates
    time.sleep(FragmentSettings().cooldown + 0.2)
    check_page(cold + "/", composed=True)

    slowest = max(DELAYS_MS, key=DELAYS_MS.__getitem__)
    auth = InternalAuth.from_secret(stack.secret_key)
    fragment_url = f"http://127.0.0.1:{proxy_ports[slowest]}/internal/fragments/upcoming-events"
    with httpx.Client(headers=auth.headers(), timeout=10, params={"limit": 4}) as client:
        one_at_a_time("warm-up", client, fragment_url, 3)
        alone = one_at_a_time(
            f"    slowest fragment alone ({slowest}, +{DELAYS_MS[slowest]} ms)",
            client,
            fragment_url,
            args.cold_requests,
        )
    flush = stack.flush_redis
    with httpx.Client(cookies={"ra_cart": CART_TOKEN}, timeout=10) as client:
        one_at_a_time("warm-up", client, cold + "/", 3, flush)
        say(f"measuring (c) composed, cold: {args.cold_requests} requests …")
        cold_result = one_at_a_time(
            "(c) composed, cold", client, cold + "/", args.cold_requests, flush
        )
    delays = ", ".join(f"{name} +{ms} ms" for name, ms in DELAYS_MS.items())
    results += [replace(cold_result, note=f"{cold_result.note}; {delays}"), alone]
    return results


def report(results: list[Result]) -> None:
    by_name = {result.name.strip(): result for result in results}
    bare, warm = by_name["(a) bare blog home"], by_name["(b) composed, warm"]
    cold = by_name["(c) composed, cold"]
    alone = next(r for r in results if r.name.strip().startswith("slowest fragment"))
    print()
    print(f"{'scenario':<44}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}   how")
    for result in results:
        print(
            f"{result.name:<44}{result.rps:>12.1f}{result.p50_ms:>10.1f}{result.p99_ms:>10.1f}"
            f"   {result.note}"
        )
    print()
    print(f"warm_composed_vs_bare_rps_ratio: {warm.rps / bare.rps:.2f}")
    print(f"cold_latency_vs_slowest_fragment_ratio: {cold.p50_ms / alone.p50_ms:.2f}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_proxy"]:
        asyncio.run(_proxies(argv[1:]))
        return 0
    if argv[:1] == ["_load"]:
        url, connections, seconds, cookie = argv[1:5]
        print(json.dumps(asyncio.run(_httpx_load(url, int(connections), int(seconds), cookie))))
        return 0
    parser = argparse.ArgumentParser(prog="bench/fragments.py", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=2, help="turns of (a) and (b)")
    parser.add_argument("--cold-requests", type=int, default=40, help="requests for (c)")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--no-wrk", action="store_true", help="use the httpx load generator")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args(argv)
    report(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
