"""Pictures the theme shows (covers, the avatar): where their files are, and their size.

The size is read from the file's header (PNG, GIF, JPEG, WebP, SVG), without decoding the
picture and without a dependency: it gives `<img>` its `width` and `height`, so the page
does not move while pictures load. A remote picture (a full URL) is never downloaded: it has
no size, and the theme frames it in a box of fixed proportions instead.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import unquote

HEAD = 64 * 1024  # enough for every header but a JPEG's, which is walked segment by segment
REMOTE = re.compile(r"^(https?:)?//", re.I)
# JPEG start-of-frame markers (the ones holding the size): C0-CF but C4, C8 and CC.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class ImageSize(NamedTuple):
    width: int
    height: int


@dataclass(frozen=True)
class Image:
    """A picture as templates use it: `src` is ready for the attribute (the site's base path
    prefixed, or the full URL); width and height are None when unknown (remote pictures)."""

    src: str
    width: int | None = None
    height: int | None = None


def read_size(path: Path) -> ImageSize | None:
    """The picture's size in CSS pixels as browsers show it, or None if the file is not a
    picture of a known format (or cannot be read)."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD)
            if head[:3] == b"\xff\xd8\xff":
                return _jpeg(f)
    except OSError:
        return None
    for reader in (_png, _gif, _webp, _svg):
        found = reader(head)
        if found is not None:
            return found if found.width > 0 and found.height > 0 else None
    return None


def _png(head: bytes) -> ImageSize | None:
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return ImageSize(*struct.unpack(">II", head[16:24]))


def _gif(head: bytes) -> ImageSize | None:
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    return ImageSize(*struct.unpack("<HH", head[6:10]))


def _webp(head: bytes) -> ImageSize | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP" or len(head) < 30:
        return None
    kind = head[12:16]
    if kind == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return ImageSize(width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return ImageSize((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        return ImageSize(width, int.from_bytes(head[27:30], "little") + 1)
    return None


_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.I | re.S)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def _svg_attr(tag: str, name: str) -> str | None:
    m = re.search(rf"\s{name}\s*=\s*(\"([^\"]*)\"|'([^']*)')", tag)
    return None if m is None else (m.group(2) if m.group(2) is not None else m.group(3))


def _svg(head: bytes) -> ImageSize | None:
    m = _SVG_TAG.search(head)
    if m is None:
        return None
    tag = m.group(0).decode("utf-8", "replace")
    sizes = [_LENGTH.match(_svg_attr(tag, n) or "") for n in ("width", "height")]
    if sizes[0] and sizes[1]:  # lengths in px (or without a unit); percents and ems are not sizes
        return ImageSize(round(float(sizes[0].group(1))), round(float(sizes[1].group(1))))
    box = (_svg_attr(tag, "viewBox") or "").replace(",", " ").split()
    try:
        width, height = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return None
    return ImageSize(round(width), round(height))


def _jpeg(f: BinaryIO) -> ImageSize | None:
    """Walk the segments to the frame header; an Exif orientation that turns the picture a
    quarter (browsers honour it) swaps width and height."""
    f.seek(2)
    turned = False
    while True:
        marker = _next_marker(f)
        if marker is None or marker in (0xD9, 0xDA):  # damaged, end of image, start of scan
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            continue
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        segment = f.read(struct.unpack(">H", length_bytes)[0] - 2)
        if marker in _SOF and len(segment) >= 5:
            height, width = struct.unpack(">HH", segment[1:5])
            return ImageSize(height, width) if turned else ImageSize(width, height)
        if marker == 0xE1 and segment[:6] == b"Exif\0\0":
            turned = _exif_orientation(segment[6:]) in (5, 6, 7, 8)


def _next_marker(f: BinaryIO) -> int | None:
    """The next marker's code (after its 0xFF and any fill bytes), None if there is none."""
    if f.read(1) != b"\xff":
        return None
    byte = f.read(1)
    while byte == b"\xff":
        byte = f.read(1)
    return byte[0] if byte else None


def _exif_orientation(tiff: bytes) -> int:
    """The Orientation tag (0x0112) of the first image directory, 1 when absent."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    offset = struct.unpack(order + "I", tiff[4:8])[0]
    if offset + 2 > len(tiff):
        return 1
    count = struct.unpack(order + "H", tiff[offset : offset + 2])[0]
    for i in range(count):
        entry = tiff[offset + 2 + 12 * i : offset + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, _kind, _count, value = struct.unpack(order + "HHIH", entry[:10])
        if tag == 0x0112:
            return value
    return 1


class SiteImages:
    """Finds the file behind a picture's site path (`/images/a.jpg`: the site's
    static/images/a.jpg; `/static/x.png`: the theme's static/x.png) and its size, once per
    build for each path."""

    def __init__(self, static_dir: Path, theme_static: dict[str, Path], url: Callable[[str], str]):
        self.static_dir = static_dir
        self.theme_static = theme_static
        self.url = url
        self._found: dict[str, Image | None] = {}

    def find(self, path: str) -> Image | None:
        """The picture at `path` (a site path or a full URL); None when it is a site path
        that no file answers (a missing picture is reported by the build, not shown)."""
        if path not in self._found:
            self._found[path] = self._find(path)
        return self._found[path]

    def _find(self, path: str) -> Image | None:
        if REMOTE.match(path):
            return Image(path)
        file = self.file(path)
        if file is None:
            return None
        size = read_size(file)
        return Image(self.url(path), *(size or (None, None)))

    def file(self, path: str) -> Path | None:
        rel = unquote(re.split(r"[?#]", path, maxsplit=1)[0]).lstrip("/")
        candidate = self.static_dir / rel
        try:
            inside = candidate.resolve().is_relative_to(self.static_dir.resolve())
        except (OSError, ValueError):
            inside = False
        if inside and candidate.is_file():
            return candidate
        if rel.startswith("static/"):
            return self.theme_static.get(rel[len("static/") :])
        return None

    def key(self, path: str | None) -> bytes:
        """What of the picture a page shows, for the page's key (deps.Fingerprints)."""
        if not path:
            return b""
        found = self.find(path)
        if found is None:
            return b"-"
        return f"{found.width}x{found.height}".encode()
