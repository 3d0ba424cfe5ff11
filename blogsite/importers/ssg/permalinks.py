"""The URLs a source site gave its posts, from its own permalink rules, kept as aliases."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_PLACEHOLDER_RE = re.compile(r":([a-z_]+)")


def clean_path(url: str) -> str:
    """A site path: one leading slash, no doubled slashes, no empty segment."""
    path = re.sub(r"/{2,}", "/", "/" + url.strip().lstrip("/"))
    return path


def as_alias(url: str) -> str:
    """An old URL as a blogsite alias: a folder ("/x/") unless it names a file ("/x.html")."""
    path = clean_path(url.split("#", 1)[0].split("?", 1)[0])
    last = path.rsplit("/", 1)[-1]
    if path.endswith("/") or "." in last:
        return path
    return path + "/"


def _fill(pattern: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        # Longest known name first: ":title:output_ext", ":i_month".
        for end in range(len(name), 0, -1):
            if name[:end] in values:
                return values[name[:end]] + name[end:]
        return m.group(0)

    return _PLACEHOLDER_RE.sub(one, pattern)


def _date_values(when: datetime) -> dict[str, str]:
    return {
        "year": f"{when.year:04d}",
        "short_year": f"{when.year % 100:02d}",
        "month": f"{when.month:02d}",
        "i_month": str(when.month),
        "short_month": when.strftime("%b"),
        "long_month": when.strftime("%B"),
        "day": f"{when.day:02d}",
        "i_day": str(when.day),
        "y_day": f"{when.timetuple().tm_yday:03d}",
        "hour": f"{when.hour:02d}",
        "minute": f"{when.minute:02d}",
        "second": f"{when.second:02d}",
        "week": f"{when.isocalendar()[1]:02d}",
        "short_day": when.strftime("%a"),
        "long_day": when.strftime("%A"),
    }


def jekyll_url(pattern: str, when: datetime | None, title: str, categories: list[str]) -> str:
    """Jekyll's URL of a post, from `permalink` (a style name or a pattern)."""
    template = JEKYLL_STYLES.get(pattern, pattern)
    values = _date_values(when) if when else {}
    values.update(
        title=quote(title),
        slug=quote(title),
        categories="/".join(quote(c.lower()) for c in categories),
        output_ext=".html",
    )
    return clean_path(_fill(template, values))


def hugo_urlize(text: str) -> str:
    """Hugo's urlize: lowercased, spaces to hyphens, punctuation dropped."""
    lowered = unicodedata.normalize("NFC", text.strip().lower())
    kept = re.sub(r"[^\w\s./_-]", "", lowered)
    return re.sub(r"\s+", "-", kept)


def hugo_url(pattern: str, when: datetime | None, values: dict[str, str]) -> str:
    """Hugo's URL of a page from a [permalinks] pattern; `values`: slug, title, section..."""
    filled = dict(_date_values(when)) if when else {}
    if when:
        filled.update(monthname=when.strftime("%B").lower(), yearday=str(when.timetuple().tm_yday),
                      weekday=str(when.isoweekday() % 7), weekdayname=when.strftime("%A").lower())
    filled.update(values)
    filled.setdefault("slugorfilename", values.get("slug") or values.get("filename", ""))
    return clean_path(_fill(pattern, filled))


def pelican_url(pattern: str, when: datetime | None, fields: dict[str, str]) -> str:
    """Pelican's URL from ARTICLE_URL/PAGE_URL: {slug}, {date:%Y}, {category}, {lang}..."""

    class _Date:
        def __format__(self, spec: str) -> str:
            return when.strftime(spec or "%Y-%m-%d") if when else ""

    try:
        return clean_path(pattern.format(date=_Date(), **fields))
    except (KeyError, IndexError, ValueError):
        return clean_path(fields.get("slug", "") + ".html")
