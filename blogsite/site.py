"""The loaded site: posts, pages, tags and archives. It reads sources and renders nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from blogsite.comments import attach, folder_for
from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.files import tree_files
from blogsite.post import Post, parse_post, slugify, with_url

POSTS_DIR = "posts"
PAGES_DIR = "pages"
STATIC_DIR = "static"


@dataclass(frozen=True)
class Tag:
    name: str
    slug: str
    posts: tuple[Post, ...]

    @property
    def url(self) -> str:
        return f"/tags/{self.slug}/"


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    posts: tuple[Post, ...]

    @property
    def url(self) -> str:
        return f"/archives/{self.year}/{self.month:02d}/"


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]

    @property
    def url(self) -> str:
        return f"/archives/{self.year}/"

    @property
    def posts(self) -> tuple[Post, ...]:
        return tuple(p for m in self.months for p in m.posts)


@dataclass(frozen=True)
class Site:
    config: Config
    posts: tuple[Post, ...]  # shown on the site, newest first
    all_posts: tuple[Post, ...]  # every parsed post, drafts and future ones included
    pages: tuple[Post, ...]
    tags: tuple[Tag, ...]
    years: tuple[Year, ...]
    now: datetime
    include_drafts: bool
    warnings: tuple[Problem, ...] = field(default_factory=tuple)

    def is_published(self, post: Post) -> bool:
        return is_published(post, self.now)


class _Deferred:
    """A field of a LazySite: the real site is loaded the first time one is read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        state = obj.__dict__
        real = state.get("_site")
        if real is None:
            if self.name == "posts":  # its length is known without loading anything
                return _CountedPosts(state["_count"], obj._load)
            real = obj._load()
        return getattr(real, self.name)

    def __set__(self, obj, value) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {self.name!r}")


class _CountedPosts(Sequence):
    """LazySite.posts before loading: len() is free, anything else loads the site."""

    def __init__(self, count: int, load) -> None:
        self._count = count
        self._load = load

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._load().posts[index]

    def __iter__(self):
        return iter(self._load().posts)

    def __eq__(self, other: object) -> bool:
        return self._load().posts == other

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a list is: the standard idiom

    def __repr__(self) -> str:
        return repr(self._load().posts)


class LazySite(Site):
    """The site as a build that found nothing changed returns it: posts are read from the
    cache only if the caller looks at them (`len(site.posts)` and the warnings are known)."""

    posts = _Deferred("posts")
    all_posts = _Deferred("all_posts")
    pages = _Deferred("pages")
    tags = _Deferred("tags")
    years = _Deferred("years")

    @classmethod
    def deferred(
        cls,
        config: Config,
        *,
        now: datetime,
        include_drafts: bool,
        warnings: tuple[Problem, ...],
        count: int,
        load,
    ) -> LazySite:
        site = object.__new__(cls)
        site.__dict__.update(
            config=config, now=now, include_drafts=include_drafts, warnings=warnings,
            _count=count, _loader=load, _site=None,
        )
        return site

    def _load(self) -> Site:
        real = self.__dict__["_site"]
        if real is None:
            real = self.__dict__["_site"] = self.__dict__["_loader"]()
        return real


def is_published(post: Post, now: datetime) -> bool:
    return not post.draft and post.date is not None and post.date <= now


def post_url(config: Config, post: Post) -> str:
    return url_maker(config)(post.date, post.slug, post.lang)


def url_maker(config: Config):
    """post_url as a function of (date, slug, lang), with the settings read once."""
    zone = config.zone
    permalink = config.site.permalink
    epoch = datetime(1970, 1, 1, tzinfo=zone)

    def make(date: datetime | None, slug: str, lang: str) -> str:
        when = (date or epoch).astimezone(zone)
        return permalink.format(
            year=f"{when.year:04d}",
            month=f"{when.month:02d}",
            day=f"{when.day:02d}",
            slug=slug,
            lang=lang,
        )

    return make


def source_files(folder: Path) -> list[Path]:
    """Markdown files under `folder` (hidden folders and files skipped), in path order."""
    return [folder / rel for rel in source_names(folder)]


def source_names(folder: Path) -> list[str]:
    """source_files as "/"-separated paths relative to `folder`."""
    # Directory links are not followed, as Path.rglob (3.11) does not.
    return tree_files(folder, (".md", ".markdown"), follow_dir_links=False)


