"""Mastodon through Mastodon.py, with an Idempotency-Key stable for (post, account)."""

from __future__ import annotations

import html
import re
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
    from mastodon import Mastodon

    from blogsite.publish.announce import Announcement

ENV_VARS = ("BLOGSITE_MASTODON_TOKEN",)
MASTODON_DEFAULT_LIMIT = 500
MASTODON_URL_LENGTH = 23
VISIBILITIES = ("public", "unlisted", "private", "direct")
ACCOUNT_NAME = re.compile(r"^@?[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class MastodonSection:
    instance: str = "https://mastodon.social"
    visibility: str = "public"
    template: str = ""
    account: str = ""  # the account's name on the instance, for the profile link (rel="me")


# What Mastodon's validator treats as a link; trailing punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = re.compile(r"[.,;:!?)\]'\"]+$")
_REMOTE_MENTION = re.compile(r"(?<![\w/])@(\w+)@[\w.-]+\w")


def mastodon_length(text: str, url_length: int = MASTODON_URL_LENGTH) -> int:
    """Mastodon's count (StatusLengthValidator): each URL costs `url_length`, a remote
    mention its local part, everything else one per grapheme."""

    def one(match: re.Match[str]) -> str:
        tail = _TRAILING.search(match.group(0))
        return "x" * url_length + (tail.group(0) if tail else "")

    import grapheme

    local = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), _URL.sub(one, text))
    return int(grapheme.length(local))


