"""The fake X / Mastodon / Bluesky servers, driven by the real client libraries.

These tests pin down two things at once: that the fakes answer in shapes the real
libraries accept, and how each library surfaces each failure mode (which exception,
where the rate-limit reset can be read), so blogsite's networks code can rely on it.
"""

# Test parameters named like the imported fixtures are how pytest injects them.
# ruff: noqa: F811

from __future__ import annotations

import importlib
import importlib.resources
import sys
import time
import types
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import mastodon
import pytest
import requests
import tweepy
from atproto import Client as AtprotoClient
from atproto import client_utils, models
from atproto_client import exceptions as at_exc
from atproto_client.request import Request as AtprotoRequest
from mastodon.errors import MastodonDeprecationWarning

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
    reroute_tweepy,
)
from tests.fakes.fixtures import fake_bluesky, fake_mastodon, fake_x  # noqa: F401
from tests.fakes.x_api import weighted_length

# Generous for ordinary requests, so a loaded machine doesn't cause spurious timeouts.
CLIENT_TIMEOUT = 5.0
# Used only where a Timeout fault is injected: keeps those tests fast.
SHORT_TIMEOUT = 0.4
# Longer than SHORT_TIMEOUT so the client always gives up first; the fake cuts the
# sleep short when it stops.
SERVER_STALL = 3.0


# --------------------------------------------------------------------------- clients


def make_tweepy(fake: FakeXServer, timeout: float = CLIENT_TIMEOUT, **overrides: str) -> tweepy.Client:
    client = tweepy.Client(**{**fake.credentials, **overrides})
    reroute_tweepy(client, fake.url, timeout=timeout)
    return client


def bsky_request(timeout: float = CLIENT_TIMEOUT) -> AtprotoRequest:
    # verify=False: the fake is plain http, and it spares httpx loading the CA bundle
    # (~80 ms per client).
    return AtprotoRequest(timeout=timeout, verify=False)


def make_bsky(fake: FakeBlueskyServer, timeout: float = CLIENT_TIMEOUT) -> AtprotoClient:
    client = AtprotoClient(base_url=fake.url, request=bsky_request(timeout))
    client.login(fake.handle, fake.password)
    return client


@pytest.fixture
def x_client(fake_x: FakeXServer) -> Iterator[tweepy.Client]:
    client = make_tweepy(fake_x)
    yield client
    client.session.close()


@pytest.fixture
def masto(fake_mastodon: FakeMastodonServer) -> Iterator[mastodon.Mastodon]:
    client = mastodon.Mastodon(
        access_token=fake_mastodon.access_token,
        api_base_url=fake_mastodon.url,
        ratelimit_method="throw",
        request_timeout=CLIENT_TIMEOUT,
    )
    yield client
    client.session.close()


@pytest.fixture
def bsky(fake_bluesky: FakeBlueskyServer) -> Iterator[AtprotoClient]:
    client = make_bsky(fake_bluesky)
    yield client
    client.request.close()


def list_posts(
    client: AtprotoClient, did: str, **params: object
) -> models.ComAtprotoRepoListRecords.Response:
    return client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=did, collection="app.bsky.feed.post", **params)
    )


# --------------------------------------------------------------------------- base


def test_fault_matching_times_and_log(fake_x: FakeXServer, x_client: tweepy.Client) -> None:
    fake_x.inject(ServerError(503), times=2, match="POST /2/tweets")
    x_client.get_me()  # not matched: the fault waits for a POST
    for _ in range(2):
        with pytest.raises(tweepy.TwitterServerError):
            x_client.create_tweet(text="hello")
    assert fake_x.pending_faults == []
    x_client.create_tweet(text="hello")

    log = fake_x.requests
    assert [(r.method, r.path, r.fault, r.status) for r in log] == [
        ("GET", "/2/users/me", None, 200),
        ("POST", "/2/tweets", "ServerError", 503),
        ("POST", "/2/tweets", "ServerError", 503),
        ("POST", "/2/tweets", None, 201),
    ]
    assert log[-1].json == {"text": "hello"}
    assert log[-1].header("authorization", "").startswith("OAuth ")


