"""The syndication record: format, identity of posts, atomic writes, the publish lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogsite import ledger as ledger_mod
from blogsite.errors import BlogsiteError
from blogsite.ledger import (
    LEDGER_FILE,
    LOCK_FILE,
    Ledger,
    load_ledger,
    publish_lock,
)


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


# -- lock --------------------------------------------------------------------------------------


def test_lock_blocks_a_second_publish_and_is_released(tmp_path: Path) -> None:
    with publish_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).exists()
        with pytest.raises(BlogsiteError) as info:
            with publish_lock(tmp_path):
                pass
        assert "another `blogsite publish` is running" in str(info.value)
    assert not (tmp_path / LOCK_FILE).exists()


def test_lock_held_by_another_live_process_blocks(tmp_path: Path) -> None:
    code = (
        "import sys, time; from blogsite.ledger import publish_lock\n"
        "with publish_lock(sys.argv[1]):\n"
        "    print('locked', flush=True); time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(BlogsiteError):
            with publish_lock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    # Killed without cleaning up: the lock file remains but does not block.
    assert (tmp_path / LOCK_FILE).exists()
    with publish_lock(tmp_path):
        pass


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    with publish_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_old_lock_is_stale_even_if_pid_exists(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    with pytest.raises(BlogsiteError):
        with publish_lock(tmp_path):
            pass
    old = time.time() - ledger_mod.STALE_LOCK_SECONDS - 10
    os.utime(lock, (old, old))
    with publish_lock(tmp_path):
        pass


def test_unreadable_lock_is_respected_briefly_then_taken(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text("")
    with pytest.raises(BlogsiteError):
        with publish_lock(tmp_path):
            pass
    old = time.time() - 60
    os.utime(lock, (old, old))
    with publish_lock(tmp_path):
        pass
