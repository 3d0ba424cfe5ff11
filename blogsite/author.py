"""The author as the theme shows them: name, short bio, avatar, and profile links.

The profile links come from the configured networks and `[author] links`; the theme marks
them `rel="me"`, which is how Mastodon verifies that the blog is its account's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from blogsite.config import Config
from blogsite.images import Image, SiteImages


@dataclass(frozen=True)
class Profile:
    label: str  # "Mastodon", or the host of another link ("github.com")
    url: str


@dataclass(frozen=True)
class Author:
    name: str
    bio: str
    avatar: Image | None
    profiles: tuple[Profile, ...]

    @property
    def shown(self) -> bool:
        """Whether there is more to show than a name (the author block is worth a box)."""
        return bool(self.bio or self.avatar or self.profiles)


def profiles(config: Config) -> tuple[Profile, ...]:
    """The author's profiles: the configured networks' accounts, then [author] links."""
    found: list[Profile] = []
    mastodon = config.social.get("mastodon")
    if mastodon is not None and mastodon.account:
        instance = mastodon.instance.rstrip("/")
        found.append(Profile("Mastodon", f"{instance}/@{mastodon.account.lstrip('@')}"))
    bluesky = config.social.get("bluesky")
    if bluesky is not None and bluesky.handle:
        found.append(Profile("Bluesky", f"https://bsky.app/profile/{bluesky.handle.lstrip('@')}"))
    x = config.social.get("x")
    if x is not None and x.handle:
        found.append(Profile("X", f"https://x.com/{x.handle.lstrip('@')}"))
    for link in config.author.links:
        host = urlsplit(link).hostname or link
        found.append(Profile(host.removeprefix("www."), link))
    return tuple(found)


def site_author(config: Config, images: SiteImages) -> Author:
    section = config.author
    avatar = images.find(section.avatar) if section.avatar else None
    return Author(config.site.author, section.bio, avatar, profiles(config))
