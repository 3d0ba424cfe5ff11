"""Bringing an imported blog's images home: each distinct image downloaded once into
static/images/, and the posts' links rewritten to it. A download that fails leaves the remote
address in place and is one warning; nothing stops the import."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from blogsite.importers.model import Export

TIMEOUT = 10.0  # seconds per image
WORKERS = 4  # downloads at once
MAX_BYTES = 20 * 1024 * 1024
FOLDER = "images"  # under static/, served at /images/
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((https?://[^\s)]+)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"(https?://[^\"]+)\"", re.I)
_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
          "image/svg+xml": ".svg", "image/bmp": ".bmp"}


@dataclass
class ImageResult:
    downloaded: int = 0
    present: int = 0  # already in static/ from an earlier import
    remote: int = 0  # could not be fetched: the remote address stays
    warnings: list[str] = field(default_factory=list)


def image_urls(text: str) -> list[str]:
    return [m.group(1) for pattern in (_MARKDOWN_IMAGE, _HTML_IMAGE) for m in pattern.finditer(text)]


def local_name(url: str) -> str:
    """One file per distinct address: a short digest of it, then its readable name."""
    path = PurePosixPath(unquote(urlsplit(url).path))
    stem = re.sub(r"[^\w.-]+", "-", path.stem).strip("-.")[:60] or "image"
    suffix = path.suffix.lower() if re.match(r"^\.[a-z0-9]{2,5}$", path.suffix.lower()) else ""
    return f"{hashlib.sha256(url.encode()).hexdigest()[:10]}-{stem}{suffix}"


def _fetch(url: str, target: Path) -> str | None:
    """Download into target; the error as text when it failed."""
    request = urllib.request.Request(url, headers={"User-Agent": "blogsite-import"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only
            kind = response.headers.get_content_type()
            if not kind.startswith("image/"):
                return f"not an image ({kind})"
            data = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))
    if len(data) > MAX_BYTES:
        return "larger than 20 MB"
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return None


def _progress(total: int) -> Callable[[], None]:
    """A one-line progress bar on a terminal; nothing otherwise (logs stay clean)."""
    if not sys.stderr.isatty() or total == 0:
        return lambda: None
    done = [0]

    def step() -> None:
        done[0] += 1
        width = 30
        filled = width * done[0] // total
        end = "\n" if done[0] == total else ""
        print(f"\rimages [{'#' * filled}{'.' * (width - filled)}] {done[0]}/{total}", end=end,
              file=sys.stderr, flush=True)

    return step


def bring_home(export: Export, static: Path) -> ImageResult:
    """Download every image the posts show and rewrite their addresses to the local copy."""
    urls = list(dict.fromkeys(u for post in export.posts for u in image_urls(post.body)))
    result = ImageResult()
    targets = {u: static / FOLDER / local_name(u) for u in urls}
    missing = [u for u in urls if not targets[u].is_file()]
    result.present = len(urls) - len(missing)
    step = _progress(len(missing))

    def fetch(url: str) -> tuple[str, str | None]:
        error = _fetch(url, targets[url])
        step()
        return url, error

    local: dict[str, str] = {u: f"/{FOLDER}/{targets[u].name}" for u in urls if u not in missing}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for url, error in pool.map(fetch, missing):
            if error is None:
                result.downloaded += 1
                local[url] = f"/{FOLDER}/{targets[url].name}"
            else:
                result.remote += 1
                result.warnings.append(f"image {url}: {error}; the post keeps the remote address")
    export.posts[:] = [replace(p, body=_rewrite(p.body, local)) for p in export.posts]
    return result


def _rewrite(text: str, local: dict[str, str]) -> str:
    def markdown(match: re.Match[str]) -> str:
        url = match.group(1)
        return match.group(0).replace(url, local[url]) if url in local else match.group(0)

    text = _MARKDOWN_IMAGE.sub(markdown, text)
    return _HTML_IMAGE.sub(markdown, text)
