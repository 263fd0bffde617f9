"""The baseline of bench/pages.py: a bare Quart "hello", served like the apps are."""

from __future__ import annotations

from quart import Quart

app = Quart(__name__)


@app.get("/")
async def hello() -> str:
    return "hello"
