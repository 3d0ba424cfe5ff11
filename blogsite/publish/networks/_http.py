"""HTTP plumbing the clients share: timeouts, rerouting to a test server, rate-limit headers.

A helper module (its name starts with "_"), not a network: the registry skips it, and it is
imported only when a network is talked to.
"""

from __future__ import annotations

import email.utils
import os
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "blogsite (+https://pypi.org/project/blogsite/)"



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
        verb = method.decode() if isinstance(method, bytes) else method
        response = super().request(verb, url, *args, **kwargs)
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

