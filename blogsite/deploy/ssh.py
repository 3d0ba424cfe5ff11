"""The SSH target (`url = "ssh://user@host[:port]/path/"`): rsync over the user's own ssh.

rsync compares checksums, not times (a fresh CI checkout has new times on every file), sends
the changed files into hidden temporary names and renames them all at the end
(--delay-updates), then deletes what the site no longer has (--delete-after): a deploy cut
short leaves the old site serving, and the next one finishes the job. ssh runs as the user
runs it: ~/.ssh/config, the agent and known_hosts apply, host keys are always checked, and
BatchMode keeps ssh from waiting for a password nobody will type.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from blogsite.deploy.plan import (
    DeployFailure,
    DeployPlan,
    DeployReport,
    LocalSite,
    Progress,
    child_env,
)
from blogsite.deploy.settings import DeploySection

# A command to run instead of plain `ssh`, e.g. "ssh -F ~/.ssh/blog_config" (like GIT_SSH_COMMAND).
SSH_COMMAND_VAR = "BLOGSITE_SSH_COMMAND"
RSYNC_OPTIONS = (
    "--recursive", "--links", "--perms", "--chmod=D755,F644",
    "--checksum", "--delete-after", "--delay-updates",
    "--out-format=%i %n", "--8-bit-output",
)


@dataclass(frozen=True)
class SshUrl:
    user: str
    host: str
    port: int | None
    path: str

    @property
    def login(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def destination(self) -> str:
        return f"{self.login}:{self.path.rstrip('/')}/"


def parse_ssh_url(url: str) -> SshUrl:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise DeployFailure(f"the port in {url!r} is not a number",
                            'write it as url = "ssh://user@host:2222/path/"') from None
    if not parts.hostname or not parts.path or parts.path == "/":
        raise DeployFailure("the url needs a host and the folder to deploy into",
                            'for example: url = "ssh://me@example.org/var/www/blog/"')
    return SshUrl(unquote(parts.username or ""), parts.hostname, port, unquote(parts.path))


@dataclass(frozen=True)
class Itemized:
    uploads: list[str]
    deletions: list[str]


def _unescape(name: str) -> str:
    """rsync writes unprintable bytes of names as \\#ooo (octal)."""
    if "\\#" not in name:
        return name
    raw = re.sub(rb"\\#([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]),
                 name.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "surrogateescape")


def parse_line(line: str) -> tuple[str, str] | None:
    """("upload" | "delete", path) for one --out-format="%i %n" line about a file, else None."""
    if line.startswith("*deleting "):
        path = _unescape(line[len("*deleting "):].lstrip(" "))
        return None if path.endswith("/") else ("delete", path)
    item, _, name = line.partition(" ")
    if len(item) >= 2 and item[0] in "<>" and item[1] == "f" and name:
        return "upload", _unescape(name)
    return None


class SshTarget:
    def __init__(self, section: DeploySection) -> None:
        self.section = section
        self.url = parse_ssh_url(section.url)

    def close(self) -> None:
        pass

    def _ssh(self) -> str:
        base = shlex.split(os.environ.get(SSH_COMMAND_VAR, "") or "ssh")
        options = ["-o", "BatchMode=yes"]
        if self.url.port:
            options += ["-p", str(self.url.port)]
        return shlex.join(base + options)

    def command(self, site: LocalSite, dry_run: bool) -> list[str]:
        extra = ["--dry-run"] if dry_run else []
        return ["rsync", *RSYNC_OPTIONS, *extra, "-e", self._ssh(), "--",
                os.path.join(str(site.folder), ""), self.url.destination]

    def plan(self, site: LocalSite) -> DeployPlan:
        found = self._run(self.command(site, dry_run=True), None)
        return self._plan_of(site, found)

    def _plan_of(self, site: LocalSite, found: Itemized) -> DeployPlan:
        uploads = tuple(found.uploads)
        return DeployPlan(self.section.name, uploads, tuple(found.deletions),
                          len(set(site.files) - set(uploads)), site.size_of(uploads))

    def deploy(self, site: LocalSite, progress: Progress) -> DeployReport:
        """One rsync run: it finds what changed as it sends it (a separate dry run first would
        checksum every file on both sides twice)."""
        return self._apply(site, progress)

    def apply(self, site: LocalSite, plan: DeployPlan, progress: Progress) -> DeployReport:
        progress.start(len(plan.uploads) + len(plan.deletions))
        return self._apply(site, progress)

    def _apply(self, site: LocalSite, progress: Progress) -> DeployReport:
        started = time.monotonic()
        found = self._run(self.command(site, dry_run=False), progress)
        done = self._plan_of(site, found)
        return DeployReport(self.section.name, self.section.shown_url, False, list(done.uploads),
                            list(done.deletions), done.unchanged, done.upload_bytes,
                            time.monotonic() - started)

    def _run(self, command: list[str], progress: Progress | None) -> Itemized:
        found = Itemized([], [])
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors,
                                        stdin=subprocess.DEVNULL, env=child_env())
            except FileNotFoundError:
                raise DeployFailure("rsync is not installed on this machine",
                                    "install rsync and OpenSSH (Debian: apt install rsync "
                                    "openssh-client)") from None
            with proc:
                try:
                    self._read(proc, found, progress)
                finally:
                    if proc.poll() is None:  # interrupted: stop rsync; the old site stays
                        proc.kill()
                code = proc.wait()
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace")
        if code != 0:
            raise self._failure(code, text)
        return found

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], found: Itemized, progress: Progress | None) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            parsed = parse_line(raw.decode("utf-8", "surrogateescape").rstrip("\n"))
            if parsed is None:
                continue
            action, path = parsed
            (found.uploads if action == "upload" else found.deletions).append(path)
            if progress is not None:
                progress.step("uploading" if action == "upload" else "deleting", path)

    def _failure(self, code: int, stderr: str) -> DeployFailure:
        url = self.url
        port = f" -p {url.port}" if url.port else ""
        known = [
            (r"Could not resolve hostname", f"unknown host {url.host!r}",
             "check the host name in url, or define it in ~/.ssh/config"),
            (r"Connection refused|timed out|No route to host|Network is unreachable",
             f"cannot reach {url.host}" + (f" on port {url.port}" if url.port else ""),
             "check that the server is up and that url has the right host and port "
             "(ssh://user@host:PORT/path/)"),
            (r"Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED",
             "the server's host key is not in your known_hosts (or it changed)",
             f"check the key's fingerprint with the server's owner, then run `ssh{port} "
             f"{url.login}` once to record it; blogsite never skips this check"),
            (r"Permission denied \(13\)|failed: Permission denied",
             f"{url.login} may not write into {url.path} on the server",
             "give that user write access to the folder, or deploy into one it owns"),
            (r"Permission denied \(", f"the server refused to log {url.login} in",
             "put your public key in the server's ~/.ssh/authorized_keys and load it into your "
             "agent (`ssh-add`); deploys cannot type a passphrase"),
            (r"rsync: (command )?not found|rsync: No such file",
             "rsync is not installed on the server", "install it there (Debian: apt install rsync)"),
            (r"mkdir .* failed: No such file or directory",
             f"the folder above {url.path} does not exist on the server",
             "create it on the server first (mkdir -p), then deploy again"),
        ]
        for pattern, message, hint in known:  # the first that matches: the order matters
            if re.search(pattern, stderr):
                return DeployFailure(message, hint)
        last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
        return DeployFailure(f"rsync failed with exit status {code}: {last.strip()}",
                             "run the deploy again; if it keeps failing, check the server")
