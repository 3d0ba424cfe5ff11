"""Bluesky through the atproto SDK: a post with link facet, hashtags, langs and a link card."""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blogsite.errors import display_path
from blogsite.publish.networks.base import (
    Network,
    RateLimited,
    Refused,
    SectionProblem,
    SendResult,
    Unavailable,
    describe,
    register_secret,
)

# The atproto SDK takes seconds to import: it is imported only when Bluesky is talked to, so
# that a publish with nothing to send (a cron job, mostly) stays quick.
if TYPE_CHECKING:
    from atproto import Client

    from blogsite.publish.announce import Announcement

ENV_VARS = ("BLOGSITE_BLUESKY_APP_PASSWORD",)
BLUESKY_LIMIT = 300
# app.bsky.embed.external: the thumb blob's maxSize.
BLUESKY_THUMB_MAX_BYTES = 1_000_000
POST_COLLECTION = "app.bsky.feed.post"
THUMB_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
# Records looked at for an earlier copy before an uncertain retry (two pages).
LOOKUP_RECORDS = 100


@dataclass(frozen=True)
class BlueskySection:
    handle: str = ""
    service: str = "https://bsky.social"
    template: str = ""


def bluesky_length(text: str) -> int:
    """Bluesky's limit is on graphemes, not characters or bytes."""
    import grapheme

    return int(grapheme.length(text))


def byte_span(text: str, start: int, end: int) -> tuple[int, int]:
    """UTF-8 byte offsets of text[start:end]: what atproto facets index, not characters."""
    begin = len(text[:start].encode("utf-8"))
    return begin, begin + len(text[start:end].encode("utf-8"))


