"""Reading the files and configuration of a source site, with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.frontmatter import FrontMatterError, split_front_matter
from blogsite.importers.ssg.meta import lower_keys

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# No blog post is this long; a file that is was not written by hand (a dump, a data file).
MAX_BYTES = 4 * 1024 * 1024


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BlogsiteError(
                Problem(display_path(path), f"the file is larger than {MAX_BYTES // 1024 // 1024} MB",
                        "a post this long is not a post: move it out of the site's content folder")
            )
        return path.read_text(encoding="utf-8").replace("\r\n", "\n").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise BlogsiteError(
            Problem(display_path(path), "the file is not UTF-8", "re-save it as UTF-8, then import again")
        ) from None
    except OSError as exc:
        raise BlogsiteError(
            Problem(display_path(path), f"cannot read the file: {exc.strerror}", "check its permissions")
        ) from None


def read_front(path: Path, problems: list[Problem]) -> tuple[dict[str, Any], str] | None:
    """(front matter with lowercased keys, body) of a Markdown file; None (and a problem)
    when the file cannot be read or its front matter is broken."""
    try:
        text = read_text(path)
    except BlogsiteError as exc:
        problems.extend(exc.problems)
        return None
    try:
        fm = split_front_matter(text)
    except FrontMatterError as exc:
        problems.append(Problem(display_path(path), exc.message, exc.hint, exc.line))
        return None
    return lower_keys(fm.data), fm.body


def read_config(path: Path) -> dict[str, Any]:
    """A TOML or YAML configuration file as a dict; a clear error when it does not parse."""
    text = read_text(path)
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise BlogsiteError(
            Problem(
                display_path(path),
                f"the site's configuration does not parse: {str(exc).splitlines()[0]}",
                "fix it (the generator itself would refuse it too), then import again",
            )
        ) from None
    return data if isinstance(data, dict) else {}


def zone_of(name: object, fallback: ZoneInfo) -> ZoneInfo:
    if isinstance(name, str) and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return fallback
    return fallback


def markdown_files(folder: Path) -> list[Path]:
    """Markdown files under `folder`, hidden ones skipped, in path order."""
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in MARKDOWN_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def short_lang(value: object) -> str | None:
    """"en-US" -> "en-US", "en_US" -> "en-US"; None for nothing usable."""
    if not isinstance(value, str) or not value.strip():
        return None
    tag = value.strip().replace("_", "-")
    return tag if all(part.isalnum() for part in tag.split("-")) else None
