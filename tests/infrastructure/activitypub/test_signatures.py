"""HTTP Signatures: what we sign verifies with two libraries we did not write, and what they
sign verifies with ours; every rule Mastodon enforces is enforced here too."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.types import CryptographicIdentifier
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.structures import CaseInsensitiveDict

from shared.infrastructure.activitypub.keys import KeyPair, generate_keypair, load_public_key
from shared.infrastructure.activitypub.signatures import (
    IncomingRequest,
    SignatureError,
    check_body_digest,
    content_digest_header,
    digest_header,
    host_of,
    parse_signature,
    sign_request,
    sign_request_rfc9421,
    verify_signature,
)

KEY_ID = "https://peer.example/users/alice#main-key"
URL = "http://blog.example:8001/actor/inbox"
BODY = b'{"type":"Follow","id":"https://peer.example/1"}'


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return generate_keypair()


def incoming(method: str, url: str, headers: dict[str, str], body: bytes = b"") -> IncomingRequest:
    parts = urlsplit(url)
    return IncomingRequest(
        method=method,
        scheme=parts.scheme,
        path=parts.path,
        query=parts.query,
        headers={name.lower(): value for name, value in headers.items()},
        body=body,
    )


def verifies(request: IncomingRequest, key: KeyPair) -> bool:
    return verify_signature(parse_signature(request), load_public_key(key.public_pem))


def test_a_signed_post_verifies_and_signs_what_mastodon_requires(key: KeyPair) -> None:
    headers = sign_request("POST", URL, key_id=KEY_ID, private_key=key.private_key, body=BODY)
    assert headers["Host"] == "blog.example:8001"
    assert 'algorithm="rsa-sha256"' in headers["Signature"]
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    assert headers["Digest"] == digest_header(BODY)
    request = incoming("POST", URL, headers, BODY)
    assert verifies(request, key)
    check_body_digest(request.headers, BODY)


def test_the_host_header_carries_a_port_only_when_it_is_not_the_default() -> None:
    assert host_of("https://a.example/inbox") == "a.example"
    assert host_of("https://a.example:443/inbox") == "a.example"
    assert host_of("http://127.0.0.11:8001/x") == "127.0.0.11:8001"


def test_a_signed_get_covers_host_and_the_query(key: KeyPair) -> None:
    url = "https://blog.example/actor/outbox?page=2"
    headers = sign_request("GET", url, key_id=KEY_ID, private_key=key.private_key)
    assert 'headers="(request-target) host date accept"' in headers["Signature"]
    assert verifies(incoming("GET", url, headers), key)
    # Signed for page=2, sent for page=3: the signature no longer holds.
    assert not verifies(incoming("GET", url.replace("2", "3"), headers), key)


def test_a_signature_made_without_the_query_still_verifies(key: KeyPair) -> None:
    headers = sign_request("GET", "https://b.example/a", key_id=KEY_ID, private_key=key.private_key)
    assert verifies(incoming("GET", "https://b.example/a?page=1", headers), key)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop("Signature"), "not signed"),
        (lambda h: h.update(Signature=h["Signature"].replace(" digest", "")), "must cover digest"),
        (lambda h: h.update(Signature=h["Signature"].replace(" date", "")), "date or"),
        (
            lambda h: h.update(Signature=h["Signature"].replace("rsa-sha256", "ed25519")),
            "unsupported",
        ),
        (lambda h: h.update(Signature='signature="abc"'), "keyId"),
    ],
)
def test_a_malformed_or_weak_signature_is_refused(key: KeyPair, change, message: str) -> None:  # type: ignore[no-untyped-def]
    headers = sign_request("POST", URL, key_id=KEY_ID, private_key=key.private_key, body=BODY)
    change(headers)
    with pytest.raises(SignatureError, match=message):
        parse_signature(incoming("POST", URL, headers, BODY))


def test_a_get_must_sign_the_host(key: KeyPair) -> None:
    headers = sign_request("GET", URL, key_id=KEY_ID, private_key=key.private_key)
    headers["Signature"] = headers["Signature"].replace(" host", "")
    with pytest.raises(SignatureError, match="host"):
        parse_signature(incoming("GET", URL, headers))


@pytest.mark.parametrize(
    ("age", "ok"),
    [(0, True), (60 * 60, True), (66 * 60, False), (-59 * 60, True), (-61 * 60, False)],
)
def test_the_date_window_is_mastodons(key: KeyPair, age: int, ok: bool) -> None:
    headers = sign_request(
        "POST", URL, key_id=KEY_ID, private_key=key.private_key, body=BODY, now=time.time() - age
    )
    request = incoming("POST", URL, headers, BODY)
    if ok:
        assert verifies(request, key)
    else:
        with pytest.raises(SignatureError):
            parse_signature(request)


@pytest.mark.parametrize("param", ["created", "expires"])
def test_an_unsigned_created_or_expires_parameter_cannot_freshen_a_replayed_date(
    key: KeyPair, param: str
) -> None:
    # A request captured three hours ago, replayed with a parameter the signature does
    # not cover: `created=now` (or a far `expires`) must not make its Date look fresh.
    headers = sign_request(
        "POST",
        URL,
        key_id=KEY_ID,
        private_key=key.private_key,
        body=BODY,
        now=time.time() - 3 * 3600,
    )
    value = int(time.time()) if param == "created" else int(time.time()) + 6 * 3600
    headers["Signature"] += f",{param}={value}"
    with pytest.raises(SignatureError, match="expired"):
        parse_signature(incoming("POST", URL, headers, BODY))


@pytest.mark.parametrize(
    "digest",
    [
        lambda body: digest_header(body).replace("SHA-256", "sha-256"),
        lambda body: (
            "SHA-512="
            + __import__("base64").b64encode(__import__("hashlib").sha512(body).digest()).decode()
        ),
        lambda body: "MD5=xyz, " + digest_header(body),
    ],
)
def test_digests_in_either_case_and_multi_valued_are_accepted(digest) -> None:  # type: ignore[no-untyped-def]
    check_body_digest({"digest": digest(BODY)}, BODY)


def test_a_digest_that_does_not_match_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        check_body_digest({"digest": digest_header(b"other")}, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        check_body_digest({"content-digest": content_digest_header(b"other")}, BODY)
    with pytest.raises(SignatureError, match="no SHA-256"):
        check_body_digest({}, BODY)


async def test_bovine_verifies_our_signed_post_and_get(key: KeyPair) -> None:
    async def retrieve(key_id: str) -> CryptographicIdentifier:
        assert key_id == KEY_ID
        return CryptographicIdentifier.from_pem(key.public_pem, "https://peer.example/users/alice")

    validate = build_validate_http_signature_raw(retrieve)
    post = sign_request("POST", URL, key_id=KEY_ID, private_key=key.private_key, body=BODY)

    async def body() -> bytes:
        return BODY

    lowered = {k.lower(): v for k, v in post.items()}
    assert await validate("post", URL, lowered, body) == "https://peer.example/users/alice"
    get = sign_request("GET", URL, key_id=KEY_ID, private_key=key.private_key)
    assert await validate("get", URL, {k.lower(): v for k, v in get.items()}, None)
    tampered = {**lowered, "digest": digest_header(b"x")}
    assert await validate("post", URL, tampered, body) is None


class _Resolver(HTTPSignatureKeyResolver):
    def __init__(self, key: KeyPair) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str):  # type: ignore[no-untyped-def]
        return self.key.private_key

    def resolve_public_key(self, key_id: str):  # type: ignore[no-untyped-def]
        return load_public_key(self.key.public_pem)


class _Message:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, CaseInsensitiveDict(headers)


def test_an_rfc9421_post_signed_by_http_message_signatures_verifies_with_ours(key: KeyPair) -> None:
    message = _Message(
        "POST", URL, {"Content-Type": "application/activity+json", "Host": "blog.example:8001"}
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Resolver(key)
    )
    signer.sign(
        message,
        key_id=KEY_ID,
        label="sig1",
        covered_component_ids=("@method", "@target-uri", "content-type"),
        body=BODY,
    )
    request = incoming("POST", URL, dict(message.headers.items()), BODY)
    parsed = parse_signature(request)
    assert parsed.key_id == KEY_ID
    assert verifies(request, key)
    check_body_digest(request.headers, BODY)
    other = generate_keypair()
    assert not verifies(request, other)


def test_our_rfc9421_signature_verifies_with_http_message_signatures(key: KeyPair) -> None:
    headers = sign_request_rfc9421(
        "POST", URL, key_id=KEY_ID, private_key=key.private_key, body=BODY
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Resolver(key)
    )
    [result] = verifier.verify(
        _Message("POST", URL, headers), body=BODY, max_age=timedelta(minutes=5)
    )
    assert set(result.covered_components) >= {'"@method"', '"@target-uri"', '"content-digest"'}
    # And with ours, which is what a Rose Ash inbox runs.
    assert verifies(incoming("POST", URL, headers, BODY), key)


def test_an_rfc9421_post_must_cover_the_content_digest(key: KeyPair) -> None:
    message = _Message("POST", URL, {"Content-Type": "application/activity+json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Resolver(key)
    )
    signer.sign(
        message, key_id=KEY_ID, label="sig1", covered_component_ids=("@method", "@target-uri")
    )
    with pytest.raises(SignatureError, match="content-digest"):
        parse_signature(incoming("POST", URL, dict(message.headers.items()), BODY))
