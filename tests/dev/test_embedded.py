"""The embedded PostgreSQL and Redis answer, keep their data, and stop without leftovers."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import psutil
import pytest
import redis

from shared.dev.embedded import (
    EmbeddedServerError,
    free_port,
    free_port_base,
    pg_bin_dir,
    port_is_free,
    reserve_ports,
    start_postgres,
    start_redis,
)


def _process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _postmaster_tree(data_dir: Path) -> list[psutil.Process]:
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return _process_tree(pid)


def _psql(url: str, sql: str) -> str:
    argv = [str(pg_bin_dir() / "psql"), "-X", "-tA", url, "-c", sql]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def test_postgres_answers_on_loopback_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = start_postgres(tmp_path / "data", fast=True)
    try:
        url = server.create_database("probe")
        assert url == server.database_url("probe")
        assert url.startswith(f"postgresql://postgres@127.0.0.1:{server.port}/")
        assert _psql(url, "SHOW server_version_num").startswith("16")
        assert _psql(url, "SHOW fsync") == "off"
        processes = _postmaster_tree(server.data_dir)
        if os.geteuid() == 0:  # PostgreSQL refuses root; it runs as a system user
            assert processes[0].username() != "root"
    finally:
        server.stop()
    server.stop()  # a second stop is harmless

    assert _alive(processes) == []
    assert (tmp_path / "postgres.log").exists()


def test_postgres_keeps_its_databases_across_restarts(tmp_path: Path) -> None:
    first = start_postgres(tmp_path / "data", fast=True)
    try:
        first.create_database("kept")
        with pytest.raises(EmbeddedServerError, match="already exists"):
            first.create_database("kept", exists_ok=False)
    finally:
        first.stop()

    second = start_postgres(tmp_path / "data", fast=True)
    try:
        names = _psql(second.url, "SELECT datname FROM pg_database ORDER BY datname")
        assert "kept" in names.splitlines()
    finally:
        second.stop()


def test_postgres_on_a_busy_port_fails_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]

        with pytest.raises(EmbeddedServerError, match="exited") as failure:
            start_postgres(tmp_path / "data", port, fast=True)

    assert "could not" in str(failure.value)  # the log tail says why


def test_postgres_moves_to_another_port_when_its_port_is_taken_before_the_bind(
    tmp_path: Path,
) -> None:
    messages: list[str] = []
    port = free_port()  # chosen free, as `make dev` chooses it ...
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))  # ... and taken by someone else before the bind
        blocker.listen()

        server = start_postgres(
            tmp_path / "data", port, fast=True, any_port=True, progress=messages.append
        )
        try:
            assert server.port != port
            assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
            assert _psql(server.url, "SELECT 1") == "1"
            assert any(f"port {port} was taken" in message for message in messages)
        finally:
            server.stop()


def test_redis_answers_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis")
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping() is True
            client.set("greeting", "hello")
            assert client.get("greeting") == b"hello"
            processes = _process_tree(int(client.info("server")["process_id"]))
        finally:
            client.close()
    finally:
        server.stop()
    server.stop()

    assert _alive(processes) == []


def test_persistent_redis_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    for expected in (None, b"kept"):
        server = start_redis(tmp_path / "redis", port, persist=True)
        client = redis.Redis.from_url(server.url)
        try:
            assert client.get("key") == expected
            client.set("key", "kept")
        finally:
            client.close()
            server.stop()


def test_free_ports_are_never_handed_out_twice_and_stay_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == 300
    # The kernel hands out 32768 and up to bind(0) and outgoing connections; a port
    # from there could be taken between our choice and the server's bind.
    assert all(20000 <= port < 32768 for port in ports)


def test_parallel_test_workers_draw_ports_from_their_own_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    slices = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        slices.append({free_port() for _ in range(50)})
    assert max(slices[0]) < min(slices[1])


def test_a_port_base_leaves_its_block_to_the_servers_planned_there() -> None:
    base = free_port_base(6)
    block = set(range(base + 1, base + 7))
    assert all(port_is_free(port) for port in block)
    # make dev draws its stand-ins' ports after planning its apps': never one of those.
    assert block.isdisjoint(free_port() for _ in range(200))

    planned = free_port()
    reserve_ports([planned + 1])
    assert planned + 1 not in {free_port() for _ in range(300)}
