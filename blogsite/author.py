"""The author as the theme shows them: name, short bio, avatar, and profile links.

The profile links come from the configured networks and `[author] links`; the theme marks
them `rel="me"`, which is how Mastodon verifies that the blog is its account's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from blogsite.config import Config
from blogsite.images import Image, SiteImages
from blogsite.publish.networks import LABELS, NETWORK_ORDER, network_class


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
    for name in NETWORK_ORDER:
        section = config.social.get(name)
        url = network_class(name).profile_url(section) if section is not None else None
        if url:
            found.append(Profile(LABELS[name], url))
    for link in config.author.links:
        host = urlsplit(link).hostname or link
        found.append(Profile(host.removeprefix("www."), link))
    return tuple(found)


def site_author(config: Config, images: SiteImages) -> Author:
    section = config.author
    avatar = images.find(section.avatar) if section.avatar else None
    return Author(config.site.author, section.bio, avatar, profiles(config))
