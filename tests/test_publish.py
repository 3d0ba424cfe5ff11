"""`blogsite publish` end to end: real client libraries (tweepy, Mastodon.py, atproto) against
the fake X, Mastodon and Bluesky servers of tests/fakes, with faults injected.

The one property everything here checks: after any sequence of failures and reruns, each new
post is announced exactly once per network, and nothing old, draft, future or excluded is.
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from blogsite.config import load_config
from blogsite.errors import BlogsiteError
from blogsite.publish import PublishReport, publish
from blogsite.publish.announce import announcement
from blogsite.publish.ledger import LEDGER_FILE, load_ledger
from blogsite.publish.lock import LOCK_FILE, publish_lock
from blogsite.publish.networks import make_network
from blogsite.publish.networks.base import RateLimited as RateLimitedError
from blogsite.publish.networks.base import Refused, Unavailable
from blogsite.publish.networks.bluesky import bluesky_length
from blogsite.publish.networks.mastodon import mastodon_length
from blogsite.publish.networks.x import x_length
from blogsite.site import load_site
from tests.fakes import (
    ConnectionReset,
    FakeBlueskyServer,
    FakeMastodonServer,
    FakeXServer,
    RateLimited,
    Respond,
    ServerError,
    StoredButLost,
    Timeout,
    Unauthorized,
)

SITE = Path(__file__).resolve().parent / "sites" / "publish"
ROOT = Path(__file__).resolve().parent.parent

# Distinctive values: if any of them shows up in an output or a file, it leaked.
SECRETS = {
    "BLOGSITE_X_API_KEY": "XKEY-q8Zr2vLw9TnB4",
    "BLOGSITE_X_API_SECRET": "XSECRET-Hj3kP0aQ7sYd1mRf5uWc",
    "BLOGSITE_X_ACCESS_TOKEN": "1234567890-XTOKEN-Gt6yN2bV8xLz",
    "BLOGSITE_X_ACCESS_TOKEN_SECRET": "XTOKSECRET-Me4Rt7Uy1Io9Pa",
    "BLOGSITE_MASTODON_TOKEN": "MASTOTOKEN-Zx8Cv5Bn2Mq0Wl",
    "BLOGSITE_BLUESKY_APP_PASSWORD": "bsky-apwd-k3j9-q7x2",
}

NEW = "un-nouvel-article"
ONLY_MASTODON = "seulement-sur-mastodon"
OLD = "influence-reputation-et-nombre-de-followers-le-succes-sur-twitter"
DRAFT = "brouillon"
# What must end up announced where, by slug.
EXPECTED = {"x": {NEW}, "mastodon": {NEW, ONLY_MASTODON}, "bluesky": {NEW}}
POST_PATH = {"x": "POST /2/tweets", "mastodon": "POST /api/v1/statuses",
             "bluesky": "com.atproto.repo.createRecord"}


@dataclass
class World:
    root: Path
    x: FakeXServer
    mastodon: FakeMastodonServer
    bluesky: FakeBlueskyServer
    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    def fake(self, network: str) -> Any:
        return getattr(self, network)

    def publish(self, **kw: Any) -> PublishReport:
        # No retry within the run unless a test asks: most tests here are about what the next
        # run does after a fault (as after retries run out, or a killed process).
        args: dict[str, Any] = {"dry_run": False, "slugs": [], "networks": [], "retry_delays": ()}
        args.update(kw)
        return publish(load_config(self.root), echo=self.output.append, env=self.env, **args)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "blogsite", "publish", *args],
            cwd=self.root,
            env=self._process_env(env),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "blogsite", "publish", *args],
            cwd=self.root,
            env=self._process_env(None),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _process_env(self, env: dict[str, str] | None) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("BLOGSITE_")}
        base["PYTHONPATH"] = str(ROOT)
        base["BLOGSITE_HTTP_TIMEOUT"] = os.environ.get("BLOGSITE_HTTP_TIMEOUT", "2")
        base.update(self.env if env is None else env)
        return base

    def texts(self, network: str) -> list[str]:
        """What each network stored, as submitted."""
        if network == "x":
            return [t["submitted_text"] for t in self.x.tweets]
        if network == "mastodon":
            return [s["_text"] for s in self.mastodon.statuses]
        return [p["value"]["text"] for p in self.bluesky.posts]

    def announced(self, network: str) -> list[str]:
        """Slugs announced on `network`, one item per remote post."""
        slugs = []
        for text in self.texts(network):
            found = [s for s in (NEW, ONLY_MASTODON, OLD, DRAFT) if f"/{s}/" in text]
            assert len(found) == 1, text
            slugs.append(found[0])
        return sorted(slugs)

    def assert_exactly_once(self, expected: dict[str, set[str]] | None = None) -> None:
        for network, slugs in (expected or EXPECTED).items():
            assert self.announced(network) == sorted(slugs), network

    def state(self, slug: str, network: str) -> str | None:
        for entry in load_ledger(self.root).entries:
            if f"/{slug}/" in entry.url:
                d = entry.networks.get(network)
                return d.state if d else None
        return None

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (old, text)
        path.write_text(text.replace(old, new), encoding="utf-8")


def _recent(days: float = 1) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    for post in (root / "posts").glob("*.md"):
        post.write_text(post.read_text(encoding="utf-8").replace("RECENT_DATE", _recent()),
                        encoding="utf-8")
    x = FakeXServer(
        consumer_key=SECRETS["BLOGSITE_X_API_KEY"],
        consumer_secret=SECRETS["BLOGSITE_X_API_SECRET"],
        access_token=SECRETS["BLOGSITE_X_ACCESS_TOKEN"],
        access_token_secret=SECRETS["BLOGSITE_X_ACCESS_TOKEN_SECRET"],
    )
    mastodon = FakeMastodonServer(access_token=SECRETS["BLOGSITE_MASTODON_TOKEN"])
    bluesky = FakeBlueskyServer(password=SECRETS["BLOGSITE_BLUESKY_APP_PASSWORD"])
    with x, mastodon, bluesky:
        toml = (root / "site.toml").read_text(encoding="utf-8")
        toml = toml.replace('api_base = "http://127.0.0.1:1"', f'api_base = "{x.url}"')
        toml = toml.replace('instance = "http://127.0.0.1:1"', f'instance = "{mastodon.url}"')
        toml = toml.replace('service = "http://127.0.0.1:1"', f'service = "{bluesky.url}"')
        (root / "site.toml").write_text(toml, encoding="utf-8")
        for name in SECRETS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("BLOGSITE_HTTP_TIMEOUT", "0.5")
        yield World(root, x, mastodon, bluesky, dict(SECRETS))
        # Let answers the fakes were still sleeping on finish before the servers stop.
    for fake in (x, mastodon, bluesky):
        assert not fake.errors, fake.errors


@pytest.fixture
def fast_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip rendering HTML in tests about the networks: the posts are read as the build reads
    them, and the tests that check pages (links to the copies) use the real build."""

    def build_site(config: Any, *, strict: bool = False, now: Any = None, **kw: Any) -> Any:
        return SimpleNamespace(site=load_site(config, now=now), output=None)

    monkeypatch.setattr("blogsite.build.build_site", build_site)


