"""Dates as Jekyll, Hugo, Pelican and Zola write them."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# Go's zero time: what Hugo exports write for "no date".
_ZERO_YEAR = 1
_DAY_FIRST_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(.*)$")


def _normalise(raw: str) -> str:
    text = raw.strip()
    m = _DAY_FIRST_RE.match(text)  # Pelican accepts 03/12/2010 (day first)
    if m:
        text = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}{m.group(4)}"
    text = re.sub(r"^(\d{4}-\d\d-\d\d)[ T](\d)(?=:)", r"\1T0\2", text)
    text = re.sub(r"^(\d{4}-\d\d-\d\d) (\d\d:)", r"\1T\2", text)
    # Jekyll's "2015-03-08 10:20:00 +0100": the offset after a space, without a colon.
    text = re.sub(r"\s+([+-]\d\d):?(\d\d)$", r"\1:\2", text)
    text = re.sub(r"\s*(Z|UTC|GMT)$", "+00:00", text)
    return text


def parse_foreign_date(value: object, zone: ZoneInfo) -> datetime | None:
    """A date from front matter or a file name; None for none, Go's zero time or nonsense."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time(0, 0))
    elif isinstance(value, str) and value.strip():
        try:
            result = datetime.fromisoformat(_normalise(value))
        except ValueError:
            return None
    else:
        return None
    if result.year == _ZERO_YEAR:
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=zone)
    return result


def is_zero_time(value: object) -> bool:
    """Go's zero time, 0001-01-01T00:00:00Z, as Hugo writes it."""
    if isinstance(value, (date, datetime)):
        return value.year == _ZERO_YEAR
    return isinstance(value, str) and value.strip().startswith("0001-01-01")


DATED_NAME_RE = re.compile(r"^(\d{4}-\d\d-\d\d)[-_](.+)$")


def date_from_name(stem: str, zone: ZoneInfo) -> tuple[datetime | None, str]:
    """(date, rest) of a `2015-03-08-my-post` file name; (None, stem) when undated."""
    m = DATED_NAME_RE.match(stem)
    if not m:
        return None, stem
    found = parse_foreign_date(m.group(1), zone)
    return (found, m.group(2)) if found else (None, stem)