def test_fault_forever_until_cleared_and_canned_response(
    fake_mastodon: FakeMastodonServer,
    masto: mastodon.Mastodon,
) -> None:
    fake_mastodon.inject(Respond(418, {"error": "I'm a teapot"}), times=None)
    for _ in range(3):
        with pytest.raises(mastodon.MastodonAPIError) as info:
            masto.status_post("x")
        assert info.value.args[1] == 418
    fake_mastodon.clear_faults()
    assert masto.status_post("x").content == "<p>x</p>"


def test_stop_is_quick_even_with_a_stalled_request() -> None:
    fake = FakeXServer().start()
    client = make_tweepy(fake, timeout=SHORT_TIMEOUT)
    fake.inject(Timeout(30))
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get_me()
    started = time.monotonic()
    fake.stop()
    client.session.close()
    assert time.monotonic() - started < 2


# --------------------------------------------------------------------------- X / tweepy


def test_x_create_tweet_is_stored_and_readable(fake_x: FakeXServer, x_client: tweepy.Client) -> None:
    response = x_client.create_tweet(text="New post: https://blog.example.com/p/1")

    data = response.data
    assert data["id"].isdigit()
    assert data["edit_history_tweet_ids"] == [data["id"]]
    # X answers with t.co-wrapped links, not the text that was sent.
    assert data["text"].startswith("New post: https://t.co/")
    assert fake_x.tweets[0]["submitted_text"] == "New post: https://blog.example.com/p/1"
    assert fake_x.tweets[0]["id"] == data["id"]

    me = x_client.get_me().data
    assert (me.id, me.username) == (int(fake_x.user_id), fake_x.username)
    timeline = x_client.get_users_tweets(fake_x.user_id, user_auth=True)
    assert [t.id for t in timeline.data] == [int(data["id"])]
    missing = x_client.get_tweet("1", user_auth=True)
    assert missing.data is None
    assert missing.errors[0]["title"] == "Not Found Error"


def test_x_success_carries_rate_limit_headers(fake_x: FakeXServer) -> None:
    client = tweepy.Client(**fake_x.credentials, return_type=requests.Response)
    reroute_tweepy(client, fake_x.url)
    try:
        response = client.create_tweet(text="hi")
    finally:
        client.session.close()
    assert response.status_code == 201
    assert int(response.headers["x-rate-limit-remaining"]) == int(response.headers["x-rate-limit-limit"]) - 1
    assert int(response.headers["x-rate-limit-reset"]) > time.time()


def test_x_duplicate_content_is_forbidden(x_client: tweepy.Client) -> None:
    x_client.create_tweet(text="same text")
    with pytest.raises(tweepy.Forbidden) as info:
        x_client.create_tweet(text="same text")
    assert info.value.api_messages == ["You are not allowed to create a Tweet with duplicate content."]


def test_x_length_is_weighted(fake_x: FakeXServer, x_client: tweepy.Client) -> None:
    # A URL always weighs 23, so this 300-character text still fits in 280.
    fits = "a" * 250 + " https://example.com/" + "x" * 40
    x_client.create_tweet(text=fits)
    # CJK characters weigh 2: 141 of them are 282.
    with pytest.raises(tweepy.BadRequest) as info:
        x_client.create_tweet(text="日" * 141)
    assert "too long" in info.value.api_messages[0]
    assert len(fake_x.tweets) == 1


WEIGHT_SAMPLES = [
    "hello",
    "日本語テキスト",
    "😷 👍🏽 👨\u200d👩\u200d👧 🇩🇪 ©️ #️⃣ ✨ ‼️ ☕ ❤️",
    "see https://example.com/a?b=1, and blog.example.org/x. ok",
    "e\u0301 café — “quotes” … ½ € ← ✓",
    "Read: ünïcode post https://blog.example.com/p/1 #tag @user",
    "x\r\ny",
]