def _posts_sent(world: World) -> int:
    return sum(
        len(world.fake(n).requests_for(p.split(" ")[-1], "POST"))
        for n, p in POST_PATH.items()
    )


# -- the normal path ---------------------------------------------------------------------------


def test_announces_each_new_post_once_per_network_then_nothing(world: World) -> None:
    report = world.publish()
    assert not report.failed
    world.assert_exactly_once()
    assert world.output[-1] != "Nothing new to announce."

    # What each network got: language, visibility, link, facets, card.
    url = load_config(world.root).base_url + f"2{_year_month(world)}/{NEW}/"
    status = next(s for s in world.mastodon.statuses if NEW in s["_text"])
    assert status["language"] == "fr" and status["visibility"] == "public"
    assert url in status["_text"]
    post = world.bluesky.posts[0]["value"]
    assert post["langs"] == ["fr"]
    raw = post["text"].encode("utf-8")
    link = next(f for f in post["facets"] if f["features"][0]["$type"].endswith("#link"))
    assert raw[link["index"]["byteStart"] : link["index"]["byteEnd"]].decode() == url
    card = post["embed"]["external"]
    assert card["uri"] == url and card["title"] == "Un nouvel article"
    assert card["description"].startswith("Ce que j")
    assert card["thumb"]["mimeType"] == "image/png"
    assert world.bluesky.blobs[0]["data"] == (SITE / "static/images/cover.png").read_bytes()
    assert url in world.x.tweets[0]["submitted_text"]

    # The record and the rebuilt post page link to the copies.
    ledger = load_ledger(world.root)
    page = next(world.root.glob(f"public/*/*/{NEW}/index.html")).read_text(encoding="utf-8")
    entry = next(e for e in ledger.entries if NEW in e.url)
    for network in ("x", "mastodon", "bluesky"):
        remote = entry.networks[network].remote_url
        assert entry.networks[network].state == "sent" and remote
        assert remote in page
    assert 'rel="syndication"' in page and "u-syndication" in page

    before = _posts_sent(world)
    world.output.clear()
    again = world.publish()
    assert not again.failed and again.outcomes == []
    assert _posts_sent(world) == before
    assert "Nothing new to announce." in world.output
    world.assert_exactly_once()


