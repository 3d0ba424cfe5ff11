"""Fake X / Mastodon / Bluesky HTTP servers that the real client libraries can talk to.

See :mod:`tests.fakes.base` for the fault API and each network module for its endpoints.
"""

from tests.fakes.base import (
    ConnectionReset,
    FakeServer,
    Fault,
    RateLimited,
    RecordedRequest,
    Respond,
    Response,
    ServerError,
    StoredButLost,
    Timeout,
    Unauthorized,
)
from tests.fakes.bluesky_api import FakeBlueskyServer
from tests.fakes.mastodon_api import FakeMastodonServer
from tests.fakes.x_api import FakeXServer, RerouteAdapter, reroute_tweepy

__all__ = [
    "ConnectionReset",
    "FakeBlueskyServer",
    "FakeMastodonServer",
    "FakeServer",
    "FakeXServer",
    "Fault",
    "RateLimited",
    "RecordedRequest",
    "RerouteAdapter",
    "Respond",
    "Response",
    "ServerError",
    "StoredButLost",
    "Timeout",
    "Unauthorized",
    "reroute_tweepy",
]
