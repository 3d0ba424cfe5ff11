"""Fake X API v2 for tests of code that uses ``tweepy.Client`` (OAuth 1.0a user context).

Served endpoints
----------------
* ``POST /2/tweets`` -- create; 201 ``{"data":{"id","text","edit_history_tweet_ids"}}``.
  The returned ``text`` has its URLs wrapped as ``https://t.co/...`` like the real API,
  so never compare it with what you sent.  Errors: 401 (bad/missing OAuth 1.0a),
  403 duplicate content, 403 unsupported authentication (app-only Bearer token),
  400 text longer than 280 weighted characters (:func:`weighted_length`).
* ``DELETE /2/tweets/{id}`` -- 200 ``{"data":{"deleted":true}}``.
* ``GET /2/tweets/{id}`` -- 200 with ``data``, or 200 with an ``errors`` array
  (``resource-not-found``) for unknown/deleted ids, as the real API does.
* ``GET /2/users/me`` -- 200 ``{"data":{"id","name","username"}}`` (credential check).
* ``GET /2/users/{id}/tweets`` -- newest first, ``max_results`` honoured, ``meta`` block.
* ``GET /2/tweets/search/recent`` -- ``query=conversation_id:<id>`` only; ``expansions``
  (``author_id`` fills ``includes.users``), ``tweet.fields`` (``created_at``,
  ``conversation_id``, ``referenced_tweets``, ``entities``...), ``max_results`` (10-100),
  ``next_token`` in ``meta`` while more remain.  With ``search_tier=False`` it answers the 403
  ``client-not-enrolled`` of an API tier without search (Free).  Other people's replies are
  set up with :meth:`add_user`, :meth:`add_reply` and :meth:`remove_tweet`.

Every answer carries ``x-rate-limit-limit/remaining/reset`` (reset in epoch seconds).
Exhausting a window (``tweet_rate=(limit, seconds)``) yields a real 429.

Rerouting tweepy to the fake
----------------------------
tweepy 4.17 hard-codes the host: ``BaseClient.request()`` does
``self.session.request(method, "https://api.twitter.com" + route, ...)`` on
``self.session``, a plain ``requests.Session`` created in ``__init__``.  It never passes a
``timeout`` (a stalled server blocks forever).  The least invasive reroute is to
mount a transport adapter on that session for the hard-coded origin(s)::

    class RerouteAdapter(requests.adapters.HTTPAdapter):
        def __init__(self, base_url, timeout=None):
            super().__init__()
            self._base = urllib.parse.urlsplit(base_url)
            self._timeout = timeout

        def send(self, request, timeout=None, proxies=None, **kwargs):
            parts = urllib.parse.urlsplit(request.url)
            request.url = urllib.parse.urlunsplit(
                (self._base.scheme, self._base.netloc, parts.path, parts.query, "")
            )
            return super().send(request, timeout=timeout or self._timeout,
                                proxies={}, **kwargs)

    client = tweepy.Client(consumer_key=..., consumer_secret=...,
                           access_token=..., access_token_secret=...)
    adapter = RerouteAdapter(fake.url, timeout=5)
    for origin in ("https://api.twitter.com/", "https://api.x.com/"):
        client.session.mount(origin, adapter)

Why this works: requests picks the adapter by longest URL-prefix match *after* the
OAuth1 ``auth`` hook has signed the request against the real URL, so the signature
is computed exactly as in production and only the transport target changes.  The
adapter is also the one place to impose a default timeout, which tweepy itself does
not.  ``proxies={}`` keeps environment proxies away from 127.0.0.1.
Mount ``https://api.x.com/`` too, for when tweepy switches hosts.
:class:`RerouteAdapter` and :func:`reroute_tweepy` below implement exactly this.

tweepy does not wrap transport failures: a reset or a timeout surfaces as the raw
``requests.exceptions.ConnectionError`` / ``ReadTimeout``.  HTTP errors become
``tweepy.BadRequest`` (400), ``Unauthorized`` (401), ``Forbidden`` (403, incl. duplicates),
``TooManyRequests`` (429, ``.reset_time`` = epoch from ``x-rate-limit-reset``) and
``TwitterServerError`` (5xx).  X has no idempotency key: after a lost answer, a retry of
the same text gets the 403 duplicate-content answer.

The fake verifies the HMAC-SHA1 OAuth signature (``verify_signature=True``) against the
real hosts and against its own URL, so a wrong consumer/token *secret* also gives 401.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import grapheme
import requests
from oauthlib.oauth1.rfc5849 import signature as oauth_sig
from oauthlib.oauth1.rfc5849.utils import escape as oauth_escape
from requests.adapters import HTTPAdapter

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

__all__ = ["FakeXServer", "RerouteAdapter", "reroute_tweepy", "weighted_length"]

# X's snowflake epoch (2010-11-04T01:42:54.657Z); ids are (ms - epoch) << 22.
_TWEPOCH_MS = 1288834974657
# tweepy signs against this; newer tweepy/X docs use api.x.com.
_REAL_ORIGINS = ("https://api.twitter.com", "https://api.x.com")

UNAUTHORIZED_BODY = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
DUPLICATE_BODY = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
TOO_MANY_REQUESTS_BODY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}
UNSUPPORTED_AUTH_BODY = {
    "title": "Unsupported Authentication",
    "detail": (
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
    ),
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403,
}
TOO_LONG_MESSAGE = (
    "Your Tweet text is too long. For more information on how Twitter determines text "
    "length see https://github.com/twitter/twitter-text."
)
# What the recent search answers on an API tier without it (Free, or an app outside a Project).
CLIENT_NOT_ENROLLED_BODY = {
    "client_id": "12345678",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
    "and tokens from a Twitter developer App that is attached to a Project. You can create a "
    "project via the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
_SERVER_ERROR_TITLES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')

# URLs as X detects them: with a scheme, or a bare host with a common TLD.
_URL_RE = re.compile(
    r"(?:https?://[^\s<>\"]+"
    r"|(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|io|dev|app|blog|co|me|info|eu|uk|de|fr|nl|ch|at|it|es)\b(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?'\")]}"
# twitter-text v3: these code points weigh 1, everything else 2; URLs weigh 23.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_EMOJI_MARKERS = {0xFE0F, 0x200D, 0x20E3}


def _find_urls(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in _URL_RE.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        found.append((match.start(), match.start() + len(url), url))
    return found


def _is_emoji_cluster(cluster: str) -> bool:
    for char in cluster:
        cp = ord(char)
        if cp in _EMOJI_MARKERS or 0x1F000 <= cp <= 0x1FAFF:
            return True
    return False


def weighted_length(text: str, url_length: int = 23) -> int:
    """X's weighted length (twitter-text v3 rules).

    Implemented here rather than imported from ``twitter_text`` because that package
    imports ``pkg_resources``, which is gone from recent setuptools (and warns on older
    ones, an error under ``filterwarnings = error``).  Rules: NFC; each URL counts
    ``url_length``; an emoji sequence counts 2; code points in the Latin/punctuation
    ranges count 1, all others 2.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    total, pos = 0, 0
    for start, end, _url in _find_urls(text):
        total += _weigh_plain(text[pos:start]) + url_length
        pos = end
    return total + _weigh_plain(text[pos:])