def bluesky_facets(text: str, url: str, tags: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Link facets for each occurrence of `url`, tag facets for our hashtags."""
    facets: list[dict[str, Any]] = []
    for m in re.finditer(re.escape(url), text):
        start, end = byte_span(text, m.start(), m.end())
        facets.append(
            {
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
            }
        )
    for tag in tags:
        pattern = rf"(?<![\w#]){re.escape(tag)}(?!\w)"
        for m in re.finditer(pattern, text):
            start, end = byte_span(text, m.start(), m.end())
            facets.append(
                {
                    "$type": "app.bsky.richtext.facet",
                    "index": {"byteStart": start, "byteEnd": end},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag[1:]}],
                }
            )
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return facets


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def new_tid(now: float | None = None) -> str:
    """A record key in atproto's TID format (microseconds since 1970, then a clock id)."""
    micros = int((time.time() if now is None else now) * 1_000_000)
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


class BlueskyNetwork(Network):
    name = "bluesky"
    label = "Bluesky"
    order = 30
    section_class = BlueskySection
    env_vars = ENV_VARS
    ruler = "graphemes"

    def __init__(self, section: BlueskySection, env: Mapping[str, str]) -> None:
        super().__init__(section, env)
        self._client: Client | None = None
        self.did = ""
        self.handle = section.handle

    @classmethod
    def section_problems(cls, section: Any) -> list[SectionProblem]:
        problems = super().section_problems(section)
        if not section.handle:
            problems.append(SectionProblem(
                "", "needs a handle", 'for example: handle = "example.bsky.social"'))
        return problems

    @classmethod
    def profile_url(cls, section: Any) -> str | None:
        return f"https://bsky.app/profile/{section.handle.lstrip('@')}" if section.handle else None

    @property
    def client(self) -> Client:
        if self._client is None:
            from atproto import Client
            from atproto_client.request import Request

            from blogsite.publish.networks._http import timeout

            client = Client(base_url=self.section.service, request=Request(timeout=timeout()))
            client.on_session_change(self._on_session)
            self._client = client
        return self._client

    def _on_session(self, event: Any, session: Any) -> None:
        # Session tokens are credentials too: keep them out of every message.
        register_secret(getattr(session, "access_jwt", None))
        register_secret(getattr(session, "refresh_jwt", None))
        self.did = str(getattr(session, "did", "") or self.did)
        self.handle = str(getattr(session, "handle", "") or self.handle)

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        import httpx
        from atproto_client import exceptions as at_errors
        from atproto_core.exceptions import AtProtocolError

        from blogsite.publish.networks._http import parse_reset

        try:
            return func(*args, **kwargs)
        except at_errors.RateLimitExceededError as exc:
            headers = exc.response.headers if exc.response is not None else None
            reset = parse_reset(headers)
            raise RateLimited(f"Bluesky rate limit reached ({what})", reset) from None
        except at_errors.UnauthorizedError as exc:
            raise Refused(
                f"{self.section.service} refused {what} for {self.section.handle} "
                f"({describe(exc)}): check [social.bluesky] handle and "
                "BLOGSITE_BLUESKY_APP_PASSWORD (an app password from Settings > App passwords)",
                credentials=True,
            ) from None
        except at_errors.NetworkError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (409, 413):
                raise Refused(f"Bluesky refused {what}: {describe(exc)}") from None
            raise Unavailable(f"no answer from Bluesky during {what}: {describe(exc)}") from None
        except at_errors.RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status is None or status >= 500:
                raise Unavailable(f"Bluesky server error during {what}: {describe(exc)}") from None
            raise Refused(f"Bluesky refused {what}: {describe(exc)}") from None
        except AtProtocolError as exc:
            raise Unavailable(f"Bluesky {what} failed: {describe(exc)}") from None
        except httpx.TransportError as exc:
            # The SDK passes some transport errors through unwrapped (a connection closed
            # without an answer, for one).
            raise Unavailable(f"no answer from Bluesky during {what}: {describe(exc)}") from None

    def connect(self) -> None:
        password = self.env["BLOGSITE_BLUESKY_APP_PASSWORD"].strip()
        register_secret(password)
        # The profile lookup is an app.bsky call not every PDS serves; we do not need it.
        self._call(
            "login", self.client.login, self.section.handle, password, fetch_bsky_profile=False
        )
        if not self.did:
            raise Unavailable("Bluesky login gave no account id (did)")

    def limit(self) -> int:
        return BLUESKY_LIMIT

    def limit_note(self) -> str:
        return f"limit {BLUESKY_LIMIT}, Bluesky's own"

    def fetcher(self, patience: Any, lang: str) -> Any:
        from blogsite.replies.bluesky import BlueskyFetcher

        return BlueskyFetcher(self, patience, lang)

    def account_name(self) -> str:
        return f"@{self.handle or self.section.handle} on {self.section.service}"

    def destination(self, announcement: Announcement) -> list[str]:
        languages = announcement.lang or "none"
        problem = thumb_problem(announcement.image)
        thumb = f"none ({problem})" if problem else _shown(announcement.image)
        return [
            f"to: {self.account_name()}",
            f"visibility: public (Bluesky has no other) · language: {languages}",
            f"link card: title “{announcement.title}”",
            f"           description “{announcement.description}”",
            f"           thumbnail {thumb}",
        ]

    def measure(self, text: str) -> int:
        return bluesky_length(text)

    def remote_url(self, uri: str) -> str:
        return f"https://bsky.app/profile/{self.handle or self.did}/post/{_rkey(uri)}"

    def _thumb(self, announcement: Announcement) -> Any | None:
        """Upload the post's image for the card; a card without picture beats no post."""
        path = announcement.image
        if path is None or thumb_problem(path):
            return None
        mime = mimetypes.guess_type(path.name)[0] or ""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            # Passing bytes as `content` (the SDK's upload_blob uses httpx's deprecated
            # `data=` for bytes).
            response = self._call(
                "image upload",
                self.client.invoke_procedure,
                "com.atproto.repo.uploadBlob",
                content=data,
                headers={"Content-Type": mime},
                output_encoding="application/json",
            )
        except (Refused, Unavailable, RateLimited):
            return None
        content = response.content
        from atproto_client.models.blob_ref import BlobRef

        blob = content.get("blob") if isinstance(content, dict) else None
        if not isinstance(blob, dict):
            return None
        return BlobRef.model_validate(blob)

    def record(self, announcement: Announcement, thumb: Any | None) -> Any:
        from atproto import models

        facets = [
            models.AppBskyRichtextFacet.Main.model_validate(f)
            for f in bluesky_facets(announcement.text, announcement.url, announcement.hashtags)
        ]
        embed = models.AppBskyEmbedExternal.Main(
            external=models.AppBskyEmbedExternal.External(
                uri=announcement.url,
                title=announcement.title,
                description=announcement.description,
                thumb=thumb,
            )
        )
        return models.AppBskyFeedPost.Record(
            text=announcement.text,
            created_at=self.client.get_current_time_iso(),
            facets=facets or None,
            embed=embed,
            langs=[announcement.lang] if announcement.lang else None,
        )

    def new_key(self, seed: str) -> str:
        # Bluesky has no idempotency key, but a record key chosen by us and reused on every
        # retry does the job: a record cannot be created twice under one key.
        return new_tid()

    def close(self) -> None:
        if self._client is not None:
            self._client.request.close()

    def send(self, announcement: Announcement, key: str) -> SendResult:
        from atproto import models

        if not self.did:
            self.connect()
        record = self.record(announcement, self._thumb(announcement))
        try:
            response = self._call(
                "posting",
                self.client.com.atproto.repo.create_record,
                models.ComAtprotoRepoCreateRecord.Data(
                    repo=self.did, collection=POST_COLLECTION, record=record, rkey=key or None
                ),
            )
        except Unavailable:
            # The PDS answers a plain 500 when the key is taken: by an earlier attempt?
            found = self._get(announcement, key) if key else None
            if found is not None:
                return found
            raise
        uri = str(getattr(response, "uri", "") or "")
        if not uri:
            raise Unavailable("Bluesky answered without the address of the new post")
        return SendResult(uri, self.remote_url(uri))

    def _get(self, announcement: Announcement, key: str) -> SendResult | None:
        """The record stored under `key`, if it is this announcement."""
        try:
            found = self._call(
                "lookup",
                self.client.com.atproto.repo.get_record,
                {"repo": self.did, "collection": POST_COLLECTION, "rkey": key},
            )
        except Refused:
            return None  # RecordNotFound
        if _links_to(_as_dict(found.value), announcement.url):
            return SendResult(str(found.uri), self.remote_url(str(found.uri)))
        return None

    def find_existing(self, announcement: Announcement, key: str) -> SendResult | None:
        """The account's own recent post linking to this post, if an earlier attempt stored it."""
        if not self.did:
            self.connect()
        if key:
            found = self._get(announcement, key)
            if found is not None:
                return found
        cursor = None
        seen = 0
        while seen < LOOKUP_RECORDS:
            params: dict[str, Any] = {"repo": self.did, "collection": POST_COLLECTION, "limit": 50}
            if cursor:
                params["cursor"] = cursor
            page = self._call("lookup", self.client.com.atproto.repo.list_records, params)
            records = list(getattr(page, "records", None) or [])
            if not records:
                return None
            for item in records:
                seen += 1
                if _links_to(_as_dict(item.value), announcement.url):
                    return SendResult(str(item.uri), self.remote_url(str(item.uri)))
            cursor = getattr(page, "cursor", None)
            if not cursor:
                return None
        return None


def thumb_problem(path: Path | None) -> str:
    """Why `path` cannot be the link card's thumbnail, or "" when it can."""
    if path is None:
        return "the post has no `image` in this site's files"
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime not in THUMB_TYPES:
        return f"{path.name} is not JPEG, PNG, WebP or GIF"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"{path.name} cannot be read ({exc.strerror})"
    if not 0 < size <= BLUESKY_THUMB_MAX_BYTES:
        return f"{path.name} is {size:,} bytes; Bluesky takes at most {BLUESKY_THUMB_MAX_BYTES:,}"
    return ""


def _shown(path: Path | None) -> str:
    if path is None:
        return "none"
    try:
        return f"{display_path(path)} ({path.stat().st_size:,} bytes)"
    except OSError:
        return display_path(path)


def _as_dict(value: Any) -> dict[str, Any]:
    from atproto_client.models.utils import get_model_as_dict

    if isinstance(value, dict):
        return value
    try:
        return get_model_as_dict(value)
    except Exception:  # noqa: BLE001 - an unreadable record simply does not match
        return {}


def _links_to(record: dict[str, Any], url: str) -> bool:
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("uri") == url:
                return True
    embed = record.get("embed") or {}
    external = embed.get("external") or {}
    if external.get("uri") == url:
        return True
    return url in str(record.get("text") or "")
