"""What stops `blogsite publish` before anything goes out: mistakes in the command or the setup,
and anything that could announce what the author did not mean to publish (an announcement
cannot be taken back)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from difflib import get_close_matches

from blogsite.config import NETWORKS, Config
from blogsite.config import _key_line as key_line
from blogsite.errors import BlogsiteError, Problem, did_you_mean, display_path
from blogsite.publish.networks import NETWORK_ORDER, Network

# Hosts no real blog lives at: the address `blogsite init` writes (RFC 2606's reserved names)
# and the default of a site.toml without `url`. Announcing them would send dead links.
PLACEHOLDER_HOSTS = re.compile(
    r"^(?:.+\.)?(?:example\.(?:com|net|org)|[^.]+\.(?:example|invalid)|localhost)$",
    re.IGNORECASE,
)
# Front-matter keys that decide whether, when, where and at which address a post goes out,
# and the keys other generators use for that (Jekyll's `published`, Hugo's `publishDate`,
# Pelican's and WordPress's `status`). A misspelling of one is a post published by mistake.
DECIDING_KEYS = ("draft", "date", "syndicate", "slug")
FOREIGN_DECIDING_KEYS = (
    "published", "publishdate", "publish_date", "expirydate", "expiry_date", "status"
)
_UNKNOWN_KEY = re.compile(r"^unknown front-matter key `(.+)`$")


def selected_networks(config: Config, wanted: list[str]) -> tuple[list[str], list[Problem]]:
    problems: list[Problem] = []
    for name in wanted:
        if name not in NETWORKS:
            problems.append(
                Problem(
                    "blogsite publish",
                    f"unknown network {name!r}",
                    did_you_mean(name, NETWORKS).replace("known keys", "networks"),
                )
            )
        elif name not in config.social:
            problems.append(
                Problem(
                    display_path(config.path),
                    f"network {name!r} is not configured",
                    f"add a [social.{name}] table to site.toml (see docs/publishing.md)",
                )
            )
    chosen = [n for n in NETWORK_ORDER if n in config.social and (not wanted or n in wanted)]
    if not chosen and not problems:
        problems.append(
            Problem(
                display_path(config.path),
                "no network is configured, so there is nothing to announce on",
                "add [social.x], [social.mastodon] or [social.bluesky] to site.toml",
            )
        )
    return chosen, problems


def credential_problems(nets: dict[str, Network]) -> list[Problem]:
    problems = []
    for net in nets.values():
        absent = net.missing_credentials()
        if absent:
            names = ", ".join(absent)
            problems.append(
                Problem(
                    "environment",
                    f"{net.label}: missing credentials: set {names}",
                    f"export {absent[0]}=… before `blogsite publish`; "
                    "see docs/publishing.md for where to get "
                    + ("them" if len(absent) > 1 else "it"),
                )
            )
    return problems


def config_line(config: Config, table: str, key: str) -> int | None:
    try:
        return key_line(config.path.read_text(encoding="utf-8"), table, key)
    except (OSError, UnicodeDecodeError):
        return None


def placeholder_url(config: Config) -> list[Problem]:
    host = urllib.parse.urlsplit(config.site.url).hostname or ""
    if not PLACEHOLDER_HOSTS.match(host):
        return []
    return [
        Problem(
            display_path(config.path),
            f"[site] url is still the placeholder {config.site.url!r}: every announcement "
            "would link to it",
            "set url to the public address of your blog before `blogsite publish`",
            config_line(config, "site", "url"),
        )
    ]


def deciding_key(key: str) -> str | None:
    """The publication key that `key` (unknown to blogsite) is probably meant to be."""
    folded = key.casefold()
    if folded in FOREIGN_DECIDING_KEYS:
        return folded
    close = get_close_matches(folded, DECIDING_KEYS, n=1, cutoff=0.6)
    return close[0] if close else None


def refuse_doubtful_front_matter(warnings: tuple[Problem, ...], say: Callable[[str], None]
                                  ) -> None:
    """Show every build warning; refuse to go on if one may change what gets published."""
    refused: list[Problem] = []
    for problem in warnings:
        found = _UNKNOWN_KEY.match(problem.message)
        meant = deciding_key(found.group(1)) if found else None
        if meant is None:
            say(problem.render())
            continue
        refused.append(
            Problem(
                problem.file,
                f"{problem.message}: it looks like `{meant}`, which decides whether and how the "
                "post is published, so publish stops here (an announcement cannot be taken back)",
                f"fix the key (or remove it), then run `blogsite publish` again; {problem.hint}"
                if problem.hint else "fix the key (or remove it), then publish again",
                problem.line,
            )
        )
    if refused:
        raise BlogsiteError(refused)
