"""The links a post's Markdown makes, from its source file to wherever it is shown.

Parsing a post records its local links (pages, images, the `image:` cover) with the line of
the `.md` file they are written on (`extract`). Once every post has its URL, the relative
ones are made root-relative, so a summary shown on the home page or a tag page points where
it does on the post's own page, and a link to another post's file (`autre-billet.md`)
becomes that post's URL (`resolve`). A build then checks every recorded link against the
files it writes, and reports each broken one once, against the source (`broken_links`).
"""

from __future__ import annotations

import html as _html
import os
import posixpath
import re
from collections.abc import Container, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from blogsite.errors import Problem, did_you_mean, display_path
from blogsite.post import Post, replace_fields, source_of

if TYPE_CHECKING:
    from blogsite.site import Site

# kind: "a" a link in the body, "i" an image in the body, "s" a link or image in the
# front-matter summary, "c" the `image:` cover.
KINDS = ("a", "i", "s", "c")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SOURCE_SUFFIXES = (".md", ".markdown")
_ATTR = re.compile(r"""(\s(?:href|src)=)(["'])(.*?)\2""", re.S)


class SourceLink(NamedTuple):
    kind: str
    line: int
    url: str

    def encode(self) -> str:
        return f"{self.kind}:{self.line}:{self.url}"


def decode(entry: str) -> SourceLink:
    kind, line, url = entry.split(":", 2)
    return SourceLink(kind, int(line), url)


def source_links(post: Post) -> list[SourceLink]:
    return [decode(entry) for entry in post.links]


def is_local(url: str) -> bool:
    """A link into this site (not another site, not an anchor of the same page)."""
    return bool(url) and not url.startswith(("#", "//")) and not _SCHEME.match(url)