def _year_month(world: World) -> str:
    url = next(e.url for e in load_ledger(world.root).entries if NEW in e.url)
    return url.split("/")[1][1:] + "/" + url.split("/")[2]


def test_never_floods_old_posts_and_respects_drafts_future_and_syndicate(world: World) -> None:
    world.publish()
    assert world.state(OLD, "x") == "skipped"
    assert world.state(OLD, "mastodon") == "skipped"
    entry = next(e for e in load_ledger(world.root).entries if OLD in e.url)
    assert "window_days = 7" in entry.networks["bluesky"].reason
    entries = load_ledger(world.root).entries
    # Drafts and scheduled posts are on record as such (so that they are news the day they
    # go public), with nothing sent; a post that says `syndicate: false` is not.
    for unpublished in ("brouillon", "article-programme"):
        entry = next(e for e in entries if unpublished in e.url)
        assert entry.unpublished and entry.networks == {}
    assert not any("article-prive" in e.url for e in entries)
    for network in ("x", "mastodon", "bluesky"):
        assert all(s in (NEW, ONLY_MASTODON) for s in world.announced(network))
    assert world.state(ONLY_MASTODON, "x") is None
    assert world.state(ONLY_MASTODON, "bluesky") is None
    world.assert_exactly_once()


def test_post_option_announces_an_old_post_once(world: World) -> None:
    report = world.publish(slugs=[OLD])
    assert not report.failed
    world.assert_exactly_once({"x": {OLD}, "mastodon": {OLD}, "bluesky": {OLD}})
    world.publish()  # the new posts now; the old one is not sent again
    world.assert_exactly_once(
        {"x": {OLD, NEW}, "mastodon": {OLD, NEW, ONLY_MASTODON}, "bluesky": {OLD, NEW}}
    )
    again = world.publish(slugs=[OLD])
    assert not again.failed
    assert {o.state for o in again.outcomes} == {"already"}


@pytest.mark.usefixtures("fast_build")
def test_skipped_old_post_can_be_forced_later(world: World) -> None:
    world.publish()
    assert world.state(OLD, "mastodon") == "skipped"
    world.publish(slugs=[OLD], networks=["mastodon"])
    assert world.state(OLD, "mastodon") == "sent"
    assert world.state(OLD, "x") == "skipped"
    assert world.announced("mastodon") == sorted([OLD, NEW, ONLY_MASTODON])


@pytest.mark.usefixtures("fast_build")
def test_network_option_limits_the_run(world: World) -> None:
    world.publish(networks=["bluesky"])
    assert world.texts("x") == [] and world.texts("mastodon") == []
    assert world.announced("bluesky") == [NEW]
    world.publish()
    world.assert_exactly_once()


