"""`blogsite publish`: build, deploy, verify live, announce each new post exactly once.

Exactly once rests on the syndication record (ledger.py): the intent is written before each
send, the result right after, under a lock. After any doubt (a timeout, a lost answer, a
killed process) the next run first looks on the network for the earlier attempt and resends
exactly the recorded text, which each network's own de-duplication then recognises (X's
duplicate-content 403, Mastodon's Idempotency-Key).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NamedTuple

from blogsite.announce import Announcement, TooLong, announcement
from blogsite.config import NETWORKS, Config
from blogsite.config import _key_line as key_line
from blogsite.deploy.command import deploy_for_publish
from blogsite.errors import BlogsiteError, Problem, did_you_mean, display_path
from blogsite.ledger import LEDGER_FILE, Delivery, Entry, Ledger, load_ledger
from blogsite.lock import publish_lock, touch_lock
from blogsite.networks import LABELS, NETWORK_ORDER, make_network
from blogsite.networks.base import (
    SECRET_VARS,
    Network,
    NetworkError,
    RateLimited,
    Refused,
    scrub,
)
from blogsite.post import Post
from blogsite.site import is_published

# A retry after a 429 is attempted at most this many times for one send.
MAX_RATE_LIMIT_RETRIES = 3
# After a deploy, a post may take a moment to appear (CDN, Pages): poll this often.
LIVE_POLL_SECONDS = 5.0
LIVE_TIMEOUT = 10.0


@dataclass
class Outcome:
    post: Post
    network: str
    state: str  # sent, skipped, pending, failed, already, would-send
    detail: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.network, self.network)


@dataclass
class PublishReport:
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False
    old: list[_Old] = field(default_factory=list)  # left out by the never-flood rule
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Something that should have gone out did not: the CLI exits 1."""
        if self.errors:
            return True
        return any(o.state in ("pending", "failed") for o in self.outcomes)

    @property
    def sent(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.state == "sent"]


@dataclass
class _Job:
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


# -- entry point -------------------------------------------------------------------------------


def publish(
    config: Config,
    *,
    dry_run: bool,
    slugs: list[str],
    networks: list[str],
    echo: Callable[[str], None],
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
) -> PublishReport:
    """Run the publish flow. Raises BlogsiteError for mistakes in the command or the setup
    (unknown post or network, missing credentials), listing every one of them."""
    env = os.environ if env is None else env

    def say(line: str) -> None:
        echo(scrub(line, env))

    # Every mistake in the command or the setup is reported at once, before anything runs.
    names, problems = _selected_networks(config, networks)
    problems += _placeholder_url(config)
    nets = {name: make_network(name, config.social[name], env) for name in names}
    missing = _credential_problems(nets)
    if slugs:
        problems += _slug_problems(config, slugs, names, now)
    if problems or (missing and not dry_run):
        raise BlogsiteError(problems + missing)
    for p in missing:
        say(f"warning: {p.message} ({p.hint})")

    try:
        if dry_run:
            return _run(config, nets, slugs, say, dry_run=True, now=now, env=env)
        with publish_lock(config.root):
            return _run(config, nets, slugs, say, dry_run=False, now=now, env=env)
    finally:
        for net in nets.values():
            with contextlib.suppress(Exception):
                net.close()


def _selected_networks(config: Config, wanted: list[str]) -> tuple[list[str], list[Problem]]:
    problems: list[Problem] = []
    for name in wanted:
        if name not in NETWORKS:
            problems.append(
                Problem(
                    "blogsite publish",
                    f"unknown network {name!r}",
                    did_you_mean(name, NETWORKS).replace("known keys", "networks"),
                )
            )
        elif name not in config.social:
            problems.append(
                Problem(
                    display_path(config.path),
                    f"network {name!r} is not configured",
                    f"add a [social.{name}] table to site.toml (see docs/publishing.md)",
                )
            )
    chosen = [n for n in NETWORK_ORDER if n in config.social and (not wanted or n in wanted)]
    if not chosen and not problems:
        problems.append(
            Problem(
                display_path(config.path),
                "no network is configured, so there is nothing to announce on",
                "add [social.x], [social.mastodon] or [social.bluesky] to site.toml",
            )
        )
    return chosen, problems