def test_x_weighted_length_matches_twitter_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # twitter_text needs pkg_resources (gone from setuptools >= 81, warning before that);
    # a shim providing resource_string lets us import it just for this comparison.
    shim = types.ModuleType("pkg_resources")
    shim.resource_string = lambda module, name: (  # type: ignore[attr-defined]
        importlib.resources.files(module.rpartition(".")[0]).joinpath(name).read_bytes()
    )
    monkeypatch.setitem(sys.modules, "pkg_resources", shim)
    before = set(sys.modules)
    try:
        parse_tweet = importlib.import_module("twitter_text").parse_tweet
        for text in WEIGHT_SAMPLES:
            assert weighted_length(text) == parse_tweet(text).weightedLength, text
    finally:
        for name in set(sys.modules) - before:
            if name.startswith("twitter_text"):
                del sys.modules[name]


@pytest.mark.parametrize(
    "override",
    [{"consumer_key": "wrong"}, {"access_token": "1-wrong"}, {"consumer_secret": "wrong"}],
)
def test_x_bad_credentials_are_unauthorized(fake_x: FakeXServer, override: dict[str, str]) -> None:
    client = make_tweepy(fake_x, **override)
    try:
        with pytest.raises(tweepy.Unauthorized) as info:
            client.get_me()
    finally:
        client.session.close()
    assert info.value.response.json()["detail"] == "Unauthorized"


def test_x_app_only_token_cannot_post(fake_x: FakeXServer) -> None:
    client = tweepy.Client(bearer_token="AAAA-app-only")
    reroute_tweepy(client, fake_x.url)
    try:
        with pytest.raises(tweepy.Forbidden) as info:
            client.create_tweet(text="hi", user_auth=False)
    finally:
        client.session.close()
    assert info.value.response.json()["title"] == "Unsupported Authentication"


def test_x_rate_limited(fake_x: FakeXServer, x_client: tweepy.Client) -> None:
    fake_x.inject(RateLimited(reset_in=60))
    with pytest.raises(tweepy.TooManyRequests) as info:
        x_client.create_tweet(text="hi")
    exc = info.value
    assert exc.reset_time is not None and 55 <= exc.reset_time - time.time() <= 61
    assert exc.response.headers["x-rate-limit-remaining"] == "0"
    assert exc.response.json()["title"] == "Too Many Requests"
    assert fake_x.tweets == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_x_server_errors(fake_x: FakeXServer, x_client: tweepy.Client, status: int) -> None:
    fake_x.inject(ServerError(status))
    with pytest.raises(tweepy.TwitterServerError) as info:
        x_client.create_tweet(text="hi")
    assert info.value.response.status_code == status
    assert fake_x.tweets == []


def test_x_unauthorized_fault(x_client: tweepy.Client, fake_x: FakeXServer) -> None:
    fake_x.inject(Unauthorized())
    with pytest.raises(tweepy.Unauthorized):
        x_client.create_tweet(text="hi")


def test_x_timeout_needs_the_adapter_timeout(fake_x: FakeXServer) -> None:
    # tweepy passes no timeout at all; only the RerouteAdapter's default stops the wait.
    client = make_tweepy(fake_x, timeout=SHORT_TIMEOUT)
    fake_x.inject(Timeout(SERVER_STALL))
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.create_tweet(text="hi")
    finally:
        client.session.close()
    assert fake_x.tweets == []


def test_x_slow_server_still_posts_after_client_timeout(fake_x: FakeXServer) -> None:
    client = make_tweepy(fake_x, timeout=SHORT_TIMEOUT)
    fake_x.inject(Timeout(SHORT_TIMEOUT + 0.3, process=True))
    try:
        with pytest.raises(requests.exceptions.ReadTimeout):
            client.create_tweet(text="slow")
    finally:
        client.session.close()
    deadline = time.monotonic() + 3
    while not fake_x.tweets and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [t["submitted_text"] for t in fake_x.tweets] == ["slow"]


@pytest.mark.parametrize("graceful", [False, True])
def test_x_connection_reset(fake_x: FakeXServer, x_client: tweepy.Client, graceful: bool) -> None:
    fake_x.inject(ConnectionReset(graceful=graceful))
    # tweepy does not wrap transport errors: the raw requests exception escapes.
    with pytest.raises(requests.exceptions.ConnectionError):
        x_client.create_tweet(text="hi")
    assert fake_x.tweets == []
    assert (fake_x.requests[-1].fault, fake_x.requests[-1].answered) == ("ConnectionReset", False)


