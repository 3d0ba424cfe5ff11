"""Imported posts are old news: each is recorded in the syndication record as skipped on
every network, so that `blogsite publish` never announces them (whatever their date, and
whatever the record learns later); `blogsite publish --post SLUG` still can."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from blogsite.config import NETWORKS, Config
from blogsite.errors import BlogsiteError


def mark_as_old_news(config: Config, post_files: list[str], source: str) -> int | None:
    """Record the public posts among `post_files` (paths relative to the site) as skipped
    where the record has nothing for them yet; how many deliveries were recorded, or None
    when the site does not load (its errors are for `blogsite build` to report)."""
    from blogsite.publish.ledger import Delivery, load_ledger
    from blogsite.site import load_site

    try:
        site = load_site(config)
    except BlogsiteError:
        return None
    wanted = {(config.root / rel).resolve() for rel in post_files}
    ledger = load_ledger(config.root)
    now = datetime.now(UTC).replace(microsecond=0)
    count = 0
    for post in site.posts:
        if post.is_page or Path(post.source).resolve() not in wanted:
            continue
        missing = [n for n in NETWORKS if ledger.delivery(post, n) is None]
        if not missing:
            continue
        entry = ledger.entry_for(post, now)
        reason = f"imported from {source}: old news; `blogsite publish --post {post.slug}` announces it"
        for network in missing:
            entry.networks[network] = Delivery(state="skipped", reason=reason, at=now)
            count += 1
    if count:
        ledger.save()
    return count
