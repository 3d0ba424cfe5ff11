"""The typed items a network fetcher hands over: people, replies, reactions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from blogsite.publish.networks.base import NetworkError

# Ids of the comment files made from each network: `<prefix><network id>`.
PREFIXES = {"mastodon": "mastodon-", "bluesky": "bluesky-", "x": "x-"}


@dataclass(frozen=True)
class Person:
    """Someone on a network. No avatar: pictures are never hot-linked from the networks."""

    name: str
    handle: str  # "@jp@mastodon.social", "@jp.bsky.social", "@jp"
    url: str  # profile page
    id: str  # the network's account id (Mastodon id, Bluesky DID, X user id)


@dataclass(frozen=True)
class Reply:
    """One reply (or quote) to an announcement, as its comment file will hold it."""

    comment_id: str  # unique within the post: `PREFIXES[network]` + the network's id
    network: str
    author: Person
    url: str  # the reply on the network
    date: datetime  # with offset
    parent: str | None  # comment_id of the reply it answers; None: it answers the announcement
    body: str  # sanitized, capped HTML
    own: bool = False  # written by the announcing account
    kind: str = ""  # "mention" for a quote post


@dataclass(frozen=True)
class Reactions:
    likes: tuple[Person, ...] = ()
    reposts: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Announced:
    """A post as the syndication record knows it on one network."""

    title: str
    folder: str  # comments/<folder>/, e.g. "influence-reputation-legitimite"
    network: str
    remote_id: str
    remote_url: str


@dataclass
class Fetched:
    """What one network said about one announcement. None: not read completely (an error),
    so nothing of that kind may be changed on disk."""

    replies: list[Reply] | None = None
    reactions: Reactions | None = None
    errors: list[str] = field(default_factory=list)


class NotAllowed(NetworkError):
    """The account's API tier does not offer this read (X's `client-not-enrolled`): said once,
    and the network is left alone for the rest of the run; not a failure."""


# network_call(what, func, *args, **kwargs): a network's own error mapping (NetworkError).
NetworkCall = Callable[..., object]


class Fetcher(Protocol):
    name: str
    label: str

    def replies(self, announced: Announced) -> list[Reply]: ...

    def reactions(self, announced: Announced) -> Reactions | None:
        """None when the network offers nothing here (X)."""
        ...

    def keep_before(self, now: datetime) -> datetime | None:
        """Stored replies older than this are kept as they are: the network can no longer
        show them, so their absence from a read says nothing (X's 7-day search)."""
        ...
