"""Threaded fake HTTP server with a request log and fault injection.

Each fake network (X, Mastodon, Bluesky) subclasses :class:`FakeServer` and implements
:meth:`FakeServer.handle_request` plus the three hooks that render a network's own answers for
injected faults (:meth:`~FakeServer.rate_limited`, :meth:`~FakeServer.server_error`,
:meth:`~FakeServer.unauthorized`).

Usage::

    with FakeXServer() as fake:              # binds 127.0.0.1:<ephemeral port>
        fake.inject(RateLimited(reset_in=60))  # next request gets the network's 429
        fake.inject(StoredButLost(), times=1, match="/2/tweets")
        ...                                    # point a real client at fake.url
        assert fake.requests[-1].status == 201

Faults are consumed in injection order; a fault applies to the first request whose
``method + " " + path?query`` contains ``match`` (or to any request when ``match`` is None).
``times=None`` keeps a fault active until :meth:`FakeServer.clear_faults`.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "ConnectionReset",
    "Fault",
    "FakeServer",
    "RateLimited",
    "RateWindow",
    "RecordedRequest",
    "Respond",
    "Response",
    "ServerError",
    "StoredButLost",
    "Timeout",
    "Unauthorized",
]


# --------------------------------------------------------------------------- faults


class Fault:
    """Base class of injectable faults."""

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class RateLimited(Fault):
    """Answer 429 with the network's real rate-limit headers and body.

    ``reset_in`` is the number of seconds until the window resets; it ends up in the
    network's reset header (epoch seconds for X and Bluesky, ISO 8601 for Mastodon).
    """

    reset_in: float = 900.0
    limit: int | None = None


@dataclass(frozen=True)
class ServerError(Fault):
    """Answer a 5xx with the body the network (or its proxy) really sends.

    ``body`` overrides the default body (dict -> JSON, str/bytes -> sent as is).
    """

    status: int = 500
    body: Any = None


@dataclass(frozen=True)
class Timeout(Fault):
    """Sleep ``seconds`` before answering, so a client with a shorter timeout gives up.

    With ``process=False`` (default) the request is *not* acted on: after the sleep the
    connection is closed without an answer.  With ``process=True`` the request is handled
    normally after the sleep (the post is stored and an answer is written to whoever is
    still listening) -- the "slow server that did the work anyway" case.
    The sleep ends early when the server stops.
    """

    seconds: float = 5.0
    process: bool = False


@dataclass(frozen=True)
class ConnectionReset(Fault):
    """Close the socket without any answer and without acting on the request.

    By default the socket is closed with SO_LINGER=0, so the client sees a TCP RST
    (``ConnectionResetError``).  ``graceful=True`` sends a FIN instead, which clients
    report as "server disconnected without sending a response".
    """

    graceful: bool = False


@dataclass(frozen=True)
class StoredButLost(Fault):
    """Perform the request for real (e.g. store the post), then drop the connection.

    The "answer was lost" case: the action happened, but the client gets a reset
    (or a FIN with ``graceful=True``) instead of the answer.
    """

    graceful: bool = False


@dataclass(frozen=True)
class Unauthorized(Fault):
    """Answer 401 with the network's real error body (``body`` overrides it)."""

    body: Any = None


@dataclass(frozen=True)
class Respond(Fault):
    """Answer with an arbitrary canned response (escape hatch for odd cases)."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, list[str]] | None = None
    received_at: float = field(default_factory=time.time)
    #: Name of the fault applied to this request, if any.
    fault: str | None = None
    #: Status the fake decided on (also set when the answer was then dropped).
    status: int | None = None
    #: Whether an answer actually went out on the wire.
    answered: bool = False

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def body_field(self, name: str, default: Any = None) -> Any:
        """A body field, whether the body was JSON or form-encoded."""
        if isinstance(self.json, dict):
            return self.json.get(name, default)
        if self.form is not None:
            values = self.form.get(name)
            return values[0] if values else default
        return default


@dataclass
class Response:
    """What a fake answers. dict/list bodies are sent as JSON."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str | None]:
        if self.body is None:
            return b"", self.content_type
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), self.content_type or "text/html; charset=utf-8"
        data = json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return data, self.content_type or "application/json; charset=utf-8"


