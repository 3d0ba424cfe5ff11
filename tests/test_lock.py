"""The publish lock: one publish at a time; a lock left by a dead or hung process is taken over."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blogsite.errors import BlogsiteError
from blogsite.publish import lock as lock_mod
from blogsite.publish.lock import LOCK_FILE, publish_lock


def test_lock_blocks_a_second_publish_and_is_released(tmp_path: Path) -> None:
    with publish_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).exists()
        with pytest.raises(BlogsiteError) as info:
            with publish_lock(tmp_path):
                pass
        assert "another `blogsite publish` is running" in str(info.value)
    assert not (tmp_path / LOCK_FILE).exists()


def test_lock_held_by_another_live_process_blocks(tmp_path: Path) -> None:
    code = (
        "import sys, time; from blogsite.publish.lock import publish_lock\n"
        "with publish_lock(sys.argv[1]):\n"
        "    print('locked', flush=True); time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(BlogsiteError):
            with publish_lock(tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    # Killed without cleaning up: the lock file remains but does not block.
    assert (tmp_path / LOCK_FILE).exists()
    with publish_lock(tmp_path):
        pass


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname()}))
    with publish_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_old_lock_is_stale_even_if_pid_exists(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    with pytest.raises(BlogsiteError):
        with publish_lock(tmp_path):
            pass
    old = time.time() - lock_mod.STALE_LOCK_SECONDS - 10
    os.utime(lock, (old, old))
    with publish_lock(tmp_path):
        pass


def test_unreadable_lock_is_respected_briefly_then_taken(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_FILE
    lock.write_text("")
    with pytest.raises(BlogsiteError):
        with publish_lock(tmp_path):
            pass
    old = time.time() - 60
    os.utime(lock, (old, old))
    with publish_lock(tmp_path):
        pass


def test_lock_file_says_who_holds_it_and_the_refusal_names_it(tmp_path: Path) -> None:
    with publish_lock(tmp_path) as path:
        assert path == tmp_path / LOCK_FILE
        holder = json.loads(path.read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", holder["started"])
        with pytest.raises(BlogsiteError) as info:
            with publish_lock(tmp_path):
                pass
        problem = info.value.problems[0]
        assert problem.file.endswith(LOCK_FILE)
        assert f"pid {os.getpid()} on {socket.gethostname()}, started {holder['started']}" in (
            problem.message
        )
        assert "delete this lock file" in problem.hint
        old = time.time() - 120
        os.utime(path, (old, old))
        lock_mod.touch_lock(tmp_path)  # a long publish keeps its lock young
        assert time.time() - path.stat().st_mtime < 60
