"""Replies, favourites and boosts of a Mastodon announcement, through Mastodon.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from blogsite.publish.networks.mastodon import MastodonNetwork
from blogsite.replies.bodies import capped
from blogsite.replies.model import PREFIXES, Announced, Person, Reactions, Reply
from blogsite.replies.patience import Patience

# Favourites and boosts are read 80 a page; past this many pages, the rest waits (a post with
# more than 4,000 of either has bigger news than its list of names).
MAX_PAGES = 50
# Only what anyone may see comes to the blog: never a direct or followers-only reply.
VISIBLE = ("public", "unlisted")


class MastodonFetcher:
    name = "mastodon"
    label = "Mastodon"

    def __init__(self, net: MastodonNetwork, patience: Patience, lang: str) -> None:
        self.net = net
        self.patience = patience
        self.lang = lang
        self.host = urlsplit(net.base).netloc

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        return self.patience.call(self.net._call, self.label, what, func, *args, **kwargs)

    def keep_before(self, now: datetime) -> datetime | None:
        return None

    def replies(self, announced: Announced) -> list[Reply]:
        context = self._call("reading replies", self.net.api.status_context, announced.remote_id)
        out = []
        for status in context["descendants"] or []:
            if status.get("visibility") in VISIBLE:
                out.append(self._reply(status, announced.remote_id))
        return out

    def _reply(self, status: Any, root_id: str) -> Reply:
        parent = str(status.get("in_reply_to_id") or "")
        url = str(status.get("url") or status.get("uri") or "")
        author = self.person(status["account"])
        return Reply(
            comment_id=PREFIXES[self.name] + str(status["id"]),
            network=self.name,
            author=author,
            url=url,
            date=_date(status.get("created_at")),
            parent=None if parent in ("", root_id) else PREFIXES[self.name] + parent,
            body=capped(str(status.get("content") or ""), url, self.label, self.lang),
            own=author.id == self.net.account_id,
        )

    def person(self, account: Any) -> Person:
        acct = str(account.get("acct") or account.get("username") or "")
        handle = "@" + (acct if "@" in acct else f"{acct}@{self.host}")
        name = str(account.get("display_name") or account.get("username") or acct)
        return Person(name, handle, str(account.get("url") or ""), str(account.get("id") or ""))

    def reactions(self, announced: Announced) -> Reactions:
        api = self.net.api
        likes = self._accounts("reading favourites", api.status_favourited_by, announced)
        reposts = self._accounts("reading boosts", api.status_reblogged_by, announced)
        return Reactions(likes, reposts)

    def _accounts(self, what: str, first: Any, announced: Announced) -> tuple[Person, ...]:
        page = self._call(what, first, announced.remote_id)
        people: list[Person] = []
        for _ in range(MAX_PAGES):
            if not page:
                break
            people += [self.person(account) for account in page]
            if not getattr(page, "_pagination_next", None):
                break  # no Link rel="next": that was the last page
            page = self._call(what, self.net.api.fetch_next, page)
        return tuple(people)


def _date(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
