"""The SSH target against a real sshd, with the real rsync and ssh."""

from __future__ import annotations

from pathlib import Path

import pytest

from blogsite.config import load_config
from blogsite.deploy.command import deploy
from blogsite.deploy.plan import DeployReport
from tests.deploy.conftest import Sshd, build, changed, set_target, snapshot

SVG = "images/réseaux-sociaux.svg"


@pytest.fixture
def web(blog: Path, sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    www = tmp_path / "www"
    www.mkdir()
    set_target(blog, "web", f'url = "ssh://blogsite-test{www}/"\n')
    monkeypatch.setenv("BLOGSITE_SSH_COMMAND", sshd.command())
    return www


def run(blog: Path, **kwargs) -> DeployReport:
    lines: list[str] = []
    reports = deploy(load_config(blog), names=[], dry_run=kwargs.pop("dry_run", False),
                     echo=lines.append, **kwargs)
    return reports[0]


def edit_post(blog: Path, n: int) -> None:
    post = blog / "posts" / f"billet-{n:02d}.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")


def test_first_deploy_uploads_the_whole_site_unicode_names_included(blog, web, cli):
    result = cli(blog, "deploy")
    assert result.code == 0, result.err
    assert snapshot(web) == snapshot(blog / "public")
    assert (web / SVG).read_text() == (blog / "public" / SVG).read_text()
    files = len(snapshot(blog / "public"))
    assert f"web: uploaded {files} file(s)" in result.out
    assert "0 unchanged" in result.out
    again = cli(blog, "deploy")
    assert f"uploaded 0 file(s) (0 B), deleted 0, {files} unchanged" in again.out


def test_a_one_post_edit_sends_its_page_and_the_listings_that_show_it(blog, web):
    run(blog)
    before = snapshot(blog / "public")
    edit_post(blog, 3)
    build(blog)
    written, removed = changed(before, snapshot(blog / "public"))
    report = run(blog)
    assert set(report.uploaded) == written and not removed and not report.deleted
    page = next(p for p in written if "billet-numero-3/" in p)
    assert page.endswith("index.html")
    assert 1 < len(written) < len(before) // 3
    assert report.unchanged == len(before) - len(written)
    assert snapshot(web) == snapshot(blog / "public")


def test_a_deleted_post_is_removed_from_the_server(blog, web):
    run(blog)
    before = snapshot(blog / "public")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    written, removed = changed(before, snapshot(blog / "public"))
    assert any("billet-numero-5/" in p for p in removed)
    report = run(blog)
    assert set(report.deleted) == removed
    assert set(report.uploaded) == written
    assert snapshot(web) == snapshot(blog / "public")
    assert not any("billet-numero-5" in p.as_posix() for p in web.rglob("*"))


def test_dry_run_lists_every_change_and_touches_nothing(blog, web, cli):
    run(blog)
    before = snapshot(blog / "public")
    edit_post(blog, 3)
    (blog / "static" / "images" / "réseaux-sociaux.svg").write_text("<svg/>\n")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    written, removed = changed(before, snapshot(blog / "public"))
    remote = snapshot(web)
    result = cli(blog, "deploy", "--dry-run")
    assert result.code == 0, result.err
    assert snapshot(web) == remote
    listed = [line.strip() for line in result.out.splitlines() if line.startswith("  ")]
    assert sorted(listed) == sorted([f"upload {p}" for p in written] +
                                    [f"delete {p}" for p in removed])
    assert f"upload {SVG}" in listed
    assert f"would upload {len(written)} file(s)" in result.out


def test_a_deploy_killed_half_way_leaves_the_old_site_and_the_next_finishes(blog, web):
    run(blog)
    old = snapshot(web)
    (blog / "site.toml").write_text(
        (blog / "site.toml").read_text(encoding="utf-8").replace("Déploiements", "Nouveau titre"),
        encoding="utf-8")
    build(blog)

    def kill(action: str, path: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(blog, on_step=kill)
    now = snapshot(web)
    # Every page is still there, whole: the old one (or, at worst, already the new one).
    new = snapshot(blog / "public")
    assert set(old) <= set(now)
    for path, data in now.items():
        if path in old:
            assert data in (old[path], new.get(path)), path
    report = run(blog)
    assert report.uploaded
    assert snapshot(web) == snapshot(blog / "public")


@pytest.mark.parametrize(
    ("url", "config", "message", "hint"),
    [
        ("ssh://no-such-host.invalid/srv/www/", "ssh_config", "unknown host 'no-such-host.invalid'",
         "check the host name"),
        ("ssh://127.0.0.1:{closed}/srv/www/", "ssh_config", "cannot reach 127.0.0.1 on port",
         "the server is up"),
        ("ssh://blogsite-test{www}/", "stranger_config", "the server refused to log",
         "authorized_keys"),
        ("ssh://blogsite-test{www}/", "unknown_host_config", "host key is not in your known_hosts",
         "never skips this check"),
    ],
    ids=["unknown-host", "unreachable", "permission-denied", "unknown-host-key"],
)
def test_usual_mistakes_are_clear_errors(blog, sshd, tmp_path, cli, monkeypatch,
                                         url, config, message, hint):
    from tests.deploy.servers import free_port

    www = tmp_path / "www"
    www.mkdir()
    set_target(blog, "web", f'url = "{url.format(closed=free_port(), www=www)}"\n')
    monkeypatch.setenv("BLOGSITE_SSH_COMMAND", sshd.command(sshd.folder / config))
    result = cli(blog, "deploy")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "[deploy.web]" in result.err and message in result.err and hint in result.err
    assert list(www.iterdir()) == []


def test_a_folder_the_user_may_not_write_is_a_clear_error(blog, sshd, tmp_path, cli, monkeypatch):
    import os

    if os.geteuid() == 0:
        target = "/proc/blogsite-cannot-write-here"  # root may write anywhere else
    else:
        target = str(tmp_path / "locked" / "www")
        (tmp_path / "locked").mkdir(mode=0o500)
    set_target(blog, "web", f'url = "ssh://blogsite-test{target}/"\n')
    monkeypatch.setenv("BLOGSITE_SSH_COMMAND", sshd.command())
    result = cli(blog, "deploy")
    assert result.code == 1 and "Traceback" not in result.err
    assert "[deploy.web]" in result.err and "hint:" in result.err