def load_site(
    config: Config,
    *,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    parse=parse_post,
) -> Site:
    """Read every post and page; raise BlogsiteError with every problem found."""
    problems: list[Problem] = []
    posts: list[Post] = []
    pages: list[Post] = []
    root = config.root
    zone = config.zone
    lang = config.site.language
    for path in source_files(root / POSTS_DIR):
        post = parse(path, zone=zone, default_lang=lang, problems=problems)
        folder = folder_for(root, path.relative_to(root / POSTS_DIR).as_posix())
        if post is not None and folder.is_dir():
            post = attach(post, folder, problems)
        if post is not None:
            posts.append(post)
    for path in source_files(root / PAGES_DIR):
        page = parse(path, zone=zone, default_lang=lang, is_page=True, problems=problems)
        if page is not None:
            pages.append(page)
    return assemble_site(
        config, posts, pages, problems, include_drafts=include_drafts, strict=strict, now=now
    )


def assemble_site(
    config: Config,
    posts: list[Post],
    pages: list[Post],
    problems: list[Problem],
    *,
    include_drafts: bool = False,
    strict: bool = False,
    now: datetime | None = None,
    urls_known: bool = False,
) -> Site:
    """The site from parsed posts and pages (in file order) and the problems met parsing.
    With urls_known, their `url` is already set (by the build cache, with url_maker)."""
    now = now or datetime.now(UTC)
    if not urls_known:
        make_url = url_maker(config)
        posts = [with_url(p, make_url(p.date, p.slug, p.lang)) for p in posts]
        pages = [with_url(p, f"/{p.slug}/") for p in pages]
    from blogsite.links import resolve
    from blogsite.tags import unify

    posts, pages = resolve(unify(posts, problems), pages, config.base_path, problems)
    _check_urls(posts, pages, problems)
    errors = [p for p in problems if not p.warning or strict]
    if errors:
        if strict:
            problems = [p.as_error() for p in problems]
        raise BlogsiteError(problems)

    # (p.date or now, p.slug), as timestamps: the same order (all dates carry their zone),
    # without comparing 10,000 datetimes.
    moment = now.timestamp()
    posts.sort(key=lambda p: (p.date.timestamp() if p.date else moment, p.slug), reverse=True)
    shown = tuple(p for p in posts if include_drafts or is_published(p, now))
    pages_shown = tuple(p for p in pages if include_drafts or not p.draft)
    return Site(
        config=config,
        posts=shown,
        all_posts=tuple(posts),
        pages=tuple(sorted(pages_shown, key=lambda p: p.slug)),
        tags=_tags(shown),
        years=_years(shown, config),
        now=now,
        include_drafts=include_drafts,
        warnings=tuple(p for p in problems if p.warning),
    )


RESERVED = ("/tags/", "/archives/", "/page/", "/static/")


def _check_urls(posts: list[Post], pages: list[Post], problems: list[Problem]) -> None:
    owners: dict[str, Post] = {}
    for item in [*posts, *pages]:
        for url, what in [(item.url, "URL"), *[(a, "alias") for a in item.aliases]]:
            key = url if url.endswith("/") or "." in url.rsplit("/", 1)[-1] else url + "/"
            other = owners.get(key)
            if other is not None and other is not item:
                problems.append(
                    Problem(
                        display_path(item.source),
                        f"its {what} {url} is already used by {display_path(other.source)}",
                        "give one of them another `slug` (or remove the duplicate alias)",
                    )
                )
            else:
                owners[key] = item
            if item.is_page and any(key.startswith(r) for r in RESERVED) or key == "/":
                problems.append(
                    Problem(
                        display_path(item.source),
                        f"its {what} {url} is reserved for the site's own pages",
                        "choose another `slug`",
                    )
                )


@lru_cache(maxsize=4096)
def tag_slug(name: str) -> str:
    return slugify(name)


def _tags(posts: tuple[Post, ...]) -> tuple[Tag, ...]:
    names: dict[str, str] = {}
    members: dict[str, list[Post]] = {}
    for post in posts:
        seen: set[str] = set()  # a post listed once per tag, even if named twice
        for name in post.tags:
            slug = tag_slug(name)
            names.setdefault(slug, name)
            bucket = members.setdefault(slug, [])
            if slug not in seen:
                seen.add(slug)
                bucket.append(post)
    return tuple(
        Tag(names[slug], slug, tuple(members[slug]))
        for slug in sorted(members, key=lambda s: names[s].casefold())
    )


def _years(posts: tuple[Post, ...], config: Config) -> tuple[Year, ...]:
    by_month: dict[tuple[int, int], list[Post]] = {}
    for post in posts:
        if post.date is None:
            continue
        d = post.date.astimezone(config.zone)
        by_month.setdefault((d.year, d.month), []).append(post)
    years: dict[int, list[Month]] = {}
    for (y, m) in sorted(by_month, reverse=True):
        years.setdefault(y, []).append(Month(y, m, tuple(by_month[(y, m)])))
    return tuple(Year(y, tuple(ms)) for y, ms in years.items())
