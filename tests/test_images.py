"""Picture sizes read from file headers, checked against Pillow's encoders and decoders."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from blogsite.images import ImageSize, SiteImages, read_size


def _save(path: Path, size: tuple[int, int], fmt: str, **options: object) -> Path:
    mode = "RGBA" if options.pop("alpha", False) else "RGB"
    PILImage.new(mode, size, (200, 40, 40)).save(path, fmt, **options)
    return path


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("GIF", {}),
        ("JPEG", {"quality": 80}),
        ("JPEG", {"progressive": True}),
        ("WEBP", {"quality": 80}),  # lossy: VP8
        ("WEBP", {"lossless": True}),  # VP8L
        ("WEBP", {"quality": 80, "alpha": True}),  # VP8X with an alpha chunk
    ],
)
def test_sizes_match_pillow(tmp_path, fmt, options):
    path = _save(tmp_path / f"a.{fmt.lower()}", (1203, 677), fmt, **dict(options))
    with PILImage.open(path) as decoded:
        assert decoded.size == (1203, 677)
    assert read_size(path) == ImageSize(1203, 677)


def _exif_jpeg(path: Path, orientation: int) -> Path:
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    # A large Exif block (a thumbnail's worth of data) before the frame header.
    exif[0x010E] = "x" * 60_000
    return _save(path, (640, 480), "JPEG", exif=exif.tobytes())


def test_a_jpeg_turned_by_its_exif_orientation_swaps_width_and_height(tmp_path):
    turned = _exif_jpeg(tmp_path / "turned.jpg", 6)
    upright = _exif_jpeg(tmp_path / "upright.jpg", 1)
    assert read_size(turned) == ImageSize(480, 640)
    assert read_size(upright) == ImageSize(640, 480)


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80px">', ImageSize(120, 80)),
        (
            "<?xml version='1.0'?>\n<svg viewBox='0 0 64 32' xmlns='http://www.w3.org/2000/svg'>",
            ImageSize(64, 32),
        ),
        ('<svg width="100%" height="100%" viewBox="0,0,300,150">', ImageSize(300, 150)),
        ('<svg width="10em" height="3em">', None),
    ],
)
def test_svg_sizes(tmp_path, svg, expected):
    path = tmp_path / "a.svg"
    path.write_text(svg + "</svg>\n")
    assert read_size(path) == expected


def test_what_is_not_a_picture_has_no_size(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    buffer = io.BytesIO()
    PILImage.new("RGB", (50, 40)).save(buffer, "JPEG")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(buffer.getvalue()[:120])  # the header stops before the frame
    assert read_size(text) is None
    assert read_size(cut) is None
    assert read_size(tmp_path / "missing.png") is None


def test_site_paths_resolve_in_static_and_never_outside(tmp_path):
    static = tmp_path / "site" / "static"
    (static / "images").mkdir(parents=True)
    _save(static / "images" / "a b.png", (30, 20), "PNG")
    _save(tmp_path / "secret.png", (5, 5), "PNG")
    theme_icon = _save(tmp_path / "icon.png", (16, 16), "PNG")
    images = SiteImages(static, {"icon.png": theme_icon}, lambda path: "/blog/" + path.lstrip("/"))
    found = images.find("/images/a%20b.png?v=2")
    assert found is not None and (found.src, found.width, found.height) == (
        "/blog/images/a%20b.png?v=2", 30, 20,
    )
    assert images.find("/static/icon.png") is not None
    assert images.find("/../secret.png") is None
    assert images.find("/images/missing.png") is None
    remote = images.find("https://example.org/cover.jpg")
    assert remote is not None and remote.width is None
    assert images.key("/images/a%20b.png?v=2") == b"30x20" and images.key(None) == b""
