"""The cache's rows of parsed posts (blogsite.build.posts): values come back as they went
in, a row of another layout or a damaged one is never used, and an edited post is read
fresh while the others come from their rows. (It replaces the snapshot's tests: the rows
are now the one index of the cache's posts.)"""

from __future__ import annotations

import marshal
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from blogsite.build import build_site, workers
from blogsite.build import store as cache_module
from blogsite.build.keys import GROUPS, post_fields
from blogsite.build.posts import NAMES, decode_meta, decode_texts, encode_row
from blogsite.config import load_config
from blogsite.post import Post
from tests.test_incremental import NOW, make_fixture, reference, tree

UTC_ZONE = ZoneInfo("UTC")


def _post(**values) -> Post:
    base = dict(source=Path("p.md"), title="T", slug="t", lang="fr", body="b", html="<p>b</p>",
                toc="", summary_html="<p>s</p>", teaser="s")
    return Post(**{**base, **values})


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
def test_a_row_gives_back_the_values_of_its_post(values):
    post = _post(**values)
    row = encode_row(post, post_fields(post), 12, [("m", "h", 3, True)])
    stored = decode_meta(row.meta)
    assert stored is not None
    for name, value in values.items():
        assert stored.fields[name] == value
        assert type(stored.fields[name]) is type(value)
        if isinstance(value, datetime):
            assert stored.fields[name].utcoffset() == value.utcoffset()
            assert stored.fields[name].tzname() == value.tzname()
            assert stored.fields[name].fold == value.fold
    assert set(stored.fields) == set(NAMES)
    assert stored.words == 12 and stored.problems == [("m", "h", 3, True)]
    assert set(stored.groups) == set(GROUPS)
    assert decode_texts(row.extra) == ("<p>s</p>", "s")
    assert decode_texts(row.content) == ("<p>b</p>", "")
    # Decoded values are fresh: changing one post's extra cannot change another's.
    again = decode_meta(row.meta)
    assert again is not None
    if isinstance(stored.fields.get("extra"), dict):
        stored.fields["extra"]["new"] = 1
        assert "new" not in again.fields["extra"]


GOOD = marshal.loads(encode_row(_post(), post_fields(_post()), 1, []).meta)


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        b"[",
        b"\x00\x01garbage",
        b'{"f": {}}',  # a record of the JSON layout before
        marshal.dumps([1, 2]),
        marshal.dumps(GOOD[:4]),
        marshal.dumps((GOOD[0], GOOD[1][1:], *GOOD[2:])),  # another set of field groups
        marshal.dumps((*GOOD[:3], GOOD[3][1:], GOOD[4])),  # another set of fields
        marshal.dumps((*GOOD[:2], [["m", "h", 1, True]], *GOOD[3:])),
        marshal.dumps((*GOOD[:4], (len(NAMES),))),  # a tagged value that is not there
        b"[\xff\xff\xff\x7f",  # a list asking for two billion items
    ],
)
def test_a_row_of_another_layout_is_ignored(data):
    assert decode_meta(data) is None


@pytest.mark.parametrize("data", [None, b"x", marshal.dumps(("a",)), marshal.dumps(("a", 1))])
def test_texts_of_another_layout_are_ignored(data):
    assert decode_texts(data) is None


def _counting_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = workers.parse_source

    def counting(kind, path, *args):
        parsed.append(Path(path).name)
        return real(kind, path, *args)

    monkeypatch.setattr(workers, "parse_source", counting)
    return parsed


def _rows(root: Path, sql: str, args: tuple = ()) -> None:
    conn = sqlite3.connect(root / cache_module.CACHE_DIR / cache_module.DB_NAME)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_an_edited_post_is_read_fresh_and_the_others_from_their_rows(tmp_path, monkeypatch):
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    parsed = _counting_parses(monkeypatch)
    post = root / "posts" / "p2.md"
    post.write_text(post.read_text() + "\nUne phrase de plus.\n")
    build_site(load_config(root), now=NOW)
    assert parsed == ["p2.md"]
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)


@pytest.mark.parametrize("damage", ["checksum", "layout"])
def test_a_damaged_row_is_parsed_again(tmp_path, monkeypatch, damage):
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    if damage == "checksum":
        _rows(root, "UPDATE posts SET meta_sum = 'x'")
    else:  # well checksummed, but not a row's layout
        data = marshal.dumps(("blogsite-post-0", 1, 2))
        _rows(root, "UPDATE posts SET meta = ?, meta_sum = ?", (data, cache_module.digest(data)))
    parsed = _counting_parses(monkeypatch)
    toml = root / "site.toml"  # every page written again, from the posts loaded
    toml.write_text(toml.read_text().replace("/{year}/{month}/{slug}/", "/{slug}/"))
    build_site(load_config(root), now=NOW)
    assert sorted(parsed) == ["a-propos.md", "p0.md", "p1.md", "p2.md", "p3.md", "p4.md"]
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)
