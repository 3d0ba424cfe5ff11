"""`blogsite replies`: replies, likes and reposts of the announcements come back as comment
files, through the real clients (Mastodon.py, atproto, tweepy) against the fake servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from blogsite.config import load_config
from blogsite.errors import BlogsiteError
from blogsite.publish.ledger import load_ledger
from blogsite.replies import RepliesReport, approve, fetch_replies
from blogsite.replies.store import front_matter
from tests.fakes import RateLimited, ServerError
from tests.test_publish import NEW, ONLY_MASTODON, World, fast_build, world  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_build")


@pytest.fixture
def site(world: World) -> Iterator[World]:  # noqa: F811 - the fixture imported above
    """The publish fixture site with its new posts announced on the three networks."""
    report = world.publish()
    assert not report.failed, world.output
    world.output.clear()
    for fake in (world.x, world.mastodon, world.bluesky):
        fake.clear_log()  # publish read the (empty) replies once already
    yield world


def replies(w: World, **kw: Any) -> RepliesReport:
    args: dict[str, Any] = {"networks": [], "slugs": [], "dry_run": False}
    args.update(kw)
    return fetch_replies(load_config(w.root), echo=w.output.append, env=w.env, **args)


def remote_id(w: World, slug: str, network: str) -> str:
    entry = next(e for e in load_ledger(w.root).entries if f"/{slug}/" in e.url)
    return entry.networks[network].remote_id


def comments(w: World, folder: str = "new-post") -> dict[str, dict[str, Any]]:
    """comment id -> front matter plus `body`, of the files in comments/<folder>/."""
    out = {}
    for path in sorted((w.root / "comments" / folder).glob("*.md")):
        data = front_matter(path)
        assert data is not None, path.read_text(encoding="utf-8")
        data["body"] = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        out[path.stem] = data
    return out


def reactions(w: World, folder: str = "new-post") -> dict[str, Any]:
    path = w.root / "comments" / folder / "reactions.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def snapshot(w: World) -> dict[str, str]:
    base = w.root / "comments"
    return {str(p.relative_to(base)): p.read_text(encoding="utf-8")
            for p in sorted(base.rglob("*")) if p.is_file()}


def set_comments(w: World, text: str) -> None:
    path = w.root / "site.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[comments]\n" + text + "\n",
                    encoding="utf-8")


# -- Mastodon ----------------------------------------------------------------------------------


def test_mastodon_thread_comes_back_nested_with_likes_and_boosts_then_nothing(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    jp = m.add_account("jp", "Jean-Pierre Lefèvre", "social.example")
    anne = m.add_account("anne", "Anne")
    first = m.add_reply(root, jp, "<p>Très bon article, merci !</p>")
    mention = ('<span class="h-card"><a href="https://social.example/@jp" '
               'class="u-url mention">@<span>jp</span></a></span>')
    second = m.add_reply(first["id"], anne, f"<p>D'accord avec {mention}</p>")
    own = m.add_reply(second["id"], None, "<p>Merci à vous deux.</p>")
    fans = [m.add_account(f"fan{i}", f"Fan {i}") for i in range(45)]
    for fan in fans:
        m.favourite(root, fan)
    m.reblog(root, anne)

    report = replies(site)
    assert not report.failed and len(report.arrivals) == 3
    found = comments(site)
    a, b, c = (found[f"mastodon-{s['id']}"] for s in (first, second, own))
    assert a["author"] == "Jean-Pierre Lefèvre" and a["handle"] == "@jp@social.example"
    assert a["author_url"] == "https://social.example/@jp" and a["source"] == "mastodon"
    assert a["url"] == first["url"] and a["approved"] is True and "parent" not in a
    assert a["date"].utcoffset() is not None
    assert b["parent"] == f"mastodon-{first['id']}" and b["handle"] == f"@anne@{m.domain}"
    assert 'href="https://social.example/@jp"' in b["body"] and "class=" not in b["body"]
    assert c["parent"] == f"mastodon-{second['id']}" and c["own"] is True
    # Two pages of favourites (40 + 5), through the Link header.
    assert len(m.requests_for(f"/api/v1/statuses/{root}/favourited_by")) == 2
    likes = reactions(site)["mastodon"]["likes"]
    assert len(likes) == 45 and {p["name"] for p in likes} == {f"Fan {i}" for i in range(45)}
    assert reactions(site)["mastodon"]["reposts"] == [
        {"name": "Anne", "url": anne["url"], "id": anne["id"]}]
    assert "avatar" not in (site.root / "comments/new-post/reactions.yaml").read_text()

    before = snapshot(site)
    site.output.clear()
    again = replies(site)
    assert not again.changed and snapshot(site) == before
    assert "No new replies." in site.output


def test_hostile_html_is_sanitized_and_long_replies_capped(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    eve = m.add_account("eve", "Eve <b>")
    hostile = m.add_reply(root, eve, (
        '<p>Salut<script>alert("x")</script><img src="x" onerror="alert(1)">'
        '<a href="javascript:alert(2)">clic</a> <a href="https://ok.example/" onclick="x()">ok</a>'
        " 🎉 漢字かな交じり</p><style>body{display:none}</style>"))
    long = m.add_reply(root, eve, "<p>" + "Blabla " * 1000 + "</p>")
    replies(site)
    found = comments(site)
    body = found[f"mastodon-{hostile['id']}"]["body"]
    for bad in ("<script", "alert(", "onerror", "<img", "javascript:", "onclick", "<style"):
        assert bad not in body, body
    assert "🎉 漢字かな交じり" in body and 'href="https://ok.example/"' in body
    assert found[f"mastodon-{hostile['id']}"]["author"] == "Eve <b>"
    capped = found[f"mastodon-{long['id']}"]["body"]
    assert len(capped) < 5400 and "Lire la suite sur Mastodon" in capped
    assert f'href="{long["url"]}"' in capped


def test_edited_reply_is_updated_and_deleted_one_removed(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    jp = m.add_account("jp", "JP")
    kept = m.add_reply(root, jp, "<p>Première version</p>")
    gone = m.add_reply(root, jp, "<p>Je regrette</p>")
    replies(site)
    assert set(comments(site)) == {f"mastodon-{kept['id']}", f"mastodon-{gone['id']}"}
    m.edit_status(kept["id"], "<p>Version corrigée</p>")
    m.remove_status(gone["id"])
    report = replies(site)
    assert report.updated == 1 and report.removed == 1 and not report.arrivals
    found = comments(site)
    assert list(found) == [f"mastodon-{kept['id']}"]
    assert "Version corrigée" in found[f"mastodon-{kept['id']}"]["body"]


def test_blocked_authors_are_never_stored_and_their_replies_rehang(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    troll = m.add_account("troll", "Troll", "spam.example")
    jp = m.add_account("jp", "JP", "social.example")
    bad = m.add_reply(root, troll, "<p>Spam</p>")
    under = m.add_reply(bad["id"], jp, "<p>Ne répondez pas au troll</p>")
    m.favourite(root, troll)
    m.favourite(root, jp)
    replies(site)
    assert len(comments(site)) == 2
    set_comments(site, 'block = ["spam.example"]')
    report = replies(site)
    assert report.removed == 1
    found = comments(site)
    assert list(found) == [f"mastodon-{under['id']}"]
    assert "parent" not in found[f"mastodon-{under['id']}"]  # hangs on the post now
    assert [p["name"] for p in reactions(site)["mastodon"]["likes"]] == ["JP"]


def test_new_authors_are_held_until_approved_then_trusted(site: World) -> None:
    set_comments(site, 'moderation = "new-authors"')
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    jp = m.add_account("jp", "JP", "social.example")
    first = m.add_reply(root, jp, "<p>Bonjour</p>")
    own = m.add_reply(first["id"], None, "<p>Bonjour JP</p>")
    report = replies(site)
    assert [a.comment_id for a in report.held] == [f"mastodon-{first['id']}"]
    assert any("--approve mastodon-" in line for line in site.output)
    found = comments(site)
    assert found[f"mastodon-{first['id']}"]["approved"] is False
    assert found[f"mastodon-{own['id']}"]["approved"] is True  # the blogger's own reply

    approve(load_config(site.root), [f"mastodon-{first['id']}"], site.output.append)
    assert comments(site)[f"mastodon-{first['id']}"]["approved"] is True
    with pytest.raises(BlogsiteError, match="no comment has this id"):
        approve(load_config(site.root), ["mastodon-1"], site.output.append)

    second = m.add_reply(root, jp, "<p>Encore moi</p>")
    stranger = m.add_reply(root, m.add_account("zoe", "Zoé"), "<p>Nouvelle</p>")
    report = replies(site)
    found = comments(site)
    assert found[f"mastodon-{second['id']}"]["approved"] is True
    assert found[f"mastodon-{stranger['id']}"]["approved"] is False
    # The approval survives the next run.
    assert found[f"mastodon-{first['id']}"]["approved"] is True


# -- Bluesky -----------------------------------------------------------------------------------


def test_bluesky_reply_tree_quotes_likes_with_cursors(site: World) -> None:
    b = site.bluesky
    root = remote_id(site, NEW, "bluesky")
    alice = b.add_actor("alice.test", "Alice")
    bob = b.add_actor("bob.test")
    text = "Merci @bob.test ! #blog 🎉 日本語 javascript"
    raw = text.encode()
    facets = [
        {"index": {"byteStart": raw.index(b"@bob"), "byteEnd": raw.index(b"@bob") + 9},
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": bob["did"]}]},
        {"index": {"byteStart": raw.index(b"#blog"), "byteEnd": raw.index(b"#blog") + 5},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "blog"}]},
        {"index": {"byteStart": raw.index(b"javascript"), "byteEnd": len(raw)},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "javascript:alert(1)"}]},
    ]
    first = b.add_reply(root, alice, text, facets)
    nested = b.add_reply(first, bob, "<script>alert(1)</script> je réponds à Alice")
    deeper = b.add_reply(nested, None, "Et moi aussi")
    quote = b.quote(root, bob, "À lire")
    for i in range(120):
        b.like(root, b.add_actor(f"fan{i}.test", f"Fan {i}"))
    b.repost(root, alice)

    report = replies(site, networks=["bluesky"])
    assert not report.failed, report.errors
    found = {v["url"].rsplit("/", 1)[-1]: v for v in comments(site).values()}
    a, n, d, q = (found[u.rsplit("/", 1)[-1]] for u in (first, nested, deeper, quote))
    assert a["author"] == "Alice" and a["handle"] == "@alice.test"
    assert a["url"].startswith("https://bsky.app/profile/alice.test/post/")
    assert f'href="https://bsky.app/profile/{bob["did"]}"' in a["body"]
    assert 'href="https://bsky.app/hashtag/blog"' in a["body"] and "javascript:" not in a["body"]
    assert "🎉 日本語" in a["body"]
    assert n["parent"] == a["id"] and d["parent"] == n["id"] and d["own"] is True
    assert "<script" not in n["body"] and "&lt;script&gt;" in n["body"]
    assert q["kind"] == "mention" and "parent" not in q
    assert len(b.requests_for("app.bsky.feed.getLikes")) == 2
    assert len(reactions(site)["bluesky"]["likes"]) == 120
    assert reactions(site)["bluesky"]["reposts"][0]["name"] == "Alice"
    assert replies(site, networks=["bluesky"]).changed is False


def test_bluesky_blocked_and_deleted_replies_disappear(site: World) -> None:
    b = site.bluesky
    root = remote_id(site, NEW, "bluesky")
    alice, carol = b.add_actor("alice.test", "Alice"), b.add_actor("carol.test", "Carol")
    kept = b.add_reply(root, alice, "Je reste")
    deleted = b.add_reply(root, alice, "Je pars")
    blocker = b.add_reply(root, carol, "Je bloque")
    replies(site, networks=["bluesky"])
    assert len(comments(site)) == 3
    b.remove_post(deleted)
    b.block_account(carol)
    report = replies(site, networks=["bluesky"])
    assert report.removed == 2
    assert [v["url"].rsplit("/", 1)[-1] for v in comments(site).values()] == [
        kept.rsplit("/", 1)[-1]]
    assert blocker  # its file is gone with the block


# -- X -----------------------------------------------------------------------------------------


def test_x_replies_through_the_recent_search(site: World) -> None:
    x = site.x
    root = remote_id(site, NEW, "x")
    marie = x.add_user("marie", "Marie")
    first = x.add_reply(root, marie, "@blogsite_test Bravo & merci https://example.org/suite #blog")
    answer = x.add_reply(first, None, "@marie Merci Marie")
    report = replies(site, networks=["x"])
    assert not report.failed
    found = comments(site)
    a, b = found[f"x-{first}"], found[f"x-{answer}"]
    assert a["author"] == "Marie" and a["handle"] == "@marie"
    assert a["url"] == f"https://x.com/marie/status/{first}"
    assert 'href="https://example.org/suite"' in a["body"] and "t.co" not in a["body"]
    assert "Bravo &amp; merci" in a["body"] and "@blogsite_test" not in a["body"]
    assert b["parent"] == f"x-{first}" and b["own"] is True
    search = x.requests_for("/2/tweets/search/recent")[0]
    assert search.param("query") == f"conversation_id:{root}"


def test_x_tier_without_search_is_said_once_and_the_run_goes_on(site: World) -> None:
    site.x.search_tier = False
    site.mastodon.add_reply(remote_id(site, NEW, "mastodon"), site.mastodon.add_account("a"),
                            "<p>Bonjour</p>")
    report = replies(site)
    assert not report.failed and len(report.notices) == 1
    assert "client-not-enrolled" in report.notices[0] and "Basic" in report.notices[0]
    assert len(report.arrivals) == 1
    # Said once: the second announced post on X is not even asked about.
    assert len(site.x.requests_for("/2/tweets/search/recent")) == 1


# -- faults ------------------------------------------------------------------------------------


def test_short_429_is_waited_out_long_one_left_for_the_next_run(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    reply = m.add_reply(root, m.add_account("a", "A"), "<p>Bonjour</p>")
    m.inject(RateLimited(reset_in=1), match="/context")
    report = replies(site, networks=["mastodon"])
    assert not report.failed and len(report.arrivals) == 1
    assert any("waiting" in line for line in site.output)

    m.add_reply(reply["id"], m.add_account("b", "B"), "<p>Re</p>")
    m.inject(RateLimited(reset_in=900), times=None, match="/context")
    before = snapshot(site)
    report = replies(site, networks=["mastodon"])
    assert report.failed and "next run" in report.errors[0] and snapshot(site) == before
    m.clear_faults()
    assert len(replies(site, networks=["mastodon"]).arrivals) == 1


def test_5xx_mid_fetch_loses_and_duplicates_nothing(site: World) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    m.add_reply(root, m.add_account("a", "A"), "<p>Bonjour</p>")
    for i in range(50):
        m.favourite(root, m.add_account(f"f{i}", f"F{i}"))
    # The second page of favourites fails: the replies are kept, the reactions wait.
    m.inject(ServerError(502), match="favourited_by?")
    report = replies(site, networks=["mastodon"])
    assert report.failed and len(report.arrivals) == 1
    assert not (site.root / "comments/new-post/reactions.yaml").exists()
    report = replies(site, networks=["mastodon"])
    assert not report.failed and not report.arrivals
    assert len(reactions(site)["mastodon"]["likes"]) == 50
    assert len(comments(site)) == 1


def test_a_run_killed_mid_write_leaves_whole_files_and_the_rerun_finishes(
    site: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = site.mastodon
    root = remote_id(site, NEW, "mastodon")
    people = [m.add_account(f"p{i}", f"P{i}") for i in range(6)]
    for person in people:
        m.add_reply(root, person, "<p>" + "Long texte. " * 200 + "</p>")
    from blogsite.publish.ledger import atomic_write as real_write

    calls = {"n": 0}

    def dying_write(path: Path, text: str) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            # Killed while writing: half a temporary file, and no rename.
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text[: len(text) // 2], encoding="utf-8")
            raise KeyboardInterrupt
        real_write(path, text)

    monkeypatch.setattr("blogsite.replies.store.atomic_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        replies(site, networks=["mastodon"])
    assert len(comments(site)) == 3  # every file there is whole (comments() checks)
    monkeypatch.setattr("blogsite.replies.store.atomic_write", real_write)
    report = replies(site, networks=["mastodon"])
    assert len(report.arrivals) == 3 and len(comments(site)) == 6
    assert not replies(site, networks=["mastodon"]).changed


# -- the command -------------------------------------------------------------------------------


def test_post_option_dry_run_and_mistakes(site: World) -> None:
    m = site.mastodon
    m.add_reply(remote_id(site, ONLY_MASTODON, "mastodon"), m.add_account("a", "A"), "<p>Oui</p>")
    report = replies(site, slugs=[ONLY_MASTODON], dry_run=True)
    assert len(report.arrivals) == 1 and not (site.root / "comments").exists()
    report = replies(site, slugs=[ONLY_MASTODON])
    assert len(report.arrivals) == 1
    assert (site.root / "comments" / "only-mastodon").is_dir()
    with pytest.raises(BlogsiteError) as caught:
        replies(site, slugs=["nope"], networks=["myspace"])
    text = str(caught.value)
    assert "--post nope: no post has this slug" in text and "unknown network 'myspace'" in text


def test_cli_replies_exit_codes(site: World) -> None:
    import subprocess
    import sys

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "blogsite", "replies", *args], cwd=site.root,
                              env=site._process_env(env), capture_output=True, text=True,
                              timeout=60)

    done = run()
    assert done.returncode == 0, done.stderr
    assert "No new replies." in done.stdout
    no_keys = run(env={})
    assert no_keys.returncode == 1 and "BLOGSITE_MASTODON_TOKEN" in no_keys.stderr
    assert "Traceback" not in no_keys.stderr
    bad = run("--approve", "x-1")
    assert bad.returncode == 1 and "no comment has this id" in bad.stderr


def test_comments_config_keys_are_checked(site: World) -> None:
    set_comments(site, 'moderaton = "none"\nmoderation = "all"\nblock = "spam.example"\n'
                       "backfeed_days = -1")
    with pytest.raises(BlogsiteError) as caught:
        load_config(site.root)
    text = str(caught.value)
    assert "unknown key `moderaton` in [comments]" in text and "did you mean `moderation`" in text
    assert "moderation 'all' is not valid" in text
    assert "block must be a list of strings" in text
    assert "backfeed_days must not be negative" in text


# -- publish runs the backfeed -----------------------------------------------------------------


def test_publish_fetches_replies_after_announcing(site: World) -> None:
    m = site.mastodon
    m.add_reply(remote_id(site, NEW, "mastodon"), m.add_account("jp", "JP"), "<p>Bravo</p>")
    report = site.publish()
    assert not report.failed and report.outcomes == []
    assert "Fetching replies…" in site.output and "Rebuilding with the new replies…" in site.output
    assert len(comments(site)) == 1
    site.output.clear()
    again = site.publish()
    assert not again.failed and "No new replies." in site.output
    assert not any(line.startswith("Rebuilding") for line in site.output)


def test_publish_backfeed_off_and_dry_run_fetch_nothing(site: World) -> None:
    site.publish(dry_run=True)
    assert not site.mastodon.requests_for("/context")
    set_comments(site, "backfeed = false")
    site.publish()
    assert not site.mastodon.requests_for("/context")


def test_backfeed_failure_never_blocks_an_announcement(world: World) -> None:  # noqa: F811
    world.mastodon.inject(ServerError(502), times=None, match="/context")
    report = world.publish()
    world.assert_exactly_once()
    assert report.failed and report.backfeed_failed and not report.announcing_failed
    assert any("its replies are read on the next run" in line for line in world.output)
    assert not any("Some announcements did not go out" in line for line in world.output)