def _slug_problems(
    config: Config, slugs: list[str], names: list[str], now: datetime | None
) -> list[Problem]:
    from blogsite.site import load_site

    try:
        site = load_site(config, now=now)
    except BlogsiteError:
        return []  # the build reports these, with everything else wrong in the posts
    try:
        _forced_posts(config, site.all_posts, slugs, names, site.now)
    except BlogsiteError as exc:
        return exc.problems
    return []


def _credential_problems(nets: dict[str, Network]) -> list[Problem]:
    problems = []
    for net in nets.values():
        absent = net.missing_credentials()
        if absent:
            names = ", ".join(absent)
            problems.append(
                Problem(
                    "environment",
                    f"{net.label}: missing credentials: set {names}",
                    f"export {absent[0]}=… before `blogsite publish`; "
                    "see docs/publishing.md for where to get "
                    + ("them" if len(absent) > 1 else "it"),
                )
            )
    return problems


# -- what publish refuses ----------------------------------------------------------------------

# Hosts no real blog lives at: the address `blogsite init` writes (RFC 2606's reserved names)
# and the default of a site.toml without `url`. Announcing them would send dead links.
PLACEHOLDER_HOSTS = re.compile(
    r"^(?:.+\.)?(?:example\.(?:com|net|org)|[^.]+\.(?:example|invalid)|localhost)$",
    re.IGNORECASE,
)
# Front-matter keys that decide whether, when, where and at which address a post goes out,
# and the keys other generators use for that (Jekyll's `published`, Hugo's `publishDate`,
# Pelican's and WordPress's `status`). A misspelling of one is a post published by mistake.
DECIDING_KEYS = ("draft", "date", "syndicate", "slug")
FOREIGN_DECIDING_KEYS = (
    "published", "publishdate", "publish_date", "expirydate", "expiry_date", "status"
)
_UNKNOWN_KEY = re.compile(r"^unknown front-matter key `(.+)`$")


def config_line(config: Config, table: str, key: str) -> int | None:
    try:
        return key_line(config.path.read_text(encoding="utf-8"), table, key)
    except (OSError, UnicodeDecodeError):
        return None


def _placeholder_url(config: Config) -> list[Problem]:
    host = urllib.parse.urlsplit(config.site.url).hostname or ""
    if not PLACEHOLDER_HOSTS.match(host):
        return []
    return [
        Problem(
            display_path(config.path),
            f"[site] url is still the placeholder {config.site.url!r}: every announcement "
            "would link to it",
            "set url to the public address of your blog before `blogsite publish`",
            config_line(config, "site", "url"),
        )
    ]


def deciding_key(key: str) -> str | None:
    """The publication key that `key` (unknown to blogsite) is probably meant to be."""
    folded = key.casefold()
    if folded in FOREIGN_DECIDING_KEYS:
        return folded
    close = get_close_matches(folded, DECIDING_KEYS, n=1, cutoff=0.6)
    return close[0] if close else None


def _refuse_doubtful_front_matter(warnings: tuple[Problem, ...], say: Callable[[str], None]
                                  ) -> None:
    """Show every build warning; refuse to go on if one may change what gets published."""
    refused: list[Problem] = []
    for problem in warnings:
        found = _UNKNOWN_KEY.match(problem.message)
        meant = deciding_key(found.group(1)) if found else None
        if meant is None:
            say(problem.render())
            continue
        refused.append(
            Problem(
                problem.file,
                f"{problem.message}: it looks like `{meant}`, which decides whether and how the "
                "post is published, so publish stops here (an announcement cannot be taken back)",
                f"fix the key (or remove it), then run `blogsite publish` again; {problem.hint}"
                if problem.hint else "fix the key (or remove it), then publish again",
                problem.line,
            )
        )
    if refused:
        raise BlogsiteError(refused)


