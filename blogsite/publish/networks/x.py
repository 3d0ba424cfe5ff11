"""X (Twitter) through tweepy's v2 Client, OAuth 1.0a user context."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from blogsite.publish.networks.base import (
    Network,
    RateLimited,
    Refused,
    SectionProblem,
    SendResult,
    Unavailable,
    describe,
)

if TYPE_CHECKING:
    import tweepy

    from blogsite.publish.announce import Announcement

X_LIMIT = 280
ENV_VARS = (
    "BLOGSITE_X_API_KEY",
    "BLOGSITE_X_API_SECRET",
    "BLOGSITE_X_ACCESS_TOKEN",
    "BLOGSITE_X_ACCESS_TOKEN_SECRET",
)
# tweepy hard-codes its host; these are rerouted to `[social.x] api_base`.
TWEEPY_ORIGINS = ("https://api.twitter.com/", "https://api.x.com/")
DUPLICATE = re.compile(r"duplicate", re.IGNORECASE)
HANDLE = re.compile(r"^@?[A-Za-z0-9_]{1,15}$")


@dataclass(frozen=True)
class XSection:
    api_base: str = "https://api.x.com"
    template: str = ""
    handle: str = ""  # the account's name, for the profile link (rel="me")


def _twitter_text() -> tuple[Any, Any]:
    """twitter-text's parse_tweet and extract_urls_with_indices, imported on first use."""
    with warnings.catch_warnings():
        # twitter-text-parser imports the deprecated pkg_resources; users must not see that.
        warnings.filterwarnings(
            "ignore", message="pkg_resources is deprecated", category=UserWarning
        )
        from twitter_text import parse_tweet
        from twitter_text.extract_urls import extract_urls_with_indices
    return parse_tweet, extract_urls_with_indices


def x_length(text: str) -> int:
    """X's weighted length, by twitter-text (the reference implementation X publishes)."""
    return int(_twitter_text()[0](text).weightedLength)


