"""A post (or a plain page) read from a Markdown file with front matter."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from blogsite.errors import Problem, did_you_mean, display_path
from blogsite.typography import for_text

if TYPE_CHECKING:
    from blogsite.comments import Comment, CommentNode, Reactions
    from blogsite.markdown import Rendered

# Python-Markdown, YAML and the slug library are imported by the first parse_post or
# slugify, not with this module: a build that parses nothing (an unchanged site) never
# needs them, and their imports are a sixth of a second of its time.

POST_KEYS = (
    "title",
    "date",
    "updated",
    "tags",
    "summary",
    "slug",
    "draft",
    "lang",
    "image",
    "aliases",
    "syndicate",
)
PAGE_KEYS = ("title", "slug", "summary", "lang", "image", "aliases", "draft", "updated")
SLUG_RE = re.compile(r"^[\w][\w.-]*$")


class StoredRef(NamedTuple):
    """What a post loaded from the build cache carries: where its row and file are, what
    the cache knows of it (words, field-group digests), and who loads its lazy fields."""

    key: str  # its row in the cache
    path: str  # its source file, as a string (a Path is made only when asked for)
    digest: str | None  # of the file's bytes: a body read again must match it
    words: int
    groups: dict[str, str]  # digests of its field groups (blogsite.build.keys.GROUPS)
    loader: Any  # (post, lazy field name) -> value (blogsite.build.posts.Contents)


def _slugify(text: str, **options: Any) -> str:
    from slugify import slugify as python_slugify

    return python_slugify(text, **options)


def slugify(text: str) -> str:
    """Readable ASCII slug: "Influence, réputation ... le succès" -> "influence-...-le-succes"."""
    return _slugify(text, max_length=80, word_boundary=True) or "post"


@dataclass(frozen=True)
class Post:
    source: Path
    title: str
    slug: str
    lang: str
    body: str
    html: str
    toc: str
    summary_html: str
    teaser: str  # plain text summary for meta tags, feeds and announcements
    date: datetime | None = None
    updated: datetime | None = None
    tags: tuple[str, ...] = ()
    draft: bool = False
    image: str | None = None
    aliases: tuple[str, ...] = ()
    syndicate: bool | tuple[str, ...] = True
    # Local links with their source line, encoded (blogsite.links reads them).
    links: tuple[str, ...] = ()
    explicit_summary: bool = False
    has_more: bool = True  # more to read than the summary listings show ("Read more")
    is_page: bool = False
    url: str = ""  # site-relative path ("/2010/03/slug/"), set by the site loader
    extra: dict[str, Any] = field(default_factory=dict)
    # The approved comments shown under the post (blogsite.comments), oldest first, and
    # its likes and reposts: read from comments/ with the post, part of its cache record.
    comments: tuple[Comment, ...] = ()
    reactions: tuple[Reactions, ...] = ()
    # Set on posts from the build cache (CachedPost); never shown, compared or hashed.
    stored: StoredRef | None = field(default=None, compare=False, repr=False)

    @property
    def comment_count(self) -> int:
        """Comments shown, mentions (pingbacks) left out."""
        return sum(1 for c in self.comments if c.kind == "comment")

    @property
    def comment_thread(self) -> tuple[CommentNode, ...]:
        from blogsite.comments import thread

        return thread(self.comments)

    @property
    def mentions(self) -> tuple[Comment, ...]:
        return tuple(c for c in self.comments if c.kind != "comment")

    @property
    def display_title(self) -> str:
        return for_text(self.title, self.lang)

    def announces_on(self, network: str) -> bool:
        if self.syndicate is True:
            return True
        if self.syndicate is False:
            return False
        return network in self.syndicate


_UNSET = object()


class _Lazy:
    """A Post field read on first use (CachedPost), not kept: bodies stay out of memory."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.slot = "_lazy_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self.slot, _UNSET)
        return obj._load(self.name) if value is _UNSET else value

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not _UNSET:
            obj.__dict__[self.slot] = value


class _Source:
    """CachedPost.source: a Path made on first use from its stored path string."""

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        state = obj.__dict__
        found = state.get("_source")
        if found is None:
            found = state["_source"] = Path(state["stored"].path)
        return found

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_source"] = Path(value)


