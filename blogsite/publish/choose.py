"""Which posts are news, and on which networks: the never-flood rule and `--post`.

A post is news for `window_days` from the moment it became public: from when a run saw it go
public if the record knew it as a draft or scheduled post (the record is committed, so this
holds on every machine), else from its date. So a draft finished weeks after `blogsite new`
dated it is announced, and an imported blog is not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, did_you_mean, display_path
from blogsite.post import Post
from blogsite.publish.ledger import Ledger
from blogsite.publish.networks import LABELS, Network
from blogsite.publish.records import Job, Old, Outcome, PublishReport
from blogsite.site import is_published


def forced_posts(
    config: Config, posts: tuple[Post, ...], slugs: list[str], names: list[str], now: datetime
) -> list[Post]:
    """The posts named with --post; every unknown or unannounceable one is a problem."""
    problems: list[Problem] = []
    chosen: list[Post] = []
    for slug in slugs:
        found = _named_post(slug, posts)
        problem = found if isinstance(found, Problem) else _unannounceable(slug, found, names, now)
        if problem is not None:
            problems.append(problem)
        elif isinstance(found, Post) and found not in chosen:
            chosen.append(found)
    if problems:
        raise BlogsiteError(problems)
    return chosen


def _named_post(slug: str, posts: tuple[Post, ...]) -> Post | Problem:
    """The one post `--post slug` names (by slug, or by URL or alias), or why there is none."""
    wanted = slug.strip()
    matches = [p for p in posts if p.slug == wanted]
    if not matches and wanted.startswith("/"):
        matches = [p for p in posts if p.url == wanted or wanted in p.aliases]
    if not matches:
        hint = (did_you_mean(wanted, sorted({p.slug for p in posts})).replace("known keys", "slugs")
                if posts else "there are no posts yet")
        return Problem("blogsite publish", f"--post {slug}: no post has this slug", hint)
    if len(matches) > 1:
        urls = ", ".join(p.url for p in matches)
        return Problem(
            "blogsite publish",
            f"--post {slug}: several posts have this slug ({urls})",
            "name the one you mean by its URL, e.g. --post " + matches[0].url,
        )
    return matches[0]


def _unannounceable(slug: str, post: Post, names: list[str], now: datetime) -> Problem | None:
    where = display_path(post.source)
    if post.draft:
        return Problem(where, f"--post {slug}: the post is a draft", "set `draft: false` first")
    if not is_published(post, now):
        when = post.date.isoformat() if post.date else "?"
        return Problem(
            where,
            f"--post {slug}: the post is scheduled for {when}, not published yet",
            "announce it once its date has come",
        )
    if not any(post.announces_on(n) for n in names):
        return Problem(
            where,
            f"--post {slug}: its `syndicate` setting excludes "
            + ", ".join(LABELS[n] for n in names),
            "change `syndicate` in its front matter",
        )
    return None


def note_visibility(ledger: Ledger, posts: tuple[Post, ...], now: datetime) -> None:
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


def plan(
    config: Config,
    published: tuple[Post, ...],
    ledger: Ledger,
    nets: dict[str, Network],
    forced: list[Post],
    now: datetime,
    report: PublishReport,
    *,
    dry_run: bool,
) -> list[Job]:
    """What to send this run, oldest post first; records never-flood skips on the way."""
    candidates = forced or [p for p in published if not p.is_page]
    candidates = sorted(candidates, key=lambda p: (p.date or now, p.slug))
    jobs: list[Job] = []
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


def _old(config: Config, ledger: Ledger, post: Post, now: datetime) -> Old | None:
    """Not news: public for longer than window_days, counted from when it went public if a
    run saw it unpublished, else from its date (an imported post, or one no run saw before)."""
    since = ledger.news_since(post, now) or now
    age = now - since
    if age <= timedelta(days=config.publish.window_days):
        return None
    return Old(post, age.days)


def _old_reason(config: Config, old: Old) -> str:
    return (f"{old.days} days old when first seen (window_days = {config.publish.window_days}); "
            f"`{announce_command(old.post)}` announces it")


def announce_command(post: Post) -> str:
    return f"blogsite publish --post {post.slug}"


def _job_for(
    post: Post, name: str, ledger: Ledger, report: PublishReport, *, forced: bool,
    old: Old | None,
) -> Job | None:
    """The send of `post` on network `name` this run needs, if any."""
    if not post.announces_on(name):
        if forced:
            report.outcomes.append(
                Outcome(post, name, "skipped", "its `syndicate` setting excludes it")
            )
        return None
    delivery = ledger.delivery(post, name)
    if delivery is None:
        return None if old is not None else Job(post, name, None)
    if delivery.state == "sent":
        if forced:
            report.outcomes.append(
                Outcome(post, name, "already", delivery.remote_url or "sent earlier")
            )
        return None
    if delivery.state == "skipped" and not forced:
        return None
    # skipped and forced; sending, pending, failed: try again
    return Job(post, name, delivery)


def slug_problems(
    config: Config, slugs: list[str], names: list[str], now: datetime | None
) -> list[Problem]:
    from blogsite.site import load_site

    try:
        site = load_site(config, now=now)
    except BlogsiteError:
        return []  # the build reports these, with everything else wrong in the posts
    try:
        forced_posts(config, site.all_posts, slugs, names, site.now)
    except BlogsiteError as exc:
        return exc.problems
    return []
