"""The `[deploy.NAME]` tables of site.toml: one typed DeploySection per target.

Credentials never live here: ssh keys come from the user's ssh set-up, git pushes use the
repository's own credential helpers, S3 the standard AWS credential chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blogsite.errors import Problems, did_you_mean

KEYS = ("url", "cname", "endpoint", "region", "cache_control", "cloudfront_distribution")
# Kinds of file that get their own Cache-Control header on S3 (see docs/deploying.md).
CACHE_KINDS = ("html", "feeds", "css", "js", "images", "fonts", "default")
URL_EXAMPLE = '"ssh://me@example.org/var/www/blog/", "git:gh-pages" or "s3://my-blog/"'


@dataclass(frozen=True)
class DeploySection:
    name: str
    url: str
    cname: str = ""
    endpoint: str = ""
    region: str = ""
    cache_control: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    cloudfront_distribution: str = ""
    line: int | None = None

    @property
    def kind(self) -> str:
        """ssh, git or s3 (the url was checked when site.toml was read)."""
        return url_kind(self.url)

    @property
    def where(self) -> str:
        return f"[deploy.{self.name}]"

    @property
    def shown_url(self) -> str:
        """The url as it may be printed: a password in it (which belongs in a credential
        helper, not here) is masked."""
        return hide_password(self.url)


def hide_password(text: str) -> str:
    return re.sub(r"(://[^/:@\s]+):[^/@\s]*@", r"\1:***@", text)


def url_kind(url: str) -> str:
    """What a target url names: ssh, git, s3, or "" when it is none of them."""
    if url.startswith("s3://") and len(url) > 5:
        return "s3"
    if re.match(r"^git:[^/:][^\s]*$", url):
        return "git"
    if "#" in url and url.split("#", 1)[1] and not url.startswith("s3://"):
        return "git"  # any git URL (https, ssh, file or scp-like) with #branch
    if re.match(r"^ssh://[^/\s]+/.*$", url):
        return "ssh"
    return ""


def _string(
    name: str, key: str, value: Any, problems: Problems, file: Path, line: int | None
) -> str:
    if isinstance(value, str):
        return value
    problems.add(file, f"[deploy.{name}] {key} must be a string, not {value!r}",
                 f'for example: {key} = "…"', line)
    return ""


def _cache_control(
    name: str, value: Any, problems: Problems, file: Path, line: int | None
) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        problems.add(file, f"[deploy.{name}] cache_control must be a table of kinds",
                     'for example: cache_control = {html = "public, max-age=300"}', line)
        return ()
    pairs: list[tuple[str, str]] = []
    for kind, header in value.items():
        if kind not in CACHE_KINDS:
            problems.add(file, f"[deploy.{name}] cache_control has an unknown kind `{kind}`",
                         did_you_mean(kind, CACHE_KINDS).replace("known keys", "kinds"), line)
        elif not isinstance(header, str) or "\n" in header:
            problems.add(file, f"[deploy.{name}] cache_control.{kind} must be a one-line string",
                         f'for example: {kind} = "public, max-age=3600"', line)
        else:
            pairs.append((kind, header))
    return tuple(pairs)


def _check_url(section: DeploySection, problems: Problems, file: Path) -> None:
    kind = section.kind
    if not kind:
        problems.add(file, f"{section.where} url {section.url!r} is not a deploy target",
                     f"use one of {URL_EXAMPLE}, or a git URL ending in #BRANCH", section.line)
        return
    s3_only = {"endpoint": section.endpoint, "region": section.region,
               "cloudfront_distribution": section.cloudfront_distribution,
               "cache_control": section.cache_control}
    for key, value in s3_only.items():
        if value and kind != "s3":
            problems.add(file, f"{section.where} {key} only applies to s3:// targets",
                         "remove it, or point url to a bucket (s3://BUCKET/)", section.line)
    if section.cname and kind != "git":
        problems.add(file, f"{section.where} cname only applies to git targets (Pages)",
                     "remove it: a server or a bucket is named by its own DNS set-up", section.line)
    if section.endpoint and not re.match(r"^https?://[^/\s]+", section.endpoint):
        problems.add(file, f"{section.where} endpoint must be an http(s) URL",
                     'for example: endpoint = "https://s3.example.com"', section.line)


def parse_deploy(
    tables: Any, text_line: Any, problems: Problems, file: Path
) -> dict[str, DeploySection]:
    """`[deploy.*]` into sections; every problem is added to `problems`.
    `text_line(table, key)` gives the line of a key in site.toml, for messages."""
    if not isinstance(tables, dict):
        problems.add(file, "`deploy` must be a table of named targets",
                     "write one [deploy.NAME] table per target, each with a url", None)
        return {}
    sections: dict[str, DeploySection] = {}
    for name, values in tables.items():
        line = text_line(f"deploy.{name}", "")
        if not isinstance(values, dict):
            problems.add(file, f"[deploy.{name}] must be a table with a url",
                         f'for example: [deploy.{name}] then url = {URL_EXAMPLE.split(",")[0]}', line)
            continue
        section = _section(name, values, text_line, problems, file)
        if section is not None:
            _check_url(section, problems, file)
            sections[name] = section
    return sections


def _section(
    name: str, values: dict[str, Any], text_line: Any, problems: Problems, file: Path
) -> DeploySection | None:
    line = text_line(f"deploy.{name}", "")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        key_line = text_line(f"deploy.{name}", key) or line
        if key not in KEYS:
            problems.add(file, f"unknown key `{key}` in [deploy.{name}]", did_you_mean(key, KEYS),
                         key_line)
        elif key == "cache_control":
            kwargs[key] = _cache_control(name, value, problems, file, key_line)
        else:
            kwargs[key] = _string(name, key, value, problems, file, key_line)
    if "url" not in values:
        problems.add(file, f"[deploy.{name}] needs a url", f"for example: url = {URL_EXAMPLE}", line)
        return None
    return DeploySection(name=name, line=line, **kwargs)
