"""`blogsite publish`, step by step: this module is the table of contents of a run.

check the setup -> build (refusing doubtful front matter) -> deploy (`[publish] deploy`, then
the `[deploy.*]` targets) -> choose what is news ->
compose the texts -> verify live -> send (or show, in a dry run) -> fetch the replies
(backfeed) -> rebuild and redeploy -> summary. Each step is a short function here or a module of this package.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from blogsite.config import Config
from blogsite.deploy.command import deploy_for_publish
from blogsite.errors import BlogsiteError
from blogsite.post import Post
from blogsite.publish.announce import TooLong, announcement
from blogsite.publish.choose import forced_posts, note_visibility, plan, slug_problems
from blogsite.publish.ledger import Ledger, load_ledger
from blogsite.publish.live import deploy, verify_live
from blogsite.publish.lock import publish_lock
from blogsite.publish.networks import Network, make_network, scrub
from blogsite.publish.records import Job, Outcome, PublishReport
from blogsite.publish.refuse import (
    credential_problems,
    placeholder_url,
    refuse_doubtful_front_matter,
    selected_networks,
)
from blogsite.publish.report import dry_run_report, summary
from blogsite.publish.send import RETRY_DELAYS, Sender
from blogsite.site import Site

__all__ = ["Outcome", "PublishReport", "publish"]


@dataclass
class Run:
    """What every step of one run needs."""

    config: Config
    nets: dict[str, Network]
    say: Callable[[str], None]
    env: Mapping[str, str]
    dry_run: bool
    ledger: Ledger
    report: PublishReport
    retry_delays: tuple[float, ...] = RETRY_DELAYS


def publish(
    config: Config,
    *,
    dry_run: bool,
    slugs: list[str],
    networks: list[str],
    echo: Callable[[str], None],
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    retry_delays: tuple[float, ...] = RETRY_DELAYS,
) -> PublishReport:
    """Run the publish flow. Raises BlogsiteError for mistakes in the command or the setup
    (unknown post or network, missing credentials), listing every one of them.
    `retry_delays`: the waits before each new try after a transient failure."""
    env = os.environ if env is None else env

    def say(line: str) -> None:
        echo(scrub(line, env))

    nets = _check_setup(config, slugs, networks, now, say, env, dry_run=dry_run)
    try:
        run = Run(config, nets, say, env, dry_run, load_ledger(config.root),
                  PublishReport(dry_run=dry_run), retry_delays)
        if dry_run:
            return _run(run, slugs, now)
        with publish_lock(config.root):
            return _run(run, slugs, now)
    finally:
        for net in nets.values():
            with contextlib.suppress(Exception):
                net.close()


def _check_setup(
    config: Config, slugs: list[str], networks: list[str], now: datetime | None,
    say: Callable[[str], None], env: Mapping[str, str], *, dry_run: bool,
) -> dict[str, Network]:
    """Every mistake in the command or the setup, reported at once before anything runs.
    A dry run goes on without credentials, with a warning."""
    names, problems = selected_networks(config, networks)
    problems += placeholder_url(config)
    nets = {name: make_network(name, config.social[name], env) for name in names}
    missing = credential_problems(nets)
    if slugs:
        problems += slug_problems(config, slugs, names, now)
    if dry_run:
        for p in missing:
            say(f"warning: {p.message} ({p.hint})")
        missing = []
    if problems or missing:
        raise BlogsiteError(problems + missing)
    return nets


def _run(run: Run, slugs: list[str], now: datetime | None) -> PublishReport:
    site, output = _build(run, now)
    forced = forced_posts(run.config, site.all_posts, slugs, list(run.nets), site.now)
    deployed = _deploy(run, output)
    jobs = _choose(run, site, forced)
    if jobs:
        _compose(run, jobs, output)
        live = verify_live(run.config, jobs, (lambda line: None) if run.dry_run else run.say,
                           polling=deployed)
        if run.dry_run:
            # The dry run gives each post's reason in its own report.
            dry_run_report(jobs, run.nets, live, run.report, run.say)
        else:
            _send(run, jobs, live)
    fed = _backfeed(run)
    if run.report.sent or fed:
        _rebuild(run, site.now, output)
    summary(run.report, run.say)
    return run.report


def _build(run: Run, now: datetime | None) -> tuple[Site, Path | None]:
    from blogsite.build import build_site

    run.say("Building the site…")
    built = build_site(run.config, strict=False, now=now)
    refuse_doubtful_front_matter(built.site.warnings, run.say)
    return built.site, getattr(built, "output", None)


def _deploy(run: Run, output: Path | None) -> bool:
    """The `[publish] deploy` command, then the `[deploy.*]` targets: True if anything ran."""
    deployed = False
    if run.config.publish.deploy and not run.dry_run:
        deploy(run.config, run.say, run.env)
        deployed = True
    return deploy_for_publish(run.config, output, run.say, dry_run=run.dry_run) or deployed


def _choose(run: Run, site: Site, forced: list[Post]) -> list[Job]:
    if not run.dry_run:
        note_visibility(run.ledger, site.all_posts, site.now)
    return plan(run.config, site.posts, run.ledger, run.nets, forced, site.now, run.report,
                dry_run=run.dry_run)


def _compose(run: Run, jobs: list[Job], output: Path | None) -> None:
    """Each job's text by its network's ruler; a text that cannot be made fails that job."""
    for job in jobs:
        net = run.nets[job.network]
        try:
            job.announcement = announcement(
                job.network, run.config, job.post, measure=net.measure, limit=net.limit(),
                output_dir=output,
            )
        except TooLong as exc:
            job.error = exc.problems[0].message
        except Exception as exc:  # noqa: BLE001 - reported per post, never a traceback
            job.error = f"could not compose the text: {scrub(str(exc), run.env)}"


def _send(run: Run, jobs: list[Job], live: dict[str, str]) -> None:
    def not_live(job: Job) -> str:
        return live.get(run.config.base_url + job.post.url.lstrip("/"), "")

    sender = Sender(run.config, run.ledger, run.nets, run.report, run.say,
                    retry_delays=run.retry_delays)
    sender.send_all(jobs, not_live)


def _backfeed(run: Run) -> bool:
    """The replies to recent announcements ([comments] backfeed), after the sends, also when
    there was nothing to send: True if the comments changed. Its failures are reported and
    make the exit status 1, but never touch an announcement."""
    if run.dry_run or not run.config.comments.backfeed or not run.nets:
        return False
    from blogsite.replies import backfeed

    run.say("Fetching replies…")
    try:
        fed = backfeed(run.config, run.nets, run.say)
    except BlogsiteError as exc:
        run.say(f"error: replies: {exc}")
        run.report.backfeed_failed = True
        return False
    except Exception as exc:  # noqa: BLE001 - reported, never a traceback, never a lost send
        run.say(f"error: replies could not be fetched: {scrub(repr(exc), run.env)}")
        run.report.backfeed_failed = True
        return False
    run.report.backfeed_failed = fed.failed
    return fed.changed


def _rebuild(run: Run, now: datetime, output: Path | None) -> None:
    """So that the post pages link to their announcements and show the new replies."""
    from blogsite.build import build_site

    run.say("Rebuilding so the posts link to their announcements…" if run.report.sent
            else "Rebuilding with the new replies…")
    try:
        build_site(run.config, strict=False, now=now)
        if run.config.publish.deploy:
            deploy(run.config, run.say, run.env)
        deploy_for_publish(run.config, output, run.say, dry_run=False)
    except BlogsiteError as exc:
        run.report.errors.append("rebuild after announcing failed: " + str(exc))
