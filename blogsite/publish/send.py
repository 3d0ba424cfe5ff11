"""Sending: each announcement exactly once, whatever fails.

The intent is written to the record before each send, the result right after. After any doubt
(a timeout, a lost answer, a killed process) a later attempt first looks on the network for
the earlier one and resends exactly the recorded text, which each network's own
de-duplication then recognises (X's duplicate-content 403, Mastodon's Idempotency-Key,
Bluesky's record key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem
from blogsite.publish.announce import Announcement
from blogsite.publish.ledger import Entry, Ledger
from blogsite.publish.lock import touch_lock
from blogsite.publish.networks import Network, NetworkError, RateLimited, Refused, scrub
from blogsite.publish.records import Job, Outcome, PublishReport

# A retry after a 429 is attempted at most this many times for one send.
MAX_RATE_LIMIT_RETRIES = 3
# After a transient failure (5xx, timeout, connection reset, lost answer), wait this long, look
# for the post on the network, and send again if it is not there: three tries in about 30 s
# (plus the requests' own time). A network down for longer is left to the next run.
RETRY_DELAYS = (8.0, 20.0)


class Check(NamedTuple):
    """What the "did it go through?" look on the network found."""

    found: bool  # the post is there; recorded as sent
    error: str = ""  # the network could not be asked: why


@dataclass
class Attempt:
    """One announcement on its way: the post on one network, as this run sends it."""

    job: Job
    entry: Entry  # the post's record
    net: Network
    announcement: Announcement
    key: str = ""  # the idempotency or record key every attempt reuses
    attempts: int = 0  # all attempts so far, earlier runs included
    rate_retries: int = 0  # waits after a 429 in this run

    @property
    def network(self) -> str:
        return self.job.network


def idempotency_key(net: Network, entry: Entry) -> str:
    """Stable for (post, account): the post's first known URL and the account it goes to."""
    first_url = entry.previous_urls[0] if entry.previous_urls else entry.url
    raw = f"blogsite|{net.name}|{net.account_key()}|{first_url}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def _until(reset_at: float | None) -> str:
    if reset_at is None:
        return "the network did not say until when"
    moment = datetime.fromtimestamp(reset_at, tz=UTC).replace(microsecond=0)
    return "until " + moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class Sender:
    """Sends the jobs of one run, recording every step in the ledger."""

    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        nets: dict[str, Network],
        report: PublishReport,
        say: Callable[[str], None],
        *,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.nets = nets
        self.report = report
        self.say = say
        self.retry_delays = retry_delays
        self.pause = pause
        self.blocked: dict[str, str] = {}  # network -> why nothing more goes there this run

    def record(self, job: Job, entry: Entry, state: str, detail: str, **fields: Any) -> None:
        self.ledger.record(entry, job.network, state, **fields)
        self.report.outcomes.append(Outcome(job.post, job.network, state, detail))

    def connect(self, jobs: list[Job], ready: Callable[[Job], bool]) -> None:
        """Every network with something to send checks its credentials before any send;
        refused credentials stop the run, any other failure leaves that network out."""
        needed = [n for n in self.nets if any(j.network == n and ready(j) for j in jobs)]
        problems: list[Problem] = []
        for name in needed:
            try:
                self._connect(self.nets[name])
            except Refused as exc:
                if exc.credentials:
                    problems.append(Problem("environment", str(exc)))
                else:
                    self.blocked[name] = str(exc)
            except NetworkError as exc:
                self.blocked[name] = str(exc)
            except Exception as exc:  # noqa: BLE001 - a library bug must not leak secrets
                self.blocked[name] = f"login failed: {scrub(repr(exc))}"
        if problems:
            raise BlogsiteError(problems)

    def _connect(self, net: Network) -> None:
        """Log in, trying again after a transient failure (a login stores nothing)."""
        for delay in self.retry_delays:
            try:
                net.connect()
                return
            except (RateLimited, Refused):
                raise
            except NetworkError as exc:
                self.say(f"{net.label}: {exc}; trying again in {delay:.0f} s")
                self._wait(delay)
        net.connect()

    def _wait(self, delay: float) -> None:
        touch_lock(self.config.root)  # a long wait must not look like a dead publish
        self.pause(delay)

    def send_all(self, jobs: list[Job], not_live: Callable[[Job], str]) -> None:
        self.connect(jobs, lambda job: not job.error and not not_live(job))
        for job in jobs:
            entry = self.ledger.entry_for(job.post)
            why = job.error or not_live(job) or self.blocked.get(job.network, "")
            if why:
                state = "failed" if job.error else "pending"
                self.record(job, entry, state, why, reason=why, uncertain=job.uncertain)
                continue
            attempt = self._attempt(job, entry)
            if job.uncertain and self._went_through(attempt):
                continue
            self.send_one(attempt)

    def _attempt(self, job: Job, entry: Entry) -> Attempt:
        net = self.nets[job.network]
        ann = job.announcement
        assert ann is not None
        previous = job.delivery
        if job.uncertain and previous is not None and previous.text:
            # Resend exactly what may already be out there, even if the post was edited
            # since: that is what the network's duplicate detection recognises.
            ann = dataclasses.replace(ann, text=previous.text)
        key = previous.key if previous and previous.key else ""
        return Attempt(job, entry, net, ann, key or net.new_key(idempotency_key(net, entry)),
                       previous.attempts if previous else 0)

    def _went_through(self, attempt: Attempt) -> bool:
        """Before resending after an earlier run's doubt: True when the check settled it
        (found: sent; the network could not be asked: still pending, never a double post)."""
        check = self._check(attempt)
        if check.error:
            self.record(attempt.job, attempt.entry, "pending", check.error, reason=check.error,
                        uncertain=True)
        return check.found or bool(check.error)

    def _check(self, attempt: Attempt) -> Check:
        """The "did it go through?" look on the network; records it as sent when found."""
        job, entry = attempt.job, attempt.entry
        try:
            found = attempt.net.find_existing(attempt.announcement, attempt.key)
        except NetworkError as exc:
            return Check(False, f"could not check whether an earlier attempt went through: {exc}")
        except Exception as exc:  # noqa: BLE001
            return Check(False, f"could not check for an earlier attempt: {scrub(repr(exc))}")
        if found is None:
            return Check(False)
        note = "an earlier attempt had gone through (found on the network)"
        self.record(job, entry, "sent", found.remote_url or note, remote_id=found.remote_id,
                    remote_url=found.remote_url, reason=note, text=attempt.announcement.text,
                    attempts=attempt.attempts)
        return Check(True)

    def send_one(self, attempt: Attempt) -> None:
        """Send; after a transient failure, wait, check as a later run would, and send again
        if the post is not there, up to len(retry_delays) more times."""
        why = self._send(attempt)
        for delay in self.retry_delays:
            if not why:
                return
            self.say(f"{attempt.net.label}: {why}; checking whether it went through and "
                     f"trying again in {delay:.0f} s")
            self._wait(delay)
            check = self._check(attempt)
            if check.found:
                return
            why = check.error or self._send(attempt)
        if why:
            self._give_up(attempt, "pending", f"{why} (will check for it before retrying)")

    def _send(self, attempt: Attempt) -> str:
        """One send (and its waits for rate limits). "" when settled and recorded: sent,
        refused, rate limited for too long; else why it may or may not have gone through."""
        job, entry, net = attempt.job, attempt.entry, attempt.net
        uncertain_before = job.uncertain
        while True:
            attempt.attempts += 1
            # The intent, on disk before the request leaves: a crash from here on leaves
            # "sending", and the next run checks the network before sending again.
            self.ledger.record(entry, job.network, "sending", attempts=attempt.attempts,
                               uncertain=True, text=attempt.announcement.text, key=attempt.key,
                               reason="")
            self.say(f"{net.label}: announcing {job.post.title!r}…")
            try:
                result = net.send(attempt.announcement, attempt.key)
            except RateLimited as exc:
                if self._waited(attempt, exc):
                    continue
                why = (f"rate limited {_until(exc.reset_at)} "
                       f"(max_wait = {self.config.publish.max_wait} s)")
                self.blocked[job.network] = why
                # A 429 stored nothing; only an earlier doubt remains.
                self._give_up(attempt, "pending", why, uncertain=uncertain_before)
            except Refused as exc:
                if exc.credentials:
                    self.blocked[job.network] = str(exc)
                self._give_up(attempt, "failed", str(exc), uncertain=uncertain_before)
            except NetworkError as exc:
                return str(exc)
            except Exception as exc:  # noqa: BLE001 - unknown outcome, never a traceback
                self._give_up(attempt, "pending", f"unexpected error: {scrub(repr(exc))} "
                              "(will check before retrying)")
            else:
                detail = result.remote_url or result.note or "sent"
                self.record(job, entry, "sent", detail, remote_id=result.remote_id,
                            remote_url=result.remote_url, reason=result.note,
                            text=attempt.announcement.text, attempts=attempt.attempts)
            return ""

    def _waited(self, attempt: Attempt, exc: RateLimited) -> bool:
        """Wait out a 429 when the network says it ends within max_wait: True to retry."""
        wait = None if exc.reset_at is None else max(exc.reset_at - time.time(), 0.0)
        if (wait is None or wait > self.config.publish.max_wait
                or attempt.rate_retries >= MAX_RATE_LIMIT_RETRIES):
            return False
        attempt.rate_retries += 1
        self.say(f"{attempt.net.label}: rate limited; waiting {wait:.0f} s as the network asks")
        self._wait(wait + 0.5)
        return True

    def _give_up(self, attempt: Attempt, state: str, why: str, *, uncertain: bool = True
                 ) -> None:
        self.record(attempt.job, attempt.entry, state, why, reason=why, uncertain=uncertain,
                    attempts=attempt.attempts)
