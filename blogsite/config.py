"""site.toml into frozen dataclasses.

Every key is declared once here with its type and default. Unknown keys are errors with a
did-you-mean hint, and every problem in the file is collected before aborting.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from blogsite.deploy.settings import DeploySection, parse_deploy
from blogsite.errors import BlogsiteError, Problem, Problems, did_you_mean, display_path
from blogsite.publish.networks import NETWORK_ORDER as NETWORKS
from blogsite.publish.networks import SECTIONS as SOCIAL_SECTIONS
from blogsite.publish.networks import network_class

CONFIG_FILE = "site.toml"
PERMALINK_FIELDS = ("year", "month", "day", "slug", "lang")


@dataclass(frozen=True)
class SiteSection:
    title: str = "My blog"
    url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    description: str = ""
    permalink: str = "/{year}/{month}/{slug}/"
    paginate: int = 10
    feed_items: int = 20


@dataclass(frozen=True)
class BuildSection:
    output: str = "public"


@dataclass(frozen=True)
class PublishSection:
    deploy: str = ""
    verify_live: bool = True
    window_days: int = 7
    max_wait: int = 60


@dataclass(frozen=True)
class AuthorSection:
    """The author block of the default theme (the name is [site] author)."""

    bio: str = ""
    avatar: str = ""  # a site path ("/images/me.jpg", a file in static/) or a full URL
    links: tuple[str, ...] = ()  # other profiles, linked with rel="me"


MODERATION_MODES = ("none", "new-authors")


@dataclass(frozen=True)
class CommentsSection:
    """Replies fetched from the networks (`blogsite replies`, and `publish` after announcing)."""

    moderation: str = "none"
    block: tuple[str, ...] = ()  # handles or domains whose replies are never stored
    backfeed: bool = True  # only meaningful once a [social.*] network is configured
    backfeed_days: int = 30


@dataclass(frozen=True)
class Config:
    root: Path
    site: SiteSection = field(default_factory=SiteSection)
    build: BuildSection = field(default_factory=BuildSection)
    publish: PublishSection = field(default_factory=PublishSection)
    comments: CommentsSection = field(default_factory=CommentsSection)
    social: dict[str, Any] = field(default_factory=dict)
    deploy: dict[str, DeploySection] = field(default_factory=dict)
    author: AuthorSection = field(default_factory=AuthorSection)
    # [extra]: the theme's own settings, handed to templates as they are (never checked).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    @property
    def base_url(self) -> str:
        """The public URL, always ending with one slash."""
        return self.site.url.rstrip("/") + "/"

    @property
    def base_path(self) -> str:
        """The path part of the public URL ("/" or "/blog/"), prefixed to every internal link."""
        m = re.match(r"^[a-z]+://[^/]+(/.*)?$", self.base_url)
        path = (m.group(1) if m else "/") or "/"
        return path if path.endswith("/") else path + "/"

    def output_dir(self, override: str | Path | None = None) -> Path:
        out = Path(override) if override else Path(self.build.output)
        return out if out.is_absolute() else self.root / out


SECTIONS: dict[str, type] = {
    "site": SiteSection,
    "build": BuildSection,
    "publish": PublishSection,
    "comments": CommentsSection,
    "author": AuthorSection,
}


def _key_line(text: str, table: str, key: str) -> int | None:
    """Best-effort line of `key` inside `[table]`, for messages (tomllib gives no positions)."""
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).replace(" ", "")
            if key == "" and current == table:
                return number
            continue
        if current == table and re.match(rf'^"?{re.escape(key)}"?\s*=', line):
            return number
    return None


def _type_name(t: type) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", tuple: "a list of strings"}
    return names.get(t, t.__name__)


def _build_section(cls: type, name: str, values: Any, text: str, problems: Problems, file: Path) -> Any:
    if not isinstance(values, dict):
        problems.add(
            file,
            f"`{name}` must be a table",
            f"write it as a `[{name}]` header followed by `key = value` lines",
            _key_line(text, "", name),
        )
        return cls()
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        line = _key_line(text, name, key)
        if key not in known:
            problems.add(
                file,
                f"unknown key `{key}` in [{name}]",
                did_you_mean(key, tuple(known)),
                line,
            )
            continue
        expected = type(known[key].default)
        if expected is tuple:
            value = _string_list(value)
        # TOML booleans are ints in Python; keep them apart so `paginate = true` is refused.
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok:
            problems.add(
                file,
                f"[{name}] {key} must be {_type_name(expected)}, not {value!r}",
                f"for example: {key} = {_example(known[key].default)}",
                line,
            )
            continue
        kwargs[key] = value
    return cls(**kwargs)


def _string_list(value: Any) -> Any:
    """A TOML array of strings as a tuple; anything else unchanged (and then refused)."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return value


