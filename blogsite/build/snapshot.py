"""The small fields of every post of the last build, in one compact blob of the cache.

Loading ten thousand posts from their records means ten thousand rows read, checked and
decoded from JSON: most of an edit's build at that size. The snapshot holds the same
values, already checked, as one `marshal` blob (read and decoded in a few tens of
milliseconds). It is keyed like the records (by each file's content), so a post edited since
it was written is simply missing from it and read from its record; it is written again only
when enough of it is out of date, not on every edit.

marshal is Python's own format for compiled code: it holds str, int, float, bool, None,
tuple, list and dict, and nothing that runs code when read. The blob is checked against its
digest by the store before it gets here (a damaged one is never read), and its header
names this module's format and the field layout it was written with.
"""

from __future__ import annotations

import marshal
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from blogsite.build.keys import GROUPS, decode_value
from blogsite.build.posts import EAGER_FIELDS
from blogsite.build.store import loads_value

FORMAT = "blogsite-snapshot-1"
NAMES = tuple(sorted(EAGER_FIELDS))
BLOB = "snapshot"

# A row: (words, group digests in GROUPS order, problems, values in NAMES order, indexes of
# the values still in the record's tagged form). A tuple value is always a tuple of str:
# the records' JSON has no tuples, so nothing tagged can be mistaken for one.
Row = tuple[int, tuple[str, ...], list, tuple[Any, ...], tuple[int, ...]]


def row_from_record(record: dict) -> Row | None:
    """A checked record (records.parse_records) as a snapshot row; None for a record with
    fields this layout does not hold (it is then read from its record every time)."""
    fields = record["f"]
    if fields.keys() != EAGER_FIELDS:
        return None
    values = []
    coded = []
    for i, name in enumerate(NAMES):
        value = fields[name]
        kind = type(value)
        if kind is dict:
            items = value.get("tuple")
            if (len(value) == 1 and type(items) is list
                    and all(type(item) is str for item in items)):
                value = tuple(items)
            else:
                coded.append(i)
        elif kind is list:
            coded.append(i)
        values.append(value)
    groups = record["g"]
    return (record["w"], tuple(groups[g] for g in GROUPS), record["p"], tuple(values),
            tuple(coded))


def decode_field(value: Any, zones: dict[Any, Any]) -> Any:
    """A field from its record's tagged form (deps.encode_value). The common shapes (a date
    in a named zone or at a fixed offset, an empty dict) without the general decoder;
    `zones` keeps the time zones met, so each is made once."""
    if type(value) is dict:
        size = len(value)
        if size == 3 and "zone" in value:
            zone = zones.get(value["zone"])
            if zone is None:
                zone = zones[value["zone"]] = ZoneInfo(value["zone"])
            return datetime.fromisoformat(value["dt"]).replace(tzinfo=zone, fold=value["fold"])
        if size == 3 and "offset" in value:
            memo = (value["offset"], value["tzname"])
            zone = zones.get(memo)
            if zone is None:
                # decode_value's zone, made once
                zone = zones[memo] = decode_value(value).tzinfo
            return datetime.fromisoformat(value["dt"]).replace(tzinfo=zone)
        if size == 1 and value.get("dict") == {}:
            return {}
    return decode_value(value)


def fields_of(row: Row, zones: dict[Any, Any]) -> dict[str, Any]:
    """A row's fields, decoded: fresh objects, safe to hand to a post."""
    fields = dict(zip(NAMES, row[3], strict=True))
    for i in row[4]:
        name = NAMES[i]
        fields[name] = decode_field(fields[name], zones)
    return fields


def dumps(rows: dict[str, Row], url_setting: str, urls: dict[str, str]) -> bytes:
    """The blob of these rows, with the posts' URLs as made under `url_setting` (the
    permalink pattern and time zone: the rest of a URL is in the post's key)."""
    return marshal.dumps((FORMAT, NAMES, GROUPS, rows, url_setting, urls), 4)


def loads(blob: bytes | None, url_setting: str) -> tuple[dict[str, Row], dict[str, str]]:
    """The rows and URLs of a snapshot blob: empty when there is none or it is of another
    layout; no URLs when they were made under another setting."""
    value = loads_value(blob)
    if (type(value) is not tuple or len(value) != 6 or value[0] != FORMAT
            or value[1] != NAMES or value[2] != GROUPS or type(value[3]) is not dict
            or type(value[5]) is not dict):
        return {}, {}
    return value[3], value[5] if value[4] == url_setting else {}


def stale(rows: dict[str, Row], live: dict[str, Any], hits: int) -> bool:
    """Whether to write the snapshot again: when posts read from their records (or rows
    nobody uses any more) exceed a fiftieth of the site, so an edit costs a write only
    once in a while."""
    misses = len(live) - hits
    unused = len(rows) - hits
    return not rows or misses + unused > max(32, len(live) // 50)
