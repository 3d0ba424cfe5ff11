"""The syndication record: format, identity of posts, its index, atomic writes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogsite.errors import BlogsiteError
from blogsite.publish import ledger as ledger_mod
from blogsite.publish.ledger import LEDGER_FILE, Ledger, load_ledger


def post(root: Path, url: str = "/2024/05/hello/", source: str = "posts/hello.md", **kw):
    base = dict(url=url, source=root / source, title="Hello", date=None, aliases=())
    base.update(kw)
    return SimpleNamespace(**base)


def test_missing_file_is_an_empty_record(tmp_path: Path) -> None:
    ledger = load_ledger(tmp_path)
    assert ledger.entries == []
    assert ledger.links_for(post(tmp_path)) == []
    assert not (tmp_path / LEDGER_FILE).exists()  # reading never creates it


def test_round_trip_and_links_in_network_order(tmp_path: Path) -> None:
    ledger = load_ledger(tmp_path)
    p = post(tmp_path, title='Quote " and \\ and\nnewline \x7f')
    entry = ledger.entry_for(p)
    ledger.record(entry, "bluesky", "sent", remote_id="at://x", remote_url="https://bsky.app/b")
    ledger.record(entry, "x", "sent", remote_id="1", remote_url="https://x.com/u/status/1")
    ledger.record(entry, "mastodon", "pending", reason="rate limited", uncertain=True,
                  text="Hello\n\nhttps://…")

    again = load_ledger(tmp_path)
    assert again.links_for(p) == [("X", "https://x.com/u/status/1"),
                                  ("Bluesky", "https://bsky.app/b")]
    e = again.find(p)
    assert e is not None and e.title == p.title
    m = e.networks["mastodon"]
    assert (m.state, m.reason, m.uncertain, m.text) == (
        "pending", "rate limited", True, "Hello\n\nhttps://…"
    )
    text = (tmp_path / LEDGER_FILE).read_text(encoding="utf-8")
    # Human-readable, networks in display order within each post.
    assert text.index("[post.x]") < text.index("[post.mastodon]") < text.index("[post.bluesky]")
    assert 'state = "sent"' in text


def test_sent_clears_the_uncertain_flag(tmp_path: Path) -> None:
    ledger = load_ledger(tmp_path)
    entry = ledger.entry_for(post(tmp_path))
    ledger.record(entry, "x", "sending", uncertain=True, attempts=1, text="t")
    d = ledger.record(entry, "x", "sent", remote_id="1", remote_url="u")
    assert not d.uncertain and d.attempts == 1 and d.text == "t"


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=80))
def test_any_text_survives_the_file(tmp_path_factory, value: str) -> None:
    root = tmp_path_factory.mktemp("l")
    ledger = Ledger(root)
    entry = ledger.entry_for(post(root, title=value))
    ledger.record(entry, "x", "failed", reason=value, text=value)
    again = load_ledger(root).entries[0]
    assert again.title == value
    assert again.networks["x"].reason == value


def test_identity_survives_title_and_date_edits(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    original = post(tmp_path, url="/2024/05/hello/", source="posts/hello.md")
    entry = ledger.entry_for(original)
    ledger.record(entry, "x", "sent", remote_url="https://x.com/u/status/1")
    # New title (so a new slug) and a new date (so a new month): only the file is the same.
    edited = post(tmp_path, url="/2024/06/bonjour/", source="posts/hello.md", title="Bonjour")
    assert load_ledger(tmp_path).find(edited) is not None
    assert load_ledger(tmp_path).links_for(edited) == [("X", "https://x.com/u/status/1")]
    ledger.entry_for(edited)
    ledger.save()
    e = load_ledger(tmp_path).entries[0]
    assert e.url == "/2024/06/bonjour/" and e.previous_urls == ["/2024/05/hello/"]
    assert e.title == "Bonjour"


def test_identity_survives_a_move_with_alias(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    entry = ledger.entry_for(post(tmp_path, url="/2024/05/hello/", source="posts/hello.md"))
    ledger.record(entry, "mastodon", "sent", remote_url="https://m/1")
    moved = post(tmp_path, url="/notes/hi/", source="posts/renamed.md",
                 aliases=("/2024/05/hello",))  # without the trailing slash: still the same
    assert load_ledger(tmp_path).links_for(moved) == [("Mastodon", "https://m/1")]
    stranger = post(tmp_path, url="/notes/other/", source="posts/other.md")
    assert load_ledger(tmp_path).find(stranger) is None


def test_corrupt_file_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / LEDGER_FILE).write_text('version = 1\n\n[[post]]\nurl = "/a/"\nstate = \n')
    with pytest.raises(BlogsiteError) as info:
        load_ledger(tmp_path)
    problem = info.value.problems[0]
    assert problem.file.endswith(LEDGER_FILE)
    assert problem.line == 5
    assert "git checkout" in problem.hint


def test_invalid_state_names_the_post_line(tmp_path: Path) -> None:
    (tmp_path / LEDGER_FILE).write_text(
        'version = 1\n\n[[post]]\nurl = "/a/"\n\n[[post]]\nurl = "/b/"\n\n'
        '[post.x]\nstate = "maybe"\n'
    )
    with pytest.raises(BlogsiteError) as info:
        load_ledger(tmp_path)
    assert info.value.problems[0].line == 6
    assert "maybe" in info.value.problems[0].message


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / LEDGER_FILE).write_bytes(b'version = 1\n# \xff\n')
    with pytest.raises(BlogsiteError) as info:
        load_ledger(tmp_path)
    assert info.value.problems[0].line == 2


def test_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch) -> None:
    ledger = Ledger(tmp_path)
    entry = ledger.entry_for(post(tmp_path))
    ledger.record(entry, "x", "sent", remote_url="https://x/1")
    before = (tmp_path / LEDGER_FILE).read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_mod.os, "replace", boom)
    with pytest.raises(OSError):
        ledger.record(entry, "mastodon", "sending")
    assert (tmp_path / LEDGER_FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [LEDGER_FILE]


# -- the index ---------------------------------------------------------------------------------


def linear_find(ledger: Ledger, p) -> ledger_mod.Entry | None:
    """Ledger.find as it was before the index: a scan, the reference the index must match."""
    url = ledger_mod.normalize_path(p.url)
    for entry in ledger.entries:
        if url in entry.known_urls:
            return entry
    source = ledger._source_key(p)
    for entry in ledger.entries:
        if entry.source and entry.source == source:
            return entry
    aliases = {ledger_mod.normalize_path(a) for a in p.aliases}
    for entry in ledger.entries:
        if aliases & entry.known_urls:
            return entry
    return None


def index_state(ledger: Ledger) -> tuple:
    return ledger._by_url, ledger._by_source, ledger._filed


def assert_index_in_step(ledger: Ledger, probes) -> None:
    # Kept up to date step by step, it must equal an index built from scratch...
    assert index_state(ledger) == index_state(Ledger(ledger.root, list(ledger.entries)))
    # ...and answer as a scan of the entries does (the very same entry object).
    for p in probes:
        assert ledger.find(p) is linear_find(ledger, p), p


def test_index_follows_records_edits_and_moves(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    hello = post(tmp_path, url="/2024/05/hello/", source="posts/hello.md")
    other = post(tmp_path, url="/2024/05/other/", source="posts/other.md")
    edited = post(tmp_path, url="/2024/06/bonjour/", source="posts/hello.md", title="Bonjour")
    moved = post(tmp_path, url="/notes/hi/", source="posts/renamed.md",
                 aliases=("/2024/06/bonjour",))
    stranger = post(tmp_path, url="/x/", source="posts/x.md")
    probes = [hello, other, edited, moved, stranger]

    entry = ledger.entry_for(hello)
    ledger.record(entry, "x", "sent", remote_url="https://x/1")
    assert_index_in_step(ledger, probes)
    ledger.record(ledger.entry_for(other), "mastodon", "pending", reason="not live yet")
    assert_index_in_step(ledger, probes)
    assert ledger.refresh(edited)  # new title, new date: same file
    assert_index_in_step(ledger, probes)
    assert ledger.find(post(tmp_path, url="/2024/05/hello", source="posts/gone.md")) is entry
    assert ledger.entry_for(moved) is entry  # new file, found through its alias
    assert_index_in_step(ledger, probes)
    assert ledger._by_source == {"posts/renamed.md": [0], "posts/other.md": [1]}
    assert ledger.find(post(tmp_path, url="/y/", source="posts/hello.md")) is None
    assert len(ledger.entries) == 2

    # What was saved is found again by a fresh read, with the same index.
    ledger.save()
    again = load_ledger(tmp_path)
    assert index_state(again) == index_state(ledger)
    # Reassigning or extending the list directly does not leave the index behind.
    again.entries = again.entries[1:]
    assert again.find(moved) is None and again.find(other) is again.entries[0]
    again.entries.append(ledger_mod.Entry(url="/notes/hi/"))
    assert again.find(moved) is again.entries[1]


def test_lookups_do_not_scan_the_entries(tmp_path: Path, monkeypatch) -> None:
    ledger = Ledger(tmp_path, [
        ledger_mod.Entry(url=f"/p/{i}/", source=f"posts/{i}.md", previous_urls=[f"/old/{i}/"])
        for i in range(2000)
    ])

    def scanned(self):
        raise AssertionError("a lookup scanned the entries")

    monkeypatch.setattr(ledger_mod.Entry, "known_urls", property(scanned))
    for i in range(0, 2000, 7):
        assert ledger.find(post(tmp_path, url=f"/p/{i}", source="posts/none.md")).url == f"/p/{i}/"
        by_source = post(tmp_path, url="/new/", source=f"posts/{i}.md")
        assert ledger.find(by_source).source == f"posts/{i}.md"
        by_alias = post(tmp_path, url="/new/", source="posts/none.md", aliases=(f"/old/{i}",))
        assert ledger.find(by_alias).url == f"/p/{i}/"


class _Unsaved(Ledger):
    def save(self) -> None:  # the property test is about the index, not the file
        pass


URLS = ["/a/", "/b", "/c/", "/d/index.html"]
SOURCES = ["posts/a.md", "posts/b.md", "posts/c.md"]
posts_st = st.tuples(
    st.sampled_from(URLS), st.sampled_from(SOURCES), st.lists(st.sampled_from(URLS), max_size=2)
)


@settings(max_examples=150, deadline=None)
@given(
    initial=st.lists(
        st.tuples(st.sampled_from(URLS), st.sampled_from(["", *SOURCES]),
                  st.lists(st.sampled_from(URLS), max_size=2)),
        max_size=4,
    ),
    operations=st.lists(
        st.tuples(st.sampled_from(["entry_for", "refresh", "record"]), posts_st), max_size=8
    ),
)
def test_index_matches_a_scan_after_any_operations(tmp_path_factory, initial, operations) -> None:
    root = tmp_path_factory.mktemp("index")
    # Entries as a hand-edited file could hold them: shared URLs and sources included.
    ledger = _Unsaved(root, [
        ledger_mod.Entry(url=url, source=source, previous_urls=list(previous))
        for url, source, previous in initial
    ])
    probes = [post(root, url=u, source=s, aliases=tuple(a)) for u in URLS for s in SOURCES
              for a in ((), (URLS[0],), (URLS[2], URLS[3]))]
    assert_index_in_step(ledger, probes)
    for operation, (url, source, aliases) in operations:
        p = post(root, url=url, source=source, aliases=tuple(aliases))
        if operation == "entry_for":
            ledger.entry_for(p)
        elif operation == "refresh":
            ledger.refresh(p)
        else:
            ledger.record(ledger.entry_for(p), "x", "sent", remote_url="https://x/1")
        assert_index_in_step(ledger, probes)
