"""Turning a loaded Site into the list of output files (path -> bytes). Writes nothing."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from blogsite import __version__, feeds
from blogsite.errors import BlogsiteError, Problem
from blogsite.i18n import count_posts, long_date, month_name, translate
from blogsite.post import Post
from blogsite.site import STATIC_DIR, Site, Tag
from blogsite.theme import Theme, render_problem
from blogsite.typography import for_text


@dataclass(frozen=True)
class Output:
    path: str  # relative to the output folder, "/"-separated
    render: Callable[[], bytes] | None = None
    source: Path | None = None  # a file copied as it is


def url_to_file(url: str) -> str:
    path = url.lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


class Renderer:
    def __init__(self, site: Site, theme: Theme, syndication: Callable[[Post], list] | None = None):
        self.site = site
        self.config = site.config
        self.theme = theme
        self.syndication = syndication or (lambda post: [])
        self.base_path = self.config.base_path
        self.lang = self.config.site.language

    # ----- helpers exposed to templates
    def url(self, path: str) -> str:
        if re.match(r"^[a-z]+:", path) or path.startswith("//"):
            return path
        return self.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        return feeds.abs_url(self.config, path)

    def _globals(self, lang: str) -> dict[str, Any]:
        site = self.config.site
        return {
            "site": site,
            "site_title": for_text(site.title, site.language),
            "lang": lang,
            "colon": "\u00a0:" if lang.lower().split("-")[0] == "fr" else ":",
            "t": lambda text, **kw: translate(text, lang, **kw),
            "url": self.url,
            "abs_url": self.abs_url,
            "long_date": lambda when: long_date(when.astimezone(self.config.zone), lang),
            "iso": lambda when: when.isoformat(),
            "count_posts": lambda n: count_posts(n, lang),
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

    def render_template(self, name: str, lang: str | None = None, **context: Any) -> bytes:
        ctx = self._globals(lang or self.lang)
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
            out.append(Output(url_to_file(post.url), self._post_page(post, newer, older)))
        for page in site.pages:
            out.append(Output(url_to_file(page.url), self._page_page(page)))
        out.extend(self._index_pages())
        out.extend(self._tag_pages())
        out.extend(self._archive_pages())
        out.extend(self._feeds())
        out.extend(self._aliases())
        out.append(Output("404.html", self._not_found()))
        out.append(Output("sitemap.xml", self._sitemap))
        out.append(Output("robots.txt", self._robots))
        for rel, path in self.theme.static_files().items():
            out.append(Output(f"static/{rel}", source=path))
        user_static = self.config.root / STATIC_DIR
        if user_static.is_dir():
            for path in sorted(user_static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    out.append(Output(path.relative_to(user_static).as_posix(), source=path))
        return out

    def _post_page(self, post: Post, newer: Post | None, older: Post | None):
        def render() -> bytes:
            tags = [t for t in self.site.tags if t.name in post.tags or t.slug in post.tags]
            tags.sort(key=lambda t: [*post.tags].index(t.name) if t.name in post.tags else 0)
            image = feeds.image_url(self.config, post.image) if post.image else ""
            words = len(re.sub(r"<[^>]+>", " ", post.html).split())
            return self.render_template(
                "post.html",
                lang=post.lang,
                post=post,
                tags=tags,
                newer=newer,
                older=older,
                syndication=self.syndication(post),
                reading_minutes=max(1, round(words / 230)),
                page=self.meta(
                    post.title,
                    post.url,
                    post.teaser,
                    kind="article",
                    image=image,
                    published=post.date,
                    updated=post.updated,
                    noindex=not self.site.is_published(post),
                ),
            )

        return render

    def _page_page(self, page: Post):
        def render() -> bytes:
            image = feeds.image_url(self.config, page.image) if page.image else ""
            return self.render_template(
                "page.html",
                lang=page.lang,
                post=page,
                page=self.meta(page.title, page.url, page.teaser, image=image, noindex=page.draft),
            )

        return render

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

            def render(url=url, chunk=chunk, pagination=pagination, title=title) -> bytes:
                return self.render_template(
                    "index.html",
                    posts=chunk,
                    pagination=pagination,
                    page=self.meta(title, url, is_home=pagination["n"] == 1),
                )

            out.append(Output(url_to_file(url), render))
        return out

    def _tag_pages(self) -> list[Output]:
        out = []
        tags = self.site.tags

        def render_index() -> bytes:
            return self.render_template(
                "tags.html",
                tags=tags,
                page=self.meta(translate("Tags", self.lang), "/tags/"),
            )

        out.append(Output("tags/index.html", render_index))
        for tag in tags:

            def render(tag: Tag = tag) -> bytes:
                title = translate("Posts tagged “{tag}”", self.lang, tag=tag.name)
                return self.render_template(
                    "tag.html",
                    tag=tag,
                    posts=tag.posts,
                    page=self.meta(
                        title,
                        tag.url,
                        tag_feeds=[
                            ("application/rss+xml", f"RSS – {tag.name}", f"{tag.url}rss.xml"),
                            ("application/atom+xml", f"Atom – {tag.name}", f"{tag.url}atom.xml"),
                        ],
                    ),
                )

            out.append(Output(url_to_file(tag.url), render))
            posts = list(tag.posts[: self.config.site.feed_items])
            title = f"{self.config.site.title} – {tag.name}"
            page_url = self.abs_url(tag.url)
            out.append(
                Output(
                    f"{tag.url.lstrip('/')}rss.xml",
                    lambda t=title, u=page_url, s=tag, p=posts: feeds.rss(
                        self.config, t, u, self.abs_url(s.url + "rss.xml"), p
                    ),
                )
            )
            out.append(
                Output(
                    f"{tag.url.lstrip('/')}atom.xml",
                    lambda t=title, u=page_url, s=tag, p=posts: feeds.atom(
                        self.config, t, u, self.abs_url(s.url + "atom.xml"), p
                    ),
                )
            )
        return out

    def _archive_pages(self) -> list[Output]:
        out = []
        years = self.site.years

        def render_index() -> bytes:
            return self.render_template(
                "archives.html",
                years=years,
                page=self.meta(translate("Archives", self.lang), "/archives/"),
            )

        out.append(Output("archives/index.html", render_index))
        for year in years:

            def render_year(year=year) -> bytes:
                title = translate("Posts from {period}", self.lang, period=str(year.year))
                return self.render_template(
                    "archive.html",
                    period=str(year.year),
                    months=year.months,
                    page=self.meta(title, year.url),
                )

            out.append(Output(url_to_file(year.url), render_year))
            for month in year.months:

                def render_month(month=month) -> bytes:
                    period = month_name(month.year, month.month, self.lang)
                    title = translate("Posts from {period}", self.lang, period=period)
                    return self.render_template(
                        "archive.html",
                        period=period,
                        months=(month,),
                        page=self.meta(title, month.url),
                    )

                out.append(Output(url_to_file(month.url), render_month))
        return out

    def _feeds(self) -> list[Output]:
        posts = list(self.site.posts[: self.config.site.feed_items])
        title = self.config.site.title
        home = self.abs_url("/")
        cfg = self.config
        return [
            Output("rss.xml", lambda: feeds.rss(cfg, title, home, self.abs_url("/rss.xml"), posts)),
            Output(
                "atom.xml", lambda: feeds.atom(cfg, title, home, self.abs_url("/atom.xml"), posts)
            ),
            Output(
                "feed.json",
                lambda: feeds.json_feed(cfg, title, home, self.abs_url("/feed.json"), posts),
            ),
        ]

    def _aliases(self) -> list[Output]:
        out = []
        for item in [*self.site.posts, *self.site.pages]:
            for alias in item.aliases:

                def render(item=item) -> bytes:
                    return self.render_template(
                        "redirect.html",
                        lang=item.lang,
                        target=item,
                        page=self.meta(item.title, item.url, noindex=True),
                    )

                out.append(Output(url_to_file(alias), render))
        return out

    def _not_found(self):
        def render() -> bytes:
            return self.render_template(
                "404.html",
                page=self.meta(translate("Page not found", self.lang), "/404.html", noindex=True),
            )

        return render

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


def _latest(posts) -> datetime | None:
    dates = [p.updated or p.date for p in posts if p.date]
    return max(dates) if dates else None