def test_x_stored_but_lost_then_retry_is_a_duplicate(
    fake_x: FakeXServer,
    x_client: tweepy.Client,
) -> None:
    fake_x.inject(StoredButLost())
    with pytest.raises(requests.exceptions.ConnectionError):
        x_client.create_tweet(text="announce once")
    assert [t["submitted_text"] for t in fake_x.tweets] == ["announce once"]
    lost = fake_x.requests[-1]
    assert (lost.status, lost.answered) == (201, False)
    # X has no idempotency key: a blind retry is refused as duplicate content.
    with pytest.raises(tweepy.Forbidden):
        x_client.create_tweet(text="announce once")
    assert len(fake_x.tweets) == 1


# --------------------------------------------------------------------------- Mastodon


def test_mastodon_construction_makes_no_request(fake_mastodon: FakeMastodonServer) -> None:
    client = mastodon.Mastodon(access_token=fake_mastodon.access_token, api_base_url=fake_mastodon.url)
    client.session.close()
    assert fake_mastodon.requests == []


def test_mastodon_version_probe_and_instance_limits() -> None:
    with FakeMastodonServer(max_characters=1000) as fake:
        client = mastodon.Mastodon(
            access_token=fake.access_token, api_base_url=fake.url, version_check_mode="created"
        )
        try:
            assert (client.mastodon_major, client.mastodon_minor) == (4, 3)
            statuses = client.instance().configuration.statuses
        finally:
            client.session.close()
        assert (statuses.max_characters, statuses.characters_reserved_per_url) == (1000, 23)
        assert [r.path for r in fake.requests[:2]] == ["/api/v1/instance/", "/api/v2/instance/"]


def test_mastodon_instance_v1_is_deprecated(masto: mastodon.Mastodon) -> None:
    with pytest.warns(MastodonDeprecationWarning):
        masto.instance_v1()


def test_mastodon_post_is_stored(fake_mastodon: FakeMastodonServer, masto: mastodon.Mastodon) -> None:
    status = masto.status_post("New post https://blog.example.com/p/1", visibility="unlisted", language="de")
    assert status.url == f"{fake_mastodon.url}/@{fake_mastodon.username}/{status.id}"
    assert (status.visibility, status.language) == ("unlisted", "de")
    assert isinstance(status.created_at, datetime)
    assert 'href="https://blog.example.com/p/1"' in status.content
    assert masto.me().statuses_count == 1
    assert [s["id"] for s in fake_mastodon.statuses] == [str(status.id)]
    assert fake_mastodon.requests_for("/api/v1/statuses", "POST")[0].form["visibility"] == ["unlisted"]
    assert masto.status(status.id).id == status.id


def test_mastodon_length_counts_urls_as_23(masto: mastodon.Mastodon) -> None:
    masto.status_post("a" * 476 + " https://example.com/" + "x" * 200)  # 476 + 1 + 23 = 500
    with pytest.raises(mastodon.MastodonAPIError) as info:
        masto.status_post("a" * 501)
    assert info.value.args[1] == 422
    assert info.value.args[3] == "Validation failed: Text character limit of 500 exceeded"


def test_mastodon_idempotency_key_dedups(
    fake_mastodon: FakeMastodonServer,
    masto: mastodon.Mastodon,
) -> None:
    first = masto.status_post("hello", idempotency_key="post-1")
    again = masto.status_post("hello", idempotency_key="post-1")
    other = masto.status_post("hello", idempotency_key="post-2")
    assert again.id == first.id
    assert other.id != first.id
    assert len(fake_mastodon.statuses) == 2