@pytest.mark.usefixtures("fast_build")
def test_window_days_applies_to_a_post_first_seen_late(world: World) -> None:
    text = (world.root / "posts/new-post.md").read_text()
    date_line = next(line for line in text.splitlines() if line.startswith("date:"))
    world.edit("posts/new-post.md", date_line, f"date: {_recent(8)}")  # window_days = 7
    world.publish()
    assert world.state(NEW, "x") == "skipped"
    world.assert_exactly_once({"x": set(), "mastodon": {ONLY_MASTODON}, "bluesky": set()})


def test_long_post_is_cut_to_fit_each_network_and_the_instance_limit(world: World) -> None:
    world.mastodon.max_characters = 150  # read from the instance, not assumed
    long = ("Un résumé très long, avec des émojis 😀👨‍👩‍👧 et du japonais 日本語のテキスト, "
            "qui ne tient nulle part en entier. ") * 8
    world.edit("posts/new-post.md", 'summary: "Ce que j', f'summary: "{long}Ce que j')
    report = world.publish()
    assert not report.failed, report.outcomes  # every fake validated the length itself
    world.assert_exactly_once()
    status = next(s["_text"] for s in world.mastodon.statuses if NEW in s["_text"])
    assert "…" in status and mastodon_length(status) <= 150
    tweet = world.x.tweets[0]["submitted_text"]
    assert "…" in tweet and x_length(tweet) <= 280
    post = world.bluesky.posts[0]["value"]["text"]
    assert "…" in post and bluesky_length(post) <= 300
    url = next(e.url for e in load_ledger(world.root).entries if NEW in e.url)
    for text in (status, tweet, post):
        assert url in text  # never cut


# -- mistakes in the command or the setup ------------------------------------------------------


def test_every_mistake_is_reported_at_once_and_nothing_is_sent(world: World) -> None:
    del world.env["BLOGSITE_MASTODON_TOKEN"]
    with pytest.raises(BlogsiteError) as info:
        world.publish(slugs=["no-such-post", "brouillon"], networks=["mastodn", "mastodon"])
    text = str(info.value)
    assert "unknown network 'mastodn'" in text and "did you mean `mastodon`" in text
    assert "--post no-such-post: no post has this slug" in text
    assert "--post brouillon: the post is a draft" in text
    assert "BLOGSITE_MASTODON_TOKEN" in text
    assert world.texts("mastodon") == []
    assert not (world.root / LEDGER_FILE).exists()


def test_unconfigured_network_and_future_post(world: World) -> None:
    world.edit("site.toml", "[social.bluesky]", "[social.bluesky_off]")
    world.edit("site.toml", "[social.bluesky_off]", "# removed\n[xsocial]")  # drop the table
    toml = (world.root / "site.toml").read_text()
    toml = toml.split("# removed")[0]
    (world.root / "site.toml").write_text(toml)
    with pytest.raises(BlogsiteError) as info:
        world.publish(networks=["bluesky"], slugs=["article-programme"])
    text = str(info.value)
    assert "network 'bluesky' is not configured" in text and "[social.bluesky]" in text
    assert "scheduled for 2099" in text


def test_missing_credentials_name_the_variable_before_anything_is_sent(world: World) -> None:
    env = dict(SECRETS)
    del env["BLOGSITE_X_ACCESS_TOKEN_SECRET"]
    del env["BLOGSITE_BLUESKY_APP_PASSWORD"]
    result = world.cli(env=env)
    assert result.returncode == 1
    assert "BLOGSITE_X_ACCESS_TOKEN_SECRET" in result.stderr
    assert "BLOGSITE_BLUESKY_APP_PASSWORD" in result.stderr
    assert _posts_sent(world) == 0
    assert not (world.root / LEDGER_FILE).exists()


@pytest.mark.usefixtures("fast_build")
def test_refused_credentials_are_caught_before_anything_is_sent(world: World) -> None:
    world.env["BLOGSITE_BLUESKY_APP_PASSWORD"] = "wrong-pass-word"
    with pytest.raises(BlogsiteError) as info:
        world.publish()
    assert "BLOGSITE_BLUESKY_APP_PASSWORD" in str(info.value)
    assert _posts_sent(world) == 0


