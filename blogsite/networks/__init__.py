"""The social networks `blogsite publish` announces posts on, one module each."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from blogsite.networks.base import (
    Network,
    NetworkError,
    RateLimited,
    Refused,
    SendResult,
    Unavailable,
    scrub,
)

# Order of sending and of display ("Also on X · Mastodon · Bluesky").
NETWORK_ORDER = ("x", "mastodon", "bluesky")
LABELS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}


def make_network(name: str, section: Any, env: Mapping[str, str] | None = None) -> Network:
    """The client of network `name` configured by its `[social.<name>]` section."""
    env = os.environ if env is None else env
    if name == "x":
        from blogsite.networks.x import XNetwork

        return XNetwork(section, env)
    if name == "mastodon":
        from blogsite.networks.mastodon import MastodonNetwork

        return MastodonNetwork(section, env)
    if name == "bluesky":
        from blogsite.networks.bluesky import BlueskyNetwork

        return BlueskyNetwork(section, env)
    raise ValueError(f"unknown network {name!r}")


__all__ = [
    "LABELS",
    "NETWORK_ORDER",
    "Network",
    "NetworkError",
    "RateLimited",
    "Refused",
    "SendResult",
    "Unavailable",
    "make_network",
    "scrub",
]
