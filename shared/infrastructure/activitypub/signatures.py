"""HTTP Signatures: signing (draft-cavage-12) and verifying (cavage and RFC 9421).

Pure functions, no I/O: `verify.py` finds the keys, `http.py` sends.

What we sign follows what Mastodon sends and every server accepts
(`../shared/reference/activitypub.md` §1.3): `rsa-sha256` with `algorithm`
named, `(request-target)` with the query, the Host exactly as sent (with a
non-default port), `date`, and `digest` + `content-type` on POST or
`accept` on GET. Re-signed on every attempt: a Date is never replayed.

Verifying applies Mastodon's rules: `date` or `(created)` signed,
`(request-target)` or `digest` signed, `host` on GET, `digest` on POST; the
Date no more than an hour in the future nor more than an hour past its
expiry (5 minutes after it was made); the body's digest checked against
`Digest` or `Content-Digest`. `(request-target)` is tried with the query,
then without (Mastodon < 4.3 and Misskey drop it).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAX_FUTURE_SECONDS = 3600
DEFAULT_EXPIRY_SECONDS = 300
MAX_EXPIRY_SECONDS = 12 * 3600
GRACE_SECONDS = 3600
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s]+))\s*,?')


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong; the message says which."""


# -- Digests ---------------------------------------------------------------------------------