class CachedPost(Post):
    """A Post from the build cache: `html`, `toc` and `body` are loaded when first read.

    Build with `CachedPost.lazy(stored, fields)`; `stored.loader` gets the post and a field
    name and returns its value. Do not compare or hash these posts (that would load every
    body): the build never does.
    """

    html = _Lazy("html")
    toc = _Lazy("toc")
    body = _Lazy("body")
    summary_html = _Lazy("summary_html")
    teaser = _Lazy("teaser")
    source = _Source()

    @classmethod
    def lazy(cls, stored: StoredRef, fields: dict[str, Any]) -> CachedPost:
        """`fields`: every field but LAZY_FIELDS, source and stored (url may be left out)."""
        post = object.__new__(cls)  # no __init__: 10,000 of these on every build
        state = post.__dict__
        state.update(fields)
        state["stored"] = stored
        if len(state) != _EAGER_COUNT:
            for f in dataclasses.fields(Post):
                if f.name not in state and f.name not in (*LAZY_FIELDS, "source"):
                    if f.default is not dataclasses.MISSING:
                        state[f.name] = f.default
                    elif f.default_factory is not dataclasses.MISSING:
                        state[f.name] = f.default_factory()
                    else:
                        raise TypeError(f"missing field {f.name}")
        return post

    def _load(self, name: str) -> Any:
        return self.__dict__["stored"].loader(self, name)


# Fields of a CachedPost read from the cache only when a page needs them.
LAZY_FIELDS = ("html", "toc", "body", "summary_html", "teaser")
_EAGER_COUNT = len(dataclasses.fields(Post)) - len(LAZY_FIELDS) - 1  # and source


def with_url(post: Post, url: str) -> Post:
    """The post with its URL set, without reading a lazy post's body."""
    if post.url == url:
        return post
    if isinstance(post, CachedPost):
        copy = object.__new__(CachedPost)
        copy.__dict__.update(post.__dict__)
        copy.__dict__["url"] = url
        return copy
    return dataclasses.replace(post, url=url)


def replace_fields(post: Post, changes: dict[str, Any]) -> Post:
    """The post with some fields changed once the site is assembled (links resolved, tags
    spelt alike). A cached post stays lazy; its field digests (blogsite.build.keys) change with
    the fields, so every page showing it is keyed by what it now holds."""
    if not isinstance(post, CachedPost):
        return dataclasses.replace(post, **changes)
    from blogsite.build.keys import changed_groups

    copy = object.__new__(CachedPost)
    state = copy.__dict__
    state.update(post.__dict__)
    for name, value in changes.items():
        state["_lazy_" + name if name in LAZY_FIELDS else name] = value
    stored = state["stored"]
    state["stored"] = stored._replace(groups=changed_groups(stored.groups, changes))
    return copy


def source_of(post: Post) -> str:
    """The post's source file as a string, without making a cached post's Path."""
    return post.stored.path if post.stored is not None else str(post.source)


class _Reader:
    """Reads one file's front matter, collecting every problem instead of stopping."""

    def __init__(self, path: Path, fm_lines: dict[str, int], problems: list[Problem]):
        self.path = path
        self.lines = fm_lines
        self.problems = problems

    def error(self, key: str | None, message: str, hint: str = "") -> None:
        line = self.lines.get(key) if key else None
        self.problems.append(Problem(display_path(self.path), message, hint, line))

    def warn(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(display_path(self.path), message, hint, self.lines.get(key), warning=True)
        )


