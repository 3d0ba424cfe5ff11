"""Backfeed: the replies, likes and reposts that an announcement received, brought back to the
post as comment files (`comments/<post>/<id>.md`, `comments/<post>/reactions.yaml`).

One module per network reads through the network's client library (mastodon, bluesky, x);
`bodies` turns what a stranger wrote into sanitized, size-capped HTML; `moderation` decides
what is blocked or held; `store` merges into the comment files idempotently; `flow` is the
`blogsite replies` command and the backfeed `blogsite publish` runs after announcing.
"""

from blogsite.replies.flow import RepliesReport, approve, backfeed, fetch_replies

__all__ = ["RepliesReport", "approve", "backfeed", "fetch_replies"]