def test_mastodon_stored_but_lost_then_retry_with_same_key(
    fake_mastodon: FakeMastodonServer,
    masto: mastodon.Mastodon,
) -> None:
    fake_mastodon.inject(StoredButLost())
    with pytest.raises(mastodon.MastodonNetworkError):
        masto.status_post("announce once", idempotency_key="blog:p1")
    assert len(fake_mastodon.statuses) == 1
    retried = masto.status_post("announce once", idempotency_key="blog:p1")
    assert len(fake_mastodon.statuses) == 1
    assert str(retried.id) == fake_mastodon.statuses[0]["id"]


def test_mastodon_rate_limited_throw(fake_mastodon: FakeMastodonServer, masto: mastodon.Mastodon) -> None:
    fake_mastodon.inject(RateLimited(reset_in=30))
    with pytest.raises(mastodon.MastodonRatelimitError):
        masto.status_post("hi")
    # Mastodon.py parses X-RateLimit-Reset (ISO 8601) into an epoch on the client object.
    assert 25 <= masto.ratelimit_reset - time.time() <= 32
    assert masto.ratelimit_remaining == 0
    assert fake_mastodon.statuses == []


def test_mastodon_rate_limited_wait_mode_sleeps_and_retries(
    fake_mastodon: FakeMastodonServer,
) -> None:
    client = mastodon.Mastodon(
        access_token=fake_mastodon.access_token, api_base_url=fake_mastodon.url, request_timeout=2
    )
    fake_mastodon.inject(RateLimited(reset_in=0.3))
    started = time.monotonic()
    try:
        client.status_post("hi")  # default ratelimit_method="wait": no exception at all
    finally:
        client.session.close()
    assert time.monotonic() - started >= 0.2
    assert [r.status for r in fake_mastodon.requests] == [429, 200]


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (500, mastodon.MastodonInternalServerError),
        (502, mastodon.MastodonBadGatewayError),
        (503, mastodon.MastodonServiceUnavailableError),
    ],
)
def test_mastodon_server_errors(
    fake_mastodon: FakeMastodonServer,
    masto: mastodon.Mastodon,
    status: int,
    exc_type: type[Exception],
) -> None:
    fake_mastodon.inject(ServerError(status))
    with pytest.raises(exc_type) as info:
        masto.status_post("hi")
    assert isinstance(info.value, mastodon.MastodonServerError)
    assert fake_mastodon.statuses == []


@pytest.mark.parametrize("fault", [Timeout(SERVER_STALL), ConnectionReset(), ConnectionReset(graceful=True)])
def test_mastodon_network_failures(
    fake_mastodon: FakeMastodonServer,
    masto: mastodon.Mastodon,
    fault: object,
) -> None:
    masto.request_timeout = SHORT_TIMEOUT
    fake_mastodon.inject(fault)  # type: ignore[arg-type]
    with pytest.raises(mastodon.MastodonNetworkError):
        masto.status_post("hi")
    assert fake_mastodon.statuses == []


def test_mastodon_unauthorized(fake_mastodon: FakeMastodonServer, masto: mastodon.Mastodon) -> None:
    fake_mastodon.inject(Unauthorized())
    with pytest.raises(mastodon.MastodonUnauthorizedError) as info:
        masto.status_post("hi")
    assert info.value.args[3] == "The access token is invalid"
    wrong = mastodon.Mastodon(access_token="nope", api_base_url=fake_mastodon.url)
    try:
        with pytest.raises(mastodon.MastodonUnauthorizedError):
            wrong.account_verify_credentials()
    finally:
        wrong.session.close()


# --------------------------------------------------------------------------- Bluesky