# -- dry run, deploy, verify_live --------------------------------------------------------------


def test_dry_run_shows_texts_and_lengths_and_changes_nothing(world: World) -> None:
    world.edit("site.toml", "[publish]", '[publish]\ndeploy = "echo deployed >> deploy.log"')
    report = world.publish(dry_run=True)
    out = "\n".join(world.output)
    assert not report.failed
    assert _posts_sent(world) == 0
    assert not (world.root / LEDGER_FILE).exists()
    assert not (world.root / "deploy.log").exists()
    assert "-- X: " in out and "/280" in out and "/500" in out and "/300" in out
    # The exact texts, as they would be sent.
    for outcome in report.outcomes:
        assert outcome.state == "would-send"
        assert "\n" + outcome.detail + "\n" in out + "\n"
    x_text = next(o.detail for o in report.outcomes if o.network == "x" and o.post.slug == NEW)
    assert f"-- X: {x_length(x_text)}/280" in out
    assert "#python #LogicielLibre" in out
    # Dry run without credentials still shows the texts, with a warning.
    world.output.clear()
    world.env.clear()
    world.publish(dry_run=True)
    assert any("BLOGSITE_MASTODON_TOKEN" in line for line in world.output)
    assert any(line.startswith("Un nouvel article\n") for line in world.output)


def test_deploy_runs_before_announcing_and_again_after(world: World) -> None:
    world.edit("site.toml", "[publish]", '[publish]\ndeploy = "echo deployed >> deploy.log"')
    world.publish()
    assert (world.root / "deploy.log").read_text().count("deployed") == 2
    world.publish()  # nothing new: no redeploy after
    assert (world.root / "deploy.log").read_text().count("deployed") == 3


def test_failing_deploy_stops_before_announcing(world: World) -> None:
    world.edit("site.toml", "[publish]", '[publish]\ndeploy = "echo oops; exit 3"')
    with pytest.raises(BlogsiteError) as info:
        world.publish()
    assert "exit status 3" in str(info.value)
    assert _posts_sent(world) == 0
    assert any("oops" in line for line in world.output)


class _Live(http.server.BaseHTTPRequestHandler):
    live = False

    def do_GET(self) -> None:  # noqa: N802
        status = 200 if type(self).live else 404
        body = b"<html><head><title>t</title></head></html>"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_verify_live_keeps_posts_pending_until_they_answer_200(world: World) -> None:
    handler = type("Live", (_Live,), {"live": False})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        world.edit("site.toml", 'url = "http://127.0.0.1:1/"',
                   f'url = "http://127.0.0.1:{server.server_port}/"')
        world.edit("site.toml", "verify_live = false", "verify_live = true")
        first = world.publish()
        assert first.failed
        assert _posts_sent(world) == 0
        assert world.state(NEW, "x") == "pending"
        assert any("answered 404" in o.detail for o in first.outcomes)
        handler.live = True
        second = world.publish()
        assert not second.failed
        world.assert_exactly_once()
    finally:
        server.shutdown()
        server.server_close()


# -- faults ------------------------------------------------------------------------------------

FAULTS = [
    pytest.param(ServerError(status=503), id="5xx"),
    pytest.param(Timeout(seconds=1), id="timeout"),
    pytest.param(StoredButLost(), id="stored-but-lost"),
    pytest.param(Timeout(seconds=1, process=True), id="slow-but-stored"),
]


@pytest.mark.usefixtures("fast_build")
@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
@pytest.mark.parametrize("fault", FAULTS)
def test_fault_then_rerun_announces_exactly_once(world: World, network: str, fault) -> None:
    world.fake(network).inject(fault, times=1, match=POST_PATH[network])
    started = time.monotonic()
    first = world.publish()
    # Either the doubt stays for the next run, or (Bluesky: the record key is taken) it was
    # resolved at once; the other networks went ahead regardless.
    assert first.failed == any(o.state == "pending" for o in first.outcomes)
    assert all(o.state in ("sent", "pending") for o in first.outcomes)
    assert all(o.state == "sent" for o in first.outcomes if o.network != network)
    second = world.publish()  # may run while the slow server still holds the first one
    assert not second.failed, second.outcomes
    if isinstance(fault, Timeout) and fault.process:
        # Let the held request be stored (or refused as a duplicate) before counting.
        time.sleep(max(0.0, started + fault.seconds + 0.3 - time.monotonic()))
    world.assert_exactly_once()


