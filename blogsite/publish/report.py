"""What a run says: the dry run's plan, per post and network, and the summary."""

from __future__ import annotations

from collections.abc import Callable

from blogsite.post import Post
from blogsite.publish.choose import announce_command
from blogsite.publish.ledger import LEDGER_FILE
from blogsite.publish.networks import Network
from blogsite.publish.records import Job, Outcome, PublishReport


def dry_run_report(
    jobs: list[Job],
    nets: dict[str, Network],
    live: dict[str, str],
    report: PublishReport,
    say: Callable[[str], None],
) -> None:
    say("Dry run: nothing is deployed, sent or recorded.")
    current: Post | None = None
    for job in jobs:
        not_live = live.get(url_of(job), "")
        if job.post is not current:
            current = job.post
            say("")
            say(f"== {job.post.title} ({url_of(job)})")
            if not_live:  # once for the post, not once per network
                say(f"-- would stay pending on every network: {not_live}")
        outcome = _dry_run_job(job, nets[job.network], say)
        if outcome.state == "would-send" and not_live:
            outcome = Outcome(job.post, job.network, "would-wait", not_live)
        report.outcomes.append(outcome)


def _dry_run_job(job: Job, net: Network, say: Callable[[str], None]) -> Outcome:
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


def url_of(job: Job) -> str:
    return job.announcement.url if job.announcement else job.post.url


def summary(report: PublishReport, say: Callable[[str], None]) -> None:
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
    if report.announcing_failed:
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
