"""`blogsite serve`: in-memory preview, drafts shown, live reload after a save."""

from __future__ import annotations

import gc
import threading
import time
import urllib.error
import urllib.request

import pytest

from blogsite.config import load_config
from blogsite.serve import EVENTS, start


@pytest.fixture
def server(make_site):
    site = make_site("tricky")
    httpd, stop, preview = start(load_config(site), port=0)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield site, base, preview
    stop.set()
    httpd.shutdown()
    httpd.server_close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_serves_pages_with_live_reload_and_drafts(server):
    site, base, _ = server
    status, home = get(base + "/blog/")
    assert status == 200 and EVENTS in home
    status, draft = get(base + "/blog/" + "2999/01/scheduled-for-the-far-future/")
    assert status == 200 and "Scheduled" in draft
    assert not (site / "public").exists(), "serve writes nothing"
    status, missing = get(base + "/blog/no/such/page/")
    assert status == 404 and "Page not found" in missing


def test_redirects_a_folder_without_slash(server):
    _, base, _ = server
    request = urllib.request.Request(base + "/blog/about")
    opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())
    with opener.open(request, timeout=5) as response:
        assert response.url.endswith("/blog/about/")


def test_a_saved_edit_shows_up(server):
    site, base, preview = server
    version = preview.version
    post = site / "posts/french.md"
    post.write_text(post.read_text().replace("Bonjour", "Salut tout le monde"))
    assert wait_for(lambda: preview.version > version)
    _, page = get(base + "/blog/2024/04/l-ete-a-paris/")
    assert "Salut tout le monde" in page


def test_event_stream_announces_rebuilds(server):
    site, base, preview = server
    with urllib.request.urlopen(base + EVENTS, timeout=5) as stream:
        first = stream.readline().decode()
        assert first.startswith("data: ")
        stream.readline()
        (site / "posts/new.md").write_text("---\ntitle: Fresh\ndate: 2024-05-01\n---\nNew!\n")
        second = stream.readline().decode()
        assert second.startswith("data: ") and second != first


def test_a_broken_file_shows_the_error_in_the_browser(server):
    site, base, preview = server
    version = preview.version
    (site / "posts/broken.md").write_text("---\ntitle: [oops\n---\n")
    assert wait_for(lambda: preview.version > version)
    _, page = get(base + "/blog/")
    assert "The site did not build" in page and "posts/broken.md" in page
    (site / "posts/broken.md").unlink()
    assert wait_for(lambda: not preview.problems or all(p.warning for p in preview.problems))
    _, page = get(base + "/blog/")
    assert "The site did not build" not in page


def test_plan_leaves_the_collector_as_it_found_it(make_site):
    """plan() pauses the collector and freezes what lives while it renders; a long `serve`
    session must get both back after every rebuild, failed or not, or it keeps every site."""
    from blogsite.build import Session, plan
    from blogsite.errors import BlogsiteError

    site = make_site("tricky")
    config = load_config(site)
    session = Session()
    assert gc.isenabled()
    plan(config, include_drafts=True, session=session)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (site / "posts/broken.md").write_text("---\ntitle: [oops\n---\n")
    with pytest.raises(BlogsiteError) as failed:
        plan(config, include_drafts=True, session=session)
    assert any(p.file.endswith("posts/broken.md") for p in failed.value.problems)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (site / "posts/broken.md").unlink()
    gc.disable()
    try:
        plan(config, include_drafts=True, session=session)
        assert not gc.isenabled(), "a caller that paused the collector keeps it paused"
    finally:
        gc.enable()


def test_the_watcher_sweeps_the_last_site_once_the_writer_pauses(server, monkeypatch):
    """Rebuilds run with the collector paused; the cycles they leave are swept by one full
    collection once no save came for a while, not while the reloaded page is served."""
    import blogsite.serve as serve_module

    monkeypatch.setattr(serve_module, "IDLE_COLLECT_S", 0.3)
    site, _base, preview = server
    full: list[str] = []  # the threads that ran a full collection

    def seen(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(threading.current_thread().name)

    gc.callbacks.append(seen)
    try:
        version = preview.version
        post = site / "posts/french.md"
        post.write_text(post.read_text().replace("Bonjour", "Coucou"))
        assert wait_for(lambda: preview.version > version)
        assert wait_for(lambda: any("_watch" in name for name in full), timeout=5)
    finally:
        gc.callbacks.remove(seen)