class MastodonNetwork(Network):
    name = "mastodon"
    label = "Mastodon"
    order = 20
    section_class = MastodonSection
    env_vars = ENV_VARS
    ruler = "characters, each link as 23 or as the instance says"

    def __init__(self, section: MastodonSection, env: Mapping[str, str]) -> None:
        from blogsite.publish.networks._http import RecordingSession

        super().__init__(section, env)
        self.base = section.instance.rstrip("/")
        self._api: Mastodon | None = None
        self._session = RecordingSession()
        self._limit: int | None = None
        self._limit_from_instance = False
        self._url_length = MASTODON_URL_LENGTH
        self.account_id = ""
        self.account = ""

    @classmethod
    def section_problems(cls, section: Any) -> list[SectionProblem]:
        problems = super().section_problems(section)
        if section.visibility not in VISIBILITIES:
            problems.append(SectionProblem(
                "visibility", f"visibility {section.visibility!r} is not valid",
                "use one of: " + ", ".join(VISIBILITIES)))
        if section.account and not ACCOUNT_NAME.match(section.account):
            problems.append(SectionProblem(
                "account", f"account {section.account!r} is not an account name",
                'write the name alone, without the server: account = "yourname"'))
        return problems

    @classmethod
    def profile_url(cls, section: Any) -> str | None:
        if not section.account:
            return None
        return f"{section.instance.rstrip('/')}/@{section.account.lstrip('@')}"

    def fetcher(self, patience: Any, lang: str) -> Any:
        from blogsite.replies.mastodon import MastodonFetcher

        return MastodonFetcher(self, patience, lang)

    def account_key(self) -> str:
        return self.account_id or self.base

    @property
    def api(self) -> Mastodon:
        from mastodon import Mastodon

        if self._api is None:
            self._api = Mastodon(
                access_token=self.env["BLOGSITE_MASTODON_TOKEN"].strip(),
                api_base_url=self.base,
                # We decide how long to wait on a 429 ([publish] max_wait), not the library.
                ratelimit_method="throw",
                request_timeout=self._session.default_timeout,
                session=self._session,
                version_check_mode="none",
            )
        return self._api

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        from mastodon import (
            MastodonAPIError,
            MastodonError,
            MastodonNetworkError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        from blogsite.publish.networks._http import parse_reset

        try:
            return func(*args, **kwargs)
        except MastodonRatelimitError:
            response = self._session.last_response
            reset = parse_reset(response.headers if response is not None else None)
            if reset is None and self._api is not None and self._api.ratelimit_reset:
                reset = float(self._api.ratelimit_reset)
            raise RateLimited(f"Mastodon rate limit reached ({what})", reset) from None
        except MastodonUnauthorizedError:
            raise Refused(
                f"{self.base} refused the access token (401): check BLOGSITE_MASTODON_TOKEN "
                "(a token of an application with the write:statuses scope)",
                credentials=True,
            ) from None
        except MastodonServerError as exc:
            raise Unavailable(f"Mastodon server error during {what}: {describe(exc)}") from None
        except MastodonNetworkError as exc:
            raise Unavailable(
                f"no answer from {self.base} during {what}: {describe(exc)}"
            ) from None
        except MastodonAPIError as exc:
            status = exc.args[1] if len(exc.args) > 1 else None
            if status == 403:
                raise Refused(
                    f"{self.base} refused {what} (403): the token in BLOGSITE_MASTODON_TOKEN "
                    "needs the scopes write:statuses, profile and read:statuses (or the "
                    "account is limited)",
                    credentials=True,
                ) from None
            raise Refused(f"Mastodon refused {what}: {describe(exc)}") from None
        except MastodonError as exc:
            raise Unavailable(f"Mastodon {what} failed: {describe(exc)}") from None

    def _instance_limits(self) -> None:
        """max_characters and the URL length of this instance; 500 and 23 if it will not say."""
        self._limit = MASTODON_DEFAULT_LIMIT
        for path in ("/api/v2/instance", "/api/v1/instance"):
            try:
                response = self._session.get(self.base + path)
                if response.status_code != 200:
                    continue
                data = response.json()
            except Exception:  # noqa: BLE001 - any failure means: use the defaults
                continue
            config = (data or {}).get("configuration") or {}
            statuses = config.get("statuses") or {}
            limit = statuses.get("max_characters") or data.get("max_toot_chars")
            if isinstance(limit, int) and limit > 0:
                self._limit = limit
                self._limit_from_instance = True
            per_url = statuses.get("characters_reserved_per_url")
            if isinstance(per_url, int) and per_url > 0:
                self._url_length = per_url
            return

    def connect(self) -> None:
        account = self._call("credential check", self.api.account_verify_credentials)
        self.account_id = str(account["id"])
        self.account = str(account.get("acct") or account.get("username") or "")

    def limit(self) -> int:
        if self._limit is None:
            self._instance_limits()
        assert self._limit is not None
        return self._limit

    def limit_note(self) -> str:
        limit = self.limit()
        if self._limit_from_instance:
            return f"limit {limit}: max_characters of {self.base}"
        return f"limit {limit}: Mastodon's default, {self.base} did not say its max_characters"

    def account_name(self) -> str:
        if self.account:
            return f"@{self.account} on {self.base}"
        return f"the account of the token in BLOGSITE_MASTODON_TOKEN on {self.base}"

    def destination(self, announcement: Announcement) -> list[str]:
        language = _language(announcement) or "none (the instance guesses)"
        return [
            f"to: {self.account_name()}",
            f"visibility: {self.section.visibility} · language: {language}",
            "link card: made by the instance from the page's own tags",
        ]

    def measure(self, text: str) -> int:
        if self._limit is None:
            self._instance_limits()
        return mastodon_length(text, self._url_length)

    def send(self, announcement: Announcement, key: str) -> SendResult:
        status = self._call(
            "posting",
            self.api.status_post,
            announcement.text,
            visibility=self.section.visibility,
            language=_language(announcement) or None,
            idempotency_key=key,
        )
        status_id = str(status.get("id", ""))
        if not status_id:
            raise Unavailable("Mastodon answered without the id of the new post")
        return SendResult(status_id, str(status.get("url") or status.get("uri") or ""))

    def new_key(self, seed: str) -> str:
        return seed

    def close(self) -> None:
        self._session.close()

    def find_existing(self, announcement: Announcement, key: str) -> SendResult | None:
        # Mastodon keeps idempotency keys for an hour only; after that, look at the account.
        if not self.account_id:
            self.connect()
        statuses = self._call("lookup", self.api.account_statuses, self.account_id, limit=40)
        targets = (announcement.url, html.escape(announcement.url))
        for status in statuses or []:
            content = str(status.get("content") or "")
            card = status.get("card") or {}
            linked = any(f'href="{t}"' in content for t in targets)
            if linked or card.get("url") == announcement.url:
                return SendResult(
                    str(status["id"]), str(status.get("url") or status.get("uri") or "")
                )
        return None


def _language(announcement: Announcement) -> str:
    """Mastodon takes an ISO 639 code, not a full BCP 47 tag."""
    return announcement.lang.split("-")[0].lower()