def _text(reader: _Reader, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        reader.error(key, f"`{key}` must be text", f'for example: {key}: "…"')
        return None
    return value.strip()


def _str_list(reader: _Reader, data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        # "tags: twitter, musique" is a common hand-written form; accept it.
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        reader.error(key, f"`{key}` must be a list of text", f"for example: {key}: [twitter, musique]")
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def parse_date(
    reader: _Reader, data: dict[str, Any], key: str, zone: ZoneInfo
) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    hint = f"write {key}: 2010-03-08 or {key}: 2010-03-08T14:30:00+01:00"
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time(0, 0))
    elif isinstance(value, time):
        reader.error(key, f"`{key}` is a time without a day", hint)
        return None
    elif isinstance(value, str):
        raw = value.strip()
        candidate = raw.replace(" ", "T", 1) if re.match(r"^\d{4}-\d\d-\d\d \d", raw) else raw
        candidate = re.sub(r"Z$", "+00:00", candidate)
        # Hugo (Go's time parser) accepts a single-digit hour: 2014-05-02T8:09:26.
        candidate = re.sub(r"^(\d{4}-\d\d-\d\dT)(\d):", r"\g<1>0\2:", candidate)
        try:
            result = datetime.fromisoformat(candidate)
        except ValueError:
            if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", raw):
                reader.error(key, f"`{key}` {raw!r} is not a real date", "check the day and month; " + hint)
            else:
                reader.error(key, f"`{key}` {raw!r} is not a date", hint)
            return None
    else:
        reader.error(key, f"`{key}` must be a date, not {value!r}", hint)
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=zone)
    if not _within_calendar(result):
        reader.error(
            key,
            f"`{key}` {result.isoformat()} is too close to the limits of the calendar "
            "(years 1 to 9999) to be shown in every time zone",
            f"use a moment between {DATE_MIN.date().isoformat()} and "
            f"{DATE_MAX.date().isoformat()} (UTC)",
        )
        return None
    return result


# Pages, feeds and sorting show a date in the site's zone, in UTC and as a timestamp: a
# day's margin inside Python's calendar keeps every time zone (at most 26 hours apart) in it.
DATE_MIN = datetime(1, 1, 2, tzinfo=UTC)
DATE_MAX = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)


def _within_calendar(moment: datetime) -> bool:
    try:
        return DATE_MIN <= moment.astimezone(UTC) <= DATE_MAX
    except (OverflowError, ValueError):
        return False


FILE_NAME_DATE_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)-(.+)$")


@dataclass(frozen=True)
class FileNameDate:
    """The date and slug a `2015-03-08-my-post.md` file name carries, as in Jekyll and Pelican."""

    date: datetime
    slug: str


def file_name_date(path: Path, zone: ZoneInfo) -> FileNameDate | None:
    """The date (midnight in `zone`) and slug of a dated file name, or None."""
    m = FILE_NAME_DATE_RE.match(path.stem)
    if not m:
        return None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    when = datetime.combine(day, time(0, 0), tzinfo=zone)
    if not _within_calendar(when):
        return None  # as if the name had no date: the post's own `date` is asked for
    return FileNameDate(when, slugify(m.group(4)))


