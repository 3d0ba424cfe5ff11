"""`blogsite check`: build in memory, then look for broken internal links and invalid feeds."""

from __future__ import annotations

import json
import posixpath
import xml.parsers.expat
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
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


def _target(files: Mapping[str, object], path: str) -> str | None:
    rel = path.lstrip("/")
    for candidate in (rel, rel + "index.html", rel + "/index.html"):
        if candidate in files and (candidate or rel == ""):
            return candidate
    return None


class _Link(NamedTuple):
    page: str  # the output file holding the link
    href: str
    line: int


def _resolve(config: Config, files: Mapping[str, object], link: _Link) -> tuple[str, str | None]:
    """(the path the link names, from the host's root; the output file answering it)."""
    href = link.href
    if href.startswith(config.base_url):
        href = config.base_path + href[len(config.base_url):]
    path = unquote(urlsplit(href).path)
    if not path:
        return "/" + link.page, link.page
    full = path if path.startswith("/") else posixpath.join("/" + posixpath.dirname(link.page), path)
    norm = posixpath.normpath(full) + ("/" if full.endswith("/") else "")
    base = config.base_path
    if not norm.startswith(base.rstrip("/") or "/"):
        return norm, None
    return norm, _target(files, "/" + norm[len(base):].lstrip("/") if base != "/" else norm)


def _internal(href: str, config: Config) -> bool:
    if href.startswith(config.base_url):
        return True
    parts = urlsplit(href)
    return not (parts.scheme or parts.netloc or href.startswith(("mailto:", "tel:", "data:")))


def _parse_pages(files: Mapping[str, bytes | Path]) -> dict[str, _Links]:
    parsed: dict[str, _Links] = {}
    for rel, content in files.items():
        if rel.endswith(".html") and isinstance(content, bytes):
            p = _Links()
            p.feed(content.decode("utf-8"))
            parsed[rel] = p
    return parsed


def check_links(
    config: Config,
    files: Mapping[str, bytes | Path],
    source_of: dict[str, str],
    reported: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Broken links and missing anchors in the generated pages, each once (on the first
    page showing it). `reported`: paths whose links the build already checked against
    their `.md` files (blogsite.links), not reported again."""
    parsed = _parse_pages(files)
    problems: list[Problem] = []
    seen: set[str] = set()
    for rel, links in parsed.items():
        for href, line in links.links:
            if not _internal(href, config) or href in seen:
                continue
            link = _Link(rel, href, line)
            path, target = _resolve(config, files, link)
            fragment = urlsplit(href).fragment
            where = source_of.get(rel, f"{config.build.output}/{rel}")
            if target is None and path not in reported:
                seen.add(href)
                problems.append(Problem(
                    where, f"broken link to {href} (in {rel}, line {line})",
                    "fix the link, or add the page it points to",
                ))
            elif target in parsed and fragment and fragment not in parsed[target].ids:
                seen.add(href)
                problems.append(Problem(
                    where, f"link to {href} points at a missing anchor #{fragment} (in {rel})",
                    "check the heading or footnote it refers to",
                ))
    return problems


# Tag feeds are made by the same code as the site's feeds: one full parse of each kind
# (feedparser, the reader's view), and a well-formedness check of the others (expat, a
# hundred times faster), keep `blogsite check` within about twice a build.
_FULL_PARSE = ("rss.xml", "atom.xml")


def _full_parse(rel: str, content: bytes) -> list[Problem]:
    import feedparser

    parsed = feedparser.parse(content)
    if parsed.bozo:
        return [Problem(rel, f"invalid feed: {parsed.bozo_exception}", "check the posts' content")]
    return []


def _well_formed(rel: str, content: bytes, what: str) -> list[Problem]:
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(content, True)
    except xml.parsers.expat.ExpatError as exc:
        return [Problem(rel, f"invalid {what}: {exc}", "check the posts' content")]
    return []


def _json_feed(rel: str, content: bytes) -> list[Problem]:
    try:
        data = json.loads(content)
        assert data["version"].startswith("https://jsonfeed.org/version/")
        assert all("id" in item for item in data["items"])
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        return [Problem(rel, f"invalid JSON Feed: {exc}", "report this as a bug")]
    return []


def check_feeds(files: dict[str, bytes | Path]) -> list[Problem]:
    problems: list[Problem] = []
    fully_parsed: set[str] = set()
    # The site's own feeds first: they are the representative ones parsed in full.
    for rel in sorted(files, key=lambda r: (r.count("/"), r)):
        content = files[rel]
        if not isinstance(content, bytes):
            continue
        kind = rel.rsplit("/", 1)[-1]
        if kind in _FULL_PARSE and kind not in fully_parsed:
            fully_parsed.add(kind)
            problems += _full_parse(rel, content)
        elif kind in _FULL_PARSE:
            problems += _well_formed(rel, content, "feed")
        elif kind == "feed.json":
            problems += _json_feed(rel, content)
        elif rel == "sitemap.xml":
            problems += _well_formed(rel, content, "sitemap")
    return problems


def check_site(config: Config) -> list[Problem]:
    """Every warning of a build, its broken links as errors, then the deeper checks of the
    generated pages (anchors, links the theme makes) and of the feeds."""
    from blogsite.build import plan
    from blogsite.errors import display_path
    from blogsite.links import broken_links, checked_paths
    from blogsite.rawsyntax import raw_template_warnings
    from blogsite.render import url_to_file

    site, files = plan(config)
    items = [*site.posts, *site.pages]
    source_of = {url_to_file(post.url): display_path(post.source) for post in items}
    broken = broken_links(site, files)
    problems = [p for p in site.warnings if p not in broken] + [p.as_error() for p in broken]
    reported = checked_paths(site)
    return (
        problems
        + raw_template_warnings(items)
        + check_links(config, files, source_of, reported)
        + check_feeds(files)
    )
