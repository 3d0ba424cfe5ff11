"""Replies to an X announcement, through tweepy: the recent search on its conversation_id.

The search exists on X's paid tiers only (Basic and up); on the others X answers 403
`client-not-enrolled`, which becomes NotAllowed: said once, never a failure. It covers the last
7 days: older replies stay on file as they are (see SEARCH_DAYS).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import tweepy

from blogsite.publish.networks.x import XNetwork
from blogsite.replies.bodies import capped, x_body
from blogsite.replies.model import PREFIXES, Announced, NotAllowed, Person, Reactions, Reply
from blogsite.replies.patience import Patience

SEARCH_DAYS = 7
MAX_PAGES = 20
TIER_REASONS = ("client-not-enrolled", "unsupported-authentication")


def search_horizon(now: datetime | None = None) -> datetime:
    """Replies older than this cannot be seen by the recent search, deleted or not."""
    return (now or datetime.now(UTC)) - timedelta(days=SEARCH_DAYS) + timedelta(hours=1)


class XFetcher:
    name = "x"
    label = "X"

    def __init__(self, net: XNetwork, patience: Patience, lang: str) -> None:
        self.net = net
        self.patience = patience
        self.lang = lang

    def _search(self, **kwargs: Any) -> Any:
        try:
            return self.net.client.search_recent_tweets(**kwargs)
        except tweepy.Forbidden as exc:
            reason = _reason(exc)
            if reason in TIER_REASONS or "enroll" in str(exc).lower():
                raise NotAllowed(
                    f"X does not let this account read replies ({reason or '403'}): the recent "
                    "search needs the Basic tier or above (see docs/publishing.md); X replies "
                    "are skipped"
                ) from None
            raise

    def keep_before(self, now: datetime) -> datetime | None:
        return search_horizon(now)

    def replies(self, announced: Announced) -> list[Reply]:
        out: list[Reply] = []
        token = None
        for _ in range(MAX_PAGES):
            page = self.patience.call(
                self.net._call, self.label, "reading replies", self._search,
                query=f"conversation_id:{announced.remote_id}", max_results=100,
                next_token=token, expansions=["author_id", "referenced_tweets.id"],
                tweet_fields=["created_at", "conversation_id", "referenced_tweets", "entities",
                              "author_id"],
                user_fields=["name", "username"], user_auth=True,
            )
            users = {str(u.id): u for u in (page.includes or {}).get("users", [])}
            out += [self._reply(t, users, announced.remote_id) for t in page.data or []]
            token = (page.meta or {}).get("next_token")
            if not token:
                break
        return out

    def _reply(self, tweet: Any, users: dict[str, Any], root_id: str) -> Reply:
        user = users.get(str(tweet.author_id))
        username = str(getattr(user, "username", "") or tweet.author_id)
        author = Person(str(getattr(user, "name", "") or username), "@" + username,
                        f"https://x.com/{username}", str(tweet.author_id))
        parent = next((str(r.id) for r in tweet.referenced_tweets or [] if r.type == "replied_to"),
                      root_id)
        url = f"https://x.com/{username}/status/{tweet.id}"
        created = tweet.created_at or datetime.now(UTC)
        return Reply(
            comment_id=PREFIXES[self.name] + str(tweet.id),
            network=self.name,
            author=author,
            url=url,
            date=created if created.tzinfo else created.replace(tzinfo=UTC),
            parent=None if parent == root_id else PREFIXES[self.name] + parent,
            body=capped(x_body(str(tweet.text or ""), dict(tweet.entities or {})), url,
                        self.label, self.lang),
            own=str(tweet.author_id) == self.net.user_id,
        )

    def reactions(self, announced: Announced) -> Reactions | None:
        # Likes and reposts of a post are readable on X's paid tiers only, and billed per
        # person returned: not read.
        return None


def _reason(exc: tweepy.Forbidden) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("reason") or "") if isinstance(body, dict) else ""
