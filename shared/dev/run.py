"""`make dev`: the whole platform on one machine with one command.

    python -m shared.dev.run [--state-dir DIR] [--port-base 8000] [--no-seed] [--loopback-hosts]

Uses PostgreSQL and Redis from DATABASE_URL / REDIS_URL, or starts embedded
ones with their data under the state directory; migrates; seeds demo data;
runs the six apps under Hypercorn with their output prefixed by app name;
waits until every app's /readyz answers; prints the URLs. Ctrl-C (or
SIGTERM) stops the apps, then Redis, then PostgreSQL, and exits 0.

Public URLs are `http://<app>.localhost:<port>` (browsers resolve those), or
whatever `APP_BASE_URL_<APP>` in the environment says. `--loopback-hosts`
(or `ROSE_ASH_DEV_HOSTS=loopback`) puts each app on an address of its own,
127.0.0.11 to 127.0.0.16, public URL included: a host any program on the
machine resolves, so fediverse peers and OIDC clients outside a browser can
reach the apps by the URLs the apps publish.
"""

from __future__ import annotations

import argparse
import atexit
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from types import FrameType

import httpx

from shared.dev.checks import UnreachableError, check_database, check_redis, redact
from shared.dev.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    free_port,
    port_is_free,
    reserve_ports,
    start_postgres,
    start_redis,
)
from shared.dev.ghost import GhostStandIn
from shared.dev.ghost.dev import start_for_dev as start_ghost
from shared.dev.processes import PrefixedProcess, stop_all
from shared.dev.smtp import ReceivedMail, SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import APP_NAMES
from shared.infrastructure.serving import HYPERCORN_ARGS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_DATABASE = "rose_ash"
PREFERRED_PG_PORT = 55432
PREFERRED_REDIS_PORT = 56379
READY_TIMEOUT = 60.0
APP_STOP_TIMEOUT = 10.0

_output_lock = threading.Lock()


def echo(line: str, *, err: bool = False) -> None:
    """Print one whole line; app reader threads print too, so lines must not interleave."""
    stream = sys.stderr if err else sys.stdout
    with _output_lock:
        stream.write(line + "\n")
        stream.flush()


def say(message: str) -> None:
    echo(f"[dev] {message}")