def _example(default: Any) -> str:
    if isinstance(default, tuple):
        return '["…"]'
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str):
        return f'"{default}"' if default else '"…"'
    return repr(default)


def _check_values(  # noqa: C901 - one independent check per site.toml key, in file order
    config: Config, text: str, problems: Problems, file: Path
) -> None:
    site = config.site
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", site.url):
        problems.add(
            file,
            f"[site] url must be an absolute http(s) URL, not {site.url!r}",
            'for example: url = "https://blog.example.org/"',
            _key_line(text, "site", "url"),
        )
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(
            file,
            f"[site] timezone {site.timezone!r} is not an IANA time zone name",
            'for example: timezone = "Europe/Paris" (see the tz database list)',
            _key_line(text, "site", "timezone"),
        )
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", site.language):
        problems.add(
            file,
            f"[site] language {site.language!r} is not a BCP 47 language tag",
            'for example: language = "fr" or "en-GB"',
            _key_line(text, "site", "language"),
        )
    if site.paginate < 1:
        problems.add(
            file,
            "[site] paginate must be at least 1",
            "it is the number of posts per home page, for example: paginate = 10",
            _key_line(text, "site", "paginate"),
        )
    if site.feed_items < 1:
        problems.add(
            file,
            "[site] feed_items must be at least 1",
            "it is the number of latest posts in each feed, for example: feed_items = 20",
            _key_line(text, "site", "feed_items"),
        )
    _check_permalink(site.permalink, text, problems, file)
    if config.publish.window_days < 0:
        problems.add(
            file,
            "[publish] window_days must not be negative",
            "posts older than this many days when first seen are never auto-announced",
            _key_line(text, "publish", "window_days"),
        )
    _check_comments(config.comments, text, problems, file)
    for name, section in config.social.items():
        for wrong in network_class(name).section_problems(section):
            problems.add(
                file,
                f"[social.{name}] {wrong.message}",
                wrong.hint,
                _key_line(text, f"social.{name}", wrong.key),
            )
        template = section.template
        if template:
            from blogsite.publish.announce import TEMPLATE_FIELDS

            for fname in re.findall(r"\{([^{}]*)\}", template):
                if fname not in TEMPLATE_FIELDS:
                    problems.add(
                        file,
                        f"[social.{name}] template uses unknown field {{{fname}}}",
                        did_you_mean(fname, TEMPLATE_FIELDS),
                        _key_line(text, f"social.{name}", "template"),
                    )
            if "{url}" not in template:
                problems.add(
                    file,
                    f"[social.{name}] template has no {{url}}",
                    "an announcement must link to the post: add {url} to the template",
                    _key_line(text, f"social.{name}", "template"),
                )


def _check_comments(comments: CommentsSection, text: str, problems: Problems, file: Path) -> None:
    if comments.moderation not in MODERATION_MODES:
        problems.add(
            file,
            f"[comments] moderation {comments.moderation!r} is not valid",
            'use "none" (replies shown at once) or "new-authors" (held until approved)',
            _key_line(text, "comments", "moderation"),
        )
    if comments.backfeed_days < 0:
        problems.add(
            file,
            "[comments] backfeed_days must not be negative",
            "replies are fetched for posts announced within this many days, e.g. backfeed_days = 30",
            _key_line(text, "comments", "backfeed_days"),
        )
    for entry in comments.block:
        if not entry.strip().lstrip("@"):
            problems.add(
                file,
                "[comments] block has an empty entry",
                'list handles or domains, e.g. block = ["@troll@example.social", "spam.example"]',
                _key_line(text, "comments", "block"),
            )


HTTP_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")


def _check_profiles(config: Config, text: str, problems: Problems, file: Path) -> None:
    """The author block's keys (the networks check their own profile keys)."""
    author = config.author
    for link in author.links:
        if not HTTP_URL.match(link):
            problems.add(
                file,
                f"[author] links: {link!r} is not an http(s) URL",
                'write full addresses, for example: links = ["https://github.com/me"]',
                _key_line(text, "author", "links"),
            )
    if author.avatar and not (HTTP_URL.match(author.avatar) or author.avatar.startswith("/")):
        problems.add(
            file,
            f"[author] avatar {author.avatar!r} must be a site path or an http(s) URL",
            'for example: avatar = "/images/me.jpg" (the file static/images/me.jpg)',
            _key_line(text, "author", "avatar"),
        )


