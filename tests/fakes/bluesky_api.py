"""Fake Bluesky PDS (XRPC) for tests of code that uses the atproto SDK ``Client``.

What atproto 0.0.73 calls
-------------------------
* ``Client(base_url=fake.url)`` -> XRPC base ``{url}/xrpc``; no request on construction.
* ``login(handle, password)`` -> ``com.atproto.server.createSession``, then switches its
  base URL to the PDS named in the returned ``didDoc`` (this fake names itself), then
  ``app.bsky.actor.getProfile?actor=<handle>`` (``fetch_bsky_profile=True`` default; a
  404/501 there only *warns*, which is an error under ``filterwarnings = error``).
* Every later call first decodes the access JWT's ``exp`` locally and calls
  ``com.atproto.server.refreshSession`` when it expires within 15 minutes -- so the
  tokens must be real JWTs (they are: HS256, ``scope``/``sub``/``exp``).
* ``send_post(text)`` -> ``com.atproto.repo.createRecord`` with
  ``collection=app.bsky.feed.post``, ``repo=<did from the profile>``, ``validate=true``.
* ``upload_blob(bytes)`` -> ``com.atproto.repo.uploadBlob`` with ``Content-Type: */*``.
  NB: the SDK passes the bytes as httpx ``data=``, which raises httpx's
  ``DeprecationWarning`` -- an *error* under ``filterwarnings = error``.

Served XRPC methods
-------------------
``com.atproto.server.createSession|refreshSession|getSession|describeServer``,
``com.atproto.identity.resolveHandle``, ``com.atproto.repo.createRecord|getRecord|
listRecords|deleteRecord|uploadBlob``, ``app.bsky.actor.getProfile``, ``_health``, and the
AppView reads the PDS proxies: ``app.bsky.feed.getPostThread`` (nested ``replies`` of
``#threadViewPost``, ``#notFoundPost`` for a deleted reply, ``#blockedPost`` for an author who
blocked the account; ``depth`` honoured), ``app.bsky.feed.getLikes``,
``app.bsky.feed.getRepostedBy`` and ``app.bsky.feed.getQuotes`` (``limit`` default 50, max 100,
``cursor`` while more remain).  Other people's posts are set up with :meth:`add_actor`,
:meth:`add_reply`, :meth:`edit_post`, :meth:`remove_post`, :meth:`like`, :meth:`repost`,
:meth:`quote` and :meth:`block_account`.
Unknown methods -> 501 ``MethodNotImplemented``.

Real behaviours reproduced
--------------------------
* Errors are ``{"error": <Name>, "message": ...}``.  Wrong password -> 401
  ``AuthenticationRequired``/"Invalid identifier or password"; missing token -> 401
  ``AuthMissing``; expired token -> **400** ``ExpiredToken`` (the SDK raises
  ``BadRequestError``, not ``UnauthorizedError``); bad token -> 400 ``InvalidToken``.
* Rate-limit headers ``RateLimit-Limit/Remaining/Reset`` (epoch s) /``Policy`` on answers;
  429 ``{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`` plus ``Retry-After``.
* createRecord validates posts like the lexicon: ``text`` and ``createdAt`` required,
  text <= 300 graphemes and <= 3000 UTF-8 bytes; returns ``uri``/``cid``/``commit``/
  ``validationStatus``.  Reusing an rkey -> 500 ``InternalServerError`` (what the PDS does
  today), nothing stored.
* ``strict_facets=True`` (default) also rejects facets whose byteStart/byteEnd fall outside
  the UTF-8 text.  This is *stricter* than the real lexicon check (which only requires
  non-negative offsets; bad facets are silently ignored by the AppView); it exists to
  catch byte-offset bugs.  Turn it off to model the lenient server.
* listRecords is newest first (rkey descending) unless ``reverse=true``; ``cursor`` is the
  last rkey of every non-empty page, so clients must stop on an empty page.
* uploadBlob above ``blob_limit`` (default 1,000,000 bytes) -> 413
  ``{"error":"PayloadTooLarge","message":"request entity too large"}``; the SDK maps 413
  to ``NetworkError`` (as if it were worth retrying).
* CIDs are well-formed CIDv1 (blobs: raw+sha256 of the bytes, exactly like the PDS;
  records: dag-cbor+sha256), rkeys are real TIDs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from typing import Any

import grapheme

from tests.fakes.base import (
    FakeServer,
    RateLimited,
    RateWindow,
    RecordedRequest,
    Response,
    ServerError,
    Unauthorized,
    iso_now,
)

__all__ = ["FakeBlueskyServer", "make_cid", "make_tid"]

_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_RKEY_RE = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_NSID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+)+$|^_health$")
_POST = "app.bsky.feed.post"

_TYPE_NAMES = {
    500: ("InternalServerError", "Internal Server Error"),
    501: ("MethodNotImplemented", "Method Not Implemented"),
    502: ("UpstreamFailure", "Upstream Failure"),
    503: ("NotEnoughResources", "Not Enough Resources"),
    504: ("UpstreamTimeout", "Upstream Timeout"),
}


def make_cid(data: bytes, codec: int = 0x55) -> str:
    """CIDv1, sha2-256, base32 multibase. codec 0x55 = raw (blobs), 0x71 = dag-cbor."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def make_tid(micros: int, clock_id: int = 0) -> str:
    """atproto TID: 53-bit microsecond timestamp + 10-bit clock id, base32-sortable."""
    value = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(status: int, name: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"error": name, "message": message}, headers or {})