# A start tag, and an href or src attribute in one (quoted or not): regular expressions rather
# than an HTML parser, a tenth of the time of Markdown itself on a long post.
_TAG = re.compile(r"""<([A-Za-z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_URL_ATTR = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


def _attributes(html: str) -> list[tuple[str, str]]:
    """(kind, URL) of the local links and images of an HTML fragment, in order."""
    found: list[tuple[str, str]] = []
    for tag in _TAG.finditer(html):
        name = tag.group(1).lower()
        if name == "link":
            continue
        for attr in _URL_ATTR.finditer(tag.group(2)):
            url = _html.unescape(next(g for g in attr.groups() if g is not None)).strip()
            if is_local(url):
                found.append(("i" if name in ("img", "source") else "a", url))
    return found


def _line_of(url: str, lines: Sequence[str], start: int) -> int | None:
    """Index of the first line from `start` (then from the top) that spells `url`."""
    spellings = {url, _html.escape(url, quote=False), unquote(url)}
    for begin in (start, 0):
        for i in range(begin, len(lines)):
            if any(s in lines[i] for s in spellings):
                return i
    return None


class Sources(NamedTuple):
    """What extract() reads of one parsed file."""

    body: str
    body_line: int  # line of the body's first line in the file
    html: str
    summary_html: str  # the front-matter summary, rendered ("" if none)
    summary_line: int | None
    image: str | None
    image_line: int | None


def extract(src: Sources) -> tuple[str, ...]:
    """The local links of a post, encoded (Post.links), in the order they are written."""
    found: list[SourceLink] = []
    lines = src.body.split("\n")
    last: dict[str, int] = {}
    for kind, url in _attributes(src.html):
        index = _line_of(url, lines, last.get(url, -1) + 1)
        if index is not None:
            last[url] = index
        found.append(SourceLink(kind, src.body_line + (index or 0), url))
    for _kind, url in _attributes(src.summary_html):
        found.append(SourceLink("s", src.summary_line or 1, url))
    if src.image and is_local(src.image):
        found.append(SourceLink("c", src.image_line or 1, src.image))
    return tuple(link.encode() for link in found)


# ----- once every post has its URL


def _source_key(path: str) -> str:
    return posixpath.normpath(path.replace(os.sep, "/"))


def _source_of(post: Post) -> str:
    return _source_key(source_of(post))


class _Site:
    """The posts and pages by source file (made on first use: most sites never link to
    a file), and the site's base path."""

    def __init__(self, items: Sequence[Post], base_path: str) -> None:
        self.items = items
        self.base_path = base_path

    @cached_property
    def by_source(self) -> dict[str, Post]:
        return {_source_of(p): p for p in self.items}


def _is_source_ref(path: str) -> bool:
    return path.lower().endswith(_SOURCE_SUFFIXES)


def _target_source(post: Post, path: str) -> str:
    folder = posixpath.dirname(_source_of(post))
    return _source_key(posixpath.join(folder, unquote(path)))


def _rebuilt(parts: tuple[str, str, str, str, str], path: str) -> str:
    _scheme, _netloc, _old, query, fragment = parts
    return path + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def _site_path(post: Post, path: str) -> str:
    """A relative path as a browser on the post's page reads it: a path of the site."""
    joined = posixpath.join(posixpath.dirname(post.url.rstrip("/") + "/x"), path)
    norm = posixpath.normpath(joined)
    return norm + "/" if path.endswith("/") and not norm.endswith("/") else norm


def _ref_problem(post: Post, link: SourceLink, target: str, site: _Site) -> Problem:
    folder = posixpath.dirname(target)
    names = [posixpath.basename(k) for k in site.by_source if posixpath.dirname(k) == folder]
    hint = "write the file name of a post or page, relative to this file"
    if names:
        hint = did_you_mean(posixpath.basename(target), names).replace("keys", "files")
    return Problem(
        display_path(post.source),
        f"the link `{link.url}` points to {display_path(target)}, which is not a post or page",
        hint,
        link.line,
    )


def _new_url(post: Post, link: SourceLink, site: _Site, problems: list[Problem]) -> str | None:
    """Where a relative link of `post` goes, as a link from the site's root; None if it
    is not relative, or names a missing file (an error then)."""
    parts = urlsplit(link.url)
    if parts.path.startswith("/") or link.kind == "c":
        return None
    if _is_source_ref(parts.path):
        target = _target_source(post, parts.path)
        found = site.by_source.get(target)
        if found is None:
            problems.append(_ref_problem(post, link, target, site))
            return None
        path = found.url
    elif parts.path:
        path = _site_path(post, parts.path)
    else:
        path = post.url  # "?page=2": this very page
    return _rebuilt(parts, site.base_path + path.lstrip("/"))


def _rewrite(html: str, urls: dict[str, str]) -> str:
    def swap(m: re.Match[str]) -> str:
        new = urls.get(_html.unescape(m.group(3)).strip())
        if new is None:
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{_html.escape(new)}{m.group(2)}"

    return _ATTR.sub(swap, html)


def _resolved(post: Post, site: _Site, problems: list[Problem]) -> Post:
    urls: dict[str, str] = {}
    for link in source_links(post):
        new = _new_url(post, link, site, problems)
        if new is not None:
            urls[link.url] = new
    if not urls:
        return post
    return replace_fields(
        post, {"html": _rewrite(post.html, urls), "summary_html": _rewrite(post.summary_html, urls)}
    )


def _needs_resolving(post: Post) -> bool:
    return any(not decode(entry).url.startswith("/") for entry in post.links)


def resolve(
    posts: list[Post], pages: list[Post], base_path: str, problems: list[Problem]
) -> tuple[list[Post], list[Post]]:
    """The posts and pages with their relative links made root-relative, and links to a
    post's file made that post's URL (set every `url` first). A link to a file that is
    not a post or page is an error in `problems`."""
    if not any(_needs_resolving(p) for p in (*posts, *pages)):
        return posts, pages
    site = _Site((*posts, *pages), base_path)
    posts = [_resolved(p, site, problems) if _needs_resolving(p) else p for p in posts]
    pages = [_resolved(p, site, problems) if _needs_resolving(p) else p for p in pages]
    return posts, pages


# ----- after the outputs are known


# No output file has this name: a root-relative link outside the site's base path.
_OUTSIDE = "\0outside"


def _output_path(link: SourceLink, post: Post, site: _Site) -> str | None:
    """The output file a link needs (_OUTSIDE when it leaves the site), None when the
    link is not checked here."""
    path = unquote(urlsplit(link.url).path)
    if link.kind == "c":
        return path.lstrip("/")
    if not path:
        return None  # "?page=2" or the like: the page itself
    if _is_source_ref(path) and not path.startswith("/"):
        target = site.by_source.get(_target_source(post, path))
        return target.url.lstrip("/") if target is not None else None  # None: resolve() said
    if not path.startswith("/"):
        return _site_path(post, path).lstrip("/")
    root = site.base_path
    if not (path + "/").startswith(root):
        return _OUTSIDE
    return path[len(root):]


def _exists(rel: str, files: Container[str]) -> bool:
    candidates = (rel, rel + "index.html", rel + "/index.html") if rel else ("index.html",)
    return any(c in files for c in candidates)


_MESSAGES = {
    "a": ("broken link to {url}", "fix the link, or add the page it points to"),
    "i": ("missing image {url}", "put the file in static/ (static/images/a.png is /images/a.png)"),
    "s": ("broken link to {url} in the summary", "fix the link, or add the page it points to"),
    "c": (
        "the cover image {url} (`image:`) is not in the site",
        "put the file in static/ (static/images/a.png is image: /images/a.png), or fix the path",
    ),
}


def _checked(site: Site) -> Iterator[tuple[Post, SourceLink, str]]:
    """Each local link of the site's shown posts and pages, once per file, with the output
    file it needs."""
    found = _Site((*site.all_posts, *site.pages), site.config.base_path)
    for post in (*site.posts, *site.pages):
        seen: set[str] = set()
        for link in source_links(post):
            rel = _output_path(link, post, found)
            if rel is not None and link.url not in seen:
                seen.add(link.url)
                yield post, link, rel


def broken_links(site: Site, outputs: Container[str]) -> list[Problem]:
    """Warnings for the local links of the site's posts and pages that no output file
    answers: one per link and file, on the line of the `.md` file that writes it."""
    problems: list[Problem] = []
    for post, link, rel in _checked(site):
        if _exists(rel, outputs):
            continue
        message, hint = _MESSAGES[link.kind]
        problems.append(
            Problem(display_path(post.source), message.format(url=link.url), hint, link.line,
                    warning=True)
        )
    return problems


def checked_paths(site: Site) -> frozenset[str]:
    """The paths (from the host's root) of the links broken_links() checks: what a deeper
    check of the generated pages need not report again."""
    base = site.config.base_path
    return frozenset(base + rel for _post, _link, rel in _checked(site) if rel != _OUTSIDE)
