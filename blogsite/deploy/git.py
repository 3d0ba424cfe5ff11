"""The git target (`url = "git:gh-pages"` or `"GIT-URL#branch"`): GitHub, Codeberg, GitLab Pages.

Each deploy is one commit on top of the branch's history, made with plumbing (a temporary
index, `write-tree`, `commit-tree`) and pushed without force: the user's working tree, index,
HEAD and branches are never touched, and a push either lands whole or not at all, so an
interrupted deploy leaves the old site serving. With `git:BRANCH` the site repository's own
`origin` and credentials are used (what CI checkouts set up); the branch's last deployed commit
is kept under refs/blogsite/deploy/ so the next fetch only brings what is new. A full URL is
fetched into a temporary bare repository instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from blogsite import __version__
from blogsite.deploy.plan import (
    DeployFailure,
    DeployPlan,
    DeployReport,
    LocalSite,
    Progress,
    child_env,
    plan_then_apply,
)
from blogsite.deploy.settings import DeploySection, hide_password

FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "blogsite", "GIT_AUTHOR_EMAIL": "blogsite@localhost",
                     "GIT_COMMITTER_NAME": "blogsite", "GIT_COMMITTER_EMAIL": "blogsite@localhost"}


@dataclass(frozen=True)
class GitUrl:
    remote: str  # "origin" of the site repository, or a URL
    branch: str
    own_repo: bool


def parse_git_url(url: str) -> GitUrl:
    if url.startswith("git:"):
        return GitUrl("origin", url[4:], True)
    repo, _, branch = url.rpartition("#")
    return GitUrl(repo, branch, False)


@dataclass
class _Prepared:
    tree: str
    parent: str | None
    paths: list[str]
    changes: dict[str, str]  # path -> A, M, T or D


class GitTarget:
    def __init__(self, section: DeploySection, root: Path) -> None:
        self.section = section
        self.url = parse_git_url(section.url)
        self.root = root
        self._temp = tempfile.TemporaryDirectory(prefix="blogsite-deploy-")
        self.git_dir = ""
        self.prepared: _Prepared | None = None

    @property
    def ref(self) -> str:
        return f"refs/blogsite/deploy/{self.section.name}"

    def close(self) -> None:
        self._temp.cleanup()

    def _git(self, *args: str, env: dict[str, str] | None = None, cwd: str | None = None,
             data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        base = ["git", "-c", "core.autocrlf=false", "-c", "core.safecrlf=false"]
        if self.git_dir:
            base.append(f"--git-dir={self.git_dir}")
        try:
            return subprocess.run([*base, *args], capture_output=True, input=data, cwd=cwd,
                                  env=child_env({"LC_ALL": "C", **(env or {})}))
        except FileNotFoundError:
            raise DeployFailure("git is not installed on this machine",
                                "install git (Debian: apt install git)") from None

    def _open_repository(self) -> None:
        if not self.url.own_repo:
            self.git_dir = os.path.join(self._temp.name, "repo.git")
            self._git("init", "--quiet", "--bare", self.git_dir)
            return
        found = self._git("rev-parse", "--absolute-git-dir", cwd=str(self.root))
        if found.returncode != 0:
            raise DeployFailure("the site folder is not in a git repository, so it has no origin",
                                'use a full URL instead: url = "https://github.com/me/blog.git#'
                                f'{self.url.branch}"')
        self.git_dir = found.stdout.decode().strip()
        if self._git("remote", "get-url", "origin").returncode != 0:
            raise DeployFailure("the site repository has no remote named origin",
                                "add it (git remote add origin URL) or give a full URL#branch")

    def _fetch(self) -> str | None:
        """The branch's last commit on the remote (None when the branch does not exist yet)."""
        depth = [] if self.url.own_repo else ["--depth=1"]
        done = self._git("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", *depth,
                         self.url.remote, f"+refs/heads/{self.url.branch}:{self.ref}")
        if done.returncode != 0:
            text = done.stderr.decode("utf-8", "replace")
            if re.search(r"couldn't find remote ref", text):
                return None
            raise self._failure(text, pushing=False)
        return self._git("rev-parse", self.ref).stdout.decode().strip()

    def _extra_files(self, env: dict[str, str]) -> list[str]:
        extra = {".nojekyll": b""}
        if self.section.cname:
            extra["CNAME"] = self.section.cname.strip().encode() + b"\n"
        for name, data in extra.items():
            sha = self._git("hash-object", "-w", "--stdin", data=data).stdout.decode().strip()
            self._git("update-index", "--add", "--cacheinfo", f"100644,{sha},{name}", env=env)
        return list(extra)

    def _tree(self, site: LocalSite) -> tuple[str, list[str]]:
        env = {"GIT_INDEX_FILE": os.path.join(self._temp.name, "index"),
               "GIT_WORK_TREE": str(site.folder)}
        added = self._git("add", "--all", "--force", "--", ".", env=env, cwd=str(site.folder))
        if added.returncode != 0:
            raise DeployFailure("git could not read the output folder: "
                                + added.stderr.decode("utf-8", "replace").strip()[-300:])
        self._extra_files(env)
        tree = self._git("write-tree", env=env).stdout.decode().strip()
        listed = self._git("ls-files", "-z", env=env).stdout
        paths = [p.decode("utf-8", "surrogateescape") for p in listed.split(b"\0") if p]
        return tree, paths

    def _changes(self, parent: str | None, tree: str, paths: list[str]) -> dict[str, str]:
        if parent is None:
            return dict.fromkeys(paths, "A")
        out = self._git("diff-tree", "-r", "-z", "--no-renames", "--name-status", parent, tree)
        fields = [f.decode("utf-8", "surrogateescape") for f in out.stdout.split(b"\0") if f]
        return {fields[i + 1]: fields[i][0] for i in range(0, len(fields) - 1, 2)}

    def plan(self, site: LocalSite) -> DeployPlan:
        self._open_repository()
        parent = self._fetch()
        tree, paths = self._tree(site)
        changes = self._changes(parent, tree, paths)
        self.prepared = _Prepared(tree, parent, paths, changes)
        uploads = tuple(sorted(p for p, s in changes.items() if s != "D"))
        deletions = tuple(sorted(p for p, s in changes.items() if s == "D"))
        size = sum(site.files[p].size if p in site.files else len(self.section.cname) + 1
                   for p in uploads)
        return DeployPlan(self.section.name, uploads, deletions, len(paths) - len(uploads), size)

    def _identity(self) -> dict[str, str]:
        names = [self._git("config", key).stdout.strip() for key in ("user.name", "user.email")]
        return {} if all(names) else FALLBACK_IDENTITY

    def _source(self) -> str:
        """The site's commit, from its own repository (status without refreshing its index)."""
        def run(*args: str) -> subprocess.CompletedProcess[bytes]:
            return subprocess.run(["git", "--no-optional-locks", *args], capture_output=True,
                                  cwd=str(self.root), env=child_env({"LC_ALL": "C"}))

        head = run("rev-parse", "HEAD")
        if head.returncode != 0:
            return "none (the site folder is not a git checkout)"
        dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
        return head.stdout.decode().strip() + (" (with uncommitted changes)" if dirty else "")

    def _message(self) -> str:
        source = self._source()
        short = source[:12] if re.match(r"[0-9a-f]{40}", source) else "a folder outside git"
        return (f"Deploy {short} with blogsite {__version__}\n\n"
                f"Source commit: {source}\nBuilt by: blogsite {__version__}\n")

    def deploy(self, site: LocalSite, progress: Progress) -> DeployReport:
        return plan_then_apply(self, site, progress)

    def apply(self, site: LocalSite, plan: DeployPlan, progress: Progress) -> DeployReport:
        started = time.monotonic()
        prepared = self.prepared
        assert prepared is not None, "plan() comes first"
        progress.start(1)
        parent = ["-p", prepared.parent] if prepared.parent else []
        made = self._git("commit-tree", prepared.tree, *parent, "-m", self._message(),
                         env=self._identity())
        if made.returncode != 0:
            raise DeployFailure("git could not make the commit: "
                                + made.stderr.decode("utf-8", "replace").strip()[-300:])
        commit = made.stdout.decode().strip()
        progress.step("pushing", f"{commit[:12]} to {self.url.branch}")
        # --no-verify: the site repository's own pre-push hooks are about its sources.
        pushed = self._git("push", "--quiet", "--no-verify", self.url.remote,
                           f"{commit}:refs/heads/{self.url.branch}")
        if pushed.returncode != 0:
            raise self._failure(pushed.stderr.decode("utf-8", "replace"), pushing=True)
        self._git("update-ref", self.ref, commit)
        return DeployReport(self.section.name, self.section.shown_url, False, list(plan.uploads),
                            list(plan.deletions), plan.unchanged, plan.upload_bytes,
                            time.monotonic() - started,
                            note=f"commit {commit[:12]} on {self.url.branch}")

    def _failure(self, stderr: str, *, pushing: bool) -> DeployFailure:
        branch, remote = self.url.branch, hide_password(self.url.remote)
        known = [
            (r"\[remote rejected\]|pre-receive hook declined|protected branch|GH006",
             f"the remote refused the push to {branch} (a protected branch?)",
             f"allow this account to push to {branch} (on GitHub: Settings, Branches; or deploy "
             "to another branch); blogsite never force-pushes"),
            (r"\[rejected\].*(fetch first|non-fast-forward)",
             f"{branch} moved on the remote while deploying",
             "deploy again: the next deploy builds on top of it (blogsite never force-pushes)"),
            (r"Could not resolve host|Could not resolve hostname",
             f"unknown host in {remote}", "check the repository URL"),
            (r"Connection refused|timed out|unable to access|No route to host",
             f"cannot reach {remote}", "check the URL and your network, then deploy again"),
            (r"Authentication failed|could not read Username|Permission denied|403|"
             r"denied to|Host key verification failed",
             f"{remote} refused the credentials of this machine",
             "check your git credentials for it (in GitHub Actions: `permissions: contents: "
             "write` and a checkout that keeps its token)"),
            (r"does not appear to be a git repository|Repository not found|not found",
             f"no git repository at {remote}", "check the URL (and that the repository exists)"),
        ]
        for pattern, message, hint in known:
            if re.search(pattern, stderr, re.IGNORECASE):
                return DeployFailure(message, hint)
        last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
        verb = "push to" if pushing else "fetch from"
        return DeployFailure(f"could not {verb} {remote}: {hide_password(last.strip())}",
                             "deploy again; if it keeps failing, run the same git command by hand")