def test_bluesky_login_and_post(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    assert bsky.me is not None and bsky.me.did == fake_bluesky.did
    assert [r.path.rsplit("/", 1)[1] for r in fake_bluesky.requests] == [
        "com.atproto.server.createSession",
        "app.bsky.actor.getProfile",
    ]
    created = bsky.send_post("Hello from the blog ✨")
    assert created.uri.startswith(f"at://{fake_bluesky.did}/app.bsky.feed.post/")
    assert created.cid.startswith("bafyrei")
    [stored] = fake_bluesky.posts
    assert (stored["uri"], stored["value"]["text"]) == (created.uri, "Hello from the blog ✨")
    assert stored["value"]["langs"] == ["en"]
    assert bsky.resolve_handle(fake_bluesky.handle).did == fake_bluesky.did
    got = bsky.app.bsky.feed.post.get(fake_bluesky.did, stored["rkey"])
    assert got.value.text == "Hello from the blog ✨"


def test_bluesky_list_records_newest_first_with_cursor(
    fake_bluesky: FakeBlueskyServer,
    bsky: AtprotoClient,
) -> None:
    uris = [bsky.send_post(f"post {i}").uri for i in range(3)]
    page1 = list_posts(bsky, fake_bluesky.did, limit=2)
    assert [r.uri for r in page1.records] == [uris[2], uris[1]]
    page2 = list_posts(bsky, fake_bluesky.did, limit=2, cursor=page1.cursor)
    assert [r.uri for r in page2.records] == [uris[0]]
    assert page2.cursor is not None  # the PDS sends a cursor with every non-empty page
    assert list_posts(bsky, fake_bluesky.did, cursor=page2.cursor).records == []
    oldest_first = list_posts(bsky, fake_bluesky.did, reverse=True)
    assert [r.uri for r in oldest_first.records] == uris


def test_bluesky_wrong_password(fake_bluesky: FakeBlueskyServer) -> None:
    client = AtprotoClient(base_url=fake_bluesky.url, request=bsky_request())
    try:
        with pytest.raises(at_exc.UnauthorizedError) as info:
            client.login(fake_bluesky.handle, "wrong")
    finally:
        client.request.close()
    assert info.value.response.content.error == "AuthenticationRequired"
    assert info.value.response.content.message == "Invalid identifier or password"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 301, "must not be longer than 300 graphemes"),
        (
            "a" + "\u0301" * 1600,
            "must not be longer than 3000 characters",
        ),  # 1 grapheme, 3201 bytes
    ],
)
def test_bluesky_text_limits(
    fake_bluesky: FakeBlueskyServer,
    bsky: AtprotoClient,
    text: str,
    message: str,
) -> None:
    bsky.send_post("👍" * 300)  # 300 graphemes, 1200 bytes: fine
    with pytest.raises(at_exc.BadRequestError) as info:
        bsky.send_post(text)
    assert message in info.value.response.content.message
    assert len(fake_bluesky.posts) == 1


def test_bluesky_facets_must_fit_the_utf8_text(
    fake_bluesky: FakeBlueskyServer,
    bsky: AtprotoClient,
) -> None:
    builder = client_utils.TextBuilder().text("Read: ").link("ünïcode post", "https://blog.example.com/p")
    bsky.send_post(builder)
    [facet] = fake_bluesky.posts[0]["value"]["facets"]
    assert (facet["index"]["byteStart"], facet["index"]["byteEnd"]) == (6, 20)

    # Offsets counted in characters instead of bytes overshoot the UTF-8 text.
    text = "ü" * 10
    bad = models.AppBskyRichtextFacet.Main(
        index=models.AppBskyRichtextFacet.ByteSlice(byte_start=15, byte_end=25),
        features=[models.AppBskyRichtextFacet.Link(uri="https://example.com")],
    )
    with pytest.raises(at_exc.BadRequestError):
        bsky.send_post(text, facets=[bad])
    assert len(fake_bluesky.posts) == 1