def _weigh_plain(text: str) -> int:
    total = 0
    for cluster in grapheme.graphemes(text):
        if _is_emoji_cluster(cluster):
            total += 2
            continue
        for char in cluster:
            cp = ord(char)
            total += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2
    return total


class RerouteAdapter(HTTPAdapter):
    """HTTPAdapter that sends every request to ``base_url`` (keeping path and query).

    Also supplies a default ``timeout`` because tweepy never passes one.
    """

    def __init__(self, base_url: str, timeout: float | tuple[float, float] | None = None) -> None:
        super().__init__()
        self._base = urlsplit(base_url)
        self._timeout = timeout

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        return super().send(
            request,
            stream=stream,
            timeout=timeout if timeout is not None else self._timeout,
            verify=verify,
            cert=cert,
            proxies={},
        )


def reroute_tweepy(client: Any, base_url: str, timeout: float | None = 5.0) -> RerouteAdapter:
    """Point a ``tweepy.Client`` (anything with a ``.session``) at ``base_url``."""
    adapter = RerouteAdapter(base_url, timeout=timeout)
    for origin in _REAL_ORIGINS:
        client.session.mount(origin + "/", adapter)
    return adapter


def _tco(url: str) -> str:
    # Deterministic per URL so tests can predict it; real t.co codes are 10 chars.
    return "https://t.co/" + hashlib.sha256(url.encode()).hexdigest()[:10]