# -- the run -----------------------------------------------------------------------------------


def _run(
    config: Config,
    nets: dict[str, Network],
    slugs: list[str],
    say: Callable[[str], None],
    *,
    dry_run: bool,
    now: datetime | None,
    env: Mapping[str, str],
) -> PublishReport:
    from blogsite.build import build_site

    report = PublishReport(dry_run=dry_run)
    ledger = load_ledger(config.root)

    say("Building the site…")
    built = build_site(config, strict=False, now=now)
    site = built.site
    now = site.now
    output: Path | None = getattr(built, "output", None)
    _refuse_doubtful_front_matter(site.warnings, say)

    forced = _forced_posts(config, site.all_posts, slugs, list(nets), now)

    deployed = False
    if config.publish.deploy and not dry_run:
        _deploy(config, say, env)
        deployed = True
    deployed = deploy_for_publish(config, output, say, dry_run=dry_run) or deployed

    if not dry_run:
        _note_visibility(ledger, site.all_posts, now)
    jobs = _plan(config, site.posts, ledger, nets, forced, now, report, dry_run=dry_run)
    if not jobs:
        _summary(report, say)
        return report

    for job in jobs:
        net = nets[job.network]
        try:
            job.announcement = announcement(
                job.network, config, job.post, measure=net.measure, limit=net.limit(),
                output_dir=output,
            )
        except TooLong as exc:
            job.error = exc.problems[0].message
        except Exception as exc:  # noqa: BLE001 - reported per post, never a traceback
            job.error = f"could not compose the text: {scrub(str(exc), env)}"

    # The dry run gives each post's reason in its own report.
    live = _verify_live(config, jobs, (lambda line: None) if dry_run else say, polling=deployed)

    if dry_run:
        _dry_run_report(jobs, nets, live, report, say)
        _summary(report, say)
        return report

    _send_all(config, jobs, nets, live, ledger, report, say)

    if report.sent:
        say("Rebuilding so the posts link to their announcements…")
        try:
            build_site(config, strict=False, now=now)
            if config.publish.deploy:
                _deploy(config, say, env)
            deploy_for_publish(config, output, say, dry_run=False)
        except BlogsiteError as exc:
            report.errors.append("rebuild after announcing failed: " + str(exc))
    _summary(report, say)
    return report


# -- choosing ----------------------------------------------------------------------------------


def _forced_posts(
    config: Config, posts: tuple[Post, ...], slugs: list[str], names: list[str], now: datetime
) -> list[Post]:
    """The posts named with --post; every unknown or unannounceable one is a problem."""
    problems: list[Problem] = []
    chosen: list[Post] = []
    for slug in slugs:
        wanted = slug.strip()
        matches = [p for p in posts if p.slug == wanted]
        if not matches and wanted.startswith("/"):
            matches = [p for p in posts if p.url == wanted or wanted in p.aliases]
        if not matches:
            problems.append(
                Problem(
                    "blogsite publish",
                    f"--post {slug}: no post has this slug",
                    did_you_mean(wanted, sorted({p.slug for p in posts}))
                    .replace("known keys", "slugs")
                    if posts
                    else "there are no posts yet",
                )
            )
            continue
        if len(matches) > 1:
            urls = ", ".join(p.url for p in matches)
            problems.append(
                Problem(
                    "blogsite publish",
                    f"--post {slug}: several posts have this slug ({urls})",
                    "name the one you mean by its URL, e.g. --post " + matches[0].url,
                )
            )
            continue
        post = matches[0]
        where = display_path(post.source)
        if post.draft:
            problems.append(
                Problem(where, f"--post {slug}: the post is a draft", "set `draft: false` first")
            )
        elif not is_published(post, now):
            when = post.date.isoformat() if post.date else "?"
            problems.append(
                Problem(
                    where,
                    f"--post {slug}: the post is scheduled for {when}, not published yet",
                    "announce it once its date has come",
                )
            )
        elif not any(post.announces_on(n) for n in names):
            problems.append(
                Problem(
                    where,
                    f"--post {slug}: its `syndicate` setting excludes "
                    + ", ".join(LABELS[n] for n in names),
                    "change `syndicate` in its front matter",
                )
            )
        elif post not in chosen:
            chosen.append(post)
    if problems:
        raise BlogsiteError(problems)
    return chosen