def _check_permalink(permalink: str, text: str, problems: Problems, file: Path) -> None:
    line = _key_line(text, "site", "permalink")
    names = re.findall(r"\{([^{}]*)\}", permalink)
    for name in names:
        if name not in PERMALINK_FIELDS:
            problems.add(
                file,
                f"[site] permalink uses unknown field {{{name}}}",
                did_you_mean(name, PERMALINK_FIELDS),
                line,
            )
    if "slug" not in names:
        problems.add(
            file,
            "[site] permalink must contain {slug}, or two posts would share one URL",
            'for example: permalink = "/{year}/{month}/{slug}/"',
            line,
        )
    if not permalink.startswith("/") or ".." in permalink:
        problems.add(
            file,
            f"[site] permalink {permalink!r} must start with / and must not contain ..",
            'for example: permalink = "/{year}/{month}/{slug}/"',
            line,
        )


def find_site(start: Path) -> Path:
    """The nearest folder holding a site.toml: `start` or one of its parents; `start` when
    there is none (load_config then says so)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


# The address `blogsite init` writes: a site published with it links every feed entry,
# canonical link and announcement to someone else's domain.
PLACEHOLDER_HOST = "blog.example.org"


def placeholder_url(config: Config) -> Problem | None:
    """A warning when [site] url is still the one `blogsite init` wrote."""
    m = re.match(r"^https?://([^/:]+)", config.site.url)
    if not m or m.group(1).lower() != PLACEHOLDER_HOST:
        return None
    try:
        line = _key_line(config.path.read_text(encoding="utf-8"), "site", "url")
    except (OSError, UnicodeDecodeError):
        line = None
    return Problem(
        display_path(config.path),
        f"[site] url is still the placeholder {config.site.url!r}: feeds, canonical links and "
        "announcements would point to it",
        'set it to your blog\'s public address, like url = "https://monblog.fr/"',
        line,
        warning=True,
    )


def load_config(root: Path | str = ".") -> Config:  # noqa: C901 - one section of site.toml after another
    """Read `site.toml` in `root`; raise BlogsiteError listing every problem found."""
    root = Path(root).resolve()
    file = root / CONFIG_FILE
    problems = Problems()
    if not file.is_file():
        raise BlogsiteError(
            _one_problem(
                file,
                "no site.toml here or in a parent folder: this is not a blogsite site",
                "run blogsite in your site's folder (or give it: blogsite -C DIR COMMAND), or "
                "create a site with `blogsite init DIR`",
            )
        )
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BlogsiteError(
            _one_problem(file, f"not valid UTF-8 (byte {exc.start})", "save the file as UTF-8")
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        raise BlogsiteError(
            _one_problem(
                file,
                f"invalid TOML: {re.sub(r' [(]at line.*[)]', '', msg)}",
                'check quotes and brackets; strings need quotes, like title = "My blog"',
                line,
            )
        ) from None

    sections: dict[str, Any] = {}
    social: dict[str, Any] = {}
    deploy: dict[str, DeploySection] = {}
    extra: dict[str, Any] = {}
    for name, values in data.items():
        if name in SECTIONS:
            sections[name] = _build_section(SECTIONS[name], name, values, text, problems, file)
        elif name == "extra":
            if isinstance(values, dict):
                extra = values
            else:
                problems.add(
                    file,
                    "`extra` must be a table",
                    "write it as an `[extra]` header followed by the theme's `key = value` lines",
                    _key_line(text, "", name),
                )
        elif name == "social":
            if not isinstance(values, dict):
                problems.add(file, "`social` must be a table of networks", "", None)
                continue
            for net, net_values in values.items():
                if net not in SOCIAL_SECTIONS:
                    problems.add(
                        file,
                        f"unknown network [social.{net}]",
                        did_you_mean(net, NETWORKS),
                        _key_line(text, f"social.{net}", ""),
                    )
                    continue
                social[net] = _build_section(
                    SOCIAL_SECTIONS[net], f"social.{net}", net_values, text, problems, file
                )
        elif name == "deploy":
            deploy = parse_deploy(values, lambda t, k: _key_line(text, t, k), problems, file)
        else:
            problems.add(
                file,
                f"unknown table [{name}]",
                did_you_mean(name, (*SECTIONS, "social", "deploy", "extra")),
                _key_line(text, name, "") or _key_line(text, "", name),
            )
    config = Config(root=root, social=social, deploy=deploy, extra=extra, **sections)
    _check_values(config, text, problems, file)
    _check_profiles(config, text, problems, file)
    problems.raise_if_errors()
    return config


def _one_problem(file: Path, message: str, hint: str = "", line: int | None = None) -> list:
    p = Problems()
    p.add(file, message, hint, line)
    return p.items
