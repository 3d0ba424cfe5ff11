"""The default theme in a real headless Chromium: axe-core finds no violation on any page type,
in light and dark mode, on a desktop and a phone screen; no request fails; text is never set
in a serif fallback.

axe-core comes from npm (`make tools` installs it into .tools/, like vnu-jar); Chromium is
Debian's, driven by Playwright. Without Chromium the tests skip, except under CI=true.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT
from tests.test_browser import ARGS, CHROMIUM

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
# Every page type of the example blog (the French one): home, its second page, a post with
# code, a post with a cover, a tag, the archives, a page, the 404 page.
PAGES = (
    "/",
    "/page/2/",
    "/2010/04/la-setlist-de-la-tournee/",
    "/2010/03/concert-au-gibus-le-20-mars/",
    "/2010/03/influence-reputation-et-legitimite-le-succes/",
    "/tags/concerts/",
    "/archives/",
    "/a-propos/",
    "/404.html",
)
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}
# WCAG 2.x A and AA, and axe's best practices (landmarks, heading order, one h1…).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs it with apt-get")
        pytest.skip("no Chromium on this machine (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `make tools` (it installs it with npm)")
    return AXE.read_text()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory) -> Iterator[str]:
    """The example blog built, served as a static host would."""
    from blogsite.build import build_site
    from blogsite.config import load_config

    site = tmp_path_factory.mktemp("a11y") / "example"
    site.mkdir()
    for item in ("site.toml", "posts", "pages", "static"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, site / item)
    output = build_site(load_config(site)).output
    handler = functools.partial(_Quiet, directory=str(output))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _violations(page, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => [v.id, v.help, v.nodes.map(n => n.target.join(' '))"
        ".slice(0, 5).join(' | ')]))",
        AXE_TAGS,
    )
    return [f"{rule}: {text} ({where})" for rule, text, where in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_axe_finds_no_violation_on_any_page_type(browser, axe_source, site_url, scheme, screen):
    context = browser.new_context(color_scheme=scheme, **SCREENS[screen])
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    problems = {}
    for path in PAGES:
        page.goto(site_url + path, wait_until="load")
        found = _violations(page, axe_source)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}, "\n".join(f"{p}: {v}" for p, vs in problems.items() for v in vs)
    assert failed == [], failed  # no missing favicon, cover or stylesheet


def test_text_is_never_set_in_a_serif_fallback(browser, site_url):
    """The fonts Chromium really draws the post's text with (on this Linux: whatever
    fontconfig gives for the stack): sans-serif faces only, never a Times-like serif."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "/2010/03/influence-reputation-et-legitimite-le-succes/")
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    families = set()
    for selector in (".e-content p", "h1", ".meta", ".site-title a"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        families.update(f["familyName"] for f in fonts)
    context.close()
    assert families, "no font reported"
    serif = {f for f in families if "serif" in f.lower() and "sans" not in f.lower()}
    times_like = {f for f in families if any(n in f for n in ("Times", "Nimbus Roman", "Tinos"))}
    assert not serif and not times_like, families
