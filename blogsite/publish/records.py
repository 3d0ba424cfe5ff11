"""The typed records of a publish run: what it means to send, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from blogsite.post import Post
from blogsite.publish.announce import Announcement
from blogsite.publish.ledger import Delivery
from blogsite.publish.networks import LABELS


@dataclass
class Outcome:
    post: Post
    network: str
    state: str  # sent, skipped, pending, failed, already, would-send
    detail: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.network, self.network)


class Old(NamedTuple):
    """A post left out by the never-flood rule: public longer than window_days already."""

    post: Post
    days: int


@dataclass
class PublishReport:
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    old: list[Old] = field(default_factory=list)  # left out by the never-flood rule
    errors: list[str] = field(default_factory=list)
    backfeed_failed: bool = False  # replies left for the next run (the backfeed says which)

    @property
    def failed(self) -> bool:
        """Something that should have gone out (or come back) did not: the CLI exits 1."""
        return self.announcing_failed or self.backfeed_failed

    @property
    def announcing_failed(self) -> bool:
        if self.errors:
            return True
        return any(o.state in ("pending", "failed") for o in self.outcomes)

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.state == "sent"]


@dataclass
class Job:
    """One post on one network that this run means to send."""

    post: Post
    network: str
    delivery: Delivery | None  # what the record said before this run
    announcement: Announcement | None = None
    error: str = ""  # composing failed

    @property
    def uncertain(self) -> bool:
        d = self.delivery
        return d is not None and (d.state == "sending" or d.uncertain)
