"""What every network declares and implements, and the errors and secret scrubbing they share.

A network is one class in one module of this package, a subclass of `Network`: the registry
(`networks/__init__.py`) finds it there, and everything else (site.toml's `[social.*]`
tables, the credentials, the record, the order of the "Also on" links) asks the registry.
Client libraries are imported only when a network is talked to: reading site.toml, which
every command does, must not pay for them.

A network never lets a client library's exception escape: it turns each one into one of the
errors below, whose messages have been scrubbed of every credential (library exceptions can
echo request headers and bodies).
"""

from __future__ import annotations

import dataclasses
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from blogsite.publish.announce import Announcement


@dataclass(frozen=True)
class SendResult:
    remote_id: str
    remote_url: str
    note: str = ""  # e.g. how an earlier, uncertain attempt was found to have gone through


class NetworkError(Exception):
    """A send that did not (knowingly) succeed. `uncertain` means it may have been stored."""

    uncertain = False

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


class RateLimited(NetworkError):
    """429: refused, nothing stored. `reset_at` is when to try again (epoch), if known."""

    def __init__(self, message: str, reset_at: float | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class Refused(NetworkError):
    """A definite refusal (4xx): nothing stored. `credentials` when the keys are at fault."""

    def __init__(self, message: str, *, credentials: bool = False) -> None:
        super().__init__(message)
        self.credentials = credentials


class Unavailable(NetworkError):
    """5xx, timeout, connection reset: the network may or may not have stored the post."""

    uncertain = True


class SectionProblem(NamedTuple):
    """A wrong value in a network's `[social.*]` table; site.toml's loader adds file and line."""

    key: str
    message: str
    hint: str


class Network(ABC):
    """One social network: what it declares, and the client that talks to it."""

    name: ClassVar[str]  # [social.<name>] in site.toml, [post.<name>] in the record
    label: ClassVar[str]  # shown to people: "X", "Mastodon", "Bluesky"
    order: ClassVar[int]  # order of sending and of the "Also on" links
    section_class: ClassVar[type]  # the frozen dataclass of its [social.<name>] table
    env_vars: ClassVar[tuple[str, ...]]  # its credentials, all required
    ruler: ClassVar[str]  # how it counts length, for the dry run

    def __init__(self, section: Any, env: Mapping[str, str]) -> None:
        self.section = section
        self.env = env

    @classmethod
    def section_problems(cls, section: Any) -> list[SectionProblem]:
        """Wrong values in its table. Every key whose default is a URL must be one."""
        problems = []
        for f in dataclasses.fields(section):
            default = f.default if isinstance(f.default, str) else ""
            value = getattr(section, f.name)
            if default.startswith("http") and not re.match(r"^https?://[^/\s]+", value):
                problems.append(SectionProblem(
                    f.name, f"{f.name} must be an http(s) URL, not {value!r}",
                    f'for example: {f.name} = "{default}"'))
        return problems

    @classmethod
    def profile_url(cls, section: Any) -> str | None:
        """The account's public profile page, if its table names the account: the theme
        links it with rel="me" (how Mastodon verifies the blog)."""
        return None

    def fetcher(self, patience: Any, lang: str) -> Any:
        """What reads the replies to this network's announcements (`blogsite replies`), a
        `blogsite.replies.model.Fetcher`; None when the network has no backfeed."""
        return None

    def missing_credentials(self) -> list[str]:
        """Environment variables that must be set and are not."""
        return missing(self.env_vars, self.env)

    def account_key(self) -> str:
        """What tells this account apart in an idempotency key, if the key needs it."""
        return ""

    @abstractmethod
    def account_name(self) -> str:
        """How the account is named to people: "@me@mastodon.social", or how it is chosen."""

    @abstractmethod
    def connect(self) -> None:
        """Log in / check the credentials with the network before anything is sent.
        Raises Refused(credentials=True) when they are not accepted."""

    @abstractmethod
    def limit(self) -> int:
        """The length limit, as `measure` counts."""

    @abstractmethod
    def limit_note(self) -> str:
        """Where the length limit comes from (the dry run says it once per announcement)."""

    @abstractmethod
    def measure(self, text: str) -> int:
        """The length of `text` as this network counts it."""

    @abstractmethod
    def destination(self, announcement: Announcement) -> list[str]:
        """Where and as what the announcement would go: account and server, visibility,
        language, link card. Lines for the dry run; needs no login."""

    @abstractmethod
    def new_key(self, seed: str) -> str:
        """The key of a first attempt, recorded before sending and reused by every retry:
        Mastodon's Idempotency-Key (`seed`, stable for post and account), Bluesky's record
        key. `seed` is stable for (post, account)."""

    @abstractmethod
    def send(self, announcement: Announcement, key: str) -> SendResult:
        """Post it, under `key` (see new_key)."""

    @abstractmethod
    def find_existing(self, announcement: Announcement, key: str) -> SendResult | None:
        """Look on the account for an earlier post of this announcement (uncertain retries).
        Raises NetworkError when the network cannot be asked."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


# -- secrets -----------------------------------------------------------------------------------

_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Also scrub a value obtained at run time (e.g. a session token)."""
    if value and len(value) >= 4:
        _extra_secrets.add(value)


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    from blogsite.publish.networks import SECRET_VARS

    env = os.environ if env is None else env
    values = {env.get(name, "") for name in SECRET_VARS} | _extra_secrets
    # Longest first, so a secret containing another is replaced whole.
    return sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True)


def scrub(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with every credential replaced by "***" (also URL-encoded forms of them)."""
    from urllib.parse import quote

    for value in secret_values(env):
        for form in {value, quote(value, safe=""), quote(value)}:
            text = text.replace(form, "***")
    # OAuth headers and bearer tokens, whatever their origin.
    text = re.sub(r'(oauth_(?:signature|token|consumer_key|nonce)=)"?[^",\s]+', r"\1***", text)
    text = re.sub(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", r"\1***", text)
    return text


def describe(exc: BaseException) -> str:
    """A short, scrubbed description of a library exception."""
    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"\s+", " ", text)
    if len(text) > 300:
        text = text[:300] + "…"
    return scrub(text)


def missing(env_vars: tuple[str, ...], env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    return [name for name in env_vars if not env.get(name, "").strip()]
