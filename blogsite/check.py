"""`blogsite check`: build in memory, then look for broken internal links and invalid feeds."""

from __future__ import annotations

import json
import posixpath
import xml.parsers.expat
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
    from blogsite.build import plan

    site, files = plan(config)
    source_of = {}
    from blogsite.errors import display_path
    from blogsite.render import url_to_file

    for post in [*site.posts, *site.pages]:
        source_of[url_to_file(post.url)] = display_path(post.source)
    from blogsite.rawsyntax import raw_template_warnings

    return (
        list(site.warnings)
        + raw_template_warnings([*site.posts, *site.pages])
        + check_links(config, files, source_of)
        + check_feeds(files)
    )
