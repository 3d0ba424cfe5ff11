"""The build cache, `.blogsite-cache/` in the site folder (ignored by git): one SQLite
database, so a build's writes commit together or not at all (a killed build leaves the
previous state). It holds the parsed posts (blogsite.build.posts), keyed by a hash of the
file's bytes, its path, the site's language and time zone and the code fingerprint (blogsite's
own source files, the versions of Markdown, Jinja...), and named values (each output
folder's manifest, the stat cache of blogsite.build.inputs).

Each stored value carries a checksum checked on every read (one that fails counts as
missing); a database that is corrupt, not a database, or of another format or code
fingerprint is deleted and rebuilt from scratch. Nothing is unpickled: values are marshal
data, which runs no code when read, and readers check their shape.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sqlite3
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from blogsite import __version__

if TYPE_CHECKING:
    from blogsite.build.posts import Row

T = TypeVar("T")

CACHE_DIR = ".blogsite-cache"
DB_NAME = "cache.sqlite3"
FORMAT = "blogsite-cache-7"
DEPENDENCIES = {  # module -> distribution
    "markdown": "markdown", "pygments": "pygments", "jinja2": "jinja2",
    "markupsafe": "markupsafe", "babel": "babel", "feedgen": "feedgen", "lxml": "lxml",
    "yaml": "pyyaml", "slugify": "python_slugify", "text_unidecode": "text_unidecode",
}


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_CODE: str | None = None


def code_fingerprint() -> str:
    """blogsite's own code and the versions of what renders: a cache from other code is foreign."""
    global _CODE
    if _CODE is not None:
        return _CODE
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    listings: dict[str, list[str]] = {}
    for module, dist in DEPENDENCIES.items():
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            h.update(f"{module}:missing\0".encode())
            continue
        origin = Path(spec.origin)
        folder = origin.parent.parent if origin.name == "__init__.py" else origin.parent
        names = listings.get(str(folder))
        if names is None:
            try:
                names = listings[str(folder)] = os.listdir(folder)
            except OSError:
                names = listings[str(folder)] = []
        found = sorted(
            n for n in names
            if n.endswith(".dist-info")
            and n.lower().replace("-", "_").replace(".", "_").startswith(dist + "_")
        )
        if found:
            h.update(f"{module}:{found[-1]}\0".encode())
        else:
            h.update(f"{module}:".encode() + origin.read_bytes() + b"\0")
    _CODE = h.hexdigest()
    return _CODE


# ----- the store


