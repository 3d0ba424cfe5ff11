"""The snapshot of the loaded posts: values come back as they went in, posts edited since
are read from their records, and a snapshot that does not fit is never used."""

from __future__ import annotations

import marshal
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from blogsite.build import Builder, snapshot
from blogsite.build.keys import GROUPS, encode_value
from blogsite.build.posts import EAGER_FIELDS
from blogsite.build.store import Store
from blogsite.config import load_config
from tests.test_incremental import NOW, make_fixture, reference, tree

UTC_ZONE = ZoneInfo("UTC")


def _record(**values) -> dict:
    fields = {name: encode_value(None) for name in EAGER_FIELDS}
    fields.update({k: encode_value(v) for k, v in values.items()})
    return {"f": fields, "g": {g: g * 2 for g in GROUPS}, "w": 12, "p": [["m", "h", 3, True]]}


@pytest.mark.parametrize(
    "values",
    [
        {"title": "Été", "tags": ("vélo", "musique"), "aliases": (), "draft": False},
        {"date": datetime(2010, 3, 28, 1, 30, tzinfo=ZoneInfo("Europe/Paris"))},
        {"date": datetime(2021, 10, 31, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris"))},
        {"date": datetime(2010, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))},
        {"date": datetime(2010, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=2), "CEST"))},
        {"date": datetime(2010, 3, 1, 9, 0, tzinfo=UTC_ZONE)},
        {"updated": datetime(2010, 3, 1, 9, 0)},
        {"extra": {}},
        {"extra": {"when": date(2010, 3, 1), "list": [1, "a"], "nested": {"t": ("x",)}}},
        {"syndicate": ("mastodon", "bluesky"), "image": "/a.png"},
        {"syndicate": False},
    ],
)
def test_a_row_gives_back_the_values_of_its_record(values):
    record = _record(**values)
    row = snapshot.row_from_record(record)
    assert row is not None
    (rows, urls) = snapshot.loads(snapshot.dumps({"k": row}, "set", {"k": "/u/"}), "set")
    fields = snapshot.fields_of(rows["k"], {})
    for name, value in values.items():
        assert fields[name] == value
        assert type(fields[name]) is type(value)
        if isinstance(value, datetime):
            assert fields[name].tzinfo == value.tzinfo or str(fields[name].tzinfo) == str(
                value.tzinfo
            )
            assert fields[name].utcoffset() == value.utcoffset()
            assert fields[name].tzname() == value.tzname()
            assert fields[name].fold == value.fold
    assert set(fields) == EAGER_FIELDS
    assert rows["k"][0] == 12 and rows["k"][2] == [["m", "h", 3, True]]
    assert urls == {"k": "/u/"}
    # Decoded values are fresh: changing one post's extra cannot change another's.
    again = snapshot.fields_of(rows["k"], {})
    if isinstance(fields.get("extra"), dict):
        fields["extra"]["new"] = 1
        assert "new" not in again["extra"]



def test_a_record_with_other_fields_is_not_snapshotted():
    record = _record()
    record["f"]["unknown"] = "x"
    assert snapshot.row_from_record(record) is None
    del record["f"]["unknown"]
    del record["f"]["title"]
    assert snapshot.row_from_record(record) is None


@pytest.mark.parametrize(
    "blob",
    [
        None,
        b"",
        b"[",
        b"\x00\x01garbage",
        marshal.dumps([1, 2]),
        marshal.dumps(("blogsite-snapshot-0", snapshot.NAMES, GROUPS, {}, "s", {})),
        marshal.dumps((snapshot.FORMAT, snapshot.NAMES[1:], GROUPS, {}, "s", {})),
        marshal.dumps((snapshot.FORMAT, snapshot.NAMES, GROUPS, [], "s", {})),
        b"[\xff\xff\xff\x7f",  # a list asking for two billion items
    ],
)
def test_a_snapshot_of_another_layout_is_ignored(blob):
    assert snapshot.loads(blob, "s") == ({}, {})


def test_urls_made_under_another_setting_are_not_used():
    rows, urls = snapshot.loads(snapshot.dumps({}, "old", {"k": "/u/"}), "new")
    assert urls == {}


def test_a_rewrite_waits_until_enough_is_out_of_date():
    live = {str(i): () for i in range(10_000)}
    assert snapshot.stale({}, live, 0)  # none yet
    assert not snapshot.stale(live, live, 10_000)
    assert not snapshot.stale(live, live, 9_999)  # one post edited
    assert not snapshot.stale({**live, "gone": ()}, live, 9_999)
    assert snapshot.stale(live, live, 9_799)  # two hundred and one edited
    small = {str(i): () for i in range(5)}
    assert not snapshot.stale(small, small, 0)  # within 32 either way...
    assert snapshot.stale(small, {str(i): () for i in range(40)}, 0)  # ...not beyond


def _build(root):
    config = load_config(root)
    builder = Builder(config, now=NOW)
    try:
        result = builder.build(config.output_dir(None))
    finally:
        builder.close()
    return builder, result


def _snapshot_blob(root) -> bytes | None:
    store = Store.open(root)
    assert store is not None
    try:
        return store.blob(snapshot.BLOB)
    finally:
        store.close()


def test_an_edit_takes_the_other_posts_from_the_snapshot(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    first, _ = _build(root)
    assert first.snapshot_hits == 0
    written = _snapshot_blob(root)
    assert written is not None
    rows, _urls = snapshot.loads(written, first.url_setting)
    assert len(rows) == 6  # five posts and a page

    post = root / "posts" / "p2.md"
    post.write_text(post.read_text() + "\nUne phrase de plus.\n")
    second, _ = _build(root)
    assert second.snapshot_hits == 5
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)
    assert _snapshot_blob(root) == written  # one edit: not written again

    # A new permalink: the stored URLs are not used, the pages move, and the snapshot is
    # written again with the new ones.
    toml = root / "site.toml"
    toml.write_text(toml.read_text().replace("/{year}/{month}/{slug}/", "/{slug}/"))
    third, built = _build(root)
    assert third.snapshot_hits == 5  # all but the post edited before
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)
    rows, urls = snapshot.loads(_snapshot_blob(root), third.url_setting)
    assert len(rows) == 6 and sorted(urls.values()) == sorted(
        [f"/{p.slug}/" for p in built.site.all_posts] + ["/a-propos/"]
    )
