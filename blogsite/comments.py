"""Readers' comments: the `comments/` folder, read into typed values for the post pages.

One folder per post, `comments/<post path relative to posts/, without .md>/`, holds one file
per comment (`<id>.md`: YAML front matter, then the body) and optionally `reactions.yaml`
(likes and reposts from the networks). The format is described in docs/comments.md; the
importers and `blogsite replies` write it, people edit it by hand.

Everything in a comment was written by a stranger: the body is sanitized with nh3's
allow-list when it is read, and a file larger than MAX_BYTES is refused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from blogsite.errors import Problem, display_path

COMMENTS_DIR = "comments"
REACTIONS_FILE = "reactions.yaml"
# A comment body above this is refused: no reader's comment is that long, spam often is.
MAX_BYTES = 64 * 1024
ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
SOURCES = ("blogger", "wordpress", "mastodon", "bluesky", "x")
KINDS = ("comment", "pingback", "trackback", "mention")
KEYS = (
    "id", "author", "author_url", "date", "parent", "source", "url", "approved",
    "anchors", "kind", "handle", "own",
)
NETWORKS = ("mastodon", "bluesky", "x")

# What a comment body may hold: text markup and links, nothing that runs, loads or styles.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "i", "ins", "li",
    "ol", "p", "pre", "q", "s", "strong", "sub", "sup", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "q": {"cite"}}
URL_SCHEMES = {"http", "https", "mailto"}
_DEAD_LINK = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.S)
# A body with any of these is HTML; otherwise it is plain text ("<3", "a <b> c" stay as typed).
_MARKUP = re.compile(
    r"</?(?:p|br|a|b|i|u|s|q|em|strong|blockquote|div|span|ul|ol|li|pre|code|img|script|style"
    r"|iframe|sub|sup|del|ins|abbr|cite|h[1-6]|table|object|embed|svg|form|input|link|meta)\b"
    r"|<!--",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Comment:
    id: str
    author: str
    date: datetime
    body: str  # sanitized HTML
    author_url: str | None = None
    parent: str | None = None
    source: str | None = None
    url: str | None = None
    approved: bool = True
    anchors: tuple[str, ...] = ()
    kind: str = "comment"
    handle: str | None = None
    own: bool = False

    @property
    def is_mention(self) -> bool:
        return self.kind != "comment"


@dataclass(frozen=True)
class Person:
    """Someone who liked or reposted a post on a network."""

    name: str
    url: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Reactions:
    """Likes and reposts of a post on one network."""

    network: str
    likes: tuple[Person, ...] = ()
    reposts: tuple[Person, ...] = ()


@dataclass(frozen=True)
class CommentNode:
    """A comment with its replies, for the threaded display."""

    comment: Comment
    replies: tuple[CommentNode, ...]


# The types a post's fields may hold from here: the build cache stores them (blogsite.build.keys).
RECORD_TYPES: dict[str, type] = {t.__name__: t for t in (Comment, Person, Reactions)}


def folder_for(root: Path, post_rel: str) -> Path:
    """The comments folder of the post at `posts/<post_rel>`."""
    return root / COMMENTS_DIR / strip_suffix(post_rel)


def strip_suffix(post_rel: str) -> str:
    for suffix in (".md", ".markdown"):
        if post_rel.endswith(suffix):
            return post_rel[: -len(suffix)]
    return post_rel


def folder_digests(root: Path, file_digest: Callable[[str], str | None]) -> dict[str, list[str]]:
    """{post path without suffix: ["name\\0digest", ...]} for every comments folder, from the
    files directly inside it (a sub-folder belongs to another post)."""
    from blogsite.files import tree_files

    base = root / COMMENTS_DIR
    found: dict[str, list[str]] = {}
    for rel in tree_files(base):
        folder, _, name = rel.rpartition("/")
        if folder and (name.endswith(".md") or name == REACTIONS_FILE):
            found.setdefault(folder, []).append(f"{name}\0{file_digest(str(base / rel))}")
    return found


# ----- reading


def load_folder(folder: Path, problems: list[Problem]) -> tuple[list[Comment], list[Reactions]]:
    """Every comment of a folder (approved or not, in date order) and its reactions;
    problems are appended, naming the file and line."""
    comments: list[Comment] = []
    if not folder.is_dir():
        return comments, []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix == ".md" and not path.name.startswith("."):
            comment = read_comment(path, problems)
            if comment is not None:
                comments.append(comment)
    _check_unique(comments, folder, problems)
    comments.sort(key=lambda c: (c.date.timestamp(), c.id))
    reactions = read_reactions(folder / REACTIONS_FILE, problems)
    return comments, reactions


def _check_unique(comments: list[Comment], folder: Path, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for c in comments:
        if c.id in seen:
            problems.append(Problem(
                display_path(folder), f"two comments have the id {c.id!r}",
                "ids are unique within a post: rename one file and its `id`",
            ))
        seen.add(c.id)


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(display_path(path), f"cannot read the file: {exc.strerror}",
                                "check its permissions"))
        return None
    if len(raw) > MAX_BYTES:
        problems.append(Problem(
            display_path(path),
            f"the comment is {len(raw) // 1024} KB, over the {MAX_BYTES // 1024} KB limit",
            "shorten it or delete it (a comment this long is usually spam)", 1,
        ))
        return None
    try:
        return raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        problems.append(Problem(
            display_path(path), "the file is not UTF-8", "re-save it as UTF-8",
            raw[: exc.start].count(b"\n") + 1,
        ))
        return None


class _Fields:
    """The front matter of one comment file, read with errors naming their line."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[str, int],
                 problems: list[Problem]) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.problems = problems
        self.failed = False

    def error(self, key: str | None, message: str, hint: str) -> None:
        line = self.lines.get(key, 1) if key else 1
        self.problems.append(Problem(display_path(self.path), message, hint, line))
        self.failed = True

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.error(None, f"the comment has no `{key}`", f'add a line `{key}: "…"`')
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(key, f"`{key}` must be text", f'for example: {key}: "…"')
            return None
        return str(value).strip()

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"`{key}` must be true or false", f"for example: {key}: {str(default).lower()}")
            return default
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(key)
        if value is not None and value not in allowed:
            self.error(key, f"`{key}` {value!r} is not one of {', '.join(allowed)}",
                       f"for example: {key}: {allowed[0]}")
            return default
        return value if value is not None else default

    def ident(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and not ID_RE.match(value):
            self.error(key, f"`{key}` {value!r} may hold only letters, digits, '-' and '_'",
                       f'for example: {key}: "7324550912"')
            return None
        return value

    def url(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not re.match(r"^https?://", value):
            self.error(key, f"`{key}` {value!r} is not an http(s) address",
                       f'for example: {key}: "https://example.org/"')
            return None
        return value

    def when(self) -> datetime | None:
        value = self.data.get("date")
        hint = "write the date with its offset, like date: 2010-03-16T10:12:00+01:00"
        if isinstance(value, datetime):
            found: datetime | None = value
        elif isinstance(value, str):
            try:
                found = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                found = None
        else:
            found = None
        if found is None:
            message = (
                "the comment has no date" if value is None else f"`date` {value!r} is not a date and time"
            )
            self.error("date" if "date" in self.data else None, message, hint)
            return None
        if found.tzinfo is None:
            self.error("date", "`date` has no offset", hint)
            return None
        return found

    def anchors(self) -> tuple[str, ...]:
        value = self.data.get("anchors", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and ID_RE.match(v) for v in value):
            self.error("anchors", "`anchors` must be a list of names of letters, digits, '-' and '_'",
                       'for example: anchors: ["comment-45"]')
            return ()
        return tuple(value)


def read_comment(path: Path, problems: list[Problem]) -> Comment | None:
    """One comment file, or None (with problems) when it is malformed."""
    from blogsite.frontmatter import FrontMatterError, split_front_matter

    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        fm = split_front_matter(text)
    except FrontMatterError as exc:
        problems.append(Problem(display_path(path), exc.message, exc.hint, exc.line))
        return None
    if fm.fmt == "none":
        problems.append(Problem(
            display_path(path), "no front matter found",
            "a comment starts with `---`, its `id`, `author` and `date`, then `---`", 1,
        ))
        return None
    fields = _Fields(path, fm.data, fm.key_lines, problems)
    for key in fm.data:
        if key not in KEYS:
            from blogsite.errors import did_you_mean

            fields.error(key, f"unknown key `{key}` in a comment", did_you_mean(key, KEYS))
    comment = _comment(fields, sanitize(fm.body))
    if comment is not None and f"{comment.id}.md" != path.name:
        fields.error("id", f"the comment's `id` {comment.id!r} is not its file name {path.name!r}",
                     f"rename the file {comment.id}.md, or set id: \"{path.stem}\"")
    return None if fields.failed else comment


def _comment(fields: _Fields, body: str) -> Comment | None:
    ident = fields.ident("id", required=True)
    author = fields.text("author", required=True)
    when = fields.when()
    comment = Comment(
        id=ident or "", author=author or "", date=when or datetime.min, body=body,
        author_url=fields.url("author_url"), parent=fields.ident("parent"),
        source=fields.choice("source", SOURCES, None), url=fields.url("url"),
        approved=fields.flag("approved", True), anchors=fields.anchors(),
        kind=fields.choice("kind", KINDS, "comment") or "comment",
        handle=fields.text("handle"), own=fields.flag("own", False),
    )
    return None if fields.failed else comment


def sanitize(body: str) -> str:
    """A comment body as safe HTML: plain-text paragraphs become <p>, markup goes through
    nh3's allow-list (no script, style, event handler or javascript: link survives)."""
    import nh3

    text = body.strip()
    if not text:
        return ""
    if not _MARKUP.search(text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(
            "<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs
        )
    clean = nh3.clean(
        text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )
    # A link whose address the sanitizer refused (javascript:) is left without href: the
    # text stays, the link goes (an <a> without href is not valid HTML either).
    return _DEAD_LINK.sub(r"\1", clean).strip()


def read_reactions(path: Path, problems: list[Problem]) -> list[Reactions]:
    """reactions.yaml: {network: {likes: [{name, url, id}], reposts: [...]}}."""
    if not path.is_file():
        return []
    text = _read_text(path, problems)
    if text is None:
        return []
    from blogsite.frontmatter import FrontMatterError, _parse_yaml

    try:
        data = _parse_yaml(text)
    except FrontMatterError as exc:
        line = exc.line - 1 if exc.line else None  # _parse_yaml counts a front matter's `---`
        problems.append(Problem(display_path(path), exc.message.replace("front matter", "reactions"),
                                "each network is `mastodon:` with `likes:` and `reposts:` lists", line))
        return []
    found: list[Reactions] = []
    for network, value in data.items():
        reactions = _network_reactions(path, network, value, problems)
        if reactions is not None:
            found.append(reactions)
    return sorted(found, key=lambda r: r.network)


def _network_reactions(path: Path, network: str, value: Any, problems: list[Problem]) -> Reactions | None:
    line = _line_of(path, network)
    if network not in NETWORKS:
        problems.append(Problem(display_path(path), f"unknown network {network!r}",
                                "use " + ", ".join(NETWORKS), line))
        return None
    if not isinstance(value, dict) or not set(value) <= {"likes", "reposts"}:
        problems.append(Problem(display_path(path), f"`{network}` must hold `likes` and `reposts` lists",
                                'for example: likes: [{name: "…", url: "https://…"}]', line))
        return None
    people: dict[str, tuple[Person, ...]] = {}
    for kind in ("likes", "reposts"):
        found = _people(value.get(kind) or [])
        if found is None:
            problems.append(Problem(display_path(path), f"`{network}.{kind}` must be a list of "
                                    "{name, url, id}", 'for example: - {name: "Anne", url: "https://…"}',
                                    _line_of(path, kind, after=line)))
            return None
        people[kind] = found
    return Reactions(network, people["likes"], people["reposts"])


def _people(items: Any) -> tuple[Person, ...] | None:
    if not isinstance(items, list):
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        url, ident = item.get("url"), item.get("id")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://", url)):
            return None
        found.append(Person(item["name"], url, None if ident is None else str(ident)))
    return tuple(found)


def _line_of(path: Path, key: str, after: int | None = None) -> int | None:
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        if (after is None or number > after) and re.match(rf"^\s*{re.escape(key)}\s*:", line):
            return number
    return after


# ----- for the pages


def shown(comments: list[Comment]) -> tuple[Comment, ...]:
    """The comments a post page shows: the approved ones whose thread is approved too."""
    approved = {c.id: c for c in comments if c.approved}
    known = {c.id for c in comments}

    def visible(c: Comment) -> bool:
        seen = set()
        while c.parent is not None and c.parent in known and c.parent not in seen:
            seen.add(c.parent)
            parent = approved.get(c.parent)
            if parent is None:
                return False
            c = parent
        return True

    return tuple(c for c in approved.values() if visible(c))


def thread(comments: tuple[Comment, ...]) -> tuple[CommentNode, ...]:
    """Comments (not mentions) as trees, oldest first; a reply whose parent is missing
    is shown at the top level."""
    own = [c for c in comments if not c.is_mention]
    ids = {c.id for c in own}
    children: dict[str | None, list[Comment]] = {}
    for c in own:
        parent = c.parent if c.parent in ids and c.parent != c.id else None
        children.setdefault(parent, []).append(c)

    def build(parent: str | None, path: frozenset[str]) -> tuple[CommentNode, ...]:
        return tuple(
            CommentNode(c, build(c.id, path | {c.id}) if c.id not in path else ())
            for c in children.get(parent, [])
        )

    return build(None, frozenset())


def attach(post: Any, folder: Path, problems: list[Problem]) -> Any:
    """The post with the comments and reactions of `folder` (None when a file is malformed:
    the problems say which)."""
    import dataclasses

    before = len(problems)
    comments, reactions = load_folder(folder, problems)
    if len(problems) > before:
        return None
    return dataclasses.replace(post, comments=shown(comments), reactions=tuple(reactions))