class Store:
    """The SQLite database of the cache. Every method is safe to call on a broken store:
    reads answer "missing", writes are dropped (the build goes on without a cache)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = conn
        self.pid = os.getpid()
        self.in_transaction = False
        self.closed = False  # closed after its build: reopened if a lazy post needs it

    @classmethod
    def open(cls, root: Path, code: str | None = None) -> Store | None:
        """Open (or create) the cache of the site in `root`; None when it cannot be used."""
        code = code or code_fingerprint()
        folder = root / CACHE_DIR
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        path = folder / DB_NAME
        for _attempt in range(2):
            conn = None
            try:
                conn = sqlite3.connect(path, timeout=30, isolation_level=None)
                _prepare(conn, code)
                return cls(path, conn)
            except sqlite3.OperationalError:
                # Locked by another build for too long, read-only folder...: go without.
                if conn is not None:
                    conn.close()
                return None
            except sqlite3.DatabaseError:
                # Not a database, or a corrupt one: start again from an empty cache.
                if conn is not None:
                    conn.close()
                remove_database(path)
        return None

    def _connection(self) -> sqlite3.Connection | None:
        if self.pid != os.getpid() or self.closed:
            # A forked worker never shares its parent's connection; a closed store reopens.
            try:
                self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            except sqlite3.Error:
                self.conn = None
            self.pid = os.getpid()
            self.in_transaction = False
            self.closed = False
        return self.conn

    def _fail(self) -> None:
        """An error mid-build: drop the connection, keep building without the cache."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _safely(self, work: Callable[[sqlite3.Connection], T], failed: T) -> T:
        """work(connection), or `failed` when there is none or SQLite fails (then dropped)."""
        conn = self._connection()
        if conn is None:
            return failed
        try:
            return work(conn)
        except sqlite3.Error:
            self._fail()
            return failed

    def _execute(self, sql: str, args: tuple = ()) -> None:
        self._safely(lambda conn: conn.execute(sql, args), None)

    def begin(self) -> None:
        if self._connection() is not None and not self.in_transaction:
            self._execute("BEGIN IMMEDIATE")
            self.in_transaction = self.conn is not None

    def commit(self) -> None:
        self._end("COMMIT")

    def rollback(self) -> None:
        self._end("ROLLBACK")

    def _end(self, sql: str) -> None:
        if self._connection() is not None and self.in_transaction:
            self._execute(sql)
        self.in_transaction = False

    def close(self) -> None:
        if self.pid == os.getpid() and self.conn is not None:
            self.rollback()  # a failed rollback drops the connection (_fail)
            if self.conn is not None:
                self.conn.close()
            self.closed = True
        self.conn = None

    # --- parsed posts (blogsite.build.posts: one row per file, three checksummed columns)

    def column(self, name: str, keys: Collection[str]) -> dict[str, bytes]:
        """One column (meta, extra or content) of the rows among `keys` whose checksum
        holds, in one query: key -> bytes."""
        assert name in ("meta", "extra", "content")
        wanted = set(keys)

        def read(conn: sqlite3.Connection) -> dict[str, bytes]:
            sql = f"SELECT key, {name}, {name}_sum FROM posts"
            if len(wanted) > 500:  # the whole table: quicker than a long IN (...)
                rows = conn.execute(sql)
            else:
                rows = conn.execute(f"{sql} WHERE key IN ({','.join('?' * len(wanted))})",
                                    list(wanted))
            return {
                key: data for key, data, data_sum in rows
                if key in wanted and type(data) is bytes and digest(data) == data_sum
            }

        return self._safely(read, {}) if wanted else {}

    def put_rows(self, rows: list[tuple[str, Row]]) -> None:
        """Store (key, row) pairs, each column with its checksum."""
        values = [
            (key, r.meta, digest(r.meta), r.extra, digest(r.extra), r.content, digest(r.content))
            for key, r in rows
        ]
        self._safely(lambda conn: conn.executemany(
            "INSERT OR REPLACE INTO posts (key, meta, meta_sum, extra, extra_sum, content,"
            " content_sum) VALUES (?, ?, ?, ?, ?, ?, ?)", values), None)

    def prune(self, live: set[str]) -> None:
        """Forget the rows no build uses any more (edited or deleted posts)."""

        def prune(conn: sqlite3.Connection) -> None:
            stale = [(k,) for (k,) in conn.execute("SELECT key FROM posts") if k not in live]
            conn.executemany("DELETE FROM posts WHERE key = ?", stale)

        self._safely(prune, None)

    # --- named values (manifests, the stat cache)

    def blob(self, name: str) -> bytes | None:
        row = self._safely(
            lambda conn: conn.execute("SELECT data, sum FROM blobs WHERE name = ?", (name,))
            .fetchone(), None
        )
        if row is None or type(row[0]) is not bytes or digest(row[0]) != row[1]:
            return None
        return row[0]

    def put_blob(self, name: str, data: bytes) -> None:
        self._execute(
            "INSERT OR REPLACE INTO blobs (name, data, sum) VALUES (?, ?, ?)",
            (name, data, digest(data)),
        )

    def value(self, name: str) -> object | None:
        """A value stored with put_value (None if missing, damaged or not one)."""
        return loads_value(self.blob(name))

    def put_value(self, name: str, value: object) -> None:
        """Store strings, numbers, lists and dicts (manifests, the stat cache) as
        `marshal` data: read and written several times faster than JSON, and, like it,
        nothing that runs code when read. Readers still check the shape of what they get."""
        self.put_blob(name, marshal.dumps(value, 4))  # type: ignore[arg-type]  # the caller's values are marshal's kinds


def _prepare(conn: sqlite3.Connection, code: str) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    stored = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    if stored.get("format") != FORMAT or stored.get("code") != code:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP TABLE IF EXISTS posts")
        conn.execute("DROP TABLE IF EXISTS blobs")
        conn.execute("DELETE FROM meta")
        conn.executemany(
            "INSERT INTO meta (name, value) VALUES (?, ?)", [("format", FORMAT), ("code", code)]
        )
        conn.execute("COMMIT")
    conn.execute(
        # The small columns first: a row's first bytes are on its B-tree page, the rest on
        # overflow pages, and SQLite walks those to reach a column after a large one.
        # Listings read `extra` (summaries) of every post; only post pages read `content`.
        "CREATE TABLE IF NOT EXISTS posts (key TEXT PRIMARY KEY, meta BLOB NOT NULL,"
        " meta_sum TEXT NOT NULL, extra BLOB NOT NULL, extra_sum TEXT NOT NULL,"
        " content BLOB NOT NULL, content_sum TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL,"
        " sum TEXT NOT NULL)"
    )
    # Reading the tables proves the file is a sound database (or raises DatabaseError).
    conn.execute("SELECT count(*) FROM posts").fetchone()
    conn.execute("SELECT count(*) FROM blobs").fetchone()


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(str(path) + suffix)


def loads_value(data: bytes | None) -> object | None:
    """A marshal value from stored bytes; None for bytes that are not one."""
    if data is None:
        return None
    try:
        return marshal.loads(data)
    except (ValueError, EOFError, TypeError, OverflowError, MemoryError):
        # (MemoryError: a length field, in bytes not written here, asking for gigabytes)
        return None
