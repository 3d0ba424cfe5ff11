"""Fake Mastodon server for tests of code that uses Mastodon.py (``Mastodon(...)``).

What Mastodon.py 2.3.3 calls
----------------------------
* ``Mastodon(access_token=..., api_base_url=...)`` makes **no request** with the default
  ``version_check_mode="none"``.  With ``"created"``/``"changed"`` it calls
  ``GET /api/v1/instance/`` and then ``GET /api/v2/instance/`` (note the trailing
  slashes) and warns if a >= 4.3.0 server lacks ``api_versions`` -- both served here.
* ``status_post(...)`` -> ``POST /api/v1/statuses`` form-encoded (JSON only with polls or
  media attributes); ``idempotency_key`` becomes the ``Idempotency-Key`` header.
* ``instance()`` -> version probe (v1 + v2) then ``/api/v2/instance/``.
  ``instance_v1()`` gets a ``Deprecation`` header like Mastodon >= 4.3, which makes
  Mastodon.py emit ``MastodonDeprecationWarning`` (an error under
  ``filterwarnings = error``).  Pass ``deprecation_headers=False`` to suppress it.
* ``account_verify_credentials()`` / ``me()`` -> ``GET /api/v1/accounts/verify_credentials``.

Served endpoints
----------------
``GET /api/v1/instance``, ``GET /api/v2/instance`` (``configuration.statuses.max_characters``
configurable, ``characters_reserved_per_url`` = 23), ``GET /.well-known/nodeinfo``,
``GET /nodeinfo/2.0``, ``GET /api/v1/accounts/verify_credentials``,
``POST /api/v1/statuses``, ``GET|DELETE /api/v1/statuses/{id}``,
``GET /api/v1/accounts/{id}/statuses`` (newest first, ``limit``),
``GET /api/v1/statuses/{id}/context`` (``ancestors`` and ``descendants``, depth first, as
Mastodon sorts them), ``GET /api/v1/statuses/{id}/favourited_by`` and ``/reblogged_by``
(``limit`` default 40, max 80, ``Link: <...?max_id=N>; rel="next"`` while more remain; the
ids in the Link are the favourite/reblog records', not the accounts').

Other people's replies, favourites and boosts are set up with :meth:`add_account`,
:meth:`add_reply`, :meth:`edit_status`, :meth:`remove_status`, :meth:`favourite` and
:meth:`reblog`.

Behaviour copied from the real server: 200 (not 201) on create; ``Idempotency-Key``
dedup per account for one hour (same status, nothing new stored); 422
``{"error":"Validation failed: Text character limit of N exceeded"}`` with URLs counted
as 23 characters and remote mentions as their local part; 401
``{"error":"The access token is invalid"}``; ``X-RateLimit-Limit/Remaining/Reset``
(ISO 8601 with microseconds) on every API answer, 429 ``{"error":"Too many requests"}``.

Mastodon.py's default ``ratelimit_method="wait"`` *sleeps and retries* on a 429 (up to
5 minutes); use ``ratelimit_method="throw"`` to get ``MastodonRatelimitError``.  Its
default ``request_timeout`` is 300 s.
"""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
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
    iter_snowflakes,
    route,
)

__all__ = ["FakeMastodonServer"]

INVALID_TOKEN_BODY = {"error": "The access token is invalid"}
TOO_MANY_REQUESTS_BODY = {"error": "Too many requests"}
NOT_FOUND_BODY = {"error": "Record not found"}
# Rails' PublicExceptions renders this for JSON requests that blow up.
_RAILS_500 = {"status": 500, "error": "Internal Server Error"}
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Api::BaseController's answer when Redis/DB circuit breakers trip.
_MASTODON_503 = {"error": "There was a temporary problem serving your request, please try again"}
_NGINX_504 = _NGINX_502.replace("502 Bad Gateway", "504 Gateway Time-out")
# Mastodon deprecated /api/v1/instance on 2022-11-14 (DeprecationConcern: "@<epoch>").
_V1_INSTANCE_DEPRECATION = "@1668384000"

_URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_REMOTE_MENTION_RE = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w")
# Mastodon's snowflakes are (ms since unix epoch) << 16 | sequence.
_MASTODON_EPOCH_MS = 0


