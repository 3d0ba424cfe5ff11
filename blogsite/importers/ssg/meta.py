"""Front-matter keys of other generators mapped to blogsite's.

Every source key with a blogsite equivalent is carried over: `description`/`excerpt` ->
`summary`, `categories` and Zola's taxonomies -> `tags`, `lastmod`/`modified` -> `updated`,
`draft`/`published: false`/`status: draft` -> `draft`, `redirect_from` -> `aliases`.
Keys are read case-insensitively, as Hugo does (`Title`, `Tags`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.importers.ssg.dates import is_zero_time, parse_foreign_date

SUMMARY_KEYS = ("summary", "description", "excerpt")
UPDATED_KEYS = ("updated", "lastmod", "modified", "last_modified_at", "last_modified")
TAG_KEYS = ("tags", "categories", "category", "tag")
IMAGE_KEYS = ("image", "images", "cover", "featured_image", "thumbnail")


def lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys lowercased (the first spelling wins); taxonomies merged in as keys."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.setdefault(str(key).lower(), value)
    taxonomies = out.get("taxonomies")
    if isinstance(taxonomies, dict):
        for key, value in taxonomies.items():
            out.setdefault(str(key).lower(), value)
    return out


def as_list(value: Any, separators: str = ",") -> list[str]:
    """A list of text from a list, or from one string split on `separators`."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return [part.strip() for part in text.split(separators[0]) if part.strip()]


def tags_of(meta: dict[str, Any], separators: str = ",") -> tuple[str, ...]:
    """Tags and categories together, each once (the first spelling wins)."""
    seen: dict[str, str] = {}
    for key in TAG_KEYS:
        for tag in as_list(meta.get(key), separators):
            seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())


def first_text(meta: dict[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def updated_of(meta: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    for key in UPDATED_KEYS:
        found = parse_foreign_date(meta.get(key), zone)
        if found is not None:
            return found
    return None


def is_draft(meta: dict[str, Any]) -> bool:
    if meta.get("draft") is True or str(meta.get("draft")).lower() == "true":
        return True
    if meta.get("published") is False or str(meta.get("published")).lower() == "false":
        return True
    return str(meta.get("status", "")).lower() in ("draft", "hidden")


def image_of(meta: dict[str, Any]) -> str | None:
    for key in IMAGE_KEYS:
        value = meta.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("path") or value.get("src") or value.get("url")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def zero_date_keys(meta: dict[str, Any]) -> list[str]:
    """The date keys holding Go's zero time (Hugo's "no date")."""
    return [k for k in ("date", "publishdate", "lastmod", "expirydate") if is_zero_time(meta.get(k))]
