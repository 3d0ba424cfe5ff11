"""What every network implements, and the shared plumbing: errors, secrets, rate-limit headers.

A network never lets a client library's exception escape: it turns each one into one of the
errors below, whose messages have been scrubbed of every credential (library exceptions can
echo request headers and bodies).
"""

from __future__ import annotations

import email.utils
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import requests
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from blogsite.announce import Announcement

SECRET_VARS = (
    "BLOGSITE_X_API_KEY",
    "BLOGSITE_X_API_SECRET",
    "BLOGSITE_X_ACCESS_TOKEN",
    "BLOGSITE_X_ACCESS_TOKEN_SECRET",
    "BLOGSITE_MASTODON_TOKEN",
    "BLOGSITE_BLUESKY_APP_PASSWORD",
)
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "blogsite (+https://pypi.org/project/blogsite/)"


@dataclass(frozen=True)
class SendResult:
    remote_id: str
    remote_url: str
    note: str = ""  # e.g. how an earlier, uncertain attempt was found to have gone through


class NetworkError(Exception):
    """A send that did not (knowingly) succeed. `uncertain` means it may have been stored."""

    uncertain = False

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class RateLimited(NetworkError):
    """429: refused, nothing stored. `reset_at` is when to try again (epoch), if known."""

    def __init__(self, message: str, reset_at: float | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class Refused(NetworkError):
    """A definite refusal (4xx): nothing stored. `credentials` when the keys are at fault."""

    def __init__(self, message: str, *, credentials: bool = False) -> None:
        super().__init__(message)
        self.credentials = credentials


class Unavailable(NetworkError):
    """5xx, timeout, connection reset: the network may or may not have stored the post."""

    uncertain = True


@runtime_checkable
class Network(Protocol):
    name: str  # key in site.toml: "x", "mastodon", "bluesky"
    label: str  # shown to people: "X", "Mastodon", "Bluesky"
    env_vars: tuple[str, ...]
    ruler: str  # how the network counts length, for the dry run

    def limit_note(self) -> str:
        """Where the length limit comes from (the dry run says it once per announcement)."""
        ...

    def destination(self, announcement: Announcement) -> list[str]:
        """Where and as what the announcement would go: account and server, visibility,
        language, link card. Lines for the dry run; needs no login."""
        ...

    def missing_credentials(self) -> list[str]:
        """Environment variables that must be set and are not."""
        ...

    def connect(self) -> None:
        """Log in / check the credentials with the network before anything is sent.
        Raises Refused(credentials=True) when they are not accepted."""
        ...

    def limit(self) -> int: ...

    def measure(self, text: str) -> int: ...

    def new_key(self, seed: str) -> str:
        """The key of a first attempt, recorded before sending and reused by every retry:
        Mastodon's Idempotency-Key (`seed`, stable for post and account), Bluesky's record
        key. `seed` is stable for (post, account)."""
        ...

    def send(self, announcement: Announcement, key: str) -> SendResult:
        """Post it, under `key` (see new_key)."""
        ...

    def find_existing(self, announcement: Announcement, key: str) -> SendResult | None:
        """Look on the account for an earlier post of this announcement (uncertain retries).
        Raises NetworkError when the network cannot be asked."""
        ...

    def close(self) -> None: ...


# -- secrets -----------------------------------------------------------------------------------

_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Also scrub a value obtained at run time (e.g. a session token)."""
    if value and len(value) >= 4:
        _extra_secrets.add(value)


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    values = {env.get(name, "") for name in SECRET_VARS} | _extra_secrets
    # Longest first, so a secret containing another is replaced whole.
    return sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True)


def scrub(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with every credential replaced by "***" (also URL-encoded forms of them)."""
    from urllib.parse import quote

    for value in secret_values(env):
        for form in {value, quote(value, safe=""), quote(value)}:
            text = text.replace(form, "***")
    # OAuth headers and bearer tokens, whatever their origin.
    text = re.sub(r'(oauth_(?:signature|token|consumer_key|nonce)=)"?[^",\s]+', r"\1***", text)
    text = re.sub(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1***", text)
    return text


def describe(exc: BaseException) -> str:
    """A short, scrubbed description of a library exception."""
    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"\s+", " ", text)
    if len(text) > 300:
        text = text[:300] + "…"
    return scrub(text)


# -- HTTP plumbing -----------------------------------------------------------------------------


def timeout() -> float:
    """Seconds to wait for a network's answer (BLOGSITE_HTTP_TIMEOUT overrides)."""
    try:
        value = float(os.environ.get("BLOGSITE_HTTP_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


class RecordingSession(requests.Session):
    """A session that remembers the last answer (for rate-limit headers) and always has a
    timeout: some client libraries never pass one, and a stalled server would hang forever."""

    def __init__(self, timeout_seconds: float | None = None) -> None:
        super().__init__()
        self.default_timeout = timeout_seconds or timeout()
        self.last_response: requests.Response | None = None
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        self.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


class RerouteAdapter(HTTPAdapter):
    """Sends requests to another origin, keeping path and query.

    It runs after the auth hook has signed the request for the URL the library built, so an
    OAuth 1.0a signature stays the one the real API expects; only the transport target changes.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        from urllib.parse import urlsplit

        self._base = urlsplit(base_url.rstrip("/"))

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(request.url or "")
        prefix = self._base.path.rstrip("/")
        request.url = urlunsplit(
            (self._base.scheme, self._base.netloc, prefix + parts.path, parts.query, "")
        )
        return super().send(request, *args, **kwargs)


def parse_reset(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """When a rate limit resets (epoch seconds), from whichever header the network sends:
    `x-rate-limit-reset` (X, epoch), `X-RateLimit-Reset` (Mastodon, ISO 8601),
    `ratelimit-reset` (Bluesky, epoch; the IETF draft's delta-seconds also accepted),
    `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    now = time.time() if now is None else now
    lower = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset", "retry-after"):
        value = lower.get(name)
        if not value:
            continue
        if re.fullmatch(r"\d+(\.\d+)?", value):
            number = float(value)
            # Small numbers are a delay, big ones a moment: 10^9 s is year 2001.
            return number if number > 1e9 else now + number
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            pass
    return None


def missing(env_vars: tuple[str, ...], env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    return [name for name in env_vars if not env.get(name, "").strip()]
