"""`blogsite replies`, and the backfeed `blogsite publish` runs after announcing.

For each post announced within `[comments] backfeed_days` (or named with --post), each network
is asked what answered its announcement; what it said completely replaces what it said last
time (new replies added, edits applied, deleted or blocked ones removed), and what it could not
say (an error, a rate limit past max_wait) leaves the files as they were for the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from blogsite.config import NETWORKS, Config
from blogsite.errors import BlogsiteError, Problem, did_you_mean, display_path
from blogsite.publish.ledger import Entry, Ledger, load_ledger
from blogsite.publish.networks import LABELS, NETWORK_ORDER, make_network
from blogsite.publish.networks.base import Network, NetworkError, RateLimited, Refused, scrub
from blogsite.replies.bodies import text_of
from blogsite.replies.model import Announced, Fetched, Fetcher, NotAllowed, Reactions
from blogsite.replies.moderation import Blocklist, Trusted
from blogsite.replies.patience import Patience
from blogsite.replies.store import (
    COMMENTS_DIR,
    Changes,
    Merge,
    merge_reactions,
    merge_replies,
    rehang,
    trusted_authors,
)

Say = Callable[[str], None]


@dataclass
class Arrival:
    title: str
    author: str
    summary: str
    comment_id: str
    path: Path
    held: bool


@dataclass
class RepliesReport:
    dry_run: bool = False
    arrivals: list[Arrival] = field(default_factory=list)
    updated: int = 0
    removed: int = 0
    reactions: int = 0  # (post, network) pairs whose likes or reposts changed
    errors: list[str] = field(default_factory=list)  # left for the next run
    notices: list[str] = field(default_factory=list)  # said once, not failures

    @property
    def changed(self) -> bool:
        return bool(self.arrivals or self.updated or self.removed or self.reactions)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def held(self) -> list[Arrival]:
        return [a for a in self.arrivals if a.held]


@dataclass(frozen=True)
class _Run:
    config: Config
    say: Say
    trusted: Trusted
    block: Blocklist
    now: datetime
    dry_run: bool


# -- entry points ------------------------------------------------------------------------------


def fetch_replies(config: Config, *, networks: list[str], slugs: list[str], dry_run: bool,
                  echo: Say, env: Mapping[str, str] | None = None,
                  now: datetime | None = None) -> RepliesReport:
    """`blogsite replies`. Raises BlogsiteError for mistakes in the command or the setup."""
    from blogsite.publish.lock import publish_lock

    env = os.environ if env is None else env
    names, problems = _networks(config, networks)
    nets = {name: make_network(name, config.social[name], env) for name in names}
    problems += _credential_problems(nets)
    now = now or datetime.now(UTC)
    announced, more = _announced(config, names, slugs, now)
    if problems or more:
        raise BlogsiteError(problems + more)

    def say(line: str) -> None:
        echo(scrub(line, env))

    try:
        if dry_run:
            return _fetch_all(config, nets, announced, say, now, dry_run=True)
        with publish_lock(config.root):
            return _fetch_all(config, nets, announced, say, now, dry_run=False)
    finally:
        for net in nets.values():
            net.close()


def backfeed(config: Config, nets: Mapping[str, Network], say: Say,
             now: datetime | None = None) -> RepliesReport:
    """The backfeed of `blogsite publish`, which holds the lock and owns the clients."""
    now = now or datetime.now(UTC)
    announced, _ = _announced(config, list(nets), [], now)
    return _fetch_all(config, dict(nets), announced, say, now, dry_run=False)


# -- choosing ----------------------------------------------------------------------------------


def _networks(config: Config, wanted: list[str]) -> tuple[list[str], list[Problem]]:
    problems = []
    for name in wanted:
        if name not in NETWORKS:
            hint = did_you_mean(name, NETWORKS).replace("known keys", "networks")
            problems.append(Problem("blogsite replies", f"unknown network {name!r}", hint))
        elif name not in config.social:
            problems.append(Problem(display_path(config.path), f"network {name!r} is not configured",
                                    f"add a [social.{name}] table to site.toml"))
    chosen = [n for n in NETWORK_ORDER if n in config.social and (not wanted or n in wanted)]
    if not chosen and not problems:
        problems.append(Problem(display_path(config.path), "no network is configured, so no "
                                "replies can be fetched", "add a [social.*] table to site.toml"))
    return chosen, problems


def _credential_problems(nets: Mapping[str, Network]) -> list[Problem]:
    problems = []
    for net in nets.values():
        absent = net.missing_credentials()
        if absent:
            problems.append(Problem("environment", f"{net.label}: missing credentials: set "
                                    + ", ".join(absent), "see docs/publishing.md"))
    return problems


def _folder(source: str) -> str:
    path = PurePosixPath(source)
    if path.parts and path.parts[0] == "posts":
        path = PurePosixPath(*path.parts[1:])
    return str(path.with_suffix(""))


def _announced(config: Config, names: list[str], slugs: list[str],
               now: datetime) -> tuple[list[Announced], list[Problem]]:
    ledger = load_ledger(config.root)
    if slugs:
        entries, problems = _named_entries(config, ledger, slugs)
    else:
        horizon = now - timedelta(days=config.comments.backfeed_days)
        entries, problems = [e for e in ledger.entries if _sent_since(e, horizon)], []
    out = []
    for entry in entries:
        for name in names:
            d = entry.networks.get(name)
            if d is not None and d.state == "sent" and d.remote_id and entry.source:
                out.append(Announced(entry.title or entry.url, _folder(entry.source), name,
                                     d.remote_id, d.remote_url))
    return out, problems


def _sent_since(entry: Entry, horizon: datetime) -> bool:
    return any(d.state == "sent" and d.at is not None and d.at >= horizon
               for d in entry.networks.values())


def _named_entries(config: Config, ledger: Ledger,
                   slugs: list[str]) -> tuple[list[Entry], list[Problem]]:
    from blogsite.site import load_site

    posts = load_site(config).all_posts
    entries: list[Entry] = []
    problems: list[Problem] = []
    for slug in slugs:
        matches = [p for p in posts if p.slug == slug or p.url == slug]
        entry = ledger.find(matches[0]) if len(matches) == 1 else None
        if entry is None:
            why = "no post has this slug" if not matches else "this post was never announced"
            hint = (did_you_mean(slug, sorted({p.slug for p in posts})).replace("known keys", "slugs")
                    if not matches else "`blogsite publish --post SLUG` announces it")
            problems.append(Problem("blogsite replies", f"--post {slug}: {why}", hint))
        elif entry not in entries:
            entries.append(entry)
    return entries, problems


# -- the run -----------------------------------------------------------------------------------


def _fetch_all(config: Config, nets: dict[str, Network], announced: list[Announced], say: Say,
               now: datetime, *, dry_run: bool) -> RepliesReport:
    report = RepliesReport(dry_run=dry_run)
    run = _Run(config, say, trusted_authors(config.root), Blocklist.of(config.comments.block),
               now, dry_run)
    if dry_run:
        say("Dry run: replies are read, nothing is written.")
    patience = Patience(config.publish.max_wait, say)
    for name, net in nets.items():
        items = [a for a in announced if a.network == name]
        if not items:
            continue
        fetcher = _fetcher(net, patience, config.site.language, report)
        if fetcher is not None:
            _fetch_network(run, fetcher, items, report)
    _summary(report, say)
    return report


def _fetcher(net: Network, patience: Patience, lang: str,
             report: RepliesReport) -> Fetcher | None:
    if not (getattr(net, "account_id", "") or getattr(net, "did", "")
            or getattr(net, "user_id", "")):
        try:
            net.connect()
        except Refused as exc:
            report.errors.append(f"{net.label}: {exc}")
            return None
        except NetworkError as exc:
            report.errors.append(f"{net.label}: {exc}; replies are read on the next run")
            return None
    fetcher: Fetcher | None = net.fetcher(patience, lang)
    return fetcher


def _fetch_network(run: _Run, fetcher: Fetcher, items: list[Announced],
                   report: RepliesReport) -> None:
    for item in items:
        try:
            fetched = _read(fetcher, item)
        except NotAllowed as exc:
            report.notices.append(str(exc))
            return
        except RateLimited as exc:
            report.errors.append(f"{exc}, past [publish] max_wait: the rest of {fetcher.label} "
                                 "is read on the next run")
            return
        report.errors += fetched.errors
        _apply(run, fetcher, item, fetched, report)


def _read(fetcher: Fetcher, item: Announced) -> Fetched:
    """Replies and reactions; each is None unless read completely."""
    fetched = Fetched()
    where = f"{fetcher.label}, {item.title!r}"
    try:
        fetched.replies = fetcher.replies(item)
    except (NotAllowed, RateLimited):
        raise
    except NetworkError as exc:
        fetched.errors.append(f"{where}: {exc}; its replies are read on the next run")
    try:
        fetched.reactions = fetcher.reactions(item)
    except (NotAllowed, RateLimited):
        raise
    except NetworkError as exc:
        fetched.errors.append(f"{where}: {exc}; its likes and reposts are read on the next run")
    return fetched


def _apply(run: _Run, fetcher: Fetcher, item: Announced, fetched: Fetched,
           report: RepliesReport) -> None:
    folder = run.config.root / COMMENTS_DIR / item.folder
    changes = Changes()
    if fetched.replies is not None:
        unique = list({r.comment_id: r for r in reversed(fetched.replies)}.values())[::-1]
        every_parent = {r.comment_id: r.parent for r in unique}
        kept = rehang([r for r in unique if r.own or not run.block.blocks(r.author)], every_parent)
        keep_before = fetcher.keep_before(run.now)
        merge = Merge(folder, item.network, run.config.zone, run.config.comments.moderation,
                      run.trusted, keep_before, run.dry_run)
        changes = merge_replies(merge, kept)
    if fetched.reactions is not None:
        allowed = Reactions(
            tuple(p for p in fetched.reactions.likes if not run.block.blocks(p)),
            tuple(p for p in fetched.reactions.reposts if not run.block.blocks(p)),
        )
        changes.reactions = merge_reactions(folder, item.network, allowed, run.dry_run)
    _record(run, item, changes, report)


def _record(run: _Run, item: Announced, changes: Changes, report: RepliesReport) -> None:
    for reply, held, path in changes.added:
        summary = text_of(reply.body)
        summary = summary if len(summary) <= 70 else summary[:69] + "…"
        report.arrivals.append(Arrival(item.title, f"{reply.author.name} ({reply.author.handle})",
                                       summary, reply.comment_id, path, held))
    report.updated += len(changes.updated)
    report.removed += len(changes.removed)
    report.reactions += int(changes.reactions)
    if not changes.any:
        return
    label = LABELS.get(item.network, item.network)
    parts = [f"{len(changes.added)} new"] if changes.added else []
    parts += [f"{len(changes.updated)} updated"] if changes.updated else []
    parts += [f"{len(changes.removed)} removed"] if changes.removed else []
    parts += ["likes and reposts changed"] if changes.reactions else []
    run.say(f"{label} · {item.title}: " + ", ".join(parts))
    for reply, held, path in changes.added:
        mark = " [held: approve with `blogsite replies --approve " + reply.comment_id + "`]"
        run.say(f"  + {reply.author.name} ({reply.author.handle}): "
                f"{display_path(path)}{mark if held else ''}")


def _summary(report: RepliesReport, say: Say) -> None:
    for notice in report.notices:
        say(f"note: {notice}")
    for error in report.errors:
        say(f"error: {error}")
    held = len(report.held)
    verb = "would be" if report.dry_run else "were"
    if not report.changed:
        say("No new replies." if not report.errors else "No replies changed.")
        return
    say(f"Replies: {len(report.arrivals)} new ({held} held for approval), {report.updated} "
        f"updated, {report.removed} removed; likes and reposts changed on {report.reactions} "
        f"announcement(s). Comment files {verb} written in {COMMENTS_DIR}/.")
    if held:
        say("Held replies have `approved: false` in their file: set it to true, or run "
            "`blogsite replies --approve ID`; later replies by the same author are shown at once.")


# -- approving ---------------------------------------------------------------------------------


def approve(config: Config, ids: list[str], echo: Say) -> list[Path]:
    """Set `approved: true` in the comment file of each id (`blogsite replies --approve ID`)."""
    import re

    from blogsite.publish.ledger import atomic_write
    from blogsite.replies.store import front_matter

    files = {p.stem: p for p in sorted((config.root / COMMENTS_DIR).rglob("*.md"))}
    missing = [i for i in ids if i not in files]
    if missing:
        held = sorted(s for s, p in files.items() if (front_matter(p) or {}).get("approved") is False)
        hint = ("held replies: " + ", ".join(held)) if held else "no reply is held for approval"
        raise BlogsiteError([Problem("blogsite replies", f"--approve {i}: no comment has this id",
                                     hint) for i in missing])
    done = []
    for comment_id in ids:
        path = files[comment_id]
        text = path.read_text(encoding="utf-8")
        head, sep, body = text[3:].partition("\n---")
        new_head, count = re.subn(r"(?m)^approved:\s*false\s*$", "approved: true", head)
        if count:
            atomic_write(path, "---" + new_head + sep + body)
            echo(f"Approved {comment_id} ({display_path(path)}); later replies by its author are "
                 "shown at once.")
        else:
            echo(f"{comment_id} was already approved ({display_path(path)}).")
        done.append(path)
    return done
