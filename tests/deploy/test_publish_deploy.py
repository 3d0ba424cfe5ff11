"""`blogsite publish` deploys to the [deploy.*] targets before announcing: a post is announced
only once the target that serves it has its page (here a git branch, served over HTTP by a
tiny server reading that branch, so that `verify_live` sees exactly what was pushed)."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from blogsite.config import load_config
from blogsite.errors import BlogsiteError
from blogsite.publish import PublishReport, publish
from tests.deploy.conftest import set_target, write_blog
from tests.fakes import FakeMastodonServer

TOKEN = "MASTOTOKEN-deploy-Zx8Cv5Bn2Mq0Wl"


class _Branch(http.server.BaseHTTPRequestHandler):
    """GET /path/ answers the branch's path/index.html (404 when the branch lacks it)."""

    bare: Path

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].lstrip("/")
        path = path + "index.html" if path.endswith("/") or not path else path
        shown = subprocess.run(["git", f"--git-dir={self.bare}", "show", f"gh-pages:{path}"],
                               capture_output=True)
        body = shown.stdout if shown.returncode == 0 else b"not found"
        self.send_response(200 if shown.returncode == 0 else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path, Any]]:
    bare = tmp_path / "pages.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    handler = type("Branch", (_Branch,), {"bare": bare})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = write_blog(tmp_path / "blog", posts=3)
    recent = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    (root / "posts" / "tout-neuf.md").write_text(
        f'---\ntitle: "Tout neuf"\ndate: {recent}\n---\nUn billet qui vient de sortir.\n',
        encoding="utf-8")
    toml = (root / "site.toml").read_text(encoding="utf-8")
    toml = toml.replace("https://blog.example.org/", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.delenv("BLOGSITE_MASTODON_TOKEN", raising=False)
    with FakeMastodonServer(access_token=TOKEN) as mastodon:
        (root / "site.toml").write_text(
            toml + "\n[publish]\nverify_live = true\nmax_wait = 5\n"
            f'\n[social.mastodon]\ninstance = "{mastodon.url}"\n', encoding="utf-8")
        set_target(root, "pages", f'url = "file://{bare}#gh-pages"\n')
        yield root, bare, mastodon
    server.shutdown()
    server.server_close()


def run(root: Path, lines: list[str], dry_run: bool = False) -> PublishReport:
    return publish(load_config(root), dry_run=dry_run, slugs=[], networks=[],
                   echo=lines.append, env={"BLOGSITE_MASTODON_TOKEN": TOKEN})


def branch_has(bare: Path, path: str) -> bool:
    return subprocess.run(["git", f"--git-dir={bare}", "cat-file", "-e", f"gh-pages:{path}"],
                          capture_output=True).returncode == 0


def test_publish_deploys_then_announces_what_the_target_serves(site):
    root, bare, mastodon = site
    lines: list[str] = []
    report = run(root, lines)
    assert not report.failed, lines
    assert [o.post.slug for o in report.sent] == ["tout-neuf"]
    assert len(mastodon.statuses) == 1
    page = report.sent[0].post.url.lstrip("/") + "index.html"
    assert branch_has(bare, page)
    assert any(line.startswith("Deploying to pages") for line in lines)
    # After announcing, the rebuilt page links to its copy, and that deploy sent it too.
    served = subprocess.run(["git", f"--git-dir={bare}", "show", f"gh-pages:{page}"],
                            capture_output=True, check=True).stdout.decode()
    assert report.sent[0].detail in served


def test_a_refused_deploy_announces_nothing(site):
    root, bare, mastodon = site
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    lines: list[str] = []
    with pytest.raises(BlogsiteError) as info:
        run(root, lines)
    assert "the remote refused the push to gh-pages" in str(info.value)
    assert mastodon.statuses == []


def test_publish_dry_run_lists_the_deploy_and_pushes_nothing(site):
    root, bare, mastodon = site
    lines: list[str] = []
    run(root, lines, dry_run=True)
    assert "  upload index.html" in lines
    assert not branch_has(bare, "index.html")
    assert mastodon.statuses == []