def digest_header(body: bytes) -> str:
    """The `Digest` header value for a body (RFC 3230, as Mastodon sends it)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def check_body_digest(headers: Mapping[str, str], body: bytes) -> None:
    """Raise unless `Digest` or `Content-Digest` is present and every sha-2 value matches."""
    checked = False
    for part in _header(headers, "digest").split(","):
        algorithm, _, value = part.strip().partition("=")
        if algorithm.lower() == "sha-256":
            _compare(value, hashlib.sha256(body).digest(), "Digest")
            checked = True
        elif algorithm.lower() == "sha-512":
            _compare(value, hashlib.sha512(body).digest(), "Digest")
            checked = True
    content_digest = _header(headers, "content-digest")
    if content_digest:
        try:
            parsed = http_sf.parse(content_digest.encode(), tltype="dictionary")
        except http_sf.StructuredFieldError:
            raise SignatureError("Content-Digest is not a structured field") from None
        assert isinstance(parsed, dict)
        members: dict[str, Any] = dict(parsed)
        for algorithm, member in members.items():
            value = member[0]
            hasher = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}.get(algorithm)
            if hasher is not None and isinstance(value, bytes):
                if value != hasher(body).digest():
                    raise SignatureError(f"Content-Digest {algorithm} does not match the body")
                checked = True
    if not checked:
        raise SignatureError("the request has no SHA-256 Digest or Content-Digest")


def _compare(sent: str, actual: bytes, name: str) -> None:
    try:
        decoded = base64.b64decode(sent, validate=True)
    except ValueError:
        raise SignatureError(f"{name} is not base64") from None
    if decoded != actual:
        raise SignatureError(f"{name} does not match the body")


def _header(headers: Mapping[str, str], name: str) -> str:
    return str(headers.get(name) or headers.get(name.title()) or "")


# -- Signing (draft-cavage-12) ------------------------------------------------------------


def http_date(now: float | None = None) -> str:
    return formatdate(now if now is not None else time.time(), usegmt=True)


def host_of(url: str) -> str:
    """The Host header a client sends for `url`: the port only when it is not the default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{parts.port}" if parts.port and parts.port != default else host


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def sign_request(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    body: bytes | None = None,
    content_type: str = "application/activity+json",
    accept: str = "application/activity+json",
    now: float | None = None,
) -> dict[str, str]:
    """The headers to send: Host, Date, Digest + Content-Type (POST) or Accept (GET), Signature."""
    method = method.lower()
    headers = {"Host": host_of(url), "Date": http_date(now)}
    if body is not None:
        headers["Digest"] = digest_header(body)
        headers["Content-Type"] = content_type
    else:
        headers["Accept"] = accept
    names = ["(request-target)", "host", "date"]
    names += ["digest", "content-type"] if body is not None else ["accept"]
    lines = [f"(request-target): {method} {target_of(url)}"]
    lowered = {name.lower(): value for name, value in headers.items()}
    lines += [f"{name}: {lowered[name]}" for name in names[1:]]
    signature = private_key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` value for a body."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def sign_request_rfc9421(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    body: bytes | None = None,
    content_type: str = "application/activity+json",
    accept: str = "application/activity+json",
    now: float | None = None,
) -> dict[str, str]:
    """RFC 9421 headers, covering what Mastodon requires: @method, @target-uri, created,
    keyid and, on POST, content-digest. Our second knock when cavage gets a 401."""
    created = int(now if now is not None else time.time())
    parts = urlsplit(url)
    target_uri = f"{parts.scheme}://{host_of(url)}{target_of(url)}"
    headers = {"Host": host_of(url), "Date": http_date(created)}
    components = [("@method", method.upper()), ("@target-uri", target_uri)]
    if body is not None:
        headers["Content-Type"] = content_type
        headers["Content-Digest"] = content_digest_header(body)
        components += [
            ("content-type", content_type),
            ("content-digest", headers["Content-Digest"]),
        ]
    else:
        headers["Accept"] = accept
        components.append(("accept", accept))
    covered = " ".join(f'"{name}"' for name, _ in components)
    params = f'({covered});created={created};keyid="{key_id}";alg="rsa-v1_5-sha256"'
    base = "\n".join(
        [*(f'"{name}": {value}' for name, value in components), f'"@signature-params": {params}']
    )
    signature = private_key.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature-Input"] = f"sig1={params}"
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    return headers


# -- Verifying ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """What verification needs of a received request. `headers` keys are lower case."""

    method: str
    scheme: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def target_with_query(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A signature header, either format, ready to be checked against a key."""

    key_id: str
    algorithm: str
    signing_strings: tuple[bytes, ...]  # candidates: any one verifying is enough
    signature: bytes
    created: float
    expires: float | None


def parse_signature(request: IncomingRequest) -> ParsedSignature:
    """Parse and check the shape, the covered parts and the time window (not the key)."""
    if "signature-input" in request.headers:
        return _parse_rfc9421(request)
    if "signature" in request.headers:
        return _parse_cavage(request)
    raise SignatureError("the request is not signed")


def verify_signature(parsed: ParsedSignature, public_key: rsa.RSAPublicKey) -> bool:
    for candidate in parsed.signing_strings:
        try:
            if parsed.algorithm == "rsa-pss-sha512":
                public_key.verify(
                    parsed.signature,
                    candidate,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
                    hashes.SHA512(),
                )
            else:
                public_key.verify(parsed.signature, candidate, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def _check_window(created: float, expires: float | None, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if created > now + MAX_FUTURE_SECONDS:
        raise SignatureError("the signature was made more than an hour in the future")
    expiry = expires if expires is not None else created + DEFAULT_EXPIRY_SECONDS
    expiry = min(expiry, created + MAX_EXPIRY_SECONDS)
    if now > expiry + GRACE_SECONDS:
        raise SignatureError("the signature has expired (check the Date header)")


def _parse_cavage(request: IncomingRequest) -> ParsedSignature:
    params = {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _CAVAGE_PARAM.finditer(request.headers["signature"])
    }
    key_id, signature_b64 = params.get("keyid"), params.get("signature")
    if not key_id or not signature_b64:
        raise SignatureError("the Signature header needs keyId and signature")
    algorithm = (params.get("algorithm") or "hs2019").lower()
    if algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureError(f"unsupported signature algorithm {algorithm}")
    covered = (params.get("headers") or ("(created)" if algorithm == "hs2019" else "date")).lower()
    names = covered.split()
    if "date" not in names and "(created)" not in names:
        raise SignatureError("the signature must cover date or (created)")
    if "(request-target)" not in names and "digest" not in names:
        raise SignatureError("the signature must cover (request-target) or digest")
    method = request.method.lower()
    if method == "get" and "host" not in names:
        raise SignatureError("a signed GET must cover host")
    if method == "post" and "digest" not in names and "content-digest" not in names:
        raise SignatureError("a signed POST must cover digest")
    created = _created(params, request.headers, names)
    expires = _expires(params, names)
    _check_window(created, expires)
    targets = [request.target_with_query]
    if request.query:
        targets.append(request.path)
    strings = []
    for target in targets:
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"{name}: {method} {target}")
            elif name in ("(created)", "(expires)"):
                lines.append(f"{name}: {params.get(name.strip('()'), '')}")
            elif name in request.headers:
                lines.append(f"{name}: {request.headers[name]}")
            else:
                raise SignatureError(f"the signed header {name} is missing from the request")
        strings.append("\n".join(lines).encode())
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        raise SignatureError("the signature is not base64") from None
    return ParsedSignature(key_id, "rsa-sha256", tuple(strings), signature, created, expires)


def _created(
    params: Mapping[str, str | None], headers: Mapping[str, str], names: list[str]
) -> float:
    """When the signature was made: `(created)` if it is signed, else the signed Date.

    A `created=` parameter outside the signed set is ignored: anyone replaying a
    captured request could set it to now and make an old Date look fresh."""
    if "(created)" in names:
        return _number(params.get("created"), "(created)")
    date = headers.get("date")
    if not date:
        raise SignatureError("the request has no Date header")
    try:
        return parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, OverflowError):
        raise SignatureError("the Date header is not an HTTP date") from None


def _expires(params: Mapping[str, str | None], names: list[str]) -> float | None:
    """The signed `(expires)`, or None; an unsigned one cannot extend the window."""
    if "(expires)" not in names:
        return None
    return _number(params.get("expires"), "(expires)")


def _number(value: str | None, name: str) -> float:
    try:
        number = float(value or "")
    except ValueError:
        raise SignatureError(f"{name} is not a number") from None
    if not math.isfinite(number):
        raise SignatureError(f"{name} is not a finite number")
    return number


def _parse_rfc9421(request: IncomingRequest) -> ParsedSignature:
    try:
        inputs = http_sf.parse(request.headers["signature-input"].encode(), tltype="dictionary")
        values = http_sf.parse(request.headers.get("signature", "").encode(), tltype="dictionary")
    except http_sf.StructuredFieldError:
        raise SignatureError("Signature-Input or Signature is not a structured field") from None
    assert isinstance(inputs, dict) and isinstance(values, dict)
    inputs_: dict[str, Any] = dict(inputs)
    values_: dict[str, Any] = dict(values)
    if len(inputs_) != 1:
        raise SignatureError("exactly one RFC 9421 signature is supported")
    label, (components, params) = next(iter(inputs_.items()))
    if label not in values_ or not isinstance(values_[label][0], bytes):
        raise SignatureError(f"the Signature header has no value for {label}")
    if not isinstance(components, list):
        raise SignatureError("Signature-Input must list the covered components")
    key_id, created = params.get("keyid"), params.get("created")
    if not isinstance(key_id, str) or not isinstance(created, int):
        raise SignatureError("the signature needs keyid and created parameters")
    names = [str(item[0]) for item in components]
    if "@method" not in names or not (
        "@target-uri" in names or {"@authority", "@path"} <= set(names)
    ):
        raise SignatureError("the signature must cover @method and @target-uri")
    if request.method.upper() == "POST" and "content-digest" not in names:
        raise SignatureError("a signed POST must cover content-digest")
    expires = params.get("expires")
    _check_window(float(created), float(expires) if isinstance(expires, int) else None)
    lines = [f'"{name}": {_component(name, request)}' for name in names]
    serialized = http_sf.ser({label: (components, params)})
    lines.append(f'"@signature-params": {serialized[len(label) + 1 :]}')
    algorithm = str(params.get("alg") or "rsa-v1_5-sha256")
    if algorithm not in ("rsa-v1_5-sha256", "rsa-pss-sha512"):
        raise SignatureError(f"unsupported signature algorithm {algorithm}")
    return ParsedSignature(
        key_id,
        algorithm,
        ("\n".join(lines).encode(),),
        values_[label][0],
        float(created),
        float(expires) if isinstance(expires, int) else None,
    )


def _component(name: str, request: IncomingRequest) -> str:
    authority = request.headers.get("host", "").lower()
    derived = {
        "@method": request.method.upper(),
        "@authority": authority,
        "@scheme": request.scheme.lower(),
        "@path": request.path,
        "@query": f"?{request.query}",
        "@request-target": request.target_with_query,
        "@target-uri": f"{request.scheme.lower()}://{authority}{request.target_with_query}",
    }
    if name in derived:
        return derived[name]
    if name.startswith("@"):
        raise SignatureError(f"unsupported derived component {name}")
    if name not in request.headers:
        raise SignatureError(f"the signed header {name} is missing from the request")
    return request.headers[name].strip()
