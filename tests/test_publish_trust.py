"""What `blogsite publish` refuses, which posts are news, and what the dry run tells.

An announcement cannot be taken back: a doubtful front matter or a placeholder address stops
publish; a post becoming public for the first time is news however old its date, and an
imported blog is not. Real clients against the fakes of tests/fakes, as in test_publish.py.
"""

# The fixtures come from test_publish.py; tests naming them as parameters "redefine" them.
# ruff: noqa: F811

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blogsite.errors import BlogsiteError
from blogsite.publish.ledger import LEDGER_FILE, load_ledger
from blogsite.publish.refuse import deciding_key
from tests.fakes import ServerError
from tests.test_publish import (  # noqa: F401 - fixtures
    DRAFT,
    NEW,
    OLD,
    ONLY_MASTODON,
    World,
    _posts_sent,
    _recent,
    fast_build,
    world,
)

pytestmark = pytest.mark.usefixtures("fast_build")


def _date_line(world: World, name: str) -> str:
    text = (world.root / name).read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line.startswith("date:"))


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dry_run", [False, True])
def test_misspelled_draft_stops_publish_and_its_dry_run(world: World, dry_run: bool) -> None:
    world.edit("posts/new-post.md", "tags: [python", "darft: true\ntags: [python")
    with pytest.raises(BlogsiteError) as info:
        world.publish(dry_run=dry_run)
    [problem] = info.value.problems
    assert problem.file.endswith("new-post.md") and problem.line == 4
    assert "`darft`" in problem.message and "looks like `draft`" in problem.message
    assert not problem.warning
    assert _posts_sent(world) == 0
    assert not (world.root / LEDGER_FILE).exists()
    assert not any("would be sent" in line for line in world.output)


def test_cli_dry_run_shows_the_refusal_and_exits_1(world: World) -> None:
    world.edit("posts/only-mastodon.md", "syndicate:", "Syndicate:")
    result = world.cli("--dry-run")
    assert result.returncode == 1
    assert "only-mastodon.md:4" in result.stderr and "looks like `syndicate`" in result.stderr
    assert "Traceback" not in result.stderr
    assert "would be sent" not in result.stdout


def test_other_unknown_keys_are_shown_but_do_not_stop_publish(world: World) -> None:
    world.edit("posts/new-post.md", "tags: [python", "humeur: joyeuse\ntags: [python")
    report = world.publish()
    assert not report.failed
    assert any("unknown front-matter key `humeur`" in line for line in world.output)
    world.assert_exactly_once()


@pytest.mark.parametrize(
    ("key", "meant"),
    [("darft", "draft"), ("Draft", "draft"), ("dat", "date"), ("syndication", "syndicate"),
     ("sulg", "slug"), ("published", "published"), ("publishDate", "publishdate"),
     ("status", "status"), ("humeur", None), ("categories", None), ("author", None)],
)
def test_keys_that_decide_publication(key: str, meant: str | None) -> None:
    assert deciding_key(key) == meant


@pytest.mark.parametrize("dry_run", [False, True])
def test_placeholder_url_is_refused(world: World, dry_run: bool) -> None:
    world.edit("site.toml", 'url = "http://127.0.0.1:1/"', 'url = "https://blog.example.org/"')
    if dry_run:
        del world.env["BLOGSITE_MASTODON_TOKEN"]  # a dry run only warns about credentials
    with pytest.raises(BlogsiteError) as info:
        world.publish(dry_run=dry_run)
    [problem] = info.value.problems
    assert problem.file.endswith("site.toml") and problem.line == 5
    assert "placeholder" in problem.message
    assert _posts_sent(world) == 0


# -- first time public -------------------------------------------------------------------------


def _finish_draft(world: World, days_old: float) -> None:
    world.edit("posts/draft.md", _date_line(world, "posts/draft.md"), f"date: {_recent(days_old)}")
    world.edit("posts/draft.md", "draft: true\n", "")


def test_a_draft_finished_weeks_later_is_announced_on_every_machine(
    world: World, tmp_path: Path
) -> None:
    world.edit("posts/draft.md", _date_line(world, "posts/draft.md"), f"date: {_recent(40)}")
    world.publish()  # sees the draft, sends the other posts
    # Another machine (CI): a fresh checkout of what was committed, the record included.
    clone = tmp_path / "ci-checkout"
    shutil.copytree(world.root, clone, ignore=shutil.ignore_patterns("public", ".blogsite-cache"))
    world.root = clone
    _finish_draft(world, 40)
    report = world.publish()
    assert not report.failed
    assert {(o.post.slug, o.state) for o in report.outcomes} == {
        (DRAFT, "sent")} and len(report.outcomes) == 3
    world.assert_exactly_once({"x": {NEW, DRAFT}, "mastodon": {NEW, ONLY_MASTODON, DRAFT},
                               "bluesky": {NEW, DRAFT}})
    entry = next(e for e in load_ledger(clone).entries if DRAFT in e.url)
    assert not entry.unpublished and entry.public_since is not None
    assert world.publish().outcomes == []  # once


def test_a_draft_gone_public_is_still_news_on_a_network_added_within_the_window(
    world: World,
) -> None:
    world.publish(networks=["x"])  # sees the draft
    _finish_draft(world, 40)
    world.publish(networks=["x"])
    world.publish()  # later the same week, with every network
    world.assert_exactly_once({"x": {NEW, DRAFT}, "mastodon": {NEW, ONLY_MASTODON, DRAFT},
                               "bluesky": {NEW, DRAFT}})


