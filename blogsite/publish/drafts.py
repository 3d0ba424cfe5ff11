"""`blogsite new` notes the draft it writes in the syndication record.

A post that goes public for the first time is news however old its date, but only a record
that knew it as a draft can tell it from an old post copied in (which must stay quiet). The
record is committed with the post, so noting the draft when it is created makes the rule hold
on a CI machine or cron job that never ran while the post was a draft.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from blogsite.config import Config
from blogsite.publish.ledger import load_ledger
from blogsite.site import url_maker


class NewDraft(NamedTuple):
    """What the record needs to know a post by: its address, file, title and date."""

    url: str
    source: str
    title: str
    date: datetime | None
    aliases: tuple[str, ...] = ()


def note_new_draft(config: Config, path: Path, title: str, when: datetime) -> bool:
    """Note the draft at `path` (relative to the site) as unpublished; True if noted. Only
    for a site that announces (a [social.*] table): others get no record file."""
    if not config.social:
        return False
    url = url_maker(config)(when, path.stem, config.site.language)
    ledger = load_ledger(config.root)
    noted = ledger.note_unpublished(NewDraft(url, str(config.root / path), title, when), when)
    if noted:
        ledger.save()
    return noted