def test_bluesky_upload_blob(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    # atproto passes the bytes as httpx data=..., which warns; under
    # filterwarnings=error that warning would be raised from upload_blob itself.
    with pytest.warns(DeprecationWarning, match="content="):
        uploaded = bsky.upload_blob(png)
    assert uploaded.blob.mime_type == "image/png"
    assert uploaded.blob.size == len(png)
    assert uploaded.blob.ref.link.startswith("bafkrei")
    assert fake_bluesky.blobs[0]["data"] == png

    with pytest.warns(DeprecationWarning), pytest.raises(at_exc.NetworkError) as info:
        bsky.upload_blob(b"\0" * 1_000_001)
    # 413 is raised as NetworkError, i.e. it looks retryable although it never will be.
    assert info.value.response.status_code == 413
    assert info.value.response.content.error == "PayloadTooLarge"


def test_bluesky_rate_limited(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    fake_bluesky.inject(RateLimited(reset_in=120))
    with pytest.raises(at_exc.RateLimitExceededError) as info:
        bsky.send_post("hi")
    exc = info.value
    assert exc.remaining == 0 and exc.limit == 5000
    assert exc.reset_at is not None
    assert 110 <= (exc.reset_at - datetime.now(UTC)).total_seconds() <= 121
    assert exc.policy == "5000;w=3600"
    assert exc.retry_after == 120
    assert exc.response.content.error == "RateLimitExceeded"
    assert fake_bluesky.posts == []


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [(500, at_exc.RequestException), (502, at_exc.NetworkError), (503, at_exc.RequestException)],
)
def test_bluesky_server_errors(
    fake_bluesky: FakeBlueskyServer,
    bsky: AtprotoClient,
    status: int,
    exc_type: type[Exception],
) -> None:
    fake_bluesky.inject(ServerError(status))
    with pytest.raises(exc_type) as info:
        bsky.send_post("hi")
    assert info.value.response.status_code == status
    assert fake_bluesky.posts == []


@pytest.mark.parametrize(
    ("fault", "exc_type"),
    [
        (Timeout(SERVER_STALL), at_exc.InvokeTimeoutError),
        (ConnectionReset(), at_exc.NetworkError),
        # A FIN instead of a RST escapes the SDK as a raw httpx error.
        (ConnectionReset(graceful=True), httpx.RemoteProtocolError),
    ],
)
def test_bluesky_network_failures(
    fake_bluesky: FakeBlueskyServer,
    fault: object,
    exc_type: type[Exception],
) -> None:
    client = make_bsky(fake_bluesky, timeout=SHORT_TIMEOUT)
    fake_bluesky.inject(fault)  # type: ignore[arg-type]
    try:
        with pytest.raises(exc_type):
            client.send_post("hi")
    finally:
        client.request.close()
    assert fake_bluesky.posts == []


def test_bluesky_stored_but_lost(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    fake_bluesky.inject(StoredButLost(), match="createRecord")
    with pytest.raises(at_exc.NetworkError):
        bsky.send_post("announce once")
    # The post exists although the client never heard back: listRecords shows it.
    [record] = list_posts(bsky, fake_bluesky.did).records
    assert record.value.text == "announce once"


def test_bluesky_reused_rkey_is_a_500(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    record = models.AppBskyFeedPost.Record(text="hi", created_at=bsky.get_current_time_iso())
    bsky.app.bsky.feed.post.create(fake_bluesky.did, record, rkey="3kblogpost000")
    with pytest.raises(at_exc.RequestException) as info:
        bsky.app.bsky.feed.post.create(fake_bluesky.did, record, rkey="3kblogpost000")
    assert info.value.response.status_code == 500
    assert len(fake_bluesky.posts) == 1


def test_bluesky_unauthorized_and_expired(fake_bluesky: FakeBlueskyServer, bsky: AtprotoClient) -> None:
    fake_bluesky.inject(Unauthorized())
    with pytest.raises(at_exc.UnauthorizedError):
        bsky.send_post("hi")
    # An expired access token is a 400 (ExpiredToken), so it is *not* UnauthorizedError.
    fake_bluesky.expire_access_tokens()
    with pytest.raises(at_exc.BadRequestError) as info:
        bsky.send_post("hi")
    assert info.value.response.content.error == "ExpiredToken"
    assert fake_bluesky.posts == []


def test_bluesky_client_refreshes_short_lived_tokens() -> None:
    # The SDK refreshes when the access JWT expires within 15 minutes.
    with FakeBlueskyServer(access_ttl=600) as fake:
        client = AtprotoClient(base_url=fake.url, request=bsky_request())
        try:
            client.login(fake.handle, fake.password)
            client.send_post("hi")
        finally:
            client.request.close()
        names = [r.path.rsplit("/", 1)[1] for r in fake.requests]
        assert names.count("com.atproto.server.refreshSession") == 2  # before getProfile and post
        assert len(fake.posts) == 1