class DevError(Exception):
    """Start-up failed; `str()` is the one line to show, `details` the child's last output."""

    def __init__(self, message: str, *, exit_code: int = 1, details: list[str] | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.details = details or []


LOOPBACK_FIRST_HOST = 11  # --loopback-hosts: blog on 127.0.0.11 ... account on 127.0.0.16


@dataclass(frozen=True, slots=True)
class App:
    name: str
    port: int
    host: str = "127.0.0.1"
    base_url: str = ""  # the public URL; from the environment when it sets one

    @classmethod
    def planned(cls, name: str, port: int, *, loopback_host: bool) -> App:
        """The app as `make dev` runs it: on its own loopback address when asked, and
        with the public URL the environment gives it (`APP_BASE_URL_<APP>`), if any."""
        index = APP_NAMES.index(name)
        host = f"127.0.0.{LOOPBACK_FIRST_HOST + index}" if loopback_host else "127.0.0.1"
        default = f"http://{host}:{port}" if loopback_host else f"http://{name}.localhost:{port}"
        base_url = os.environ.get(f"APP_BASE_URL_{name.upper()}") or default
        return cls(name, port, host, base_url.rstrip("/"))

    @property
    def public_url(self) -> str:
        return self.base_url

    @property
    def internal_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _pick_port(preferred: int, what: str) -> int:
    if port_is_free(preferred):
        return preferred
    port = free_port()
    say(f"port {preferred} is busy; {what} uses port {port} instead")
    return port


def _secret_key(state_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the state dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = state_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
        say(f"generated a SECRET_KEY in {path}")
    return path.read_text().strip()


def _oidc_private_key(state_dir: Path) -> str:
    """federation's signing key from the environment, else one generated once and kept
    in the state dir (id_tokens and sessions survive a restart of `make dev`)."""
    if os.environ.get("OIDC_PRIVATE_KEY"):
        return os.environ["OIDC_PRIVATE_KEY"]
    path = state_dir / "oidc_private_key.pem"
    if not path.exists():
        from shared.infrastructure.oidc.keys import generate_private_key_pem

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(generate_private_key_pem())
        say(f"generated an OIDC signing key in {path}")
    return path.read_text()


def _ap_private_key(state_dir: Path) -> str:
    """The platform's ActivityPub key from the environment, else one generated once and
    kept in the state dir (remote servers cache our actors' key: it must not change)."""
    if os.environ.get("AP_PRIVATE_KEY"):
        return os.environ["AP_PRIVATE_KEY"]
    path = state_dir / "ap_private_key.pem"
    if not path.exists():
        from shared.infrastructure.activitypub.keys import generate_keypair

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(generate_keypair().private_pem)
        say(f"generated an ActivityPub key in {path}")
    return path.read_text()


def _print_mail(mail: ReceivedMail) -> None:
    """The SMTP stand-in's report of each mail: who, what, and the links to open."""
    lines = [f"[mail] to {', '.join(mail.recipients)}: {mail.subject}"]
    lines += [f"[mail]   {link}" for link in mail.links()]
    echo("\n".join(lines))


def _run_step(argv: list[str], env: dict[str, str], what: str) -> list[str]:
    """Run a one-off child (migrations, seed) to completion; its output lines, or DevError."""
    result = subprocess.run(
        argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = result.stdout.splitlines()
    if result.returncode != 0:
        raise DevError(f"{what} failed with exit code {result.returncode}", details=lines)
    return lines


class Platform:
    """Everything `make dev` starts, so that all of it can be stopped in reverse order."""

    def __init__(
        self, state_dir: Path, port_base: int, seed: bool, *, loopback_hosts: bool = False
    ) -> None:
        self.state_dir = state_dir
        self.seed = seed
        self.apps = [
            App.planned(name, port_base + i, loopback_host=loopback_hosts)
            for i, name in enumerate(APP_NAMES, start=1)
        ]
        # The stand-ins take free ports before the apps bind theirs: not one of these.
        reserve_ports(app.port for app in self.apps)
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.processes: list[PrefixedProcess] = []
        self.worker: PrefixedProcess | None = None
        self._stopped = False
        self.smtp: SmtpStandIn | None = None
        self.sumup: SumUpStandIn | None = None
        self.ghost: GhostStandIn | None = None

    def _database_url(self) -> tuple[str, str]:
        if os.environ.get("DATABASE_URL"):
            return os.environ["DATABASE_URL"], "DATABASE_URL"
        say("starting PostgreSQL 16 …")
        port = _pick_port(PREFERRED_PG_PORT, "PostgreSQL")
        # any_port: initdb takes seconds, and the port may be taken by the time it is done.
        self.postgres = start_postgres(
            self.state_dir / "postgres" / "data", port, progress=say, any_port=True
        )
        url = self.postgres.create_database(DEV_DATABASE)
        say(f"PostgreSQL is up at {url}")
        return url, "embedded"

    def _redis_url(self) -> tuple[str, str]:
        if os.environ.get("REDIS_URL"):
            return os.environ["REDIS_URL"], "REDIS_URL"
        say("starting Redis …")
        port = _pick_port(PREFERRED_REDIS_PORT, "Redis")
        self.redis = start_redis(self.state_dir / "redis", port, progress=say, persist=True)
        say(f"Redis is up at {self.redis.url}")
        return self.redis.url, "embedded"

    def _child_env(self, database_url: str, redis_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SECRET_KEY=_secret_key(self.state_dir),
            OIDC_PRIVATE_KEY=_oidc_private_key(self.state_dir),
            AP_PRIVATE_KEY=_ap_private_key(self.state_dir),
            # The apps federate with each other (and local test peers) on loopback.
            AP_FETCH_ALLOW_NETWORKS=os.environ.get(
                "AP_FETCH_ALLOW_NETWORKS", "127.0.0.0/8,::1/128"
            ),
            ROSE_ASH_ENV="dev",
            PYTHONUNBUFFERED="1",  # so app output reaches the terminal line by line
        )
        for app in self.apps:
            env[f"APP_BASE_URL_{app.name.upper()}"] = app.public_url
            env[f"APP_INTERNAL_URL_{app.name.upper()}"] = app.internal_url
        return env

    def _migrate(self, env: dict[str, str]) -> None:
        if not (REPO_ROOT / "alembic.ini").exists():
            say("no alembic.ini yet: skipping migrations")
            return
        say("migrating the database (alembic upgrade head) …")
        argv = [sys.executable, "-m", "alembic", "upgrade", "head"]
        lines = _run_step(argv, env, "migrating the database")
        applied = [line.split("] ", 1)[-1] for line in lines if "Running upgrade" in line]
        for line in applied:
            say(f"  {line.strip()}")
        if not applied:
            say("  the database schema is up to date")

    def _seed(self, env: dict[str, str]) -> None:
        if find_spec("shared.dev.seed") is None:
            say("no shared/dev/seed.py yet: skipping demo data")
            return
        say("loading demo data (skipped by the seed when the database has data) …")
        for line in _run_step([sys.executable, "-m", "shared.dev.seed"], env, "seeding"):
            say(f"  {line}")

    def _start_apps(self, env: dict[str, str]) -> None:
        busy = [app for app in self.apps if not port_is_free(app.port, app.host)]
        if busy:
            ports = ", ".join(f"{app.host}:{app.port} ({app.name})" for app in busy)
            raise DevError(
                f"port {ports} already in use: is another `make dev` running? "
                "Stop it or pass --port-base"
            )
        hypercorn = Path(sys.executable).with_name("hypercorn")
        say(f"starting the apps on ports {self.apps[0].port} to {self.apps[-1].port} …")
        for app in self.apps:
            argv = [str(hypercorn), "--bind", f"{app.host}:{app.port}", *HYPERCORN_ARGS]
            # One process per app (no worker process): starts faster, stops cleanly.
            argv += ["--workers", "0", f"{app.name}.app:create_app()"]
            self.processes.append(
                PrefixedProcess(app.name, argv, env=env, cwd=REPO_ROOT, echo=echo)
            )

    def _start_worker(self, env: dict[str, str]) -> None:
        """The EventProcessor: delivers what the apps publish, processes what they receive."""
        say("starting the worker (the ActivityPub EventProcessor) …")
        argv = [sys.executable, "-m", "shared.infrastructure.jobs", "run"]
        self.worker = PrefixedProcess("worker", argv, env=env, cwd=REPO_ROOT, echo=echo)

    def _wait_until_ready(self) -> None:
        started = time.monotonic()
        pending = dict(zip(self.apps, self.processes, strict=True))
        say("waiting for every app's /readyz …")
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while pending:
                for app, process in list(pending.items()):
                    if (code := process.exited()) is not None:
                        raise DevError(
                            f"{app.name} exited with code {code} while starting",
                            details=process.tail(),
                        )
                    try:
                        answer = client.get(f"{app.internal_url}/readyz")
                        # Its own answer, not another process's that holds the port.
                        ready = answer.status_code == 200 and answer.json().get("app") == app.name
                    except httpx.TransportError:
                        ready = False
                    if ready:
                        say(f"{app.name} is ready ({time.monotonic() - started:.1f} s)")
                        del pending[app]
                if pending and time.monotonic() - started > READY_TIMEOUT:
                    app, process = next(iter(pending.items()))
                    raise DevError(
                        f"{app.name} did not answer 200 on /readyz within {READY_TIMEOUT:.0f} s",
                        details=process.tail(),
                    )
                time.sleep(0.25)

    def _start_smtp(self, env: dict[str, str]) -> None:
        """The SMTP stand-in: mails the apps send are printed here, not delivered."""
        if os.environ.get("MAIL_BACKEND") or os.environ.get("SMTP_HOST"):
            return  # the developer configured mail themselves
        self.smtp = SmtpStandIn(on_mail=_print_mail).start()
        env.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.smtp.port))
        say(f"SMTP stand-in on 127.0.0.1:{self.smtp.port}: mails are printed as [mail] lines")
        if not os.environ.get("INBOUND_MAIL_PORT"):
            inbound = free_port()
            env["INBOUND_MAIL_PORT"] = str(inbound)
            say(
                f"the worker reads mail back to the envelope address over LMTP on "
                f"127.0.0.1:{inbound} (unsubscribe mails, bounce reports)"
            )

    def _start_sumup(self, env: dict[str, str]) -> None:
        """The SumUp stand-in: a hosted page with Pay and Decline, when no key is set."""
        if os.environ.get("SUMUP_API_KEY"):
            return
        self.sumup = SumUpStandIn(on_event=lambda text: echo(f"[sumup] {text}")).start()
        cart = next(app for app in self.apps if app.name == "cart")
        env.update(
            SUMUP_API_URL=self.sumup.url,
            SUMUP_API_KEY=self.sumup.api_key,
            SUMUP_MERCHANT_CODE=self.sumup.merchant_code,
            SUMUP_WEBHOOK_BASE_URL=cart.internal_url,
        )
        say(f"SumUp stand-in on {self.sumup.url}: its hosted page has Pay and Decline")

    def _start_ghost(self, env: dict[str, str]) -> None:
        """The Ghost stand-in with demo posts, the blog subscribed to its webhooks."""
        if os.environ.get("GHOST_URL"):
            return
        blog = next(app for app in self.apps if app.name == "blog")
        self.ghost, ghost_env = start_ghost(
            blog.internal_url, on_event=lambda text: echo(f"[ghost] {text}")
        )
        env.update(ghost_env)
        say(f"Ghost stand-in on {self.ghost.url}: edit its posts at {self.ghost.url}/_standin/")

    def _print_urls(self, database: tuple[str, str], redis: tuple[str, str]) -> None:
        width = max(len(app.name) for app in self.apps) + 2
        rows = [f"  {app.name:<{width}}{app.public_url}" for app in self.apps]
        for label, (url, source) in (("database", database), ("redis", redis)):
            rows.append(f"  {label:<{width}}{redact(url)} ({source})")
        if self.ghost is not None:
            rows.append(f"  {'ghost':<{width}}{self.ghost.url}/_standin/ (stand-in)")
        echo("\n".join(["", "Rose Ash is running:", "", *rows, "", "Press Ctrl-C to stop.", ""]))

    def run(self) -> int:
        started = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        say(f"state directory: {self.state_dir}")
        try:
            database = self._database_url()
            check_database(*database)
            redis = self._redis_url()
            check_redis(*redis)
        except (UnreachableError, EmbeddedServerError) as exc:
            # Embedded servers add their log's tail after the first line.
            first, *rest = str(exc).splitlines()
            raise DevError(first, exit_code=2, details=rest) from exc
        env = self._child_env(database[0], redis[0])
        self._migrate(env)
        if self.seed:
            self._seed(env)
        self._start_smtp(env)
        self._start_sumup(env)
        self._start_ghost(env)
        self._start_apps(env)
        self._start_worker(env)
        self._wait_until_ready()
        say(f"everything is up after {time.monotonic() - started:.1f} s")
        self._print_urls(database, redis)
        while True:  # until a signal raises KeyboardInterrupt, or an app dies
            for app, process in zip(self.apps, self.processes, strict=True):
                if (code := process.exited()) is not None:
                    raise DevError(f"{app.name} exited with code {code}", details=process.tail())
            if self.worker is not None and (code := self.worker.exited()) is not None:
                raise DevError(f"the worker exited with code {code}", details=self.worker.tail())
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop what we started: apps, then Redis, then PostgreSQL. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        children = [*self.processes, *([self.worker] if self.worker else [])]
        if children:
            say("stopping the apps and the worker …")
            stop_all([(p.proc, signal.SIGTERM) for p in children], APP_STOP_TIMEOUT)
        if self.smtp is not None:
            self.smtp.stop()
        if self.sumup is not None:
            self.sumup.stop()
        if self.ghost is not None:
            self.ghost.stop()
        if self.redis is not None:
            say("stopping Redis …")
            self.redis.stop()
        if self.postgres is not None:
            say("stopping PostgreSQL …")
            self.postgres.stop()
        say("stopped")


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    # SIGTERM and SIGHUP (terminal closed) stop us exactly like Ctrl-C. SIGINT
    # gets this handler too: a shell starts background jobs with SIGINT ignored,
    # and `make dev &` followed by `kill -INT` must still stop us.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.dev.run", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".state")
    parser.add_argument("--port-base", type=int, default=8000, help="apps use base+1 … base+6")
    parser.add_argument("--no-seed", action="store_true", help="do not load demo data")
    parser.add_argument(
        "--loopback-hosts",
        action="store_true",
        default=os.environ.get("ROSE_ASH_DEV_HOSTS") == "loopback",
        help="each app on its own address, 127.0.0.11-16, public URL included "
        "(also ROSE_ASH_DEV_HOSTS=loopback)",
    )
    args = parser.parse_args(argv)
    platform = Platform(
        args.state_dir.resolve(),
        args.port_base,
        seed=not args.no_seed,
        loopback_hosts=args.loopback_hosts,
    )
    atexit.register(platform.stop)  # also when the runner itself crashes
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    failure: DevError | None = None
    try:
        return platform.run()
    except KeyboardInterrupt:
        return 0
    except DevError as exc:
        failure = exc
        return exc.exit_code
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave servers behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        platform.stop()
        if failure is not None:  # last, so it is what the terminal ends with
            for line in failure.details:
                echo(f"  | {line}", err=True)
            echo(f"error: {failure}", err=True)


if __name__ == "__main__":
    sys.exit(main())