class _Old(NamedTuple):
    """A post left out by the never-flood rule: public longer than window_days already."""

    post: Post
    days: int


def _note_visibility(ledger: Ledger, posts: tuple[Post, ...], now: datetime) -> None:
    """Record drafts and scheduled posts as unpublished, and when such a post goes public.

    The record is committed, so what one machine saw unpublished holds on every other (a CI
    run that never saw the draft still knows it was one). One write for all.
    """
    changed = False
    for post in posts:
        if post.is_page:
            continue
        if is_published(post, now):
            changed = ledger.note_public(post, now) or changed
        else:
            changed = ledger.note_unpublished(post, now) or changed
    if changed:
        ledger.save()


def _plan(
    config: Config,
    published: tuple[Post, ...],
    ledger: Ledger,
    nets: dict[str, Network],
    forced: list[Post],
    now: datetime,
    report: PublishReport,
    *,
    dry_run: bool,
) -> list[_Job]:
    """What to send this run, oldest post first; records never-flood skips on the way."""
    candidates = forced or [p for p in published if not p.is_page]
    candidates = sorted(candidates, key=lambda p: (p.date or now, p.slug))
    jobs: list[_Job] = []
    for post in candidates:
        old = None if post in forced else _old(config, ledger, post, now)
        for name in nets:
            job = _job_for(post, name, ledger, report, forced=post in forced, old=old)
            if job is not None:
                jobs.append(job)
            elif old is not None and ledger.delivery(post, name) is None:
                if not dry_run:
                    ledger.record(ledger.entry_for(post, now), name, "skipped",
                                  reason=_old_reason(config, old))
                if old not in report.old:
                    report.old.append(old)
    if not dry_run and not forced:
        # Edited posts: keep their record's URL and file current (one write for all).
        changed = [ledger.refresh(p) for p in candidates]
        if any(changed):
            ledger.save()
    return jobs


def _old(config: Config, ledger: Ledger, post: Post, now: datetime) -> _Old | None:
    """Not news: public for longer than window_days, counted from when it went public if a
    run saw it unpublished, else from its date (an imported post, or one no run saw before)."""
    since = ledger.news_since(post, now) or now
    age = now - since
    if age <= timedelta(days=config.publish.window_days):
        return None
    return _Old(post, age.days)


def _old_reason(config: Config, old: _Old) -> str:
    return (f"{old.days} days old when first seen (window_days = {config.publish.window_days}); "
            f"`{announce_command(old.post)}` announces it")


def announce_command(post: Post) -> str:
    return f"blogsite publish --post {post.slug}"


def _job_for(
    post: Post, name: str, ledger: Ledger, report: PublishReport, *, forced: bool,
    old: _Old | None,
) -> _Job | None:
    """The send of `post` on network `name` this run needs, if any."""
    if not post.announces_on(name):
        if forced:
            report.outcomes.append(
                Outcome(post, name, "skipped", "its `syndicate` setting excludes it")
            )
        return None
    delivery = ledger.delivery(post, name)
    if delivery is None:
        return None if old is not None else _Job(post, name, None)
    if delivery.state == "sent":
        if forced:
            report.outcomes.append(
                Outcome(post, name, "already", delivery.remote_url or "sent earlier")
            )
        return None
    if delivery.state == "skipped" and not forced:
        return None
    # skipped and forced; sending, pending, failed: try again
    return _Job(post, name, delivery)


