"""End to end: publish, replies arrive on the networks, the next publish brings them back and the
built post page shows them threaded, escaped and valid (Nu Html Checker); a third publish
changes nothing."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from blogsite.publish.ledger import load_ledger
from tests.test_publish import NEW, World, world  # noqa: F401
from tests.validators import validate_html


class _Threads(HTMLParser):
    """comment anchor -> the anchor of the comment it is nested in (None: under the post)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.parent: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        anchor = found.get("id") or ""
        is_comment = "p-comment" in (found.get("class") or "") and anchor.startswith("c")
        if is_comment:
            outer = next((a for _, a in reversed(self.stack) if a), None)
            self.parent[anchor] = outer
        self.stack.append((tag, anchor if is_comment else None))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def _remote(w: World, network: str) -> str:
    entry = next(e for e in load_ledger(w.root).entries if f"/{NEW}/" in e.url)
    return entry.networks[network].remote_id


def _page(w: World) -> Path:
    return next(w.root.glob(f"public/*/*/{NEW}/index.html"))


def test_replies_come_back_to_the_post_page_threaded_escaped_and_valid(world: World) -> None:  # noqa: F811
    assert not world.publish().failed
    m, b, x = world.mastodon, world.bluesky, world.x
    jp = m.add_account("jp", "Jean-Pierre Lefèvre", "social.example")
    first = m.add_reply(_remote(world, "mastodon"), jp, (
        '<p>Très bon article <script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">clic</a> 🎉 漢字</p>'))
    answer = m.add_reply(first["id"], m.add_account("anne", "Anne"), "<p>D'accord !</p>")
    m.favourite(_remote(world, "mastodon"), jp)
    b.add_reply(_remote(world, "bluesky"), b.add_actor("alice.test", "Alice"),
                "<b>Alice</b> & co <script>alert(4)</script>")
    x.add_reply(_remote(world, "x"), x.add_user("marie", "Marie"), "@blogsite_test Bravo")

    report = world.publish()
    assert not report.failed, world.output
    assert "Rebuilding with the new replies…" in world.output
    page = _page(world).read_text(encoding="utf-8")
    threads = _Threads()
    threads.feed(page)
    a, b_id = f"cmastodon-{first['id']}", f"cmastodon-{answer['id']}"
    assert threads.parent[a] is None and threads.parent[b_id] == a
    assert len(threads.parent) == 4
    for bad in ("<script", "alert(1)", "alert(2)", "onerror", "javascript:", "<img src=x"):
        assert bad not in page, bad
    assert "&lt;b&gt;Alice&lt;/b&gt; &amp; co &lt;script&gt;alert(4)" in page
    assert "🎉 漢字" in page
    assert "Jean-Pierre Lefèvre" in page and "Marie" in page
    assert validate_html([_page(world)]) == []

    comments = {p: p.read_bytes() for p in (world.root / "comments").rglob("*") if p.is_file()}
    before = _page(world).read_bytes()
    world.output.clear()
    again = world.publish()
    assert not again.failed and "No new replies." in world.output
    assert not any(line.startswith("Rebuilding") for line in world.output)
    assert {p: p.read_bytes() for p in (world.root / "comments").rglob("*") if p.is_file()} == comments
    assert _page(world).read_bytes() == before