def _iso_micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeMastodonServer(FakeServer):
    """Fake Mastodon instance with one account. See the module docstring."""

    server_header = "Mastodon"

    def __init__(
        self,
        *,
        access_token: str = "fake-mastodon-access-token",
        username: str = "blogsite",
        display_name: str = "Blogsite Test",
        account_id: str = "109348214713957466",
        max_characters: int = 500,
        characters_reserved_per_url: int = 23,
        version: str = "4.3.2",
        api_version: int = 2,
        idempotency_window: float = 3600.0,
        deprecation_headers: bool = True,
        status_rate: tuple[int, float] = (300, 3 * 3600.0),
        api_rate: tuple[int, float] = (300, 300.0),
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.username = username
        self.display_name = display_name
        self.account_id = account_id
        self.max_characters = max_characters
        self.characters_reserved_per_url = characters_reserved_per_url
        self.version = version
        self.api_version = api_version
        self.idempotency_window = idempotency_window
        self.deprecation_headers = deprecation_headers
        self._status_window = RateWindow(*status_rate)
        self._api_window = RateWindow(*api_rate)
        self._ids = iter_snowflakes(_MASTODON_EPOCH_MS, 16)
        self._statuses: list[dict[str, Any]] = []
        self._idempotency: dict[str, tuple[float, str]] = {}
        self._created_at = iso_now(time.time() - 86400 * 400)
        self._routes = [
            ("GET", "/api/v1/instance", self._instance_v1),
            ("GET", "/api/v2/instance", self._instance_v2),
            ("GET", "/.well-known/nodeinfo", self._nodeinfo_links),
            ("GET", "/nodeinfo/2.0", self._nodeinfo),
            ("GET", "/api/v1/accounts/verify_credentials", self._verify_credentials),
            ("POST", "/api/v1/statuses", self._create_status),
            ("GET", "/api/v1/statuses/{id}", self._get_status),
            ("DELETE", "/api/v1/statuses/{id}", self._delete_status),
            ("GET", "/api/v1/accounts/{id}/statuses", self._account_statuses),
            ("GET", "/api/v1/statuses/{id}/context", self._context),
            ("GET", "/api/v1/statuses/{id}/favourited_by", self._favourited_by),
            ("GET", "/api/v1/statuses/{id}/reblogged_by", self._reblogged_by),
        ]
        # status id -> [(record id, account)], for favourited_by / reblogged_by.
        self._favourites: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._reblogs: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._record_ids = iter(range(1000, 10**9))
        self._public_paths = {
            "/api/v1/instance",
            "/api/v2/instance",
            "/.well-known/nodeinfo",
            "/nodeinfo/2.0",
        }

    # -- public helpers

    @property
    def statuses(self) -> list[dict[str, Any]]:
        """Stored (not deleted) statuses as the API renders them, oldest first.

        Each also has ``_text`` (the submitted text) and ``_idempotency_key``.
        """
        with self._lock:
            return [dict(s) for s in self._statuses if not s["_deleted"]]

    @property
    def domain(self) -> str:
        return self.url.split("://", 1)[1]

    # -- hooks

    def rate_limited(self, fault: RateLimited, request: RecordedRequest) -> Response:
        limit = fault.limit or (
            self._status_window.limit if request.method == "POST" else self._api_window.limit
        )
        return Response(429, TOO_MANY_REQUESTS_BODY, self._rate_headers(limit, 0, fault.reset_in))

    def server_error(self, fault: ServerError, request: RecordedRequest) -> Response:
        if fault.body is not None:
            return Response(fault.status, fault.body)
        default: dict[int, Any] = {
            500: _RAILS_500,
            502: _NGINX_502,
            503: _MASTODON_503,
            504: _NGINX_504,
        }
        return Response(fault.status, default.get(fault.status, _RAILS_500))

    def unauthorized(self, fault: Unauthorized, request: RecordedRequest) -> Response:
        return self._invalid_token(fault.body)

    def handle_request(self, request: RecordedRequest) -> Response:
        found = route(self._routes, request)
        if found is None:
            return Response(404, NOT_FOUND_BODY)
        func, params = found
        path = request.path.rstrip("/")
        if path not in self._public_paths:
            auth = request.header("Authorization") or ""
            if auth != f"Bearer {self.access_token}":
                return self._invalid_token(None)
            window = self._status_window if request.method == "POST" else self._api_window
            allowed, remaining, reset_at = window.consume()
            if not allowed:
                return Response(
                    429,
                    TOO_MANY_REQUESTS_BODY,
                    self._rate_headers(window.limit, 0, reset_at - time.time()),
                )
            response = func(request, *params)
            response.headers.update(self._rate_headers(window.limit, remaining, reset_at - time.time()))
            return response
        return func(request, *params)

    # -- helpers

    @staticmethod
    def _rate_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": _iso_micro(reset),
        }

    @staticmethod
    def _invalid_token(body: Any) -> Response:
        return Response(
            401,
            body if body is not None else INVALID_TOKEN_BODY,
            {
                "WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                'error_description="The access token is invalid"'
            },
        )

    def _account(self) -> dict[str, Any]:
        statuses = [s for s in self._statuses if not s["_deleted"]]
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": self.display_name,
            "locked": False,
            "bot": True,
            "discoverable": True,
            "indexable": False,
            "group": False,
            "created_at": self._created_at[:10] + "T00:00:00.000Z",
            "note": "<p>Announces new blog posts.</p>",
            "url": f"{self.url}/@{self.username}",
            "uri": f"{self.url}/users/{self.username}",
            "avatar": f"{self.url}/avatars/original/missing.png",
            "avatar_static": f"{self.url}/avatars/original/missing.png",
            "header": f"{self.url}/headers/original/missing.png",
            "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": 42,
            "following_count": 0,
            "statuses_count": len(statuses),
            "last_status_at": statuses[-1]["created_at"][:10] if statuses else None,
            "hide_collections": False,
            "noindex": False,
            "emojis": [],
            "roles": [],
            "fields": [],
        }

    def _configuration(self) -> dict[str, Any]:
        return {
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": self.characters_reserved_per_url,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    def _count(self, text: str, spoiler: str) -> int:
        # Mastodon's StatusLengthValidator: every URL costs characters_reserved_per_url,
        # remote mentions count as their local part, then grapheme clusters are counted.
        countable = _URL_RE.sub("x" * self.characters_reserved_per_url, text)
        countable = _REMOTE_MENTION_RE.sub(lambda m: "@" + m.group(1), countable)
        return grapheme.length(countable) + grapheme.length(spoiler)

    @staticmethod
    def _render(text: str) -> str:
        def linkify(escaped: str) -> str:
            def one(match: re.Match[str]) -> str:
                url = html.unescape(match.group(0))
                shown = re.sub(r"^https?://(www\.)?", "", url)
                shown_html = html.escape(shown[:30] + ("…" if len(shown) > 30 else ""))
                return (
                    f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                    f'translate="no">{shown_html}</a>'
                )

            return _URL_RE.sub(one, escaped)

        paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
        return "".join(
            "<p>" + linkify(html.escape(p, quote=False)).replace("\n", "<br />") + "</p>" for p in paragraphs
        )

    def _find(self, status_id: str) -> dict[str, Any] | None:
        for status in self._statuses:
            if status["id"] == status_id and not status["_deleted"]:
                return status
        return None

    @staticmethod
    def _public(status: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in status.items() if not k.startswith("_")}

    # -- endpoints

    def _instance_v1(self, request: RecordedRequest) -> Response:
        headers = {"Deprecation": _V1_INSTANCE_DEPRECATION} if self.deprecation_headers else {}
        body = {
            "uri": self.domain,
            "title": "Fake Mastodon",
            "short_description": "A fake instance for tests",
            "description": "A fake instance for tests",
            "email": "admin@example.invalid",
            "version": self.version,
            "urls": {"streaming_api": self.url.replace("http", "ws", 1)},
            "stats": {"user_count": 1, "status_count": len(self._statuses), "domain_count": 1},
            "thumbnail": None,
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": {
                "accounts": {"max_featured_tags": 10},
                **self._configuration(),
            },
            "contact_account": None,
            "rules": [],
        }
        return Response(200, body, headers)

    def _instance_v2(self, request: RecordedRequest) -> Response:
        return Response(
            200,
            {
                "domain": self.domain,
                "title": "Fake Mastodon",
                "version": self.version,
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A fake instance for tests",
                "usage": {"users": {"active_month": 1}},
                "thumbnail": {"url": f"{self.url}/packs/media/images/preview.png"},
                "icon": [],
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": self.url.replace("http", "ws", 1), "status": None},
                    "vapid": {"public_key": "BFakeVapidKey="},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    **self._configuration(),
                    "translation": {"enabled": False},
                },
                "registrations": {
                    "enabled": False,
                    "approval_required": False,
                    "message": None,
                    "url": None,
                },
                "api_versions": {"mastodon": self.api_version},
                "contact": {"email": "admin@example.invalid", "account": None},
                "rules": [],
            },
        )

    def _nodeinfo_links(self, request: RecordedRequest) -> Response:
        return Response(
            200,
            {
                "links": [
                    {
                        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                        "href": f"{self.url}/nodeinfo/2.0",
                    }
                ]
            },
        )

    def _nodeinfo(self, request: RecordedRequest) -> Response:
        return Response(
            200,
            {
                "version": "2.0",
                "software": {"name": "mastodon", "version": self.version},
                "protocols": ["activitypub"],
                "services": {"outbound": [], "inbound": []},
                "usage": {
                    "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
                    "localPosts": len(self._statuses),
                },
                "openRegistrations": False,
                "metadata": {"nodeName": "Fake Mastodon", "nodeDescription": ""},
            },
            content_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"',
        )

    def _verify_credentials(self, request: RecordedRequest) -> Response:
        account = self._account()
        account["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "en",
            "note": "Announces new blog posts.",
            "fields": [],
            "follow_requests_count": 0,
            "hide_collections": False,
            "discoverable": True,
            "indexable": False,
        }
        return Response(200, account)

    def _create_status(self, request: RecordedRequest) -> Response:
        key = request.header("Idempotency-Key")
        now = time.time()
        if key:
            seen = self._idempotency.get(key)
            if seen is not None and now - seen[0] < self.idempotency_window:
                existing = self._find(seen[1])
                if existing is not None:
                    return Response(200, self._public(existing))

        text = request.body_field("status") or ""
        spoiler = request.body_field("spoiler_text") or ""
        media = request.body_field("media_ids[]") or request.body_field("media_ids")
        if not str(text).strip() and not media:
            return Response(422, {"error": "Validation failed: Text can't be blank"})
        if self._count(text, spoiler) > self.max_characters:
            return Response(
                422,
                {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"},
            )
        visibility = request.body_field("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Response(422, {"error": "Validation failed: Visibility is not included in the list"})
        language = request.body_field("language") or "en"
        sensitive = str(request.body_field("sensitive") or "0").lower() in ("1", "true")

        status_id = str(next(self._ids))
        status = {
            "id": status_id,
            "created_at": iso_now(now),
            "in_reply_to_id": request.body_field("in_reply_to_id"),
            "in_reply_to_account_id": None,
            "sensitive": sensitive,
            "spoiler_text": spoiler,
            "visibility": visibility,
            "language": language,
            "uri": f"{self.url}/users/{self.username}/statuses/{status_id}",
            "url": f"{self.url}/@{self.username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": self._render(text),
            "filtered": [],
            "reblog": None,
            "application": {"name": "blogsite", "website": None},
            "account": None,  # filled below, after the status is counted
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
            "quote": None,
            "_text": text,
            "_idempotency_key": key,
            "_deleted": False,
        }
        self._statuses.append(status)
        status["account"] = self._account()
        if key:
            self._idempotency[key] = (now, status_id)
        return Response(200, self._public(status))

    def _get_status(self, request: RecordedRequest, status_id: str) -> Response:
        status = self._find(status_id)
        if status is None:
            return Response(404, NOT_FOUND_BODY)
        return Response(200, self._public(status))

    def _delete_status(self, request: RecordedRequest, status_id: str) -> Response:
        status = self._find(status_id)
        if status is None:
            return Response(404, NOT_FOUND_BODY)
        status["_deleted"] = True
        # Delete answers with the status plus its source text, for "delete & redraft".
        return Response(200, {**self._public(status), "text": status["_text"]})

    def _account_statuses(self, request: RecordedRequest, account_id: str) -> Response:
        if account_id != self.account_id:
            return Response(404, NOT_FOUND_BODY)
        try:
            limit = min(max(int(request.param("limit", "20") or 20), 1), 40)
        except ValueError:
            limit = 20
        mine = [s for s in self._statuses if not s["_deleted"]]
        newest_first = sorted(mine, key=lambda s: int(s["id"]), reverse=True)[:limit]
        return Response(200, [self._public(s) for s in newest_first])

    # -- other people (replies, favourites, boosts)

    def add_account(
        self, username: str, display_name: str = "", domain: str | None = None
    ) -> dict[str, Any]:
        """Another account; a remote one (``domain`` set) has ``acct`` ``user@domain``."""
        with self._lock:
            account_id = str(next(self._ids))
        host = domain or self.domain
        base = f"https://{domain}" if domain else self.url
        return {
            "id": account_id,
            "username": username,
            "acct": f"{username}@{domain}" if domain else username,
            "display_name": display_name,
            "locked": False,
            "bot": False,
            "group": False,
            "created_at": "2022-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{base}/@{username}",
            "uri": f"{base}/users/{username}",
            "avatar": f"https://{host}/avatars/{username}.png",
            "avatar_static": f"https://{host}/avatars/{username}.png",
            "header": "",
            "header_static": "",
            "followers_count": 1,
            "following_count": 1,
            "statuses_count": 1,
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def add_reply(
        self, in_reply_to_id: str, account: dict[str, Any] | None, content: str
    ) -> dict[str, Any]:
        """A reply by `account` (None: the instance's own account) with `content` as the
        HTML Mastodon would serve (the fake does not sanitize it: a hostile server might not)."""
        with self._lock:
            parent = self._find(in_reply_to_id)
            if parent is None:
                raise KeyError(in_reply_to_id)
            status_id = str(next(self._ids))
            who = account or self._account()
            base = who["url"].rsplit("/@", 1)[0]
            status = {
                "id": status_id,
                "created_at": iso_now(),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": (parent["account"] or {}).get("id"),
                "sensitive": False,
                "spoiler_text": "",
                "visibility": "public",
                "language": "fr",
                "uri": f"{base}/users/{who['username']}/statuses/{status_id}",
                "url": f"{base}/@{who['username']}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": content,
                "reblog": None,
                "account": who,
                "media_attachments": [],
                "mentions": [],
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
                "_text": content,
                "_idempotency_key": None,
                "_deleted": False,
            }
            self._statuses.append(status)
            parent["replies_count"] += 1
            return self._public(status)

    def edit_status(self, status_id: str, content: str) -> None:
        with self._lock:
            status = self._find(status_id)
            if status is None:
                raise KeyError(status_id)
            status["content"] = content
            status["edited_at"] = iso_now()

    def remove_status(self, status_id: str) -> None:
        """Delete a status, as its author would."""
        with self._lock:
            status = self._find(status_id)
            if status is None:
                raise KeyError(status_id)
            status["_deleted"] = True

    def favourite(self, status_id: str, account: dict[str, Any]) -> None:
        with self._lock:
            self._favourites.setdefault(status_id, []).append((next(self._record_ids), account))
            found = self._find(status_id)
            if found is not None:
                found["favourites_count"] += 1

    def reblog(self, status_id: str, account: dict[str, Any]) -> None:
        with self._lock:
            self._reblogs.setdefault(status_id, []).append((next(self._record_ids), account))
            found = self._find(status_id)
            if found is not None:
                found["reblogs_count"] += 1

    def _context(self, request: RecordedRequest, status_id: str) -> Response:
        status = self._find(status_id)
        if status is None:
            return Response(404, NOT_FOUND_BODY)
        ancestors = []
        parent = self._find(str(status.get("in_reply_to_id") or ""))
        while parent is not None:
            ancestors.insert(0, self._public(parent))
            parent = self._find(str(parent.get("in_reply_to_id") or ""))
        descendants: list[dict[str, Any]] = []

        def walk(parent_id: str) -> None:
            # Mastodon drops the replies under a deleted status along with it.
            for child in self._statuses:
                if child["in_reply_to_id"] == parent_id and not child["_deleted"]:
                    descendants.append(self._public(child))
                    walk(child["id"])

        walk(status_id)
        return Response(200, {"ancestors": ancestors, "descendants": descendants})

    def _favourited_by(self, request: RecordedRequest, status_id: str) -> Response:
        return self._accounts_page(request, status_id, self._favourites, "favourited_by")

    def _reblogged_by(self, request: RecordedRequest, status_id: str) -> Response:
        return self._accounts_page(request, status_id, self._reblogs, "reblogged_by")

    def _accounts_page(
        self,
        request: RecordedRequest,
        status_id: str,
        table: dict[str, list[tuple[int, dict[str, Any]]]],
        name: str,
    ) -> Response:
        if self._find(status_id) is None:
            return Response(404, NOT_FOUND_BODY)
        try:
            limit = min(max(int(request.param("limit", "40") or 40), 1), 80)
            max_id = int(request.param("max_id", "0") or 0)
        except ValueError:
            return Response(400, {"error": "Invalid parameter"})
        # Newest first, like Mastodon; the cursor is the record's id.
        records = sorted(table.get(status_id, []), key=lambda r: r[0], reverse=True)
        if max_id:
            records = [r for r in records if r[0] < max_id]
        page = records[:limit]
        headers = {}
        if len(records) > limit:
            base = f"{self.url}/api/v1/statuses/{status_id}/{name}"
            headers["Link"] = (
                f'<{base}?limit={limit}&max_id={page[-1][0]}>; rel="next", '
                f'<{base}?limit={limit}&since_id={page[0][0]}>; rel="prev"'
            )
        return Response(200, [account for _, account in page], headers)