def test_an_imported_blog_announces_nothing_and_names_each_post(world: World) -> None:
    world.publish()  # a blog already in use, with its record
    for n in range(3):
        (world.root / "posts" / f"imported-{n}.md").write_text(
            f'---\ntitle: "Ancien billet {n}"\ndate: 2011-0{n + 1}-05\n---\nImporté.\n',
            encoding="utf-8",
        )
    before = _posts_sent(world)
    world.output.clear()
    report = world.publish()
    assert not report.failed and _posts_sent(world) == before
    out = "\n".join(world.output)
    for n in range(3):
        assert f"Ancien billet {n}" in out
        assert f"`blogsite publish --post ancien-billet-{n}` announces it" in out
        assert out.count(f"--post ancien-billet-{n}`") == 1  # once, not once per network
    assert world.state("ancien-billet-0", "mastodon") == "skipped"


def test_a_draft_no_run_ever_saw_is_named_with_the_command_that_sends_it(world: World) -> None:
    _finish_draft(world, 40)  # finished before any publish saw it as a draft
    report = world.publish()
    assert [o.post.slug for o in report.old] == [OLD, DRAFT]
    assert any(f"`blogsite publish --post {DRAFT}` announces it" in line
               for line in world.output)
    world.publish(slugs=[DRAFT])
    world.assert_exactly_once({"x": {NEW, DRAFT}, "mastodon": {NEW, ONLY_MASTODON, DRAFT},
                               "bluesky": {NEW, DRAFT}})


def test_a_draft_made_by_blogsite_new_is_news_on_a_machine_that_never_saw_it(
    world: World, tmp_path: Path
) -> None:
    """`blogsite new` notes the draft in the committed record, so a CI checkout that never ran
    while it was a draft still announces it when it is finished weeks later."""
    from datetime import datetime, timedelta

    from blogsite.cli import main
    from blogsite.config import load_config

    world.publish()  # the blog in use, with its record
    config = load_config(world.root)
    weeks_ago = datetime.now(config.zone) - timedelta(days=40)
    from blogsite.publish.drafts import note_new_draft
    from blogsite.scaffold import new_post

    # What `blogsite new "Notes de tournée"` did 40 days ago (the CLI path is checked below).
    path = new_post(config, "Notes de tournée", now=weeks_ago)
    assert note_new_draft(config, path, "Notes de tournée", weeks_ago.replace(microsecond=0))
    clone = tmp_path / "ci-checkout"  # committed files only: no publish ever saw the draft
    shutil.copytree(world.root, clone, ignore=shutil.ignore_patterns("public", ".blogsite-cache"))
    world.root = clone
    world.edit(f"{path}", "draft: true\n", "")
    report = world.publish()
    assert [(o.post.slug, o.state) for o in report.outcomes] == [("notes-de-tournee", "sent")] * 3
    assert world.publish().outcomes == []  # once
    # The command itself notes the draft and says so; a page or --no-draft post is not noted.
    assert main(["-C", str(clone), "new", "Encore un brouillon"]) == 0
    entry = next(e for e in load_ledger(clone).entries if "encore-un-brouillon" in e.url)
    assert entry.unpublished and not entry.networks
    before = (clone / LEDGER_FILE).read_bytes()
    assert main(["-C", str(clone), "new", "À propos", "--page"]) == 0
    assert main(["-C", str(clone), "new", "Tout de suite", "--no-draft"]) == 0
    assert (clone / LEDGER_FILE).read_bytes() == before


# -- the dry run says where --------------------------------------------------------------------


def test_dry_run_says_where_each_announcement_goes(world: World) -> None:
    world.mastodon.max_characters = 1000
    world.publish(dry_run=True)
    out = "\n".join(world.output)
    assert f"to: the account of the token in BLOGSITE_MASTODON_TOKEN on {world.mastodon.url}" in out
    assert "visibility: public · language: fr" in out
    assert f"limit 1000: max_characters of {world.mastodon.url}" in out
    assert f"to: @blogsite.test on {world.bluesky.url}" in out
    assert "link card: title “Un nouvel article”" in out
    assert "description “Ce que j’ai appris" in out
    assert "/images/cover.png (" in out and " bytes)" in out
    assert "language: not sent (X detects it)" in out
    assert "Not announced, would be recorded as skipped" in out
    assert f"--post {OLD}` announces it" in out


def test_dry_run_says_when_the_limit_is_only_the_default(world: World) -> None:
    world.mastodon.inject(ServerError(status=500), times=2, match="/instance")
    world.edit("posts/new-post.md", "image: /images/cover.png\n", "")
    world.publish(dry_run=True, networks=["mastodon", "bluesky"])
    out = "\n".join(world.output)
    assert "limit 500: Mastodon's default" in out and "did not say its max_characters" in out
    assert "thumbnail none (the post has no `image` in this site's files)" in out


def test_dry_run_gives_a_reason_shared_by_every_network_once(world: World) -> None:
    world.edit("site.toml", "verify_live = false", "verify_live = true")
    world.publish(dry_run=True)
    out = "\n".join(world.output)
    assert out.count("would stay pending on every network: not live yet") == 2  # two posts
    assert sum(1 for o in world.output if "127.0.0.1:1" in o and "not live" in o) == 2