def _record_cid(record: Any) -> str:
    try:
        import libipld  # atproto's own dependency; gives a true dag-cbor encoding

        encoded = libipld.encode_dag_cbor(record)
    except Exception:  # noqa: BLE001 - any encoding quirk: fall back to canonical JSON
        encoded = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return make_cid(encoded, codec=0x71)


def _sniff_mime(data: bytes, declared: str | None) -> str:
    # The PDS sniffs the bytes and only falls back to the declared type.
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if declared and "*" not in declared:
        return declared.split(";")[0].strip()
    return "application/octet-stream"


class FakeBlueskyServer(FakeServer):
    """Fake PDS with one account. See the module docstring."""

    server_header = "fake-pds"

    def __init__(
        self,
        *,
        handle: str = "blogsite.test",
        password: str = "abcd-efgh-ijkl-mnop",
        email: str = "blogsite@example.invalid",
        did: str | None = None,
        display_name: str = "Blogsite Test",
        blob_limit: int = 1_000_000,
        max_graphemes: int = 300,
        max_bytes: int = 3000,
        strict_facets: bool = True,
        access_ttl: float = 2 * 3600.0,
        refresh_ttl: float = 90 * 86400.0,
        write_rate: tuple[int, float] = (5000, 3600.0),
        session_rate: tuple[int, float] = (30, 300.0),
        global_rate: tuple[int, float] = (3000, 300.0),
    ) -> None:
        super().__init__()
        self.handle = handle
        self.password = password
        self.email = email
        digest = hashlib.sha256(handle.encode()).digest()
        self.did = did or "did:plc:" + base64.b32encode(digest).decode().lower()[:24]
        self.display_name = display_name
        self.blob_limit = blob_limit
        self.max_graphemes = max_graphemes
        self.max_bytes = max_bytes
        self.strict_facets = strict_facets
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._windows = {
            "write": RateWindow(*write_rate),
            "session": RateWindow(*session_rate),
            "global": RateWindow(*global_rate),
        }
        self._secret = secrets.token_bytes(32)
        self._expired_before = 0.0
        self._clock_id = secrets.randbelow(1024)
        self._last_tid_us = 0
        # (collection, rkey) -> record entry
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self._seq = 0  # insertion order, for .records
        self._blobs: dict[str, dict[str, Any]] = {}
        self._sessions_created = 0
        self._methods: dict[str, tuple[str, Any, str | None, str]] = {
            # nsid: (http method, handler, auth kind, rate window)
            "_health": ("GET", self._health, None, "global"),
            "com.atproto.server.describeServer": ("GET", self._describe_server, None, "global"),
            "com.atproto.server.createSession": ("POST", self._create_session, None, "session"),
            "com.atproto.server.refreshSession": (
                "POST",
                self._refresh_session,
                "refresh",
                "global",
            ),
            "com.atproto.server.getSession": ("GET", self._get_session, "access", "global"),
            "com.atproto.identity.resolveHandle": ("GET", self._resolve_handle, None, "global"),
            "com.atproto.repo.createRecord": ("POST", self._create_record, "access", "write"),
            "com.atproto.repo.deleteRecord": ("POST", self._delete_record, "access", "write"),
            "com.atproto.repo.getRecord": ("GET", self._get_record, None, "global"),
            "com.atproto.repo.listRecords": ("GET", self._list_records, None, "global"),
            "com.atproto.repo.uploadBlob": ("POST", self._upload_blob, "access", "global"),
            "app.bsky.actor.getProfile": ("GET", self._get_profile, "access", "global"),
            "app.bsky.feed.getPostThread": ("GET", self._get_post_thread, "access", "global"),
            "app.bsky.feed.getLikes": ("GET", self._get_likes, "access", "global"),
            "app.bsky.feed.getRepostedBy": ("GET", self._get_reposted_by, "access", "global"),
            "app.bsky.feed.getQuotes": ("GET", self._get_quotes, "access", "global"),
        }
        # Other people's posts (the AppView's view): uri -> {"author", "record", "deleted", ...}
        self._others: dict[str, dict[str, Any]] = {}
        self._likes: dict[str, list[dict[str, Any]]] = {}
        self._reposts: dict[str, list[dict[str, Any]]] = {}
        self._blocked_by: set[str] = set()

    # -- public helpers

    @property
    def records(self) -> list[dict[str, Any]]:
        """Stored records, oldest first: ``uri``, ``cid``, ``collection``, ``rkey``, ``value``."""
        with self._lock:
            entries = sorted(self._records.values(), key=lambda e: e["seq"])
            return [{k: v for k, v in e.items() if k != "seq"} for e in entries]

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Only ``app.bsky.feed.post`` records."""
        return [r for r in self.records if r["collection"] == _POST]

    @property
    def blobs(self) -> list[dict[str, Any]]:
        """Uploaded blobs: ``cid``, ``mimeType``, ``size``, ``data``."""
        with self._lock:
            return [dict(b) for b in self._blobs.values()]

    @property
    def sessions_created(self) -> int:
        """How many times createSession succeeded (it is rate limited per account)."""
        with self._lock:
            return self._sessions_created

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far count as expired (400 ExpiredToken)."""
        with self._lock:
            self._expired_before = time.time() + 1e-6

    # -- hooks

    def rate_limited(self, fault: RateLimited, request: RecordedRequest) -> Response:
        window = self._windows[self._window_name(request)]
        limit = fault.limit or window.limit
        reset_at = time.time() + fault.reset_in
        headers = self._rate_headers(limit, 0, reset_at, window.seconds)
        headers["Retry-After"] = str(max(math.ceil(fault.reset_in), 0))
        return _error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)

    def server_error(self, fault: ServerError, request: RecordedRequest) -> Response:
        if fault.body is not None:
            return Response(fault.status, fault.body)
        name, message = _TYPE_NAMES.get(fault.status, _TYPE_NAMES[500])
        return _error(fault.status, name, message)

    def unauthorized(self, fault: Unauthorized, request: RecordedRequest) -> Response:
        if fault.body is not None:
            return Response(401, fault.body)
        if request.path.endswith("com.atproto.server.createSession"):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return _error(401, "AuthenticationRequired", "Authentication Required")

    def handle_request(self, request: RecordedRequest) -> Response:
        if not request.path.startswith("/xrpc/"):
            return Response(404, "Not Found", content_type="text/plain; charset=utf-8")
        nsid = request.path[len("/xrpc/") :].rstrip("/")
        if not _NSID_RE.match(nsid):
            return _error(400, "InvalidRequest", "invalid xrpc path")
        entry = self._methods.get(nsid)
        if entry is None:
            return _error(501, "MethodNotImplemented", "Method Not Implemented")
        http_method, func, auth_kind, window_name = entry
        if request.method != http_method and not (http_method == "GET" and request.method == "HEAD"):
            return _error(
                400,
                "InvalidRequest",
                f"Incorrect HTTP method ({request.method}) expected {http_method}",
            )
        did: str | None = None
        if auth_kind is not None:
            checked = self._check_token(request, auth_kind)
            if isinstance(checked, Response):
                return checked
            did = checked
        window = self._windows[window_name]
        points = 3 if nsid == "com.atproto.repo.createRecord" else 1
        allowed, remaining, reset_at = window.consume(points)
        headers = self._rate_headers(window.limit, remaining, reset_at, window.seconds)
        if not allowed:
            headers["Retry-After"] = str(max(math.ceil(reset_at - time.time()), 0))
            return _error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        response = func(request, did)
        response.headers.update(headers)
        return response

    # -- helpers

    def _window_name(self, request: RecordedRequest) -> str:
        nsid = request.path[len("/xrpc/") :].rstrip("/")
        entry = self._methods.get(nsid)
        return entry[3] if entry else "global"

    @staticmethod
    def _rate_headers(limit: int, remaining: int, reset_at: float, window: float) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(int(reset_at)),
            "RateLimit-Policy": f"{limit};w={int(window)}",
        }

    def _jwt(self, payload: dict[str, Any], typ: str) -> str:
        header = {"typ": typ, "alg": "HS256"}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(payload, separators=(",", ":")).encode())
        )
        sig = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64url(sig)

    def _issue_session(self) -> dict[str, Any]:
        now = time.time()
        aud = f"did:web:{self.url.split('://', 1)[1].split(':')[0]}"
        access = self._jwt(
            {
                "scope": "com.atproto.appPass",
                "sub": self.did,
                "iat": int(now),
                "exp": int(now + self.access_ttl),
                "aud": aud,
                # Sub-second issue time, so expire_access_tokens() can tell tokens apart.
                "fake_iat": now,
            },
            "at+jwt",
        )
        refresh = self._jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": self.did,
                "aud": aud,
                "jti": secrets.token_urlsafe(24),
                "iat": int(now),
                "exp": int(now + self.refresh_ttl),
            },
            "refresh+jwt",
        )
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "didDoc": self._did_doc(),
            "active": True,
        }

    def _did_doc(self) -> dict[str, Any]:
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.handle}"],
            "verificationMethod": [
                {
                    "id": f"{self.did}#atproto",
                    "type": "Multikey",
                    "controller": self.did,
                    "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
                }
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.url,
                }
            ],
        }

    def _check_token(self, request: RecordedRequest, kind: str) -> str | Response:
        auth = request.header("Authorization") or ""
        if not auth.startswith("Bearer "):
            return _error(401, "AuthMissing", "Authentication Required")
        token = auth[len("Bearer ") :]
        try:
            head_b64, payload_b64, sig_b64 = token.split(".")
            expected = hmac.new(self._secret, f"{head_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _b64url_decode(sig_b64)):
                raise ValueError("bad signature")
            payload = json.loads(_b64url_decode(payload_b64))
        except (ValueError, TypeError):
            return _error(400, "InvalidToken", "Token could not be verified")
        now = time.time()
        issued = float(payload.get("fake_iat", payload.get("iat", 0)))
        if payload.get("exp", 0) <= now or (kind == "access" and issued < self._expired_before):
            return _error(400, "ExpiredToken", "Token has expired")
        scopes = (
            ("com.atproto.refresh",) if kind == "refresh" else ("com.atproto.access", "com.atproto.appPass")
        )
        if payload.get("scope") not in scopes:
            return _error(400, "InvalidToken", "Bad token scope")
        return str(payload["sub"])

    def _resolve_repo(self, repo: str | None) -> str | None:
        if repo and (repo == self.did or repo.lower() == self.handle.lower()):
            return self.did
        return None

    def _next_tid(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._last_tid_us + 1)
        self._last_tid_us = micros
        return make_tid(micros, self._clock_id)

    def _validate_post(self, record: dict[str, Any]) -> str | None:
        for prop in ("text", "createdAt"):
            if prop not in record:
                return f'Record must have the property "{prop}"'
        text = record["text"]
        if not isinstance(text, str):
            return "Record/text must be a string"
        encoded = text.encode("utf-8")
        if len(encoded) > self.max_bytes:
            return f"Record/text must not be longer than {self.max_bytes} characters"
        if grapheme.length(text) > self.max_graphemes:
            return f"Record/text must not be longer than {self.max_graphemes} graphemes"
        facets = record.get("facets") or []
        if not isinstance(facets, list):
            return "Record/facets must be an array"
        for i, facet in enumerate(facets):
            index = facet.get("index") if isinstance(facet, dict) else None
            if not isinstance(index, dict):
                return f'Record/facets/{i} must have the property "index"'
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not isinstance(start, int) or not isinstance(end, int):
                return f"Record/facets/{i}/index/byteStart and byteEnd must be integers"
            if start < 0:
                return f"Record/facets/{i}/index/byteStart can not be less than 0"
            if end < 0:
                return f"Record/facets/{i}/index/byteEnd can not be less than 0"
            if self.strict_facets and not (start < end <= len(encoded)):
                return (
                    f"Record/facets/{i}/index byteStart={start} byteEnd={end} "
                    f"is outside the {len(encoded)}-byte UTF-8 text"
                )
        return None

    def _entry_view(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {"uri": entry["uri"], "cid": entry["cid"], "value": entry["value"]}

    # -- endpoints

    def _health(self, request: RecordedRequest, did: str | None) -> Response:
        return Response(200, {"version": "0.4.0-fake"})

    def _describe_server(self, request: RecordedRequest, did: str | None) -> Response:
        return Response(
            200,
            {
                "did": f"did:web:{self.url.split('://', 1)[1].split(':')[0]}",
                "availableUserDomains": [".test"],
                "inviteCodeRequired": False,
                "phoneVerificationRequired": False,
                "links": {},
                "contact": {},
            },
        )

    def _create_session(self, request: RecordedRequest, did: str | None) -> Response:
        body = request.json if isinstance(request.json, dict) else {}
        for prop in ("identifier", "password"):
            if not isinstance(body.get(prop), str):
                return _error(400, "InvalidRequest", f'Input must have the property "{prop}"')
        identifier = body["identifier"].strip().lower()
        known = {self.handle.lower(), self.did.lower(), self.email.lower()}
        if identifier not in known or body["password"] != self.password:
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        self._sessions_created += 1
        session = self._issue_session()
        session.update({"email": self.email, "emailConfirmed": True, "emailAuthFactor": False})
        return Response(200, session)

    def _refresh_session(self, request: RecordedRequest, did: str | None) -> Response:
        return Response(200, self._issue_session())

    def _get_session(self, request: RecordedRequest, did: str | None) -> Response:
        return Response(
            200,
            {
                "handle": self.handle,
                "did": self.did,
                "email": self.email,
                "emailConfirmed": True,
                "emailAuthFactor": False,
                "didDoc": self._did_doc(),
                "active": True,
            },
        )

    def _resolve_handle(self, request: RecordedRequest, did: str | None) -> Response:
        handle = request.param("handle")
        if not handle:
            return _error(400, "InvalidRequest", 'Params must have the property "handle"')
        if handle.lower() != self.handle.lower():
            return _error(400, "InvalidRequest", "Unable to resolve handle")
        return Response(200, {"did": self.did})

    def _get_profile(self, request: RecordedRequest, did: str | None) -> Response:
        actor = request.param("actor")
        if not actor:
            return _error(400, "InvalidRequest", 'Params must have the property "actor"')
        if self._resolve_repo(actor) is None:
            return _error(400, "InvalidRequest", "Profile not found")
        return Response(
            200,
            {
                "did": self.did,
                "handle": self.handle,
                "displayName": self.display_name,
                "description": "Announces new blog posts.",
                "followersCount": 42,
                "followsCount": 0,
                "postsCount": sum(1 for e in self._records.values() if e["collection"] == _POST),
                "indexedAt": iso_now(),
                "createdAt": "2023-05-01T00:00:00.000Z",
                "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
                "viewer": {"muted": False, "blockedBy": False},
                "labels": [],
            },
        )

    def _create_record(self, request: RecordedRequest, did: str | None) -> Response:
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return _error(400, "InvalidRequest", "Request encoding (Content-Type) required but not provided")
        for prop in ("repo", "collection", "record"):
            if prop not in body:
                return _error(400, "InvalidRequest", f'Input must have the property "{prop}"')
        repo_did = self._resolve_repo(body["repo"])
        if repo_did is None:
            return _error(400, "InvalidRequest", f"Could not find repo: {body['repo']}")
        if repo_did != did:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        collection = body["collection"]
        record = body["record"]
        if not isinstance(record, dict):
            return _error(400, "InvalidRequest", "Input/record must be an object")
        record = dict(record)
        record.setdefault("$type", collection)
        validate = body.get("validate", None)
        if validate is not False and record["$type"] != collection:
            return _error(
                400,
                "InvalidRequest",
                f"Invalid $type: expected {collection}, got {record['$type']}",
            )
        validation_status = "unknown"
        if validate is not False and collection == _POST:
            problem = self._validate_post(record)
            if problem is not None:
                return _error(400, "InvalidRequest", f"Invalid {_POST} record: {problem}")
            validation_status = "valid"
        rkey = body.get("rkey") or self._next_tid()
        if not _RKEY_RE.match(rkey) or rkey in (".", ".."):
            return _error(400, "InvalidRequest", f"Invalid record key: {rkey}")
        if (collection, rkey) in self._records:
            # Today's PDS hits a repo-level "already a value at key" error -> plain 500.
            return _error(500, "InternalServerError", "Internal Server Error")
        cid = _record_cid(record)
        uri = f"at://{self.did}/{collection}/{rkey}"
        self._records[(collection, rkey)] = {
            "uri": uri,
            "cid": cid,
            "collection": collection,
            "rkey": rkey,
            "value": record,
            "seq": self._seq,
        }
        self._seq += 1
        commit_cid = make_cid(f"{uri}|{cid}|{time.time_ns()}".encode(), codec=0x71)
        return Response(
            200,
            {
                "uri": uri,
                "cid": cid,
                "commit": {"cid": commit_cid, "rev": self._next_tid()},
                "validationStatus": validation_status,
            },
        )

    def _delete_record(self, request: RecordedRequest, did: str | None) -> Response:
        body = request.json if isinstance(request.json, dict) else {}
        repo_did = self._resolve_repo(body.get("repo"))
        if repo_did is None:
            return _error(400, "InvalidRequest", f"Could not find repo: {body.get('repo')}")
        if repo_did != did:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        self._records.pop((str(body.get("collection")), str(body.get("rkey"))), None)
        # Deleting a missing record is not an error ("delete, or ensure it doesn't exist").
        return Response(
            200,
            {"commit": {"cid": make_cid(secrets.token_bytes(8), 0x71), "rev": self._next_tid()}},
        )

    def _get_record(self, request: RecordedRequest, did: str | None) -> Response:
        repo, collection, rkey = (request.param(p) for p in ("repo", "collection", "rkey"))
        for name, value in (("repo", repo), ("collection", collection), ("rkey", rkey)):
            if not value:
                return _error(400, "InvalidRequest", f'Params must have the property "{name}"')
        repo_did = self._resolve_repo(repo)
        if repo_did is None:
            return _error(400, "InvalidRequest", f"Could not find repo: {repo}")
        entry = self._records.get((str(collection), str(rkey)))
        wanted_cid = request.param("cid")
        if entry is None or (wanted_cid and wanted_cid != entry["cid"]):
            return _error(
                400,
                "RecordNotFound",
                f"Could not locate record: at://{repo_did}/{collection}/{rkey}",
            )
        return Response(200, self._entry_view(entry))

    def _list_records(self, request: RecordedRequest, did: str | None) -> Response:
        repo, collection = request.param("repo"), request.param("collection")
        for name, value in (("repo", repo), ("collection", collection)):
            if not value:
                return _error(400, "InvalidRequest", f'Params must have the property "{name}"')
        if self._resolve_repo(repo) is None:
            return _error(400, "InvalidRequest", f"Could not find repo: {repo}")
        try:
            limit = int(request.param("limit", "50") or 50)
        except ValueError:
            return _error(400, "InvalidRequest", "limit must be an integer")
        if not 1 <= limit <= 100:
            return _error(
                400,
                "InvalidRequest",
                f"limit can not be {'greater than 100' if limit > 100 else 'less than 1'}",
            )
        reverse = (request.param("reverse") or "").lower() == "true"
        cursor = request.param("cursor")
        entries = sorted(
            (e for e in self._records.values() if e["collection"] == collection),
            key=lambda e: e["rkey"],
            reverse=not reverse,
        )
        if cursor:
            entries = [e for e in entries if (e["rkey"] > cursor if reverse else e["rkey"] < cursor)]
        page = entries[:limit]
        body: dict[str, Any] = {"records": [self._entry_view(e) for e in page]}
        if page:
            body["cursor"] = page[-1]["rkey"]
        return Response(200, body)

    def _upload_blob(self, request: RecordedRequest, did: str | None) -> Response:
        data = request.body
        if len(data) > self.blob_limit:
            return _error(413, "PayloadTooLarge", "request entity too large")
        cid = make_cid(data, codec=0x55)
        mime = _sniff_mime(data, request.header("Content-Type"))
        self._blobs[cid] = {"cid": cid, "mimeType": mime, "size": len(data), "data": data}
        return Response(
            200,
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(data),
                }
            },
        )

    # -- other people (the AppView side)

    def add_actor(self, handle: str, display_name: str = "") -> dict[str, Any]:
        digest = hashlib.sha256(handle.encode()).digest()
        did = "did:plc:" + base64.b32encode(digest).decode().lower()[:24]
        actor: dict[str, Any] = {"did": did, "handle": handle, "labels": []}
        if display_name:
            actor["displayName"] = display_name
        actor["avatar"] = f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkrei@jpeg"
        actor["createdAt"] = "2023-06-01T00:00:00.000Z"
        return actor

    def _own_actor(self) -> dict[str, Any]:
        return {"did": self.did, "handle": self.handle, "displayName": self.display_name,
                "labels": []}

    def _post_ref(self, uri: str) -> dict[str, str]:
        found = self._others.get(uri)
        if found is not None:
            return {"uri": uri, "cid": found["cid"]}
        for entry in self._records.values():
            if entry["uri"] == uri:
                return {"uri": uri, "cid": entry["cid"]}
        raise KeyError(uri)

    def add_reply(
        self,
        parent_uri: str,
        actor: dict[str, Any] | None,
        text: str,
        facets: list[dict[str, Any]] | None = None,
    ) -> str:
        """A reply by `actor` (None: the account itself) under `parent_uri`; returns its uri."""
        with self._lock:
            parent = self._post_ref(parent_uri)
            root = parent
            if parent_uri in self._others:
                root = self._others[parent_uri]["record"]["reply"]["root"]
            return self._store_other(actor or self._own_actor(), text, facets,
                                     {"root": root, "parent": parent})

    def quote(self, quoted_uri: str, actor: dict[str, Any], text: str) -> str:
        with self._lock:
            embed = {"$type": "app.bsky.embed.record", "record": self._post_ref(quoted_uri)}
            return self._store_other(actor, text, None, None, embed)

    def _store_other(
        self,
        actor: dict[str, Any],
        text: str,
        facets: list[dict[str, Any]] | None,
        reply: dict[str, Any] | None,
        embed: dict[str, Any] | None = None,
    ) -> str:
        rkey = self._next_tid()
        uri = f"at://{actor['did']}/{_POST}/{rkey}"
        record: dict[str, Any] = {"$type": _POST, "text": text, "createdAt": iso_now(),
                                  "langs": ["fr"]}
        if facets:
            record["facets"] = facets
        if reply:
            record["reply"] = reply
        if embed:
            record["embed"] = embed
        self._others[uri] = {"author": actor, "record": record, "deleted": False,
                             "cid": _record_cid(record), "indexedAt": iso_now()}
        return uri

    def edit_post(self, uri: str, text: str) -> None:
        """Bluesky has no edits, but a client may rewrite a record (putRecord)."""
        with self._lock:
            entry = self._others[uri]
            entry["record"] = {**entry["record"], "text": text, "facets": []}
            entry["cid"] = _record_cid(entry["record"])

    def remove_post(self, uri: str) -> None:
        with self._lock:
            self._others[uri]["deleted"] = True

    def block_account(self, actor: dict[str, Any]) -> None:
        """`actor` blocks the account: their posts become #blockedPost in its threads."""
        with self._lock:
            self._blocked_by.add(actor["did"])

    def like(self, uri: str, actor: dict[str, Any]) -> None:
        with self._lock:
            self._likes.setdefault(uri, []).append(
                {"actor": actor, "createdAt": iso_now(), "indexedAt": iso_now()}
            )

    def repost(self, uri: str, actor: dict[str, Any]) -> None:
        with self._lock:
            self._reposts.setdefault(uri, []).append(actor)

    def _post_view(self, uri: str) -> dict[str, Any] | None:
        other = self._others.get(uri)
        if other is not None:
            if other["deleted"]:
                return None
            author, record, cid, indexed = (other["author"], other["record"], other["cid"],
                                            other["indexedAt"])
        else:
            entry = next((e for e in self._records.values() if e["uri"] == uri), None)
            if entry is None:
                return None
            author, record, cid, indexed = (self._own_actor(), entry["value"], entry["cid"],
                                            entry["value"].get("createdAt", iso_now()))
        replies = [u for u, o in self._others.items() if self._parent_of(o) == uri]
        return {
            "uri": uri, "cid": cid, "author": author, "record": record,
            "replyCount": len(replies), "repostCount": len(self._reposts.get(uri, [])),
            "likeCount": len(self._likes.get(uri, [])), "quoteCount": 0,
            "indexedAt": indexed, "labels": [],
        }

    @staticmethod
    def _parent_of(other: dict[str, Any]) -> str | None:
        reply = other["record"].get("reply")
        return reply["parent"]["uri"] if reply else None

    def _thread_view(self, uri: str, depth: int) -> dict[str, Any]:
        other = self._others.get(uri)
        if other is not None and other["author"]["did"] in self._blocked_by:
            return {"$type": "app.bsky.feed.defs#blockedPost", "uri": uri, "blocked": True,
                    "author": {"did": other["author"]["did"],
                               "viewer": {"blockedBy": True}}}
        view = self._post_view(uri)
        if view is None:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": view}
        if depth > 0:
            children = [u for u, o in self._others.items() if self._parent_of(o) == uri]
            node["replies"] = [self._thread_view(child, depth - 1) for child in children]
        return node

    def _get_post_thread(self, request: RecordedRequest, did: str | None) -> Response:
        uri = request.param("uri") or ""
        depth = min(int(request.param("depth", "6") or 6), 1000)
        if self._post_view(uri) is None:
            return _error(400, "NotFound", f"Post not found: {uri}")
        return Response(200, {"thread": self._thread_view(uri, depth)})

    def _page(self, request: RecordedRequest, items: list[Any]) -> tuple[list[Any], str | None]:
        limit = min(max(int(request.param("limit", "50") or 50), 1), 100)
        start = int(request.param("cursor", "0") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return page, (str(start + limit) if more else None)

    def _get_likes(self, request: RecordedRequest, did: str | None) -> Response:
        uri = request.param("uri") or ""
        page, cursor = self._page(request, self._likes.get(uri, []))
        body: dict[str, Any] = {"uri": uri, "likes": page}
        if cursor:
            body["cursor"] = cursor
        return Response(200, body)

    def _get_reposted_by(self, request: RecordedRequest, did: str | None) -> Response:
        uri = request.param("uri") or ""
        page, cursor = self._page(request, self._reposts.get(uri, []))
        body: dict[str, Any] = {"uri": uri, "repostedBy": page}
        if cursor:
            body["cursor"] = cursor
        return Response(200, body)

    def _get_quotes(self, request: RecordedRequest, did: str | None) -> Response:
        uri = request.param("uri") or ""
        quoting = [
            u for u, o in self._others.items()
            if not o["deleted"] and (o["record"].get("embed") or {}).get("record", {}).get("uri") == uri
        ]
        views = [v for v in (self._post_view(u) for u in quoting) if v is not None]
        page, cursor = self._page(request, views)
        body: dict[str, Any] = {"uri": uri, "posts": page}
        if cursor:
            body["cursor"] = cursor
        return Response(200, body)
