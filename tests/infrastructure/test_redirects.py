"""`next` after signing in: only a path on this site, never somewhere else."""

from __future__ import annotations

import pytest

from shared.infrastructure.redirects import safe_next


@pytest.mark.parametrize("path", ["/", "/cart/", "/events/repair-cafe/?date=2026-12-01", "/a#b"])
def test_a_same_site_path_is_kept(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example",
        "https://evil.example/path",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "",
        None,
        "/" + "a" * 5000,
    ],
)
def test_anything_else_falls_back_to_the_default(value: str | None) -> None:
    assert safe_next(value, "/home") == "/home"