# -- deploy and verify -------------------------------------------------------------------------


def _deploy(config: Config, say: Callable[[str], None], env: Mapping[str, str]) -> None:
    command = config.publish.deploy
    say(f"Deploying: {command}")
    # The deploy command has no business with the social credentials.
    child_env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    try:
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=config.root,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise BlogsiteError(
            Problem(display_path(config.path), f"[publish] deploy could not start: {exc}")
        ) from None
    with proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            say("  " + line.rstrip("\n"))
        code = proc.wait()
    if code != 0:
        raise BlogsiteError(
            Problem(
                display_path(config.path),
                f"[publish] deploy failed with exit status {code}; nothing was announced",
                "run the deploy command by hand to see what is wrong",
            )
        )


def _is_live(url: str) -> tuple[bool, str]:
    request = urllib.request.Request(url, headers={"User-Agent": "blogsite publish (live check)"})
    try:
        with urllib.request.urlopen(request, timeout=LIVE_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"not live yet: GET {url} failed ({reason})"
    if status == 200:
        return True, ""
    return False, f"not live yet: GET {url} answered {status}"


def _verify_live(
    config: Config, jobs: list[_Job], say: Callable[[str], None], *, polling: bool
) -> dict[str, str]:
    """URL -> "" when live, else why not. After a deploy, wait a little for it to appear."""
    if not config.publish.verify_live:
        return {}
    urls = []
    for job in jobs:
        url = config.base_url + job.post.url.lstrip("/")
        if url not in urls:
            urls.append(url)
    result: dict[str, str] = {}
    deadline = time.monotonic() + (min(config.publish.max_wait, 120) if polling else 0)
    pending = list(urls)
    while True:
        for url in list(pending):
            ok, why = _is_live(url)
            result[url] = why
            if ok:
                pending.remove(url)
        if not pending or time.monotonic() + LIVE_POLL_SECONDS > deadline:
            break
        time.sleep(LIVE_POLL_SECONDS)
    for url in pending:
        say(f"{result[url]}; its announcements wait for the next publish")
    return result


# -- dry run -----------------------------------------------------------------------------------


def _dry_run_report(
    jobs: list[_Job],
    nets: dict[str, Network],
    live: dict[str, str],
    report: PublishReport,
    say: Callable[[str], None],
) -> None:
    say("Dry run: nothing is deployed, sent or recorded.")
    current: Post | None = None
    for job in jobs:
        not_live = live.get(_url_of(job), "")
        if job.post is not current:
            current = job.post
            say("")
            say(f"== {job.post.title} ({_url_of(job)})")
            if not_live:  # once for the post, not once per network
                say(f"-- would stay pending on every network: {not_live}")
        outcome = _dry_run_job(job, nets[job.network], say)
        if outcome.state == "would-send" and not_live:
            outcome = Outcome(job.post, job.network, "would-wait", not_live)
        report.outcomes.append(outcome)


def _dry_run_job(job: _Job, net: Network, say: Callable[[str], None]) -> Outcome:
    """Where the announcement of `job` would go, as what, and its exact text."""
    if job.error:
        say(f"-- {net.label}: cannot announce: {job.error}")
        return Outcome(job.post, job.network, "failed", job.error)
    ann = job.announcement
    assert ann is not None
    say(f"-- {net.label}: {ann.length}/{ann.limit} ({net.ruler}; {net.limit_note()})")
    for line in net.destination(ann):
        say(f"   {line}")
    if job.delivery is not None and job.delivery.state != "skipped":
        say(f"   earlier attempt: {job.delivery.state}: {job.delivery.reason or '-'}")
    # The text itself, unindented: exactly what would be sent.
    say(ann.text)
    return Outcome(job.post, job.network, "would-send", ann.text)


def _url_of(job: _Job) -> str:
    return job.announcement.url if job.announcement else job.post.url


# -- sending -----------------------------------------------------------------------------------


def _idempotency_key(net: Network, entry: Entry) -> str:
    """Stable for (post, account): the post's first known URL and the account it goes to."""
    first_url = entry.previous_urls[0] if entry.previous_urls else entry.url
    account = getattr(net, "account_id", "") or getattr(net, "base", "") or ""
    raw = f"blogsite|{net.name}|{account}|{first_url}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def _until(reset_at: float | None) -> str:
    if reset_at is None:
        return "the network did not say until when"
    moment = datetime.fromtimestamp(reset_at, tz=UTC).replace(microsecond=0)
    return "until " + moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _send_all(
    config: Config,
    jobs: list[_Job],
    nets: dict[str, Network],
    live: dict[str, str],
    ledger: Ledger,
    report: PublishReport,
    say: Callable[[str], None],
) -> None:
    blocked: dict[str, str] = {}  # network -> why nothing more goes there this run

    def record(job: _Job, entry: Entry, state: str, detail: str, **fields: Any) -> None:
        ledger.record(entry, job.network, state, **fields)
        report.outcomes.append(Outcome(job.post, job.network, state, detail))

    # Every network that has something to send checks its credentials before any send.
    def not_live(job: _Job) -> str:
        return live.get(config.base_url + job.post.url.lstrip("/"), "")

    needed = [n for n in nets if any(j.network == n and not j.error and not not_live(j)
                                     for j in jobs)]
    problems: list[Problem] = []
    for name in needed:
        try:
            nets[name].connect()
        except Refused as exc:
            if exc.credentials:
                problems.append(Problem("environment", str(exc)))
            else:
                blocked[name] = str(exc)
        except NetworkError as exc:
            blocked[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a library bug must not leak secrets
            blocked[name] = f"login failed: {scrub(repr(exc))}"
    if problems:
        raise BlogsiteError(problems)

    for job in jobs:
        entry = ledger.entry_for(job.post)
        net = nets[job.network]
        why_not_live = not_live(job)
        previous = job.delivery
        keep_uncertain = job.uncertain
        if job.error:
            record(job, entry, "failed", job.error, reason=job.error, uncertain=keep_uncertain)
            continue
        if why_not_live:
            record(job, entry, "pending", why_not_live, reason=why_not_live,
                   uncertain=keep_uncertain)
            continue
        if job.network in blocked:
            why = blocked[job.network]
            record(job, entry, "pending", why, reason=why, uncertain=keep_uncertain)
            continue
        ann = job.announcement
        assert ann is not None
        if job.uncertain and previous is not None and previous.text:
            # Resend exactly what may already be out there, even if the post was edited
            # since: that is what the network's duplicate detection recognises.
            ann = dataclasses.replace(ann, text=previous.text)
        if job.uncertain:
            try:
                found = net.find_existing(ann, previous.key if previous else "")
            except NetworkError as exc:
                why = f"could not check whether an earlier attempt went through: {exc}"
                record(job, entry, "pending", why, reason=why, uncertain=True)
                continue
            except Exception as exc:  # noqa: BLE001
                why = f"could not check for an earlier attempt: {scrub(repr(exc))}"
                record(job, entry, "pending", why, reason=why, uncertain=True)
                continue
            if found is not None:
                note = "an earlier attempt had gone through (found on the network)"
                record(
                    job, entry, "sent", found.remote_url or note, remote_id=found.remote_id,
                    remote_url=found.remote_url, reason=note, text=ann.text,
                )
                continue
        _send_one(config, job, entry, net, ann, ledger, record, blocked, say)


def _send_one(
    config: Config,
    job: _Job,
    entry: Entry,
    net: Network,
    ann: Announcement,
    ledger: Ledger,
    record: Callable[..., None],
    blocked: dict[str, str],
    say: Callable[[str], None],
) -> None:
    previous = job.delivery
    key = previous.key if previous and previous.key else net.new_key(_idempotency_key(net, entry))
    attempts = previous.attempts if previous else 0
    uncertain_before = job.uncertain
    rate_retries = 0
    while True:
        attempts += 1
        # The intent, on disk before the request leaves: a crash from here on leaves
        # "sending", and the next run checks the network before sending again.
        ledger.record(entry, job.network, "sending", attempts=attempts, uncertain=True,
                      text=ann.text, key=key, reason="")
        say(f"{net.label}: announcing {job.post.title!r}…")
        try:
            result = net.send(ann, key)
        except RateLimited as exc:
            wait = None if exc.reset_at is None else max(exc.reset_at - time.time(), 0.0)
            if (
                wait is not None
                and wait <= config.publish.max_wait
                and rate_retries < MAX_RATE_LIMIT_RETRIES
            ):
                rate_retries += 1
                say(f"{net.label}: rate limited; waiting {wait:.0f} s as the network asks")
                touch_lock(config.root)
                time.sleep(wait + 0.5)
                continue
            why = f"rate limited {_until(exc.reset_at)} (max_wait = {config.publish.max_wait} s)"
            blocked[job.network] = why
            # A 429 stored nothing; only an earlier doubt remains.
            record(job, entry, "pending", why, reason=why, uncertain=uncertain_before,
                   attempts=attempts)
            return
        except Refused as exc:
            why = str(exc)
            if exc.credentials:
                blocked[job.network] = why
            record(job, entry, "failed", why, reason=why, uncertain=uncertain_before,
                   attempts=attempts)
            return
        except NetworkError as exc:
            why = f"{exc} (will check for it before retrying)"
            record(job, entry, "pending", why, reason=why, uncertain=True, attempts=attempts)
            return
        except Exception as exc:  # noqa: BLE001 - unknown outcome, never a traceback
            why = f"unexpected error: {scrub(repr(exc))} (will check before retrying)"
            record(job, entry, "pending", why, reason=why, uncertain=True, attempts=attempts)
            return
        detail = result.remote_url or result.note or "sent"
        record(
            job, entry, "sent", detail, remote_id=result.remote_id, remote_url=result.remote_url,
            reason=result.note, text=ann.text, attempts=attempts,
        )
        return


# -- summary -----------------------------------------------------------------------------------


def _summary(report: PublishReport, say: Callable[[str], None]) -> None:
    _say_old(report, say)
    if report.dry_run:
        count = sum(1 for o in report.outcomes if o.state == "would-send")
        waiting = sum(1 for o in report.outcomes if o.state == "would-wait")
        say("")
        say(f"Dry run: {count} announcement(s) would be sent." if count else
            "Dry run: nothing would be sent.")
        if waiting:
            say(f"{waiting} announcement(s) would wait until their post is live.")
        return
    shown = report.outcomes
    if not shown:
        say("Nothing new to announce.")
    else:
        say("")
        say("Summary:")
        current: Post | None = None
        for o in shown:
            if o.post is not current:
                current = o.post
                say(f"  {o.post.title} ({o.post.url})")
            verb = {"already": "already sent"}.get(o.state, o.state)
            say(f"    {o.label}: {verb}" + (f": {o.detail}" if o.detail else ""))
    for error in report.errors:
        say(f"error: {error}")
    if report.failed:
        say(f"Some announcements did not go out; they stay in {LEDGER_FILE} and the next "
            "`blogsite publish` retries them.")


def _say_old(report: PublishReport, say: Callable[[str], None]) -> None:
    """Every post the never-flood rule leaves out, by name, with the command that sends it."""
    if not report.old:
        return
    verb = "would be recorded" if report.dry_run else "recorded"
    say("")
    say(f"Not announced, {verb} as skipped: already public for longer than window_days "
        "when first seen (an imported or copied post; a draft that no earlier publish saw):")
    for old in report.old:
        say(f"  {old.post.title} ({old.post.url}), {old.days} days: "
            f"`{announce_command(old.post)}` announces it")