def _plain(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    import html as _html

    return re.sub(r"\s+", " ", _html.unescape(text)).strip()


def parse_post(  # noqa: C901, PLR0915 - one check per front-matter key, in file order
    path: Path,
    *,
    zone: ZoneInfo,
    default_lang: str,
    is_page: bool = False,
    problems: list[Problem],
    raw: bytes | None = None,
) -> Post | None:
    """Parse one file; append problems (errors and warnings) and return None on errors."""
    start = len([p for p in problems if not p.warning])
    # display_path costs a resolve(): only on the (rare) error paths, below.
    try:
        data_bytes = raw if raw is not None else path.read_bytes()
    except OSError as exc:
        problems.append(
            Problem(display_path(path), f"cannot read the file: {exc.strerror}", "check its permissions")
        )
        return None
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                display_path(path),
                f"the file is not UTF-8 (byte 0x{data_bytes[exc.start]:02x} at offset {exc.start})",
                "re-save it as UTF-8 in your editor (it is probably Latin-1 or Windows-1252)",
                line,
            )
        )
        return None
    text = text.replace("\r\n", "\n")
    from blogsite.frontmatter import FrontMatterError, split_front_matter

    try:
        fm = split_front_matter(text)
    except FrontMatterError as exc:
        problems.append(Problem(display_path(path), exc.message, exc.hint, exc.line))
        return None
    reader = _Reader(path, fm.key_lines, problems)
    data = fm.data
    if fm.fmt == "none":
        reader.error(
            None,
            "no front matter found",
            "did you forget to add `---` lines? A post starts with:\n"
            "  ---\n  title: My post\n  date: 2010-03-08\n  ---",
        )
        problems[-1] = Problem(display_path(path), problems[-1].message, problems[-1].hint, 1)
        return None

    allowed = PAGE_KEYS if is_page else POST_KEYS
    for key in data:
        if key not in allowed:
            reader.warn(key, f"unknown front-matter key `{key}`", did_you_mean(key, allowed))

    title = _text(reader, data, "title")
    if not title:
        reader.error(
            "title" if "title" in data else None,
            "the post has no title" if not is_page else "the page has no title",
            'add a line `title: "…"` to the front matter',
        )
        if "title" not in data:
            problems[-1] = Problem(display_path(path), problems[-1].message, problems[-1].hint, 2)
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        reader.error("draft", "`draft` must be true or false", "for example: draft: true")
        draft = False
    lang = _text(reader, data, "lang") or default_lang
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", lang):
        reader.error("lang", f"`lang` {lang!r} is not a BCP 47 language tag", "for example: lang: fr")
        lang = default_lang
    post_date = None
    updated = parse_date(reader, data, "updated", zone)
    named = file_name_date(path, zone) if "date" not in data and not is_page else None
    if not is_page:
        post_date = parse_date(reader, data, "date", zone) if named is None else named.date
        if post_date is None and "date" not in data and not draft:
            reader.error(
                None,
                "the post has no date",
                "add a line like `date: 2010-03-08` (or `draft: true` while you write it),"
                " or name the file like 2010-03-08-my-post.md",
            )
            problems[-1] = Problem(display_path(path), problems[-1].message, problems[-1].hint, 2)
    slug_value = _text(reader, data, "slug")
    if slug_value is not None:
        if not SLUG_RE.match(slug_value) or ".." in slug_value:
            reader.error(
                "slug",
                f"slug {slug_value!r} is not allowed: it could escape the output folder"
                if ("/" in slug_value or ".." in slug_value or "\\" in slug_value)
                else f"slug {slug_value!r} is not allowed",
                "use letters, digits, '-', '_' and '.', like slug: mon-article",
            )
        slug = slug_value
    elif named is not None:
        slug = named.slug
    else:
        # A title of emoji or symbols has no transliteration: fall back to the file name,
        # which is unique in the folder, rather than one shared "post".
        slug = _slugify(title or "", max_length=80, word_boundary=True) or slugify(path.stem)
    tags = _str_list(reader, data, "tags") if not is_page else ()
    aliases = _str_list(reader, data, "aliases")
    for alias in aliases:
        if not alias.startswith("/") or ".." in alias.split("/"):
            reader.error(
                "aliases",
                f"alias {alias!r} must be a site path starting with /",
                "for example: aliases: [/2010/03/old-title.html]",
            )
    image = _text(reader, data, "image")
    syndicate: bool | tuple[str, ...] = True
    if "syndicate" in data:
        value = data["syndicate"]
        if isinstance(value, bool):
            syndicate = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            from blogsite.config import NETWORKS

            for v in value:
                if v not in NETWORKS:
                    reader.error(
                        "syndicate", f"unknown network {v!r} in `syndicate`", did_you_mean(v, NETWORKS)
                    )
            syndicate = tuple(value)
        else:
            reader.error(
                "syndicate",
                "`syndicate` must be false or a list of networks",
                "for example: syndicate: [mastodon, bluesky]",
            )
    summary = _text(reader, data, "summary")

    if len([p for p in problems if not p.warning]) > start:
        return None
    from blogsite.markdown import render_inline, render_markdown

    rendered: Rendered = render_markdown(fm.body, lang)
    if summary:
        summary_html = render_inline(summary, lang)
    else:
        summary_html = rendered.summary_html
    teaser = _plain(summary_html)
    from blogsite.links import Sources, extract

    links = extract(
        Sources(
            fm.body, fm.body_line, rendered.html, summary_html if summary else "",
            fm.key_lines.get("summary"), image, fm.key_lines.get("image"),
        )
    )
    return Post(
        source=path,
        title=title or "",
        slug=slug,
        lang=lang,
        body=fm.body,
        html=rendered.html,
        toc=rendered.toc,
        summary_html=summary_html,
        teaser=teaser,
        date=post_date,
        updated=updated,
        tags=tags,
        draft=draft,
        image=image,
        aliases=aliases,
        syndicate=syndicate,
        links=links,
        explicit_summary=bool(summary),
        # A summary of its own is a teaser: whatever the body holds is more to read.
        has_more=bool(rendered.html.strip()) if summary else rendered.has_more,
        is_page=is_page,
    )
