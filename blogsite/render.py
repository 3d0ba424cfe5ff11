"""Turning a loaded Site into the list of output files (path -> bytes). Writes nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import html as _html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from blogsite import __version__
from blogsite.author import site_author
from blogsite.build.keys import ALL, Fingerprints, Whole, plain_groups, template_attrs
from blogsite.errors import BlogsiteError, Problem
from blogsite.i18n import count_of, count_posts, long_date, month_name, translate
from blogsite.images import Image, SiteImages
from blogsite.post import Post
from blogsite.site import STATIC_DIR, Site, Tag, tag_slug
from blogsite.theme import Theme, render_problem
from blogsite.typography import for_text


@dataclass(frozen=True)
class Output:
    path: str  # relative to the output folder, "/"-separated
    render: Callable[[], bytes] | None = None
    source: Path | None = None  # a file copied as it is
    # What the bytes depend on (blogsite.build.keys): equal keys, equal bytes. None, or a key
    # function returning None, means "render it every time".
    key: Callable[[], str | None] | None = None


class _Feeds:
    """blogsite.feeds, imported when a feed is rendered: it loads feedgen and lxml, which a
    build that renders no feed does not need."""

    def __getattr__(self, name: str) -> Any:
        from blogsite import feeds as module

        return getattr(module, name)


feeds = _Feeds()


_SCHEME = re.compile(r"^[a-z]+:")


def url_to_file(url: str) -> str:
    path = url.lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


def alias_file(alias: str) -> str:
    """/2010/03/old.html -> that file; /old/ and /old -> old/index.html."""
    last = alias.rstrip("/").rpartition("/")[2]
    return url_to_file(alias if alias.endswith("/") or "." in last else alias + "/")


# The feeds of the blogging platforms people move from, sent to this site's feeds (in
# _redirects, when no post or page of the site uses the address).
OLD_FEEDS = (
    ("/feeds/posts/default", "/atom.xml"), ("/feeds/posts/default/", "/atom.xml"),
    ("/feeds/posts/summary", "/atom.xml"), ("/feed", "/rss.xml"), ("/feed/", "/rss.xml"),
    ("/rss", "/rss.xml"), ("/rss/", "/rss.xml"),
)


def redirects(site: Site, base_path: str) -> list[tuple[str, str]]:
    """(old path, new path) for every alias of the site, then the old feeds."""
    from urllib.parse import quote

    def encoded(path: str) -> str:
        return quote(base_path.rstrip("/") + path, safe="/%:@&=+$,;~!*'()-._")

    moves = [(encoded(a), encoded(item.url)) for item in [*site.posts, *site.pages] for a in item.aliases]
    taken = {item.url for item in [*site.posts, *site.pages]} | {a for item in [*site.posts, *site.pages]
                                                                  for a in item.aliases}
    moves += [(encoded(old), encoded(new)) for old, new in OLD_FEEDS if old not in taken]
    return moves


def redirects_file(moves: list[tuple[str, str]]) -> bytes:
    """`_redirects` (Netlify, Cloudflare Pages, GitLab Pages): one permanent move a line."""
    lines = ["# Old addresses, moved permanently (written by blogsite from the posts' aliases)."]
    lines += [f"{old} {new} 301" for old, new in moves]
    return ("\n".join(lines) + "\n").encode("utf-8")


class Renderer:
    def __init__(self, site: Site, theme: Theme, syndication: Callable[[Post], list] | None = None):
        self.site = site
        self.config = site.config
        self.theme = theme
        self.syndication = syndication or (lambda post: [])
        self.base_path = self.config.base_path
        self.lang = self.config.site.language
        self.images = SiteImages(self.config.root / STATIC_DIR, theme.static_files(), self.url)
        self.fingerprints = Fingerprints(site.is_published, plain_groups, self._shown)
        self._bases: dict[tuple[str, str], tuple[frozenset[str], bytes | None]] = {}
        self._post_tags_memo: dict[tuple[str, ...], list[Tag]] = {}
        self.template_memo: dict[str, list] = {}  # template analyses, kept by the build cache
        self._sources: dict[str, str] = {}
        self._globals_memo: dict[str, dict[str, Any]] = {}
        self._tag_index: dict[str, int] | None = None  # tag slug -> its index
        self._config_key = repr(
            (
                self.config.site, self.config.build, self.config.publish, self.config.social,
                self.config.author, self.config.extra,
            )
        )

    # ----- helpers exposed to templates
    def url(self, path: str) -> str:
        if path[:1] == "/" and path[:2] != "//":  # the usual site path: no scheme to look for
            return self.base_path + path.lstrip("/")
        if _SCHEME.match(path) or path.startswith("//"):
            return path
        return self.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        return self.config.base_url + path.lstrip("/")  # feeds.abs_url, without importing it

    def image_url(self, image: str) -> str:
        """feeds.image_url, without importing feeds (feedgen and lxml) for a page."""
        if re.match(r"^https?://", image):
            return image
        return self.abs_url(image)

    def cover(self, post: Post) -> Image | None:
        """The post's `image` as its cover: None without one, or when its file is missing."""
        return self.images.find(post.image) if post.image else None

    def _shown(self, post: Post) -> bytes:
        return self.images.key(post.image)

    def _globals(self, lang: str) -> dict[str, Any]:
        site = self.config.site
        return {
            "site": site,
            "author": site_author(self.config, self.images),
            "extra": self.config.extra,
            "cover": self.cover,
            "site_title": for_text(site.title, site.language),
            "lang": lang,
            "colon": "\u00a0:" if lang.lower().split("-")[0] == "fr" else ":",
            "t": lambda text, **kw: translate(text, lang, **kw),
            "url": self.url,
            "abs_url": self.abs_url,
            "long_date": lambda when: long_date(when.astimezone(self.config.zone), lang),
            "iso": lambda when: when.isoformat(),
            "count_posts": lambda n: count_posts(n, lang),
            "count_of": lambda n, what: count_of(n, what, lang),
            "month_name": lambda y, m: month_name(y, m, lang),
            "typo": lambda text: for_text(text, lang),
            "pages": self.site.pages,
            "asset_version": self.theme.fingerprint[:10],
            "version": __version__,
            "feeds": [
                ("application/rss+xml", "RSS", "/rss.xml"),
                ("application/atom+xml", "Atom", "/atom.xml"),
                ("application/feed+json", "JSON Feed", "/feed.json"),
            ],
            # The newest post's year, not the clock's: an unchanged site rebuilds identically.
            "now_year": (
                self.site.posts[0].date.astimezone(self.config.zone).year
                if self.site.posts and self.site.posts[0].date
                else 1970
            ),
            "site_has_tags": bool(self.site.tags),
            "is_published": self.site.is_published,
        }

    def template_key(self, name: str, lang: str | None, context: Any) -> str | None:
        """The key of a template page: its templates' sources, the globals, the data."""
        base = self._base(name, lang or self.lang)
        if base is None:
            return None
        attrs, digest = base
        return self.fingerprints.key(digest, context, attrs=attrs)

    def _base(self, name: str, lang: str) -> tuple[frozenset[str], bytes] | None:
        """(attributes the template may read, digest of its sources, globals and settings)."""
        base = self._bases.get((name, lang))
        if base is None:
            try:
                attrs, names, read = template_attrs(self.theme.env, name, self.template_memo)
                sources = [self._source_digest(n) for n in names]
            except Exception:  # noqa: BLE001 - a missing or broken template renders (and fails)
                return None
            # Only the globals the templates read: a global that changes (the year of the
            # newest post) must not re-render pages whose templates never show it.
            data = {
                k: v for k, v in self._globals(lang).items()
                if not callable(v) and (read is ALL or k in read)
            }
            digest = self.fingerprints.digest(
                "page", __version__, self._config_key, name, lang, sources, data, attrs=attrs
            )
            base = self._bases[(name, lang)] = (attrs, digest)
        if base[1] is None:
            return None
        return base  # type: ignore[return-value]  # base[1] is not None here: a str

    def reads_source(self) -> bool:
        """Whether a template of the theme may show a post's file path (`post.source`, or
        reads it in a way the analysis cannot follow). Keys then hold the site's folder;
        otherwise nothing a page shows does, and a clone elsewhere keeps every key."""
        for name in sorted(self.theme.template_files()):
            try:
                attrs, _names, _read = template_attrs(self.theme.env, name, self.template_memo)
            except Exception:  # noqa: BLE001 - a broken template: assume the worst
                return True
            if "source" in attrs or "*" in attrs:
                return True
        return False

    def _source_digest(self, name: str) -> str:
        found = self._sources.get(name)
        if found is None:
            loader = self.theme.env.loader
            assert loader is not None  # Theme always sets one
            source, _filename, _uptodate = loader.get_source(self.theme.env, name)
            found = self._sources[name] = hashlib.blake2b(source.encode()).hexdigest()
        return found

    def _page(
        self, path: str, template: str, lang: str | None, context: Callable[[], dict[str, Any]]
    ) -> Output:
        return Output(
            path,
            lambda: self.render_template(template, lang, **context()),
            key=lambda: self.template_key(template, lang, context()),
        )

    def _data(self, path: str, render: Callable[[], bytes], *parts: Any) -> Output:
        """An output rendered by Python code from `parts` (feeds): keyed by all of them."""
        return Output(
            path,
            render,
            key=lambda: self.fingerprints.key(
                "data", __version__, self._config_key, path, *parts, attrs=DATA_ATTRS
            ),
        )

    def render_template(self, name: str, lang: str | None = None, **context: Any) -> bytes:
        lang = lang or self.lang
        found = self._globals_memo.get(lang)
        if found is None:
            found = self._globals_memo[lang] = self._globals(lang)
        # The same globals for every page in a language: made once (lists copied, so that a
        # template changing one cannot change the next page).
        ctx = {k: (list(v) if type(v) is list else v) for k, v in found.items()}
        ctx.update(context)
        try:
            text = self.theme.get(name).render(ctx)
        except jinja2.TemplateSyntaxError as exc:
            from blogsite.theme import template_problem

            raise BlogsiteError([template_problem(exc)]) from None
        except jinja2.TemplateNotFound as exc:
            raise BlogsiteError(
                [
                    Problem(
                        f"theme/{name}",
                        f"template {exc.name!r} not found",
                        "restore it, or delete your override so the built-in one is used",
                    )
                ]
            ) from None
        except Exception as exc:  # noqa: BLE001 - any error inside a user template
            raise BlogsiteError([render_problem(exc, name, self.theme)]) from None
        return text.encode("utf-8")

    def meta(
        self, title: str, url: str, description: str = "", kind: str = "website", **extra: Any
    ) -> dict[str, Any]:
        return {
            "title": title,
            "url": url,
            "canonical": self.abs_url(url),
            "description": description or self.config.site.description,
            "kind": kind,
            "is_home": False,
            "noindex": False,
            "image": "",
            "image_size": None,  # the Image of `image`, when its size is known
            "tag_feeds": [],
            "published": None,
            "updated": None,
            **extra,
        }

    # ----- the outputs
    def outputs(self) -> list[Output]:
        site = self.site
        out: list[Output] = []
        posts = list(site.posts)
        for index, post in enumerate(posts):
            newer = posts[index - 1] if index > 0 else None
            older = posts[index + 1] if index + 1 < len(posts) else None
            out.append(self._post_page(post, newer, older))
        for page in site.pages:
            out.append(self._page_page(page))
        out.extend(self._index_pages())
        out.extend(self._tag_pages())
        out.extend(self._archive_pages())
        out.extend(self._feeds())
        out.extend(self._aliases())
        out.append(self._not_found())
        out.append(Output("sitemap.xml", self._sitemap, key=self._sitemap_key))
        out.append(Output("robots.txt", self._robots))
        theme_static = self.theme.static_files()
        for rel, path in theme_static.items():
            out.append(Output(f"static/{rel}", source=path))
        user_static = self.config.root / STATIC_DIR
        # Browsers and feed readers ask for /favicon.ico whatever the page links to.
        if "favicon.ico" in theme_static and not (user_static / "favicon.ico").is_file():
            out.append(Output("favicon.ico", source=theme_static["favicon.ico"]))
        if user_static.is_dir():
            for path in sorted(user_static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    out.append(Output(path.relative_to(user_static).as_posix(), source=path))
        return out

    def _post_tags(self, post: Post) -> list[Tag]:
        """The site's tags named by a post, in the post's order (by name or by slug)."""
        found = self._post_tags_memo.get(post.tags)
        if found is None:
            found = self._post_tags_memo[post.tags] = self._find_tags(post.tags)
        return list(found)

    def _find_tags(self, names: tuple[str, ...]) -> list[Tag]:
        """The tags a post's names gather it in (site._tags: by slug, so "Vélo" is the
        site's "vélo"), in the order the post first names them."""
        if self._tag_index is None:
            self._tag_index = {t.slug: i for i, t in enumerate(self.site.tags)}
        found: list[int] = []
        for name in names:
            i = self._tag_index.get(tag_slug(name))
            if i is not None and i not in found:
                found.append(i)
        return [self.site.tags[i] for i in found]

    def _post_page(self, post: Post, newer: Post | None, older: Post | None) -> Output:
        def context() -> dict[str, Any]:
            image = self.image_url(post.image) if post.image else ""
            return {
                "post": post,
                "cover": self.cover(post),
                "tags": self._post_tags(post),
                "newer": newer,
                "older": older,
                "syndication": self.syndication(post),
                "reading_minutes": max(1, round(words(post) / 230)),
                "page": self.meta(
                    post.title,
                    post.url,
                    post.teaser,
                    kind="article",
                    image=image,
                    image_size=self.cover(post),
                    published=post.date,
                    updated=post.updated,
                    noindex=not self.site.is_published(post),
                ),
            }

        def key() -> str | None:
            # The inputs of context() rather than its result: cheaper for the 10,000 post
            # pages of a large site. Every value context() reads must be here: the post
            # whole (its fields make the page's metadata), what it passes on as it is
            # (fingerprinted as the templates read them), and what it computes.
            base = self._base("post.html", post.lang)
            if base is None:
                return None
            attrs, digest = base
            return self.fingerprints.key(
                digest, Whole(post), tuple(self._post_tags(post)), newer, older,
                self.syndication(post), words(post), attrs=attrs,
            )

        return Output(
            url_to_file(post.url),
            lambda: self.render_template("post.html", post.lang, **context()),
            key=key,
        )

    def _page_page(self, page: Post) -> Output:
        def context() -> dict[str, Any]:
            image = self.image_url(page.image) if page.image else ""
            return {
                "post": page,
                "cover": self.cover(page),
                "page": self.meta(
                    page.title, page.url, page.teaser, image=image, image_size=self.cover(page),
                    noindex=page.draft,
                ),
            }

        return self._page(url_to_file(page.url), "page.html", page.lang, context)

    def _paginate(self, posts: list[Post], base: str) -> list[tuple[str, list[Post], dict]]:
        size = self.config.site.paginate
        chunks = [posts[i : i + size] for i in range(0, len(posts), size)] or [[]]
        total = len(chunks)

        def page_url(n: int) -> str:
            return base if n == 1 else f"{base}page/{n}/"

        result = []
        for n, chunk in enumerate(chunks, start=1):
            pagination = {
                "n": n,
                "total": total,
                "newer": page_url(n - 1) if n > 1 else None,
                "older": page_url(n + 1) if n < total else None,
            }
            result.append((page_url(n), chunk, pagination))
        return result

    def _index_pages(self) -> list[Output]:
        out = []
        for url, chunk, pagination in self._paginate(list(self.site.posts), "/"):
            title = self.config.site.title
            if pagination["n"] > 1:
                title = f"{title} – " + translate(
                    "Page {n} of {total}", self.lang, n=pagination["n"], total=pagination["total"]
                )

            def context(url=url, chunk=chunk, pagination=pagination, title=title) -> dict:
                return {
                    "posts": chunk,
                    "pagination": pagination,
                    "page": self.meta(title, url, is_home=pagination["n"] == 1),
                }

            out.append(self._page(url_to_file(url), "index.html", None, context))
        return out

    def _tag_pages(self) -> list[Output]:
        out = []
        tags = self.site.tags

        def index_context() -> dict[str, Any]:
            return {"tags": tags, "page": self.meta(translate("Tags", self.lang), "/tags/")}

        out.append(self._page("tags/index.html", "tags.html", None, index_context))
        for tag in tags:

            def context(tag: Tag = tag) -> dict[str, Any]:
                title = translate("Posts tagged “{tag}”", self.lang, tag=tag.name)
                return {
                    "tag": tag,
                    "posts": tag.posts,
                    "page": self.meta(
                        title,
                        tag.url,
                        tag_feeds=[
                            ("application/rss+xml", f"RSS – {tag.name}", f"{tag.url}rss.xml"),
                            ("application/atom+xml", f"Atom – {tag.name}", f"{tag.url}atom.xml"),
                        ],
                    ),
                }

            out.append(self._page(url_to_file(tag.url), "tag.html", None, context))
            posts = list(tag.posts[: self.config.site.feed_items])
            title = f"{self.config.site.title} – {tag.name}"
            page_url = self.abs_url(tag.url)
            rss_url = self.abs_url(tag.url + "rss.xml")
            atom_url = self.abs_url(tag.url + "atom.xml")
            out.append(
                self._data(
                    f"{tag.url.lstrip('/')}rss.xml",
                    partial(feeds.rss, self.config, title, page_url, rss_url, posts),
                    title, page_url, rss_url, posts,
                )
            )
            out.append(
                self._data(
                    f"{tag.url.lstrip('/')}atom.xml",
                    partial(feeds.atom, self.config, title, page_url, atom_url, posts),
                    title, page_url, atom_url, posts,
                )
            )
        return out

    def _archive_pages(self) -> list[Output]:
        out = []
        years = self.site.years

        def index_context() -> dict[str, Any]:
            return {
                "years": years,
                "page": self.meta(translate("Archives", self.lang), "/archives/"),
            }

        out.append(self._page("archives/index.html", "archives.html", None, index_context))
        for year in years:

            def year_context(year=year) -> dict[str, Any]:
                title = translate("Posts from {period}", self.lang, period=str(year.year))
                return {
                    "period": str(year.year),
                    "months": year.months,
                    "page": self.meta(title, year.url),
                }

            out.append(self._page(url_to_file(year.url), "archive.html", None, year_context))
            for month in year.months:

                def month_context(month=month) -> dict[str, Any]:
                    period = month_name(month.year, month.month, self.lang)
                    title = translate("Posts from {period}", self.lang, period=period)
                    return {
                        "period": period,
                        "months": (month,),
                        "page": self.meta(title, month.url),
                    }

                out.append(
                    self._page(url_to_file(month.url), "archive.html", None, month_context)
                )
        return out

    def _feeds(self) -> list[Output]:
        posts = list(self.site.posts[: self.config.site.feed_items])
        title = self.config.site.title
        home = self.abs_url("/")
        cfg = self.config
        rss_url = self.abs_url("/rss.xml")
        atom_url = self.abs_url("/atom.xml")
        json_url = self.abs_url("/feed.json")
        return [
            self._data(
                "rss.xml", lambda: feeds.rss(cfg, title, home, rss_url, posts),
                title, home, rss_url, posts,
            ),
            self._data(
                "atom.xml", lambda: feeds.atom(cfg, title, home, atom_url, posts),
                title, home, atom_url, posts,
            ),
            self._data(
                "feed.json", lambda: feeds.json_feed(cfg, title, home, json_url, posts),
                title, home, json_url, posts,
            ),
        ]

    def _aliases(self) -> list[Output]:
        """A redirect page at each alias (one ending in .html is that very file; one without
        an extension is a folder's index.html, which any host serves), and `_redirects`."""
        out = []
        for item in [*self.site.posts, *self.site.pages]:
            for alias in item.aliases:

                def context(item=item) -> dict[str, Any]:
                    return {
                        "target": item,
                        "page": self.meta(item.title, item.url, noindex=True),
                    }

                out.append(self._page(alias_file(alias), "redirect.html", item.lang, context))
        moves = redirects(self.site, self.base_path)
        out.append(self._data("_redirects", lambda: redirects_file(moves), moves))
        return out

    def _not_found(self) -> Output:
        def context() -> dict[str, Any]:
            return {
                "posts": list(self.site.posts[:LATEST_ON_404]),
                "page": self.meta(translate("Page not found", self.lang), "/404.html", noindex=True),
            }

        return self._page("404.html", "404.html", None, context)

    def _sitemap_key(self) -> str | None:
        """What the sitemap shows: the site's address and every post's, page's, tag's and
        year's URL and dates. Keyed, an edit of a body does not make it again (a tenth of
        the edit at 10,000 posts)."""
        site = self.site
        return self.fingerprints.key(
            "sitemap", self.abs_url("/"), tuple(site.posts), tuple(site.pages), tuple(site.tags),
            tuple(site.years), attrs=SITEMAP_ATTRS,
        )

    def _sitemap(self) -> bytes:
        entries: list[tuple[str, datetime | None]] = [("/", _latest(self.site.posts))]
        for post in self.site.posts:
            entries.append((post.url, post.updated or post.date))
        for page in self.site.pages:
            entries.append((page.url, page.updated))
        entries.append(("/tags/", None))
        for tag in self.site.tags:
            entries.append((tag.url, _latest(tag.posts)))
        entries.append(("/archives/", None))
        for year in self.site.years:
            entries.append((year.url, _latest(year.posts)))
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for url, when in entries:
            lines.append(f"  <url><loc>{_html.escape(self.abs_url(url))}</loc>")
            if when is not None:
                lines.append(f"    <lastmod>{when.isoformat()}</lastmod>")
            lines.append("  </url>")
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def _robots(self) -> bytes:
        return f"User-agent: *\nAllow: /\n\nSitemap: {self.abs_url('/sitemap.xml')}\n".encode()


SITEMAP_ATTRS = frozenset({"url", "date", "updated", "posts"})
LATEST_ON_404 = 5  # the newest posts the "page not found" page offers

# What feeds may read of a post: every field but the file's path, which they never show (so
# their keys survive a clone of the site in another folder, as a CI checkout often is).
DATA_ATTRS = frozenset(
    {f.name for f in dataclasses.fields(Post)} - {"source", "stored"} | {"display_title", "url"}
)


def words(post: Post) -> int:
    """Words in a post's body, for its reading time (kept by the cache)."""
    return post.stored.words if post.stored is not None else count_words(post.html)


def count_words(html: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", html).split())


def _latest(posts) -> datetime | None:
    dates = [p.updated or p.date for p in posts if p.date]
    return max(dates) if dates else None