@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_network_errors_are_classified(world: World, network: str) -> None:
    """Each library's exceptions become ours: doubt, rate limit with its reset, refusal."""
    config = load_config(world.root)
    net = make_network(network, config.social[network], world.env)
    net.connect()
    fake = world.fake(network)
    post = next(p for p in load_site(config).posts if p.slug == NEW)
    ann = announcement(network, config, post, measure=net.measure, limit=net.limit())
    cases = [
        (ServerError(status=503), Unavailable),
        (ServerError(status=502), Unavailable),
        (ConnectionReset(), Unavailable),
        (ConnectionReset(graceful=True), Unavailable),
        (StoredButLost(graceful=True), Unavailable),
        (Timeout(seconds=0.8), Unavailable),
        (RateLimited(reset_in=600), RateLimitedError),
        (Unauthorized(), Refused),
    ]
    try:
        for fault, expected in cases:
            fake.inject(fault, times=1, match=POST_PATH[network])
            if network == "bluesky" and isinstance(fault, StoredButLost):
                # Bluesky: the record key of the attempt shows the post is there.
                key = net.new_key("seed")
                result = net.send(ann, key)
                assert result.remote_id.endswith("/" + key)
                continue
            with pytest.raises(expected) as info:
                net.send(ann, net.new_key("seed"))
            if isinstance(info.value, RateLimitedError):
                assert info.value.reset_at is not None
                assert abs(info.value.reset_at - (time.time() + 600)) < 5
            if isinstance(info.value, Refused):
                assert info.value.credentials
                assert any(v in str(info.value) for v in SECRETS)  # names the variable
            for value in SECRETS.values():
                assert value not in str(info.value)
    finally:
        net.close()
    time.sleep(0.3)  # let the Timeout's handler finish before the server stops


@pytest.mark.usefixtures("fast_build")
def test_x_duplicate_answer_on_retry_means_sent(world: World) -> None:
    world.x.inject(StoredButLost(), match="POST /2/tweets")
    world.publish(networks=["x"])
    # The lookup of recent posts fails too: only the duplicate-content 403 can tell.
    world.x.inject(ServerError(status=503), times=1, match="/tweets?")
    second = world.publish(networks=["x"])
    assert not second.failed
    statuses = [r.status for r in world.x.requests_for("/2/tweets", "POST")]
    assert statuses == [201, 403]
    assert world.state(NEW, "x") == "sent"
    world.assert_exactly_once({"x": {NEW}})


@pytest.mark.usefixtures("fast_build")
def test_mastodon_retries_carry_the_same_idempotency_key(world: World) -> None:
    world.mastodon.inject(ConnectionReset(), match="POST /api/v1/statuses")
    world.mastodon.inject(ServerError(status=500), match="POST /api/v1/statuses")
    world.publish(networks=["mastodon"])
    world.publish(networks=["mastodon"])
    world.publish(networks=["mastodon"])
    keys: dict[str, set[str]] = {}
    for r in world.mastodon.requests_for("/api/v1/statuses", "POST"):
        text = r.body_field("status")
        keys.setdefault(text, set()).add(r.header("Idempotency-Key") or "")
    assert len(keys) == 2
    assert all(len(k) == 1 and "" not in k for k in keys.values())
    assert len({next(iter(k)) for k in keys.values()}) == 2  # one key per post
    world.assert_exactly_once({"mastodon": {NEW, ONLY_MASTODON}})


@pytest.mark.usefixtures("fast_build")
def test_bluesky_taken_record_key_is_recognised_at_once(world: World) -> None:
    world.bluesky.inject(StoredButLost(), match="createRecord")
    first = world.publish(networks=["bluesky"])
    assert not first.failed  # the same key answered "taken": the record was there
    creates = world.bluesky.requests_for("com.atproto.repo.createRecord", "POST")
    assert len({r.json["rkey"] for r in creates}) == 1
    world.assert_exactly_once({"bluesky": {NEW}})