class RateWindow:
    """Fixed-window request counter, used to fill rate-limit headers on normal answers.

    Exhausting a window makes the fake answer 429 by itself, like the real service.
    """

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._used = 0
        self._reset_at = time.time() + seconds

    def consume(self, points: int = 1) -> tuple[bool, int, float]:
        """Spend ``points``; returns (allowed, remaining, reset_at_epoch)."""
        now = time.time()
        if now >= self._reset_at:
            self._used = 0
            self._reset_at = now + self.seconds
        if self._used + points > self.limit:
            return False, max(self.limit - self._used, 0), self._reset_at
        self._used += points
        return True, self.limit - self._used, self._reset_at


def iso_now(ts: float | None = None) -> str:
    """UTC timestamp with milliseconds and a Z, the format all three APIs use."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- server


@dataclass
class _Injected:
    fault: Fault
    remaining: int | None
    match: str | None


class _Dropped(Exception):
    """Raised inside the handler when the connection was deliberately dropped."""


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients behave as with real servers, but one request per connection
    # ("Connection: close") keeps every fault tied to exactly one request.
    protocol_version = "HTTP/1.1"
    # Don't let a silent client pin a handler thread (server_close joins them).
    timeout = 10
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server.fake.server_header

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The default writes every request to stderr; tests read the log instead.
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        body = self._read_body()
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        parsed_json: Any = None
        form: dict[str, list[str]] | None = None
        if body and ctype.endswith("json"):
            try:
                parsed_json = json.loads(body)
            except ValueError:
                parsed_json = None
        elif body and ctype == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            raw_query=parts.query,
            headers={k: v for k, v in self.headers.items()},
            body=body,
            json=parsed_json,
            form=form,
        )

    def _serve(self) -> None:
        self.close_connection = True
        request = self._record()
        self.server.fake._dispatch(self, request)

    # -- used by FakeServer._dispatch

    def send(self, request: RecordedRequest, response: Response) -> None:
        body, ctype = response.encode()
        request.status = response.status
        try:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)
            self.wfile.flush()
            request.answered = True
        except OSError:
            # The client already gave up (e.g. after a Timeout fault): nothing to answer.
            request.answered = False

    def drop(self, *, graceful: bool) -> None:
        """Close without answering: RST by default, FIN when graceful."""
        self.close_connection = True
        if not graceful:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.mark_reset(self.connection)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self._reset_ids: set[int] = set()
        self._reset_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def mark_reset(self, sock: socket.socket) -> None:
        with self._reset_lock:
            self._reset_ids.add(id(sock))

    def shutdown_request(self, request: Any) -> None:
        with self._reset_lock:
            reset = id(request) in self._reset_ids
            self._reset_ids.discard(id(request))
        if reset:
            # shutdown(SHUT_WR) would send a FIN first; closing with SO_LINGER=0 sends RST.
            request.close()
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        if exc is not None:
            self.fake._record_error(exc)


class FakeServer:
    """Base class: lifecycle, request log, fault queue. Subclasses implement the API."""

    #: Value of the ``Server`` header.
    server_header = "fake"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._log: list[RecordedRequest] = []
        self._faults: list[_Injected] = []
        self._errors: list[BaseException] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits up to one interval
            name=f"{type(self).__name__}-serve",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        # Wake handlers sleeping in a Timeout fault so server_close() can join them.
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._httpd.server_port

    # -- faults

    def inject(self, fault: Fault, times: int | None = 1, match: str | None = None) -> None:
        """Queue ``fault`` for the next ``times`` requests containing ``match``.

        ``match`` is searched in ``"METHOD /path?query"``, so ``"POST "`` or
        ``"/api/v1/statuses"`` both work.  ``times=None`` means until cleared.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._faults.append(_Injected(fault, times, match))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[tuple[Fault, int | None, str | None]]:
        with self._lock:
            return [(f.fault, f.remaining, f.match) for f in self._faults]

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        target = f"{request.method} {request.path}"
        if request.raw_query:
            target += "?" + request.raw_query
        with self._lock:
            for injected in self._faults:
                if injected.match is not None and injected.match not in target:
                    continue
                if injected.remaining is not None:
                    injected.remaining -= 1
                    if injected.remaining <= 0:
                        self._faults.remove(injected)
                return injected.fault
        return None

    # -- log

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def requests_for(self, path_contains: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if path_contains in r.path and (method is None or r.method == method.upper())
        ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised inside the fake itself (bugs in the fake, not injected faults)."""
        with self._lock:
            return list(self._errors)

    def _record_error(self, exc: BaseException) -> None:
        with self._lock:
            self._errors.append(exc)

    # -- dispatch

    def _dispatch(self, handler: _Handler, request: RecordedRequest) -> None:
        fault = self._take_fault(request)
        request.fault = fault.name if fault is not None else None
        with self._lock:
            self._log.append(request)

        if fault is None:
            handler.send(request, self._handle_safely(request))
        elif isinstance(fault, ConnectionReset):
            handler.drop(graceful=fault.graceful)
        elif isinstance(fault, StoredButLost):
            request.status = self._handle_safely(request).status
            handler.drop(graceful=fault.graceful)
        elif isinstance(fault, Timeout):
            self._stopping.wait(fault.seconds)
            if fault.process and not self._stopping.is_set():
                handler.send(request, self._handle_safely(request))
            else:
                handler.drop(graceful=True)
        elif isinstance(fault, RateLimited):
            handler.send(request, self.rate_limited(fault, request))
        elif isinstance(fault, ServerError):
            handler.send(request, self.server_error(fault, request))
        elif isinstance(fault, Unauthorized):
            handler.send(request, self.unauthorized(fault, request))
        elif isinstance(fault, Respond):
            handler.send(request, Response(fault.status, fault.body, dict(fault.headers)))
        else:  # pragma: no cover - programming error in a test
            raise TypeError(f"unknown fault {fault!r}")

    def _handle_safely(self, request: RecordedRequest) -> Response:
        try:
            with self._lock:
                # One request at a time touches a fake's state: keeps it simple and
                # makes ids/ordering deterministic, like a single-writer repo.
                return self.handle_request(request)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake must not kill the thread
            self._record_error(exc)
            return Response(500, {"error": "fake server bug", "detail": repr(exc)})

    # -- hooks for subclasses

    def handle_request(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def rate_limited(self, fault: RateLimited, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def server_error(self, fault: ServerError, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def unauthorized(self, fault: Unauthorized, request: RecordedRequest) -> Response:
        raise NotImplementedError


def route(
    routes: list[tuple[str, str, Callable[..., Response]]], request: RecordedRequest
) -> tuple[Callable[..., Response], list[str]] | None:
    """Tiny router: patterns like ``/2/tweets/{id}``; returns (handler, path params)."""
    parts = request.path.rstrip("/").split("/") if request.path != "/" else [""]
    for method, pattern, func in routes:
        if method != request.method and not (method == "GET" and request.method == "HEAD"):
            continue
        pparts = pattern.rstrip("/").split("/")
        if len(pparts) != len(parts):
            continue
        params: list[str] = []
        for want, got in zip(pparts, parts, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    break
                params.append(got)
            elif want != got:
                break
        else:
            return func, params
    return None


def iter_snowflakes(epoch_ms: int, shift: int) -> Iterator[int]:
    """Monotonic time-based ids, like X's and Mastodon's snowflakes."""
    last = 0
    while True:
        candidate = (int(time.time() * 1000) - epoch_ms) << shift
        last = max(candidate, last + 1)
        yield last
