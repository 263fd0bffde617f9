"""ActivityPub deliveries for bench/faults.py: remote followers of the blog actor on a
stand-in inbox server (bench/delivery.py's, in a process of its own), a post published
as each fault begins (and one while the worker is dead), and the check afterwards that
every follower's inbox got every post exactly once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from delivery import _publish, _setup, host_list

from shared.dev.embedded import free_port
from shared.dev.processes import spawn
from shared.infrastructure.config import Settings

DELIVERY_SCRIPT = Path(__file__).resolve().parent / "delivery.py"
HOSTS = 5


@dataclass
class Deliveries:
    settings: Settings
    followers: int
    port: int = field(default_factory=free_port)
    published: dict[str, int] = field(default_factory=dict)  # phase → posts published
    failed: dict[str, int] = field(default_factory=dict)  # phase → publishes refused
    rounds: dict[int, str] = field(default_factory=dict)  # round of a published post → phase
    _round: int = 0

    def start_inboxes(self, log: Path) -> subprocess.Popen[bytes]:
        argv: list[str | Path] = [sys.executable, DELIVERY_SCRIPT, "--hosts", str(HOSTS)]
        argv += ["--serve-inboxes", str(self.port)]
        return spawn(argv, stdout=log.open("ab"), cwd=DELIVERY_SCRIPT.parents[1])

    async def follow(self) -> None:
        await _setup(self.settings, self.followers, host_list(HOSTS), self.port)

    async def publish(self, phase: str) -> None:
        """One post (its Create goes to every follower); a refusal (the database down)
        is counted apart: that post was never published."""
        self._round += 1
        try:
            await asyncio.wait_for(_publish(self.settings, 1, self._round), timeout=20)
        except Exception:  # any refusal: the post does not exist
            self.failed[phase] = self.failed.get(phase, 0) + 1
        else:
            self.published[phase] = self.published.get(phase, 0) + 1
            self.rounds[self._round] = phase

    async def unfinished(self, database_url: str) -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM ap_deliveries"
                    " WHERE status IN ('pending', 'delivering', 'failed')"
                )
            )
        finally:
            await conn.close()

    async def check(self, database_url: str) -> dict[str, tuple[list[str], list[str]]]:
        """Per phase (lost, duplicated): each post published in it that an inbox never got
        or got twice; dead deliveries under "(any)"."""
        async with httpx.AsyncClient(timeout=10) as client:
            stats = (await client.get(f"http://{host_list(HOSTS)[0]}:{self.port}/stats")).json()
        conn = await asyncpg.connect(database_url)
        try:
            dead = await conn.fetchval("SELECT count(*) FROM ap_deliveries WHERE status = 'dead'")
        finally:
            await conn.close()
        by_phase: dict[str, tuple[list[str], list[str]]] = {
            phase: ([], []) for phase in self.published
        }
        rounds = stats["rounds"]
        for round_, phase in sorted(self.rounds.items()):
            lost, duplicated = by_phase[phase]
            got = rounds.get(str(round_), {"posts": 0, "inboxes": 0, "most": 0})
            if got["posts"] < self.followers or got["inboxes"] < self.followers:
                lost.append(
                    f"post {round_}: the inboxes got {got['posts']} of {self.followers}"
                    f" ({got['inboxes']} of {self.followers} inboxes reached)"
                )
            if got["most"] > 1:
                duplicated.append(f"post {round_}: an inbox got it {got['most']} times")
        if dead:
            by_phase.setdefault("(any)", ([], []))[0].append(f"{dead} deliveries are dead")
        return by_phase