class FakeXServer(FakeServer):
    """Fake X API v2. See the module docstring for the endpoints and the tweepy reroute."""

    server_header = "tsa_b"

    def __init__(
        self,
        *,
        consumer_key: str = "fake-consumer-key",
        consumer_secret: str = "fake-consumer-secret",
        user_id: str = "1234567890",
        access_token: str | None = None,
        access_token_secret: str = "fake-access-token-secret",
        username: str = "blogsite_test",
        name: str = "Blogsite Test",
        max_weighted_length: int = 280,
        verify_signature: bool = True,
        wrap_urls: bool = True,
        tweet_rate: tuple[int, float] = (100, 900.0),
        read_rate: tuple[int, float] = (75, 900.0),
        search_tier: bool = True,
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.user_id = user_id
        # Real user access tokens are "<user id>-<random>".
        self.access_token = access_token or f"{user_id}-fakeAccessToken0123456789"
        self.access_token_secret = access_token_secret
        self.username = username
        self.name = name
        self.max_weighted_length = max_weighted_length
        self.verify_signature = verify_signature
        self.wrap_urls = wrap_urls
        self._tweet_window = RateWindow(*tweet_rate)
        self._read_window = RateWindow(*read_rate)
        self._ids = iter_snowflakes(_TWEPOCH_MS, 22)
        self._tweets: list[dict[str, Any]] = []
        self.search_tier = search_tier
        self._users: dict[str, dict[str, str]] = {}
        self._routes = [
            ("GET", "/2/tweets/search/recent", self._search_recent),
            ("POST", "/2/tweets", self._create_tweet),
            ("DELETE", "/2/tweets/{id}", self._delete_tweet),
            ("GET", "/2/tweets/{id}", self._get_tweet),
            ("GET", "/2/users/me", self._users_me),
            ("GET", "/2/users/{id}/tweets", self._user_tweets),
        ]

    # -- public helpers

    @property
    def credentials(self) -> dict[str, str]:
        """Keyword arguments for ``tweepy.Client(...)``."""
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }

    @property
    def tweets(self) -> list[dict[str, Any]]:
        """Stored (not deleted) tweets, oldest first.

        Keys: ``id``, ``text`` (as X shows it, t.co-wrapped), ``submitted_text``,
        ``author_id``, ``created_at``.
        """
        with self._lock:
            return [dict(t) for t in self._tweets if not t["deleted"]]

    # -- hooks

    def rate_limited(self, fault: RateLimited, request: RecordedRequest) -> Response:
        window = self._tweet_window if request.method in ("POST", "DELETE") else self._read_window
        limit = fault.limit or window.limit
        return Response(
            429,
            TOO_MANY_REQUESTS_BODY,
            self._rate_headers(limit, 0, time.time() + fault.reset_in),
        )

    def server_error(self, fault: ServerError, request: RecordedRequest) -> Response:
        body = fault.body
        if body is None:
            title = _SERVER_ERROR_TITLES.get(fault.status, "Internal Server Error")
            body = {"title": title, "detail": title, "type": "about:blank", "status": fault.status}
        return Response(fault.status, body)

    def unauthorized(self, fault: Unauthorized, request: RecordedRequest) -> Response:
        return Response(401, fault.body if fault.body is not None else UNAUTHORIZED_BODY)

    def handle_request(self, request: RecordedRequest) -> Response:
        found = route(self._routes, request)
        if found is None:
            return Response(
                404,
                {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]},
            )
        func, params = found
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        window = self._tweet_window if request.method in ("POST", "DELETE") else self._read_window
        allowed, remaining, reset_at = window.consume()
        if not allowed:
            return Response(429, TOO_MANY_REQUESTS_BODY, self._rate_headers(window.limit, 0, reset_at))
        response = func(request, *params)
        response.headers.update(self._rate_headers(window.limit, remaining, reset_at))
        return response

    # -- auth

    @staticmethod
    def _rate_headers(limit: int, remaining: int, reset_at: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(int(reset_at)),
        }

    def _authenticate(self, request: RecordedRequest) -> Response | None:
        header = request.header("Authorization") or ""
        if header.startswith("Bearer "):
            # App-only bearer tokens can't act on behalf of a user.
            return Response(403, UNSUPPORTED_AUTH_BODY)
        if not header.startswith("OAuth "):
            return Response(401, UNAUTHORIZED_BODY)
        oauth = {k: unquote(v) for k, v in _OAUTH_PARAM.findall(header)}
        required = (
            "oauth_consumer_key",
            "oauth_token",
            "oauth_signature",
            "oauth_nonce",
            "oauth_timestamp",
            "oauth_signature_method",
        )
        if any(k not in oauth for k in required):
            return Response(401, UNAUTHORIZED_BODY)
        if oauth["oauth_consumer_key"] != self.consumer_key or oauth["oauth_token"] != self.access_token:
            return Response(401, UNAUTHORIZED_BODY)
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            return Response(401, UNAUTHORIZED_BODY)
        if self.verify_signature and not self._signature_ok(request, header, oauth["oauth_signature"]):
            return Response(401, UNAUTHORIZED_BODY)
        return None

    def _signature_ok(self, request: RecordedRequest, header: str, given: str) -> bool:
        body = None
        ctype = (request.header("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/x-www-form-urlencoded" and request.body:
            body = request.body.decode("utf-8")
        params = oauth_sig.collect_parameters(
            uri_query=request.raw_query,
            body=body,
            headers={"Authorization": header},
            exclude_oauth_signature=True,
        )
        normalized = oauth_sig.normalize_parameters(params)
        for origin in (*_REAL_ORIGINS, self.url):
            base = oauth_sig.signature_base_string(
                request.method, oauth_sig.base_string_uri(origin + request.path), normalized
            )
            if hmac.compare_digest(self._hmac_sha1(base), given):
                return True
        return False

    def _hmac_sha1(self, base_string: str) -> str:
        # RFC 5849 3.4.2; done by hand because oauthlib's helper is deprecated.
        key = f"{oauth_escape(self.consumer_secret)}&{oauth_escape(self.access_token_secret)}"
        digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    # -- endpoints

    def _shown_text(self, text: str) -> str:
        if not self.wrap_urls:
            return text
        out, last = [], 0
        for start, end, url in _find_urls(text):
            out.append(text[last:start])
            out.append(_tco(url))
            last = end
        out.append(text[last:])
        return "".join(out)

    def _create_tweet(self, request: RecordedRequest) -> Response:
        payload = request.json if isinstance(request.json, dict) else None
        if payload is None:
            return Response(
                400,
                {
                    "errors": [
                        {
                            "parameters": {},
                            "message": "Requests with bodies must have content-type of application/json.",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        text = payload.get("text")
        has_media = bool((payload.get("media") or {}).get("media_ids"))
        if not isinstance(text, str) or (not text.strip() and not has_media):
            return Response(
                400,
                {
                    "errors": [{"message": "Tweet text is empty or missing."}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        if weighted_length(text) > self.max_weighted_length:
            return Response(
                400,
                {
                    "errors": [{"parameters": {"text": [text]}, "message": TOO_LONG_MESSAGE}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        if any(t["submitted_text"] == text and not t["deleted"] for t in self._tweets):
            return Response(403, DUPLICATE_BODY)
        tweet_id = str(next(self._ids))
        shown = self._shown_text(text)
        self._tweets.append(
            {
                "id": tweet_id,
                "text": shown,
                "submitted_text": text,
                "author_id": self.user_id,
                "created_at": iso_now(),
                "deleted": False,
                "conversation_id": tweet_id,
                "in_reply_to": None,
            }
        )
        return Response(201, {"data": {"id": tweet_id, "text": shown, "edit_history_tweet_ids": [tweet_id]}})

    def _find(self, tweet_id: str) -> dict[str, Any] | None:
        for tweet in self._tweets:
            if tweet["id"] == tweet_id and not tweet["deleted"]:
                return tweet
        return None

    @staticmethod
    def _public(tweet: dict[str, Any]) -> dict[str, Any]:
        return {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}

    def _delete_tweet(self, request: RecordedRequest, tweet_id: str) -> Response:
        tweet = self._find(tweet_id)
        if tweet is not None:
            tweet["deleted"] = True
        # The real API answers deleted=true only for tweets it removed.
        return Response(200, {"data": {"deleted": tweet is not None}})

    def _get_tweet(self, request: RecordedRequest, tweet_id: str) -> Response:
        tweet = self._find(tweet_id)
        if tweet is None:
            # X answers 200 with an errors array for a missing tweet, not 404.
            return Response(
                200,
                {
                    "errors": [
                        {
                            "value": tweet_id,
                            "detail": f"Could not find tweet with id: [{tweet_id}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "id",
                            "resource_id": tweet_id,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
            )
        return Response(200, {"data": self._public(tweet)})

    def _users_me(self, request: RecordedRequest) -> Response:
        return Response(200, {"data": {"id": self.user_id, "name": self.name, "username": self.username}})

    def _user_tweets(self, request: RecordedRequest, user_id: str) -> Response:
        try:
            max_results = int(request.param("max_results", "10") or 10)
        except ValueError:
            max_results = 10
        if not 5 <= max_results <= 100:
            return Response(
                400,
                {
                    "errors": [
                        {
                            "parameters": {"max_results": [str(max_results)]},
                            "message": f"The `max_results` query parameter value [{max_results}] "
                            "is not between 5 and 100",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        mine = [t for t in self._tweets if t["author_id"] == user_id and not t["deleted"]]
        newest_first = sorted(mine, key=lambda t: int(t["id"]), reverse=True)[:max_results]
        if not newest_first:
            return Response(200, {"meta": {"result_count": 0}})
        return Response(
            200,
            {
                "data": [self._public(t) for t in newest_first],
                "meta": {
                    "result_count": len(newest_first),
                    "newest_id": newest_first[0]["id"],
                    "oldest_id": newest_first[-1]["id"],
                },
            },
        )

    # -- other people's replies, and the recent search

    def add_user(self, username: str, name: str) -> dict[str, str]:
        with self._lock:
            user = {"id": str(next(self._ids)), "username": username, "name": name}
            self._users[user["id"]] = user
            return dict(user)

    def add_reply(self, in_reply_to: str, user: dict[str, str] | None, text: str) -> str:
        """A reply by `user` (None: the account itself); returns its id."""
        with self._lock:
            parent = self._find(in_reply_to)
            if parent is None:
                raise KeyError(in_reply_to)
            tweet_id = str(next(self._ids))
            self._tweets.append(
                {
                    "id": tweet_id,
                    "text": self._shown_text(text),
                    "submitted_text": text,
                    "author_id": user["id"] if user else self.user_id,
                    "created_at": iso_now(),
                    "deleted": False,
                    "conversation_id": parent["conversation_id"],
                    "in_reply_to": in_reply_to,
                }
            )
            return tweet_id

    def remove_tweet(self, tweet_id: str) -> None:
        with self._lock:
            found = self._find(tweet_id)
            if found is None:
                raise KeyError(tweet_id)
            found["deleted"] = True

    def _user(self, user_id: str) -> dict[str, str]:
        if user_id == self.user_id:
            return {"id": self.user_id, "username": self.username, "name": self.name}
        return dict(self._users[user_id])

    def _entities(self, tweet: dict[str, Any]) -> dict[str, Any]:
        text = tweet["text"]
        entities: dict[str, Any] = {}
        urls = []
        for _start, _end, url in _find_urls(tweet["submitted_text"]):
            short = _tco(url)
            at = text.find(short)
            urls.append({"start": at, "end": at + len(short), "url": short,
                         "expanded_url": url, "display_url": re.sub(r"^https?://", "", url)[:26]})
        if urls:
            entities["urls"] = urls
        mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)}
                    for m in re.finditer(r"@(\w{1,15})", text)]
        if mentions:
            entities["mentions"] = mentions
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in re.finditer(r"#(\w+)", text)]
        if tags:
            entities["hashtags"] = tags
        return entities

    def _search_view(self, tweet: dict[str, Any]) -> dict[str, Any]:
        view = {
            "id": tweet["id"],
            # The v2 API escapes &, < and > in text.
            "text": tweet["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
            "edit_history_tweet_ids": [tweet["id"]],
            "author_id": tweet["author_id"],
            "conversation_id": tweet["conversation_id"],
            "created_at": tweet["created_at"],
            "lang": "fr",
        }
        if tweet["in_reply_to"]:
            parent = self._find(tweet["in_reply_to"]) or tweet
            view["referenced_tweets"] = [{"type": "replied_to", "id": tweet["in_reply_to"]}]
            view["in_reply_to_user_id"] = parent["author_id"]
        entities = self._entities(tweet)
        if entities:
            view["entities"] = entities
        return view

    def _search_recent(self, request: RecordedRequest) -> Response:
        if not self.search_tier:
            return Response(403, CLIENT_NOT_ENROLLED_BODY)
        query = request.param("query") or ""
        match = re.fullmatch(r"conversation_id:(\d+)", query.strip())
        if match is None:
            return Response(400, {"title": "Invalid Request", "status": 400,
                                  "detail": "This fake only serves conversation_id: queries",
                                  "type": "https://api.twitter.com/2/problems/invalid-request"})
        max_results = int(request.param("max_results", "10") or 10)
        start = int(request.param("next_token", "0") or 0)
        found = [t for t in self._tweets if not t["deleted"] and t["in_reply_to"]
                 and t["conversation_id"] == match.group(1)]
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        page = found[start : start + max_results]
        if not page:
            return Response(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"],
                                "result_count": len(page)}
        if start + max_results < len(found):
            meta["next_token"] = str(start + max_results)
        body: dict[str, Any] = {"data": [self._search_view(t) for t in page], "meta": meta}
        if "author_id" in (request.param("expansions") or ""):
            ids = dict.fromkeys(t["author_id"] for t in page)
            body["includes"] = {"users": [self._user(i) for i in ids]}
        return Response(200, body)
