"""`blogsite serve`: the site rebuilt in memory on every save, with live reload.

Files are served from memory (nothing is written), drafts and future posts are shown, and
each HTML page carries a tiny script that listens on an event stream and reloads the page
after a successful rebuild. A failed rebuild keeps serving the last good site and shows the
problems in a banner page, so the writer sees the error where he looks.
"""

from __future__ import annotations

import gc
import html
import mimetypes
import os
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from blogsite.config import Config, load_config
from blogsite.errors import BlogsiteError, Problem

EVENTS = "/__blogsite/events"
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;var s=new EventSource('" + EVENTS + "');"
    "s.onmessage=function(e){if(v!==null&&e.data!==v){location.reload();}v=e.data;};})();"
    "</script>"
)
WATCHED = ("posts", "pages", "comments", "theme", "static")


class Preview:
    """The last good build, its version, and the problems of the last attempt."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, bytes | Path] = {}
        self.problems: list[Problem] = []
        self.version = 0
        self.changed = threading.Condition()
        self.config: Config | None = None
        # Parsed posts and rendered pages kept between rebuilds: a save re-renders only
        # the pages it changes (blogsite.build.Session).
        from blogsite.build import Session

        self.session = Session()

    def rebuild(self) -> None:
        from blogsite.build import plan

        started = time.perf_counter()
        try:
            self.config = load_config(self.root)
            site, files = plan(self.config, include_drafts=True, session=self.session)
            problems = list(site.warnings)
        except BlogsiteError as exc:
            files, problems = None, exc.problems
        with self.changed:
            if files is not None:
                self.files = files
            self.problems = problems
            self.version += 1
            self.changed.notify_all()
        took = (time.perf_counter() - started) * 1000
        if files is None:
            from blogsite.errors import count

            print(f"Rebuild failed ({count(len(problems), 'problem')}):", file=sys.stderr)
            from blogsite.cli import report

            report(problems)
        else:
            print(f"Rebuilt {len(files)} files in {took:.0f} ms", flush=True)

    def lookup(self, path: str) -> tuple[bytes | Path | None, str]:
        base = self.config.base_path if self.config else "/"
        if path.startswith(base):
            path = "/" + path[len(base) :]
        rel = path.lstrip("/")
        candidates = [rel] if rel and not rel.endswith("/") else []
        candidates += [rel + "index.html"] if rel.endswith("/") or not rel else []
        for c in candidates:
            if c in self.files:
                return self.files[c], c
        return None, rel


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """mtime and size of every watched file: cheap to compare every few hundred ms."""
    state: dict[str, tuple[int, int]] = {}
    for name in ("site.toml", "syndication.toml"):
        p = root / name
        if p.exists():
            st = p.stat()
            state[name] = (st.st_mtime_ns, st.st_size)
    for folder in WATCHED:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for f in filenames:
                if f.startswith(".") or f.endswith("~"):
                    continue
                found = os.path.join(dirpath, f)
                try:
                    st = os.stat(found)
                except FileNotFoundError:
                    continue
                state[found] = (st.st_mtime_ns, st.st_size)
    return state


# After a rebuild, the collector sweeps the last site's cycles once the writer has paused
# this long: a full pass over a large site holds the interpreter for a tenth of a second or
# more, which must not delay the reloaded page.
IDLE_COLLECT_S = 2.0


def _watch(
    preview: Preview, stop: threading.Event, last: dict[str, tuple[int, int]], interval: float = 0.05
) -> None:
    wait = interval
    rebuilt_at: float | None = None
    while not stop.wait(wait):
        started = time.perf_counter()
        now = snapshot(preview.root)
        # Poll often, but never spend more than a quarter of the time looking (large sites).
        wait = max(interval, 3 * (time.perf_counter() - started))
        if now != last:
            last = now
            preview.rebuild()
            rebuilt_at = time.perf_counter()
        elif rebuilt_at is not None and time.perf_counter() - rebuilt_at > IDLE_COLLECT_S:
            gc.collect()
            rebuilt_at = None


def _error_page(problems: list[Problem]) -> bytes:
    items = "".join(f"<li><pre>{html.escape(p.render())}</pre></li>" for p in problems)
    return (
        "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Build error</title>"
        "<body style='font-family:system-ui;margin:2rem'><h1>The site did not build</h1>"
        f"<ul>{items}</ul><p>Fix the files and save: this page reloads by itself.</p>"
        f"{RELOAD_SCRIPT}</body></html>"
    ).encode()


def make_handler(  # noqa: C901 - one small HTTP handler class, its routes in one place
    preview: Preview,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # one line per rebuild is enough; request logs drown errors

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == EVENTS:
                return self._events()
            errors = [p for p in preview.problems if not p.warning]
            content, rel = preview.lookup(path)
            if errors and (content is None or rel.endswith(".html")):
                return self._send(HTTPStatus.OK, _error_page(errors), "text/html; charset=utf-8")
            if content is None:
                if not rel.endswith((".html", "/")) and "." in rel.rsplit("/", 1)[-1]:
                    pass
                elif not path.endswith("/") and (rel + "/index.html") in preview.files:
                    self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                body = preview.files.get("404.html", b"Not found")
                body = body.read_bytes() if isinstance(body, Path) else body
                return self._send(HTTPStatus.NOT_FOUND, _inject(body), "text/html; charset=utf-8")
            data = content.read_bytes() if isinstance(content, Path) else content
            ctype = mimetypes.guess_type(rel)[0] or "application/octet-stream"
            if ctype == "text/html":
                data = _inject(data)
            if ctype.startswith("text/") or ctype in ("application/xml", "application/json"):
                ctype += "; charset=utf-8"
            return self._send(HTTPStatus.OK, data, ctype)

        def _send(self, status: HTTPStatus, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seen = -1
            try:
                while True:
                    with preview.changed:
                        if preview.version == seen:
                            preview.changed.wait(timeout=15)
                        version = preview.version
                    if version != seen:
                        seen = version
                        self.wfile.write(f"data: {version}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

    return Handler


def _inject(data: bytes) -> bytes:
    marker = b"</body>"
    index = data.rfind(marker)
    script = RELOAD_SCRIPT.encode()
    return data[:index] + script + data[index:] if index >= 0 else data + script


def start(config: Config, host: str = "127.0.0.1", port: int = 8000):
    """Start the preview server in background threads; return (server, stop_event, preview)."""
    preview = Preview(config.root)
    # Snapshot before the first build, so that a save during it still triggers a rebuild.
    initial = snapshot(config.root)
    preview.rebuild()
    try:
        server = ThreadingHTTPServer((host, port), make_handler(preview))
    except OSError as exc:
        raise BlogsiteError(
            Problem(
                f"{host}:{port}",
                f"cannot listen there: {exc.strerror}",
                "another program uses this port; try `blogsite serve --port 8001`",
            )
        ) from None
    server.daemon_threads = True
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=_watch, args=(preview, stop, initial), daemon=True).start()
    return server, stop, preview


def serve(config: Config, host: str = "127.0.0.1", port: int = 8000) -> None:
    server, stop, _ = start(config, host, port)
    shown = host if host not in ("0.0.0.0", "::") else "localhost"
    print(f"Serving on http://{shown}:{server.server_address[1]}{config.base_path} "
          "(drafts shown; Ctrl+C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