def _comparable(text: str) -> str:
    """Text with URLs blanked: X rewrites every link to t.co, so compare the rest."""
    extract_urls_with_indices = _twitter_text()[1]
    text = html.unescape(text)
    out, last = [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        out.append(text[last:start])
        out.append("<url>")
        last = end
    out.append(text[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


class XNetwork(Network):
    name = "x"
    label = "X"
    order = 10
    section_class = XSection
    env_vars = ENV_VARS
    ruler = "twitter-text weighted length: URLs 23, CJK and emoji 2"

    @classmethod
    def section_problems(cls, section: Any) -> list[SectionProblem]:
        problems = super().section_problems(section)
        if section.handle and not HANDLE.match(section.handle):
            problems.append(SectionProblem(
                "handle", f"handle {section.handle!r} is not an account name",
                'write the name alone: handle = "yourname"'))
        return problems

    @classmethod
    def profile_url(cls, section: Any) -> str | None:
        return f"https://x.com/{section.handle.lstrip('@')}" if section.handle else None

    def __init__(self, section: XSection, env: Mapping[str, str]) -> None:
        super().__init__(section, env)
        self._client: tweepy.Client | None = None
        self.user_id = ""
        self.username = ""

    @property
    def client(self) -> tweepy.Client:
        import tweepy

        from blogsite.publish.networks._http import RecordingSession, RerouteAdapter

        if self._client is None:
            client = tweepy.Client(
                consumer_key=self.env["BLOGSITE_X_API_KEY"].strip(),
                consumer_secret=self.env["BLOGSITE_X_API_SECRET"].strip(),
                access_token=self.env["BLOGSITE_X_ACCESS_TOKEN"].strip(),
                access_token_secret=self.env["BLOGSITE_X_ACCESS_TOKEN_SECRET"].strip(),
            )
            session = RecordingSession()
            adapter = RerouteAdapter(self.section.api_base)
            for origin in TWEEPY_ORIGINS:
                session.mount(origin, adapter)
            client.session = session
            self._client = client
        return self._client

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a tweepy call, turning its exceptions into ours (scrubbed)."""
        import requests
        import tweepy

        from blogsite.publish.networks._http import parse_reset

        try:
            return func(*args, **kwargs)
        except tweepy.TooManyRequests as exc:
            raise RateLimited(
                f"X rate limit reached ({what})", parse_reset(exc.response.headers)
            ) from None
        except tweepy.Unauthorized:
            raise Refused(
                "X refused the credentials (401): check BLOGSITE_X_API_KEY, "
                "BLOGSITE_X_API_SECRET, BLOGSITE_X_ACCESS_TOKEN and "
                "BLOGSITE_X_ACCESS_TOKEN_SECRET (the app needs Read and Write permission, and "
                "the access token must be regenerated after changing it)",
                credentials=True,
            ) from None
        except tweepy.TwitterServerError as exc:
            raise Unavailable(f"X server error during {what}: {describe(exc)}") from None
        except tweepy.HTTPException as exc:
            raise Refused(f"X refused {what}: {describe(exc)}") from None
        except requests.RequestException as exc:
            raise Unavailable(f"no answer from X during {what}: {describe(exc)}") from None
        except tweepy.TweepyException as exc:
            raise Unavailable(f"X {what} failed: {describe(exc)}") from None

    def connect(self) -> None:
        # Catches wrong or read-only keys before anything is posted, and gives the
        # username for links to the posts.
        response = self._call("credential check", self.client.get_me, user_auth=True)
        data = getattr(response, "data", None)
        if data is not None:
            self.user_id = str(data.id)
            self.username = str(getattr(data, "username", "") or "")

    def limit(self) -> int:
        return X_LIMIT

    def limit_note(self) -> str:
        return f"limit {X_LIMIT}, X's own"

    def fetcher(self, patience: Any, lang: str) -> Any:
        from blogsite.replies.x import XFetcher

        return XFetcher(self, patience, lang)

    def account_name(self) -> str:
        if self.username:
            return f"@{self.username}"
        return "the account of the access token in BLOGSITE_X_ACCESS_TOKEN"

    def destination(self, announcement: Announcement) -> list[str]:
        return [
            f"to: {self.account_name()}, through {self.section.api_base}",
            "visibility: public (X has no other) · language: not sent (X detects it)",
            "link card: made by X from the page's own tags",
        ]

    def measure(self, text: str) -> int:
        return x_length(text)

    def remote_url(self, tweet_id: str) -> str:
        if self.username:
            return f"https://x.com/{self.username}/status/{tweet_id}"
        return f"https://x.com/i/web/status/{tweet_id}"

    def send(self, announcement: Announcement, key: str) -> SendResult:
        import tweepy

        try:
            response = self.client.create_tweet(text=announcement.text, user_auth=True)
        except tweepy.Forbidden as exc:
            messages = " ".join(exc.api_messages) + " " + str(exc)
            if DUPLICATE.search(messages):
                # X refuses an identical text from the same account: an earlier attempt,
                # whose answer was lost, went through.
                found = self._lookup(announcement)
                note = "X reports duplicate content: an earlier attempt went through"
                if found is not None:
                    return SendResult(found.remote_id, found.remote_url, note)
                return SendResult("", "", note)
            raise Refused(f"X refused the post (403): {describe(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - mapped to our errors just below
            self._call("posting", _reraise, exc)
            raise
        data = getattr(response, "data", None) or {}
        tweet_id = str(data.get("id", "")) if isinstance(data, dict) else ""
        if not tweet_id:
            raise Unavailable("X answered without the id of the new post")
        return SendResult(tweet_id, self.remote_url(tweet_id))

    def _lookup(self, announcement: Announcement) -> SendResult | None:
        """The account's recent post with this text, or None (also when lookup fails)."""
        try:
            if not self.user_id:
                self.connect()
            # Reads are billed per post returned: the fewest X allows (5) is enough to find
            # an attempt of the last minutes.
            response = self._call(
                "lookup", self.client.get_users_tweets, self.user_id, max_results=5,
                user_auth=True,
            )
        except (Refused, RateLimited, Unavailable):
            return None
        wanted = _comparable(announcement.text)
        for tweet in getattr(response, "data", None) or []:
            if _comparable(str(getattr(tweet, "text", ""))) == wanted:
                tweet_id = str(tweet.id)
                return SendResult(tweet_id, self.remote_url(tweet_id))
        return None

    def new_key(self, seed: str) -> str:
        return ""  # X has no idempotency key; identical text is its de-duplication

    def find_existing(self, announcement: Announcement, key: str) -> SendResult | None:
        # Only a hint: the duplicate-content 403 on the retry is the reliable signal.
        return self._lookup(announcement)

    def close(self) -> None:
        if self._client is not None:
            self._client.session.close()


def _reraise(exc: BaseException) -> None:
    raise exc
