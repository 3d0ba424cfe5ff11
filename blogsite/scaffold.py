"""`blogsite init` and `blogsite new`: files a user starts from."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.post import slugify

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

# A [social.*] table enables announcing new posts on that network (see README).
# [social.mastodon]
# instance = "https://mastodon.social"
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


def create_site(target: Path) -> Path:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BlogsiteError(
            Problem(
                display_path(target),
                "the folder already exists and is not empty",
                "choose a new folder name, like `blogsite init myblog`",
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


def new_post(config: Config, title: str, *, draft: bool = True, now: datetime | None = None) -> Path:
    if not title.strip():
        raise BlogsiteError(
            Problem("blogsite new", "the title is empty", 'give one: blogsite new "My title"')
        )
    slug = slugify(title)
    posts = config.root / "posts"
    path = posts / f"{slug}.md"
    if path.exists():
        raise BlogsiteError(
            Problem(
                display_path(path),
                "a post with this file name already exists",
                "choose another title, or edit the existing post",
            )
        )
    when = (now or datetime.now(config.zone)).astimezone(config.zone).replace(microsecond=0)
    lines = ["---", f"title: {_yaml_string(title.strip())}", f"date: {when.isoformat()}", "tags: []"]
    if draft:
        lines.append("draft: true")
    lines += ["---", "", "Write here. The first paragraph is the summary.", ""]
    posts.mkdir(exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path.relative_to(config.root)
