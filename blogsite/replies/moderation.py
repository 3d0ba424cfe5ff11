"""Who is never stored ([comments] block) and whose replies wait for approval
([comments] moderation = "new-authors": until one of their replies has been approved)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from blogsite.replies.model import Person, Reply


def _norm(value: str) -> str:
    return value.strip().lower().lstrip("@")


@dataclass(frozen=True)
class Blocklist:
    entries: frozenset[str]

    @classmethod
    def of(cls, entries: tuple[str, ...]) -> Blocklist:
        return cls(frozenset(_norm(e) for e in entries if _norm(e)))

    def blocks(self, person: Person) -> bool:
        """A handle matches whole ("@troll@example.social", "troll.bsky.social", "@troll" on
        X); a domain matches the handle's domain and the profile's host, subdomains too."""
        if not self.entries:
            return False
        handle = _norm(person.handle)
        if handle in self.entries:
            return True
        domains = {handle.rsplit("@", 1)[-1]} if "@" in handle else {handle}
        domains.add((urlsplit(person.url).hostname or "").lower())
        for domain in filter(None, domains):
            parts = domain.split(".")
            if any(".".join(parts[i:]) in self.entries for i in range(len(parts) - 1)):
                return True
        return False


@dataclass(frozen=True)
class Trusted:
    """Authors with an approved reply already on file, as (network, handle)."""

    authors: frozenset[tuple[str, str]]

    def approves(self, reply: Reply, moderation: str) -> bool:
        if moderation != "new-authors" or reply.own:
            return True
        return (reply.network, _norm(reply.author.handle)) in self.authors


def author_key(network: str, handle: str) -> tuple[str, str]:
    return network, _norm(handle)