@pytest.mark.usefixtures("fast_build")
def test_bluesky_lookup_failing_keeps_it_pending_instead_of_risking_a_double(world: World) -> None:
    world.bluesky.inject(StoredButLost(), match="createRecord")
    world.bluesky.inject(ServerError(status=503), times=None, match="com.atproto.repo.getRecord")
    first = world.publish(networks=["bluesky"])
    second = world.publish(networks=["bluesky"])
    assert first.failed and second.failed
    assert world.state(NEW, "bluesky") == "pending"
    world.bluesky.clear_faults()
    world.publish(networks=["bluesky"])
    assert world.state(NEW, "bluesky") == "sent"
    world.assert_exactly_once({"bluesky": {NEW}})


@pytest.mark.usefixtures("fast_build")
def test_bluesky_finds_an_earlier_post_by_listing_records(world: World) -> None:
    world.bluesky.inject(StoredButLost(), match="createRecord")
    world.bluesky.inject(ServerError(status=503), times=1, match="com.atproto.repo.getRecord")
    world.publish(networks=["bluesky"])
    assert world.state(NEW, "bluesky") == "pending"
    # Forget the record key: only the account's own records can tell.
    path = world.root / LEDGER_FILE
    text = path.read_text()
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("key =")))
    world.publish(networks=["bluesky"])
    assert world.state(NEW, "bluesky") == "sent"
    assert world.bluesky.requests_for("com.atproto.repo.listRecords")
    world.assert_exactly_once({"bluesky": {NEW}})


@pytest.mark.usefixtures("fast_build")
@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_short_rate_limit_is_waited_out(world: World, network: str) -> None:
    world.fake(network).inject(RateLimited(reset_in=0.5), times=1, match=POST_PATH[network])
    report = world.publish()
    assert not report.failed, report.outcomes
    world.assert_exactly_once()


@pytest.mark.usefixtures("fast_build")
@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_long_rate_limit_leaves_it_pending(world: World, network: str) -> None:
    world.fake(network).inject(RateLimited(reset_in=900), times=1, match=POST_PATH[network])
    report = world.publish()
    assert report.failed
    why = next(o.detail for o in report.outcomes if o.network == network and o.state == "pending")
    assert "rate limited until" in why and "max_wait = 5" in why
    assert world.state(NEW, network) == "pending"
    world.publish()
    world.assert_exactly_once()


@pytest.mark.usefixtures("fast_build")
def test_refused_post_is_failed_and_retried(world: World) -> None:
    world.x.inject(Unauthorized(), match="POST /2/tweets")
    report = world.publish()
    assert report.failed
    assert world.state(NEW, "x") == "failed"
    assert any("BLOGSITE_X_API_KEY" in o.detail for o in report.outcomes)
    world.publish()
    world.assert_exactly_once()


# -- killed mid-send, locks --------------------------------------------------------------------


def _wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_sigkill_mid_send_then_rerun_posts_exactly_once(world: World, network: str) -> None:
    fake = world.fake(network)
    # The server holds the answer, then stores the post anyway after the client is gone.
    hold = 1.0
    fake.inject(Timeout(seconds=hold, process=True), times=1, match=POST_PATH[network])
    proc = world.popen()
    try:
        # Another publish while this one runs is refused by the lock.
        _wait_for(lambda: (world.root / LOCK_FILE).exists())
        with pytest.raises(BlogsiteError) as info:
            world.publish()
        assert "another `blogsite publish` is running" in str(info.value)
        _wait_for(lambda: any(r.fault == "Timeout" for r in fake.requests))
        arrived = time.monotonic()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    # The intent was on disk before the request left; the lock stayed behind.
    assert "sending" in {world.state(NEW, network), world.state(ONLY_MASTODON, network)}
    assert (world.root / LOCK_FILE).exists()
    report = world.publish()  # a lock of a dead process does not block
    assert not report.failed, report.outcomes
    # The held request is processed (stored, or refused as a duplicate) by then.
    time.sleep(max(0.0, arrived + hold + 0.3 - time.monotonic()))
    world.assert_exactly_once()


