"""`blogsite check`: build in memory, then look for broken internal links and invalid feeds."""

from __future__ import annotations

import json
import posixpath
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from blogsite.config import Config
from blogsite.errors import Problem


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, int]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src") and tag not in ("link",) or (tag == "link" and name == "href"):
                self.links.append((value, self.getpos()[0]))
            elif name in ("id", "name"):
                self.ids.add(value)


def _target(files: dict, path: str) -> str | None:
    rel = path.lstrip("/")
    for candidate in (rel, rel + "index.html", rel + "/index.html"):
        if candidate in files and (candidate or rel == ""):
            return candidate
    return None


def check_links(config: Config, files: dict[str, bytes | Path], source_of: dict[str, str]) -> list[Problem]:
    base_url = config.base_url
    base_path = config.base_path
    parsed: dict[str, _Links] = {}
    for rel, content in files.items():
        if rel.endswith(".html") and isinstance(content, bytes):
            p = _Links()
            p.feed(content.decode("utf-8"))
            parsed[rel] = p
    problems = []
    for rel, links in parsed.items():
        page_dir = "/" + posixpath.dirname(rel)
        for link, line in links.links:
            if link.startswith(base_url):
                link = base_path + link[len(base_url) :]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "tel:", "data:")):
                continue
            path = unquote(parts.path)
            if not path:
                target = rel
            else:
                full = path if path.startswith("/") else posixpath.join(page_dir, path)
                norm = posixpath.normpath(full) + ("/" if full.endswith("/") else "")
                if not norm.startswith(base_path.rstrip("/") or "/"):
                    target = None
                else:
                    target = (
                        _target(files, "/" + norm[len(base_path) :].lstrip("/"))
                        if base_path != "/"
                        else _target(files, norm)
                    )
            where = source_of.get(rel, f"{config.build.output}/{rel}")
            if target is None:
                problems.append(
                    Problem(
                        where,
                        f"broken link to {link} (in {rel}, line {line})",
                        "fix the link, or add the page it points to",
                    )
                )
            elif parts.fragment and target in parsed and parts.fragment not in parsed[target].ids:
                problems.append(
                    Problem(
                        where,
                        f"link to {link} points at a missing anchor #{parts.fragment} (in {rel})",
                        "check the heading or footnote it refers to",
                    )
                )
    return problems


def check_feeds(files: dict[str, bytes | Path]) -> list[Problem]:
    import feedparser

    problems = []
    for rel, content in files.items():
        if not isinstance(content, bytes):
            continue
        if rel.endswith(("rss.xml", "atom.xml")):
            parsed = feedparser.parse(content)
            if parsed.bozo:
                problems.append(
                    Problem(rel, f"invalid feed: {parsed.bozo_exception}", "check the posts' content")
                )
        elif rel.endswith("feed.json"):
            try:
                data = json.loads(content)
                assert data["version"].startswith("https://jsonfeed.org/version/")
                assert all("id" in item for item in data["items"])
            except (ValueError, KeyError, AssertionError) as exc:
                problems.append(Problem(rel, f"invalid JSON Feed: {exc}", "report this as a bug"))
        elif rel == "sitemap.xml":
            try:
                ET.fromstring(content)
            except ET.ParseError as exc:
                problems.append(Problem(rel, f"invalid sitemap: {exc}", "report this as a bug"))
    return problems


def check_site(config: Config) -> list[Problem]:
    from blogsite.build import plan

    site, files = plan(config)
    source_of = {}
    from blogsite.errors import display_path
    from blogsite.render import url_to_file

    for post in [*site.posts, *site.pages]:
        source_of[url_to_file(post.url)] = display_path(post.source)
    return list(site.warnings) + check_links(config, files, source_of) + check_feeds(files)
