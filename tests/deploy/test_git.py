"""The git target against bare repositories pushed to by the real git."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from blogsite import __version__
from blogsite.config import load_config
from blogsite.deploy.command import deploy
from blogsite.deploy.plan import DeployReport
from tests.deploy.conftest import build, changed, set_target, snapshot

IDENTITY = ["-c", "user.name=Stéphane", "-c", "user.email=stephane@example.org"]


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace").strip()


def branch_files(bare: Path, branch: str = "gh-pages") -> dict[str, bytes]:
    data = subprocess.run(["git", f"--git-dir={bare}", "archive", "--format=tar", branch],
                          capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers() if m.isfile()}


def run(blog: Path, **kwargs) -> DeployReport:
    lines: list[str] = []
    return deploy(load_config(blog), names=[], dry_run=kwargs.pop("dry_run", False),
                  echo=lines.append, **kwargs)[0]


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(path))
    return path


@pytest.fixture
def pages(blog: Path, bare: Path) -> Path:
    """The blog as a git repository whose origin is `bare`, deploying to git:gh-pages."""
    (blog / ".gitignore").write_text("public/\n.blogsite-cache/\n")
    set_target(blog, "pages", 'url = "git:gh-pages"\ncname = "blog.example.org"\n')
    git("init", "--quiet", "-b", "main", cwd=blog)
    git("remote", "add", "origin", str(bare), cwd=blog)
    git("add", "-A", cwd=blog)
    git("commit", "--quiet", "-m", "Mes billets", cwd=blog)
    git("push", "--quiet", "origin", "main", cwd=blog)
    return bare


def expected(blog: Path) -> dict[str, bytes]:
    return {**snapshot(blog / "public"), ".nojekyll": b"", "CNAME": b"blog.example.org\n"}


def test_first_deploy_is_one_commit_with_nojekyll_cname_and_the_source(blog, pages, cli):
    state = (git("status", "--porcelain", cwd=blog), git("for-each-ref", "refs/heads", cwd=blog),
             (blog / ".git" / "index").read_bytes(), git("rev-parse", "HEAD", cwd=blog))
    result = cli(blog, "deploy")
    assert result.code == 0, result.err
    assert branch_files(pages) == expected(blog)
    assert "images/réseaux-sociaux.svg" in branch_files(pages)
    log = git(f"--git-dir={pages}", "log", "--format=%B%x00", "gh-pages").split("\0")
    assert len([m for m in log if m.strip()]) == 1
    assert f"blogsite {__version__}" in log[0] and state[3] in log[0]
    # The user's working tree, index, HEAD and branches are as they were.
    assert state == (git("status", "--porcelain", cwd=blog),
                     git("for-each-ref", "refs/heads", cwd=blog),
                     (blog / ".git" / "index").read_bytes(), git("rev-parse", "HEAD", cwd=blog))
    assert f"uploaded {len(expected(blog))} file(s)" in result.out


def test_a_one_post_edit_is_one_more_commit_with_only_what_changed(blog, pages):
    run(blog)
    before = snapshot(blog / "public")
    post = blog / "posts" / "billet-03.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    build(blog)
    written, removed = changed(before, snapshot(blog / "public"))
    report = run(blog)
    assert set(report.uploaded) == written and not removed
    assert report.unchanged == len(expected(blog)) - len(written)
    assert branch_files(pages) == expected(blog)
    assert git(f"--git-dir={pages}", "rev-list", "--count", "gh-pages") == "2"
    changed_in_commit = git(f"--git-dir={pages}", "diff-tree", "-r", "--name-only",
                            "-z", "gh-pages~1", "gh-pages").split("\0")
    assert {p for p in changed_in_commit if p} == written
    # Nothing new: no empty commit.
    assert run(blog).uploaded == []
    assert git(f"--git-dir={pages}", "rev-list", "--count", "gh-pages") == "2"


def test_a_deleted_post_leaves_the_branch(blog, pages):
    run(blog)
    before = snapshot(blog / "public")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    _written, removed = changed(before, snapshot(blog / "public"))
    report = run(blog)
    assert set(report.deleted) == removed and removed
    assert branch_files(pages) == expected(blog)


def test_dry_run_pushes_nothing(blog, pages, cli):
    result = cli(blog, "deploy", "--dry-run")
    assert result.code == 0, result.err
    assert "  upload index.html" in result.out and "  upload .nojekyll" in result.out
    assert git(f"--git-dir={pages}", "branch", "--list", "gh-pages") == ""


def test_a_full_url_with_branch_and_an_existing_history(blog, bare, tmp_path):
    """Codeberg-style: another repository's `pages` branch, which already has a commit; the
    deploy goes on top of it (no force push)."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("Pages\n")
    git("init", "--quiet", "-b", "pages", cwd=other)
    git("add", "-A", cwd=other)
    git("commit", "--quiet", "-m", "first", cwd=other)
    git("push", "--quiet", str(bare), "pages", cwd=other)
    set_target(blog, "pages", f'url = "file://{bare}#pages"\n')
    report = run(blog)
    assert "README.md" in report.deleted
    assert git(f"--git-dir={bare}", "rev-list", "--count", "pages") == "2"
    assert set(branch_files(bare, "pages")) == set(snapshot(blog / "public")) | {".nojekyll"}
    assert "Source commit: none" in git(f"--git-dir={bare}", "log", "-1", "--format=%B", "pages")


def test_a_protected_branch_is_a_clear_error_and_the_next_deploy_finishes(blog, pages, cli):
    hook = pages / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for "
                    "refs/heads/gh-pages.' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = cli(blog, "deploy")
    assert result.code == 1 and "Traceback" not in result.err
    assert "[deploy.pages] git:gh-pages: the remote refused the push to gh-pages" in result.err
    assert "never force-pushes" in result.err
    assert git(f"--git-dir={pages}", "branch", "--list", "gh-pages") == ""
    hook.unlink()
    assert cli(blog, "deploy").code == 0
    assert branch_files(pages) == expected(blog)


def test_a_deploy_interrupted_before_its_push_leaves_the_branch_as_it_was(blog, pages):
    run(blog)
    old = branch_files(pages)
    (blog / "site.toml").write_text(
        (blog / "site.toml").read_text(encoding="utf-8").replace("Déploiements", "Autre titre"),
        encoding="utf-8")
    build(blog)

    def kill(action: str, path: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(blog, on_step=kill)
    assert branch_files(pages) == old
    run(blog)
    assert branch_files(pages) == expected(blog)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///nonexistent/repo.git#gh-pages", "no git repository at file:///nonexistent"),
        ("http://127.0.0.1:{closed}/repo.git#gh-pages", "cannot reach http://127.0.0.1"),
        ("https://user:s3cr3t-t0ken@no-such-host.invalid/repo.git#gh-pages", "unknown host"),
    ],
    ids=["no-repository", "unreachable", "unknown-host"],
)
def test_unreachable_remotes_are_clear_errors_without_secrets(blog, cli, url, message):
    from tests.deploy.servers import free_port

    set_target(blog, "pages", f'url = "{url.format(closed=free_port())}"\n')
    result = cli(blog, "deploy")
    assert result.code == 1 and "Traceback" not in result.err
    assert message in result.err and "[deploy.pages]" in result.err
    assert "s3cr3t-t0ken" not in result.err + result.out


def test_git_gh_pages_outside_a_repository_says_what_to_do(blog, cli):
    set_target(blog, "pages", 'url = "git:gh-pages"\n')
    result = cli(blog, "deploy")
    assert result.code == 1
    assert "not in a git repository" in result.err and "#gh-pages" in result.err
