"""Replies, quotes, likes and reposts of a Bluesky announcement, through the atproto SDK:
app.bsky.feed.getPostThread (the whole reply tree), getQuotes, getLikes, getRepostedBy."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from blogsite.publish.networks.bluesky import BlueskyNetwork
from blogsite.replies.bodies import bluesky_body, capped
from blogsite.replies.model import PREFIXES, Announced, Person, Reactions, Reply
from blogsite.replies.patience import Patience

MAX_DEPTH = 1000  # the most getPostThread allows
PAGE = 100
MAX_PAGES = 40


def _plain(value: Any) -> Any:
    """An SDK answer as the JSON the server sent (camelCase keys, `$type` on unions)."""
    from atproto_client.models.utils import get_model_as_dict

    return value if isinstance(value, dict) else get_model_as_dict(value)


def comment_id(uri: str) -> str:
    """`bluesky-<rkey>-<4 hex of the author's DID>`: record keys are unique per author only."""
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    return f"{PREFIXES['bluesky']}{rkey}-{hashlib.sha256(did.encode()).hexdigest()[:4]}"


class BlueskyFetcher:
    name = "bluesky"
    label = "Bluesky"

    def __init__(self, net: BlueskyNetwork, patience: Patience, lang: str) -> None:
        self.net = net
        self.patience = patience
        self.lang = lang

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        return self.patience.call(self.net._call, self.label, what, func, *args, **kwargs)

    def keep_before(self, now: datetime) -> datetime | None:
        return None

    def replies(self, announced: Announced) -> list[Reply]:
        feed = self.net.client.app.bsky.feed
        answer = self._call(
            "reading replies", feed.get_post_thread,
            params={"uri": announced.remote_id, "depth": MAX_DEPTH, "parentHeight": 0},
        )
        out: list[Reply] = []
        self._walk(_plain(answer).get("thread") or {}, None, out)
        return out + self._quotes(announced)

    def _walk(self, node: dict[str, Any], parent: str | None, out: list[Reply]) -> None:
        # #blockedPost (its author blocked the account) and #notFoundPost (deleted) are left
        # out with everything under them: the authors' choice wins over the archive.
        for child in node.get("replies") or []:
            if not str(child.get("$type", "")).endswith("#threadViewPost"):
                continue
            reply = self._reply(child["post"], parent)
            out.append(reply)
            self._walk(child, reply.comment_id, out)

    def _reply(self, post: dict[str, Any], parent: str | None, kind: str = "") -> Reply:
        record = post.get("record") or {}
        author = self.person(post.get("author") or {})
        rkey = str(post["uri"]).rsplit("/", 1)[-1]
        url = f"https://bsky.app/profile/{author.handle.lstrip('@')}/post/{rkey}"
        body = bluesky_body(str(record.get("text") or ""), list(record.get("facets") or []))
        return Reply(
            comment_id=comment_id(str(post["uri"])),
            network=self.name,
            author=author,
            url=url,
            date=datetime.fromisoformat(str(record.get("createdAt") or post["indexedAt"])
                                        .replace("Z", "+00:00")),
            parent=parent,
            body=capped(body, url, self.label, self.lang),
            own=author.id == self.net.did,
            kind=kind,
        )

    def person(self, actor: dict[str, Any]) -> Person:
        handle = str(actor.get("handle") or actor.get("did") or "")
        name = str(actor.get("displayName") or handle)
        return Person(name, "@" + handle, f"https://bsky.app/profile/{handle}", str(actor["did"]))

    def _pages(self, what: str, method: Any, uri: str, key: str) -> list[Any]:
        items: list[Any] = []
        cursor = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"uri": uri, "limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            page = _plain(self._call(what, method, params=params))
            items += page.get(key) or []
            cursor = page.get("cursor")
            if not cursor:
                break
        return items

    def _quotes(self, announced: Announced) -> list[Reply]:
        feed = self.net.client.app.bsky.feed
        posts = self._pages("reading quotes", feed.get_quotes, announced.remote_id, "posts")
        return [self._reply(post, None, kind="mention") for post in posts]

    def reactions(self, announced: Announced) -> Reactions:
        feed = self.net.client.app.bsky.feed
        likes = self._pages("reading likes", feed.get_likes, announced.remote_id, "likes")
        reposts = self._pages(
            "reading reposts", feed.get_reposted_by, announced.remote_id, "repostedBy"
        )
        return Reactions(
            tuple(self.person(like["actor"]) for like in likes),
            tuple(self.person(actor) for actor in reposts),
        )
