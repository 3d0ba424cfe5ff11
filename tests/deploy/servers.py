"""Real servers on 127.0.0.1 for the deploy tests and the deploy benchmark: OpenSSH's sshd
with its own host key and a client key made for it, and SeaweedFS with its S3 gateway.
Plain functions (no pytest), so that bench/deploy.py starts the very same servers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

S3_KEY, S3_SECRET = "blogsite-test-key", "blogsite-test-secret-0123456789"
BUCKET = "blog"
SSHD = shutil.which("sshd") or next(
    (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.path.exists(p)), None)


def weed_binary() -> str | None:
    path = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return path if os.path.exists(path) else None


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


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def sshd_files(folder: Path, port: int, user: str) -> None:
    keygen(folder / "host_key")
    keygen(folder / "client_key")
    keygen(folder / "stranger_key")
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


def start_sshd(folder: Path, port: int, log: object) -> subprocess.Popen[bytes]:
    """sshd for the user running this, on 127.0.0.1:port; ssh with folder/ssh_config reaches
    it as the host `blogsite-test`."""
    assert SSHD is not None
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    sshd_files(folder, port, user)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege separation folder
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
                            stderr=log)  # type: ignore[arg-type]
    wait_port(port, proc)
    return proc


def weed_command(weed: str, folder: Path) -> tuple[list[str], int]:
    identity = {"name": "blogsite", "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    command = [weed, "server", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               "-filer", "-s3", f"-s3.config={folder / 's3.json'}",
               "-master.volumeSizeLimitMB=32", "-volume.max=0",
               # Off: the Iceberg and Lance gateways listen on fixed ports by default.
               "-s3.port.iceberg=0", "-s3.port.lance=0"]
    for name, port in ports.items():
        command += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
    return command, ports["s3"]


@dataclass(frozen=True)
class Weed:
    endpoint: str

    def client(self, key: str = S3_KEY, secret: str = S3_SECRET) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
            region_name="us-east-1", config=Config(
                s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                response_checksum_validation="when_required"))


def start_weed(binary: str, folder: Path, log: object) -> tuple[subprocess.Popen[bytes], Weed]:
    """`weed server` with its S3 gateway (one identity: S3_KEY, S3_SECRET), ready to write."""
    command, port = weed_command(binary, folder)
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # type: ignore[arg-type]
    try:
        wait_port(port, proc, seconds=60)
        server = Weed(f"http://127.0.0.1:{port}")
        _until_writable(server, proc)
    except BaseException:
        stop(proc)
        raise
    return proc, server


def _until_writable(server: Weed, proc: subprocess.Popen[bytes]) -> None:
    """The S3 port opens before the volume server has joined: wait for a first write."""
    client = server.client()
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited with status {proc.returncode} (see weed.log)")
        try:
            # One bucket for every test (each bucket is a SeaweedFS collection with volumes
            # of its own); each test deploys under a prefix of its own.
            client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key="warm-up", Body=b"ok")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
