"""`blogsite deploy`: each chosen target plans from what it holds now, then applies the plan.

Every target is tried even when one fails, and every failure is reported at the end
(exit status 1), each naming its target and the fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from blogsite.config import Config
from blogsite.deploy.built import load_built
from blogsite.deploy.plan import DeployFailure, DeployPlan, DeployReport, DeployTarget, LocalSite, Progress
from blogsite.deploy.settings import DeploySection
from blogsite.errors import BlogsiteError, Problem, did_you_mean, display_path

# Secrets of the platform credential chains: never in an error message.
CHAIN_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def make_target(section: DeploySection, root: Path) -> DeployTarget:
    kind = section.kind
    if kind == "ssh":
        from blogsite.deploy.ssh import SshTarget

        return SshTarget(section)
    if kind == "git":
        from blogsite.deploy.git import GitTarget

        return GitTarget(section, root)
    from blogsite.deploy.s3 import S3Target

    return S3Target(section)


def chosen_sections(config: Config, names: list[str]) -> list[DeploySection]:
    where = display_path(config.path)
    if not config.deploy:
        raise BlogsiteError(Problem(where, "no deploy target is configured",
                                    'add a [deploy.NAME] table with a url, e.g. [deploy.web] and '
                                    'url = "ssh://me@example.org/var/www/blog/" (docs/deploying.md)'))
    unknown = [n for n in names if n not in config.deploy]
    if unknown:
        raise BlogsiteError([
            Problem("blogsite deploy", f"--target {n}: no [deploy.{n}] table in {where}",
                    did_you_mean(n, tuple(config.deploy)).replace("known keys", "targets"))
            for n in unknown])
    return [s for name, s in config.deploy.items() if not names or name in names]


def _scrub(text: str) -> str:
    from blogsite.publish.networks.base import scrub

    for name in CHAIN_SECRETS:
        value = os.environ.get(name, "")
        if len(value) >= 4:
            text = text.replace(value, "***")
    return scrub(text)


def _list_plan(plan: DeployPlan, echo: Callable[[str], None]) -> None:
    for path in plan.uploads:
        echo(f"  upload {path}")
    for path in plan.deletions:
        echo(f"  delete {path}")


def deploy_one(
    section: DeploySection,
    site: LocalSite,
    root: Path,
    *,
    dry_run: bool,
    echo: Callable[[str], None],
    stream: TextIO | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> DeployReport:
    """Plan, then (unless dry_run) apply, on one target. Raises DeployFailure."""
    target = make_target(section, root)
    try:
        return _plan_and_apply(target, site, dry_run=dry_run, echo=echo, stream=stream,
                               on_step=on_step)
    finally:
        target.close()


def _plan_and_apply(
    target: DeployTarget,
    site: LocalSite,
    *,
    dry_run: bool,
    echo: Callable[[str], None],
    stream: TextIO | None,
    on_step: Callable[[str, str], None] | None,
) -> DeployReport:
    section = target.section
    started = time.monotonic()
    if dry_run:
        plan = target.plan(site)
        _list_plan(plan, echo)
        return DeployReport(section.name, section.shown_url, True, list(plan.uploads),
                            list(plan.deletions), plan.unchanged, plan.upload_bytes,
                            time.monotonic() - started)
    progress = Progress(section.name, stream, on_step)
    try:
        report = target.deploy(site, progress)
    finally:
        progress.finish()
    report.seconds = time.monotonic() - started
    return report


def deploy(
    config: Config,
    *,
    names: list[str],
    dry_run: bool,
    echo: Callable[[str], None],
    output: str | Path | None = None,
    stream: TextIO | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> list[DeployReport]:
    """Deploy the built site to the chosen targets (all when `names` is empty)."""
    sections = chosen_sections(config, names)
    site = load_built(config, output)
    reports: list[DeployReport] = []
    problems: list[Problem] = []
    for section in sections:
        echo(f"{'Planning' if dry_run else 'Deploying to'} {section.name} ({section.shown_url})…")
        try:
            report = deploy_one(section, site, config.root, dry_run=dry_run, echo=echo,
                                stream=stream, on_step=on_step)
        except DeployFailure as exc:
            exc.message, exc.hint = _scrub(exc.message), _scrub(exc.hint)
            problems.append(exc.problem(section, display_path(config.path)))
            continue
        reports.append(report)
        echo(report.summary())
    if problems:
        raise BlogsiteError(problems)
    return reports


def deploy_for_publish(
    config: Config, output: str | Path | None, say: Callable[[str], None], *, dry_run: bool
) -> bool:
    """`blogsite publish`'s deploy, right after its build and before any announcement: every
    target, or nothing when none is configured. A failure raises, so nothing is announced
    before the targets serve the new pages. True when something may have changed online."""
    if not config.deploy:
        return False
    deploy(config, names=[], dry_run=dry_run, echo=say, output=output)
    return not dry_run