@pytest.mark.usefixtures("fast_build")
def test_lock_held_by_this_process_blocks_publish(world: World) -> None:
    with publish_lock(world.root):
        with pytest.raises(BlogsiteError):
            world.publish()
    assert _posts_sent(world) == 0
    world.publish()
    world.assert_exactly_once()


# -- identity of posts -------------------------------------------------------------------------


def test_editing_title_body_and_date_does_not_reannounce(world: World) -> None:
    world.publish()
    world.edit("posts/new-post.md", 'title: "Un nouvel article"', 'title: "Un titre tout neuf"')
    world.edit("posts/new-post.md", "Le corps de l'article", "Un corps réécrit")
    text = (world.root / "posts/new-post.md").read_text()
    date_line = next(line for line in text.splitlines() if line.startswith("date:"))
    world.edit("posts/new-post.md", date_line, f"date: {_recent(2.5)}")
    report = world.publish()
    assert report.outcomes == []
    world.assert_exactly_once()
    entry = next(e for e in load_ledger(world.root).entries if e.source == "posts/new-post.md")
    assert "un-titre-tout-neuf" in entry.url and entry.previous_urls
    page = next(world.root.glob("public/*/*/un-titre-tout-neuf/index.html")).read_text()
    assert entry.networks["x"].remote_url in page


def test_moving_a_post_with_an_alias_does_not_reannounce(world: World) -> None:
    world.publish()
    old_url = next(e.url for e in load_ledger(world.root).entries if NEW in e.url)
    (world.root / "posts/new-post.md").rename(world.root / "posts/moved.md")
    world.edit("posts/moved.md", "tags:", "slug: deplace\ntags:")
    # Without the alias, it is a new post at a new address.
    world.output.clear()
    dry = world.publish(dry_run=True)
    assert any(o.state == "would-send" and o.post.slug == "deplace" for o in dry.outcomes)
    world.edit("posts/moved.md", "tags:", f"aliases: [{old_url}]\ntags:")
    report = world.publish()
    assert report.outcomes == []
    world.assert_exactly_once()


# -- secrets -----------------------------------------------------------------------------------


def _files_under(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


def test_secrets_never_appear_in_output_or_files(
    world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    # A refusal that echoes the token back, a 401, a server error, then a success.
    world.mastodon.inject(
        Respond(422, {"error": f"Validation failed: token {SECRETS['BLOGSITE_MASTODON_TOKEN']}"}),
        match="POST /api/v1/statuses",
    )
    world.x.inject(Unauthorized(), match="POST /2/tweets")
    world.bluesky.inject(
        Respond(400, {"error": "InvalidRequest",
                      "message": f"bad {SECRETS['BLOGSITE_BLUESKY_APP_PASSWORD']}"}),
        match="createRecord",
    )
    world.bluesky.inject(ServerError(status=500), match="uploadBlob")
    assert world.publish().failed
    assert not world.publish().failed
    captured = capfd.readouterr()  # whatever the libraries may have printed, too
    bad_secret = dict(SECRETS, BLOGSITE_X_API_SECRET="WRONG-XSECRET-Zq1Wx2Ec3")
    world.edit("posts/private.md", "syndicate: false", "syndicate: [x]")
    run = world.cli(env=bad_secret)  # X answers 401 to the credential check
    assert run.returncode == 1
    assert "BLOGSITE_X_API_SECRET" in run.stderr
    everything = "\n".join([*world.output, captured.out, captured.err, run.stdout, run.stderr])
    assert "***" in everything  # the echoed values were scrubbed, not dropped
    values = [*SECRETS.values(), bad_secret["BLOGSITE_X_API_SECRET"]]
    for value in values:
        assert value not in everything
        for path, data in _files_under(world.root):
            assert value.encode() not in data, path
    # Sanity: the fakes did receive them, so they were there to leak.
    assert any(SECRETS["BLOGSITE_MASTODON_TOKEN"] in (r.header("Authorization") or "")
               for r in world.mastodon.requests)
