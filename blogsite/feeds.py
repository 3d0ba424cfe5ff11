"""RSS 2.0 and Atom (through feedgen) and JSON Feed 1.1, with full content.

Feed dates come from the posts, never from the clock, so that an unchanged site gives
byte-identical feeds (readers and caches see no spurious change).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from blogsite import __version__
from blogsite.config import Config
from blogsite.post import Post
from blogsite.typography import for_text

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def absolutize(html: str, config: Config) -> str:
    """Root-relative links and images become absolute: feed readers have no base URL."""
    base = config.base_url.rstrip("/")
    prefix = config.base_path.rstrip("/")
    return re.sub(
        r'(\s(?:href|src)=")/(?!/)',
        lambda m: f"{m.group(1)}{base[: len(base) - len(prefix)] if prefix else base}/",
        html,
    )


def abs_url(config: Config, path: str) -> str:
    return config.base_url + path.lstrip("/")


def feed_title(config: Config, title: str) -> str:
    """A feed's own title with the smart punctuation its HTML pages give the site's title, so
    that a reader shows the blog's name as the site does (item titles: `Post.display_title`)."""
    return for_text(title, config.site.language)


def _latest(posts: list[Post]) -> datetime:
    dates = [p.updated or p.date for p in posts if p.date]
    return max(dates) if dates else EPOCH


def _generator(config: Config, title: str, page_url: str, self_url: str, posts: list[Post]):
    fg = FeedGenerator()
    site = config.site
    fg.id(page_url)
    fg.title(feed_title(config, title))
    fg.subtitle(site.description or site.title)
    fg.description(site.description or site.title)
    fg.link(href=page_url, rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language(site.language)
    if site.author:
        fg.author({"name": site.author})
    fg.generator("blogsite", __version__, "https://pypi.org/project/blogsite/")
    latest = _latest(posts)
    fg.updated(latest)
    fg.lastBuildDate(latest)
    for post in posts:
        url = abs_url(config, post.url)
        fe = fg.add_entry(order="append")
        fe.id(url)
        fe.guid(url, permalink=True)
        # feedgen escapes the text itself: plain text in, so "&" is escaped exactly once.
        fe.title(post.display_title)
        fe.link(href=url)
        fe.published(post.date)
        fe.updated(post.updated or post.date)
        if post.teaser:
            fe.summary(post.teaser)
        fe.content(absolutize(post.html, config), type="CDATA")
        fe.author({"name": site.author or site.title})
        for tag in post.tags:
            fe.category(term=tag)
    return fg


def rss(config: Config, title: str, page_url: str, self_url: str, posts: list[Post]) -> bytes:
    return _generator(config, title, page_url, self_url, posts).rss_str(pretty=True)


def atom(config: Config, title: str, page_url: str, self_url: str, posts: list[Post]) -> bytes:
    fg = _generator(config, title, page_url, self_url, posts)
    # Atom has no CDATA content type: declare it as escaped HTML.
    for entry in fg.entry():
        entry.content(entry.content()["content"], type="html")
    return fg.atom_str(pretty=True)


def json_feed(config: Config, title: str, page_url: str, self_url: str, posts: list[Post]) -> bytes:
    site = config.site
    items = []
    for post in posts:
        url = abs_url(config, post.url)
        item: dict[str, object] = {
            "id": url,
            "url": url,
            "title": post.display_title,
            "content_html": absolutize(post.html, config),
            "summary": post.teaser,
            "date_published": post.date.isoformat() if post.date else None,
            "date_modified": (post.updated or post.date).isoformat() if post.date else None,
            "tags": list(post.tags),
            "language": post.lang,
        }
        if post.image:
            item["image"] = image_url(config, post.image)
        items.append({k: v for k, v in item.items() if v not in (None, [], "")})
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed_title(config, title),
        "home_page_url": page_url,
        "feed_url": self_url,
        "description": site.description,
        "language": site.language,
        "items": items,
    }
    if site.author:
        feed["authors"] = [{"name": site.author}]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def image_url(config: Config, image: str) -> str:
    if re.match(r"^https?://", image):
        return image
    return abs_url(config, image)
