"""`make dev DEV_ARGS=--loopback-hosts`: each app on its own loopback address, reachable
by the public URL it publishes, so a fediverse peer on the machine federates with it.

The peer is bovine (an independent ActivityPub library): it finds the blog's
actor through WebFinger, fetches it, follows it, and verifies the signature
of the Accept the dev platform's worker delivers to its inbox.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from bovine import BovineActor

from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.config import APP_NAMES
from tests.dev.test_platform import (
    REPO_ROOT,
    START_TIMEOUT,
    RunnerOutput,
    _free_port_base,
    _runner_env,
)
from tests.support.activitypub.standin import StandInServer, eventually

pytestmark = pytest.mark.slow
PEER_HOST = "127.0.0.44"


async def test_a_peer_library_federates_with_the_blog_on_its_own_loopback_host(
    tmp_path: Path,
) -> None:
    base = _free_port_base()
    argv = [sys.executable, "-m", "shared.dev.run", "--state-dir", str(tmp_path / "state")]
    argv += ["--port-base", str(base), "--no-seed", "--loopback-hosts"]
    # Popen returns at once (the output is read on a thread): nothing blocks the loop.
    runner = subprocess.Popen(  # noqa: ASYNC220
        argv,
        cwd=REPO_ROOT,
        env=_runner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = RunnerOutput(runner)
    peer = await StandInServer(PEER_HOST).start()
    try:
        if not await asyncio.to_thread(output.ready.wait, START_TIMEOUT):
            pytest.fail(f"the platform did not come up; its output:\n{output.text()}")
        for offset, name in enumerate(APP_NAMES, start=1):
            assert f"http://127.0.0.{10 + offset}:{base + offset}" in output.text(), name
        blog = f"127.0.0.11:{base + 1}"

        async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
            finger = await client.get(
                f"http://{blog}/.well-known/webfinger", params={"resource": f"acct:blog@{blog}"}
            )
        assert finger.status_code == 200, finger.text
        assert finger.json()["subject"] == f"acct:blog@{blog}"
        (actor_url,) = [link["href"] for link in finger.json()["links"] if link["rel"] == "self"]
        assert actor_url.startswith(f"http://{blog}/")

        alice = peer.add_actor("alice", generate_keypair())
        async with BovineActor(
            actor_id=alice.id, public_key_url=alice.key_id, secret=alice.key.private_pem
        ) as bovine:
            actor = await bovine.get(actor_url)
            assert actor["id"] == actor_url
            assert actor["publicKey"]["owner"] == actor_url
            follow = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{alice.id}/follows/1",
                "type": "Follow",
                "actor": alice.id,
                "object": actor_url,
            }
            posted = await bovine.post(actor["inbox"], follow)
            posted.release()  # aiohttp keeps the connection until the response is released
            assert posted.status == 202

        accepted = await eventually(
            lambda: [r for r in peer.received if r.activity["type"] == "Accept"],
            within=60.0,
            what=lambda: f"an Accept at alice's inbox; dev output:\n{output.text()}",
        )
        assert accepted[0].verified_by == "bovine"
        assert accepted[0].signer == actor_url
    finally:
        await peer.stop()
        if runner.poll() is None:
            runner.send_signal(signal.SIGINT)
            await asyncio.to_thread(runner.wait, 60)
        assert runner.stdout is not None
        runner.stdout.close()
