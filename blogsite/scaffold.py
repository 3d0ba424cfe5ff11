"""`blogsite init` and `blogsite new`: files a user starts from."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, UsageError, display_path
from blogsite.post import SLUG_RE, slugify
from blogsite.site import PAGES_DIR, POSTS_DIR

SITE_TOML = """\
# blogsite configuration: every key is documented in the README.
[site]
title = "My blog"
url = "https://blog.example.org/"      # public address: feeds, canonical links, announcements
language = "en"                          # BCP 47, e.g. "fr" for French dates and typography
timezone = "UTC"                         # IANA name, e.g. "Europe/Paris"
author = "Me"
description = "Notes and stories."
permalink = "/{year}/{month}/{slug}/"
paginate = 10

[build]
output = "public"

# [publish]
# deploy = "rsync -a --delete public/ me@host:/var/www/blog/"
# verify_live = true
# window_days = 7

# The theme's author block; its profile links get rel="me" (Mastodon verifies the blog).
# [author]
# bio = "A sentence about me."
# avatar = "/images/me.jpg"              # a file in static/
# links = ["https://github.com/me"]

# A [social.*] table enables announcing new posts on that network (see README).
# [social.mastodon]
# instance = "https://mastodon.social"
# account = "me"                         # your profile, https://mastodon.social/@me

# Settings for your own templates, handed to them as `extra` (see docs/theme.md).
# [extra]
"""

FIRST_POST = """\
---
title: Hello, world
date: {date}
tags: [meta]
---
This is the first post of this blog. Edit `posts/hello-world.md`, or create a new post with
`blogsite new "My title"`.

<!-- more -->

Run `blogsite serve` to preview the site while you write, and `blogsite build` to write it
into `public/`, ready to copy to any static host.
"""

GITIGNORE = "public/\n.blogsite-cache/\n.syndication.lock\n"


def _free_name(target: Path) -> str:
    """A folder name beside `target` that is free, to suggest instead of it."""
    n = 2
    while (target.parent / f"{target.name}-{n}").exists():
        n += 1
    return f"{target.name}-{n}"


def create_site(target: Path) -> Path:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        free = display_path(target.parent / _free_name(target))
        raise BlogsiteError(
            Problem(
                display_path(target),
                "the folder already exists and is not empty",
                f"choose a folder that does not exist yet, like `blogsite init {free}`",
            )
        )
    (target / "posts").mkdir(parents=True, exist_ok=True)
    (target / "theme").mkdir(exist_ok=True)
    (target / "theme" / ".gitkeep").write_text("")
    (target / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    today = datetime.now().astimezone().replace(microsecond=0).isoformat()
    (target / "posts" / "hello-world.md").write_text(FIRST_POST.format(date=today), encoding="utf-8")
    return target


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _checked_slug(title: str, slug: str | None) -> str:
    if not title.strip():
        raise BlogsiteError(
            Problem("blogsite new", "the title is empty", 'give one: blogsite new "My title"')
        )
    if slug is None:
        return slugify(title)
    if not SLUG_RE.match(slug) or ".." in slug:
        raise UsageError(
            Problem(
                "blogsite new",
                f"--slug {slug!r} is not allowed",
                "use letters, digits, '-', '_' and '.', like --slug mon-article",
            )
        )
    return slug


def _front_matter(title: str, when: datetime | None, draft: bool, tags: list[str],
                  slug: str | None) -> list[str]:
    lines = ["---", f"title: {_yaml_string(title.strip())}"]
    if slug is not None:
        lines.append(f"slug: {slug}")
    if when is not None:
        lines.append(f"date: {when.isoformat()}")
        lines.append("tags: [" + ", ".join(_yaml_string(t) for t in tags) + "]")
    if draft:
        lines.append("draft: true")
    return [*lines, "---", ""]


def new_post(
    config: Config,
    title: str,
    *,
    draft: bool = True,
    now: datetime | None = None,
    tags: list[str] | None = None,
    slug: str | None = None,
    page: bool = False,
) -> Path:
    """Write posts/<slug>.md (or pages/<slug>.md for a page, without date or tags); return
    its path relative to the site. Never overwrites."""
    name = _checked_slug(title, slug)
    folder = config.root / (PAGES_DIR if page else POSTS_DIR)
    path = folder / f"{name}.md"
    if path.exists():
        raise BlogsiteError(
            Problem(
                display_path(path),
                f"a {'page' if page else 'post'} with this file name already exists",
                "choose another title (or --slug), or edit the existing file",
            )
        )
    when = None
    if not page:
        when = (now or datetime.now(config.zone)).astimezone(config.zone).replace(microsecond=0)
    lines = _front_matter(title, when, draft, tags or [], slug)
    lines += ["Write here." if page else "Write here. The first paragraph is the summary.", ""]
    folder.mkdir(exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path.relative_to(config.root)
