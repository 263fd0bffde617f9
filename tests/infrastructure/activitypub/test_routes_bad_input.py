"""Every federation endpoint, tried with the inputs an attacker or a broken peer sends:
none answers 500. Inboxes get bodies and signature headers; documents get query
strings, paths and Accept headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quart import Quart

from shared.infrastructure.config import Settings
from tests.conftest import AppFactory
from tests.support.factories import make_user

AS_JSON = "application/activity+json"
DATE = "Tue, 01 Dec 2026 22:00:00 GMT"
UNREACHABLE_KEY = "http://127.0.0.1:9/users/x#main-key"  # loopback, nothing listens

# (name, body, extra headers) for the inboxes.
BODIES: list[tuple[str, bytes, dict[str, str]]] = [
    ("empty", b"", {}),
    ("wrong content type", b"name=value", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("invalid JSON", b'{"type": "Like",', {}),
    ("invalid UTF-8", b'{"type": "\xff\xfe"}', {}),
    ("NUL", b'{"type": "Like", "id": "a\\u0000b"}', {}),
    ("raw NUL", b'{"type": "Like\x00"}', {}),
    ("600 KB", b'{"x": "' + b"a" * 600_000 + b'"}', {}),
    ("2 MB", b'{"x": "' + b"a" * 2_000_000 + b'"}', {}),
    ("huge number", b'{"type": "Like", "n": 1' + b"0" * 10_000 + b"}", {}),
    ("infinite number", b'{"type": "Like", "n": 1e99999}', {}),
    ("a JSON list", b"[1, 2, 3]", {}),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, {}),
    ("no signature", b'{"type": "Like"}', {}),
    ("garbage signature", b"{}", {"Signature": "garbage"}),
    ("empty keyId", b"{}", {"Signature": 'keyId="",signature="AAAA"'}),
    (
        "signature not base64",
        b"{}",
        {"Signature": f'keyId="{UNREACHABLE_KEY}",headers="date digest",signature="!!!"'},
    ),
    (
        "keyId not a URL",
        b"{}",
        {"Signature": 'keyId="not a url\x7f",headers="date digest",signature="AAAA"'},
    ),
    (
        "unreachable keyId",
        b"{}",
        {
            "Signature": f'keyId="{UNREACHABLE_KEY}",headers="(request-target) date digest",'
            'signature="AAAA"',
            "Digest": "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
        },
    ),
    ("bad date", b"{}", {"Signature": f'keyId="{UNREACHABLE_KEY}",signature="AAAA"', "Date": "x"}),
    (
        "huge date",
        b"{}",
        {
            "Signature": f'keyId="{UNREACHABLE_KEY}",headers="date digest",signature="AAAA"',
            "Date": "Tue, 01 Dec 99999999999 22:00:00 GMT",
        },
    ),
    (
        "huge created",
        b"{}",
        {
            "Signature": f'keyId="{UNREACHABLE_KEY}",algorithm="hs2019",'
            'headers="(created) digest",created=1e999,signature="AAAA"',
        },
    ),
    ("bad digest", b"{}", {"Signature": 'keyId="k",signature="AAAA"', "Digest": "SHA-256=%%%"}),
    ("bad content digest", b"{}", {"Content-Digest": "sha-256=:!!!:", "Signature": "x"}),
    ("garbage Signature-Input", b"{}", {"Signature-Input": "(((", "Signature": "sig1=:AAAA:"}),
    (
        "Signature-Input without keyid",
        b"{}",
        {"Signature-Input": 'sig1=("@method");created=1', "Signature": "sig1=:AAAA:"},
    ),
    (
        "Signature-Input with two labels",
        b"{}",
        {"Signature-Input": "a=();created=1, b=();created=1", "Signature": "a=:AAAA:"},
    ),
    (
        "Signature-Input with a huge created",
        b"{}",
        {
            "Signature-Input": 'sig1=("@method" "@target-uri");created=999999999999999;keyid="k"',
            "Signature": "sig1=:AAAA:",
        },
    ),
]

# What the documents are tried with: pages for collections, resources for WebFinger,
# Accept headers and a few odd queries for the rest; odd usernames in the paths.
HUGE_PAGE = "page=100000000000000000000"
PAGES = ["page=", "page=-1", "page=0", "page=1e3", "page=%C2%B2", "page=true", "page=%00"]
PAGES += ["page=%FF", "page=1&page=2"]
RESOURCES = ["", "resource=", "resource=%00", "resource=%FF%FE", "resource=acct:"]
RESOURCES += ["resource=acct:@", "resource=acct:%00@blog.localhost", "resource=http://%00"]
RESOURCES += ["resource=acct:" + "a" * 10_000 + "@x"]
RESOURCES += ["resource=" + "x" * 600_000, "resource=a&resource=b"]
ACCEPTS = ["", AS_JSON, "text/html", "*/*", "application/json;q=garbage", "\x7f"]
ODD = ["x=%00", "x=%FF", "x=" + "y" * 10_000]
USERNAMES = ["kim", "nobody", "%FF", "a" * 10_000, "²"]
COLLECTIONS = ("outbox", "followers", "following")


def tries(path: str) -> list[tuple[str, str]]:
    """(query, Accept) pairs for one path."""
    if path.endswith(COLLECTIONS):
        return [(query, AS_JSON) for query in PAGES]
    if path.endswith("webfinger"):
        return [(query, "") for query in RESOURCES]
    return [("", accept) for accept in ACCEPTS] + [(query, AS_JSON) for query in ODD]


DOCUMENT_PATHS = {
    "blog": [
        "/actor",
        "/actor/outbox",
        "/actor/followers",
        "/objects/x",
        "/activities/%FF",
        "/.well-known/webfinger",
        "/.well-known/host-meta",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
        "/nodeinfo/%00",
    ],
    "federation": [
        "/instance",
        "/instance/following",
        "/.well-known/webfinger",
        "/nodeinfo/2.0",
        *(f"/users/{name}" for name in USERNAMES),
        *(f"/@{name}" for name in USERNAMES),
        *(f"/users/{name}/followers" for name in USERNAMES[:3]),
        "/users/kim/outbox",
        "/users/kim/notes/1",
    ],
}
INBOXES = {
    "blog": ["/inbox", "/actor/inbox"],
    "federation": ["/users/kim/inbox", "/users/nobody/inbox", "/instance/inbox"],
}


@pytest.fixture
async def start(make_app: AppFactory, ap_settings: Settings, db: Any) -> Any:
    await make_user(db, "kim")

    async def started(name: str) -> Quart:
        return await make_app(name, app_settings=ap_settings)

    return started


@pytest.mark.parametrize(
    ("app_name", "path"), [(app, path) for app, paths in INBOXES.items() for path in paths]
)
async def test_no_bad_inbox_request_is_a_500(start: Any, app_name: str, path: str) -> None:
    client = (await start(app_name)).test_client()
    answers = {}
    for name, body, headers in BODIES:
        sent = {"Content-Type": AS_JSON, "Date": DATE, **headers}
        response = await client.post(path, data=body, headers=sent)
        answers[name] = response.status_code
        if response.status_code != 404:  # (an unknown recipient is the app's 404 page)
            # Refusals say why, in JSON, so a peer's operator can act on them.
            text = await response.get_data(as_text=True)
            assert text.startswith("{") and "error" in json.loads(text), (
                name,
                response.status_code,
                text[:200],
            )
    assert all(400 <= status < 500 for status in answers.values()), answers
    if "nobody" not in path:  # (no such recipient: 404 before the body is read)
        assert answers["2 MB"] == answers["600 KB"] == 413, answers


@pytest.mark.parametrize(
    ("app_name", "path"),
    [(app, path) for app, paths in DOCUMENT_PATHS.items() for path in paths],
)
async def test_no_bad_document_request_is_a_500(start: Any, app_name: str, path: str) -> None:
    client = (await start(app_name)).test_client()
    failures = []
    for query, accept in tries(path):
        target = f"{path}?{query}" if query else path
        response = await client.get(target, headers={"Accept": accept})
        if response.status_code >= 500:
            failures.append((target[:120], accept, response.status_code))
    assert not failures, failures


# Found by the matrix above: NUL in a path or query (the request-level guard), a huge
# page (OFFSET past int64) and an unparsable URL as WebFinger resource.
PAST_FIXES = [
    ("blog", f"/actor/outbox?{HUGE_PAGE}"),
    ("blog", "/objects/%00"),
    ("blog", "/.well-known/webfinger?resource=https://[::1"),
    ("federation", "/users/%00"),
    ("federation", "/@%00"),
]


@pytest.mark.parametrize(("app_name", "target"), PAST_FIXES)
async def test_nul_huge_pages_and_broken_resources_are_not_a_500(
    start: Any, app_name: str, target: str
) -> None:
    client = (await start(app_name)).test_client()
    response = await client.get(target, headers={"Accept": AS_JSON})
    assert response.status_code < 500


async def test_a_form_body_past_what_any_form_needs_is_413(start: Any) -> None:
    # Every app's limit (it was 16 MB, buffered in memory before any check).
    client = (await start("federation")).test_client()
    response = await client.post(
        "/signin",
        data=b"email=" + b"a" * 600_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
